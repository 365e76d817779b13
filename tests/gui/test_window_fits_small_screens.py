"""The whole window (menus, toolbar, docks, plots, timeline, status bar) fits a 1280x720 screen with a
taskbar (about 1280x680 available) in every model kind and family (issue 15: in HMM mode the Data panel's
Sequence/Order pickers and the Restarts view made the window's minimum 1280x762)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")

AVAILABLE = (1280, 680)  # a 1280x720 screen less a 40 px taskbar


@pytest.fixture
def data_csv(tmp_path):
    rng = np.random.default_rng(0)
    p = tmp_path / "mix.csv"
    rows = ["a,b,count,colour"]
    for i in range(120):
        c = i % 3
        rows.append(f"{rng.normal(3 * c, 1):.3f},{rng.normal(c, 1):.3f},{rng.poisson(2 + 4 * c)},"
                    f"{['red', 'green', 'blue'][c]}")
    p.write_text("\n".join(rows) + "\n")
    return p


@pytest.fixture
def missing_csv(tmp_path):
    rng = np.random.default_rng(1)
    p = tmp_path / "miss.csv"
    rows = ["a,b"] + [f"{'' if i % 17 == 0 else round(rng.normal(), 3)},{'' if i % 23 == 0 else round(rng.normal(), 3)}"
                      for i in range(200)]
    p.write_text("\n".join(rows) + "\n")
    return p


def _setup(window, mode, data_csv, missing_csv):
    if mode.startswith("hmm"):
        window.open_example("example_hmm_regimes.csv", fit=False)
        if mode == "hmm_poisson":
            window.set_model_kind("hmm", "poisson")
            window.select_columns(["alarms"])
        return
    if mode == "missing":
        window.open_csv(missing_csv)
        window.select_columns(["a", "b"])
        return
    window.open_csv(data_csv)
    family, columns = {"gaussian_2d": ("gaussian", ["a", "b"]), "gaussian_1d": ("gaussian", ["a"]),
                       "student_t": ("student_t", ["a", "b"]), "poisson": ("poisson", ["count"]),
                       "categorical": ("categorical", ["colour"])}[mode]
    window.set_model_kind("mixture", family)
    window.data_panel.set_selected(columns)


MODES = ["gaussian_2d", "gaussian_1d", "student_t", "poisson", "categorical", "hmm_gaussian", "hmm_poisson",
         "missing"]


@pytest.mark.parametrize("mode", MODES)
def test_minimum_size_fits_1280x680(qtbot, window, data_csv, missing_csv, mode):
    _setup(window, mode, data_csv, missing_csv)
    qtbot.wait(10)
    hint = window.minimumSizeHint()
    assert hint.width() <= AVAILABLE[0] and hint.height() <= AVAILABLE[1], (mode, hint)
    window.resize(*AVAILABLE)
    qtbot.wait(10)
    assert (window.width(), window.height()) == AVAILABLE
    # the status bar and the timeline are inside the window
    for part in (window.statusBar(), window.timeline):
        bottom = part.mapTo(window, part.rect().bottomLeft()).y()
        assert part.isVisible() and bottom < window.height(), (mode, part)


@pytest.mark.parametrize("mode", ["hmm_gaussian", "student_t"])
def test_minimum_size_fits_with_a_larger_font(qtbot, qapp, window, data_csv, missing_csv, mode):
    """A desktop's 11-point font (the offscreen platform's default is 9): still within 1280x680."""
    old = qapp.font()
    big = QtGui.QFont(old)
    big.setPointSizeF(11.0)
    qapp.setFont(big)
    try:
        _setup(window, mode, data_csv, missing_csv)
        qtbot.wait(10)
        hint = window.minimumSizeHint()
        assert hint.width() <= AVAILABLE[0] and hint.height() <= AVAILABLE[1], (mode, hint)
    finally:
        qapp.setFont(old)


def test_panels_scroll_instead_of_setting_the_window_minimum(window):
    """Each left dock holds its panel in a vertical scroll area: the panel keeps its minimum (nothing cut),
    the dock does not impose it on the window; the area is as wide as the panel (no horizontal scrolling)."""
    from emdesk.gui.window_size import PanelScroll

    for dock, panel in ((window.data_dock, window.data_panel), (window.params_dock, window.params_panel),
                        (window.restarts_dock, window.restarts_view)):
        area = dock.widget()
        assert isinstance(area, PanelScroll) and area.widget() is panel
        assert area.minimumSizeHint().height() < panel.minimumSizeHint().height()
        assert area.minimumSizeHint().width() >= panel.minimumSizeHint().width()


def test_missing_values_box_is_shown_whole(qtbot, window, data_csv, missing_csv):
    """At 1280x680 the Data dock grows to its panel: the missing-values sentence and both choices are
    visible, the sentence with the height its wrapped lines need."""
    window.resize(*AVAILABLE)
    _setup(window, "missing", data_csv, missing_csv)
    panel = window.data_panel
    info = panel.missing_info
    qtbot.waitUntil(lambda: panel.height() <= window.data_dock.widget().viewport().height() + 1
                    and info.height() >= info.heightForWidth(info.width()), timeout=3000)
    box = panel.missing_box
    assert box.isVisible() and panel.missing_text()
    area = window.data_dock.widget()
    bottom = panel.missing_drop.mapTo(area.viewport(), panel.missing_drop.rect().bottomLeft()).y()
    assert bottom <= area.viewport().height()


def test_a_short_dock_scrolls_the_whole_panel(qtbot, window, data_csv, missing_csv):
    """Squeezed below its panel's height, the Data dock scrolls: the panel keeps the height its wrapped
    texts need (the missing-values sentence is never cut to fewer lines)."""
    _setup(window, "missing", data_csv, missing_csv)
    window.resize(1280, 420)
    qtbot.wait(50)
    panel, info = window.data_panel, window.data_panel.missing_info
    area = window.data_dock.widget()
    assert area.viewport().height() < panel.height()
    assert area.verticalScrollBar().maximum() > 0
    assert info.height() >= info.heightForWidth(info.width())


def test_column_names_keep_their_room_beside_long_type_texts(window, data_csv, missing_csv):
    """A categorical family's Type text ("text: 3 categories (blue, green, red)") is elided to about 12
    characters so the Column column is not squeezed to "..." (seen at 1920x1080)."""
    _setup(window, "categorical", data_csv, missing_csv)
    t = window.data_panel.columns
    fm = t.fontMetrics()
    assert t.columnWidth(1) <= fm.horizontalAdvance("text: 12 categ") + 12
    assert t.columnWidth(0) >= fm.horizontalAdvance("colour") + 20
