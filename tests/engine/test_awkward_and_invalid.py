"""Awkward data either fits with finite parameters or raises a ValueError that says what to do;
invalid input raises a ValueError naming the problem."""

import warnings

import numpy as np
import pytest
from engine_helpers import COVARIANCE_TYPES, full_cov, make_mixture, start_values

from emdesk.engine import DegenerateSolutionWarning, GaussianMixture


def fit_or_helpful_error(X, k, ct, **kw):
    gm = GaussianMixture(k, covariance_type=ct, random_state=0, max_iter=60, **kw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateSolutionWarning)
            gm.fit(X)
    except ValueError as exc:
        msg = str(exc)
        assert "reg_covar" in msg or "components" in msg, msg
        return None
    for a in (gm.weights_, gm.means_, gm.covariances_, gm.precisions_cholesky_):
        assert np.all(np.isfinite(a))
    assert np.isfinite(gm.lower_bound_)
    assert np.all(np.isfinite(gm.score_samples(X)))
    assert np.allclose(gm.predict_proba(X).sum(axis=1), 1.0)
    return gm


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_timestamp_offsets(ct):
    rng = np.random.default_rng(0)
    X, labels, *_ = make_mixture(rng, n=400, d=2, k=2)
    gm0 = GaussianMixture(2, covariance_type=ct, random_state=0).fit(X)
    gm = fit_or_helpful_error(X + [1.6e9, 1e6], 2, ct)
    assert gm is not None
    # translation invariance: same fit, shifted means
    order0, order = np.argsort(gm0.means_[:, 0]), np.argsort(gm.means_[:, 0])
    assert np.allclose(gm.means_[order] - [1.6e9, 1e6], gm0.means_[order0], atol=1e-5)
    cov0, cov = gm0.covariances_, gm.covariances_
    if ct != "tied":
        cov0, cov = cov0[order0], cov[order]
    assert np.allclose(cov, cov0, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_scales_differing_by_1e6(ct):
    rng = np.random.default_rng(1)
    X, *_ = make_mixture(rng, n=400, d=2, k=2)
    gm = fit_or_helpful_error(X * [1e-3, 1e3], 2, ct)
    assert gm is not None


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_duplicated_points_and_few_distinct_values(ct):
    rng = np.random.default_rng(2)
    base = rng.normal(size=(5, 2))
    X = np.repeat(base, 40, axis=0)
    assert fit_or_helpful_error(X, 3, ct) is not None  # reg_covar keeps every covariance usable
    # more components than distinct points: it fits, and says that components collapsed
    gm = fit_or_helpful_error(X, 8, ct)
    assert gm is not None and gm.degeneracies_
    assert {issue.kind for issue in gm.degeneracies_} >= {"variance_floor"}


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_constant_column(ct):
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.normal(size=300), np.full(300, 7.5), rng.normal(size=300) * 3 + 1e6])
    gm = fit_or_helpful_error(X, 2, ct)
    assert gm is not None
    assert np.allclose(gm.means_[:, 1], 7.5)


def test_all_rows_identical_with_zero_reg_raises_helpful_error():
    X = np.ones((50, 2))
    with pytest.raises(ValueError, match="reg_covar"):
        GaussianMixture(1, reg_covar=0.0).fit(X)


def test_degenerate_fit_warns_and_reports():
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(size=(200, 2)), np.tile([[5.0, 5.0]], (30, 1))])
    gm = GaussianMixture(2, random_state=0)
    with pytest.warns(DegenerateSolutionWarning):
        gm.fit(X)
    assert any(issue.kind == "variance_floor" for issue in gm.degeneracies_)
    snaps = list(GaussianMixture(2, random_state=0).fit_iter(X))
    assert snaps[-1].issues == gm.degeneracies_


@pytest.mark.parametrize(
    "X, kw, pattern",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]]), {}, "NaN"),
        (np.array([[1.0, np.inf], [2.0, 3.0], [4.0, 5.0]]), {}, "infinite"),
        (np.zeros((3, 2, 2)), {}, "dimensions"),
        (np.zeros((0, 2)), {}, "no rows"),
        (np.zeros((4, 0)), {}, "no columns"),
        (np.array([["a", "b"], ["c", "d"]]), {}, "numeric"),
        (np.arange(14.0).reshape(7, 2), {"n_components": 10}, r"n_components=10 is larger than the number of rows with data \(7\): choose at most 7"),
        (np.arange(14.0).reshape(7, 2), {"n_components": 0}, "n_components"),
        (np.arange(14.0).reshape(7, 2), {"covariance_type": "banana"}, "covariance_type"),
        (np.arange(14.0).reshape(7, 2), {"init_params": "magic"}, "init_params"),
        (np.arange(14.0).reshape(7, 2), {"tol": -1}, "tol"),
        (np.arange(14.0).reshape(7, 2), {"reg_covar": float("nan")}, "reg_covar"),
        (np.arange(14.0).reshape(7, 2), {"max_iter": 2.5}, "max_iter"),
        (np.arange(14.0).reshape(7, 2), {"n_init": 0}, "n_init"),
        (np.arange(14.0).reshape(7, 2), {"missing": "ignore"}, "missing"),
        (np.arange(14.0).reshape(7, 2), {"n_components": 2, "means_init": np.zeros((3, 2))}, "means"),
        (np.arange(14.0).reshape(7, 2), {"n_components": 2, "weights_init": [0.2, 0.2]}, "sum to 1"),
        (np.arange(14.0).reshape(7, 2), {"n_components": 2, "covariances_init": np.ones((2, 2, 2))}, "positive definite"),
    ],
)
def test_invalid_input_raises_value_error_naming_problem(X, kw, pattern):
    kw = {"n_components": 1, **kw}
    with pytest.raises(ValueError, match=pattern):
        GaussianMixture(**kw).fit(X)


def test_invalid_sample_weight():
    X = np.arange(20.0).reshape(10, 2)
    for w, pattern in (([1.0] * 9, "one value per row"), ([-1.0] + [1.0] * 9, "negative"),
                       ([0.0] * 10, "sums to 0"), ([np.nan] + [1.0] * 9, "NaN")):
        with pytest.raises(ValueError, match=pattern):
            GaussianMixture(1).fit(X, sample_weight=w)


def test_scoring_wrong_number_of_columns():
    gm = GaussianMixture(1).fit(np.random.default_rng(0).normal(size=(20, 2)))
    with pytest.raises(ValueError, match="fitted on 2"):
        gm.score_samples(np.zeros((3, 3)))


def test_errors_surface_before_iteration_starts():
    """fit_iter validates eagerly: the caller learns of bad input when it calls fit_iter."""
    with pytest.raises(ValueError):
        GaussianMixture(1).fit_iter(np.array([[np.nan]]))


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_tiny_far_component_stays_exact(ct):
    """A very narrow component far from the centre: the engine falls back to the direct
    form, and the log-likelihood still matches a direct computation."""
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(size=(400, 2)), 30 + 1e-4 * rng.normal(size=(40, 2))])
    w, m, c = start_values(X, 2, ct, rng)
    m = np.array([[0.0, 0.0], [30.0, 30.0]])
    gm = GaussianMixture(2, covariance_type=ct, reg_covar=1e-12, tol=0, max_iter=30, weights_init=w,
                         means_init=m, covariances_init=c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        gm.fit(X)
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    k, d = 2, 2
    fc = full_cov(gm.covariances_, ct, k, d)
    comp = np.stack([np.log(gm.weights_[j]) + multivariate_normal(gm.means_[j], fc[j]).logpdf(X)
                     for j in range(k)], axis=1)
    want = logsumexp(comp, axis=1)
    got = gm.score_samples(X)
    assert np.allclose(got, want, rtol=1e-9, atol=1e-6)
