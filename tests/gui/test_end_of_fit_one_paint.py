"""The end of a fit paints each plot once (issue 16, the end-of-fit repaint). A fit that stops at max_iter shows
a message above the plots, which resizes them; their items then move with the new range. Qt processes a
scene's moved items (its dirty items) from a posted call that also paints the window's pending regions at once,
so the 2-D plot was painted for the resize and then again for its own scene's items (13-20 ms for 50,000 dots).
The fit's end now has every visible scene's items processed while the plots' viewports hold their updates,
then one paint of each."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class _Paints(QtCore.QObject):
    """The plot's paints from the moment the message strip is shown (inside the fit's end handler) on."""

    def __init__(self, bar, viewport):
        super().__init__()
        self.bar, self.viewport, self.count, self.shown = bar, viewport, 0, False

    def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
        if obj is self.bar and event.type() == QtCore.QEvent.Type.Show:
            self.shown = True
        elif obj is self.viewport and self.shown and event.type() == QtCore.QEvent.Type.Paint:
            self.count += 1
        return False


def _settle(qtbot):
    for _ in range(5):
        QtWidgets.QApplication.processEvents()
        qtbot.wait(10)


def test_a_fit_that_shows_a_message_paints_the_2d_plot_once(qtbot, window, two_clusters):
    window.resize(1280, 720)
    window.open_csv(two_clusters)
    window.set_options(n_components=2, random_state=0, max_iter=2, tol=0.0)
    _settle(qtbot)
    viewport = window.views.plot_2d.plot.viewport()
    paints = _Paints(window.message_bar, viewport)
    window.message_bar.installEventFilter(paints)
    viewport.installEventFilter(paints)
    before = viewport.height()
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    _settle(qtbot)
    viewport.removeEventFilter(paints)
    window.message_bar.removeEventFilter(paints)
    assert paints.shown and viewport.height() < before  # "did not converge": the plot was resized at the end
    assert paints.count == 1
