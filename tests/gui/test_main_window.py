"""The window through its scripting surface: open, fit, export, pause/step/stop, errors, close mid-fit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from emdesk.gui import worker as worker_mod
from emdesk.gui.main_window import EXAMPLES, example_path

FIT_TIMEOUT = 60_000


def _fit(qtbot, window, **options):
    window.set_options(**options)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()


def test_open_fit_export_and_read_back(qtbot, window, csv_2d, tmp_path):
    from emdesk.io import load_fit

    window.open_csv(csv_2d)
    assert window.table.n_rows == 300
    assert window.data_panel.selected_columns() == ["a", "b"]
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=200)

    hist = window.history
    assert hist[0].iteration == 0 and hist[-1].final
    # every iteration reaches the timeline, even though the emitter throttles
    assert [s.iteration for s in hist] == list(range(len(hist)))
    model = window.model
    assert model.converged_
    np.testing.assert_allclose(np.sort(model.means_[:, 0]), [0, 4], atol=0.3)

    out = tmp_path / "fit.json"
    window.export_fit(out)
    doc = json.loads(out.read_text())
    assert isinstance(doc, dict)
    back = load_fit(out)
    np.testing.assert_allclose(back.means_, model.means_, rtol=1e-9)
    np.testing.assert_allclose(back.weights_, model.weights_, rtol=1e-9)
    assert list(back.feature_names_in_) == ["a", "b"]

    params = tmp_path / "params.csv"
    window.export_fit(params, "parameters")
    assert params.read_text().strip()
    assign = tmp_path / "assign.csv"
    window.export_fit(assign, "assignments")
    assert len(assign.read_text().strip().splitlines()) == 301


def test_export_before_any_fit_is_refused(window, csv_2d, tmp_path):
    window.open_csv(csv_2d)
    with pytest.raises(ValueError, match="run a fit"):
        window.export_fit(tmp_path / "x.json")
    assert not window.act_export.isEnabled()


def test_bad_csv_shows_message_and_keeps_previous_data(window, csv_2d, tmp_path):
    from emdesk.io import DataError

    window.open_csv(csv_2d)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n")  # a row with too many fields
    with pytest.raises(DataError):
        window.open_csv(bad)
    assert window.table.path is not None and str(window.table.path).endswith("two.csv")
    assert window.data_panel.selected_columns() == ["a", "b"]
    level, text = window.last_message
    assert level == "error" and "bad.csv" in text
    assert window.message_bar.isVisible()
    text_only = tmp_path / "text.csv"
    text_only.write_text("name,comment\nfoo,bar\n")
    with pytest.raises(DataError, match="no numeric columns"):
        window.open_csv(text_only)
    assert str(window.table.path).endswith("two.csv")
    missing = tmp_path / "nope.csv"
    with pytest.raises(DataError):
        window.open_csv(missing)
    assert str(window.table.path).endswith("two.csv")


def test_text_columns_are_shown_but_not_selectable(window, csv_2d):
    window.open_csv(csv_2d)
    panel = window.data_panel
    assert panel.columns.rowCount() == 3
    label_item = panel.columns.item(2, 0)
    assert label_item.text() == "label"
    assert not (label_item.flags() & QtCore.Qt.ItemFlag.ItemIsUserCheckable)
    with pytest.raises(ValueError, match="label"):
        window.select_columns(["a", "label"])
    with pytest.raises(ValueError, match="zzz"):
        window.select_columns(["zzz"])


def test_pause_step_resume_stop(qtbot, window):
    window.open_csv(example_path())
    window.set_options(n_components=4, tol=0.0, max_iter=100000, random_state=1)
    window.step_fit()  # from idle: starts paused, shows the initial state
    qtbot.waitUntil(lambda: len(window.history) == 1, timeout=FIT_TIMEOUT)
    assert window.is_paused() and window.history[0].iteration == 0
    window.step_fit()
    qtbot.waitUntil(lambda: len(window.history) == 2, timeout=FIT_TIMEOUT)
    window.step_fit()
    qtbot.waitUntil(lambda: len(window.history) == 3, timeout=FIT_TIMEOUT)
    qtbot.wait(300)
    assert len(window.history) == 3  # paused means paused
    assert window.status_iter.text().startswith("iteration 2")
    window.resume_fit()
    qtbot.waitUntil(lambda: len(window.history) > 20, timeout=FIT_TIMEOUT)
    with qtbot.waitSignal(window.fitStopped, timeout=FIT_TIMEOUT):
        window.stop_fit()
    assert not window.is_fitting()
    last = window.history[-1]
    np.testing.assert_allclose(window.model.means_, last.means)
    assert window.act_export.isEnabled()


def test_pause_then_stop_while_paused(qtbot, window, tmp_path):
    window.open_csv(example_path())
    window.set_options(n_components=3, tol=0.0, max_iter=100000, random_state=0)
    window.start_fit()
    qtbot.waitUntil(lambda: len(window.history) > 3, timeout=FIT_TIMEOUT)
    window.pause_fit()
    assert window.is_paused()
    with qtbot.waitSignal(window.fitStopped, timeout=FIT_TIMEOUT):
        window.stop_fit()
    out = tmp_path / "stopped.json"
    window.export_fit(out)  # the stopped state is exportable
    assert out.stat().st_size > 0


def test_close_window_mid_fit_stops_threads(qtbot, settings):
    from emdesk.gui.main_window import MainWindow

    w = MainWindow(settings=settings)
    w.show()
    w.open_csv(example_path())
    w.set_options(n_components=5, tol=0.0, max_iter=100000)
    w.start_fit()
    qtbot.waitUntil(lambda: len(w.history) > 5, timeout=FIT_TIMEOUT)
    assert w.is_fitting()
    assert len(worker_mod.running_threads()) == 2
    w.close()
    assert worker_mod.running_threads() == []
    w.deleteLater()


def test_engine_error_reaches_the_user_as_a_message(qtbot, window, tmp_path):
    p = tmp_path / "tiny.csv"
    p.write_text("v\n1\n2\n3\n")
    window.open_csv(p)
    window.set_options(n_components=10)
    with qtbot.waitSignal(window.fitFailed, timeout=FIT_TIMEOUT) as blocker:
        window.start_fit()
    message = blocker.args[0]
    assert message and "Traceback" not in message
    level, text = window.last_message
    assert level == "error" and message in text
    assert not window.is_fitting()


def test_bad_option_is_rejected_with_a_message(window):
    with pytest.raises(ValueError, match="n_components"):
        window.set_options(n_components=0)
    with pytest.raises(ValueError, match="covariance_type"):
        window.set_options(covariance_type="round")
    with pytest.raises(ValueError, match="Unknown"):
        window.set_options(n_clusters=3)


def test_timeline_replays_iterations(qtbot, window):
    window.open_csv(example_path())
    _fit(qtbot, window, n_components=3, random_state=2, max_iter=300, tol=1e-6)
    hist = window.history
    assert len(hist) > 5
    window.timeline.set_index(0)
    qtbot.waitUntil(lambda: window._shown_index == 0)
    assert window.status_iter.text() == "iteration 0"
    legend_text = window.plot_2d.legend.items[0][1].text
    assert f"{float(hist[0].weights[0]):.3f}" in legend_text
    dot_x, dot_y = window.trace.marker_dot.getData()
    assert dot_x[0] == 0 and dot_y[0] == pytest.approx(hist[0].lower_bound)
    assert not window.timeline.following
    window.timeline.follow_latest()
    qtbot.waitUntil(lambda: window._shown_index == len(hist) - 1)


def test_restarts_all_on_the_timeline_and_best_is_shown(qtbot, window):
    window.open_csv(example_path())
    _fit(qtbot, window, n_components=3, n_init=3, random_state=5, init_params="random", max_iter=100)
    restarts = {s.restart for s in window.history}
    assert restarts == {0, 1, 2}
    shown = window.history[window._shown_index]
    assert shown.final and shown.restart == window.model.best_restart_


def test_one_column_uses_the_density_plot(qtbot, window):
    window.open_csv(example_path(EXAMPLES[1][1]))
    assert window.plot_stack.currentWidget() is window.plot_1d
    _fit(qtbot, window, n_components=2, random_state=0)
    visible = [c for c in window.plot_1d._curves if c.isVisible()]
    assert len(visible) == 2
    x, y = window.plot_1d.mixture.getData()
    assert np.all(y >= 0) and y.max() > 0
    # the mixture density integrates to ~1 over the plotted range
    assert float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x))) == pytest.approx(1.0, abs=0.05)


def test_changing_columns_switches_views(window, csv_2d):
    window.open_csv(csv_2d)
    assert window.plot_stack.currentWidget() is window.plot_2d
    window.select_columns(["b"])
    assert window.plot_stack.currentWidget() is window.plot_1d
    window.select_columns([])
    assert window.plot_stack.currentWidget() is window.empty_label
    assert not window.act_run.isEnabled()


def test_cancel_a_background_load(qtbot, window, csv_2d, monkeypatch):
    import emdesk.io as io_mod

    window.open_csv(csv_2d)
    started = []

    def slow_load(path, progress=None):
        started.append(path)
        i = 0
        while True:  # a load that only ends when cancelled
            i += 1
            if progress is not None and progress(min(i / 1e6, 0.99)) is False:
                raise io_mod.LoadCancelled("cancelled")
            QtCore.QThread.msleep(2)

    monkeypatch.setattr(io_mod, "load_table", slow_load)
    window.begin_load("/some/huge.csv")
    qtbot.waitUntil(lambda: bool(started), timeout=10_000)
    assert window.load_progress.isVisible()
    with qtbot.waitSignal(window.loadFailed, timeout=10_000):
        window.cancel_load()
    assert not window.load_progress.isVisible()
    assert str(window.table.path).endswith("two.csv")


def test_drop_a_csv_on_the_window(qtbot, window, csv_2d):
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(csv_2d))])
    pos = QtCore.QPointF(100, 100)
    enter = QtGui.QDragEnterEvent(pos, QtCore.Qt.DropAction.CopyAction, mime,
                                  QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(pos, QtCore.Qt.DropAction.CopyAction, mime, QtCore.Qt.MouseButton.LeftButton,
                            QtCore.Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.dataLoaded, timeout=10_000):
        window.dropEvent(drop)
    assert str(window.table.path).endswith("two.csv")


def _small_three_clusters(tmp_path):
    """60 rows in three clusters: the plot export's path on small data (the example's SVG: test_svg_export)."""
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(c, 0.6, (20, 2)) for c in ((0, 0), (4, 3), (8, 0))])
    p = tmp_path / "three.csv"
    p.write_text("a,b\n" + "".join(f"{x:.4f},{y:.4f}\n" for x, y in X))
    return p


def test_export_plot_image_png_and_svg(qtbot, window, tmp_path):
    window.open_csv(_small_three_clusters(tmp_path))
    _fit(qtbot, window, n_components=3, random_state=0)
    png = tmp_path / "plot.png"
    svg = tmp_path / "plot.svg"
    window.export_plot_image(png)
    window.export_plot_image(svg)
    assert QtGui.QImage(str(png)).width() > 100
    assert svg.read_text(errors="replace").lstrip().startswith("<?xml")


def test_menus_and_shortcuts(window):
    assert window.act_open.shortcut() == QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Open)
    assert window.act_export.shortcut().toString() == "Ctrl+E"
    assert window.act_run.shortcut().toString() == "F5"
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles[:3] == ["File", "Edit", "Fit"] and "Help" in titles


def test_restarts_dock_loads_another_restart_for_export(qtbot, window, tmp_path):
    from emdesk.io import load_fit

    window.open_csv(example_path())
    _fit(qtbot, window, n_components=3, n_init=4, random_state=7, init_params="random", max_iter=100)
    fitted = window.model
    assert window.restarts_view.model() is fitted
    other = next(i for i in range(4) if i != fitted.best_restart_)
    window.show_restart(other)
    qtbot.waitUntil(lambda: window.history[window._shown_index].restart == other)
    # that restart's solution, its components in the fit's order (issue 14: realigned to the fit's labels)
    expected = _aligned_restart_means(fitted, other)
    np.testing.assert_allclose(window.model.means_, expected)
    np.testing.assert_allclose(window.history[window._shown_index].means, expected)  # the plot's colours
    np.testing.assert_allclose(np.sort(expected, axis=0),
                               np.sort(fitted.restart_parameters_[other]["means"], axis=0))
    out = tmp_path / "restart.json"
    window.export_fit(out)
    np.testing.assert_allclose(load_fit(out).means_, expected)


def test_a_model_from_elsewhere_is_shown_and_exported(qtbot, window, tmp_path):
    from emdesk.engine import GaussianMixture
    from emdesk.io import load_fit

    window.open_csv(example_path())
    model = GaussianMixture(n_components=2, covariance_type="diag", random_state=0).fit(window._X)
    window.show_model(model)
    qtbot.waitUntil(lambda: window._shown_index == 0)
    assert window.options()["n_components"] == 2 and window.options()["covariance_type"] == "diag"
    assert len(window.plot_2d.legend.items) == 2
    out = tmp_path / "chosen.json"
    window.export_fit(out)
    np.testing.assert_allclose(load_fit(out).means_, model.means_)


def test_model_selection_dialog_opens_on_the_ticked_columns(qtbot, window):
    window.open_csv(example_path())
    assert window.act_select.isEnabled()
    window.open_model_selection()
    dlg = window._selection_dialog
    assert dlg is not None and dlg.isVisible()
    dlg.close()


def test_degenerate_components_are_flagged(qtbot, window, tmp_path):
    # 40 rows of two values repeated: more components than distinct points collapse onto them
    p = tmp_path / "dup.csv"
    p.write_text("v\n" + "\n".join(["1.0"] * 20 + ["5.0"] * 20 + ["5.5"]) + "\n")
    window.open_csv(p)
    window.set_options(n_components=3, random_state=0, reg_covar=1e-6, max_iter=200)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    model = window.model
    assert model.degeneracies_
    level, text = window.last_message
    assert level == "warning" and "degenerate" in text
    qtbot.waitUntil(lambda: window._shown_index == len(window.history) - 1)
    labels = [label.text for _, label in window.plot_1d.legend.items[1:]]
    flagged = {i.component for i in window.history[-1].issues}
    assert flagged and all(("degenerate" in labels[c]) for c in flagged)


def test_a_forgotten_fit_does_not_delay_the_next_one(qtbot, window):
    window.open_csv(example_path())
    window.set_options(n_components=3, tol=0.0, max_iter=100_000, random_state=0)
    window.start_fit()
    qtbot.waitUntil(lambda: len(window.history) > 3, timeout=FIT_TIMEOUT)
    window.pause_fit()
    qtbot.wait(200)  # the worker now sleeps in its pause loop
    window.set_options(n_components=2, tol=1e-3, max_iter=100)
    with qtbot.waitSignal(window.fitFinished, timeout=20_000):
        # new columns: the paused fit is stopped and forgotten; the new one starts right away
        window.select_columns(["x"])
        assert not window.is_fitting()
        window.start_fit()
    assert window.model.means_.shape == (2, 1)


def test_random_init_that_stops_at_once_says_why(qtbot, window):
    # Random responsibilities on the three-cluster example: EM meets tol after 2 iterations with the
    # components still near the overall mean (scikit-learn does the same); the window says so.
    window.open_csv(example_path())
    _fit(qtbot, window, n_components=3, n_init=1, random_state=1, init_params="random", tol=1e-3)
    assert window.model.n_iter_ <= 3
    level, text = window.last_message
    assert level == "info" and "random responsibilities" in text and "kmeans++" in text
    window.clear_message()
    _fit(qtbot, window, n_components=3, n_init=1, random_state=1, init_params="kmeans++")
    assert "random responsibilities" not in (window.last_message or ("", ""))[1]


def test_initialisation_choices_have_tooltips(window):
    combo = window.params_panel.init_params
    tips = [combo.itemData(i, QtCore.Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())]
    assert all(tips) and "overall mean" in tips[combo.findText("random")]
    assert "hierarchical clustering" in tips[combo.findText("hierarchical")]


def test_hierarchical_start_from_the_window(qtbot, window):
    # the engine and emdesk-fit offer mclust's hierarchical start; the window's list offers it too
    window.open_csv(example_path())
    _fit(qtbot, window, n_components=3, n_init=1, random_state=0, init_params="hierarchical")
    assert window.model.init_params == "hierarchical" and window.model.converged_
    assert window.params_panel.init_params.currentText() == "hierarchical"


def test_model_selection_of_other_columns_never_replaces_the_fit(qtbot, window, tmp_path):
    # A sweep on columns a, b; then the user ticks a, c (same count): choosing a row of the old sweep
    # must not show or export a model of a, b as the fit of a, c.
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (60, 3)), rng.normal(5, 1, (60, 3))]) * [1, 1, 100]
    p = tmp_path / "three.csv"
    p.write_text("a,b,c\n" + "\n".join(",".join(f"{v:.4f}" for v in r) for r in X) + "\n")
    window.open_csv(p)
    window.select_columns(["a", "b"])
    window.open_model_selection()
    dlg = window._selection_dialog
    dlg.set_options(n_components=[1, 2], covariance_types=["full"], n_init=1)
    with qtbot.waitSignal(dlg.sweepFinished, timeout=FIT_TIMEOUT):
        dlg.start()
    window.select_columns(["a", "c"])
    if dlg.isVisible():  # still offered: choosing from it must leave the window's fit alone
        dlg.select_row(dlg.result().table[-1])
        dlg.use_selected()
        qtbot.wait(50)
    assert window.model is None
    assert window._selection_dialog is None or window._selection_dialog is not dlg or not dlg.isVisible()


@pytest.mark.parametrize("name", ["plot.png", "plot.svg"])
def test_export_plot_image_to_a_missing_folder_says_so(window, tmp_path, name):
    window.open_csv(_small_three_clusters(tmp_path))
    target = tmp_path / "no-such-folder" / name
    with pytest.raises(OSError) as info:
        window.export_plot_image(target)
    assert str(target) in str(info.value) and ".tmp" not in str(info.value)


def test_a_bad_fit_request_prints_no_traceback(qtbot, window, tmp_path, capsys):
    # The window says what to change; a terminal user should not also get a traceback for it.
    p = tmp_path / "tiny.csv"
    p.write_text("v\n1\n2\n3\n")
    window.open_csv(p)
    window.set_options(n_components=10)
    with qtbot.waitSignal(window.fitFailed, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("field, label", [("tol", "Tolerance"), ("reg_covar", "reg_covar")])
def test_a_field_that_is_not_a_number_is_named_in_the_message(window, field, label):
    window.open_csv(example_path())
    getattr(window.params_panel, field).setText("1e")
    window.start_fit()
    level, text = window.last_message
    assert level == "error" and text.startswith(f"{label}: '1e' is not a number")
    assert not window.is_fitting()


def test_model_selection_with_a_bad_field_says_so_instead_of_using_defaults(window):
    window.open_csv(example_path())
    window.set_options(max_iter=7, random_state=3)
    window.params_panel.tol.setText("")
    window.open_model_selection()
    assert window._selection_dialog is None
    level, text = window.last_message
    assert level == "error" and text.startswith("Tolerance")
    window.params_panel.tol.setText("0.01")
    window.open_model_selection()
    opts = window._selection_dialog.options()
    assert opts["max_iter"] == 7 and opts["random_state"] == 3 and opts["tol"] == 0.01
    window._selection_dialog.close()


def test_a_restart_of_a_model_from_model_selection_is_what_the_plot_shows(qtbot, window):
    # A model from elsewhere has restarts but no timeline of them: loading one must draw that restart,
    # not keep drawing the kept one while Export Fit writes the other.
    from emdesk.engine import GaussianMixture

    window.open_csv(example_path())
    model = GaussianMixture(n_components=3, n_init=4, init_params="random", random_state=7,
                            max_iter=100).fit(window._X)
    window.show_model(model)
    for i in [j for j in range(4) if j != model.best_restart_] + [model.best_restart_]:
        window.show_restart(i)
        qtbot.wait(20)
        shown = window.history[window._shown_index]
        np.testing.assert_allclose(window.model.means_, _aligned_restart_means(model, i))
        np.testing.assert_allclose(shown.means, window.model.means_)
        assert window.status_ll.text() == f"log-likelihood {model.restart_log_likelihoods_[i]:,.2f}"


def test_opening_another_file_during_a_load_cancels_the_first(qtbot, window, csv_2d, monkeypatch):
    # The second file must not wait for the first (possibly huge) one to load to the end.
    import emdesk.io as io_mod

    real_load = io_mod.load_table
    started = []

    def load(path, progress=None):
        started.append(path)
        if str(path).endswith("huge.csv"):
            while True:  # a load that only ends when cancelled
                if progress is not None and progress(0.5) is False:
                    raise io_mod.LoadCancelled("cancelled")
                QtCore.QThread.msleep(2)
        return real_load(path, progress=progress)

    monkeypatch.setattr(io_mod, "load_table", load)
    window.begin_load("/some/huge.csv")
    qtbot.waitUntil(lambda: bool(started), timeout=10_000)
    with qtbot.waitSignal(window.dataLoaded, timeout=10_000):
        window.begin_load(str(csv_2d))
    assert str(window.table.path).endswith("two.csv") and not window.load_progress.isVisible()


def test_a_warning_about_the_last_fit_goes_when_the_next_one_starts(qtbot, window):
    window.open_csv(example_path())
    _fit(qtbot, window, max_iter=3, random_state=0)
    assert window.message_bar.isVisible() and "did not converge" in window.last_message[1]
    _fit(qtbot, window, max_iter=300)
    assert window.model.converged_
    assert not window.message_bar.isVisible() and window.last_message is None


def test_closing_during_an_uninterruptible_start_waits_instead_of_crashing(qtbot, settings, monkeypatch):
    # The engine reads the stop flag between EM iterations, not inside its initialisation (k-means on a
    # large file can take seconds). Closing then must not leave the QThread running: Qt aborts the
    # process when a running QThread is destroyed ("QThread: Destroyed while thread is still running").
    import time as time_mod

    import emdesk.engine as engine
    import emdesk.gui.main_window as mw
    from emdesk.gui.main_window import MainWindow

    started = []
    real_fit_iter = engine.GaussianMixture.fit_iter

    def slow_start(self, X, *args, **kwargs):
        started.append(True)
        time_mod.sleep(0.6)  # an initialisation that cannot be interrupted
        yield from real_fit_iter(self, X, *args, **kwargs)

    monkeypatch.setattr(engine.GaussianMixture, "fit_iter", slow_start)
    monkeypatch.setattr(mw, "SHUTDOWN_WAIT_MS", 50, raising=False)
    w = MainWindow(settings=settings)
    w.show()
    w.open_csv(example_path())
    w.start_fit()
    qtbot.waitUntil(lambda: bool(started), timeout=FIT_TIMEOUT)
    w.close()
    assert not w.isVisible()
    assert worker_mod.running_threads() == []
    w.deleteLater()


def _paused_and_scrubbed_back(qtbot, window):
    """A paused fit with four iterations on the timeline, the slider back at the second."""
    window.open_csv(example_path())
    window.set_options(n_components=3, random_state=0, max_iter=200)
    window.step_fit()
    for n in (2, 3, 4):
        window.step_fit()
        qtbot.waitUntil(lambda: len(window.history) >= n, timeout=FIT_TIMEOUT)
    window.timeline.set_index(1)
    qtbot.waitUntil(lambda: window._shown_index == 1)


def test_a_fit_that_ends_while_scrubbed_back_moves_the_slider_with_the_plot(qtbot, window):
    _paused_and_scrubbed_back(qtbot, window)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.resume_fit()
    last = len(window.history) - 1
    assert window._shown_index == last and window.timeline.index() == last
    assert not window.timeline.live_button.isEnabled()


def test_stop_while_scrubbed_back_shows_what_export_writes(qtbot, window, tmp_path):
    # "Stopped at iteration n; the parameters on screen can be exported": then they must be on screen.
    _paused_and_scrubbed_back(qtbot, window)
    with qtbot.waitSignal(window.fitStopped, timeout=FIT_TIMEOUT):
        window.stop_fit()
    shown = window.history[window._shown_index]
    assert window.timeline.index() == window._shown_index == len(window.history) - 1
    np.testing.assert_allclose(window.model.means_, shown.means)


def test_a_file_the_views_cannot_show_gives_a_message_and_keeps_the_previous_data(qtbot, window, csv_2d,
                                                                                 tmp_path, monkeypatch):
    # Whatever goes wrong while showing a loaded file, the window says so, keeps the previous data and
    # open_csv returns (it waits for dataLoaded or loadFailed).
    from emdesk.gui.plot_2d import Plot2D
    from emdesk.io import DataError

    window.open_csv(csv_2d)
    real_set_data = Plot2D.set_data

    def set_data(self, X, names, n_total):
        if names[0] == "p":
            raise RuntimeError("cannot draw this")
        return real_set_data(self, X, names, n_total)

    monkeypatch.setattr(Plot2D, "set_data", set_data)
    bad = tmp_path / "bad.csv"
    bad.write_text("p,q\n1,2\n3,4\n5,7\n")
    with qtbot.waitSignal(window.loadFailed, timeout=10_000):
        window.begin_load(str(bad))
    level, text = window.last_message
    assert level == "error" and "cannot draw this" in text
    assert str(window.table.path).endswith("two.csv") and window.data_panel.selected_columns() == ["a", "b"]
    with pytest.raises(DataError):
        window.open_csv(bad)


def test_step_while_scrubbed_back_shows_the_new_iteration(qtbot, window):
    _paused_and_scrubbed_back(qtbot, window)
    n = len(window.history)
    window.step_fit()
    qtbot.waitUntil(lambda: len(window.history) == n + 1, timeout=FIT_TIMEOUT)
    qtbot.waitUntil(lambda: window._shown_index == n, timeout=5_000)
    assert window.timeline.index() == n and window.timeline.following
    window.stop_fit()
    qtbot.waitUntil(lambda: not window.is_fitting(), timeout=FIT_TIMEOUT)


def _aligned_restart_means(fitted, i):
    """Restart ``i``'s means with its components in the order of the fit's (the window realigns them)."""
    from emdesk.session import aligned_model, restart_model

    return aligned_model(restart_model(fitted, i), fitted).means_


def test_open_fit_on_data_changed_since_it_was_saved_says_so(qtbot, window, csv_2d, tmp_path):
    # Found trying the window: a fit whose data file was edited since (values changed, rows removed) was shown
    # on the new rows without a word; the fit file keeps the data's SHA-256.
    window.open_csv(csv_2d)
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=3, init_params="kmeans++")
    out = tmp_path / "fit.json"
    window.export_fit(out)
    window.clear_message()  # (a 3-iteration fit did not converge: said)
    window.open_fit(out)  # the same data: no word
    assert window.last_message is None
    lines = csv_2d.read_text().splitlines()
    csv_2d.write_text("\n".join(lines[:101]) + "\n")  # 100 rows left
    window.open_csv(csv_2d)
    window.open_fit(out)
    level, text = window.last_message
    assert level == "warning" and "not the data the fit was saved from (two.csv, 300 rows" in text
    assert "(100 rows)" in text and window.model is not None and window.session.X.shape == (100, 2)


def test_a_long_message_scrolls_in_its_strip_and_leaves_the_plot_its_room(qtbot, window, csv_2d):
    # Found in a 1280x720 screenshot: a fit of 40 columns naming 13 constant or dependent groups filled the
    # message strip with 24 lines (371 px) and left the plot 108 px high.
    window.resize(1280, 720)
    window.open_csv(csv_2d)
    window.show_message("Short message: one line.", "error")
    qtbot.wait(50)
    bar = window.message_bar
    short = bar.height()
    assert not bar.scroll.verticalScrollBar().isVisible()
    text = " ".join(f"Sentence {i} says something about columns {i} and {i + 30}." for i in range(60))
    window.show_message(text, "warning")
    qtbot.wait(50)
    assert bar.label.text() == text and bar.scroll.verticalScrollBar().isVisible()  # all of it, scrolled
    assert bar.height() <= short + bar.text_height_cap() and window.plot_stack.height() > 300
