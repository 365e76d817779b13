"""Reading the fit (issue 14): the Results, Uncertainty and Model Checks docks, Analysis > Bootstrap
Standard Errors... and Bootstrap LRT..., and File > Export Report....

The docks follow the session's current model: they are refreshed when a fit ends or stops, when a restart or
another model is loaded (session events "fit-ended" and "model") and when a timeline iteration is shown
after the fit (debounced: scrubbing stays smooth). They are cleared when the data change or a fit starts.
The uncertainty and checks computations run only for a dock that is visible (a hidden one is refreshed when
it is raised). The Results panel covers every kind (HMMs and the other families through
``emdesk.engine.summary_kinds``); the bootstrap, the LRT and the Uncertainty view Gaussian mixtures; the Model
Checks Gaussian mixtures and HMMs (pseudo-residuals).

Scripting (``window.results``): ``refresh()``, ``shown_model()``, ``start_bootstrap(n_boot, method,
random_state)``, ``bootstrap_result()``, ``open_lrt_dialog()``, ``export_report(path)``.
"""

from __future__ import annotations

import os

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.gui.background import is_big
from emdesk.gui.checks_view import ChecksView
from emdesk.gui.results_panel import ResultsPanel, widget_png
from emdesk.gui.uncertainty_view import UncertaintyView

SCRUB_DELAY_MS = 250  # a timeline iteration is summarised once the slider rests this long
# An HMM's pseudo-residuals are computed for at most this many time steps (a sequential recursion in the GUI
# thread: measured 4.4 s for 100,000 rows on a loaded machine); forecast residuals of the first steps are exact.
MAX_RESIDUAL_ROWS = 20_000


class BootstrapDialog(QtWidgets.QDialog):
    """Method, replicates and seed of a bootstrap (Analysis > Bootstrap Standard Errors...)."""

    def __init__(self, panel: ResultsPanel, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Bootstrap Standard Errors")
        self.method = QtWidgets.QComboBox()
        self.method.addItems(["Nonparametric (rows resampled)", "Parametric (samples from the fit)",
                              "Weighted likelihood (random row weights)"])
        self.method.setCurrentIndex(panel.method_box.currentIndex())
        for i in range(self.method.count()):  # the methods this model does not take, as in the panel
            item, theirs = self.method.model().item(i), panel.method_box.model().item(i)
            if item is not None and theirs is not None:
                item.setEnabled(theirs.isEnabled())
        self.method.setToolTip(panel.method_box.toolTip())
        self.n_boot = QtWidgets.QSpinBox()
        self.n_boot.setRange(2, 100000)
        self.n_boot.setValue(panel.n_boot_spin.value())
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(panel.seed_spin.value())
        form = QtWidgets.QFormLayout(self)
        form.addRow("Method:", self.method)
        form.addRow("Replicates:", self.n_boot)
        form.addRow("Seed:", self.seed)
        note = QtWidgets.QLabel("Runs in the background on both cores; progress and Stop are in the Results "
                                "panel. The same seed gives the same standard errors.")
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Start")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choice(self) -> dict:
        return {"method": ResultsPanel.METHODS[self.method.currentIndex()], "n_boot": self.n_boot.value(),
                "random_state": self.seed.value()}


class ResultsController(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.s = window.session
        self._model = None            # the model the docks show
        self._dirty = set()           # docks to recompute when they become visible
        self._checks = None
        self._lrt_dialog = None
        self._lrt_panel = None
        self._lrt_result = None

        self.panel = ResultsPanel()
        self.uncertainty = UncertaintyView()
        self.checks = ChecksView()
        self.docks = {}
        for name, title, widget in (("results", "Results", self.panel),
                                    ("uncertainty", "Uncertainty", self.uncertainty),
                                    ("checks", "Model Checks", self.checks)):
            dock = QtWidgets.QDockWidget(title)  # no parent until placed (a child would draw over the window)
            dock.setObjectName(f"{name}Dock")
            # in a scroll area: the panels' rows of fields do not force the window wider than the screen
            scroll = QtWidgets.QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
            scroll.setMinimumWidth(60)
            scroll.setWidget(widget)
            dock.setWidget(scroll)
            dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
            dock.visibilityChanged.connect(lambda visible, n=name: self._dock_visible(n, visible))
            self.docks[name] = dock
            action = QtGui.QAction(title, window)
            action.setStatusTip(f"Show the {title} view (right dock area)")
            action.triggered.connect(lambda _=False, n=name: self.show_dock(n))
            window.view_menu.addAction(action)
        # The docks join the window when the first fit ends and the window is wide enough (the right dock
        # area needs about 130 px: a small window keeps its plot), or when the View menu asks for one.
        self._placed = False
        self._auto_shown = False
        self.checks.hintsChanged.connect(self._hints)
        self.uncertainty.rowSelected.connect(self._row_selected)
        self.panel.bootstrapFinished.connect(lambda _r: window.update_actions())

        self.scrub_timer = QtCore.QTimer(self)
        self.scrub_timer.setSingleShot(True)
        self.scrub_timer.setInterval(SCRUB_DELAY_MS)
        self.scrub_timer.timeout.connect(self._timeline_rested)
        window.timeline.indexChanged.connect(lambda _i: self.scrub_timer.start())

        self._build_actions()
        self.s.subscribe(self._session_event)

    # ------------------------------------------------------------------ menus
    def _build_actions(self) -> None:
        w = self.w
        mb = w.menuBar()
        help_action = next((a for a in mb.actions() if a.text().replace("&", "") == "Help"), None)
        menu = QtWidgets.QMenu("&Analysis", w)
        mb.insertMenu(help_action, menu) if help_action is not None else mb.addMenu(menu)
        w.analysis_menu = menu
        w.act_bootstrap = QtGui.QAction("Bootstrap &Standard Errors...", w)
        w.act_bootstrap.setStatusTip("Standard errors and confidence intervals of every parameter by bootstrap, "
                                     "in the background (Results panel)")
        w.act_bootstrap.triggered.connect(self.bootstrap_dialog)
        w.act_lrt = QtGui.QAction("Bootstrap &LRT...", w)
        w.act_lrt.setStatusTip("How many components? Test k against k+1 components by a bootstrap "
                               "likelihood-ratio test")
        w.act_lrt.triggered.connect(self.open_lrt_dialog)
        menu.addAction(w.act_bootstrap)
        menu.addAction(w.act_lrt)
        w.act_export_report = QtGui.QAction("Export &Report...", w)
        w.act_export_report.setStatusTip("One HTML file: the data, the model and options, the results with "
                                         "standard errors, the selection table and the diagnostic plots")
        w.act_export_report.triggered.connect(self.export_report_dialog)
        file_menu = mb.actions()[0].menu()
        before = next((a for a in file_menu.actions() if a is w.act_export_imputed), None)
        idx = file_menu.actions().index(before) + 1 if before is not None else None
        following = file_menu.actions()[idx] if idx is not None and idx < len(file_menu.actions()) else None
        file_menu.insertAction(following, w.act_export_report)
        self.update_actions()

    def update_actions(self) -> None:
        w = self.w
        mixture = self.s.kind == "mixture" and self.s.family == "gaussian"
        has_model = self._model is not None
        # the bootstrap covers every kind (engine.bootstrap_kinds); the LRT Gaussian mixtures
        w.act_bootstrap.setEnabled(has_model and self.panel._fit is not None and not w.fit.running
                                   and not self.panel.is_bootstrapping())
        w.act_lrt.setEnabled(self.s.X is not None and mixture)
        w.act_export_report.setEnabled(has_model and not w.fit.running)

    # ------------------------------------------------------------------ following the session
    def _session_event(self, event: str) -> None:
        if event in ("data", "fit-started") or (event == "options" and self.s.model is None):
            self.scrub_timer.stop()
            self.clear()
        elif event in ("fit-ended", "model"):
            self.scrub_timer.stop()
            self.show(self.s.model)
        self.update_actions()

    def _timeline_rested(self) -> None:
        s = self.s
        if s.fitting or self.w.fit.running or not s.history:
            return
        i = self.w.timeline_ctrl.shown_index
        if not 0 <= i < len(s.history):
            return
        snap = s.history[i]
        m = s.model
        first = _first_parameter(m)
        if m is not None and getattr(snap, "final", False) and snap.means is not None and first is not None \
                and np.shape(snap.means) == np.shape(first) and np.array_equal(snap.means, first):
            model = m  # the current model's own state (with its iterations, convergence and fit facts)
        else:
            try:
                model = s._named(snap.to_model())
            except Exception:  # a state the model layer refuses (e.g. a collapsed component): keep the last
                return
        if model is not self._model:
            self.show(model)

    @QtCore.Slot(int)
    def _row_selected(self, i: int) -> None:
        """A row picked in the Uncertainty list (or its plot) is ringed in the main plot too."""
        X = self.s.X
        values = None if X is None or not 0 <= int(i) < X.shape[0] else X[int(i)]
        self.highlight_row_in_plot(values)

    def highlight_row_in_plot(self, values) -> None:
        for plot in (self.w.plot_2d, self.w.plot_1d):
            plot.highlight_row(values)

    def clear(self) -> None:
        self.highlight_row_in_plot(None)
        self._model = None
        self._checks = None
        self._dirty.clear()
        self.panel.clear()
        self.uncertainty.clear()
        self.checks.clear()

    def shown_model(self):
        """The model the docks show (the current model, or a timeline iteration), or None."""
        return self._model

    def refresh(self) -> None:
        self.show(self.s.model)

    def show(self, model) -> None:
        """Show ``model`` (on the session's rows) in the Results panel, and in the visible docks."""
        s = self.s
        if model is None or s.X is None:
            self.clear()
            return
        self._model = model
        self._checks = None
        self._show_docks_once()
        X, cols = s.X, list(s.columns)
        extra = dict(lengths=s.fit_arguments().get("lengths"), category_labels=dict(s.categories or {}))
        if is_big(X.shape[0]):
            # three passes over every row (3 s at 1,000,000 rows for a Gaussian mixture, 50 s for a Student-t
            # one): in the background, the panel says so meanwhile (emdesk.gui.background)
            from emdesk.engine.summary import summary

            self.panel.clear()
            self.panel.title.setText(f"Computing the results over {X.shape[0]:,} rows (in the background)...")
            # started once the event loop has run the repaint this change queued (the end of a fit: the plots'
            # last frame and the window's new layout): the summary's thread then does not compete with it for
            # the cores and the interpreter lock (issue 16, the end-of-fit repaint)
            self._deferred = (model, X, cols, extra, summary)
            QtCore.QTimer.singleShot(0, self, self._start_summary)
        else:
            self._set_fit(model, X, cols, extra)
        self._dirty = {"uncertainty", "checks"}
        if self.s.kind != "hmm" and not self.gaussian_mixture():
            self.checks.clear()
            self.checks.hints_label.setText("The model checks cover Gaussian mixtures and hidden Markov models "
                                            "(pseudo-residuals).")
        for name in ("uncertainty", "checks"):
            if self._is_shown(name):
                self._compute(name)
        self.update_actions()

    _deferred = None  # (model, X, cols, extra, summary function) of the summary to start, or None

    def _start_summary(self) -> None:
        job, self._deferred = self._deferred, None
        if job is None:
            return
        model, X, cols, extra, summary = job
        if model is not self._model or X is not self.s.X:  # another model or other rows meanwhile
            return
        self.w.jobs.submit(lambda: summary(model, X, feature_names=cols, **extra),
                           lambda result: self._summary_ready(model, X, cols, extra, result),
                           lambda exc: self._summary_failed(model, exc), key="results-summary")

    def _set_fit(self, model, X, cols, extra, summary=None) -> None:
        try:  # every kind has a summary (HMMs and the other families: engine.summary_kinds)
            self.panel.set_fit(model, X, cols, summary=summary, **extra)
        except ValueError as exc:
            self.panel.clear()
            self.panel.title.setText(f"No results for this state: {exc}")

    def _summary_ready(self, model, X, cols, extra, result) -> None:
        if model is self._model and X is self.s.X:
            self._set_fit(model, X, cols, extra, summary=result)
            self.update_actions()

    def _summary_failed(self, model, exc) -> None:
        if model is not self._model:
            return
        self.panel.clear()
        if isinstance(exc, ValueError):
            self.panel.title.setText(f"No results for this state: {exc}")
        else:
            self.panel.title.setText("The results could not be computed.")
            self.w.report_error("computing the results", exc)

    def summary_pending(self) -> bool:
        """True while the Results panel's summary of a big data set is computed in the background."""
        return self._deferred is not None or self.w.jobs.busy("results-summary")

    def gaussian_mixture(self) -> bool:
        """The bootstrap, the LRT and the uncertainty view cover Gaussian mixtures; the checks those and
        HMMs (pseudo-residuals)."""
        return self.s.kind == "mixture" and self.s.family == "gaussian" and hasattr(self._model, "means_")

    # px: narrower windows keep the docks hidden until the View menu shows them (at 1280 px the Results dock
    # left the plot about 340 px wide, seen in a screenshot at 1280x720)
    AUTO_SHOW_WIDTH = 1600

    def _place_docks(self) -> None:
        if self._placed:
            return
        self._placed = True
        w = self.w
        for dock in self.docks.values():
            w.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
        w.tabifyDockWidget(self.docks["results"], self.docks["uncertainty"])
        w.tabifyDockWidget(self.docks["uncertainty"], self.docks["checks"])
        for dock in self.docks.values():
            dock.show()
        self.docks["results"].raise_()
        w.resizeDocks([self.docks["results"]], [self.dock_width()], QtCore.Qt.Orientation.Horizontal)

    #: The Results dock's width when it is placed: DOCK_WIDTH px, less in a narrow window so that the plot area
    #: keeps PLOT_KEEP px, but at least DOCK_MIN px (its tables and buttons; 1024x720 gave it 134 px before, the
    #: plot area's minimum then being 537 px). The left docks keep the width their fields need (about 333 px).
    DOCK_WIDTH, DOCK_MIN, PLOT_KEEP = 440, 300, 545

    def dock_width(self) -> int:
        """The Results dock's width in this window, beside the left docks."""
        w = self.w
        left = max((d.width() for d in (w.data_dock, w.params_dock) if d.isVisible() and not d.isFloating()
                    and w.dockWidgetArea(d) == QtCore.Qt.DockWidgetArea.LeftDockWidgetArea), default=0)
        room = w.width() - left - self.PLOT_KEEP - 16  # the dock separators
        return int(min(self.DOCK_WIDTH, max(self.DOCK_MIN, room)))

    def show_dock(self, name: str) -> None:
        """Show and raise the "results", "uncertainty" or "checks" dock (View menu)."""
        self._place_docks()
        self.docks[name].show()
        self.docks[name].raise_()

    def _show_docks_once(self) -> None:
        if self._auto_shown or self._placed:
            return
        self._auto_shown = True
        if self.w.width() >= self.AUTO_SHOW_WIDTH:
            self._place_docks()

    def docks_hidden(self) -> bool:
        """True when none of the Results, Uncertainty and Model Checks docks is (or is about to be) in the
        window: a window narrower than AUTO_SHOW_WIDTH before View > Results, or all three closed."""
        if not self._placed:
            return self.w.width() < self.AUTO_SHOW_WIDTH
        return not any(dock.isVisible() for dock in self.docks.values())

    def _is_shown(self, name: str) -> bool:
        dock = self.docks[name]
        return dock.isVisible() and not dock.visibleRegion().isEmpty()

    def _dock_visible(self, name: str, visible: bool) -> None:
        if visible and name in self._dirty:
            QtCore.QTimer.singleShot(0, lambda: self._compute(name) if name in self._dirty else None)

    def _compute(self, name: str) -> None:
        from emdesk.engine.checks import check_model

        self._dirty.discard(name)
        m, s = self._model, self.s
        if m is None or s.X is None:
            return
        X, cols = s.X, list(s.columns)
        if name == "uncertainty":
            self._compute_uncertainty(m, X, cols)
            return
        if name == "checks" and s.kind == "hmm":
            from emdesk.engine.checks import hmm_pseudo_residuals

            import dataclasses

            lengths = s.fit_arguments().get("lengths") or [X.shape[0]]
            used, cut = 0, []
            for L in lengths:  # the forward recursion is sequential: the first rows only, in the GUI thread
                take = min(int(L), MAX_RESIDUAL_ROWS - used)
                if take <= 0:
                    break
                cut.append(take)
                used += take
            try:
                res = hmm_pseudo_residuals(m, X[:used], lengths=cut, feature_names=cols)
                if used < X.shape[0]:  # one-step forecast residuals of the first steps are exact
                    res = dataclasses.replace(res, note=(res.note + " " if res.note else "")
                                              + f"Computed for the first {used:,} of {X.shape[0]:,} time steps.")
            except ValueError as exc:
                self.checks.clear()
                self.w.show_message(f"The pseudo-residuals could not be computed: {exc}", "warning")
                return
            self._checks = res
            self.checks.set_pseudo_residuals(res)
            return
        if name == "checks" and not self.gaussian_mixture():
            return
        try:
            self._checks = check_model(m, X, feature_names=cols)
            self.checks.set_checks(self._checks)
        except ValueError as exc:
            self.w.show_message(f"The model checks could not be computed: {exc}", "warning")

    def _compute_uncertainty(self, m, X, cols) -> None:
        """Every kind: a numeric mixture's rows at their first two columns, sized by uncertainty; a latent
        class (or mixed) model's and an HMM's against the row number (an HMM: the time step, its state
        probabilities from forward-backward, at most MAX_RESIDUAL_ROWS steps in this thread)."""
        from emdesk.engine.checks import classification_uncertainty

        s = self.s
        note, lengths = "", None
        try:
            if s.kind == "hmm":
                all_lengths = s.fit_arguments().get("lengths") or [X.shape[0]]
                used, lengths = 0, []
                for L in all_lengths:  # forward-backward is a sequential recursion: the first sequences only
                    take = min(int(L), MAX_RESIDUAL_ROWS - used)
                    if take <= 0:
                        break
                    lengths.append(take)
                    used += take
                if used < X.shape[0]:
                    note = f"Computed for the first {used:,} of {X.shape[0]:,} time steps."
                unc = classification_uncertainty(m, X[:used], lengths=lengths)
                rows = None if s.file_rows is None else np.asarray(s.file_rows[:used]) + 1  # as messages say
                self.uncertainty.set_data(np.arange(1, used + 1, dtype=float), unc, axis_names=("time step",),
                                          posterior="state probability", note=note, unit="state",
                                          row_numbers=rows, row_header="row" if rows is None else "data row")
            elif s.family in ("categorical", "mixed"):
                unc = classification_uncertainty(m, X)
                self.uncertainty.set_data(np.arange(1, X.shape[0] + 1, dtype=float), unc, axis_names=("row",))
            else:
                unc = classification_uncertainty(m, X)
                ix = [0, 1] if X.shape[1] >= 2 else [0]
                self.uncertainty.set_data(X[:, ix], unc, axis_names=tuple(cols[i] for i in ix))
        except ValueError as exc:
            self.uncertainty.clear()
            self.w.show_message(f"The uncertainty could not be computed: {exc}", "warning")

    def ensure_computed(self) -> None:
        """Compute the hidden docks' contents now (for the report)."""
        for name in list(self._dirty):
            self._compute(name)

    def _hints(self, messages) -> None:
        if messages:
            self.w.status_state.setText("Model checks: " + messages[0])

    # ------------------------------------------------------------------ bootstrap
    def bootstrap_dialog(self) -> None:
        if self._model is None:
            return
        dlg = BootstrapDialog(self.panel, self.w)
        if dlg.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.start_bootstrap(**dlg.choice())

    def start_bootstrap(self, n_boot=None, method=None, random_state=None) -> None:
        """Bootstrap the shown model in the background (the Results panel shows progress, Stop and then the
        SE and CI columns). ValueError without a model."""
        if self._model is None:
            raise ValueError("No fit to bootstrap: fit a model first.")
        self.docks["results"].show()
        self.docks["results"].raise_()
        self.panel.start_bootstrap(n_boot=n_boot, method=method, random_state=random_state)
        self.update_actions()

    def bootstrap_result(self):
        return self.panel.bootstrap_result()

    # ------------------------------------------------------------------ LRT
    def open_lrt_dialog(self) -> None:
        """Analysis > Bootstrap LRT...: the test of k against k+1 components on the ticked columns."""
        from emdesk.gui.lrt_panel import LRTPanel

        w, s = self.w, self.s
        if s.X is None:
            w.show_message("Open a CSV file and tick the columns first.", "warning")
            return
        try:
            options = w.options()
        except ValueError as exc:
            w.show_message(str(exc), "error")
            return
        self.close_lrt_dialog()
        dlg = QtWidgets.QDialog(w)
        dlg.setWindowTitle("Bootstrap Likelihood-Ratio Test")
        panel = LRTPanel(dlg)
        cov = options.pop("covariance_type", None)
        keep = {k: v for k, v in options.items() if k in ("reg_covar", "tol", "max_iter", "init_params")}
        panel.set_data(s.X, covariance_type=cov, **keep)
        panel.finished.connect(self._lrt_finished)
        lay = QtWidgets.QVBoxLayout(dlg)
        lay.addWidget(panel)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(dlg.close)
        lay.addWidget(close)
        dlg.finished.connect(lambda _r: panel.stop())
        dlg.resize(560, 420)
        self._lrt_dialog, self._lrt_panel = dlg, panel
        dlg.show()

    def lrt_panel(self):
        return self._lrt_panel

    def _lrt_finished(self, result) -> None:
        self._lrt_result = result

    def close_lrt_dialog(self) -> None:
        dlg, panel = self._lrt_dialog, self._lrt_panel
        self._lrt_dialog = self._lrt_panel = None
        if panel is not None:
            panel.shutdown()
        if dlg is not None:
            dlg.close()
            dlg.deleteLater()

    def shutdown(self) -> None:
        self.scrub_timer.stop()
        self._deferred = None  # a summary not started yet is not started
        self.panel.shutdown()
        self.close_lrt_dialog()

    # ------------------------------------------------------------------ report
    def export_report_dialog(self) -> None:
        w, s = self.w, self.s
        if self._model is None:
            return
        base = os.path.splitext(os.path.basename(str(s.table.path)))[0] if s.table else "emdesk"
        start = os.path.join(w.settings.last_folder(), f"{base}-report.html")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(w, "Export Report", start,
                                                        "HTML report (*.html);;All files (*)")
        if not path:
            return
        if not os.path.splitext(path)[1]:
            path += ".html"
        try:
            self.export_report(path)
        except (ValueError, OSError) as exc:
            w.show_message(f"Could not write the report: {exc}", "error")
            return
        w.settings.set_last_folder(os.path.dirname(path))
        w.status_state.setText(f"Report written to {path}")

    def figures(self) -> list:
        """(caption, PNG bytes) of the plot area and the diagnostic views, as drawn now."""
        self.ensure_computed()
        out = []
        views = [("The fit (plot area)", self.w.splitter)]
        if self.uncertainty.listed_rows():
            views.append(("Classification uncertainty", self.uncertainty))
        if self._checks is not None:
            views.append(("Model checks" if self.s.kind != "hmm" else "Pseudo-residuals", self.checks))
        for caption, widget in views:
            if widget.width() < 50 or widget.height() < 50 or not widget.isVisible():
                widget.resize(max(widget.width(), 900), max(widget.height(), 600))
            try:
                out.append((caption, widget_png(widget)))
            except ValueError:
                pass
        return out

    def export_report(self, path) -> str:
        """Write the HTML report (``emdesk.io.report.write_report``, atomic) for the shown model; returns
        the path. ValueError without a model; DataError (a ValueError) when the file cannot be written."""
        from emdesk.io.report import write_report

        w, s = self.w, self.s
        if self._model is None:
            raise ValueError("There is no fit to report: fit a model first.")
        self.ensure_computed()
        try:  # the Model panel's settings, for a model that does not state its own (the fit's are its params)
            options = None if hasattr(self._model, "get_params") else w.options()
        except ValueError:
            options = None
        dialog = w.selection.dialog
        selection = None
        if dialog is not None:
            try:
                selection = dialog.result()
            except RuntimeError:
                selection = None
        write_report(str(path), table=s.table, columns=list(s.columns), model=self._model, options=options,
                     summary=self.panel.summary(), bootstrap=self.panel.bootstrap_result(),
                     selection=selection, lrt=self._lrt_result, checks=self._checks, figures=self.figures())
        return str(path)


def _first_parameter(model):
    """The fitted model's first family parameter, the one a snapshot keeps as ``means`` (a Gaussian's or
    Student-t's means_, a Poisson's lambdas_, a categorical HMM's emissionprob_, a latent class model's probs_);
    None when not fitted. Only means_ was compared, so the Results panel replaced a Poisson or categorical
    fit by a model rebuilt from its last snapshot, without its iterations and convergence."""
    if model is None:
        return None
    family = model._family() if callable(getattr(model, "_family", None)) else None
    names = getattr(family, "param_names", None)
    return getattr(model, f"{names[0]}_", None) if names else getattr(model, "means_", None)
