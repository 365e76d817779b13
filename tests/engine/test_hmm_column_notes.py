"""Hidden Markov models say constant and linearly dependent columns as the Gaussian mixture does
(``column_notes_`` and a DataColumnWarning, in an HMM's words), refuse more states than time steps with an
observed value with the number to choose, and do not call states "never left" when no sequence has a
transition at all (issue 16, the newcomer's HMM leftovers)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emdesk.engine import CategoricalHMM, DataColumnWarning, GaussianHMM, PoissonHMM
from emdesk.engine.hmm_notes import hmm_column_notes

RNG = np.random.default_rng(0)
A = RNG.normal(size=(60, 1))
B = RNG.normal(size=(60, 1))


def _fit(model, X, lengths=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, lengths)
    return model, [w for w in caught if issubclass(w.category, DataColumnWarning)]


@pytest.mark.parametrize("ct", ["diag", "full", "tied", "spherical"])
def test_gaussian_hmm_notes_constant_and_duplicated_columns(ct):
    X = np.hstack([A, 2 * A + 1, np.full((60, 1), 3.5), B])
    m, warned = _fit(GaussianHMM(2, covariance_type=ct, random_state=0, max_iter=3), X)
    notes = m.column_notes_
    assert len(notes) == 2 and len(warned) == 1
    assert notes[0].startswith("Column 3 is constant (every value is 3.5)") and "states apart" in notes[0]
    assert notes[1].startswith("Column 1 and column 2 are linearly dependent")
    assert ("singular" in notes[1]) == (ct in ("full", "tied"))
    assert "component" not in " ".join(notes)


def test_clean_columns_give_no_note_in_every_kind():
    for model, X in ((GaussianHMM(2, random_state=0, max_iter=3), np.hstack([A, B])),
                     (PoissonHMM(2, random_state=0, max_iter=3), RNG.poisson(3.0, size=(60, 2)).astype(float)),
                     (CategoricalHMM(2, random_state=0, max_iter=3), RNG.integers(0, 3, size=(60, 1)))):
        m, warned = _fit(model, X)
        assert m.column_notes_ == () and not warned


def test_poisson_and_categorical_hmms_note_their_columns():
    counts = RNG.poisson(3.0, size=(60, 1)).astype(float)
    X = np.hstack([counts, counts, np.zeros((60, 1))])
    m, warned = _fit(PoissonHMM(2, random_state=0, max_iter=3), X)
    assert len(warned) == 1
    assert m.column_notes_[0].startswith("Column 3 is constant (every count is 0)")
    assert m.column_notes_[1].startswith("Column 1 and column 2 are linearly dependent")
    assert "counts" in m.column_notes_[1]
    m, warned = _fit(CategoricalHMM(2, n_features=3, random_state=0, max_iter=3), np.full((40, 1), 2))
    assert len(warned) == 1 and m.column_notes_[0].startswith("Column 1 holds a single symbol")


def test_notes_read_in_blocks_equal_one_block():
    X = np.hstack([A, A, np.full((60, 1), 1.0), B])
    X[::7, 3] = np.nan
    X[5] = np.nan
    assert hmm_column_notes(X, "gaussian", "diag", block_rows=7) == hmm_column_notes(X, "gaussian", "diag")
    assert hmm_column_notes(X, "gaussian", "diag")[1] == 59


def test_more_states_than_observed_time_steps_says_how_many_to_choose():
    X = np.array([[1.0], [np.nan], [2.0], [np.nan], [np.nan], [3.0], [np.nan]])
    for k, limit in ((5, "more than the 3 time steps with an observed value (of 7 rows"),
                     (8, "more than the 7 rows (each state needs at least one)")):
        with pytest.raises(ValueError, match=r"choose at most (3|7) states") as info:
            GaussianHMM(k, missing="marginalize").fit(X)
        assert limit in str(info.value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 3 states on 3 values: degenerate, but accepted
        GaussianHMM(3, missing="marginalize", random_state=0, max_iter=2).fit(X)
    # one observed step is said in the singular ('the 1 time steps' before)
    with pytest.raises(ValueError, match=r"more than the 1 time step with an observed value \(of 3 rows"):
        GaussianHMM(2, missing="marginalize").fit(np.array([[1.0], [np.nan], [np.nan]]))


def test_one_row_sequences_call_no_state_never_left():
    X = RNG.normal(size=(30, 1))
    for cls, data in ((GaussianHMM, X), (PoissonHMM, RNG.poisson(2.0, size=(30, 1)).astype(float)),
                      (CategoricalHMM, RNG.integers(0, 3, size=(30, 1)))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = cls(2, random_state=0, max_iter=5).fit(data, [1] * 30)  # no transition to learn from
        assert not any(i.kind == "dead_transition_row" for i in m.degeneracies_)
        assert np.all(np.isfinite(m.transmat_))


def test_an_hmms_collapse_messages_name_states():
    from emdesk.engine.models import state_words

    assert state_words("Component 2 has collapsed; components 1, 3 too") == "State 2 has collapsed; states 1, 3 too"
    X = np.r_[np.zeros(10), RNG.normal(5, 1, 30)][:, None]  # ten repeated values: a state collapses onto them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = GaussianHMM(2, random_state=0, max_iter=50, reg_covar=1e-9).fit(X)
    floors = [i for i in m.degeneracies_ if i.kind in ("variance_floor", "too_few_points")]
    assert floors and all(i.message.startswith("State ") and "omponent" not in i.message for i in floors)


def test_observed_summary_equals_numpys_nan_functions():
    from emdesk.engine.hmm_notes import observed_summary

    X = RNG.normal(size=(200, 3)) * [1.0, 1e300, 1.0]  # a column whose row sums overflow: looked at cell by cell
    X[::7, 0] = np.nan
    X[::11] = np.nan
    for block_rows in (None, 13):
        n_obs, lo, hi, n_complete, mean = observed_summary(X, block_rows)
        complete = ~np.isnan(X).any(axis=1)
        assert n_obs == int((~np.isnan(X).all(axis=1)).sum()) and n_complete == int(complete.sum())
        np.testing.assert_array_equal(lo, np.nanmin(X, axis=0))
        np.testing.assert_array_equal(hi, np.nanmax(X, axis=0))
        np.testing.assert_allclose(mean, X[complete].mean(axis=0), rtol=1e-12)
