"""The uncertainty view (issue 14): points sized and shaded by their classification uncertainty
(1 - the largest responsibility, mclust's uncertainty plot), and a list of the most uncertain rows.

Standalone widget; the window feeds it after a fit (or when the displayed columns change)::

    view = UncertaintyView()
    unc = emdesk.engine.checks.classification_uncertainty(model, X)
    view.set_data(X[:, [ix, iy]], unc, axis_names=(cols[ix], cols[iy]))   # (n, 1) for one column
    view.rowSelected.connect(window.<slot(int)>)     # the user picked a row (0-based index into X)
    view.select_row(i)                               # highlight row i (e.g. chosen in the data panel)
    view.clear()

Plot items are created once; ``set_data`` and ``select_row`` only call ``setData``.  For more than
``max_points`` rows the plot shows a random subset plus every row of the list (display only: the list
and the statistics use every row).
"""

from __future__ import annotations

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from .geometry import component_colors, plain_axes

__all__ = ["UncertaintyView"]


class UncertaintyView(QtWidgets.QWidget):
    """See the module docstring.  Signal ``rowSelected(int)``: a row of X picked in the list or the plot."""

    rowSelected = QtCore.Signal(int)

    def __init__(self, parent=None, n_listed=50, max_points=20000):
        super().__init__(parent)
        self.n_listed = int(n_listed)
        self.max_points = int(max_points)
        self._xy = None
        self._values = None
        self._labels = None
        self._order = None
        self._shown = None  # indices of X drawn
        self._row_numbers = None  # what the list shows for each row (None: its 1-based index into X)
        self._selected = None
        self._brushes = []

        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumSize(160, 160)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        plain_axes(self.plot.getPlotItem())
        self.scatter = pg.ScatterPlotItem(pxMode=True, pen=None)
        self.highlight = pg.ScatterPlotItem(pxMode=True, size=22, symbol="o", brush=None,
                                            pen=pg.mkPen((0, 0, 0), width=2.5))
        self.plot.addItem(self.scatter)
        self.plot.addItem(self.highlight)
        self.scatter.sigClicked.connect(self._on_points_clicked)

        self.summary_label = QtWidgets.QLabel("No fit yet.")
        self.plot.setVisible(False)  # until there are rows to draw (no empty 0-1 axes)
        self.summary_label.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["row", "uncertainty", "component"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_table_selection)

        side = QtWidgets.QWidget()
        side.setMinimumWidth(240)
        side.setMinimumHeight(7 * (self.table.fontMetrics().height() + 8))  # the title, header and 5 rows
        sl = QtWidgets.QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        title = QtWidgets.QLabel("Most uncertain rows")
        title.setToolTip("Select a row to find it in the plot.")
        sl.addWidget(title)
        sl.addWidget(self.table, 1)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        split.addWidget(self.plot)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.split = split
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(split, 1)

    #: px: below this width the list goes under the plot (in a 330-440 px dock beside the main plot, the
    #: list's 240 px left the plot about 50 px wide, seen in a screenshot at 1920x1080)
    STACK_BELOW = 640

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        want = (QtCore.Qt.Orientation.Vertical if event.size().width() < self.STACK_BELOW
                else QtCore.Qt.Orientation.Horizontal)
        if self.split.orientation() != want:
            self.split.setOrientation(want)
            total = max(2, sum(self.split.sizes()))
            self.split.setSizes([total * 3 // 5, total - total * 3 // 5])  # the plot gets 60 %
        super().resizeEvent(event)

    # ------------------------------------------------------------------ public
    def set_data(self, coordinates, uncertainty, labels=None, axis_names=None, seed=0, posterior="responsibility",
                 note="", unit="component", row_numbers=None, row_header="row") -> None:
        """Show rows at ``coordinates`` ((n, 2), or (n,)/(n, 1) for one column: then y is the uncertainty).

        ``uncertainty``: an :class:`emdesk.engine.checks.Uncertainty`, or (n,) values with ``labels`` (n,)
        MAP components.  Rows with a missing coordinate are listed but not drawn.  ``posterior``: what the
        probabilities are called (an HMM's "state probability"); ``note`` is added to the summary; ``unit``
        heads the list's label column ("component", an HMM's "state"). ``row_numbers`` (n,): what the list's
        first column (headed ``row_header``) shows for each row (default: its 1-based index into X; an HMM's
        rows are sorted into sequences, so the window gives their data rows, as its messages number them).
        Raises ValueError when the lengths differ.
        """
        self.plot.setVisible(True)
        self.table.setHorizontalHeaderLabels([row_header, "uncertainty", unit])
        if hasattr(uncertainty, "values") and hasattr(uncertainty, "labels"):
            values = np.asarray(uncertainty.values, dtype=float)
            labels = np.asarray(uncertainty.labels, dtype=int)
        else:
            values = np.asarray(uncertainty, dtype=float).reshape(-1)
            labels = np.zeros(values.size, dtype=int) if labels is None else np.asarray(labels, dtype=int)
        xy = np.asarray(coordinates, dtype=float)
        if xy.ndim == 1:
            xy = xy[:, None]
        if xy.ndim != 2 or xy.shape[1] not in (1, 2):
            raise ValueError(f"coordinates must be (n, 2) or (n,) for one column; got shape {xy.shape}.")
        if xy.shape[0] != values.size or labels.size != values.size:
            raise ValueError(f"{xy.shape[0]} coordinates, {values.size} uncertainties and {labels.size} labels: "
                             "give one of each per row.")
        one_d = xy.shape[1] == 1
        if one_d:
            xy = np.column_stack([xy[:, 0], values])
        if row_numbers is not None and len(row_numbers) != values.size:
            raise ValueError(f"{len(row_numbers)} row numbers for {values.size} rows: give one per row.")
        self._row_numbers = None if row_numbers is None else np.asarray(row_numbers, dtype=np.int64)
        self._xy, self._values, self._labels = xy, values, labels
        self._order = np.argsort(-values, kind="stable")
        k = int(labels.max()) + 1 if labels.size else 1
        if len(self._brushes) < k:
            self._brushes = [pg.mkBrush(*[int(c) for c in rgb], 200) for rgb in component_colors(k)]
        # which rows to draw
        drawable = np.flatnonzero(np.all(np.isfinite(xy), axis=1))
        if drawable.size > self.max_points:
            rng = np.random.default_rng(seed)
            keep = rng.choice(drawable, size=self.max_points, replace=False)
            top = self._order[: self.n_listed]
            top = top[np.all(np.isfinite(xy[top]), axis=1)]
            drawable = np.union1d(keep, top)
        # draw the most uncertain last (on top)
        drawable = drawable[np.argsort(values[drawable], kind="stable")]
        self._shown = drawable
        umax = max(1e-12, 1.0 - 1.0 / max(k, 2))
        rel = np.clip(values[drawable] / umax, 0.0, 1.0)
        sizes = 4.0 + 12.0 * np.sqrt(rel)
        self.scatter.setData(x=xy[drawable, 0], y=xy[drawable, 1], size=sizes,
                             brush=[self._brushes[j] for j in labels[drawable]], data=drawable)
        names = axis_names or ("x", "y")
        self.plot.setLabel("bottom", names[0])
        self.plot.setLabel("left", "uncertainty" if one_d else (names[1] if len(names) > 1 else "y"))
        q = np.quantile(values, [0.5, 0.95]) if values.size else (0.0, 0.0)
        self.summary_label.setText(
            f"Classification uncertainty (1 - largest {posterior}) of {values.size} rows: "
            f"median {q[0]:.3g}, 95th percentile {q[1]:.3g}, largest {values.max():.3g}. "
            "Larger points are less certain." + (f" {note}" if note else ""))
        self._fill_table()
        self._selected = None
        self.highlight.setData(x=[], y=[])

    def clear(self) -> None:
        self._xy = self._values = self._labels = self._order = self._shown = None
        self._selected = None
        self.scatter.setData(x=[], y=[])
        self.highlight.setData(x=[], y=[])
        self.table.setRowCount(0)
        self.summary_label.setText("No fit yet.")
        self.plot.setVisible(False)  # no empty plot with the previous fit's axes

    def listed_rows(self) -> list:
        """The rows in the list (0-based indices into X), most uncertain first."""
        return [] if self._order is None else [int(i) for i in self._order[: self.n_listed]]

    def shown_rows(self) -> np.ndarray:
        """Indices of the rows drawn in the plot."""
        return np.array([], dtype=int) if self._shown is None else self._shown.copy()

    def selected_row(self):
        return self._selected

    def select_row(self, i) -> None:
        """Highlight row ``i`` (0-based index into X; None clears) in the plot and, when listed, the list."""
        if i is None or self._xy is None:
            self._selected = None
            self.highlight.setData(x=[], y=[])
            self.table.blockSignals(True)
            self.table.clearSelection()
            self.table.blockSignals(False)
            return
        i = int(i)
        if not 0 <= i < self._xy.shape[0]:
            raise ValueError(f"row must be between 0 and {self._xy.shape[0] - 1}; got {i}.")
        self._selected = i
        x, y = self._xy[i]
        if np.isfinite(x) and np.isfinite(y):
            self.highlight.setData(x=[x], y=[y])
        else:
            self.highlight.setData(x=[], y=[])
        listed = self.listed_rows()
        self.table.blockSignals(True)
        if i in listed:
            self.table.selectRow(listed.index(i))
            self.table.scrollToItem(self.table.item(listed.index(i), 0))
        else:
            self.table.clearSelection()
        self.table.blockSignals(False)

    # ------------------------------------------------------------------ internals
    def _fill_table(self):
        rows = self.listed_rows()
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for r, i in enumerate(rows):
            shown = i + 1 if self._row_numbers is None else int(self._row_numbers[i])
            cells = (str(shown), f"{self._values[i]:.4f}", str(int(self._labels[i]) + 1))
            for c, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                if c == 2:
                    item.setForeground(QtGui.QBrush(self._brushes[int(self._labels[i])].color().darker(130)))
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()

    @QtCore.Slot()
    def _on_table_selection(self):
        sel = self.table.selectionModel().selectedRows()
        if not sel:
            return
        i = self.listed_rows()[sel[0].row()]
        self.select_row(i)
        self.rowSelected.emit(i)

    def _on_points_clicked(self, item, points, *args):
        if len(points) == 0:
            return
        i = int(points[0].data())
        self.select_row(i)
        self.rowSelected.emit(i)
