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

from .geometry import component_colors, plain_axes

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
        for box in (self.component_box, self.column_box):  # "1 (49 rows)", not "1 (49 rov"
            box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
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

        for plot in (self.qq_plot, self.marg_plot, self.pit_plot):
            plain_axes(plot.getPlotItem())

        self.mixture_page = QtWidgets.QWidget()
        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Component:"))
        top.addWidget(self.component_box)
        top.addSpacing(16)
        top.addWidget(QtWidgets.QLabel("Column:"))
        top.addWidget(self.column_box)
        top.addStretch(1)
        self.grid = QtWidgets.QGridLayout()
        self._columns = 0
        self._arrange(3)
        page = QtWidgets.QVBoxLayout(self.mixture_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.addLayout(top)
        page.addLayout(self.grid, 1)

        self.residuals_view = PseudoResidualsView()
        self.pages = QtWidgets.QStackedWidget()
        self.pages.addWidget(self.mixture_page)
        self.pages.addWidget(self.residuals_view)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.hints_label)

    # Three plots side by side need about this many pixels each; a narrower view (the dock beside the main
    # plot: 390 px at 1280x720, where each plot was 115 px wide, its title cut to "Q-Q, cor") stacks them,
    # one per row, and its scroll area scrolls.
    PLOT_WIDTH = 260
    PLOT_HEIGHT = 200

    def _arrange(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        plots = (self.qq_plot, self.marg_plot, self.pit_plot)
        for plot in plots:
            self.grid.removeWidget(plot)
        for i, plot in enumerate(plots):
            # the view's height is its rows' minimum heights, plus what the dock has to spare: the plots'
            # preferred height (pyqtgraph's 480 px) made it 1,500 px tall in the dock's scroll area
            plot.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Ignored)
            self.grid.addWidget(plot, *((0, i) if columns == 3 else (i, 0)))
            plot.setMinimumSize(120, 150 if columns == 3 else self.PLOT_HEIGHT)
        for r in range(3):
            self.grid.setRowStretch(r, 1 if columns == 1 or r == 0 else 0)
            self.grid.setColumnStretch(r, 1 if columns == 3 or r == 0 else 0)

    def plot_columns(self) -> int:
        """How many of the mixture checks' plots stand side by side (3, or 1 in a narrow view)."""
        return self._columns

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange(3 if event.size().width() >= 3 * self.PLOT_WIDTH else 1)

    # ------------------------------------------------------------------ public
    def checks(self):
        return self._checks

    def set_pseudo_residuals(self, residuals) -> None:
        """Show an HMM's :class:`emdesk.engine.checks.PseudoResiduals` (pseudo-residuals over time, their
        normal Q-Q plot and autocorrelation; None clears)."""
        if residuals is None:
            self.clear()
            return
        self._checks = residuals
        self.pages.setCurrentWidget(self.residuals_view)
        self.residuals_view.set_residuals(residuals)
        self._show_hints([h.message for h in residuals.hints],
                         "The pseudo-residuals look like independent standard normal values: no check points "
                         "at a problem." + (f" {residuals.note}" if residuals.note else ""))

    def _show_hints(self, messages, fine) -> None:
        if messages:
            self.hints_label.setText("<b>Where the model may not fit:</b><ul>"
                                     + "".join(f"<li>{html.escape(m)}</li>" for m in messages) + "</ul>")
        else:
            self.hints_label.setText(fine)
        self.hintsChanged.emit(messages)

    def set_checks(self, checks) -> None:
        """Show a :class:`emdesk.engine.checks.ModelChecks` (None clears)."""
        if checks is None:
            self.clear()
            return
        self.pages.setCurrentWidget(self.mixture_page)
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
        self._show_hints([h.message for h in checks.hints],
                         "No check points at a problem: the components look Gaussian and the marginals match "
                         "the data.")

    def clear(self) -> None:
        self._checks = None
        self.pages.setCurrentWidget(self.mixture_page)
        self.residuals_view.clear()
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
        if self._checks is None or self.component_box.currentIndex() < 0 or not hasattr(self._checks, "qq"):
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
        if self._checks is None or self.column_box.currentIndex() < 0 or not hasattr(self._checks, "marginals"):
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


class PseudoResidualsView(QtWidgets.QWidget):
    """An HMM's normal pseudo-residuals (:func:`emdesk.engine.checks.hmm_pseudo_residuals`) for one column:
    over time (with the +-1.96 band; discrete data: the mid-residuals), against standard normal quantiles
    (Q-Q), and their autocorrelation with the approximate 95% band.  The column combo chooses the column."""

    def __init__(self, parent=None, max_points=20000):
        super().__init__(parent)
        self._res = None
        self.max_points = int(max_points)
        self.column_box = QtWidgets.QComboBox()
        self.column_box.currentIndexChanged.connect(self._draw)
        self.kind_label = QtWidgets.QLabel("")
        self.kind_label.setStyleSheet("color: #555;")
        dash = pg.mkPen((120, 120, 120), width=1.2, style=QtCore.Qt.PenStyle.DashLine)
        self.time_plot = pg.PlotWidget(background="w", title="Over time")
        self.time_plot.setLabel("bottom", "time step (row, sequences in turn)")
        self.time_plot.setLabel("left", "z")
        self.time_points = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(40, 90, 160, 170))
        self.time_band = [pg.InfiniteLine(pos=v, angle=0, pen=dash) for v in (-1.96, 1.96)]
        self.time_plot.addItem(self.time_points)
        for line in self.time_band:
            self.time_plot.addItem(line)
        self.qq_plot = pg.PlotWidget(background="w", title="Normal Q-Q")
        self.qq_plot.setLabel("bottom", "standard normal quantile")
        self.qq_plot.setLabel("left", "pseudo-residual")
        self.qq_points = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(40, 90, 160, 190))
        self.qq_line = pg.PlotDataItem(pen=dash)
        self.qq_plot.addItem(self.qq_line)
        self.qq_plot.addItem(self.qq_points)
        self.qq_stats = pg.TextItem(color=(60, 60, 60), anchor=(0, 0))
        self.qq_plot.addItem(self.qq_stats)
        self.acf_plot = pg.PlotWidget(background="w", title="Autocorrelation")
        self.acf_plot.setLabel("bottom", "lag")
        self.acf_plot.setLabel("left", "ACF")
        self.acf_bars = pg.BarGraphItem(x=[0], height=[0], width=0.35, brush=pg.mkBrush(40, 90, 160, 200))
        self.acf_plot.addItem(self.acf_bars)
        self.acf_band = [pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen((200, 60, 60), width=1.2,
                                                                          style=QtCore.Qt.PenStyle.DashLine))
                         for _ in range(2)]
        for line in self.acf_band:
            self.acf_plot.addItem(line)
        self.acf_plot.getAxis("left").enableAutoSIPrefix(False)
        self.kind_label.setWordWrap(True)
        self.kind_label.setMinimumWidth(1)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Column:"))
        top.addWidget(self.column_box)
        top.addStretch(1)
        # one plot per row: the dock is narrow beside the main plot (seen at 1280x720 and 1920x1080)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.kind_label)
        for plot in (self.time_plot, self.qq_plot, self.acf_plot):
            plot.setMinimumSize(120, 150)
            plot.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Ignored)
            lay.addWidget(plot, 1)

    def residuals(self):
        return self._res

    def set_residuals(self, res) -> None:
        self._res = res
        i0 = max(0, min(self.column_box.currentIndex(), len(res.columns) - 1))
        self.column_box.blockSignals(True)
        self.column_box.clear()
        self.column_box.addItems([c.name for c in res.columns])
        self.column_box.setCurrentIndex(i0)
        self.column_box.blockSignals(False)
        what = ("One-step forecast pseudo-residuals" if res.kind == "forecast"
                else "Ordinary pseudo-residuals (given all other time steps)")
        self.kind_label.setText(what + (" (mid-pseudo-residuals of discrete data)" if res.discrete else "")
                                + ": independent N(0, 1) when the model is right."
                                + (" " + res.note if "first" in res.note else ""))
        self._draw()

    def set_column(self, i: int) -> None:
        self.column_box.setCurrentIndex(int(i))

    def clear(self) -> None:
        self._res = None
        self.column_box.blockSignals(True)
        self.column_box.clear()
        self.column_box.blockSignals(False)
        self.time_points.setData(x=[], y=[])
        self.qq_points.setData(x=[], y=[])
        self.qq_line.setData([], [])
        self.qq_stats.setText("")
        self.acf_bars.setOpts(x=[0], height=[0])
        self.kind_label.setText("")

    @QtCore.Slot()
    def _draw(self, *_):
        res = self._res
        i = self.column_box.currentIndex()
        if res is None or i < 0:
            return
        c = res.columns[i]
        t, z = c.rows.astype(float) + 1.0, c.residuals  # time steps from 1, as the other views and messages
        if z.size > self.max_points:  # display only: evenly spaced rows
            idx = np.unique(np.linspace(0, z.size - 1, self.max_points).round().astype(int))
            t, z = t[idx], z[idx]
        self.time_points.setData(x=t, y=z)
        q, s = c.theoretical, c.sorted_residuals
        if q.size > self.max_points:
            idx = np.unique(np.linspace(0, q.size - 1, self.max_points).round().astype(int))
            q, s = q[idx], s[idx]
        self.qq_points.setData(x=q, y=s)
        lim = float(max(np.abs(q).max() if q.size else 3.0, np.abs(s).max() if s.size else 3.0, 3.0))
        self.qq_line.setData([-lim, lim], [-lim, lim])
        self.qq_stats.setText(f"KS {c.ks_statistic:.3f}, p = {c.p_value:.3g}" if np.isfinite(c.ks_statistic)
                              else "too few values")
        self.qq_stats.setPos(-lim, lim)
        lags = np.arange(1, c.acf.size)
        self.acf_bars.setOpts(x=lags, height=c.acf[1:], width=0.35)
        band = c.acf_band if np.isfinite(c.acf_band) else 0.0
        self.acf_band[0].setValue(band)
        self.acf_band[1].setValue(-band)
        top = float(max(0.3, np.abs(c.acf[1:]).max() * 1.15 if c.acf.size > 1 else 0.3, band * 1.3))
        self.acf_plot.setYRange(-top, top)
        self.acf_plot.setXRange(0.5, max(c.acf.size - 0.5, 1.5))
        self.time_plot.setTitle(f"{c.name}: over time")
