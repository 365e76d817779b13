"""The model-selection dialog's widgets: the options (components, covariance models in mclust's groups,
families, restarts, criterion), the progress bar, the table, the criterion plot and the likelihood-ratio
test tab. A mixin of :class:`~emdesk.gui.selection_dialog.SelectionDialog`, which calls ``_build_ui`` once."""


from __future__ import annotations

import functools

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from emdesk.engine.selection import CRITERIA
from emdesk.gui.views import selection_models as SM
from emdesk.gui.views.selection_table import SORT_ROLE, SelectionTableModel, _SortProxy

#: The largest number of components the dialog offers.
MAX_COMPONENTS = 50


class SelectionDialogLayout:
    """Builds the :class:`~emdesk.gui.selection_dialog.SelectionDialog`'s widgets (a mixin: ``self`` is the
    dialog)."""

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
