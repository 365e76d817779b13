"""Stop pressed before a bootstrap's first replicate (or its LRT's) must leave the panel idle: found by the
newcomer test, the runner dropped the empty result and the Results panel stayed "running" for good
(Bootstrap greyed out, Stop enabled, the progress bar shown) until the next fit."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")

FAITHFUL = __import__("pathlib").Path(__file__).parents[2] / "benchmarks" / "data" / "faithful.csv"


def test_stop_before_the_first_replicate_leaves_the_results_panel_idle(qtbot, window, monkeypatch):
    import threading

    from emdesk.gui.bootstrap_worker import BootstrapWorker

    # The worker thread may only begin the job once Stop was pressed (without this, a loaded machine
    # sometimes let the worker start and finish a replicate between start and stop: a flaky test).
    released = threading.Event()
    original_run = BootstrapWorker.run

    calls = []

    def run_after_stop(self, *args):
        calls.append(args[0])
        released.wait(30)
        return original_run(self, *args)

    monkeypatch.setattr(BootstrapWorker, "run", run_after_stop)
    window.open_csv(FAITHFUL)
    window.set_options(n_components=2, random_state=0)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    panel = window.results.panel
    panel.start_bootstrap(n_boot=999, method="parametric", random_state=1)
    panel.stop_bootstrap()  # before the worker thread picks the job up
    released.set()
    qtbot.waitUntil(lambda: panel.boot_button.isEnabled(), timeout=30_000)
    assert not panel.stop_button.isEnabled() and not panel.boot_progress.isVisible()
    assert "stopped" in panel.boot_status.text().lower()
    assert panel.bootstrap_result() is None
    assert calls, "the job did not go through the worker's run"
    # and the next bootstrap runs as usual
    with qtbot.waitSignal(panel.bootstrapFinished, timeout=120_000) as blocker:
        panel.start_bootstrap(n_boot=5, method="parametric", random_state=1)
    assert blocker.args[0].n_done == 5


def test_stop_before_the_first_replicate_leaves_the_lrt_panel_idle(qtbot):
    import numpy as np

    from emdesk.gui.lrt_panel import LRTPanel

    panel = LRTPanel()
    qtbot.addWidget(panel)
    X = np.loadtxt(FAITHFUL, delimiter=",", skiprows=1)
    panel.set_data(X, covariance_type="tied")
    try:
        panel.start(max_components=2, n_boot=99, random_state=0)
        panel.stop()
        qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=30_000)
        assert not panel.stop_button.isEnabled() and not panel.progress.isVisible()
        assert "stopped" in panel.conclusion.text().lower()
    finally:
        panel.shutdown()


def test_a_refused_method_gives_its_own_reason(qtbot, window, tmp_path):
    """An HMM of one sequence refuses the nonparametric bootstrap with that reason only (before, the message
    began with the weighted likelihood bootstrap's reason, which was not the method asked for)."""
    import numpy as np

    rng = np.random.default_rng(0)
    p = tmp_path / "seq.csv"
    p.write_text("t,v\n" + "".join(f"{i},{rng.normal(4 * (i // 25 % 2), 1):.3f}\n" for i in range(200)))
    window.open_csv(p)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence(None, "t")
    window.select_columns(["v"])
    window.set_options(n_components=2, random_state=0)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    panel = window.results.panel
    with pytest.raises(ValueError) as info:
        panel.start_bootstrap(method="nonparametric", n_boot=5)
    assert "whole sequences" in str(info.value) and "weighted" not in str(info.value)
    with pytest.raises(ValueError) as info:
        panel.start_bootstrap(method="weighted", n_boot=5)
    assert "row weights" in str(info.value) and "sequences" not in str(info.value)
    assert not panel.is_bootstrapping()


def test_a_one_category_column_is_named_in_the_window(qtbot, window, tmp_path):
    p = tmp_path / "onelevel.csv"
    p.write_text("c,d,x\n" + "".join(f"a,{'xy'[i % 2]},{i}\n" for i in range(30)))
    shown = []
    window.messageShown.connect(lambda level, text: shown.append((level, text)))
    window.open_csv(p)
    window.set_model_kind("mixture", "categorical")
    window.select_columns(["c"])
    window.set_options(n_components=2, random_state=0)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    assert shown and shown[-1][0] == "warning"
    assert "Column 1 (c) holds one category only" in shown[-1][1] and "classes cannot differ" in shown[-1][1]
