"""File > Open Fit shows the restarts the file recorded in the Restarts view: each restart's log-likelihood,
which collapsed (``fit.restart_degenerate``) and the kept-restart note (issue 16's list)."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from emdesk.engine.em import kept_restart_note
from emdesk.io import save_fit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "io"))
from test_fitfile_restart_degenerate import _data, collapsed_fit  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _files(tmp_path, monkeypatch):
    X = _data()
    csv = tmp_path / "d.csv"
    csv.write_text("a,b\n" + "".join(f"{x:.17g},{y:.17g}\n" for x, y in X))
    gm = collapsed_fit(monkeypatch, X)
    save_fit(tmp_path / "f.json", gm, X, columns=["a", "b"])
    doc = json.loads((tmp_path / "f.json").read_text())
    del doc["fit"]["restart_degenerate"]  # as emdesk wrote it before
    (tmp_path / "old.json").write_text(json.dumps(doc))
    return csv, gm


def test_open_fit_shows_the_saved_restarts_and_the_note(qtbot, window, tmp_path, monkeypatch):
    csv, gm = _files(tmp_path, monkeypatch)
    window.open_csv(csv)
    window.select_columns(["a", "b"])
    view = window.restarts_view
    window.open_fit(tmp_path / "f.json")
    text = view.summary.text()
    assert text.startswith(f"Opened from f.json: 3 restarts; the kept one (restart {gm.best_restart_ + 1})")
    assert kept_restart_note(gm) in text and "1 restart collapsed" in text
    assert view.table.rowCount() == 3
    assert [view.table.item(i, 5).text() for i in range(3)] == ["none", "collapsed", "none"]
    assert view.table.item(1, 1).text() == f"{gm.restart_log_likelihoods_[1]:.3f}"
    assert not view.load_button.isEnabled()
    shown = window.model
    with qtbot.assertNotEmitted(view.restartChosen):
        view.select_restart(0)  # marked only: the file keeps no other restart's solution
    assert window.model is shown
    window.open_fit(tmp_path / "old.json")
    assert "Which restarts collapsed is not in this file" in view.summary.text()
    assert "had the highest log-likelihood" not in view.summary.text()
    assert view.table.item(1, 5).text() == "not saved"


def test_a_kept_restart_marked_collapsed_is_named(qtbot, window, tmp_path, monkeypatch):
    """A file whose kept restart is marked collapsed (every restart collapsed, or edited by hand) says so;
    it said only '1 restart collapsed'."""
    csv, gm = _files(tmp_path, monkeypatch)
    doc = json.loads((tmp_path / "f.json").read_text())
    kept = doc["fit"]["best_restart"]
    window.open_csv(csv)
    window.select_columns(["a", "b"])
    doc["fit"]["restart_degenerate"] = [i == kept for i in range(3)]
    (tmp_path / "k.json").write_text(json.dumps(doc))
    window.open_fit(tmp_path / "k.json")
    assert f"1 restart collapsed (shown as \u00d7), the kept one (restart {kept + 1}) among them." in \
        window.restarts_view.summary.text()
    doc["fit"]["restart_degenerate"] = [True, True, True]
    (tmp_path / "all.json").write_text(json.dumps(doc))
    window.open_fit(tmp_path / "all.json")
    text = window.restarts_view.summary.text()
    assert "All 3 restarts collapsed (shown as \u00d7): the kept one has the highest log-likelihood of them" in text
