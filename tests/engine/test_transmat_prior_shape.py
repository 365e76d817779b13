"""transmat_prior must be a number or (k, k) (hmmlearn's form, and what a fit file holds). Other shapes were
taken by NumPy's broadcasting ((k,) or a one-element list: a fit whose file could not be read back, 'a list of
1') or failed in the M-step with a bare broadcasting error ((3, 3) for 2 states)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianHMM, HiddenMarkovModel
from emdesk.engine.families.gaussian import GaussianFamily

X = np.random.default_rng(4).normal(0, 1, (40, 1)) + np.repeat([0.0, 4.0], 20)[:, None]


@pytest.mark.parametrize("prior", [(2.0,), [2.0, 3.0], np.ones((3, 3)), np.ones((2, 2, 1)), [[1.0, np.nan], [1, 1]],
                                   -1.0, "two"])
@pytest.mark.parametrize("make", [lambda p: GaussianHMM(2, n_init=1, random_state=0, transmat_prior=p),
                                  lambda p: HiddenMarkovModel(GaussianFamily(), 2, random_state=0, transmat_prior=p)])
def test_other_shapes_are_refused(prior, make):
    with pytest.raises(ValueError, match=r"transmat_prior must be a number or a \(2, 2\) array"):
        make(prior).fit(X)


@pytest.mark.parametrize("prior", [2.0, np.float32(2.5), np.array(3.0), [[2.0, 1.0], [1.0, 2.0]], None])
def test_numbers_and_square_arrays_fit(prior):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianHMM(2, n_init=1, random_state=0, transmat_prior=prior).fit(X)
    assert np.all(np.isfinite(model.transmat_))
