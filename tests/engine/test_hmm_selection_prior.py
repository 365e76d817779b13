"""HMM model selection fits every candidate with the user's ``transmat_prior`` (issue 16's list: the sweep
over states, in the engine and the window's dialog, ignored the Transition prior)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine import GaussianHMM, PoissonHMM
from emdesk.engine.hmm_selection import iter_select_hmm

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _series():
    rng = np.random.default_rng(7)
    z = np.repeat([0, 1, 0, 1, 0], [40, 6, 40, 6, 40])  # a short-lived state
    return rng.normal(np.array([0.0, 3.0])[z], 1.0)[:, None]


def _last(**kw):
    return list(iter_select_hmm(_series(), n_components=range(1, 4), covariance_types=("diag",), n_init=1,
                                random_state=0, max_iter=50, **kw))[-1].result


def test_every_candidate_is_fitted_with_the_prior_and_equals_a_direct_fit():
    X = _series()
    res = _last(transmat_prior=40.0)
    assert len(res.table) == 3
    for row in res.table:
        assert row.model.transmat_prior == 40.0
        direct = GaussianHMM(n_components=row.n_components, covariance_type="diag", n_init=1, max_iter=50,
                             random_state=row.model.random_state, transmat_prior=40.0).fit(X)
        np.testing.assert_allclose(row.model.transmat_, direct.transmat_, rtol=0, atol=1e-12)
        assert row.log_likelihood == pytest.approx(direct.log_likelihood_, rel=1e-12)


def test_the_prior_changes_the_sweep():
    plain, prior = _last(), _last(transmat_prior=40.0)
    two_plain, two_prior = plain.table[1].model, prior.table[1].model
    assert two_plain.transmat_prior is None
    # 40 pseudo-transitions per pair against 6-step visits: the transition rows are pulled towards uniform
    assert np.min(two_prior.transmat_) > 0.2 > np.min(two_plain.transmat_)
    assert prior.table[1].log_likelihood < plain.table[1].log_likelihood - 1.0
    assert [r.bic for r in plain.table] != [r.bic for r in prior.table]


def test_a_number_applies_to_other_families_too():
    rng = np.random.default_rng(1)
    X = rng.poisson(np.repeat([1.0, 8.0, 1.0], 30))[:, None].astype(float)
    res = list(iter_select_hmm(X, n_components=(1, 2), family="poisson", n_init=1, random_state=0,
                               transmat_prior=5.0))[-1].result
    assert all(isinstance(r.model, PoissonHMM) and r.model.transmat_prior == 5.0 for r in res.table)


def test_a_square_array_is_for_its_own_number_of_states_only():
    X = _series()
    tp = np.full((2, 2), 3.0)
    res = list(iter_select_hmm(X, n_components=[2], covariance_types=("diag", "spherical"), n_init=1,
                               random_state=0, transmat_prior=tp))[-1].result
    assert all(r.error is None and np.array_equal(r.model.transmat_prior, tp) for r in res.table)
    with pytest.raises(ValueError, match=r"\(2, 2\) array, a prior for 2 states only; the sweep tries 1, 2, 3"):
        next(iter_select_hmm(X, n_components=range(1, 4), transmat_prior=tp))


@pytest.mark.parametrize("bad, match", [
    (-1.0, r"transmat_prior must be a number or a \(1, 1\) array"),
    (np.nan, "transmat_prior must be"),
    ([1.0, 2.0], r"got shape \(2,\)"),
    (np.array([[1.0, -2.0], [1.0, 1.0]]), r"transmat_prior must be a number or a \(2, 2\) array.*got a value -2\.$"),
    (np.array([[1.0, 1.0], [np.nan, 1.0]]), r"got a value nan\.$"),  # said "got shape (2, 2)": the right shape
    (-1.0, r"\(1 = no prior\); got -1\.$"),
])
def test_bad_priors_are_refused_before_any_fit(bad, match):
    with pytest.raises(ValueError, match=match):
        next(iter_select_hmm(_series(), n_components=range(1, 3), transmat_prior=bad))
