"""Goodness-of-fit checks (emdesk.engine.checks) against independent calculations with scipy.stats."""

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import mahalanobis

from emdesk.engine import GaussianMixture
from emdesk.engine.checks import (check_model, classification_uncertainty, mahalanobis_qq,
                                  marginal_checks)

from engine_helpers import COVARIANCE_TYPES, full_cov, make_mixture


@pytest.fixture(scope="module", params=COVARIANCE_TYPES)
def fitted(request):
    rng = np.random.default_rng(9)
    X, *_ = make_mixture(rng, n=400, k=2, spread=6.0)
    return GaussianMixture(2, covariance_type=request.param, random_state=1).fit(X), X


def test_mahalanobis_distances_and_quantiles(fitted):
    gm, X = fitted
    k, d = gm.means_.shape
    full = full_cov(gm.covariances_, gm.covariance_type, k, d)
    labels = gm.predict(X)
    qq = mahalanobis_qq(gm, X)
    assert len(qq) == k
    for j, c in enumerate(qq):
        VI = np.linalg.inv(full[j])
        rows = np.flatnonzero(labels == j)
        expected = np.sort([mahalanobis(x, gm.means_[j], VI) ** 2 for x in X[rows]])
        np.testing.assert_allclose(c.distances, expected, rtol=1e-9)
        m = rows.size
        np.testing.assert_allclose(c.quantiles, stats.chi2(d).ppf((np.arange(m) + 0.5) / m))
        assert set(c.rows) == set(rows)
        # rows are in the order of their sorted distances
        again = [mahalanobis(x, gm.means_[j], VI) ** 2 for x in X[c.rows]]
        np.testing.assert_allclose(again, c.distances, rtol=1e-9)
        ks = stats.kstest(expected, "chi2", args=(d,))
        assert c.ks_statistic == pytest.approx(ks.statistic) and c.p_value == pytest.approx(ks.pvalue)
        assert c.kurtosis == pytest.approx(np.mean(expected ** 2))


def test_marginal_density_pit_and_ks(fitted):
    gm, X = fitted
    k, d = gm.means_.shape
    full = full_cov(gm.covariances_, gm.covariance_type, k, d)
    checks = marginal_checks(gm, X, ["a", "b"])
    for i, m in enumerate(checks):
        assert m.name == "ab"[i]
        sd = np.sqrt(full[:, i, i])
        dens = sum(gm.weights_[j] * stats.norm(gm.means_[j, i], sd[j]).pdf(m.grid) for j in range(k))
        np.testing.assert_allclose(m.density, dens, rtol=1e-10)
        np.testing.assert_allclose(m.component_densities.sum(axis=0), m.density)
        # the density integrates to about 1 over a grid reaching 3 sd beyond every mean
        assert np.trapezoid(m.density, m.grid) == pytest.approx(1.0, abs=0.01)
        cdf = sum(gm.weights_[j] * stats.norm(gm.means_[j, i], sd[j]).cdf(X[:, i]) for j in range(k))
        np.testing.assert_allclose(m.pit, cdf, rtol=1e-10)
        ks = stats.kstest(cdf, "uniform")
        assert m.ks_statistic == pytest.approx(ks.statistic) and m.p_value == pytest.approx(ks.pvalue)
        assert m.p_value > 0.01  # the model is right
        assert np.sum(m.hist_density * np.diff(m.hist_edges)) == pytest.approx(1.0)
        assert np.sum(m.pit_density * np.diff(m.pit_edges)) == pytest.approx(1.0)
        assert m.pit_edges[0] == 0.0 and m.pit_edges[-1] == 1.0


def test_pit_flags_a_misfit():
    rng = np.random.default_rng(0)
    X = rng.exponential(size=(500, 1))
    gm = GaussianMixture(1).fit(X)
    (m,) = marginal_checks(gm, X)
    assert m.p_value < 1e-3


def test_uncertainty_is_one_minus_the_largest_responsibility(fitted):
    gm, X = fitted
    u = classification_uncertainty(gm, X)
    resp = gm.predict_proba(X)
    np.testing.assert_allclose(u.values, 1 - resp.max(axis=1))
    np.testing.assert_array_equal(u.labels, resp.argmax(axis=1))
    top = u.most_uncertain(5)
    assert list(u.values[top]) == sorted(u.values, reverse=True)[:5]
    assert np.all(u.values <= 1 - 1 / 2 + 1e-12)


def test_hints_point_at_the_right_problem():
    rng = np.random.default_rng(0)
    t = rng.standard_t(3, size=(600, 2))
    hints = check_model(GaussianMixture(1).fit(t), t).hints
    assert "heavy_tails" in {h.kind for h in hints} and "split" not in {h.kind for h in hints}
    assert "Student-t" in [h for h in hints if h.kind == "heavy_tails"][0].message
    two = np.vstack([rng.normal(0, 1, (300, 2)), rng.normal([6, 0], 1, (300, 2))])
    hints = check_model(GaussianMixture(1).fit(two), two).hints
    assert [h.kind for h in hints] == ["split"] and hints[0].component == 0
    hints = check_model(GaussianMixture(2, random_state=0).fit(two), two).hints
    assert hints == ()
    skewed = np.column_stack([rng.lognormal(0, 0.6, 600), rng.normal(size=600)])
    hints = check_model(GaussianMixture(1).fit(skewed), skewed, ["income", "age"]).hints
    sk = [h for h in hints if h.kind == "skewness"]
    assert [h.column for h in sk] == [0] and "income" in sk[0].message and "transform" in sk[0].message


def test_missing_values_and_errors():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 2))
    X[::7, 0] = np.nan
    gm = GaussianMixture(1, missing="marginalize").fit(X)
    c = check_model(gm, X)
    assert c.qq[0].rows.size == np.sum(~np.isnan(X).any(axis=1))
    assert c.marginals[0].values.size == np.sum(~np.isnan(X[:, 0]))
    assert c.uncertainty.values.shape == (100,)
    with pytest.raises(ValueError, match="not fitted"):
        check_model(GaussianMixture(2), X)
    with pytest.raises(ValueError, match="columns"):
        mahalanobis_qq(gm, X[:, :1])


def test_feature_names_from_the_model():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    gm = GaussianMixture(1).fit(X)
    gm.feature_names_in_ = np.array(["u", "v"], dtype=object)
    assert [m.name for m in check_model(gm, X).marginals] == ["u", "v"]


def test_singular_covariance_is_a_value_error():
    gm = GaussianMixture.from_parameters([1.0], [[0.0, 0.0]], [[[1.0, 0.0], [0.0, 1.0]]], "full")
    gm.covariances_ = np.zeros((1, 2, 2))  # as a broken file could give
    with pytest.raises(ValueError, match="positive definite"):
        mahalanobis_qq(gm, np.zeros((3, 2)), labels=np.zeros(3, dtype=int))


def test_uncertainty_of_an_hmm_equals_brute_force_over_all_state_paths():
    """1 - the largest smoothed state probability at each step, against an enumeration of all 2^6 paths."""
    import itertools

    from scipy.stats import norm

    from emdesk.engine import GaussianHMM
    from emdesk.engine.checks import classification_uncertainty

    rng = np.random.default_rng(2)
    X = np.r_[rng.normal(0, 1, 40), rng.normal(3, 1, 40)][:, None]
    hmm = GaussianHMM(2, covariance_type="diag", random_state=0).fit(X)
    x = np.array([0.2, 1.4, 1.6, 2.9, 0.1, 1.5])[:, None]
    sd = np.sqrt(np.asarray(hmm.covars_).reshape(2, -1)[:, 0])
    T, k = len(x), 2
    post = np.zeros((T, k))
    for path in itertools.product(range(k), repeat=T):
        p = hmm.startprob_[path[0]] * norm.pdf(x[0, 0], hmm.means_[path[0], 0], sd[path[0]])
        for t in range(1, T):
            p *= hmm.transmat_[path[t - 1], path[t]] * norm.pdf(x[t, 0], hmm.means_[path[t], 0], sd[path[t]])
        for t in range(T):
            post[t, path[t]] += p
    post /= post.sum(axis=1, keepdims=True)
    u = classification_uncertainty(hmm, x, lengths=[T])
    np.testing.assert_allclose(u.values, 1.0 - post.max(axis=1), rtol=1e-9, atol=1e-12)
    assert list(u.labels) == list(post.argmax(axis=1))
    with pytest.raises(ValueError):
        classification_uncertainty(hmm, np.zeros((6, 3)), lengths=[6])


def test_uncertainty_of_a_poisson_mixture_is_one_minus_its_largest_posterior():
    from emdesk.engine.checks import classification_uncertainty
    from emdesk.engine.mixtures import PoissonMixture

    rng = np.random.default_rng(3)
    C = rng.poisson(np.repeat([1.0, 6.0], 100))[:, None].astype(float)
    pm = PoissonMixture(2, random_state=0).fit(C)
    lam, w = pm.lambdas_[:, 0], pm.weights_
    from scipy.stats import poisson

    joint = w * poisson.pmf(C, lam)
    u = classification_uncertainty(pm, C)
    np.testing.assert_allclose(u.values, 1.0 - (joint / joint.sum(axis=1, keepdims=True)).max(axis=1), rtol=1e-9)
    with pytest.raises(ValueError, match="lengths"):
        from emdesk.engine import GaussianMixture

        classification_uncertainty(GaussianMixture(2, random_state=0).fit(C), C, lengths=[200])


def test_the_checks_side_fits_do_not_warn():
    """The split check fits 1 and 2 components to a component's rows: a degenerate side fit is set aside
    (NaN gain) without a DegenerateSolutionWarning, which the app printed on its terminal for a model nobody
    fitted (seen with banknote, diabetes and geyser)."""
    import warnings

    from emdesk.engine.checks import _split_gain

    rng = np.random.default_rng(0)
    Xj = np.round(np.vstack([rng.normal(0, 1, (12, 2)), [[5, 5], [5, 5], [5, 5.0]]]), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gain, two = _split_gain(GaussianMixture(2, random_state=0), Xj, 0)
    assert np.isnan(gain) and two is None
