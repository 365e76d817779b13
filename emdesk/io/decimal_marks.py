"""A column whose decimal mark is not the file's (no Qt, no I/O).

The file's decimal mark is sniffed from its first lines (``table_text._sniff_decimal``). A long file may show
the other mark only further down in one column (``1.234,5`` on line 50,000 of a file whose first lines had
``3.5``), which then does not read as numbers with the file's mark. Such a column is decided again on the
evidence of all its cells: it is read with the other mark when every cell reads with it *and* no cell needs
the file's mark (a column does not mix decimal marks), e.g. ``10.691`` and ``1.234,5`` in a decimal-point file
read as 10691 and 1234.5 (the point groups thousands there), while ``3.5`` beside ``1,5`` stays text.
A column of cells that read either way (``1.234`` only) is never decided again: it reads by the file's mark.
The readers list such columns in ``Table.other_decimal_columns`` (column -> a cell that needed the other mark)
and :func:`notes` says so.
"""

from __future__ import annotations

from typing import Sequence

from .table_text import _is_number
from .thousands import could_be_grouped, read_column, separator_for

_MARK = {".": "point", ",": "comma"}


def other_mark(decimal: str) -> str:
    """The decimal mark that is not ``decimal``."""
    return separator_for(decimal)


def could_read_with_other(cell: str, decimal: str) -> bool:
    """Whether one cell that did not read with ``decimal`` may read with the other mark (``1,5``,
    ``1.234,5`` or ``1 234,5`` after decimal points; ``1,234.5`` after decimal commas)."""
    other = other_mark(decimal)
    return other in cell and (_is_number(cell, other) or could_be_grouped(cell, other))


def read_with_other(cells: Sequence[str], decimal: str, delimiter: str):
    """(values, thousands separator or None, ambiguous example or None, a cell that needed the other mark) of
    a column read with the other decimal mark than ``decimal``, or None when the column's cells do not all say
    so (see the module notes). ``cells`` did not read as numbers with ``decimal``."""
    other = other_mark(decimal)
    if other == delimiter:
        return None  # "1,5" quoted in a comma-separated file: not taken as a decimal comma
    joined = "".join(cells)
    if other not in joined:
        return None  # no cell has the other mark: nothing says so
    values, sep, example = read_column(cells, other, delimiter)
    if values is None or (decimal in joined and sep != decimal):
        return None  # some cell needs the file's mark as a decimal mark (3.5 beside 1,5): not one convention
    needed = next((c.strip() for c in cells if other in c and could_read_with_other(c, decimal)), "")
    return values, sep, example, needed


def note(column: str, example: str, file_mark: str, cli: bool = False) -> str:
    """The sentence for a column read with the other decimal mark than the file's (``file_mark``); ``cli``:
    how to choose with emdesk-fit's option rather than the window's menu."""
    mark = other_mark(file_mark)
    return (f"Column {column!r} is read with a decimal {_MARK[mark]}, unlike the file's first lines (decimal "
            f"{_MARK[file_mark]}): its numbers need it (e.g. {example!r}). To read it otherwise, "
            + (f"give --decimal {file_mark} on the command line." if cli else "choose the decimal mark in File > Import with Options."))


def notes(table, cli: bool = False) -> list[str]:
    """One sentence per column read with the other decimal mark (``Table.other_decimal_columns``)."""
    found = getattr(table, "other_decimal_columns", None) or {}
    return [note(c, example, table.decimal, cli) for c, example in found.items()]
