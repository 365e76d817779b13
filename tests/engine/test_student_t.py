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
    # Measured (seed 0): t mixture ARI 0.98 on the clean rows, Gaussian mixture 0.000 (one Gaussian component
    # spreads over the outliers, the other takes both clusters).
    X, y, Xa = _outlier_data(0)
    t = StudentTMixture(2, n_init=3, random_state=0).fit(Xa)
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


def test_default_starts_are_not_captured_by_outliers():
    # Plain k-means++ seeds are drawn in proportion to the squared distance, so the outliers attract them:
    # with those starts 11 of 30 restarts (data seeds 0-2, n_init=10) reached the clusters here, and
    # 25 of 120 over 2-3 components, 2-5 columns and 5-10 % outliers (log-likelihood about -1715 against
    # -1850).  The default start (a trimmed and a plain candidate, 3 ECM iterations each, the better kept;
    # StudentTFamily.initial_state) reached them in 30 of 30 here and 119 of 120 over those cases.
    X, y, Xa = _outlier_data(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = StudentTMixture(2, n_init=10, random_state=0).fit(Xa)
    aris = [adjusted_rand_score(y, t.restart_model(i).predict(X)) for i in range(10)]
    assert sum(a > 0.9 for a in aris) >= 9
    ll = t.restart_log_likelihoods_
    assert np.sum(ll > ll.max() - 20) >= 9
    # the trimmed k-means ("kmeans") start too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = StudentTMixture(2, n_init=5, init_params="kmeans", random_state=1).fit(Xa)
    assert sum(adjusted_rand_score(y, km.restart_model(i).predict(X)) > 0.9 for i in range(5)) >= 4


def test_default_starts_still_find_a_small_far_cluster():
    # 20 of 400 rows in a tight cluster far from the rest: the trimmed candidate leaves it out, the plain
    # one finds it, and the likelihood after the exploratory iterations prefers the plain one (30 of 30
    # restarts over data seeds 0-2; trimmed seeding alone: 18 of 30).
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([0, 0], 1, (190, 2)), rng.normal([5, 3], 1, (190, 2)), rng.normal([25, 25], 1, (20, 2))])
    y = np.repeat([0, 1, 2], [190, 190, 20])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = StudentTMixture(3, n_init=5, random_state=0).fit(X)
    assert all(adjusted_rand_score(y, t.restart_model(i).predict(X)) > 0.9 for i in range(5))


def test_large_data_candidates_run_on_a_subsample(monkeypatch):
    # above EXPLORE_ROWS rows the candidates run on a subsample and the winner starts the fit on every row
    # (the start then costs about one pass; 1e5 rows, k=3: 1.70 s against 1.73 s for the plain start)
    from emdesk.engine.families.student_t import StudentTFamily

    monkeypatch.setattr(StudentTFamily, "EXPLORE_ROWS", 150)
    X, y, Xa = _outlier_data(4, 600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = StudentTMixture(2, n_init=4, random_state=0).fit(Xa)
    assert all(adjusted_rand_score(y, t.restart_model(i).predict(X)) > 0.9 for i in range(4))


def test_explicit_starting_values_skip_the_candidate_starts():
    X, y, Xa = _outlier_data(1, 200)
    means = np.array([[0.0, 0.0], [5.0, 3.0]])
    snaps = list(StudentTMixture(2, means_init=means, max_iter=1, random_state=0).fit_iter(Xa))
    np.testing.assert_allclose(snaps[0].params["means"], means)


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


def _monotone_data(seed, missing):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.standard_t(3, (40, 2)), rng.standard_t(5, (40, 2)) + [4, 1]])
    if missing:
        X[rng.random(X.shape) < 0.15] = np.nan
        X[np.isnan(X).all(axis=1), 0] = 0.5
    return X


def _reference_ecm_step(X, w, mu, S, nu, ct, dof_type):
    """One ECM step of a t mixture with missing cells written out row by row from the model
    (McLachlan & Peel 2000, 7.5; Liu & Rubin 1995 for the missing coordinates), independently of
    the engine: u | x_o ~ Gamma((nu + p_o)/2, rate (nu + delta_o)/2); x_m | x_o, u ~ N(xhat_m, C/u)."""
    from scipy.optimize import brentq
    from scipy.special import digamma

    n, d = X.shape
    k = len(w)
    F = full_covariances(S, ct, k, d)
    logp, U, ElogU = np.zeros((n, k)), np.zeros((n, k)), np.zeros((n, k))
    Xh, Cs = np.zeros((n, k, d)), np.zeros((n, k, d, d))
    for i in range(n):
        o = ~np.isnan(X[i])
        m_ = ~o
        for j in range(k):
            Soo = F[j][np.ix_(o, o)]
            r = X[i, o] - mu[j, o]
            delta = r @ np.linalg.solve(Soo, r)
            logp[i, j] = np.log(w[j]) + stats.multivariate_t(mu[j, o], Soo, df=nu[j]).logpdf(X[i, o])
            a, b = (nu[j] + o.sum()) / 2, (nu[j] + delta) / 2
            U[i, j], ElogU[i, j] = a / b, digamma(a) - np.log(b)
            Xh[i, j] = X[i]
            if m_.any():
                Smo = F[j][np.ix_(m_, o)]
                Xh[i, j, m_] = mu[j, m_] + Smo @ np.linalg.solve(Soo, r)
                Cs[i, j][np.ix_(m_, m_)] = F[j][np.ix_(m_, m_)] - Smo @ np.linalg.solve(Soo, Smo.T)
    ll = logsumexp(logp, axis=1).sum()
    tau = np.exp(logp - logsumexp(logp, axis=1)[:, None])
    nk = tau.sum(axis=0)
    mu2 = np.stack([(tau[:, j] * U[:, j]) @ Xh[:, j] / (tau[:, j] @ U[:, j]) for j in range(k)])
    A = np.stack([np.einsum("n,ni,nj->ij", tau[:, j] * U[:, j], Xh[:, j] - mu2[j], Xh[:, j] - mu2[j])
                  + np.einsum("n,nij->ij", tau[:, j], Cs[:, j]) for j in range(k)])
    S2 = {"full": A / nk[:, None, None], "tied": A.sum(axis=0) / n,
          "diag": np.diagonal(A, axis1=1, axis2=2) / nk[:, None],
          "spherical": np.trace(A, axis1=1, axis2=2) / d / nk}[ct]
    # CM-step 2: d/dnu of sum_ij tau_ij log Gamma(u_ij; nu/2, nu/2) in expectation = 0
    g = (tau * (ElogU - U)).sum(axis=0)

    def root(gj, nj):
        f = lambda v: nj * (np.log(v / 2) + 1 - digamma(v / 2)) + gj  # noqa: E731
        return 200.0 if f(200.0) >= 0 else (1.0 if f(1.0) <= 0 else brentq(f, 1.0, 200.0, xtol=1e-12))

    nu2 = (np.full(k, root(g.sum(), n)) if dof_type == "shared"
           else np.array([root(g[j], nk[j]) for j in range(k)]))
    return ll, (nk / n, mu2, S2, nu2)


# The case that was a strict xfail (seed 7345, full scale matrices, 15 % missing cells): k-means++ had put
# component 2 on two outlying rows, so its 2 x 2 scale matrix was singular from the start and only
# reg_covar (1e-4) held it up; the log-likelihood fell by 1.7e-3 at iteration 4.  The cause was the ridge
# added twice to the missing cells (once inside their conditional scale, once more in the CM-step): with
# the ridge added only where the data were observed (emdesk.engine._missing, 1 Dec 2026) the 25 steps rise
# (smallest step +3.0e-4).  The component still sits at the floor and every snapshot says so
# ('variance_floor'), as for GaussianMixture (tests/engine/test_monotone.py).  The ECM step itself is
# exact: test_ecm_step_with_missing_cells_equals_reference_and_never_lowers_the_likelihood.
_CASE_7345 = dict(weights_init=[0.975, 0.025], means_init=[[2.716419, 0.502817], [12.241429, -0.649691]],
                  covariances_init=[[[3.899172, 0.898871], [0.898871, 1.039674]],
                                    [[0.473161, -0.836178], [-0.836178, 1.478119]]])


def test_a_component_at_the_reg_covar_floor_is_flagged_and_the_likelihood_rises():
    X = _monotone_data(7345, True)
    m = StudentTMixture(2, covariance_type="full", tol=0, max_iter=25, missing="marginalize", reg_covar=1e-4,
                        **_CASE_7345)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snaps = list(m.fit_iter(X))
    ll = np.array([s.log_likelihood for s in snaps])
    assert np.all(np.diff(ll) >= -1e-9 * np.abs(ll[:-1]))  # fell by 1.7e-3 with the ridge added twice
    for s in snaps:  # at the floor throughout, and flagged
        assert any(i.kind == "variance_floor" and i.component == 1 for i in s.issues)
    # the default start (trimmed and plain candidates) no longer lands there
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = StudentTMixture(2, covariance_type="full", tol=0, max_iter=25, random_state=7345, missing="marginalize",
                            reg_covar=1e-4)
        ll_d = [s.log_likelihood for s in d.fit_iter(X)]
    assert all(b >= a - 1e-8 * abs(a) for a, b in zip(ll_d, ll_d[1:]))
    assert not d.degeneracies_


@settings(max_examples=12, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), ct=st.sampled_from(CTS), dof_type=st.sampled_from(["component", "shared"]))
def test_ecm_step_with_missing_cells_equals_reference_and_never_lowers_the_likelihood(seed, ct, dof_type):
    rng = np.random.default_rng(seed)
    X = _monotone_data(seed, True)[::2]
    k, d = 2, 2
    w = rng.dirichlet([5, 5])
    mu = np.array([[0.0, 0.0], [4.0, 1.0]]) + rng.normal(0, 0.5, (k, d))
    A = rng.normal(0, 0.5, (k, d, d))
    full = A @ np.swapaxes(A, 1, 2) + np.eye(d)
    S = {"full": full, "tied": full[0], "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
         "spherical": np.array([1.3, 0.8])}[ct]
    nu = rng.uniform(2, 30, k) if dof_type == "component" else np.full(k, rng.uniform(2, 30))
    m = StudentTMixture(k, covariance_type=ct, dof_type=dof_type, reg_covar=0.0, tol=0, max_iter=1,
                        missing="marginalize", weights_init=w, means_init=mu, covariances_init=S, dof_init=nu)
    s0, s1 = list(m.fit_iter(X))
    ll0, (w2, mu2, S2, nu2) = _reference_ecm_step(X, w, mu, S, nu, ct, dof_type)
    assert s0.log_likelihood == pytest.approx(ll0, rel=1e-10)
    np.testing.assert_allclose(s1.weights, w2, rtol=1e-9)
    np.testing.assert_allclose(s1.params["means"], mu2, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(s1.params["covariances"], S2, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(s1.params["dof"], nu2, rtol=1e-7)
    assert s1.log_likelihood >= s0.log_likelihood - 1e-9 * abs(s0.log_likelihood)


# derandomize: CI runs the same examples every time.  As for GaussianMixture (tests/engine/test_monotone.py),
# the check stops at the first snapshot diagnosed at the variance floor or ill-conditioned: reg_covar
# holding up a collapsed component is not an ECM step (see the 7345 case above).
@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), ct=st.sampled_from(CTS), dof_type=st.sampled_from(["component", "shared"]),
       missing=st.booleans(), fix_dof=st.booleans())
def test_log_likelihood_never_decreases(seed, ct, dof_type, missing, fix_dof):
    X = _monotone_data(seed, missing)
    m = StudentTMixture(2, covariance_type=ct, dof_type=dof_type, tol=0, max_iter=25, random_state=seed,
                        missing="marginalize" if missing else "error", reg_covar=1e-4, fix_dof=fix_dof,
                        dof_init=4.0 if fix_dof else 50.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snaps = list(m.fit_iter(X))
    ll = np.array([s.log_likelihood for s in snaps])
    stop = next((i for i, s in enumerate(snaps)
                 if any(x.kind in ("variance_floor", "ill_conditioned") for x in s.issues)), len(snaps))
    ll = ll[:stop]
    assert np.all(np.diff(ll) >= -1e-8 * np.abs(ll[:-1]))
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
