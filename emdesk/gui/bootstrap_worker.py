"""Running the bootstrap (and the bootstrap LRT) in the background, with progress and cancel (issue 14).

``BootstrapRunner`` owns one worker thread (a registered :class:`emdesk.gui.worker.WorkerThread`, so the
tests' no-thread-left check sees it) and a :class:`BootstrapWorker` living in it.  The window wires::

    runner = BootstrapRunner(parent=window)
    runner.progress.connect(window.<slot(int done, int total)>)     # progress bar (throttled to ~30 Hz)
    runner.finished.connect(window.<slot(object)>)  # BootstrapResult or LRTResult (result.cancelled after Stop)
    runner.failed.connect(window.<slot(str)>)       # a message for the user
    runner.start_bootstrap(model, X, n_boot=999, method="nonparametric", random_state=seed)
    runner.start_lrt(X, covariance_type="full", max_components=3, n_boot=99, random_state=seed)
    runner.stop()        # Cancel: the engine stops between replicates and a partial result arrives in finished
    runner.shutdown()    # closeEvent: stop, quit the thread, wait

The engine calls ``progress`` and ``should_stop`` in the worker thread; the worker turns them into a
throttled Qt signal and a ``threading.Event`` (a queued "stop" slot would wait for the whole run).  The
engine's own threads (``n_jobs``) run inside this worker thread's call.
"""

from __future__ import annotations

import threading
import time
import traceback

import numpy as np
from PySide6 import QtCore

from .worker import WorkerThread

__all__ = ["BootstrapRunner", "BootstrapWorker"]

EMIT_INTERVAL = 1.0 / 30.0


class BootstrapWorker(QtCore.QObject):
    """Runs one job at a time in its thread; see the module docstring."""

    progress = QtCore.Signal(int, int, int)   # run id, done, total
    finished = QtCore.Signal(int, object)     # run id, result
    failed = QtCore.Signal(int, str)          # run id, message

    def _callbacks(self, run_id, stop_event):
        last = [0.0]

        def progress(done, total):
            now = time.monotonic()
            if now - last[0] >= EMIT_INTERVAL or done >= total:
                last[0] = now
                self.progress.emit(run_id, int(done), int(total))

        return progress, stop_event.is_set

    @QtCore.Slot(int, str, object, object, object, object)
    def run(self, run_id: int, kind: str, model, X, kwargs, stop_event) -> None:
        """One job; ``stop_event`` (a threading.Event) set from any thread stops it between replicates."""
        from emdesk.engine.bootstrap import bootstrap, bootstrap_lrt

        if stop_event.is_set():  # stopped or replaced before it began: no result, but the runner is told
            self.finished.emit(run_id, None)
            return
        progress, should_stop = self._callbacks(run_id, stop_event)
        try:
            if kind == "bootstrap":
                result = bootstrap(model, X, progress=progress, should_stop=should_stop, **kwargs)
            else:
                result = bootstrap_lrt(X, progress=progress, should_stop=should_stop, **kwargs)
        except Exception as exc:  # ValueError from the engine, anything unexpected
            if not isinstance(exc, ValueError):
                traceback.print_exc()
            text = str(exc).strip() or exc.__class__.__name__
            self.failed.emit(run_id, text if isinstance(exc, ValueError) else f"{exc.__class__.__name__}: {text}")
            return
        self.finished.emit(run_id, result)


class BootstrapRunner(QtCore.QObject):
    """Owns the thread and the worker; forwards the signals of the current run only."""

    progress = QtCore.Signal(int, int)
    finished = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    #: the current run was stopped before its first replicate: no result (the panel goes back to idle)
    stoppedEmpty = QtCore.Signal()
    _request = QtCore.Signal(int, str, object, object, object, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread = WorkerThread("emdesk-bootstrap", self)
        self._worker = BootstrapWorker()
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.run, QtCore.Qt.ConnectionType.QueuedConnection)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._thread.finished.connect(self._worker.deleteLater)
        self._run_id = 0
        self._busy = False
        self._stop = threading.Event()

    def is_running(self) -> bool:
        return self._busy

    def run_id(self) -> int:
        """The id of the latest run (the one whose signals are forwarded); 0 before the first."""
        return self._run_id

    def start_bootstrap(self, model, X, **kwargs) -> int:
        """Start ``emdesk.engine.bootstrap(model, X, **kwargs)``; returns the run id.  A run still going is
        stopped first (its result is dropped).  ``X`` is copied (the caller may change its array)."""
        try:
            Xc = np.array(X, dtype=float, copy=True)
        except (TypeError, ValueError):  # text categories (a categorical or mixed model): as they are
            Xc = np.array(X, dtype=object, copy=True)
        return self._start("bootstrap", model, Xc, kwargs)

    def start_lrt(self, X, **kwargs) -> int:
        """Start ``emdesk.engine.bootstrap_lrt(X, **kwargs)``; returns the run id."""
        return self._start("lrt", None, np.array(X, dtype=float, copy=True), kwargs)

    def _start(self, kind, model, X, kwargs):
        self._stop.set()  # a run still going ends at its next check; its result is dropped by the run id
        self._stop = threading.Event()
        if not self._thread.isRunning():
            self._thread.start()
        self._run_id += 1
        self._busy = True
        self._request.emit(self._run_id, kind, model, X, dict(kwargs), self._stop)
        return self._run_id

    @QtCore.Slot()
    def stop(self) -> None:
        """Stop the current run between replicates; its partial result arrives in ``finished``."""
        self._stop.set()

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Stop, quit the thread and wait for it (for closeEvent)."""
        self._stop.set()
        self._thread.quit()
        self._thread.wait(timeout_ms)

    @QtCore.Slot(int, int, int)
    def _on_progress(self, run_id, done, total):
        if run_id == self._run_id:
            self.progress.emit(done, total)

    @QtCore.Slot(int, object)
    def _on_finished(self, run_id, result):
        if run_id == self._run_id:
            self._busy = False
            if result is not None:
                self.finished.emit(result)
            else:  # stopped before it began: nothing to show, but the panel must leave its running state
                self.stoppedEmpty.emit()

    @QtCore.Slot(int, str)
    def _on_failed(self, run_id, message):
        if run_id == self._run_id:
            self._busy = False
            self.failed.emit(message)
