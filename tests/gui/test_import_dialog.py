"""The import dialog (File > Import with Options...): live preview, every override, remembered per file."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from emdesk.gui.import_dialog import ImportDialog, remember_options, remembered_options
from emdesk.io.import_options import ImportOptions, load_with_options

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from workbooks import write_xlsx  # noqa: E402

TITLED = ("Messreihe 4, Labor B\nGerät: XR-7\nProbe;Länge;Breite\n"
          + "".join(f"P{i};{i * 1.25:.2f};{i % 7 * 0.5}\n".replace(".", ",") for i in range(40)))


@pytest.fixture
def titled(tmp_path):
    path = tmp_path / "titled.csv"
    path.write_bytes(TITLED.encode("cp1252"))
    return path


def make(qtbot, path, options=None):
    dialog = ImportDialog(path, options)
    qtbot.addWidget(dialog)
    return dialog


def shown(dialog):
    t = dialog.table
    names = [t.horizontalHeaderItem(j).text().split("\n")[0] for j in range(t.columnCount())]
    return names, t.rowCount()


def test_opens_with_detection_and_suggests_skipping_title_lines(qtbot, titled):
    dialog = make(qtbot, titled)
    p = dialog.last_preview
    assert p.error and "expected 1 field but found 3" in p.error
    ok = dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and dialog.tabs.currentIndex() == 1  # the raw text is shown instead
    assert "Messreihe 4" in dialog.raw.toPlainText()
    assert not dialog.suggestion.isHidden() and dialog.suggestion.text() == "Skip 2 lines at the top"
    dialog.suggestion.click()
    assert dialog.options().skip_rows == 2 and dialog.last_preview.error is None
    assert shown(dialog) == (["Probe", "Länge", "Breite"], 20)
    assert ok.isEnabled() and dialog.tabs.currentIndex() == 0 and dialog.suggestion.isHidden()
    assert "semicolon-separated, decimal comma" in dialog.status.text() and "cp1252" in dialog.status.text()


def test_controls_update_the_preview_live(qtbot, titled):
    dialog = make(qtbot, titled, ImportOptions(skip_rows=2))
    with qtbot.waitSignal(dialog.previewUpdated, timeout=3000):
        dialog.decimal.setCurrentIndex(dialog.decimal.findData("."))  # wrong on purpose: 1,25 is then text
    assert dialog.last_preview.table.numeric_column_names == []
    with qtbot.waitSignal(dialog.previewUpdated, timeout=3000):
        dialog.decimal.setCurrentIndex(0)
    assert dialog.last_preview.table.numeric_column_names == ["Länge", "Breite"]
    with qtbot.waitSignal(dialog.previewUpdated, timeout=3000):
        dialog.header_mode.setCurrentIndex(2)  # no header: the names row becomes data, columns are text
    assert shown(dialog)[0] == ["col1", "col2", "col3"]
    assert dialog.last_preview.table.text_column("col1")[0] == "Probe"
    with qtbot.waitSignal(dialog.previewUpdated, timeout=3000):
        dialog.header_mode.setCurrentIndex(0)
    with qtbot.waitSignal(dialog.previewUpdated, timeout=3000):
        dialog.missing.setText("0,0")  # "0,0" as a missing token
    assert np.isnan(dialog.last_preview.table.to_array("Breite")[0, 0])
    with qtbot.waitSignal(dialog.previewUpdated, timeout=3000):
        dialog.row_labels.setCurrentIndex(dialog.row_labels.findData("Probe"))
    header = dialog.table.horizontalHeaderItem(0).text()
    assert header == "Probe\nrow labels"
    options = dialog.options()
    assert options == ImportOptions(skip_rows=2, missing_tokens=("0,0",), row_label_column="Probe")
    table = load_with_options(titled, options)  # the options read the whole file as previewed
    assert table.n_rows == 40 and table.row_label_column == "Probe"


def test_every_control_maps_to_an_option(qtbot, titled):
    options = ImportOptions(delimiter=";", decimal=",", header_row=0, encoding="cp1252", skip_rows=2,
                            comment="//", missing_tokens=("-9", "x"), row_label_column="Probe")
    dialog = make(qtbot, titled, options)
    assert dialog.options() == options
    assert dialog.last_preview.error is None
    dialog.header_mode.setCurrentIndex(1)
    dialog.header_row.setValue(3)
    dialog.encoding.setCurrentText("klingon")  # unknown: detected instead, and said so
    dialog.refresh()
    assert dialog.options().header_row == 2 and dialog.options().encoding is None
    assert "Unknown encoding 'klingon'" in dialog.status.text()
    dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults).click()
    assert dialog.options() == ImportOptions()


def test_a_spreadsheet_shows_its_sheets(qtbot, tmp_path):
    pytest.importorskip("python_calamine")
    path = tmp_path / "book.xlsx"
    write_xlsx(path, {"A": [["x", "y"], [1, 2]], "B": [["id", "u", "v"], [7, 8, 9], [10, 11, 12]]})
    dialog = make(qtbot, path)
    assert not dialog.sheet.isHidden() and [dialog.sheet.itemText(i) for i in range(2)] == ["A", "B"]
    assert shown(dialog) == (["x", "y"], 1)
    assert not dialog.delimiter.isEnabled() and dialog.missing.isEnabled()  # text-file options only
    with qtbot.waitSignal(dialog.previewUpdated, timeout=3000):
        dialog.sheet.setCurrentIndex(1)
    assert shown(dialog) == (["id", "u", "v"], 2) and dialog.options().sheet == "B"


def test_options_are_remembered_per_file(qtbot, titled, tmp_path, settings):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    assert remembered_options(settings, titled) is None
    chosen = ImportOptions(skip_rows=2, missing_tokens=("0",), row_label_column="Probe")
    remember_options(settings, titled, chosen)
    again = QtCore.QSettings(settings.fileName(), QtCore.QSettings.Format.IniFormat)
    assert remembered_options(again, titled) == chosen
    assert remembered_options(again, other) is None
    dialog = make(qtbot, titled, remembered_options(again, titled))
    assert dialog.options() == chosen and dialog.last_preview.error is None
    remember_options(settings, titled, ImportOptions())  # defaults: forgotten
    assert remembered_options(settings, titled) is None


def test_fits_a_1280x720_screen_and_screenshot(qtbot, titled, tmp_path):
    dialog = make(qtbot, titled, ImportOptions(skip_rows=2))
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.width() <= 1280 and dialog.height() <= 720 - 60
    image = dialog.grab()
    assert image.width() > 0 and image.save(str(tmp_path / "import_dialog.png"))
