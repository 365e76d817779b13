"""missing="marginalize": exact EM for incomplete data, scoring of incomplete rows, imputation."""

import warnings

import numpy as np
import pytest
from engine_helpers import COVARIANCE_TYPES, full_cov, make_mixture, start_values
from test_monotone import check_monotone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from emdesk.engine import DegenerateSolutionWarning, GaussianMixture


def marginal_logpdf(X, gm):
    """Direct marginal mixture log-density of every row on its observed coordinates."""
    k, d = gm.means_.shape
    fc = full_cov(gm.covariances_, gm.covariance_type, k, d)
    out = np.empty(len(X))
    for i, x in enumerate(X):
        o = ~np.isnan(x)
        if not o.any():
            out[i] = 0.0
            continue
        out[i] = logsumexp([np.log(gm.weights_[j])
                            + multivariate_normal(gm.means_[j][o], fc[j][np.ix_(o, o)]).logpdf(x[o])
                            for j in range(k)])
    return out


def remove_mcar(X, fraction, rng):
    Xm = X.copy()
    Xm[rng.uniform(size=X.shape) < fraction] = np.nan
    return Xm


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_without_nan_identical_to_complete_data(ct):
    rng = np.random.default_rng(30)
    X, *_ = make_mixture(rng, n=300, d=3)
    a = GaussianMixture(3, covariance_type=ct, random_state=0, missing="marginalize").fit(X)
    b = GaussianMixture(3, covariance_type=ct, random_state=0).fit(X)
    for attr in ("weights_", "means_", "covariances_", "lower_bound_", "n_iter_"):
        assert np.array_equal(getattr(a, attr), getattr(b, attr)), attr


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_scores_incomplete_rows_on_observed_coordinates(ct):
    rng = np.random.default_rng(31)
    X, *_ = make_mixture(rng, n=200, d=3)
    Xm = remove_mcar(X, 0.25, rng)
    Xm[3] = np.nan
    gm = GaussianMixture(3, covariance_type=ct, random_state=0, missing="marginalize").fit(Xm)
    assert gm.n_rows_all_missing_ == int(np.isnan(Xm).all(axis=1).sum()) >= 1
    want = marginal_logpdf(Xm, gm)
    assert np.allclose(gm.score_samples(Xm), want, atol=1e-10)
    keep = ~np.isnan(Xm).all(axis=1)
    assert gm.score(Xm) == pytest.approx(want[keep].mean(), rel=1e-12)
    # lower_bound_ is the observed-data log-likelihood of the returned parameters
    assert gm.lower_bound_ == pytest.approx(want[keep].mean(), rel=1e-12)
    proba = gm.predict_proba(Xm)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(proba[3], gm.weights_)  # nothing observed: the prior
    assert np.isfinite(gm.bic(Xm)) and np.isfinite(gm.icl(Xm))
    n_parameters = gm.n_parameters()
    assert gm.bic(Xm) == pytest.approx(-2 * want[keep].sum() + n_parameters * np.log(keep.sum()))
    snaps = list(GaussianMixture(3, covariance_type=ct, random_state=0, missing="marginalize",
                                 max_iter=3).fit_iter(Xm, responsibilities=True))
    assert snaps[-1].responsibilities.shape == (200, 3)
    assert np.allclose(snaps[-1].to_model().predict_proba(Xm), snaps[-1].responsibilities, atol=1e-10)
    assert np.allclose(snaps[-1].responsibilities[3], snaps[-1].weights)
    assert not any(s.responsibilities.flags.writeable for s in snaps)
    assert not np.shares_memory(snaps[-2].responsibilities, snaps[-1].responsibilities)
    # no row without values: the same, through the other branch
    Xm[3] = X[3]
    snaps = list(GaussianMixture(3, covariance_type=ct, random_state=0, missing="marginalize",
                                 max_iter=3).fit_iter(Xm, responsibilities=True))
    assert np.allclose(snaps[-1].to_model().predict_proba(Xm), snaps[-1].responsibilities, atol=1e-10)
    assert not any(s.responsibilities.flags.writeable for s in snaps)
    assert not np.shares_memory(snaps[-2].responsibilities, snaps[-1].responsibilities)


def test_nan_with_default_missing_still_raises():
    X = np.array([[1.0, np.nan], [2.0, 3.0], [3.0, 1.0]])
    with pytest.raises(ValueError, match="missing='marginalize'"):
        GaussianMixture(1).fit(X)
    gm = GaussianMixture(1).fit(np.nan_to_num(X))
    with pytest.raises(ValueError, match="NaN"):
        gm.score_samples(X)


def test_only_all_missing_rows_is_an_error():
    X = np.full((5, 2), np.nan)
    with pytest.raises(ValueError, match="no row with an observed value"):
        GaussianMixture(1, missing="marginalize").fit(X)


def test_scores_of_data_with_no_observed_value_are_an_error():
    gm = GaussianMixture(1, missing="marginalize").fit(np.random.default_rng(0).normal(size=(20, 2)))
    X = np.full((3, 2), np.nan)
    for method in (gm.score, gm.bic, gm.aic, gm.icl):
        with pytest.raises(ValueError, match="no row with an observed value"):
            method(X)
    assert np.array_equal(gm.score_samples(X), np.zeros(3))  # per row: nothing observed, density 1


def test_a_column_with_no_observed_value_is_an_error():
    """Nothing to estimate its mean or variance from: not a fit with a made-up mean of 0."""
    X = np.random.default_rng(0).normal(size=(20, 3))
    X[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"column 2 has no observed value"):
        GaussianMixture(1, missing="marginalize").fit(X)
    # observed only in rows of weight 0: the same
    X[:2, 1] = 1.0
    w = np.ones(20)
    w[:2] = 0.0
    with pytest.raises(ValueError, match=r"column 2 has no observed value"):
        GaussianMixture(1, missing="marginalize").fit(X, sample_weight=w)


def reference_missing_step(Xm, w, m, fc, k, d):
    """One EM step for incomplete rows, written per row: conditional expectations and the
    conditional-covariance correction.  Returns weights, means, full scatter (no reg) and the
    observed fraction (k, d): sum of r over the rows where the coordinate is observed, over nk
    (where the M-step adds the ridge)."""
    nk = np.zeros(k)
    ob = np.zeros((k, d))
    s1 = np.zeros((k, d))
    s2 = np.zeros((k, d, d))
    for x in Xm:
        o = ~np.isnan(x)
        mis = ~o
        lp = np.array([np.log(w[j]) + multivariate_normal(m[j][o], fc[j][np.ix_(o, o)]).logpdf(x[o])
                       for j in range(k)])
        r = np.exp(lp - logsumexp(lp))
        for j in range(k):
            xh = x.copy()
            C = np.zeros((d, d))
            if mis.any():
                Soo = fc[j][np.ix_(o, o)]
                Smo = fc[j][np.ix_(mis, o)]
                xh[mis] = m[j][mis] + Smo @ np.linalg.solve(Soo, x[o] - m[j][o])
                C[np.ix_(mis, mis)] = fc[j][np.ix_(mis, mis)] - Smo @ np.linalg.solve(Soo, Smo.T)
            nk[j] += r[j]
            ob[j] += r[j] * o
            s1[j] += r[j] * xh
            s2[j] += r[j] * (np.outer(xh - m[j], xh - m[j]) + C)
    means = s1 / nk[:, None]
    dm = means - m
    cov = s2 / nk[:, None, None] - np.einsum("ki,kj->kij", dm, dm)
    return nk / nk.sum(), means, cov, ob / nk[:, None]


@pytest.mark.parametrize("data", ["plain", "narrow_far"])
@pytest.mark.parametrize("ct", ["full", "diag"])
def test_matches_reference_missing_em_step(ct, data):
    """One EM step from given values agrees with a plain per-row implementation of the
    conditional-expectation M-step (also for a narrow component far from the centre, where the
    engine switches from expanded to direct, centred moments)."""
    rng = np.random.default_rng(32)
    if data == "plain":
        X, *_ = make_mixture(rng, n=120, d=3, k=2)
        w, m, c = start_values(X, 2, ct, rng)
        reg = 1e-6
    else:
        X = np.concatenate([rng.normal(size=(100, 3)), 30 + 1e-4 * rng.normal(size=(40, 3))])
        w = np.array([0.7, 0.3])
        m = np.array([[0.0, 0.0, 0.0], [30.0, 30.0, 30.0]])
        full = np.stack([np.eye(3), np.eye(3) * 1e-8])
        c = full if ct == "full" else np.diagonal(full, axis1=1, axis2=2).copy()
        reg = 1e-12
    Xm = remove_mcar(X, 0.3, rng)
    Xm = Xm[~np.isnan(Xm).all(axis=1)]
    k, d = 2, 3
    gm = GaussianMixture(2, covariance_type=ct, tol=0, max_iter=1, weights_init=w, means_init=m,
                         covariances_init=c, missing="marginalize", reg_covar=reg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        gm.fit(Xm)
    rw, rm, rc, frac = reference_missing_step(Xm, w, m, full_cov(c, ct, k, d), k, d)
    assert np.allclose(gm.weights_, rw, rtol=1e-9, atol=1e-12)
    assert np.allclose(gm.means_, rm, rtol=0, atol=1e-9)
    # the ridge where the data were observed (a missing cell's conditional variance holds it already)
    ridge = reg * frac
    want = rc + ridge[:, :, None] * np.eye(d) if ct == "full" else np.diagonal(rc, axis1=1, axis2=2) + ridge
    assert np.allclose(gm.covariances_, want, rtol=1e-8, atol=1e-14)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(15, 60),
    d=st.integers(1, 4),
    k=st.integers(1, 3),
    ct=st.sampled_from(COVARIANCE_TYPES),
    fraction=st.floats(0.0, 0.5),
    weighted=st.booleans(),
    constant=st.booleans(),
)
def test_observed_data_log_likelihood_never_decreases(seed, n, d, k, ct, fraction, weighted, constant):
    """Also with a constant column among the incomplete ones (its variance at reg_covar: while the ridge was
    added twice to its missing cells it settled at reg_covar / (1 - f) and the log-likelihood fell)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_t(df=4, size=(n, d)) * rng.uniform(0.5, 5, size=d)
    X[: n // 3] += rng.normal(0, 4, size=d)
    if constant:
        X = np.c_[X, np.full(n, 2.5)]
    Xm = remove_mcar(X, fraction, rng)
    if constant:
        Xm[0, -1] = 2.5  # one observed value at least
    n_rows = int((~np.isnan(Xm).all(axis=1)).sum())
    if n_rows < k:
        return
    sw = rng.uniform(0.1, 2, size=n) if weighted else None
    gm = GaussianMixture(k, covariance_type=ct, tol=0, max_iter=20, random_state=seed % 997,
                         missing="marginalize")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        check_monotone(list(gm.fit_iter(Xm, sample_weight=sw)))
    for a in (gm.weights_, gm.means_, gm.covariances_):
        assert np.all(np.isfinite(a))


def test_recovers_parameters_better_than_dropping_incomplete_rows():
    rng = np.random.default_rng(33)
    n, d = 1500, 4
    means = np.array([[0.0, 0.0, 0.0, 0.0], [4.0, 4.0, 0.0, -3.0]])
    base = np.array([[1.0, 0.8, 0.5, 0.3], [0.8, 1.0, 0.5, 0.3], [0.5, 0.5, 1.0, 0.2],
                     [0.3, 0.3, 0.2, 1.0]])
    labels = rng.choice(2, size=n, p=[0.6, 0.4])
    X = means[labels] + rng.multivariate_normal(np.zeros(d), base, size=n)
    Xm = remove_mcar(X, 0.3, rng)  # 30 % of cells: only ~24 % of rows stay complete
    complete = ~np.isnan(Xm).any(axis=1)
    start = dict(weights_init=[0.5, 0.5], means_init=[[-1.0, -1, 0, 0], [5.0, 5, 0, -2]],
                 covariances_init=np.stack([np.eye(d) * 2] * 2), tol=1e-8, max_iter=500)
    marg = GaussianMixture(2, missing="marginalize", **start).fit(Xm)
    drop = GaussianMixture(2, **start).fit(Xm[complete])
    ref = GaussianMixture(2, **start).fit(X)

    def err(gm):
        return (np.abs(gm.means_ - ref.means_).max() + np.abs(gm.covariances_ - ref.covariances_).max()
                + np.abs(gm.weights_ - ref.weights_).max())

    assert err(marg) < 0.25
    assert err(marg) < 0.6 * err(drop)
    truth = (np.abs(marg.means_ - means).max(), np.abs(drop.means_ - means).max())
    assert truth[0] < 0.2


def test_impute_strongly_correlated_pair():
    rng = np.random.default_rng(34)
    n = 2000
    x = rng.normal(10.0, 2.0, size=n)
    y = 3.0 * x + rng.normal(0.0, 0.2, size=n) - 5.0
    X = np.column_stack([x, y])
    Xm = X.copy()
    hide = rng.uniform(size=n) < 0.2
    Xm[hide, 1] = np.nan
    gm = GaussianMixture(1, missing="marginalize", random_state=0).fit(Xm)
    imp = gm.impute(Xm)
    assert imp.shape == X.shape and not np.isnan(imp).any()
    assert np.array_equal(imp[~hide], X[~hide])  # observed values untouched
    err = imp[hide, 1] - X[hide, 1]
    assert np.sqrt(np.mean(err ** 2)) < 0.3  # noise sd 0.2; the column's own sd is 6
    draws = gm.impute(Xm, n_imputations=50, random_state=1)
    assert draws.shape == (50, n, 2)
    assert np.array_equal(draws[:, ~hide], np.broadcast_to(X[~hide], (50, int((~hide).sum()), 2)))
    spread = draws[:, hide, 1].std(axis=0)
    assert np.allclose(spread.mean(), 0.2, atol=0.05)  # conditional sd, not the marginal one
    assert np.allclose(draws[:, hide, 1].mean(axis=0), imp[hide, 1], atol=0.15)
    again = gm.impute(Xm, n_imputations=50, random_state=1)
    assert np.array_equal(draws, again)


def test_impute_mixes_components_by_responsibility():
    gm = GaussianMixture.from_parameters([0.5, 0.5], [[0.0, 0.0], [10.0, 20.0]],
                                         [np.eye(2) * 0.1, np.eye(2) * 0.1])
    X = np.array([[0.1, np.nan], [9.9, np.nan], [5.0, np.nan], [np.nan, np.nan], [1.0, 2.0]])
    imp = gm.impute(X)
    assert imp[0, 1] == pytest.approx(0.0, abs=1e-6)
    assert imp[1, 1] == pytest.approx(20.0, abs=1e-6)
    assert imp[2, 1] == pytest.approx(10.0, abs=1e-6)  # halfway: equal responsibilities
    assert np.allclose(imp[3], [5.0, 10.0])  # nothing observed: the mixture mean
    assert np.array_equal(imp[4], X[4])
