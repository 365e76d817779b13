"""The live plot for two or more columns: scatter coloured by responsibilities, means, 1/2-sigma ellipses."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.gui.geometry import (
    cache_axes, component_colors, dot_style, plain_axes, ellipse, legend_columns, legend_label, marginal_covariances, NEUTRAL_RGB,
    padded_range,
)
from emdesk.gui.points_item import ColoredPointsItem

IMPUTED_SYMBOL = "+"  # how the plot note and the legend name the marker of rows drawn at imputed positions


class ImputedPointsItem(ColoredPointsItem):
    """The rows whose x or y is missing, drawn as "+" crosses (in their responsibility colour; the means are
    black "x") at their imputed position: the same one-call atlas drawing as the round dots, with a cross in
    every atlas cell."""

    def _set_mark_style(self, p: QtGui.QPainter, idx: int) -> None:
        col = self._palette_color(idx).darker(125)
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.setPen(QtGui.QPen(col, 2.0, QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenCapStyle.FlatCap))

    def _draw_mark(self, p: QtGui.QPainter, cx: float, cy: float) -> None:
        h = self._size / 2.0
        p.drawLine(QtCore.QPointF(cx - h, cy), QtCore.QPointF(cx + h, cy))
        p.drawLine(QtCore.QPointF(cx, cy - h), QtCore.QPointF(cx, cy + h))


class Plot2D(QtWidgets.QWidget):
    """Scatter of two displayed columns with x/y pickers. Items are created once and updated in place."""

    axesChanged = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._names: list[str] = []
        self._X = np.zeros((0, 2))
        self._n_total = 0
        self._ix, self._iy = 0, 1
        self._snapshot = None
        self._resp = None
        self._k = 0
        # Incomplete displayed rows (issue 5): indices of rows with a NaN, their imputed values under the
        # state on screen, and the rows drawn as crosses for the current axes (x or y missing).
        self._inc_rows = np.zeros(0, dtype=np.int64)
        self._imputed = None
        self._hollow = np.zeros(0, dtype=np.int64)
        self._hollow_in_inc = np.zeros(0, dtype=np.int64)

        self.x_combo = QtWidgets.QComboBox()
        self.y_combo = QtWidgets.QComboBox()
        self.x_combo.setToolTip("Column on the horizontal axis")
        self.y_combo.setToolTip("Column on the vertical axis")
        for c in (self.x_combo, self.y_combo):  # the column's name whole ("température", not "tempéra"), up to a cap
            c.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
            c.setMaximumWidth(240)
        self.subset_label = QtWidgets.QLabel()
        self.subset_label.setStyleSheet("color: #8a5a00;")
        self.missing_label = QtWidgets.QLabel()
        self.missing_label.setStyleSheet("color: #555;")
        self.missing_label.setMinimumWidth(1)  # a narrow window clips the note instead of refusing to shrink
        self.missing_label.setToolTip("Rows with a missing value on a displayed axis are drawn as crosses at "
                                      "their conditional expectation under the parameters on screen")
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        bar.addWidget(QtWidgets.QLabel("x:"))
        bar.addWidget(self.x_combo)
        bar.addSpacing(8)
        bar.addWidget(QtWidgets.QLabel("y:"))
        bar.addWidget(self.y_combo)
        bar.addStretch(1)
        bar.addWidget(self.missing_label)
        bar.addSpacing(8)
        bar.addWidget(self.subset_label)
        self._picker_widgets = [self.x_combo, self.y_combo]

        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        pi = self.plot.getPlotItem()
        pi.showGrid(x=True, y=True, alpha=0.15)
        cache_axes(pi)
        plain_axes(pi)
        pi.getViewBox().disableAutoRange()
        self.points = ColoredPointsItem(size=6, alpha=190)
        pi.addItem(self.points)
        self.imputed = ImputedPointsItem(size=7, alpha=235)
        self.imputed.setZValue(5)
        pi.addItem(self.imputed)
        self._imputed_sample = pg.ScatterPlotItem(size=10, symbol="+", brush=pg.mkBrush(90, 90, 90),
                                                  pen=pg.mkPen(90, 90, 90))
        # one row picked elsewhere (the Uncertainty list): a ring around it, above everything (issue 14)
        self._picked = None
        self.picked = pg.ScatterPlotItem(pxMode=True, size=20, symbol="o", brush=None,
                                         pen=pg.mkPen(220, 20, 60, 255, width=2.5))
        self.picked.setZValue(40)
        pi.addItem(self.picked)
        self.means = pg.ScatterPlotItem(size=13, symbol="x", pen=pg.mkPen("k", width=1.5))
        self.means.setZValue(20)
        pi.addItem(self.means)
        self._ellipses: list[tuple[pg.PlotCurveItem, pg.PlotCurveItem]] = []
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextSize="9pt", brush=pg.mkBrush(255, 255, 255, 215),
                                    pen=pg.mkPen(180, 180, 180))
        pi.layout.addItem(self.legend, 2, 3)  # a side list right of the plot: never over the data (issue 15)
        pi.layout.setAlignment(self.legend, QtCore.Qt.AlignmentFlag.AlignTop)
        self.legend.setSizePolicy(QtWidgets.QSizePolicy.Policy.Maximum, QtWidgets.QSizePolicy.Policy.Maximum)
        self.legend.setVisible(False)  # shown once there are components to list
        self._legend_samples: list[pg.ScatterPlotItem] = []

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(bar)
        lay.addWidget(self.plot, 1)

        self.x_combo.currentIndexChanged.connect(self._axes_picked)
        self.y_combo.currentIndexChanged.connect(self._axes_picked)

    # -- data ---------------------------------------------------------------------------------------
    def set_data(self, X_display: np.ndarray, names: list[str], n_total: int) -> None:
        """X_display: the (m, d) rows to draw (a random subset when the data are large)."""
        self._X = np.asarray(X_display, dtype=float)
        self._inc_rows = np.flatnonzero(np.isnan(self._X).any(axis=1)) if self._X.size else np.zeros(0, np.int64)
        self._imputed = None
        self._names = list(names)
        self._n_total = int(n_total)
        self._snapshot = None
        self._resp = None
        self._picked = None
        for c in (self.x_combo, self.y_combo):
            c.blockSignals(True)
            c.clear()
            c.addItems(self._names)
            c.blockSignals(False)
        self._ix, self._iy = 0, min(1, len(names) - 1)
        self.x_combo.setCurrentIndex(self._ix)
        self.y_combo.setCurrentIndex(self._iy)
        show_pickers = len(names) > 2
        for w in self._picker_widgets:
            w.setEnabled(show_pickers)
        m = self._X.shape[0]
        self.points.setStyle(*dot_style(m))
        if m < self._n_total:
            self.subset_label.setText(f"random {m:,} of {self._n_total:,} rows shown; the fit uses all")
        else:
            self.subset_label.setText(f"{m:,} rows")
        self._set_components(0)
        self._apply_axes()
        self._place_picked()

    def highlight_row(self, values) -> None:
        """Ring one row (its d values, the plot's columns; None clears) on whichever columns are displayed
        (it follows an axis change); a row missing a displayed value is not ringed."""
        self._picked = None if values is None else np.asarray(values, dtype=float).reshape(-1)
        self._place_picked()

    def highlighted_position(self):
        """``(x, y)`` of the ringed row as drawn, or None."""
        x, y = self.picked.getData()
        return (float(x[0]), float(y[0])) if len(x) else None

    def _place_picked(self) -> None:
        v = self._picked
        if v is None or v.size <= max(self._ix, self._iy) or not np.isfinite(v[[self._ix, self._iy]]).all():
            self.picked.setData(x=[], y=[])
        else:
            self.picked.setData(x=[v[self._ix]], y=[v[self._iy]])

    def _axes_picked(self) -> None:
        self._ix = max(self.x_combo.currentIndex(), 0)
        self._iy = max(self.y_combo.currentIndex(), 0)
        self._apply_axes()
        self._place_picked()
        self.axesChanged.emit()

    def displayed_columns(self) -> tuple[str, str]:
        return self._names[self._ix], self._names[self._iy]

    def _apply_axes(self) -> None:
        if self._X.shape[0] == 0:
            self.points.setPositions(np.zeros(0), np.zeros(0))
            self._hollow = self._hollow_in_inc = np.zeros(0, dtype=np.int64)
            self._place_imputed()
            return
        x, y = self._X[:, self._ix], self._X[:, self._iy]
        self.points.setPositions(x, y)
        inc = self._inc_rows
        hollow = ~(np.isfinite(x[inc]) & np.isfinite(y[inc]))
        self._hollow_in_inc = np.flatnonzero(hollow)
        self._hollow = inc[self._hollow_in_inc]
        self._place_imputed()
        pi = self.plot.getPlotItem()
        pi.setLabel("bottom", self._names[self._ix])
        pi.setLabel("left", self._names[self._iy])
        # A fixed view per axis choice (robust range of the data) so frames never make the view jump.
        rng = []
        for v in (x, y):
            v = v[np.isfinite(v)]
            if v.size == 0:
                rng.append((0.0, 1.0))
                continue
            with np.errstate(over="ignore", invalid="ignore"):  # values near the float limit
                lo, hi = np.percentile(v, [0.2, 99.8])
            rng.append(padded_range(lo, hi, 0.08))
        pi.getViewBox().setRange(xRange=rng[0], yRange=rng[1], padding=0)
        self._redraw()

    # -- per frame ----------------------------------------------------------------------------------
    def _set_components(self, k: int) -> None:
        if k == self._k:
            return
        pi = self.plot.getPlotItem()
        colors = component_colors(max(k, 1))
        while len(self._ellipses) < k:
            i = len(self._ellipses)
            c = QtGui.QColor(*[int(v) for v in colors[i]])
            e1 = pg.PlotCurveItem(pen=pg.mkPen(c, width=2.2))
            e2 = pg.PlotCurveItem(pen=pg.mkPen(c, width=1.4, style=QtCore.Qt.PenStyle.DashLine))
            for e in (e1, e2):
                e.setZValue(15)
                pi.addItem(e)
            self._ellipses.append((e1, e2))
        for i, (e1, e2) in enumerate(self._ellipses):
            e1.setVisible(i < k)
            e2.setVisible(i < k)
        self.legend.clear()
        self._legend_samples = []
        for i in range(k):
            c = QtGui.QColor(*[int(v) for v in colors[i]])
            sample = pg.ScatterPlotItem(size=10, symbol="o", brush=pg.mkBrush(c), pen=pg.mkPen(c.darker(140)))
            self.legend.addItem(sample, legend_label(i, None, k))  # final width from the start
            self._legend_samples.append(sample)
        self.legend.setVisible(k > 0)
        self.legend.setColumnCount(legend_columns(k))
        self._k = k
        self._colors = colors[:k] if k else colors[:0]
        self._mean_brushes = [pg.mkBrush(*[int(v) for v in c]) for c in self._colors]  # once, not per frame
        self._sync_imputed_legend()

    def _sync_imputed_legend(self) -> None:
        """The legend lists the imputed-row marker (after the components: items[:k] stay theirs) while
        there are rows drawn with it."""
        want = self._k > 0 and self._hollow.size > 0
        # LegendItem wraps what it is given in an ItemSample (pyqtgraph LegendItem.addItem): compare .item
        have = any(getattr(sample, "item", sample) is self._imputed_sample for sample, _ in self.legend.items)
        if want and not have:
            self.legend.addItem(self._imputed_sample, "imputed")
        elif have and not want:
            self.legend.removeItem(self._imputed_sample)

    def show_state(self, snapshot, color_ids: np.ndarray | None) -> None:
        """Draw a snapshot; ``color_ids`` colour the displayed rows by their responsibilities
        (geometry.responsibility_color_ids), None leaves the points as they are."""
        self._snapshot = snapshot
        self._resp = color_ids
        self._redraw()

    def set_imputed(self, values: np.ndarray | None) -> None:
        """Imputed values (conditional expectations under the state about to be shown) of the displayed
        rows with a missing value, in row order: shape (number of such rows, d). None: none to draw."""
        if values is not None:
            values = np.asarray(values, dtype=float)
            if values.shape != (self._inc_rows.size, self._X.shape[1]):
                values = None
        self._imputed = values
        self._place_imputed()

    def imputed_positions(self) -> np.ndarray:
        """The (x, y) of the crosses drawn now (rows with x or y missing), shape (n, 2)."""
        return np.column_stack([self.imputed._x, self.imputed._y])

    def set_left_out(self, n_rows: int, dropped: bool = False) -> None:
        """Rows of the file with missing values that are neither fitted nor drawn: incomplete rows dropped
        (``dropped``), or rows with no value in the ticked columns. The note above the plot counts them."""
        n = int(n_rows)
        self._left_out_text = ("" if n <= 0 else f"{n:,} incomplete row{'s' if n != 1 else ''} dropped" if dropped
                               else f"{n:,} row{'s' if n != 1 else ''} with no value left out")
        self._place_imputed()

    def _place_imputed(self) -> None:
        n = self._hollow.size
        if self._imputed is None or n == 0:
            self.imputed.setPositions(np.zeros(0), np.zeros(0))
        else:
            rows = self._imputed[self._hollow_in_inc]
            self.imputed.setPositions(rows[:, self._ix], rows[:, self._iy])
        if n == 0:
            text = ""
        elif self._imputed is None:
            text = f"{n:,} {'row has' if n == 1 else 'rows have'} no x or y value: drawn as {IMPUTED_SYMBOL} at their estimate once fitted"
        else:
            text = f"{IMPUTED_SYMBOL} {n:,} imputed (x or y missing)"
        left_out = getattr(self, "_left_out_text", "")
        if left_out:
            text += ("; " if text else "") + left_out
        self.missing_label.setText(text)
        self._sync_imputed_legend()

    def clear_state(self) -> None:
        self._snapshot = None
        self._resp = None
        if self._imputed is not None:
            self.set_imputed(None)
        self._set_components(0)
        self.means.setData([], [])
        if self._X.shape[0]:
            self.points.setColors(np.tile(NEUTRAL_RGB, (self._X.shape[0], 1)))

    def _redraw(self) -> None:
        s = self._snapshot
        if s is None or self._X.shape[0] == 0:
            self.clear_state() if s is None else None
            return
        k = len(s.weights)
        self._set_components(k)
        ix, iy = self._ix, self._iy
        if getattr(s, "covariances", None) is None:  # a family without means and covariances (a registered
            self.means.setData([], [])               # one, emdesk.session.register_family): points coloured only
            for pair in self._ellipses[:k]:
                for item in pair:
                    item.setData([], [])
        else:
            means = np.asarray(s.means)
            self.means.setData(means[:, ix], means[:, iy], brush=self._mean_brushes)
            covs = marginal_covariances(s.covariances, s.covariance_type, k, [ix, iy])
            for i in range(k):
                mu = (means[i, ix], means[i, iy])
                for radius, item in zip((1.0, 2.0), self._ellipses[i]):
                    ex, ey = ellipse(mu, covs[i], radius)
                    item.setData(ex, ey)
        flagged = {int(issue.component) for issue in (getattr(s, "issues", None) or ())}
        for i, (sample, label) in enumerate(self.legend.items):
            text = legend_label(i, s.weights[i], k, i in flagged) if i < k else None
            if text is not None and text != label.text:  # setText re-lays the legend out: only on a change
                label.setText(text)
        if flagged != getattr(self, "_flagged", set()):
            self._flagged = flagged
            self.legend.updateSize()
        if self._resp is not None and self._resp.shape[0] == self._X.shape[0]:
            self.points.setColorIds(self._resp)
            if self._hollow.size:
                self.imputed.setColorIds(self._resp[self._hollow])
