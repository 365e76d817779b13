"""Compact category codes read as rows (issue 16, items 2/5: bounded memory).

The categorical and mixed mixtures used to hand EM a float64 copy of X with the category codes
(8 bytes per cell, NaN for missing).  :class:`CodedRows` holds instead, per categorical column, the
codes in the smallest unsigned integer type that has room for the number of categories plus one
sentinel (:func:`code_dtype`: 1 byte per cell up to 254 categories), and reads numeric columns from
the caller's array (a reference, no copy).  It is a source of float rows made when read, one block
at a time (``R[a:b]``, ``R[idx]``, ``R[i]``, ``R[rows, j]``, ``R.column(j)``): the numbers are the
ones the float copy held (codes as floats, NaN where missing, the numeric cells as they are), so
everything that read the copy per block reads the same values, and results are the same bits.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CodedRows", "code_dtype", "missing_code"]


def code_dtype(n_levels) -> np.dtype:
    """The smallest unsigned integer type holding the codes ``0 .. n_levels - 1`` and, above them, the
    missing-cell sentinel (the type's largest value: :func:`missing_code`)."""
    for dt in (np.uint8, np.uint16, np.uint32):
        if int(n_levels) < int(np.iinfo(dt).max):
            return np.dtype(dt)
    return np.dtype(np.uint64)


def missing_code(dtype) -> int:
    """The sentinel of a missing cell in a code array of ``dtype`` (its largest value)."""
    return int(np.iinfo(np.dtype(dtype)).max)


class CodedRows:
    """``(n, d)`` rows whose columns are category codes (a 1-D unsigned integer array per column,
    missing = :func:`missing_code`) or numbers (column ``c`` of a 2-D numeric array, read in place).

    ``columns``: one entry per column of the rows, ``("codes", codes (n,))`` or
    ``("number", array (n, p), c)``.  Read as float rows, made when read (see the module)."""

    ndim = 2
    dtype = np.dtype(float)

    def __init__(self, n, columns, rows=None):
        self._cols = list(columns)
        self._sel = rows  # None, or the increasing row numbers (of the columns' arrays) these rows are
        self.shape = (int(n) if rows is None else int(rows.size), len(self._cols))

    def __len__(self):
        return self.shape[0]

    @property
    def nbytes_held(self) -> int:
        """Bytes this object holds itself (the codes; numeric columns are the caller's)."""
        return int(sum(c[1].nbytes for c in self._cols if c[0] == "codes"))

    def select(self, cols, rows=None) -> "CodedRows":
        """The columns ``cols`` (and only the rows ``rows``, an increasing index, when given) as
        CodedRows of the same arrays (no copy of the codes): what a product family's block reads."""
        sel = rows
        if rows is not None and self._sel is not None:
            sel = self._sel[rows]
        elif rows is None:
            sel = self._sel
        return CodedRows(self.shape[0], [self._cols[int(j)] for j in cols], sel)

    def take(self, idx) -> "CodedRows":
        """The rows ``idx`` (any order, repeats allowed: a bootstrap resample) as new CodedRows: the codes
        gathered in their compact type, numeric columns gathered as floats (n, 1)."""
        idx = np.asarray(idx, dtype=np.intp)
        if self._sel is not None:
            idx = self._sel[idx]
        cols = []
        for spec in self._cols:
            if spec[0] == "codes":
                cols.append(("codes", spec[1][idx]))
            else:
                cols.append(("number", np.asarray(spec[1][idx, spec[2]], dtype=float).reshape(-1, 1), 0))
        out = CodedRows(idx.size, cols)
        if hasattr(self, "categories"):
            out.categories = self.categories
        return out

    @property
    def copy_row_bytes(self) -> int:
        """Bytes a row of :meth:`take`'s copy holds: each code column's code, 8 for each numeric column."""
        return int(sum(c[1].dtype.itemsize if c[0] == "codes" else 8 for c in self._cols))

    def resample(self, rows) -> "CodedRows":
        """The rows ``rows`` (any order, repeats allowed: a bootstrap resample; 4-byte row numbers) read in place:
        CodedRows of the same arrays through those row numbers, a block gathered when it is read, the same numbers
        as :meth:`take`'s copy (issue 16, tenth session)."""
        out = CodedRows(self.shape[0], self._cols, rows if self._sel is None else self._sel[rows])
        if hasattr(self, "categories"):
            out.categories = self.categories
        return out

    def gathered(self, blocks, size) -> "CodedRows":
        """:meth:`take` of a resample handed over as ``(start, stop, row numbers)`` blocks of ``size`` rows in all
        (:func:`emdesk.engine._resample.index_blocks`): the copy filled block by block, never the row numbers of
        every row (tenth session)."""
        cols = [("codes", np.empty(size, dtype=spec[1].dtype)) if spec[0] == "codes" else ("number", np.empty((size, 1)), 0)
                for spec in self._cols]
        for s, e, idx in blocks:
            if self._sel is not None:
                idx = self._sel[idx]
            for spec, col in zip(self._cols, cols):
                if spec[0] == "codes":
                    col[1][s:e] = spec[1][idx]
                else:
                    col[1][s:e, 0] = spec[1][idx, spec[2]]
        out = CodedRows(size, cols)
        if hasattr(self, "categories"):
            out.categories = self.categories
        return out

    def recoded(self, F, rows, missing=None, step=1 << 16) -> "CodedRows":
        """The float rows ``F[rows]`` (laid out as these rows: codes as floats, NaN where missing; ``missing``
        (len(rows), d) bool cells made missing too) stored as these rows are: code columns in their compact
        type, numeric columns as floats (n, 1); gathered ``step`` rows at a time, so no float copy of ``F[rows]``
        (a parametric bootstrap's simulated rows, permuted; tenth session).  A code at or above a column's
        count stays as it is (the replicate's checks then read these rows as floats, as they read ``F``)."""
        size = rows.shape[0]
        cols = [("codes", np.empty(size, dtype=spec[1].dtype)) if spec[0] == "codes" else ("number", np.empty((size, 1)), 0)
                for spec in self._cols]
        for s in range(0, size, step):
            blk = F[rows[s:s + step]]
            if missing is not None:
                blk[missing[s:s + step]] = np.nan
            for j, col in enumerate(cols):
                if col[0] == "codes":
                    col[1][s:s + step] = np.where(np.isnan(blk[:, j]), missing_code(col[1].dtype), blk[:, j])
                else:
                    col[1][s:s + step, 0] = blk[:, j]
        out = CodedRows(size, cols)
        if hasattr(self, "categories"):
            out.categories = self.categories
        return out

    def missing_mask(self) -> np.ndarray:
        """(n, d) bool: the missing cells (the sentinel code, NaN in a numeric column), one column at a time."""
        out = np.empty(self.shape, dtype=bool)
        for j, spec in enumerate(self._cols):
            s = 0
            for b in self._blocks_of(j):
                # assigned, not written with out=: NumPy 2.4.6's isnan into a strided bool column
                # (out=out[:, j]) from a strided input wrote wrong cells (found here, 1 Dec 2026)
                out[s:s + b.shape[0], j] = (b == missing_code(b.dtype)) if spec[0] == "codes" else np.isnan(b)
                s += b.shape[0]
        return out

    def codes_match(self, n_levels) -> bool:
        """Whether the code columns, in order, number ``n_levels`` (a list, one per code column) or fewer
        categories: every observed code below its column's count."""
        code_cols = [j for j, c in enumerate(self._cols) if c[0] == "codes"]
        if len(code_cols) != len(n_levels):
            return False
        for j, R in zip(code_cols, n_levels):
            for b in self._blocks_of(j):
                miss = b == missing_code(b.dtype)
                if np.any(b[~miss] >= R):
                    return False
        return True

    @property
    def all_codes(self) -> bool:
        """Every column is category codes (then :meth:`codes_rows` reads them as integers)."""
        return all(c[0] == "codes" for c in self._cols)

    def codes_rows(self, key):
        """``(x (b, d) intp codes with missing cells at 0, obs (b, d) bool)`` of the rows ``key`` (a
        slice or an index) when :attr:`all_codes`: what a categorical family's block holds, read from
        the codes without a float round trip (the same numbers)."""
        if self._sel is not None:
            key = self._sel[key]
        first = self._cols[0][1][key] if self._cols else None
        b = 0 if first is None else first.shape[0]
        x = np.empty((b, self.shape[1]), dtype=np.intp)
        obs = np.empty((b, self.shape[1]), dtype=bool)
        for j, spec in enumerate(self._cols):
            cb = first if j == 0 else spec[1][key]
            np.not_equal(cb, missing_code(cb.dtype), out=obs[:, j])
            np.multiply(cb, obs[:, j], out=x[:, j], casting="unsafe")  # missing -> 0
        return x, obs

    def code_summary(self):
        """``(missing cells (int), largest observed code per column (d,) float, 0 for a column with
        none))`` when :attr:`all_codes`, read in blocks of the codes."""
        n_missing, colmax = 0, np.zeros(self.shape[1])
        for j in range(self.shape[1]):
            for cb in self._blocks_of(j):
                miss = cb == missing_code(cb.dtype)
                n_missing += int(np.count_nonzero(miss))
                if not miss.all():
                    colmax[j] = max(colmax[j], float(np.max(np.where(miss, 0, cb))))
        return n_missing, colmax

    def _blocks_of(self, j, step=1 << 16):
        """Column ``j``'s raw values (codes or numbers) in blocks of ``step`` rows."""
        spec = self._cols[j]
        for s in range(0, self.shape[0], step):
            key = slice(s, s + step) if self._sel is None else self._sel[s:s + step]
            yield spec[1][key] if spec[0] == "codes" else spec[1][key, spec[2]]

    def any_infinite(self) -> bool:
        """Whether a numeric column holds inf (codes never do); one column's block at a time."""
        return any(np.isinf(np.asarray(b, dtype=float)).any()
                   for j, spec in enumerate(self._cols) if spec[0] == "number" for b in self._blocks_of(j))

    def observed_columns(self) -> np.ndarray:
        """(d,) bool: the columns with at least one observed cell; read in blocks of the raw values."""
        seen = np.zeros(self.shape[1], dtype=bool)
        for j, spec in enumerate(self._cols):
            for b in self._blocks_of(j):
                if spec[0] == "codes":
                    seen[j] = bool(np.any(b != missing_code(b.dtype)))
                else:
                    seen[j] = not np.isnan(np.asarray(b, dtype=float)).all()
                if seen[j]:
                    break
        return seen

    def _col(self, j, key):
        if self._sel is not None:
            key = self._sel[key]
        spec = self._cols[j]
        if spec[0] == "number":
            return np.asarray(spec[1][key, spec[2]], dtype=float)
        cb = spec[1][key]
        out = np.asarray(cb, dtype=float)
        miss = cb == missing_code(cb.dtype)
        if np.ndim(miss) == 0:
            return np.float64(np.nan) if miss else out
        out[miss] = np.nan
        return out

    def column(self, j):
        """Column ``j`` as floats (n,) (a reference for a float numeric column)."""
        return self._col(int(j), slice(None))

    def _rows(self, key, cols=None):
        if isinstance(key, list):
            key = np.asarray(key, dtype=np.intp)
        cols = range(self.shape[1]) if cols is None else [int(j) for j in np.arange(self.shape[1])[cols]]
        if isinstance(key, (int, np.integer)):
            return np.array([self._col(j, key) for j in cols], dtype=float)
        if not cols:
            return np.empty((len(np.arange(self.shape[0])[key]), 0))
        out = None
        for i, j in enumerate(cols):  # one column's temporaries at a time
            part = self._col(j, key)
            if out is None:
                out = np.empty((part.shape[0], len(cols)))
            out[:, i] = part
        return out

    def __getitem__(self, key):
        if isinstance(key, tuple):
            rows, cols = key
            if isinstance(cols, (int, np.integer)):
                return self._col(int(cols), rows)
            return self._rows(rows, cols)
        return self._rows(key)

    def __array__(self, dtype=None, copy=None):
        out = self._rows(slice(None))
        return out if dtype is None else out.astype(dtype, copy=False)
