"""The window opens the data people have (issue 15): spreadsheets with a sheet picker, the import dialog
(by menu and by itself when detection is unsure or reading fails), Paste Data, fill values, row labels."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtWidgets

import emdesk.gui.controllers.import_data as import_data
from emdesk.gui.controllers.import_data import OPEN_FILTER

sys.path.insert(0, str(Path(__file__).parent.parent / "io"))
from workbooks import write_xlsx  # noqa: E402


def test_open_dialog_offers_spreadsheets_and_starts_outside_the_package(window, monkeypatch, tmp_path):
    seen = {}

    def fake(parent, title, folder, filters):
        seen.update(folder=folder, filters=filters)
        return "", ""

    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", staticmethod(fake))
    window.open_example(fit=False)  # remembers the resources folder as the last one
    window.act_open.trigger()
    assert "*.xlsx" in seen["filters"] and "*.ods" in seen["filters"] and "*.parquet" in seen["filters"]
    assert "resources" not in seen["folder"]
    assert seen["filters"] == OPEN_FILTER


def test_workbook_with_several_sheets_asks_which(window, qtbot, tmp_path, monkeypatch):
    pytest.importorskip("python_calamine")
    path = tmp_path / "book.xlsx"
    write_xlsx(path, {"A": [["x", "y"], [1, 2], [3, 4]], "B": [["u", "v"], [7, 8], [9, 10], [11, 12]]})
    asked = []
    monkeypatch.setattr(import_data, "ask_sheet", lambda parent, p, names: asked.append(names) or "B")
    with qtbot.waitSignal(window.dataLoaded, timeout=10000):
        window.importer.open_path(str(path))
    assert asked == [["A", "B"]]
    assert window.table.column_names == ["u", "v"] and window.table.n_rows == 3


def test_unsure_detection_opens_the_import_dialog_and_its_choice_loads(window, qtbot, tmp_path):
    path = tmp_path / "titled.csv"
    path.write_text("Station report\nexported 2024\nx;y\n1,5;2\n2,5;3\n3,5;4\n4,5;5\n", encoding="utf-8")
    assert window.importer.open_path(str(path)) is None  # the dialog opened instead
    dlg = window.importer.dialog
    assert dlg is not None and dlg.isVisible()
    from emdesk.io.import_options import ImportOptions
    dlg.set_options(ImportOptions(delimiter=";", decimal=",", skip_rows=2))
    with qtbot.waitSignal(window.dataLoaded, timeout=10000):
        dlg.accept()
    assert window.table.column_names == ["x", "y"]
    assert np.allclose(window.table.to_array(["x"])[:, 0], [1.5, 2.5, 3.5, 4.5])
    # remembered: the next open uses the same options without asking
    with qtbot.waitSignal(window.dataLoaded, timeout=10000):
        assert window.importer.open_path(str(path)) is not None
    assert window.table.column_names == ["x", "y"]


def test_a_failed_load_opens_the_import_dialog(window, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")

    class Sure:
        unsure, error = [], None

    monkeypatch.setattr("emdesk.io.import_options.preview", lambda p: Sure())
    path.write_bytes(b"\x00\x01\x02binary" * 50)
    with qtbot.waitSignal(window.loadFailed, timeout=10000):
        window.importer.open_path(str(path))
    qtbot.waitUntil(lambda: window.importer.dialog is not None, timeout=3000)
    assert window.last_message[0] == "error"


def test_paste_data_and_error_strip_clears(window, qtbot):
    assert not window.importer.paste("")  # an empty clipboard: a message, nothing else
    assert window.last_message[0] == "error"
    QtWidgets.QApplication.clipboard().setText("height\tweight\n1,5\t60\n1,7\t70\n1,8\t80\n")
    window.act_paste.trigger()
    assert window.table.column_names == ["height", "weight"] and window.table.n_rows == 3
    assert window.last_message is None
    assert window.data_panel.file_label.text() == "pasted data"
    assert window.data_panel.selected_columns() == ["height", "weight"]


def test_fill_values_are_pointed_out_and_treated_as_missing(window, qtbot):
    rows = "\n".join(f"{i * 0.1:.1f}\t{(-999 if i % 10 == 0 else i * 0.3):.1f}" for i in range(1, 101))
    assert window.importer.paste("x\ty\n" + rows + "\n")
    box = window.importer.fill_box
    assert not box.isHidden() and "y: -999 in 10 rows" in box.text.text() and "-999" in box.toolTip()
    assert window.session.n_incomplete == 0
    box.button.click()
    assert box.isHidden()
    assert window.session.n_incomplete == 10
    assert window.data_panel.selected_columns() == ["x", "y"]


def test_row_label_column_is_a_label_never_ticked(window, qtbot, tmp_path):
    from PySide6 import QtCore

    from emdesk.io.import_options import ImportOptions

    path = tmp_path / "stations.csv"
    path.write_text("station,x,y\n101,1,2\n102,2,3\n103,3,5\n104,4,4\n", encoding="utf-8")
    with qtbot.waitSignal(window.dataLoaded, timeout=10000):
        window.loader.begin(str(path), ImportOptions(row_label_column="station"))
    t = window.table
    panel = window.data_panel
    row = t.column_names.index("station")
    assert t.row_label_column == "station"
    assert panel.columns.item(row, 1).text() == "row label"
    assert panel.selected_columns() == ["x", "y"]
    assert not (panel.columns.item(row, 0).flags() & QtCore.Qt.ItemFlag.ItemIsUserCheckable)
