"""emdesk-fit says when the restart with the highest log-likelihood collapsed and the best sound one is kept
(emdesk.engine.em.kept_restart / kept_restart_note)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cli_run import run_in_process as run
from tests.engine.test_sound_restart import _collapsed_at, _data

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _fit(tmp_path):
    path = tmp_path / "tied.csv"
    np.savetxt(path, _data(), delimiter=",", header="a,b", comments="", fmt="%.10g")
    return run(path, "-k", "3", "--covariance", "diag", "--init", "kmeans", "--n-init", "3", "--seed", "0",
               "--max-iter", "30", "-o", tmp_path / "m.json")


def test_cli_notes_the_collapsed_restart_it_did_not_keep(tmp_path, monkeypatch):
    _collapsed_at(monkeypatch, {1})
    out = _fit(tmp_path)
    assert out.returncode == 0, out.stderr
    assert "note: Restart 2 had the highest log-likelihood" in out.stdout
    assert "the best sound restart" in out.stdout and "degenerate" not in out.stderr


def test_cli_has_no_note_when_every_restart_is_sound(tmp_path):
    out = _fit(tmp_path)
    assert out.returncode == 0, out.stderr
    assert "best sound restart" not in out.stdout
