"""Thousands separators in numbers, per column (no Qt, no I/O).

A file with decimal commas (German style) may group digits with dots: ``1.234.567``, ``10.691``,
``1.234,5``; a file with decimal points (US style) with commas, in quoted fields of a comma-separated file:
``"1,234,567"``, ``"10,691"``. That *mark* separator is always the mark that is not the file's decimal mark.
Either file may also group digits with spaces (``1 234 567,5``, French and ISO style: the plain space, the
no-break space U+00A0, the narrow no-break space U+202F or the thin space U+2009; after the decimal mark too,
ISO 80000's ``3,141 592`` and ``3.141 592``, where every such cell is grouped in threes from the mark) or apostrophes
(``1'234'567.5``, Swiss style: ``'`` or the typographic U+2019), which are never a decimal mark.

A column is read with a thousands separator when every cell holding it is a number grouped in threes
(``[1-9]`` then 0-2 digits, then groups of exactly three digits, then the decimal mark and digits or
nothing; ``0.125`` is never grouped) and it holds no other separator. A space or an apostrophe is always
*sure* (such a cell is no number otherwise). A mark separator is *sure* when some cell has two groups or
more (``1.234.567``) or a decimal part (``1.234,5``), when the column also holds the decimal mark (``12,5``
beside ``10.691``: a column does not mix decimal marks), or when the separator is the file's delimiter (a
comma inside quotes of a comma-separated file cannot be its decimal mark). Otherwise it is *ambiguous* (a
column of ``10.691``-like values only, in a decimal-comma file: 10691, or 10.691 written with a decimal
point?): the column is read by the file's decimal convention (the other mark groups thousands: 10691) and
:func:`note` says so, naming the column and an example, so that the user can choose
(``ImportOptions.thousands``; ``""`` = no thousands separator).
"""

from __future__ import annotations

import re
from typing import Sequence

#: The thousands-separator choices of ``ImportOptions.thousands`` besides ``None`` (detect): value -> label.
#: ``" "`` stands for every space below (``SPACES``), ``"'"`` for both apostrophes (``APOSTROPHES``).
THOUSANDS = {"": "None", ".": "Point  (1.234.567)", ",": "Comma  (1,234,567)",
             " ": "Space  (1 234 567)", "'": "Apostrophe  (1'234'567)"}
#: The spaces read as one thousands separator: space, no-break space, narrow no-break space, thin space.
SPACES = " \u00a0\u202f\u2009"
#: The apostrophes read as one thousands separator: ASCII apostrophe, right single quotation mark.
APOSTROPHES = "'\u2019"
_CHARS = {".": ".", ",": ",", " ": SPACES, "'": APOSTROPHES}
_REMOVE = {sep: {ord(c): None for c in chars} for sep, chars in _CHARS.items()}


def _grouped(sep: str, decimal: str) -> re.Pattern:
    """``[-+]`` ``[1-9]\\d{0,2}`` then groups of three, each after the same separator character (a cell does
    not mix a space and a no-break space), then the decimal mark and digits, or nothing. With spaces also
    the digits after the decimal mark grouped in threes from the mark, the last group of one to three
    (ISO 80000-1, 7.3.1: ``3,141 592``, ``3.141 59``, ``12 345,678 9``; the same space as the whole part's)."""
    chars, dec = re.escape(_CHARS[sep]), re.escape(decimal)
    if sep != " ":
        return re.compile(rf"[-+]?[1-9]\d{{0,2}}([{chars}])\d{{3}}(?:\1\d{{3}})*(?:{dec}\d*)?")
    return re.compile(rf"[-+]?(?:[1-9]\d{{0,2}}([{chars}])\d{{3}}(?:\1\d{{3}})*(?:{dec}(?:\d{{3}}(?:\1\d{{3}})*\1\d{{1,3}}|\d*))?"
                      rf"|\d+{dec}\d{{3}}([{chars}])(?:\d{{3}}\2)*\d{{1,3}})")


# (separator, decimal mark) -> grouped numbers; a mark separator goes only with the other mark
GROUPED = {(sep, dec): _grouped(sep, dec) for sep in _CHARS for dec in ".," if sep != dec}
# one group and nothing else: could as well be a decimal number with three decimals
ONE_GROUP = {".": re.compile(r"[-+]?[1-9]\d{0,2}\.\d{3}"), ",": re.compile(r"[-+]?[1-9]\d{0,2},\d{3}")}
_SPACE_OR_APOSTROPHE = re.compile(f"[{re.escape(SPACES + APOSTROPHES)}]")
_ANY_SEPARATOR = {m: re.compile(f"[{re.escape(m + SPACES + APOSTROPHES)}]").search for m in ".,"}


def separator_for(decimal: str) -> str:
    """The mark (point or comma) a file with this decimal mark can group thousands with."""
    return "." if decimal == "," else ","


def _separator_in(cell: str, mark: str) -> str | None:
    """The separator a (stripped) cell holds: the mark, ``" "``, ``"'"``, or None."""
    if mark in cell:
        return mark
    found = _SPACE_OR_APOSTROPHE.search(cell)
    if found is None:
        return None
    return " " if found.group() in SPACES else "'"


def detect(cells: Sequence[str], decimal: str, delimiter: str) -> tuple[str | None, str | None]:
    """(thousands separator of the column or None, an example cell when the separator is ambiguous else
    None); see the module notes. ``cells`` are a column's text cells."""
    mark = separator_for(decimal)
    found = example = None
    sure = delimiter == mark
    holds = _ANY_SEPARATOR[mark]
    for cell in cells:
        if not holds(cell):  # (one C call; most cells of most columns hold none)
            continue
        cell = cell.strip()
        sep = _separator_in(cell, mark)
        if sep is None:
            continue
        if found is None:
            found = sep
        elif sep != found:  # 1.234 beside 1 234: not one convention
            return None, None
        if not GROUPED[sep, decimal].fullmatch(cell):
            return None, None
        if example is None:
            example = cell
        if not sure and (sep != mark or not ONE_GROUP[mark].fullmatch(cell)):
            sure = True
    if found is None:
        return None, None
    # the decimal mark elsewhere in the column (a grouped cell with a decimal part is already sure)
    sure = sure or decimal in "".join(cells)
    return found, (None if sure else example)


def could_be_grouped(cell: str, decimal: str) -> bool:
    """Whether one cell is a number grouped with a separator a file with ``decimal`` can have."""
    cell = cell.strip()
    sep = _separator_in(cell, separator_for(decimal))
    return sep is not None and GROUPED[sep, decimal].fullmatch(cell) is not None


def remove(cells: Sequence[str], sep: str, decimal: str) -> list[str]:
    """The cells with the separator taken out of grouped numbers; a cell holding ``sep`` that is not a
    grouped number becomes an invalid number (so the column does not read as numbers)."""
    grouped, table = GROUPED[sep, decimal].fullmatch, _REMOVE[sep]
    if sep in ".,":
        return [(c.replace(sep, "") if grouped(c.strip()) else "\x01") if sep in c else c for c in cells]
    out = []
    for c in cells:
        s = c.strip()
        if s.translate(table) == s:
            out.append(c)
        else:
            out.append(s.translate(table) if grouped(s) else "\x01")
    return out


def read_column(cells: Sequence[str], decimal: str, delimiter: str, option: str | None = None):
    """(float64 values or None when the column is not numbers, separator used or None, ambiguous example or
    None) for a column's cells. ``option``: ``None`` detects, ``""`` reads without a separator, ``"."``,
    ``","``, ``" "`` or ``"'"`` use that one (a cell holding it that is not a grouped number makes the
    column text)."""
    from .table_text import _to_float

    if option == "" or option == decimal:
        return _to_float(cells, decimal), None, None
    sep, example = detect(cells, decimal, delimiter) if option is None else (option, None)
    if sep and option is not None:
        joined = "".join(cells)
        sep = sep if any(c in joined for c in _CHARS[sep]) else None  # chosen, but not in this column
    if sep:
        values = _to_float(remove(cells, sep, decimal), decimal)
        if values is not None:
            return values, sep, example
        if option is not None:
            return None, None, None
    return _to_float(cells, decimal), None, None


def note(column: str, example: str, sep: str, decimal: str, cli: bool = False) -> str:
    """The sentence for an ambiguous column: how it was read and how to choose otherwise (``cli``: with
    emdesk-fit's option rather than the window's menu)."""
    as_grouped = float(example.replace(sep, "").replace(",", "."))
    as_decimal = float(example.replace(",", "."))
    mark = {".": "point", ",": "comma"}
    return (f"Column {column!r} holds numbers such as {example!r}, read as {as_grouped:.15g} with the "
            f"{mark[sep]} as a thousands separator (the file's decimal mark is a {mark[decimal]}). "
            f"If the {mark[sep]} is a decimal mark there ({as_decimal:.15g}), "
            + ("give --thousands none." if cli else
               "choose Thousands separator: None (and the decimal mark) in File > Import with Options."))


def notes(table, cli: bool = False) -> list[str]:
    """The notes on a table's ambiguous thousands separators (:func:`note`), one per column."""
    found = getattr(table, "thousands_ambiguous", None) or {}
    seps = getattr(table, "thousands", None) or {}
    return [note(c, ex, seps.get(c, separator_for(table.decimal)), table.decimal, cli) for c, ex in found.items()]


def spaced_note(column: str, example: str, reason: str, cli: bool = False) -> str:
    """The sentence for a file of space-grouped numbers under a one-name header read as one column, not as
    R's row names and values (``table_text._one_column_of_spaced_numbers``; ``reason`` a key of
    ``table_text.SPACED_REASONS``); ``cli``: emdesk-fit has no delimiter option, so the window's is named."""
    from .table_text import SPACED_REASONS

    first, _, rest = example.partition(" ")
    return (f"Column {column!r} holds numbers such as {example!r}, read as one column, spaces grouping the digits "
            f"({float(example.replace(' ', '')):.15g}), not as R's row names ({first!r}) and values ({rest!r}): "
            f"{SPACED_REASONS[reason]}. If they are row names, "
            + ("quote them (R's write.table does by default) or choose the delimiter Spaces in the window's "
               "File > Import with Options." if cli else "choose Delimiter: Spaces in File > Import with Options."))


def spaced_notes(table, cli: bool = False) -> list[str]:
    """The note on a table read as one column of space-grouped numbers (``Table.spaced_one_column``:
    column -> (reason, example line))."""
    found = getattr(table, "spaced_one_column", None) or {}
    return [spaced_note(column, example, reason, cli) for column, (reason, example) in found.items()]
