"""The main window's menus, actions (``window.act_*``, each with its shortcut and tip) and toolbar."""

from __future__ import annotations

import os

import PySide6  # noqa: F401  (before pyqtgraph)
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk import __version__

CSV_FILTER = "CSV files (*.csv *.tsv *.txt);;All files (*)"


def build_actions(window) -> None:
    """The menus, their actions (``window.act_*``) and the Fit toolbar of the main window."""
    from emdesk.gui.main_window import EXAMPLES

    mb = window.menuBar()
    style = window.style()
    SP = QtWidgets.QStyle.StandardPixmap

    def act(text, slot, shortcut=None, icon=None, tip=None):
        a = QtGui.QAction(text, window)
        if shortcut is not None:
            a.setShortcut(shortcut)
        if icon is not None:
            a.setIcon(style.standardIcon(icon))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        a.triggered.connect(slot)
        return a

    file_menu = mb.addMenu("&File")
    window.act_open = act("&Open...", window._open_dialog, QtGui.QKeySequence.StandardKey.Open,
                        SP.SP_DialogOpenButton, "Open a CSV file, a spreadsheet (.xlsx .xls .ods) or a "
                                                "Parquet/Feather file (Ctrl+O)")
    file_menu.addAction(window.act_open)
    window.act_import = act("&Import with Options...", lambda: window.importer.import_dialog(),
                            QtGui.QKeySequence("Ctrl+Shift+O"), None,
                            "Preview a file and choose its delimiter, decimal mark, header row, sheet ...")
    file_menu.addAction(window.act_import)
    window.recent_menu = file_menu.addMenu("Open &Recent")
    window.recent_menu.aboutToShow.connect(window._fill_recent_menu)
    window.example_menu = file_menu.addMenu("Open E&xample")
    from emdesk.gui.controllers.open_guard import may_replace_fit

    for label, fname in EXAMPLES:
        a = QtGui.QAction(label, window)
        # a running fit: asked first (controllers/open_guard.py)
        a.triggered.connect(lambda _=False, f=fname, t=label: may_replace_fit(window, f"the example \u201c{t}\u201d")
                            and window.open_example(f))
        window.example_menu.addAction(a)
    window.act_open_fit = act("Open &Fit...", lambda: window.exporter.open_fit_dialog(), None, None,
                              "Show a saved fit (JSON) on its data: a mixture or a hidden Markov model")
    file_menu.addAction(window.act_open_fit)
    file_menu.addSeparator()
    window.act_export = act("&Export Fit...", lambda: window.exporter.export_dialog(), QtGui.QKeySequence("Ctrl+E"),
                          SP.SP_DialogSaveButton, "Export the fit: JSON, parameters CSV or assignments CSV")
    file_menu.addAction(window.act_export)
    window.act_export_image = act("Export Plot &Image...", lambda: window.exporter.export_image_dialog(), None, None,
                                "Save the plots as PNG or SVG")
    file_menu.addAction(window.act_export_image)
    window.act_export_imputed = act("Export &Imputed Data...", lambda: window.exporter.export_imputed_dialog(), None, None,
                                  "Write the table with its missing cells filled by the fit and a column "
                                  "flagging the imputed cells")
    file_menu.addAction(window.act_export_imputed)
    file_menu.addSeparator()
    window.act_quit = act("&Quit", window.close, QtGui.QKeySequence.StandardKey.Quit)
    window.act_quit.setMenuRole(QtGui.QAction.MenuRole.QuitRole)
    file_menu.addAction(window.act_quit)

    edit_menu = mb.addMenu("&Edit")
    window.act_paste = act("&Paste Data", lambda: window.importer.paste(), QtGui.QKeySequence("Ctrl+Shift+V"),
                           None, "Open a table copied from a spreadsheet (with its header row) (Ctrl+Shift+V)")
    edit_menu.addAction(window.act_paste)

    fit_menu = mb.addMenu("F&it")
    window.act_run = act("&Run", window._run_action, QtGui.QKeySequence("F5"), SP.SP_MediaPlay,
                       "Run EM on the selected columns (F5); resumes when paused")
    window.act_pause = act("&Pause", window._pause_action, QtGui.QKeySequence("F6"), SP.SP_MediaPause,
                         "Pause the running fit (F6)")
    window.act_step = act("&Step One Iteration", window._step_action, QtGui.QKeySequence("F10"),
                        SP.SP_MediaSeekForward, "Compute one more iteration, then pause (F10)")
    window.act_stop = act("S&top", window.stop_fit, QtGui.QKeySequence("Shift+F5"), SP.SP_MediaStop,
                        "Stop the fit; the last parameters stay on screen and can be exported (Shift+F5)")
    for a in (window.act_run, window.act_pause, window.act_step, window.act_stop):
        fit_menu.addAction(a)
    fit_menu.addSeparator()
    window.act_select = act("&Model Selection...", window.open_model_selection, QtGui.QKeySequence("Ctrl+M"),
                          None, "Fit a range of component counts and covariance types and compare them "
                                "by BIC/AIC/ICL (Ctrl+M)")
    fit_menu.addAction(window.act_select)
    window.act_new_seed = act("&New Seed", lambda: window.seeds.new_seed(), QtGui.QKeySequence("Ctrl+Shift+N"),
                              None, "Draw another random seed for the next Run (Ctrl+Shift+N)")
    fit_menu.addAction(window.act_new_seed)
    fit_menu.addSeparator()
    window.act_place_means = act("&Place Starting Means", window.set_placing_means, QtGui.QKeySequence("Ctrl+Shift+P"),
                               None, "Click the plot to place the means EM starts from; drag one to move it, "
                                     "right-click it (or click it and press Delete) to remove it (Ctrl+Shift+P)")
    window.act_place_means.setCheckable(True)
    window.act_place_means.setEnabled(False)
    window.act_clear_means = act("&Clear Starting Means", window.clear_start_means,
                               QtGui.QKeySequence("Ctrl+Shift+Backspace"), None,
                               "Remove the starting means placed by hand: the initialisation method chooses "
                               "them again (Ctrl+Shift+Backspace)")
    window.act_clear_means.setEnabled(False)
    fit_menu.addAction(window.act_place_means)
    fit_menu.addAction(window.act_clear_means)

    view_menu = mb.addMenu("&View")
    view_menu.addAction(window.data_dock.toggleViewAction())
    view_menu.addAction(window.params_dock.toggleViewAction())
    view_menu.addAction(window.restarts_dock.toggleViewAction())
    window.view_menu = view_menu

    help_menu = mb.addMenu("&Help")
    window.act_about = act("&About emdesk", lambda: about(window))
    window.act_about.setMenuRole(QtGui.QAction.MenuRole.AboutRole)
    help_menu.addAction(window.act_about)

    tb = window.addToolBar("Fit")
    tb.setObjectName("fitToolbar")
    tb.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for a in (window.act_open, None, window.act_run, window.act_pause, window.act_step, window.act_stop, None,
              window.act_export):
        tb.addSeparator() if a is None else tb.addAction(a)
    tb.addSeparator()
    tb.addAction(window.act_place_means)
    view_menu.addAction(tb.toggleViewAction())


def open_dialog(window) -> None:
    window.importer.open_dialog()  # CSV, spreadsheets, Parquet/Feather (emdesk.gui.controllers.import_data)


def fill_recent_menu(window) -> None:
    window.recent_menu.clear()
    files = window.settings.recent_files()
    for p in files:
        a = window.recent_menu.addAction(os.path.basename(p))
        a.setToolTip(p)
        a.setStatusTip(p)
        a.triggered.connect(lambda _=False, path=p: window.importer.open_path(path))
    if not files:
        a = window.recent_menu.addAction("(no recent files)")
        a.setEnabled(False)
    else:
        window.recent_menu.addSeparator()
        window.recent_menu.addAction("Clear Recent Files", window.settings.clear_recent_files)


def about(window) -> None:
    QtWidgets.QMessageBox.about(
        window, "About emdesk",
        f"<h3>emdesk {__version__}</h3><p>Watch the EM algorithm fit Gaussian mixtures and hidden Markov models "
        "to your data, "
        "iteration by iteration, and replay any iteration on the timeline.</p>"
        f"<p>PySide6 {PySide6.__version__}, pyqtgraph {pg.__version__}, NumPy {np.__version__}</p>")
