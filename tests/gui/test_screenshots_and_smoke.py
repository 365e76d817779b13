"""Screenshots of the window after a fit (1-D and 2-D) and the ``emdesk --smoke-test`` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np
from PySide6 import QtGui

from emdesk.gui.main_window import EXAMPLES, example_path

SHOT_DIR = os.path.join(tempfile.gettempdir(), "emdesk-screenshots")


def _image_array(img: QtGui.QImage) -> np.ndarray:
    img = img.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 4].reshape(img.height(), img.width(), 4)[:, :, :3].copy()


def _shoot(qtbot, window, example, k, name):
    window.open_csv(example_path(example))
    window.set_options(n_components=k, random_state=0, max_iter=300)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    qtbot.waitUntil(lambda: window._shown_index == len(window.history) - 1, timeout=5_000)
    os.makedirs(SHOT_DIR, exist_ok=True)
    path = os.path.join(SHOT_DIR, name)
    pixmap = window.grab()
    assert pixmap.save(path)
    plot = _image_array(window.plot_stack.currentWidget().grab().toImage())
    return path, plot


def _component_pixels(plot: np.ndarray, k: int) -> list[int]:
    from emdesk.gui.geometry import component_colors

    counts = []
    for c in component_colors(k):
        d = np.abs(plot.astype(int) - c[::-1].astype(int)[None, None, :]).sum(axis=2)  # QImage is BGRA
        counts.append(int((d < 60).sum()))
    return counts


def test_screenshot_2d_is_not_blank(qtbot, window):
    path, plot = _shoot(qtbot, window, EXAMPLES[0][1], 3, "emdesk-2d.png")
    assert os.path.getsize(path) > 10_000
    assert len(np.unique(plot.reshape(-1, 3), axis=0)) > 50
    # every component's colour is on screen (points, ellipses, legend)
    assert min(_component_pixels(plot, 3)) > 200


def test_screenshot_1d_is_not_blank(qtbot, window):
    path, plot = _shoot(qtbot, window, EXAMPLES[1][1], 2, "emdesk-1d.png")
    assert os.path.getsize(path) > 10_000
    assert len(np.unique(plot.reshape(-1, 3), axis=0)) > 50
    assert min(_component_pixels(plot, 2)) > 200


def test_smoke_test_entry_point(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "emdesk", "--smoke-test"], capture_output=True, text=True,
                         env=env, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "smoke test passed" in out.stdout
    # it did not write settings into the (temporary) home folder
    assert not any(p.name.endswith((".conf", ".ini")) for p in tmp_path.rglob("*") if "emdesk" in str(p))
