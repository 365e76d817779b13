"""The window at 1024x720 with the Results dock shown: the plot area's minimum was 537 px (the "No data" page's
one-line text, a hidden page of the plot stack), which left the Results dock 134 px, and the timeline's 230 px
label squeezed its slider to nothing. 1280x720 and 1920x1080 keep their layout."""

from __future__ import annotations

import pytest

from emdesk.gui.main_window import example_path
from emdesk.gui.timeline import SLIDER_MIN

FIT_TIMEOUT = 60_000


@pytest.mark.parametrize("size", [(1024, 720), (1280, 720), (1920, 1080)])
def test_results_dock_and_plot_share_the_width(qtbot, window, size, tmp_path):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0])
    window.open_csv(example_path())
    window.set_options(n_components=3, random_state=0, n_init=1)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    window.results.show_dock("results")
    dock = window.results.docks["results"]
    qtbot.waitUntil(lambda: dock.isVisible() and dock.width() > 60)
    qtbot.wait(20)
    central = window.centralWidget()
    assert window.plot_stack.minimumSizeHint().width() < 300  # the "No data" text wraps
    assert window.timeline.slider.width() >= SLIDER_MIN
    assert window.grab().save(str(tmp_path / f"window_{size[0]}x{size[1]}.png"))
    if size[0] == 1024:
        assert dock.width() >= 290 and central.width() >= 360, (dock.width(), central.width())
    elif size[0] == 1280:  # as before: the plot area about 545 px, the dock about 390
        assert central.width() >= 540 and dock.width() >= 380, (dock.width(), central.width())
    else:
        assert dock.width() == 440 and central.width() >= 1100, (dock.width(), central.width())
