"""Draws from a fitted Gaussian mixture in row blocks (issue 16: bounded memory).

:func:`sample_rows` is ``GaussianMixture.sample``'s draw: ``counts[j]`` rows of component ``j``, one after
another, each ``means[j] + z @ L_j.T`` with ``z`` standard normal and ``L_j`` the Cholesky factor of the
component's covariance (scikit-learn's ``GaussianMixture.sample`` draws the same way, grouped by component).
The rows are written into the result a block at a time: the previous code drew every component's normal numbers
and their product whole, then concatenated the parts (three arrays of the result's size at its peak, against
the result and one block now).

The same bits as the whole draw: ``rng.standard_normal`` fills its numbers in order, so blocks of rows draw
the numbers one call drew; :func:`emdesk.engine._blas.matmul` multiplies in products of
:func:`~emdesk.engine._blas.one_thread_rows` rows, and the blocks here are whole multiples of those products,
starting where they start, so every BLAS call is the one the whole product made; ``P + mean`` is ``mean + P``
(addition is commutative in IEEE arithmetic).

:func:`permutation_rows` is ``rng.permutation(n)`` in 4-byte numbers (``Generator.permutation`` of a number
shuffles ``arange(n)``, and the shuffle's draws do not depend on the numbers' type), for a permuted resample
read in place.
"""

from __future__ import annotations

import numpy as np

from ._blas import matmul, one_thread_rows

__all__ = ["SAMPLE_BLOCK_BYTES", "sample_rows", "permutation_rows"]

#: Bytes of one block's normal numbers (and as many for their product) while drawing (tests lower it).
SAMPLE_BLOCK_BYTES = 8 << 20


def sample_rows(means, full, counts, rng):
    """``(sum(counts), d)`` rows: ``counts[j]`` draws of N(means[j], full[j]) after those of the components
    before it (``means`` (k, d), ``full`` (k, d, d) covariances, ``counts`` (k,) integers >= 0, ``rng`` a
    NumPy Generator).  LinAlgError when a covariance with draws is not positive definite."""
    k, d = means.shape
    X = np.empty((int(np.sum(counts)), d))
    sub = one_thread_rows(d * d)  # matmul's products (_blas.matmul: gemm_rows of (d, d) factors)
    step = sub * max(1, SAMPLE_BLOCK_BYTES // (8 * d * sub))
    at = 0
    for j in range(k):
        c = int(counts[j])
        if c == 0:
            continue
        Lt = np.linalg.cholesky(full[j]).T
        for s in range(0, c, step):
            out = X[at + s:at + min(s + step, c)]
            out[...] = matmul(rng.standard_normal(out.shape), Lt)
            out += means[j]
        at += c
    return X


def permutation_rows(rng, n):
    """``rng.permutation(n)`` as 4-byte numbers below 2^31 rows (``intp`` above): the same numbers, and the
    generator left where ``permutation`` leaves it."""
    rows = np.arange(n, dtype=np.int32 if n < 2**31 else np.intp)
    rng.shuffle(rows)
    return rows
