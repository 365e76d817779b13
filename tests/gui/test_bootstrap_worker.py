"""The background bootstrap runner: progress, result, cancel, replaced runs, shutdown (pytest-qt)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.engine.bootstrap import BootstrapResult, LRTResult, bootstrap
from emdesk.gui.bootstrap_worker import BootstrapRunner


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([0, 0], 1.0, (100, 2)), rng.normal([5, 1], 1.0, (100, 2))])
    return GaussianMixture(2, random_state=0).fit(X), X


@pytest.fixture
def runner(qtbot):
    r = BootstrapRunner()
    yield r
    r.shutdown()


def test_result_matches_the_engine_and_progress_arrives(runner, fit, qtbot):
    gm, X = fit
    seen = []
    runner.progress.connect(lambda d, t: seen.append((d, t)))
    with qtbot.waitSignal(runner.finished, timeout=60000) as blocker:
        runner.start_bootstrap(gm, X, n_boot=20, random_state=3, n_jobs=1)
    (result,) = blocker.args
    assert isinstance(result, BootstrapResult) and not result.cancelled and result.n_done == 20
    direct = bootstrap(gm, X, n_boot=20, random_state=3, n_jobs=1)
    np.testing.assert_array_equal(result.replicates["means"], direct.replicates["means"])
    qtbot.waitUntil(lambda: (20, 20) in seen, timeout=5000)  # the last state is always sent
    assert not runner.is_running()


def test_stop_gives_a_partial_result(runner, fit, qtbot):
    gm, X = fit
    runner.progress.connect(lambda d, t: runner.stop() if d >= 2 else None)
    with qtbot.waitSignal(runner.finished, timeout=60000) as blocker:
        runner.start_bootstrap(gm, X, n_boot=5000, random_state=0, n_jobs=1)
    (result,) = blocker.args
    assert result.cancelled and 2 <= result.n_done < 5000


def test_a_new_run_replaces_the_old_one(runner, fit, qtbot):
    gm, X = fit
    results = []
    runner.finished.connect(results.append)
    runner.start_bootstrap(gm, X, n_boot=5000, random_state=0, n_jobs=1)
    with qtbot.waitSignal(runner.finished, timeout=60000):
        runner.start_lrt(X, covariance_type="full", max_components=1, n_boot=19, random_state=0, n_jobs=1,
                         n_init=1, tol=1e-3)
    qtbot.wait(50)
    assert len(results) == 1 and isinstance(results[0], LRTResult)


def test_errors_arrive_as_messages(runner, fit, qtbot):
    gm, X = fit
    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        runner.start_bootstrap(gm, X, n_boot=5, method="jackknife")
    assert "method" in blocker.args[0]


def test_a_run_stopped_before_it_began_leaves_the_runner_idle(runner, fit, qtbot):
    # Stopped before the worker reached it (it was busy with the run it replaces), a run returned without a
    # word and the runner said "running" for ever (a results-panel test timed out on it in CI).
    gm, X = fit
    results = []
    runner.finished.connect(results.append)
    runner.start_bootstrap(gm, X, n_boot=100000, random_state=0)  # keeps the worker busy
    runner.start_bootstrap(gm, X, n_boot=100000, random_state=1)  # queued behind it, replaces it
    runner.stop()  # before the worker gets to the second run
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=30000)
    qtbot.wait(50)
    assert results == []  # neither the replaced run nor the one stopped before it began has a result
