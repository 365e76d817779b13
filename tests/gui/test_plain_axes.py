"""Axes show the data's own units: pyqtgraph's automatic SI prefix turned a column of 0.2-0.7 into 200-700 with
"share (x0.001)" beside it and 2e-4 into 200 "(x1e-06)" (seen in a screenshot of a fit at 1280x720)."""

from __future__ import annotations

import numpy as np

from emdesk.gui.checks_view import ChecksView
from emdesk.gui.uncertainty_view import UncertaintyView


def _plain(axis) -> bool:
    return axis.autoSIPrefixScale == 1.0 and "(x" not in axis.labelString()


def test_small_values_keep_their_units_in_the_plots(window, tmp_path, qtbot):
    rng = np.random.default_rng(0)
    share = np.r_[rng.normal(0.2, 0.03, 40), rng.normal(0.6, 0.05, 40)]
    conc = np.r_[rng.normal(3e-4, 5e-5, 40), rng.normal(7e-4, 5e-5, 40)]
    p = tmp_path / "small.csv"
    p.write_text("share,conc\n" + "".join(f"{a:.4f},{b:.6f}\n" for a, b in zip(share, conc)))
    window.open_csv(p)
    qtbot.wait(50)
    pi = window.plot_2d.plot.getPlotItem()
    assert _plain(pi.getAxis("bottom")) and _plain(pi.getAxis("left"))
    window.select_columns(["conc"])
    qtbot.wait(50)
    assert _plain(window.plot_1d.density.getAxis("bottom")) and _plain(window.plot_1d.strip.getAxis("bottom"))


def test_uncertainty_and_checks_axes_are_plain(qtbot):
    view = UncertaintyView()
    qtbot.addWidget(view)
    xy = np.column_stack([np.linspace(0.1, 0.7, 30), np.linspace(1e-4, 8e-4, 30)])
    view.set_data(xy, np.linspace(0, 0.4, 30), np.r_[np.zeros(15, int), np.ones(15, int)], axis_names=("a", "b"))
    view.resize(500, 400)
    view.show()
    qtbot.wait(20)
    pi = view.plot.getPlotItem()
    assert _plain(pi.getAxis("bottom")) and _plain(pi.getAxis("left"))
    checks = ChecksView()
    qtbot.addWidget(checks)
    for plot in (checks.qq_plot, checks.marg_plot, checks.pit_plot):
        assert not plot.getPlotItem().getAxis("bottom").autoSIPrefix
