"""Fill values: a number standing for "missing" (-999, 9999, 1e20 ...) in a numeric column (issue 15; no Qt).

Many instruments, models and survey files write a sentinel where a value is missing: -999, -9999.0, 9999,
99 (a survey's "don't know"), 1e20 (CF/netCDF conventions' customary ``_FillValue``), 9.96921e36 (netCDF's
default float fill, NC_FILL_FLOAT). Fitted as numbers they drag a mixture component far away.
:func:`find_fill_values` points them out; :func:`replace_fill_values` returns a new Table with NaN in their
place (the table itself is not changed), which the fit then treats as missing.

The rule, per numeric column (missing cells ignored): a value is a fill value when
- it occurs at least ``min_count`` times (2) and in less than half of the column's values;
- it lies outside the range of the other values, and they take at least 3 distinct values;
- its distance to that range ("gap") is more than 10 times the range's width, or, for a value that looks
  like a sentinel (all nines: 99, -999, 9999.0, -99.9 ...; a power of ten of magnitude >= 1e10;
  9.96921e36; the float32 extremes), more than the range's width.
So a genuine outlying cluster near the data, a cap (a value repeated at the top of the range), zeros in
zero-inflated counts and the two values of a 0/1 column are not flagged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from .table import DataError, Table, format_number

__all__ = ["FillValue", "find_fill_values", "replace_fill_values", "looks_like_sentinel"]

_NINES = re.compile(r"^9+(\.9+)?$")
# 9.96921e36 = NC_FILL_FLOAT (netCDF's default fill for float variables, netcdf.h); 9.969209968386869e36 is
# NC_FILL_DOUBLE; 3.4028235e38 = the float32 maximum some writers use.
_KNOWN = (9.96921e36, 9.969209968386869e36, 3.4028234663852886e38)


@dataclass(frozen=True)
class FillValue:
    """One column's fill value: ``value`` occurs ``count`` times (``fraction`` of the column's values that
    are not missing); ``message`` is one sentence for the Data panel."""

    column: str
    value: float
    count: int
    fraction: float
    message: str


def looks_like_sentinel(value: float) -> bool:
    """Whether ``value`` is spelled like a customary fill value (all nines, a huge power of ten, netCDF's
    default fills, the float32 extremes), whatever its sign."""
    a = abs(float(value))
    if not math.isfinite(a) or a == 0:
        return False
    if any(math.isclose(a, k, rel_tol=1e-6) for k in _KNOWN):
        return True
    if a >= 1e10 and math.isclose(math.log10(a), round(math.log10(a)), abs_tol=1e-9):
        return True
    text = format_number(a)
    return bool(_NINES.match(text)) and a >= 9


#: Rows read at a time when looking for or replacing fill values (issue 16: memory is one block's,
#: whatever the number of rows).
BLOCK_ROWS = 1 << 16
#: Distinct values kept at each end of a column's range: the rule below looks at the two lowest and
#: two highest and at the range of the rest, which needs at most the third from either end.
_ENDS = 4


def _merge_ends(values, counts, new_values, new_counts):
    """The ``_ENDS`` lowest and highest distinct values of two summaries, with their counts added."""
    v = np.concatenate([values, new_values])
    c = np.concatenate([counts, new_counts])
    u, inverse = np.unique(v, return_inverse=True)
    total = np.bincount(inverse.reshape(-1), weights=c).astype(np.int64)
    if u.size > 2 * _ENDS:
        keep = np.r_[0:_ENDS, u.size - _ENDS:u.size]
        u, total = u[keep], total[keep]
    return u, total


def _column_summary(table: Table, name: str):
    """``(values, counts, n)``: the column's ``_ENDS`` lowest and highest distinct values (all of them
    when there are at most ``2 * _ENDS``) with their exact counts, and the number of values that are not
    missing; read in blocks of ``BLOCK_ROWS`` rows.  A value among the lowest of the whole column is
    among the lowest of every block holding it, so its count is complete."""
    values = np.empty(0)
    counts = np.empty(0, dtype=np.int64)
    n = 0
    for start in range(0, table.n_rows, BLOCK_ROWS):
        x = table.to_array([name], start, start + BLOCK_ROWS)[:, 0]
        x = x[~np.isnan(x)]
        n += x.size
        u, c = np.unique(x, return_counts=True)
        if u.size > 2 * _ENDS:
            keep = np.r_[0:_ENDS, u.size - _ENDS:u.size]
            u, c = u[keep], c[keep]
        values, counts = _merge_ends(values, counts, u, c)
    return values, counts, n


def _column_fills(name: str, x, min_count: int) -> list[FillValue]:
    """Fill values of one column: ``x`` is the column (1-D array) or its :func:`_column_summary`."""
    if isinstance(x, tuple):
        values, counts, n = x
    else:
        x = x[~np.isnan(x)]
        n = x.size
        values, counts = np.unique(x, return_counts=True)
    if n < min_count + 3:
        return []
    if values.size < 4:
        return []
    found = []
    # candidates: repeated values at either end of the sorted distinct values (a fill value is outside
    # the rest); at most the two lowest and two highest, so -999 and -9999 in one column are both seen
    ends = sorted(set(list(range(min(2, values.size))) + list(range(max(0, values.size - 2), values.size))))
    for i in ends:
        v, c = float(values[i]), int(counts[i])
        if c < min_count or c * 2 >= n:
            continue
        others = values[[k for k in range(values.size) if k != i and k not in
                         [e for e in ends if e != i and _is_fill_candidate(values, counts, e, n, min_count)]]]
        if others.size < 3:
            continue
        lo, hi = float(others.min()), float(others.max())
        if lo <= v <= hi:
            continue
        gap = lo - v if v < lo else v - hi
        width = hi - lo
        factor = 1.0 if looks_like_sentinel(v) else 10.0
        if width > 0 and gap > factor * width:
            found.append(FillValue(
                column=name, value=v, count=c, fraction=c / n,
                message=(f"Column {name!r}: {format_number(v)} occurs {c} times, far outside the other values "
                         f"({lo:.4g} to {hi:.4g}); is it a fill value for missing "
                         f"data?")))
    return found


def _is_fill_candidate(values, counts, i, n, min_count) -> bool:
    """A repeated end value that is itself far out (so it does not widen the range another is judged by)."""
    c = int(counts[i])
    if c < min_count or c * 2 >= n:
        return False
    rest = np.delete(values, i)
    if rest.size < 3:
        return False
    v = values[i]
    lo, hi = rest.min(), rest.max()
    if lo <= v <= hi:
        return False
    gap = lo - v if v < lo else v - hi
    return bool(looks_like_sentinel(v) and gap > 0)


def find_fill_values(table: Table, columns: Iterable[str] | None = None, *, min_count: int = 2) -> list[FillValue]:
    """The fill values of ``table``'s numeric columns (all, or those named in ``columns``), in column order.

    Returns an empty list when there are none. Raises DataError for a column that does not exist.
    """
    every = columns is None and min_count == 2
    if every and getattr(table, "_fill_values", None) is not None:  # found once per table (Table.warm)
        return list(table._fill_values)
    names = table.numeric_column_names if columns is None else [c for c in columns if table.is_numeric(c)]
    out: list[FillValue] = []
    for name in names:
        out.extend(_column_fills(name, _column_summary(table, name), min_count))
    if every:
        table._fill_values = tuple(out)  # a table does not change
    return out


def replace_fill_values(table: Table, fills: Sequence[FillValue] | Mapping[str, float | Sequence[float]]) -> Table:
    """A new :class:`Table` with NaN (missing) where a numeric column holds one of its fill values.

    ``fills``: :func:`find_fill_values`' result (or a part of it), or ``{column: value or [values]}``.
    The table's other columns, text and attributes are kept; ``table`` is not changed. Raises DataError
    for a column that is not numeric or does not exist.
    """
    wanted: dict[str, list[float]] = {}
    if isinstance(fills, Mapping):
        for column, value in fills.items():
            wanted.setdefault(column, []).extend(
                [float(v) for v in value] if isinstance(value, (list, tuple, np.ndarray)) else [float(value)])
    else:
        for fill in fills:
            wanted.setdefault(fill.column, []).append(float(fill.value))
    for column in wanted:
        if not table.is_numeric(column):
            raise DataError(f"Column {column!r} of {table.name} holds text; only numbers can be fill values.")
    names = table.numeric_column_names
    numeric = table.to_array(names)
    for j, name in enumerate(names):
        for value in wanted.get(name, ()):
            for start in range(0, numeric.shape[0], BLOCK_ROWS):  # masks of one block at a time
                col = numeric[start:start + BLOCK_ROWS, j]
                col[col == value] = np.nan
    out = Table(path=table.path, column_names=table.column_names, numeric=numeric, numeric_names=names,
                text={c: table.text_column(c) for c in table.text_column_names}, sha256=table.sha256,
                delimiter=table.delimiter, decimal=table.decimal, encoding=table.encoding,
                has_header=table.has_header)
    for attr in ("sheet", "sheet_names", "notes", "row_label_column", "header_row", "thousands", "thousands_ambiguous",
                 "other_decimal_columns", "spaced_one_column"):
        if hasattr(table, attr):
            setattr(out, attr, getattr(table, attr))
    out.fill_values = {c: list(v) for c, v in wanted.items()}
    return out
