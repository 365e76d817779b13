"""The Data panel shows a column with no values as "empty", greyed out with a tooltip that says why, in every
family (the categorical ones make text columns tickable, never an empty one); choosing it by script says it
has no values."""

from __future__ import annotations

import pytest
from PySide6 import QtCore


def rows(dp):
    return {dp.columns.item(r, 0).text(): r for r in range(dp.columns.rowCount())}


def test_an_empty_column_is_shown_as_empty_and_greyed(qtbot, window, tmp_path):
    p = tmp_path / "data.csv"
    p.write_text("a,b,c,d\n" + "".join(f"{i},{i % 3},NA,{'xy'[i % 2]}\n" for i in range(30)))
    window.open_csv(p)
    dp = window.data_panel
    r = rows(dp)["c"]
    item, kind = dp.columns.item(r, 0), dp.columns.item(r, 1)
    assert kind.text() == "empty"
    assert not item.flags() & QtCore.Qt.ItemFlag.ItemIsUserCheckable
    assert not item.flags() & QtCore.Qt.ItemFlag.ItemIsEnabled
    assert item.foreground().color().getRgb()[:3] == (150, 150, 150)
    assert "no values" in item.toolTip() and "no values" in kind.toolTip()
    assert dp.columns.item(rows(dp)["d"], 1).text() == "text"
    assert dp.selected_columns() == ["a", "b"]
    with pytest.raises(ValueError, match=r"Column 'c' of data.csv has no values \(every cell is empty"):
        window.select_columns(["a", "c"])

    window.set_model_kind("mixture", "categorical")  # text columns become tickable; the empty one does not
    r = rows(dp)
    assert dp.columns.item(r["d"], 0).flags() & QtCore.Qt.ItemFlag.ItemIsUserCheckable
    assert not dp.columns.item(r["c"], 0).flags() & QtCore.Qt.ItemFlag.ItemIsUserCheckable
    assert dp.columns.item(r["c"], 1).text() == "empty"
    with pytest.raises(ValueError, match="Column 'c' of data.csv has no values"):
        window.select_columns(["d", "c"])


def test_the_import_preview_labels_empty_columns_by_every_row(qtbot, tmp_path):
    """The preview shows its first 20 rows; a column is "empty" only when no row the preview read (for a text
    file its first lines, for a spreadsheet every row) has a value."""
    from emdesk.gui.import_dialog import ImportDialog

    p = tmp_path / "late.csv"
    p.write_text("a,b,c,d\n" + "".join(f"{i},,NA,\n" for i in range(60)) + "60,7,late,\n"
                 + "".join(f"{i},,NA,\n" for i in range(61, 600)))
    dialog = ImportDialog(p, None)
    qtbot.addWidget(dialog)
    t = dialog.table
    kinds = {t.horizontalHeaderItem(j).text().split("\n")[0]: t.horizontalHeaderItem(j).text().split("\n")[1]
             for j in range(t.columnCount())}
    assert kinds == {"a": "numbers", "b": "numbers", "c": "text", "d": "empty"}
    j = [t.horizontalHeaderItem(j).text().split("\n")[0] for j in range(t.columnCount())].index("d")
    assert "no values" in t.horizontalHeaderItem(j).toolTip()


def test_pasting_data_without_numbers_names_the_text_and_empty_columns(window):
    assert not window.importer.paste("name\tnote\nann\t\nbob\tNA\n")
    level, text = window.last_message
    assert level == "error"
    assert text.startswith("Could not paste the data. The pasted data have no numeric columns "
                           "(text: name; no values: note). Copy a range with at least one column of numbers")
    window.set_model_kind("mixture", "categorical")  # as a file of text columns: a latent class model fits them
    assert window.importer.paste("q1\tq2\tnote\nyes\tno\t\nno\tno\tNA\nyes\tyes\t\n")
    assert window.session.table.empty_column_names == ["note"]
    window.select_columns(["q1", "q2"])


def test_missing_cells_counts_the_ticked_columns_and_names_the_others(qtbot, window, tmp_path):
    """The Data panel's "Missing cells" counted every column, so an all-empty column that no fit can use
    made a complete data set look incomplete: it counts the ticked columns, with the file's total beside
    it and the columns that hold the rest in its tooltip."""
    p = tmp_path / "data.csv"
    p.write_text("a,b,c,d\n" + "".join(f"{i},{'' if i == 3 else i % 3},NA,{'xy'[i % 2]}\n" for i in range(30)))
    window.open_csv(p)
    dp = window.data_panel
    assert dp.selected_columns() == ["a", "b"]
    assert dp.missing_label.text() == "1 in the ticked columns (31 in the file)"
    assert "c (30, empty)" in dp.missing_label.toolTip()
    window.select_columns(["a"])
    assert dp.missing_label.text() == "0 in the ticked column (31 in the file)"
    assert "b (1)" in dp.missing_label.toolTip() and "c (30, empty)" in dp.missing_label.toolTip()

    q = tmp_path / "complete.csv"
    q.write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(30)))
    window.open_csv(q)
    assert dp.missing_label.text() == "none" and dp.missing_label.toolTip() == ""
