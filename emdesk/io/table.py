"""Reading CSV files: :func:`load_table` -> :class:`Table`.

How a file is read
------------------
1. The first chunk (at least 64 KB) is sniffed: encoding (UTF-8, with or without BOM, else Windows-1252,
   else Latin-1), binary content, delimiter (comma, semicolon, tab, pipe or runs of whitespace), decimal
   comma (European files), header row, and which columns hold numbers.
2. The file is then read in chunks of about 2 % of its size (so ``progress`` is called about fifty times),
   each chunk cut at a record boundary (a newline outside quotes). The bytes are hashed (SHA-256) as they
   are read, so the file is read once.
3. Each chunk of a clean numeric file goes through NumPy's C parser (``np.loadtxt``, C-implemented since
   NumPy 1.23); anything that parser refuses (quotes, missing-value tokens, text, a wrong field count)
   goes through the ``csv`` module and vectorised NumPy conversion, which also produces the precise error
   message. Numbers go straight into one preallocated float64 matrix, so peak memory stays near the size
   of the result.

Every problem with the file raises :class:`DataError` (a ``ValueError``) whose message names the file and,
where it applies, the line; a ``progress`` callback that returns ``False`` raises :class:`LoadCancelled`.
"""

from __future__ import annotations

import codecs
import csv
import gc
import hashlib
import io
import math
import operator
import os
import re
import warnings
from collections import Counter
from itertools import islice
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Sequence

import numpy as np

__all__ = ["DataError", "LoadCancelled", "Table", "load_table", "MISSING_TOKENS"]

#: Cell values (after stripping spaces) read as missing.
MISSING_TOKENS = frozenset({"", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "Null",
                            "None", "?", "-", "#N/A"})

SNIFF_BYTES = 64 * 1024
_MIN_CHUNK = 64 * 1024
_MAX_CHUNK = 8 * 1024 * 1024
_ROWS_PER_BATCH = 4096
_CANDIDATES = ("\t", ";", ",", "|", " ")  # order = preference when equally consistent; " " = runs of spaces
_DELIMITER_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma", "|": "pipe", " ": "spaces"}
_COMMA_DECIMAL = re.compile(r"^[-+]?(\d+,\d*|,\d+)([eE][-+]?\d+)?$")
_DOT_DECIMAL = re.compile(r"^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$")

csv.field_size_limit(64 * 1024 * 1024)


class DataError(ValueError):
    """A file cannot be read (or written); the message says why, naming the file and line."""


class LoadCancelled(Exception):
    """The ``progress`` callback asked to stop loading (returned ``False``). Not a :class:`DataError`."""


class _Restart(Exception):
    """Internal: the sniffed guess was wrong (a late text cell, a late encoding error, a late decimal
    comma); read again."""

    def __init__(self, *, text_columns=(), encoding=None, decimal=None):
        super().__init__()
        self.text_columns = set(text_columns)
        self.encoding = encoding
        self.decimal = decimal


class _CallbackError(Exception):
    """Internal: carries an exception raised by the caller's ``progress`` callback."""

    def __init__(self, original: BaseException):
        super().__init__()
        self.original = original


class Table:
    """A loaded CSV file: numeric columns as one float64 matrix, text columns as strings.

    ``row_label_column`` names a column that labels the rows rather than measuring anything (R's
    ``write.csv`` row names, a pandas index): it is held as text, so it is never among
    ``numeric_column_names`` (never offered for fitting) and ``to_array`` refuses it; ``row_labels`` gives
    its cells.
    """

    def __init__(self, *, path, column_names, numeric, numeric_names, text, sha256="", delimiter=",",
                 decimal=".", encoding="utf-8", has_header=True, row_label_column=None):
        self.path = os.fspath(path) if path is not None else None
        self._column_names = list(column_names)
        numeric = np.asarray(numeric, dtype=np.float64)
        if numeric.ndim != 2 or numeric.shape[1] != len(numeric_names):
            raise ValueError("numeric must be a (n_rows, len(numeric_names)) array")
        self._numeric = numeric
        self._numeric_index = {name: j for j, name in enumerate(numeric_names)}
        self._text = {name: list(values) for name, values in text.items()}
        known = set(self._numeric_index) | set(self._text)
        if set(self._column_names) != known or len(known) != len(self._column_names):
            raise ValueError("every column must be either numeric or text, named once")
        self.n_rows = int(numeric.shape[0])
        for name, values in self._text.items():
            if len(values) != self.n_rows:
                raise ValueError(f"text column {name!r} has {len(values)} rows, expected {self.n_rows}")
        self.sha256 = sha256
        self.delimiter = delimiter
        self.decimal = decimal
        self.encoding = encoding
        self.has_header = has_header
        if row_label_column is not None and row_label_column not in self._text:
            raise ValueError("row_label_column must name a text column")
        self.row_label_column = row_label_column

    # -- columns -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return os.path.basename(self.path) if self.path else "table"

    @property
    def column_names(self) -> list[str]:
        return list(self._column_names)

    @property
    def numeric_column_names(self) -> list[str]:
        return [n for n in self._column_names if n in self._numeric_index]

    @property
    def text_column_names(self) -> list[str]:
        return [n for n in self._column_names if n in self._text]

    @property
    def row_labels(self) -> list[str] | None:
        """The cells of the row-label column (see the class notes), or None when the file has none."""
        return None if self.row_label_column is None else list(self._text[self.row_label_column])

    @property
    def n_columns(self) -> int:
        return len(self._column_names)

    @property
    def missing_counts(self) -> dict[str, int]:
        counts = {}
        for name in self._column_names:
            if name in self._numeric_index:
                counts[name] = int(np.count_nonzero(np.isnan(self._numeric[:, self._numeric_index[name]])))
            else:
                counts[name] = sum(1 for v in self._text[name] if v.strip() in MISSING_TOKENS)
        return counts

    def _check_name(self, name) -> str:
        if not isinstance(name, str):
            raise DataError(f"Column names must be text, got {name!r}.")
        if name not in self._numeric_index and name not in self._text:
            raise DataError(f"{self.name} has no column {name!r}. Its columns are: "
                            f"{', '.join(self._column_names)}.")
        return name

    def to_array(self, names: Sequence[str] | None = None, start: int = 0, stop: int | None = None) -> np.ndarray:
        """A new float64 array ``(n_rows, len(names))`` with NaN where a cell is missing; with ``start``
        and ``stop``, only those rows (``start:stop``, for working in row blocks)."""
        if names is None:
            names = self.numeric_column_names
        if isinstance(names, str):
            names = [names]
        names = list(names)
        index = []
        for name in names:
            self._check_name(name)
            if name == self.row_label_column:
                labels = ", ".join(self._text[name][:3])
                raise DataError(f"Column {name!r} of {self.name} labels the rows ({labels}, ...); it is not a "
                                f"variable to fit. Choose among: {', '.join(self.numeric_column_names) or 'none'}.")
            if name in self._text:
                example = next((v for v in self._text[name] if v.strip() not in MISSING_TOKENS), None)
                if example is None:
                    raise DataError(f"Column {name!r} of {self.name} has no values (every cell is empty or "
                                    f"missing); choose columns with numbers: "
                                    f"{', '.join(self.numeric_column_names) or 'none'}.")
                raise DataError(f"Column {name!r} of {self.name} holds text (e.g. {example!r}), not numbers; "
                                f"choose numeric columns: {', '.join(self.numeric_column_names) or 'none'}.")
            index.append(self._numeric_index[name])
        rows = slice(start, stop)
        if not index:
            return np.empty((len(range(self.n_rows)[rows]), 0), dtype=np.float64)
        if index == list(range(self._numeric.shape[1])):
            return self._numeric[rows].copy()
        return np.ascontiguousarray(self._numeric[rows][:, index])

    def text_column(self, name: str) -> list[str]:
        """The cells of a column as strings (numbers formatted exactly, missing numbers as "")."""
        self._check_name(name)
        if name in self._text:
            return list(self._text[name])
        col = self._numeric[:, self._numeric_index[name]]
        return format_numbers(col)

    def _cells(self, name: str, start: int, stop: int) -> list[str]:
        """Rows ``start:stop`` of a column as strings (for writing CSV files in blocks)."""
        if name in self._text:
            return self._text[name][start:stop]
        return format_numbers(self._numeric[start:stop, self._numeric_index[name]])

    def is_numeric(self, name: str) -> bool:
        return self._check_name(name) in self._numeric_index

    def __repr__(self) -> str:
        return (f"<Table {self.name!r}: {self.n_rows} rows, {len(self._column_names)} columns "
                f"({len(self._numeric_index)} numeric), delimiter={self.delimiter!r}, "
                f"decimal={self.decimal!r}, encoding={self.encoding!r}>")


def nonfinite_part(column: str, count: int, where: str, cell: str) -> str:
    """One column's part of the message about infinite numbers (see :func:`nonfinite_sentence`)."""
    what = f"{cell!r}" if cell else "an infinite number"
    if cell and not re.fullmatch(r"[+-]?(inf|infinity)", cell.strip(), flags=re.IGNORECASE):
        what += " is beyond the largest number a double holds, about 1.8e308"
    more = f" and {count - 1:,} more cell{'s' if count > 2 else ''}" if count > 1 else ""
    return f"column {column!r}, {where} ({what}){more}"


def nonfinite_sentence(parts: list[str]) -> str:
    """Infinite numbers (inf, -inf, 1e309) cannot be fitted: the sentence naming each column's first one."""
    return (f"numbers that are not finite, which cannot be fitted: {'; '.join(parts)}. Correct these values or "
            f"clear the cells (an empty cell is read as missing), or read them as missing: add their text "
            f"(e.g. inf) to the missing-value tokens (in the window: File > Import with Options).")


def format_numbers(values: np.ndarray) -> list[str]:
    """:func:`format_number` of every value of a 1-D array, at C speed (``map(repr)``) with NumPy fix-ups."""
    values = np.asarray(values, dtype=np.float64).ravel()
    out = list(map(repr, values.tolist()))
    for i in np.flatnonzero(np.isnan(values)).tolist():
        out[i] = ""
    with np.errstate(invalid="ignore"):
        whole = np.flatnonzero((values == np.round(values)) & (np.abs(values) < 1e16))
    for i in whole.tolist():
        out[i] = out[i][:-2]  # "3.0" -> "3"
    return out


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float; NaN as an empty cell."""
    if value != value:  # NaN
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


# ---------------------------------------------------------------------------------------------------
# cell conversion


_MISSING_AS_NAN = {token: "nan" for token in MISSING_TOKENS}
_COMMA_TO_DOT = operator.methodcaller("replace", ",", ".")


def _to_float(values: Sequence[str], decimal: str) -> np.ndarray | None:
    """Numbers -> float64, missing tokens -> NaN; None when some cell is neither.

    ``map`` over C-level callables (dict.get, float) keeps this near C speed without building
    fixed-width string arrays."""
    n = len(values)
    if n == 0:
        return np.empty(0, dtype=np.float64)
    if "_" in "".join(values):  # float() reads "1_2" as 12; in a CSV file it is text (an identifier)
        return None
    if decimal == ",":
        values = list(map(_COMMA_TO_DOT, values))
    try:
        return np.fromiter(map(float, map(_MISSING_AS_NAN.get, values, values)), np.float64, count=n)
    except ValueError:
        pass
    stripped = [v.strip() for v in values]  # e.g. " NA " or a missing token padded with spaces
    try:
        return np.fromiter(map(float, map(_MISSING_AS_NAN.get, stripped, stripped)), np.float64, count=n)
    except ValueError:
        return None


def _is_number(cell: str, decimal: str) -> bool:
    cell = cell.strip()
    if cell in MISSING_TOKENS or "_" in cell:
        return False
    if decimal == ",":
        cell = cell.replace(",", ".")
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_missing(cell: str) -> bool:
    return cell.strip() in MISSING_TOKENS


# ---------------------------------------------------------------------------------------------------
# splitting text into records


def _split_spaces(line: str) -> list[str]:
    """The fields of a line separated by runs of spaces; double quotes group a value with spaces in it
    (as R's write.table writes strings): ``"p q" 3`` -> ``["p q", "3"]``."""
    if '"' not in line:
        return line.split()
    # csv splits on spaces only and refuses a line break in an unquoted value (a bare CR inside a line):
    # every character str.split() takes as white space is a space here, so both paths split alike.
    return next(csv.reader([line.translate(_WHITESPACE_TO_SPACE).strip()], delimiter=" ",
                           skipinitialspace=True), [])


_WHITESPACE_TO_SPACE = {i: " " for i in range(0x3001) if chr(i).isspace() and i != 0x20}


def _split_records(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    """(last physical line of the record, 1-based within ``text``; fields) for every record of ``text``."""
    if delimiter == " ":
        for i, line in enumerate(text.split("\n"), start=1):
            yield i, _split_spaces(line)
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    for row in reader:
        yield reader.line_num, row


def _open_quote(text: str, delimiter: str) -> int | None:
    """Index of the opening quote of a quoted field that is never closed (csv's rules), or None."""
    i = 0
    while True:
        q = text.find('"', i)
        if q < 0:
            return None
        if q > 0 and text[q - 1] not in (delimiter, "\n", "\r"):
            i = q + 1  # a quote inside an unquoted value is a literal character
            continue
        j = q + 1
        while True:
            c = text.find('"', j)
            if c < 0:
                return q
            if text.startswith('"', c + 1):
                j = c + 2  # a doubled quote inside the quoted value
                continue
            break
        i = c + 1


def _quoted_fields(buf: bytes, delimiter: bytes, start: int = 0):
    """(opening quote, index after the closing quote or None when unclosed) of each quoted field of
    ``buf[start:]`` (which starts at a record boundary), in order, by csv's rules: a quote opens a field only
    at its start (a quote inside an unquoted value, as in 5'11", is a literal character), and ``""`` inside
    a quoted field is one quote."""
    d = delimiter[0]
    i = start
    while True:
        q = buf.find(b'"', i)
        if q < 0:
            return
        if q > start and buf[q - 1] not in (d, 10, 13):
            i = q + 1  # a literal quote inside an unquoted value
            continue
        j = q + 1
        while True:
            c = buf.find(b'"', j)
            if c >= 0 and buf.startswith(b'"', c + 1):
                j = c + 2  # a doubled quote inside the quoted value
                continue
            break
        if c < 0:
            yield q, None
            return
        yield q, c + 1
        i = c + 1


def _record_cut(buf: bytes, delimiter: bytes) -> int:
    """Index of the last newline of ``buf`` (which starts at a record boundary) that ends a record (not
    inside a quoted field, see :func:`_quoted_fields`); -1 when there is none. Linear in ``len(buf)``."""
    cut = buf.rfind(b"\n")
    if cut < 0 or not buf.count(b'"', 0, cut) % 2:
        return cut  # balanced quotes before it (the usual case, at C speed): a record end
    for start, end in reversed(list(_quoted_fields(buf, delimiter))):
        if start > cut:
            continue
        if end is not None and end <= cut:
            break
        cut = buf.rfind(b"\n", 0, start)  # the newline is inside this quoted field: cut before it
        if cut < 0:
            break
    return cut


def _record_end(buf: bytes, delimiter: bytes, start: int) -> tuple[int, int | None]:
    """(index after the newline that ends the record starting at ``start``, or ``len(buf)`` if none does;
    the opening quote of a quoted field of the record that is never closed, or None)."""
    i = start
    for q, end in _quoted_fields(buf, delimiter, start):
        nl = buf.find(b"\n", i, q)
        if nl >= 0:
            return nl + 1, None
        if end is None:
            return len(buf), q
        i = end
    nl = buf.find(b"\n", i)
    return (len(buf) if nl < 0 else nl + 1), None


def _is_blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def _complete_records(text: str, delimiter: str) -> str:
    """``text`` without its last record when that record is cut inside a quoted value (a sample of the
    first lines may end inside a value with line breaks)."""
    if delimiter == " " or '"' not in text:
        return text
    q = _open_quote(text, delimiter)
    if q is None:
        return text
    complete = text[:text.rfind("\n", 0, q) + 1]
    return complete if complete.strip() else text


def _field_counts(text: str, delimiter: str) -> list[int]:
    """Fields per non-blank record of ``text`` split by ``delimiter``, quote-aware. For runs of spaces
    (split line by line) a line with an odd number of double quotes counts as 0 fields: a quoted value
    goes on over a line break there, which line-wise splitting cannot read."""
    if delimiter == " ":
        return [0 if line.count('"') % 2 else len(row) for line, row in
                ((line, _split_spaces(line)) for line in text.split("\n")) if not _is_blank(row)]
    return [len(row) for _, row in _split_records(_complete_records(text, delimiter), delimiter)
            if not _is_blank(row)]


def _sniff_delimiter(text: str) -> str:
    best = None
    for rank, cand in enumerate(_CANDIDATES):
        try:
            counts = _field_counts(text, cand)
        except csv.Error:
            continue
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        score = (round(freq / len(counts), 2), -rank)
        if best is None or score > best[0]:
            best = (score, cand)
    return best[1] if best else ","


_WHOLE_NUMBER = re.compile(r"^[-+]?\d+([eE][-+]?\d+)?$")


def _one_column_of_decimal_commas(text: str) -> bool:
    """Whether commas that look like separators are the decimal commas of a single column ("Wert",
    "1,5", "2", "-0,25": a 1-D data set from a European spreadsheet): every line after the first is one
    number or a missing value, some with a decimal comma, and either the first line has no comma (a
    header, or a whole number) or the lines do not all have a comma. Lines that all read ``a,b`` stay
    two columns."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < 2:
        return False
    first, rest = lines[0], lines[1:]
    if not any(_COMMA_DECIMAL.match(line) for line in rest):
        return False
    if not all(_COMMA_DECIMAL.match(line) or _WHOLE_NUMBER.match(line) or line in MISSING_TOKENS
               for line in rest):
        return False
    if "," not in first:
        return True
    return bool(_COMMA_DECIMAL.match(first)) and any("," not in line for line in rest)


def _sniff_decimal(rows: list[list[str]], delimiter: str) -> tuple[str, bool]:
    """(decimal mark, whether it is still open: no cell of the sample had a decimal mark at all, and a
    comma would not be the delimiter)."""
    if delimiter == ",":
        return ".", False
    comma = dot = 0
    for row in rows:
        for cell in row:
            cell = cell.strip()
            if _COMMA_DECIMAL.match(cell):
                comma += 1
            elif _DOT_DECIMAL.match(cell):
                dot += 1
    return ("," if comma > dot else "."), comma == dot == 0


def _detect_header(rows: list[list[str]], decimal: str) -> bool:
    first, rest = rows[0], rows[1:]
    first_kinds = ["missing" if _is_missing(c) else "number" if _is_number(c, decimal) else "text"
                   for c in first]
    if all(k == "text" for k in first_kinds):
        return True
    for j, kind in enumerate(first_kinds):
        if kind != "text":
            continue
        if _numeric_column(rest, j, decimal):
            return True
    return False


def _numeric_column(rows: list[list[str]], j: int, decimal: str) -> bool:
    """Whether the cells of column ``j`` are numbers or missing, with at least one number."""
    values = _to_float([r[j] for r in rows if j < len(r)], decimal)
    return values is not None and not np.isnan(values).all()


def _first_lines(text: str, n: int) -> str:
    end = -1
    for _ in range(n):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[:end + 1]


def _comment_preamble(first: bytes, cut: int) -> tuple[int, bytes]:
    """(bytes of the leading lines that start with '#', the last such line without its '#')."""
    pos, last = 0, b""
    while pos < cut:
        end = first.find(b"\n", pos, cut)
        if end < 0:
            break
        line = first[pos:end].strip()
        if not line.startswith(b"#"):
            break
        last = line.lstrip(b"#").strip()
        pos = end + 1
    return pos, last


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``, ... if taken; the result is added to ``taken``."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def _unique_names(raw: list[str]) -> list[str]:
    seen: set[str] = set()
    return [unique_name(c.strip() or f"col{j + 1}", seen) for j, c in enumerate(raw)]


_MIN_ROWS_NUMBERED = 10


def _row_label_column(names: list[str], header_row: list[str] | None, numeric: np.ndarray,
                      numeric_names: list[str], text: dict[str, list[str]]) -> str | None:
    """The first column's name when it labels the rows rather than measuring anything, else None.

    Either its header name is empty and its cells are present and distinct (R's ``write.csv`` writes
    ``""`` above the row names, pandas' ``to_csv`` nothing above the index), or it holds exactly 1, 2, ...,
    n in order (row numbers) in a file of at least ``_MIN_ROWS_NUMBERED`` rows while another numeric column is
    left to fit (in a file of a few rows, 1, 2, 3 is as likely a variable, e.g. a dose level)."""
    if len(names) < 2:
        return None
    first = names[0]
    unnamed = header_row is not None and not header_row[0].strip()
    if first in text:
        cells = [c.strip() for c in text[first]]
        if unnamed and all(c not in MISSING_TOKENS for c in cells) and len(set(cells)) == len(cells):
            return first
        return None
    values = numeric[:, numeric_names.index(first)]
    n = values.shape[0]
    if unnamed and not np.isnan(values).any() and np.unique(values).size == n:
        return first
    if n >= _MIN_ROWS_NUMBERED and len(numeric_names) >= 2 and np.array_equal(values, np.arange(1, n + 1)):
        return first
    return None


# ---------------------------------------------------------------------------------------------------
# the reader


def _pick_encoding(sample: bytes, complete: bool) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _looks_binary(sample: bytes) -> str | None:
    magic = {b"PK\x03\x04": "a ZIP archive (an Excel .xlsx or OpenDocument file?)",
             b"\xd0\xcf\x11\xe0": "an old Excel (.xls) workbook", b"%PDF": "a PDF document",
             b"\x89PNG": "a PNG image", b"\x1f\x8b": "a gzip archive", b"\xff\xd8\xff": "a JPEG image"}
    for prefix, what in magic.items():
        if sample.startswith(prefix):
            return what
    if b"\x00" in sample:
        return "binary data"
    controls = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if sample and controls > 0.05 * len(sample):
        return "binary data"
    return None


# NumPy's C text reader (np.loadtxt's core, NumPy >= 1.23). Called directly it reads a text stream in
# blocks ("filelike") rather than line by line as np.loadtxt does for a stream object: ~20 % faster on a
# clean 1M-row file. It is private, so any surprise (missing, another signature) falls back to np.loadtxt.
try:
    from numpy._core._multiarray_umath import _load_from_filelike as _np_reader
except ImportError:  # NumPy 1.x
    try:
        from numpy.core._multiarray_umath import _load_from_filelike as _np_reader
    except ImportError:
        _np_reader = None


class _OneRead:
    """A file whose first ``read`` returns all of ``data`` (no copies into a StringIO buffer)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def read(self, size: int = -1) -> bytes:
        data, self.data = self.data, b""
        return data


def _numpy_parse(piece: bytes, delimiter: str | None) -> np.ndarray:
    """float64 (rows, fields) of ``piece`` (complete lines; numbers are ASCII, so Latin-1 is exact)."""
    global _np_reader
    if _np_reader is not None:
        try:
            return _np_reader(_OneRead(piece), delimiter=delimiter, comment=None, quote=None,
                              imaginary_unit="j", usecols=None, skiplines=0, max_rows=-1, converters=None,
                              dtype=np.dtype(np.float64), encoding="latin-1", filelike=True, byte_converters=False)
        except TypeError:
            _np_reader = None  # another NumPy's signature: use the public function from now on
    return np.loadtxt(io.BytesIO(piece), delimiter=delimiter, comments=None, ndmin=2, dtype=np.float64,
                      encoding="latin-1")


def _try_numpy_parse(piece: bytes, delimiter: str | None) -> np.ndarray | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data" for a piece of blank lines
            return _numpy_parse(piece, delimiter)
    except Exception:
        return None


# Missing-value tokens rewritten as "nan" before NumPy's parser sees a piece of an all-numeric file. In
# such a file these bytes can only be whole cells or part of a cell that is not a number at all (which
# NumPy then refuses, and the careful path decides), so the result equals the careful path's. Each group is
# looked for by a byte that no number contains (a one-byte search runs at memchr speed).
_TOKEN_REWRITES = ((b"A", (b"#N/A", b"N/A", b"NA")), (b"/", (b"n/a",)), (b"L", (b"NULL",)), (b"l", (b"null",)),
                   (b"o", (b"None",)), (b"?", (b"?",)))


def _spell_missing_as_nan(piece: bytes, d: bytes) -> bytes:
    for probe, tokens in _TOKEN_REWRITES:
        if probe in piece:
            for token in tokens:
                piece = piece.replace(token, b"nan")
    # Empty cells (vectorised): a separator right after a line start or another separator, and a line
    # ending right after a separator. Blank lines are left alone (NumPy skips them).
    u = np.frombuffer(piece, dtype=np.uint8)
    if u.size == 0:
        return piece
    is_d = u == d[0]
    after_start = np.empty(u.size, dtype=bool)
    after_start[0] = True
    after_start[1:] = is_d[:-1] | (u[:-1] == 10)
    ends = (u == 10) | (u == 13)
    after_d = np.empty(u.size, dtype=bool)
    after_d[0] = False
    after_d[1:] = is_d[:-1]
    where = np.flatnonzero((is_d & after_start) | (ends & after_d))
    tail = piece.endswith(d)
    if where.size == 0 and not tail:
        return piece
    out = np.insert(u, np.repeat(where, 3), np.tile(np.frombuffer(b"nan", dtype=np.uint8), where.size))
    return out.tobytes() + (b"nan" if tail else b"")


class _Hasher:
    """SHA-256 of the bytes as they are read; on big files in a helper thread (hashlib releases the GIL),
    overlapping the parsing."""

    def __init__(self, threaded: bool):
        self._sha = hashlib.sha256()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="emdesk-sha256") if threaded else None
        self._pending = []

    def update(self, data: bytes) -> None:
        if self._pool is None:
            self._sha.update(data)
        else:  # one worker: updates run in order
            self._pending.append(self._pool.submit(self._sha.update, data))
            if len(self._pending) > 4:
                self._pending.pop(0).result()

    def hexdigest(self) -> str:
        for future in self._pending:
            future.result()
        self._pending = []
        return self._sha.hexdigest()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


class _Reader:
    def __init__(self, path, progress, text_columns=(), encoding=None, decimal=None):
        self.path = path
        self.name = os.path.basename(path) or path
        self.progress = progress
        self.forced_text = set(text_columns)
        self.forced_encoding = encoding
        self.forced_decimal = decimal

    def err(self, message: str, line: int | None = None) -> DataError:
        where = f"{self.name}, line {line}" if line is not None else self.name
        if message.startswith("column "):
            column, _, message = message.partition(": ")
            where = f"{where}, {column}"
        return DataError(f"{where}: {message}")

    # -- main loop -------------------------------------------------------------------------------
    def read(self) -> Table:
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:
            raise DataError(f"{self.name}: no such file ({self.path}). Check the name and folder.") from None
        except IsADirectoryError:
            raise DataError(f"{self.name}: this is a folder, not a CSV file.") from None
        except PermissionError:
            raise DataError(f"{self.name}: permission denied; you are not allowed to read this file.") from None
        except OSError as exc:
            raise DataError(f"{self.name}: cannot open the file ({exc.strerror or exc}).") from None
        with handle:
            try:
                size = os.fstat(handle.fileno()).st_size
                if os.path.isdir(self.path):
                    raise DataError(f"{self.name}: this is a folder, not a CSV file.")
                return self._read(handle, size)
            except OSError as exc:
                raise DataError(f"{self.name}: reading failed ({exc.strerror or exc}).") from None

    def _report(self, done: int, size: int) -> None:
        if self.progress is None:
            return
        fraction = 1.0 if size <= 0 else min(1.0, done / size)
        try:
            answer = self.progress(fraction)
        except BaseException as exc:  # the caller's own exception: passed through untouched
            raise _CallbackError(exc) from None
        if answer is False:
            raise LoadCancelled(f"Loading {self.name} was cancelled.")

    def _read(self, handle, size: int) -> Table:
        hasher = _Hasher(threaded=size > 4 * 1024 * 1024)
        try:
            return self._read_chunks(handle, size, hasher)
        finally:
            hasher.close()

    def _read_chunks(self, handle, size: int, hasher: "_Hasher") -> Table:
        chunk_size = max(_MIN_CHUNK, min(_MAX_CHUNK, size // 50 + 1))
        self._report(0, size)

        # -- the first chunk: sniff ------------------------------------------------------------
        first = handle.read(max(SNIFF_BYTES, chunk_size))
        hasher.update(first)
        done = len(first)
        eof = len(first) < max(SNIFF_BYTES, chunk_size)
        if not eof:
            self._report(done, size)
        if not first.strip():
            raise self.err("the file is empty. Choose a CSV file with a header row and data rows.")
        if first.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise self.err("the file is saved as UTF-16 text. Save it as CSV (UTF-8) and open it again.")
        bom = first.startswith(codecs.BOM_UTF8)
        if bom:
            first = first[len(codecs.BOM_UTF8):]
        # Classic Mac line ends (CR only): read CR as a line end.
        self.cr_only = b"\r" in first and b"\n" not in first
        if self.cr_only:
            first = first.replace(b"\r", b"\n")
        what = _looks_binary(first[:SNIFF_BYTES])
        if what:
            raise self.err(f"this is not a text CSV file; it looks like {what}. "
                           f"Export the data as CSV (comma- or semicolon-separated text) first.")
        cut = len(first) if eof else first.rfind(b"\n", 0, SNIFF_BYTES) + 1 or len(first)
        encoding = self.forced_encoding or _pick_encoding(first[:cut], complete=eof and cut == len(first))
        # Leading comment lines ("# instrument ...", or np.savetxt's "# a,b,c" header) are skipped.
        preamble, comment = _comment_preamble(first, cut)
        sample = first[preamble:cut].decode(encoding, errors="replace")
        first_lines = _first_lines(sample, 100)
        delimiter = _sniff_delimiter(first_lines)
        if delimiter == "," and _one_column_of_decimal_commas(first_lines):
            delimiter = ";"  # not in the file: each line is one field, and "1,5" reads as 1.5
        try:
            if delimiter == " ":
                rows = [row for row in map(_split_spaces, sample.split("\n")) if row]
            else:
                rows = [row for row in csv.reader(io.StringIO(sample if eof else _complete_records(sample, delimiter),
                                                              newline=""), delimiter=delimiter)
                        if row and not _is_blank(row)]
        except csv.Error as exc:
            raise self.err(f"cannot split the first lines into fields ({exc}).") from None
        if not rows:
            raise self.err("the file holds no data, only blank or comment lines. Choose a CSV file with data rows.")
        decimal, self.decimal_open = _sniff_decimal(rows, delimiter)
        if self.forced_decimal:
            decimal, self.decimal_open = self.forced_decimal, False
        has_header = _detect_header(rows, decimal)

        self.encoding, self.delimiter, self.decimal = encoding, delimiter, decimal
        # -- header ----------------------------------------------------------------------------
        buf = first[preamble:]
        line_offset = first.count(b"\n", 0, preamble)
        header_row = None
        if not has_header and comment:
            # The last comment line names the columns when it splits like the data and holds only text.
            try:
                fields = [r for _, r in _split_records(comment.decode(encoding, errors="replace"), delimiter)]
            except csv.Error:  # a comment that does not split into fields names no columns
                fields = []
            if (len(fields) == 1 and len(fields[0]) == Counter(len(r) for r in rows).most_common(1)[0][0]
                    and all(not _is_missing(c) and not _is_number(c, decimal) for c in fields[0])):
                header_row = fields[0]
        if has_header:
            header_bytes, header_lines, header_row = self._take_header(buf)
            buf = buf[header_bytes:]
            line_offset += header_lines
            widths = Counter(len(r) for r in rows[1:])
            if (len(widths) == 1 and next(iter(widths)) == len(header_row) + 1
                    and any(r[-1].strip() for r in rows[1:])):  # (not a trailing separator on every row)
                header_row = [""] + header_row  # R's write.table: no header field above the row names
            while len(header_row) > 1 and not header_row[-1].strip() and widths and max(widths) < len(header_row):
                header_row = header_row[:-1]  # a trailing separator after the header's last name only
        n_cols = len(header_row) if header_row is not None else Counter(len(r) for r in rows).most_common(1)[0][0]
        if header_row is not None:
            names = _unique_names(header_row)
        else:
            names = [f"col{j + 1}" for j in range(n_cols)]
        self.names = names
        self.header_row = header_row
        self.names_from_file = header_row is not None
        self.n_cols = n_cols
        self.header_lines = line_offset

        # column kinds from the sample's data rows (all-missing columns stay undecided = text for now)
        data_rows = rows[1:] if has_header else rows  # (a header from a comment line is not in ``rows``)
        self.numeric_cols = []
        for j in range(n_cols):
            if names[j] not in self.forced_text and _numeric_column(data_rows, j, decimal):
                self.numeric_cols.append(j)
        self.text_cols = [j for j in range(n_cols) if j not in self.numeric_cols]
        self._num_pos = {j: p for p, j in enumerate(self.numeric_cols)}

        # output buffers: numbers preallocated from the bytes per line seen in the sample
        lines_in_sample = max(1, sample.count("\n"))
        est_rows = int(size / max(1, cut) * lines_in_sample * 1.05) + 16
        self.out = np.empty((est_rows, len(self.numeric_cols)), dtype=np.float64)
        self.texts = [[] for _ in self.text_cols]
        self.n = 0
        self.pieces: list[tuple[int, int]] = []  # (first row, byte offset) of every piece: lines for errors
        self.has_inf = False                      # an infinite number (inf, -inf, 1e309) was read

        # -- the chunks ------------------------------------------------------------------------
        quote_aware = delimiter != " "
        # Byte offset of ``buf`` in the file as read (after the BOM); line numbers are counted from it only
        # when an error message needs one (counting every piece would cost ~5 % of a clean load).
        self.bom_bytes = len(codecs.BOM_UTF8) if bom else 0
        self.body_offset = len(first) - len(buf)
        offset = self.body_offset
        while True:
            if not eof:
                more = handle.read(chunk_size)
                if more:
                    hasher.update(more)
                    done += len(more)
                    buf += more.replace(b"\r", b"\n") if self.cr_only else more
                eof = not more
            if eof:
                piece, buf = buf, b""
            else:
                cut = _record_cut(buf, delimiter.encode("latin-1")) if quote_aware else buf.rfind(b"\n")
                if cut < 0:
                    continue
                piece, buf = buf[:cut + 1], buf[cut + 1:]
            if piece:
                self._parse_piece(piece, offset)
                offset += len(piece)
            self._report(done, size)
            if eof:
                break

        # -- finish ----------------------------------------------------------------------------
        if self.n == 0:
            if has_header:
                raise self.err(f"the file has a header row ({', '.join(names)}) but no data rows.")
            raise self.err("the file has no data rows.")
        out = self.out
        if out.shape[0] != self.n:
            if out.shape[0] > 2 * self.n + 1024:
                out = out[: self.n].copy()
            else:
                out.resize((self.n, out.shape[1]), refcheck=False)
        numeric_names = [names[j] for j in self.numeric_cols]
        text = {names[j]: col for j, col in zip(self.text_cols, self.texts)}
        # A column that was all missing in the sample but holds numbers further down is numeric.
        late = []
        for j in self.text_cols:
            if names[j] in self.forced_text:
                continue
            first = next((v for v in text[names[j]] if not _is_missing(v)), None)
            if first is None or not _is_number(first, decimal):
                continue
            values = _to_float(text[names[j]], decimal)
            if values is not None and not np.isnan(values).all():
                late.append((j, values))
                self.has_inf = self.has_inf or bool(np.isinf(values).any())
        if late:
            for j, values in late:
                del text[names[j]]
            cols = {j: out[:, p] for p, j in enumerate(self.numeric_cols)}
            cols.update(dict(late))
            order = sorted(cols)
            out = np.column_stack([cols[j] for j in order]) if order else out
            numeric_names = [names[j] for j in order]
        # Rows that all end with a separator (1,2, / 3,4,), with no header or with a header that ends with
        # one too (a,b, / 1,2,): the empty field after the last separator is not a column. A column the
        # header names stays, even when empty (see _tidy).
        def unnamed(j):
            hdr = self.header_row
            return not self.names_from_file or (hdr is not None and j < len(hdr) and not hdr[j].strip())

        while (len(names) > 1 and unnamed(len(names) - 1) and names[-1] in text
               and names[-1] not in self.forced_text and all(not v.strip() for v in text[names[-1]])):
            del text[names[-1]]
            names = names[:-1]
        if self.has_inf:
            raise self._nonfinite_error(out, numeric_names)
        label = _row_label_column(names, self.header_row, out, numeric_names, text)
        if label is not None and label in numeric_names:  # held as text from now on
            p = numeric_names.index(label)
            text[label] = format_numbers(out[:, p])
            out = np.delete(out, p, axis=1)
            numeric_names = numeric_names[:p] + numeric_names[p + 1:]
        return Table(path=self.path, column_names=names, numeric=out, numeric_names=numeric_names, text=text,
                     sha256=hasher.hexdigest(), delimiter=delimiter, decimal=decimal,
                     encoding=("utf-8-sig" if bom and encoding == "utf-8" else encoding),
                     has_header=self.names_from_file, row_label_column=label)

    def _take_header(self, buf: bytes) -> tuple[int, int, list[str]]:
        """(bytes, physical lines, fields) of the header record at the start of ``buf``."""
        pos = 0
        lines = 0
        while True:
            end = buf.find(b"\n", pos)
            if end < 0:
                end = len(buf) - 1
            segment = buf[pos:end + 1]
            lines += 1
            pos = end + 1
            text = segment.decode(self.encoding, errors="replace")
            try:
                records = [r for _, r in _split_records(text, self.delimiter)] if text.strip() else []
            except csv.Error as exc:
                raise self.err(f"cannot split the header into fields ({exc}).", lines) from None
            if records and not _is_blank(records[0]):
                if self.delimiter != " ":  # a quoted header name may hold line breaks: to its record end
                    end, unclosed = _record_end(buf, self.delimiter.encode("latin-1"), pos - len(segment))
                    if unclosed is not None:
                        column = unclosed - (pos - len(segment)) + 1
                        raise self.err(f"column {column}: a quoted name in the header starts here but its "
                                       f"closing double quote is missing. Close the quote.", lines)
                    lines += buf.count(b"\n", pos, end)
                    pos = max(pos, end)
                text = buf[:pos].decode(self.encoding, errors="replace")
                try:
                    rows = [r for _, r in _split_records(text, self.delimiter) if not _is_blank(r)]
                except csv.Error as exc:
                    raise self.err(f"cannot split the header into fields ({exc}).", lines) from None
                return pos, lines, (rows[0] if rows else records[0])
            if pos >= len(buf):
                raise self.err("no header row found.")

    # -- one piece of complete records ------------------------------------------------------------
    def _grow(self, needed: int) -> None:
        if needed > self.out.shape[0]:
            new = np.empty((max(needed, int(self.out.shape[0] * 1.5) + 1024), self.out.shape[1]))
            new[: self.n] = self.out[: self.n]
            self.out = new

    def _row_cell(self, row: int, column: str) -> tuple[int, str]:
        """(line number, cell text) of data row ``row`` (0-based) in ``column`` (the error path only)."""
        k = max(i for i, (first, _) in enumerate(self.pieces) if first <= row)
        first, offset = self.pieces[k]
        end = self.pieces[k + 1][1] if k + 1 < len(self.pieces) else None
        with open(self.path, "rb") as handle:
            handle.seek(self.bom_bytes + offset)
            data = handle.read() if end is None else handle.read(end - offset)
        if self.cr_only:
            data = data.replace(b"\r", b"\n")
        text = data.decode(self.encoding, errors="replace")
        j = self.names.index(column)
        left = row - first
        for line, fields in _split_records(text, self.delimiter):
            if _is_blank(fields):
                continue
            if left == 0:
                return self._lines_before(offset) + line, (fields[j].strip() if j < len(fields) else "")
            left -= 1
        return self._lines_before(offset) + 1, ""

    def _nonfinite_error(self, out: np.ndarray, numeric_names: list[str]) -> DataError:
        """The DataError for infinite numbers (inf, -inf, or a number beyond a double's range such as 1e309),
        per column: how many cells and the first one's line and text."""
        parts = []
        for p, name in enumerate(numeric_names):
            where = np.flatnonzero(np.isinf(out[:, p]))
            if where.size == 0:
                continue
            line, cell = self._row_cell(int(where[0]), name)
            parts.append(nonfinite_part(name, int(where.size), f"line {line}", cell))
        return DataError(f"{self.name}: {nonfinite_sentence(parts)}")

    def _lines_before(self, offset: int) -> int:
        """Physical lines before byte ``offset`` of the file as read (the error path only: reads again)."""
        newline = b"\r" if self.cr_only else b"\n"
        count = 0
        with open(self.path, "rb") as handle:
            handle.seek(self.bom_bytes)
            left = offset
            while left > 0:
                block = handle.read(min(left, 1 << 20))
                if not block:
                    break
                count += block.count(newline)
                left -= len(block)
        return count

    def _parse_piece(self, piece: bytes, offset: int) -> None:
        self.pieces.append((self.n, offset))
        nul = piece.find(b"\x00")
        if nul >= 0:
            raise self.err("the file contains binary data (a NUL byte); it is not a text CSV file.",
                           self._lines_before(offset + nul) + 1)
        if not self.text_cols and b'"' not in piece and self._fast(piece):
            return
        try:
            text = piece.decode(self.encoding)
        except UnicodeDecodeError:
            raise _Restart(text_columns=self.forced_text,
                           encoding="cp1252" if self.encoding == "utf-8" else "latin-1") from None
        self._slow(text, offset)

    def _fast(self, piece: bytes) -> bool:
        """NumPy's C parser on a piece of a clean numeric file; False when it refuses the piece."""
        if self.decimal == ",":
            piece = piece.replace(b",", b".")
        delimiter = None if self.delimiter == " " else self.delimiter
        block = _try_numpy_parse(piece, delimiter)
        if block is None and delimiter is not None:
            # Missing values (empty cells, NA, null, ...) are the usual reason: spell them "nan" and retry.
            patched = _spell_missing_as_nan(piece, delimiter.encode("latin-1"))
            if patched != piece:
                block = _try_numpy_parse(patched, delimiter)
        if block is None:  # anything NumPy's fast parser refuses is read by the careful path
            return False
        if block.size == 0:
            return True  # blank lines only
        if block.ndim != 2:
            return False
        if block.shape[1] != self.n_cols:
            return False
        self._grow(self.n + block.shape[0])
        self.out[self.n:self.n + block.shape[0]] = block
        if not self.has_inf and np.isinf(block).any():
            self.has_inf = True
        self.n += block.shape[0]
        return True

    def _slow(self, text: str, offset: int) -> None:
        """The careful path: the csv module (or whitespace splitting), then vectorised conversion, in
        batches of rows so the working set stays in cache."""
        if self.delimiter == " ":
            source = map(_split_spaces, text.split("\n"))
        else:
            source = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, quotechar='"',
                                doublequote=True)
        n_cols = self.n_cols
        unclosed = self._unclosed_quote(text, offset)
        if unclosed is not None:
            raise unclosed
        try:
            while True:
                rows = list(islice(source, _ROWS_PER_BATCH))
                if not rows:
                    return
                if set(map(len, rows)) != {n_cols}:
                    rows = self._tidy(rows, text, offset)
                if rows:
                    self._add_rows(rows)
        except csv.Error:
            self._records(text, offset)  # raises the error with its line number
            raise self.err("cannot split the file into fields.") from None

    def _tidy(self, rows: list[list[str]], text: str, offset: int) -> list[list[str]]:
        """Drop blank rows and trailing empty fields; any other wrong field count is an error."""
        n_cols = self.n_cols
        tidy = []
        for row in rows:
            if len(row) == n_cols:
                tidy.append(row)
            elif _is_blank(row):
                continue
            elif len(row) > n_cols and not any(c.strip() for c in row[n_cols:]):
                tidy.append(row[:n_cols])
            else:
                self._records(text, offset)  # raises the error with its line number
                raise self._field_count_error(len(row), None)
        return tidy

    def _add_rows(self, rows: list[list[str]]) -> None:
        columns = list(zip(*rows))
        m = len(rows)
        values = {}
        failed = set()
        for j in self.numeric_cols:
            converted = _to_float(columns[j], self.decimal)
            if converted is None:
                failed.add(self.names[j])
            values[j] = converted
        if failed:
            if self.decimal_open and any(_to_float(columns[j], ",") is not None for j in self.numeric_cols
                                         if self.names[j] in failed):
                # whole numbers only in the sample, then a decimal comma (e.g. 72,5): read again with ","
                raise _Restart(text_columns=self.forced_text, encoding=self.encoding, decimal=",")
            raise _Restart(text_columns=self.forced_text | failed, encoding=self.encoding)
        self._grow(self.n + m)
        for j, converted in values.items():
            self.out[self.n:self.n + m, self._num_pos[j]] = converted
            if not self.has_inf and np.isinf(converted).any():
                self.has_inf = True
        for k, j in enumerate(self.text_cols):
            self.texts[k].extend(columns[j])
        self.n += m

    def _records(self, text: str, offset: int) -> list[list[str]]:
        """Record by record, with line numbers for the error messages."""
        n_cols = self.n_cols
        rows = []
        last_line = 0
        try:
            for line, row in _split_records(text, self.delimiter):
                if _is_blank(row):
                    continue
                if len(row) != n_cols:
                    # Tolerate trailing empty fields (a habit of spreadsheet exports).
                    if len(row) > n_cols and not any(c.strip() for c in row[n_cols:]):
                        row = row[:n_cols]
                    else:
                        raise self._field_count_error(len(row), self._lines_before(offset) + line)
                rows.append(row)
                last_line = line
        except csv.Error as exc:
            raise self.err(f"cannot split the line into fields ({exc}).",
                           self._lines_before(offset) + last_line + 1) from None
        return rows

    def _unclosed_quote(self, text: str, offset: int) -> DataError | None:
        """The error at a quoted value whose closing quote is missing (it swallows the rest of ``text``)."""
        if self.delimiter == " " or text.count('"') % 2 == 0:
            return None
        try:
            for _ in csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, strict=True):
                pass
            return None
        except csv.Error as exc:
            if "end of data" not in str(exc):
                return None
        q = _open_quote(text, self.delimiter)
        if q is None:
            return None
        line = self._lines_before(offset) + text.count("\n", 0, q) + 1
        column = q - text.rfind("\n", 0, q)
        return self.err(f"column {column}: a quoted value starts here but its closing double quote is missing. "
                        f"Close the quote, or double a quote that belongs inside a value (\"\").", line)

    def _field_count_error(self, found: int, line: int) -> DataError:
        d = _DELIMITER_NAMES[self.delimiter]
        source = "as in the header" if self.names_from_file else "as in the first line"
        if self.delimiter == " ":  # runs of spaces are one separator: no empty field, no quoting
            hint = ("Is there a space inside a value? Join or remove it." if found > self.n_cols else
                    "Is a value missing? Write NA in its place (runs of spaces count as one separator).")
        else:
            hint = (f"Is there an unquoted {d} inside a value? Put such values in double quotes."
                    if found > self.n_cols else
                    f"Is a value missing? Leave it empty between two {d}s rather than dropping the separator.")
        return self.err(f"expected {self.n_cols} fields ({source}) but found {found}. {hint}", line)


def load_table(path, progress: Callable[[float], bool | None] | None = None) -> Table:
    """Read a CSV file into a :class:`Table`.

    ``progress(fraction)`` is called with the fraction of bytes read (0.0 ... 1.0) about every 2 % of the
    file; returning ``False`` stops the load with :class:`LoadCancelled`.
    Raises :class:`DataError` for anything wrong with the file.
    """
    path = os.fspath(path)
    name = os.path.basename(path) or path
    if os.path.splitext(path)[1].lower() in (".xlsx", ".xlsm", ".xls", ".ods", ".parquet", ".feather"):
        from .spreadsheet import is_other_format, load_other  # spreadsheets, Parquet, Feather

        if is_other_format(path):  # (by extension and first bytes; a CSV file named .xls is read below)
            return load_other(path, progress)
    # Millions of short-lived rows would trigger the cyclic garbage collector again and again (it then
    # walks every tracked object each time); nothing here makes reference cycles, so pause it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_table(path, progress, name)
    finally:
        if collecting:
            gc.enable()


class _Monotonic:
    """The caller's progress callback, never given a smaller fraction than before: when the reader starts
    again (a late text cell, encoding or decimal comma), the bar holds until the new pass passes it; the
    callback is still called (so Cancel works during the new pass)."""

    def __init__(self, progress):
        self.progress = progress
        self.high = 0.0

    def __call__(self, fraction: float):
        self.high = max(self.high, fraction)
        return self.progress(self.high)


def _load_table(path: str, progress, name: str) -> Table:
    if progress is not None:
        progress = _Monotonic(progress)
    text_columns: set[str] = set()
    encoding = decimal = None
    for _attempt in range(1000):
        try:
            return _Reader(path, progress, text_columns, encoding, decimal).read()
        except _Restart as restart:
            new_decimal = restart.decimal or decimal
            if restart.text_columns <= text_columns and restart.encoding == encoding and new_decimal == decimal:
                break
            text_columns, encoding, decimal = restart.text_columns, restart.encoding, new_decimal
        except _CallbackError as wrapped:
            raise wrapped.original from None
        except (DataError, LoadCancelled, MemoryError):
            raise
        except Exception as exc:  # a safety net: whatever the bytes, the caller gets a DataError
            raise DataError(f"{name}: unexpected problem while reading ({type(exc).__name__}: {exc}). "
                            f"Please report it with the file.") from exc
    raise DataError(f"{name}: the file's format could not be determined.")
