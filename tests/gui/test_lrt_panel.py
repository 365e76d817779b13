"""pytest-qt tests of the bootstrap LRT panel (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from emdesk.engine.bootstrap import bootstrap_lrt
from emdesk.gui.lrt_panel import LRTPanel

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


@pytest.fixture
def panel(qtbot):
    p = LRTPanel()
    qtbot.addWidget(p)
    p.resize(800, 300)
    p.show()
    yield p
    p.shutdown()


@pytest.fixture(scope="module")
def two_clusters():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(5, 1, (80, 2))])


def test_runs_the_tests_and_states_the_conclusion(panel, two_clusters, qtbot):
    X = two_clusters.copy()
    X[0, 0] = np.nan
    assert not panel.run_button.isEnabled()
    with pytest.raises(ValueError, match="set_data"):
        panel.start()
    panel.set_data(X, covariance_type="full", n_components=7, tol=1e-4)
    assert "159 complete rows (1 with missing values left out)" in panel.conclusion.text()
    with qtbot.waitSignal(panel.finished, timeout=120000) as blocker:
        panel.start(max_components=2, n_boot=19, random_state=2)
        assert panel.stop_button.isEnabled() and panel.is_running()
    (result,) = blocker.args
    direct = bootstrap_lrt(X[1:], "full", max_components=2, n_boot=19, random_state=2, tol=1e-4)
    assert [r.statistic for r in result.rows] == pytest.approx([r.statistic for r in direct.rows])
    assert [r.p_value for r in result.rows] == [r.p_value for r in direct.rows]
    assert panel.table.rowCount() == len(result.rows) == 2
    assert panel.table.item(0, 0).text() == "1 vs 2"
    assert float(panel.table.item(0, 2).text()) == pytest.approx(0.05)
    assert "2 vs 3" in panel.conclusion.text() and "no evidence for more than 2" in panel.conclusion.text()
    assert panel.result() is result and not panel.stop_button.isEnabled()


def test_stop(panel, two_clusters, qtbot):
    panel.set_data(two_clusters)
    with qtbot.waitSignal(panel.finished, timeout=120000) as blocker:
        panel.start(max_components=1, n_boot=5000, random_state=0)
        qtbot.waitUntil(lambda: panel.progress.value() >= 2, timeout=60000)
        qtbot.mouseClick(panel.stop_button, QtCore.Qt.MouseButton.LeftButton)
    assert blocker.args[0].cancelled
    assert panel.conclusion.text().startswith("Stopped before the end.")
