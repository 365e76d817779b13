"""PoissonMixture (issue 13): Zucchini & MacDonald's independent mixture of Poissons on the
earthquake counts, missing cells, errors, monotone EM, snapshots."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from emdesk.engine import PoissonMixture

# Annual counts of major earthquakes (magnitude 7 and above), 1900-2006, 107 values: Zucchini & MacDonald,
# "Hidden Markov Models for Time Series" (2009), the same series as tests/engine/test_hmm.py (from hmmlearn's
# examples/plot_poisson_hmm.py).
EARTHQUAKES = np.array([
    13, 14, 8, 10, 16, 26, 32, 27, 18, 32, 36, 24, 22, 23, 22, 18,
    25, 21, 21, 14, 8, 11, 14, 23, 18, 17, 19, 20, 22, 19, 13, 26,
    13, 14, 22, 24, 21, 22, 26, 21, 23, 24, 27, 41, 31, 27, 35, 26,
    28, 36, 39, 21, 17, 22, 17, 19, 15, 34, 10, 15, 22, 18, 15, 20,
    15, 22, 19, 16, 30, 27, 29, 23, 20, 16, 21, 21, 25, 16, 18, 15,
    18, 14, 10, 15, 8, 15, 6, 11, 8, 7, 18, 16, 13, 12, 13, 20,
    15, 16, 12, 18, 15, 16, 13, 15, 16, 11, 11], dtype=float)[:, None]


@pytest.mark.parametrize("m, lambdas, deltas, nll", [
    # Zucchini & MacDonald (2009), "Hidden Markov Models for Time Series", section 1.2.3, Table 1.2
    # (independent mixtures of Poisson distributions fitted to the earthquake series):
    (1, [19.364], [1.0], 391.9189),
    (2, [15.777, 26.840], [0.676, 0.324], 360.3690),
    (3, [12.735, 19.785, 31.629], [0.278, 0.593, 0.129], 356.8489),
])
def test_earthquakes_table_1_2(m, lambdas, deltas, nll):
    pm = PoissonMixture(m, tol=1e-12, max_iter=5000, n_init=5, random_state=0).fit(EARTHQUAKES)
    o = np.argsort(pm.lambdas_[:, 0])
    np.testing.assert_allclose(pm.lambdas_[o, 0], lambdas, atol=6e-3)
    # the table prints 3 decimals; its third delta (0.129) is 0.1297 at the optimum we reach, whose -log L
    # equals the table's to 4 decimals (356.84894), hence 1e-3
    np.testing.assert_allclose(pm.weights_[o], deltas, atol=1e-3)
    assert -pm.log_likelihood_ == pytest.approx(nll, abs=5e-4)
    # the log-likelihood is the independent computation with scipy.stats.poisson
    ref = logsumexp(np.log(pm.weights_)[None, :] + stats.poisson.logpmf(EARTHQUAKES, pm.lambdas_[:, 0][None, :]),
                    axis=1).sum()
    assert pm.log_likelihood_ == pytest.approx(ref, rel=1e-12)
    assert pm.n_parameters() == 2 * m - 1


def test_non_counts_name_column_and_first_bad_row():
    X = np.array([[1, 2], [3, 4], [5, 2.5], [1, -1]], dtype=float)
    with pytest.raises(ValueError, match=r"row 3, column 2 holds 2\.5"):
        PoissonMixture(1).fit(X)
    X[2, 1] = 2
    with pytest.raises(ValueError, match=r"row 4, column 2 holds -1"):
        PoissonMixture(1).fit(X)


def test_missing_cells_are_marginalised():
    rng = np.random.default_rng(0)
    z = rng.integers(0, 2, 600)
    X = rng.poisson(np.where(z[:, None] == 1, [10.0, 2.0], [1.0, 6.0])).astype(float)
    X[rng.random(X.shape) < 0.2] = np.nan
    with pytest.raises(ValueError, match="missing='marginalize'"):
        PoissonMixture(2).fit(X)
    pm = PoissonMixture(2, missing="marginalize", random_state=0, tol=1e-8).fit(X)
    o = np.argsort(pm.lambdas_[:, 0])
    np.testing.assert_allclose(pm.lambdas_[o], [[1.0, 6.0], [10.0, 2.0]], rtol=0.15)
    # each row's density is the product over its observed cells only
    for i in range(20):
        obs = ~np.isnan(X[i])
        comp = [np.log(pm.weights_[j]) + stats.poisson.logpmf(X[i, obs], pm.lambdas_[j, obs]).sum() for j in range(2)]
        assert pm.score_samples(X[i:i + 1])[0] == pytest.approx(logsumexp(comp), rel=1e-12)


def test_monotone_snapshots_and_round_trip():
    pm = PoissonMixture(3, tol=0, max_iter=40, random_state=1)
    snaps = list(pm.fit_iter(EARTHQUAKES))
    ll = [s.log_likelihood for s in snaps]
    assert all(b >= a - 1e-9 for a, b in zip(ll, ll[1:]))
    assert snaps[-1].family == "poisson" and snaps[-1].structure == "mixture"
    back = snaps[-1].to_model()
    assert isinstance(back, PoissonMixture)
    assert back.score(EARTHQUAKES) == pytest.approx(pm.score(EARTHQUAKES), rel=1e-12)
    again = PoissonMixture.from_fitted_params(pm.get_fitted_params())
    np.testing.assert_allclose(again.predict_proba(EARTHQUAKES), pm.predict_proba(EARTHQUAKES))
    # explicit start: nothing random
    a = PoissonMixture(2, weights_init=[0.5, 0.5], lambdas_init=[[10.0], [30.0]], max_iter=3, tol=0).fit(EARTHQUAKES)
    b = PoissonMixture(2, weights_init=[0.5, 0.5], lambdas_init=[[10.0], [30.0]], max_iter=3, tol=0,
                       random_state=99).fit(EARTHQUAKES)
    np.testing.assert_array_equal(a.lambdas_, b.lambdas_)
    with pytest.raises(ValueError, match="lambdas"):
        PoissonMixture(2, weights_init=[0.5, 0.5], lambdas_init=[[10.0], [-3.0]]).fit(EARTHQUAKES)


@pytest.mark.parametrize("value", [2.0 ** 53 + 2, 1e300])
def test_counts_beyond_what_a_double_holds_exactly_are_refused_by_every_poisson_model(value):
    # 1e300 "counts" were fitted (lines through the origin, a 300-digit log-likelihood in the status bar, a
    # numpy "Maximum allowed size exceeded" for the HMM's view): both kinds refuse them, naming row and column.
    from emdesk.engine import PoissonHMM

    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, value], [2.0, 1.0]])
    with pytest.raises(ValueError, match=r"2\^53.*row 3, column 2"):
        PoissonMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"2\^53.*row 3, column 2"):
        PoissonHMM(2, random_state=0).fit(X)
    ok = X.copy()
    ok[2, 1] = 2.0 ** 53  # the largest accepted count still fits
    PoissonMixture(1, random_state=0).fit(ok)
