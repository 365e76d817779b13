"""Big data through the window (issue 16): work over every row runs off the GUI thread.

At 1,000,000 rows the Results summary (3 s for a Gaussian mixture, 50 s for a Student-t mixture), the exports
(an assignments CSV 20-35 s) and the Student-t outlier list (0.4-3 s per frame) ran on the GUI thread and the
window froze. These tests lower the row count from which the window works in the background
(``emdesk.gui.background.BIG_ROWS``) and hold the background job on an event the test controls: the GUI's event
loop must keep turning while the job waits (it did not turn at all before: the job ran in the GUI thread)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6 import QtCore

import emdesk.gui.background as background

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


class Ticks(QtCore.QObject):
    """Counts the GUI thread's timer ticks (its event loop turning)."""

    def __init__(self):
        super().__init__()
        self.n = 0
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self):
        self.n += 1


def held(fn, gate: threading.Event, seen: dict, ticks: Ticks):
    """``fn`` that first waits for ``gate`` and records how often the GUI ticked meanwhile."""

    def run(*args, **kwargs):
        start = ticks.n
        seen["thread"] = threading.current_thread() is threading.main_thread()
        gate.wait(10)
        seen["ticks_while_held"] = ticks.n - start
        return fn(*args, **kwargs)

    return run


def test_jobs_run_in_a_thread_and_a_newer_job_of_the_same_key_wins(qtbot):
    jobs = background.BackgroundJobs()
    got = []
    gate = threading.Event()
    jobs.submit(lambda: gate.wait(10) and "old", got.append, key="k")
    newer = jobs.submit(lambda: "new", got.append, key="k")
    assert jobs.busy("k")
    gate.set()
    assert jobs.wait(newer) == "new"
    qtbot.waitUntil(lambda: not jobs.busy("k"), timeout=10_000)
    assert got == ["new"]  # the superseded job's result is dropped
    failing = jobs.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        jobs.wait(failing)
    inline = []
    jobs.submit(lambda: 7, inline.append, inline=True)
    assert inline == [7]  # small data: at once, before submit returns


def test_the_results_summary_of_big_data_is_computed_while_the_window_turns(qtbot, window, two_clusters,
                                                                            monkeypatch):
    import importlib

    summary_module = importlib.import_module("emdesk.engine.summary")  # (emdesk.engine.summary is the function)
    monkeypatch.setattr(background, "BIG_ROWS", 100)
    ticks, gate, seen = Ticks(), threading.Event(), {}
    monkeypatch.setattr(summary_module, "summary", held(summary_module.summary, gate, seen, ticks))
    window.open_csv(two_clusters)
    window.set_options(n_components=2, random_state=0)
    ticks.timer.start()
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    panel = window.results.panel
    assert "Computing the results over 300 rows" in panel.title.text()
    assert window.results.summary_pending()
    qtbot.wait(100)  # the event loop turns while the summary waits for the gate
    gate.set()
    qtbot.waitUntil(lambda: not window.results.summary_pending(), timeout=30_000)
    ticks.timer.stop()
    assert seen["thread"] is False and seen["ticks_while_held"] > 0
    assert "Gaussian mixture" in panel.title.text() and "n = 300" in panel.title.text()
    assert panel.copy_text_button.isEnabled()


def test_a_big_export_runs_in_the_background_and_the_script_gets_the_file(qtbot, window, two_clusters,
                                                                          monkeypatch, tmp_path):
    import emdesk.io as io

    monkeypatch.setattr(background, "BIG_ROWS", 100)
    window.open_csv(two_clusters)
    window.set_options(n_components=2, random_state=0)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    qtbot.waitUntil(lambda: not window.results.summary_pending(), timeout=30_000)
    ticks, gate, seen = Ticks(), threading.Event(), {}
    monkeypatch.setattr(io, "save_assignments_csv", held(io.save_assignments_csv, gate, seen, ticks))
    ticks.timer.start()
    QtCore.QTimer.singleShot(150, gate.set)  # opens the gate from the GUI thread's event loop
    out = tmp_path / "assign.csv"
    window.export_fit(out, "assignments")  # returns once written, as for small data
    ticks.timer.stop()
    assert out.is_file() and len(out.read_text().splitlines()) == 301
    assert seen["thread"] is False and seen["ticks_while_held"] > 0

    # the menu's path: the status bar says what is written; Export is disabled until it is done
    gate2, seen2 = threading.Event(), {}
    monkeypatch.setattr(io, "save_fit", held(io.save_fit, gate2, seen2, ticks))
    done = []
    window.exporter.write(lambda: window.session.export_fit(tmp_path / "fit.json", "json"),
                          done.append, pytest.fail, "the fit as JSON")
    assert "in the background" in window.status_state.text() and not window.act_export.isEnabled()
    gate2.set()
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    assert (tmp_path / "fit.json").is_file() and window.act_export.isEnabled()

    # an error in the background is the message, as before
    with pytest.raises(ValueError, match="Cannot write a.csv"):
        window.export_fit(tmp_path / "no" / "such" / "folder" / "a.csv", "assignments")


def test_student_t_outliers_of_big_data_name_their_own_rows(qtbot, window, tmp_path, monkeypatch):
    """When the plot draws a subset (beyond 50,000 rows) the outlier list is taken from the rows drawn (every row
    of 1,000,000 each frame stalled the window) and names their own rows; beyond 200,000 rows it named the drawn
    row's index as a row of the data (another row, other values) before."""
    from emdesk.gui.views.families import FamilyViews

    monkeypatch.setattr(FamilyViews, "ALL_ROWS_LIMIT", 1_000, raising=False)
    rng = np.random.default_rng(1)
    n = 60_000  # more than the 50,000 rows drawn
    X = np.r_[rng.normal(0, 1, (n // 2, 2)), rng.normal(7, 1, (n - n // 2, 2))]
    planted = rng.choice(n, 40, replace=False)
    X[planted] = rng.choice([-1, 1], (40, 2)) * rng.uniform(40, 60, (40, 2))
    p = tmp_path / "t.csv"
    np.savetxt(p, X, delimiter=",", header="x,y", comments="", fmt="%.5f")
    window.open_csv(p)
    window.set_model_kind("mixture", "student_t")
    window.select_columns(["x", "y"])
    window.set_options(n_components=2, random_state=0, max_iter=5)
    with qtbot.waitSignal(window.fitFinished, timeout=120_000):
        window.start_fit()
    listed = window.views.outlier_rows()
    assert len(listed) == 10
    for line in listed:
        row = int(line.split(":")[0].split()[1]) - 1  # the file's row (header excluded), 0-based
        assert row in set(planted.tolist()), line
        x_text = line.split("(")[1].split(",")[0].split()[1]
        assert float(x_text) == pytest.approx(X[row, 0], rel=1e-3)
    assert "Among the 50,000 rows drawn" in window.views.outlier_list.toolTip()


class _Sentinel:
    """Records the thread its last reference was dropped in (a Qt wrapper freed there would crash)."""

    freed_in: list = []

    def __del__(self):
        _Sentinel.freed_in.append(threading.current_thread().name)


@pytest.mark.parametrize("fails", [False, True])
def test_a_job_drops_what_its_callables_hold_in_the_gui_thread(qtbot, fails):
    """The job's callables capture the window's QObjects (the export's lambda holds its controller): the
    worker thread dropped the job's function (``fn = None`` after running it), so a closure whose captured
    object had no other reference was freed there. Now only the GUI thread drops them."""
    import gc

    jobs = background.BackgroundJobs()
    _Sentinel.freed_in = []
    delivered = []
    gate = threading.Event()

    def make():
        held, held_cb = _Sentinel(), _Sentinel()

        def fn():
            gate.wait(10)  # the caller has dropped its references by now
            if fails:
                raise ValueError(f"no {held is None}")
            return held is not None

        return fn, lambda value: delivered.append((held_cb is not None, str(value)))

    fn, cb = make()
    jobs.submit(fn, cb, cb, key="sentinel")
    del fn, cb
    gate.set()
    qtbot.waitUntil(lambda: bool(delivered), timeout=10_000)
    for t in threading.enumerate():
        if t.name.startswith("emdesk-job-sentinel"):
            t.join(10)
    qtbot.wait(50)
    gc.collect()
    assert delivered == [(True, "no False" if fails else "True")]
    assert _Sentinel.freed_in == [threading.main_thread().name] * 2
