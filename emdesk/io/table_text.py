"""Cells and records of a text file, for :mod:`emdesk.io.table_reader` and the import preview
(``import_options``): numbers with a decimal point or comma, missing-value tokens, records split by a
delimiter (quotes, runs of spaces), and the sniffing of encoding, binary content, delimiter, decimal mark,
header row and row-label column. No I/O here: every function looks at text or bytes it is given.
"""

from __future__ import annotations

import codecs
import csv
import io
import operator
import re
from collections import Counter
from typing import Iterable, Sequence

import numpy as np

from .table import MISSING_TOKENS, unique_name
from .thousands import GROUPED, ONE_GROUP, could_be_grouped, read_column

SNIFF_BYTES = 64 * 1024  # the first bytes sniffed (encoding, delimiter, decimal mark, header, numeric columns)
_CANDIDATES = ("\t", ";", ",", "|", " ")  # order = preference when equally consistent; " " = runs of spaces
_DELIMITER_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma", "|": "pipe", " ": "spaces"}
_COMMA_DECIMAL = re.compile(r"^[-+]?(\d+,\d*|,\d+)([eE][-+]?\d+)?$")
_DOT_DECIMAL = re.compile(r"^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$")
_ONE_GROUP_DOT, _GROUPED_DOT, _GROUPED_COMMA = ONE_GROUP["."].fullmatch, GROUPED[".", ","].fullmatch, GROUPED[",", "."].fullmatch
# 1 234,5 / 1'234.5: spaces or apostrophes group thousands, and the mark after the groups is the decimal mark
_SPACED = {d: (GROUPED[" ", d].fullmatch, GROUPED["'", d].fullmatch) for d in ".,"}

csv.field_size_limit(64 * 1024 * 1024)


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


def _unquoted(line: str) -> str:
    """A line that is one double-quoted field, without its quotes and the spaces inside them; else the line."""
    if len(line) >= 2 and line[0] == line[-1] == '"' and '"' not in line[1:-1]:
        return line[1:-1].strip()
    return line


def _one_column_of_decimal_commas(text: str) -> bool:
    """Whether commas that look like separators are the decimal commas of a single column ("Wert",
    "1,5", "2", "-0,25": a 1-D data set from a European spreadsheet): every line after the first is one
    number (``1 234,5`` and ``1.234,5`` too) or a missing value, some with a decimal comma, and either
    the first line has no comma (a header, or a whole number) or the lines do not all have a comma.
    Lines that all read ``a,b`` stay two columns. A line in double quotes is its text (R's write.csv2
    quotes a column formatted as text: "3,141 416")."""
    lines = [_unquoted(line.strip()) for line in text.split("\n") if line.strip()]
    if len(lines) < 2:
        return False
    first, rest = lines[0], lines[1:]

    # 1 234,5, 1'234,5 or 1.234,5 (French, Swiss, German): one number, its comma the decimal mark; a German
    # column "Wert" / 1.234,5 / -12.345,50 was read as row labels 1.234, -12.345 and the values 5 and 50
    def grouped(line):
        return any(f(line) for f in _SPACED[","]) or bool(_GROUPED_DOT(line))

    if not any(_COMMA_DECIMAL.match(line) or ("," in line and grouped(line)) for line in rest):
        return False
    if not all(_COMMA_DECIMAL.match(line) or _WHOLE_NUMBER.match(line) or grouped(line) or line in MISSING_TOKENS
               for line in rest):
        return False
    if "," not in first:
        return True
    return bool(_COMMA_DECIMAL.match(first)) and any("," not in line for line in rest)


#: Why a file of space-grouped numbers under a one-name header is one column, not R's row names and values.
SPACED_REASONS = {"repeat": "its first fields repeat (R's row names are unique)",
                  "not 1..n": "its first fields are not R's row numbers 1, 2, ..., n"}


def _one_column_of_spaced_numbers(text: str) -> tuple[str, str] | None:
    """(why, an example line) when the lines of ``text`` are one column of numbers grouped with spaces (``x`` /
    ``12 345`` / ``67 890``, ``3.141 592``; why: a key of :data:`SPACED_REASONS`), else None. Split by runs of spaces such a file is what R's
    ``write.table(quote = FALSE)`` writes: a header one name short, row names, values. R's row names are unique
    labels, 1..n unless set, and ``write.table`` quotes them by default; so the lines are one column when
    the header is one name, every data line is one grouped number (a plain number or a missing value too,
    one at least grouped: a quoted field never is) and the first fields repeat or are not 1, 2, ..., n."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < 3 or len(_split_spaces(lines[0])) != 1 or _is_number(lines[0], ".") or _is_number(lines[0], ","):
        return None
    grouped = GROUPED[" ", "."].fullmatch
    rest = lines[1:]
    if not any(grouped(line) and len(line.split()) > 1 for line in rest):
        return None
    if not all(grouped(line) or _is_number(line, ".") or line in MISSING_TOKENS for line in rest):
        return None
    firsts = [line.split()[0] for line in rest]
    if all(len(line.split()) == 2 for line in rest) and firsts == [str(i) for i in range(1, len(rest) + 1)]:
        return None  # R's default row names: a row-label column and a column of values
    example = next(line for line in rest if len(line.split()) > 1)
    return ("repeat" if len(set(firsts)) < len(firsts) else "not 1..n"), example


#: Said when space-separated lines are R's row names followed by numbers whose digits spaces group.
SPACED_ROW_NAMES = ("Lines such as '{example}' look like R's write.table(quote = FALSE) output: a row name, then "
                    "numbers whose digits are grouped by spaces, which a space-separated file cannot tell from "
                    "the next value. Write the file with write.table's default quote = TRUE, without big.mark, or "
                    "with row.names = FALSE.")


def _row_names_over_spaced_numbers(text: str) -> str | None:
    """An example line when the space-separated lines of ``text`` are R's ``write.table(quote = FALSE)`` of
    numbers formatted with ``big.mark = " "``: a header of m names, then lines of a row name and m numbers, one
    at least with its digits grouped by spaces (``v`` / ``1 11 244``), so they split into more fields than the
    header has names plus one; else None."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < 2:
        return None
    names = _split_spaces(lines[0])
    m = len(names)
    if any(_is_number(c, ".") or _is_number(c, ",") for c in names):
        return None
    one = r"(?:[-+]?\d+(?:[.,]\d*)?|%s)" % "|".join(p.pattern for p in (GROUPED[" ", "."], GROUPED[" ", ","]))
    values = re.compile(rf"\S+ {one}(?: {one}){{{m - 1}}}")
    rest = [" ".join(line.split()) for line in lines[1:101]]  # R pads the formatted numbers: 2  7 890
    if not all(values.fullmatch(line) for line in rest):
        return None
    return next((line for line in rest if len(line.split()) > m + 1), None)


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
            elif _ONE_GROUP_DOT(cell):
                pass  # 10.691: ten thousand (decimal comma) or ten point (decimal point)? says nothing
            elif _DOT_DECIMAL.match(cell):
                dot += 1
            elif _GROUPED_DOT(cell):
                comma += 1  # 1.234.567 or 1.234,5: dots group thousands, so the decimal mark is a comma
            elif _GROUPED_COMMA(cell):
                dot += 1  # 1,234,567 or 1,234.5
            elif "," in cell and any(f(cell) for f in _SPACED[","]):
                comma += 1  # 1 234,5 or 1'234,5
            elif "." in cell and any(f(cell) for f in _SPACED["."]):
                dot += 1  # 1 234.5 or 1'234.5
    return ("," if comma > dot else "."), comma == dot == 0


def _detect_header(rows: list[list[str]], decimal: str) -> bool:
    first, rest = rows[0], rows[1:]
    first_kinds = ["missing" if _is_missing(c) else "number" if _is_number(c, decimal) or
                   could_be_grouped(c, decimal) else "text" for c in first]
    if all(k == "text" for k in first_kinds):
        return True
    for j, kind in enumerate(first_kinds):
        if kind != "text":
            continue
        if _numeric_column(rest, j, decimal, grouped=True):
            return True
    return False


def _numeric_column(rows: list[list[str]], j: int, decimal: str, grouped: bool = False) -> bool:
    """Whether the cells of column ``j`` are numbers or missing, with at least one number (``grouped``: with
    thousands separators too, see ``emdesk.io.thousands``)."""
    cells = [r[j] for r in rows if j < len(r)]
    values = read_column(cells, decimal, "")[0] if grouped else _to_float(cells, decimal)
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
