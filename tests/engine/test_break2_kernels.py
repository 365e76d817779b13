"""Breaker round 2 (issue 16): the high-d passes cut products into sub-products under OpenBLAS's
single-thread limit; at d >= 300 the tied pass's (b, d) x (d, d) product became sub-products of 1-2
rows, and one 2048-row block cost 92 ms instead of 17 ms for one GEMM at d = 500 (640 vs 64 ms at
d = 1000; one thread each, measured in one run).  Sub-products keep at least MIN_WHITENED_ROWS rows
(main's least block of the whitened and separable passes, the per-call overhead measured there)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine._core import MIN_WHITENED_ROWS
from emdesk.engine._kernels_hd import _gemm_cols, _gemm_rows, _gemm_sum, _one_thread_rows


@pytest.mark.parametrize("madds", [1, 17 * 17, 40 * 200, 300 * 300, 500 * 500, 1000 * 1000, 1 << 30])
def test_sub_products_keep_enough_rows(madds):
    sub = _one_thread_rows(madds)
    assert sub >= MIN_WHITENED_ROWS
    assert sub & (sub - 1) == 0  # a power of two: divides the 2048-row blocks and shards
    if madds * MIN_WHITENED_ROWS <= (1 << 18):
        assert sub * madds <= (1 << 18)  # still one thread whenever the floor allows it


@pytest.mark.parametrize("d", [300, 500])
def test_wide_sub_products_equal_plain_products(d):
    rng = np.random.default_rng(d)
    b, k = 200, 3  # a partial last sub-product too
    A, W, M, R = rng.normal(size=(b, d)), rng.normal(size=(d, d)), rng.normal(size=(k, d)), rng.normal(size=(k, b))
    sub = _one_thread_rows(d * d)
    out = np.empty((b, d))
    _gemm_rows(A, W, out, sub)
    np.testing.assert_allclose(out, A @ W, rtol=1e-12, atol=1e-10)
    lb = np.empty((k, b + 5))[:, :b]
    _gemm_cols(M, A, lb, sub)
    np.testing.assert_allclose(lb, M @ A.T, rtol=1e-12, atol=1e-10)
    acc = np.zeros((k, d))
    _gemm_sum(R, A, acc, sub, np.empty((max(b // sub, 1), k, d)))
    np.testing.assert_allclose(acc, R @ A, rtol=1e-12, atol=1e-10)
