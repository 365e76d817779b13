"""The data panel: file name, row count, missing cells, and the columns with a checkbox per numeric one."""

from __future__ import annotations

import os

from PySide6 import QtCore, QtGui, QtWidgets


class DataPanel(QtWidgets.QWidget):
    selectionChanged = QtCore.Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._table = None
        self.file_label = QtWidgets.QLabel("<i>no file</i>")
        self.file_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_label.setWordWrap(True)
        self.rows_label = QtWidgets.QLabel("-")
        self.missing_label = QtWidgets.QLabel("-")
        form = QtWidgets.QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("File:", self.file_label)
        form.addRow("Rows:", self.rows_label)
        form.addRow("Missing cells:", self.missing_label)

        self.columns = QtWidgets.QTableWidget(0, 3)
        self.columns.setHorizontalHeaderLabels(["Column", "Type", "Missing"])
        self.columns.verticalHeader().setVisible(False)
        self.columns.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.columns.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        hdr = self.columns.horizontalHeader()
        hdr.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        hdr.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        hdr.setSectionResizeMode(2, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.columns.setToolTip("Tick the numeric columns to fit; text columns are shown but cannot be fitted")

        self.hint = QtWidgets.QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #666;")

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(form)
        lay.addWidget(self.columns, 1)
        lay.addWidget(self.hint)
        # Later options about the data (e.g. how to treat missing values) go into this layout.
        self.options_layout = QtWidgets.QVBoxLayout()
        lay.addLayout(self.options_layout)
        self.columns.itemChanged.connect(self._item_changed)

    @property
    def table(self):
        return self._table

    def set_table(self, table, selected: list[str] | None = None) -> None:
        self._table = table
        self.file_label.setText(os.path.basename(str(table.path)) if table.path else "(unnamed)")
        self.file_label.setToolTip(str(table.path))
        self.rows_label.setText(f"{table.n_rows:,}")
        missing = table.missing_counts
        total_missing = int(sum(missing.values()))
        self.missing_label.setText(f"{total_missing:,}" if total_missing else "none")
        numeric = set(table.numeric_column_names)
        if selected is None:
            selected = list(table.numeric_column_names[:2])
        self.columns.blockSignals(True)
        self.columns.setRowCount(len(table.column_names))
        for row, name in enumerate(table.column_names):
            item = QtWidgets.QTableWidgetItem(name)
            kind = QtWidgets.QTableWidgetItem("number" if name in numeric else "text")
            miss = QtWidgets.QTableWidgetItem(f"{int(missing.get(name, 0)):,}")
            miss.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
            if name in numeric:
                item.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(QtCore.Qt.CheckState.Checked if name in selected
                                   else QtCore.Qt.CheckState.Unchecked)
            else:
                item.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
                item.setToolTip("Text column: shown for reference, not used in the fit")
                for it in (item, kind, miss):
                    it.setForeground(QtGui.QBrush(QtGui.QColor(150, 150, 150)))
            kind.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled if name in numeric else QtCore.Qt.ItemFlag.NoItemFlags)
            miss.setFlags(kind.flags())
            self.columns.setItem(row, 0, item)
            self.columns.setItem(row, 1, kind)
            self.columns.setItem(row, 2, miss)
        self.columns.blockSignals(False)
        self._update_hint()

    def selected_columns(self) -> list[str]:
        out = []
        for row in range(self.columns.rowCount()):
            item = self.columns.item(row, 0)
            if item is not None and item.flags() & QtCore.Qt.ItemFlag.ItemIsUserCheckable \
                    and item.checkState() == QtCore.Qt.CheckState.Checked:
                out.append(item.text())
        return out

    def set_selected(self, names: list[str]) -> None:
        """Tick exactly ``names``; raises ValueError naming unknown or non-numeric columns."""
        if self._table is None:
            raise ValueError("No data is loaded: open a CSV file first.")
        numeric = set(self._table.numeric_column_names)
        bad = [n for n in names if n not in numeric]
        if bad:
            known = ", ".join(self._table.numeric_column_names) or "none"
            raise ValueError(f"Not numeric columns of this file: {', '.join(map(str, bad))}. "
                             f"Choose among: {known}.")
        self.columns.blockSignals(True)
        for row in range(self.columns.rowCount()):
            item = self.columns.item(row, 0)
            if item.flags() & QtCore.Qt.ItemFlag.ItemIsUserCheckable:
                item.setCheckState(QtCore.Qt.CheckState.Checked if item.text() in names
                                   else QtCore.Qt.CheckState.Unchecked)
        self.columns.blockSignals(False)
        self._update_hint()
        self.selectionChanged.emit(self.selected_columns())

    def _item_changed(self, item) -> None:
        if item.column() == 0:
            self._update_hint()
            self.selectionChanged.emit(self.selected_columns())

    def _update_hint(self) -> None:
        sel = self.selected_columns()
        if self._table is None:
            self.hint.setText("")
        elif not sel:
            self.hint.setText("Tick at least one numeric column to fit.")
        else:
            self.hint.setText(f"Fitting {len(sel)} column{'s' if len(sel) > 1 else ''}: {', '.join(sel)}")
