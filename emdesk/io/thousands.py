"""Thousands separators in numbers, per column (no Qt, no I/O).

A file with decimal commas (German style) may group digits with dots: ``1.234.567``, ``10.691``,
``1.234,5``; a file with decimal points (US style) with commas, in quoted fields of a comma-separated file:
``"1,234,567"``, ``"10,691"``. The separator is always the mark that is not the file's decimal mark.

A column is read with a thousands separator when every cell holding that mark is a number grouped in
threes (``[1-9]`` then 0-2 digits, then groups of exactly three digits; ``0.125`` is never grouped).
It is *sure* when some cell has two groups or more (``1.234.567``) or a decimal part (``1.234,5``), when
the column also holds the decimal mark (``12,5`` beside ``10.691``: a column does not mix decimal marks),
or when the separator is the file's delimiter (a comma inside quotes of a comma-separated file cannot be
its decimal mark). Otherwise it is *ambiguous* (a column of ``10.691``-like values only, in a decimal-comma
file: 10691, or 10.691 written with a decimal point?): the column is read by the file's decimal convention
(the other mark groups thousands: 10691) and :func:`note` says so, naming the column and an example, so
that the user can choose (``ImportOptions.thousands``; ``""`` = no thousands separator, as before).
"""

from __future__ import annotations

import re
from typing import Sequence

#: The thousands-separator choices of ``ImportOptions.thousands`` besides ``None`` (detect): value -> label.
THOUSANDS = {"": "None", ".": "Point  (1.234.567)", ",": "Comma  (1,234,567)"}

# grouped numbers with each separator (and the other mark as the decimal mark)
GROUPED = {".": re.compile(r"[-+]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d*)?"),
           ",": re.compile(r"[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")}
# one group and nothing else: could as well be a decimal number with three decimals
ONE_GROUP = {".": re.compile(r"[-+]?[1-9]\d{0,2}\.\d{3}"), ",": re.compile(r"[-+]?[1-9]\d{0,2},\d{3}")}


def separator_for(decimal: str) -> str:
    """The thousands separator a file with this decimal mark can have."""
    return "." if decimal == "," else ","


def detect(cells: Sequence[str], decimal: str, delimiter: str) -> tuple[str | None, str | None]:
    """(thousands separator of the column or None, an example cell when the separator is ambiguous else
    None); see the module notes. ``cells`` are a column's text cells."""
    sep = separator_for(decimal)
    grouped, one = GROUPED[sep].fullmatch, ONE_GROUP[sep].fullmatch
    example = None
    sure = delimiter == sep
    for cell in cells:
        if sep not in cell:
            if not sure and decimal in cell:
                sure = True
            continue
        cell = cell.strip()
        if not grouped(cell):
            return None, None
        if example is None:
            example = cell
        if not sure and not one(cell):
            sure = True
    if example is None:
        return None, None
    return sep, (None if sure else example)


def could_be_grouped(cell: str, decimal: str) -> bool:
    """Whether one cell is a number grouped with the separator a file with ``decimal`` can have."""
    sep = separator_for(decimal)
    return sep in cell and GROUPED[sep].fullmatch(cell.strip()) is not None


def remove(cells: Sequence[str], sep: str) -> list[str]:
    """The cells with the separator taken out of grouped numbers; a cell holding ``sep`` that is not a
    grouped number becomes an invalid number (so the column does not read as numbers)."""
    grouped = GROUPED[sep].fullmatch
    return [(c.replace(sep, "") if grouped(c.strip()) else "\x01") if sep in c else c for c in cells]


def read_column(cells: Sequence[str], decimal: str, delimiter: str, option: str | None = None):
    """(float64 values or None when the column is not numbers, separator used or None, ambiguous example or
    None) for a column's cells. ``option``: ``None`` detects, ``""`` reads without a separator, ``"."`` /
    ``","`` use that one (a cell holding it that is not a grouped number makes the column text)."""
    from .table_text import _to_float

    if option == "":
        return _to_float(cells, decimal), None, None
    sep, example = detect(cells, decimal, delimiter) if option is None else (option, None)
    if sep:
        values = _to_float(remove(cells, sep), decimal)
        if values is not None:
            return values, sep, example
        if option is not None:
            return None, None, None
    return _to_float(cells, decimal), None, None


def note(column: str, example: str, sep: str, decimal: str) -> str:
    """The sentence for an ambiguous column: how it was read and how to choose otherwise."""
    as_grouped = float(example.replace(sep, "").replace(",", "."))
    as_decimal = float(example.replace(",", "."))
    mark = {".": "point", ",": "comma"}
    return (f"Column {column!r} holds numbers such as {example!r}, read as {as_grouped:.15g} with the "
            f"{mark[sep]} as a thousands separator (the file's decimal mark is a {mark[decimal]}). "
            f"If the {mark[sep]} is a decimal mark there ({as_decimal:.15g}), choose Thousands separator: None "
            f"(and the decimal mark) in File > Import with Options.")


def notes(table) -> list[str]:
    """The notes on a table's ambiguous thousands separators (:func:`note`), one per column."""
    found = getattr(table, "thousands_ambiguous", None) or {}
    seps = getattr(table, "thousands", None) or {}
    return [note(c, ex, seps.get(c, separator_for(table.decimal)), table.decimal) for c, ex in found.items()]
