"""The main window's widgets: the Data, Model and Restarts docks (scrolling), the plot area hosting every
model kind's views, the log-likelihood trace, the timeline, the message and guard bars and the status bar.
``build_ui(window)`` is called once by :class:`~emdesk.gui.main_window.MainWindow` (menus: ``menus``)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from emdesk.gui.data_panel import DataPanel
from emdesk.gui.elided_label import ElidedLabel
from emdesk.gui.guard_bar import GuardBar
from emdesk.gui.kinds import KINDS
from emdesk.gui.message_bar import MessageBar
from emdesk.gui.params_panel import ParamsPanel
from emdesk.gui.restarts_view import RestartsView
from emdesk.gui.timeline import Timeline
from emdesk.gui.trace_plot import TracePlot
from emdesk.gui.window_size import fit_data_dock, fit_to_screen, scrolling


def build_ui(window) -> None:
    """Create ``window``'s widgets and docks as attributes of it (``data_panel``, ``params_panel``,
    ``kind_views``, ``plot_1d``/``plot_2d``, ``trace``, ``timeline``, ``plot_stack``, ``splitter``, the docks,
    the status-bar labels) and connect the panels to the window's slots."""
    window.data_panel = DataPanel()
    window.params_panel = ParamsPanel()
    # The model kind declares its views and the Model-panel fields it uses; the plot area hosts them.
    window.kind_views = {name: kind.make_views() for name, kind in KINDS.items()}
    window.params_panel.show_fields(window.kind.fields(window.session.family))
    window.plot_1d = window.kind_views["mixture"].plot_1d
    window.plot_2d = window.kind_views["mixture"].plot_2d
    window.trace = TracePlot()
    window.timeline = Timeline()
    window.message_bar = MessageBar()
    window.guard_bar = GuardBar()  # degenerate components and their one-click fixes (issue 7)

    window.empty_label = QtWidgets.QLabel(
        "<h3>No data</h3><p>Open a CSV file (Ctrl+O), drop one on this window, "
        "or pick one from File \u25b8 Open Example.</p><p>Then tick the columns to fit and press Run (F5).</p>")
    window.empty_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
    # wrapped: in one line its text made the plot area's minimum width 537 px even while a plot was shown (a
    # stack's minimum is its largest page's), which left the Results dock 134 px at 1024x720
    window.empty_label.setWordWrap(True)
    window.empty_label.setStyleSheet("color: #555;")
    window.plot_stack = QtWidgets.QStackedWidget()
    window.plot_stack.addWidget(window.empty_label)
    for views in window.kind_views.values():
        for view in views.widgets():
            window.plot_stack.addWidget(view)

    window.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
    window.splitter.setObjectName("plotSplitter")
    window.splitter.addWidget(window.plot_stack)
    window.splitter.addWidget(window.trace)
    window.splitter.setStretchFactor(0, 4)
    window.splitter.setStretchFactor(1, 1)
    window.splitter.setSizes([560, 170])

    central = QtWidgets.QWidget()
    lay = QtWidgets.QVBoxLayout(central)
    lay.setContentsMargins(4, 4, 4, 0)
    lay.setSpacing(4)
    lay.addWidget(window.message_bar)
    lay.addWidget(window.guard_bar)
    lay.addWidget(window.splitter, 1)
    lay.addWidget(window.timeline)
    window.setCentralWidget(central)

    window.data_dock = QtWidgets.QDockWidget("Data", window)
    window.data_dock.setObjectName("dataDock")
    window.data_dock.setWidget(scrolling(window.data_panel))
    window.params_dock = QtWidgets.QDockWidget("Model", window)
    window.params_dock.setObjectName("paramsDock")
    window.params_dock.setWidget(scrolling(window.params_panel))
    window.restarts_view = RestartsView()
    window.restarts_dock = QtWidgets.QDockWidget("Restarts", window)
    window.restarts_dock.setObjectName("restartsDock")
    window.restarts_dock.setWidget(scrolling(window.restarts_view))
    for d in (window.data_dock, window.params_dock, window.restarts_dock):
        d.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                      | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
                      | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, window.data_dock)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, window.params_dock)
    window.tabifyDockWidget(window.params_dock, window.restarts_dock)
    window.params_dock.raise_()
    window.resizeDocks([window.data_dock], [300], QtCore.Qt.Orientation.Horizontal)
    window.resizeDocks([window.data_dock, window.params_dock], [360, 340], QtCore.Qt.Orientation.Vertical)

    sb = window.statusBar()
    # elided, the whole text in the tooltip ("Converged after 4 iterations in :" was clipped mid-word at 1280 px)
    window.status_state = ElidedLabel("Ready")
    window.status_iter = QtWidgets.QLabel("iteration -")
    window.status_ll = QtWidgets.QLabel("log-likelihood -")
    window.status_change = QtWidgets.QLabel("change -")
    window.status_time = QtWidgets.QLabel("0.0 s")
    fm = window.fontMetrics()
    for w, sample in ((window.status_iter, "iteration 10000 (restart 10/10)"),
                      (window.status_ll, "log-likelihood -1,234,567,890.00"),
                      (window.status_change, "change -1.00e-10"), (window.status_time, "10000.0 s")):
        w.setMinimumWidth(fm.horizontalAdvance(sample) + 14)
        w.setStyleSheet("padding: 0 6px;")
    sb.addWidget(window.status_state, 1)
    window.status_guard = ElidedLabel()  # "Component 3 is collapsing (...)" for the state on screen
    window.status_guard.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Preferred)
    window.status_guard.setStyleSheet("color: #c62828; font-weight: bold; padding: 0 6px;")
    window.status_guard.hide()
    sb.addWidget(window.status_guard)
    window.load_progress = QtWidgets.QProgressBar()
    window.load_progress.setRange(0, 1000)
    window.load_progress.setMaximumWidth(180)
    window.load_progress.setFormat("loading %p%")
    window.load_cancel = QtWidgets.QToolButton()
    window.load_cancel.setText("Cancel")
    window.load_cancel.clicked.connect(lambda: window.cancel_load())
    sb.addPermanentWidget(window.load_progress)
    sb.addPermanentWidget(window.load_cancel)
    window.load_progress.hide()
    window.load_cancel.hide()
    for w in (window.status_iter, window.status_ll, window.status_change, window.status_time):
        sb.addPermanentWidget(w)
    # Long status texts are clipped rather than pushed under the guard's label and the permanent widgets.
    window.status_state.setMinimumWidth(60)

    window.data_panel.selectionChanged.connect(window._selection_changed)
    window.data_panel.missingModeChanged.connect(window._missing_mode_changed)
    window.data_panel.sequenceChanged.connect(window._sequence_changed)
    # The Data dock follows its content's height (a queued call: after the panel's layout settled).
    window.data_panel.contentChanged.connect(
        lambda: QtCore.QTimer.singleShot(0, window, lambda: fit_data_dock(window)))
    window.params_panel.kindChanged.connect(window._kind_changed)
    window.params_panel.delayChanged.connect(window._delay_changed)
    fit_to_screen(window)  # fits a 1280x720 screen, larger on larger ones (issue 15)
