"""The main window's first size (issue 15): it fits the screen it opens on (1280x720 included: timeline,
status bar and dock tabs visible), and grows on larger screens. Qt 6 scales by the screen's device pixel
ratio itself (high DPI); app.py asks for the exact (pass-through) factor so 150 % is not rounded to 200 %."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

PREFERRED = QtCore.QSize(1400, 860)  # logical pixels, on a screen with room for it
SMALLEST = QtCore.QSize(960, 600)    # the window's minimum: every panel still usable


def first_size(window: QtWidgets.QWidget) -> QtCore.QSize:
    """PREFERRED, shrunk to 96 % of the available screen area (minus the window frame's title bar)."""
    screen = window.screen() or QtGui.QGuiApplication.primaryScreen()
    if screen is None:
        return QtCore.QSize(1280, 680)
    avail = screen.availableGeometry()
    frame = 40  # title bar and borders, which the window manager adds outside the client area
    w = min(PREFERRED.width(), int(avail.width() * 0.96))
    h = min(PREFERRED.height(), int(avail.height() * 0.96) - frame)
    return QtCore.QSize(max(w, min(SMALLEST.width(), avail.width())), max(h, min(SMALLEST.height(), avail.height() - frame)))


def fit_to_screen(window: QtWidgets.QWidget) -> None:
    """Resize ``window`` to ``first_size`` and keep its minimum small enough for a 1280x720 screen."""
    window.setMinimumSize(QtCore.QSize(min(SMALLEST.width(), 640), min(SMALLEST.height(), 480)))
    window.resize(first_size(window))


def use_exact_dpi_scaling() -> None:
    """Before the QApplication exists: scale by the screen's exact factor (1.25, 1.5 ...)."""
    QtGui.QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        QtCore.Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
