"""Diag and spherical fits with missing values take the vectorised pass (``MissingData._separable_pass``):
the same fit as the per-pattern path (to 1e-10), in blocks and shards, with weights, and the same bits
for any thread count."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianMixture, set_num_threads
from emdesk.engine import _fitdata, _missing


def _data(n=1200, d=9, k=3, frac=0.08, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3, size=d) + rng.integers(0, k, size=(n, 1)) * 2.5 + 100.0
    X[rng.random(X.shape) < frac] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0  # no all-missing rows
    return X


def _fit(X, ct, sep, monkeypatch, w=None, **kw):
    monkeypatch.setattr(_missing, "SEPARABLE_PASS", sep)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianMixture(3, covariance_type=ct, max_iter=8, tol=0, random_state=0, n_init=1,
                               init_params="kmeans++", missing="marginalize", **kw).fit(X, sample_weight=w)


@pytest.mark.parametrize("ct", ["diag", "spherical"])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_vectorised_pass_equals_the_per_pattern_path(ct, weighted, monkeypatch):
    X = _data()
    w = np.random.default_rng(1).uniform(0.2, 3.0, size=len(X)) if weighted else None
    monkeypatch.setattr(_missing, "missing_fit_block_rows", lambda k, d: 97)  # many blocks, a partial last one
    a = _fit(X, ct, False, monkeypatch, w)
    b = _fit(X, ct, True, monkeypatch, w)
    np.testing.assert_allclose(b.weights_, a.weights_, rtol=1e-10)
    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-10)
    np.testing.assert_allclose(b.covariances_, a.covariances_, rtol=1e-10)
    assert b.lower_bound_ == pytest.approx(a.lower_bound_, rel=1e-12)
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), atol=1e-10)


def test_the_vectorised_pass_gives_the_same_bits_on_one_and_two_threads(monkeypatch):
    X = _data(n=2000)
    monkeypatch.setattr(_missing, "missing_fit_block_rows", lambda k, d: 128)
    monkeypatch.setattr(_fitdata, "MIN_SHARD_ROWS", 256)  # several shards
    try:
        set_num_threads(1)
        a = _fit(X, "diag", True, monkeypatch)
        set_num_threads(2)
        b = _fit(X, "diag", True, monkeypatch)
    finally:
        set_num_threads(None)
    assert np.array_equal(a.means_, b.means_) and np.array_equal(a.covariances_, b.covariances_)
    assert a.lower_bound_ == b.lower_bound_
