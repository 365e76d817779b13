"""The engine's threads: how many cores a Gaussian EM pass over row shards may use (issue 16).

A pass over dense data (:func:`emdesk.engine._kernels.em_pass`) is a sum over rows, so the rows are
cut into *shards* (a fixed number of rows chosen from ``n``, ``d`` and ``k`` only, never from the
thread count: :func:`shard_rows`), each shard runs the per-block kernels on its own buffers in a
thread of a pool (NumPy and BLAS release the GIL), and the shards' partial sums are added **in shard
order**.  The result is therefore the same bits for 1, 2 or 8 threads.

The setting (public as ``emdesk.engine.set_num_threads`` / ``get_num_threads``):

* default: the CPUs this process may run on (``os.sched_getaffinity``, else ``os.cpu_count``),
  capped at :data:`MAX_DEFAULT_THREADS`; the environment variable ``EMDESK_NUM_THREADS`` (read when
  the default is needed) replaces it (a value that is not a whole number >= 1 is ignored with a warning);
* :func:`set_num_threads` sets it for the whole process (``None``: back to the default);
* :func:`limit_threads` lowers it for the calling thread only (a context manager): the model-selection
  worker processes and their local runner, the bootstrap's thread workers and Dask chunk tasks run
  their passes with one thread, so parallel fits do not oversubscribe the cores.

The pool's threads run NumPy only: no Qt object is ever created, held or destroyed in them.  Each
shard runs in a copy of the caller's :mod:`contextvars` context, so ``np.errstate`` set by the caller
applies inside the shards as well.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import operator
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor, wait

__all__ = ["set_num_threads", "get_num_threads", "limit_threads", "MAX_DEFAULT_THREADS", "ENV_VARIABLE"]

#: The default thread count is at most this (more threads than this rarely pay on a pass of
#: skinny products; set_num_threads or EMDESK_NUM_THREADS allow more).
MAX_DEFAULT_THREADS = 8
#: The environment variable that replaces the default thread count.
ENV_VARIABLE = "EMDESK_NUM_THREADS"

_setting = None  # set_num_threads' value (None: the default)
_local = threading.local()  # .limit: limit_threads' value in this thread (pool threads: 1)
_lock = threading.Lock()
_pools: dict = {}  # thread count -> ThreadPoolExecutor: only the last count asked for is kept
_warned: set = set()  # bad EMDESK_NUM_THREADS values already warned about


def _check(n, what):
    try:
        i = operator.index(n)
    except TypeError:
        i = None
    if isinstance(n, bool) or i is None or i < 1:
        raise ValueError(f"{what} must be a whole number of threads >= 1, got {n!r}.")
    return i


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_num_threads() -> int:
    """``EMDESK_NUM_THREADS`` when set to a whole number >= 1, else :func:`available_cpus` capped at
    :data:`MAX_DEFAULT_THREADS`.  Any other value of the variable is ignored with one RuntimeWarning
    naming it: the variable is read only when a pass has two shards or more, so raising would make a
    typo fail big fits alone, and a thread count never changes a result."""
    env = os.environ.get(ENV_VARIABLE, "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            n = 0
        if n >= 1:
            return n
        if env not in _warned:
            _warned.add(env)
            warnings.warn(f"The environment variable {ENV_VARIABLE}={env!r} is not a whole number >= 1; it is "
                          f"ignored and EM uses the default thread count.", RuntimeWarning, stacklevel=2)
    return min(available_cpus(), MAX_DEFAULT_THREADS)


def set_num_threads(n) -> None:
    """Threads an EM pass over dense data may use, for the whole process.

    Parameters
    ----------
    n : int >= 1, or None for the default (``EMDESK_NUM_THREADS`` if set, else the CPUs this process
        may use, at most :data:`MAX_DEFAULT_THREADS`).

    Results do not depend on it: the rows are cut into shards independently of the thread count and
    the shards' sums are added in order, so a fit gives the same bits with 1 or 8 threads.
    Raises ValueError for anything but a whole number >= 1 or None.
    """
    global _setting
    _setting = None if n is None else _check(n, "set_num_threads(n)")


def get_num_threads() -> int:
    """Threads an EM pass started in this thread may use (see :func:`set_num_threads`;
    :func:`limit_threads` in this thread lowers it)."""
    n = _setting if _setting is not None else default_num_threads()
    lim = getattr(_local, "limit", None)
    return n if lim is None else min(n, lim)


@contextlib.contextmanager
def limit_threads(n=1):
    """Within the block, passes started in *this* thread use at most ``n`` threads (other threads
    are not affected).  For workers that run fits side by side (selection, bootstrap, Dask)."""
    n = _check(n, "limit_threads(n)")
    old = getattr(_local, "limit", None)
    _local.limit = n if old is None else min(old, n)
    try:
        yield
    finally:
        _local.limit = old


def in_one_thread(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with its passes on one thread (:func:`limit_threads`): what a worker
    that runs fits side by side with other workers submits."""
    with limit_threads(1):
        return fn(*args, **kwargs)


def one_thread(fn):
    """Decorator: ``fn``'s passes run on one thread (Dask chunk tasks)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with limit_threads(1):
            return fn(*args, **kwargs)

    return wrapper


def _pool_thread_init():
    _local.limit = 1  # a pass started inside a shard (never done today) would run serially


_pool_pid = [None]  # the process the pools were made in (a forked child has none of their threads)


def _pool(n):
    """The pool of ``n`` threads; call with ``_lock`` held.  A pool of another size is shut down
    (its threads finish the shards already given to them, then exit), so a process that changes
    its thread count keeps one pool, not one per count ever used."""
    if _pool_pid[0] != os.getpid():  # after fork: the parent's executors have no threads here
        _pools.clear()
        _pool_pid[0] = os.getpid()
    pool = _pools.get(n)
    if pool is None:
        for old in _pools.values():
            old.shutdown(wait=False)
        _pools.clear()
        pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="emdesk-em",
                                  initializer=_pool_thread_init)
        _pools[n] = pool
    return pool


def map_in_order(fn, items):
    """``[fn(item) for item in items]``, run on :func:`get_num_threads` threads when that is more
    than 1 and there is more than one item; the results are in the items' order.  Every item is
    finished before an exception (the first in order) is raised."""
    items = list(items)
    n = min(get_num_threads(), len(items))
    if n <= 1:
        return [fn(it) for it in items]
    with _lock:  # submitted under the lock: another thread's new thread count cannot shut the pool first
        pool = _pool(get_num_threads())
        futures = [pool.submit(contextvars.copy_context().run, fn, it) for it in items]
    wait(futures)
    return [f.result() for f in futures]
