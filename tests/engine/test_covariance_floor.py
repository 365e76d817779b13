"""The ridge is a floor under every eigenvalue for the mclust models that share some of volume, shape and
orientation (VEI, EVI, VEE, EVE, VEV, EVV): their constrained M-step put a constant column's variance at
0.67-0.79 x reg_covar (issue 16's list: 9.4e-7 with 1e-6), now every eigenvalue >= reg_covar; fits that
never reach the floor keep their bits."""

from __future__ import annotations

import numpy as np
import pytest

import emdesk.engine.covariance_models as cm
from emdesk.engine import GaussianMixture
from emdesk.engine.covariance_floor import FLOORED_MODELS, ridge_floor

pytestmark = [pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning"),
              pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DataColumnWarning")]
MODELS = sorted(FLOORED_MODELS)


def _constant_column():
    rng = np.random.default_rng(0)
    z = np.repeat([0, 1, 2], 50)  # three clusters of different spreads beside a constant column
    return np.column_stack([rng.normal(5.0 * z, 1 + z), rng.normal(2.0 * z, 1 + z), np.full(150, 3.0)])


def _eigenvalues(cov):
    cov = np.asarray(cov)
    return np.linalg.eigvalsh(cov) if cov.ndim == 3 else cov  # diag models store (k, d) variances


@pytest.mark.parametrize("model", MODELS)
def test_every_eigenvalue_is_at_least_reg_covar_with_a_constant_column(model):
    gm = GaussianMixture(3, covariance_type=model, random_state=0, n_init=1, reg_covar=1e-6).fit(_constant_column())
    ev = _eigenvalues(gm.covariances_)
    assert ev.min() >= 1e-6 * (1 - 1e-9)
    assert ev.min() <= 1e-6 * (1 + 1e-6)  # held up by the ridge, not far above it
    assert np.isfinite(gm.log_likelihood_)


@pytest.mark.parametrize("model", ["VEV", "EVI"])
def test_the_floor_follows_a_per_feature_ridge(model):
    """reg_scale: the ridge n_k reg diag(s^2) is the floor in the PSD order, Sigma_k >= reg diag(s^2)."""
    X = _constant_column()
    resp = np.eye(3)[np.repeat([0, 1, 2], 50)]
    nk, _, W = cm.scatter_matrices(X, resp)
    s = np.array([2.0, 0.5, 3.0])
    res = cm.mstep_covariances(model, nk, W, reg_covar=1e-6, reg_scale=s)
    T = res.covariances / np.outer(s, s)[None]
    assert np.linalg.eigvalsh(T).min() >= 1e-6 * (1 - 1e-9)


def test_ridge_floor_leaves_components_above_the_floor_alone():
    cov = np.array([[[2.0, 0.3], [0.3, 1.0]], [[1e-7, 0.0], [0.0, 4.0]]])
    out = ridge_floor(cov, np.full(2, 1e-6), diagonal=False)
    assert np.array_equal(out[0], cov[0])
    assert np.linalg.eigvalsh(out[1]).min() == pytest.approx(1e-6, rel=1e-9)
    assert out[1, 1, 1] == pytest.approx(4.0, rel=1e-12)
    above = cov[:1]
    assert ridge_floor(above, np.full(2, 1e-6), diagonal=False) is above
    d = ridge_floor(np.array([[[1e-7, 0.0], [0.0, 3.0]]]), np.array([1e-6, 1e-6]), diagonal=True)
    assert np.array_equal(d, [[[1e-6, 0.0], [0.0, 3.0]]])


def test_fits_that_never_reach_the_floor_are_bit_equal(monkeypatch):
    X = np.genfromtxt("benchmarks/data/faithful.csv", delimiter=",", skip_header=1)
    fits = {}
    for floored in (True, False):
        monkeypatch.setattr(cm, "FLOORED_MODELS", FLOORED_MODELS if floored else frozenset())
        fits[floored] = [GaussianMixture(3, covariance_type=m, random_state=1, reg_covar=reg).fit(X)
                         for m in MODELS for reg in (1e-6, "relative")]
    for a, b in zip(fits[True], fits[False]):
        assert np.array_equal(a.covariances_, b.covariances_) and a.log_likelihood_ == b.log_likelihood_
