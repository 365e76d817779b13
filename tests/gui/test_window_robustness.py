"""Issue 10, window items: Step presses add up (13), no abort at exit (14), and no slot error leaves the
window stuck (1's window consequences)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

FIT_TIMEOUT = 60_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def csv_200k(tmp_path):
    rng = np.random.default_rng(7)
    n = 200_000
    X = np.vstack([rng.normal((0, 0), 1.0, (n // 2, 2)), rng.normal((5, 3), 1.0, (n // 2, 2))])
    p = tmp_path / "big.csv"
    np.savetxt(p, X, delimiter=",", header="a,b", comments="", fmt="%.4f")
    return p


def test_five_step_presses_10ms_apart_add_five_iterations(qtbot, window, csv_200k):
    window.open_csv(csv_200k)
    window.set_options(n_components=3, tol=0.0, max_iter=100_000, random_state=0)
    window.step_fit()  # no fit yet: starts one, paused after its initial state
    qtbot.waitUntil(lambda: len(window.history) == 1, timeout=FIT_TIMEOUT)
    assert window.is_paused()
    for _ in range(5):
        window.step_fit()
        qtbot.wait(10)  # an iteration on 200,000 rows takes longer: presses arrive while one is computed
    qtbot.waitUntil(lambda: len(window.history) >= 6 and window.fit_worker.pending_steps() == 0,
                    timeout=FIT_TIMEOUT)
    qtbot.wait(300)  # paused: nothing beyond the five stepped iterations
    assert [s.iteration for s in window.history] == [0, 1, 2, 3, 4, 5]
    assert window.is_paused()
    window.step_fit()
    qtbot.waitUntil(lambda: len(window.history) == 7, timeout=FIT_TIMEOUT)
    with qtbot.waitSignal(window.fitStopped, timeout=FIT_TIMEOUT):
        window.stop_fit()


SCRIPT = textwrap.dedent("""
    import sys, os, time
    from PySide6 import QtCore, QtWidgets
    app = QtWidgets.QApplication([])
    QtCore.QCoreApplication.setOrganizationName("emdesk-tests")
    from emdesk.gui.main_window import MainWindow, example_path
    settings = QtCore.QSettings(os.path.join(sys.argv[2], "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    w.show()
    mode = sys.argv[1]
    if mode in ("fit", "fit-local"):
        w.open_csv(example_path())
        w.set_options(n_components=5, tol=0.0, max_iter=100_000)
        w.start_fit()
        t0 = time.monotonic()
        while len(w.history) < 5 and time.monotonic() - t0 < 60:
            app.processEvents()
        assert w.is_fitting()
    if mode == "fit-local":  # the window's last reference goes away with the fit still running
        def drop(window):
            window.deleteLater()
        drop(w)
        del w
        app.processEvents()
    print("script end", flush=True)
""")


@pytest.mark.parametrize("mode", ["idle", "fit", "fit-local"])
def test_a_script_that_never_closes_the_window_exits_cleanly(tmp_path, mode):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), PYQTGRAPH_QT_LIB="PySide6")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert "script end" in proc.stdout, proc.stderr
    assert "Destroyed while thread" not in proc.stderr
    assert proc.returncode == 0, proc.stderr


def test_a_failing_model_conversion_does_not_leave_the_window_stuck(qtbot, window, csv_2d, monkeypatch):
    # Issue 10 item 1: a snapshot the model layer refuses made Stop leave "Stopping..." for good (a
    # traceback in the finish slot, no fitStopped, Run disabled). Any such error is now a message.
    from emdesk.engine.snapshot import Snapshot

    window.open_csv(csv_2d)
    window.set_options(n_components=2, tol=0.0, max_iter=100_000, random_state=0)
    window.start_fit()
    qtbot.waitUntil(lambda: len(window.history) > 3, timeout=FIT_TIMEOUT)

    def refuse(self):
        raise ValueError("covariance 2 is not symmetric")

    monkeypatch.setattr(Snapshot, "to_model", refuse)
    with qtbot.waitSignal(window.fitStopped, timeout=FIT_TIMEOUT):
        window.stop_fit()
    assert not window.is_fitting()
    assert window.status_state.text() != "Stopping..."
    assert window.act_run.isEnabled() and not window.act_stop.isEnabled()
    level, text = window.last_message
    assert level == "error" and "not symmetric" in text
    assert window.message_bar.isVisible()
    # scrubbing the timeline back over the refused states draws what it can, without an exception
    window.timeline.set_index(1)
    qtbot.wait(50)
    assert window._shown_index == 1
    # and the window can fit again
    monkeypatch.undo()
    window.set_options(n_components=2, tol=1e-3, max_iter=200, random_state=0)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert window.model is not None


def test_an_error_in_the_finish_slot_becomes_fit_failed(qtbot, window, csv_2d, monkeypatch):
    from emdesk.gui.plot_2d import Plot2D

    window.open_csv(csv_2d)
    window.set_options(n_components=2, max_iter=200, random_state=0)

    def broken(self, *a, **k):
        raise ValueError("covariance 1 is not symmetric")

    # A view that cannot draw a state: the live frames and the end of the fit both reach it.
    monkeypatch.setattr(Plot2D, "show_state", broken)
    with qtbot.waitSignal(window.fitFailed, timeout=FIT_TIMEOUT) as blocker:
        window.start_fit()
    assert "not symmetric" in blocker.args[0]
    assert not window.is_fitting() and window.act_run.isEnabled()
    assert window.last_message[0] == "error"
    monkeypatch.undo()
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()


def test_loading_a_restart_that_fails_is_a_message(qtbot, window, csv_2d, monkeypatch):
    from emdesk.engine import GaussianMixture

    window.open_csv(csv_2d)
    window.set_options(n_components=2, max_iter=200, random_state=0, n_init=2)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    kept = window.model

    def refuse(cls, *a, **k):
        raise ValueError("covariance 1 is not symmetric")

    monkeypatch.setattr(GaussianMixture, "from_parameters", classmethod(refuse))
    window.show_restart(1)
    assert window.last_message[0] == "error" and "not symmetric" in window.last_message[1]
    assert window.model is kept and not window.is_fitting()


def test_the_window_observes_its_session(qtbot, window, csv_2d):
    # Issue 12: the state of a fit lives in a Qt-free session; a script driving it directly is shown.
    s = window.session
    s.load(csv_2d)
    assert window.data_panel.table is s.table and window.data_panel.selected_columns() == ["a", "b"]
    assert window.plot_stack.currentWidget() is window.plot_2d
    s.choose_columns(["a"])
    assert window.data_panel.selected_columns() == ["a"]
    assert window.plot_stack.currentWidget() is window.plot_1d
    s.choose_columns(["a", "b"])
    model = s.fit(n_components=2, random_state=0, n_init=2, max_iter=200)
    assert window.model is model and window.history is s.history
    assert window.timeline.count() == len(s.history)
    assert window._shown_index == len(s.history) - 1
    assert window.act_export.isEnabled() and window.act_run.isEnabled()
    assert window.restarts_view.isEnabled()
    other = s.load_restart(1)
    assert window.model is other
    qtbot.waitUntil(lambda: np.array_equal(s.history[window._shown_index].means, other.means_), timeout=5000)
    # and the window's own commands change the same session
    window.select_columns(["b"])
    assert s.columns == ["b"] and s.model is None


def test_a_constant_column_is_said_in_the_window_not_only_on_stderr(qtbot, window, tmp_path):
    # The engine's DataColumnWarning ("Column 1 is constant") went to stderr only; the window said nothing.
    p = tmp_path / "ident.csv"
    rng = np.random.default_rng(0)
    p.write_text("a,b\n" + "".join(f"5,{v:.3f}\n" for v in np.concatenate([rng.normal(0, 1, 40),
                                                                          rng.normal(6, 1, 40)])))
    window.open_csv(p)
    window.select_columns(["a", "b"])
    window.set_options(n_components=2, random_state=0)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert window.model.column_notes_
    assert window.last_message is not None and "constant" in window.last_message[1]
