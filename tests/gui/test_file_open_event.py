"""Files the desktop hands to the running app (macOS Open With / Dock) arrive as QEvent.FileOpen."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.gui.app import install_file_open_handler


def test_file_open_event_loads_the_file(qtbot, window, csv_2d):
    app = QtWidgets.QApplication.instance()
    handler = install_file_open_handler(app, window)
    try:
        with qtbot.waitSignal(window.dataLoaded, timeout=30_000) as blocker:
            QtCore.QCoreApplication.sendEvent(app, QtGui.QFileOpenEvent(str(csv_2d)))
        assert blocker.args == [str(csv_2d)]
        assert handler.opened == [str(csv_2d)]
        assert window.table.n_rows == 300
    finally:
        app.removeEventFilter(handler)


def test_other_events_pass_through(qtbot, window):
    app = QtWidgets.QApplication.instance()
    handler = install_file_open_handler(app, window)
    try:
        ev = QtCore.QEvent(QtCore.QEvent.Type.User)
        assert handler.eventFilter(app, ev) is False
        assert handler.opened == []
    finally:
        app.removeEventFilter(handler)
