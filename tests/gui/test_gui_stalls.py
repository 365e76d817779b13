"""No GUI stalls on big data (issue 16): the work over every row that used to run on the GUI thread when a
saved hidden Markov model was opened (its state posteriors: 9 s at 1,000,000 rows), when columns were ticked
and when a fit's restarts were diagnosed runs in a background job. These tests lower the row count from which
the window works in the background (``emdesk.gui.background.BIG_ROWS``) and hold the job on an event that the
GUI thread's event loop opens: before, the job ran in the GUI thread and the gate was never opened in time."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6 import QtCore

import emdesk.gui.background as background

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


@pytest.fixture
def regimes_csv(tmp_path):
    rng = np.random.default_rng(5)
    rows = []
    for sid, T in (("north", 300), ("south", 200)):
        z = 0
        for t in range(T):
            if rng.random() < 0.05:
                z = 1 - z
            rows.append((sid, t, rng.normal(0.0 if z == 0 else 4.0, 0.6)))
    p = tmp_path / "regimes.csv"
    p.write_text("site,day,level\n" + "".join(f"{s},{t},{v:.4f}\n" for s, t, v in rows))
    return p


def gated(fn, seen: dict):
    """``fn`` run after an event that only the GUI thread's event loop sets (a 0 ms single-shot timer)."""
    gate = threading.Event()

    def run(*args, **kwargs):
        seen["thread"] = threading.get_ident()
        seen["opened"] = gate.wait(20)
        return fn(*args, **kwargs)

    QtCore.QTimer.singleShot(0, gate.set)
    return run


def test_opening_a_saved_hmm_fit_of_big_data_computes_its_state_off_the_gui_thread(qtbot, window, regimes_csv,
                                                                                   monkeypatch):
    import emdesk.session_hmm as session_hmm

    window.open_csv(regimes_csv)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence("site", "day")
    window.select_columns(["level"])
    window.set_options(n_components=2, random_state=0, max_iter=50)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    out = regimes_csv.parent / "hmm-fit.json"
    window.export_fit(out)
    qtbot.waitUntil(lambda: not window.results.summary_pending(), timeout=30_000)
    window.set_model_kind("mixture")
    window.open_fit(out)  # small data: as before, at once
    expected = window.session.history[0]

    monkeypatch.setattr(background, "BIG_ROWS", 100)
    window.set_model_kind("mixture")
    seen = {}
    monkeypatch.setattr(session_hmm, "hmm_state_snapshot", gated(session_hmm.hmm_state_snapshot, seen))
    window.open_fit(out)  # returns once shown, as before
    assert seen["thread"] != threading.get_ident() and seen["opened"]
    got = window.session.history[0]
    assert window.session.kind == "hmm" and len(window.session.history) == 1
    np.testing.assert_allclose(got.weights, expected.weights, atol=1e-12)
    np.testing.assert_allclose(got.transmat, expected.transmat, atol=1e-12)
    assert window.views.drawn_states is not None and window.act_export.isEnabled()
