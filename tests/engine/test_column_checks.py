"""Issue 10, item 4: constant columns and exact linear dependence among columns are found before
fitting, named, and given the right advice; the fit goes on (such a column or combination has
variance reg_covar in every component, which is not a collapse), and model selection still
recommends a model, saying what it found."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emdesk.engine import GaussianMixture, select_model
from emdesk.engine.diagnostics import DataColumnWarning, DegenerateSolutionWarning

WRONG_ADVICE = ("fewer components", "lower reg_covar", "Lower reg_covar", "collapsed", "repeated (often rounded)")


def _fit_messages(X, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm = GaussianMixture(**kw).fit(X)
    return gm, [w for w in caught]


@pytest.mark.parametrize("value", [0.0, 7.3, 1e4, -0.1])
@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
def test_constant_column_is_named_and_gets_the_right_advice(value, ct):
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=300), np.full(300, value)]
    gm, caught = _fit_messages(X, n_components=1, covariance_type=ct)
    col = [w for w in caught if issubclass(w.category, DataColumnWarning)]
    assert len(col) == 1 and "Column 2 is constant" in str(col[0].message)
    assert "Leave it out" in str(col[0].message)
    assert gm.column_notes_ and "Column 2" in gm.column_notes_[0]
    assert gm.degeneracies_ == ()
    assert not [w for w in caught if issubclass(w.category, DegenerateSolutionWarning)]
    for w in caught:
        assert not any(bad in str(w.message) for bad in WRONG_ADVICE)
    np.testing.assert_allclose(gm.means_[0], X.mean(axis=0), rtol=1e-9, atol=1e-12)


def test_names_from_a_data_frame():
    class Frame(np.ndarray):
        columns = ["depth", "station"]

    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=100), np.full(100, 3.0)].view(Frame)
    with pytest.warns(DataColumnWarning, match=r"Column 2 \('station'\) is constant"):
        GaussianMixture(1).fit(X)


def test_one_hot_columns_are_named_as_dependent_and_as_indicators():
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=300), np.eye(3)[rng.integers(0, 3, 300)]]
    gm, caught = _fit_messages(X, n_components=2, random_state=0)
    col = [str(w.message) for w in caught if issubclass(w.category, DataColumnWarning)]
    assert len(col) == 1 and "Columns 2, 3, 4 are linearly dependent" in col[0]
    assert "Leave one of them out" in col[0]
    # components that sit on one category are reported as such, with advice that can help
    deg = [str(w.message) for w in caught if issubclass(w.category, DegenerateSolutionWarning)]
    for text in deg + [i.message for i in gm.degeneracies_]:
        assert "indicator" in text and "fewer components" not in text and "rounded" not in text


def test_one_hot_with_one_component_is_not_a_collapse():
    rng = np.random.default_rng(1)
    X = np.c_[rng.normal(size=(300, 2)), np.eye(3)[rng.integers(0, 3, 300)]]
    gm, caught = _fit_messages(X, n_components=1)
    assert gm.degeneracies_ == ()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), d=st.integers(2, 5), ct=st.sampled_from(["full", "tied"]),
       offset=st.floats(-1e6, 1e6))
def test_any_exact_linear_combination_is_found(seed, d, ct, offset):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, d)) * rng.uniform(0.1, 10, d)
    coef = rng.normal(size=d - 1)
    X[:, -1] = X[:, :-1] @ coef + offset  # exact dependence up to rounding
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm = GaussianMixture(1, covariance_type=ct).fit(X)
    assert any("linearly dependent" in n for n in gm.column_notes_)
    assert gm.degeneracies_ == ()
    # and no false alarm on independent columns
    Y = rng.normal(size=(200, d))
    gm2 = GaussianMixture(1, covariance_type=ct).fit(Y)
    assert gm2.column_notes_ == ()


def test_select_model_with_a_constant_column_still_recommends_and_says_what_it_did():
    rng = np.random.default_rng(0)
    A = np.r_[rng.normal(0, 1, (200, 2)), rng.normal(5, 1, (200, 2))]
    X = np.c_[A, np.full(400, 7.3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = select_model(X, n_components=range(1, 4), random_state=0, n_jobs=1)
    assert result.best is not None
    assert result.best.n_components == 2
    assert result.notes and "Column 3 is constant" in result.notes[0]
    assert "Column 3 is constant" in result.reason and "Kept in every model" in result.reason
    assert result.with_criterion("aic").notes == result.notes


def test_duplicated_columns_are_named_in_pairs_once_each():
    # Found with emdesk-fit on 40 columns (10 duplicated, one more pair, one constant): each of the 11
    # dependent directions was named by its eigenvector, which mixes them: 11 sentences of 16-18 columns.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 12)) * rng.uniform(0.5, 5, 12)
    X[:, 5] = 1.0
    X[:, 7] = X[:, 3]
    X[:, 9:12] = X[:, 0:3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(2, random_state=0, max_iter=5).fit(X)
    dep = [n for n in gm.column_notes_ if "linearly dependent" in n]
    assert [n.split(" are")[0] for n in dep] == ["Columns 1, 10", "Columns 2, 11", "Columns 3, 12", "Columns 4, 8"]
    assert any("Column 6 is constant" in n for n in gm.column_notes_)


@pytest.mark.parametrize("ct", ["full", "tied"])
def test_an_hmm_of_duplicated_columns_is_not_called_collapsed(ct):
    # Found in the window: a Gaussian HMM of 40 columns with duplicates called every state "collapsed onto a few
    # repeated (often rounded) values" (the mixture of the same columns did not: it knows the dependence).
    from emdesk.engine import GaussianHMM

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)) * [1, 2, 3, 4, 5, 6]
    X[:, 4] = X[:, 1]
    X[:, 5] = 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = GaussianHMM(2, covariance_type=ct, random_state=0, max_iter=10).fit(X)
        Xm = X.copy()
        Xm[rng.random(X.shape) < 0.05] = np.nan
        mm = GaussianHMM(2, covariance_type=ct, random_state=0, max_iter=10, missing="marginalize").fit(Xm)
    assert m.degeneracies_ == () and mm.degeneracies_ == ()
    # a genuine collapse is still found: a state on one repeated row
    Y = np.r_[rng.normal(size=(200, 2)), np.tile([[5.0, 5.0]], (30, 1))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = GaussianHMM(2, covariance_type=ct, random_state=0, max_iter=30).fit(Y)
    assert ct == "tied" or any(i.kind == "variance_floor" for i in c.degeneracies_)
