"""An HMM's degeneracy messages count a state's points as its expected time steps WITH an observed value
(the state posteriors summed over those rows, as the mixture's message sums responsibilities over the rows it
fits): a row with every value missing is a time step without observation and holds no data for the state's
emission parameters (issue 16, window item 3: "State 2 holds 7 points" when only 4 were observed)."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianHMM

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning",
                                        "ignore::emdesk.engine.diagnostics.DataColumnWarning")


def _data():
    """Two far rows (state 2) with five empty rows between them, amid 12 rows near the origin (state 1)."""
    a = np.random.default_rng(0).normal(0, 1, (12, 2))
    return np.vstack([a[:6], [[50, 50]], np.full((5, 2), np.nan), [[51, 49.5]], a[6:]])


def _model(**kw):
    return GaussianHMM(n_components=2, covariance_type="full", max_iter=3, missing="marginalize",
                       startprob_init=[0.5, 0.5], transmat_init=[[0.9, 0.1], [0.1, 0.9]],
                       means_init=[[0, 0], [50, 50]], covars_init=np.array([np.eye(2), np.eye(2)]), **kw)


def _last(model, X):
    snaps = list(model.fit_iter(X))
    return snaps[-1]


def test_a_states_points_are_its_observed_time_steps():
    X = _data()
    m = _model()
    last = _last(m, X)
    post = m.predict_proba(X)
    observed = ~np.isnan(X).all(axis=1)
    want = post[observed].sum(axis=0)
    assert post[:, 1].sum() > 5.5 and want[1] == pytest.approx(2.0, abs=1e-6)  # 7 steps, 2 of them observed
    np.testing.assert_allclose(last.observed_occupancy, want, rtol=1e-9, atol=1e-9)
    few = [i for i in m.degeneracies_ if i.kind == "too_few_points"]
    # counted with the unobserved steps (5.7 >= 3), the state was not reported at all
    assert [i.component for i in few] == [1]
    shown = float(re.search(r"supported by only ([\d.]+) observed time steps", few[0].message).group(1))
    assert shown == math.floor(want[1] * 100) / 100
    assert "fewer than the 3 a 2-dimensional covariance needs" in few[0].message


def test_the_observed_count_is_the_same_in_row_blocks(monkeypatch):
    """The blocked forward-backward hands the posteriors over block by block (last block first): the rows
    without an observation are taken out of each block's sum, also when they straddle two blocks."""
    from emdesk.engine.structures import markov_blocked

    X = _data()
    whole = _last(_model(), X).observed_occupancy
    monkeypatch.setattr(markov_blocked, "block_rows_for", lambda k, budget=None: 4)
    m = _model()
    blocked = _last(m, X)
    np.testing.assert_allclose(blocked.observed_occupancy, whole, rtol=1e-9, atol=1e-9)
    assert [i.kind for i in m.degeneracies_ if i.component == 1].count("too_few_points") == 1


def test_complete_data_count_every_row_and_a_state_of_empty_steps_holds_none():
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0, 1, 30), rng.normal(6, 1, 30)][:, None]
    m = GaussianHMM(n_components=2, random_state=0, max_iter=20)
    last = _last(m, X)
    np.testing.assert_allclose(last.observed_occupancy, m.predict_proba(X).sum(axis=0), rtol=1e-9)
    assert last.observed_occupancy.sum() == pytest.approx(60.0)
    # a state that holds only the steps without an observation has no points at all
    from emdesk.engine._markov_run import empty_rows

    Y = np.r_[X[:, 0], [np.nan] * 4][:, None]
    np.testing.assert_array_equal(empty_rows(Y, block_rows=7), [60, 61, 62, 63])
    np.testing.assert_array_equal(empty_rows(X), [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = GaussianHMM(n_components=3, covariance_type="diag", missing="marginalize", max_iter=3,
                        startprob_init=[0.4, 0.4, 0.2], transmat_init=[[0.9, 0.05, 0.05], [0.05, 0.9, 0.05],
                                                                      [0.05, 0.05, 0.9]],
                        means_init=[[0.0], [6.0], [40.0]], covars_init=[[1.0], [1.0], [1.0]]).fit(Y)
    last = m.degeneracies_
    assert any(i.component == 2 and i.kind == "too_few_points" and "only 0 observed time steps" in i.message
               for i in last), last
