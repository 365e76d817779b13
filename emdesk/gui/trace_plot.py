"""Log-likelihood per iteration, one curve per restart, with a marker at the iteration on screen."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from emdesk.gui.geometry import cache_axes, component_colors

_RESTART_COLORS = [(40, 40, 40)] + [tuple(int(v) for v in c) for c in component_colors(10)]


class _IterationAxis(pg.AxisItem):
    """Iterations are whole numbers: never tick at 0.5."""

    def tickSpacing(self, minVal, maxVal, size):
        out, seen = [], set()
        for spacing, offset in super().tickSpacing(minVal, maxVal, size):
            spacing = max(float(spacing), 1.0)
            if spacing not in seen:
                seen.add(spacing)
                out.append((spacing, offset))
        return out


class TracePlot(QtWidgets.QWidget):
    """Appends points as snapshots arrive; ``set_marker(snapshot)`` moves the current-iteration marker."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget(axisItems={"bottom": _IterationAxis("bottom")})
        self.plot.setMenuEnabled(False)
        pi = self.plot.getPlotItem()
        pi.showGrid(x=True, y=True, alpha=0.15)
        cache_axes(pi)
        pi.setLabel("bottom", "iteration")
        pi.setLabel("left", "log-lik. / row")  # short: the trace is low in a 1280x720 window
        self.plot.setToolTip("Mean log-likelihood per row at each iteration, one curve per restart")
        pi.getAxis("left").enableAutoSIPrefix(False)
        self.marker_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(200, 60, 60, 160, width=1.2))
        self.marker_dot = pg.ScatterPlotItem(size=10, brush=pg.mkBrush(220, 50, 50), pen=pg.mkPen("w"))
        self.marker_line.setZValue(30)
        self.marker_dot.setZValue(31)
        pi.addItem(self.marker_line)
        pi.addItem(self.marker_dot)
        self.marker_line.setVisible(False)
        self._curves: list[pg.PlotDataItem] = []
        self._xs: list[list[int]] = []
        self._ys: list[list[float]] = []
        self._dirty: set[int] = set()  # curves with points not drawn yet (append(draw=False))
        self._titled = 0  # the number of curves the title was set for
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot)
        # Tall enough for the vertical axis label and the iteration axis (the label was cut at 720 px).
        fm = self.fontMetrics()
        self.setMinimumHeight(fm.horizontalAdvance("log-lik. / row") + 3 * fm.lineSpacing())
        self._show_values(False)  # no placeholder 0-1 ticks before the first iteration (issue 15)

    def set_objective(self, posterior: bool) -> None:
        """What EM increases: the log-likelihood, or with mclust's prior the log-posterior (log-likelihood +
        log prior density)."""
        pi = self.plot.getPlotItem()
        pi.setLabel("left", "log-post / row" if posterior else "log-lik. / row")
        self.plot.setToolTip("Mean log-posterior per row (log-likelihood + log prior density, what EM with "
                             "mclust's prior increases) at each iteration, one curve per restart" if posterior
                             else "Mean log-likelihood per row at each iteration, one curve per restart")

    def _show_values(self, on: bool) -> None:
        pi = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            pi.getAxis(name).setStyle(showValues=on)
        self._empty = not on

    def clear(self) -> None:
        for c in self._curves:
            self.plot.getPlotItem().removeItem(c)
        self._curves, self._xs, self._ys = [], [], []
        self._dirty = set()
        self._titled = 0
        self.marker_dot.setData([], [])
        self.marker_line.setVisible(False)
        self.plot.getPlotItem().setTitle(None)
        self._show_values(False)  # the previous fit's axes go with its curves
        self.plot.getPlotItem().enableAutoRange()

    def _curve(self, restart: int) -> int:
        while len(self._curves) <= restart:
            i = len(self._curves)
            col = _RESTART_COLORS[i % len(_RESTART_COLORS)]
            c = pg.PlotDataItem(pen=pg.mkPen(*col, width=1.8), symbol="o", symbolSize=4,
                                symbolBrush=pg.mkBrush(*col), symbolPen=None)
            self.plot.getPlotItem().addItem(c)
            self._curves.append(c)
            self._xs.append([])
            self._ys.append([])
        return restart

    def append(self, snapshots, draw: bool = True) -> None:
        """Add the snapshots' points; ``draw=False`` keeps them for the next ``flush()`` (the live fit draws
        the trace with its frame: batches that arrive between two frames cost one redraw of the trace)."""
        for s in snapshots:
            if not np.isfinite(s.lower_bound):
                continue
            r = self._curve(int(s.restart))
            self._xs[r].append(int(s.iteration))
            self._ys[r].append(float(s.lower_bound))
            self._dirty.add(r)
        if draw:
            self.flush()

    def flush(self) -> None:
        """Draw the points appended since the last draw."""
        if not self._dirty:
            return
        if self._empty:
            self._show_values(True)
        for r in self._dirty:
            self._curves[r].setData(np.asarray(self._xs[r]), np.asarray(self._ys[r]))
        self._dirty = set()
        n = len(self._curves)
        if n != self._titled:  # setTitle re-lays the plot out: only when the number of curves changes
            self._titled = n
            self.plot.getPlotItem().setTitle(f"{n} restarts" if n > 1 else None, size="9pt")

    def set_marker(self, snapshot) -> None:
        if snapshot is None or not np.isfinite(snapshot.lower_bound):
            self.marker_dot.setData([], [])
            self.marker_line.setVisible(False)
            return
        self.marker_line.setPos(snapshot.iteration)
        self.marker_line.setVisible(True)
        self.marker_dot.setData([snapshot.iteration], [float(snapshot.lower_bound)])
