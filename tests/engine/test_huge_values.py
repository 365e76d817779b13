"""Issue 10, item 3: huge values.  Every fit's reported log-likelihood is the log-likelihood of
the parameters it returns (log_likelihood_ == score(X) * n, relative 1e-9); a column whose
squares overflow, or whose range is too wide to keep its small values' digits, is refused
before fitting with a ValueError naming the column (never blamed on a covariance)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emdesk.engine import GaussianMixture
from emdesk.engine._validation import MAX_RANGE_RATIO

COV_TYPES = ("full", "tied", "diag", "spherical")


def _two_clusters_and_fill(fill, seed=0):
    rng = np.random.default_rng(seed)
    A = np.r_[rng.normal(0, 1, (200, 2)), rng.normal(5, 1, (200, 2))]
    return np.r_[A, np.c_[np.full(5, fill), rng.normal(size=5)]]


@pytest.mark.parametrize("ct", COV_TYPES)
def test_fill_value_1e20_is_refused_naming_the_column(ct):
    X = _two_clusters_and_fill(1e20)
    with pytest.raises(ValueError, match=r"Column 1 has a range too wide.*fill value.*NaN") as err:
        GaussianMixture(3, covariance_type=ct, random_state=0).fit(X)
    assert "positive definite" not in str(err.value) and "reg_covar" not in str(err.value)


@pytest.mark.parametrize("ct", COV_TYPES)
def test_1e300_names_overflow_and_the_column(ct):
    X = _two_clusters_and_fill(1e300)
    with pytest.raises(ValueError, match=r"Column 1 holds values.*overflow") as err:
        GaussianMixture(3, covariance_type=ct, random_state=0).fit(X)
    assert "positive definite" not in str(err.value)
    # names from a data frame's columns when there are some
    class Frame(np.ndarray):
        columns = ["depth", "salinity"]

    with pytest.raises(ValueError, match=r"Column 1 \('depth'\)"):
        GaussianMixture(3, covariance_type=ct, random_state=0).fit(X.view(Frame))


def test_the_fill_value_as_missing_fits():
    X = _two_clusters_and_fill(1e20)
    X[X == 1e20] = np.nan
    gm = GaussianMixture(2, random_state=0, missing="marginalize").fit(X)
    assert gm.log_likelihood_ == pytest.approx(gm.score(X) * len(X), rel=1e-9)


@pytest.mark.parametrize("ct", COV_TYPES)
@pytest.mark.parametrize("exponent", [3, 6, 8])
def test_invariant_with_far_values_inside_the_limit(ct, exponent):
    X = _two_clusters_and_fill(10.0 ** exponent)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(3, covariance_type=ct, random_state=0).fit(X)
    assert gm.log_likelihood_ == pytest.approx(gm.score(X) * len(X), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    ct=st.sampled_from(COV_TYPES),
    k=st.integers(1, 4),
    d=st.integers(1, 3),
    log_far=st.floats(0, np.log10(MAX_RANGE_RATIO) - 1.5),
    n_far=st.integers(0, 8),
    log_offset=st.floats(-3, 12),
    log_scale=st.floats(-6, 6),
    rounded=st.booleans(),
)
def test_log_likelihood_is_that_of_the_returned_parameters(seed, ct, k, d, log_far, n_far, log_offset,
                                                           log_scale, rounded):
    rng = np.random.default_rng(seed)
    n = 150
    X = rng.normal(size=(n, d)) + rng.integers(0, 3, n)[:, None] * 4.0
    if rounded:
        X = np.round(X)
    X[:n_far, 0] = 10.0 ** log_far * rng.choice([-1.0, 1.0])
    X = X * 10.0 ** log_scale + 10.0 ** log_offset
    gm = GaussianMixture(k, covariance_type=ct, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            gm.fit(X)
        except ValueError:
            return  # a singular fit may fail; whatever is returned must be consistent
    assert gm.log_likelihood_ == pytest.approx(gm.score(X) * n, rel=1e-9, abs=1e-9)
