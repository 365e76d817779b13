"""The data panel: file name, row count, missing cells, and the columns with a checkbox per numeric one."""

from __future__ import annotations

import os

from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.io.sequences import order_columns
from emdesk.io.table import empty_columns_message

MISSING_MODES = ("marginalize", "drop")  # the window's choice for rows with missing values (scripting names)
EMPTY_TOOLTIP = "Empty column: every cell is empty or missing (NA), so it has no values to fit"


class DataPanel(QtWidgets.QWidget):
    selectionChanged = QtCore.Signal(list)
    missingModeChanged = QtCore.Signal(str)
    sequenceChanged = QtCore.Signal(object, object)  # sequence column or None, order column or None
    contentChanged = QtCore.Signal()  # rows, pickers or the missing-values box shown or hidden: a new height

    def __init__(self, parent=None):
        super().__init__(parent)
        self._table = None
        self.file_label = QtWidgets.QLabel("<i>no file</i>")
        self.file_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_label.setWordWrap(True)
        self.rows_label = QtWidgets.QLabel("-")
        self.missing_label = QtWidgets.QLabel("-")
        self.missing_label.setWordWrap(True)
        self._missing_counts = {}
        form = QtWidgets.QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("File:", self.file_label)
        form.addRow("Rows:", self.rows_label)
        form.addRow("Missing cells:", self.missing_label)

        self.columns = QtWidgets.QTableWidget(0, 3)
        self.columns.setHorizontalHeaderLabels(["Column", "Type", "Missing"])
        self.columns.verticalHeader().setVisible(False)
        self.columns.setWordWrap(False)  # one line per column: long texts are elided (the tooltip has them)
        self.columns.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.columns.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        hdr = self.columns.horizontalHeader()
        hdr.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        hdr.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Interactive)  # see _fit_type_column
        hdr.setSectionResizeMode(2, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.columns.setToolTip("Tick the numeric columns to fit; text columns are shown but cannot be fitted")
        # Rows as tall as a line of text plus a little (the style's default, 30 px at a 9-point font, left
        # room for only a few columns in the dock at 1280x680).
        row_h = self.columns.fontMetrics().height() + 8
        self.columns.verticalHeader().setMinimumSectionSize(row_h)
        self.columns.verticalHeader().setDefaultSectionSize(row_h)

        self.hint = QtWidgets.QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #666;")

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(form)
        lay.addWidget(self.columns, 1)  # up to all its rows (its maximum height); the stretch below takes the rest
        lay.addWidget(self.hint)
        # Later options about the data (e.g. how to treat missing values) go into this layout.
        self.options_layout = QtWidgets.QVBoxLayout()
        lay.addLayout(self.options_layout)

        # Hidden Markov models: which column names each row's sequence and which orders the rows in it.
        self.sequence_box = QtWidgets.QWidget()
        seq_form = QtWidgets.QFormLayout(self.sequence_box)
        seq_form.setContentsMargins(0, 0, 0, 0)
        self.sequence_combo = QtWidgets.QComboBox()
        self.sequence_combo.setToolTip("The column naming the sequence each row belongs to (one series per "
                                       "value); (one sequence): all rows form one series")
        self.order_combo = QtWidgets.QComboBox()
        self.order_combo.setToolTip("The numeric column (time or index) the rows are sorted by within each "
                                    "sequence; (file order): as the rows are in the file")
        seq_form.addRow("Sequence:", self.sequence_combo)
        seq_form.addRow("Order by:", self.order_combo)
        self.sequence_box.hide()
        self.options_layout.addWidget(self.sequence_box)
        self.sequence_combo.currentIndexChanged.connect(self._sequence_picked)
        self.order_combo.currentIndexChanged.connect(self._sequence_picked)

        # Missing values in the ticked columns: how many rows, and the choice of treatment (issue 5).
        self.missing_box = QtWidgets.QGroupBox("Missing values")
        self.missing_info = QtWidgets.QLabel()
        self.missing_info.setWordWrap(True)
        self.missing_marginalize = QtWidgets.QRadioButton("Fit with missing values (EM, exact)")
        self.missing_marginalize.setToolTip(
            "Use every row: EM evaluates each row on its observed values and fills the missing ones by their "
            "conditional expectation at every iteration (no row is thrown away)")
        self.missing_drop = QtWidgets.QRadioButton("Drop incomplete rows")
        self.missing_drop.setToolTip("Fit only the rows with a value in every ticked column")
        self.missing_marginalize.setChecked(True)
        self._missing_group = QtWidgets.QButtonGroup(self)
        self._missing_group.addButton(self.missing_marginalize)
        self._missing_group.addButton(self.missing_drop)
        box_lay = QtWidgets.QVBoxLayout(self.missing_box)
        box_lay.setContentsMargins(6, 4, 6, 4)
        box_lay.setSpacing(2)
        box_lay.addWidget(self.missing_info)
        box_lay.addWidget(self.missing_marginalize)
        box_lay.addWidget(self.missing_drop)
        self.missing_box.hide()
        self.options_layout.addWidget(self.missing_box)
        lay.addStretch(0)  # height beyond the list's every row goes below the options (the list has the stretch)
        self._missing_summary = (0, 0, 0, False, None)
        self.missing_marginalize.toggled.connect(self._missing_toggled)

        self.columns.itemChanged.connect(self._item_changed)

    @property
    def table(self):
        return self._table

    text_fittable = False  # text columns can be ticked (a categorical family: emdesk.gui.text_columns)

    def set_table(self, table, selected: list[str] | None = None) -> None:
        self._table = table
        self.text_fittable = False
        self.file_label.setText(os.path.basename(str(table.path)) if table.path else "(unnamed)")
        self.file_label.setToolTip(str(table.path))
        self.rows_label.setText(f"{table.n_rows:,}")
        missing = self._missing_counts = dict(table.missing_counts)
        numeric = set(table.numeric_column_names)
        empty = set(table.empty_column_names)
        if selected is None:
            selected = list(table.numeric_column_names[:2])
        self.columns.blockSignals(True)
        # Emptied first: replacing the items of a filled table one by one made Qt resize the header's sections
        # after every item (quadratic: 9-14 s to show a 1,000-column file again, 117 ms when empty)
        self.columns.setRowCount(0)
        self.columns.setRowCount(len(table.column_names))
        for row, name in enumerate(table.column_names):
            item = QtWidgets.QTableWidgetItem(name)
            label = name == getattr(table, "row_label_column", None)  # names the rows: never fitted
            kind = QtWidgets.QTableWidgetItem("number" if name in numeric else "row label" if label else
                                              "empty" if name in empty else "text")
            miss = QtWidgets.QTableWidgetItem(f"{int(missing.get(name, 0)):,}")
            miss.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
            if name in numeric:
                item.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(QtCore.Qt.CheckState.Checked if name in selected
                                   else QtCore.Qt.CheckState.Unchecked)
            else:
                item.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
                item.setToolTip("Row labels: they name the rows and are never fitted" if label
                                else EMPTY_TOOLTIP if name in empty
                                else "Text column: shown for reference, not used in the fit")
                for it in (item, kind, miss):
                    it.setForeground(QtGui.QBrush(QtGui.QColor(150, 150, 150)))
                    if name in empty:
                        it.setToolTip(EMPTY_TOOLTIP)
            kind.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled if name in numeric else QtCore.Qt.ItemFlag.NoItemFlags)
            miss.setFlags(kind.flags())
            self.columns.setItem(row, 0, item)
            self.columns.setItem(row, 1, kind)
            self.columns.setItem(row, 2, miss)
        self.columns.blockSignals(False)
        self._fit_table_height()
        self.fit_type_column()
        self._fill_sequence_pickers(table)
        self._update_hint()
        self.contentChanged.emit()

    def fit_type_column(self) -> None:
        """The Type column as wide as its texts but at most about 12 characters, so the column names keep
        their room (a categorical family's "text: 3 categories (blue, green, red)" is elided; its tooltip
        lists them all)."""
        t = self.columns
        t.resizeColumnToContents(1)
        cap = t.fontMetrics().horizontalAdvance("text: 12 categ") + 12
        floor = t.fontMetrics().horizontalAdvance("number") + 16
        t.setColumnWidth(1, max(floor, min(t.columnWidth(1), cap)))

    MIN_ROWS = 6  # the column list shows at least this many columns (fewer when the file has fewer)

    def _fit_table_height(self) -> None:
        """The columns table is as tall as its rows (no empty rows pushing the options below out of the
        dock) and at least ``MIN_ROWS`` rows tall; a long list scrolls."""
        t = self.columns
        rows = t.rowCount()
        row_h = t.verticalHeader().defaultSectionSize()
        extra = t.horizontalHeader().sizeHint().height() + 2 * t.frameWidth()
        t.setMinimumHeight(extra + min(max(rows, 1), self.MIN_ROWS) * row_h + 2)
        t.setMaximumHeight(extra + max(rows, 1) * row_h + 2)

    # -- sequences (hidden Markov models) ---------------------------------------------------------------
    NO_SEQUENCE = "(one sequence)"
    FILE_ORDER = "(file order)"

    def _fill_sequence_pickers(self, table) -> None:
        for combo, first, names in ((self.sequence_combo, self.NO_SEQUENCE, table.column_names),
                                    (self.order_combo, self.FILE_ORDER, order_columns(table))):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(first)
            combo.addItems(list(names))
            combo.blockSignals(False)

    def show_sequence_pickers(self, on: bool) -> None:
        if self.sequence_box.isVisibleTo(self) != bool(on):
            self.sequence_box.setVisible(bool(on))
            self.contentChanged.emit()

    def sequence_columns(self) -> tuple:
        """(sequence column or None, order column or None) as picked."""
        seq = self.sequence_combo.currentText() if self.sequence_combo.currentIndex() > 0 else None
        order = self.order_combo.currentText() if self.order_combo.currentIndex() > 0 else None
        return seq, order

    def set_sequence_columns(self, sequence=None, order=None) -> None:
        """Pick the columns (None: one sequence / file order) without emitting sequenceChanged."""
        for combo, name in ((self.sequence_combo, sequence), (self.order_combo, order)):
            i = 0 if name is None else combo.findText(name)
            if i < 0:
                raise ValueError(f"{name!r} is not a column that can be picked here.")
            combo.blockSignals(True)
            combo.setCurrentIndex(i)
            combo.blockSignals(False)

    def _sequence_picked(self, _index: int) -> None:
        self.sequenceChanged.emit(*self.sequence_columns())

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
        numeric = set(self._table.column_names if self.text_fittable else self._table.numeric_column_names)
        empty = [n for n in names if n in self._table.empty_column_names]
        if empty:
            raise ValueError(empty_columns_message(self._table, empty))
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

    def _show_missing_cells(self, sel) -> None:
        """"Missing cells": those of the ticked columns; when other columns have missing cells too (an empty
        column, a column not ticked), the file's total beside it and, in the tooltip, which columns hold them
        (the count used to include an empty column that no fit can use)."""
        counts = self._missing_counts
        total = sum(counts.values())
        ticked = sum(counts.get(n, 0) for n in sel)
        if ticked == total:
            self.missing_label.setText(f"{total:,}" if total else "none")
            self.missing_label.setToolTip("")
            return
        empty = set(getattr(self._table, "empty_column_names", ()) or ())
        where = "the ticked column" if len(sel) == 1 else "the ticked columns"
        if sel:
            self.missing_label.setText(f"{ticked:,} in {where} ({total:,} in the file)")
        else:
            self.missing_label.setText(f"{total:,} in the file (no column ticked)")
        others = [f"{n} ({c:,}{', empty' if n in empty else ''})" for n, c in counts.items()
                  if c and n not in sel]
        self.missing_label.setToolTip("Missing cells in columns not ticked: " + ", ".join(others))

    def _update_hint(self) -> None:
        sel = self.selected_columns()
        self._show_missing_cells(sel)
        if self._table is None:
            self.hint.setText("")
        elif not sel:
            self.hint.setText("Tick at least one numeric column to fit.")
        else:
            self.hint.setText(f"Fitting {len(sel)} column{'s' if len(sel) > 1 else ''}: {', '.join(sel)}")

    # -- missing values ---------------------------------------------------------------------------------
    def missing_mode(self) -> str:
        """"marginalize" (fit every row with exact EM for missing values) or "drop" (complete rows only)."""
        return "drop" if self.missing_drop.isChecked() else "marginalize"

    def set_missing_mode(self, mode: str) -> None:
        """Choose the treatment of incomplete rows; emits missingModeChanged when it changes."""
        if mode not in MISSING_MODES:
            raise ValueError(f"missing must be one of {', '.join(MISSING_MODES)} (fit with missing values, or "
                             f"drop incomplete rows); got {mode!r}.")
        if mode != self.missing_mode():
            (self.missing_drop if mode == "drop" else self.missing_marginalize).setChecked(True)

    def _missing_toggled(self, _checked: bool) -> None:
        self._show_missing_summary()
        self.missingModeChanged.emit(self.missing_mode())

    def set_missing_summary(self, n_rows: int, n_incomplete: int, n_empty: int, time_steps: bool = False,
                            n_fitted: int | None = None) -> None:
        """Rows of the file, rows with a missing value in a ticked column, and rows with every ticked value
        missing (the window counts them when the ticked columns change); ``time_steps``: the rows are an HMM's
        time steps, where a row with no value is kept as a step without observation (unless incomplete rows
        are dropped); ``n_fitted``: the HMM's rows fitted (fewer than ``n_rows`` when a sequence with no
        observed value at all is left out, its rows with it)."""
        self._missing_summary = (int(n_rows), int(n_incomplete), int(n_empty), bool(time_steps),
                                 None if n_fitted is None else int(n_fitted))
        self._show_missing_summary()

    def missing_text(self) -> str:
        """The sentence about incomplete rows ("" when the ticked columns have none)."""
        return self.missing_info.text()

    def _show_missing_summary(self) -> None:
        n_rows, n_inc, n_empty, steps, n_fitted = self._missing_summary
        if n_inc == 0:
            self.missing_info.setText("")
            if not self.missing_box.isHidden():
                self.missing_box.hide()
                self.contentChanged.emit()
            return
        one = len(self.selected_columns()) == 1
        where = "the ticked column" if one else "the ticked columns"
        text = (f"{n_inc:,} of {n_rows:,} row{'s' if n_rows != 1 else ''} "
                f"{'have' if n_inc != 1 else 'has'} missing values in {where}.")
        partial = n_inc - n_empty
        drop = self.missing_mode() == "drop"
        # an HMM's rows left out with their sequence, which has no observed value at all (all of them empty)
        left = 0 if not steps or drop or n_fitted is None else min(max(n_rows - n_fitted, 0), n_empty)
        kept = n_empty - left
        if kept and steps:
            # an HMM: a row with no value is a time step without observation (leaving it out would join the
            # steps on either side), unless the incomplete rows are dropped
            many = kept != 1
            who = ("They have" if many else "It has") if kept == n_inc else \
                f"{kept:,} of them {'have' if many else 'has'}"
            text += (f" {who} no value at all in {where} and {'are' if many else 'is'} "
                     + ("dropped with the incomplete rows." if drop else
                        f"kept as {'time steps' if many else 'a time step'} without observation."))
        if left:
            text += (f" {left:,} {'rows are' if left != 1 else 'row is'} left out with the sequences that have "
                     f"no observed value.")
        if not steps and n_empty:
            if n_empty == n_inc:
                text += (" They have no value to fit and are left out." if n_inc > 1 else
                         " It has no value to fit and is left out.")
            else:
                text += (f" {n_empty:,} of them {'have' if n_empty != 1 else 'has'} no value at all "
                         f"in {where} and {'are' if n_empty != 1 else 'is'} left out.")
        if (partial or steps) and drop:
            text += f" Dropping the incomplete rows fits {n_rows - n_inc:,} rows."
        elif steps:
            text += f" EM fits {'' if left else 'all '}{n_rows - left:,} rows as time steps."
        elif partial:
            text += f" EM fits all {n_rows - n_empty:,} rows with a value."
        self.missing_info.setText(text)
        # The choice matters only when some incomplete rows have an observed value (or, an HMM's, are kept).
        self.missing_marginalize.setEnabled(partial > 0 or steps)
        self.missing_drop.setEnabled(partial > 0 or steps)
        if self.missing_box.isHidden():
            self.missing_box.show()
            self.contentChanged.emit()
