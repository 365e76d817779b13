"""The main window: data and parameter docks, the live plot, the log-likelihood trace, the iteration timeline,
menus, and the scripting surface used by tests and the smoke test.

Scripting surface (each does what the matching menu action does):
``open_csv(path)``, ``select_columns(names)``, ``set_options(**engine_keywords)``, ``start_fit()``,
``stop_fit()``, ``export_fit(path)``, ``set_missing_mode(mode)`` / ``missing_mode()``,
``export_imputed(path)``; signals ``fitFinished()`` and ``fitFailed(str)``. Issue 7: ``degeneracy_fixes()``,
``apply_fix(name)`` (the degeneracy guard), ``set_start_means(means)``, ``start_means()``,
``clear_start_means()``, ``set_placing_means(on)`` (initialisation by hand).
"""

from __future__ import annotations

import os
import sys
import traceback
import weakref
from collections import OrderedDict
import time
from pathlib import Path

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk import __version__
from emdesk.gui.data_panel import MISSING_MODES, DataPanel
from emdesk.gui.geometry import responsibility_color_ids
from emdesk.gui.guard_bar import DegeneracyOverlay1D, DegeneracyOverlay2D, GuardBar, propose_fixes, status_text
from emdesk.gui.init_handles import StartMeans1D, StartMeans2D, start_parameters
from emdesk.gui.params_panel import ParamsPanel
from emdesk.gui.plot_1d import Plot1D
from emdesk.gui.plot_2d import Plot2D
from emdesk.gui.restarts_view import RestartsView, restart_model
from emdesk.gui.settings import Settings
from emdesk.gui.timeline import Timeline
from emdesk.gui.trace_plot import TracePlot
from emdesk.gui.worker import FitWorker, LoadWorker, WorkerThread

pg.setConfigOptions(background="w", foreground=(40, 40, 40), antialias=True)

RESOURCES = Path(__file__).resolve().parent / "resources"
EXAMPLES = [
    ("Three clusters (2-D)", "example_2d_three_clusters.csv"),
    ("Bimodal measurements (1-D)", "example_1d_bimodal.csv"),
]
MAX_DISPLAY_POINTS = 50_000
GIL_SWITCH_INTERVAL = 0.0005
IDS_CACHE_SIZE = 256  # colour ids of recently drawn iterations (50,000 x int16 = 100 kB each)
IMPUTED_CACHE_BYTES = 32_000_000  # imputed values of the displayed incomplete rows, per drawn iteration
# Live frames: at most one per FRAME_INTERVAL_RANGE[0] (25/s), spaced by FRAME_COST_FACTOR times the measured
# cost of a frame, but never less than 10/s (FRAME_INTERVAL_RANGE[1]): the GUI thread takes at most ~40% of a
# core and the fit keeps the rest.
FRAME_INTERVAL_RANGE = (0.04, 0.1)
FRAME_COST_FACTOR = 2.5
SHUTDOWN_WAIT_MS = 5000  # closing: how long the threads get to stop before the window says it waits on
CSV_FILTER = "CSV files (*.csv *.tsv *.txt);;All files (*)"
EXPORT_FILTERS = {
    "Fit as JSON (*.json)": ("json", ".json"),
    "Parameters CSV (*.csv)": ("parameters", ".csv"),
    "Assignments CSV: rows + responsibilities (*.csv)": ("assignments", ".csv"),
}


def example_path(filename: str = EXAMPLES[0][1]) -> str:
    return str(RESOURCES / filename)


def app_icon() -> QtGui.QIcon | None:
    for name in ("emdesk.svg", "emdesk-256.png"):
        p = RESOURCES / "icons" / name
        if p.is_file():
            icon = QtGui.QIcon(str(p))
            if not icon.isNull():
                return icon
    return None


# A fit from init_params='random' that stops this early has most likely not left its symmetric start.
RANDOM_INIT_EARLY_STOP = 3


def _stop_threads(*threads) -> None:
    """A window collected without being closed: its threads stop (the atexit hook waits for them)."""
    for t in threads:
        try:
            t.request_stop()
        except RuntimeError:  # already gone
            pass


class MessageBar(QtWidgets.QFrame):
    """A non-modal message strip at the top of the window (errors, notices)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QtWidgets.QToolButton()
        close.setText("\u2715")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.addWidget(self.label, 1)
        lay.addWidget(close)
        self.hide()

    def show_text(self, text: str, level: str) -> None:
        colors = {"error": ("#fdecea", "#c62828", "#611a15"), "warning": ("#fff4e5", "#ef8d00", "#663c00"),
                  "info": ("#e8f4fd", "#1976d2", "#0d3c61")}
        bg, border, fg = colors.get(level, colors["info"])
        self.setStyleSheet(f"MessageBar {{ background: {bg}; border: 1px solid {border}; border-radius: 4px; }}"
                           f"QLabel {{ color: {fg}; }}")
        self.label.setText(text)
        self.show()


class MainWindow(QtWidgets.QMainWindow):
    fitFinished = QtCore.Signal()
    fitStopped = QtCore.Signal()
    fitFailed = QtCore.Signal(str)
    dataLoaded = QtCore.Signal(str)
    loadFailed = QtCore.Signal(str)
    messageShown = QtCore.Signal(str, str)

    _requestFit = QtCore.Signal(int, object, object, object, object)
    _requestLoad = QtCore.Signal(int, str)

    def __init__(self, settings: QtCore.QSettings | None = None, parent=None):
        super().__init__(parent)
        # The GUI thread re-enters Python for every item it paints; each entry waits for the GIL, which a
        # CPU-bound fit thread hands over only every "switch interval" (5 ms by default). With dozens of
        # entries per frame that added up to stalls of 100-300 ms; 0.5 ms keeps frames near their own cost.
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        self.settings = Settings(settings)
        self.setWindowTitle("emdesk")
        icon = app_icon()
        if icon is not None:
            self.setWindowIcon(icon)
        self.setAcceptDrops(True)

        # state
        self.table = None
        self._fit_columns: list[str] = []
        self._X = None                 # rows used by the fit (complete rows of the selected columns)
        self._X_display = None         # the rows drawn (a random subset when large)
        self._history: list = []       # every snapshot of the current fit (parameters only)
        self._shown_index = -1
        self._model = None             # the fitted model (or the stopped state's model)
        self._run_id = 0
        self._fit_running = False
        self._fit_paused = False
        self._fit_t0 = 0.0
        self._fit_elapsed = 0.0
        self._load_id = 0
        self._loading = False
        self._load_path = None
        self._closing = False
        self.last_message: tuple[str, str] | None = None
        self._load_results: dict = {}
        self._fit_params: dict = {}
        self._fitted_model = None       # the model of the last completed fit (all restarts)
        self._n_dropped = 0             # rows of the file not in the fit (empty rows; incomplete ones with "drop")
        self._n_incomplete = 0          # rows of the file with a missing value in the ticked columns
        self._n_empty = 0               # ... with every ticked value missing
        self._display_inc_rows = None   # displayed rows with a missing value (indices into _X_display)
        self._imputed_cache: OrderedDict = OrderedDict()  # history index -> imputed values of those rows
        self._last_frame_t = 0.0
        self._frame_cost = 0.0         # moving average of the GUI time one live frame takes (s)
        self._live_ids = None          # (history index, colour ids) from the worker's last batch
        self._ids_cache: OrderedDict = OrderedDict()  # history index -> colour ids (LRU)
        self.frames_drawn = 0          # how many states the live plot has drawn (benchmarks read it)

        self._build_ui()
        self._build_actions()
        self._start_threads()
        app = QtCore.QCoreApplication.instance()
        if app is not None:  # quitting without closing this window still ends the threads cleanly
            app.aboutToQuit.connect(self.shutdown)
        self._restore_settings()
        self._update_actions()

    # ================================================================================ construction
    def _build_ui(self) -> None:
        self.data_panel = DataPanel()
        self.params_panel = ParamsPanel()
        self.plot_1d = Plot1D()
        self.plot_2d = Plot2D()
        self.trace = TracePlot()
        self.timeline = Timeline()
        self.message_bar = MessageBar()
        self.guard_bar = GuardBar()  # degenerate components and their one-click fixes (issue 7)

        self.empty_label = QtWidgets.QLabel(
            "<h3>No data</h3><p>Open a CSV file (Ctrl+O), drop one on this window, "
            "or pick one from File \u25b8 Open Example.</p><p>Then tick the columns to fit and press Run (F5).</p>")
        self.empty_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: #555;")
        self.plot_stack = QtWidgets.QStackedWidget()
        self.plot_stack.addWidget(self.empty_label)
        self.plot_stack.addWidget(self.plot_1d)
        self.plot_stack.addWidget(self.plot_2d)

        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.splitter.setObjectName("plotSplitter")
        self.splitter.addWidget(self.plot_stack)
        self.splitter.addWidget(self.trace)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([560, 170])

        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 0)
        lay.setSpacing(4)
        lay.addWidget(self.message_bar)
        lay.addWidget(self.guard_bar)
        lay.addWidget(self.splitter, 1)
        lay.addWidget(self.timeline)
        self.setCentralWidget(central)

        self.data_dock = QtWidgets.QDockWidget("Data", self)
        self.data_dock.setObjectName("dataDock")
        self.data_dock.setWidget(self.data_panel)
        self.params_dock = QtWidgets.QDockWidget("Model", self)
        self.params_dock.setObjectName("paramsDock")
        params_scroll = QtWidgets.QScrollArea()
        params_scroll.setWidgetResizable(True)
        params_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        params_scroll.setWidget(self.params_panel)
        self.params_dock.setWidget(params_scroll)
        self.restarts_view = RestartsView()
        self.restarts_dock = QtWidgets.QDockWidget("Restarts", self)
        self.restarts_dock.setObjectName("restartsDock")
        self.restarts_dock.setWidget(self.restarts_view)
        for d in (self.data_dock, self.params_dock, self.restarts_dock):
            d.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                          | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
                          | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, self.data_dock)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, self.params_dock)
        self.tabifyDockWidget(self.params_dock, self.restarts_dock)
        self.params_dock.raise_()
        self.restarts_view.restartChosen.connect(self.show_restart)
        self._selection_dialog = None
        self.resizeDocks([self.data_dock], [300], QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks([self.data_dock, self.params_dock], [360, 340], QtCore.Qt.Orientation.Vertical)

        sb = self.statusBar()
        self.status_state = QtWidgets.QLabel("Ready")
        self.status_iter = QtWidgets.QLabel("iteration -")
        self.status_ll = QtWidgets.QLabel("log-likelihood -")
        self.status_change = QtWidgets.QLabel("change -")
        self.status_time = QtWidgets.QLabel("0.0 s")
        fm = self.fontMetrics()
        for w, sample in ((self.status_iter, "iteration 10000 (restart 10/10)"),
                          (self.status_ll, "log-likelihood -1,234,567,890.00"),
                          (self.status_change, "change -1.00e-10"), (self.status_time, "10000.0 s")):
            w.setMinimumWidth(fm.horizontalAdvance(sample) + 14)
            w.setStyleSheet("padding: 0 6px;")
        sb.addWidget(self.status_state, 1)
        self.status_guard = QtWidgets.QLabel()  # "Component 3 is collapsing (...)" for the state on screen
        self.status_guard.setStyleSheet("color: #c62828; font-weight: bold; padding: 0 6px;")
        self.status_guard.hide()
        sb.addWidget(self.status_guard)
        self.load_progress = QtWidgets.QProgressBar()
        self.load_progress.setRange(0, 1000)
        self.load_progress.setMaximumWidth(180)
        self.load_progress.setFormat("loading %p%")
        self.load_cancel = QtWidgets.QToolButton()
        self.load_cancel.setText("Cancel")
        self.load_cancel.clicked.connect(self.cancel_load)
        sb.addPermanentWidget(self.load_progress)
        sb.addPermanentWidget(self.load_cancel)
        self.load_progress.hide()
        self.load_cancel.hide()
        for w in (self.status_iter, self.status_ll, self.status_change, self.status_time):
            sb.addPermanentWidget(w)

        self._clock = QtCore.QTimer(self)
        self._clock.setInterval(200)
        self._clock.timeout.connect(self._tick_clock)
        self._scrub_timer = QtCore.QTimer(self)
        self._scrub_timer.setSingleShot(True)
        self._scrub_timer.setInterval(0)
        self._scrub_timer.timeout.connect(self._render_requested)
        self._requested_index = -1
        self._draw_error_run = None  # the run whose drawing error was reported (one message per fit)

        self.data_panel.selectionChanged.connect(self._selection_changed)
        self.data_panel.missingModeChanged.connect(self._missing_mode_changed)
        self.params_panel.delayChanged.connect(self._delay_changed)
        self.timeline.indexChanged.connect(self._timeline_moved)
        self.plot_2d.axesChanged.connect(self._rerender)
        self._build_guard_and_handles()
        self.resize(1280, 820)

    def _build_actions(self) -> None:
        mb = self.menuBar()
        style = self.style()
        SP = QtWidgets.QStyle.StandardPixmap

        def act(text, slot, shortcut=None, icon=None, tip=None):
            a = QtGui.QAction(text, self)
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
        self.act_open = act("&Open CSV...", self._open_dialog, QtGui.QKeySequence.StandardKey.Open,
                            SP.SP_DialogOpenButton, "Open a CSV file (Ctrl+O)")
        file_menu.addAction(self.act_open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.example_menu = file_menu.addMenu("Open E&xample")
        for label, fname in EXAMPLES:
            a = QtGui.QAction(label, self)
            a.triggered.connect(lambda _=False, f=fname: self.open_example(f))
            self.example_menu.addAction(a)
        file_menu.addSeparator()
        self.act_export = act("&Export Fit...", self._export_dialog, QtGui.QKeySequence("Ctrl+E"),
                              SP.SP_DialogSaveButton, "Export the fit: JSON, parameters CSV or assignments CSV")
        file_menu.addAction(self.act_export)
        self.act_export_image = act("Export Plot &Image...", self._export_image_dialog, None, None,
                                    "Save the plots as PNG or SVG")
        file_menu.addAction(self.act_export_image)
        self.act_export_imputed = act("Export &Imputed Data...", self._export_imputed_dialog, None, None,
                                      "Write the table with its missing cells filled by the fit and a column "
                                      "flagging the imputed cells")
        file_menu.addAction(self.act_export_imputed)
        file_menu.addSeparator()
        self.act_quit = act("&Quit", self.close, QtGui.QKeySequence.StandardKey.Quit)
        self.act_quit.setMenuRole(QtGui.QAction.MenuRole.QuitRole)
        file_menu.addAction(self.act_quit)

        fit_menu = mb.addMenu("F&it")
        self.act_run = act("&Run", self._run_action, QtGui.QKeySequence("F5"), SP.SP_MediaPlay,
                           "Run EM on the selected columns (F5); resumes when paused")
        self.act_pause = act("&Pause", self._pause_action, QtGui.QKeySequence("F6"), SP.SP_MediaPause,
                             "Pause the running fit (F6)")
        self.act_step = act("&Step One Iteration", self._step_action, QtGui.QKeySequence("F10"),
                            SP.SP_MediaSeekForward, "Compute one more iteration, then pause (F10)")
        self.act_stop = act("S&top", self.stop_fit, QtGui.QKeySequence("Shift+F5"), SP.SP_MediaStop,
                            "Stop the fit; the last parameters stay on screen and can be exported (Shift+F5)")
        for a in (self.act_run, self.act_pause, self.act_step, self.act_stop):
            fit_menu.addAction(a)
        fit_menu.addSeparator()
        self.act_select = act("&Model Selection...", self.open_model_selection, QtGui.QKeySequence("Ctrl+M"),
                              None, "Fit a range of component counts and covariance types and compare them "
                                    "by BIC/AIC/ICL (Ctrl+M)")
        fit_menu.addAction(self.act_select)
        fit_menu.addSeparator()
        self.act_place_means = act("&Place Starting Means", self.set_placing_means, QtGui.QKeySequence("Ctrl+Shift+P"),
                                   None, "Click the plot to place the means EM starts from; drag one to move it, "
                                         "right-click it (or click it and press Delete) to remove it (Ctrl+Shift+P)")
        self.act_place_means.setCheckable(True)
        self.act_place_means.setEnabled(False)
        self.act_clear_means = act("&Clear Starting Means", self.clear_start_means,
                                   QtGui.QKeySequence("Ctrl+Shift+Backspace"), None,
                                   "Remove the starting means placed by hand: the initialisation method chooses "
                                   "them again (Ctrl+Shift+Backspace)")
        self.act_clear_means.setEnabled(False)
        fit_menu.addAction(self.act_place_means)
        fit_menu.addAction(self.act_clear_means)

        view_menu = mb.addMenu("&View")
        view_menu.addAction(self.data_dock.toggleViewAction())
        view_menu.addAction(self.params_dock.toggleViewAction())
        view_menu.addAction(self.restarts_dock.toggleViewAction())
        self.view_menu = view_menu

        help_menu = mb.addMenu("&Help")
        self.act_about = act("&About emdesk", self._about)
        self.act_about.setMenuRole(QtGui.QAction.MenuRole.AboutRole)
        help_menu.addAction(self.act_about)

        tb = self.addToolBar("Fit")
        tb.setObjectName("fitToolbar")
        tb.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (self.act_open, None, self.act_run, self.act_pause, self.act_step, self.act_stop, None,
                  self.act_export):
            tb.addSeparator() if a is None else tb.addAction(a)
        tb.addSeparator()
        tb.addAction(self.act_place_means)
        view_menu.addAction(tb.toggleViewAction())

    def _start_threads(self) -> None:
        # The threads have no parent: destroying a window that was never closed must not destroy a running
        # QThread (Qt aborts the process then). They stop with the window (close, or its collection: the
        # finalizer below), with the application (aboutToQuit) and at interpreter exit (worker.py's atexit).
        self.fit_thread = WorkerThread("emdesk-fit")
        self.fit_worker = FitWorker()
        self.fit_thread.adopt(self.fit_worker, self.fit_worker.request_stop)
        self._requestFit.connect(self.fit_worker.run)
        self.fit_worker.snapshots.connect(self._on_snapshots)
        self.fit_worker.imputed.connect(self._on_imputed)
        self.fit_worker.finished.connect(self._on_fit_finished)
        self.fit_worker.failed.connect(self._on_fit_failed)
        self.fit_thread.finished.connect(self.fit_worker.deleteLater)
        self.fit_thread.start()

        self.load_thread = WorkerThread("emdesk-load")
        self.load_worker = LoadWorker()
        self.load_thread.adopt(self.load_worker, self.load_worker.cancel)
        self._requestLoad.connect(self.load_worker.run)
        self.load_worker.progress.connect(self._on_load_progress)
        self.load_worker.loaded.connect(self._on_loaded)
        self.load_worker.failed.connect(self._on_load_failed)
        self.load_worker.cancelled.connect(self._on_load_cancelled)
        self.load_thread.finished.connect(self.load_worker.deleteLater)
        self.load_thread.start()
        weakref.finalize(self, _stop_threads, self.fit_thread, self.load_thread)

    # ================================================================================ settings
    def _restore_settings(self) -> None:
        geom = self.settings.window_geometry()
        if geom is not None:
            self.restoreGeometry(geom)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        opts = self.settings.fit_options()
        opts.pop("missing", None)  # kept apart (fit/missing): the window's choice, not an engine keyword
        self.data_panel.set_missing_mode(self.settings.missing_mode())
        if opts:
            try:
                self.params_panel.set_options(**opts)
            except (ValueError, TypeError):
                pass  # stale or hand-edited settings: keep the defaults
        self.params_panel.set_delay(self.settings.animation_delay())
        self.fit_worker.set_delay(self.params_panel.delay())

    def save_settings(self) -> None:
        self.settings.set_window(self.saveGeometry(), self.saveState())
        try:
            self.settings.set_fit_options(self.params_panel.options(engine=False))
        except ValueError:
            pass
        self.settings.set_animation_delay(self.params_panel.delay())
        self.settings.set_missing_mode(self.data_panel.missing_mode())
        self.settings.sync()

    # ================================================================================ messages
    def show_message(self, text: str, level: str = "error") -> None:
        """Show a message in the window (non-modal). Tests read ``last_message``."""
        self.last_message = (level, text)
        self.message_bar.show_text(text, level)
        self.messageShown.emit(level, text)

    def clear_message(self) -> None:
        self.message_bar.hide()
        self.last_message = None

    # ================================================================================ loading
    def open_csv(self, path) -> None:
        """Load a CSV in the background and return once it is shown.

        Spins a local event loop while loading (the window stays responsive). Raises ``DataError`` (after
        showing the message) for a file that cannot be used, ``LoadCancelled`` when the user cancelled.
        """
        from emdesk.io import DataError, LoadCancelled

        loop = QtCore.QEventLoop()

        def done(*_):
            loop.quit()

        self.dataLoaded.connect(done)
        self.loadFailed.connect(done)
        req = self.begin_load(path)
        try:
            if self._loading and self._load_id == req:
                loop.exec()
        finally:
            self.dataLoaded.disconnect(done)
            self.loadFailed.disconnect(done)
        result = self._load_results.get(req)
        if result is None:
            raise LoadCancelled(f"Loading {path} was cancelled.")
        kind, value = result
        if kind == "failed":
            raise DataError(value)
        if kind == "cancelled":
            raise LoadCancelled(f"Loading {path} was cancelled.")

    def begin_load(self, path) -> int:
        """Start loading ``path`` in the background; returns the request id (menu, drag and drop)."""
        self._load_id += 1  # a load still running for an older request ends at its next progress report
        req = self._load_id
        self._loading = True
        self._load_path = str(path)
        self.load_worker.prepare(req)
        self.load_progress.setValue(0)
        self.load_progress.show()
        self.load_cancel.show()
        self.status_state.setText(f"Loading {os.path.basename(str(path))}...")
        self._requestLoad.emit(req, str(path))
        return req

    def cancel_load(self) -> None:
        if self._loading:
            self.load_worker.cancel()

    def _end_load(self) -> None:
        self._loading = False
        self.load_progress.hide()
        self.load_cancel.hide()

    @QtCore.Slot(int, float)
    def _on_load_progress(self, req: int, fraction: float) -> None:
        if req == self._load_id:
            self.load_progress.setValue(int(max(0.0, min(1.0, fraction)) * 1000))

    @QtCore.Slot(int, object)
    def _on_loaded(self, req: int, table) -> None:
        if req != self._load_id or self._closing:
            return
        if not table.numeric_column_names:
            name = os.path.basename(str(table.path))
            self._on_load_failed(req, f"{name} has no numeric columns (only text: "
                                      f"{', '.join(table.column_names)}). Choose a file with at least one "
                                      "column of numbers.")
            return
        self._end_load()
        previous = self.table
        try:
            self.set_table(table)
        except Exception as exc:  # a bug in showing it: a message, the previous data, open_csv returns
            traceback.print_exc()
            if previous is not None:
                try:
                    self.set_table(previous)
                except Exception:
                    pass
            self._on_load_failed(req, f"it was read but could not be shown ({exc.__class__.__name__}: {exc}).")
            return
        self._load_results[req] = ("loaded", table)
        self.settings.add_recent_file(str(table.path))
        self.status_state.setText(f"Loaded {os.path.basename(str(table.path))}: {table.n_rows:,} rows. "
                                  "Press Run (F5) to fit.")
        self.dataLoaded.emit(str(table.path))

    @QtCore.Slot(int, str)
    def _on_load_failed(self, req: int, message: str) -> None:
        if req != self._load_id:
            return
        self._end_load()
        self._load_results[req] = ("failed", message)
        name = os.path.basename(self._load_path or "")
        text = message if name and name in message else f"{name}: {message}"
        self.show_message(f"Could not open the file. {text}", "error")
        self.status_state.setText("Ready")
        self.loadFailed.emit(message)

    @QtCore.Slot(int)
    def _on_load_cancelled(self, req: int) -> None:
        if req != self._load_id:
            return
        self._end_load()
        self._load_results[req] = ("cancelled", "")
        self.status_state.setText("Loading cancelled")
        self.loadFailed.emit("cancelled")

    def open_example(self, filename: str = EXAMPLES[0][1], fit: bool = True) -> None:
        self.open_csv(example_path(filename))
        if fit:
            self.start_fit()

    # ================================================================================ data and columns
    def set_table(self, table) -> None:
        self._stop_and_forget_fit()
        self.table = table
        self.data_panel.set_table(table)
        self.setWindowTitle(f"{os.path.basename(str(table.path))} \u2014 emdesk")
        self._prepare_view()

    def select_columns(self, names) -> None:
        """Tick exactly these numeric columns (ValueError for unknown or text columns)."""
        self.data_panel.set_selected(list(names))

    @QtCore.Slot(list)
    def _selection_changed(self, names) -> None:
        self._stop_and_forget_fit()
        self._prepare_view()

    @QtCore.Slot(str)
    def _missing_mode_changed(self, mode: str) -> None:
        self.settings.set_missing_mode(mode)
        if self.table is not None:
            self._stop_and_forget_fit()
            self._prepare_view()

    def missing_mode(self) -> str:
        """How rows with missing values in the ticked columns are fitted: "marginalize" or "drop"."""
        return self.data_panel.missing_mode()

    def set_missing_mode(self, mode: str) -> None:
        """"marginalize" (default): fit every row with exact EM for missing values; "drop": fit the complete
        rows only. Rows with every ticked value missing are left out either way. Forgets the current fit."""
        self.data_panel.set_missing_mode(mode)

    def _prepare_view(self) -> None:
        cols = self.data_panel.selected_columns() if self.table is not None else []
        self._fit_columns = cols
        # The model-selection dialog swept the rows of the old file, columns or missing-value choice: a
        # model chosen there now would be shown (and exported) as a fit of data it never saw.
        if self._close_selection_dialog():
            self.status_state.setText("Model selection was closed: the data changed (Ctrl+M sweeps the new "
                                      "columns)")
        self._forget_start_means_and_guard()
        self._history = []
        self._ids_cache.clear()
        self._model = None
        self.trace.clear()
        self.timeline.reset()
        self.restarts_view.clear()
        self._reset_status()
        self._imputed_cache.clear()
        self._display_inc_rows = None
        if not cols:
            self._X = None
            self._X_display = None
            self._n_incomplete = self._n_empty = self._n_dropped = 0
            self.data_panel.set_missing_summary(0, 0, 0)
            self.plot_stack.setCurrentWidget(self.empty_label)
            self._update_actions()
            return
        X_all = self.table.to_array(cols)
        observed = np.isfinite(X_all)
        complete = observed.all(axis=1)
        self._n_incomplete = int(X_all.shape[0] - np.count_nonzero(complete))
        if self._n_incomplete == 0:
            self._n_empty = 0
            X = X_all
        else:
            if not np.array_equal(~observed, np.isnan(X_all)):  # infinities count as missing, like NaN
                X_all = np.where(observed, X_all, np.nan)
            has_value = observed.any(axis=1)
            self._n_empty = int(X_all.shape[0] - np.count_nonzero(has_value))
            # "marginalize": every row with a value goes to EM; "drop": complete rows only.
            X = X_all[complete] if self.data_panel.missing_mode() == "drop" else X_all[has_value]
        self._X = np.ascontiguousarray(X)
        self._n_dropped = int(X_all.shape[0] - self._X.shape[0])
        self.data_panel.set_missing_summary(X_all.shape[0], self._n_incomplete, self._n_empty)
        n = self._X.shape[0]
        if n > MAX_DISPLAY_POINTS:
            rng = np.random.default_rng(12345)
            idx = np.sort(rng.choice(n, MAX_DISPLAY_POINTS, replace=False))
            self._X_display = self._X[idx]
        else:
            self._X_display = self._X
        if self._n_incomplete and self._X_display.shape[0]:
            self._display_inc_rows = np.flatnonzero(np.isnan(self._X_display).any(axis=1))
        if len(cols) == 1:
            self.plot_1d.set_data(self._X[:, 0], self._X_display[:, 0], cols[0])
            self.plot_1d.set_missing_count(self._n_empty, X_all.shape[0])
            self.plot_stack.setCurrentWidget(self.plot_1d)
        else:
            self.plot_2d.set_data(self._X_display, cols, n)
            self.plot_2d.set_left_out(self._n_dropped, dropped=self.data_panel.missing_mode() == "drop")
            self.plot_stack.setCurrentWidget(self.plot_2d)
        # The data panel says how many rows are incomplete and what the fit does with them.
        self._update_actions()

    # ================================================================================ fitting
    def set_options(self, **options) -> None:
        """Set fit options by the engine's keyword names (n_components, covariance_type, ...).

        ``missing`` is the treatment of incomplete rows: "marginalize" (exact EM, the default) or "drop"
        (complete rows only; the engine's "error" means the same here), as ``set_missing_mode``."""
        missing = options.pop("missing", None)
        if missing == "error":
            missing = "drop"
        if missing is not None and missing not in MISSING_MODES:
            raise ValueError(f"missing must be one of {', '.join(MISSING_MODES)} (fit with missing values, or "
                             f"drop incomplete rows); got {missing!r}.")
        self.params_panel.set_options(**options)
        if missing is not None:
            self.data_panel.set_missing_mode(missing)

    def options(self) -> dict:
        """The engine keywords of the next fit, ``missing`` included ("marginalize", or "error" when
        incomplete rows are dropped: the engine then never sees a missing value)."""
        return dict(self.params_panel.options(), missing=self._engine_missing())

    def _engine_missing(self) -> str:
        return "marginalize" if self.data_panel.missing_mode() == "marginalize" else "error"

    def start_fit(self, paused: bool = False) -> None:
        """Start EM on the selected columns in the worker thread (returns at once)."""
        if self._fit_running:
            if self._fit_paused and not paused:
                self._set_paused(False)
            return
        if self.table is None or self._X is None:
            msg = "Open a CSV file and tick at least one numeric column before running a fit."
            self.show_message(msg, "warning")
            self.fitFailed.emit(msg)
            return
        try:
            params = self.params_panel.options()
        except ValueError as exc:
            self.show_message(str(exc), "error")
            self.fitFailed.emit(str(exc))
            return
        if self._X.shape[0] == 0:
            msg = ("No complete rows in the selected columns: choose other columns, or choose "
                   "\"Fit with missing values\" in the Data panel." if self.data_panel.missing_mode() == "drop"
                   and self._n_incomplete > self._n_empty else
                   "Every row is empty in the selected columns: choose other columns.")
            self.show_message(msg, "error")
            self.fitFailed.emit(msg)
            return
        self.settings.set_fit_options(self.params_panel.options(engine=False))
        self.settings.set_missing_mode(self.data_panel.missing_mode())
        params = dict(params, missing=self._engine_missing())
        params = self._with_start_means(params)
        self.guard_bar.hide()  # a new fit: the bar comes back if this one collapses too
        self._guard_fixes = {}
        if self.message_bar.isVisible():  # what it said was about the previous fit (or attempt)
            self.clear_message()
        self._run_id += 1
        self._history = []
        self._ids_cache.clear()
        self._imputed_cache.clear()
        self._model = None
        self._fitted_model = None
        self.trace.clear()
        self.timeline.reset()
        self.restarts_view.clear()
        self._fit_running = True
        self._fit_paused = paused
        self._fit_t0 = time.monotonic()
        self._fit_elapsed = 0.0
        self._clock.start()
        self.fit_worker.set_delay(self.params_panel.delay())
        self.fit_worker.prepare(paused=paused, run_id=self._run_id)
        self.act_pause.blockSignals(True)
        self.act_pause.setChecked(paused)
        self.act_pause.blockSignals(False)
        self.status_state.setText("Paused" if paused else
                                  f"Fitting {params['n_components']} components to {self._X.shape[0]:,} rows...")
        self._fit_params = params
        # The worker also imputes the drawn incomplete rows (the 2-D view's crosses) for each batch it sends.
        inc = self._display_inc_rows
        X_incomplete = self._X_display[inc] if inc is not None and inc.size and len(self._fit_columns) > 1 else None
        self._requestFit.emit(self._run_id, self._X, params, self._X_display, X_incomplete)
        self._update_actions()

    def stop_fit(self) -> None:
        """Stop the running fit; the last parameters stay on screen and can be exported."""
        if self._fit_running:
            self.fit_worker.request_stop()
            self.status_state.setText("Stopping...")

    def pause_fit(self) -> None:
        if self._fit_running:
            self._set_paused(True)

    def resume_fit(self) -> None:
        if self._fit_running:
            self._set_paused(False)

    def step_fit(self) -> None:
        """One more iteration, then pause (starts a paused fit when none runs)."""
        if not self._fit_running:
            self.start_fit(paused=True)
            return
        if not self._fit_paused:
            self._set_paused(True)
        if not self.timeline.following:  # scrubbed back: the iteration asked for is the one to see
            self.timeline.follow_latest()
        self.fit_worker.step()

    def is_fitting(self) -> bool:
        return self._fit_running

    def is_paused(self) -> bool:
        return self._fit_running and self._fit_paused

    @property
    def history(self) -> list:
        """Every snapshot of the current fit, in order."""
        return self._history

    @property
    def model(self):
        """The fitted model, or the model of the last iteration when the fit was stopped; None before."""
        return self._model

    def _set_paused(self, paused: bool) -> None:
        self._fit_paused = paused
        self.fit_worker.set_paused(paused)
        self.act_pause.blockSignals(True)
        self.act_pause.setChecked(paused)
        self.act_pause.blockSignals(False)
        self.status_state.setText("Paused: Step (F10) computes one iteration, Run (F5) resumes" if paused
                                  else "Fitting...")
        self._update_actions()

    def _stop_and_forget_fit(self) -> None:
        if self._fit_running:
            self.fit_worker.request_stop()
            self._run_id += 1  # results of that fit are ignored from now on
            self._fit_running = False
            self._fit_paused = False
            self._clock.stop()

    def _run_action(self) -> None:
        if self._fit_running and self._fit_paused:
            self._set_paused(False)
        else:
            self.start_fit()

    def _pause_action(self) -> None:
        if self._fit_running:
            self._set_paused(not self._fit_paused)

    def _step_action(self) -> None:
        self.step_fit()

    @QtCore.Slot(int, object, object)
    def _on_snapshots(self, run_id: int, batch, color_ids) -> None:
        if run_id != self._run_id:
            return
        self._history.extend(batch)
        self._live_ids = (len(self._history) - 1, color_ids)
        self.trace.append(batch)
        self.timeline.set_count(len(self._history))
        if self.timeline.following:
            # Draw on the next pass of the event loop: batches that queued up meanwhile cost one frame.
            # Live frames are spaced by their measured cost (FRAME_INTERVAL_RANGE): the fit keeps the CPU.
            self._requested_index = len(self._history) - 1
            if not self._scrub_timer.isActive():
                lo, hi = FRAME_INTERVAL_RANGE
                interval = min(max(FRAME_COST_FACTOR * self._frame_cost, lo), hi)
                wait = interval - (time.monotonic() - self._last_frame_t)
                self._scrub_timer.start(max(0, int(wait * 1000)))
        else:
            self._update_timeline_text(self.timeline.index())

    @QtCore.Slot(int, object)
    def _on_imputed(self, run_id: int, values) -> None:
        """Imputed values of the drawn incomplete rows under the newest snapshot (computed by the worker)."""
        if run_id == self._run_id and self._history:
            self._store_imputed(len(self._history) - 1, values)

    @QtCore.Slot(int, object, bool)
    def _on_fit_finished(self, run_id: int, model, stopped: bool) -> None:
        if run_id != self._run_id:
            return
        self._end_fit_state()
        try:
            self._finish_fit(model)
        except Exception as exc:  # a bug or a state the model layer refuses: say so, never stay "Stopping..."
            message = self._report_error("The end of the fit could not be shown", exc)
            self.status_state.setText("The fit ended with an error (see the message above)")
            self._update_actions()
            if stopped:
                self.fitStopped.emit()
            else:
                self.fitFailed.emit(message)
            return
        self._update_actions()
        if stopped:
            self.fitStopped.emit()
        else:
            self.fitFinished.emit()

    def _end_fit_state(self) -> None:
        """The fit's thread work is over: the window's state machine goes back to idle."""
        self._fit_running = False
        self._fit_paused = False
        self._clock.stop()
        self._fit_elapsed = time.monotonic() - self._fit_t0
        self._tick_clock()

    def _report_error(self, what: str, exc: BaseException) -> str:
        """An exception in a slot: the trace on stderr for a report, a message in the window's error strip;
        returns the message."""
        if not isinstance(exc, ValueError):
            traceback.print_exc()
        detail = str(exc).strip() or exc.__class__.__name__
        if not isinstance(exc, (ValueError, OSError)):
            detail = f"{exc.__class__.__name__}: {detail}"
        message = f"{what}: {detail}"
        self.show_message(message, "error")
        return message

    def _finish_fit(self, model) -> None:
        if model is not None:
            self._model = model
            self._fitted_model = model
            self._attach_names(model)
            try:
                self.restarts_view.set_model(model)
            except Exception as exc:  # the view is informative; never lose the fit over it
                self.show_message(f"The restarts view could not show this fit: {exc}", "warning")
            best = getattr(model, "best_restart_", None)
            if self._history:
                idx = len(self._history) - 1
                if best is not None and self._history[-1].restart != best:
                    idx = max(i for i, s in enumerate(self._history) if s.restart == best)
                self._show_at_end(idx)
            converged = bool(getattr(model, "converged_", False))
            it = getattr(model, "n_iter_", len(self._history))
            self.status_state.setText(
                (f"Converged after {it} iterations" if converged else
                 f"Stopped at max_iter ({it} iterations) without converging") + f" in {self._fit_elapsed:.1f} s")
            issues = tuple(getattr(model, "degeneracies_", None) or ())
            self._guard_fit_ended(issues, stopped=False)  # raises the guard bar, or closes it: a clean fit
            if not issues and not converged:
                self.show_message(f"EM did not converge within max_iter = {self._fit_params['max_iter']} "
                                  "iterations. Raise Max iterations or the tolerance and run again.", "warning")
            elif (not issues and self._fit_params.get("init_params") == "random"
                  and self._fit_params.get("means_init") is None
                  and int(self._fit_params.get("n_components", 1)) > 1 and it <= RANDOM_INIT_EARLY_STOP):
                # Random responsibilities put every component near the overall mean; EM leaves that
                # symmetric start slowly, so the change can drop below tol at once (scikit-learn alike).
                self.show_message(f"EM stopped after {it} iterations: with random responsibilities every "
                                  "component starts near the overall mean and moves slowly, so the change fell "
                                  "below the tolerance before the components separated. Use kmeans++ or "
                                  "random_from_data, or a smaller tolerance, and run again.", "info")
        else:
            if self._history:
                self._model = None
                refused = None
                try:
                    self._model = self._model_from(self._history[-1])
                except Exception as exc:  # drawn and its guard shown all the same, then said
                    refused = exc
                self._show_at_end(len(self._history) - 1)  # what Export Fit writes is what is on screen
                self._guard_fit_ended(tuple(self._history[-1].issues or ()), stopped=True)
                if refused is not None:
                    raise refused
                self.status_state.setText(f"Stopped at iteration {self._history[-1].iteration}; "
                                          "the parameters on screen can be exported (Ctrl+E)")
            else:
                self.status_state.setText("Stopped before the first iteration")

    def _show_at_end(self, idx: int) -> None:
        """A fit ended: draw history[idx] now (on screen when fitFinished/fitStopped is emitted, not a frame
        later) and put the slider there, also when the user had scrubbed back."""
        self.timeline.set_index(idx)
        self._scrub_timer.stop()
        self._requested_index = idx
        self._show_index(idx)

    @QtCore.Slot(int, str)
    def _on_fit_failed(self, run_id: int, message: str) -> None:
        if run_id != self._run_id:
            return
        self._end_fit_state()
        self._model = None
        if self._history:
            try:
                self._model = self._model_from(self._history[-1])
            except Exception:
                self._model = None
        self.status_state.setText("The fit failed")
        self.show_message(f"The fit failed: {message}", "error")
        if self._history:  # EM broke down on the way (a covariance that collapsed): offer the fixes, too
            try:
                self._guard_raise("EM broke down numerically at iteration "
                                  f"{self._history[-1].iteration} (see the message above). One click runs a "
                                  "new fit:")
            except Exception as exc:
                self._report_error(f"The fit failed: {message}. Its fixes could not be offered", exc)
        self._update_actions()
        self.fitFailed.emit(message)

    def _model_from(self, snapshot):
        model = snapshot.to_model()
        self._attach_names(model)
        return model

    def _attach_names(self, model) -> None:
        try:
            model.feature_names_in_ = np.asarray(self._fit_columns, dtype=object)
        except AttributeError:
            pass

    @QtCore.Slot(float)
    def _delay_changed(self, seconds: float) -> None:
        self.fit_worker.set_delay(seconds)
        self.settings.set_animation_delay(seconds)

    # ================================================================================ drawing
    @QtCore.Slot(int)
    def _timeline_moved(self, index: int) -> None:
        self._requested_index = index
        if not self._scrub_timer.isActive():
            self._scrub_timer.start(0)  # coalesce fast scrubbing into one render per event-loop pass

    def _render_requested(self) -> None:
        if 0 <= self._requested_index < len(self._history):
            self._draw_safely(self._requested_index)

    def _rerender(self) -> None:
        if 0 <= self._shown_index < len(self._history):
            self._draw_safely(self._shown_index)

    def _draw_safely(self, index: int) -> None:
        """Draw history[index] from a timer or a signal: an error becomes one message per fit, not a traceback
        out of the event loop and a frozen plot."""
        try:
            self._show_index(index)
        except Exception as exc:
            if self._draw_error_run != self._run_id:
                self._draw_error_run = self._run_id
                self._report_error(f"Iteration {self._history[index].iteration} could not be drawn", exc)

    def _show_index(self, index: int) -> None:
        s = self._history[index]
        self._shown_index = index
        self.frames_drawn += 1
        self._last_frame_t = time.monotonic()
        QtCore.QTimer.singleShot(0, self._frame_done)  # runs after the repaint this frame queued
        ids = self._ids_cache.get(index)
        if ids is not None:
            self._ids_cache.move_to_end(index)
        elif self._live_ids is not None and self._live_ids[0] == index and self._live_ids[1] is not None:
            ids = self._live_ids[1]  # computed by the worker for this snapshot
        elif self._X_display is not None and self._X_display.shape[0]:
            try:
                ids = responsibility_color_ids(s.to_model().predict_proba(self._X_display), len(s.weights))
            except Exception:  # a degenerate state can fail to evaluate: draw parameters only
                ids = None
        if ids is not None and index not in self._ids_cache:
            # Scrubbing back and forth redraws recently seen iterations without recomputing them.
            self._ids_cache[index] = ids.astype(np.int16)
            while len(self._ids_cache) > IDS_CACHE_SIZE:
                self._ids_cache.popitem(last=False)
        view = self.plot_1d if len(self._fit_columns) == 1 else self.plot_2d
        if view is self.plot_2d and self._display_inc_rows is not None:
            self.plot_2d.set_imputed(self._imputed_values(index, s))
        view.show_state(s, ids)
        self.trace.set_marker(s)
        self._update_timeline_text(index)
        self.status_iter.setText(f"iteration {s.iteration}" + (f" (restart {s.restart + 1}/{s.n_init})"
                                                               if s.n_init > 1 else ""))
        self.status_ll.setText(f"log-likelihood {s.log_likelihood:,.2f}")
        self.status_change.setText("change -" if not np.isfinite(s.change) else f"change {s.change:.2e}")
        self._guard_show(s)

    def _imputed_values(self, index: int, s):
        """Imputed values of the displayed incomplete rows under snapshot ``s`` (cached per iteration, as
        the colours are): only those rows are evaluated, one conditional mean per missing pattern."""
        vals = self._imputed_cache.get(index)
        if vals is not None:
            self._imputed_cache.move_to_end(index)
            return vals
        rows = self._display_inc_rows
        try:
            vals = s.to_model().impute(self._X_display[rows])
        except Exception:  # a degenerate state can fail to evaluate: draw no imputed rows for it
            return None
        self._store_imputed(index, vals)
        return vals

    def _store_imputed(self, index: int, vals) -> None:
        self._imputed_cache[index] = vals
        self._imputed_cache.move_to_end(index)
        limit = max(4, min(IDS_CACHE_SIZE, IMPUTED_CACHE_BYTES // max(vals.nbytes, 1)))
        while len(self._imputed_cache) > limit:
            self._imputed_cache.popitem(last=False)

    def _frame_done(self) -> None:
        cost = time.monotonic() - self._last_frame_t
        self._frame_cost = 0.7 * self._frame_cost + 0.3 * cost

    def _update_timeline_text(self, index: int) -> None:
        if not self._history:
            return
        s = self._history[index]
        total = len(self._history)
        text = f"iteration {s.iteration}"
        if s.n_init > 1:
            text += f" \u00b7 restart {s.restart + 1}/{s.n_init}"
        text += f"  ({index + 1}/{total})"
        self.timeline.set_text(text)

    def _reset_status(self) -> None:
        self.status_iter.setText("iteration -")
        self.status_ll.setText("log-likelihood -")
        self.status_change.setText("change -")
        self.status_time.setText("0.0 s")
        self.plot_1d.clear_state()
        self.plot_2d.clear_state()
        self._guard_show(None)

    def _tick_clock(self) -> None:
        elapsed = time.monotonic() - self._fit_t0 if self._fit_running else self._fit_elapsed
        self.status_time.setText(f"{elapsed:.1f} s")

    def _update_actions(self) -> None:
        has_data = self._X is not None
        running = self._fit_running
        self.act_run.setEnabled(has_data and (not running or self._fit_paused))
        self.act_pause.setEnabled(running and not self._fit_paused)
        self.act_step.setEnabled(has_data)
        self.act_stop.setEnabled(running)
        self.act_export.setEnabled(self._model is not None and not running)
        self.act_export_image.setEnabled(has_data)
        self.act_export_imputed.setEnabled(self._model is not None and not running and self._n_incomplete > 0)
        self.act_select.setEnabled(has_data)
        self.params_panel.setEnabled(True)

    # ================================================================================ degeneracy guard (issue 7)
    def _build_guard_and_handles(self) -> None:
        self._guard_fixes: dict = {}
        self._guard_shown_for = None   # (run id, flagged components) the running fit's bar was built for
        self._start_means = np.zeros((0, 0))
        # Long status texts are clipped rather than pushed under the guard's label and the permanent widgets.
        self.status_state.setMinimumWidth(60)
        self.guard_overlay_2d = DegeneracyOverlay2D(self.plot_2d.plot.getPlotItem())
        self.guard_overlay_1d = DegeneracyOverlay1D(self.plot_1d.density)
        self.guard_bar.fixRequested.connect(self.apply_fix)
        self.start_handles_2d = StartMeans2D(self.plot_2d.plot, legend=self.plot_2d.legend)
        self.start_handles_1d = StartMeans1D(self.plot_1d.view, self.plot_1d.density, self.plot_1d.strip,
                                             legend=self.plot_1d.legend)
        for layer in (self.start_handles_2d, self.start_handles_1d):
            layer.added.connect(self._start_mean_added)
            layer.moved.connect(self._start_mean_moved)
            layer.removed.connect(self._start_mean_removed)
            layer.leaveRequested.connect(self._leave_placing)
        self.plot_2d.axesChanged.connect(self._sync_start_handles)

    def _guard_show(self, s) -> None:
        """Flag the collapsing components of the state on screen (plot overlay, status bar); while EM runs,
        also raise the guard bar with the fixes."""
        if s is None:
            self.guard_overlay_1d.show(None, None)
            self.guard_overlay_2d.show(None, 0, 1)
            self.status_guard.hide()
            return
        if len(self._fit_columns) == 1:
            self.guard_overlay_1d.show(s, self.plot_1d._grid)
        else:
            self.guard_overlay_2d.show(s, *self._xy_indices())
        text = status_text(s)
        self.status_guard.setText("\u26a0 " + text if text else "")
        self.status_guard.setToolTip(" ".join(dict.fromkeys(i.message for i in (s.issues or ()))))
        self.status_guard.setVisible(bool(text))
        if text:  # as wide as its text, but never over the permanent widgets on the right
            right = sum(w.width() for w in (self.status_iter, self.status_ll, self.status_change,
                                            self.status_time, self.load_progress, self.load_cancel)
                        if w.isVisible())
            room = self.statusBar().width() - right - 100  # status_state keeps at least 60 px
            self.status_guard.setMinimumWidth(max(0, min(self.status_guard.sizeHint().width(), room)))
        else:
            self.status_guard.setMinimumWidth(0)
        recent = [x for x in self._history[-3:] if x.restart == s.restart]
        # A collapse that lasts (3 iterations), or any while paused: a one-iteration blip moves no layout.
        lasting = self._fit_paused or (len(recent) == 3 and all(x.issues for x in recent))
        if self._fit_running and text and lasting:
            key = (self._run_id, tuple(sorted({int(i.component) for i in s.issues})))
            if key != self._guard_shown_for or not self.guard_bar.isVisible():
                self._guard_shown_for = key
                self._guard_raise(f"<b>{text}</b> at iteration {s.iteration}. EM goes on; a fix below stops "
                                  "this fit, changes the Model panel and runs a new one.")

    def _guard_raise(self, text: str) -> None:
        # The fixes answer the fit that collapsed (the panel may have been edited since it started).
        options = self._fit_params
        if not options:
            try:
                options = self.params_panel.options()
            except ValueError:
                options = {}
        dv = np.nanvar(self._X, axis=0) if self._X is not None and self._X.shape[0] else None
        self._guard_fixes = propose_fixes(options, dv, manual_means=len(self._start_means) > 0)
        self.guard_bar.show_issues(text, self._guard_fixes)

    def _guard_fit_ended(self, issues, stopped: bool) -> None:
        if not issues:
            self.guard_bar.hide()  # a clean fit (the collapse seen while it ran recovered)
            return
        from emdesk.engine.diagnostics import format_issues

        text = (("The stopped fit" if stopped else "The fit") + " has degenerate components ("
                + format_issues(issues) + "): a collapsed component sits on a few (often rounded) values or "
                "has too few points, and its high likelihood is spurious.")
        details = " ".join(dict.fromkeys(i.message for i in issues))
        self.last_message = ("warning", text + " " + details)  # what the window says, as show_message records
        self.messageShown.emit("warning", text + " " + details)
        self._guard_raise(text + " <b>One click runs a new fit:</b>")
        self.guard_bar.label.setToolTip(details)

    def degeneracy_fixes(self) -> list[str]:
        """The fixes the guard bar offers now (names for ``apply_fix``); [] when it is not shown."""
        return list(self._guard_fixes) if self.guard_bar.isVisible() else []

    def apply_fix(self, name: str) -> None:
        """Apply one of the offered fixes ("raise_reg_covar", "fewer_components", "constrained_covariance",
        "new_initialisation"): change the Model panel's fields and start a new fit at once."""
        if name not in self.degeneracy_fixes():
            raise ValueError(f"{name!r} is not offered now; offered fixes: "
                             f"{', '.join(self.degeneracy_fixes()) or 'none (no degenerate components)'}.")
        label, _, changes = self._guard_fixes[name]
        self._stop_and_forget_fit()
        if name in ("fewer_components", "new_initialisation") and len(self._start_means):
            self.clear_start_means()
        self.params_panel.set_options(**changes)
        self.guard_bar.hide()
        self.start_fit()
        self.status_state.setText(f"{label}: running a new fit...")

    # ================================================================================ initialisation by hand
    def _forget_start_means_and_guard(self) -> None:
        """New data or columns: the placed means and the guard of the old fit no longer apply."""
        self.guard_bar.hide()
        self._guard_fixes = {}
        self._set_means(np.zeros((0, len(self._fit_columns))))
        has_cols = bool(self._fit_columns)
        self.act_place_means.setEnabled(has_cols)
        if not has_cols and self.act_place_means.isChecked():
            self.set_placing_means(False)

    def set_placing_means(self, on: bool = True) -> None:
        """Place mode (Fit > Place Starting Means): clicking the plot adds a starting mean, dragging one moves
        it, right-click or Delete removes it."""
        on = bool(on)
        self.act_place_means.blockSignals(True)
        self.act_place_means.setChecked(on)
        self.act_place_means.blockSignals(False)
        self.start_handles_2d.set_active(on)
        self.start_handles_1d.set_active(on)
        if on:
            self.status_state.setText("Click the plot to place a starting mean (drag: move; right-click or "
                                      "Delete: remove); F5 runs")

    @QtCore.Slot()
    def _leave_placing(self) -> None:
        self.set_placing_means(False)
        self.status_state.setText("Placing starting means is off (Fit \u25b8 Place Starting Means turns it on)")

    def is_placing_means(self) -> bool:
        return self.act_place_means.isChecked()

    def start_means(self) -> np.ndarray:
        """The starting means placed by hand, (k, d) in the ticked columns' order (k = 0: none)."""
        return self._start_means.copy()

    def set_start_means(self, means) -> None:
        """Place starting means: (k, d) for the d ticked columns, or (k, 2) for the displayed x/y columns
        when more than two are ticked (the others start at their column mean); 1-D: a list of values.
        An empty list clears them."""
        d = len(self._fit_columns)
        if d == 0 or self._X is None:
            raise ValueError("Open a CSV file and tick the columns before placing starting means.")
        m = np.asarray(means, dtype=float)
        if m.size == 0:
            self.clear_start_means()
            return
        if m.ndim == 1:
            m = m.reshape(-1, 1) if d == 1 else m.reshape(1, -1)
        if m.ndim != 2 or m.shape[1] not in ({d, 2} if d > 2 else {d}):
            raise ValueError(f"Starting means must have shape (k, {d}) for the {d} ticked columns"
                             + (" or (k, 2) for the displayed x and y columns" if d > 2 else "")
                             + f"; got {m.shape}.")
        if not np.all(np.isfinite(m)):
            raise ValueError("Starting means must be finite numbers.")
        if m.shape[1] != d:
            full = np.tile(self._column_means(), (m.shape[0], 1))
            ix, iy = self._xy_indices()
            full[:, ix], full[:, iy] = m[:, 0], m[:, 1]
            m = full
        self._set_means(m)

    def clear_start_means(self) -> None:
        """Forget the starting means placed by hand: the next Run uses the initialisation method again."""
        self._set_means(np.zeros((0, len(self._fit_columns))))

    def _column_means(self) -> np.ndarray:
        with np.errstate(all="ignore"):
            mu = np.nanmean(self._X, axis=0) if self._X is not None and self._X.shape[0] else None
        if mu is None:
            return np.zeros(len(self._fit_columns))
        return np.where(np.isfinite(mu), mu, 0.0)

    def _set_means(self, m: np.ndarray) -> None:
        limit = self.params_panel.n_components.maximum()
        if m.shape[0] > limit:
            self.show_message(f"At most {limit} starting means can be placed (one per component).", "warning")
            m = m[:limit]
        self._start_means = np.array(m, dtype=float).reshape(len(m), len(self._fit_columns))
        self.params_panel.set_manual_means(self._start_means.shape[0])
        self.act_clear_means.setEnabled(self._start_means.shape[0] > 0)
        self._sync_start_handles()

    def _sync_start_handles(self) -> None:
        m = self._start_means
        if m.shape[0] == 0 or m.shape[1] == 0:
            self.start_handles_1d.set_points(np.zeros((0, 2)))
            self.start_handles_2d.set_points(np.zeros((0, 2)))
        elif m.shape[1] == 1:
            self.start_handles_2d.set_points(np.zeros((0, 2)))
            self.start_handles_1d.set_points(np.column_stack([m[:, 0], np.zeros(len(m))]))
        else:
            ix, iy = self._xy_indices()
            self.start_handles_1d.set_points(np.zeros((0, 2)))
            self.start_handles_2d.set_points(m[:, [ix, iy]])

    def _xy_indices(self) -> tuple[int, int]:
        """Indices (in the ticked columns) of the 2-D view's x and y columns."""
        return int(self.plot_2d._ix), int(self.plot_2d._iy)

    def _displayed_dims(self) -> list[int]:
        return [0] if len(self._fit_columns) == 1 else list(self._xy_indices())

    @QtCore.Slot(float, float)
    def _start_mean_added(self, x: float, y: float) -> None:
        if self._X is None:
            return
        row = self._column_means()
        for dim, v in zip(self._displayed_dims(), (x, y)):
            row[dim] = v
        self._set_means(np.vstack([self._start_means, row[None, :]]))
        k = self._start_means.shape[0]
        self.status_state.setText(f"Start: {k} mean{'s' if k != 1 else ''} placed by hand; Run (F5) starts EM "
                                  "from them")

    @QtCore.Slot(int, float, float)
    def _start_mean_moved(self, i: int, x: float, y: float) -> None:
        if not 0 <= i < self._start_means.shape[0]:
            return
        for dim, v in zip(self._displayed_dims(), (x, y)):
            self._start_means[i, dim] = v

    @QtCore.Slot(int)
    def _start_mean_removed(self, i: int) -> None:
        if 0 <= i < self._start_means.shape[0]:
            self._set_means(np.delete(self._start_means, i, axis=0))

    def _with_start_means(self, params: dict) -> dict:
        """The engine keywords with the starting state of the placed means (none placed: unchanged)."""
        m = self._start_means
        if m.shape[0] == 0 or m.shape[1] != len(self._fit_columns):
            return params
        params = dict(params, n_components=int(m.shape[0]), n_init=1, means_init=m.copy())
        try:
            w, c = start_parameters(self._X, m, params["covariance_type"], params["reg_covar"])
        except (ValueError, np.linalg.LinAlgError):
            w = c = None
        if w is not None:
            params.update(weights_init=w, covariances_init=c)
        return params

    # ================================================================================ other models
    def show_restart(self, i: int) -> None:
        """Show restart ``i`` of the last fit (its final iteration) and make it the model to export."""
        if self._fitted_model is None:
            return
        try:
            model = restart_model(self._fitted_model, int(i))
        except Exception as exc:  # a restart the model layer refuses: the current fit stays
            self._report_error(f"Restart {int(i) + 1} could not be loaded", exc)
            return
        self._attach_names(model)
        self._model = model
        finals = [j for j, s in enumerate(self._history) if s.restart == int(i)]
        if finals and np.array_equal(self._history[finals[-1]].means, model.means_):
            self.timeline.set_index(finals[-1])  # the fit's timeline holds this restart's final state
        else:  # a model from elsewhere (model selection): its restarts were never on the timeline
            self._show_single_state(model)
        kept = getattr(self._fitted_model, "best_restart_", None)
        self.status_state.setText(f"Showing restart {int(i) + 1}" + (" (the one EM kept)" if kept == int(i) else
                                  "; Export Fit now writes this restart"))
        self._update_actions()

    def show_model(self, model, source: str = "model selection") -> None:
        """Show a fitted model of the current columns (e.g. the one chosen in model selection) as the
        current fit: on screen, exportable, and its options in the Model panel."""
        if self._X is None or model.means_.shape[1] != len(self._fit_columns):
            self.show_message("That model does not match the ticked columns; it was not loaded.", "error")
            return
        self._stop_and_forget_fit()
        self._run_id += 1
        self._attach_names(model)
        self._model = model
        self._fitted_model = model if getattr(model, "restart_parameters_", None) else None
        self._show_single_state(model)
        try:
            self.params_panel.set_options(n_components=int(model.n_components),
                                          covariance_type=model.covariance_type)
        except ValueError:
            pass
        if self._fitted_model is not None:
            try:
                self.restarts_view.set_model(model)
            except Exception:
                self.restarts_view.clear()
        else:
            self.restarts_view.clear()
        self.status_state.setText(f"Showing the model from {source}: {model.n_components} components, "
                                  f"{model.covariance_type}; Export Fit writes it")
        self._update_actions()

    def _show_single_state(self, model) -> None:
        """Draw a fitted model as the only state of the timeline and the trace."""
        from emdesk.engine.snapshot import Snapshot, frozen_copy

        ll = float(getattr(model, "log_likelihood_", np.nan))
        snap = Snapshot(
            restart=0, n_init=1, iteration=int(getattr(model, "n_iter_", 0)),
            weights=frozen_copy(model.weights_), means=frozen_copy(model.means_),
            covariances=frozen_copy(model.covariances_), covariance_type=model.covariance_type,
            log_likelihood=ll, lower_bound=float(getattr(model, "lower_bound_", np.nan)), change=np.nan,
            converged=bool(getattr(model, "converged_", False)), final=True,
            n_samples=float(self._X.shape[0]), missing=getattr(model, "missing", "error"),
        )
        self._history = [snap]
        self._ids_cache.clear()
        self._imputed_cache.clear()
        self._live_ids = None
        self.trace.clear()
        self.trace.append([snap])
        self.timeline.reset()
        self.timeline.set_count(1)
        self._show_index(0)

    def open_model_selection(self) -> None:
        """Open the model-selection dialog on the ticked columns (non-modal)."""
        from emdesk.gui.selection_dialog import SelectionDialog

        if self._X is None:
            self.show_message("Open a CSV file and tick the columns first.", "warning")
            return
        try:
            options = self.options()
        except ValueError as exc:  # a field that is not a number: say so, as Run does (not silent defaults)
            self.show_message(str(exc), "error")
            return
        self._close_selection_dialog()
        dlg = SelectionDialog(self._X, list(self._fit_columns), engine_options=options, parent=self)
        dlg.modelChosen.connect(self._model_chosen)
        self._selection_dialog = dlg
        dlg.show()

    def _close_selection_dialog(self) -> bool:
        """Close the model-selection dialog (its sweep stops); True when one was open."""
        dlg, self._selection_dialog = self._selection_dialog, None
        if dlg is None:
            return False
        try:
            was_open = dlg.isVisible()
            dlg.modelChosen.disconnect(self._model_chosen)
            dlg.close()
            dlg.deleteLater()
        except RuntimeError:  # already deleted
            return False
        return was_open

    @QtCore.Slot(object)
    def _model_chosen(self, model) -> None:
        self.show_model(model, "model selection")

    # ================================================================================ export
    def export_fit(self, path, kind: str | None = None) -> None:
        """Write the fit: ``kind`` "json" (default; the file layer's JSON), "parameters" or "assignments"."""
        if self._model is None:
            raise ValueError("There is no fit to export yet: run a fit first (F5).")
        from emdesk.io import save_assignments_csv, save_fit, save_parameters_csv

        kind = kind or "json"
        path = str(path)
        if kind == "json":
            save_fit(path, self._model, self._X, columns=list(self._fit_columns), table=self.table)
        elif kind == "parameters":
            save_parameters_csv(path, self._model, columns=list(self._fit_columns))
        elif kind == "assignments":
            save_assignments_csv(path, self.table, self._model, list(self._fit_columns))
        else:
            raise ValueError(f"Unknown export kind {kind!r}: use json, parameters or assignments.")

    def export_imputed(self, path) -> int:
        """File > Export Imputed Data: the table with the missing cells of the fitted columns filled by the
        fit (conditional expectations) and a column flagging the imputed cells (``emdesk.io.save_imputed_csv``,
        atomic). Returns the number of cells filled; ValueError when there is no fit or nothing to fill."""
        if self._model is None:
            raise ValueError("There is no fit to impute from yet: run a fit first (F5).")
        if not self._n_incomplete:
            raise ValueError("The fitted columns have no missing cells, so there is nothing to impute. "
                             "Export Fit (Ctrl+E) writes the rows with their assignments.")
        from emdesk.io import save_imputed_csv

        return save_imputed_csv(str(path), self.table, self._model, list(self._fit_columns))

    def export_plot_image(self, path) -> None:
        """Save the plot area as PNG (or any raster format Qt knows by extension) or SVG."""
        path = str(path)
        widget = self.splitter
        if path.lower().endswith(".svg"):
            from PySide6.QtSvg import QSvgGenerator

            # Rendered into memory, then written by Python: a folder that cannot be written gives an OSError
            # that names the file (not Qt's warnings on stderr and a rename of a file never made).
            buffer = QtCore.QBuffer()
            buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
            gen = QSvgGenerator()
            gen.setOutputDevice(buffer)
            gen.setSize(widget.size())
            gen.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), widget.size()))
            gen.setTitle("emdesk plot")
            painter = QtGui.QPainter(gen)
            try:
                widget.render(painter, QtCore.QPoint(0, 0))
            finally:
                painter.end()
            tmp = path + ".tmp.svg"
            try:
                with open(tmp, "wb") as fh:
                    fh.write(bytes(buffer.data()))
                os.replace(tmp, path)
            except OSError as exc:
                if os.path.exists(tmp):
                    os.remove(tmp)
                raise OSError(f"Could not write the image {path}: {exc.strerror or exc}.") from None
        else:
            tmp = path + ".tmp" + (os.path.splitext(path)[1] or ".png")
            if not widget.grab().save(tmp):
                raise OSError(f"Could not write the image {path}: check the folder and the file extension.")
            os.replace(tmp, path)

    def _export_dialog(self) -> None:
        if self._model is None:
            return
        base = os.path.splitext(os.path.basename(str(self.table.path)))[0] if self.table else "fit"
        start = os.path.join(self.settings.last_folder(), f"{base}-fit.json")
        path, chosen = QtWidgets.QFileDialog.getSaveFileName(self, "Export Fit", start, ";;".join(EXPORT_FILTERS))
        if not path:
            return
        kind, ext = EXPORT_FILTERS.get(chosen, ("json", ".json"))
        if not os.path.splitext(path)[1]:
            path += ext
        try:
            self.export_fit(path, kind)
        except (ValueError, OSError) as exc:
            self.show_message(f"Could not export: {exc}", "error")
            return
        self.settings.set_last_folder(os.path.dirname(path))
        self.status_state.setText(f"Exported to {path}")

    def _export_imputed_dialog(self) -> None:
        if self._model is None or not self._n_incomplete:
            return
        base = os.path.splitext(os.path.basename(str(self.table.path)))[0] if self.table else "data"
        start = os.path.join(self.settings.last_folder(), f"{base}-imputed.csv")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export Imputed Data", start,
                                                        "CSV files (*.csv);;All files (*)")
        if not path:
            return
        if not os.path.splitext(path)[1]:
            path += ".csv"
        try:
            n = self.export_imputed(path)
        except (ValueError, OSError) as exc:
            self.show_message(f"Could not export the imputed data: {exc}", "error")
            return
        self.settings.set_last_folder(os.path.dirname(path))
        self.status_state.setText(f"Exported to {path}: {n:,} missing cell{'s' if n != 1 else ''} filled by the "
                                  "fit, named in its last column")

    def _export_image_dialog(self) -> None:
        start = os.path.join(self.settings.last_folder(), "emdesk-plot.png")
        path, chosen = QtWidgets.QFileDialog.getSaveFileName(self, "Export Plot Image", start,
                                                             "PNG image (*.png);;SVG image (*.svg)")
        if not path:
            return
        if not os.path.splitext(path)[1]:
            path += ".svg" if "SVG" in chosen else ".png"
        try:
            self.export_plot_image(path)
        except OSError as exc:
            self.show_message(str(exc), "error")
            return
        self.settings.set_last_folder(os.path.dirname(path))
        self.status_state.setText(f"Saved {path}")

    # ================================================================================ dialogs, menus
    def _open_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open CSV", self.settings.last_folder(), CSV_FILTER)
        if path:
            self.begin_load(path)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for p in files:
            a = self.recent_menu.addAction(os.path.basename(p))
            a.setToolTip(p)
            a.setStatusTip(p)
            a.triggered.connect(lambda _=False, path=p: self.begin_load(path))
        if not files:
            a = self.recent_menu.addAction("(no recent files)")
            a.setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent Files", self.settings.clear_recent_files)

    def _about(self) -> None:
        QtWidgets.QMessageBox.about(
            self, "About emdesk",
            f"<h3>emdesk {__version__}</h3><p>Watch the EM algorithm fit Gaussian mixtures to your data, "
            "iteration by iteration, and replay any iteration on the timeline.</p>"
            f"<p>PySide6 {PySide6.__version__}, pyqtgraph {pg.__version__}, NumPy {np.__version__}</p>")

    # ================================================================================ drag and drop
    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if self._dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if self._dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        path = self._dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.begin_load(path)

    @staticmethod
    def _dropped_path(mime: QtCore.QMimeData) -> str | None:
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                return url.toLocalFile()
        return None

    # ================================================================================ shutdown
    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the fit and the load, save settings, end both threads (idempotent)."""
        if self._closing:
            return
        self._closing = True
        self._clock.stop()
        if self._selection_dialog is not None:
            try:
                self._selection_dialog.close()
            except RuntimeError:  # already deleted
                pass
        self.fit_worker.request_stop()
        self.load_worker.cancel()
        try:
            self.save_settings()
        except Exception:
            pass
        for thread in (self.fit_thread, self.load_thread):
            thread.quit()
        self.hide()  # the window goes at once, even when a thread needs longer below
        for thread in (self.fit_thread, self.load_thread):
            if not thread.wait(SHUTDOWN_WAIT_MS):
                # The engine reads the stop flag after every EM iteration, not inside its initialisation
                # (k-means on a large file can take seconds). Qt aborts the process when a running QThread
                # is destroyed, so wait for that step to end rather than crash on the way out.
                print(f"emdesk: waiting for thread {thread.objectName()} to finish its current step...",
                      file=sys.stderr)
                thread.wait()
