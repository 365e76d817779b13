"""Extreme values in the generic models (HMMs, Student-t mixtures): a ValueError naming the column,
as GaussianMixture gives, never an OverflowError from the k-means++ start (found by a newcomer test)."""
import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianHMM, StudentTMixture


@pytest.mark.parametrize("value", [1e200, 1e308, -1e308])
@pytest.mark.parametrize("make", [lambda: GaussianHMM(2, random_state=0),
                                  lambda: StudentTMixture(2, random_state=0)])
def test_overflowing_value_is_a_value_error_naming_the_column(make, value):
    X = np.random.default_rng(0).normal(size=(20, 2))
    X = np.vstack([X, [[value, 0.0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="Column 1"):
            make().fit(X)


def test_ordinary_hmm_data_still_fit():
    X = np.random.default_rng(1).normal(size=(50, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = GaussianHMM(2, random_state=0).fit(X)
    assert np.isfinite(m.score(X))


@pytest.mark.parametrize("big", [1e9, 1e12, 1e19])
def test_categorical_symbol_far_beyond_any_table_is_a_value_error(big):
    from emdesk.engine import CategoricalHMM
    S = np.array([[big], [1.0], [0.0], [1.0]])
    with pytest.raises(ValueError, match="Recode the column"):
        CategoricalHMM(2, random_state=0).fit(S)


def test_categorical_symbols_up_to_the_bound_fit():
    from emdesk.engine import CategoricalHMM
    m = CategoricalHMM(2, random_state=0).fit(np.array([[0], [1], [2], [1], [0], [2]]))
    assert m.emissionprob_.shape == (2, 3)


def test_scoring_wide_rows_under_a_fitted_hmm_is_not_refused():
    """The range check is for fitting: scoring (and load_fit's probe) of far rows gives a number or -inf."""
    X = np.random.default_rng(0).normal(size=(40, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = GaussianHMM(2, random_state=0).fit(X)
        ll, post = m.score_samples(np.vstack([X[:3], [[1e12, 0.0]]]), [1, 1, 1, 1])
    assert ll < 0 and np.all(np.isfinite(post))

