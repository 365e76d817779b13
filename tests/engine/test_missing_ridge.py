"""reg_covar with missing cells goes where the data were observed (emdesk.engine._missing, moment_mstep): a
missing cell's conditional variance is taken under the current covariance, which holds the ridge already.
Added twice (before 1 Dec 2026), a constant column with missing fraction f settled at reg_covar / (1 - f) and
the observed-data log-likelihood fell by about n_obs/2 log(1/(1-f)).  Every missing-data M-step: Gaussian
mixtures (tests/engine/test_likelihood_fall.py), HMMs, the Student-t family's CM-step, the mixed family's
Gaussian block; complete data never take the new path."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianHMM, GaussianMixture, MixedMixture, StudentTMixture, _missing
from emdesk.engine._missing import moment_mstep

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning",
                                        "ignore::emdesk.engine.diagnostics.DataColumnWarning")


def _flat(n=60, seed=3):
    """Two clusters in column 0, column 1 constant (= 1) with 3 missing cells (f = 3/60)."""
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(0, 0.5, n // 2), rng.normal(4, 0.5, n - n // 2)]
    X = np.c_[x, np.ones(n)]
    X[[4, 5, 40], 1] = np.nan
    return X


def _variance(cov, ct, col):
    cov = np.asarray(cov)
    return {"full": lambda: cov[:, col, col], "diag": lambda: cov[:, col], "tied": lambda: cov[col, col]}[ct]()


def test_complete_data_never_take_the_observed_ridge(monkeypatch):
    """No NaN in X: the fits do not reach the observed-mass ridge (their numbers are those of before: measured
    bit-equal to main a4da82e for GaussianMixture, StudentTMixture and GaussianHMM, all four types)."""
    def boom(*a, **k):
        raise AssertionError("complete data took the missing-data ridge")

    monkeypatch.setattr(_missing, "_observed_ridge", boom)
    monkeypatch.setattr(_missing, "_observed_fraction", boom)
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (40, 2)), rng.normal(3, 0.5, (40, 2))]
    for ct in ("full", "tied", "diag", "spherical"):
        GaussianMixture(2, covariance_type=ct, random_state=0, max_iter=5, missing="marginalize").fit(X)
        StudentTMixture(2, covariance_type=ct, random_state=0, max_iter=3, missing="marginalize").fit(X)
        GaussianHMM(2, covariance_type=ct, random_state=0, max_iter=3, missing="marginalize").fit(X, [40, 40])
    with pytest.raises(AssertionError, match="took the missing-data ridge"):  # the guard can fail
        GaussianMixture(2, random_state=0, max_iter=2, missing="marginalize").fit(_flat())


def test_moment_mstep_ridge_rule():
    """reg * ob / nk on each diagonal entry (tied: pooled; spherical: the mean over coordinates); no observed
    mass in the tuple (complete rows, the mean-filled start): the whole ridge, as before."""
    nk = np.array([4.0, 2.0])
    s1 = np.zeros((2, 2))
    s2 = np.stack([np.diag([4.0, 8.0]), np.diag([2.0, 6.0])])
    c = np.zeros((2, 2))
    ob = np.array([[4.0, 1.0], [2.0, 0.0]])
    reg = 0.5
    base = {"full": moment_mstep((nk, s1, s2, c), "full", reg)[2]}
    np.testing.assert_allclose(np.diagonal(base["full"], axis1=1, axis2=2), [[1.5, 2.5], [1.5, 3.5]], rtol=1e-15)
    _, _, full = moment_mstep((nk, s1, s2, c, ob), "full", reg)
    np.testing.assert_allclose(np.diagonal(full, axis1=1, axis2=2), [[1.5, 2.125], [1.5, 3.0]], rtol=1e-12)
    _, _, diag = moment_mstep((nk, s1, s2, c, ob), "diag", reg)
    np.testing.assert_allclose(diag, [[1.5, 2.125], [1.5, 3.0]], rtol=1e-12)
    _, _, sph = moment_mstep((nk, s1, s2, c, ob), "spherical", reg)
    np.testing.assert_allclose(sph, [(1.5 + 2.125) / 2, (1.5 + 3.0) / 2], rtol=1e-12)
    _, _, tied = moment_mstep((nk, s1, s2, c, ob), "tied", reg)
    # pooled scatter (6, 14) / 6, ridge 0.5 * (6, 1) / 6
    np.testing.assert_allclose(np.diag(tied), [1.0 + 0.5, 14 / 6 + 0.5 / 6], rtol=1e-12)
    # an empty component keeps the whole ridge
    _, _, empty = moment_mstep((np.array([4.0, 0.0]), s1, s2 * [[[1]], [[0]]], c, ob * [[1], [0]]), "diag", reg)
    np.testing.assert_allclose(empty[1], [0.5, 0.5], rtol=1e-12)


@pytest.mark.parametrize("ct", ["diag", "full", "tied"])
def test_student_t_constant_column_with_missing_cells_stays_at_reg_covar(ct):
    m = StudentTMixture(2, covariance_type=ct, random_state=0, missing="marginalize", max_iter=200).fit(_flat())
    # was 1.03-1.07 x reg_covar
    np.testing.assert_allclose(_variance(m.covariances_, ct, 1), 1e-6, rtol=1e-12)
    assert m.log_likelihood_fall_ <= 1e-9 * abs(m.log_likelihood_)


@pytest.mark.parametrize("ct", ["diag", "full"])
def test_hmm_constant_column_with_missing_cells_and_empty_rows_stays_at_reg_covar(ct):
    X = _flat()
    X[[10, 11, 50]] = np.nan  # steps with no value at all
    h = GaussianHMM(2, covariance_type=ct, reg_covar=1e-6, random_state=0, missing="marginalize",
                    max_iter=200)
    trace = np.array([s.lower_bound for s in h.fit_iter(X, [30, 30])])
    np.testing.assert_allclose(h.covars_[:, 1, 1], 1e-6, rtol=1e-12)
    assert np.all(np.diff(trace) >= -1e-12 * (1 + np.abs(trace[1:])))
    assert h.log_likelihood_fall_ <= 1e-9 * abs(h.log_likelihood_)


def test_mixed_mixture_gaussian_block_constant_column_with_missing_cells_stays_at_reg_covar():
    rng = np.random.default_rng(0)
    n = 80
    z = np.repeat([0, 1], n // 2)
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = rng.normal(z * 4.0, 0.5)
    X[:, 1] = 2.0
    X[:, 2] = ["ab"[int(rng.random() < (0.8 if zi else 0.2))] for zi in z]
    X[[3, 9, 60, 71], 1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = MixedMixture(2, categorical_columns=[2], missing="marginalize", random_state=0, max_iter=200).fit(X)
    np.testing.assert_allclose(np.asarray(m.covariances_)[:, 1], 1e-6, rtol=1e-12)  # the Gaussian block is diag
    assert m.log_likelihood_fall_ <= 1e-9 * abs(m.log_likelihood_)
