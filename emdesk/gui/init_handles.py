"""Initialisation by hand (issue 7): starting means placed, dragged and removed on the plot.

The layers here only draw handles and report what the user did (added at x[, y], moved handle i, removed
handle i); the window keeps the starting means themselves (all fitted columns) and pushes the displayed
coordinates back with ``set_points``. With "place" mode off the handles stay visible but do not react, so the
plot pans and zooms as usual.

2-D: hollow purple diamonds (pg.TargetItem) numbered like the components they start. 1-D: dashed vertical
lines (pg.InfiniteLine). In place mode a left click on empty plot adds a mean, dragging a handle moves it,
right-click on a handle (or Delete after clicking it) removes it.

``start_parameters`` turns placed means into the full starting state handed to the engine.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

HANDLE_RGB = (123, 31, 162)
START_SAMPLE = 100_000  # rows used for the starting covariances of hand-placed means (a random subset)
SELECTED_RGB = (230, 81, 0)


def start_parameters(X: np.ndarray, means: np.ndarray, covariance_type: str, reg_covar: float):
    """Starting weights and covariances (scikit-learn shapes) for the placed ``means`` (k, d).

    Each complete row goes to its nearest placed mean (distance in units of each column's standard
    deviation); a component's covariance is that of its rows about its placed mean, shrunk towards the
    data's per-column variances with d + 1 pseudo-rows (so a mean placed where there are no rows still gets
    a sensible, positive-definite covariance), plus ``reg_covar``; weights are (rows + 1) / (n + k). The
    iteration-0 ellipses thus surround the placed means, and EM moves from there. On more than
    ``START_SAMPLE`` complete rows a fixed random subset of that size is used.
    Returns ``(weights, covariances)``, or ``(None, None)`` when there is no complete row.
    """
    X = np.asarray(X, dtype=float)
    M = np.asarray(means, dtype=float)
    k, d = M.shape
    Xc = X[np.all(np.isfinite(X), axis=1)]
    n = Xc.shape[0]
    if n == 0:
        return None, None
    if n > START_SAMPLE:  # starting values need no more rows than this; keeps Run instant on large data
        Xc = Xc[np.sort(np.random.default_rng(0).choice(n, START_SAMPLE, replace=False))]
        n = START_SAMPLE
    var = Xc.var(axis=0)
    tiny = max(float(reg_covar), 1e-12 * max(float(var.max()), 1.0), 1e-300)
    var = np.where(var > 0, var, tiny)
    sd = np.sqrt(var)
    step = max(1, 2_000_000 // max(k * d, 1))  # rows per chunk: bounded memory for many components
    lab = np.concatenate([
        (((Xc[i:i + step, None, :] - M[None]) / sd) ** 2).sum(axis=2).argmin(axis=1) for i in range(0, n, step)])
    m0 = d + 1.0
    prior = np.diag(var)
    counts = np.bincount(lab, minlength=k).astype(float)
    covs = np.empty((k, d, d))
    for i in range(k):
        R = Xc[lab == i] - M[i]
        S = R.T @ R  # scatter about the placed mean
        covs[i] = (S + m0 * prior) / (counts[i] + m0)
    covs += float(reg_covar) * np.eye(d)[None]
    weights = (counts + 1.0) / (n + k)
    if covariance_type == "full":
        out = covs
    elif covariance_type == "tied":
        out = np.einsum("i,ijk->jk", weights, covs)
    elif covariance_type == "diag":
        out = np.diagonal(covs, axis1=1, axis2=2).copy()
    elif covariance_type == "spherical":
        out = np.diagonal(covs, axis1=1, axis2=2).mean(axis=1)
    else:
        raise ValueError(f"Unknown covariance_type {covariance_type!r}.")
    return weights, out


def _handle_pen(selected: bool) -> QtGui.QPen:
    return pg.mkPen(*(SELECTED_RGB if selected else HANDLE_RGB), width=3)


class _HandleClicks:
    """Mixin for a draggable handle: in place mode a left click selects it and a right click removes it;
    a click that ends a drag goes to the pyqtgraph item as usual."""

    def __init__(self, layer, **kw):
        super().__init__(**kw)
        self._layer = layer

    def mouseClickEvent(self, ev):
        if self.moving:
            super().mouseClickEvent(ev)
            return
        if not self._layer.active:
            return
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self._layer._select(self)
        elif ev.button() == QtCore.Qt.MouseButton.RightButton:
            ev.accept()
            self._layer._remove(self)


class _Target(_HandleClicks, pg.TargetItem):
    """A starting mean in the 2-D view."""


class _Line(_HandleClicks, pg.InfiniteLine):
    """A starting mean in the 1-D view."""


class _Layer(QtCore.QObject):
    """Common part: place mode, selection, the scene click that adds a mean, Delete."""

    added = QtCore.Signal(float, float)       # x, y (y is 0 in the 1-D view)
    moved = QtCore.Signal(int, float, float)  # index, x, y
    removed = QtCore.Signal(int)
    leaveRequested = QtCore.Signal()           # Escape on the plot while placing

    def __init__(self, view: QtWidgets.QGraphicsView, plot_items, legend=None):
        super().__init__(view)
        self.view = view
        self.plot_items = list(plot_items)
        self.legend = legend
        self.items: list = []
        self.active = False
        self.selected = -1
        self._syncing = False
        view.scene().sigMouseClicked.connect(self._scene_clicked)
        self._delete = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Delete), view)
        self._delete.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._delete.activated.connect(self.remove_selected)
        self._backspace = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Backspace), view)
        self._backspace.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._backspace.activated.connect(self.remove_selected)
        self._escape = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Escape), view)
        self._escape.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._escape.activated.connect(self._escape_pressed)

    def _escape_pressed(self) -> None:
        if self.active:
            self.leaveRequested.emit()

    def set_active(self, on: bool) -> None:
        """Place mode: clicks add means, handles can be dragged and removed."""
        self.active = bool(on)
        for it in self.items:
            self._set_movable(it, self.active)
        self.view.viewport().setCursor(QtCore.Qt.CursorShape.CrossCursor if self.active
                                       else QtCore.Qt.CursorShape.ArrowCursor)

    def _scene_clicked(self, ev) -> None:
        if not self.active or ev.isAccepted() or ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        if ev.double():
            return
        pos = ev.scenePos()
        if self.legend is not None and self.legend.isVisible() and self.legend.sceneBoundingRect().contains(pos):
            return
        for pi in self.plot_items:
            vb = pi.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                p = vb.mapSceneToView(pos)
                ev.accept()
                self.added.emit(float(p.x()), float(p.y()))
                return

    def _select(self, item) -> None:
        try:
            self.selected = self.items.index(item)
        except ValueError:
            self.selected = -1
        self._restyle()
        self.view.setFocus(QtCore.Qt.FocusReason.MouseFocusReason)

    def _remove(self, item) -> None:
        try:
            i = self.items.index(item)
        except ValueError:
            return
        self.removed.emit(i)

    def remove_selected(self) -> None:
        if self.active and 0 <= self.selected < len(self.items):
            self.removed.emit(self.selected)

    def _moved(self, item) -> None:
        if self._syncing:
            return
        try:
            i = self.items.index(item)
        except ValueError:
            return
        x, y = self._item_pos(item)
        self.moved.emit(i, x, y)

    def points(self) -> np.ndarray:
        return np.array([self._item_pos(it) for it in self.items], dtype=float).reshape(-1, 2)

    def set_points(self, xy) -> None:
        """Show one handle per row of ``xy`` ((m, 2); the 1-D view uses column 0)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        self._syncing = True
        try:
            while len(self.items) > xy.shape[0]:
                it = self.items.pop()
                self._remove_item(it)
            while len(self.items) < xy.shape[0]:
                it = self._make_item(len(self.items))
                self.items.append(it)
            for i, (it, (x, y)) in enumerate(zip(self.items, xy)):
                self._place(it, i, x, y)
        finally:
            self._syncing = False
        if self.selected >= len(self.items):
            self.selected = -1
        self._restyle()

    def handle_items(self) -> list:
        return list(self.items)


class StartMeans2D(_Layer):
    """Hollow diamonds on a pg.PlotWidget (2-D view)."""

    def __init__(self, plot_widget: pg.PlotWidget, legend=None):
        super().__init__(plot_widget, [plot_widget.getPlotItem()], legend)
        self.pi = plot_widget.getPlotItem()

    def _make_item(self, i: int):
        it = _Target(self, pos=(0.0, 0.0), size=18, symbol="d", pen=_handle_pen(False),
                     hoverPen=pg.mkPen(*SELECTED_RGB, width=3.5), brush=pg.mkBrush(255, 255, 255, 60),
                     hoverBrush=pg.mkBrush(255, 255, 255, 120), movable=self.active,
                     label=f"start {i + 1}", labelOpts={"color": HANDLE_RGB, "offset": (12, -12),
                                                        "anchor": (0, 1)})
        it.setZValue(50)
        it.sigPositionChanged.connect(self._moved)
        self.pi.addItem(it)
        return it

    def _remove_item(self, it) -> None:
        self.pi.removeItem(it)
        lab = it.label()
        if lab is not None and lab.scene() is not None:
            lab.scene().removeItem(lab)

    def _place(self, it, i, x, y) -> None:
        it.setPos(float(x), float(y))
        lab = it.label()
        if lab is not None:
            lab.setFormat(f"start {i + 1}")

    @staticmethod
    def _item_pos(it):
        p = it.pos()
        return float(p.x()), float(p.y())

    @staticmethod
    def _set_movable(it, on) -> None:
        it.movable = on

    def _restyle(self) -> None:
        for i, it in enumerate(self.items):
            it.setPen(_handle_pen(i == self.selected))
            it.currentPen = it.hoverPen if it.mouseHovering else it.pen
            it.update()


class StartMeans1D(_Layer):
    """Dashed vertical lines on the 1-D density plot; clicks on the density or the strip add one."""

    def __init__(self, view: pg.GraphicsLayoutWidget, density, strip=None, legend=None):
        super().__init__(view, [density] + ([strip] if strip is not None else []), legend)
        self.density = density

    def _make_item(self, i: int):
        it = _Line(self, pos=0.0, angle=90, movable=self.active, pen=self._pen(False),
                   hoverPen=pg.mkPen(*SELECTED_RGB, width=3.5),
                   label=f"start {i + 1}", labelOpts={"position": 0.93, "color": HANDLE_RGB,
                                                      "fill": pg.mkBrush(255, 255, 255, 210), "movable": False})
        it.setZValue(50)
        it.sigPositionChanged.connect(self._moved)
        self.density.addItem(it)
        return it

    @staticmethod
    def _pen(selected: bool) -> QtGui.QPen:
        return pg.mkPen(*(SELECTED_RGB if selected else HANDLE_RGB), width=2.5,
                        style=QtCore.Qt.PenStyle.DashLine)

    def _remove_item(self, it) -> None:
        self.density.removeItem(it)

    def _place(self, it, i, x, y) -> None:
        it.setValue(float(x))
        if it.label is not None:
            it.label.setFormat(f"start {i + 1}")

    @staticmethod
    def _item_pos(it):
        return float(it.value()), 0.0

    @staticmethod
    def _set_movable(it, on) -> None:
        it.setMovable(on)

    def _restyle(self) -> None:
        for i, it in enumerate(self.items):
            it.setPen(self._pen(i == self.selected))
