"""The fit block's scalars are checked on reading (``emdesk.io.fitfile_restarts.read_fit_scalars``): a fit file
edited by hand with ``"n_iter": 1e30`` gave a traceback in the window when opened, ``"converged": "no"`` and
``"log_likelihood": "abc"`` were opened without a word. Absent and null values still load (older files)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.io import DataError, load_fit, save_fit


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(4, 1, (30, 2))])
    gm = GaussianMixture(n_components=2, n_init=2, random_state=0).fit(X)
    path = tmp_path_factory.mktemp("fit") / "f.json"
    save_fit(path, gm, X, columns=["a", "b"])
    return json.loads(path.read_text())


def _write(tmp_path, doc, key, value):
    doc = json.loads(json.dumps(doc))
    doc["fit"][key] = value
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("key, value, said", [
    ("n_iter", "2", r'fit.n_iter must be a whole number from 0 up to 2,147,483,647 \(or null\), found "2"'),
    ("n_iter", -5, "fit.n_iter must be a whole number"),
    ("n_iter", 2.5, "fit.n_iter must be a whole number"),
    ("n_iter", 10**30, "fit.n_iter must be a whole number"),
    ("n_iter", True, "fit.n_iter must be a whole number"),
    ("n_parameters", "11", "fit.n_parameters must be a whole number from 0 \\(or null\\)"),
    ("converged", "no", r'fit.converged must be true or false \(or null\), found "no"'),
    ("converged", 1, "fit.converged must be true or false"),
    ("log_likelihood", "abc", r'fit.log_likelihood must be a number \(or null\), found "abc"'),
    ("bic", [1], "fit.bic must be a number"),
    ("mean_log_likelihood", False, "fit.mean_log_likelihood must be a number"),
])
def test_a_wrong_type_in_the_fit_block_is_refused_by_name(tmp_path, saved, key, value, said):
    with pytest.raises(DataError, match=said):
        load_fit(_write(tmp_path, saved, key, value))


@pytest.mark.parametrize("key", ["n_iter", "converged", "log_likelihood", "bic", "icl", "n_parameters"])
def test_null_and_absent_values_still_load(tmp_path, saved, key):
    assert load_fit(_write(tmp_path, saved, key, None)).n_components == 2
    doc = json.loads(json.dumps(saved))
    del doc["fit"][key]
    (tmp_path / "absent.json").write_text(json.dumps(doc))
    gm = load_fit(tmp_path / "absent.json")
    assert gm.fit_info_["fit"].get(key) is None


def test_the_saved_values_load_unchanged(tmp_path, saved):
    gm = load_fit(_write(tmp_path, saved, "n_iter", saved["fit"]["n_iter"]))
    assert gm.n_iter_ == saved["fit"]["n_iter"] and gm.converged_ is saved["fit"]["converged"]
    assert gm.log_likelihood_ == saved["fit"]["log_likelihood"]


def test_best_restart_must_not_be_a_failed_restart(tmp_path, saved):
    doc = json.loads(json.dumps(saved))
    doc["fit"]["restart_log_likelihoods"] = [doc["fit"]["log_likelihood"], None]
    doc["fit"]["restart_degenerate"] = [False, False]
    doc["fit"]["best_restart"] = 1
    path = tmp_path / "failed_best.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataError, match=r"fit.best_restart is 1, a restart whose log-likelihood is null"):
        load_fit(path)
    doc["fit"]["best_restart"] = 0
    path.write_text(json.dumps(doc))
    assert load_fit(path).fit_info_["fit"]["best_restart"] == 0
