"""Background work: the EM fit and the CSV load, each a QObject living in its own QThread.

The fit loop blocks its thread's event loop, so a queued "cancel" slot would only run after the fit.
Stop, pause, step and the animation delay are therefore plain thread-safe flags read after every
iteration. Snapshots are throttled where they are emitted (about 30 batches a second, the last snapshot
always sent); every snapshot of the fit travels in those batches (they hold only parameters: the GUI
recomputes responsibilities of the rows it draws), so the timeline can replay every iteration.
"""

from __future__ import annotations

import atexit
import threading
import time
import traceback
import warnings

from PySide6 import QtCore

from emdesk.gui.geometry import responsibility_color_ids
from emdesk.gui.gui_thread_gc import collect_in_gui_thread
from emdesk.engine.diagnostics import DataColumnWarning, DegenerateSolutionWarning

# The window shows degenerate components itself (legend flags, the guard bar, a message), so the
# engine's warning about them is not repeated on stderr for fits this worker runs. The engine
# attributes the warning to its caller (this module), so scripts and tests elsewhere still see it.
warnings.filterwarnings("ignore", category=DegenerateSolutionWarning, module=r"emdesk\.gui\.worker")
# Constant and linearly dependent columns are said in the window after the fit (the model's column_notes_).
warnings.filterwarnings("ignore", category=DataColumnWarning, module=r"emdesk\.gui\.worker")

EMIT_INTERVAL = 1.0 / 30.0

# Every worker thread, held strongly until it has finished: a running QThread whose last Python reference
# goes (a window collected without being closed) would be destroyed while running, and Qt aborts the process
# then ("QThread: Destroyed while thread ... is still running", exit 134). Finished ones are pruned.
_threads: "set[WorkerThread]" = set()
_threads_lock = threading.Lock()
_quit_hooked: set = set()


class WorkerThread(QtCore.QThread):
    """A QThread for one worker object. It registers itself (tests check that none is left running), keeps
    its worker alive as long as it runs, and stops with the application: on ``QCoreApplication.aboutToQuit``
    and at interpreter exit (``atexit``), its stop hooks are called (the worker's stop flag: a busy slot
    reads it between iterations), its event loop quits and the thread is waited for."""

    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        self.setObjectName(name)
        self._stop_hooks: list = []
        self._workers: list = []
        with _threads_lock:
            for t in [t for t in _threads if _finished(t)]:
                _threads.discard(t)
            _threads.add(self)
        _hook_application_quit()
        # Before a worker runs: cycles are collected in the GUI thread only (a Qt object's wrapper freed by
        # a collection in a worker thread crashes Qt; see emdesk.gui.gui_thread_gc).
        collect_in_gui_thread()

    def start(self, *args) -> None:  # noqa: D102 (QThread.start; registered again when restarted)
        with _threads_lock:
            _threads.add(self)
        super().start(*args)

    def adopt(self, worker: QtCore.QObject, stop=None) -> None:
        """Move ``worker`` to this thread, keep it alive while the thread lives and call ``stop()`` (a
        thread-safe flag setter) when the thread is asked to stop."""
        worker.moveToThread(self)
        self._workers.append(worker)
        if stop is not None:
            self._stop_hooks.append(stop)

    def request_stop(self) -> None:
        """Raise the workers' stop flags and end the event loop once the running slot returns (any thread)."""
        for hook in list(self._stop_hooks):
            try:
                hook()
            except Exception:  # a stop flag never raises; never let one keep the others from stopping
                traceback.print_exc()
        self.quit()


def _finished(t) -> bool:
    try:
        return t.isFinished()
    except RuntimeError:  # the C++ object is already gone
        return True


def shutdown_threads(timeout_ms: int | None = None) -> bool:
    """Stop every worker thread and wait for them (``timeout_ms`` None: as long as it takes, since Qt aborts
    when a running QThread is destroyed). Called at application quit and at interpreter exit; idempotent.
    True when all have stopped."""
    with _threads_lock:
        threads = list(_threads)
    for t in threads:
        try:
            if t.isRunning():
                t.request_stop()
        except RuntimeError:
            pass
    ok = True
    for t in threads:
        try:
            if t.isRunning():
                ok = (t.wait() if timeout_ms is None else t.wait(timeout_ms)) and ok
        except RuntimeError:
            pass
    return ok


def _hook_application_quit() -> None:
    app = QtCore.QCoreApplication.instance()
    if app is not None and id(app) not in _quit_hooked:
        _quit_hooked.add(id(app))
        app.aboutToQuit.connect(shutdown_threads)


# Registered after PySide6's own exit handler (which deletes the application and its widgets), so it runs
# before it: the threads have ended by the time their QThread objects go.
atexit.register(shutdown_threads)


def running_threads() -> list[WorkerThread]:
    out = []
    with _threads_lock:
        threads = list(_threads)
    for t in threads:
        try:
            if t.isRunning():
                out.append(t)
        except RuntimeError:  # the C++ object is already gone
            pass
    return out


def _user_message(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, (ValueError, OSError)):
        return text
    return f"{exc.__class__.__name__}: {text}"


class DrawnSteps:
    """The steps an HMM view draws (``rows``, one sequence's first steps) and which they are (``key``): the
    worker computes their state posteriors for each batch, as it computes a mixture's colour ids."""

    __slots__ = ("rows", "key")

    def __init__(self, rows, key):
        self.rows, self.key = rows, key

    def __len__(self) -> int:
        return len(self.rows)


class StepPosteriors:
    """``post`` (steps, k): the forward-backward state posteriors of the ``DrawnSteps`` with this ``key`` under
    a batch's last snapshot (computed in the worker thread; the view uses them when it still draws those steps)."""

    __slots__ = ("post", "key")

    def __init__(self, post, key):
        self.post, self.key = post, key


class FitWorker(QtCore.QObject):
    """Runs ``estimator.fit_iter(X)`` (or ``GaussianMixture(**params).fit_iter(X)`` for a dict of keywords)
    when ``run`` is invoked (queued, from the GUI)."""

    # run id, list[Snapshot] since the previous batch, colour ids of the displayed rows for the batch's
    # last snapshot (or None): computing them here keeps ~10 ms of NumPy per frame off the GUI thread. For an
    # HMM (X_display a DrawnSteps), a StepPosteriors of the drawn steps instead.
    snapshots = QtCore.Signal(int, object, object)
    # run id, imputed values (conditional expectations) of the displayed incomplete rows under the last
    # snapshot of the batch sent next; emitted just before that batch (same thread: in order).
    imputed = QtCore.Signal(int, object)
    finished = QtCore.Signal(int, object, bool)   # run id, fitted model or None, stopped by the user
    failed = QtCore.Signal(int, str)              # run id, message for the user

    def __init__(self):
        super().__init__()
        self._stop = threading.Event()
        self._pause = threading.Event()
        # Step presses are counted, not a flag: five presses while an iteration is being computed are five
        # iterations (issue 10, item 13). The condition wakes the pause loop at once.
        self._wake = threading.Condition()
        self._steps = 0
        self._delay = 0.0
        self._active = None  # the run id the GUI waits for (None: any)

    # -- flags, safe from any thread ----------------------------------------------------------------
    def _notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def request_stop(self) -> None:
        self._stop.set()
        self._notify()

    def set_paused(self, paused: bool) -> None:
        if paused:
            with self._wake:
                self._steps = 0  # steps left over from before must not run more iterations now
            self._pause.set()
        else:
            self._pause.clear()
            self._notify()  # wakes the pause loop at once

    def is_paused(self) -> bool:
        return self._pause.is_set()

    def step(self) -> None:
        """While paused: compute one more iteration, then pause again. Presses add up: each one is one
        iteration, also when several arrive while an iteration is being computed."""
        with self._wake:
            self._steps += 1
            self._wake.notify_all()

    def pending_steps(self) -> int:
        """Step presses not yet turned into iterations."""
        with self._wake:
            return self._steps

    def _wait_while_paused(self, run_id) -> None:
        """Block while paused; return when a step is granted (one counted press used), on resume or stop."""
        with self._wake:
            while self._pause.is_set() and not self._stopping(run_id):
                if self._steps > 0:
                    self._steps -= 1
                    return
                self._wake.wait(0.05)

    def set_delay(self, seconds: float) -> None:
        self._delay = max(0.0, float(seconds))

    def prepare(self, paused: bool = False, run_id: int | None = None) -> None:
        """Called from the GUI thread right before queueing ``run``: fresh flags for a new fit.

        With ``run_id``, any other fit still running in this worker (one the GUI already forgot) ends at
        its next iteration instead of delaying the new one.
        """
        if run_id is not None:
            self._active = run_id
        self._stop.clear()
        with self._wake:
            self._steps = 0
        if paused:
            self._pause.set()
        else:
            self._pause.clear()

    # -- the fit ------------------------------------------------------------------------------------
    @QtCore.Slot(int, object, object, object, object)
    def run(self, run_id: int, X, params, X_display=None, X_incomplete=None) -> None:
        """``X_display``: the rows drawn (colour ids per batch); ``X_incomplete``: the drawn rows with a
        missing value (their imputed values per batch, for the crosses of the 2-D view)."""
        self._run(run_id, X, params, (X_display, X_incomplete))

    def _emit(self, run_id, pending, display) -> None:
        X_display, X_incomplete = display
        ids = imputed = model = None
        snap = pending[-1]
        if X_display is not None and len(X_display):
            try:
                model = snap.to_model()
                if isinstance(X_display, DrawnSteps):  # an HMM's drawn steps: their posteriors (15-30 ms)
                    ids = StepPosteriors(model.predict_proba(X_display.rows), X_display.key)
                else:
                    ids = responsibility_color_ids(model.predict_proba(X_display), len(snap.weights))
            except Exception:  # a degenerate state may not evaluate; the view then keeps its colours
                ids = None
        if X_incomplete is not None and len(X_incomplete):
            try:
                imputed = (model or snap.to_model()).impute(X_incomplete)
            except Exception:  # the window then computes them itself, or draws no crosses
                imputed = None
        # The imputed values go first: the window keeps them for the batch that follows, so they are there
        # when it draws that batch's frame. Sent after it, they could arrive after the frame was drawn (a
        # worker pre-empted between the two signals), and the window imputed the displayed incomplete rows
        # itself on the GUI thread: ~80 ms a frame for a 1,000,000-row file (bench_gui_gap.py).
        if imputed is not None:
            self.imputed.emit(run_id, imputed)
        self.snapshots.emit(run_id, pending, ids)

    def _stopping(self, run_id) -> bool:
        return self._stop.is_set() or (self._active is not None and self._active != run_id)

    def _run(self, run_id, X, params, display) -> None:
        from emdesk.engine import GaussianMixture

        pending: list = []
        last_emit = 0.0
        stopped = False
        try:
            # ``params``: an unfitted estimator (the session's, any model kind with fit_iter) or the keywords
            # of a GaussianMixture.
            fit_kw = {}
            if isinstance(params, tuple):  # (estimator, keyword arguments of fit_iter such as lengths)
                params, fit_kw = params
            model = params if hasattr(params, "fit_iter") else GaussianMixture(**params)
            # A k-means start on a large file runs for seconds before the first snapshot: Stop and
            # closing the window reach it there too.
            iterator = model.fit_iter(X, responsibilities=False, interrupt=lambda: self._stopping(run_id), **fit_kw)
            try:
                for snap in iterator:
                    pending.append(snap)
                    now = time.monotonic()
                    paused = self._pause.is_set()
                    if (snap.final or paused or self._delay > 0 or self._stopping(run_id)
                            or now - last_emit >= EMIT_INTERVAL):
                        self._emit(run_id, pending, display)
                        pending = []
                        last_emit = now
                    if self._stopping(run_id):
                        stopped = True
                        break
                    if self._delay > 0:
                        self._stop.wait(self._delay)
                    if self._pause.is_set() and not self._stopping(run_id):
                        self._wait_while_paused(run_id)
                    if self._stopping(run_id):
                        stopped = True
                        break
            finally:
                if hasattr(iterator, "close"):
                    iterator.close()
            if not stopped and not hasattr(model, "n_iter_"):  # interrupted in its initialisation (no fit)
                stopped = True
        except Exception as exc:  # engine ValueError and anything unexpected: a message, not a traceback
            if pending:
                self._emit(run_id, pending, (None, None))
            if not isinstance(exc, ValueError):  # a bug, not bad input: keep the trace for a report
                traceback.print_exc()
            self.failed.emit(run_id, _user_message(exc))
            return
        if pending:
            self._emit(run_id, pending, display)
        self.finished.emit(run_id, None if stopped else model, stopped)


class LoadWorker(QtCore.QObject):
    """Loads a CSV with ``emdesk.io.load_table`` and reports progress; cancel with ``cancel()``."""

    progress = QtCore.Signal(int, float)
    loaded = QtCore.Signal(int, object)
    failed = QtCore.Signal(int, str)
    cancelled = QtCore.Signal(int)

    def __init__(self):
        super().__init__()
        self._cancel = threading.Event()
        self._active = None  # the request the GUI waits for (None: any)
        self._options = {}  # request id -> ImportOptions (File > Import with Options..., a chosen sheet)
        self._options_lock = threading.Lock()

    def cancel(self) -> None:
        self._cancel.set()

    def set_options(self, request_id: int, options) -> None:
        """Read request ``request_id`` with ``emdesk.io.import_options.load_with_options(path, options)``
        (called from the GUI thread before queueing ``run``; None: ``load_table``)."""
        with self._options_lock:
            self._options[request_id] = options

    def prepare(self, request_id: int | None = None) -> None:
        """Called from the GUI thread right before queueing ``run``: fresh flags for a new load.

        With ``request_id``, a load still running for an older request (another file opened meanwhile)
        is cancelled at its next progress report instead of delaying the new one.
        """
        if request_id is not None:
            self._active = request_id
        self._cancel.clear()

    def _cancelled(self, request_id) -> bool:
        return self._cancel.is_set() or (self._active is not None and self._active != request_id)

    @QtCore.Slot(int, str)
    def run(self, request_id: int, path: str) -> None:
        from emdesk.io import LoadCancelled, load_table
        from emdesk.io.import_options import load_with_options

        last = [0.0]
        with self._options_lock:
            options = self._options.pop(request_id, None)

        def progress(fraction: float) -> bool:
            now = time.monotonic()
            if now - last[0] >= 0.05:
                last[0] = now
                self.progress.emit(request_id, float(fraction))
            return not self._cancelled(request_id)

        try:
            if options is None:
                table = load_table(path, progress=progress)
            else:
                table = load_with_options(path, options, progress)
        except LoadCancelled:
            self.cancelled.emit(request_id)
            return
        except Exception as exc:  # DataError, OSError, anything unexpected
            if not isinstance(exc, (ValueError, OSError)):
                traceback.print_exc()
            self.failed.emit(request_id, _user_message(exc))
            return
        if self._cancelled(request_id):
            self.cancelled.emit(request_id)
            return
        try:  # the Data panel's counts, here rather than on the GUI thread
            table.warm()
        except Exception:  # noqa: BLE001 (the panel counts them itself then)
            pass
        self.loaded.emit(request_id, table)
