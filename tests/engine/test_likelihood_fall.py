"""A fit whose log-likelihood fell carries it (``log_likelihood_fall_``) and one plain sentence says why
(emdesk.engine.likelihood_fall): components held at the variance floor by reg_covar; nothing on ordinary data.
A constant column with missing cells (or HMM steps with no value) no longer falls: the ridge is added where
the data were observed, so the column's variance stays at reg_covar (it settled at reg_covar / (1 - f), and the
log-likelihood fell by about n_obs/2 log(1/(1-f)), while the ridge was added twice to the missing cells)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianHMM, GaussianMixture
from emdesk.engine.likelihood_fall import fall_message, fell

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning",
                                        "ignore::emdesk.engine.diagnostics.DataColumnWarning")


def _sequence():
    """Two sequences of 30 steps (the newcomer's file): level switching every 10 steps, flat = 1, and
    three steps with no value at all."""
    rng = np.random.default_rng(7)
    rows = []
    for sid in ("north", "south"):
        for t in range(30):
            x = round(float(rng.normal(0 if (t // 10) % 2 else 4, 0.5)), 3)
            empty = (sid, t) in (("north", 4), ("north", 5), ("south", 9))
            rows.append([np.nan, np.nan] if empty else [x, 1.0])
    return np.array(rows), [30, 30]


def _hmm(X, lengths, **kw):
    opts = dict(covariance_type="diag", reg_covar=1e-6, random_state=0, missing="marginalize", max_iter=200)
    opts.update(kw)
    model = GaussianHMM(2, **opts)
    trace = [s.lower_bound for s in model.fit_iter(X, lengths)]
    return model, np.array(trace)


def _flat_mixture():
    rng = np.random.default_rng(3)
    x = np.r_[rng.normal(0, 0.5, 30), rng.normal(4, 0.5, 30)]
    X = np.c_[x, np.ones(60)]
    X[[4, 5, 40], 1] = np.nan  # the constant column has 3 missing cells
    return X


def _column_variance(cov, ct, col):
    cov = np.asarray(cov)
    return {"full": lambda: cov[:, col, col], "diag": lambda: cov[:, col], "tied": lambda: cov[col, col],
            "spherical": lambda: cov}[ct]()


@pytest.mark.parametrize("reg", [1e-6, 1e-12])
def test_hmm_constant_column_with_empty_steps_stays_at_reg_covar_and_does_not_fall(reg):
    X, lengths = _sequence()
    model, trace = _hmm(X, lengths, reg_covar=reg)
    assert model.converged_
    # was: 1.03-1.07 x reg_covar, and the trace fell by 0.55 (0.5456 at either reg_covar)
    np.testing.assert_allclose(model.covars_[:, 1, 1], reg, rtol=1e-12)
    assert np.all(np.diff(trace) >= -1e-12 * (1 + np.abs(trace[1:])))
    assert model.log_likelihood_fall_ <= 1e-9 * abs(model.log_likelihood_)
    assert fell(model) == 0.0 and fall_message(model) is None


@pytest.mark.parametrize("drop", ["flat", "empty_rows"])
def test_hmm_no_fall_without_the_constant_column_or_without_empty_steps(drop):
    X, lengths = _sequence()
    if drop == "flat":
        X = X[:, :1]
    else:
        keep = ~np.isnan(X[:, 0])
        X, lengths = X[keep], [28, 29]
    model, trace = _hmm(X, lengths)
    assert fell(model) == 0.0 and fall_message(model) is None
    assert np.all(np.diff(trace) >= -1e-9 * (1 + np.abs(trace[1:])))


@pytest.mark.parametrize("covariance_type", ["diag", "full", "tied"])
def test_mixture_constant_column_with_missing_cells_stays_at_reg_covar(covariance_type):
    X = _flat_mixture()
    model = GaussianMixture(2, covariance_type=covariance_type, random_state=0, missing="marginalize").fit(X)
    assert model.converged_
    # was reg_covar / (1 - f), f = 3/60 (1.03-1.07 x), and a fall of 57/2 log(1/(1 - f)) = 1.46
    np.testing.assert_allclose(_column_variance(model.covariances_, covariance_type, 1), 1e-6, rtol=1e-12)
    assert model.log_likelihood_fall_ <= 1e-9 * abs(model.log_likelihood_)
    assert fell(model) == 0.0 and fall_message(model) is None


def test_spherical_mixture_of_constant_columns_with_missing_cells_has_the_complete_data_variance():
    """Both columns constant within each component: the shared variance is the ridge alone, with or
    without missing cells (the cells left out keep the observed columns' means and spreads, so the
    standardisation is the same; was 3.5 % and 5.3 % above it)."""
    X = np.c_[np.where(np.arange(60) < 30, 0.0, 4.0), np.ones(60)]
    Y = X.copy()
    Y[[4, 5, 40], 1] = np.nan
    Y[[7, 50], 0] = np.nan
    complete = GaussianMixture(2, covariance_type="spherical", random_state=0).fit(X)
    model = GaussianMixture(2, covariance_type="spherical", random_state=0, missing="marginalize", tol=1e-10,
                            max_iter=100).fit(Y)
    np.testing.assert_allclose(model.covariances_, complete.covariances_, rtol=1e-12)
    assert fell(model) == 0.0


def test_mixture_components_held_up_by_a_large_reg_covar_are_named():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 0.3, 100), rng.normal(3, 0.3, 100)][:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(2, covariance_type="diag", reg_covar=1.0, tol=1e-4, max_iter=200,
                                random_state=0).fit(x)
    assert model.log_likelihood_fall_ > 1.0
    assert "because reg_covar holds the variance of components 1, 2 up (at its floor): either they have collapsed (fit fewer " \
           "components, or use the fixes offered for the collapse) or reg_covar is large for these data (lower it)." in fall_message(model)


def test_ordinary_fits_carry_no_fall():
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0, 1, (80, 2)), rng.normal(5, 1, (80, 2))]
    gm = GaussianMixture(2, random_state=0).fit(X)
    hmm = GaussianHMM(2, random_state=0).fit(X, [80, 80])
    for model in (gm, hmm):
        assert model.log_likelihood_fall_ >= 0.0 and fell(model) == 0.0 and fall_message(model) is None


def test_a_model_without_the_record_says_nothing():
    class Loaded:
        log_likelihood_ = -12.0

    assert fell(Loaded()) == 0.0 and fall_message(Loaded()) is None


def test_a_fall_under_a_transition_prior_is_said_as_the_prior_s():
    """With transmat_prior EM raises the log-likelihood plus the log prior (hmmlearn's MAP update): the
    log-likelihood alone fell (0.028 here) and the message blamed reg_covar, which plays no part."""
    rng = np.random.default_rng(0)
    st = (np.arange(140) // 15) % 2
    X = rng.normal(0, 1, (140, 2)) + np.array([[0, 0], [5, 5]])[st]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianHMM(2, transmat_prior=40.0, random_state=1, max_iter=1000).fit(X)
    text = fall_message(model)
    assert fell(model) > 0 and text is not None
    assert "with a transition prior EM raises the log-likelihood plus the prior's log density" in text
    assert "reg_covar" not in text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = GaussianHMM(2, transmat_prior=1.0, random_state=1, max_iter=1000).fit(X)
    assert fall_message(plain) is None
