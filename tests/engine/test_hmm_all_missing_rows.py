"""Rows with every value missing, the same for every HMM kind (issue 16 follow-up; a newcomer found
PoissonHMM / CategoricalHMM accepting them while GaussianHMM and the Student-t refused them).

The rule: with ``missing="marginalize"`` a row with nothing observed is a time step without an
observation.  Its emission density is 1 under every state (the marginal of no coordinates), so the chain
carries the state across it; this is what a missing categorical symbol (a one-column row) always was.
With ``missing="error"`` any NaN is refused, naming missing='marginalize'.  A *column* with no observed
value gives nothing to estimate its parameters from: a ValueError naming it, for every model fitted
through the generic engine (it got a made-up mean 0 or rate 1e-10)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emdesk.engine import CategoricalHMM, GaussianHMM, HiddenMarkovModel, MixtureModel, PoissonHMM, PoissonMixture
from emdesk.engine.families import GaussianFamily, StudentTFamily


def _data(kind, rng, n=240):
    z = np.repeat(rng.integers(2, size=n // 40), 40)
    if kind == "categorical":
        return np.where(rng.random(n) < 0.85, z, rng.integers(3, size=n)).astype(float)[:, None]
    if kind == "poisson":
        return rng.poisson(np.array([1.0, 6.0])[z][:, None] * np.ones(2)).astype(float)
    return rng.normal(size=(n, 2)) + 4.0 * z[:, None]


def _model(kind, **kw):
    if kind == "gaussian":
        return GaussianHMM(2, covariance_type="full", missing="marginalize", **kw)
    if kind == "student_t":
        return HiddenMarkovModel(StudentTFamily("full", missing="marginalize"), 2, **kw)
    if kind == "poisson":
        return PoissonHMM(2, missing="marginalize", **kw)
    return CategoricalHMM(2, missing="marginalize", n_features=3, **kw)


KINDS = ["gaussian", "student_t", "poisson", "categorical"]


def _with_gaps(kind, seed=0):
    rng = np.random.default_rng(seed)
    X = _data(kind, rng)
    if X.shape[1] > 1:
        X[rng.random(X.shape) < 0.1] = np.nan  # some cells
    X[[0, 57, 58, 59, 130, 239]] = np.nan  # whole rows: first, a run of three, one, last
    return X


@pytest.mark.parametrize("kind", KINDS)
def test_every_hmm_kind_fits_rows_with_nothing_observed(kind):
    X = _with_gaps(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = _model(kind, random_state=0, n_init=2, max_iter=50).fit(X, [120, 120])
    assert np.isfinite(m.log_likelihood_)
    post = m.predict_proba(X, [120, 120])
    assert np.all(np.isfinite(post))
    states = m.predict(X, [120, 120])
    # a gap in a long run of one state is decoded as that state
    assert states[57] == states[56] == states[60]


@pytest.mark.parametrize("kind", KINDS)
def test_a_row_with_nothing_observed_has_density_one(kind):
    """The score with an empty first row equals the score without it under startprob @ transmat (the
    chain moved one step with no observation): exactly the marginal of no coordinates."""
    X = _with_gaps(kind, seed=1)[1:57]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = _model(kind, random_state=0, max_iter=20).fit(X)
    gap = np.vstack([np.full((1, X.shape[1]), np.nan), X])
    shifted = _model(kind, random_state=0, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shifted.fit(X)
    for name in ("transmat_", "startprob_"):
        setattr(shifted, name, getattr(m, name).copy())
    shifted._set_family_params(m._get_family_params())
    shifted.startprob_ = m.startprob_ @ m.transmat_
    assert m.score(gap) == pytest.approx(shifted.score(X), rel=1e-12, abs=1e-12)
    # and a sequence of empty rows has probability 1
    assert m.score(np.full((5, X.shape[1]), np.nan)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_missing_error_refuses_every_nan_alike(kind):
    X = _with_gaps(kind)
    m = _model(kind, random_state=0)
    fam = m._family()
    fam.missing = "error"
    if kind != "student_t":
        m.missing = "error"
    with pytest.raises(ValueError, match="missing='marginalize'"):
        m.fit(X, [120, 120])


@pytest.mark.parametrize("kind", KINDS + ["poisson_mixture", "gaussian_mixture_model"])
def test_a_column_with_no_observed_value_is_refused(kind):
    rng = np.random.default_rng(2)
    if kind == "categorical":
        X = np.full((50, 1), np.nan)
        model = _model(kind, random_state=0)
    else:
        base = "poisson" if kind.startswith("poisson") else "gaussian"
        X = _data(base, rng, 80)
        X[:, 1] = np.nan
        model = (PoissonMixture(2, missing="marginalize", random_state=0) if kind == "poisson_mixture" else
                 MixtureModel(GaussianFamily("diag", missing="marginalize"), 2, random_state=0)
                 if kind == "gaussian_mixture_model" else _model(kind, random_state=0))
    with pytest.raises(ValueError, match=r"X column (2|1) has no observed value \(every cell is NaN\)"):
        model.fit(X)


def test_mixture_row_with_nothing_observed_gets_the_weights():
    rng = np.random.default_rng(3)
    X = _data("gaussian", rng)
    X[5] = np.nan
    for fam in (GaussianFamily("full", missing="marginalize"), StudentTFamily("diag", missing="marginalize")):
        m = MixtureModel(fam, 2, random_state=0).fit(X)
        np.testing.assert_allclose(m.predict_proba(X)[5], m.weights_, rtol=1e-12)
