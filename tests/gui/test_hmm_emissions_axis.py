"""The HMM's emission plot reads densities and frequencies as they are: 'density' with ticks 0.2 ... 0.6, not
'density (x0.001)' with ticks 200 ... 600 (pyqtgraph's SI prefix; the river example showed it; newcomer, 1 Dec)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from emdesk.gui.views.hmm_emissions import EmissionsPlot


@pytest.mark.parametrize("family, label", [("gaussian", "density"), ("poisson", "relative frequency")])
def test_the_emission_axis_has_no_si_prefix(qtbot, family, label):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(300, 200)
    plot.show()
    x = np.random.default_rng(0).normal(1.2, 0.6, 400)
    em = EmissionsPlot(plot.getPlotItem())
    em.set_data((np.abs(np.round(x * 3)) if family == "poisson" else x)[:, None], ["level"], family)
    plot.getPlotItem().getViewBox().autoRange()
    axis = plot.getPlotItem().getAxis("left")
    assert plot.getPlotItem().getViewBox().viewRange()[1][1] < 1.0  # densities below 1: the prefix would be milli
    assert axis.autoSIPrefixScale == 1.0 and "x0.001" not in axis.labelString() and label in axis.labelString()
