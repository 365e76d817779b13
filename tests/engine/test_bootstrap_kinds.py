"""The bootstrap of the other model kinds (emdesk.engine.bootstrap_kinds through emdesk.engine.bootstrap)."""

import math

import numpy as np
import pytest
from scipy.special import gammaln

from emdesk.engine import bootstrap
from emdesk.engine.align import align_posteriors, permute_parameters
from emdesk.engine.hmm import CategoricalHMM, GaussianHMM, PoissonHMM
from emdesk.engine.mixtures import CategoricalMixture, MixedMixture, PoissonMixture, StudentTMixture

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


# ---------------------------------------------------------------------------------------------- Poisson mixture
@pytest.fixture(scope="module")
def poisson_fit():
    rng = np.random.default_rng(4)
    x = np.r_[rng.poisson(3.0, 240), rng.poisson(25.0, 160)].astype(float)[:, None]
    return PoissonMixture(2, random_state=0, n_init=2).fit(x), x


def _poisson_loglik(theta, x):
    """Log-likelihood of a two-component Poisson mixture, theta = (w1, lambda1, lambda2)."""
    w, l1, l2 = theta
    lp1 = x * math.log(l1) - l1 - gammaln(x + 1)
    lp2 = x * math.log(l2) - l2 - gammaln(x + 1)
    return float(np.sum(np.logaddexp(math.log(w) + lp1, math.log(1 - w) + lp2)))


def _observed_information_se(theta, x):
    """Standard errors from the inverse of minus the numerical Hessian of the log-likelihood (central
    differences): the observed-information SEs (Louis 1982; McLachlan & Peel 2000, section 2.15)."""
    theta = np.asarray(theta, dtype=float)
    h = 1e-4 * np.maximum(np.abs(theta), 1e-2)
    p = theta.size
    H = np.zeros((p, p))
    for a in range(p):
        for b in range(p):
            def f(da, db):
                t = theta.copy()
                t[a] += da * h[a]
                t[b] += db * h[b]
                return _poisson_loglik(t, x)
            H[a, b] = (f(1, 1) - f(1, -1) - f(-1, 1) + f(-1, -1)) / (4 * h[a] * h[b])
    return np.sqrt(np.diag(np.linalg.inv(-H)))


@pytest.mark.parametrize("method", ["nonparametric", "parametric"])
def test_poisson_rate_se_agrees_with_the_observed_information(poisson_fit, method):
    m, x = poisson_fit
    order = np.argsort(m.lambdas_[:, 0])  # the small-rate component first in theta
    theta = (m.weights_[order[0]], m.lambdas_[order[0], 0], m.lambdas_[order[1], 0])
    se_info = _observed_information_se(theta, x[:, 0])
    B = 300
    r = bootstrap(m, x, n_boot=B, method=method, random_state=7, n_jobs=1)
    assert r.n_done == B and r.n_failed == 0 and r.model_name == "PoissonMixture"
    assert set(r.standard_errors) == {"weights", "lambdas"} and r.standard_errors["lambdas"].shape == (2, 1)
    se_boot = np.array([r.standard_errors["weights"][order[0]], r.standard_errors["lambdas"][order[0], 0],
                        r.standard_errors["lambdas"][order[1], 0]])
    # Monte Carlo relative error of an SD from B replicates ~ 1/sqrt(2B) = 4 %: allow 4 of them
    np.testing.assert_allclose(se_boot, se_info, rtol=4 / math.sqrt(2 * B))
    lo, hi = r.confidence_intervals(0.95)["lambdas"]
    assert np.all(lo < m.lambdas_) and np.all(m.lambdas_ < hi)


def test_replicates_are_aligned_to_the_fit(poisson_fit):
    m, x = poisson_fit
    r = bootstrap(m, x, n_boot=40, random_state=2, n_jobs=2)
    # every replicate's component j is near the fit's component j (the rates are far apart)
    gap = np.abs(r.replicates["lambdas"] - m.lambdas_[None]).max()
    assert gap < 5.0
    # results do not depend on the number of threads
    r1 = bootstrap(m, x, n_boot=40, random_state=2, n_jobs=1)
    np.testing.assert_array_equal(r1.replicates["lambdas"], r.replicates["lambdas"])


def test_align_posteriors_undoes_a_relabelling():
    rng = np.random.default_rng(0)
    R = rng.dirichlet(np.ones(4) * 0.3, size=200)
    perm = np.array([2, 0, 3, 1])
    P = R[:, np.argsort(perm)]  # column perm[j] of P is column j of R
    np.testing.assert_array_equal(align_posteriors(P, R), perm)
    A = np.arange(16.0).reshape(4, 4)
    out = permute_parameters({"transmat": A, "startprob": np.arange(4.0), "covariances": np.eye(4)}, perm, 4,
                             shared={"covariances"})
    np.testing.assert_array_equal(out["transmat"], A[np.ix_(perm, perm)])
    np.testing.assert_array_equal(out["startprob"], perm.astype(float))
    np.testing.assert_array_equal(out["covariances"], np.eye(4))
    with pytest.raises(ValueError, match="same rows"):
        align_posteriors(P[:10], R)


# ---------------------------------------------------------------------------------------------- HMMs
def _simulate_hmm(startprob, transmat, means, sds, lengths, rng):
    out = []
    for L in lengths:
        s = rng.choice(2, p=startprob)
        for _ in range(L):
            out.append(rng.normal(means[s], sds[s]))
            s = rng.choice(2, p=transmat[s])
    return np.array(out)[:, None]


def test_hmm_parametric_bootstrap_covers_the_true_parameters():
    rng = np.random.default_rng(12)
    A = np.array([[0.9, 0.1], [0.2, 0.8]])
    mu, sd = np.array([0.0, 3.0]), np.array([1.0, 0.7])
    lengths = [200, 200, 200]
    X = _simulate_hmm([0.5, 0.5], A, mu, sd, lengths, rng)
    h = GaussianHMM(2, random_state=0, n_init=2, tol=1e-6).fit(X, lengths)
    order = np.argsort(h.means_[:, 0])
    r = bootstrap(h, X, n_boot=60, method="parametric", lengths=lengths, random_state=3, n_jobs=2)
    assert r.n_done >= 55 and set(r.standard_errors) == {"startprob", "transmat", "means", "covars"}
    se = r.standard_errors
    est_A = h.transmat_[np.ix_(order, order)]
    se_A = se["transmat"][np.ix_(order, order)]
    assert np.all(se_A > 0.005) and np.all(se_A < 0.1)
    assert np.all(np.abs(est_A - A) < 3.5 * se_A)                      # the truth within 3.5 SE
    assert np.all(np.abs(h.means_[order, 0] - mu) < 3.5 * se["means"][order, 0])
    assert np.all(np.abs(np.sqrt(h.covars_[order, 0, 0]) - sd) < 3.5 * se["covars"][order, 0] / (2 * sd))
    lo, hi = r.confidence_intervals(0.999)["transmat"]
    assert np.all(lo[np.ix_(order, order)] <= A) and np.all(A <= hi[np.ix_(order, order)])
    # each row of every replicate's transition matrix still sums to 1 (permuted on both axes)
    np.testing.assert_allclose(r.replicates["transmat"].sum(axis=2), 1.0, atol=1e-9)


def test_hmm_nonparametric_bootstrap_resamples_whole_sequences(monkeypatch):
    rng = np.random.default_rng(5)
    X = rng.poisson(np.repeat([2.0, 9.0, 2.0, 9.0, 2.0, 9.0], 30))[:, None].astype(float)
    lengths = [60, 60, 60]
    h = PoissonHMM(2, random_state=0).fit(X, lengths)
    seen = []
    real = PoissonHMM.fit

    def spy(self, Xb, lb=None):
        seen.append(list(lb))
        return real(self, Xb, lb)

    monkeypatch.setattr(PoissonHMM, "fit", spy)
    r = bootstrap(h, X, n_boot=8, method="nonparametric", lengths=lengths, random_state=1, n_jobs=1)
    assert r.n_done == 8 and r.standard_errors["lambdas"].shape == (2, 1)
    assert all(lb == [60, 60, 60] for lb in seen)
    with pytest.raises(ValueError, match="whole sequences.*parametric"):
        bootstrap(h, X, n_boot=5, method="nonparametric", random_state=1)  # one sequence


def test_categorical_hmm_and_the_other_mixtures_give_their_own_parameters():
    rng = np.random.default_rng(2)
    sym = np.r_[rng.integers(0, 2, 80), rng.integers(1, 3, 80), rng.integers(0, 2, 80)].astype(float)[:, None]
    h = CategoricalHMM(2, random_state=0).fit(sym)
    r = bootstrap(h, sym, n_boot=6, method="parametric", random_state=1, n_jobs=1)
    assert r.standard_errors["emissionprob"].shape == h.emissionprob_.shape
    Xt = np.vstack([rng.standard_t(4, (60, 2)), rng.standard_t(4, (60, 2)) + 8])
    t = StudentTMixture(2, random_state=0, covariance_type="tied").fit(Xt)
    r = bootstrap(t, Xt, n_boot=4, random_state=1, n_jobs=1)
    assert set(r.standard_errors) == {"weights", "means", "covariances", "dof"}
    assert r.standard_errors["covariances"].shape == (2, 2) and r.covariance_type == "tied"
    # text categories: bootstrapped as codes, categories kept in the model's order even when a resample lacks one
    Xc = np.array([["a", "x"], ["b", "y"], ["a", "x"], ["b", "y"], ["c", "y"]] * 12, dtype=object)
    c = CategoricalMixture(2, random_state=0, n_init=2).fit(Xc)
    r = bootstrap(c, Xc, n_boot=10, random_state=1, n_jobs=1)
    assert r.standard_errors["probs"].shape == c.probs_.shape and r.n_failed == 0
    np.testing.assert_allclose(r.replicates["probs"][:, :, 0, :3].sum(axis=2), 1.0, atol=1e-9)
    Xm = np.column_stack([np.r_[rng.normal(0, 1, 50), rng.normal(6, 1, 50)],
                          np.r_[rng.integers(0, 2, 50), rng.integers(1, 3, 50)]]).astype(object)
    mm = MixedMixture(2, categorical_columns=[1], random_state=0).fit(Xm)
    r = bootstrap(mm, Xm, n_boot=5, method="parametric", random_state=1, n_jobs=1)
    assert set(r.standard_errors) == {"weights", "means", "covariances", "probs"}


# ---------------------------------------------------------------------------------------------- bad input
def test_bad_input_gets_a_useful_value_error(poisson_fit):
    m, x = poisson_fit
    with pytest.raises(ValueError, match="weighted likelihood bootstrap.*PoissonMixture"):
        bootstrap(m, x, n_boot=5, method="weighted")
    with pytest.raises(ValueError, match="lengths"):
        bootstrap(m, x, n_boot=5, lengths=[200, 200])
    with pytest.raises(ValueError, match="sample_weight"):
        bootstrap(m, x, n_boot=5, sample_weight=np.ones(len(x)))
    with pytest.raises(ValueError, match="columns"):
        bootstrap(m, np.hstack([x, x]), n_boot=5)
    with pytest.raises(ValueError, match="counts|whole numbers"):
        bootstrap(m, x + 0.5, n_boot=5)
    with pytest.raises(ValueError, match="not fitted|no parameters"):
        bootstrap(PoissonMixture(2), x, n_boot=5)
    tampered = PoissonMixture.from_fitted_params(m.get_fitted_params())
    tampered.weights_ = np.array([0.7, 0.7])
    with pytest.raises(ValueError, match="weights_ must sum to 1"):
        bootstrap(tampered, x, n_boot=5)
    tampered = PoissonMixture.from_fitted_params(m.get_fitted_params())
    tampered.lambdas_ = np.array([[np.nan], [3.0]])
    with pytest.raises(ValueError, match="lambdas"):
        bootstrap(tampered, x, n_boot=5)
    rng = np.random.default_rng(0)
    sym = rng.integers(0, 3, (90, 1)).astype(float)
    h = CategoricalHMM(2, random_state=0).fit(sym)
    h.transmat_ = np.array([[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(ValueError, match="transmat_"):
        bootstrap(h, sym, n_boot=5, method="parametric")
    Xc = np.array([["a"], ["b"]] * 20, dtype=object)
    c = CategoricalMixture(2, random_state=0).fit(Xc)
    with pytest.raises(ValueError, match="'z'|z"):
        bootstrap(c, np.array([["a"], ["z"]] * 20, dtype=object), n_boot=5)
