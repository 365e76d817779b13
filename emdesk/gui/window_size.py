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


class PanelScroll(QtWidgets.QScrollArea):
    """A dock's panel in a frameless scroll area that scrolls vertically only: as wide as the panel needs
    (so no field is cut at the side), as short as a few lines (so no panel sets the window's minimum
    height: the Data panel with the HMM's Sequence/Order pickers and the Restarts view made it 762 px on a
    1280x720 screen). The panel keeps its own minimum height and scrolls when the dock is shorter."""

    def __init__(self, panel: QtWidgets.QWidget, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(panel)

    def minimumSizeHint(self) -> QtCore.QSize:
        panel = self.widget()
        bar = self.verticalScrollBar().sizeHint().width()
        width = (panel.minimumSizeHint().width() if panel is not None else 0) + bar + 2 * self.frameWidth()
        return QtCore.QSize(width, 4 * self.fontMetrics().lineSpacing())

    def sizeHint(self) -> QtCore.QSize:
        hint = super().sizeHint()
        return QtCore.QSize(max(hint.width(), self.minimumSizeHint().width()), hint.height())


def scrolling(panel: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """``panel`` in a ``PanelScroll``, for a dock."""
    return PanelScroll(panel)


def fit_data_dock(window) -> None:
    """Give the Data dock the height its panel asks for (at most 60 % of the dock column), the Model and
    Restarts tabs the rest: after a file opens, the HMM's pickers or the missing-values box appear."""
    dock, other = window.data_dock, window.params_dock
    if dock.isFloating() or other.isFloating() or not dock.isVisible() or not other.isVisible():
        return
    if window.dockWidgetArea(dock) != window.dockWidgetArea(other):
        return
    panel = window.data_panel
    panel.adjustSize()
    title = dock.height() - dock.widget().height() if dock.widget() is not None else 0
    # The panel's size hint counts the column list at its own hint (about seven rows); ask for every row
    # (its maximum height is all rows), so a tall screen lists all columns while the cap below keeps room
    # for the Model dock.
    table = panel.columns
    rows_beyond_hint = max(0, table.maximumHeight() - table.sizeHint().height()) \
        if table.maximumHeight() < (1 << 24) - 1 else 0  # QWIDGETSIZE_MAX: no maximum set
    want = panel.sizeHint().height() + rows_beyond_hint + max(title, 0)
    room = dock.height() + other.height()
    want = min(want, int(room * 0.6))
    if room > 0 and want > 0:
        window.resizeDocks([dock, other], [want, room - want], QtCore.Qt.Orientation.Vertical)


def use_exact_dpi_scaling() -> None:
    """Before the QApplication exists: scale by the screen's exact factor (1.25, 1.5 ...)."""
    QtGui.QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        QtCore.Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
