"""The states' emission densities of an HMM, drawn as the mixture views draw components: over a
histogram of the data, one curve per state scaled by the state's expected occupancy (1-D Gaussian: normal
densities; Poisson: probability mass at each count; categorical: each state's symbol probabilities), or,
for two or more Gaussian columns, the states' 1- and 2-sigma ellipses on the first two columns over the
points. Redrawn from every snapshot shown, so the emissions move per iteration with the rest of the views.
"""

from __future__ import annotations

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import numpy as np
import pyqtgraph as pg

from emdesk.gui.geometry import component_colors, ellipse, marginal_covariances, normal_pdf, plain_axes

MAX_POINTS = 5_000  # points drawn under the 2-D ellipses
SAMPLE_FIRST = 10   # from this many times MAX_POINTS rows on, the points are drawn from a random sample of rows
GRID = 200          # evaluation points of a 1-D density curve


class EmissionsPlot:
    """Owns one ``pg.PlotItem`` (``self.plot``); ``set_data(X, columns, family)``, ``show(snapshot)``,
    ``clear()``. ``self.curves`` holds each state's drawn (x, y) (tests read it)."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        plot.setTitle("Emissions by state")
        plot.showGrid(x=True, y=True, alpha=0.15)
        # densities, frequencies and values as they are (0.2 ... 0.6), not "density (x0.001)" with 200 ... 600
        # (as plot_1d), nor a column of 500-1400 as 0.5-1.4 "(x1000)"
        plain_axes(plot)
        self._items: list = []
        self._keys: list = []  # (state, colour, family) of each item in _items
        self._hist = None
        self._scatter = None
        self._X = None
        self._family = "gaussian"
        self.curves: list = []

    def set_data(self, X, columns, family: str, symbols=None) -> None:
        """``symbols``: a categorical model's labels of the codes 0, 1, ... (shown on the axis)."""
        self.clear()
        self.plot.getAxis("bottom").setTicks(
            [list(enumerate(map(str, symbols)))] if family == "categorical" and symbols else None)
        for item in (self._hist, self._scatter):
            if item is not None:
                self.plot.removeItem(item)
        self._hist = self._scatter = None
        self._family = family
        X = None if X is None else np.asarray(X, dtype=float)
        self._X = X
        if X is None or not X.shape[0]:
            return
        if family == "gaussian" and X.shape[1] >= 2:
            rows = X[:, :2]
            if rows.shape[0] > SAMPLE_FIRST * MAX_POINTS:
                # Big data: a random sample of rows first (in their order), then its complete ones; masking and
                # sampling every row took 0.1-0.5 s of the GUI thread at 1,000,000 rows (issue 16)
                pick = np.random.default_rng(0).choice(rows.shape[0], 2 * MAX_POINTS, replace=False)
                rows = rows[np.sort(pick)]
                rows = rows[np.isfinite(rows).all(axis=1)][:MAX_POINTS]
            else:
                rows = rows[np.isfinite(rows).all(axis=1)]
                if rows.shape[0] > MAX_POINTS:
                    rows = rows[np.random.default_rng(0).choice(rows.shape[0], MAX_POINTS, replace=False)]
            self._scatter = pg.ScatterPlotItem(rows[:, 0], rows[:, 1], size=3, pen=None, brush=pg.mkBrush(150, 150, 150, 120))
            self.plot.addItem(self._scatter)
            self.plot.setLabel("bottom", str(columns[0]))
            self.plot.setLabel("left", str(columns[1]))
            return
        x = X[:, 0][np.isfinite(X[:, 0])]
        if not x.size:
            return
        if family == "gaussian":
            counts, edges = np.histogram(x, bins=min(60, max(10, int(np.sqrt(x.size)))), density=True)
            self._hist = pg.PlotDataItem(edges, counts, stepMode="center", fillLevel=0, pen=pg.mkPen(170, 170, 170),
                                         brush=pg.mkBrush(200, 200, 200, 150))
            self.plot.setLabel("left", "density")
        else:  # counts or symbol codes: relative frequency of each integer value
            values = np.round(x).astype(np.int64)
            lo, hi = int(values.min()), int(values.max())
            freq = np.bincount(values - lo, minlength=hi - lo + 1) / values.size
            self._hist = pg.BarGraphItem(x=np.arange(lo, hi + 1), height=freq, width=0.8,
                                         brush=pg.mkBrush(200, 200, 200, 150), pen=pg.mkPen(170, 170, 170))
            self.plot.setLabel("left", "relative frequency")
        self.plot.addItem(self._hist)
        self.plot.setLabel("bottom", str(columns[0]) + (" (symbol)" if family == "categorical" else ""))

    def clear(self) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        self._items, self._keys, self.curves = [], [], []

    def show(self, snapshot) -> None:
        """Draw the states' curves of ``snapshot``. The curve items are kept from frame to frame and given
        their new data (``setData``); one is made only for a state or a curve not drawn before (creating
        them anew each frame cost about 2 ms of the GUI thread per frame and state, issue 16)."""
        X = self._X
        if X is None or not X.shape[0] or snapshot.params is None:
            self.clear()
            return
        k = len(snapshot.weights)
        w = np.asarray(snapshot.weights, dtype=float)
        colors = component_colors(k)
        first = np.asarray(snapshot.means, dtype=float)
        curves = [(i, x, y) for i in range(k) for x, y in self._state_curves(snapshot, first, i, w[i], k, X)]
        while len(self._items) > len(curves):
            self.plot.removeItem(self._items.pop())
            self._keys.pop()
        for j, (i, x, y) in enumerate(curves):
            key = (i, tuple(int(c) for c in colors[i]), self._family)
            if j < len(self._items) and self._keys[j] == key:
                self._items[j].setData(x, y)
                continue
            pen = pg.mkPen(key[1], width=2)
            item = pg.PlotDataItem(x, y, pen=pen, symbol="o" if self._family != "gaussian" else None,
                                   symbolSize=5, symbolBrush=pg.mkBrush(*key[1]))
            if j < len(self._items):  # another state's curve in this place: replaced, the order kept
                self.plot.removeItem(self._items[j])
                self._items[j], self._keys[j] = item, key
            else:
                self._items.append(item)
                self._keys.append(key)
            self.plot.addItem(item)
        self.curves = curves

    def _x_range(self, X) -> tuple[float, float]:
        """The smallest and largest value of the first column (found once per data, not per frame)."""
        if getattr(self, "_range_of", None) is not X:
            x = X[:, 0][np.isfinite(X[:, 0])]
            self._range = (float(x.min()), float(x.max()))
            self._range_of = X
        return self._range

    def _state_curves(self, snap, first, i, weight, k, X):
        fam = self._family
        if fam == "gaussian":
            d = first.shape[1]
            if d >= 2:
                cov = marginal_covariances(snap.covariances, snap.covariance_type, k, (0, 1))[i]
                return [ellipse(first[i, :2], cov, r) for r in (1.0, 2.0)]
            var = float(marginal_covariances(snap.covariances, snap.covariance_type, k, (0,))[i, 0, 0])
            lo, hi = self._x_range(X)
            pad = 0.1 * (hi - lo) if hi > lo else 1.0
            grid = np.linspace(lo - pad, hi + pad, GRID)
            return [(grid, weight * normal_pdf(grid, float(first[i, 0]), var))]
        if fam == "poisson":
            from scipy.stats import poisson

            lo, hi = self._x_range(X)
            grid = np.arange(int(max(0, lo)), int(hi) + 1)
            return [(grid, weight * poisson.pmf(grid, float(first[i, 0])))]
        probs = first[i]  # categorical: the state's symbol probabilities
        return [(np.arange(probs.size), weight * probs)]
