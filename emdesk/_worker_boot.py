"""Start-up of emdesk's worker processes (the model-selection sweep, :mod:`emdesk.engine._workers`).

Standard library only, and outside :mod:`emdesk.engine` on purpose: a worker process unpickles
``init`` before anything has imported NumPy, so the BLAS thread count set here is the one the
worker's BLAS starts with (OpenBLAS and MKL read it when they are loaded).  Then the worker
imports the engine once: that import (NumPy, SciPy, emdesk.engine, about 1 to 1.5 s of CPU) is a
worker's start-up cost, paid once per worker and process lifetime, not per fit.
"""

from __future__ import annotations

import os

#: The pool's cancel flags (a shared ``multiprocessing`` array of sweep ids), set by ``init``.
cancel_flags = None

_BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                   "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def init(blas_threads, flags) -> None:
    """Runs first in every worker process: BLAS threads, the cancel flags, then the engine import."""
    global cancel_flags
    if blas_threads:
        for var in _BLAS_VARIABLES:
            os.environ[var] = str(int(blas_threads))
    cancel_flags = flags
    _exit_with_parent()
    import emdesk.engine.selection  # noqa: F401  (the start-up cost, paid here once)
    import emdesk.engine.selection_processes  # noqa: F401  (the fits a worker runs: _fit_in_worker)


def _exit_with_parent() -> None:
    """End this worker when the process that started it ends, even if it was killed and could
    not shut the pool down (an idle worker would otherwise wait for work forever)."""
    import multiprocessing
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch():
        parent.join()  # the parent's sentinel: returns when it has ended
        os._exit(0)

    threading.Thread(target=watch, name="emdesk-worker-watchdog", daemon=True).start()


def ready() -> int:
    """A no-op task: its result says a worker has started (used to start workers ahead of a sweep)."""
    return os.getpid()
