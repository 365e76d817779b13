"""Files the desktop hands to the running app (macOS Open With / Dock) arrive as QEvent.FileOpen."""

from __future__ import annotations

import sys
from pathlib import Path

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


def test_a_workbook_handed_to_the_app_asks_for_its_sheet(qtbot, window, tmp_path, monkeypatch):
    """`emdesk book.xlsx` and Open With went straight to the first sheet (a sheet of notes: "has no numeric
    columns"); now they open as File > Open does and ask which sheet."""
    import emdesk.gui.controllers.import_data as import_data

    sys.path.insert(0, str(Path(__file__).parent.parent / "io"))
    from workbooks import write_xlsx

    book = tmp_path / "book.xlsx"
    write_xlsx(book, {"notes": [["note"], ["measured in 2026"]],
                      "data": [["a", "b"]] + [[i * 0.5, (i % 4) * 1.5] for i in range(12)]})
    asked = []
    monkeypatch.setattr(import_data, "ask_sheet", lambda parent, path, names: (asked.append(names), "data")[1])
    app = QtWidgets.QApplication.instance()
    handler = install_file_open_handler(app, window)
    try:
        with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
            QtCore.QCoreApplication.sendEvent(app, QtGui.QFileOpenEvent(str(book)))
        assert asked == [["notes", "data"]]
        assert window.table.sheet == "data" and window.table.numeric_column_names == ["a", "b"]
    finally:
        app.removeEventFilter(handler)
