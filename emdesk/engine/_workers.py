"""A pool of worker processes for the model-selection sweep (issue 16, target 3).

Why processes: a fit on small data (Old Faithful, 272 rows) is thousands of small NumPy calls,
so its time is Python work under the GIL (py-spy on the Old Faithful sweep: the per-iteration
diagnosis 23 %, preparing Cholesky factors 23 %, E-step 13 %, M-step 12 %, initialisation 12 %,
almost all of it in the interpreter), and threads cannot run two fits at once.  Processes can.

How it stays safe and cheap:

* **spawn**, on every platform: never fork a process that may run Qt or BLAS threads.  A spawned
  worker does *not* import the parent's ``__main__`` (see :func:`_preparation_data`): scripts
  without an ``if __name__ == "__main__":`` guard work, and the app's worker never imports Qt.
* **one pool per process lifetime**, started on first use (or ahead of it, :func:`start`) and
  reused by every sweep: a worker's start-up (importing NumPy, SciPy and the engine: about 1 to
  1.5 s of CPU here) is paid once, not per sweep.  Workers idle between sweeps; the pool shuts
  down when the interpreter exits (or :func:`shutdown`).
* **cancel flags in shared memory**: each sweep has an id, and a fit running in a worker asks
  ``flags[slot] == id`` between EM iterations, so a cancelled sweep's running fits stop within one
  iteration, as in threads.
* Inputs are arrays and plain values; results are plain dicts of arrays and numbers (the fitted
  model's attributes), rebuilt into a :class:`~emdesk.engine.gaussian.GaussianMixture` by the
  caller.  Nothing is written to disk.
* In a frozen (PyInstaller) application the entry point calls ``multiprocessing.freeze_support()``
  first, so a worker started from the bundle's executable runs the worker instead of the app.

Standard library only (``multiprocessing``, ``concurrent.futures``, ``threading``).
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.spawn
import os
import threading
from concurrent.futures import ProcessPoolExecutor

__all__ = ["start", "shutdown", "submit", "new_sweep", "end_sweep", "n_workers"]

#: How many sweeps can run at once with their own cancel flag (more fall back to threads).
N_SLOTS = 64

_lock = threading.Lock()
_pool = None  # ProcessPoolExecutor
_pool_size = 0
_flags = None  # multiprocessing RawArray('q', N_SLOTS): the sweep id allowed to run in each slot
_sweep_ids = itertools.count(1)
_free_slots: list = []
_spawning = threading.local()


# ------------------------------------------------------------------ no __main__ in workers
_original_preparation_data = multiprocessing.spawn.get_preparation_data


def _preparation_data(name):
    """``multiprocessing.spawn.get_preparation_data`` without the parent's main module when an
    emdesk pool starts a worker: the worker needs only the engine, and importing the user's
    script (or the app's ``__main__``, which imports Qt) would rerun it, or slow the start."""
    d = _original_preparation_data(name)
    if getattr(_spawning, "active", False):
        d.pop("init_main_from_name", None)
        d.pop("init_main_from_path", None)
    return d


multiprocessing.spawn.get_preparation_data = _preparation_data


def _blas_threads(size: int) -> int:
    """BLAS threads per worker: the cores shared out between the workers and the caller's fit."""
    return max(1, (os.cpu_count() or 1) // (size + 1))


def _ensure(size: int):
    """The pool with at least ``size`` workers (called with ``_lock`` held)."""
    global _pool, _pool_size, _flags, _free_slots
    if _pool is not None and _pool_size >= size and not getattr(_pool, "_broken", False):
        return _pool
    ctx = multiprocessing.get_context("spawn")
    if _flags is None:
        _flags = ctx.RawArray("q", N_SLOTS)
        _free_slots = list(range(N_SLOTS))
    old = _pool
    from emdesk import _worker_boot

    _pool = ProcessPoolExecutor(max_workers=size, mp_context=ctx, initializer=_worker_boot.init,
                                initargs=(_blas_threads(size), _flags))
    _pool_size = size
    if old is not None:
        old.shutdown(wait=False, cancel_futures=True)
    return _pool


def _submit(pool, fn, *args):
    _spawning.active = True  # workers are spawned inside submit (Python >= 3.9, spawn context)
    try:
        return pool.submit(fn, *args)
    finally:
        _spawning.active = False


def start(n: int):
    """Start ``n`` workers now (if not yet running) without waiting for them; returns their futures.

    The model-selection dialog calls this when it opens, so the workers' start-up overlaps with
    the user choosing options.  Later sweeps reuse the workers.
    """
    from emdesk import _worker_boot

    n = int(n)
    if n < 1:
        return []
    with _lock:
        pool = _ensure(n)
        return [_submit(pool, _worker_boot.ready) for _ in range(n)]


def n_workers() -> int:
    """Workers of the current pool (0 when none was started)."""
    return _pool_size if _pool is not None else 0


def shutdown(wait: bool = True) -> None:
    """Stop the workers (they also stop when the interpreter exits)."""
    global _pool, _pool_size
    with _lock:
        pool, _pool, _pool_size = _pool, None, 0
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


def new_sweep(size: int):
    """``(pool, slot, sweep_id)`` for a sweep that wants ``size`` workers, or None when every cancel
    slot is taken.  Raises ``OSError``/``RuntimeError`` when processes cannot be started here."""
    with _lock:
        pool = _ensure(size)
        if not _free_slots:
            return None
        slot = _free_slots.pop()
        sweep_id = next(_sweep_ids)
        _flags[slot] = sweep_id
        return pool, slot, sweep_id


def end_sweep(slot: int) -> None:
    """Cancel whatever of the sweep still runs in the workers and free its slot."""
    with _lock:
        _flags[slot] = 0
        _free_slots.append(slot)


def submit(pool, fn, *args):
    """``pool.submit(fn, *args)``, the workers started without the parent's ``__main__``."""
    return _submit(pool, fn, *args)


def still_wanted(slot: int, sweep_id: int) -> bool:
    """In a worker: False once the sweep was cancelled (or ended)."""
    from emdesk import _worker_boot

    flags = _worker_boot.cancel_flags
    return flags is not None and flags[slot] == sweep_id
