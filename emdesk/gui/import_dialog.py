"""File > Import with Options...: the first rows of a file as they will be read, with the reader's choices
to override (issue 15). A standalone dialog; the window opens it and reads the file with the result:

    dialog = ImportDialog(path, options=remembered_options(settings, path), parent=window)
    if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
        remember_options(settings, path, dialog.options())
        table = emdesk.io.import_options.load_with_options(path, dialog.options())

The preview is :func:`emdesk.io.import_options.preview` (no Qt) recomputed ~150 ms after the last change
(it reads the first 256 KB of a text file, or the sheet of a spreadsheet, in the GUI thread: milliseconds).
"""

from __future__ import annotations

import hashlib
import json
import os

from PySide6 import QtCore, QtGui, QtWidgets

from .cell_table import CellTableView

from emdesk.io.import_options import DELIMITERS, ENCODINGS, ImportOptions, Preview, preview
from emdesk.io.table import MISSING_TOKENS
from emdesk.io.thousands import THOUSANDS

__all__ = ["ImportDialog", "remembered_options", "remember_options", "SETTINGS_GROUP"]

SETTINGS_GROUP = "import_options"
_DETECT = "Detect"
_PREVIEW_ROWS = 20


def _settings_key(path) -> str:
    """QSettings key for a file: a hash of its absolute path (slashes would make QSettings groups)."""
    digest = hashlib.sha1(os.path.abspath(os.fspath(path)).encode("utf-8")).hexdigest()[:20]
    return f"{SETTINGS_GROUP}/{digest}"


def remembered_options(settings: QtCore.QSettings, path) -> ImportOptions | None:
    """The options last chosen for ``path`` (None when none were remembered or they no longer parse)."""
    raw = settings.value(_settings_key(path))
    if not raw:
        return None
    try:
        data = json.loads(raw)
        if data.get("path") != os.path.abspath(os.fspath(path)):
            return None
        return ImportOptions.from_dict(data.get("options", {}))
    except (ValueError, TypeError, AttributeError):
        return None


def remember_options(settings: QtCore.QSettings, path, options: ImportOptions | None) -> None:
    """Remember ``options`` for ``path`` (None or default options forget them)."""
    key = _settings_key(path)
    if options is None or options.is_default:
        settings.remove(key)
    else:
        settings.setValue(key, json.dumps({"path": os.path.abspath(os.fspath(path)),
                                           "options": options.to_dict()}))
    settings.sync()


def _visible(delimiter: str) -> str:
    return DELIMITERS.get(delimiter, repr(delimiter))


class ImportDialog(QtWidgets.QDialog):
    """The import preview: controls for every :class:`ImportOptions` field, the first rows as they will be
    read (numeric columns in black, text columns grey and italic, the row-label column bold), the file's
    raw first lines, and what detection chose or doubts. :meth:`options` is the user's choice."""

    previewUpdated = QtCore.Signal()

    def __init__(self, path, options: ImportOptions | None = None, parent=None, *, n_rows: int = _PREVIEW_ROWS):
        super().__init__(parent)
        self.path = os.fspath(path)
        self.n_rows = n_rows
        self.last_preview: Preview | None = None
        self._auto_raw = False
        self._building = True
        self.setWindowTitle(f"Import {os.path.basename(self.path)}")
        self.setObjectName("importDialog")
        self._timer = QtCore.QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.refresh)
        self._build()
        self.set_options(options or ImportOptions())
        self._building = False
        self.refresh()

    # -- layout --------------------------------------------------------------------------------------
    def _build(self) -> None:
        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.sheet = QtWidgets.QComboBox(objectName="sheet")
        self.sheet_label = QtWidgets.QLabel("&Sheet:")
        self.sheet_label.setBuddy(self.sheet)
        form.addRow(self.sheet_label, self.sheet)

        self.delimiter = QtWidgets.QComboBox(objectName="delimiter")
        self.delimiter.addItem(_DETECT, None)
        for value, label in DELIMITERS.items():
            self.delimiter.addItem(label, value)
        form.addRow("&Delimiter:", self.delimiter)

        self.decimal = QtWidgets.QComboBox(objectName="decimal")
        self.decimal.addItem(_DETECT, None)
        self.decimal.addItem("Point  (1.5)", ".")
        self.decimal.addItem("Comma  (1,5)", ",")
        form.addRow("Decimal &mark:", self.decimal)

        self.thousands = QtWidgets.QComboBox(objectName="thousands")
        self.thousands.addItem(_DETECT, None)
        for value, label in THOUSANDS.items():
            self.thousands.addItem(label, value)
        self.thousands.setToolTip("The mark grouping digits in threes (1.234.567, 1,234,567, 1 234 567 or "
                                  "1'234'567). Detect reads it per column: a point or comma where it is the mark "
                                  "that is not the decimal mark (and says when that was a guess), spaces (also "
                                  "no-break and thin spaces) and apostrophes where every such cell is grouped")
        form.addRow("&Thousands separator:", self.thousands)

        header = QtWidgets.QHBoxLayout()
        self.header_mode = QtWidgets.QComboBox(objectName="headerMode")
        self.header_mode.addItems([_DETECT, "Row", "None (col1, col2, ...)"])
        self.header_row = QtWidgets.QSpinBox(objectName="headerRow", minimum=1, maximum=100000)
        self.header_row.setToolTip("Which row holds the column names (1 = the first row read, after the "
                                   "skipped lines); rows above it are skipped.")
        header.addWidget(self.header_mode, 1)
        header.addWidget(self.header_row)
        header_label = QtWidgets.QLabel("&Header row:")
        header_label.setBuddy(self.header_mode)
        form.addRow(header_label, header)

        self.encoding = QtWidgets.QComboBox(objectName="encoding", editable=True)
        self.encoding.addItem(_DETECT)
        self.encoding.addItems(ENCODINGS)
        form.addRow("&Encoding:", self.encoding)

        self.skip_rows = QtWidgets.QSpinBox(objectName="skipRows", minimum=0, maximum=1000000)
        self.skip_rows.setToolTip("Lines skipped at the top of the file (a title or notes above the table)")
        form.addRow("S&kip lines at top:", self.skip_rows)

        self.comment = QtWidgets.QLineEdit(objectName="comment", maxLength=4)
        self.comment.setPlaceholderText("none (leading # lines are skipped)")
        self.comment.setToolTip("Lines starting with this text are skipped anywhere in the file")
        form.addRow("&Comment lines start with:", self.comment)

        self.missing = QtWidgets.QLineEdit(objectName="missingTokens")
        self.missing.setPlaceholderText("default: " + " ".join(sorted(t for t in MISSING_TOKENS if t)))
        self.missing.setToolTip("Cell texts read as missing, separated by spaces (an empty cell always is). "
                                "Empty: the default list.")
        form.addRow("M&issing values:", self.missing)

        self.row_labels = QtWidgets.QComboBox(objectName="rowLabels")
        self.row_labels.setToolTip("A column of row names: read as text, never fitted")
        form.addRow("&Row labels:", self.row_labels)

        controls = QtWidgets.QWidget()
        controls.setLayout(form)
        controls.setMaximumWidth(460)

        self.status = QtWidgets.QLabel(objectName="status", wordWrap=True)
        self.status.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.status.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        self.status.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Minimum)

        self.suggestion = QtWidgets.QPushButton(objectName="suggestion")
        self.suggestion.clicked.connect(self._apply_suggestion)
        self.suggestion.hide()

        left = QtWidgets.QVBoxLayout()
        left.addWidget(controls)
        left.addWidget(self.status)
        left.addWidget(self.suggestion, 0, QtCore.Qt.AlignmentFlag.AlignLeft)
        left.addStretch(1)

        self.table = CellTableView()  # cells formatted when painted (a wide file's preview: emdesk.gui.cell_table)
        self.table.setObjectName("preview")
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.raw = QtWidgets.QPlainTextEdit(objectName="raw", readOnly=True)
        self.raw.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.raw.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        tabs = QtWidgets.QTabWidget(objectName="views")
        tabs.addTab(self.table, "As it will be read")
        tabs.addTab(self.raw, "File as text")
        self.tabs = tabs

        top = QtWidgets.QHBoxLayout()
        top.addLayout(left, 0)
        top.addWidget(tabs, 1)

        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel
            | QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults)
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("&Import")
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults).setText("Detect &All")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            lambda: self.set_options(ImportOptions(sheet=self._current_sheet())))

        outer = QtWidgets.QVBoxLayout(self)
        outer.addLayout(top, 1)
        outer.addWidget(self.buttons)

        for combo in (self.sheet, self.delimiter, self.decimal, self.thousands, self.header_mode, self.row_labels):
            combo.currentIndexChanged.connect(self._changed)
        self.encoding.currentTextChanged.connect(self._changed)
        for spin in (self.header_row, self.skip_rows):
            spin.valueChanged.connect(self._changed)
        for edit in (self.comment, self.missing):
            edit.textChanged.connect(self._changed)
        self.header_mode.currentIndexChanged.connect(
            lambda i: self.header_row.setEnabled(i == 1))
        # fits 1280x720 with the window's margins
        self.resize(1100, 600)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt's name)
        return QtCore.QSize(1100, 600)

    # -- options <-> controls ------------------------------------------------------------------------
    def _current_sheet(self):
        return self.sheet.currentData() if self.sheet.count() else None

    def set_options(self, options: ImportOptions) -> None:
        """Show ``options`` in the controls (and refresh the preview)."""
        building, self._building = self._building, True
        try:
            self._select(self.delimiter, options.delimiter)
            self._select(self.decimal, options.decimal)
            self._select(self.thousands, options.thousands)
            if options.header_row is None:
                self.header_mode.setCurrentIndex(0)
            elif options.header_row == -1:
                self.header_mode.setCurrentIndex(2)
            else:
                self.header_mode.setCurrentIndex(1)
                self.header_row.setValue(options.header_row + 1)
            self.header_row.setEnabled(self.header_mode.currentIndex() == 1)
            self.encoding.setCurrentText(options.encoding or _DETECT)
            self.skip_rows.setValue(options.skip_rows)
            self.comment.setText(options.comment or "")
            self.missing.setText(" ".join(options.missing_tokens) if options.missing_tokens is not None else "")
            self._pending_label = options.row_label_column
            self._pending_sheet = options.sheet
            if options.sheet is not None and self.sheet.count():
                self._select(self.sheet, options.sheet)
        finally:
            self._building = building
        if not self._building:
            self.refresh()

    @staticmethod
    def _select(combo: QtWidgets.QComboBox, value) -> None:
        index = combo.findData(value)
        combo.setCurrentIndex(max(0, index))

    def options(self) -> ImportOptions:
        """The options the controls show (what Import will use)."""
        mode = self.header_mode.currentIndex()
        header_row = None if mode == 0 else (-1 if mode == 2 else self.header_row.value() - 1)
        encoding = self.encoding.currentText().strip()
        encoding = None if encoding in ("", _DETECT) else encoding
        tokens = self.missing.text().split()
        label = self.row_labels.currentData() if self.row_labels.count() else getattr(self, "_pending_label", None)
        sheet = self._current_sheet() if self.sheet.count() else getattr(self, "_pending_sheet", None)
        kwargs = dict(delimiter=self.delimiter.currentData(), decimal=self.decimal.currentData(),
                      header_row=header_row, encoding=encoding, skip_rows=self.skip_rows.value(),
                      comment=self.comment.text().strip() or None,
                      missing_tokens=tuple(tokens) if tokens else None, row_label_column=label, sheet=sheet,
                      thousands=self.thousands.currentData())
        if kwargs["delimiter"] == " " and kwargs["thousands"] == " ":
            kwargs["thousands"] = None  # runs of spaces split the cells: see _option_problem
        # an impossible choice (an unknown encoding; comma as delimiter and decimal mark) is left to
        # detection, and the status line says so (see _option_problem)
        for drop in ((), ("encoding",), ("encoding", "decimal"), ("encoding", "decimal", "thousands")):
            try:
                return ImportOptions(**{**kwargs, **{k: None for k in drop}})
            except ValueError:
                continue
        return ImportOptions(sheet=sheet)

    def _option_problem(self) -> str | None:
        encoding = self.encoding.currentText().strip()
        if encoding not in ("", _DETECT):
            import codecs
            try:
                codecs.lookup(encoding)
            except LookupError:
                return f"Unknown encoding {encoding!r}: the encoding is detected instead."
        if self.delimiter.currentData() == "," and self.decimal.currentData() == ",":
            return "A comma cannot be both the delimiter and the decimal mark: the decimal mark is detected."
        if self.thousands.currentData() and self.thousands.currentData() == self.decimal.currentData():
            return "The thousands separator cannot be the decimal mark: the decimal mark is detected."
        if self.thousands.currentData() == " " and self.delimiter.currentData() == " ":
            return ("A space cannot be both the delimiter and the thousands separator: the thousands separator "
                    "is detected.")
        return None

    # -- preview -------------------------------------------------------------------------------------
    def _changed(self, *args) -> None:
        if not self._building:
            self._timer.start()

    def refresh(self) -> None:
        """Read the preview with the current options now (the controls call it 150 ms after a change)."""
        self._timer.stop()
        options = self.options()
        problem = self._option_problem()
        result = preview(self.path, options, self.n_rows)
        self.last_preview = result
        building, self._building = self._building, True
        try:
            self._show_sheets(result)
            self._show_row_labels(result)
        finally:
            self._building = building
        self._show_table(result)
        self.raw.setPlainText("\n".join(result.raw_lines))
        self.tabs.setTabEnabled(1, bool(result.raw_lines))
        # nothing to show as read: show the file as text instead (and back once it reads)
        if result.table is None and result.raw_lines:
            self._auto_raw = self._auto_raw or self.tabs.currentIndex() == 0
            self.tabs.setCurrentIndex(1)
        elif self._auto_raw:
            self._auto_raw = False
            self.tabs.setCurrentIndex(0)
        self._show_status(result, problem)
        suggested = result.suggested
        if suggested is not None and suggested.skip_rows != options.skip_rows:
            n = suggested.skip_rows
            self.suggestion.setText(f"Skip {n} line{'s' if n != 1 else ''} at the top")
            self.suggestion.show()
        else:
            self.suggestion.hide()
        ok = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(result.error is None)
        for widget in (self.delimiter, self.decimal, self.thousands, self.encoding, self.skip_rows, self.comment):
            widget.setEnabled(not result.sheet_names)
        self.previewUpdated.emit()

    def _apply_suggestion(self) -> None:
        if self.last_preview is not None and self.last_preview.suggested is not None:
            self.skip_rows.setValue(self.last_preview.suggested.skip_rows)
            self.refresh()

    def _show_sheets(self, result: Preview) -> None:
        spreadsheet = bool(result.sheet_names)
        self.sheet.setVisible(spreadsheet)
        self.sheet_label.setVisible(spreadsheet)
        names = [self.sheet.itemData(i) for i in range(self.sheet.count())]
        if names != result.sheet_names:
            current = result.detected.sheet if result.detected.sheet is not None else getattr(
                self, "_pending_sheet", None)
            self.sheet.clear()
            for name in result.sheet_names:
                self.sheet.addItem(name, name)
            if current is not None:
                index = self.sheet.findData(current) if isinstance(current, str) else int(current)
                self.sheet.setCurrentIndex(max(0, index))

    def _show_row_labels(self, result: Preview) -> None:
        columns = result.table.column_names if result.table is not None else []
        current = self.row_labels.currentData() if self.row_labels.count() else getattr(self, "_pending_label", None)
        have = [self.row_labels.itemData(i) for i in range(1, self.row_labels.count())]
        if have == columns and self.row_labels.count():
            return
        self.row_labels.clear()
        self.row_labels.addItem("None", None)
        for name in columns:
            self.row_labels.addItem(name, name)
        if isinstance(current, int) and 0 <= current < len(columns):
            current = columns[current]
        index = self.row_labels.findData(current) if current is not None else 0
        self.row_labels.setCurrentIndex(max(0, index))

    def _show_table(self, result: Preview) -> None:
        """The preview's rows as they will be read: numbers right-aligned to 10 significant digits (a missing one
        as a grey dash), row labels bold, text grey and italic; a header of name and kind. One model reset
        (a 1,000-column preview took 0.9 s with one QTableWidgetItem per cell)."""
        table = result.table
        cells = self.table.cells()
        if table is None:
            cells.clear()
            return
        names = table.column_names
        label = getattr(table, "row_label_column", None)
        grey = self.palette().color(QtGui.QPalette.ColorGroup.Disabled, QtGui.QPalette.ColorRole.Text)
        header, tips, columns, numeric_cols = [], [], [], set()
        empty_names = set(table.empty_column_names)
        numeric_names = table.numeric_column_names
        values = dict(zip(numeric_names, table.to_array(numeric_names).T.tolist()))
        for j, name in enumerate(names):
            numeric = name in values
            empty = name in empty_names
            kind = "row labels" if name == label else ("numbers" if numeric else "empty" if empty else "text")
            header.append(f"{name}\n{kind}")
            tips.append(f"{name}: {kind}" + ("" if numeric or name == label else
                                             " (no values: every cell read is empty or missing)" if empty else
                                             " (not fitted; a text cell or a missing-value token?)"))
            if numeric:  # shown to 10 significant digits (0.7 * 3 as 2.1, not 2.0999999999999996)
                numeric_cols.add(j)
                columns.append(["\u2014" if v != v else f"{v:.10g}" for v in values[name]])
            else:
                columns.append(table.text_column(name))
        rows = [list(r) for r in zip(*columns)] if columns else []
        label_j = names.index(label) if label in names else -1
        bold, italic = QtGui.QFont(self.table.font()), QtGui.QFont(self.table.font())
        bold.setBold(True)
        italic.setItalic(True)
        grey_brush = QtGui.QBrush(grey)
        right = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        Role = QtCore.Qt.ItemDataRole

        def style(r, c, role):
            if c in numeric_cols:
                if role == Role.TextAlignmentRole:
                    return right
                missing = rows[r][c] == "\u2014"
                if missing and role == Role.ForegroundRole:
                    return grey_brush
                if missing and role == Role.ToolTipRole:
                    return "missing"
                return None
            if c == label_j:
                return bold if role == Role.FontRole else None
            if role == Role.ForegroundRole:
                return grey_brush
            return italic if role == Role.FontRole else None

        cells.set_rows(header, rows, style=style, text=str, header_tooltips=tips)
        # the widest text of each column, at most 220 px (bold row labels measured with their font)
        self.table.fit_columns(max_width=220)
        if label_j >= 0:
            fm = QtGui.QFontMetrics(bold)
            w = max((fm.horizontalAdvance(t) for t in columns[label_j]), default=0) + 8
            self.table.setColumnWidth(label_j, min(220, max(self.table.columnWidth(label_j), w)))

    def _show_status(self, result: Preview, problem: str | None) -> None:
        lines = []
        if problem:
            lines.append(problem)
        if result.error:
            lines.append(result.error)
        else:
            d = result.detected
            table = result.table
            if result.sheet_names:
                lines.append(f"Sheet {d.sheet!r}: {len(table.numeric_column_names)} numeric of "
                             f"{table.n_columns} columns (first {table.n_rows} rows shown).")
            else:
                header = ("none" if d.header_row == -1 else f"row {d.header_row + 1}" if d.header_row is not None
                          else "detected")
                lines.append(f"Read as: {_visible(d.delimiter).lower()}-separated, decimal "
                             f"{'comma' if d.decimal == ',' else 'point'}, header {header}, {d.encoding}; "
                             f"{len(table.numeric_column_names)} numeric of {table.n_columns} columns "
                             f"(first {table.n_rows} rows shown).")
        lines += result.unsure + result.notes
        self.status.setText("\n\n".join(lines))
        bad = bool(result.error)
        self.status.setStyleSheet("color: #b00020;" if bad else "")
