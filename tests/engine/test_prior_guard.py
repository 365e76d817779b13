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
