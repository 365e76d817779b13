"""HMM pseudo-residuals (engine.checks.hmm_pseudo_residuals) against a hand computation: every state path
of a short sequence enumerated, the conditional distributions summed by brute force (Zucchini, MacDonald &
Langrock 2016, ch. 6)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from emdesk.engine import CategoricalHMM, GaussianHMM, PoissonHMM
from emdesk.engine.checks import hmm_pseudo_residuals

DELTA = np.array([0.6, 0.4])
GAMMA = np.array([[0.9, 0.1], [0.3, 0.7]])


def _paths(T):
    for path in itertools.product(range(2), repeat=T):
        p = DELTA[path[0]]
        for a, b in zip(path[:-1], path[1:]):
            p *= GAMMA[a, b]
        yield path, p


def _brute(x, dens, cdf, t, kind):
    """P(X_t <= x_t | others) (ordinary) or | x_1..t-1 (forecast) by enumerating the 2^T state paths."""
    T = len(x)
    num = den = 0.0
    for path, p in _paths(T):
        w = p
        for s in range(T):
            if s == t or (kind == "forecast" and s > t):
                continue
            w *= dens(x[s], path[s])
        num += w * cdf(x[t], path[t])
        den += w
    return num / den


def _gaussian_hmm():
    m = GaussianHMM(2, covariance_type="diag")
    m.startprob_, m.transmat_ = DELTA.copy(), GAMMA.copy()
    m.means_ = np.array([[0.0], [3.0]])
    m.covars_ = np.array([[1.0], [0.25]])
    m.n_features_in_ = 1
    return m


@pytest.mark.parametrize("kind", ["ordinary", "forecast"])
def test_gaussian_pseudo_residuals_equal_the_hand_computation(kind):
    m = _gaussian_hmm()
    x = np.array([0.2, 2.7, 3.4, -0.5, 1.1])
    mu, sd = [0.0, 3.0], [1.0, 0.5]
    dens = lambda v, j: stats.norm.pdf(v, mu[j], sd[j])  # noqa: E731
    cdf = lambda v, j: stats.norm.cdf(v, mu[j], sd[j])  # noqa: E731
    res = hmm_pseudo_residuals(m, x[:, None], kind=kind, max_lag=3)
    col = res.columns[0]
    expected_u = np.array([_brute(x, dens, cdf, t, kind) for t in range(len(x))])
    np.testing.assert_allclose(col.uniform, expected_u, rtol=1e-10)
    np.testing.assert_allclose(col.residuals, stats.norm.ppf(expected_u), rtol=1e-9)
    assert not res.discrete and col.rows.tolist() == [0, 1, 2, 3, 4]
    # the Q-Q data: sorted residuals against normal quantiles at (i - 0.5) / m
    np.testing.assert_allclose(col.sorted_residuals, np.sort(col.residuals))
    np.testing.assert_allclose(col.theoretical, stats.norm.ppf((np.arange(1, 6) - 0.5) / 5))
    # the ACF, by hand
    z = col.residuals - col.residuals.mean()
    assert col.acf[0] == 1.0
    assert col.acf[1] == pytest.approx(np.sum(z[1:] * z[:-1]) / np.sum(z * z))
    assert col.acf[3] == pytest.approx(np.sum(z[3:] * z[:-3]) / np.sum(z * z))


def test_poisson_mid_pseudo_residuals_and_sequences():
    m = PoissonHMM(2)
    m.startprob_, m.transmat_ = DELTA.copy(), GAMMA.copy()
    m.lambdas_ = np.array([[1.0], [6.0]])
    m.n_features_in_ = 1
    lam = [1.0, 6.0]
    dens = lambda v, j: stats.poisson.pmf(v, lam[j])  # noqa: E731
    hi = lambda v, j: stats.poisson.cdf(v, lam[j])  # noqa: E731
    lo = lambda v, j: stats.poisson.cdf(v - 1, lam[j])  # noqa: E731
    a, b = np.array([0.0, 5, 7, 1]), np.array([2.0, 0, 6])
    X = np.concatenate([a, b])[:, None]
    res = hmm_pseudo_residuals(m, X, lengths=[4, 3], kind="ordinary")
    col = res.columns[0]
    assert res.discrete
    exp_lo, exp_hi = [], []
    for x in (a, b):  # each sequence on its own: nothing crosses the boundary
        exp_lo += [_brute(x, dens, lo, t, "ordinary") for t in range(len(x))]
        exp_hi += [_brute(x, dens, hi, t, "ordinary") for t in range(len(x))]
    exp_lo, exp_hi = np.array(exp_lo), np.array(exp_hi)
    np.testing.assert_allclose(col.lower, stats.norm.ppf(np.clip(exp_lo, 1e-12, 1)), rtol=1e-9)
    np.testing.assert_allclose(col.upper, stats.norm.ppf(exp_hi), rtol=1e-9)
    np.testing.assert_allclose(col.residuals, stats.norm.ppf((np.clip(exp_lo, 1e-12, 1) + exp_hi) / 2), rtol=1e-9)
    assert np.all(np.isfinite(col.residuals)) and np.all(col.lower <= col.upper)
    # ACF pairs only within a sequence: lag 3 has one pair (rows 0 and 3), lag 4 none from across the gap
    z = col.residuals - col.residuals.mean()
    assert col.acf[3] == pytest.approx(z[0] * z[3] / np.sum(z * z))
    assert col.acf[4] == 0.0


def test_categorical_and_missing_cells_and_errors():
    m = CategoricalHMM(2)
    m.startprob_, m.transmat_ = DELTA.copy(), GAMMA.copy()
    m.emissionprob_ = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    m.n_features_in_ = 1
    E = m.emissionprob_
    x = np.array([0.0, 2, 1, 2])
    dens = lambda v, j: E[j, int(v)]  # noqa: E731
    hi = lambda v, j: E[j, : int(v) + 1].sum()  # noqa: E731
    res = hmm_pseudo_residuals(m, x[:, None], kind="ordinary")
    np.testing.assert_allclose(res.columns[0].upper,
                               stats.norm.ppf(np.clip([_brute(x, dens, hi, t, "ordinary") for t in range(4)],
                                                      1e-12, 1 - 1e-12)), rtol=1e-6)
    assert res.columns[0].upper[1] == pytest.approx(stats.norm.ppf(1 - 1e-12))  # the last symbol: u+ = 1
    # a missing cell has no residual; the others still condition on the observed values
    g = GaussianHMM(2, covariance_type="diag", missing="marginalize")
    g.startprob_, g.transmat_ = DELTA.copy(), GAMMA.copy()
    g.means_ = np.array([[0.0, 0.0], [3.0, 1.0]])
    g.covars_ = np.array([[1.0, 1.0], [0.25, 1.0]])
    g.n_features_in_ = 2
    xs = np.array([[0.2, 0.1], [np.nan, 1.2], [3.4, 0.9], [-0.5, -0.3]])
    res = hmm_pseudo_residuals(g, xs, feature_names=["a", "b"])
    r = res.columns[0]
    assert r.rows.tolist() == [0, 2, 3] and np.all(np.isfinite(r.residuals)) and r.name == "a"
    assert res.columns[1].rows.tolist() == [0, 1, 2, 3]
    xs = xs[:, :1]
    with pytest.raises(ValueError, match="kind"):
        hmm_pseudo_residuals(g, xs[:, None], kind="other")
    from emdesk.engine import GaussianMixture

    with pytest.raises(ValueError, match="hidden Markov"):
        hmm_pseudo_residuals(GaussianMixture(2).fit(np.random.default_rng(0).normal(size=(50, 1))), xs[:, None])


def test_a_wrong_model_shows_in_the_residuals():
    # Data from a 2-state HMM fitted with one state: forecast residuals autocorrelated and a hint says so; the
    # right model's are close to independent N(0, 1).
    rng = np.random.default_rng(4)
    truth = _gaussian_hmm()
    X, _ = truth.sample(600, random_state=rng)
    good = GaussianHMM(2, random_state=0, n_init=2).fit(X)
    bad = GaussianHMM(1, random_state=0).fit(X)
    rg = hmm_pseudo_residuals(good, X).columns[0]
    rb = hmm_pseudo_residuals(bad, X)
    assert abs(rg.acf[1]) < 2 * rg.acf_band and rg.p_value > 0.01
    assert rb.columns[0].acf[1] > 0.3 and any(h.kind == "autocorrelation" for h in rb.hints)
