"""BLAS calls kept on one thread (issue 16).

OpenBLAS (NumPy's BLAS) runs a call on all its threads above fixed sizes: a matrix product (GEMM) of
more than 2**18 multiply-adds (its GEMM_MULTITHREAD_THRESHOLD x SMP_THRESHOLD_MIN = 4 x 65536,
interface/gemm.c), a matrix-vector product of ``m n >= 9216`` (2304 x GEMM_MULTITHREAD_THRESHOLD,
interface/gemv.c) and a dot product of more than 10,000 elements.  Between two calls its threads
sleep; a threaded call wakes them and waits for them.  On a loaded machine that wait is long: one
100,000-element dot product took 16 ms against 22 us on one thread (1 Dec 2026, load 4-5 on 2
cores), a 100,000 x 32 diag fit spent 1.8 s of its setup in 64 such dot products, and a 2-column
fit's iteration took 20 against 3.5 ms.  The engine's parallelism is its own (row shards on its
thread pool, :mod:`emdesk.engine._threads`), so every product that runs per block, per column or per
iteration is cut here into products under those sizes, and long dot products are NumPy sums.
``benchmarks/bench_blas_wakeups.py`` lists any engine line that still wakes OpenBLAS's threads.
"""

from __future__ import annotations

import numpy as np

#: OpenBLAS runs a GEMM of at most this many multiply-adds on one thread (see the module docstring).
ONE_THREAD_GEMM = 1 << 18
#: Elements per BLAS call of :func:`dot` (OpenBLAS: more than 10,000 run threaded).
DOT_BLOCK = 8192
#: Elements of a matrix per BLAS call of :func:`matvec` / :func:`vecmat` (OpenBLAS: 9216 and more run
#: threaded).
GEMV_ELEMENTS = 9000

#: The least rows of a sub-product: products of 1-2 rows at d >= 300 made the tied pass's
#: (b, d) x (d, d) product 5.5x slower at d = 500 (10x at d = 1000) than one GEMM on one thread
#: (tests/engine/test_break2_kernels.py).
MIN_SUB_ROWS = 64


def pow2_at_most(x, lo, hi):
    """The largest power of two <= ``x``, clipped to [lo, hi]."""
    return int(min(hi, max(lo, 1 << max(int(np.log2(max(x, 1))), 0))))


def one_thread_rows(madds_per_row):
    """Rows of a sub-product of ``madds_per_row`` multiply-adds per row under :data:`ONE_THREAD_GEMM`
    (a power of two), but at least :data:`MIN_SUB_ROWS`."""
    return pow2_at_most(ONE_THREAD_GEMM // max(madds_per_row, 1), MIN_SUB_ROWS, 1 << 30)


def gemm_rows(A, W, out, sub=None):
    """``out (b, p) = A (b, m) @ W (m, p)`` as products of ``sub`` rows of A (default: under
    :data:`ONE_THREAD_GEMM`), the whole ones in one NumPy call (a stacked matmul: BLAS per
    sub-product).  The rows' values are those of one product (rows are independent).  Returns ``out``."""
    b, m = A.shape
    p = W.shape[1]
    if sub is None:
        sub = one_thread_rows(m * p)
    nb = b // sub
    if nb:
        np.matmul(A[:nb * sub].reshape(nb, sub, m), W, out=out[:nb * sub].reshape(nb, sub, p))
    if nb * sub < b:
        np.matmul(A[nb * sub:], W, out=out[nb * sub:])
    return out


def matmul(A, W):
    """``A (..., n, m) @ W (..., m, p)`` (NumPy's broadcasting of the leading axes; a 1-D ``A`` or ``W`` as
    NumPy's ``@`` reads it) as a new array, in
    products of at most :func:`one_thread_rows` rows of A (rows are independent: the values of one
    product)."""
    A = np.asarray(A)
    W = np.asarray(W)
    if A.ndim < 2 or W.ndim < 2:  # a vector: NumPy's @ rules (a 1-D W above one block raised a shape error)
        if A.ndim == 2 and W.ndim == 1:
            return matvec(A, W)
        if A.ndim == 1 and W.ndim == 2:
            return vecmat(A, W)
        return A @ W
    if A.ndim == 2 and W.ndim == 2:
        return gemm_rows(A, W, np.empty((A.shape[0], W.shape[1]), dtype=np.result_type(A, W)))
    n, m = A.shape[-2:]
    p = W.shape[-1]
    sub = one_thread_rows(m * p)
    if n <= sub:
        return A @ W
    lead = np.broadcast_shapes(A.shape[:-2], W.shape[:-2])
    out = np.empty(lead + (n, p), dtype=np.result_type(A, W))
    for s in range(0, n, sub):
        np.matmul(A[..., s:s + sub, :], W, out=out[..., s:s + sub, :])
    return out


def tmatmul(A, B):
    """``A' B``: ``A (..., n, p)`` transposed times ``B (..., n, q)``, as (..., p, q), summed over blocks
    of at most :func:`one_thread_rows` rows (the same blocks, so the same bits, on every call)."""
    A = np.asarray(A)
    B = np.asarray(B)
    n, p = A.shape[-2:]
    q = B.shape[-1]
    sub = one_thread_rows(p * q)
    AT = np.swapaxes(A, -1, -2)
    if n <= sub:
        return AT @ B
    out = AT[..., :, :sub] @ B[..., :sub, :]
    for s in range(sub, n, sub):
        out += AT[..., :, s:s + sub] @ B[..., s:s + sub, :]
    return out


def dot(a, b):
    """``a @ b`` of two 1-D float arrays (a float), as BLAS dot products of :data:`DOT_BLOCK` elements."""
    n = a.shape[0]
    if n <= DOT_BLOCK:
        return float(a @ b)
    return float(sum(float(a[s:s + DOT_BLOCK] @ b[s:s + DOT_BLOCK]) for s in range(0, n, DOT_BLOCK)))


def matvec(M, v):
    """``M (r, c) @ v (c,)`` as (r,), in products of whole rows of M under OpenBLAS's one-thread size
    (each row's value is that of one product)."""
    r, c = M.shape
    if c > GEMV_ELEMENTS:  # even one row would run threaded: NumPy's own loop (no BLAS)
        return np.einsum("rc,c->r", M, v)
    step = max(1, GEMV_ELEMENTS // max(c, 1))
    if r <= step:
        return M @ v
    return np.concatenate([M[s:s + step] @ v for s in range(0, r, step)])


def vecmat(v, M):
    """``v (b,) @ M (b, c)`` as (c,), summed over blocks of rows under OpenBLAS's one-thread size."""
    b, c = M.shape
    if c > GEMV_ELEMENTS:  # even one row would run threaded: NumPy's own loop (no BLAS)
        return np.einsum("b,bc->c", v, M)
    step = max(1, GEMV_ELEMENTS // max(c, 1))
    if b <= step:
        return v @ M
    out = np.zeros(c, dtype=np.result_type(v, M))
    for s in range(0, b, step):
        out += v[s:s + step] @ M[s:s + step]
    return out
