"""The scatter draws each mark from the atlas square around it, not the whole 12-pixel cell (less of the GUI
thread per frame with 50,000 points: benchmarks/bench_gui_gap.py), with the same pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui

from emdesk.gui import points_item
from emdesk.gui.plot_2d import ImputedPointsItem


def _image(item, px, py, ids):
    img = QtGui.QImage(120, 80, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0)
    p = QtGui.QPainter(img)
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)
    item._paint_fragments(p, px, py, ids)
    p.end()
    return np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes()).copy()


@pytest.mark.parametrize("cls", [points_item.ColoredPointsItem, ImputedPointsItem])
@pytest.mark.parametrize("size", [1, 4, 5, 7, 10])
def test_the_marks_square_draws_the_same_pixels_as_the_whole_cell(qapp, monkeypatch, cls, size):
    item = cls(size=size, alpha=200)
    side = item.fragment_side()
    assert side % 2 == 0 and size + 2 <= side <= points_item._CELL
    rng = np.random.default_rng(size)
    px, py = rng.uniform(5, 115, 40), rng.uniform(5, 75, 40)  # sub-pixel positions, overlapping marks
    ids = rng.integers(0, points_item._LEVELS**3, 40)
    tight = _image(item, px, py, ids)
    assert tight.any()
    monkeypatch.setattr(cls, "fragment_side", lambda self: points_item._CELL)
    assert np.array_equal(tight, _image(item, px, py, ids))
