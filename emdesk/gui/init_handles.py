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

from emdesk.session import START_SAMPLE, start_parameters  # noqa: F401  (Qt-free; re-exported)

HANDLE_RGB = (123, 31, 162)
SELECTED_RGB = (230, 81, 0)


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
