"""Opening other data or a saved fit while a fit runs asks first ("A fit is running on a.csv. Stop it and open
b.csv?" Stop and open / Cancel) instead of dropping the fit without a word: Cancel keeps the fit and opens
nothing; Stop and open stops the fit by its worker's stop flag and opens the file."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

import emdesk.gui.controllers.open_guard as open_guard

FIT_TIMEOUT = 60_000


def _csv(path, seed):
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(5, 1, (40, 2))])
    path.write_text("a,b\n" + "".join(f"{u:.5f},{v:.5f}\n" for u, v in x))
    return path


@pytest.fixture
def first(tmp_path):
    return _csv(tmp_path / "first.csv", 1)


@pytest.fixture
def second(tmp_path):
    return _csv(tmp_path / "second.csv", 2)


@pytest.fixture
def asked(monkeypatch):
    """Record the questions; answer with ``asked.answer`` (False: Cancel)."""
    class Asked(list):
        answer = False

    log = Asked()

    def fake(parent, text, detail):
        log.append((text, detail))
        return log.answer

    monkeypatch.setattr(open_guard, "ask_stop_fit", fake)
    return log


def _running(qtbot, window, path, paused=False):
    window.open_csv(path)
    window.set_options(n_components=2, random_state=0, max_iter=500, tol=0.0)
    window.params_panel.set_delay(1.0)  # one iteration a second: the fit is still running below
    window.start_fit(paused=paused)
    qtbot.waitUntil(lambda: len(window.history) >= 1, timeout=FIT_TIMEOUT)
    assert window.is_fitting()


def _stop(qtbot, window):
    with qtbot.waitSignal(window.fitStopped, timeout=FIT_TIMEOUT):
        window.stop_fit()


def test_cancel_keeps_the_fit_and_opens_nothing(qtbot, window, first, second, asked):
    _running(qtbot, window, first)
    assert window.importer.open_path(str(second)) is None
    assert asked and asked[0][0] == "A fit is running on first.csv. Stop it and open second.csv?"
    assert "Export Fit" in asked[0][1]
    assert window.is_fitting() and not window.loader.loading
    assert str(window.table.path).endswith("first.csv")
    assert "Not opened: second.csv; the fit goes on." in window.status_state.text()
    _stop(qtbot, window)


def test_stop_and_open_stops_the_worker_and_opens(qtbot, window, first, second, asked):
    _running(qtbot, window, first, paused=True)
    asked.answer = True
    with qtbot.waitSignal(window.dataLoaded, timeout=FIT_TIMEOUT):
        window.importer.open_path(str(second))
    assert asked[0][0] == "A fit is paused on first.csv. Stop it and open second.csv?"
    assert window.fit_worker._stop.is_set()  # the worker's stop flag: it ends at its next check
    assert not window.is_fitting() and str(window.table.path).endswith("second.csv")
    assert window.history == [] and window.model is None


def test_no_fit_no_question(qtbot, window, first, second, asked):
    window.open_csv(first)
    with qtbot.waitSignal(window.dataLoaded, timeout=FIT_TIMEOUT):
        window.importer.open_path(str(second))
    assert asked == [] and str(window.table.path).endswith("second.csv")


def test_a_drop_and_a_paste_ask_too(qtbot, window, first, second, asked):
    _running(qtbot, window, first)
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(second))])
    drop = QtGui.QDropEvent(QtCore.QPointF(100, 100), QtCore.Qt.DropAction.CopyAction, mime,
                            QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    qtbot.waitUntil(lambda: len(asked) == 1)
    assert "open second.csv?" in asked[0][0]
    assert window.importer.paste("x,y\n1,2\n3,4\n5,6\n") is False
    assert "open the pasted data?" in asked[1][0]
    assert window.is_fitting() and str(window.table.path).endswith("first.csv")
    _stop(qtbot, window)


def test_open_fit_mid_fit_asks(qtbot, window, first, tmp_path, asked, monkeypatch):
    window.open_csv(first)
    window.set_options(n_components=2, random_state=0, max_iter=50)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    saved = tmp_path / "saved.json"
    window.export_fit(saved)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(saved), "")))
    _running(qtbot, window, first)
    window.exporter.open_fit_dialog()
    assert asked[-1][0] == "A fit is running on first.csv. Stop it and open saved.json?"
    assert window.is_fitting()  # Cancel: the fit goes on
    asked.answer = True
    window.exporter.open_fit_dialog()
    assert not window.is_fitting() and window.fit_worker._stop.is_set()
    assert window.model is not None and window.model.n_components == 2
    assert "Showing the fit from saved.json" in window.status_state.text()


def test_the_example_menu_asks(qtbot, window, first, asked):
    _running(qtbot, window, first)
    window.example_menu.actions()[0].trigger()
    assert "open the example" in asked[0][0] and window.is_fitting()
    assert str(window.table.path).endswith("first.csv")
    _stop(qtbot, window)


def test_the_question_box(qtbot, window):
    box, stop = open_guard.stop_fit_box(window, "A fit is running on a.csv. Stop it and open b.csv?", "detail")
    qtbot.addWidget(box)
    texts = sorted(b.text().replace("&", "") for b in box.buttons())
    assert texts == ["Cancel", "Stop and open"] and stop.text() == "Stop and open"
    assert box.defaultButton() is box.escapeButton() and box.defaultButton() is not stop


def test_import_with_options_asks_at_ok(qtbot, window, first, second, asked):
    _running(qtbot, window, first)
    dlg = window.importer.show_import_dialog(str(second))
    dlg.accept()
    assert asked and asked[0][0] == "A fit is running on first.csv. Stop it and open second.csv?"
    assert window.is_fitting() and not window.loader.loading
    _stop(qtbot, window)


def _with_fill_and_text(path, seed):
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(5, 1, (40, 2))])
    lines = ["a,b,c"] + [f"{u:.5f},{v:.5f},{u + v:.3f}" for u, v in x]
    lines[5] = "1.0,2.0,twelve"
    for i in (9, 19, 29):
        lines[i] = "-999,1.5,2.0"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("treat", ["treat_fills_as_missing", "treat_stray_text_as_missing"])
def test_treat_as_missing_asks_too(qtbot, window, tmp_path, asked, treat):
    # "Treat as missing" replaces the table: it dropped a running fit without a word
    _running(qtbot, window, _with_fill_and_text(tmp_path / "filled.csv", 3))
    assert window.importer.fills and window.importer.stray
    table = window.session.table
    getattr(window.importer, treat)()
    assert asked and asked[0][0].startswith("A fit is running on filled.csv. Stop it and open the data with ")
    assert window.is_fitting() and window.session.table is table  # Cancel: nothing changed
    asked.answer = True
    getattr(window.importer, treat)()
    assert not window.is_fitting() and window.session.table is not table


def test_use_this_model_in_model_selection_asks_too(qtbot, window, first, tmp_path, asked):
    # the model-selection dialog is not modal: "Use this model" while a fit ran dropped that fit without a word
    window.open_csv(first)
    window.open_model_selection()
    dlg = window.selection.dialog
    dlg.set_options(n_init=1, n_components=range(1, 3), covariance_types=("diag",))
    with qtbot.waitSignal(dlg.sweepFinished, timeout=FIT_TIMEOUT) as blocker:
        dlg.start()
    dlg.select_row(blocker.args[0].row(2, "VVI"))
    window.set_options(n_components=2, random_state=0, max_iter=500, tol=0.0)  # as _running, on the same file
    window.params_panel.set_delay(1.0)
    window.start_fit()
    qtbot.waitUntil(lambda: len(window.history) >= 1, timeout=FIT_TIMEOUT)
    dlg.use_selected()
    assert asked[0][0] == "A fit is running on first.csv. Stop it and open the model from model selection?"
    assert window.is_fitting()  # Cancel: the fit goes on
    asked.answer = True
    dlg.use_selected()
    assert not window.is_fitting() and window.model.covariance_type == "VVI"
    assert window.status_state.text().startswith("Showing the model from model selection")
    dlg.close()
