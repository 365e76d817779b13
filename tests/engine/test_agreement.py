"""With tol=0 and given starting values the engine performs exactly max_iter EM steps and agrees
with other correct EM implementations to ~1e-8: a plain reference EM (always) and scikit-learn
(when installed)."""

import warnings

import numpy as np
import pytest
from engine_helpers import COVARIANCE_TYPES, make_mixture, precisions_of, reference_em, start_values

from emdesk.engine import DegenerateSolutionWarning, GaussianMixture


def datasets():
    rng = np.random.default_rng(20)
    X, *_ = make_mixture(rng, n=500, d=3, k=3)
    far = np.concatenate([rng.normal(size=(400, 2)), 30 + 1e-4 * rng.normal(size=(40, 2))])
    return {
        "plain": X,
        "offset_1e6": X + [1e6, -2e6, 3e6],
        "scales_1e6": X * [1e-3, 1.0, 1e3],
        "duplicates": np.repeat(X[:40], 10, axis=0),
        "narrow_far_component": far,
    }


DATA = datasets()


def _fit(X, ct, k, w, m, c, reg, steps, sample_weight=None):
    gm = GaussianMixture(k, covariance_type=ct, tol=0, max_iter=steps, reg_covar=reg,
                         weights_init=w, means_init=m, covariances_init=c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        gm.fit(X, sample_weight=sample_weight)
    assert gm.n_iter_ == steps
    return gm


def _case(name, ct):
    """Data, k, starting values and reg_covar of one agreement case."""
    X = DATA[name]
    rng = np.random.default_rng(21)
    k = 2 if name == "narrow_far_component" else 3
    w, m, c = start_values(X, k, ct, rng)
    if name == "narrow_far_component":
        m = np.array([[0.0, 0.0], [30.0, 30.0]])
    reg = 1e-12 if name == "narrow_far_component" else 1e-6
    return X, k, w, m, c, reg


def _close_means(a, b, X, tol=1e-8):
    """Means agree to tol relative to the spread of the data in each column."""
    return float(np.max(np.abs(a - b) / X.std(axis=0))) < tol


def _close(a, b, tol=1e-8):
    a, b = np.asarray(a), np.asarray(b)
    scale = np.maximum(np.abs(b), np.abs(b).max() * 1e-6)
    return float(np.max(np.abs(a - b) / scale)) < tol


@pytest.mark.parametrize("name", sorted(DATA))
@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_agrees_with_reference_em(name, ct):
    X, k, w, m, c, reg = _case(name, ct)
    gm = _fit(X, ct, k, w, m, c, reg, 25)
    rw, rm, rc = reference_em(X, w, m, c, ct, 25, reg)
    assert _close(gm.weights_, rw)
    assert _close_means(gm.means_, rm, X)
    assert _close(gm.covariances_, rc)


def test_weighted_agrees_with_reference_em():
    X = DATA["plain"]
    rng = np.random.default_rng(22)
    sw = rng.uniform(0, 3, size=len(X))
    for ct in COVARIANCE_TYPES:
        w, m, c = start_values(X, 3, ct, rng)
        gm = _fit(X, ct, 3, w, m, c, 1e-6, 15, sample_weight=sw)
        rw, rm, rc = reference_em(X, w, m, c, ct, 15, 1e-6, sample_weight=sw)
        assert _close(gm.weights_, rw) and _close_means(gm.means_, rm, X) and _close(gm.covariances_, rc)


# scikit-learn computes diag/spherical covariances as E[x^2] - mean^2 and the tied one as
# X'X - sum n_k mu_k mu_k' in the user's units, which itself loses digits on offset data (and, for
# diag/spherical, on narrow far components); the reference EM above covers those cases.
SKLEARN_CASES = [(name, ct) for name in sorted(DATA) for ct in COVARIANCE_TYPES
                 if ct == "full" or name in ("plain", "scales_1e6", "duplicates")
                 or (ct == "tied" and name != "offset_1e6")]


@pytest.mark.parametrize("name, ct", SKLEARN_CASES)
def test_agrees_with_scikit_learn(name, ct):
    mixture = pytest.importorskip("sklearn.mixture")
    X, k, w, m, c, reg = _case(name, ct)
    gm = _fit(X, ct, k, w, m, c, reg, 25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = mixture.GaussianMixture(k, covariance_type=ct, tol=0, max_iter=25, reg_covar=reg,
                                     weights_init=w, means_init=m,
                                     precisions_init=precisions_of(c, ct)).fit(X)
    assert sk.n_iter_ == gm.n_iter_ == 25
    assert _close(gm.weights_, sk.weights_)
    assert _close_means(gm.means_, sk.means_, X)
    assert _close(gm.covariances_, sk.covariances_)
    assert _close(gm.precisions_cholesky_, sk.precisions_cholesky_, 1e-7)
    assert np.allclose(gm.score_samples(X), sk.score_samples(X), rtol=1e-9, atol=1e-7)


# High dimension (issue 16): full/tied above 16 features run either in the whitened form (scatter
# about the current means gathered in the E-step's pass, shifted in the M-step) or with the
# expanded features built feature-major per block (Layout(ct, d, k) picks the cheaper); diag and
# spherical with uncached feature-major blocks.  All must equal the plain reference EM.
HD_CASES = [(24, 2, 0.0), (20, 5, 0.0), (20, 3, 0.0), (40, 3, 0.0)]


@pytest.mark.parametrize("d, k, offset", HD_CASES)
@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_high_dimension_agrees_with_reference_em(d, k, offset, ct):
    from emdesk.engine._core import Layout, expanded_cheaper

    rng = np.random.default_rng(d * 10 + k)
    X, *_ = make_mixture(rng, n=700, d=d, k=k, spread=3.0)
    X = X + offset
    sw = rng.uniform(0.2, 2.0, size=len(X))
    w, m, c = start_values(X, k, ct, rng)
    gm = _fit(X, ct, k, w, m, c, 1e-6, 12, sample_weight=sw)
    rw, rm, rc = reference_em(X, w, m, c, ct, 12, 1e-6, sample_weight=sw)
    assert _close(gm.weights_, rw) and _close_means(gm.means_, rm, X) and _close(gm.covariances_, rc)
    if ct in ("full", "tied"):
        assert Layout(ct, d, k).expanded == expanded_cheaper(d, k)


def test_high_dimension_block_size_does_not_change_the_fit(monkeypatch):
    """Many blocks (and a short last one) give the fit of one block, in both high-d forms."""
    from emdesk.engine import _core

    rng = np.random.default_rng(5)
    X, *_ = make_mixture(rng, n=1000, d=24, k=3, spread=3.0)
    for ct, k in (("full", 2), ("full", 8), ("tied", 2), ("diag", 3)):
        w, m, c = start_values(X, k, ct, rng)
        one = _fit(X, ct, k, w, m, c, 1e-6, 8)
        monkeypatch.setattr(_core.Layout, "block_rows", lambda self, k: 96)
        many = _fit(X, ct, k, w, m, c, 1e-6, 8)
        monkeypatch.undo()
        assert _close(one.covariances_, many.covariances_)
        assert _close_means(one.means_, many.means_, X)
        assert one.lower_bound_ == pytest.approx(many.lower_bound_, rel=1e-10)  # summation order only
