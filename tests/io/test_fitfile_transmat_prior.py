"""An HMM's transmat_prior (the window's Transition prior) is kept by the fit file: saved, loaded back, checked."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianHMM
from emdesk.io import DataError, load_fit, save_fit


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(4)
    X = rng.normal(0, 1, (80, 1)) + np.repeat([0.0, 4.0, 0.0, 4.0], 20)[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianHMM(2, n_init=1, random_state=0, transmat_prior=3.0).fit(X), X


@pytest.mark.parametrize("prior", [3.0, None, [[2.0, 1.0], [1.0, 5.0]]])
def test_prior_round_trip(tmp_path, fitted, prior):
    model, X = fitted
    model.transmat_prior = None if prior is None else (np.array(prior) if isinstance(prior, list) else prior)
    p = tmp_path / "f.json"
    save_fit(p, model, X, columns=["x"])
    back = load_fit(p)
    if prior is None:
        assert back.transmat_prior is None
    else:
        np.testing.assert_array_equal(np.asarray(back.transmat_prior), np.asarray(prior))
    np.testing.assert_allclose(back.transmat_, model.transmat_, rtol=1e-12)  # rows renormalised on load


@pytest.mark.parametrize("bad", [-1.0, "two", [[1.0, 2.0]], [[1.0, 2.0], [1.0]], [[1, 2, 3]] * 3, True,
                                 [[1.0, "x"], [1.0, 1.0]]])
def test_bad_prior_is_refused(tmp_path, fitted, bad):
    model, X = fitted
    model.transmat_prior = 2.0
    p = tmp_path / "f.json"
    save_fit(p, model, X, columns=["x"])
    doc = json.loads(p.read_text())
    doc["options"]["transmat_prior"] = bad
    p.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="transmat_prior"):
        load_fit(p)
