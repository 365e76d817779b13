"""Fit files keep ``restart_degenerate_`` (which restarts collapsed) as ``fit.restart_degenerate``: written,
read back checked, absent in older files (None), and the window's Restarts view shows the kept-restart note
after File > Open Fit (issue 16's list: it was not saved)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianMixture, PoissonHMM
from emdesk.engine import gaussian as G
from emdesk.engine.diagnostics import DegenerateSolutionWarning
from emdesk.engine.em import kept_restart_note
from emdesk.io import DataError, load_fit, save_fit
from emdesk.io.fitfile_restarts import saved_restarts

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _data():
    rng = np.random.default_rng(0)
    tied = np.full((4, 2), [0.5, 0.5])  # four identical rows: a component can collapse onto them
    return np.vstack([rng.normal(size=(120, 2)), rng.normal(size=(120, 2)) + [6.0, 0.0], tied])


def collapsed_fit(monkeypatch, X):
    """A 3-restart diag fit whose restart 2 starts (and stays) collapsed on the tied rows: it has the highest
    log-likelihood and is not kept (as in tests/engine/test_sound_restart.py)."""
    orig = G._MixtureRun.initial_params
    count = {"r": -1}

    def initial_params(self, rng, interrupt):
        w, m, c = orig(self, rng, interrupt)
        count["r"] += 1
        if count["r"] == 1:
            m, c = np.array(m, dtype=float), np.array(c, dtype=float)
            m[2] = self.ctx.std.means_to_z(np.array([[0.5, 0.5]]))[0]
            c[2] = 1e-12
            w = np.array([0.49, 0.49, 0.02])
        return w, m, c

    monkeypatch.setattr(G._MixtureRun, "initial_params", initial_params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        gm = GaussianMixture(3, covariance_type="diag", random_state=0, max_iter=30, init_params="kmeans",
                             n_init=3).fit(X)
    monkeypatch.setattr(G._MixtureRun, "initial_params", orig)
    assert gm.restart_degenerate_.tolist() == [False, True, False] and kept_restart_note(gm)
    return gm


def test_round_trip_keeps_which_restarts_collapsed_and_the_note(tmp_path, monkeypatch):
    X = _data()
    gm = collapsed_fit(monkeypatch, X)
    doc = save_fit(tmp_path / "f.json", gm, X, columns=["a", "b"])
    assert doc["fit"]["restart_degenerate"] == [False, True, False]
    back = load_fit(tmp_path / "f.json")
    assert back.fit_info_["fit"]["restart_degenerate"] == [False, True, False]
    rec = saved_restarts(back)
    assert rec.restart_degenerate_.tolist() == [False, True, False] and rec.best_restart_ == gm.best_restart_
    np.testing.assert_array_equal(rec.restart_log_likelihoods_, gm.restart_log_likelihoods_)
    assert kept_restart_note(rec) == kept_restart_note(gm)


def test_hmm_files_keep_it_too(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.poisson(np.repeat([1.0, 8.0, 1.0], 30))[:, None].astype(float)
    m = PoissonHMM(2, n_init=2, random_state=0).fit(X)
    save_fit(tmp_path / "h.json", m, X, columns=["n"])
    back = load_fit(tmp_path / "h.json")
    assert back.fit_info_["fit"]["restart_degenerate"] == [bool(b) for b in m.restart_degenerate_]


def _edited(tmp_path, monkeypatch, edit):
    X = _data()
    gm = collapsed_fit(monkeypatch, X)
    save_fit(tmp_path / "f.json", gm, X, columns=["a", "b"])
    doc = json.loads((tmp_path / "f.json").read_text())
    edit(doc["fit"])
    (tmp_path / "g.json").write_text(json.dumps(doc))
    return tmp_path / "g.json"


def test_a_file_written_before_loads_without_it(tmp_path, monkeypatch):
    path = _edited(tmp_path, monkeypatch, lambda fit: fit.pop("restart_degenerate"))
    back = load_fit(path)
    assert back.fit_info_["fit"]["restart_degenerate"] is None
    rec = saved_restarts(back)
    assert rec.restart_degenerate_ is None and len(rec.restart_log_likelihoods_) == 3
    assert kept_restart_note(rec) == ""  # nothing is known about collapses: no note


@pytest.mark.parametrize("edit, match", [
    (lambda f: f.update(restart_degenerate=[0, 1, 0]), "fit.restart_degenerate must be a list of true/false"),
    (lambda f: f.update(restart_degenerate="yes"), "fit.restart_degenerate must be a list of true/false"),
    (lambda f: f.update(restart_degenerate=[True, False]), "fit.restart_degenerate has 2 values for 3 restart"),
    (lambda f: (f.pop("restart_log_likelihoods"), f.pop("best_restart")),
     "fit.restart_degenerate has 3 values for no fit.restart_log_likelihoods"),
    (lambda f: f.update(best_restart=3), r"fit.best_restart must be an integer from 0 below 3"),
    (lambda f: f.update(restart_log_likelihoods=["x", 1, 2]), "fit.restart_log_likelihoods must be a list of num"),
])
def test_bad_values_are_refused_with_a_clear_message(tmp_path, monkeypatch, edit, match):
    path = _edited(tmp_path, monkeypatch, edit)
    with pytest.raises(DataError, match=match) as info:
        load_fit(path)
    assert "not a valid emdesk fit file:" in str(info.value) and "_Invalid" not in str(info.value)


def test_an_opened_fit_exported_again_keeps_the_restarts_record(tmp_path, monkeypatch):
    """File > Open Fit, then Export Fit: the opened model holds one restart's solution, and the file it writes
    keeps the first file's record of all three restarts (it wrote one placeholder restart)."""
    X = _data()
    gm = collapsed_fit(monkeypatch, X)
    first = save_fit(tmp_path / "f.json", gm, X, columns=["a", "b"])
    again = save_fit(tmp_path / "g.json", load_fit(tmp_path / "f.json"), X, columns=["a", "b"])
    for key in ("best_restart", "restart_log_likelihoods", "restart_degenerate"):
        assert again["fit"][key] == first["fit"][key]
    back = saved_restarts(load_fit(tmp_path / "g.json"))
    assert back.restart_degenerate_.tolist() == [False, True, False] and back.best_restart_ == gm.best_restart_


def test_an_opened_fit_fitted_again_writes_its_own_restarts(tmp_path, monkeypatch):
    """A model from load_fit that is fitted again (the engine API) writes the new fit's restarts, not the
    record of the file it came from."""
    X = _data()
    gm = collapsed_fit(monkeypatch, X)
    save_fit(tmp_path / "f.json", gm, X, columns=["a", "b"])
    m = load_fit(tmp_path / "f.json")
    m.set_params(n_init=2)
    m.fit(X)
    doc = save_fit(tmp_path / "g.json", m, X, columns=["a", "b"])
    assert len(doc["fit"]["restart_log_likelihoods"]) == 2
    assert doc["fit"]["restart_degenerate"] == [bool(b) for b in m.restart_degenerate_]


@pytest.mark.parametrize("make", ["hmm", "student_t"])
def test_other_kinds_opened_and_exported_again_keep_the_restarts_record(tmp_path, make):
    from emdesk.engine import GaussianHMM, StudentTMixture

    X = _data()[:240]
    m = (GaussianHMM(2, n_init=3, random_state=0) if make == "hmm" else StudentTMixture(2, n_init=3, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(X)
    first = save_fit(tmp_path / "f.json", m, X, columns=["a", "b"])
    again = save_fit(tmp_path / "g.json", load_fit(tmp_path / "f.json"), X, columns=["a", "b"])
    assert len(first["fit"]["restart_log_likelihoods"]) == 3
    for key in ("best_restart", "restart_log_likelihoods", "restart_degenerate"):
        assert again["fit"][key] == first["fit"][key]
