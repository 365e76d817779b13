"""Issue 16, target 2: scoring and imputing rows with missing values work in row blocks.  Blocked
results equal one block exactly, and the peak memory is the result plus the fixed block budget
(measured with tracemalloc, which sees NumPy's allocations; not timed)."""

from __future__ import annotations


import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.engine import _missing
from emdesk.engine._core import SCORE_BLOCK_BYTES
from tests.memory_peak import peak as traced_peak


def _model(ct="full", d=3, k=3):
    rng = np.random.default_rng(0)
    w = rng.dirichlet(np.ones(k) * 5)
    m = rng.normal(0, 4, (k, d))
    if ct == "full":
        A = rng.normal(size=(k, d, d)) * 0.5
        c = A @ np.swapaxes(A, 1, 2) + np.eye(d)[None]
    else:
        c = rng.uniform(0.5, 2, (k, d))
    return GaussianMixture.from_parameters(w, m, c, ct, missing="marginalize")


def _data(n, d=3, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 4, (n, d))
    X[rng.random((n, d)) < 0.25] = np.nan
    X[::97] = np.nan  # rows with every value missing
    X[5::211, 0] = 1e200  # far rows: the overflow-free path
    return X


def _one_block(monkeypatch, n):
    monkeypatch.setattr(_missing, "incomplete_block_rows", lambda k, d: n)


@pytest.mark.parametrize("ct", ["full", "diag"])
def test_blocked_scoring_of_incomplete_rows_equals_one_block(monkeypatch, ct):
    gm = _model(ct)
    X = _data(6000)
    with np.errstate(over="ignore"):
        _one_block(monkeypatch, 10**9)
        whole = (gm.score_samples(X), gm.predict_proba(X), gm.predict(X))
        _one_block(monkeypatch, 257)
        blocked = (gm.score_samples(X), gm.predict_proba(X), gm.predict(X))
    for a, b in zip(whole, blocked):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(whole[1]).all() and not np.isnan(whole[0]).any()


@pytest.mark.parametrize("ct", ["full", "diag"])
def test_blocked_imputation_equals_one_block(monkeypatch, ct):
    gm = _model(ct)
    X = _data(6000)
    X[5::211, 0] = 3.0
    _one_block(monkeypatch, 10**9)
    whole = gm.impute(X)
    _one_block(monkeypatch, 257)
    blocked = gm.impute(X)
    np.testing.assert_array_equal(whole, blocked)
    assert not np.isnan(whole).any()
    np.testing.assert_array_equal(whole[~np.isnan(X)], X[~np.isnan(X)])  # observed cells kept


_peak = traced_peak  # tests/memory_peak.py


@pytest.mark.parametrize("method", ["predict_proba", "score_samples", "impute"])
def test_peak_is_result_plus_block_budget_with_missing_values(method):
    gm = _model("full")
    X = _data(400_000)
    X[5::211, 0] = 3.0
    with np.errstate(over="ignore"):
        peak, out = _peak(getattr(gm, method), X)
    # Before blocking, rows with NaN were scored all at once: copies, standardised rows, (k, n)
    # log-densities and k whitened residuals per row, about 20 x the result here.
    masks = 2 * X.shape[0]  # one byte per row: rows with NaN, rows with every value missing
    assert peak <= out.nbytes + SCORE_BLOCK_BYTES + masks + (1 << 20), (peak, out.nbytes)
