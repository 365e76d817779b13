"""The checks view (issue 14, "Does the model fit?"): the Q-Q plot of a component's squared Mahalanobis
distances against chi-square(d), a column's histogram with the fitted marginal mixture density, the
histogram of its probability integral transform (flat when the model fits), and the hints in plain words.

Standalone widget; the window feeds it after a fit::

    view = ChecksView()
    view.set_checks(emdesk.engine.checks.check_model(model, X, feature_names=columns))
    view.clear()                                   # new data

``set_component(j)`` / ``set_column(i)`` choose what is drawn (also from the two combo boxes); the
signal ``hintsChanged(list)`` carries the hint messages after ``set_checks`` (the window may show them in
its status bar).  Plot items are created once; switching component or column only calls ``setData``.
"""

from __future__ import annotations

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .geometry import component_colors

__all__ = ["ChecksView"]


class ChecksView(QtWidgets.QWidget):
    """See the module docstring."""

    hintsChanged = QtCore.Signal(list)

    def __init__(self, parent=None, max_qq_points=5000):
        super().__init__(parent)
        self._checks = None
        self.max_qq_points = int(max_qq_points)

        self.component_box = QtWidgets.QComboBox()
        self.column_box = QtWidgets.QComboBox()
        self.component_box.currentIndexChanged.connect(self._draw_qq)
        self.column_box.currentIndexChanged.connect(self._draw_marginal)
        self.hints_label = QtWidgets.QLabel("No fit yet.")
        self.hints_label.setWordWrap(True)
        self.hints_label.setTextFormat(QtCore.Qt.TextFormat.RichText)

        self.qq_plot = pg.PlotWidget(background="w", title="Q-Q: squared Mahalanobis distance")
        self.qq_plot.setLabel("bottom", "chi-square quantile")
        self.qq_plot.setLabel("left", "squared distance")
        self.qq_line = pg.PlotDataItem(pen=pg.mkPen((120, 120, 120), width=1.5, style=QtCore.Qt.PenStyle.DashLine))
        self.qq_points = pg.ScatterPlotItem(size=5, pen=None)
        self.qq_plot.addItem(self.qq_line)
        self.qq_plot.addItem(self.qq_points)
        self.qq_stats = pg.TextItem(color=(60, 60, 60), anchor=(0, 0))
        self.qq_plot.addItem(self.qq_stats)

        self.marg_plot = pg.PlotWidget(background="w", title="Histogram and fitted density")
        self.marg_plot.setLabel("left", "density")
        self.marg_plot.getAxis("left").enableAutoSIPrefix(False)
        self.hist = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=(170, 180, 200, 120),
                                    pen=pg.mkPen((120, 130, 150)))
        self.density = pg.PlotDataItem(pen=pg.mkPen((20, 20, 20), width=2))
        self.marg_plot.addItem(self.hist)
        self.marg_plot.addItem(self.density)
        self.component_curves = []

        self.pit_plot = pg.PlotWidget(background="w", title="Probability integral transform")
        self.pit_plot.setLabel("bottom", "F(x) under the fitted marginal")
        self.pit_plot.setLabel("left", "density")
        self.pit_hist = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=(170, 200, 170, 130),
                                        pen=pg.mkPen((110, 150, 110)))
        self.pit_flat = pg.PlotDataItem([0.0, 1.0], [1.0, 1.0],
                                        pen=pg.mkPen((120, 120, 120), width=1.5, style=QtCore.Qt.PenStyle.DashLine))
        self.pit_plot.addItem(self.pit_hist)
        self.pit_plot.addItem(self.pit_flat)
        self.pit_plot.setXRange(0.0, 1.0)
        self.pit_stats = pg.TextItem(color=(60, 60, 60), anchor=(0, 0))
        self.pit_plot.addItem(self.pit_stats)

        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Component:"))
        top.addWidget(self.component_box)
        top.addSpacing(16)
        top.addWidget(QtWidgets.QLabel("Column:"))
        top.addWidget(self.column_box)
        top.addStretch(1)
        grid = QtWidgets.QGridLayout()
        grid.addWidget(self.qq_plot, 0, 0)
        grid.addWidget(self.marg_plot, 0, 1)
        grid.addWidget(self.pit_plot, 0, 2)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        layout.addWidget(self.hints_label)

    # ------------------------------------------------------------------ public
    def checks(self):
        return self._checks

    def set_checks(self, checks) -> None:
        """Show a :class:`emdesk.engine.checks.ModelChecks` (None clears)."""
        if checks is None:
            self.clear()
            return
        self._checks = checks
        k = len(checks.qq)
        colors = component_colors(max(k, 1))
        self._qq_brushes = [pg.mkBrush(*[int(v) for v in c], 200) for c in colors]
        while len(self.component_curves) < k:
            curve = pg.PlotDataItem()
            self.marg_plot.addItem(curve)
            self.component_curves.append(curve)
        for j, curve in enumerate(self.component_curves):
            if j < k:
                curve.setPen(pg.mkPen(*[int(v) for v in colors[j]], width=1.3, style=QtCore.Qt.PenStyle.DashLine))
        j0 = max(0, min(self.component_box.currentIndex(), k - 1))
        i0 = max(0, min(self.column_box.currentIndex(), len(checks.marginals) - 1))
        for box, names, idx in ((self.component_box, [f"{j + 1} ({c.rows.size} rows)" for j, c in enumerate(checks.qq)], j0),
                                (self.column_box, [m.name for m in checks.marginals], i0)):
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            box.setCurrentIndex(idx)
            box.blockSignals(False)
        self._draw_qq()
        self._draw_marginal()
        messages = [h.message for h in checks.hints]
        if messages:
            self.hints_label.setText("<b>Where the model may not fit:</b><ul>"
                                     + "".join(f"<li>{html.escape(m)}</li>" for m in messages) + "</ul>")
        else:
            self.hints_label.setText("No check points at a problem: the components look Gaussian and the "
                                     "marginals match the data.")
        self.hintsChanged.emit(messages)

    def clear(self) -> None:
        self._checks = None
        for box in (self.component_box, self.column_box):
            box.blockSignals(True)
            box.clear()
            box.blockSignals(False)
        for item in (self.qq_points,):
            item.setData(x=[], y=[])
        for item in [self.qq_line, self.density, *self.component_curves]:
            item.setData([], [])
        self.hist.setData([0.0, 1.0], [0.0])
        self.pit_hist.setData([0.0, 1.0], [0.0])
        self.qq_stats.setText("")
        self.pit_stats.setText("")
        self.hints_label.setText("No fit yet.")

    def set_component(self, j: int) -> None:
        self.component_box.setCurrentIndex(int(j))

    def set_column(self, i: int) -> None:
        self.column_box.setCurrentIndex(int(i))

    # ------------------------------------------------------------------ drawing
    @QtCore.Slot()
    def _draw_qq(self, *_):
        if self._checks is None or self.component_box.currentIndex() < 0:
            return
        j = self.component_box.currentIndex()
        c = self._checks.qq[j]
        q, dist = c.quantiles, c.distances
        if q.size > self.max_qq_points:  # evenly spaced in rank, keeping both ends (display only)
            idx = np.unique(np.linspace(0, q.size - 1, self.max_qq_points).round().astype(int))
            q, dist = q[idx], dist[idx]
        self.qq_points.setData(x=q, y=dist, brush=self._qq_brushes[j])
        top = float(max(q.max() if q.size else 1.0, dist.max() if dist.size else 1.0))
        self.qq_line.setData([0.0, top], [0.0, top])
        self.qq_stats.setText(f"KS {c.ks_statistic:.3f}, p = {c.p_value:.3g}" if np.isfinite(c.ks_statistic)
                              else "too few rows")
        self.qq_stats.setPos(0.0, top)
        self.qq_plot.setTitle(f"Q-Q, component {j + 1}")

    @QtCore.Slot()
    def _draw_marginal(self, *_):
        if self._checks is None or self.column_box.currentIndex() < 0:
            return
        m = self._checks.marginals[self.column_box.currentIndex()]
        self.hist.setData(m.hist_edges, m.hist_density)
        self.density.setData(m.grid, m.density)
        k = m.component_densities.shape[0]
        for j, curve in enumerate(self.component_curves):
            if j < k and k > 1:
                curve.setData(m.grid, m.component_densities[j])
            else:
                curve.setData([], [])
        self.marg_plot.setLabel("bottom", m.name)
        self.marg_plot.setTitle(f"{m.name}: histogram, fitted density")
        self.pit_hist.setData(m.pit_edges, m.pit_density)
        top = float(max(1.5, m.pit_density.max() * 1.1 if m.pit_density.size else 1.5))
        self.pit_plot.setYRange(0.0, top)
        self.pit_stats.setText(f"KS {m.ks_statistic:.3f}, p = {m.p_value:.3g}" if np.isfinite(m.ks_statistic)
                               else "too few values")
        self.pit_stats.setPos(0.0, top)
