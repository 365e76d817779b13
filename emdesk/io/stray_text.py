"""Numbers read as text: a column of numbers with a few stray words (no Qt).

One cell that is not a number (``twelve``, ``n.d.``, ``<0.5``, a unit typed after a value) makes the whole
column text (a column is numeric only when every cell is a number or a missing-value token), and the Data
panel showed it greyed out with no word of why. :func:`find_stray_text` finds such columns - text columns
whose cells are at least 80 % numbers, the rule the import preview's "mostly numbers" warning uses - and
names the first cell that is not a number; :func:`stray_text_as_missing` returns a new Table where those
columns are numeric and their text cells missing (the table itself is not changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from .table import MISSING_TOKENS, DataError, Table
from .table_text import _is_number

__all__ = ["StrayText", "find_stray_text", "stray_text_as_missing"]

MOSTLY = 0.8       # the share of a column's values that are numbers (as the import preview's warning)
SAMPLE = 20_000    # cells looked at first: a column mostly of words is passed over after these


@dataclass(frozen=True)
class StrayText:
    """A text column that is mostly numbers: ``n_numbers`` numbers and ``n_text`` cells that are neither a
    number nor a missing-value token, the first of them ``first_text`` in data row ``first_row`` (1-based,
    as the rows are counted under the header). ``message`` is one sentence for the window."""

    column: str
    n_numbers: int
    n_text: int
    first_text: str
    first_row: int
    message: str

    @property
    def short(self) -> str:
        """One short line for a narrow panel."""
        cells = "1 text cell" if self.n_text == 1 else f"{self.n_text:,} text cells"
        return f"{self.column}: {cells} among {self.n_numbers:,} numbers ({self.first_text!r}, row {self.first_row:,})"


def _kinds(cells, decimal: str) -> tuple[int, int, int]:
    """(numbers, text cells, index of the first text cell or -1)."""
    n_num = n_text = 0
    first = -1
    for i, c in enumerate(cells):
        s = c.strip()
        if s in MISSING_TOKENS:
            continue
        if _is_number(s, decimal):
            n_num += 1
        else:
            n_text += 1
            if first < 0:
                first = i
    return n_num, n_text, first


def _mostly_numbers(n_num: int, n_text: int) -> bool:
    return n_num > 0 and n_text > 0 and n_num >= MOSTLY * (n_num + n_text)


def find_stray_text(table: Table) -> list[StrayText]:
    """The text columns of ``table`` (not the row labels) whose values are at least 80 % numbers, in the
    table's column order. A column is first judged on its first 20,000 cells, so a long column of words
    costs little."""
    out = []
    decimal = table.decimal if table.decimal in (".", ",") else "."
    for name in table.text_column_names:
        if name == table.row_label_column:
            continue
        cells = table.text_column(name)
        n_num, n_text, first = _kinds(cells[:SAMPLE], decimal)
        if len(cells) > SAMPLE:
            if not (n_num and n_num >= MOSTLY * (n_num + n_text)):
                continue
            n_num, n_text, first = _kinds(cells, decimal)
        if not _mostly_numbers(n_num, n_text):
            continue
        text = cells[first].strip()
        shown = text if len(text) <= 30 else text[:29] + "\u2026"
        more = "" if n_text == 1 else f" and {n_text - 1:,} more"
        message = (f"Column {name!r} is read as text although {n_num:,} of its {n_num + n_text:,} values are numbers: "
                   f"row {first + 1:,} holds {shown!r}{more}. Correct the file, or treat the text cells as missing "
                   f"to fit the column.")
        out.append(StrayText(name, n_num, n_text, shown, first + 1, message))
    return out


def stray_text_as_missing(table: Table, columns: Iterable[str]) -> Table:
    """A new :class:`Table` where each of ``columns`` (text columns, e.g. from :func:`find_stray_text`) is
    numeric, its cells that are not numbers missing (NaN). Other columns and the table's attributes are
    kept; ``table`` is not changed. Raises DataError for a column that is not a text column of the table
    or holds no number."""
    columns = list(dict.fromkeys(columns))
    decimal = table.decimal if table.decimal in (".", ",") else "."
    converted = {}
    for name in columns:
        if name not in table.text_column_names or name == table.row_label_column:
            raise DataError(f"Column {name!r} of {table.name} is not a text column.")
        cells = table.text_column(name)
        values = np.fromiter((float(c.strip().replace(",", ".") if decimal == "," else c.strip())
                              if c.strip() not in MISSING_TOKENS and _is_number(c, decimal) else np.nan
                              for c in cells), np.float64, count=len(cells))
        if np.isnan(values).all():
            raise DataError(f"Column {name!r} of {table.name} holds no number.")
        converted[name] = values
    names = [c for c in table.column_names if table.is_numeric(c) or c in converted]
    old = table.to_array(table.numeric_column_names) if table.numeric_column_names else np.empty((table.n_rows, 0))
    index = {c: j for j, c in enumerate(table.numeric_column_names)}
    numeric = np.empty((table.n_rows, len(names)))
    for j, c in enumerate(names):
        numeric[:, j] = converted[c] if c in converted else old[:, index[c]]
    out = Table(path=table.path, column_names=table.column_names, numeric=numeric, numeric_names=names,
                text={c: table.text_column(c) for c in table.text_column_names if c not in converted},
                sha256=table.sha256, delimiter=table.delimiter, decimal=table.decimal, encoding=table.encoding,
                has_header=table.has_header, row_label_column=table.row_label_column)
    for attr in ("sheet", "sheet_names", "notes", "header_row", "fill_values", "thousands", "thousands_ambiguous",
                 "other_decimal_columns", "spaced_one_column"):
        if hasattr(table, attr):
            setattr(out, attr, getattr(table, attr))
    return out
