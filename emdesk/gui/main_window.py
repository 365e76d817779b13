"""The main window: menus, docks, the plot area hosting the model kind's views, and the scripting surface
used by tests, scripts and the smoke test. The state of the fit lives in a Qt-free ``emdesk.session.Session``
(``window.session``) that the window observes; the work is done by controllers with one job each
(``emdesk.gui.controllers``: load, fit, timeline, guard, start_means, selection, export).

Scripting surface (each does what the matching menu action does):
``open_csv(path)``, ``begin_load(path)``, ``cancel_load()``, ``open_example(name, fit)``, ``set_table(table)``,
``select_columns(names)``, ``set_options(**engine_keywords)``, ``options()``, ``start_fit(paused)``,
``stop_fit()``, ``pause_fit()``, ``resume_fit()``, ``step_fit()``, ``is_fitting()``, ``is_paused()``,
``history``, ``model``, ``table``, ``export_fit(path, kind)``, ``export_imputed(path)``,
``export_plot_image(path)``, ``set_missing_mode(mode)`` / ``missing_mode()``, ``show_message(text, level)``,
``clear_message()``, ``save_settings()``, ``shutdown()``; signals ``fitFinished()``, ``fitStopped()``,
``fitFailed(str)``, ``dataLoaded(str)``, ``loadFailed(str)``, ``messageShown(str, str)``. Issue 7:
``degeneracy_fixes()``, ``apply_fix(name)`` (the degeneracy guard), ``set_start_means(means)``,
``start_means()``, ``clear_start_means()``, ``set_placing_means(on)``, ``is_placing_means()``
(initialisation by hand), ``show_restart(i)``, ``show_model(model, source)``, ``open_model_selection()``.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.gui.background import BackgroundJobs
from emdesk.gui.controllers.export import EXPORT_FILTERS  # noqa: F401  (re-exported)
from emdesk.gui.controllers.export import ExportController
from emdesk.gui.controllers.fit import RANDOM_INIT_EARLY_STOP, FitController  # noqa: F401
from emdesk.gui.controllers.guard import GuardController
from emdesk.gui.controllers.import_data import ImportController
from emdesk.gui.controllers.load import LoadController
from emdesk.gui.controllers.seed import SeedController
from emdesk.gui.controllers.results import ResultsController
from emdesk.gui.controllers.rows import RowsController
from emdesk.gui.controllers.selection import SelectionController
from emdesk.gui.controllers.start_means import StartMeansController
from emdesk.gui.controllers.timeline import TimelineController
from emdesk.gui.data_panel import MISSING_MODES
from emdesk.gui.kinds import KINDS
from emdesk.session_hmm import first_parameter
from emdesk.gui.main_window_ui import build_ui
from emdesk.gui.menus import build_actions, fill_recent_menu, open_dialog
from emdesk.gui.settings import Settings
from emdesk.session import MAX_DISPLAY_POINTS, Session  # noqa: F401  (MAX_DISPLAY_POINTS re-exported)

pg.setConfigOptions(background="w", foreground=(40, 40, 40), antialias=True)

RESOURCES = Path(__file__).resolve().parent / "resources"
EXAMPLES = [
    ("Three clusters (2-D)", "example_2d_three_clusters.csv"),
    ("Bimodal measurements (1-D)", "example_1d_bimodal.csv"),
    ("River regimes (hidden Markov model)", "example_hmm_regimes.csv"),
]
GIL_SWITCH_INTERVAL = 0.0005
SHUTDOWN_WAIT_MS = 5000  # closing: how long the threads get to stop before the window says it waits on


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


def _session_attr(name: str, doc: str):
    return property(lambda self: getattr(self.session, name), doc=doc)


class MainWindow(QtWidgets.QMainWindow):
    fitFinished = QtCore.Signal()
    fitStopped = QtCore.Signal()
    fitFailed = QtCore.Signal(str)
    dataLoaded = QtCore.Signal(str)
    loadFailed = QtCore.Signal(str)
    messageShown = QtCore.Signal(str, str)

    def __init__(self, settings: QtCore.QSettings | None = None, parent=None):
        super().__init__(parent)
        # The GUI thread re-enters Python for every item it paints; each entry waits for the GIL, which a
        # CPU-bound fit thread hands over only every "switch interval" (5 ms by default). With dozens of
        # entries per frame that added up to stalls of 100-300 ms; 0.5 ms keeps frames near their own cost.
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        self.settings = Settings(settings)
        self.session = Session()
        self.setWindowTitle("emdesk")
        icon = app_icon()
        if icon is not None:
            self.setWindowIcon(icon)
        self.setAcceptDrops(True)
        self._closing = False
        self.last_message: tuple[str, str] | None = None

        self._build_ui()
        build_actions(self)
        # Work over big data (a summary, an export) off the GUI thread (emdesk.gui.background)
        self.jobs = BackgroundJobs(self)
        # ... and the rows a fit uses, when the data, columns, kind or sequences change (emdesk.gui.controllers.rows)
        self.rows = RowsController(self)
        # The pieces, each with one job (emdesk.gui.controllers); the fit and load threads start here.
        self.guard = GuardController(self)
        self.start_means_ctrl = StartMeansController(self)
        self.timeline_ctrl = TimelineController(self)
        self.fit = FitController(self)
        self.loader = LoadController(self)
        self.importer = ImportController(self)  # formats, import options, paste, fill values (issue 15)
        self.seeds = SeedController(self)  # a seed shown, reproducible Runs, New seed (issue 15)
        self.selection = SelectionController(self)
        self.exporter = ExportController(self)
        self.results = ResultsController(self)  # Results / Uncertainty / Model Checks docks, report (issue 14)
        self.fit_thread, self.fit_worker = self.fit.thread, self.fit.worker
        self.load_thread, self.load_worker = self.loader.thread, self.loader.worker
        self.session.subscribe(self._session_changed)
        app = QtCore.QCoreApplication.instance()
        if app is not None:  # quitting without closing this window still ends the threads cleanly
            app.aboutToQuit.connect(self.shutdown)
        self._restore_settings()
        self.seeds.ensure_seed()
        self.update_actions()

    # ================================================================================ state (the session's)
    table = _session_attr("table", "The loaded table (emdesk.io.Table) or None.")
    history = _session_attr("history", "Every snapshot of the current fit, in order.")
    model = _session_attr("model", "The fitted model, or the model of the last iteration when the fit was "
                                   "stopped (or a loaded restart, or a chosen model); None before.")
    _X = _session_attr("X", "Rows the fit uses.")
    _X_display = _session_attr("X_display", "Rows drawn.")
    _fit_columns = _session_attr("columns", "The ticked columns.")
    _display_inc_rows = _session_attr("display_incomplete_rows", "Drawn rows with a missing value.")
    _n_incomplete = _session_attr("n_incomplete", "Rows with a missing value in the ticked columns.")

    @property
    def _shown_index(self) -> int:
        return self.timeline_ctrl.shown_index

    @property
    def _imputed_cache(self):
        return self.timeline_ctrl.imputed_cache

    @property
    def frames_drawn(self) -> int:
        """How many states the plot has drawn (benchmarks read it)."""
        return self.timeline_ctrl.frames_drawn

    def _show_index(self, index: int) -> None:
        self.timeline_ctrl.show_index(index)

    @property
    def _selection_dialog(self):
        return self.selection.dialog

    def is_closing(self) -> bool:
        return self._closing

    @property
    def kind(self):
        """The model kind of the session (``emdesk.gui.kinds.ModelKind``)."""
        return KINDS[self.session.kind]

    @property
    def views(self):
        """The views of the current model kind, hosted by the plot area."""
        return self.kind_views[self.session.kind]

    # ================================================================================ construction
    def _build_ui(self) -> None:
        build_ui(self)

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
        self.session.missing = self.data_panel.missing_mode()
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
            # a model chosen in model selection is for its data only (issue 15)
            self.settings.set_fit_options(self.selection.options_to_remember(self.params_panel.options(engine=False)))
        except ValueError:
            pass
        self.settings.set_animation_delay(self.params_panel.delay())
        self.settings.set_missing_mode(self.data_panel.missing_mode())
        self.settings.sync()

    # ================================================================================ messages
    def show_message(self, text: str, level: str = "error") -> None:
        """Show a message in the window (non-modal). Tests read ``last_message``. Engine keywords in it
        (missing='marginalize', n_init ...) become the window's words (emdesk.gui.wording)."""
        from emdesk.gui.wording import for_window

        text = for_window(text, self.session.kind)
        self.last_message = (level, text)
        self.message_bar.show_text(text, level)
        self.messageShown.emit(level, text)

    def clear_message(self) -> None:
        self.message_bar.hide()
        self.last_message = None

    def report_error(self, what: str, exc: BaseException) -> str:
        """An exception in a slot: the trace on stderr for a report, a message in the window's error strip;
        returns the message."""
        if not isinstance(exc, ValueError):
            traceback.print_exc()
        detail = str(exc).strip() or exc.__class__.__name__
        if not isinstance(exc, (ValueError, OSError)):
            detail = f"{exc.__class__.__name__}: {detail}"
        self.show_message(f"{what}: {detail}", "error")
        return self.last_message[1]  # as shown (the window's words)

    # ================================================================================ loading
    def open_csv(self, path) -> None:
        """Load a CSV in the background and return once it is shown.

        Spins a local event loop while loading (the window stays responsive). Raises ``DataError`` (after
        showing the message) for a file that cannot be used, ``LoadCancelled`` when the user cancelled.
        """
        self.loader.open_csv(path)

    def begin_load(self, path) -> int:
        """Start loading ``path`` in the background; returns the request id (menu, drag and drop)."""
        return self.loader.begin(path)

    def cancel_load(self) -> None:
        self.loader.cancel()

    def open_example(self, filename: str = EXAMPLES[0][1], fit: bool = True) -> None:
        """Open a bundled example set up as its menu entry says (model kind, sequences, columns), and fit
        it when ``fit``."""
        self.loader.open_example(example_path(filename), fit)

    # ================================================================================ data and columns
    def set_table(self, table, selected=None) -> bool:
        """Show ``table`` (a file, pasted data) with the ``selected`` columns ticked (None: the first two). Big
        data: its rows are prepared in the background (``emdesk.gui.controllers.rows``); returns once they are
        used (True), or False when a newer change superseded this one meanwhile."""
        self.data_panel.set_table(table, selected)
        self.setWindowTitle(f"{table.name if table.path else 'Pasted data'} \u2014 emdesk")
        return self.rows.request([("set_table", (table, self.data_panel.selected_columns()))])

    def select_columns(self, names) -> None:
        """Tick exactly these numeric columns (ValueError for unknown or text columns)."""
        self.data_panel.set_selected(list(names))
        self.rows.settle()  # big data: returns once the rows are used (also when called while others prepare)

    @QtCore.Slot(list)
    def _selection_changed(self, names) -> None:
        # Big data: the ticked columns' rows (0.2-1.5 s at 1,000,000 rows) are prepared in the background while
        # the window turns; this returns once they are used (scripts see them, as before). A newer tick
        # meanwhile supersedes this one: its rows are dropped.
        if self.session.table is not None:
            self.rows.request([("choose_columns", (list(names),))], wait=False)

    @QtCore.Slot(str)
    def _missing_mode_changed(self, mode: str) -> None:
        self.settings.set_missing_mode(mode)
        self.rows.request([("set_missing", (mode,))], wait=False)

    def missing_mode(self) -> str:
        """How rows with missing values in the ticked columns are fitted: "marginalize" or "drop"."""
        return self.data_panel.missing_mode()

    def set_missing_mode(self, mode: str) -> None:
        """"marginalize" (default): fit every row with exact EM for missing values; "drop": fit the complete
        rows only. Rows with every ticked value missing are left out either way. Forgets the current fit."""
        self.data_panel.set_missing_mode(mode)
        self.rows.settle()

    def _session_changed(self, event: str) -> None:
        """The window observes its session: new rows to fit are drawn afresh, another current model is shown,
        and a fit a script runs on ``window.session`` directly is drawn as it goes. (The fit controller's
        own fits are drawn by the controller: it marks its session calls as its own.)"""
        if self.fit.own_event:
            return
        if event == "data":
            self._show_data()
        elif event == "options":
            self._show_kind()
        elif event == "model":
            self._show_current_model()
        elif event == "fit-started":
            self.fit.forget()
            self.timeline_ctrl.reset()
            self.restarts_view.clear()
        elif event == "snapshots":
            self.timeline_ctrl.follow_session()
        elif event == "fit-ended":
            self.timeline_ctrl.follow_session()
            if self.session.fitted_model is not None:
                try:
                    self.restarts_view.set_model(self.session.fitted_model)
                except Exception:  # informative only
                    self.restarts_view.clear()
            self.update_actions()

    def _show_current_model(self) -> None:
        s = self.session
        self.fit.forget()
        m = s.model
        if m is not None and s.history:
            at = [j for j, snap in enumerate(s.history) if snap.final and np.array_equal(snap.means, first_parameter(m))]
            if len(s.history) == 1 and at:
                self.timeline_ctrl.show_single_state()
            elif at:
                self.timeline.set_index(at[-1])  # the fit's timeline holds this state
            else:  # a state never on the timeline (a restart of a model from elsewhere): it becomes the one
                self.use_model(m, keep_fit=True)
                return  # drawn by the "model" event that follows
        self.update_actions()

    # ================================================================================ model kind
    def set_model_kind(self, kind: str, family: str = "gaussian") -> None:
        """"mixture" (independent rows) or "hmm" (ordered rows; ``family`` "gaussian", "poisson" or
        "categorical"), as the Model panel's Model and Family choices. Forgets the current fit."""
        self.params_panel.set_model_kind(kind, family)
        self.rows.request([("set_model_kind", (kind, family))])

    def set_sequence(self, sequence=None, order=None) -> None:
        """HMM rows: the column naming each row's sequence and the numeric column ordering the rows within
        it (None: one sequence / the file's order), as the Data panel's pickers. Forgets the current fit."""
        if self.rows.request([("set_sequence", (sequence, order))]):  # (False: a newer change superseded it)
            self.data_panel.set_sequence_columns(sequence, order)

    def set_rows(self, kind: str, family: str, columns, sequence=None, order=None, missing=None) -> bool:
        """The model kind and family, (HMM) the sequence and order columns, (``missing`` unless None) the
        missing-value choice and the ticked columns at once, as ``set_model_kind``, ``set_sequence``,
        ``set_missing_mode`` and ``select_columns`` one after the other, with the rows prepared once (in the
        background for big data; Open Fit uses it). Returns False when a newer change superseded it. ValueError
        (nothing changed) for columns or a kind that cannot be used."""
        commands = [("set_model_kind", (kind, family))]
        if kind == "hmm":
            commands.append(("set_sequence", (sequence, order)))
        if missing is not None:
            commands.append(("set_missing", (missing,)))
        commands.append(("choose_columns", (list(columns),)))
        self.session.planned(commands, base=self.rows.pending())  # checks first: the panels change only then
        self.params_panel.set_model_kind(kind, family)
        if not self.rows.request(commands):
            return False
        if kind == "hmm":
            self.data_panel.set_sequence_columns(sequence, order)
        return True

    @QtCore.Slot(str, str)
    def _kind_changed(self, kind: str, family: str) -> None:
        try:
            self.rows.request([("set_model_kind", (kind, family))], wait=False)
        except ValueError as exc:  # rows that cannot be prepared for that kind: say so, keep the last choice
            self.show_message(str(exc), "error")
            self.rows.resync()

    @QtCore.Slot(object, object)
    def _sequence_changed(self, sequence, order) -> None:
        try:
            self.rows.request([("set_sequence", (sequence, order))], wait=False)
        except ValueError as exc:  # e.g. an order column with missing values: say so, keep the last choice
            self.show_message(str(exc), "error")
            self.rows.resync()  # the pickers show the session's columns (or those still being prepared) again

    def _show_kind(self) -> None:
        s = self.session
        if self.params_panel.model_kind() != (s.kind, s.family):  # a script changed the session directly
            self.params_panel.set_model_kind(s.kind, s.family)
        self.params_panel.show_fields(self.kind.fields(s.family))
        self._covariance_context()
        self.data_panel.show_sequence_pickers("sequence" in self.kind.needs)
        self._text_columns_fittable()
        self.restarts_dock.setEnabled(self.kind.restarts_view)
        self.update_actions()

    def _text_columns_fittable(self) -> None:
        from emdesk.families_data import TEXT_FAMILIES
        from emdesk.gui.text_columns import set_text_fittable

        # the categorical families (latent class, mixed; the categorical HMM's symbols, as emdesk-fit) fit text
        set_text_fittable(self.data_panel, self.session.family in TEXT_FAMILIES)

    def _covariance_context(self) -> None:
        """The Model panel offers mclust's 14 models for Gaussian mixtures (E and V with one column)."""
        s = self.session
        self.params_panel.set_covariance_context(s.kind == "mixture" and s.family == "gaussian",
                                                 len(s.columns) if s.columns else None)
        self.params_panel.set_prior_context(s.kind == "mixture" and s.family == "gaussian",
                                            len(s.columns) if s.columns else None)

    def _show_data(self) -> None:
        s = self.session
        self.fit.forget()
        self._covariance_context()
        # The model-selection dialog swept the rows of the old file, columns or missing-value choice: a
        # model chosen there now would be shown (and exported) as a fit of data it never saw.
        if self.selection.close_dialog():
            self.status_state.setText("Model selection was closed: the data changed (Ctrl+M sweeps the new "
                                      "columns)")
        if self.data_panel.missing_mode() != s.missing:  # a script changed the session directly
            self.data_panel.set_missing_mode(s.missing)
        if s.table is not None and self.data_panel.table is not s.table:  # a script loaded it into the session
            self.data_panel.set_table(s.table, s.columns)
            self.setWindowTitle(f"{os.path.basename(str(s.table.path))} \u2014 emdesk")
        self._text_columns_fittable()
        if s.table is not None and self.data_panel.selected_columns() != s.columns:
            self.data_panel.blockSignals(True)
            try:
                self.data_panel.set_selected(s.columns)
            finally:
                self.data_panel.blockSignals(False)
        self.guard.forget()
        self.start_means_ctrl.forget()
        self.timeline_ctrl.reset()
        self.restarts_view.clear()
        self.timeline_ctrl.reset_status()
        self.data_panel.set_missing_summary(s.n_rows if s.X is not None else 0, s.n_incomplete, s.n_empty,
                                            time_steps=s.kind == "hmm",
                                            n_fitted=s.X.shape[0] if s.X is not None else None)
        view = self.views.set_data(s)
        self.plot_stack.setCurrentWidget(view if view is not None else self.empty_label)
        # The data panel says how many rows are incomplete and what the fit does with them.
        self.update_actions()

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
        return dict(self.params_panel.options(), missing=self.session.engine_missing())

    def start_fit(self, paused: bool = False) -> None:
        """Start EM on the selected columns in the worker thread (returns at once)."""
        self.fit.start(paused)

    def stop_fit(self) -> None:
        """Stop the running fit; the last parameters stay on screen and can be exported."""
        self.fit.stop()

    def pause_fit(self) -> None:
        if self.fit.running:
            self.fit.set_paused(True)

    def resume_fit(self) -> None:
        if self.fit.running:
            self.fit.set_paused(False)

    def step_fit(self) -> None:
        """One more iteration, then pause (starts a paused fit when none runs). Presses add up."""
        self.fit.step()

    def is_fitting(self) -> bool:
        return self.fit.running

    def is_paused(self) -> bool:
        return self.fit.running and self.fit.paused

    def _run_action(self) -> None:
        if self.fit.running and self.fit.paused:
            self.fit.set_paused(False)
        else:
            self.start_fit()

    def _pause_action(self) -> None:
        if self.fit.running:
            self.fit.set_paused(not self.fit.paused)

    def _step_action(self) -> None:
        self.step_fit()

    @QtCore.Slot(float)
    def _delay_changed(self, seconds: float) -> None:
        self.fit_worker.set_delay(seconds)
        self.settings.set_animation_delay(seconds)

    def update_actions(self) -> None:
        # rows being prepared in the background (emdesk.gui.controllers.rows): Run and Step wait for them
        has_data = self.session.X is not None and not (hasattr(self, "rows") and self.rows.busy())
        running = self.fit.running
        has_model = self.session.model is not None
        self.act_run.setEnabled(has_data and (not running or self.fit.paused))
        self.act_pause.setEnabled(running and not self.fit.paused)
        self.act_step.setEnabled(has_data)
        self.act_stop.setEnabled(running)
        writing = hasattr(self, "exporter") and self.exporter.writing()  # an export in the background
        self.act_export.setEnabled(has_model and not running and not writing
                                   and (self.session.family in ("gaussian", "student_t", "poisson")
                                        or self.session.kind == "mixture"
                                        and self.session.family in ("categorical", "mixed")))
        self.act_export_image.setEnabled(has_data)
        gaussian_mixture = self.session.kind == "mixture" and self.session.family == "gaussian"
        self.act_export_imputed.setEnabled(has_model and not running and not writing and self.session.n_incomplete > 0
                                           and gaussian_mixture)
        self.act_select.setEnabled(has_data and self.kind.model_selection
                                   and (self.session.kind != "mixture" or gaussian_mixture))
        self.params_panel.setEnabled(True)
        if hasattr(self, "results"):
            self.results.update_actions()

    # ================================================================================ degeneracy guard (issue 7)
    def degeneracy_fixes(self) -> list[str]:
        """The fixes the guard bar offers now (names for ``apply_fix``); [] when it is not shown."""
        return self.guard.offered()

    def apply_fix(self, name: str) -> None:
        """Apply one of the offered fixes ("raise_reg_covar" or "lower_reg_covar", "fewer_components",
        "constrained_covariance", "new_initialisation", an HMM's "transmat_prior"): change the Model panel's fields
        and run a new fit."""
        self.guard.apply_fix(name)

    # ================================================================================ initialisation by hand
    def set_placing_means(self, on: bool = True) -> None:
        """Place mode (Fit > Place Starting Means): clicking the plot adds a starting mean, dragging one moves
        it, right-click or Delete removes it."""
        self.start_means_ctrl.set_placing(on)

    def is_placing_means(self) -> bool:
        return self.act_place_means.isChecked()

    def start_means(self) -> np.ndarray:
        """The starting means placed by hand, (k, d) in the ticked columns' order (k = 0: none)."""
        return self.session.start_means.copy()

    def set_start_means(self, means) -> None:
        """Place starting means: (k, d) for the d ticked columns, or (k, 2) for the displayed x/y columns
        when more than two are ticked (the others start at their column mean); 1-D: a list of values.
        An empty list clears them."""
        self.start_means_ctrl.set_means(means)

    def clear_start_means(self) -> None:
        """Forget the starting means placed by hand: the next Run uses the initialisation method again."""
        self.start_means_ctrl.clear()

    # ================================================================================ other models
    def show_restart(self, i: int) -> None:
        """Show restart ``i`` of the last fit (its final iteration) and make it the model to export."""
        self.selection.show_restart(i)

    def show_model(self, model, source: str = "model selection") -> None:
        """Show a fitted model of the current columns (e.g. the one chosen in model selection) as the
        current fit: on screen, exportable, and its options in the Model panel."""
        self.selection.show_model(model, source)

    def use_model(self, model, keep_fit: bool = False) -> bool:
        """``session.use_model``; a hidden Markov model's state over big data (its posteriors over every row,
        9 s at 1,000,000 rows) is computed in the background while the window turns (the status bar says
        so), then applied here. Returns False when the data changed meanwhile (the model is then not shown).
        ValueError when it does not match the chosen columns."""
        from emdesk.gui.background import is_big
        from emdesk.session_hmm import hmm_state_snapshot, is_hmm

        s = self.session
        if not (is_hmm(model) and s.X is not None and is_big(s.X.shape[0])):
            s.use_model(model, keep_fit=keep_fit)
            return True
        s.check_model(model)
        X, lengths = s.X, s.fit_arguments()["lengths"]
        self.status_state.setText(f"Computing the state probabilities of {X.shape[0]:,} rows (in the background)...")
        state = self.jobs.wait(self.jobs.submit(lambda: hmm_state_snapshot(model, X, lengths), key="use-model"))
        if s.X is not X:  # the columns or the file changed meanwhile: that state is of other rows
            self.status_state.setText("The data changed while the model was being prepared; it was not shown.")
            return False
        s.use_model(model, keep_fit=keep_fit, state=state)
        return True

    def open_model_selection(self) -> None:
        """Open the model-selection dialog on the ticked columns (non-modal)."""
        self.selection.open_dialog()

    # ================================================================================ export
    def export_fit(self, path, kind: str | None = None) -> None:
        """Write the fit: ``kind`` "json" (default; the file layer's JSON), "parameters" or "assignments"; with
        the Results panel's bootstrap standard errors of this model when one was run."""
        self.exporter.export_fit(path, kind)  # in the background for big data (returns once written)

    def open_fit(self, path) -> None:
        """File > Open Fit: show a saved fit (mixture or HMM) on its data (``ExportController.open_fit``)."""
        self.exporter.open_fit(path)

    def export_imputed(self, path) -> int:
        """File > Export Imputed Data: the table with the missing cells of the fitted columns filled by the
        fit (conditional expectations) and a column flagging the imputed cells (``emdesk.io.save_imputed_csv``,
        atomic). Returns the number of cells filled; ValueError when there is no fit or nothing to fill."""
        return self.exporter.export_imputed(path)

    def export_plot_image(self, path) -> None:
        """Save the plot area as PNG (or any raster format Qt knows by extension) or SVG."""
        self.exporter.export_plot_image(path)

    # ================================================================================ dialogs, menus
    def _open_dialog(self) -> None:
        open_dialog(self)

    def _fill_recent_menu(self) -> None:
        fill_recent_menu(self)

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
            event.acceptProposedAction()  # opened once the drop is over: a running fit asks first (a dialog)
            QtCore.QTimer.singleShot(0, self, lambda: self.importer.open_path(path))

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
        self.fit.clock.stop()
        self.selection.close_dialog()
        self.results.shutdown()
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
                # The engine reads the stop flag between EM iterations and between the steps of its
                # initialisation. Qt aborts the process when a running QThread is destroyed, so wait for
                # that step to end rather than crash on the way out.
                print(f"emdesk: waiting for thread {thread.objectName()} to finish its current step...",
                      file=sys.stderr)
                thread.wait()
