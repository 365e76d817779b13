"""pytest-qt tests of the model-selection dialog (issues 7, 11, 13, 14, 15)."""

from __future__ import annotations

import csv
import math
import time

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

import emdesk.gui.selection_dialog as sd
import emdesk.gui.selection_dialog_worker as sd_worker
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

    monkeypatch.setattr(sd_worker, "iter_select_model", slow_iter)
    return state


def test_sweep_runs_to_completion_and_fills_table_and_plot(qtbot, dialog):
    result = run_to_end(qtbot, dialog)
    assert result.complete and len(result.table) == 6
    assert dialog.table_model.rowCount() == 6
    assert dialog.progress.value() == 6
    assert dialog.progress.format().startswith("fit 6 of 6, elapsed")
    assert not dialog.is_running() and dialog.run_button.isEnabled() and not dialog.cancel_button.isEnabled()
    # Truth: three spherical clusters.
    assert (result.best_row.n_components, result.best_row.covariance_type) == (3, "VII")
    # The engine's reason, with mclust's name of the best model.
    assert dialog.status.text() == result.reason.replace("3 components, VII", "VII,3")
    # One line per covariance type; the best marked with a star at its BIC.
    xs, ys = dialog._lines["VII"].getData()
    assert list(xs) == [1, 2, 3]
    assert ys[2] == pytest.approx(result.best_row.bic)
    bx, by = dialog._best_marker.getData()
    assert list(bx) == [3] and by[0] == pytest.approx(result.best_row.bic)
    assert "EEE" not in dialog._lines or dialog._lines["EEE"].getData()[0] is None \
        or len(dialog._lines["EEE"].getData()[0]) == 0
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


def test_a_row_or_point_is_previewed_and_the_button_uses_it(qtbot, dialog):
    result = run_to_end(qtbot, dialog)
    chosen = []
    dialog.modelChosen.connect(chosen.append)
    target = result.row(2, "VVV")
    dialog.select_row(target)  # a preview: the window's model is not replaced
    assert dialog.selected_row() is target and chosen == []
    sx, sy = dialog._selected_marker.getData()
    assert list(sx) == [2] and sy[0] == pytest.approx(target.bic)

    with qtbot.waitSignal(dialog.modelChosen, timeout=2000) as blocker:
        dialog.use_button.click()
    assert blocker.args[0] is target.model
    assert list(target.model.feature_names_in_) == ["a", "b"]

    # Clicking a point of the plot selects that fit; a double click on a row uses it.
    item = dialog._ok_points["VII"]
    spot = [p for p in item.points() if p.pos().x() == 1][0]
    item.sigClicked.emit(item, [spot], None)
    assert dialog.selected_row() is result.row(1, "VII")
    with qtbot.waitSignal(dialog.modelChosen, timeout=2000) as blocker:
        dialog.table.doubleClicked.emit(dialog.table.currentIndex())
    assert blocker.args[0] is result.row(1, "VII").model


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
    assert {r["covariance_type"] for r in rows} == {"VVV", "VII"}
    assert [r["best"] for r in rows].count("true") == 1
    assert "written" in dialog.status.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.csv"]


def test_changing_the_criterion_rejudges_and_relabels(qtbot, dialog):
    run_to_end(qtbot, dialog)
    dialog.set_options(criterion="aic")
    assert dialog.result().criterion == "aic"
    assert dialog.status.text().startswith("AIC prefers")
    assert "by AIC" in dialog.top_label.text()
    assert "AIC" in dialog.plot.getAxis("left").labelText
    ys = dialog._lines["VVV"].getData()[1]
    assert ys[0] == pytest.approx(dialog.result().row(1, "VVV").aic)


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
    # The group boxes tick and clear their models.
    group = dialog.group_boxes["Ellipsoidal"]
    group.click()
    assert all(dialog.type_boxes[k].isChecked() for k in dialog._group_members["Ellipsoidal"])
    assert dialog.run_button.isEnabled()


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
    bx, _ = dlg._bad_points["VVV"].getData()
    assert sorted(bx) == sorted(r.n_components for r in bad)
    lx, _ = dlg._lines["VVV"].getData()
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
    # In one dimension the models are mclust's E and V: full and spherical are both V, fitted once.
    assert dlg.options()["covariance_types"] == ("V",) and len(result.table) == 3
    assert set(dlg._type_names.values()) <= {"E", "V"} and dlg._type_names
    assert dlg.row_name(result.best_row) in ("V,2", "E,2")
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

    monkeypatch.setattr(sd_worker, "iter_select_model", uninterruptible)
    dlg = SelectionDialog(data(), ["a", "b"])
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=range(1, 3), covariance_types=("full",), n_init=1)
    dlg.show()
    dlg.start()
    qtbot.waitUntil(lambda: bool(started), timeout=20_000)
    assert dlg.shutdown(timeout_ms=50)
    assert not dlg._thread.isRunning() and not dlg.isVisible()


# ------------------------------------------------------------------ issue 15: before and after a sweep
def test_before_a_run_instructions_replace_the_empty_plot(qtbot, dialog):
    # No empty plot with placeholder axes: a short instruction until the first fit arrives.
    assert dialog.plot_stack.currentWidget() is dialog.placeholder
    assert "Run sweep" in dialog.placeholder.text()
    assert not dialog.top_label.isVisible()
    run_to_end(qtbot, dialog)
    assert dialog.plot_stack.currentWidget() is dialog.plot_area


def test_after_the_sweep_the_best_row_is_selected_shown_and_usable(qtbot):
    dlg = SelectionDialog(data(), ["a", "b"], engine_options={"random_state": 0})
    qtbot.addWidget(dlg)
    dlg.resize(900, 600)
    dlg.set_options(n_components=range(1, 8), covariance_types=("full", "tied", "diag", "spherical"), n_init=1)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.table.sortByColumn(0, QtCore.Qt.SortOrder.DescendingOrder)  # the best row far from the top
    result = run_to_end(qtbot, dlg)
    best = result.best_row
    assert dlg.selected_row() is best
    assert dlg.use_button.isEnabled()
    # scrolled into view
    idx = dlg.proxy.mapFromSource(dlg.table_model.index(dlg.table_model.position_of(best), 0))
    rect = dlg.table.visualRect(idx)
    assert rect.isValid() and dlg.table.viewport().rect().contains(rect.center())
    dlg.close()


def test_the_top_three_models_are_stated(qtbot, dialog):
    result = run_to_end(qtbot, dialog)
    ranked = sorted((r for r in result.table if r.eligible), key=lambda r: r.bic)[:3]
    assert dialog.top_models() == ranked
    text = dialog.top_label.text()
    assert dialog.top_label.isVisible() and text.startswith("Top 3 models by BIC")
    names = [dialog.row_name(r) for r in ranked]
    assert names[0] == "VII,3"  # mclust's name
    positions = [text.index(n) for n in names]
    assert positions == sorted(positions)
    assert f"+{ranked[1].bic - ranked[0].bic:,.2f}" in text


def test_columns_fit_their_contents_and_status_stays_narrow(qtbot):
    X = np.array([[0.0, 0.0]] * 6 + [[1.0, 1.0]] * 6 + [[0.5, 3.0], [2.0, 2.5], [1.5, 0.2], [3.0, 1.0]])
    dlg = SelectionDialog(X, ["a", "b"])  # degenerate fits among them (their status is the longest)
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=range(1, 5), covariance_types=("full", "spherical"), n_init=1)
    dlg.show()
    run_to_end(qtbot, dlg)
    header = dlg.table.horizontalHeader()
    assert not header.stretchLastSection()
    for c in range(len(sd.COLUMNS)):
        assert header.sectionSize(c) >= header.sectionSizeHint(c), sd.COLUMNS[c]
        assert header.sectionSize(c) >= dlg.table.sizeHintForColumn(c), sd.COLUMNS[c]
    status = [c for c, (_, key) in enumerate(sd.COLUMNS) if key == "status"][0]
    bic = [c for c, (_, key) in enumerate(sd.COLUMNS) if key == "bic"][0]
    assert header.sectionSize(status) <= 1.5 * max(header.sectionSize(bic), header.sectionSizeHint(status))
    # the reasons are in the tooltip
    bad = [i for i in range(dlg.proxy.rowCount()) if dlg.proxy.index(i, status).data() == "degenerate"]
    assert bad and "never chosen" in dlg.proxy.index(bad[0], status).data(QtCore.Qt.ItemDataRole.ToolTipRole)
    dlg.close()


def _y_range(dlg):
    return dlg.plot.getViewBox().viewRange()[1]


def test_y_range_focuses_on_the_competitive_models_and_all_stay_reachable(qtbot, dialog):
    result = run_to_end(qtbot, dialog)
    crit = [r.bic for r in result.table if r.ok]
    top = dialog.top_models(3)
    lo, hi = _y_range(dialog)
    assert all(lo <= r.bic <= hi for r in top)
    assert max(crit) > hi  # the one-component fits are far worse: outside the focus
    assert hi - lo < 0.5 * (max(crit) - min(crit))
    assert (lo, hi) == pytest.approx(dialog.focus_range())
    # Unticking the focus (or the plot's auto-range) shows every line.
    dialog.focus_box.setChecked(False)
    qtbot.waitUntil(lambda: _y_range(dialog)[1] >= max(crit) and _y_range(dialog)[0] <= min(crit), timeout=5000)
    dialog.focus_box.setChecked(True)
    assert _y_range(dialog) == pytest.approx(list(dialog.focus_range()))


# ------------------------------------------------------------------ issue 11: mclust's models and symbols
def test_models_are_offered_in_mclusts_three_groups_with_its_symbols(qtbot, dialog):
    from emdesk.engine.covariance_models import MODEL_GROUPS
    from emdesk.gui.views import selection_models as SM

    from emdesk.engine.covariance_models import MODEL_NAMES

    offered = dialog._type_names  # engine covariance type -> mclust name
    assert set(offered.values()) == set(MODEL_NAMES)  # the engine fits all 14
    assert [offered[k] for k in dialog._group_members["Spherical"]] == ["EII", "VII"]
    for group, members in dialog._group_members.items():
        names = {offered[k] for k in members}
        assert names <= set(MODEL_GROUPS[group.lower()])
    run_to_end(qtbot, dialog)  # full and spherical
    for key, name in (("VVV", "VVV"), ("VII", "VII")):
        line = dialog._lines[key]
        assert line.opts["symbolPen"].color().name().lower() == SM.MCLUST_COLORS[name].lower()
        assert line.opts["symbol"] is SM.symbol(SM.MCLUST_SYMBOLS[name])
    assert SM.MCLUST_SYMBOLS["VVV"] == 0 and not SM.filled(0)  # open square, as plot(mclustBIC)
    assert SM.MCLUST_SYMBOLS["EEE"] == 15 and SM.filled(15)
    labels = [label.text for _, label in dialog.legend.items]
    assert labels[:2] == ["VII", "VVV"] and labels[-1] == "best"  # in mclust's order


def test_all_14_symbols_are_distinct_paths():
    from emdesk.gui.views import selection_models as SM

    pchs = {SM.MCLUST_SYMBOLS[m] for m in ("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE",
                                           "EEV", "VEV", "EVV", "VVV")}
    assert len(pchs) == 14
    shapes = {(SM.filled(p), SM.symbol(p).elementCount(), round(SM.symbol(p).boundingRect().width(), 2))
              for p in pchs}
    assert len(shapes) >= 12  # the rest differ by what is drawn inside (same element count and size)
    assert len({SM.MCLUST_COLORS[m] for m in ("EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE",
                                              "EEV", "VEV", "EVV", "VVV")}) == 12


# ------------------------------------------------------------------ issue 13: families in one sweep
def heavy_tailed(seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.standard_t(2.5, size=(120, 2)), rng.standard_t(2.5, size=(120, 2)) + [8, 0]])


def test_families_are_compared_in_one_table_and_plot(qtbot):
    dlg = SelectionDialog(heavy_tailed(), ["a", "b"], engine_options={"random_state": 0})
    qtbot.addWidget(dlg)
    assert set(dlg.family_boxes) == {"gaussian", "student_t"}  # no Poisson: these are not counts
    dlg.set_options(n_components=[1, 2, 3], covariance_types=("full",), n_init=1,
                    families=("gaussian", "student_t"))
    assert dlg.options()["families"] == ("gaussian", "student_t")
    result = run_to_end(qtbot, dlg)
    fams = {getattr(r, "family", None) for r in result.table}
    assert fams == {"gaussian", "student_t"} and len(result.table) == 6
    assert set(dlg._lines) >= {"VVV", "student_t:full"}
    assert "t VVV" in [label.text for _, label in dlg.legend.items]
    model_col = [c for c, (_, key) in enumerate(sd.COLUMNS) if key == "covariance_type"][0]
    shown = {dlg.proxy.index(i, model_col).data() for i in range(dlg.proxy.rowCount())}
    assert shown == {"VVV", "t VVV"}
    # Heavy tails: the Student-t mixture wins, and "Use this model" hands over a StudentTMixture.
    from emdesk.engine import StudentTMixture

    assert result.best_row.family == "student_t"
    with qtbot.waitSignal(dlg.modelChosen, timeout=2000) as blocker:
        dlg.use_button.click()
    assert isinstance(blocker.args[0], StudentTMixture) and blocker.args[0].n_components == 2
    dlg.close()


def test_counts_offer_poisson_and_one_kind_of_likelihood_at_a_time(qtbot):
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.poisson(2.0, 150), rng.poisson(12.0, 100)]).astype(float)[:, None]
    dlg = SelectionDialog(X, ["n"], engine_options={"random_state": 0}, family="poisson")
    qtbot.addWidget(dlg)
    assert set(dlg.family_boxes) == {"gaussian", "student_t", "poisson"}
    assert dlg.families() == ("poisson",)
    assert not any(b.isEnabled() for b in dlg.type_boxes.values())  # no covariance models for Poisson
    dlg.family_boxes["gaussian"].setChecked(True)  # a density and a probability are not comparable
    assert dlg.families() == ("gaussian",)
    dlg.family_boxes["poisson"].setChecked(True)
    assert dlg.families() == ("poisson",)
    dlg.set_options(n_components=[1, 2, 3], n_init=2)
    result = run_to_end(qtbot, dlg)
    assert [r.covariance_type for r in result.table] == ["poisson"] * 3
    assert result.best_row.n_components == 2
    assert dlg.row_name(result.best_row) == "Poisson,2"
    dlg.close()


# ------------------------------------------------------------------ issue 14: the LRT in the dialog
def test_likelihood_ratio_test_of_the_selected_model_runs_in_the_background(qtbot, dialog):
    result = run_to_end(qtbot, dialog)
    assert dialog.lrt is not None and dialog.lrt.isEnabled()
    best = result.best_row
    assert dialog.lrt.cov_box.currentText() == best.covariance_type
    assert dialog.lrt.max_spin.value() == best.n_components
    assert "VII" in dialog.lrt_label.text()
    # another row: the test follows it
    other = result.row(2, "VVV")
    dialog.select_row(other)
    assert dialog.lrt.cov_box.currentText() == "VVV" and dialog.lrt.max_spin.value() == 2
    with qtbot.waitSignal(dialog.lrtFinished, timeout=120_000) as blocker:
        dialog.run_lrt(max_components=1, n_boot=19, random_state=0)
        assert dialog.lrt.is_running() and dialog.lrt.stop_button.isEnabled()
        assert dialog.tabs.currentIndex() == 1
    res = blocker.args[0]
    assert res.covariance_type == "VVV" and res.rows[0].n_components == 1
    assert res.rows[0].p_value == pytest.approx(1 / 20)  # 1 vs 2 on three far-apart clusters
    # Stop: a long test ends early with a partial result
    with qtbot.waitSignal(dialog.lrtFinished, timeout=120_000) as blocker:
        dialog.run_lrt(max_components=3, n_boot=999, random_state=1)
        qtbot.wait(50)
        dialog.lrt.stop_button.click()
    assert blocker.args[0].cancelled


def test_lrt_is_not_offered_for_another_family(qtbot):
    dlg = SelectionDialog(heavy_tailed(), ["a", "b"], engine_options={"random_state": 0})
    qtbot.addWidget(dlg)
    dlg.set_options(n_components=[1, 2], covariance_types=("full",), n_init=1, families=("student_t",))
    run_to_end(qtbot, dlg)
    assert not dlg.lrt.isEnabled() and "Gaussian" in dlg.lrt_label.text()
    with pytest.raises(ValueError):
        dlg.run_lrt(n_boot=19)
    dlg.close()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_dialog_fits_the_screen_sizes(qtbot, size):
    dlg = SelectionDialog(data(), ["a", "b"])
    qtbot.addWidget(dlg)
    w, h = size
    dlg.resize(min(1120, int(w * 0.92)), min(820, int(h * 0.9)))
    dlg.show()
    qtbot.waitExposed(dlg)
    assert dlg.minimumSizeHint().height() <= int(h * 0.9) and dlg.minimumSizeHint().width() <= int(w * 0.92)
    assert dlg.plot_stack.height() >= 150 and dlg.table.height() >= 120
    dlg.close()


def test_an_hmm_sweep_keeps_its_own_type_names(qtbot):
    dlg = SelectionDialog(data(), ["a", "b"], sweep=real_iter_select_model, types=("full", "diag"))
    qtbot.addWidget(dlg)
    assert list(dlg.type_boxes) == ["full", "diag"] and not dlg.family_boxes and dlg.lrt is None
    assert dlg.line_label("full") == "full"
    dlg.set_options(n_components=[1, 2], n_init=1)
    run_to_end(qtbot, dlg)
    assert [label.text for _, label in dlg.legend.items][:2] == ["full", "diag"]
    assert dlg.row_name(dlg.result().best_row).split(",")[0] in ("full", "diag")
    dlg.close()


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
