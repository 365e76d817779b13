"""Tables read from files: :class:`Table`, :class:`DataError` and :func:`load_table` (the entry point).

:func:`load_table` reads a CSV file (``table_reader``: sniffing and chunked parsing, with the cell and
record helpers of ``table_text``) or hands spreadsheets, Parquet and Feather files to ``spreadsheet``.
Every problem with a file raises :class:`DataError` (a ``ValueError``) whose message names the file and,
where it applies, the line; a ``progress`` callback that returns ``False`` raises :class:`LoadCancelled`.
"""

from __future__ import annotations

import gc
import math
import os
import re
from typing import Callable, Sequence

import numpy as np

__all__ = ["DataError", "LoadCancelled", "Table", "load_table", "MISSING_TOKENS"]

#: Cell values (after stripping spaces) read as missing.
MISSING_TOKENS = frozenset({"", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "Null",
                            "None", "?", "-", "#N/A"})


class DataError(ValueError):
    """A file cannot be read (or written); the message says why, naming the file and line."""


class LoadCancelled(Exception):
    """The ``progress`` callback asked to stop loading (returned ``False``). Not a :class:`DataError`."""


def _value_counts(cells):
    """(value, count) of the distinct strings in ``cells``."""
    from collections import Counter

    return Counter(cells).items()


class Table:
    """A loaded CSV file: numeric columns as one float64 matrix, text columns as strings (each a read-only
    NumPy array of ``str``, which the cycle collector does not walk: see ``_text_cells``).

    ``row_label_column`` names a column that labels the rows rather than measuring anything (R's
    ``write.csv`` row names, a pandas index): it is held as text, so it is never among
    ``numeric_column_names`` (never offered for fitting) and ``to_array`` refuses it; ``row_labels`` gives
    its cells.

    A column with no values (every cell empty or a missing-value token) is ``"empty"``
    (:meth:`column_kind`, :attr:`empty_column_names`): held as text (a numeric column of NaN only is moved
    there unless ``empty_numbers_as_text=False``, as for a slice of another table's rows), never numeric,
    and ``to_array`` refuses it with a message that says it has no values.
    """

    def __init__(self, *, path, column_names, numeric, numeric_names, text, sha256="", delimiter=",",
                 decimal=".", encoding="utf-8", has_header=True, row_label_column=None, empty_numbers_as_text=True):
        self.path = os.fspath(path) if path is not None else None
        self._column_names = list(column_names)
        numeric = np.asarray(numeric, dtype=np.float64)
        if numeric.ndim != 2 or numeric.shape[1] != len(numeric_names):
            raise ValueError("numeric must be a (n_rows, len(numeric_names)) array")
        if empty_numbers_as_text:  # (False for a slice of rows of a table, whose kinds are the table's)
            numeric, numeric_names, text = _empty_numbers_as_text(numeric, list(numeric_names), text)
        self._numeric = numeric
        self._numeric_index = {name: j for j, name in enumerate(numeric_names)}
        self._text = {name: _text_cells(values) for name, values in text.items()}
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
        self._empty: set[str] | None = None  # the empty columns, found when first asked for
        self.thousands: dict[str, str] = {}  # column -> thousands separator its numbers were read with
        self.thousands_ambiguous: dict[str, str] = {}  # of those, column -> example when it was a guess
        self.other_decimal_columns: dict[str, str] = {}  # column -> a cell: read with the other decimal mark
        # column -> (why, an example line): its space-grouped lines are one column, not R's row names and
        # values (table_text.SPACED_REASONS)
        self.spaced_one_column: dict[str, tuple[str, str]] = {}

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
    def empty_column_names(self) -> list[str]:
        """Columns with no values (every cell empty or a missing-value token); they are among
        ``text_column_names`` (never ``numeric_column_names``) and ``to_array`` refuses them."""
        if self._empty is None:
            self._empty = {name for name, cells in self._text.items()
                           if name != self.row_label_column and not any(c.strip() not in MISSING_TOKENS for c in cells)}
        return [n for n in self._column_names if n in self._empty]

    def column_kind(self, name: str) -> str:
        """``"number"``, ``"text"``, ``"empty"`` (no values: :attr:`empty_column_names`) or ``"row label"``."""
        self._check_name(name)
        if name in self._numeric_index:
            return "number"
        if name == self.row_label_column:
            return "row label"
        return "empty" if name in self.empty_column_names else "text"

    @property
    def row_labels(self) -> list[str] | None:
        """The cells of the row-label column (see the class notes), or None when the file has none."""
        return None if self.row_label_column is None else self._text[self.row_label_column].tolist()

    @property
    def n_columns(self) -> int:
        return len(self._column_names)

    @property
    def missing_counts(self) -> dict[str, int]:
        """Missing cells per column (NaN, or a text cell that strips to a missing-value token). Counted once
        (a table does not change; a Python loop over a million text cells took 0.4 s and the Data panel asked
        on the GUI thread: ``warm()`` counts them where the table is read)."""
        if getattr(self, "_missing", None) is None:
            counts = {}
            for name in self._column_names:
                if name in self._numeric_index:
                    counts[name] = int(np.count_nonzero(np.isnan(self._numeric[:, self._numeric_index[name]])))
                else:
                    # one pass over the distinct cells (text columns repeat their values)
                    cells = self._text[name]
                    counts[name] = sum(n for v, n in _value_counts(cells) if v.strip() in MISSING_TOKENS)
            self._missing = counts
        return dict(self._missing)

    def warm(self) -> "Table":
        """Compute what the window asks for at once (missing counts, empty columns, fill values), in the thread that read
        the file; returns the table."""
        from .fillvalues import find_fill_values

        self.missing_counts  # noqa: B018
        self.empty_column_names  # noqa: B018
        find_fill_values(self)  # the Data panel's fill-value notice (0.3-0.5 s at 1,000,000 rows x 4)
        return self

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
                labels = ", ".join(self._text[name][:3].tolist())
                raise DataError(f"Column {name!r} of {self.name} labels the rows ({labels}, ...); it is not a "
                                f"variable to fit. Choose among: {', '.join(self.numeric_column_names) or 'none'}.")
            if name in self._text:
                values = [v for v in self._text[name] if v.strip() not in MISSING_TOKENS]
                if not values:
                    raise DataError(empty_columns_message(self, [name]))
                from .table_text import _is_number  # table_text imports this module
                decimal = self.decimal if self.decimal in (".", ",") else "."
                # the first cell that is not a number (3.5 beside 1.234,5 is one; naming it would mislead)
                example = next((v for v in values if not _is_number(v, decimal)), values[0])
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
            return self._text[name].tolist()
        col = self._numeric[:, self._numeric_index[name]]
        return format_numbers(col)

    def _cells(self, name: str, start: int, stop: int) -> list[str]:
        """Rows ``start:stop`` of a column as strings (for writing CSV files in blocks)."""
        if name in self._text:
            return self._text[name][start:stop].tolist()
        return format_numbers(self._numeric[start:stop, self._numeric_index[name]])

    def is_numeric(self, name: str) -> bool:
        return self._check_name(name) in self._numeric_index

    def __repr__(self) -> str:
        return (f"<Table {self.name!r}: {self.n_rows} rows, {len(self._column_names)} columns "
                f"({len(self._numeric_index)} numeric), delimiter={self.delimiter!r}, "
                f"decimal={self.decimal!r}, encoding={self.encoding!r}>")


def no_numbers_message(table: Table, pasted: bool = False) -> str:
    """The message for a table with no column of numbers (``pasted``: data pasted, not a file): it names its
    text and its empty columns apart (an empty column holds no text either) and says what a text column can
    be fitted with."""
    empty = table.empty_column_names
    text = [n for n in table.text_column_names if n not in empty]
    kinds = "; ".join(part for part in (f"text: {', '.join(text)}" if text else "",
                                         f"no values: {', '.join(empty)}" if empty else "") if part)
    advice = (" (or choose the Categorical family in the Model panel first, to fit the text columns)"
              if text else "")
    subject, choose = ("The pasted data have", "Copy a range with") if pasted else (f"{table.name} has",
                                                                                    "Choose a file with")
    return (f"{subject} no numeric columns ({kinds or 'no columns'}). {choose} at least one column of "
            f"numbers{advice}.")


def open_error(name: str, path: str, exc: OSError, kind: str = "data file") -> DataError:
    """The :class:`DataError` for a file that cannot be opened or read (``exc``), naming the file (``name``)
    and, when it does not exist, its ``path``; ``kind`` names what a folder is not ("CSV file" ...)."""
    if isinstance(exc, FileNotFoundError):
        why = f"no such file ({path}). Check the name and folder."
    elif isinstance(exc, IsADirectoryError):
        why = f"this is a folder, not a {kind}."
    elif isinstance(exc, PermissionError):
        why = "permission denied; you are not allowed to read this file."
    else:
        why = f"cannot read the file ({exc.strerror or exc})."
    return DataError(f"{name}: {why}")


def empty_columns_message(table: Table, names: Sequence[str]) -> str:
    """The message for choosing columns that have no values (:attr:`Table.empty_column_names`): it names
    them and the columns with numbers to choose instead."""
    names = list(names)
    which = (f"Column {names[0]!r}" if len(names) == 1 else "Columns " + ", ".join(map(repr, names)))
    verb = "has" if len(names) == 1 else "have"
    return (f"{which} of {table.name} {verb} no values (every cell is empty or missing); choose columns with "
            f"numbers: {', '.join(table.numeric_column_names) or 'none'}.")


def _text_cells(values) -> np.ndarray:
    """A text column's cells as a read-only 1-D NumPy array of ``str`` objects (dtype object).

    Why not a list: Python's cycle collector walks every element of a list on each full collection, and the
    window runs those in the GUI thread (``emdesk.gui.gui_thread_gc``): a 1,000,000-row text column added
    10-50 ms to each. A NumPy array is not tracked by the collector, and ``str`` objects cannot form cycles,
    so nothing is lost by not walking them. Same memory as a list (one pointer per cell; equal cells share
    their ``str`` when the reader made them so); ``tolist()`` gives the list back (issue 16)."""
    cells = np.empty(len(values), dtype=object)
    cells[:] = values if isinstance(values, np.ndarray) else list(values)
    cells.flags.writeable = False
    return cells


def _empty_numbers_as_text(numeric: np.ndarray, names: list[str], text: dict) -> tuple[np.ndarray, list, dict]:
    """A numeric column with no value at all (every cell NaN: a spreadsheet's or Parquet file's empty column)
    is an empty column, held as text like an empty column of a CSV file (:attr:`Table.empty_column_names`)."""
    n_rows = numeric.shape[0]
    if n_rows == 0:
        return numeric, names, text
    # The first cell decides for almost every column; only a column that starts with NaN is scanned.
    empty = [j for j in range(numeric.shape[1]) if numeric[0, j] != numeric[0, j] and np.isnan(numeric[:, j]).all()]
    if not empty:
        return numeric, names, text
    text = dict(text)
    for j in empty:
        text[names[j]] = [""] * n_rows
    keep = [j for j in range(numeric.shape[1]) if j not in set(empty)]
    return np.ascontiguousarray(numeric[:, keep]), [names[j] for j in keep], text


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


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``, ... if taken; the result is added to ``taken``."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


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
    from .table_reader import read_csv

    # Millions of short-lived rows would trigger the cyclic garbage collector again and again (it then
    # walks every tracked object each time); nothing here makes reference cycles, so pause it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return read_csv(path, progress, name)
    finally:
        if collecting:
            gc.enable()
