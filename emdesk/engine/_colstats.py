"""Column statistics of the fit's checks and standardiser read in row blocks (issue 16, items 2/5).

The column checks (:func:`emdesk.engine._validation.check_columns`: minimum, maximum, the 25/50/75th
percentiles) and the standardiser (:meth:`emdesk.engine._core.Standardizer.from_data`: the median, the mean and
the spread about it) worked on a contiguous copy of each column (8 bytes per row) and took the median and
percentiles by ``np.median`` / ``np.percentile``, which partition a second copy.  Above :data:`STREAM_ROWS`
rows the same numbers are computed here from the column read ``READ_ROWS`` rows at a time, with no array of
the column's size:

* **order statistics** (:func:`order_statistics`) by a radix selection on the bits of the values: a value's
  float64 bits mapped to an unsigned key that sorts as the values do; one pass counts the keys' top 12 bits
  (4,096 counters), the bucket holding each wanted rank is kept, and further passes count the next 12 bits
  inside that bucket until it holds at most :data:`GATHER_VALUES` values, which are gathered and sorted.  The
  result is the element itself (the bits ``np.partition`` puts at that rank, with one exception: where the
  rank falls among zeros of both signs, which compare equal, NumPy's partition may put either there and
  this gives -0.0; a shift of -0.0 or 0.0 standardises every value to the same number but the sign of a
  zero);
* **the median and percentiles** from those elements by NumPy's own arithmetic: ``np.median``'s mean of the two
  middle values, ``np.percentile``'s "linear" method (virtual index ``(n - 1) q``, NumPy's ``_lerp``);
* **the mean** as ``np.mean`` sums a contiguous array (pairwise summation: the same split of the rows, each
  part of at most 4,096 values summed by NumPy itself), so the same bits;
* the spread's blocks of ``_core._COL_BLOCK`` observed values as ``from_data`` cuts them.

The results are the same bits as the copying code (tests/engine/test_column_stream.py compares them on data
with NaN, ties, row weights of 0 and sizes around every block boundary).
"""

from __future__ import annotations

import numpy as np

from ._blas import dot

__all__ = ["STREAM_ROWS", "order_statistics", "ColumnReader", "column_summary", "standardiser_column"]

#: Columns of more rows than this are read in blocks (fewer: the contiguous copy, as before; same results).
STREAM_ROWS = 1 << 18
#: Rows read from X at a time.
READ_ROWS = 1 << 14
#: A bucket of at most this many values is gathered (8 bytes each) and sorted.
GATHER_VALUES = 1 << 17
#: Bits of the key counted per pass (4,096 counters; 6 passes at most, 2-3 on most data).
DIGIT_BITS = 12
#: Leaves of the pairwise mean: parts of at most this many values are summed by NumPy itself.
_PAIRWISE_LEAF = 1 << 12

_SIGN = np.uint64(1 << 63)


def _keys(v):
    """uint64 keys of float64 values that sort as the values do (NaN left out before)."""
    k = np.array(v, dtype=np.float64).view(np.uint64)  # a copy, changed in place
    t = k >> np.uint64(63)
    np.negative(t, out=t)  # all ones for a negative value (unsigned wrap-around), else 0
    np.bitwise_or(t, _SIGN, out=t)
    np.bitwise_xor(k, t, out=k)  # negative: every bit flipped (larger |x| sorts lower); else the sign bit set
    return k


def _value(key):
    key = np.uint64(key)
    u = key ^ _SIGN if key >= _SIGN else ~key
    return float(np.array([u], dtype=np.uint64).view(np.float64)[0])


def order_statistics(blocks, m, ranks):
    """``{rank: value}``: the ``rank``-th smallest (0-based) of the ``m`` values that ``blocks()`` yields (a
    fresh iterator of float64 arrays, NaN-free, per call; any order), each exactly an element."""
    want = sorted({int(r) for r in ranks})
    if any(r < 0 or r >= m for r in want):
        raise ValueError(f"ranks must lie in 0 .. {m - 1}; got {want}.")
    out = {}
    groups = [(0, 0, m, want)]  # (key prefix, its bits, values in the group, ranks counted from the group's first)
    base = {r: 0 for r in want}  # values below each rank's group
    while groups:
        gather = [g for g in groups if g[2] <= GATHER_VALUES]
        count = [g for g in groups if g[2] > GATHER_VALUES]
        bufs = [np.empty(g[2]) for g in gather]
        fill = [0] * len(gather)
        hists = [np.zeros(1 << DIGIT_BITS, dtype=np.int64) for _ in count]
        for v in blocks():
            if not v.size:
                continue
            k = _keys(v)
            for i, (prefix, bits, _, _) in enumerate(gather):
                sel = v if bits == 0 else v[(k >> np.uint64(64 - bits)) == np.uint64(prefix)]
                bufs[i][fill[i]:fill[i] + sel.size] = sel
                fill[i] += sel.size
            for i, (prefix, bits, _, _) in enumerate(count):
                kk = k if bits == 0 else k[(k >> np.uint64(64 - bits)) == np.uint64(prefix)]
                step = min(DIGIT_BITS, 64 - bits)
                hists[i] += np.bincount(((kk >> np.uint64(64 - bits - step)) & np.uint64((1 << step) - 1))
                                        .astype(np.intp), minlength=1 << DIGIT_BITS)
        for (prefix, bits, n_in, rs), buf, f in zip(gather, bufs, fill):
            if f != n_in:
                raise RuntimeError("the column changed while its statistics were read")
            local = [r - base[r] for r in rs]
            buf.partition(local)
            for r, lr in zip(rs, local):
                out[r] = float(buf[lr])
        nxt = {}
        for (prefix, bits, n_in, rs), h in zip(count, hists):
            cum = np.cumsum(h)
            if int(cum[-1]) != n_in:
                raise RuntimeError("the column changed while its statistics were read")
            for r in rs:
                lr = r - base[r]
                b = int(np.searchsorted(cum, lr, side="right"))
                below = int(cum[b - 1]) if b else 0
                base[r] += below
                step = min(DIGIT_BITS, 64 - bits)
                key = (prefix << step) | b
                if bits + step == 64:  # every value of the bucket has this key: the value itself
                    out[r] = _value(key)
                    continue
                g = nxt.setdefault(key, [key, bits + step, int(h[b]), []])
                g[3].append(r)
        groups = [tuple(g) for g in nxt.values()]
    return out


def _sources(X):
    """A function ``(s, e, j) -> float64 values of column j, rows s:e`` for an ndarray or a row source."""
    if isinstance(X, np.ndarray):
        return lambda s, e, j: np.array(X[s:e, j], dtype=np.float64)
    from .families._blocks import ColumnView

    if isinstance(X, ColumnView):
        return lambda s, e, j: np.array(X.X[s:e, X.cols[j]] if X.rows is None else X.X[X.rows[s:e], X.cols[j]],
                                        dtype=np.float64)
    return lambda s, e, j: np.array(X[s:e, j], dtype=np.float64)


class ColumnReader:
    """The observed values of column ``j`` of ``X`` (NaN left out; only the rows where ``keep`` is True, when
    given), in row order, read :data:`READ_ROWS` rows at a time: ``blocks()`` iterates over them in blocks;
    ``take(m)`` gives the next ``m`` (contiguous, at most m), after ``rewind()``."""

    def __init__(self, X, j, keep=None):
        self.n = X.shape[0]
        self.j = j
        self.keep = keep
        self._get = _sources(X)
        self.rewind()

    def _read(self, s):
        e = min(self.n, s + READ_ROWS)
        v = self._get(s, e, self.j)
        if self.keep is not None:
            v = v[self.keep[s:e]]
        nan = np.isnan(v)
        return v[~nan] if nan.any() else v

    def blocks(self):
        for s in range(0, self.n, READ_ROWS):
            yield self._read(s)

    def rewind(self):
        self._row, self._carry = 0, np.empty(0)

    def take(self, m):
        out = np.empty(m)
        have = min(m, self._carry.size)
        out[:have] = self._carry[:have]
        self._carry = self._carry[have:]
        while have < m and self._row < self.n:
            v = self._read(self._row)
            self._row += READ_ROWS
            use = min(m - have, v.size)
            out[have:have + use] = v[:use]
            have += use
            self._carry = v[use:]
        return out[:have]

    def count_min_max(self):
        """(observed values, minimum, maximum); min/max None when there are none."""
        n, lo, hi = 0, None, None
        for v in self.blocks():
            if v.size:
                n += v.size
                a, b = float(v.min()), float(v.max())
                lo = a if lo is None else min(lo, a)
                hi = b if hi is None else max(hi, b)
        return n, lo, hi

    def order_statistics(self, m, ranks):
        return order_statistics(self.blocks, m, ranks)


def median(reader, m):
    """``np.median`` of the ``m`` observed values (the same bits)."""
    if m % 2:
        r = (m - 1) // 2
        return float(reader.order_statistics(m, [r])[r])
    h = m // 2
    o = reader.order_statistics(m, [h - 1, h])
    return float(np.mean(np.array([o[h - 1], o[h]])))


def percentiles(reader, m, q):
    """``np.percentile(values, q)`` (method "linear") of the ``m`` observed values (the same bits): NumPy's
    virtual indices, neighbours and ``_lerp``, on the elements found by :func:`order_statistics`."""
    qq = np.true_divide(np.asarray(q, dtype=float), 100)
    v = (m - 1) * qq
    prev = np.floor(v)
    above = v >= m - 1
    prev_i = prev.astype(np.intp)
    next_i = prev_i + 1
    prev_i[above] = m - 1
    next_i[above] = m - 1
    below = v < 0
    prev_i[below] = 0
    next_i[below] = 0
    o = reader.order_statistics(m, np.concatenate([prev_i, next_i]).tolist())
    a = np.array([o[int(i)] for i in prev_i])
    b = np.array([o[int(i)] for i in next_i])
    # the index numpy subtracts is -1 above the bounds (its _get_indexes), not m - 1
    prev_sub = np.where(above, -1, prev_i)
    t = np.asanyarray(v - prev_sub)
    diff = b - a
    res = np.add(a, diff * t)
    np.subtract(b, diff * (1 - t), out=res, where=t >= 0.5)
    return [float(x) for x in res]


def mean(reader, m):
    """``np.mean`` of the ``m`` observed values (pairwise summation split as NumPy splits a contiguous array)."""
    reader.rewind()

    def pw(size):
        if size <= _PAIRWISE_LEAF:
            return np.add.reduce(reader.take(size))
        n2 = size // 2
        n2 -= n2 % 8
        left = pw(n2)
        return left + pw(size - n2)

    total = pw(m)
    return float(np.float64(total) / m)


def column_summary(X, j, keep=None):
    """What :func:`emdesk.engine._validation.check_columns` computes of column ``j``, read in blocks:
    ``(count, lo, hi, reader)`` (``reader`` a :class:`ColumnReader` for percentiles)."""
    r = ColumnReader(X, j, keep)
    n, lo, hi = r.count_min_max()
    return n, lo, hi, r


def standardiser_column(X, j, col_block, median_value=None):
    """``(shift, mean, sd)`` of column ``j`` (no weights) as :meth:`Standardizer.from_data` computes them from
    the column's copy (the same bits), read in blocks; ``median_value`` replaces the median (as its
    ``medians``).  ``(0.0, 0.0, 0.0)`` for a column with no observed value."""
    r = ColumnReader(X, j)
    m, _, _ = r.count_min_max()
    if m == 0:
        return 0.0, 0.0, 0.0
    shift = float(median_value) if median_value is not None else median(r, m)
    mu = np.float64(mean(r, m))
    amax = 0.0  # a maximum: the same whatever the blocks
    for v in r.blocks():
        if v.size:
            np.subtract(v, mu, out=v)
            amax = max(amax, float(np.max(np.abs(v, out=v))))
    sd = 0.0
    if amax > 0 and np.isfinite(amax):
        acc = 0.0
        for u in _chunks(r, col_block):  # from_data's blocks of col_block values: the same dot products
            np.subtract(u, mu, out=u)
            np.divide(u, amax, out=u)
            acc += dot(u, u)
        ms = acc / m
        sd = amax * np.sqrt(ms)
    return shift, float(mu), sd


def _chunks(reader, size):
    reader.rewind()
    while True:
        v = reader.take(size)
        if not v.size:
            return
        yield v
