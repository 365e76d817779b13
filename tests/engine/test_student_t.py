"""StudentTMixture / StudentTFamily (issue 13): robustness to gross outliers, the Gaussian limit,
the density against scipy.stats.multivariate_t (complete and incomplete rows), monotone ECM,
scale weights, degrees of freedom options, errors, snapshots and the HMM emission."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp
from sklearn.metrics import adjusted_rand_score

from emdesk.engine import GaussianMixture, HiddenMarkovModel, StudentTFamily, StudentTMixture
from emdesk.engine._core import full_covariances

CTS = ("full", "tied", "diag", "spherical")


def _outlier_data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal([0, 0], 1, (n // 2, 2)), rng.normal([5, 3], 1, (n // 2, 2))])
    y = np.repeat([0, 1], n // 2)
    out = rng.uniform(-40, 40, (int(0.05 * n), 2))  # 5 % gross outliers
    return X, y, np.vstack([X, out])


def test_gross_outliers_t_recovers_clusters_gaussian_does_not():
    # Measured (seed 0, kmeans++): t mixture ARI 0.98 on the clean rows, Gaussian mixture 0.000 (one
    # Gaussian component spreads over the outliers, the other takes both clusters). On these data only 2-3
    # of 10 k-means++ starts of the t mixture reach its best optimum (log-likelihood -1718 against -1851
    # for the others, measured for random_state 0-3 after the engine's median-centred standardisation):
    # with n_init=3 and seed 0 none did (ARI 0.0), hence 10 restarts, as a user with outliers needs.
    X, y, Xa = _outlier_data(0)
    t = StudentTMixture(2, n_init=10, random_state=0).fit(Xa)
    g = GaussianMixture(2, n_init=3, random_state=0).fit(Xa)
    ari_t = adjusted_rand_score(y, t.predict(X))
    ari_g = adjusted_rand_score(y, g.predict(X))
    assert ari_t > 0.95
    assert ari_g < 0.2
    # the outliers have the smallest scale weights
    u = t.scale_weights(Xa)
    assert u.shape == (Xa.shape[0],)
    assert np.median(u[len(X):]) < 0.2 < np.median(u[:len(X)])
    assert np.mean(np.argsort(u)[:20] >= len(X)) >= 0.9


@pytest.mark.parametrize("ct", CTS)
def test_large_fixed_dof_agrees_with_gaussian_mixture_from_same_start(ct):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal([0, 0, 0], [1, 2, 0.5], (150, 3)), rng.normal([3, -1, 2], 1, (150, 3))])
    w0 = np.array([0.4, 0.6])
    m0 = np.array([[0.5, 0.5, 0.5], [2.5, -0.5, 1.5]])
    c0 = {"full": np.array([np.eye(3) * 2] * 2), "tied": np.eye(3) * 2, "diag": np.ones((2, 3)) * 2,
          "spherical": np.array([2.0, 2.0])}[ct]
    kw = dict(covariance_type=ct, weights_init=w0, means_init=m0, tol=0, max_iter=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = GaussianMixture(2, covariances_init=c0, **kw).fit(X)
    t = StudentTMixture(2, covariances_init=c0, dof_init=1e6, fix_dof=True, **kw).fit(X)
    assert t.log_likelihood_ == pytest.approx(g.log_likelihood_, rel=1e-4)
    np.testing.assert_allclose(t.means_, g.means_, atol=1e-3)
    np.testing.assert_allclose(t.covariances_, g.covariances_, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(t.dof_, 1e6)


def _set_model(ct, d, k, rng, dof):
    means = rng.normal(0, 2, (k, d))
    A = rng.normal(0, 1, (k, d, d))
    full = A @ np.swapaxes(A, 1, 2) + np.eye(d)
    cov = {"full": full, "tied": full[0], "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
           "spherical": np.array([1.5, 0.7, 2.0][:k])}[ct]
    w = rng.dirichlet(np.ones(k))
    return StudentTMixture.from_fitted_params({"weights": w, "means": means, "covariances": cov, "dof": dof},
                                              covariance_type=ct, missing="marginalize")


@pytest.mark.parametrize("ct", CTS)
def test_density_equals_scipy_multivariate_t(ct):
    rng = np.random.default_rng(2)
    k, d = 3, 3
    m = _set_model(ct, d, k, rng, np.array([1.5, 4.0, 30.0]))
    X = rng.normal(0, 3, (50, d))
    F = full_covariances(m.covariances_, ct, k, d)
    ref = logsumexp(np.stack([np.log(m.weights_[j]) + stats.multivariate_t(m.means_[j], F[j], df=m.dof_[j]).logpdf(X)
                              for j in range(k)], axis=1), axis=1)
    np.testing.assert_allclose(m.score_samples(X), ref, rtol=1e-10, atol=1e-10)
    # incomplete rows: the marginal of a t on the observed coordinates is a t with the same dof
    Xm = X.copy()
    Xm[::3, 0] = np.nan
    Xm[1::3, 1:] = np.nan
    for i in range(len(Xm)):
        o = ~np.isnan(Xm[i])
        comp = [np.log(m.weights_[j]) + stats.multivariate_t(m.means_[j, o], F[j][np.ix_(o, o)], df=m.dof_[j])
                .logpdf(Xm[i, o]) for j in range(k)]
        assert m.score_samples(Xm[i:i + 1])[0] == pytest.approx(logsumexp(comp), rel=1e-10)


def _monotone_case(seed, ct, dof_type, missing):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.standard_t(3, (40, 2)), rng.standard_t(5, (40, 2)) + [4, 1]])
    if missing:
        X[rng.random(X.shape) < 0.15] = np.nan
        X[np.isnan(X).all(axis=1), 0] = 0.5
    m = StudentTMixture(2, covariance_type=ct, dof_type=dof_type, tol=0, max_iter=25, random_state=seed,
                        missing="marginalize" if missing else "error", reg_covar=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [s.log_likelihood for s in m.fit_iter(X)]


@pytest.mark.xfail(strict=True, reason="known defect (issue 13, open): with full covariances and missing cells the "
                   "t mixture's ECM step is not exact; the log-likelihood fell by 1.7e-3 here (3 of 804 cases "
                   "of seeds 0-199 x full/diag x shared/component x missing, all full + missing)")
def test_known_nonmonotone_case_full_covariance_with_missing_cells():
    ll = _monotone_case(7345, "full", "component", True)
    assert all(b >= a - 1e-8 * abs(a) for a, b in zip(ll, ll[1:]))


# derandomize: CI runs the same examples every time; the known failing case above is kept as a strict xfail
# until the ECM step with missing cells is exact.
@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), ct=st.sampled_from(CTS), dof_type=st.sampled_from(["component", "shared"]),
       missing=st.booleans())
def test_log_likelihood_never_decreases(seed, ct, dof_type, missing):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.standard_t(3, (40, 2)), rng.standard_t(5, (40, 2)) + [4, 1]])
    if missing:
        X[rng.random(X.shape) < 0.15] = np.nan
        X[np.isnan(X).all(axis=1), 0] = 0.5
    m = StudentTMixture(2, covariance_type=ct, dof_type=dof_type, tol=0, max_iter=25, random_state=seed,
                        missing="marginalize" if missing else "error", reg_covar=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ll = [s.log_likelihood for s in m.fit_iter(X)]
    assert all(b >= a - 1e-8 * abs(a) for a, b in zip(ll, ll[1:]))
    if dof_type == "shared":
        assert np.all(m.dof_ == m.dof_[0])
    assert np.all((m.dof_ >= 1.0) & (m.dof_ <= 200.0))


def test_dof_options_and_parameter_counts():
    X, y, Xa = _outlier_data(3, 200)
    fixed = StudentTMixture(2, dof_init=4.0, fix_dof=True, random_state=0).fit(Xa)
    np.testing.assert_array_equal(fixed.dof_, [4.0, 4.0])
    assert fixed.n_parameters() == 1 + 2 * 2 + 2 * 3
    shared = StudentTMixture(2, dof_type="shared", random_state=0).fit(Xa)
    assert shared.dof_[0] == shared.dof_[1] and shared.n_parameters() == 1 + 4 + 6 + 1
    comp = StudentTMixture(2, random_state=0, dof_bounds=(2.5, 50)).fit(Xa)
    assert comp.n_parameters() == 1 + 4 + 6 + 2
    assert np.all((comp.dof_ >= 2.5) & (comp.dof_ <= 50))
    # gaussian data: the dof estimate runs to the upper bound
    rng = np.random.default_rng(0)
    gauss = StudentTMixture(1, tol=1e-7, max_iter=200).fit(rng.normal(size=(3000, 2)))
    assert gauss.dof_[0] > 50


def test_em_with_missing_values_recovers_parameters():
    rng = np.random.default_rng(5)
    n = 4000
    X = np.vstack([rng.standard_t(4, (n, 2)) @ np.array([[1, 0.5], [0, 1]]),
                   rng.standard_t(4, (n, 2)) + [8, 8]])
    Xm = X.copy()
    Xm[rng.random(X.shape) < 0.2] = np.nan
    Xm[np.isnan(Xm).all(axis=1), 0] = X[np.isnan(Xm).all(axis=1), 0]
    full = StudentTMixture(2, random_state=0, tol=1e-6).fit(X)
    part = StudentTMixture(2, random_state=0, tol=1e-6, missing="marginalize").fit(Xm)
    o_f, o_p = np.argsort(full.means_[:, 0]), np.argsort(part.means_[:, 0])
    np.testing.assert_allclose(part.means_[o_p], full.means_[o_f], atol=0.1)
    np.testing.assert_allclose(part.dof_[o_p], full.dof_[o_f], rtol=0.35)
    assert np.all(np.abs(part.dof_ - 4) < 2)
    with pytest.raises(ValueError, match="missing='marginalize'"):
        StudentTMixture(2).fit(Xm)


def test_errors_and_attributes():
    X, _, Xa = _outlier_data(0, 100)
    with pytest.raises(ValueError, match="dof_type"):
        StudentTMixture(2, dof_type="one").fit(Xa)
    with pytest.raises(ValueError, match="dof"):
        StudentTMixture(2, dof_init=-1).fit(Xa)
    with pytest.raises(ValueError, match="covariance_type"):
        StudentTMixture(2, covariance_type="banded").fit(Xa)
    with pytest.raises(ValueError, match="no parameters yet"):
        StudentTMixture(2).scale_weights(Xa)
    m = StudentTMixture(2, random_state=0).fit(Xa)
    with pytest.raises(ValueError, match="component"):
        m.scale_weights(Xa, component="best")
    assert m.scale_weights(Xa, "all").shape == (len(Xa), 2)
    e = m.scale_weights(Xa, "expected")
    assert e.shape == (len(Xa),) and np.all(e > 0)
    assert m.mahalanobis(Xa).shape == (len(Xa), 2)
    assert m.predict_proba(Xa).shape == (len(Xa), 2)
    assert m.score(Xa) == pytest.approx(m.log_likelihood_ / len(Xa), rel=1e-9)
    assert m.bic(Xa) == pytest.approx(-2 * m.log_likelihood_ + m.n_parameters() * np.log(len(Xa)), rel=1e-9)
    Xs, labels = m.sample(500, random_state=1)
    assert Xs.shape == (500, 2) and set(np.unique(labels)) <= {0, 1}


def test_snapshots_round_trip_and_fitted_params():
    X, _, Xa = _outlier_data(0, 200)
    m = StudentTMixture(2, random_state=0, covariance_type="diag")
    snaps = list(m.fit_iter(Xa))
    assert snaps[-1].family == "student_t" and snaps[-1].structure == "mixture"
    assert snaps[-1].params["dof"].shape == (2,)
    back = snaps[-1].to_model()
    assert isinstance(back, StudentTMixture)
    assert back.score(Xa) == pytest.approx(m.score(Xa), rel=1e-12)
    p = m.get_fitted_params()
    assert set(p) == {"weights", "means", "covariances", "dof"}
    again = StudentTMixture.from_fitted_params(p, covariance_type="diag")
    np.testing.assert_allclose(again.score_samples(Xa), m.score_samples(Xa))


def test_student_t_hmm_emissions():
    rng = np.random.default_rng(0)
    states = np.repeat([0, 1, 0, 1], 150)
    X = rng.standard_t(3, (600, 1)) + 6 * states[:, None]
    h = HiddenMarkovModel(StudentTFamily("full"), 2, random_state=0, tol=0, max_iter=30)
    ll = [s.log_likelihood for s in h.fit_iter(X)]
    assert all(b >= a - 1e-8 * abs(a) for a, b in zip(ll, ll[1:]))
    assert adjusted_rand_score(states, h.predict(X)) > 0.95
    assert h.dof_.shape == (2,) and np.all(h.dof_ < 20)
