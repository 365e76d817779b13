"""The fit file carries the prior (options.prior: null, "default" or priorControl's overrides) and the MAP
fit's log prior density (fit.log_prior), and reads them back; a bad prior in a file is a DataError."""

import json

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.io import DataError, load_fit, save_fit


def _X():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(5, 0.5, (40, 2))])


@pytest.mark.parametrize("prior", ["default", {"shrinkage": 0.1, "dof": 5.0}])
def test_prior_round_trip(tmp_path, prior):
    X = _X()
    gm = GaussianMixture(2, prior=prior, random_state=0).fit(X)
    doc = save_fit(tmp_path / "f.json", gm, X, columns=["a", "b"])
    assert doc["options"]["prior"] == prior
    assert doc["fit"]["log_prior"] == pytest.approx(gm.log_prior_, rel=1e-12)
    assert doc["fit"]["log_likelihood"] == pytest.approx(gm.log_likelihood_, rel=1e-9)
    back = load_fit(tmp_path / "f.json")
    assert back.get_params()["prior"] == prior
    np.testing.assert_allclose(back.means_, gm.means_)
    # a refit from the loaded settings fits the same MAP model
    again = GaussianMixture(**{k: v for k, v in back.get_params().items() if not k.endswith("_init")}).fit(X)
    np.testing.assert_allclose(np.sort(again.means_[:, 0]), np.sort(gm.means_[:, 0]), rtol=1e-8)


def test_no_prior_writes_no_log_prior_and_bad_priors_are_refused(tmp_path):
    X = _X()
    gm = GaussianMixture(2, random_state=0).fit(X)
    doc = save_fit(tmp_path / "f.json", gm, X, columns=["a", "b"])
    assert doc["options"]["prior"] is None and "log_prior" not in doc["fit"]
    for bad in ("flat", {"nu": 3}, {"shrinkage": -1}):
        doc["options"]["prior"] = bad
        (tmp_path / "bad.json").write_text(json.dumps(doc))
        with pytest.raises(DataError, match="options.prior"):
            load_fit(tmp_path / "bad.json")
