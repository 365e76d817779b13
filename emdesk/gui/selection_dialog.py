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

import functools
import math
import os
import threading
import time

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.engine.family_sweep import FAMILY_KINDS, _t_types, iter_select_families
from emdesk.engine.selection import CRITERIA, iter_select_model, start_workers
from emdesk.gui.views import selection_models as SM
from emdesk.gui.views.selection_table import (  # noqa: F401  (COLUMNS, SORT_ROLE, ROW_ROLE re-exported)
    COLUMNS, ROW_ROLE, SORT_ROLE, SelectionTableModel, _SortProxy)
from emdesk.gui.worker import WorkerThread, _user_message  # the same wording as a failed fit

#: Engine keywords the dialog passes through from the main window's options.
PASSED_OPTIONS = ("tol", "reg_covar", "max_iter", "init_params", "random_state", "prior")
EMIT_INTERVAL = 1.0 / 30.0
MAX_COMPONENTS = 50
#: The y-range after a sweep shows the best value up to this far above it (criterion units; on Kass &
#: Raftery's (1995) scale a BIC difference above 10 is "very strong" evidence), and the top three models.
FOCUS_MIN = 50.0


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

    # ---------------------------------------------------------------------------------- UI
    def _build_ui(self) -> None:
        n_rows = self._X.shape[0]
        top = QtWidgets.QHBoxLayout()

        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
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

        # The covariance models: mclust's names in its three groups (an HMM sweep: the types it has).
        self.type_boxes = {}  # engine covariance type -> its check box
        self.group_boxes = {}  # group label -> its check box (ticks or clears the group)
        self._type_names = {}  # engine covariance type -> the name shown (mclust's)
        self.models_widget = QtWidgets.QWidget()
        grid = QtWidgets.QGridLayout(self.models_widget)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        if self._hmm_types is not None:
            groups = {"": tuple(self._hmm_types)}
        elif self._families and not set(self._families) & {"gaussian", "student_t"}:
            groups = {}
        else:
            groups = SM.model_groups(self._d)
        for row, (label, names) in enumerate(groups.items()):
            members = []
            if label:
                gbox = QtWidgets.QCheckBox(label + ":")
                gbox.setToolTip(f"Tick or clear the {label.lower()} models")
                gbox.clicked.connect(functools.partial(self._group_clicked, label))
                self.group_boxes[label] = gbox
                grid.addWidget(gbox, row, 0)
            for col, name in enumerate(names):
                engine = name if self._hmm_types is not None else SM.engine_name(name, self._d)
                box = QtWidgets.QCheckBox(name)
                box.setChecked(True)
                key = engine if self._hmm_types is None else name
                color, _pch, _dash = SM.line_style(key, self._d)
                if color.lightness() > 170:
                    color = color.darker(200)
                box.setStyleSheet("QCheckBox { color: %s; } QCheckBox:disabled { color: gray; }" % color.name())
                alias = SM.SKLEARN_ALIAS_1D.get(name) if self._d == 1 else SM.SKLEARN_ALIAS.get(name)
                if alias and self._hmm_types is None:
                    box.setToolTip(f"{name} = scikit-learn's covariance_type=\"{alias}\"")
                box.toggled.connect(self._types_changed)
                self.type_boxes[key] = box
                self._type_names[key] = name
                members.append(key)
                grid.addWidget(box, row, col + (1 if label else 0))
            self._group_members = getattr(self, "_group_members", {})
            self._group_members[label] = members
        grid.setColumnStretch(grid.columnCount(), 1)
        self._sync_group_boxes()
        if self.type_boxes:
            form.addRow("Covariance models" if self._hmm_types is None else "Covariance types", self.models_widget)

        top.addLayout(form, 3)

        side = QtWidgets.QVBoxLayout()
        self.data_label = QtWidgets.QLabel(
            f"{n_rows:,} rows \u00d7 {self._d} columns: {', '.join(self._names)}"
        )
        self.data_label.setWordWrap(True)
        side.addWidget(self.data_label)
        self.family_boxes = {}
        if len(self._families) > 1:
            fams = QtWidgets.QHBoxLayout()
            fams.addWidget(QtWidgets.QLabel("Families"))
            for f in self._families:
                box = QtWidgets.QCheckBox(SM.FAMILIES[f][0])
                box.setChecked(f == self._family)
                box.setToolTip("Continuous (Gaussian, Student-t) and discrete (Poisson, categorical) families "
                               "are compared separately: a density and a probability are not on one scale.")
                box.toggled.connect(functools.partial(self._family_toggled, f))
                self.family_boxes[f] = box
                fams.addWidget(box)
            fams.addStretch(1)
            side.addLayout(fams)

        self.n_init = QtWidgets.QSpinBox()
        self.n_init.setRange(1, 100)
        self.n_init.setValue(5)
        self.n_init.setToolTip("EM restarts per model; the best of them is kept")
        self.criterion = QtWidgets.QComboBox()
        for c in CRITERIA:
            self.criterion.addItem(c.upper(), c)
        self.criterion.setToolTip("Lower is better. Changing it after a sweep re-judges the same fits.")
        self.criterion.currentIndexChanged.connect(self._criterion_changed)
        row2 = QtWidgets.QHBoxLayout()
        row2.addWidget(QtWidgets.QLabel("Restarts (n_init)"))
        row2.addWidget(self.n_init)
        row2.addSpacing(16)
        row2.addWidget(QtWidgets.QLabel("Criterion"))
        row2.addWidget(self.criterion)
        row2.addStretch(1)
        side.addLayout(row2)
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
        top.addLayout(side, 2)

        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.top_label = QtWidgets.QLabel("")  # the top three models, as mclust's summary(mclustBIC) gives them
        self.top_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.top_label.setWordWrap(True)
        self.top_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.top_label.hide()

        # Plot of the criterion against the number of components (legend beside it, never over the lines).
        self.plot_area = pg.GraphicsLayoutWidget()
        self.plot_area.setBackground("w")
        self.plot_area.setMinimumHeight(200)
        self.plot = self.plot_area.addPlot(row=0, col=0)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "Number of components")
        self.plot.setMenuEnabled(False)
        self.legend = pg.LegendItem(brush=pg.mkBrush(255, 255, 255, 0), pen=None, verSpacing=-4)
        self.plot_area.addItem(self.legend, row=0, col=1)
        self.legend.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed)
        self.plot_area.ci.layout.setAlignment(self.legend, QtCore.Qt.AlignmentFlag.AlignTop)
        self.plot_area.ci.layout.setColumnStretchFactor(0, 10)
        self._lines, self._ok_points, self._bad_points = {}, {}, {}
        self._best_marker = pg.ScatterPlotItem(
            size=22, symbol="star", pen=pg.mkPen((20, 20, 20), width=1.5), brush=pg.mkBrush(255, 215, 0, 200)
        )
        self._best_marker.setZValue(4)
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
        self._legend_key: tuple = ()
        self.plot.getAxis("bottom").setTickSpacing(1, 1)
        for key in self.type_boxes:
            self._line_items(key)  # the lines of the offered models exist from the start

        # Before a run: what the dialog does, instead of an empty plot with placeholder axes.
        self.placeholder = QtWidgets.QLabel(
            "<p style='font-size:11pt'><b>Compare models by their fit and their complexity.</b></p>"
            "<p>Choose the numbers of components and the models, then press <b>Run sweep</b>. "
            "Each model is fitted with every number of components; the plot shows the criterion "
            "(lower is better) against the number of components, one line per model, and the table "
            "lists every fit. The best is selected when the sweep ends; <b>Use this model</b> shows it in "
            "the window.</p>")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setMargin(40)
        self.placeholder.setStyleSheet("QLabel { color: #505050; background: white; border: 1px solid #d0d0d0; }")
        self.plot_stack = QtWidgets.QStackedWidget()
        self.plot_stack.addWidget(self.placeholder)
        self.plot_stack.addWidget(self.plot_area)

        self.focus_box = QtWidgets.QCheckBox("Focus on the best models")
        self.focus_box.setChecked(True)
        self.focus_box.setToolTip("After a sweep the y-range shows the models close to the best; untick (or "
                                  "press the plot's A button) to see every line")
        self.focus_box.toggled.connect(self._apply_focus)

        # Table.
        self.table_model = SelectionTableModel(self, label=self.line_label,
                                               color=self._key_color)
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
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().selectionChanged.connect(self._table_selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.use_selected())
        self._fit_columns()

        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.table, "Fits")
        self.lrt = None
        if self._hmm_types is None and "gaussian" in (self._families or ("gaussian",)):
            self._build_lrt_tab()

        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        plot_box = QtWidgets.QWidget()
        pl = QtWidgets.QVBoxLayout(plot_box)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.plot_stack, 1)
        splitter.addWidget(plot_box)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([600, 400])
        self.splitter = splitter

        bottom = QtWidgets.QHBoxLayout()
        self.use_button = QtWidgets.QPushButton("Use this model")
        self.use_button.setToolTip("Show the selected fit in the window and set the Model panel to it, for "
                                   "these data (the next file opens with your own settings)")
        self.use_button.clicked.connect(self.use_selected)
        self.export_button = QtWidgets.QPushButton("Export table\u2026")
        self.export_button.clicked.connect(self._export_dialog)
        close = QtWidgets.QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        bottom.addWidget(self.use_button)
        bottom.addWidget(self.export_button)
        bottom.addSpacing(12)
        bottom.addWidget(self.focus_box)
        bottom.addStretch(1)
        bottom.addWidget(close)

        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(self.top_label)
        lay.addWidget(splitter, 1)
        lay.addLayout(bottom)
        self._set_status("Choose the models to compare and press Run sweep.", "info")

        self._clock = QtCore.QTimer(self)
        self._clock.setInterval(200)
        self._clock.timeout.connect(self._update_progress_text)
        self._update_axis_label()

    def _build_lrt_tab(self) -> None:
        from emdesk.gui.lrt_panel import LRTPanel

        box = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(box)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(4)
        self.lrt_label = QtWidgets.QLabel("")
        self.lrt_label.setWordWrap(True)
        lay.addWidget(self.lrt_label)
        self.lrt = LRTPanel(box)
        self.lrt.cov_box.hide()  # the selected row's model; the label names it
        self.lrt.cov_label.hide()
        self.lrt.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        lay.addWidget(self.lrt, 1)
        self.lrt.finished.connect(self.lrtFinished)
        self._lrt_row = None
        self.tabs.addTab(box, "Likelihood-ratio test")
        self._update_lrt_target(None)

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

    # ---------------------------------------------------------------------------------- drawing
    def _key_color(self, key) -> QtGui.QColor:
        color = SM.line_style(key, self._d)[0]
        return color.darker(200) if color.lightness() > 170 else color

    def _line_items(self, key):
        if key not in self._lines:
            color, pch, dashed = SM.line_style(key, self._d)
            pen = pg.mkPen(color, width=2, style=QtCore.Qt.PenStyle.DashLine if dashed else
                           QtCore.Qt.PenStyle.SolidLine)
            brush = pg.mkBrush(color) if SM.filled(pch) else pg.mkBrush(255, 255, 255)
            line = pg.PlotDataItem([], [], pen=pen, symbol=SM.symbol(pch), symbolSize=10,
                                   symbolPen=pg.mkPen(color, width=1.6), symbolBrush=brush)
            ok = pg.ScatterPlotItem(size=10, symbol=SM.symbol(pch), pen=pg.mkPen(color, width=1.6), brush=brush)
            ok.setOpacity(0.0)  # the line draws the symbols; this item is the click target with the row ids
            bad = pg.ScatterPlotItem(size=11, pen=pg.mkPen(color, width=2), brush=pg.mkBrush(None), symbol="x")
            for item in (ok, bad):
                item.sigClicked.connect(self._point_clicked)
                item.setZValue(5)
            self.plot.addItem(line)
            self.plot.addItem(ok)
            self.plot.addItem(bad)
            self._lines[key], self._ok_points[key], self._bad_points[key] = line, ok, bad
        return self._lines[key], self._ok_points[key], self._bad_points[key]

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

    def focus_range(self):
        """(low, high) of the criterion the plot focused on after the last sweep, or None."""
        return self._focus_range

    def _focus_y(self) -> None:
        """Focus the y-range on the competitive models: from the best value to FOCUS_MIN above it, or to the
        third best when that is further, never beyond the values drawn."""
        res = self._result
        self._focus_range = None
        if res is None:
            return
        crit = res.criterion
        drawn = [r.score(crit) for r in res.table if r.ok and math.isfinite(r.score(crit))]
        top = self.top_models(3)
        if not drawn or not top:
            return
        best = top[0].score(crit)
        span = max(FOCUS_MIN, top[-1].score(crit) - best)
        lo = min(drawn)  # a degenerate fit below the best stays in view
        hi = min(max(drawn), best + span)
        if hi <= lo:
            hi = lo + FOCUS_MIN
        # room below for the best model's star, a little above
        self._focus_range = (lo - 0.12 * (hi - lo), hi + 0.05 * (hi - lo))
        self._apply_focus()

    def _apply_focus(self, *_) -> None:
        if self._running:
            return
        if self.focus_box.isChecked() and self._focus_range is not None:
            self.plot.setYRange(*self._focus_range, padding=0)
        else:
            self.plot.enableAutoRange(axis="y")

    def _redraw_plot(self) -> None:
        res = self._result
        crit = self.criterion.currentData()
        keys = list(self._lines)
        if res is not None:
            for r in res.table:
                k = SM.line_key(r)
                if k not in keys:
                    self._line_items(k)
                    keys.append(k)
        for key in keys:
            rows = [] if res is None else sorted(
                (r for r in res.table if SM.line_key(r) == key and r.ok), key=lambda r: r.n_components
            )
            good = [r for r in rows if not r.degenerate]
            bad = [r for r in rows if r.degenerate]
            # The line joins the sound fits only: a degenerate fit's score is not comparable.
            xs, ys = [r.n_components for r in good], [r.score(crit) for r in good]
            self._lines[key].setData(xs, ys)
            self._ok_points[key].setData(xs, ys, data=[r.index for r in good])
            self._bad_points[key].setData(
                [r.n_components for r in bad], [r.score(crit) for r in bad], data=[r.index for r in bad]
            )
        swept = [k for k in keys if res is not None and any(SM.line_key(r) == k for r in res.table)]
        if not swept:
            swept = [k for k, b in self.type_boxes.items() if b.isChecked()]
        self._update_legend(tuple(swept), degenerate=res is not None and any(r.degenerate for r in res.table))
        best = None if res is None else res.best_row
        if best is not None:
            self._best_marker.setData([best.n_components], [best.score(crit)], data=[best.index])
        else:
            self._best_marker.setData([], [])
        self._mark_selected(self.selected_row())

    def _update_legend(self, keys, degenerate: bool) -> None:
        key = (tuple(keys), bool(degenerate))
        if key == self._legend_key:
            return
        self._legend_key = key
        self.legend.clear()
        self.legend.setColumnCount(1 if len(keys) <= 8 else 2)  # 14 models fit beside a 1280x720 plot
        for k in keys:
            if k not in self._lines:
                self._line_items(k)
            self.legend.addItem(self._lines[k], self.line_label(k))
        if degenerate:
            self.legend.addItem(self._legend_bad, "degenerate")
        self.legend.addItem(self._best_marker, "best")

    def _mark_selected(self, row) -> None:
        if row is None or not row.ok:
            self._selected_marker.setData([], [])
        else:
            self._selected_marker.setData([row.n_components], [row.score(self.criterion.currentData())])

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
