"""The live plot for two or more columns: scatter coloured by responsibilities, means, 1/2-sigma ellipses."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.gui.geometry import (
    cache_axes, component_colors, dot_style, ellipse, legend_columns, legend_label, marginal_covariances, NEUTRAL_RGB,
)
from emdesk.gui.points_item import ColoredPointsItem


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

        self.x_combo = QtWidgets.QComboBox()
        self.y_combo = QtWidgets.QComboBox()
        self.x_combo.setToolTip("Column on the horizontal axis")
        self.y_combo.setToolTip("Column on the vertical axis")
        self.subset_label = QtWidgets.QLabel()
        self.subset_label.setStyleSheet("color: #8a5a00;")
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        bar.addWidget(QtWidgets.QLabel("x:"))
        bar.addWidget(self.x_combo)
        bar.addSpacing(8)
        bar.addWidget(QtWidgets.QLabel("y:"))
        bar.addWidget(self.y_combo)
        bar.addStretch(1)
        bar.addWidget(self.subset_label)
        self._picker_widgets = [self.x_combo, self.y_combo]

        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        pi = self.plot.getPlotItem()
        pi.showGrid(x=True, y=True, alpha=0.15)
        cache_axes(pi)
        pi.getViewBox().disableAutoRange()
        self.points = ColoredPointsItem(size=6, alpha=190)
        pi.addItem(self.points)
        self.means = pg.ScatterPlotItem(size=13, symbol="x", pen=pg.mkPen("k", width=1.5))
        self.means.setZValue(20)
        pi.addItem(self.means)
        self._ellipses: list[tuple[pg.PlotCurveItem, pg.PlotCurveItem]] = []
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextSize="9pt", brush=pg.mkBrush(255, 255, 255, 215),
                                    pen=pg.mkPen(180, 180, 180))
        self.legend.setParentItem(pi.getViewBox())
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
        self._names = list(names)
        self._n_total = int(n_total)
        self._snapshot = None
        self._resp = None
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
            self.subset_label.setText(f"showing a random {m:,} of {self._n_total:,} rows; the fit uses all rows")
        else:
            self.subset_label.setText(f"{m:,} rows")
        self._set_components(0)
        self._apply_axes()

    def _axes_picked(self) -> None:
        self._ix = max(self.x_combo.currentIndex(), 0)
        self._iy = max(self.y_combo.currentIndex(), 0)
        self._apply_axes()
        self.axesChanged.emit()

    def displayed_columns(self) -> tuple[str, str]:
        return self._names[self._ix], self._names[self._iy]

    def _apply_axes(self) -> None:
        if self._X.shape[0] == 0:
            self.points.setPositions(np.zeros(0), np.zeros(0))
            return
        x, y = self._X[:, self._ix], self._X[:, self._iy]
        self.points.setPositions(x, y)
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
            lo, hi = np.percentile(v, [0.2, 99.8])
            pad = 0.08 * (hi - lo if hi > lo else 1.0)
            rng.append((lo - pad, hi + pad))
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

    def show_state(self, snapshot, color_ids: np.ndarray | None) -> None:
        """Draw a snapshot; ``color_ids`` colour the displayed rows by their responsibilities
        (geometry.responsibility_color_ids), None leaves the points as they are."""
        self._snapshot = snapshot
        self._resp = color_ids
        self._redraw()

    def clear_state(self) -> None:
        self._snapshot = None
        self._resp = None
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
        means = np.asarray(s.means)
        self.means.setData(means[:, ix], means[:, iy], brush=[pg.mkBrush(*[int(v) for v in c]) for c in self._colors])
        covs = marginal_covariances(s.covariances, s.covariance_type, k, [ix, iy])
        for i in range(k):
            mu = (means[i, ix], means[i, iy])
            for radius, item in zip((1.0, 2.0), self._ellipses[i]):
                ex, ey = ellipse(mu, covs[i], radius)
                item.setData(ex, ey)
        flagged = {int(issue.component) for issue in (getattr(s, "issues", None) or ())}
        for i, (sample, label) in enumerate(self.legend.items):
            if i < k:
                label.setText(legend_label(i, s.weights[i], k, i in flagged))
        if flagged != getattr(self, "_flagged", set()):
            self._flagged = flagged
            self.legend.updateSize()
        if self._resp is not None and self._resp.shape[0] == self._X.shape[0]:
            self.points.setColorIds(self._resp)
