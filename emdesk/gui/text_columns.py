"""Text columns in the Data panel (issue 13): greyed out for the numeric families, tickable when a
categorical family (latent class, mixed) is chosen, each with its categories listed (missing tokens such as
``NA`` or an empty cell are not categories: ``emdesk.families_data.column_categories``)."""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from emdesk.families_data import column_categories

MAX_LISTED = 12  # categories named in the Type cell's text (all of them in its tooltip)


def categories_text(labels: list[str]) -> str:
    shown = ", ".join(labels[:MAX_LISTED]) + (", ..." if len(labels) > MAX_LISTED else "")
    return f"text: {len(labels)} categor{'y' if len(labels) == 1 else 'ies'} ({shown})"


def set_text_fittable(panel, on: bool) -> None:
    """Make the Data panel's text columns tickable (``on``) or greyed out, as the chosen family allows."""
    table = panel.table
    panel.text_fittable = bool(on)
    if table is None:
        return
    # Numbers are tickable in every family; empty columns (no values) never: neither changes here.
    unchanged = set(table.numeric_column_names) | set(table.empty_column_names)
    label_col = getattr(table, "row_label_column", None)
    panel.columns.blockSignals(True)
    try:
        for row in range(panel.columns.rowCount()):
            item, kind, miss = (panel.columns.item(row, c) for c in range(3))
            if item is None or item.text() in unchanged or item.text() == label_col:
                continue
            if on:
                labels = column_categories(table, item.text())
                was = item.checkState() if item.flags() & QtCore.Qt.ItemFlag.ItemIsUserCheckable else None
                item.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(was if was is not None else QtCore.Qt.CheckState.Unchecked)
                item.setToolTip("Text column: its categories are fitted by the categorical family")
                kind.setText(categories_text(labels))
                kind.setToolTip("Categories (missing tokens excluded): " + ", ".join(labels))
                brush = QtGui.QBrush(panel.palette().color(QtGui.QPalette.ColorRole.Text))
                for it in (item, kind, miss):
                    it.setForeground(brush)
                    if it is not item:
                        it.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
            else:
                item.setData(QtCore.Qt.ItemDataRole.CheckStateRole, None)
                item.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
                item.setToolTip("Text column: shown for reference; choose a Categorical or Mixed family to fit it")
                kind.setText("text")
                kind.setToolTip("")
                for it in (item, kind, miss):
                    it.setForeground(QtGui.QBrush(QtGui.QColor(150, 150, 150)))
                    it.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
    finally:
        panel.columns.blockSignals(False)
    panel.fit_type_column()
