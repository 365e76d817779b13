"""Issue 10, item 5: scoring works in row blocks, as fitting does: the peak memory of predict,
predict_proba and score_samples is the result plus a fixed block budget (SCORE_BLOCK_BYTES),
whatever the number of rows.  (Measured, not timed: tracemalloc sees NumPy's allocations.)"""

from __future__ import annotations


import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.engine._core import SCORE_BLOCK_BYTES
from tests.memory_peak import peak as traced_peak


def _model(ct, d=8, k=10):
    rng = np.random.default_rng(0)
    w = rng.dirichlet(np.ones(k) * 5)
    m = rng.normal(0, 4, (k, d))
    if ct == "full":
        A = rng.normal(size=(k, d, d)) * 0.3
        c = A @ np.swapaxes(A, 1, 2) + np.eye(d)[None]
    elif ct == "tied":
        A = rng.normal(size=(d, d)) * 0.3
        c = A @ A.T + np.eye(d)
    elif ct == "diag":
        c = rng.uniform(0.5, 2, (k, d))
    else:
        c = rng.uniform(0.5, 2, k)
    return GaussianMixture.from_parameters(w, m, c, ct)


_peak = traced_peak  # tests/memory_peak.py


@pytest.mark.parametrize("ct", ["full", "diag"])
@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples"])
def test_scoring_peak_is_result_plus_block_budget(ct, method):
    gm = _model(ct)
    rng = np.random.default_rng(1)
    X = rng.normal(0, 4, (300_000, 8))
    peak, out = _peak(getattr(gm, method), X)
    # 300,000 x 8 rows: without blocks the expanded features alone are 300,000 x 45 x 8 = 108 MB
    assert peak <= out.nbytes + SCORE_BLOCK_BYTES + (1 << 20), (peak, out.nbytes)


def test_blocks_agree_with_one_block():
    gm = _model("full")
    rng = np.random.default_rng(2)
    X = rng.normal(0, 4, (20_000, 8))
    ll = gm.score_samples(X)
    parts = np.concatenate([gm.score_samples(X[i:i + 1000]) for i in range(0, len(X), 1000)])
    np.testing.assert_array_equal(ll, parts)
    p = gm.predict_proba(X)
    assert np.array_equal(gm.predict(X), np.argmax(p, axis=1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
