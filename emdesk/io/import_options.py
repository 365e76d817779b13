"""Reading a file with the user's overrides, and a preview of the first rows (issue 15; no Qt).

:func:`emdesk.io.load_table` detects everything itself (encoding, delimiter, decimal mark, header row).
When detection is wrong, or unsure, the user overrides it in the import dialog; these overrides are an
:class:`ImportOptions`, and :func:`load_with_options` reads the file with them. Options left at ``None`` are
still detected, with the CSV reader's own rules (its sniffing helpers and cell conversion in
``emdesk/io/table.py``), so a file reads the same here as through ``load_table`` unless an override says
otherwise. With no override at all, :func:`load_with_options` *is* ``load_table``.

:func:`table_from_text` is the text path on its own (the clipboard's Paste Data uses it); :func:`preview`
reads the first rows for the dialog and says what detection chose and where it was unsure.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
from collections import Counter
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Callable

import numpy as np

from . import table_text as _t
from . import decimal_marks as _dm
from . import thousands as _th
from .thousands import THOUSANDS
from .spreadsheet import COLUMNAR_EXTENSIONS, SPREADSHEET_EXTENSIONS, is_other_format, load_columnar, \
    load_spreadsheet
from .table import (MISSING_TOKENS, DataError, LoadCancelled, Table, load_table, nonfinite_part,
                    nonfinite_sentence, open_error, unique_name)

__all__ = ["ImportOptions", "Preview", "DELIMITERS", "ENCODINGS", "load_with_options", "table_from_text",
           "preview", "head"]

#: Delimiters the dialog offers: value -> label. " " means runs of spaces (as the CSV reader reads them).
DELIMITERS = {",": "Comma", ";": "Semicolon", "\t": "Tab", "|": "Pipe", " ": "Spaces"}
#: Encodings the dialog offers (any name Python knows is accepted).
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "mac-roman")

_PREVIEW_BYTES = 256 * 1024


@dataclass(frozen=True)
class ImportOptions:
    """Overrides for reading one file; ``None`` = detect (as ``load_table`` does).

    delimiter: ``","``, ``";"``, ``"\\t"``, ``"|"`` or ``" "`` (runs of spaces).
    decimal: ``"."`` or ``","``.
    header_row: 0-based record (after the skipped rows and comment lines) holding the column names;
        ``-1`` for no header (columns are named col1, col2, ...); records above it are skipped.
    encoding: a Python codec name (``"utf-8"``, ``"cp1252"``, ``"latin-1"``, ``"utf-16"`` ...).
    skip_rows: physical lines skipped at the top (a preamble).
    comment: lines starting with this text are skipped anywhere; ``None`` skips leading ``#`` lines only
        (the CSV reader's rule).
    missing_tokens: cell texts read as missing (an empty cell always is); ``None`` = ``MISSING_TOKENS``.
    row_label_column: a column (name, or 0-based index) holding row labels: always read as text, so it is
        never fitted; the Table's ``row_label_column`` names it.
    sheet: for spreadsheets, a sheet name or 0-based index (``None`` = the first).
    thousands: the thousands separator of numbers, ``"."`` (1.234.567,5), ``","`` (1,234,567.5), ``" "``
        (1 234 567,5; also the no-break, narrow no-break and thin spaces), ``"'"`` (1'234'567.5; also U+2019),
        or ``""`` for none; ``None`` detects it per column (``emdesk.io.thousands``). Not the decimal mark.
    """

    delimiter: str | None = None
    decimal: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    skip_rows: int = 0
    comment: str | None = None
    missing_tokens: tuple[str, ...] | None = None
    row_label_column: str | int | None = None
    sheet: str | int | None = None
    thousands: str | None = None

    def __post_init__(self):
        if self.delimiter is not None and self.delimiter not in DELIMITERS:
            raise ValueError(f"delimiter must be one of {sorted(DELIMITERS)!r} or None, got {self.delimiter!r}")
        if self.decimal not in (None, ".", ","):
            raise ValueError(f"decimal must be '.', ',' or None, got {self.decimal!r}")
        if self.decimal == "," and self.delimiter == ",":
            raise ValueError("a comma cannot be both the delimiter and the decimal mark")
        if self.thousands is not None and self.thousands not in THOUSANDS:
            raise ValueError(f"thousands must be '', '.', ',', ' ', \"'\" or None, got {self.thousands!r}")
        if self.thousands and self.thousands == self.decimal:
            raise ValueError("the thousands separator cannot be the decimal mark")
        if self.thousands == " " and self.delimiter == " ":
            raise ValueError("a space cannot be both the delimiter and the thousands separator")
        if self.header_row is not None and (not isinstance(self.header_row, int) or self.header_row < -1):
            raise ValueError(f"header_row must be None, -1 or a row index >= 0, got {self.header_row!r}")
        if not isinstance(self.skip_rows, int) or self.skip_rows < 0:
            raise ValueError(f"skip_rows must be an integer >= 0, got {self.skip_rows!r}")
        if self.comment is not None and (not isinstance(self.comment, str) or not self.comment.strip()):
            raise ValueError("comment must be None or a non-blank text such as '#'")
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ValueError(f"unknown encoding {self.encoding!r}") from None
        if self.missing_tokens is not None:
            object.__setattr__(self, "missing_tokens", tuple(str(t).strip() for t in self.missing_tokens))

    @property
    def is_default(self) -> bool:
        """True when every option is left to detection (and no sheet is chosen)."""
        return self == ImportOptions()

    def to_dict(self) -> dict:
        """Plain JSON-able values (for QSettings); :meth:`from_dict` reads them back."""
        d = asdict(self)
        if d["missing_tokens"] is not None:
            d["missing_tokens"] = list(d["missing_tokens"])
        return d

    @classmethod
    def from_dict(cls, data: dict) -> "ImportOptions":
        """The options from :meth:`to_dict`'s values; unknown keys are ignored, bad values raise ValueError."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in dict(data).items() if k in known}
        if kwargs.get("missing_tokens") is not None:
            kwargs["missing_tokens"] = tuple(kwargs["missing_tokens"])
        return cls(**kwargs)


@dataclass
class Preview:
    """What :func:`preview` found: the first rows as they will be read, and how."""

    table: Table | None                 # the first rows (None when the options do not work: see error)
    detected: ImportOptions             # the options as resolved (detected values filled in)
    raw_lines: list[str]                # the file's first lines as text (empty for spreadsheets)
    error: str | None = None            # the DataError's message when reading failed
    notes: list[str] = field(default_factory=list)    # sentences for the user (dates, mixed columns ...)
    unsure: list[str] = field(default_factory=list)   # why detection may be wrong (empty when sure)
    sheet_names: list[str] = field(default_factory=list)
    suggested: ImportOptions | None = None            # the options with a suggested fix (skip title lines)


# ---------------------------------------------------------------------------------------------------
# text -> Table


def _decode(data: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    """(text, encoding used)."""
    if encoding is None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        elif data.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        else:
            encoding = _t._pick_encoding(data, complete=True)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{name}, line {line}: the bytes are not valid {encoding} text ({exc.reason}). "
                        f"Choose another encoding (cp1252 or latin-1 for Western European files).") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _records(lines: list[tuple[int, str]], delimiter: str, name: str) -> list[tuple[int, list[str]]]:
    """(1-based physical line, fields) of each non-blank record; quoted values may span lines."""
    if delimiter == " ":
        return [(n, _t._split_spaces(s)) for n, s in lines if s.strip()]
    out = []
    numbers = [n for n, _ in lines]
    reader = csv.reader(io.StringIO("\n".join(s for _, s in lines), newline=""), delimiter=delimiter,
                        quotechar='"', doublequote=True)
    try:
        for row in reader:
            if not _t._is_blank(row):
                out.append((numbers[min(reader.line_num, len(numbers)) - 1], row))
    except csv.Error as exc:
        line = numbers[min(reader.line_num, len(numbers)) - 1] if numbers else 1
        raise DataError(f"{name}, line {line}: cannot split the line into fields ({exc}).") from None
    return out


def _column_index(spec, names: list[str], name: str) -> int | None:
    if spec is None:
        return None
    if isinstance(spec, int) and not isinstance(spec, bool):
        if not 0 <= spec < len(names):
            raise DataError(f"{name}: there is no column number {spec + 1} for the row labels "
                            f"(the file has {len(names)}).")
        return spec
    if spec not in names:
        raise DataError(f"{name}: there is no column {spec!r} for the row labels; the columns are: "
                        f"{', '.join(names)}.")
    return names.index(spec)


def table_from_text(text: str, options: ImportOptions | None = None, *, name: str = "pasted data",
                    path=None, sha256: str = "", encoding: str = "utf-8",
                    unsure: list | None = None, hints: dict | None = None) -> Table:
    """A :class:`Table` from CSV-like text (a file's contents, or a table from the clipboard).

    ``options`` override detection (see :class:`ImportOptions`; ``encoding`` and ``sheet`` do not apply to
    text). ``name`` names the source in DataError messages (``"pasted data, line 4: ..."``). When ``unsure``
    is a list, reasons to doubt the detection are appended to it; when ``hints`` is a dict, suggested
    options go in it (``skip_rows`` when lines above the table look like a title).
    Raises DataError for anything wrong, naming the line.
    """
    options = options or ImportOptions()
    tokens = MISSING_TOKENS if options.missing_tokens is None else frozenset(options.missing_tokens) | {""}
    numbered = list(enumerate(_lines(text), start=1))[options.skip_rows:]
    if options.comment is not None:
        numbered = [(n, s) for n, s in numbered if not s.lstrip().startswith(options.comment)]
    else:
        while numbered and (not numbered[0][1].strip() or numbered[0][1].lstrip().startswith("#")):
            numbered.pop(0)
    while numbered and not numbered[-1][1].strip():
        numbered.pop()
    if not numbered:
        raise DataError(f"{name}: there is no data (only blank{' or skipped' if options.skip_rows else ''} "
                        f"lines).")
    sample = "\n".join(s for _, s in numbered[:100]) + "\n"
    delimiter, spaced = options.delimiter, None
    if delimiter is None:
        delimiter = _t._sniff_delimiter(sample)
        if delimiter in (",", " ") and _t._one_column_of_decimal_commas(sample):
            delimiter = ";"
        elif delimiter == " " and (spaced := _t._one_column_of_spaced_numbers(sample)):
            delimiter = ";"  # 12 345 lines, not R's row names (table_text.SPACED_REASONS)
        if unsure is not None:
            unsure.extend(_delimiter_doubts(sample, delimiter))
    records = _records(numbered, delimiter, name)
    if not records:
        raise DataError(f"{name}: there is no data (only blank lines).")
    rows = [r for _, r in records]
    # R's row names over space-grouped numbers (1 11 244): not a title line above the table (table_text)
    r_spaced = _t._row_names_over_spaced_numbers(sample) if delimiter == " " else None
    if unsure is not None and options.header_row is None and not r_spaced:
        # lines above the table (a title, notes) have fewer fields than the table's rows
        width = Counter(len(r) for r in rows[:100]).most_common(1)[0][0]
        short = 0
        while short < len(records) - 1 and short < 20 and len(records[short][1]) < width:
            short += 1
        if width >= 2 and short:
            skip = records[short][0] - 1
            unsure.append(f"The first {'line looks' if skip == 1 else f'{skip} lines look'} like a title or notes "
                          f"above the table (fewer fields than its rows): skip {skip} line{'s' if skip > 1 else ''}"
                          f" at the top.")
            if hints is not None:
                hints["skip_rows"] = skip
    decimal = options.decimal
    if decimal is None:
        decimal, _open = _t._sniff_decimal(rows[:100], delimiter)
        if options.thousands in (".", ",") and decimal == options.thousands:
            decimal = _th.separator_for(options.thousands)  # 1.234.567 with a decimal comma, and the reverse
    if options.header_row is None:
        has_header = _t._detect_header(rows[:100], decimal)
        header_at = 0 if has_header else None
    elif options.header_row == -1:
        header_at = None
    else:
        if options.header_row >= len(rows):
            raise DataError(f"{name}: there is no row {options.header_row + 1} to read the column names from "
                            f"(it has {len(rows)}).")
        header_at = options.header_row
    data = records[header_at + 1:] if header_at is not None else records
    widths = Counter(len(r) for _, r in data)
    if header_at is not None:
        header = list(records[header_at][1])
        if len(widths) == 1 and next(iter(widths)) == len(header) + 1:
            header = [""] + header  # R's write.table: no name above the row names
        while len(header) > 1 and not header[-1].strip() and widths and max(widths) < len(header):
            header = header[:-1]
        n_cols = len(header)
    else:
        if not widths:
            raise DataError(f"{name}: there is no data.")
        n_cols = widths.most_common(1)[0][0]
    if not data:
        names_text = ", ".join(h.strip() for h in header) if header_at is not None else ""
        raise DataError(f"{name}: there is a header row ({names_text}) but no data rows.")
    cells: list[list[str]] = []
    for line, row in data:
        if len(row) != n_cols:
            if len(row) > n_cols and not any(c.strip() for c in row[n_cols:]):
                row = row[:n_cols]
            elif len(row) < n_cols and delimiter == "\t" and header_at is None:
                row = row + [""] * (n_cols - len(row))  # a pasted row whose last cells were empty
            else:
                d = DELIMITERS[delimiter].lower()
                advice = ("Choose another delimiter, skip the lines above the table, or set the header row."
                          if not r_spaced else _t.SPACED_ROW_NAMES.format(example=r_spaced))
                raise DataError(f"{name}, line {line}: expected {n_cols} field{'s' if n_cols != 1 else ''} but "
                                f"found {len(row)} (delimiter: {d}). {advice}")
        cells.append(row)
    if header_at is not None:
        names = _t._unique_names(header)
    else:
        names = [f"col{j + 1}" for j in range(n_cols)]
    label = _column_index(options.row_label_column, names, name)
    columns = list(zip(*cells))
    numeric_names, numeric_cols, text_cols = [], [], {}
    separators, ambiguous, other_decimal = {}, {}, {}
    redecide = options.decimal is None and options.thousands not in (".", ",")  # the decimal mark was a guess
    for j, col_name in enumerate(names):
        col = [c.strip() for c in columns[j]]
        values = None
        if j != label:
            spelled = ["" if c in tokens else ("\x01" if c in MISSING_TOKENS else c) for c in col]  # \x01: text
            values, sep, example = _th.read_column(spelled, decimal, delimiter, options.thousands)
            if values is None and redecide:  # 1.234,5 after the first lines' decimal points (decimal_marks)
                other = _dm.read_with_other(spelled, decimal, delimiter)
                if other is not None:
                    values, sep, example, other_decimal[col_name] = other
        if values is not None and not np.isnan(values).all():
            numeric_names.append(col_name)
            numeric_cols.append(values)
            if sep:
                separators[col_name] = sep
            if example:
                ambiguous[col_name] = example
        else:
            text_cols[col_name] = list(columns[j])
            if unsure is not None and j != label:
                n_num = sum(_t._is_number(c, decimal) for c in col)
                if n_num >= 0.8 * len(col) and n_num < len(col):
                    first = next(c for c in col if c not in tokens and not _t._is_number(c, decimal))
                    unsure.append(f"Column {col_name!r} is mostly numbers but reads as text (e.g. {first!r}): "
                                  f"a missing-value token, or another decimal mark?")
    infinite = []  # infinite numbers (inf, -inf, 1e309): refused here, as the CSV reader refuses them
    for col_name, values in zip(numeric_names, numeric_cols):
        where = np.flatnonzero(np.isinf(values))
        if where.size:
            i = int(where[0])
            infinite.append(nonfinite_part(col_name, int(where.size), f"line {data[i][0]}",
                                              cells[i][names.index(col_name)].strip()))
    if infinite:
        raise DataError(f"{name}: {nonfinite_sentence(infinite)}")
    numeric = np.column_stack(numeric_cols) if numeric_cols else np.empty((len(cells), 0))
    table = Table(path=path, column_names=names, numeric=numeric, numeric_names=numeric_names, text=text_cols,
                  sha256=sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest(), delimiter=delimiter,
                  decimal=decimal, encoding=encoding, has_header=header_at is not None)
    table.thousands, table.thousands_ambiguous = separators, ambiguous
    table.other_decimal_columns = {c: e for c, e in other_decimal.items() if c in numeric_names}
    if spaced and separators.get(names[0]) == " ":
        table.spaced_one_column = {names[0]: spaced}
    table.sheet, table.sheet_names = None, []
    table.notes = _th.notes(table) + _th.spaced_notes(table) + _dm.notes(table)
    if unsure is not None:
        unsure.extend(_th.notes(table))  # a guess: the import dialog opens by itself to let the user choose
    table.row_label_column = names[label] if label is not None else None
    table.header_row = header_at if header_at is not None else -1
    return table


def _delimiter_doubts(sample: str, chosen: str) -> list[str]:
    """Reasons to doubt the sniffed delimiter: rows with other field counts, or another delimiter that
    splits the lines as consistently into as many fields."""
    counts = {}
    for cand in DELIMITERS:
        try:
            widths = [len(r) for _, r in _t._split_records(sample, cand) if not _t._is_blank(r)]
        except csv.Error:
            continue
        if widths:
            mode, freq = Counter(widths).most_common(1)[0]
            counts[cand] = (mode, freq / len(widths))
    doubts = []
    mode, share = counts.get(chosen, (1, 1.0))
    if share < 0.95:
        doubts.append(f"Only {share:.0%} of the first lines split into {mode} fields by the "
                      f"{DELIMITERS[chosen].lower()} delimiter.")
    rivals = [DELIMITERS[c].lower() for c, (m, s) in counts.items()
              if c != chosen and c != " " and m >= 2 and s >= 0.95 and s >= share]
    if rivals:
        doubts.append(f"The {', '.join(rivals)} delimiter would split the lines as consistently "
                      f"({mode if mode >= 2 else 'one'} field(s) by {DELIMITERS[chosen].lower()}).")
    if mode < 2:
        doubts.append("No delimiter splits the lines: the file reads as one column.")
    return doubts


# ---------------------------------------------------------------------------------------------------
# files


def _name(path: str) -> str:
    return os.path.basename(path) or path


def _apply_row_labels(table: Table, spec, name: str) -> Table:
    """A Table whose row-label column (a numeric one in a spreadsheet) is text."""
    table.row_label_column = None
    if spec is None:
        return table
    index = _column_index(spec, table.column_names, name)
    label = table.column_names[index]
    if not table.is_numeric(label):
        table.row_label_column = label
        return table
    numeric_names = [n for n in table.numeric_column_names if n != label]
    text = {n: table.text_column(n) for n in table.text_column_names}
    text[label] = table.text_column(label)
    out = Table(path=table.path, column_names=table.column_names, numeric=table.to_array(numeric_names),
                numeric_names=numeric_names, text=text, sha256=table.sha256, delimiter=table.delimiter,
                decimal=table.decimal, encoding=table.encoding, has_header=table.has_header)
    for attr in ("sheet", "sheet_names", "notes"):
        setattr(out, attr, getattr(table, attr, None))
    out.row_label_column = label
    return out


def _read_bytes(path: str, limit: int | None = None) -> bytes:
    name = _name(path)
    try:
        with open(path, "rb") as handle:
            return handle.read() if limit is None else handle.read(limit)
    except OSError as exc:
        raise open_error(name, path, exc) from None


def load_with_options(path, options: ImportOptions | None = None,
                      progress: Callable[[float], bool | None] | None = None) -> Table:
    """Read a file with the user's overrides (see :class:`ImportOptions`).

    No override: exactly :func:`emdesk.io.load_table` (the fast streaming reader). Spreadsheets use
    ``sheet``, ``header_row``, ``missing_tokens`` and ``row_label_column``; Parquet/Feather
    ``row_label_column`` only. Text
    files with overrides are read whole into memory and parsed with the CSV reader's rules.
    Raises DataError (file and line, or sheet and cell) and LoadCancelled as ``load_table`` does.
    """
    path = os.fspath(path)
    options = options or ImportOptions()
    name = _name(path)
    if options.is_default:
        table = load_table(path, progress)
        table.row_label_column = None
        return table
    ext = os.path.splitext(path)[1].lower()
    if is_other_format(path):
        if ext in SPREADSHEET_EXTENSIONS:
            table = load_spreadsheet(path, options.sheet, header_row=options.header_row,
                                     missing_tokens=options.missing_tokens, progress=progress)
        else:
            table = load_columnar(path, progress=progress)
        return _apply_row_labels(table, options.row_label_column, name)
    if progress is not None and progress(0.0) is False:
        raise LoadCancelled(f"Loading {name} was cancelled.")
    data = _read_bytes(path)
    if b"\x00" in data[:_t.SNIFF_BYTES] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        what = _t._looks_binary(data[:_t.SNIFF_BYTES]) or "binary data"
        raise DataError(f"{name}: this is not a text file; it looks like {what}.")
    text, encoding = _decode(data, options.encoding, name)
    table = table_from_text(text, options, name=name, path=path, sha256=hashlib.sha256(data).hexdigest(),
                            encoding=encoding)
    if progress is not None and progress(1.0) is False:
        raise LoadCancelled(f"Loading {name} was cancelled.")
    return table


def head(table: Table, n_rows: int) -> Table:
    """A new Table of the first ``n_rows`` rows of ``table`` (same columns, kinds and attributes)."""
    n = min(n_rows, table.n_rows)
    names = table.numeric_column_names
    out = Table(path=table.path, column_names=table.column_names, numeric=table.to_array(names)[:n],
                numeric_names=names, text={c: table.text_column(c)[:n] for c in table.text_column_names},
                sha256=table.sha256, delimiter=table.delimiter, decimal=table.decimal, encoding=table.encoding,
                has_header=table.has_header, empty_numbers_as_text=False)  # NaN in the first rows only
    for attr in ("sheet", "sheet_names", "notes", "row_label_column", "header_row", "thousands",
                 "thousands_ambiguous", "other_decimal_columns", "spaced_one_column"):
        setattr(out, attr, getattr(table, attr, None))
    out._empty = set(table.empty_column_names)  # judged on every row read, not on the first n_rows
    return out


def preview(path, options: ImportOptions | None = None, n_rows: int = 20) -> Preview:
    """The first ``n_rows`` rows of ``path`` as :func:`load_with_options` will read them, for the import
    dialog. Never raises for a problem with the file or the options: the DataError's message is in
    ``Preview.error`` (with ``table`` None). Text files are previewed from their first 256 KB."""
    path = os.fspath(path)
    options = options or ImportOptions()
    name = _name(path)
    ext = os.path.splitext(path)[1].lower()
    if is_other_format(path):
        sheets: list[str] = []
        try:
            if ext in SPREADSHEET_EXTENSIONS:
                from .spreadsheet import sheet_names
                sheets = sheet_names(path)
            table = load_with_options(path, replace(options, sheet=options.sheet if options.sheet is not None
                                                    else (sheets[0] if sheets else None)))
        except DataError as exc:
            return Preview(None, options, [], error=str(exc), sheet_names=sheets)
        detected = replace(options, sheet=table.sheet, header_row=getattr(table, "header_row", None)
                           if options.header_row is None else options.header_row)
        return Preview(head(table, n_rows), detected, [], notes=list(table.notes or []), sheet_names=sheets)
    try:
        data = _read_bytes(path, _PREVIEW_BYTES)
    except DataError as exc:
        return Preview(None, options, [], error=str(exc))
    complete = len(data) < _PREVIEW_BYTES
    if not complete:
        data = data[:data.rfind(b"\n") + 1] or data
    enc = options.encoding
    if enc is None:
        enc = ("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else
               "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else _t._pick_encoding(data, complete))
    raw = data.decode(enc, errors="replace").lstrip("\ufeff")
    raw_lines = _lines(raw)[:max(50, options.skip_rows + n_rows + 10)]
    unsure: list[str] = []
    hints: dict = {}
    detected = replace(options, encoding=enc)
    if b"\x00" in data and not enc.startswith("utf-16"):
        return Preview(None, detected, [], error=f"{name}: this is not a text file; it holds binary data.")
    try:
        text, enc = _decode(data, enc, name)
        # enough lines for the header, the preview rows and some comment lines; the rest is not needed
        lines = _lines(text)[:options.skip_rows + 200 + 5 * n_rows]
        table = table_from_text("\n".join(lines), options, name=name, path=path, encoding=enc, unsure=unsure,
                                hints=hints)
    except DataError as exc:
        suggested = replace(options, **hints) if hints else None
        return Preview(None, detected, raw_lines, error=str(exc), unsure=unsure, suggested=suggested)
    detected = replace(options, encoding=enc, delimiter=table.delimiter, decimal=table.decimal,
                       header_row=table.header_row)
    return Preview(head(table, n_rows), detected, raw_lines, unsure=unsure,
                   notes=_th.spaced_notes(table) + _dm.notes(table),
                   suggested=replace(options, **hints) if hints else None)
