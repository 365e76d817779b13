"""Scale-free fits (issue 11, items 1 and 2): the default regularisation, the degeneracy diagnosis and
the restart strategy do not depend on the units.

Fitting ``Y = X @ M + c`` instead of ``X`` (``M`` a positive diagonal for every covariance type, a
multiple of the identity for spherical, any invertible matrix for full and tied, which are
affine-equivariant) gives the same flags, the same restarts' optima (same seed), the same recommended
model, and log-likelihoods that differ exactly by the Jacobian, ``n log|det M|``.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emdesk.engine import DegenerateSolutionWarning, GaussianMixture, select_model
from emdesk.engine.diagnostics import POINTS_NEEDED, diagnose, points_needed

DATA = Path(__file__).parent / "data"


def _base(d=3, n=150, seed=7):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0] * d, [4.0] + [1.0] * (d - 1), [1.0, 5.0] + [-2.0] * (d - 2)])
    X = np.concatenate([rng.normal(size=(n // 3, d)) @ np.diag(rng.uniform(0.5, 1.5, d)) + c for c in centres])
    return X


X3 = _base()


def _fit(X, ct, k=3, **kw):
    params = dict(n_components=k, covariance_type=ct, init_params="emEM", n_init=3, random_state=0,
                  tol="relative", max_iter=500)
    params.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        return GaussianMixture(**params).fit(X)


def _kinds(model):
    return [(i.component, i.kind) for i in model.degeneracies_]


def _same_up_to_units(a, b, X, M, c):
    n = X.shape[0]
    jac = n * np.log(abs(np.linalg.det(M)))
    ll_a, ll_b = a.restart_log_likelihoods_, b.restart_log_likelihoods_
    np.testing.assert_allclose(ll_b + jac, ll_a, rtol=1e-7, atol=1e-6 * n)
    assert a.best_restart_ == b.best_restart_
    assert _kinds(a) == _kinds(b)
    np.testing.assert_allclose(a.means_ @ M + c, b.means_, rtol=1e-5,
                               atol=1e-6 * np.abs(b.means_).max() + 1e-6 * np.abs(X @ M).max())


@settings(max_examples=6, deadline=None)
@given(log_d=st.lists(st.floats(-4, 4), min_size=3, max_size=3),
       shift=st.lists(st.floats(-1e4, 1e4), min_size=3, max_size=3),
       ct=st.sampled_from(["full", "tied", "diag", "spherical"]))
def test_rescaling_and_shifting_the_columns_changes_only_the_units(log_d, shift, ct):
    d = np.exp(np.array(log_d))
    if ct == "spherical":  # a spherical model is the same model only under one common scale
        d = np.full(3, d[0])
    M = np.diag(d)
    c = np.array(shift)
    _same_up_to_units(_fit(X3, ct), _fit(X3 @ M + c, ct), X3, M, c)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), shift=st.floats(-1e3, 1e3), ct=st.sampled_from(["full", "tied"]))
def test_full_and_tied_fits_are_affine_equivariant(seed, shift, ct):
    """Any invertible map: EM from corresponding starts (regularisation, convergence, flags) and emEM's
    exploratory restarts (2, 3, ...) give the same optima.  Restart 1 is mclust's hierarchical start,
    invariant under rescaling and shifting columns (the test above) but not under rotations."""
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(3, 3)) * np.exp(rng.uniform(-3, 3, size=3))
    if np.linalg.cond(M) > 1e4:  # invertible, not numerically singular
        M = M + 3 * np.abs(M).max() * np.eye(3)
    c = np.full(3, shift)
    Y = X3 @ M + c
    n = X3.shape[0]
    jac = n * np.log(abs(np.linalg.det(M)))
    a, b = _fit(X3, ct), _fit(Y, ct)
    np.testing.assert_allclose(b.restart_log_likelihoods_[1:] + jac, a.restart_log_likelihoods_[1:],
                               rtol=1e-7, atol=1e-6 * n)
    # from corresponding starts: the same path, flags and log-likelihood
    w0, m0 = a.weights_, a.means_ + 0.3
    c0 = a.covariances_ * 1.5
    cy = M.T @ c0 @ M if ct == "tied" else np.einsum("ji,kjl,lm->kim", M, c0, M)
    fa = _fit(X3, ct, weights_init=w0, means_init=m0, covariances_init=c0, n_init=1)
    fb = _fit(Y, ct, weights_init=w0, means_init=m0 @ M + c, covariances_init=cy, n_init=1)
    assert fa.n_iter_ == fb.n_iter_
    assert fb.log_likelihood_ + jac == pytest.approx(fa.log_likelihood_, rel=1e-8, abs=1e-6 * n)
    assert _kinds(fa) == _kinds(fb)
    np.testing.assert_allclose(fa.means_ @ M + c, fb.means_, rtol=1e-6, atol=1e-6 * np.abs(Y).max())


def test_numeric_reg_covar_keeps_scikit_learns_meaning_and_relative_follows_the_data():
    X = X3 * [1e-3, 1.0, 1e3]
    a = _fit(X, "diag", reg_covar=1e-6)
    np.testing.assert_array_equal(a.reg_covar_, np.full(3, 1e-6))
    b = _fit(X, "diag")  # default: "relative", 1e-6 times each feature's variance
    assert GaussianMixture().reg_covar == "relative"
    np.testing.assert_allclose(b.reg_covar_, 1e-6 * X.var(axis=0), rtol=1e-12)
    c = _fit(X, "diag", reg_covar="relative:1e-4")
    np.testing.assert_allclose(c.reg_covar_, 1e-4 * X.var(axis=0), rtol=1e-12)
    with pytest.raises(ValueError, match="relative"):
        GaussianMixture(reg_covar="absolute").fit(X)
    with pytest.raises(ValueError, match="tol"):
        GaussianMixture(tol="relative:-1").fit(X)


def test_selection_recommends_the_same_model_in_any_units():
    M = np.diag([1e-3, 7.0, 2e4])
    c = np.array([1e5, -3.0, 0.5])
    # tol 1e-8: mclust's relative tolerance (the default) compares |change| / (1 + |log L|), and log L moves by
    # the units' Jacobian, so EM stops at slightly different points in other units (3 full: 6 and 3 iterations,
    # log L 2.5e-4 apart with the sweep's seeds 0 ... 2**31 - 1); the model and its optimum are the same
    kw = dict(n_components=range(1, 4), random_state=1, n_jobs=1, tol=1e-8)
    a = select_model(X3, **kw)
    b = select_model(X3 @ M + c, **kw)
    assert a.best_row is not None
    assert (a.best_row.n_components, a.best_row.covariance_type) == (b.best_row.n_components,
                                                                     b.best_row.covariance_type)
    jac = X3.shape[0] * np.log(np.linalg.det(M))
    for ra, rb in zip(a.table, b.table):
        if ra.covariance_type == "spherical":  # not the same model under unequal column scales
            continue
        assert ra.degenerate == rb.degenerate
        assert rb.log_likelihood + jac == pytest.approx(ra.log_likelihood, rel=1e-7, abs=1e-4)


# --------------------------------------------------------------------------------- the diagnosis

def test_points_needed_follow_the_covariance_model():
    assert [points_needed(t, 5) for t in ("full", "diag", "spherical", "tied")] == [6, 2, 2, 1]
    assert set(POINTS_NEEDED) == {"full", "tied", "diag", "spherical"}
    cov = np.ones(3)
    # 1.5 points: too few for a spherical variance; a tied covariance needs no per-component minimum
    w = np.array([1.5, 50.0, 48.5]) / 100
    assert [(i.component, i.kind) for i in diagnose(w, cov, "spherical", 100, np.ones(4), 1e-6)] == [
        (0, "too_few_points")]
    assert diagnose(w, np.eye(4), "tied", 100, np.ones(4), 1e-6) == ()
    assert diagnose(np.array([3.0, 97.0]) / 100, np.ones((2, 4)), "diag", 100, np.ones(4), 1e-6) == ()


def _wdbc():
    return np.loadtxt(DATA / "wdbc_mean.csv", delimiter=",", skiprows=1)


def test_wdbc_mclusts_optimum_and_the_one_component_fit_are_not_flagged():
    """mclust's wdbc (its ten *_mean columns; a feature of variance 5e-5 beside one of 1.2e5, and radius,
    perimeter and area nearly collinear): the old per-feature floor flagged every fit, even the sample
    covariance.  mclust's own optimum, VVV with 5 components (loglik 5318.216, BIC 8549.295 on its scale;
    R 4, mclust 6.0.0, see data/mclust_wdbc_vvv5.json), is sound, in raw and standardised units."""
    X = _wdbc()
    assert X.shape == (569, 10) and X.var(axis=0).min() < 1e-4
    p = json.loads((DATA / "mclust_wdbc_vvv5.json").read_text())
    w, m, c = (np.array(p[key]) for key in ("weights", "means", "covariances"))
    for scale in (np.ones(10), 1.0 / X.std(axis=0)):
        Xs = X * scale
        gm = GaussianMixture(5, weights_init=w, means_init=m * scale,
                             covariances_init=c * np.multiply.outer(scale, scale)[None], max_iter=0).fit(Xs)
        assert gm.degeneracies_ == ()
        assert gm.log_likelihood_ + 569 * np.log(scale).sum() == pytest.approx(p["loglik"], abs=0.05)
        one = GaussianMixture(1).fit(Xs)
        assert one.degeneracies_ == ()


def test_a_real_collapse_is_still_found_in_any_units():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(200, 2))
    B = np.column_stack([rng.normal(size=15), np.full(15, 0.25)])  # 15 rows on one rounded y value
    X = np.concatenate([A, B])
    for M in (np.eye(2), np.diag([1e-4, 1e3]), np.array([[2.0, 1.0], [0.5, 3.0]])):
        Y = X @ M
        covs = np.stack([np.cov((A @ M).T, bias=True), np.cov((B @ M).T, bias=True) + 1e-3 * M.T @ M])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateSolutionWarning)
            gm = GaussianMixture(2, weights_init=[200 / 215, 15 / 215], means_init=[A.mean(0) @ M, B.mean(0) @ M],
                                 covariances_init=covs, tol="relative").fit(Y)
        assert [(i.component, i.kind) for i in gm.degeneracies_] == [(1, "variance_floor")]
