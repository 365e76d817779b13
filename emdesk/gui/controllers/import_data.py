"""Opening the data people have (issue 15): the Open dialog's formats and first folder, a sheet picker for
workbooks with several sheets, File > Import with Options... (also opened by itself when the reader is unsure
or a file cannot be read as detected), Edit > Paste Data, and the fill values (-999, 9999 ...) pointed out in
the Data panel with a one-click "Treat as missing". Every file is read by the load controller's worker thread
(``LoadController.begin(path, options)``); pasted text is small and is read at once."""

from __future__ import annotations

import html
import os

from PySide6 import QtCore, QtWidgets

from emdesk.gui.controllers.open_guard import may_replace_fit
from emdesk.io import DataError
from emdesk.io.import_options import ImportOptions

OPEN_FILTER = ("Data files (*.csv *.tsv *.txt *.xlsx *.xlsm *.xls *.ods *.parquet *.feather);;"
               "CSV and text files (*.csv *.tsv *.txt);;Spreadsheets (*.xlsx *.xlsm *.xls *.ods);;"
               "Parquet and Feather (*.parquet *.feather);;All files (*)")
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
RESOURCES = os.path.normcase(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                          "resources"))


def ask_sheet(parent, path: str, names: list[str]) -> str | None:
    """The sheet to open of a workbook with several (None: cancelled). Tests replace this function."""
    name, ok = QtWidgets.QInputDialog.getItem(parent, "Choose a sheet",
                                              f"{os.path.basename(path)} has {len(names)} sheets. Open:",
                                              names, 0, False)
    return name if ok else None


class _NoteBox(QtWidgets.QGroupBox):
    """A Data panel note: a titled box with a wrapped text and one button on the left, hidden until shown."""

    def __init__(self, title: str, name: str, button: str, tip: str, parent=None, rich: bool = False):
        super().__init__(title, parent)
        self.setObjectName(name)
        self.text = QtWidgets.QLabel()
        self.text.setWordWrap(True)
        if rich:
            self.text.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.button = QtWidgets.QPushButton(button)
        self.button.setToolTip(tip)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.text)
        lay.addWidget(self.button, 0, QtCore.Qt.AlignmentFlag.AlignLeft)
        self.hide()


class FillValuesBox(_NoteBox):
    """The Data panel's note on fill values: one line per column and one button for all."""

    treat = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__("Fill values", "fillValuesBox", "Treat as missing",
                         "Read these values as missing cells (the file is not changed); the fit then handles them "
                         "as the Missing values choice below says", parent)
        self.button.clicked.connect(self.treat)

    def show_fills(self, fills) -> None:
        if not fills:
            self.hide()
            return
        # one short line per column (the dock is narrow); the full sentences in the tooltip
        self.text.setText("<br>".join(f"{f.column}: {f.value:g} in {f.count:,} rows" for f in fills[:6])
                          + ("<br>..." if len(fills) > 6 else ""))
        self.setToolTip("\n".join(f.message for f in fills))
        self.text.setMinimumHeight(min(len(fills), 7) * self.text.fontMetrics().lineSpacing() + 2)
        self.show()


class StrayTextBox(_NoteBox):
    """The Data panel's note on numeric columns read as text because of a few stray words (one short line
    per column, the full sentences in the tooltip) and one button that reads those cells as missing."""

    treat = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__("Numbers read as text", "strayTextBox", "Treat text cells as missing",
                         "Read these columns as numbers, their text cells as missing (the file is not changed); "
                         "tick them to fit them", parent, rich=True)
        self.button.clicked.connect(self.treat)

    def show_columns(self, found) -> None:
        if not found:
            self.hide()
            return
        self.text.setText("<br>".join(html.escape(f.short, quote=False) for f in found[:6]) + ("<br>..." if len(found) > 6 else ""))
        self.setToolTip("\n".join(f.message for f in found))
        self.show()


class ThousandsBox(_NoteBox):
    """The Data panel's note on columns whose thousands separator was a guess (10.691 in a decimal-comma file
    read as 10691: ``emdesk.io.thousands``), and a button that opens the import dialog to choose."""

    choose = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__("Thousands separator guessed", "thousandsBox", "Choose...",
                         "Open the file in File > Import with Options to choose the thousands separator and the "
                         "decimal mark", parent)
        self.button.clicked.connect(self.choose)

    def show_table(self, table) -> None:
        from emdesk.io import decimal_marks
        from emdesk.io.thousands import notes, spaced_notes

        guessed = notes(table) if table is not None else []
        other = decimal_marks.notes(table) if table is not None else []  # 1.234,5 late in a decimal-point file
        spaced = spaced_notes(table) if table is not None else []  # 12 345 lines: one column, not R's row names
        if not guessed and not other and not spaced:
            self.hide()
            return
        sep = {".": "point", ",": "comma"}
        lines = [f"{c}: {ex} read as {ex.replace(table.thousands[c], '')} ({sep[table.thousands[c]]} groups "
                 f"thousands)" for c, ex in table.thousands_ambiguous.items()]
        mark = sep[decimal_marks.other_mark(table.decimal)]
        lines += [f"{c}: read with a decimal {mark} (e.g. {ex}), unlike the file's first lines"
                  for c, ex in table.other_decimal_columns.items()]
        short = {"repeat": "first fields repeat", "not 1..n": "first fields not 1, 2, ..., n"}
        lines += [f"{c}: {ex} read as {ex.replace(' ', '')}, one column ({short[why]}: not R's row names)"
                  for c, (why, ex) in table.spaced_one_column.items()]
        self.setTitle("Thousands separator guessed" if guessed else "Decimal mark of a column" if other
                      else "One column of grouped numbers")
        self.text.setText("<br>".join(html.escape(line, quote=False) for line in lines[:6]))
        self.setToolTip("\n".join(guessed + other + spaced))
        self.button.setEnabled(bool(table.path))
        self.show()


class ImportController(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.dialog = None            # the open ImportDialog, if any
        self._auto_req = None         # a load that opens the import dialog when it fails
        self.fills: list = []         # the fill values of the table on screen
        self._checked = None          # the table they were looked for in
        self.fill_box = FillValuesBox()
        self.fill_box.treat.connect(self.treat_fills_as_missing)
        window.data_panel.options_layout.insertWidget(0, self.fill_box)
        self.stray: list = []         # the text columns of mostly numbers (emdesk.io.stray_text)
        self.stray_box = StrayTextBox()
        self.stray_box.treat.connect(self.treat_stray_text_as_missing)
        window.data_panel.options_layout.insertWidget(0, self.stray_box)
        self.thousands_box = ThousandsBox()
        self.thousands_box.choose.connect(self._choose_thousands)
        window.data_panel.options_layout.insertWidget(0, self.thousands_box)
        window.loadFailed.connect(self._load_failed)
        window.session.subscribe(self._session_changed)

    # -- where the Open dialog starts ------------------------------------------------------------------
    def start_folder(self) -> str:
        """The folder last opened from, but never the package's own examples (then Documents or home)."""
        folder = self.w.settings.last_folder()
        if os.path.normcase(os.path.abspath(folder)).startswith(RESOURCES):
            folder = ""
        if not folder or not os.path.isdir(folder):
            docs = QtCore.QStandardPaths.writableLocation(
                QtCore.QStandardPaths.StandardLocation.DocumentsLocation)
            folder = docs if docs and os.path.isdir(docs) else os.path.expanduser("~")
        return folder

    def _ask_path(self, title: str) -> str | None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.w, title, self.start_folder(), OPEN_FILTER)
        return path or None

    def open_dialog(self) -> None:
        """File > Open..."""
        path = self._ask_path("Open data")
        if path:
            self.open_path(path)

    def import_dialog(self) -> None:
        """File > Import with Options..."""
        path = self._ask_path("Import with options")
        if path:
            self.show_import_dialog(path)

    # -- opening a file the user chose -------------------------------------------------------------------
    def open_path(self, path: str) -> int | None:
        """Open a file the user chose (Open dialog, recent files, drop): the options remembered for it, a
        sheet picker for a workbook with several sheets, the import dialog when detection is unsure.
        While a fit runs, asks first (``open_guard.may_replace_fit``). Returns the load's request id (None: a
        dialog was opened or the user cancelled)."""
        from emdesk.gui.import_dialog import remembered_options

        path = os.fspath(path)
        options = remembered_options(self.w.settings.q, path)
        if options is None:
            ext = os.path.splitext(path)[1].lower()
            if ext in SPREADSHEETS:
                from emdesk.io.spreadsheet import sheet_names
                try:
                    names = sheet_names(path)
                except (DataError, OSError, ValueError):
                    names = []  # the load says what is wrong
                if len(names) > 1:
                    sheet = ask_sheet(self.w, path, names)
                    if sheet is None:
                        return None
                    options = ImportOptions(sheet=sheet)
            elif os.path.isfile(path):
                from emdesk.io.import_options import preview
                try:
                    result = preview(path)
                except Exception:  # the load reports the problem
                    result = None
                if result is not None and (result.unsure or result.error):
                    self.show_import_dialog(path)
                    return None
        if not may_replace_fit(self.w, os.path.basename(path)):  # a fit runs: ask before it goes
            return None
        req = self.w.loader.begin(path, options)
        self._auto_req = req
        return req

    def show_import_dialog(self, path: str):
        """The import preview for ``path`` (non-blocking; ``self.dialog``); OK reads the file with its options
        and remembers them for the next time."""
        from emdesk.gui.import_dialog import ImportDialog, remembered_options

        if self.dialog is not None:
            self.dialog.close()
        dlg = ImportDialog(path, options=remembered_options(self.w.settings.q, path), parent=self.w)
        dlg.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.accepted.connect(lambda: self._accepted(dlg, path))
        dlg.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog = dlg
        dlg.open()
        return dlg

    def _accepted(self, dlg, path: str) -> None:
        from emdesk.gui.import_dialog import remember_options

        options = dlg.options()
        remember_options(self.w.settings.q, path, options)
        if not may_replace_fit(self.w, os.path.basename(path)):
            return
        self._auto_req = None  # a failure now is shown in the error strip, not by another dialog
        self.w.loader.begin(path, options)

    @QtCore.Slot(str)
    def _load_failed(self, message: str) -> None:
        loader = self.w.loader
        if message == "cancelled" or self._auto_req is None or loader.load_id != self._auto_req:
            return
        self._auto_req = None
        if loader.path and os.path.isfile(loader.path) and not self.w.is_closing():
            self.show_import_dialog(loader.path)

    # -- Edit > Paste Data --------------------------------------------------------------------------------
    def paste(self, text: str | None = None) -> bool:
        """Read the clipboard's text (or ``text``) as a table and show it; False (and a message) when it is
        not a table."""
        from emdesk.io.clipboard import table_from_clipboard_text

        if text is None:
            text = QtWidgets.QApplication.clipboard().text()
        try:
            table = table_from_clipboard_text(text)
        except DataError as exc:
            self.w.show_message(f"Could not paste the data. {exc}", "error")
            return False
        if not table.numeric_column_names and self.w.session.family != "categorical":  # as a file (load.py)
            from emdesk.io.table import no_numbers_message

            self.w.show_message(f"Could not paste the data. {no_numbers_message(table, pasted=True)}", "error")
            return False
        if not may_replace_fit(self.w, "the pasted data"):
            return False
        self.w.set_table(table)
        self.w.clear_message()
        self.w.status_state.setText(f"Pasted {table.n_rows:,} rows, {len(table.column_names)} columns. "
                                    "Press Run (F5) to fit.")
        return True

    # -- fill values ----------------------------------------------------------------------------------------
    def _session_changed(self, event: str) -> None:
        if event != "data":
            return
        table = self.w.session.table
        if table is not None and not table.path:
            self.w.data_panel.file_label.setText("pasted data")
        if table is self._checked:
            return
        self._checked = table
        self.fills = []
        if table is not None:
            from emdesk.io.fillvalues import find_fill_values
            try:
                self.fills = find_fill_values(table)
            except Exception:  # informative only
                self.fills = []
        self.fill_box.show_fills(self.fills)
        self.stray = []
        if table is not None:
            from emdesk.io.stray_text import find_stray_text
            try:
                self.stray = find_stray_text(table)
            except Exception:  # informative only
                self.stray = []
        self.stray_box.show_columns(self.stray)
        self.thousands_box.show_table(table)

    def _choose_thousands(self) -> None:
        table = self.w.session.table
        if table is not None and table.path and os.path.isfile(table.path):
            self.show_import_dialog(table.path)

    def treat_fills_as_missing(self) -> None:
        """The Data panel's "Treat as missing": the fill values become missing cells (ticked columns kept)."""
        from emdesk.io.fillvalues import replace_fill_values

        table = self.w.session.table
        if table is None or not self.fills:
            return
        if not may_replace_fit(self.w, "the data with the fill values as missing cells"):
            return  # a fit runs on this table: asked first, as for other data (Cancel: it goes on)
        columns = self.w.data_panel.selected_columns()
        n = sum(f.count for f in self.fills)
        new = replace_fill_values(table, self.fills)
        self.w.set_table(new, columns)
        self.w.status_state.setText(f"{n:,} fill values are now missing cells.")

    def treat_stray_text_as_missing(self) -> None:
        """The Data panel's "Treat text cells as missing": the columns of mostly numbers become numeric, their
        text cells missing (the ticked columns kept)."""
        from emdesk.io.stray_text import stray_text_as_missing

        table = self.w.session.table
        if table is None or not self.stray:
            return
        if not may_replace_fit(self.w, "the data with the text cells as missing"):
            return  # a fit runs on this table: asked first, as for other data (Cancel: it goes on)
        names = [f.column for f in self.stray]
        n = sum(f.n_text for f in self.stray)
        columns = self.w.data_panel.selected_columns()
        new = stray_text_as_missing(table, names)
        self.w.set_table(new, columns)
        self.w.status_state.setText(f"{n:,} text cell{'s' if n != 1 else ''} in {', '.join(names)} "
                                    f"{'are' if n != 1 else 'is'} now missing; tick the column to fit it.")
