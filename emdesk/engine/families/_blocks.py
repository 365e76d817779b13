"""Row blocks for the emission families (issue 16: bounded memory).

A family's ``bind(X, k)`` keeps a *reference* to the caller's ``X`` and validates it block by
block; the per-row arrays a pass needs (standardised rows, codes, masks, ...) are made for one
block of rows at a time by ``fam.rows(data, s, e)``.  Small data (a whole block's worth of rows)
keep them for all rows, so small fits are as fast as before.

* :data:`FAMILY_BLOCK_BYTES` - the budget of one block's temporaries (16 MiB), read when a
  family binds data (tests lower it);
* :func:`block_rows` - rows per block for ``k`` components and ``d`` per-row numbers;
* :func:`prepared_blocks` - a fitted model's family bound to checked rows, its parameters prepared, and the
  rows per block of its scoring passes (the bootstrap's alignment, ``MixtureModel.score``);
* :class:`RowResp` - responsibilities read per block of rows (an (n, k) array, a start's labels,
  or posteriors recomputed from parameters), so a start never holds ``(n, k)``;
* :class:`ColumnView` - some columns of the caller's X, read per block (the product family's
  blocks of columns without copying them);
* :class:`TakenRows` - the rows ``X[rows]`` of an array in its own type (a bootstrap resample of an HMM's
  integer symbols), gathered per block when read, never copied whole;
* :class:`LazyRows` - rows derived from X (standardised, one-hot codes) made when read, for the
  k-means starts (:mod:`emdesk.engine.init` reads ``Z[a:b]``, ``Z[idx]`` and ``Z[:, j]``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["FAMILY_BLOCK_BYTES", "block_rows", "row_ranges", "RowResp", "ColumnView", "LazyRows", "as_rows",
           "column_standardizer", "reduce_stats", "IndexRows", "TakenRows", "subset_resp", "resp_block",
           "prepared_blocks"]

#: Budget of one block's temporaries in the families' passes (bytes).
FAMILY_BLOCK_BYTES = 16 << 20


def block_rows(n, k, width):
    """Rows per block: about ``4 k + 3 width + 8`` numbers per row fit :data:`FAMILY_BLOCK_BYTES`
    (the block's log-densities, posteriors and their products, and its rows)."""
    per_row = 8 * (4 * int(k or 8) + 3 * int(width) + 8)
    return int(max(1, min(max(int(n), 1), FAMILY_BLOCK_BYTES // per_row)))


def prepared_blocks(est, X, fparams, block_bytes, arrays):
    """``(fam, data, prep, step)`` for scoring the checked rows ``X`` (n, d) in row blocks: the fitted model
    ``est``'s family bound to X, its parameters ``fparams`` checked and prepared (the family's
    ``FamilyFailure`` raised as a ValueError), and the rows per block that keep ``arrays`` (b, k) float arrays
    within ``block_bytes`` (at most the family's own block)."""
    from .base import FamilyFailure

    fam, k = est._family(), int(est.n_components)
    data = fam.bind(X, k)
    fparams = fam.check_params(fparams, k, X.shape[1])
    try:
        prep = fam.prepare(data, fparams)
    except FamilyFailure as exc:
        raise ValueError(str(exc)) from None
    step = max(1, min(getattr(data, "block", None) or data.n, block_bytes // (8 * arrays * k)))
    return fam, data, prep, step


def row_ranges(n, step):
    """``(start, stop)`` of consecutive blocks of ``step`` rows covering ``0 .. n``."""
    for s in range(0, n, step):
        yield s, min(s + step, n)


def reduce_stats(fam, parts):
    out = None
    for st in parts:
        out = st if out is None else fam.add_stats(out, st)
    return out


class ColumnView:
    """Columns ``cols`` (and optionally only the rows ``rows``, an increasing index) of a 2-D array,
    read by rows: ``V[a:b]`` / ``V[idx]`` give ``X[rows][a:b][:, cols]`` (only those rows are
    copied), ``V.column(j)`` one column."""

    ndim = 2

    def __init__(self, X, cols, rows=None):
        self.X = X
        self.cols = np.asarray(cols, dtype=np.intp)
        self.rows = rows
        self.shape = (X.shape[0] if rows is None else rows.size, self.cols.size)
        self.dtype = np.dtype(float)

    def __len__(self):
        return self.shape[0]

    def column(self, j):
        c = self.cols[j]
        return np.asarray(self.X[:, c] if self.rows is None else self.X[self.rows, c], dtype=float)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            rows, c = key
            return self[rows][..., c]
        if self.rows is not None:
            key = self.rows[key]
        if isinstance(key, (int, np.integer)):
            return np.asarray(self.X[key, self.cols], dtype=float)
        return np.asarray(self.X[key][:, self.cols], dtype=float)


class TakenRows:
    """The rows ``X[rows]`` of a 2-D array ``X`` (``rows``: row numbers in any order, repeats allowed; 4 bytes
    each below 2^31 rows) in X's own type, read by rows: ``T[a:b]`` / ``T[idx]`` gather only those rows
    (``np.take``, the bits of ``X[rows][a:b]``).  A bootstrap resample of a ``CategoricalHMM``'s integer
    symbols read in place (issue 16): the integer path of :class:`~.categorical.CategoricalFamily` reads it
    as it reads an integer array."""

    ndim = 2

    def __init__(self, X, rows):
        self.X, self.rows = X, rows
        self.shape = (rows.shape[0], X.shape[1])
        self.dtype = X.dtype

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, tuple):
            rows, c = key
            return self[rows][..., c]
        return np.take(self.X, self.rows[key], axis=0)


class IndexRows:
    """The row numbers ``0 .. n-1`` as a source of rows for :class:`LazyRows` (``I[key]`` is
    ``arange(n)[key]``, never made whole)."""

    ndim = 1

    def __init__(self, n):
        self.shape = (int(n),)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, slice):
            return np.arange(*key.indices(self.shape[0]))
        return np.asarray(key, dtype=np.intp)


def subset_resp(resp, idx):
    """The responsibilities of the rows ``idx`` (increasing) of ``resp`` ((n, k) or a RowResp)."""
    if idx is None:
        return resp if isinstance(resp, np.ndarray) else RowResp.of(resp)
    if isinstance(resp, np.ndarray):
        return resp[idx]
    resp = RowResp.of(resp)

    def block(a, b):
        if b <= a:
            return np.empty((0, resp.shape[1]))
        lo = int(idx[a])
        return resp.block(lo, int(idx[b - 1]) + 1)[idx[a:b] - lo]

    return RowResp(idx.size, resp.shape[1], block, step=resp.step)


def as_rows(X):
    """``X`` as a 2-D source of rows: a float ndarray (not copied when it is one already), a
    :class:`ColumnView` or a :class:`~emdesk.engine.families._codes.CodedRows`."""
    if isinstance(X, ColumnView):
        return X
    from ._codes import CodedRows

    if isinstance(X, CodedRows):
        return X
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    return X


def _column(X, j):
    return X.column(j) if isinstance(X, ColumnView) else X[:, j]


def column_standardizer(X, covariance_type):
    """:meth:`emdesk.engine._core.Standardizer.from_data` of ``X`` (no weights), one column at a
    time (the same numbers: from_data treats the columns one by one; a column's copy at a time)."""
    from .._colstats import STREAM_ROWS, standardiser_column
    from .._core import _COL_BLOCK, Standardizer

    d = X.shape[1]
    shift, var = np.zeros(d), np.zeros(d)
    for j in range(d):
        if X.shape[0] > STREAM_ROWS:  # read in row blocks, no copy of the column (the same numbers; issue 16)
            shift[j], _, sd = standardiser_column(X, j, _COL_BLOCK)
            with np.errstate(over="ignore"):
                var[j] = np.float64(sd) * np.float64(sd)
            continue
        one = Standardizer.from_data(np.asarray(_column(X, j), dtype=float).reshape(-1, 1), None, "diag")
        shift[j], var[j] = one.shift[0], one.data_var[0]
    return Standardizer(shift, Standardizer._safe_scale(var, covariance_type, shift), var)


class RowResp:
    """Responsibilities ``(n, k)`` read per block of rows: ``R.block(s, e)`` -> (e - s, k).

    ``RowResp.of(x)`` takes an (n, k) array, a (k, n) stand-in of :func:`emdesk.engine.init.initial_assignment`
    (one label per row, or regenerated random numbers) or a RowResp."""

    def __init__(self, n, k, block_fn, step=1 << 14):
        self.shape = (n, k)
        self._fn = block_fn
        self.step = step

    @classmethod
    def of(cls, x):
        if isinstance(x, RowResp):
            return x
        if isinstance(x, np.ndarray):
            return cls(x.shape[0], x.shape[1], lambda s, e: x[s:e])
        k, n = x.shape  # a (k, n) stand-in
        return cls(n, k, lambda s, e: np.ascontiguousarray(x[:, s:e].T))

    def block(self, s, e):
        return self._fn(s, e)

    def sum(self, axis=0):
        if axis != 0:
            raise ValueError("RowResp sums over rows only")
        out = np.zeros(self.shape[1])
        for s, e in row_ranges(self.shape[0], self.step):
            out += self.block(s, e).sum(axis=0)
        return out

    def to_array(self):
        out = np.empty(self.shape)
        for s, e in row_ranges(self.shape[0], self.step):
            out[s:e] = self.block(s, e)
        return out


def resp_block(resp, s, e):
    return resp.block(s, e) if isinstance(resp, RowResp) else resp[s:e]


class LazyRows:
    """Rows ``make(X[key])`` (2-D, ``width`` columns) made when read: ``Z[a:b]``, ``Z[idx]``, ``Z[i]``,
    ``Z[rows, cols]``, ``Z[:, j]`` (a column, made block by block)."""

    ndim = 2

    def __init__(self, X, make, width, step=1 << 14):
        self.X, self.make, self.step = X, make, step
        self.shape = (X.shape[0], int(width))

    def __len__(self):
        return self.shape[0]

    def _rows(self, key):
        if isinstance(key, (int, np.integer)):
            return self.make(self.X[int(key):int(key) + 1])[0]
        if isinstance(key, list):
            key = np.asarray(key, dtype=np.intp)
        xb = self.X[key]
        return self.make(xb.reshape(len(xb), -1) if np.ndim(xb) == 1 and getattr(self.X, "ndim", 2) == 2 else xb)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            rows, cols = key
            if isinstance(rows, slice) and rows == slice(None):
                first = self._rows(slice(0, min(self.shape[0], 1)))[..., cols]
                out = np.empty((self.shape[0],) + first.shape[1:])
                for s, e in row_ranges(self.shape[0], self.step):
                    out[s:e] = self._rows(slice(s, e))[..., cols]
                return out
            return self._rows(rows)[..., cols]
        return self._rows(key)

    def materialise(self, rows=None):
        return self[slice(None), slice(None)] if rows is None else self._rows(rows)
