"""A thousands separator that was a guess (10.691 in a decimal-comma file, read as 10691) is said in the
Data panel and the import dialog, and the dialog's Thousands separator choice reads the file otherwise."""

from __future__ import annotations

import numpy as np

AMBIGUOUS = "Ort;Einwohner;Fläche\n" + "".join(f"O{i};{i + 10}.{i * 37 % 1000:03d};{i},5\n" for i in range(12))


def write(tmp_path):
    path = tmp_path / "orte.csv"
    path.write_text(AMBIGUOUS, encoding="utf-8")
    return str(path)


def test_the_guess_opens_the_import_dialog_and_none_reads_decimal_points(window, qtbot, tmp_path):
    path = write(tmp_path)
    assert window.importer.open_path(path) is None  # unsure: the dialog opened instead
    dlg = window.importer.dialog
    assert "Column 'Einwohner'" in dlg.status.text() and "'10.000'" in dlg.status.text()
    assert dlg.last_preview.table.to_array(["Einwohner"])[1, 0] == 11037
    with qtbot.waitSignal(dlg.previewUpdated, timeout=3000):
        dlg.thousands.setCurrentIndex(dlg.thousands.findData(""))
    assert dlg.options().thousands == "" and "Column 'Einwohner'" not in dlg.status.text()
    with qtbot.waitSignal(window.dataLoaded, timeout=10000):
        dlg.accept()
    np.testing.assert_array_equal(window.table.to_array(["Einwohner"])[:3, 0], [10.0, 11.037, 12.074])


def test_data_panel_says_the_guess_and_offers_the_choice(window, qtbot, tmp_path):
    path = write(tmp_path)
    with qtbot.waitSignal(window.dataLoaded, timeout=10000):
        window.loader.begin(path, None)  # read as detected (as Open does for a remembered file)
    box = window.importer.thousands_box
    assert not box.isHidden()
    assert "Einwohner: 10.000 read as 10000" in box.text.text() and "Thousands separator" in box.toolTip()
    assert window.table.to_array(["Einwohner"])[1, 0] == 11037
    box.button.click()
    assert window.importer.dialog is not None and window.importer.dialog.isVisible()
    window.importer.dialog.close()
    assert window.importer.paste("a\tb\n1.5\t2\n2.5\t3\n")  # no guess: the note goes
    assert box.isHidden()


def test_the_dialog_offers_spaces_and_apostrophes(window, qtbot, tmp_path):
    path = tmp_path / "swiss.csv"
    path.write_text("Ort;Einwohner\nA;1 234,5\nB;12 345\n", encoding="utf-8")
    dlg = window.importer.show_import_dialog(str(path))
    labels = [dlg.thousands.itemText(i) for i in range(dlg.thousands.count())]
    assert "Space  (1 234 567)" in labels and "Apostrophe  (1'234'567)" in labels
    assert dlg.last_preview.table.to_array(["Einwohner"]).ravel().tolist() == [1234.5, 12345]  # detected
    with qtbot.waitSignal(dlg.previewUpdated, timeout=3000):
        dlg.thousands.setCurrentIndex(dlg.thousands.findData(""))
    assert dlg.options().thousands == "" and dlg.last_preview.table.numeric_column_names == []
    with qtbot.waitSignal(dlg.previewUpdated, timeout=3000):
        dlg.thousands.setCurrentIndex(dlg.thousands.findData(" "))
    assert dlg.options().thousands == " "
    with qtbot.waitSignal(window.dataLoaded, timeout=10000):
        dlg.accept()
    assert window.table.to_array(["Einwohner"]).ravel().tolist() == [1234.5, 12345]


def test_data_panel_says_a_column_read_with_the_other_decimal_mark(window, qtbot, tmp_path):
    path = tmp_path / "late.csv"
    path.write_text("a;b\n1.5;2\n2.5;3,5\n", encoding="utf-8")
    with qtbot.waitSignal(window.dataLoaded, timeout=10000):
        window.loader.begin(str(path), None)
    box = window.importer.thousands_box
    assert not box.isHidden() and box.title() == "Decimal mark of a column"
    assert "b: read with a decimal comma (e.g. 3,5)" in box.text.text()
    assert window.table.to_array(["b"]).ravel().tolist() == [2, 3.5]


def test_space_as_delimiter_and_separator_is_refused_in_words(window, qtbot, tmp_path):
    path = tmp_path / "spaces.csv"
    path.write_text("a b\n1,5 2\n2,5 3\n", encoding="utf-8")
    dlg = window.importer.show_import_dialog(str(path))
    with qtbot.waitSignal(dlg.previewUpdated, timeout=3000):
        dlg.decimal.setCurrentIndex(dlg.decimal.findData(","))
        dlg.delimiter.setCurrentIndex(dlg.delimiter.findData(" "))
        dlg.thousands.setCurrentIndex(dlg.thousands.findData(" "))
    options = dlg.options()
    assert options.delimiter == " " and options.decimal == "," and options.thousands is None
    assert "A space cannot be both the delimiter and the thousands separator" in dlg.status.text()
    assert dlg.last_preview.table.to_array().tolist() == [[1.5, 2], [2.5, 3]]
    dlg.close()


def test_data_panel_says_a_column_of_space_grouped_numbers(window, qtbot, tmp_path):
    """x / 12 345 / 67 890 / 12 345: one column (its first fields repeat: not R's row names), said in the box."""
    path = tmp_path / "betrag.txt"
    path.write_text("x\n12 345\n67 890\n12 345\n", encoding="utf-8")
    with qtbot.waitSignal(window.dataLoaded, timeout=10000):
        window.loader.begin(str(path), None)
    box = window.importer.thousands_box
    assert not box.isHidden() and box.title() == "One column of grouped numbers"
    assert "x: 12 345 read as 12345, one column (first fields repeat: not R's row names)" in box.text.text()
    assert "choose Delimiter: Spaces" in box.toolTip()
    assert window.table.column_names == ["x"] and window.table.to_array(["x"]).ravel().tolist() == [12345, 67890, 12345]
