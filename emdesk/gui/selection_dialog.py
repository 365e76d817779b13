"""The model-selection dialog (issue 7): run a sweep over component counts and covariance
types in a worker thread, follow it with a progress bar, and compare the fits in a sortable
table and in the criterion-against-components plot mclust users know.

Integration (main window)::

    dlg = SelectionDialog(X, column_names, engine_options=window.options(), parent=window)
    # engine_options: tol, reg_covar, max_iter, init_params, random_state and missing are used
    # (missing= may also be given explicitly); the dialog's own controls set the rest.
    dlg.modelChosen.connect(window.<slot taking a fitted GaussianMixture>)
    dlg.show()
    ...
    dlg.close()   # in the main window's closeEvent: stops a running sweep and its thread

``modelChosen(object)`` carries the fitted ``GaussianMixture`` of the row or point the user
selects (and of the "Use this model" button).  The dialog is non-modal and owns one
``WorkerThread``; closing it (close button, Esc, ``close()``) cancels a running sweep within
one EM iteration and waits for the thread to finish.
"""

from __future__ import annotations

import os
import threading
import time

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.engine.selection import COVARIANCE_TYPES, CRITERIA, iter_select_model, start_workers
from emdesk.gui.views.selection_table import (  # noqa: F401  (COLUMNS, SORT_ROLE, ROW_ROLE re-exported)
    COLUMNS, ROW_ROLE, SORT_ROLE, TYPE_COLORS, SelectionTableModel, _SortProxy)
from emdesk.gui.worker import WorkerThread, _user_message  # the same wording as a failed fit

#: Engine keywords the dialog passes through from the main window's options.
PASSED_OPTIONS = ("tol", "reg_covar", "max_iter", "init_params", "random_state")
EMIT_INTERVAL = 1.0 / 30.0
MAX_COMPONENTS = 50


class SelectionWorker(QtCore.QObject):
    """Runs ``iter_select_model`` when ``run`` is invoked (queued, from the GUI thread).

    Cancel with ``request_stop()`` (a thread-safe flag the sweep reads between EM iterations).
    """

    progress = QtCore.Signal(int, object)  # run id, SelectionStep (throttled to about 30 a second)
    finished = QtCore.Signal(int, object, bool)  # run id, SelectionResult (None if no fit finished), cancelled
    failed = QtCore.Signal(int, str)  # run id, a message for the user

    def __init__(self, sweep=None):
        super().__init__()
        self._stop = threading.Event()
        self._sweep = sweep  # None: iter_select_model (looked up when the sweep runs)

    def request_stop(self) -> None:
        self._stop.set()

    def prepare(self) -> None:
        """Called from the GUI thread right before queueing ``run``."""
        self._stop.clear()

    @QtCore.Slot(int, object, object)
    def run(self, run_id: int, X, options) -> None:
        self._run(run_id, X, options)

    def _run(self, run_id, X, options) -> None:
        last = None
        last_emit = 0.0
        try:
            gen = (self._sweep or iter_select_model)(X, should_stop=self._stop.is_set, **options)
            try:
                for step in gen:
                    last = step
                    now = time.monotonic()
                    if now - last_emit >= EMIT_INTERVAL or step.done == step.total:
                        self.progress.emit(run_id, step)
                        last_emit = now
                    if self._stop.is_set():
                        break
            finally:
                gen.close()
        except Exception as exc:  # bad options or data: a message, not a traceback
            self.failed.emit(run_id, _user_message(exc))
            return
        if last is None:
            self.finished.emit(run_id, None, True)
            return
        result = last.result
        cancelled = last.done < last.total
        if cancelled:
            result = result.as_cancelled()
        self.finished.emit(run_id, result, cancelled)


# ------------------------------------------------------------------------------ the dialog
class SelectionDialog(QtWidgets.QDialog):
    """Model selection: sweep, progress, table, criterion plot, choose a model, export CSV."""

    modelChosen = QtCore.Signal(object)  # the fitted GaussianMixture of the chosen row
    sweepProgress = QtCore.Signal(object)  # SelectionStep, as fits finish
    sweepFinished = QtCore.Signal(object)  # SelectionResult (also after a cancel: the partial table)
    _requestRun = QtCore.Signal(int, object, object)

    def __init__(self, X, column_names=None, *, missing=None, engine_options=None, parent=None, sweep=None,
                 types=None):
        # sweep: a generator function called as iter_select_model is (e.g. an HMM sweep, bound to its
        # lengths and family); types: the "types" it compares (default: the four covariance types)
        super().__init__(parent)
        self._sweep, self._types = sweep, tuple(types or COVARIANCE_TYPES)
        if sweep is None:  # the sweep's worker processes start now, while the user picks options
            start_workers()
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        self._X = X
        self._names = list(column_names) if column_names is not None else [f"x{i + 1}" for i in range(X.shape[1])]
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

        self.setWindowTitle("Model selection \u2014 " + ", ".join(self._names))
        self.setModal(False)
        self.setSizeGripEnabled(True)
        self.resize(1000, 720)
        self._build_ui()
        self._build_thread()
        self._update_buttons()

    # ---------------------------------------------------------------------------------- UI
    def _build_ui(self) -> None:
        n_rows = self._X.shape[0]
        top = QtWidgets.QHBoxLayout()

        form = QtWidgets.QFormLayout()
        self.min_components = QtWidgets.QSpinBox()
        self.max_components = QtWidgets.QSpinBox()
        hi = max(1, min(MAX_COMPONENTS, n_rows))
        for spin in (self.min_components, self.max_components):
            spin.setRange(1, hi)
        self.min_components.setValue(1)
        self.max_components.setValue(min(9, hi))
        rng = QtWidgets.QHBoxLayout()
        rng.addWidget(self.min_components)
        rng.addWidget(QtWidgets.QLabel("to"))
        rng.addWidget(self.max_components)
        rng.addStretch(1)
        form.addRow("Components from", rng)

        types = QtWidgets.QHBoxLayout()
        self.type_boxes = {}
        for t in self._types:
            box = QtWidgets.QCheckBox(t)
            box.setChecked(True)
            box.setStyleSheet(
                "QCheckBox { color: rgb(%d, %d, %d); } QCheckBox:disabled { color: gray; }" % TYPE_COLORS.get(t, (31, 119, 180))
            )
            box.toggled.connect(self._update_buttons)
            self.type_boxes[t] = box
            types.addWidget(box)
        types.addStretch(1)
        form.addRow("Covariance types", types)

        self.n_init = QtWidgets.QSpinBox()
        self.n_init.setRange(1, 100)
        self.n_init.setValue(5)
        self.n_init.setToolTip("EM restarts per model; the best of them is kept")
        form.addRow("Restarts (n_init)", self.n_init)

        self.criterion = QtWidgets.QComboBox()
        for c in CRITERIA:
            self.criterion.addItem(c.upper(), c)
        self.criterion.setToolTip("Lower is better. Changing it after a sweep re-judges the same fits.")
        self.criterion.currentIndexChanged.connect(self._criterion_changed)
        form.addRow("Criterion", self.criterion)
        top.addLayout(form, 1)

        side = QtWidgets.QVBoxLayout()
        self.data_label = QtWidgets.QLabel(
            f"{n_rows} rows \u00d7 {self._X.shape[1]} columns: {', '.join(self._names)}"
        )
        self.data_label.setWordWrap(True)
        side.addWidget(self.data_label)
        buttons = QtWidgets.QHBoxLayout()
        self.run_button = QtWidgets.QPushButton("Run sweep")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        side.addLayout(buttons)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("not started")
        side.addWidget(self.progress)
        side.addStretch(1)
        top.addLayout(side, 1)

        self.status = QtWidgets.QLabel("Choose the models to compare and press Run sweep.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        # Plot of the criterion against the number of components.
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(220)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "Number of components")
        self.plot.getPlotItem().setMenuEnabled(False)
        self.legend = self.plot.addLegend(offset=(-10, 10), brush=pg.mkBrush(255, 255, 255, 220),
                                          pen=pg.mkPen(200, 200, 200))
        self._lines = {}
        self._ok_points = {}
        self._bad_points = {}
        for t in self._types:
            color = TYPE_COLORS.get(t, (31, 119, 180))
            line = pg.PlotDataItem([], [], pen=pg.mkPen(color, width=2))
            ok = pg.ScatterPlotItem(size=9, pen=pg.mkPen(color), brush=pg.mkBrush(color), symbol="o")
            bad = pg.ScatterPlotItem(size=11, pen=pg.mkPen(color, width=2), brush=pg.mkBrush(None), symbol="x")
            for item in (ok, bad):
                item.sigClicked.connect(self._point_clicked)
                item.setZValue(5)
            self.plot.addItem(line)  # not in the legend yet: _update_legend lists the swept types
            self.plot.addItem(ok)
            self.plot.addItem(bad)
            self._lines[t], self._ok_points[t], self._bad_points[t] = line, ok, bad
        self._best_marker = pg.ScatterPlotItem(
            size=22, symbol="star", pen=pg.mkPen((20, 20, 20), width=1.5), brush=pg.mkBrush(255, 215, 0, 230)
        )
        self._best_marker.setZValue(10)
        self._best_marker.sigClicked.connect(self._point_clicked)
        self._selected_marker = pg.ScatterPlotItem(
            size=26, symbol="o", pen=pg.mkPen((220, 20, 60), width=2.5), brush=pg.mkBrush(None)
        )
        self._selected_marker.setZValue(11)
        self.plot.addItem(self._best_marker)
        self.plot.addItem(self._selected_marker)
        self._legend_bad = pg.ScatterPlotItem(
            symbol="x", pen=pg.mkPen((110, 110, 110), width=2), brush=pg.mkBrush(None)
        )
        self._legend_types: tuple = ()
        self._update_legend(self._types, degenerate=False)
        self.plot.getAxis("bottom").setTickSpacing(1, 1)

        # Table.
        self.table_model = SelectionTableModel(self)
        self.proxy = _SortProxy(self)
        self.proxy.setSourceModel(self.table_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, QtCore.Qt.SortOrder.AscendingOrder)  # = sweep order
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._table_selection_changed)

        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        splitter.addWidget(self.plot)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([360, 260])

        bottom = QtWidgets.QHBoxLayout()
        self.use_button = QtWidgets.QPushButton("Use this model")
        self.use_button.setToolTip("Load the selected fit into the main view")
        self.use_button.clicked.connect(self.use_selected)
        self.export_button = QtWidgets.QPushButton("Export table\u2026")
        self.export_button.clicked.connect(self._export_dialog)
        close = QtWidgets.QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        bottom.addWidget(self.use_button)
        bottom.addWidget(self.export_button)
        bottom.addStretch(1)
        bottom.addWidget(close)

        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(splitter, 1)
        lay.addLayout(bottom)

        self._clock = QtCore.QTimer(self)
        self._clock.setInterval(200)
        self._clock.timeout.connect(self._update_progress_text)
        self._update_axis_label()

    def _build_thread(self) -> None:
        self._thread = WorkerThread("emdesk-selection")
        self._worker = SelectionWorker(self._sweep)
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
    def options(self) -> dict:
        """The keyword arguments of the sweep the current controls describe."""
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
        return opts

    def set_options(self, *, n_components=None, covariance_types=None, n_init=None, criterion=None) -> None:
        """Set the controls (scripting and tests)."""
        if n_components is not None:
            ks = list(n_components)
            self.min_components.setValue(min(ks))
            self.max_components.setValue(max(ks))
        if covariance_types is not None:
            for t, box in self.type_boxes.items():
                box.setChecked(t in covariance_types)
        if n_init is not None:
            self.n_init.setValue(int(n_init))
        if criterion is not None:
            i = self.criterion.findData(str(criterion).lower())
            if i < 0:
                raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}; got {criterion!r}.")
            self.criterion.setCurrentIndex(i)

    def is_running(self) -> bool:
        return self._running

    def result(self):
        """The current SelectionResult (None before the first fit finishes)."""
        return self._result

    @QtCore.Slot()
    def start(self) -> None:
        if self._running or self._closing:
            return
        opts = self.options()
        if not opts["covariance_types"]:
            self._set_status("Tick at least one covariance type.", "error")
            return
        self._n_planned = len(opts["n_components"]) * len(opts["covariance_types"])
        self._done = 0
        self._result = None
        self.table_model.set_result(None)
        ks = opts["n_components"]
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
        """Select ``row`` (a SelectionRow of the current result) in the table; emits modelChosen."""
        pos = self.table_model.position_of(row)
        if pos < 0:
            return
        proxy_index = self.proxy.mapFromSource(self.table_model.index(pos, 0))
        self.table.selectRow(proxy_index.row())
        self.table.scrollTo(proxy_index)

    def export_csv(self, path) -> None:
        """Write the table to ``path`` (CSV, atomically); raises OSError / ValueError."""
        if self._result is None:
            raise ValueError("There is no table to export yet: run a sweep first.")
        self._result.to_csv(path)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel a running sweep and stop the worker thread; True when it has stopped.

        The sweep reads its stop flag between EM iterations, not inside a fit's initialisation (k-means on a
        large file can take seconds). After ``timeout_ms`` the dialog is hidden and the wait goes on: Qt
        aborts the process when a running QThread is destroyed."""
        self._closing = True
        self._clock.stop()
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
        self._done = step.done
        self._result = step.result.with_criterion(self.criterion.currentData())
        self.progress.setValue(step.done)
        self._update_progress_text()
        self.table_model.set_result(self._result)
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
            self.table.resizeColumnsToContents()
            self._redraw_plot()
        self._update_progress_text(final=True, cancelled=cancelled)
        if result is None:
            self._set_status("Cancelled before any fit finished.", "info")
        else:
            self._show_reason()
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
            self._result = self._result.with_criterion(self.criterion.currentData())
            self.table_model.set_result(self._result)
            self._redraw_plot()
            if not self._running:
                self._show_reason()

    def _table_selection_changed(self, *_) -> None:
        row = self.selected_row()
        self._mark_selected(row)
        self._update_buttons()
        if row is not None and row.model is not None:
            self._emit_model(row.model)

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

    # ---------------------------------------------------------------------------------- drawing
    def _update_axis_label(self) -> None:
        self.plot.setLabel("left", f"{self.criterion.currentText()} (lower is better)")

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
        same = {"full", "diag", "spherical"} & {r.covariance_type for r in res.table}
        if self._X.shape[1] == 1 and len(same) > 1:
            text += " (With one column, full, diag and spherical are the same model.)"
        self._set_status(text, level)

    def _redraw_plot(self) -> None:
        res = self._result
        crit = self.criterion.currentData()
        for t in self._types:
            rows = [] if res is None else sorted(
                (r for r in res.table if r.covariance_type == t and r.ok), key=lambda r: r.n_components
            )
            good = [r for r in rows if not r.degenerate]
            bad = [r for r in rows if r.degenerate]
            # The line joins the sound fits only: a degenerate fit's score is not comparable.
            self._lines[t].setData([r.n_components for r in good], [r.score(crit) for r in good])
            self._ok_points[t].setData(
                [r.n_components for r in good], [r.score(crit) for r in good], data=[r.index for r in good]
            )
            self._bad_points[t].setData(
                [r.n_components for r in bad], [r.score(crit) for r in bad], data=[r.index for r in bad]
            )
        swept = [t for t in self._types if res is not None and any(r.covariance_type == t for r in res.table)]
        self._update_legend(
            tuple(swept) if swept else tuple(t for t, b in self.type_boxes.items() if b.isChecked()),
            degenerate=res is not None and any(r.degenerate for r in res.table),
        )
        best = None if res is None else res.best_row
        if best is not None:
            self._best_marker.setData([best.n_components], [best.score(crit)], data=[best.index])
        else:
            self._best_marker.setData([], [])
        self._mark_selected(self.selected_row())

    def _update_legend(self, types, degenerate: bool) -> None:
        key = (tuple(types), bool(degenerate))
        if key == self._legend_types:
            return
        self._legend_types = key
        self.legend.clear()
        for t in types:
            self.legend.addItem(self._lines[t], t)
        if degenerate:
            self.legend.addItem(self._legend_bad, "degenerate (never chosen)")
        self.legend.addItem(self._best_marker, "best")

    def _mark_selected(self, row) -> None:
        if row is None or not row.ok:
            self._selected_marker.setData([], [])
        else:
            self._selected_marker.setData([row.n_components], [row.score(self.criterion.currentData())])

    def _update_buttons(self) -> None:
        running = self._running
        self.run_button.setEnabled(not running and any(b.isChecked() for b in self.type_boxes.values()))
        self.cancel_button.setEnabled(running)
        for w in (self.min_components, self.max_components, self.n_init, *self.type_boxes.values()):
            w.setEnabled(not running)
        row = self.selected_row()
        self.use_button.setEnabled(row is not None and row.model is not None)
        self.export_button.setEnabled(self._result is not None and bool(self._result.table))
