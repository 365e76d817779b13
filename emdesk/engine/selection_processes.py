"""The model-selection sweep's fits in worker processes (:func:`emdesk.engine.selection.iter_select_model`
with ``backend="processes"``, issue 16): the calling process and ``n_jobs - 1`` spawned workers
(:mod:`emdesk.engine._workers`) each take the most expensive fit left; fits travel as plain values."""

from __future__ import annotations

import collections
import queue
import threading

from . import _workers
from ._threads import limit_threads
from .diagnostics import ComponentIssue
from .gaussian import GaussianMixture
from .selection import SelectionCancelled, SelectionRow, _fit_one

# ------------------------------------------------------------------ fits in worker processes
def _fit_in_worker(index, k, cov_type, X, sample_weight, params, seed, slot, sweep_id):
    """Runs in a worker process: one fit, returned as plain values (None when cancelled)."""

    def stop():
        return not _workers.still_wanted(slot, sweep_id)

    if stop():
        return None
    try:
        with limit_threads(1):  # the workers and the caller's runner share the cores: one thread each
            row = _fit_one(index, k, cov_type, X, sample_weight, params, seed, stop)
    except SelectionCancelled:
        return None
    return _row_to_plain(row)


_ROW_FIELDS = ("index", "n_components", "covariance_type", "log_likelihood", "n_parameters", "bic", "aic",
               "icl", "n_iter", "converged", "degenerate", "error", "seconds")


def _row_to_plain(row: SelectionRow) -> dict:
    """A row as plain values: numbers, strings, tuples, and the model's attributes as a dict of
    arrays and numbers (its scoring cache dropped; it is rebuilt on first use)."""
    d = {name: getattr(row, name) for name in _ROW_FIELDS}
    d["issues"] = tuple((i.component, i.kind, i.message) for i in row.issues)
    state = None
    if row.model is not None:
        state = dict(vars(row.model))
        state["_score_cache"] = None
    d["model"] = state
    return d


def _row_from_plain(d: dict) -> SelectionRow:
    state = d["model"]
    model = None
    if state is not None:
        model = GaussianMixture.__new__(GaussianMixture)
        model.__dict__.update(state)
    issues = tuple(ComponentIssue(int(c), str(kind), str(msg)) for c, kind, msg in d["issues"])
    return SelectionRow(issues=issues, model=model, **{name: d[name] for name in _ROW_FIELDS})


def _sweep_in_processes(handle, plan, X, sample_weight, params, seeds, n_jobs, stopped, stop, step):
    """The sweep on ``n_jobs - 1`` worker processes plus the calling process (one thread).

    Every runner takes the most expensive fit left (most components first).  The caller's thread
    starts fitting at once; the workers get fits only once they have started (a worker's first
    start imports NumPy, SciPy and the engine, about 1 s), so a short sweep never waits for them.
    A worker that fails (crashed, could not start) hands its fit back to the caller's thread.
    """
    pool, slot, sweep_id = handle
    total = len(plan)
    todo = collections.deque(sorted(range(total), key=lambda i: (-plan[i][0], i)))
    lock = threading.Lock()
    events: queue.Queue = queue.Queue()
    outstanding: dict = {}  # future -> plan index (None for a start-up probe)
    n_proc = n_jobs - 1
    state = {"free": 0, "broken": False, "local": None}

    def local_runner():
        while not stopped():
            with lock:
                if not todo:
                    return
                i = todo.popleft()
            k, t = plan[i]
            try:
                with limit_threads(1):  # beside the worker processes: one thread
                    row = _fit_one(i, k, t, X, sample_weight, params, seeds[i], stopped)
            except SelectionCancelled:
                return
            except BaseException as exc:  # pragma: no cover - _fit_one turns errors into rows
                events.put(("crash", exc))
                return
            events.put(("row", row))

    def ensure_local():
        th = state["local"]
        if th is None or not th.is_alive():
            th = threading.Thread(target=local_runner, name="emdesk-select-local", daemon=True)
            state["local"] = th
            th.start()

    def on_done(fut):
        events.put(("future", fut))

    def dispatch():
        while state["free"] > 0 and not state["broken"] and not stopped():
            with lock:
                if not todo:
                    return
                i = todo.popleft()
            k, t = plan[i]
            try:
                fut = _workers.submit(pool, _fit_in_worker, i, k, t, X, sample_weight, params, seeds[i], slot,
                                      sweep_id)
            except Exception:  # the pool cannot take work (broken, shut down): the caller's thread does it
                with lock:
                    todo.appendleft(i)
                state["broken"] = True
                ensure_local()
                return
            state["free"] -= 1
            outstanding[fut] = i
            fut.add_done_callback(on_done)

    from emdesk import _worker_boot

    try:
        ensure_local()
        for _ in range(n_proc):  # one probe per worker: a probe's answer frees a slot for a fit
            try:
                fut = _workers.submit(pool, _worker_boot.ready)
            except Exception:
                state["broken"] = True
                break
            outstanding[fut] = None
            fut.add_done_callback(on_done)
        n_rows = 0
        while n_rows < total:
            try:
                kind, payload = events.get(timeout=0.2)
            except queue.Empty:
                if stopped():
                    return
                th = state["local"]
                if state["broken"] and todo and (th is None or not th.is_alive()):
                    ensure_local()
                continue
            if stopped():
                return
            if kind == "crash":  # pragma: no cover - defensive
                raise payload
            if kind == "future":
                i = outstanding.pop(payload)
                try:
                    result = payload.result()
                except BaseException:  # the worker died or could not start: fit here instead
                    state["broken"] = True
                    if i is not None:
                        with lock:
                            todo.appendleft(i)
                    ensure_local()
                    continue
                state["free"] += 1
                dispatch()
                if i is None:
                    continue
                if result is None:  # cancelled in the worker
                    return
                row = _row_from_plain(result)
            else:
                row = payload
            n_rows += 1
            yield step(row)
            if stopped():
                return
    finally:
        stop.set()  # the caller's thread stops within one EM iteration
        _workers.end_sweep(slot)  # fits in the workers see it within one EM iteration
        for fut in list(outstanding):
            fut.cancel()
        th = state["local"]
        if th is not None:
            th.join()
