"""A scatter item for many points whose colours change every frame while their positions stay.

pyqtgraph's ScatterPlotItem rebuilds per-point records on every ``setData`` (about 60 ms for 50,000 points
with one brush, over 100 ms with a brush per point, measured here), too slow to recolour at 30 Hz. This item
keeps positions once, quantises colours to a 8x8x8 palette (512 pre-rendered dots in one atlas pixmap) and
draws all points with one ``QPainter.drawPixmapFragments`` call, the technique ScatterPlotItem itself uses
for its cached symbols (pyqtgraph/graphicsItems/ScatterPlotItem.py, ``paint``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals as pg_internals
from PySide6 import QtCore, QtGui

from emdesk.gui.geometry import COLOR_LEVELS as _LEVELS
from emdesk.gui.geometry import NEUTRAL_RGB, quantise_colors

_CELL = 12  # atlas cell, pixels
# Paint engines that write what they are given to a file (SVG export, PDF): marks go out as shapes, or as one
# image when there are more than VECTOR_MAX_MARKS (about 40 bytes of SVG per mark: 0.8 MB at the limit).
_VECTOR_ENGINES = frozenset({QtGui.QPaintEngine.Type.SVG, QtGui.QPaintEngine.Type.Pdf})
VECTOR_MAX_MARKS = 20_000
_LAYER_MAX_PIXELS = 4096 * 2304  # the drawn dots are kept as one image up to this device size (38 MB)


class ColoredPointsItem(pg.GraphicsObject):
    """Round dots of a fixed pixel size, one colour per point (quantised), drawn in one call."""

    def __init__(self, size: int = 6, alpha: int = 200):
        super().__init__()
        self._size = int(size)
        self._alpha = int(alpha)
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._ids = np.zeros(0, dtype=np.int64)
        self._bounds = QtCore.QRectF()
        self._keep = np.zeros(0, dtype=bool)
        self._frags = pg_internals.PrimitiveArray(QtGui.QPainter.PixmapFragment, 10)
        self._atlas = self._make_atlas()
        # What the last paint computed, reused while it holds: the dots' device positions for one transform
        # and device size (the view is fixed during a fit), their atlas squares for one set of colours, and
        # the drawn dots as one image while neither changed (other items moving over them repaint them).
        self._geometry = 0       # bumped when the positions or the style change
        self._coloring = 0       # bumped when the colours change
        self._frag_key = None    # (transform, device size, geometry) the fragments' positions were made for
        self._frag_colors = None  # the colouring their atlas squares were made for
        self._layer = None       # (key, QImage) of the dots drawn for that key, or None
        self._last_key = None    # the key of the last paint on screen

    def _make_atlas(self) -> QtGui.QPixmap:
        """Every palette colour's mark, one per ``_CELL``-pixel cell, 32 cells a row."""
        n = _LEVELS**3
        cols = 32
        rows = n // cols
        img = QtGui.QImage(cols * _CELL, rows * _CELL, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(0)
        p = QtGui.QPainter(img)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        for idx in range(n):
            self._set_mark_style(p, idx)
            self._draw_mark(p, (idx % cols) * _CELL + _CELL / 2.0, (idx // cols) * _CELL + _CELL / 2.0)
        p.end()
        return QtGui.QPixmap.fromImage(img)

    def _palette_color(self, idx: int) -> QtGui.QColor:
        step = 255.0 / (_LEVELS - 1)
        r, g, b = idx // (_LEVELS * _LEVELS), (idx // _LEVELS) % _LEVELS, idx % _LEVELS
        return QtGui.QColor(int(r * step), int(g * step), int(b * step), self._alpha)

    def _set_mark_style(self, p: QtGui.QPainter, idx: int) -> None:
        """Pen and brush of palette colour ``idx``'s mark (the atlas and the vector drawing share them)."""
        col = self._palette_color(idx)
        p.setBrush(col)
        p.setPen(QtGui.QPen(col.darker(135), 0.8))

    def _draw_mark(self, p: QtGui.QPainter, cx: float, cy: float) -> None:
        """One mark centred on (cx, cy) in device pixels: a round dot of the item's diameter."""
        d = self._size
        p.drawEllipse(QtCore.QRectF(cx - d / 2.0, cy - d / 2.0, d, d))

    def setStyle(self, size: int, alpha: int) -> None:
        """Dot diameter in pixels and opacity (0-255); re-renders the colour atlas when they change."""
        size, alpha = int(min(max(size, 1), _CELL - 2)), int(min(max(alpha, 1), 255))
        if (size, alpha) != (self._size, self._alpha):
            self._size, self._alpha = size, alpha
            self._atlas = self._make_atlas()
            self._geometry += 1
            self.update()

    # -- data -------------------------------------------------------------------------------------
    def setPositions(self, x, y) -> None:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        keep = np.isfinite(x) & np.isfinite(y)
        self._keep = keep
        self._x, self._y = x[keep], y[keep]
        self._ids = np.full(self._x.shape, quantise_colors(np.array([NEUTRAL_RGB]))[0], dtype=np.int64)
        self._geometry += 1
        self._coloring += 1
        self.prepareGeometryChange()
        if self._x.size:
            x0, x1 = float(self._x.min()), float(self._x.max())
            y0, y1 = float(self._y.min()), float(self._y.max())
            self._bounds = QtCore.QRectF(x0, y0, max(x1 - x0, 1e-12), max(y1 - y0, 1e-12))
        else:
            self._bounds = QtCore.QRectF()
        self.informViewBoundsChanged()
        self.update()

    def setColors(self, rgb) -> None:
        """``rgb``: (n, 3) in 0..255 for the n points given to setPositions (non-finite ones dropped)."""
        rgb = np.asarray(rgb, dtype=float)
        if rgb.shape[0] == self._keep.shape[0]:
            rgb = rgb[self._keep]
        self._use_ids(quantise_colors(rgb))

    def setColorIds(self, ids) -> None:
        """Palette indices (see geometry.quantise_colors) for the n points given to setPositions."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.shape[0] == self._keep.shape[0]:
            ids = ids[self._keep]
        if ids.shape[0] == self._x.shape[0]:
            self._use_ids(ids)

    def _use_ids(self, ids: np.ndarray) -> None:
        """New palette indices; the same as drawn (late EM iterations: no dot changes its quantised colour)
        leaves the item as it is: no repaint, its drawn image kept."""
        if ids.shape == self._ids.shape and np.array_equal(ids, self._ids):
            return
        self._ids = ids
        self._coloring += 1
        self.update()

    def pointCount(self) -> int:
        return int(self._x.size)

    # -- QGraphicsItem ----------------------------------------------------------------------------
    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        data = self._x if ax == 0 else self._y
        if data.size == 0:
            return (None, None)
        if frac >= 1.0:
            return (float(data.min()), float(data.max()))
        return tuple(float(v) for v in np.percentile(data, [50 * (1 - frac), 50 * (1 + frac)]))

    def pixelPadding(self) -> float:
        return self._size

    def paint(self, p, *args):
        n = self._x.size
        if n == 0:
            return
        tr = p.transform()
        dev = p.device()
        w, h = (dev.width(), dev.height()) if dev is not None else (1e9, 1e9)
        if p.paintEngine() is not None and p.paintEngine().type() in _VECTOR_ENGINES:
            px, py, vis = self._device_positions(tr, w, h)
            ids = self._ids[vis]
            if ids.size == 0:
                return
            p.resetTransform()
            if ids.size <= VECTOR_MAX_MARKS:
                self._paint_vector(p, px[vis], py[vis], ids)
            else:
                self._paint_layer(p, px[vis], py[vis], ids)
            return
        key = (tr.m11(), tr.m12(), tr.m21(), tr.m22(), tr.dx(), tr.dy(), tr.type(), w, h,
               dev.devicePixelRatioF() if dev is not None else 1.0, self._geometry, self._coloring)
        layer = self._layer
        if layer is not None and layer[0] == key:
            p.resetTransform()
            p.drawImage(0, 0, layer[1])  # the dots as drawn before: one blit
            return
        self._layer = None
        again = key == self._last_key and dev is not None and key[9] == 1.0 and 0 < w * h <= _LAYER_MAX_PIXELS
        self._last_key = key
        if not self._fill_fragments(tr, w, h):
            return
        p.resetTransform()
        if not again:  # the dots (or their colours) changed since the last paint: drawn directly
            p.drawPixmapFragments(*self._frags.drawargs(), self._atlas)
            return
        # Painted a second time unchanged (another item moved over them): drawn once into an image kept
        # for the following paints, then blitted.
        img = QtGui.QImage(int(w), int(h), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(0)
        q = QtGui.QPainter(img)
        try:
            q.drawPixmapFragments(*self._frags.drawargs(), self._atlas)
        finally:
            q.end()
        self._layer = (key, img)
        p.drawImage(0, 0, img)

    def _device_positions(self, tr, w, h):
        """Device (x, y) of every dot under ``tr`` and which fall on the ``w`` x ``h`` device."""
        px = tr.m11() * self._x + tr.m21() * self._y + tr.dx()
        py = tr.m12() * self._x + tr.m22() * self._y + tr.dy()
        vis = (px > -_CELL) & (px < w + _CELL) & (py > -_CELL) & (py < h + _CELL)
        return px, py, vis

    def _fill_fragments(self, tr, w, h) -> bool:
        """The fragments of the dots on the device: positions remade when the transform, the device size or
        the dots changed, atlas squares when the colours changed. False: no dot on the device."""
        key = (tr.m11(), tr.m12(), tr.m21(), tr.m22(), tr.dx(), tr.dy(), tr.type(), w, h, self._geometry)
        if key != self._frag_key:
            px, py, vis = self._device_positions(tr, w, h)
            self._vis = np.flatnonzero(vis)
            m = self._vis.size
            self._frags.resize(m)
            frags = self._frags.ndarray()
            if m:
                side = self.fragment_side()
                frags[:, 0] = px[self._vis]
                frags[:, 1] = py[self._vis]
                frags[:, 4] = side
                frags[:, 5] = side
                frags[:, 6:10] = [1.0, 1.0, 0.0, 1.0]
                off = (_CELL - side) // 2
                cells = np.arange(_LEVELS**3)
                self._atlas_xy = np.column_stack([(cells % 32) * _CELL + off, (cells // 32) * _CELL + off])
            self._frag_key = key
            self._frag_colors = None
        if self._vis.size == 0:
            return False
        if self._frag_colors != self._coloring:
            self._frags.ndarray()[:, 2:4] = self._atlas_xy[self._ids[self._vis]]
            self._frag_colors = self._coloring
        return True

    def fragment_side(self) -> int:
        """Pixels per side of the atlas square drawn for one mark: the mark (diameter or cross of the item's
        size, pen and antialiased edge: size + 2) rounded up to even, so the square sits on whole atlas pixels
        around the cell's centre. Drawing the whole 12-pixel cell blended 4 to 9 times the pixels (the empty
        corners too): 50,000 points took 32 ms of the GUI thread per frame, 18 ms with the mark's square."""
        return min(_CELL, 2 * (-(-self._size // 2)) + 2)

    def _paint_fragments(self, p, px, py, ids) -> None:
        """Dots at device positions (px, py) with palette indices ``ids``, drawn in one call (painter in
        device coordinates)."""
        side = self.fragment_side()
        off = (_CELL - side) // 2
        frags = pg_internals.PrimitiveArray(QtGui.QPainter.PixmapFragment, 10)
        frags.resize(ids.size)
        a = frags.ndarray()
        a[:, 0] = px
        a[:, 1] = py
        a[:, 2] = (ids % 32) * _CELL + off
        a[:, 3] = (ids // 32) * _CELL + off
        a[:, 4] = side
        a[:, 5] = side
        a[:, 6:10] = [1.0, 1.0, 0.0, 1.0]
        p.drawPixmapFragments(*frags.drawargs(), self._atlas)

    def _paint_vector(self, p, px, py, ids) -> None:
        """Each mark as a vector shape (an SVG ``<circle>`` per dot), one pen and brush per colour.

        Qt's SVG and PDF engines write every pixmap fragment as the whole atlas image (66 KB of base64 PNG per
        point in an SVG: 40 MB for the 600-row example), so a vector device gets shapes instead."""
        order = np.argsort(ids, kind="stable")
        ids, px, py = ids[order], px[order], py[order]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        ends = np.r_[starts[1:], ids.size]
        for a, b in zip(starts.tolist(), ends.tolist()):
            self._set_mark_style(p, int(ids[a]))
            for cx, cy in zip(px[a:b].tolist(), py[a:b].tolist()):
                self._draw_mark(p, cx, cy)

    def _paint_layer(self, p, px, py, ids) -> None:
        """Many marks on a vector device: drawn as on screen into one image over their extent, written as one
        embedded PNG (a few hundred KB for the 50,000 points the scatter shows at most)."""
        x0, y0 = int(np.floor(px.min())) - _CELL, int(np.floor(py.min())) - _CELL
        w, h = int(np.ceil(px.max())) + _CELL - x0, int(np.ceil(py.max())) + _CELL - y0
        img = QtGui.QImage(w, h, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(0)
        q = QtGui.QPainter(img)
        try:
            self._paint_fragments(q, px - x0, py - y0, ids)
        finally:
            q.end()
        p.drawImage(QtCore.QPointF(x0, y0), img)
