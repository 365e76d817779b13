"""The model-selection dialog (issues 7, 11, 13, 14, 15): run a sweep over component counts and models in a
worker thread, follow it with a progress bar, and compare the fits in a sortable table and in the
criterion-against-components plot mclust users know (one line per model, mclust's symbols and colours).

* Gaussian mixtures: the covariance models by mclust's names in three groups (spherical, diagonal,
  ellipsoidal; E and V in one dimension), those the engine fits (``views.selection_models``).
* Families: Gaussian, Student-t, Poisson and categorical mixtures where the data allow, compared in one table
  and plot (``emdesk.engine.family_sweep.iter_select_families``); one kind of likelihood at a time.
* After the sweep the best row is selected and shown, the top three are stated, and the y-range shows the
  competitive models ("Focus on the best models"; unticked, or the plot's auto-range button, shows all).
* The bootstrap likelihood-ratio test of k against k+1 components for the selected Gaussian model
  (``lrt_panel.LRTPanel``, in the background with progress and Stop), in the "Likelihood-ratio test" tab.

Integration (main window)::

    dlg = SelectionDialog(X, column_names, engine_options=window.options(), parent=window)
    # engine_options: tol, reg_covar, max_iter, init_params, random_state and missing are used
    # (missing= may also be given explicitly); the dialog's own controls set the rest.
    dlg.modelChosen.connect(window.<slot taking a fitted model>)
    dlg.show()
    ...
    dlg.close()   # in the main window's closeEvent: stops a running sweep and its thread

Selecting a row or a point previews it in the dialog (marker, LRT target); ``modelChosen(object)`` carries the
fitted model of the selected row when the user presses "Use this model" (or double-clicks a row). The dialog
is non-modal and owns one ``WorkerThread``; closing it (close button, Esc, ``close()``) cancels a running
sweep within one EM iteration and waits for the thread to finish.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.engine.family_sweep import FAMILY_KINDS, _t_types, iter_select_families
from emdesk.engine.selection import CRITERIA, start_workers
from emdesk.gui.selection_dialog_layout import MAX_COMPONENTS, SelectionDialogLayout  # noqa: F401
from emdesk.gui.selection_dialog_plot import FOCUS_MIN, CriterionPlotMixin  # noqa: F401
from emdesk.gui.selection_dialog_worker import EMIT_INTERVAL, SelectionWorker  # noqa: F401
from emdesk.gui.views import selection_models as SM
from emdesk.gui.views.selection_table import COLUMNS, ROW_ROLE, SORT_ROLE  # noqa: F401  (re-exported)
from emdesk.gui.worker import WorkerThread


#: Engine keywords the dialog passes through from the main window's options.
PASSED_OPTIONS = ("tol", "reg_covar", "max_iter", "init_params", "random_state", "prior")


# ------------------------------------------------------------------------------ the dialog
class SelectionDialog(SelectionDialogLayout, CriterionPlotMixin, QtWidgets.QDialog):
    """Model selection: sweep, progress, table, criterion plot, choose a model, LRT, export CSV."""

    modelChosen = QtCore.Signal(object)  # the fitted model of the selected row ("Use this model")
    sweepProgress = QtCore.Signal(object)  # SelectionStep, as fits finish
    sweepFinished = QtCore.Signal(object)  # SelectionResult (also after a cancel: the partial table)
    lrtFinished = QtCore.Signal(object)  # LRTResult of the likelihood-ratio test tab
    _requestRun = QtCore.Signal(int, object, object)

    def __init__(self, X, column_names=None, *, missing=None, engine_options=None, parent=None, sweep=None,
                 types=None, families=None, family=None, family_params=None):
        # sweep: a generator function called as iter_select_model is (e.g. an HMM sweep, bound to its
        # lengths and family); types: the "types" it compares (default: the covariance models).
        # families: the mixture families offered (default: Gaussian and Student-t, and Poisson for counts);
        # family: the one ticked at first (the Model panel's); family_params: {family: estimator keywords}.
        super().__init__(parent)
        if sweep is None:  # the sweep's worker processes start now, while the user picks options
            start_workers()
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        self._X = X
        self._d = X.shape[1]
        self._custom_sweep = sweep
        self._hmm_types = tuple(types) if types else None
        if sweep is not None or types is not None:
            families = ()
        elif families is None:
            families = ("gaussian", "student_t") + (("poisson",) if SM.counts_data(X) else ())
        self._families = tuple(f for f in families if f in FAMILY_KINDS)
        self._family = family if family in self._families else (self._families[0] if self._families else None)
        self._family_params = dict(family_params or {})
        self._names = list(column_names) if column_names is not None else [f"x{i + 1}" for i in range(self._d)]
        # Missing values: the explicit argument, else the main window's option, else "error".
        self._missing = missing or (engine_options or {}).get("missing") or "error"
        self._engine_options = {k: v for k, v in (engine_options or {}).items() if k in PASSED_OPTIONS}
        self._result = None
        self._t0 = None
        self._n_planned = 0
        self._done = 0
        self._running = False
        self._closing = False
        self._run_id = 0  # results of an older (cancelled) run are ignored
        self._focus_range = None  # (low, high) of the y-range the last sweep focused on

        self.setWindowTitle("Model selection \u2014 " + ", ".join(self._names))
        self.setModal(False)
        self.setSizeGripEnabled(True)
        self._resize_to_screen()
        self._build_ui()
        self._build_thread()
        self._update_buttons()

    def _resize_to_screen(self) -> None:
        screen = (self.parentWidget().screen() if self.parentWidget() is not None else None) or \
            QtGui.QGuiApplication.primaryScreen()
        avail = screen.availableGeometry() if screen is not None else QtCore.QRect(0, 0, 1280, 720)
        self.resize(min(1120, int(avail.width() * 0.92)), min(820, int(avail.height() * 0.9)))

    def _build_thread(self) -> None:
        self._thread = WorkerThread("emdesk-selection")
        self._worker = SelectionWorker(self._custom_sweep)
        self._thread.adopt(self._worker, self._worker.request_stop)
        self._requestRun.connect(self._worker.run)
        app = QtCore.QCoreApplication.instance()
        if app is not None:  # quitting with the dialog still open must not destroy a running thread
            app.aboutToQuit.connect(self._about_to_quit)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._thread.start()

    # ---------------------------------------------------------------------------------- public
    def families(self) -> tuple:
        """The families ticked (empty for an HMM sweep)."""
        if not self._families:
            return ()
        if not self.family_boxes:
            return self._families[:1] if self._family is None else (self._family,)
        return tuple(f for f, b in self.family_boxes.items() if b.isChecked())

    def _typed_families(self) -> bool:
        """Whether the ticked families use the covariance models."""
        fams = self.families()
        return not self._families or bool(set(fams) & {"gaussian", "student_t"})

    def options(self) -> dict:
        """The keyword arguments of the sweep the current controls describe (``families`` only when another
        family than the Gaussian is ticked: then the sweep is ``iter_select_families``)."""
        lo, hi = self.min_components.value(), self.max_components.value()
        if lo > hi:
            lo, hi = hi, lo
        opts = dict(
            n_components=range(lo, hi + 1),
            covariance_types=tuple(t for t, b in self.type_boxes.items() if b.isChecked()),
            n_init=self.n_init.value(),
            criterion=self.criterion.currentData(),
            missing=self._missing,
        )
        opts.update(self._engine_options)
        fams = self.families()
        if fams and tuple(fams) != ("gaussian",):
            opts["families"] = tuple(fams)
        return opts

    def set_options(self, *, n_components=None, covariance_types=None, n_init=None, criterion=None,
                    families=None) -> None:
        """Set the controls (scripting and tests). ``covariance_types`` by the engine's names
        (``"full"``) or mclust's (``"VVV"``); ValueError for one the dialog does not offer."""
        if n_components is not None:
            ks = list(n_components)
            self.min_components.setValue(min(ks))
            self.max_components.setValue(max(ks))
        if families is not None:
            unknown = [f for f in families if f not in self._families]
            if unknown:
                raise ValueError(f"family {unknown[0]!r} is not offered here; offered: {', '.join(self._families)}.")
            if self.family_boxes:
                for f, box in self.family_boxes.items():
                    box.blockSignals(True)
                    box.setChecked(f in families)
                    box.blockSignals(False)
                self._update_buttons()
            elif families:
                self._family = families[0]
        if covariance_types is not None:
            keys = set()
            for t in covariance_types:
                key = self._type_key(t)
                if key is None:
                    raise ValueError(f"covariance model {t!r} is not offered here; offered: "
                                     f"{', '.join(self._type_names.values())}.")
                keys.add(key)
            for t, box in self.type_boxes.items():
                box.setChecked(t in keys)
        if n_init is not None:
            self.n_init.setValue(int(n_init))
        if criterion is not None:
            i = self.criterion.findData(str(criterion).lower())
            if i < 0:
                raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}; got {criterion!r}.")
            self.criterion.setCurrentIndex(i)

    def _type_key(self, name):
        if name in self.type_boxes:
            return name
        for key, shown in self._type_names.items():
            if shown == name:
                return key
        if self._hmm_types is None:
            key = SM.engine_name(SM.mclust_name(name, self._d), self._d)
            if key in self.type_boxes:
                return key
        return None

    def is_running(self) -> bool:
        return self._running

    def result(self):
        """The current SelectionResult (None before the first fit finishes)."""
        return self._result

    def top_models(self, n: int = 3) -> list:
        """The ``n`` eligible rows with the lowest criterion, best first (mclust's summary of a BIC table)."""
        if self._result is None:
            return []
        crit = self._result.criterion
        rows = [r for r in self._result.table if r.eligible and math.isfinite(r.score(crit))]
        return sorted(rows, key=lambda r: (r.score(crit), r.n_parameters, r.index))[:n]

    def line_label(self, key: str) -> str:
        """The name of a plot line / the table's Model column: mclust's (``"VVV"``, ``"t VVV"``, ``"Poisson"``);
        an HMM sweep's types as the HMM names them."""
        return key if self._hmm_types is not None else SM.line_label(key, self._d)

    def row_name(self, row) -> str:
        """mclust's short name of a fit: ``"VVV,3"``, ``"t VVV,2"``, ``"Poisson,2"``."""
        return f"{self.line_label(SM.line_key(row))},{row.n_components}"

    @QtCore.Slot()
    def start(self) -> None:
        if self._running or self._closing:
            return
        opts = self.options()
        families = opts.pop("families", None)
        if self._families and not self.families():
            self._set_status("Tick at least one family.", "error")
            return
        if self._typed_families() and not opts["covariance_types"]:
            self._set_status("Tick at least one covariance model.", "error")
            return
        ks = list(opts["n_components"])
        if families is not None:
            opts["families"] = families
            fam_params = {f: p for f, p in self._family_params.items() if f in families}
            if fam_params:
                opts["family_params"] = fam_params
            n_types = 0
            if "gaussian" in families:
                n_types += len(opts["covariance_types"])
            if "student_t" in families:
                n_types += len(_t_types(opts["covariance_types"])) or 1
            n_types += len([f for f in families if f not in ("gaussian", "student_t")])
            self._worker._sweep = iter_select_families
        else:
            n_types = len(opts["covariance_types"])
            self._worker._sweep = self._custom_sweep  # None: iter_select_model, looked up when it runs
        self._n_planned = len(ks) * n_types
        self._done = 0
        self._result = None
        self._focus_range = None
        self.table_model.set_result(None)
        self.top_label.hide()
        self.plot_stack.setCurrentWidget(self.plot_area)
        # The whole planned range from the start (the largest models are fitted first).
        self.plot.setXRange(min(ks) - 0.3, max(ks) + 0.3, padding=0)
        self.plot.enableAutoRange(axis="y")
        self._redraw_plot()
        self._running = True
        self._t0 = time.monotonic()
        self.progress.setRange(0, self._n_planned)
        self.progress.setValue(0)
        self._update_progress_text()
        self._set_status(f"Running {self._n_planned} fits\u2026", "info")
        self._clock.start()
        self._update_buttons()
        self._update_lrt_target(None)
        self._run_id += 1
        self._worker.prepare()
        self._requestRun.emit(self._run_id, self._X, opts)

    @QtCore.Slot()
    def cancel(self) -> None:
        """Stop a running sweep (the fits finished so far stay in the table)."""
        if self._running:
            self._worker.request_stop()
            self._set_status("Cancelling\u2026", "info")

    @QtCore.Slot()
    def use_selected(self) -> None:
        """Emit ``modelChosen`` with the selected row's fitted model (the "Use this model" button)."""
        row = self.selected_row()
        if row is not None and row.model is not None:
            self._emit_model(row.model)

    def _emit_model(self, model) -> None:
        # The column names travel with the model (exports and the main view label axes with them).
        try:
            model.feature_names_in_ = np.asarray(self._names, dtype=object)
        except AttributeError:
            pass
        self.modelChosen.emit(model)

    def selected_row(self):
        idx = self.table.selectionModel().selectedRows()
        if not idx:
            return None
        return self.table_model.row_at(self.proxy.mapToSource(idx[0]).row())

    def select_row(self, row) -> None:
        """Select ``row`` (a SelectionRow of the current result) in the table and scroll to it (a preview:
        "Use this model" loads it into the window)."""
        pos = self.table_model.position_of(row)
        if pos < 0:
            return
        proxy_index = self.proxy.mapFromSource(self.table_model.index(pos, 0))
        self.table.selectRow(proxy_index.row())
        self.table.scrollTo(proxy_index, QtWidgets.QAbstractItemView.ScrollHint.PositionAtCenter)

    def export_csv(self, path) -> None:
        """Write the table to ``path`` (CSV, atomically); raises OSError / ValueError."""
        if self._result is None:
            raise ValueError("There is no table to export yet: run a sweep first.")
        self._result.to_csv(path)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel a running sweep (and likelihood-ratio test) and stop the worker threads; True when stopped.

        The sweep reads its stop flag between EM iterations, not inside a fit's initialisation (k-means on a
        large file can take seconds). After ``timeout_ms`` the dialog is hidden and the wait goes on: Qt
        aborts the process when a running QThread is destroyed."""
        self._closing = True
        self._clock.stop()
        if self.lrt is not None:
            self.lrt.shutdown()
        self._worker.request_stop()
        self._thread.quit()
        ok = self._thread.wait(timeout_ms)
        if not ok:
            self.hide()
            ok = self._thread.wait()
        self._running = False
        return bool(ok)

    # ---------------------------------------------------------------------------------- closing
    @QtCore.Slot()
    def _about_to_quit(self) -> None:
        self.shutdown()

    def done(self, code: int) -> None:  # Esc, accept(), reject() all end here
        self.shutdown()
        super().done(code)

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        # Shown again after a close: the worker thread was stopped, start it again.
        if not self._thread.isRunning():
            self._closing = False
            self._thread.start()
        super().showEvent(event)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    # ---------------------------------------------------------------------------------- slots
    @QtCore.Slot(int, object)
    def _on_progress(self, run_id: int, step) -> None:
        if run_id != self._run_id or self._closing or not self._running:
            return
        first = self._result is None or not self._result.table
        self._done = step.done
        self._result = step.result.with_criterion(self.criterion.currentData())
        self.progress.setValue(step.done)
        self._update_progress_text()
        self.table_model.set_result(self._result)
        if first:
            self._fit_columns()
        self._redraw_plot()
        self.sweepProgress.emit(step)

    @QtCore.Slot(int, object, bool)
    def _on_finished(self, run_id: int, result, cancelled: bool) -> None:
        if run_id != self._run_id or self._closing:
            return
        self._running = False
        self._clock.stop()
        if result is not None:
            self._result = result.with_criterion(self.criterion.currentData())
            self._done = len(result.table)
            self.progress.setValue(self._done)
            self.table_model.set_result(self._result)
            self._fit_columns()
            self._redraw_plot()
        self._update_progress_text(final=True, cancelled=cancelled)
        self._update_buttons()
        if result is None:
            self._set_status("Cancelled before any fit finished.", "info")
        else:
            self._show_reason()
            self._focus_y()
            if self._result.best_row is not None:
                self.select_row(self._result.best_row)
            self.sweepFinished.emit(self._result)
        self._update_buttons()

    @QtCore.Slot(int, str)
    def _on_failed(self, run_id: int, message: str) -> None:
        if run_id != self._run_id or self._closing:
            return
        self._running = False
        self._clock.stop()
        self.progress.setFormat("failed")
        self._set_status(message, "error")
        self._update_buttons()

    def _criterion_changed(self) -> None:
        self._update_axis_label()
        if self._result is not None:
            selected = self.selected_row()
            self._result = self._result.with_criterion(self.criterion.currentData())
            self.table_model.set_result(self._result)
            self._redraw_plot()
            if not self._running:
                self._show_reason()
                self._focus_y()
                if selected is not None:
                    self.select_row(selected)

    def _family_toggled(self, family: str, checked: bool) -> None:
        if checked:  # one kind of likelihood at a time: a density and a probability are not comparable
            kind = FAMILY_KINDS[family]
            for f, box in self.family_boxes.items():
                if FAMILY_KINDS[f] != kind and box.isChecked():
                    box.blockSignals(True)
                    box.setChecked(False)
                    box.blockSignals(False)
        self._update_buttons()

    def _group_clicked(self, label: str, *_) -> None:
        """A group's box ticks all its models, or clears them when all were ticked."""
        members = self._group_members.get(label, ())
        checked = not all(self.type_boxes[k].isChecked() for k in members)
        for key in members:
            self.type_boxes[key].blockSignals(True)
            self.type_boxes[key].setChecked(checked)
            self.type_boxes[key].blockSignals(False)
        self._types_changed()

    def _types_changed(self, *_):
        self._sync_group_boxes()
        self._update_buttons()

    def _sync_group_boxes(self) -> None:
        for label, gbox in self.group_boxes.items():
            states = [self.type_boxes[k].isChecked() for k in self._group_members.get(label, ())]
            gbox.blockSignals(True)
            gbox.setTristate(False)
            if all(states):
                gbox.setCheckState(QtCore.Qt.CheckState.Checked)
            elif any(states):
                gbox.setCheckState(QtCore.Qt.CheckState.PartiallyChecked)
            else:
                gbox.setCheckState(QtCore.Qt.CheckState.Unchecked)
            gbox.blockSignals(False)

    def _table_selection_changed(self, *_) -> None:
        row = self.selected_row()
        self._mark_selected(row)
        self._update_buttons()
        if not self._running:
            self._update_lrt_target(row)

    def _point_clicked(self, item, points, *args) -> None:
        if points is None or len(points) == 0 or self._result is None:
            return
        index = points[0].data()
        for r in self._result.table:
            if r.index == index:
                self.select_row(r)
                return

    def _export_dialog(self) -> None:
        if self._result is None:
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export the model-selection table", "model-selection.csv", "CSV files (*.csv);;All files (*)"
        )
        if not path:
            return
        if not os.path.splitext(path)[1]:
            path += ".csv"
        try:
            self.export_csv(path)
        except (OSError, ValueError) as exc:
            QtWidgets.QMessageBox.critical(self, "Export failed", f"Could not write {path}:\n{exc}")
            return
        self._set_status(f"Table written to {path}.", "info")

    # ---------------------------------------------------------------------------------- LRT
    def _update_lrt_target(self, row) -> None:
        """The likelihood-ratio test tab tests the selected Gaussian row's covariance model, up to its number
        of components against one more."""
        if self.lrt is None or self.lrt.is_running():
            return
        self._lrt_row = row
        gaussian = row is not None and row.ok and getattr(row, "family", "gaussian") == "gaussian"
        if not gaussian:
            self.lrt_label.setText(
                "Select a Gaussian model in the table (run a sweep first): the bootstrap likelihood-ratio test "
                "(McLachlan 1987; mclust's mclustBootstrapLRT) then tests its number of components k against "
                "k+1, for k = 1 up to the selected number." if row is None or row.ok else
                "The bootstrap likelihood-ratio test is for Gaussian mixtures: select a Gaussian model.")
            self.lrt.setEnabled(False)
            return
        self.lrt.setEnabled(True)
        keep = {k: v for k, v in self._engine_options.items() if k in ("reg_covar", "tol", "max_iter",
                                                                        "init_params")}
        self.lrt.set_data(self._X, covariance_type=row.covariance_type, **keep)
        self.lrt.max_spin.setValue(max(1, min(row.n_components, self.lrt.max_spin.maximum())))
        seed = self._engine_options.get("random_state")
        if isinstance(seed, (int, np.integer)) and seed >= 0:
            self.lrt.seed_spin.setValue(int(seed))
        name = self.line_label(row.covariance_type)
        self.lrt_label.setText(
            f"Bootstrap LRT of <b>{name}</b>: k against k+1 components, k = 1, 2, \u2026 up to the number set "
            f"(the selected fit has {row.n_components}); it stops at the first test that is not significant.")
        self.lrt_label.setToolTip("McLachlan (1987); mclust's mclustBootstrapLRT. The p-value of a test is "
                                  "(1 + #{bootstrap LRTS >= observed}) / (replicates + 1).")

    def run_lrt(self, **kwargs) -> None:
        """Start the likelihood-ratio test of the selected row (``LRTPanel.start`` keywords); ValueError when
        no Gaussian row is selected."""
        if self.lrt is None or not self.lrt.isEnabled():
            raise ValueError("Select a Gaussian model of a finished sweep first.")
        self.tabs.setCurrentIndex(1)
        self.lrt.start(**kwargs)


    def _update_progress_text(self, final: bool = False, cancelled: bool = False) -> None:
        elapsed = 0.0 if self._t0 is None else time.monotonic() - self._t0
        if final and self._result is not None:
            elapsed = self._result.seconds
        text = f"fit {self._done} of {self._n_planned}, elapsed {elapsed:.1f} s"
        if final:
            text += " (cancelled)" if cancelled else " (done)"
        self.progress.setFormat(text)

    def _set_status(self, text: str, level: str) -> None:
        colors = {"error": "#b71c1c", "warning": "#8a5300", "info": "#202020"}
        self.status.setStyleSheet(f"color: {colors.get(level, '#202020')};")
        self.status.setText(text)

    def _show_reason(self) -> None:
        res = self._result
        level = "warning" if res.best_row is None or res.cancelled else "info"
        text = res.reason
        best = res.best_row
        if best is not None and best.label() in text:  # mclust's name of the best model
            same = self.line_label(best.covariance_type) == best.covariance_type  # already mclust's
            text = text.replace(best.label(), self.row_name(best) if same else
                                f"{self.row_name(best)}: {best.label()}", 1)
        same = {"full", "diag", "spherical"} & {r.covariance_type for r in res.table}
        if self._d == 1 and len(same) > 1:
            text += " (With one column, full, diag and spherical are the same model, V.)"
        self._set_status(text, level)
        top = self.top_models(3)
        if top:
            crit = res.criterion.upper()
            best = top[0].score(res.criterion)
            parts = []
            for i, r in enumerate(top):
                v = r.score(res.criterion)
                name = self.row_name(r)
                cell = f"<b>{name}</b> {v:,.2f}" if i == 0 else f"{name} {v:,.2f} (+{v - best:,.2f})"
                parts.append(cell)
            self.top_label.setText(f"Top {len(top)} models by {crit}: " + " &nbsp;\u00b7&nbsp; ".join(parts))
            self.top_label.show()
        else:
            self.top_label.hide()


    def _fit_columns(self) -> None:
        """Every column as wide as its header and contents (the table scrolls sideways when the dialog is
        narrow); the last column is not stretched, so Iterations, Converged and Time stay in view."""
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for c in range(self.table_model.columnCount()):
            want = max(header.sectionSizeHint(c), self.table.sizeHintForColumn(c)) + 6
            header.resizeSection(c, want)

    def _update_buttons(self) -> None:
        running = self._running
        typed = self._typed_families()
        has_types = any(b.isChecked() for b in self.type_boxes.values())
        ok = (not self._families or bool(self.families())) and (has_types or not typed)
        self.run_button.setEnabled(not running and ok)
        self.cancel_button.setEnabled(running)
        for w in (self.min_components, self.max_components, self.n_init, *self.family_boxes.values()):
            w.setEnabled(not running)
        for w in (*self.type_boxes.values(), *self.group_boxes.values()):
            w.setEnabled(not running and typed)
        row = self.selected_row()
        self.use_button.setEnabled(not running and row is not None and row.model is not None)
        self.export_button.setEnabled(self._result is not None and bool(self._result.table))
