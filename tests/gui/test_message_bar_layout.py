"""A message shown above the plots (the end of a fit that did not converge, a warning) lays the window out
once, at the message's final height: before, the strip was first laid out 84 px high for one line (its scroll
area's height was fixed only after it was shown, which lays the parent out at once) and then 35 px, so every
plot was resized and painted twice (issue 16, the end-of-fit repaint)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class _Sizes(QtCore.QObject):
    def __init__(self):
        super().__init__()
        self.heights = []

    def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.Resize:
            self.heights.append(event.size().height())
        return False


def _settle(qtbot):
    for _ in range(5):
        QtWidgets.QApplication.processEvents()
        qtbot.wait(10)


def test_a_message_resizes_the_plot_area_once(qtbot, window):
    window.resize(1280, 720)
    _settle(qtbot)
    sizes = _Sizes()
    window.plot_stack.installEventFilter(sizes)
    before = window.plot_stack.height()
    window.show_message("EM did not converge within max_iter = 6 iterations. Raise Max iterations or the "
                        "tolerance and run again.", "warning")
    _settle(qtbot)
    window.plot_stack.removeEventFilter(sizes)
    bar = window.message_bar
    assert bar.isVisible() and bar.height() < 60  # one line of text (was 84 px at first)
    assert sizes.heights == [window.plot_stack.height()] and window.plot_stack.height() < before


def test_a_long_message_is_still_capped_and_scrolls(qtbot, window):
    window.resize(1280, 720)
    _settle(qtbot)
    window.show_message(" ".join(["Column 3 is constant in every row."] * 60), "warning")
    _settle(qtbot)
    bar = window.message_bar
    assert bar.scroll.height() == bar.text_height_cap()
