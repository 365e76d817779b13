"""The fit worker on its own: throttled batches carry every snapshot; stop, pause and step flags."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from emdesk.gui.worker import FitWorker


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(5, 1, (200, 2))])


def _collect(worker):
    batches, finished, failed = [], [], []
    worker.snapshots.connect(lambda rid, b, ids: batches.append((b, ids)))
    worker.finished.connect(lambda rid, m, stopped: finished.append((m, stopped)))
    worker.failed.connect(lambda rid, msg: failed.append(msg))
    return batches, finished, failed


def test_batches_carry_every_iteration_and_end_with_the_final_one(qapp, data):
    w = FitWorker()
    batches, finished, failed = _collect(w)
    w.prepare()
    w.run(1, data, {"n_components": 2, "random_state": 0, "tol": 0.0, "max_iter": 300}, data[:50])
    assert not failed
    snaps = [s for b, _ in batches for s in b]
    assert [s.iteration for s in snaps] == list(range(301))
    assert snaps[-1].final
    assert len(batches) < len(snaps)  # throttled: not one signal per iteration
    ids = batches[-1][1]
    assert ids.shape == (50,) and ids.dtype.kind == "i"
    model, stopped = finished[0]
    assert not stopped and model.n_iter_ == 300


def test_stop_flag_ends_the_fit_after_the_current_iteration(qapp, data):
    w = FitWorker()
    batches, finished, failed = _collect(w)
    w.prepare()
    seen = []

    def on_batch(rid, b, ids):
        seen.extend(b)
        if len(seen) >= 5:
            w.request_stop()

    w.snapshots.connect(on_batch)
    w.set_delay(0.001)  # emit every iteration
    w.run(1, data, {"n_components": 2, "random_state": 0, "tol": 0.0, "max_iter": 10_000}, None)
    model, stopped = finished[0]
    assert stopped and model is None
    assert 5 <= len(seen) <= 6


def test_pause_and_step_from_another_thread(qapp, data):
    w = FitWorker()
    batches, finished, failed = _collect(w)
    w.prepare(paused=True)
    t = threading.Thread(target=w.run, args=(1, data, {"n_components": 2, "random_state": 0, "tol": 0.0,
                                                       "max_iter": 10_000}, None))
    t.start()
    try:
        def count():
            return sum(len(b) for b, _ in batches)

        def pump(seconds):
            for _ in range(int(seconds / 0.01)):
                qapp.processEvents()
                threading.Event().wait(0.01)

        for expected in (1, 2, 3):
            for _ in range(1000):
                if count() >= expected:
                    break
                pump(0.01)
            pump(0.1)
            assert count() == expected  # paused: no iteration beyond the stepped ones
            w.step()
    finally:
        w.request_stop()
        t.join(5)
        qapp.processEvents()
    assert not t.is_alive()
    assert finished and finished[0][1] is True


def test_engine_error_becomes_a_message(qapp, data):
    w = FitWorker()
    batches, finished, failed = _collect(w)
    w.prepare()
    w.run(1, data[:3], {"n_components": 5}, None)
    assert failed and "n_components" in failed[0]
    assert not finished


def test_preparing_a_new_run_ends_the_previous_one(qapp, data):
    w = FitWorker()
    batches, finished, failed = _collect(w)
    w.prepare(paused=True, run_id=1)
    t = threading.Thread(target=w.run, args=(1, data, {"n_components": 2, "random_state": 0, "tol": 0.0,
                                                       "max_iter": 10_000}, None))
    t.start()
    try:
        t.join(0.5)
        assert t.is_alive()  # paused after the initial state
        w.prepare(paused=False, run_id=2)  # the GUI moved on to run 2: run 1 must not go on
        t.join(5)
        assert not t.is_alive()
    finally:
        w.request_stop()
        t.join(5)
    qapp.processEvents()
    assert finished and finished[0][1] is True
    assert sum(len(b) for b, _ in batches) <= 2


def test_pause_after_a_resume_lets_no_extra_iteration_through(qapp, data):
    # Run, Pause, Run, Pause: the second pause holds at once (resuming must not leave a "step" behind).
    w = FitWorker()
    batches, finished, failed = _collect(w)
    w.prepare(paused=True)
    w.set_paused(False)
    w.set_paused(True)
    t = threading.Thread(target=w.run, args=(1, data, {"n_components": 2, "random_state": 0, "tol": 0.0,
                                                       "max_iter": 10_000}, None))
    t.start()
    try:
        for _ in range(500):
            qapp.processEvents()
            if batches:
                break
            threading.Event().wait(0.01)
        for _ in range(20):
            qapp.processEvents()
            threading.Event().wait(0.01)
        assert [s.iteration for b, _ in batches for s in b] == [0]
    finally:
        w.request_stop()
        t.join(5)
        qapp.processEvents()
    assert not t.is_alive()


def test_stop_reaches_a_fit_still_in_its_kmeans_initialisation(qapp, data, monkeypatch):
    # k-means on a large file runs for seconds before the first snapshot; Stop must not wait for it.
    import emdesk.engine.init as init_mod

    lloyd_steps = []
    w = FitWorker()

    def counting_nearest(Z, centres):
        lloyd_steps.append(1)
        if len(lloyd_steps) == 3:
            w.request_stop()  # the user presses Stop during the initialisation
        # random labels at every call: Lloyd never settles and would run all its 100 iterations
        return np.random.default_rng(len(lloyd_steps)).integers(0, centres.shape[0], Z.shape[0])

    monkeypatch.setattr(init_mod, "_nearest", counting_nearest)
    batches, finished, failed = _collect(w)
    w.prepare()
    w.run(1, data, {"n_components": 2, "random_state": 0, "init_params": "kmeans"}, None)
    assert not failed
    model, stopped = finished[0]
    assert stopped and model is None
    assert not batches  # nothing fitted, nothing drawn
    assert len(lloyd_steps) <= 4  # it ended at the next check, not after 100 Lloyd iterations


def test_imputed_values_are_sent_before_their_batch(qapp, data):
    # The window keeps them for the batch that follows, so the batch's frame finds them and the GUI thread
    # does not impute the drawn rows itself (~80 ms a frame at 1,000,000 rows: benchmarks/bench_gui_gap.py).
    w = FitWorker()
    order = []
    w.snapshots.connect(lambda rid, b, ids: order.append(("batch", b[-1].iteration)))
    w.imputed.connect(lambda rid, values: order.append(("imputed", values.shape)))
    w.prepare()
    X_inc = data[:10].copy()
    X_inc[:, 1] = np.nan
    w.run(1, data, {"n_components": 2, "random_state": 0, "tol": 0.0, "max_iter": 20}, data[:50], X_inc)
    assert order and len(order) % 2 == 0
    assert [kind for kind, _ in order] == ["imputed", "batch"] * (len(order) // 2)
    assert all(shape == (10, 2) for kind, shape in order if kind == "imputed")
