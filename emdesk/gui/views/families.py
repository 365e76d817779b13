"""The views of the robust and discrete mixture families (issue 13), on top of the mixture views.

- Student-t: the 2-D scatter as for a Gaussian mixture (means and the scale matrices' ellipses), plus each
  drawn row's outlier score (its expected scale weight u = (nu + p)/(nu + delta), ``scale_weights``): rows with
  u < 0.5 get a red ring that grows as u falls, and a list under the plot names the most outlying rows of the
  file (recomputed for every state, so it animates with the fit).
- Poisson, one column: the counts' histogram on integer bins (proportion of rows per count) with each
  component's weighted probability mass w_j Pois(x; lambda_j) and the mixture's. Two or more columns: the
  scatter, with ellipses of the Poisson variances (variance = lambda).
- Latent class (and the categorical block of a mixed model): the item-response profile, for each class each
  variable's category probabilities as stacked bars, and the class sizes; redrawn for every snapshot.
Plot items are created once per number of components/categories and updated with setData/setOpts.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets
from scipy.stats import poisson

from emdesk.gui.geometry import component_colors, plain_axes
from emdesk.gui.views.mixture import MixtureViews

OUTLIER_U = 0.5     # rows with a smaller scale weight get a ring (u < 0.5: delta > 2 nu + p)
N_LISTED = 10       # most outlying rows listed
OUTLIER_TIP = ("The rows with the smallest expected scale weight u under the state on screen (about 1: typical; "
               "near 0: an outlier the t components downweight).")


def display_rows(session, cache=None):
    """The rows of ``session.X`` that ``session.X_display`` holds (the session draws a fixed random subset of
    big data: ``numpy.random.default_rng(12345).choice(n, MAX_DISPLAY_POINTS)``, sorted), checked against the
    values; None when they cannot be matched. ``cache``: a dict kept by the caller (one check per subset)."""
    X, D = session.X, session.X_display
    if X is None or D is None:
        return None
    if D is X:
        return np.arange(X.shape[0])
    cache = {} if cache is None else cache
    if cache.get("of") is D:
        return cache["rows"]
    idx = np.sort(np.random.default_rng(12345).choice(X.shape[0], D.shape[0], replace=False))
    ok = idx.shape[0] == D.shape[0] and np.array_equal(X[idx], D, equal_nan=True)
    cache.update({"of": D, "rows": idx if ok else None})
    return cache["rows"]


def _category_colors(m: int) -> list:
    return [pg.intColor(r, hues=max(m, 3), values=1, maxValue=230, minValue=150, sat=170) for r in range(m)]


class PoissonHistogram(QtWidgets.QWidget):
    """Counts on integer bins with the components' and the mixture's probability masses."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setBackground("w")
        pi = self.plot.getPlotItem()
        pi.showGrid(x=False, y=True, alpha=0.15)
        pi.setLabel("left", "proportion of rows")
        plain_axes(pi)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.9, brush=pg.mkBrush(200, 200, 200),
                                    pen=pg.mkPen(160, 160, 160))
        pi.addItem(self.bars)
        self.total = pg.PlotDataItem([], [], pen=pg.mkPen("k", width=2), symbol="o", symbolSize=5,
                                     symbolBrush="k", name="mixture")
        self.total.setZValue(10)
        pi.addItem(self.total)
        self.curves: list = []
        self.legend = pi.addLegend(offset=(-10, 10))
        self.legend.addItem(self.total, "mixture")
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot)
        self._grid = np.zeros(0)

    def set_data(self, values: np.ndarray, name: str) -> None:
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        top = int(v.max()) if v.size else 0
        if v.size and (np.any(v < 0) or np.any(v != np.round(v))):  # not counts: the fit will say so
            self._grid = np.zeros(0)
            self.bars.setOpts(x=[], height=[])
        else:
            self._grid = np.arange(0, top + 2)
            counts = np.bincount(v.astype(np.int64), minlength=top + 2) if v.size else np.zeros(top + 2)
            self.bars.setOpts(x=self._grid, height=counts / max(v.size, 1))
        self.plot.getPlotItem().setLabel("bottom", name)
        self.clear_state()

    def _set_components(self, k: int) -> None:
        pi = self.plot.getPlotItem()
        while len(self.curves) > k:
            c = self.curves.pop()
            pi.removeItem(c)
            self.legend.removeItem(c)
        cols = component_colors(max(k, 1))
        while len(self.curves) < k:
            i = len(self.curves)
            c = pg.PlotDataItem([], [], pen=pg.mkPen(tuple(int(t) for t in cols[i]), width=1.5), symbol="o",
                                symbolSize=4, symbolBrush=tuple(int(t) for t in cols[i]))
            pi.addItem(c)
            self.legend.addItem(c, f"component {i + 1}")
            self.curves.append(c)

    def show_state(self, snapshot, color_ids=None) -> None:
        w = np.asarray(snapshot.weights, dtype=float)
        lam = np.asarray(snapshot.means, dtype=float)[:, 0]
        self._set_components(len(w))
        x = self._grid
        if not x.size:
            return
        masses = w[:, None] * poisson.pmf(x[None, :], lam[:, None])
        for i, c in enumerate(self.curves):
            c.setData(x, masses[i])
            self.legend.items[i + 1][1].setText(f"component {i + 1}: w {w[i]:.2f}, \u03bb {lam[i]:.3g}")
        self.total.setData(x, masses.sum(axis=0))

    def clear_state(self) -> None:
        self._set_components(0)
        self.total.setData([], [])


class ProfileView(QtWidgets.QWidget):
    """Item-response profile: per class and variable, the category probabilities stacked; class sizes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setBackground("w")
        pi = self.plot.getPlotItem()
        pi.setLabel("left", "P(category | class)")
        plain_axes(pi)
        pi.setYRange(0, 1.0, padding=0.02)
        self.sizes = pg.PlotWidget()
        self.sizes.setMenuEnabled(False)
        self.sizes.setBackground("w")
        self.sizes.getPlotItem().setLabel("left", "class size")
        plain_axes(self.sizes.getPlotItem())
        self.sizes.getPlotItem().setYRange(0, 1.0, padding=0.02)
        self.size_bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.sizes.addItem(self.size_bars)
        self.size_text: list = []
        self.stacks: list = []          # one BarGraphItem per category index r
        self.key = QtWidgets.QLabel()
        self.key.setWordWrap(True)
        self.key.setStyleSheet("color: #333;")
        split = QtWidgets.QHBoxLayout()
        split.addWidget(self.plot, 4)
        split.addWidget(self.sizes, 1)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(split, 1)
        lay.addWidget(self.key)
        self.numeric = QtWidgets.QLabel()  # a mixed model's Gaussian block: the class means
        self.numeric.setStyleSheet("color: #333;")
        lay.addWidget(self.numeric)
        self._names: list = []
        self._labels: list = []
        self._shape = None

    def set_data(self, names, labels) -> None:
        """``names`` the categorical columns, ``labels`` their categories (lists, in code order)."""
        self._names, self._labels = list(names), [list(x) for x in labels]
        m = max((len(x) for x in self._labels), default=0)
        cols = _category_colors(max(m, 1))
        self.key.setText("Bars stack each variable's categories from the bottom (colour = category's place): "
                         + "; ".join(f"<b>{n}</b>: " + ", ".join(
                             f"<span style='color:{cols[r].name()}'>\u25a0</span> {lab}"
                             for r, lab in enumerate(lbl)) for n, lbl in zip(self._names, self._labels)))
        self.clear_state()

    def _layout(self, k: int, d: int, m: int) -> None:
        if self._shape == (k, d, m):
            return
        self._shape = (k, d, m)
        pi = self.plot.getPlotItem()
        for b in self.stacks:
            pi.removeItem(b)
        cols = _category_colors(max(m, 1))
        self.stacks = [pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(cols[r]),
                                       pen=pg.mkPen(255, 255, 255)) for r in range(m)]
        for b in self.stacks:
            pi.addItem(b)
        ticks = [(c * (k + 1) + j, f"{j + 1}" if j else f"{self._names[c] if c < len(self._names) else c}\n1")
                 for c in range(d) for j in range(k)]
        pi.getAxis("bottom").setTicks([ticks])
        pi.setLabel("bottom", "variable / class")
        pi.setXRange(-1, d * (k + 1) - 1, padding=0)
        cc = component_colors(max(k, 1))
        self.size_bars.setOpts(x=np.arange(k), height=np.zeros(k),
                               brushes=[pg.mkBrush(tuple(int(t) for t in cc[j])) for j in range(k)])
        self.sizes.getPlotItem().getAxis("bottom").setTicks([[(j, f"class {j + 1}") for j in range(k)]])
        self.sizes.getPlotItem().setXRange(-0.6, k - 0.4, padding=0)
        for t in self.size_text:
            self.sizes.removeItem(t)
        self.size_text = [pg.TextItem("", color=(40, 40, 40), anchor=(0.5, 1.0)) for _ in range(k)]
        for t in self.size_text:
            self.sizes.addItem(t)

    def show_state(self, weights, probs) -> None:
        w = np.asarray(weights, dtype=float)
        P = np.asarray(probs, dtype=float)          # (k, d, m)
        k, d, m = P.shape
        self._layout(k, d, m)
        x = (np.arange(d)[None, :] * (k + 1) + np.arange(k)[:, None]).ravel()   # class-major -> (k*d,)
        base = np.zeros(k * d)
        for r, bar in enumerate(self.stacks):
            h = P[:, :, r].ravel()
            bar.setOpts(x=x, y0=base.copy(), height=h)
            base = base + h
        self.size_bars.setOpts(height=w)
        for j, t in enumerate(self.size_text):
            t.setText(f"{w[j]:.2f}")
            t.setPos(j, w[j])

    def clear_state(self) -> None:
        for bar in self.stacks:
            bar.setOpts(x=[], height=[], y0=[])
        self.size_bars.setOpts(height=np.zeros(len(self.size_text)))


class FamilyViews(MixtureViews):
    """Mixture views that also draw the Student-t, Poisson and latent class families' own views."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.poisson_1d = PoissonHistogram()
        self.profile = ProfileView()
        self.outlier_rings = pg.ScatterPlotItem(pen=pg.mkPen(210, 30, 30, 220, width=1.6), brush=None,
                                                symbol="o")
        self.outlier_rings.setZValue(15)
        self.plot_2d.plot.getPlotItem().addItem(self.outlier_rings)
        self.outlier_list = QtWidgets.QListWidget()
        self.outlier_list.setMaximumHeight(110)
        self.outlier_list.setToolTip(OUTLIER_TIP)
        self.outlier_list.hide()
        self.plot_2d.layout().addWidget(self.outlier_list)
        self._family = "gaussian"
        self._session = None
        self._cat_idx: list = []
        self._fit_rows = None
        self._display_cache: dict = {}

    def widgets(self) -> list:
        return super().widgets() + [self.poisson_1d, self.profile]

    def set_data(self, session):
        self._family = session.family
        self._session = session
        self.outlier_rings.setData([], [])
        self.outlier_list.clear()
        self.outlier_list.setVisible(self._family == "student_t")
        self._fit_rows = None
        if session.X is None or not session.columns:
            return super().set_data(session)
        if self._family in ("categorical", "mixed") and session.categories:
            from emdesk.families_data import categorical_indices

            self._n_columns = len(session.columns)
            self._cat_idx = categorical_indices(session.table, session.columns, self._family)
            names = [session.columns[j] for j in self._cat_idx]
            self.profile.set_data(names, [session.categories[n] for n in names])
            return self.profile
        if self._family == "poisson" and len(session.columns) == 1:
            self._n_columns = 1
            self.poisson_1d.set_data(session.X[:, 0], session.columns[0])
            return self.poisson_1d
        return super().set_data(session)

    def current(self):
        if self._family in ("categorical", "mixed") and self._cat_idx and self._session is not None \
                and self._session.categories:
            return self.profile
        if self._family == "poisson" and self._n_columns == 1:
            return self.poisson_1d
        return super().current()

    def show_state(self, snapshot, color_ids, imputed=None, has_imputed: bool = False) -> None:
        view = self.current()
        if view is self.profile:
            p = snapshot.params or {}
            probs = p.get("probs", snapshot.means if snapshot.family == "latent_class" else None)
            if probs is not None:
                self.profile.show_state(snapshot.weights, probs)
            s = self._session
            num = [c for j, c in enumerate(s.columns) if j not in self._cat_idx] if s is not None else []
            means = np.asarray(snapshot.means, dtype=float) if snapshot.family == "product" else None
            self.profile.numeric.setText("" if means is None or not num else "Class means (Gaussian block): " + "; ".join(
                f"<b>{c}</b>: " + ", ".join(f"class {j + 1} {means[j, i]:.4g}" for j in range(means.shape[0]))
                for i, c in enumerate(num)))
            return
        if view is self.poisson_1d:
            self.poisson_1d.show_state(snapshot)
            return
        if getattr(snapshot, "family", "gaussian") == "poisson":  # scatter: ellipses of the variances (= lambda)
            snapshot = dataclasses.replace(snapshot, covariances=np.asarray(snapshot.means, dtype=float),
                                           covariance_type="diag")
        super().show_state(snapshot, color_ids, imputed, has_imputed)
        if getattr(snapshot, "family", "gaussian") == "student_t":
            self._show_outliers(snapshot)

    #: rows of X from which the outlier list (every frame) is taken from the rows drawn: scale weights of
    #: 1,000,000 x 4 rows cost 0.4-3 s per frame on the GUI thread, of 200,000 x 40 rows seconds more (measured
    #: 1 Dec 2026); up to this many rows every row is drawn anyway
    ALL_ROWS_LIMIT = 50_000

    def _show_outliers(self, snapshot) -> None:
        s = self._session
        if s is None or s.X_display is None or view_dims_missing(self):
            return
        every = s.X.shape[0] <= self.ALL_ROWS_LIMIT or s.X_display is s.X
        try:
            model = snapshot.to_model()
            u_disp = model.scale_weights(s.X_display)
            u_all = model.scale_weights(s.X) if every and s.X_display is not s.X else u_disp
        except Exception:  # a state the model layer refuses: no scores for it
            self.outlier_rings.setData([], [])
            return
        ix, iy = self.xy_indices()
        sel = np.flatnonzero(np.isfinite(u_disp) & (u_disp < OUTLIER_U)
                             & np.isfinite(s.X_display[:, ix]) & np.isfinite(s.X_display[:, iy]))
        self.outlier_rings.setData(s.X_display[sel, ix], s.X_display[sel, iy],
                                   size=8 + 16 * (1 - np.clip(u_disp[sel], 0, 1)))
        # the list: over every row, or (big data) over the rows drawn, named by their rows of X
        to_x = None if every else display_rows(s, self._display_cache)
        rows = self._file_rows()
        order = np.argsort(u_all, kind="stable")[:N_LISTED]
        self.outlier_list.clear()
        self.outlier_list.setToolTip(OUTLIER_TIP + ("" if every else
                                     f" Among the {s.X_display.shape[0]:,} rows drawn of {s.X.shape[0]:,}."))
        for i in order:
            if every or to_x is not None:
                x = int(i) if every else int(to_x[i])
                vals = ", ".join(f"{c} {s.X[x, j]:.4g}" for j, c in enumerate(s.columns[:4]))
                row = int(rows[x]) + 1 if rows is not None and x < len(rows) else x + 1
                self.outlier_list.addItem(f"row {row}: u = {u_all[i]:.3f}  ({vals})")
            else:
                vals = ", ".join(f"{c} {s.X_display[i, j]:.4g}" for j, c in enumerate(s.columns[:4]))
                self.outlier_list.addItem(f"drawn row {int(i) + 1}: u = {u_all[i]:.3f}  ({vals})")

    def _file_rows(self):
        """Row numbers (0-based, in the file) of the fitted rows: those with a value (or complete, when
        incomplete rows are dropped)."""
        s = self._session
        if s is not None and getattr(s, "file_rows", None) is not None and s.X is not None \
                and len(s.file_rows) == s.X.shape[0]:
            return s.file_rows
        if self._fit_rows is None and s is not None and s.table is not None and s.X is not None:
            A = s.table.to_array(s.columns)
            obs = np.isfinite(A)
            keep = obs.all(axis=1) if s.missing == "drop" else obs.any(axis=1)
            rows = np.flatnonzero(keep)
            self._fit_rows = rows if len(rows) == s.X.shape[0] else None
        return self._fit_rows

    def outlier_rows(self) -> list[str]:
        return [self.outlier_list.item(i).text() for i in range(self.outlier_list.count())]

    def clear_state(self) -> None:
        super().clear_state()
        self.poisson_1d.clear_state()
        self.profile.clear_state()
        self.outlier_rings.setData([], [])
        self.outlier_list.clear()


def view_dims_missing(views) -> bool:
    return views._n_columns < 2
