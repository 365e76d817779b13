"""One column with mclust's conjugate prior: every covariance_type is mclust's E or V there, whatever layout
the estimator stores (spherical (k,), diag (k, 1), tied (1, 1), full (k, 1, 1)). The spherical and diag
types raised TypeError/ValueError inside EM (the MAP step used E/V's own layout); the refusal for a
constant column names only what a one-column fit can change."""

import numpy as np
import pytest

from emdesk.engine import GaussianMixture

X = np.r_[np.random.default_rng(0).normal(size=(40, 1)), 5 + np.random.default_rng(1).normal(size=(40, 1))]


@pytest.mark.parametrize("shared, separate", [("tied", "full"), ("EII", "spherical"), ("E", "diag"),
                                               ("E", "VII"), ("tied", "V")])
def test_every_one_column_type_with_the_prior_is_e_or_v(shared, separate):
    e = GaussianMixture(2, covariance_type=shared, prior="default", random_state=0).fit(X)
    v = GaussianMixture(2, covariance_type=separate, prior="default", random_state=0).fit(X)
    ref_e = GaussianMixture(2, covariance_type="E", prior="default", random_state=0).fit(X)
    ref_v = GaussianMixture(2, covariance_type="V", prior="default", random_state=0).fit(X)
    assert np.allclose(np.ravel(e.covariances_)[:1], np.ravel(ref_e.covariances_)[:1], rtol=1e-8)
    assert np.allclose(np.sort(np.ravel(v.covariances_)), np.sort(np.ravel(ref_v.covariances_)), rtol=1e-8)
    assert np.isclose(v.lower_bound_, ref_v.lower_bound_, rtol=1e-10)
    assert np.isclose(e.lower_bound_, ref_e.lower_bound_, rtol=1e-10)


@pytest.mark.parametrize("ct", ["E", "V", "spherical", "diag"])
def test_a_constant_single_column_names_only_what_a_one_column_fit_can_change(ct):
    with pytest.raises(ValueError) as info:
        GaussianMixture(2, covariance_type=ct, prior="default", random_state=0).fit(np.ones((30, 1)))
    msg = str(info.value)
    assert "column 1 is constant" in msg and "fit without the prior" in msg
    assert "diagonal" not in msg and "spherical" not in msg and "VVI" not in msg and "VII" not in msg
