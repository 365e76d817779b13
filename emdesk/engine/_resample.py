"""A bootstrap resample's row numbers drawn in row blocks (issue 16, tenth session).

A nonparametric replicate drew its ``n`` row numbers at once: ``rng.integers(0, n, size=n)`` (8 bytes a row),
or with row weights ``rng.choice(n, size=n, p=w / w.sum())``, which holds the probabilities, their cumulative
sums, one uniform number and one int64 row number per row at once (about 33 bytes a row; measured alone, 1e6
rows: 32 MB).  Here they are drawn :data:`DRAW_BLOCK_ROWS` rows at a time and handed over block by block: into
4-byte row numbers (:func:`drawn_rows`, what a resample read in place keeps) or straight into the gathered copy
(:func:`gathered_rows`), so no int64 numbers of every row are held.  With weights the cumulative sums (8 bytes a
row) are still held: every block's draws search all of them.

The numbers are NumPy's, bit for bit, and the generator is left where NumPy's one call leaves it: a bounded
integer below 2^32 is a 32-bit draw of PCG64's own stream (Lemire's method; a rejection draws again from the
same stream), whose buffered half-word is kept in the bit generator's state, not in the call; ``random`` takes
one 64-bit draw per number; and ``Generator.choice(n, size, p=p)`` with replacement is
``cdf = p.cumsum(); cdf /= cdf[-1]; cdf.searchsorted(self.random(size), side="right")`` (NumPy 2.x,
``numpy/random/_generator.pyx``), whose cumulative sum is a sequential one (``np.add.accumulate``) and is
continued here from block to block.  ``tests/engine/test_bootstrap_draws.py`` compares both with NumPy's calls
(tolerance 0, and the next draw of the generator).  One difference: ``choice`` raises "probabilities do not sum
to 1" when ``p`` sums to 1 only within more than ``sqrt(eps)``; the weights here are checked (finite,
non-negative, a positive sum) and divided by their own sum, so that cannot happen.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DRAW_BLOCK_ROWS", "index_blocks", "drawn_rows", "gathered_rows", "cumulative_probabilities", "choice"]

# Rows of one block of draws: 512 KiB of int64 numbers (and of uniform numbers with weights)
DRAW_BLOCK_ROWS = 1 << 16


def cumulative_probabilities(p, scale=None, step=None) -> np.ndarray:
    """``cdf`` of ``Generator.choice``: ``(p / scale).cumsum()`` divided by its last value, the same bits,
    with ``p / scale`` made a block at a time (``scale`` None: ``p`` as it is)."""
    step = DRAW_BLOCK_ROWS if step is None else int(step)
    n = p.shape[0]
    cdf = np.empty(n)
    carry = None
    for s in range(0, n, step):
        blk = cdf[s:s + step]
        if scale is None:
            blk[...] = p[s:s + step]
        else:
            np.divide(p[s:s + step], scale, out=blk)
        if carry is not None:  # the running sum enters the block's first element: carry + p_s, as the whole sum
            blk[0] += carry
        np.cumsum(blk, out=blk)
        carry = blk[-1]
    cdf /= cdf[-1]
    return cdf


def index_blocks(rng, n, weights=None, step=None, size=None, normalise=True):
    """``(start, stop, numbers)`` for consecutive blocks of ``size`` (default ``n``) draws of row numbers
    ``0 .. n - 1``: those of ``rng.integers(0, n, size=size)``, or with ``weights`` (n,) (finite, >= 0, a
    positive sum) those of ``rng.choice(n, size=size, p=weights / weights.sum())`` (``normalise=False``:
    ``p=weights``, probabilities already), int64 ``numbers`` of ``step`` rows (:data:`DRAW_BLOCK_ROWS`).
    Consume every block before drawing anything else from ``rng``."""
    step = DRAW_BLOCK_ROWS if step is None else int(step)
    size = n if size is None else int(size)
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
    cdf = None if weights is None else cumulative_probabilities(weights, weights.sum() if normalise else None, step)
    for s in range(0, size, step):
        e = min(s + step, size)
        if cdf is None:
            yield s, e, rng.integers(0, n, size=e - s)
        else:
            yield s, e, cdf.searchsorted(rng.random(e - s), side="right")


def choice(rng, k, size, p) -> np.ndarray:
    """``rng.choice(k, size=size, p=p)`` (int64, p (k,) probabilities), the uniform numbers drawn a block at a
    time (8 bytes a row fewer than NumPy's call holds)."""
    out = np.empty(int(size), dtype=np.int64)
    for s, e, idx in index_blocks(rng, k, p, size=size, normalise=False):
        out[s:e] = idx
    return out


def drawn_rows(rng, n, weights=None, step=None) -> np.ndarray:
    """The ``n`` row numbers of a resample (:func:`index_blocks`) as 4-byte integers below 2^31 rows (else
    ``intp``): what a resample read in place keeps (``_zero_weight.take_rows``, ``_ResampledRows``)."""
    out = np.empty(n, dtype=np.int32 if n < 2 ** 31 else np.intp)
    for s, e, idx in index_blocks(rng, n, weights, step):
        out[s:e] = idx
    return out


def gathered_rows(X, rng, weights=None, step=None) -> np.ndarray:
    """``X[idx]`` for the resample's row numbers ``idx`` (:func:`index_blocks`), each block of rows gathered as
    it is drawn: the copy and one block, never the numbers of every row.  ``X``: an (n, d) array or anything
    whose ``X[idx]`` gives those rows (``_zero_weight.PositiveRows``)."""
    n = X.shape[0]
    out = np.empty(X.shape, dtype=X.dtype)
    for s, e, idx in index_blocks(rng, n, weights, step):
        if isinstance(X, np.ndarray):
            np.take(X, idx, axis=0, out=out[s:e])
        else:
            out[s:e] = X[idx]
    return out
