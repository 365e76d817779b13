"""A Dirichlet transmat_prior near the float maximum (1e308, finite, so accepted; a fit file can hold it): the
MAP row max(prior - 1 + counts, 0) / sum used to overflow its sum to inf, read count / inf = 0 and stop the fit
with 'transmat_ must sum to 1' or a -inf log-likelihood. The right row: prior-dominated, so uniform over the
entries with the huge concentration."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianHMM


@pytest.mark.parametrize("prior, row0", [(1e308, [0.5, 0.5]), ([[1e308, 1e308], [1.0, 1.0]], [0.5, 0.5]),
                                         ([[1.7e308, 0.85e308], [1.0, 1.0]], [2 / 3, 1 / 3])])
def test_huge_transmat_prior_gives_prior_rows(prior, row0):
    rng = np.random.default_rng(4)
    X = rng.normal(0, 1, (80, 1)) + np.repeat([0.0, 4.0, 0.0, 4.0], 20)[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianHMM(2, n_init=1, max_iter=5, random_state=0,
                            transmat_prior=np.array(prior) if isinstance(prior, list) else prior).fit(X)
    np.testing.assert_allclose(model.transmat_[0], row0, rtol=1e-9)
    np.testing.assert_allclose(model.transmat_.sum(axis=1), 1.0, rtol=1e-12)
    assert np.isfinite(model.score(X))
