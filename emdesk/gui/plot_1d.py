"""The live plot for one column: histogram, weighted component densities, mixture density, and a strip of
the rows coloured by their responsibilities (blend of component colours: pale blends mark uncertain rows)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.gui.geometry import (
    NEUTRAL_RGB, cache_axes, component_colors, plain_axes, dot_style, legend_columns, legend_label, marginal_covariances,
    normal_pdf, view_clip,
)
from emdesk.gui.points_item import ColoredPointsItem

_GRID = 500


def component_dof(snapshot, k: int):
    """The components' degrees of freedom (k,) of a Student-t snapshot, else None (Gaussian densities)."""
    if getattr(snapshot, "family", "gaussian") != "student_t" or not getattr(snapshot, "params", None):
        return None
    dof = np.broadcast_to(np.asarray(snapshot.params.get("dof", np.nan), dtype=float), (k,))
    return dof if np.all(np.isfinite(dof)) and np.all(dof > 0) else None


def student_t_pdf(x: np.ndarray, mean: float, scale_var: float, dof: float) -> np.ndarray:
    """Density of a univariate t with ``dof`` degrees of freedom, location ``mean`` and scale
    ``sqrt(scale_var)`` (scipy.stats.t)."""
    from scipy.stats import t

    return t.pdf(x, dof, loc=mean, scale=np.sqrt(max(float(scale_var), 1e-300)))


class Plot1D(QtWidgets.QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._name = ""
        self._values = np.zeros(0)
        self._snapshot = None
        self._resp = None
        self._k = 0
        self._grid = np.linspace(0, 1, _GRID)

        self.subset_label = QtWidgets.QLabel()
        self.subset_label.setStyleSheet("color: #8a5a00;")
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        self.title_label = QtWidgets.QLabel()
        bar.addWidget(self.title_label)
        bar.addStretch(1)
        self.missing_label = QtWidgets.QLabel()  # rows whose value is missing carry no position (issue 5)
        self.missing_label.setStyleSheet("color: #555;")
        self.missing_label.setMinimumWidth(1)  # a narrow window clips the note instead of refusing to shrink
        bar.addWidget(self.missing_label)
        bar.addSpacing(8)
        bar.addWidget(self.subset_label)

        self.view = pg.GraphicsLayoutWidget()
        self.density = self.view.addPlot(row=0, col=0)
        self.strip = self.view.addPlot(row=1, col=0)
        self.view.ci.layout.setRowStretchFactor(0, 5)
        self.view.ci.layout.setRowStretchFactor(1, 1)
        self.strip.setXLink(self.density)
        for p in (self.density, self.strip):
            p.setMenuEnabled(False)
            p.getViewBox().disableAutoRange()
            p.getAxis("left").setWidth(58)
        self.density.showGrid(x=True, y=True, alpha=0.15)
        cache_axes(self.density)
        cache_axes(self.strip)
        plain_axes(self.density)
        plain_axes(self.strip)
        self.density.setLabel("left", "density")
        self.density.getAxis("left").enableAutoSIPrefix(False)
        self.strip.hideAxis("left")
        self.strip.getAxis("left").setWidth(58)
        self.strip.showAxis("left")
        self.strip.getAxis("left").setTicks([[(0.5, "rows")]])
        self.strip.setYRange(-0.05, 1.05, padding=0)
        self.strip.getViewBox().setMouseEnabled(y=False)
        self.density.getViewBox().setMouseEnabled(y=False)

        self.hist = pg.PlotCurveItem(x=[0.0, 1.0], y=[0.0], stepMode="center", fillLevel=0,
                                     brush=pg.mkBrush(170, 178, 190, 150), pen=pg.mkPen(140, 148, 160, 200))
        self.density.addItem(self.hist)
        self.mixture = pg.PlotCurveItem(pen=pg.mkPen(30, 30, 30, 230, width=2.6))
        self.mixture.setZValue(30)
        self.density.addItem(self.mixture)
        self._curves: list[pg.PlotCurveItem] = []
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextSize="9pt", brush=pg.mkBrush(255, 255, 255, 215),
                                    pen=pg.mkPen(180, 180, 180))
        self.density.layout.addItem(self.legend, 2, 3)  # beside the plot, not over it
        self.density.layout.setAlignment(self.legend, QtCore.Qt.AlignmentFlag.AlignTop)
        self.legend.setSizePolicy(QtWidgets.QSizePolicy.Policy.Maximum, QtWidgets.QSizePolicy.Policy.Maximum)
        self.legend.setVisible(False)  # shown once there are components to list
        self.points = ColoredPointsItem(size=6, alpha=170)
        self.strip.addItem(self.points)
        # one row picked elsewhere (the Uncertainty list): a line at its value in both plots (issue 14)
        pen = pg.mkPen(220, 20, 60, 230, width=2)
        self.picked_lines = [pg.InfiniteLine(angle=90, movable=False, pen=pen) for _ in range(2)]
        for plot, line in zip((self.density, self.strip), self.picked_lines):
            line.setZValue(40)
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(bar)
        lay.addWidget(self.view, 1)

    def set_data(self, values_all: np.ndarray, values_display: np.ndarray, name: str) -> None:
        """values_all: the whole column (for the histogram); values_display: the rows drawn in the strip."""
        v = np.asarray(values_all, dtype=float)
        v = v[np.isfinite(v)]
        self._name = name
        self._snapshot = None
        self._resp = None
        self.title_label.setText(f"<b>{name}</b>")
        self.highlight_row(None)
        self.strip.setLabel("bottom", name)
        if v.size == 0:
            self.hist.setData([0, 1], [0])
            return
        with np.errstate(over="ignore", invalid="ignore"):  # values near the float limit
            lo, hi = np.percentile(v, [0.1, 99.9]) if v.size > 1000 else (v.min(), v.max())
        lo, hi = view_clip(lo), view_clip(hi)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        try:
            edges = np.histogram_bin_edges(v, bins="auto", range=(lo, hi))
        except (ValueError, MemoryError):  # a span near the float limit: "auto" asks for too many bins
            edges = np.linspace(lo, hi, 121)
        if edges.size > 121:
            edges = np.linspace(lo, hi, 121)
        if edges.size < 16:
            edges = np.linspace(lo, hi, 16)
        counts, edges = np.histogram(v, bins=edges)
        dens = counts / max(v.size, 1) / np.diff(edges)
        self.hist.setData(edges, dens)
        pad = 0.08 * (hi - lo)
        self._grid = np.linspace(lo - pad, hi + pad, _GRID)
        self.density.setXRange(lo - pad, hi + pad, padding=0)
        self._ymax_hist = float(dens.max()) if dens.size else 1.0
        self.density.setYRange(0, self._ymax_hist * 1.25, padding=0)
        self._ytop = self._ymax_hist * 1.25
        d = np.asarray(values_display, dtype=float)
        jitter = np.random.default_rng(1).uniform(0.08, 0.92, d.size)
        self.points.setStyle(*dot_style(d.size))
        self.points.setPositions(d, jitter)
        self._display_n = d.size
        n_all = np.asarray(values_all).size
        if d.size < n_all:
            self.subset_label.setText(f"strip shows a random {d.size:,} of {n_all:,} rows; the fit uses all rows")
        else:
            self.subset_label.setText(f"{n_all:,} rows")
        self.clear_state()

    def highlight_row(self, values) -> None:
        """Mark one row (its values; the first is drawn; None or a missing value clears) with a line."""
        v = None if values is None else np.asarray(values, dtype=float).reshape(-1)
        show = v is not None and v.size > 0 and bool(np.isfinite(v[0]))
        self._picked_value = float(v[0]) if show else None
        for line in self.picked_lines:
            if show:
                line.setValue(float(v[0]))
            line.setVisible(show)

    def highlighted_position(self):
        """The marked value, or None."""
        return getattr(self, "_picked_value", None)

    def set_missing_count(self, n_missing: int, n_rows: int = 0) -> None:
        """Say how many rows have no value in this column (they have no position and are not fitted)."""
        n = int(n_missing)
        self.missing_label.setText("" if n <= 0 else
                                   f"{n:,}{f' of {int(n_rows):,}' if n_rows else ''} row{'s' if n != 1 else ''} "
                                   f"missing this value: not shown, not fitted")

    def _set_components(self, k: int) -> None:
        if k == self._k:
            return
        colors = component_colors(max(k, 1))
        while len(self._curves) < k:
            i = len(self._curves)
            c = QtGui.QColor(*[int(v) for v in colors[i]])
            fill = QtGui.QColor(c)
            fill.setAlpha(45)
            curve = pg.PlotCurveItem(pen=pg.mkPen(c, width=2.0), fillLevel=0, brush=pg.mkBrush(fill))
            curve.setZValue(10 + i * 0.01)
            self.density.addItem(curve)
            self._curves.append(curve)
        for i, c in enumerate(self._curves):
            c.setVisible(i < k)
        self.legend.clear()
        if k:
            self.legend.addItem(self.mixture, "mixture")
        for i in range(k):
            self.legend.addItem(self._curves[i], legend_label(i, None, k))  # final width from the start
        self.legend.setVisible(k > 0)
        self.legend.setColumnCount(legend_columns(k))
        self._k = k
        self._colors = colors[:k]

    def show_state(self, snapshot, color_ids) -> None:
        """As Plot2D.show_state: ``color_ids`` (m,) colour the rows of the strip."""
        self._snapshot = snapshot
        self._resp = color_ids
        self._redraw()

    def clear_state(self) -> None:
        self._snapshot = None
        self._set_components(0)
        self.mixture.setData([], [])
        if getattr(self, "_display_n", 0):
            self.points.setColors(np.tile(NEUTRAL_RGB, (self._display_n, 1)))

    def _redraw(self) -> None:
        s = self._snapshot
        if s is None:
            return
        k = len(s.weights)
        self._set_components(k)
        total = np.zeros_like(self._grid)
        if getattr(s, "covariances", None) is None:  # a family without means and covariances (a registered
            for i in range(k):                       # one, emdesk.session.register_family): rows coloured only
                self._curves[i].setData([], [])
            self.mixture.setData([], [])
        else:
            means = np.asarray(s.means)[:, 0]
            var = marginal_covariances(s.covariances, s.covariance_type, k, [0])[:, 0, 0]
            dof = component_dof(s, k)
            for i in range(k):
                if dof is None:
                    y = float(s.weights[i]) * normal_pdf(self._grid, means[i], var[i])
                else:  # Student-t: the marginal of one column is a t with the same dof, scale Sigma_ii
                    y = float(s.weights[i]) * student_t_pdf(self._grid, means[i], var[i], dof[i])
                total += y
                self._curves[i].setData(self._grid, y)
            self.mixture.setData(self._grid, total)
        # Grow the y range when a density peaks above it, never shrink it while animating (no jumping view).
        peak = float(np.nanmax(total)) if total.size else 0.0
        if np.isfinite(peak) and peak > self._ytop:
            self._ytop = min(peak * 1.1, self._ymax_hist * 6.0)
            self.density.setYRange(0, self._ytop, padding=0)
        flagged = {int(issue.component) for issue in (getattr(s, "issues", None) or ())}
        for i, (sample, label) in enumerate(self.legend.items[1:]):
            text = legend_label(i, s.weights[i], k, i in flagged) if i < k else None
            if text is not None and text != label.text:  # setText re-lays the legend out: only on a change
                label.setText(text)
        if flagged != getattr(self, "_flagged", set()):
            self._flagged = flagged
            self.legend.updateSize()
        if self._resp is not None and self._resp.shape[0] == getattr(self, "_display_n", -1):
            self.points.setColorIds(self._resp)
