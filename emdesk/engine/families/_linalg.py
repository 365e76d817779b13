"""Small linear-algebra helpers of the families."""

from __future__ import annotations

import numpy as np

from .._blas import matmul

__all__ = ["thin_matmul"]


def thin_matmul(A, B):
    """``A @ B`` for a tall ``A`` (n, d) with few columns: for d <= 8 a sum of d scaled columns.

    Multi-threaded BLAS splits such products into threads that cost more than the product itself:
    (1e5, 2) @ (2, 3) measured 0.23 s with OpenBLAS's threads on a loaded 2-core machine, 0.024 s with
    one thread or as column sums (benchmarks/bench_families.py)."""
    d = A.shape[1]
    if d > 8:
        return matmul(A, B)  # products under OpenBLAS's one-thread size (emdesk.engine._blas)
    out = A[:, 0:1] * B[0]
    for c in range(1, d):
        out += A[:, c:c + 1] * B[c]
    return out
