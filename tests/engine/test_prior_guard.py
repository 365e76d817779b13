"""With mclust's prior the MAP M-step adds no reg_covar ridge, so reg_covar must not change the fit nor
make the degeneracy diagnosis call a sound fit "at the variance floor" (found by the newcomer test:
``emdesk-fit faithful.csv --prior default --reg-covar 0.1`` warned of a collapse the fit did not have)."""

from pathlib import Path

import numpy as np
import pytest

from emdesk.engine import GaussianMixture

X = np.loadtxt(Path(__file__).parents[2] / "benchmarks" / "data" / "faithful.csv", delimiter=",", skiprows=1)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_reg_covar_does_not_flag_a_map_fit_as_collapsed(covariance_type):
    fits = [GaussianMixture(2, covariance_type=covariance_type, prior="default", reg_covar=r, n_init=1,
                            init_params="kmeans", random_state=0).fit(X)
            for r in (1e-6, 0.1, 5.0)]
    for gm in fits:
        assert gm.degeneracies_ == ()
    # the ridge is not part of the MAP step: the same fit whatever reg_covar is
    for gm in fits[1:]:
        np.testing.assert_allclose(gm.covariances_, fits[0].covariances_, rtol=1e-6)
        np.testing.assert_allclose(gm.means_, fits[0].means_, rtol=1e-6)


@pytest.mark.parametrize("covariance_type,cols", [("full", [0, 1]), ("tied", [0, 1]), ("VVV", [0, 1]),
                                                  ("V", [0]), ("E", [0])])
def test_a_constant_column_with_the_prior_is_named(covariance_type, cols):
    Xc = X.copy()
    Xc[:, 0] = 3.0  # eruptions constant
    with pytest.raises(ValueError, match="constant") as info:
        GaussianMixture(2, covariance_type=covariance_type, prior="default", n_init=1, random_state=0).fit(
            Xc[:, cols])
    assert "MAP covariance" not in str(info.value) and "without the prior" in str(info.value)


def test_dependent_columns_with_the_prior_are_named():
    Xd = np.column_stack([X, X[:, 0] * 2.0 - X[:, 1]])
    with pytest.raises(ValueError, match="linearly dependent"):
        GaussianMixture(2, prior="default", n_init=1, random_state=0).fit(Xd)
    # the spherical/diagonal prior's scale is the mean variance: these data fit
    GaussianMixture(2, covariance_type="spherical", prior="default", n_init=1, random_state=0).fit(Xd)


def test_a_constant_column_with_the_prior_on_dask_data_is_named_as_in_memory():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(0, 1, (300, 2)), np.full(300, 5.0)]
    kw = dict(n_components=2, prior="default", init_params="kmeans++", random_state=0)
    with pytest.raises(ValueError) as mem:
        GaussianMixture(**kw).fit(X)
    with pytest.raises(ValueError) as lazy:
        GaussianMixture(**kw).fit(da.from_array(X, chunks=100))
    assert "column 3 is constant" in str(lazy.value) and str(lazy.value) == str(mem.value)
