"""File > Export Plot Image as SVG writes shapes and text, not a picture per point (issue 16, window).

Before, the 600-row example's SVG was 40 MB: Qt's SVG engine wrote each of the scatter's pixmap fragments as
the whole 384x192 colour atlas (66 KB of base64 PNG per point), pyqtgraph's scatters (the means) as their
whole symbol atlas squeezed into each symbol, and the cached axes as pictures of themselves."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.gui import points_item
from emdesk.gui.controllers.export import vector_export_mode
from emdesk.gui.main_window import EXAMPLES
from emdesk.gui.plot_2d import ImputedPointsItem

SVG = "{http://www.w3.org/2000/svg}"
# The example's SVG is 0.12 MB here: 600 <circle> of ~45 bytes, the curves, grid and ~45 tick labels as text.
# 1 MB leaves room for other Qt versions' and fonts' wording of the same shapes and still fails by 40x on
# the old export (40 MB); an image per point, even a small one (~400 bytes), would pass 1 MB only by luck
# and is caught by the no-<image> assertion.
EXAMPLE_SVG_BOUND = 1_000_000


def _tags(path):
    root = ET.parse(path).getroot()  # raises on invalid XML
    assert root.tag == SVG + "svg"
    tags = {}
    for el in root.iter():
        tags[el.tag.replace(SVG, "")] = tags.get(el.tag.replace(SVG, ""), 0) + 1
    return tags


def test_the_examples_svg_is_small_valid_xml_of_shapes_and_text(window, tmp_path):
    window.open_example(EXAMPLES[0][1], fit=False)  # the 600-row three clusters
    n = window.plot_2d.points.pointCount()
    assert n == 600
    path = tmp_path / "plot.svg"
    window.export_plot_image(path)
    size = path.stat().st_size
    assert size < EXAMPLE_SVG_BOUND, size
    tags = _tags(path)
    assert tags.get("circle", 0) == n  # one vector dot per point
    assert tags.get("image", 0) == 0  # no point, symbol or axis drawn as a picture
    assert tags.get("text", 0) >= 10  # tick labels as text
    # the window is back to drawing as before: fragments on screen, the axes' pixmap cache on again
    axis = window.plot_2d.plot.getPlotItem().getAxis("left")
    assert axis.cacheMode() != axis.CacheMode.NoCache and axis._exportOpts is False


def _plot_of(qtbot, item):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(300, 200)
    plot.addItem(item)
    plot.getPlotItem().getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0.05)
    plot.show()
    return plot


def _svg_of(plot):
    """The SVG text of ``plot``, painted as the export paints it."""
    from PySide6.QtSvg import QSvgGenerator

    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    gen = QSvgGenerator()
    gen.setOutputDevice(buf)
    gen.setSize(plot.size())
    p = QtGui.QPainter(gen)
    with vector_export_mode(plot):
        plot.render(p)
    p.end()
    return bytes(buf.data()).decode()


def _count(svg, tag):
    return sum(1 for el in ET.fromstring(svg).iter() if el.tag == SVG + tag)


def test_marks_are_shapes_up_to_the_limit_then_one_image(qtbot, monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0.1, 0.9, (2, 60))
    item = points_item.ColoredPointsItem(size=6, alpha=200)
    item.setPositions(x, y)
    item.setColors(rng.uniform(0, 255, (60, 3)))
    plot = _plot_of(qtbot, item)
    svg = _svg_of(plot)
    assert _count(svg, "circle") == 60 and _count(svg, "image") == 0
    monkeypatch.setattr(points_item, "VECTOR_MAX_MARKS", 59)
    svg = _svg_of(plot)
    assert _count(svg, "circle") == 0 and _count(svg, "image") == 1


def test_imputed_crosses_are_two_lines_each(qtbot):
    item = ImputedPointsItem(size=6, alpha=200)
    item.setPositions([0.2, 0.5, 0.8], [0.3, 0.6, 0.4])
    svg = _svg_of(_plot_of(qtbot, item))
    assert _count(svg, "polyline") >= 6 and _count(svg, "image") == 0 and _count(svg, "circle") == 0


def test_an_item_reaching_past_its_view_is_clipped_to_the_view(qtbot, window, tmp_path):
    """An image wider than the view (the HMM's posterior image reaches half a step past each end; anything
    zoomed in) is inside a <clipPath> of the view's rectangle: with SVG Tiny 1.2, Qt's default, the export had
    no clipping and a browser drew it over the axes and the panels beside (newcomer, 1 Dec)."""
    image = pg.ImageItem(np.arange(12.0).reshape(4, 3))
    image.setRect(QtCore.QRectF(-1.0, -1.0, 3.0, 3.0))  # 3x the view's (0, 1) x (0, 1) each way
    plot = _plot_of(qtbot, image)
    holder = QtWidgets.QWidget()  # the export renders a widget holding the plots (the window's splitter)
    qtbot.addWidget(holder)
    layout = QtWidgets.QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(plot)
    holder.resize(300, 200)
    holder.show()
    path = tmp_path / "clip.svg"
    window.exporter._render(str(path), holder)
    root = ET.parse(path).getroot()
    clips = {c.get("id"): c for c in root.iter(SVG + "clipPath")}
    parents = {child: parent for parent in root.iter() for child in parent}
    el, clip = root.find(f".//{SVG}image"), None
    while el is not None and clip is None:
        ref = el.get("clip-path")
        clip = clips[ref[len("url(#"):-1]] if ref else None
        el = parents.get(el)
    assert clip is not None, "the image is not clipped"
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", clip.find(SVG + "path").get("d"))]
    xs, ys = numbers[0::2], numbers[1::2]
    view = plot.getPlotItem().getViewBox()
    scene = view.mapRectToScene(view.boundingRect())
    assert min(xs) >= scene.left() - 1 and max(xs) <= scene.right() + 1
    assert min(ys) >= scene.top() - 1 and max(ys) <= scene.bottom() + 1
