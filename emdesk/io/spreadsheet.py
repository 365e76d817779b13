"""Spreadsheets (.xlsx, .xlsm, .xls, .ods) and columnar files (.parquet, .feather) -> :class:`Table`.

Spreadsheets are read with ``python-calamine`` (Rust's calamine: a small wheel, no code of ours parsing the
formats); Parquet and Feather with ``pyarrow`` when it is installed (``pip install 'emdesk[parquet]'``).
Every format ends in the same :class:`~emdesk.io.table.Table` as a CSV file and the same
:class:`~emdesk.io.table.DataError`, whose message names the file and, for a cell, the sheet and cell
(``data.xlsx, sheet 'Run 2', cell C7: ...``).

How a sheet is read
-------------------
- Formulas: the value the spreadsheet program stored with the formula (its cached result); nothing is
  recalculated. A formula whose value is an error (``#DIV/0!``, ``#VALUE!``, ``#REF!`` ...) raises
  DataError naming the cell; ``#N/A`` is read as missing, as in CSV files.
- Dates and times: numbers, as day counts in Excel's convention (days since 1899-12-30, the time of day as
  the fraction; a time alone is a fraction of a day), which is what Excel and LibreOffice show when such a
  cell is formatted as a number. The same for every format, whatever date system the workbook uses.
  The Table's ``notes`` say which columns held dates.
- Header row: leading empty rows and title rows (one text cell in a wider sheet) are skipped; the next row
  is the header when its cells are all text and some column below holds numbers (the CSV reader's rule).
  ``header_row`` overrides it (0-based row of the sheet, or ``-1`` for no header).
- Column kinds: a column of numbers (booleans read as 1/0, text that reads as a number, e.g. numbers stored
  as text, counts too) and missing cells is numeric; any other text makes the column text (as in CSV
  files), and when it also holds numbers the Table's ``notes`` say so, naming the first text cell.
- Empty rows are skipped; fully empty columns at the right are dropped.

The Table gets three attributes beyond a CSV file's: ``sheet`` (the sheet read, or None),
``sheet_names`` (all sheets, or ``[]``) and ``notes`` (a list of sentences for the user, may be empty).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
import zipfile
from typing import Callable, Sequence

import numpy as np

from .table import MISSING_TOKENS, DataError, LoadCancelled, Table, format_number, unique_name

__all__ = ["SPREADSHEET_EXTENSIONS", "COLUMNAR_EXTENSIONS", "OTHER_EXTENSIONS", "is_other_format",
           "sheet_names", "load_spreadsheet", "load_columnar", "load_other", "table_from_cells",
           "excel_column"]

SPREADSHEET_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")
COLUMNAR_EXTENSIONS = (".parquet", ".feather")
OTHER_EXTENSIONS = SPREADSHEET_EXTENSIONS + COLUMNAR_EXTENSIONS

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Excel's error values (ECMA-376 Part 1, 18.18.31 ST_CellErrorType; OpenFormula uses the same spellings).
_ERROR_CODES = frozenset({"#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                          "#GETTING_DATA", "Err:502", "Err:504", "Err:508", "Err:511", "Err:522"})
_MISSING_ERRORS = frozenset({"#N/A"})


# First bytes of each container: ZIP (.xlsx, .xlsm, .ods), OLE2 compound file (.xls; BIFF8),
# Parquet ("PAR1"), Arrow IPC file = Feather v2 ("ARROW1") and Feather v1 ("FEA1").
_MAGIC = {".xlsx": (b"PK\x03\x04",), ".xlsm": (b"PK\x03\x04",), ".ods": (b"PK\x03\x04",),
          ".xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x09\x08", b"\x09\x04", b"\x09\x02"),
          ".parquet": (b"PAR1",), ".feather": (b"ARROW1", b"FEA1")}


def is_other_format(path) -> bool:
    """Whether this module reads ``path`` rather than the CSV reader: its extension is one of
    :data:`OTHER_EXTENSIONS` and its first bytes are that format's (a text file named ``.xls``, as some web
    exports write, goes to the CSV reader; so does a file that cannot be opened, for its message)."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in _MAGIC:
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return False
    return head.startswith(_MAGIC[ext])


def excel_column(j: int) -> str:
    """0-based column index -> spreadsheet letters: 0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _name(path: str) -> str:
    return os.path.basename(path) or path


def _calamine():
    try:
        import python_calamine
    except ImportError:
        raise DataError("Reading Excel and OpenDocument spreadsheets needs the python-calamine package, which is not "
                        "installed. "
                        "Install it with: pip install python-calamine") from None
    return python_calamine


def _open_workbook(path: str):
    name = _name(path)
    if not os.path.exists(path):
        raise DataError(f"{name}: no such file ({path}). Check the name and folder.")
    if os.path.isdir(path):
        raise DataError(f"{name}: this is a folder, not a spreadsheet.")
    calamine = _calamine()
    try:
        return calamine.CalamineWorkbook.from_path(path)
    except PermissionError:
        raise DataError(f"{name}: permission denied; you are not allowed to read this file.") from None
    except getattr(calamine, "PasswordError", ()) as exc:
        raise DataError(f"{name}: the workbook is protected by a password; save an unprotected copy "
                        f"({exc}).") from None
    except Exception as exc:  # calamine's errors (ZipError, XmlError, CalamineError) and OSError
        raise DataError(f"{name}: cannot read it as an Excel or OpenDocument spreadsheet ({type(exc).__name__}: "
                        f"{exc}). Is the file damaged, or another format with a spreadsheet's extension?") from None


def sheet_names(path) -> list[str]:
    """The names of the worksheets of a spreadsheet, in the workbook's order (charts and hidden sheets
    included as calamine lists them). Raises DataError when the file cannot be read."""
    path = os.fspath(path)
    wb = _open_workbook(path)
    try:
        return list(wb.sheet_names)
    finally:
        _close(wb)


def _close(wb) -> None:
    try:
        wb.close()
    except Exception:
        pass


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _report(progress, fraction: float, name: str) -> None:
    if progress is not None and progress(fraction) is False:
        raise LoadCancelled(f"Loading {name} was cancelled.")


def load_spreadsheet(path, sheet: str | int | None = None, *, header_row: int | None = None,
                     missing_tokens: Sequence[str] | None = None,
                     progress: Callable[[float], bool | None] | None = None) -> Table:
    """Read one sheet of an .xlsx, .xlsm, .xls or .ods workbook into a :class:`Table`.

    ``sheet``: a sheet name or its 0-based index; None reads the first sheet. ``header_row``: 0-based row of
    the sheet holding the column names, ``-1`` for none, None to detect it. ``missing_tokens``: cell texts
    read as missing instead of ``MISSING_TOKENS`` (an empty cell always is). ``progress(fraction)`` is called
    at 0 and 1 (the file is read at once); returning False raises LoadCancelled.
    Raises DataError naming the file, sheet and cell for anything wrong.
    """
    path = os.fspath(path)
    name = _name(path)
    _report(progress, 0.0, name)
    wb = _open_workbook(path)
    try:
        names = list(wb.sheet_names)
        if not names:
            raise DataError(f"{name}: the workbook has no sheets.")
        if sheet is None:
            sheet = names[0]
        elif isinstance(sheet, (int, np.integer)) and not isinstance(sheet, bool):
            if not 0 <= sheet < len(names):
                raise DataError(f"{name}: there is no sheet number {sheet + 1}; the workbook has "
                                f"{len(names)}: {', '.join(names)}.")
            sheet = names[int(sheet)]
        elif sheet not in names:
            raise DataError(f"{name}: there is no sheet {sheet!r}; its sheets are: {', '.join(names)}.")
        try:
            ws = wb.get_sheet_by_name(sheet)
            rows = ws.to_python(skip_empty_area=False)
        except Exception as exc:
            raise DataError(f"{name}, sheet {sheet!r}: cannot read the sheet ({type(exc).__name__}: "
                            f"{exc}).") from None
    finally:
        _close(wb)
    errors = _xlsx_error_cells(path, names.index(sheet)) if path.lower().endswith((".xlsx", ".xlsm")) else {}
    where = f"{name}, sheet {sheet!r}"
    table = table_from_cells(rows, where=where, path=path, header_row=header_row, errors=errors,
                             missing_tokens=missing_tokens)
    table.sha256 = _sha256(path)
    table.sheet = sheet
    table.sheet_names = names
    _report(progress, 1.0, name)
    return table


# ---------------------------------------------------------------------------------------------------
# error cells of .xlsx files (calamine reads them as empty cells)

_ERROR_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?\bt="e"[^>]*>(?:<f\b[^>]*(?:/>|>.*?</f>))?'
                         rb'<v>([^<]*)</v>', re.S)
_ERROR_CELL_T_FIRST = re.compile(rb'<c\b[^>]*?\bt="e"[^>]*?\br="([A-Z]+)(\d+)"[^>]*>'
                                 rb'(?:<f\b[^>]*(?:/>|>.*?</f>))?<v>([^<]*)</v>', re.S)


def _column_index(letters: bytes) -> int:
    j = 0
    for ch in letters:
        j = j * 26 + (ch - 64)
    return j - 1


def _xlsx_error_cells(path: str, index: int) -> dict[tuple[int, int], str]:
    """{(row, column) 0-based: error code} of the ``index``-th sheet of an .xlsx/.xlsm file: calamine gives
    these cells as empty, so they are found in the sheet's XML (a byte search first: most sheets have none).
    The sheet's part is found through xl/workbook.xml and its relationships (ECMA-376 Part 1, 12.3.23)."""
    try:
        with zipfile.ZipFile(path) as z:
            workbook = z.read("xl/workbook.xml")
            rels = z.read("xl/_rels/workbook.xml.rels")
            ids = re.findall(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"', workbook)
            if index >= len(ids):
                return {}
            target = None
            for rel in re.findall(rb"<Relationship\b[^>]*>", rels):
                rid = re.search(rb'\bId="([^"]+)"', rel)
                tgt = re.search(rb'\bTarget="([^"]+)"', rel)
                if rid and tgt and rid.group(1) == ids[index]:
                    target = tgt.group(1).decode("utf-8")
            if target is None:
                return {}
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            data = z.read(part)
    except (OSError, KeyError, zipfile.BadZipFile):
        return {}
    if b't="e"' not in data:
        return {}
    found = {}
    for pattern in (_ERROR_CELL, _ERROR_CELL_T_FIRST):
        for letters, row, code in pattern.findall(data):
            found[(int(row) - 1, _column_index(letters))] = code.decode("utf-8", "replace")
    return found


# ---------------------------------------------------------------------------------------------------
# cells -> Table


def _day_number(value) -> float:
    """Dates, datetimes, times and durations as Excel day numbers (days since 1899-12-30)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return (value - _EXCEL_EPOCH) / dt.timedelta(days=1)
    if isinstance(value, dt.date):
        return float((value - _EXCEL_EPOCH.date()).days)
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400.0
    if isinstance(value, dt.timedelta):
        return value / dt.timedelta(days=1)
    raise TypeError(value)


_DATE_TYPES = (dt.date, dt.time, dt.timedelta)  # dt.datetime is a dt.date


def _kind(value, tokens=MISSING_TOKENS) -> str:
    """'empty', 'number', 'date', 'text' or 'error' for one cell value."""
    if value is None:
        return "empty"
    if isinstance(value, (bool, np.bool_)):
        return "number"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "empty" if isinstance(value, float) and math.isnan(value) else "number"
    if isinstance(value, _DATE_TYPES):
        return "date"
    text = str(value).strip()
    if text in tokens or text in _MISSING_ERRORS:
        return "empty"
    if text in _ERROR_CODES:
        return "error"
    if _text_number(text) is not None:
        return "number"
    return "text"


def _text_number(text: str) -> float | None:
    if "_" in text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _number(value) -> float:
    if isinstance(value, _DATE_TYPES):
        return _day_number(value)
    if isinstance(value, str):
        v = _text_number(value.strip())
        return math.nan if v is None else v
    return float(value)


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (float, np.floating)):
        return format_number(float(value))
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _cells(n: int) -> str:
    return f"{n} cell" if n == 1 else f"{n} cells"


def _is_blank_cell(v) -> bool:
    return v is None or (v.__class__ is str and not v.strip()) or (v.__class__ is float and v != v)


def _is_empty_row(row) -> bool:
    """No cell holds anything (a missing-value token such as "NA" counts as something, as in CSV files)."""
    return all(map(_is_blank_cell, row))


def _plain_numbers(values: list) -> np.ndarray | None:
    """float64 of a column of plain floats/ints and blank cells (the usual case, at near C speed), else None."""
    types = set(map(type, values))
    if not types <= {float, int, str}:
        return None
    if str in types:
        if any(v.strip() for v in values if v.__class__ is str):
            return None
        values = [math.nan if v.__class__ is str else v for v in values]
        if float not in types and int not in types:
            return None  # only blank cells: a text column (nothing to fit)
    return np.array(values, dtype=np.float64)


def table_from_cells(rows: Sequence[Sequence[object]], *, where: str, path=None, header_row: int | None = None,
                     errors: dict | None = None, first_row: int = 0, column_offset: int = 0,
                     missing_tokens: Sequence[str] | None = None) -> Table:
    """A :class:`Table` from rows of typed cells (numbers, strings, dates, booleans, None or "" for empty).

    ``where`` names the source in messages (``"data.xlsx, sheet 'A'"``); cells are named in spreadsheet
    style (``C7``) from ``first_row``/``column_offset``, the sheet position of ``rows[0][0]``. ``errors``:
    {(row, column): code} of cells whose value is an error but appear empty in ``rows``. ``missing_tokens``:
    cell texts read as missing (None: ``MISSING_TOKENS``).
    """
    tokens = MISSING_TOKENS if missing_tokens is None else frozenset(t.strip() for t in missing_tokens) | {""}
    errors = errors or {}
    rows = [list(r) for r in rows]
    width = max((len(r) for r in rows), default=0)
    for r in rows:
        r.extend([None] * (width - len(r)))

    def cell(i: int, j: int) -> str:
        return f"{excel_column(column_offset + j)}{first_row + i + 1}"

    for (i, j), code in sorted(errors.items()):
        if code not in _MISSING_ERRORS:
            raise DataError(f"{where}, cell {cell(i - first_row, j - column_offset)}: the cell holds the "
                            f"error {code} (a formula that failed). Fix the formula or clear the cell.")
    notes: list[str] = []
    non_empty = [i for i, r in enumerate(rows) if not _is_empty_row(r)]
    if not non_empty:
        raise DataError(f"{where}: the sheet is empty. Choose a sheet with a header row and data rows.")
    # right-most column holding anything
    used = [j for j in range(width) if any(not _is_empty_row([rows[i][j]]) for i in non_empty)]
    left, width = used[0], used[-1] + 1 - used[0]
    rows = [r[left:left + width] for r in rows]
    column_offset += left  # (cell names keep the sheet's letters)

    if header_row is None:
        top = non_empty[0]
        # title rows: one text cell in a wider sheet (e.g. "Measurements 2024" above the table)
        while (width > 1 and top != non_empty[-1]
               and sum(not _is_empty_row([v]) for v in rows[top]) == 1
               and _kind(next(v for v in rows[top] if not _is_empty_row([v]))) == "text"):
            notes.append(f"Row {first_row + top + 1} ({_as_text(next(v for v in rows[top] if not _is_empty_row([v])))!r}) "
                         f"was read as a title above the table and skipped.")
            top = next(i for i in non_empty if i > top)
        rest = [i for i in non_empty if i > top]
        kinds = [_kind(v) for v in rows[top]]
        header = all(k in ("text", "empty") for k in kinds) and any(k == "text" for k in kinds) and (
            not rest or any(kinds[j] == "text" and any(_kind(rows[i][j]) in ("number", "date") for i in rest)
                            for j in range(width)) or all(_kind(v) == "text" for v in rows[top]))
        header_index = top if header else None
        data_index = rest if header else [i for i in non_empty if i >= top]
    elif header_row == -1:
        header_index = None
        data_index = non_empty
    else:
        if not 0 <= header_row - first_row < len(rows):
            raise DataError(f"{where}: there is no row {header_row + 1} to read the column names from "
                            f"(the sheet has {first_row + len(rows)} rows).")
        header_index = header_row - first_row
        data_index = [i for i in non_empty if i > header_index]
    if header_index is not None:
        taken: set[str] = set()
        names = [unique_name(_as_text(v).strip() or f"col{j + 1}", taken) for j, v in enumerate(rows[header_index])]
    else:
        names = [f"col{j + 1}" for j in range(width)]
    if not data_index:
        raise DataError(f"{where}: the sheet has a header row ({', '.join(names)}) but no data rows.")

    n = len(data_index)
    numeric_names, numeric_cols, text = [], [], {}
    for j, col_name in enumerate(names):
        values = [rows[i][j] for i in data_index]
        fast = _plain_numbers(values)
        if fast is not None:
            numeric_names.append(col_name)
            numeric_cols.append(fast)
            continue
        kinds = [_kind(v, tokens) for v in values]
        if "error" in kinds:
            k = kinds.index("error")
            raise DataError(f"{where}, cell {cell(data_index[k], j)}: the cell holds the error "
                            f"{str(values[k]).strip()} (a formula that failed). Fix the formula or clear the cell.")
        n_text = kinds.count("text")
        n_num = kinds.count("number") + kinds.count("date")
        if n_text == 0 and n_num > 0:
            numeric_names.append(col_name)
            numeric_cols.append(np.fromiter((math.nan if k == "empty" else _number(v)
                                             for v, k in zip(values, kinds)), np.float64, count=n))
            if "date" in kinds:
                notes.append(f"Column {col_name!r} holds dates, read as day numbers (days since 1899-12-30, "
                             f"as Excel shows a date formatted as a number).")
        else:
            text[col_name] = ["" if k == "empty" else _as_text(v) for v, k in zip(values, kinds)]
            if n_text and n_num:
                k = kinds.index("text")
                notes.append(f"Column {col_name!r} mixes numbers ({_cells(n_num)}) and text ({_cells(n_text)}, "
                             f"the first at {cell(data_index[k], j)}: {_as_text(values[k])!r}); it is read as text. "
                             f"Clear or correct the text cells to fit it.")
    numeric = np.column_stack(numeric_cols) if numeric_cols else np.empty((n, 0))
    table = Table(path=path, column_names=names, numeric=numeric, numeric_names=numeric_names, text=text,
                  delimiter="", decimal=".", encoding="", has_header=header_index is not None)
    table.sheet = None
    table.sheet_names = []
    table.notes = notes
    table.header_row = first_row + header_index if header_index is not None else -1
    return table


# ---------------------------------------------------------------------------------------------------
# Parquet and Feather (pyarrow, optional)


def _pyarrow():
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataError("Reading Parquet and Feather files needs pyarrow, which is not installed. Install "
                        "emdesk's parquet extra: pip install 'emdesk[parquet]' (or: pip install pyarrow).") from None
    return pyarrow


def load_columnar(path, *, progress: Callable[[float], bool | None] | None = None) -> Table:
    """Read a Parquet (.parquet) or Feather/Arrow IPC (.feather) file into a :class:`Table` (needs pyarrow:
    the ``parquet`` extra). Numeric, boolean and decimal columns -> numbers (nulls missing); dates,
    timestamps and durations -> day numbers as for spreadsheets; anything else -> text."""
    path = os.fspath(path)
    name = _name(path)
    if not os.path.exists(path):
        raise DataError(f"{name}: no such file ({path}). Check the name and folder.")
    pa = _pyarrow()
    _report(progress, 0.0, name)
    try:
        if path.lower().endswith(".parquet"):
            import pyarrow.parquet as pq
            data = pq.read_table(path)
        else:
            import pyarrow.feather as feather
            data = feather.read_table(path)
    except Exception as exc:
        raise DataError(f"{name}: cannot read it as a {'Parquet' if path.lower().endswith('.parquet') else 'Feather'}"
                        f" file ({type(exc).__name__}: {exc}).") from None
    import pyarrow.types as pt

    n = data.num_rows
    taken: set[str] = set()
    names, numeric_names, numeric_cols, text, notes = [], [], [], {}, []
    for raw, column in zip(data.column_names, data.columns):
        col_name = unique_name(str(raw).strip() or f"col{len(names) + 1}", taken)
        names.append(col_name)
        typ = column.type
        if pt.is_dictionary(typ):
            column = column.cast(typ.value_type)
            typ = column.type
        if pt.is_integer(typ) or pt.is_floating(typ) or pt.is_boolean(typ) or pt.is_decimal(typ):
            values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
            numeric_names.append(col_name)
            numeric_cols.append(np.asarray(values, dtype=np.float64))
        elif pt.is_date(typ) or pt.is_timestamp(typ) or pt.is_time(typ) or pt.is_duration(typ):
            numeric_names.append(col_name)
            numeric_cols.append(np.fromiter((math.nan if v is None else _day_number(v)
                                             for v in column.to_pylist()), np.float64, count=n))
            notes.append(f"Column {col_name!r} holds dates or times, read as day numbers (days since "
                         f"1899-12-30, as Excel shows a date formatted as a number).")
        else:
            text[col_name] = ["" if v is None else _as_text(v) for v in column.to_pylist()]
    numeric = np.column_stack(numeric_cols) if numeric_cols else np.empty((n, 0))
    if n == 0:
        raise DataError(f"{name}: the file has columns ({', '.join(names)}) but no rows.")
    table = Table(path=path, column_names=names, numeric=numeric, numeric_names=numeric_names, text=text,
                  sha256=_sha256(path), delimiter="", decimal=".", encoding="", has_header=True)
    table.sheet = None
    table.sheet_names = []
    table.notes = notes
    _report(progress, 1.0, name)
    return table


def load_other(path, progress: Callable[[float], bool | None] | None = None, *, sheet=None) -> Table:
    """:func:`load_spreadsheet` or :func:`load_columnar` by the file's extension (what ``load_table``
    calls for these extensions)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext in COLUMNAR_EXTENSIONS:
        return load_columnar(path, progress=progress)
    if ext in SPREADSHEET_EXTENSIONS:
        return load_spreadsheet(path, sheet, progress=progress)
    raise DataError(f"{_name(os.fspath(path))}: not a spreadsheet, Parquet or Feather file.")
