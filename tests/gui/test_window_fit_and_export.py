"""The window fits a 1280x720 screen, the legend stays off the data, exported images hold only the plots,
Export Fit follows the typed extension, the log-likelihood plot clears (issue 15)."""

from __future__ import annotations

import json

from PySide6 import QtCore, QtGui

from emdesk.gui.controllers.export import EXPORT_FILTERS, export_kind_for, plot_only
from emdesk.gui.window_size import first_size


def test_first_size_fits_a_small_screen(window):
    screen = window.screen().availableGeometry()
    size = first_size(window)
    assert size.width() <= screen.width() and size.height() <= screen.height() - 30
    window.resize(1280, 680)
    assert window.minimumSizeHint().height() <= 680 and window.minimumSizeHint().width() <= 1280
    assert window.minimumSize().height() <= 680


def test_legend_is_beside_the_plot_not_over_it(window):
    window.open_example(fit=False)
    p2 = window.plot_2d
    vb = p2.plot.getPlotItem().getViewBox()
    assert p2.legend.parentItem() is not vb
    assert p2.legend.parentItem() is p2.plot.getPlotItem()  # in the plot item's layout, right of the view


def test_exported_image_holds_no_widgets(window, tmp_path):
    window.open_example(fit=False)
    picker = window.plot_2d.x_combo
    assert picker.isVisible()
    with plot_only(window.splitter):
        assert not picker.isVisible()
        assert window.plot_2d.plot.isVisible()
    assert picker.isVisible()  # back after the export
    out = tmp_path / "plot.png"
    window.export_plot_image(out)
    assert QtGui.QImage(str(out)).width() > 100


def test_export_fit_follows_the_typed_extension():
    json_filter, params_filter, assign_filter = list(EXPORT_FILTERS)
    assert export_kind_for("/x/params.csv", json_filter) == ("/x/params.csv", "parameters")
    assert export_kind_for("/x/fit.json", params_filter) == ("/x/fit.json", "json")
    assert export_kind_for("/x/rows.csv", assign_filter) == ("/x/rows.csv", "assignments")
    assert export_kind_for("/x/fit", params_filter) == ("/x/fit.csv", "parameters")


def test_export_dialog_writes_csv_for_a_csv_name(window, qtbot, monkeypatch, tmp_path):
    from PySide6 import QtWidgets

    window.open_example(fit=False)
    window.fit_worker.set_delay(0.0)
    with qtbot.waitSignal(window.fitFinished, timeout=60000):
        window.start_fit()
    target = tmp_path / "params.csv"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), list(EXPORT_FILTERS)[0])))
    window.act_export.trigger()
    text = target.read_text()
    try:
        json.loads(text)
        is_json = True
    except ValueError:
        is_json = False
    assert not is_json and "," in text.splitlines()[0]
    assert "parameters as CSV" in window.status_state.text()


def test_trace_plot_has_no_placeholder_ticks_and_clears(window, qtbot):
    trace = window.trace
    left = trace.plot.getPlotItem().getAxis("left")
    assert not left.style["showValues"]  # nothing fitted: no 0.2-0.8 ticks
    window.open_example(fit=False)
    window.fit_worker.set_delay(0.0)
    with qtbot.waitSignal(window.fitFinished, timeout=60000):
        window.start_fit()
    qtbot.waitUntil(lambda: left.style["showValues"], timeout=5000)
    trace.clear()
    assert not left.style["showValues"] and not trace._curves
