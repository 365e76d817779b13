"""The model-selection sweep in worker processes (issue 16, target 3): the same table as a serial
sweep, prompt cancel, scripts without a main guard, and a fallback when workers fail."""

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from emdesk.engine import _workers
from emdesk.engine import selection_processes as sp
from emdesk.engine.selection import iter_select_model, select_model

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")

ROOT = Path(__file__).resolve().parents[2]
FAITHFUL = ROOT / "benchmarks" / "data" / "faithful.csv"


def faithful():
    return np.loadtxt(FAITHFUL, delimiter=",", skiprows=1)


def table(result):
    """Everything a row says, the fitted parameters included (exact values, no tolerance)."""
    out = []
    for r in result.table:
        params = None
        if r.model is not None:
            m = r.model
            params = (m.weights_.tolist(), m.means_.tolist(), np.asarray(m.covariances_).tolist(),
                      m.restart_log_likelihoods_.tolist(), m.best_restart_, m.n_iter_, m.converged_)
        scores = tuple(None if np.isnan(v) else v for v in (r.log_likelihood, r.bic, r.aic, r.icl))  # NaN != NaN
        out.append((r.index, r.n_components, r.covariance_type, scores, r.n_parameters, r.n_iter, r.converged, r.degenerate, r.issues, r.error, params))
    return out


def no_sweep_threads():
    return not any(t.name.startswith("emdesk-select") for t in threading.enumerate())


def test_processes_give_exactly_the_serial_table_on_old_faithful():
    X = faithful()
    kw = dict(n_components=range(1, 7), n_init=3, random_state=7)
    serial = select_model(X, n_jobs=1, **kw)
    parallel = select_model(X, n_jobs=2, backend="processes", **kw)
    threads = select_model(X, n_jobs=2, backend="threads", **kw)
    assert table(parallel) == table(serial)
    assert table(threads) == table(serial)
    assert parallel.best_row.label() == serial.best_row.label() and parallel.reason == serial.reason
    assert _workers.n_workers() >= 1  # the workers did run
    # A model that came back from a worker scores like the serial one.
    k, t = serial.best_row.n_components, serial.best_row.covariance_type
    np.testing.assert_array_equal(parallel.row(k, t).model.predict_proba(X), serial.row(k, t).model.predict_proba(X))
    assert no_sweep_threads()


def test_fits_run_in_the_workers_and_failed_fits_come_back_as_rows():
    X = faithful()[:40]
    _workers.start(1)[0].result(timeout=120)  # started: the sweep gives the worker fits from the start
    where = []
    real = sp._row_from_plain

    def spy(d):
        where.append(d["index"])
        return real(d)

    sp._row_from_plain = spy
    try:
        result = select_model(X, n_components=[1, 2, 3, 45], covariance_types=("full", "diag"), n_init=2,
                              random_state=0, n_jobs=2)
    finally:
        sp._row_from_plain = real
    assert where, "no fit ran in a worker process"
    failed = [r for r in result.table if not r.ok]
    assert {r.n_components for r in failed} == {45} and all("45" in r.error for r in failed)
    assert table(result) == table(select_model(X, n_components=[1, 2, 3, 45], covariance_types=("full", "diag"),
                                               n_init=2, random_state=0, n_jobs=1))


def test_cancel_stops_the_sweep_and_the_workers_promptly():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 3))
    _workers.start(1)[0].result(timeout=120)
    stop = threading.Event()
    # Every fit here would take far longer than any test (10-15 components, 50 restarts of up to
    # 5000 iterations, tol 1e-12): one runs in this process and one in the worker when the stop comes.
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    result = select_model(X, n_components=range(10, 16), n_init=50, random_state=0, n_jobs=2,
                          should_stop=stop.is_set, tol=1e-12, max_iter=5000)
    assert result.cancelled and len(result.table) == 0
    assert no_sweep_threads()
    # The worker dropped its fit too: a probe (queued behind that fit if it still ran) is answered.
    pid = _workers.start(1)[0].result(timeout=120)  # a guard against hanging, not a timing
    assert pid != os.getpid()


def test_a_broken_pool_falls_back_to_this_process(monkeypatch):
    X = faithful()
    kw = dict(n_components=range(1, 4), covariance_types=("full", "spherical"), n_init=2, random_state=3)

    def refuse(*args, **kwargs):
        raise RuntimeError("cannot schedule new futures after shutdown")

    monkeypatch.setattr(_workers, "submit", refuse)
    result = select_model(X, n_jobs=2, **kw)
    assert result.complete
    assert table(result) == table(select_model(X, n_jobs=1, **kw))


def test_bad_backend_is_a_value_error():
    with pytest.raises(ValueError, match="backend"):
        select_model(faithful(), n_components=[1], backend="gpu")


def test_a_script_without_a_main_guard_runs_a_parallel_sweep(tmp_path):
    # Spawned workers never import the caller's __main__: a script with no
    # ``if __name__ == "__main__":`` guard neither reruns in the workers nor fails.
    marker = tmp_path / "ran.txt"
    script = tmp_path / "sweep_script.py"
    script.write_text(textwrap.dedent(f"""
        import numpy as np
        from emdesk.engine import select_model
        from emdesk.engine import _workers
        with open({str(marker)!r}, "a") as fh:
            fh.write("x")
        X = np.loadtxt({str(FAITHFUL)!r}, delimiter=",", skiprows=1)
        _workers.start(1)[0].result(timeout=120)
        r = select_model(X, n_components=range(1, 4), n_init=2, random_state=0, n_jobs=2)
        s = select_model(X, n_components=range(1, 4), n_init=2, random_state=0, n_jobs=1)
        assert [row.bic for row in r.table] == [row.bic for row in s.table]
        print("best", r.best_row.label())
    """))
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "best" in out.stdout
    assert marker.read_text() == "x"  # the script ran once: not again in the worker
