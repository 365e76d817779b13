"""A column of numbers with one stray word: the Data panel says which cell made it text, and "Treat text
cells as missing" makes it a numeric column that can be ticked (emdesk.io.stray_text)."""

from __future__ import annotations

from PySide6 import QtWidgets


def test_data_panel_names_the_stray_word_and_fixes_it(window, tmp_path):
    rows = [f"{i * 0.1:.2f},{(i % 7) * 1.5:.2f}" for i in range(30)]
    rows[12] = "1.20,twelve"
    p = tmp_path / "stray.csv"
    p.write_text("a,b\n" + "\n".join(rows) + "\n")
    window.open_csv(p)
    box = window.findChild(QtWidgets.QGroupBox, "strayTextBox")
    assert box is not None and box.isVisible()
    assert "twelve" in box.text.text() and "row 13" in box.text.text() and "&#" not in box.text.text()
    assert "b" not in window.session.table.numeric_column_names
    box.button.click()
    assert window.session.table.numeric_column_names == ["a", "b"]
    assert window.session.table.missing_counts["b"] == 1
    assert not box.isVisible() and "now missing" in window.status_state.text()
    window.select_columns(["a", "b"])
    assert window.session.columns == ["a", "b"]
