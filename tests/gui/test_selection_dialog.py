"""pytest-qt tests of the model-selection dialog (issue 7)."""

from __future__ import annotations

import csv
import math
import time

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

import emdesk.gui.selection_dialog as sd
from emdesk.engine.selection import iter_select_model as real_iter_select_model
from emdesk.gui.selection_dialog import SelectionDialog

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def data(n_per=40, seed=0):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 9.0]])
    return np.vstack([rng.normal(m, 1.0, size=(n_per, 2)) for m in means])


@pytest.fixture
def dialog(qtbot):
    dlg = SelectionDialog(data(), ["a", "b"])
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=range(1, 4), covariance_types=("full", "spherical"), n_init=1)
    dlg.show()
    yield dlg
    dlg.close()


def run_to_end(qtbot, dlg):
    with qtbot.waitSignal(dlg.sweepFinished, timeout=60_000) as blocker:
        dlg.start()
    return blocker.args[0]


@pytest.fixture
def blocking_sweep(monkeypatch):
    """A sweep that, after its first finished fit, waits until it is cancelled (deterministic)."""
    state = {"waited": False}

    def slow_iter(X, should_stop=None, **kw):
        for i, step in enumerate(real_iter_select_model(X, should_stop=should_stop, n_jobs=1, **kw)):
            yield step
            if i == 0 and not state["waited"]:  # block the first sweep only
                t0 = time.monotonic()
                while not should_stop() and time.monotonic() - t0 < 20:
                    time.sleep(0.01)
                state["waited"] = True

    monkeypatch.setattr(sd, "iter_select_model", slow_iter)
    return state


def test_sweep_runs_to_completion_and_fills_table_and_plot(qtbot, dialog):
    result = run_to_end(qtbot, dialog)
    assert result.complete and len(result.table) == 6
    assert dialog.table_model.rowCount() == 6
    assert dialog.progress.value() == 6
    assert dialog.progress.format().startswith("fit 6 of 6, elapsed")
    assert not dialog.is_running() and dialog.run_button.isEnabled() and not dialog.cancel_button.isEnabled()
    # Truth: three spherical clusters.
    assert (result.best_row.n_components, result.best_row.covariance_type) == (3, "spherical")
    assert dialog.status.text() == result.reason
    # One line per covariance type; the best marked with a star at its BIC.
    xs, ys = dialog._lines["spherical"].getData()
    assert list(xs) == [1, 2, 3]
    assert ys[2] == pytest.approx(result.best_row.bic)
    bx, by = dialog._best_marker.getData()
    assert list(bx) == [3] and by[0] == pytest.approx(result.best_row.bic)
    assert dialog._lines["tied"].getData()[0] is None or len(dialog._lines["tied"].getData()[0]) == 0
    # The best row is shown as such in the table.
    status_col = [c for c, (_, key) in enumerate(sd.COLUMNS) if key == "status"][0]
    statuses = [dialog.proxy.index(i, status_col).data() for i in range(6)]
    assert statuses.count("best") == 1
    dialog.grab().save("/tmp/emdesk_selection_dialog_test.png")


def test_table_sorts_numerically_by_criterion(qtbot, dialog):
    result = run_to_end(qtbot, dialog)
    bic_col = [c for c, (_, key) in enumerate(sd.COLUMNS) if key == "bic"][0]
    dialog.table.sortByColumn(bic_col, QtCore.Qt.SortOrder.AscendingOrder)
    shown = [float(dialog.proxy.index(i, bic_col).data()) for i in range(6)]
    assert shown == sorted(shown)
    assert shown[0] == pytest.approx(min(r.bic for r in result.table), abs=0.01)


def test_choosing_a_row_a_point_or_the_button_emits_model_chosen(qtbot, dialog):
    result = run_to_end(qtbot, dialog)
    target = result.row(2, "full")
    with qtbot.waitSignal(dialog.modelChosen, timeout=2000) as blocker:
        dialog.select_row(target)
    assert blocker.args[0] is target.model
    assert list(target.model.feature_names_in_) == ["a", "b"]
    assert dialog.selected_row() is target
    sx, sy = dialog._selected_marker.getData()
    assert list(sx) == [2] and sy[0] == pytest.approx(target.bic)

    with qtbot.waitSignal(dialog.modelChosen, timeout=2000) as blocker:
        dialog.use_button.click()
    assert blocker.args[0] is target.model

    # Clicking a point of the plot selects (and loads) that fit.
    item = dialog._ok_points["spherical"]
    spot = [p for p in item.points() if p.pos().x() == 1][0]
    with qtbot.waitSignal(dialog.modelChosen, timeout=2000) as blocker:
        item.sigClicked.emit(item, [spot], None)
    assert blocker.args[0] is result.row(1, "spherical").model


def test_export_table_to_csv(qtbot, dialog, tmp_path, monkeypatch):
    result = run_to_end(qtbot, dialog)
    target = tmp_path / "sweep"  # no suffix: the dialog adds .csv
    monkeypatch.setattr(
        QtWidgets.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "CSV files (*.csv)"))
    )
    assert dialog.export_button.isEnabled()
    dialog.export_button.click()
    path = tmp_path / "sweep.csv"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6
    assert {r["covariance_type"] for r in rows} == {"full", "spherical"}
    assert [r["best"] for r in rows].count("true") == 1
    assert "written" in dialog.status.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.csv"]


def test_changing_the_criterion_rejudges_and_relabels(qtbot, dialog):
    run_to_end(qtbot, dialog)
    dialog.set_options(criterion="aic")
    assert dialog.result().criterion == "aic"
    assert dialog.status.text().startswith("AIC prefers")
    assert "AIC" in dialog.plot.getAxis("left").labelText
    ys = dialog._lines["full"].getData()[1]
    assert ys[0] == pytest.approx(dialog.result().row(1, "full").aic)


def test_cancel_mid_sweep_keeps_the_finished_fits(qtbot, dialog, blocking_sweep):
    dialog.set_options(n_components=range(1, 6), covariance_types=("full", "tied", "diag", "spherical"))
    with qtbot.waitSignal(dialog.sweepProgress, timeout=20_000):
        dialog.start()
    assert dialog.is_running() and dialog.cancel_button.isEnabled() and not dialog.run_button.isEnabled()
    with qtbot.waitSignal(dialog.sweepFinished, timeout=20_000) as blocker:
        dialog.cancel_button.click()
    result = blocker.args[0]
    assert blocking_sweep["waited"]
    assert result.cancelled and 1 <= len(result.table) < 20
    assert "(cancelled)" in dialog.progress.format()
    assert dialog.status.text().startswith("Cancelled after")
    assert not dialog.is_running() and dialog.run_button.isEnabled()
    # It can run again afterwards.
    dialog.set_options(n_components=[1], covariance_types=("diag",))
    again = run_to_end(qtbot, dialog)
    assert again.complete


def test_closing_mid_sweep_stops_the_thread(qtbot, blocking_sweep):
    dlg = SelectionDialog(data(), ["a", "b"])
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=range(1, 6), n_init=1)
    dlg.show()
    with qtbot.waitSignal(dlg.sweepProgress, timeout=20_000):
        dlg.start()
    assert dlg.is_running()
    dlg.close()
    assert not dlg._thread.isRunning()
    assert blocking_sweep["waited"]
    assert not dlg.is_running()


def test_escape_also_stops_the_thread(qtbot, blocking_sweep):
    dlg = SelectionDialog(data(), ["a", "b"])
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=range(1, 4), n_init=1)
    dlg.show()
    with qtbot.waitSignal(dlg.sweepProgress, timeout=20_000):
        dlg.start()
    dlg.reject()  # what Esc does
    assert not dlg._thread.isRunning() and not dlg.isVisible()
    # Shown again, it works again.
    dlg.show()
    dlg.set_options(n_components=[1], covariance_types=("full",))
    with qtbot.waitSignal(dlg.sweepFinished, timeout=20_000) as blocker:
        dlg.start()
    # The new run's result, not a late signal of the cancelled one.
    assert blocker.args[0].complete and len(blocker.args[0].table) == 1
    dlg.close()


def test_bad_data_gives_a_message_not_a_traceback(qtbot):
    X = data()
    X[5, 1] = math.nan
    dlg = SelectionDialog(X, ["a", "b"])  # missing="error"
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=[1, 2], n_init=1)
    with qtbot.waitSignal(dlg._worker.failed, timeout=20_000):
        dlg.start()
    qtbot.waitUntil(lambda: not dlg.is_running(), timeout=5000)
    assert "missing" in dlg.status.text()
    assert dlg.run_button.isEnabled() and dlg.result() is None
    assert not dlg.export_button.isEnabled()
    dlg.close()


def test_no_covariance_type_ticked(qtbot, dialog):
    dialog.set_options(covariance_types=())
    assert not dialog.run_button.isEnabled()
    dialog.start()
    assert not dialog.is_running() and "Tick at least one" in dialog.status.text()


def test_degenerate_fits_are_drawn_apart_and_never_best(qtbot):
    # Tiny data with exact ties: many components collapse.
    X = np.array([[0.0, 0.0]] * 6 + [[1.0, 1.0]] * 6 + [[0.5, 3.0], [2.0, 2.5], [1.5, 0.2], [3.0, 1.0]])
    dlg = SelectionDialog(X, ["a", "b"])
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=range(1, 5), covariance_types=("full",), n_init=2)
    with qtbot.waitSignal(dlg.sweepFinished, timeout=60_000) as blocker:
        dlg.start()
    result = blocker.args[0]
    bad = [r for r in result.table if r.ok and r.degenerate]
    assert bad, "expected collapsed fits on tied data"
    assert result.best_row is None or not result.best_row.degenerate
    bx, _ = dlg._bad_points["full"].getData()
    assert sorted(bx) == sorted(r.n_components for r in bad)
    lx, _ = dlg._lines["full"].getData()
    assert not set([] if lx is None else list(lx)) & {r.n_components for r in bad}
    dlg.close()


def test_engine_options_pass_through_and_make_sweeps_reproducible(qtbot):
    tables = []
    for _ in range(2):
        dlg = SelectionDialog(data(), ["a", "b"], engine_options={"random_state": 7, "max_iter": 50, "n_init": 99})
        qtbot.addWidget(dlg)
        dlg.set_options(n_components=[1, 2, 3], covariance_types=("diag",), n_init=2)
        opts = dlg.options()
        assert opts["random_state"] == 7 and opts["max_iter"] == 50 and opts["n_init"] == 2  # n_init: the dialog's
        result = run_to_end(qtbot, dlg)
        tables.append([r.bic for r in result.table])
        assert all(r.model.max_iter == 50 for r in result.table)
        dlg.close()
    assert tables[0] == tables[1]


def test_one_column_data(qtbot):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, 150), rng.normal(6, 0.5, 100)])
    dlg = SelectionDialog(X, ["t"], engine_options={"random_state": 0})
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=[1, 2, 3], covariance_types=("full", "spherical"), n_init=1)
    result = run_to_end(qtbot, dlg)
    assert result.best_row.n_components == 2
    assert "same model" in dlg.status.text()
    dlg.close()


def test_missing_option_comes_from_the_main_window_options(qtbot):
    X = data()
    X[5, 1] = math.nan
    dlg = SelectionDialog(X, ["a", "b"], engine_options={"missing": "marginalize", "random_state": 0})
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=[1, 2, 3], covariance_types=("diag",), n_init=1)
    assert dlg.options()["missing"] == "marginalize"
    result = run_to_end(qtbot, dlg)
    assert result.complete and all(r.ok for r in result.table)
    dlg.close()


def test_closing_while_a_fit_cannot_be_interrupted_waits_instead_of_crashing(qtbot, monkeypatch):
    # The sweep reads its stop flag between EM iterations, not inside an initialisation; a QThread
    # destroyed while running aborts the process, so closing must wait for that step to end.
    started = []

    def uninterruptible(X, should_stop=None, **kw):
        started.append(True)
        time.sleep(0.6)  # e.g. k-means on a large file
        yield from real_iter_select_model(X, should_stop=should_stop, n_jobs=1, **kw)

    monkeypatch.setattr(sd, "iter_select_model", uninterruptible)
    dlg = SelectionDialog(data(), ["a", "b"])
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=range(1, 3), covariance_types=("full",), n_init=1)
    dlg.show()
    dlg.start()
    qtbot.waitUntil(lambda: bool(started), timeout=20_000)
    assert dlg.shutdown(timeout_ms=50)
    assert not dlg._thread.isRunning() and not dlg.isVisible()


def test_cancel_reaches_the_worker_processes(qtbot):
    # The real sweep (worker processes, issue 16) with fits far longer than any test: Cancel ends it
    # within an EM iteration, in this process and in the workers, and the dialog can run again.
    import os

    from emdesk.engine import _workers

    X = np.random.default_rng(0).normal(size=(20_000, 3))
    dlg = SelectionDialog(X, ["a", "b", "c"], engine_options={"tol": 1e-12, "max_iter": 5000})
    qtbot.addWidget(dlg)
    assert _workers.n_workers() >= 1 or (os.cpu_count() or 1) == 1  # started when the dialog opened
    dlg.set_options(n_components=range(10, 16), covariance_types=("full", "diag"), n_init=50)
    dlg.show()
    dlg.start()
    qtbot.wait(1500)
    assert dlg.is_running()
    dlg.cancel_button.click()
    qtbot.waitUntil(lambda: not dlg.is_running(), timeout=60_000)  # a hang guard, not a timing
    assert dlg.status.text() == "Cancelled before any fit finished."
    assert dlg.result() is None
    assert _workers.start(1)[0].result(timeout=60) > 0  # the worker is free again
    dlg.set_options(n_components=[1, 2], covariance_types=("diag",), n_init=1)
    dlg._engine_options = {}
    again = run_to_end(qtbot, dlg)
    assert again.complete
    dlg.close()
