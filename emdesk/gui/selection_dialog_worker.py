"""The model-selection dialog's worker: runs a sweep (``iter_select_model`` or another generator called the
same way) in the dialog's ``WorkerThread`` and reports its steps to the GUI thread, throttled."""


from __future__ import annotations

import threading
import time

from PySide6 import QtCore

from emdesk.engine.selection import iter_select_model
from emdesk.gui.worker import _user_message  # the same wording as a failed fit

EMIT_INTERVAL = 1.0 / 30.0


class SelectionWorker(QtCore.QObject):
    """Runs ``iter_select_model`` when ``run`` is invoked (queued, from the GUI thread).

    Cancel with ``request_stop()`` (a thread-safe flag the sweep reads between EM iterations).
    """

    progress = QtCore.Signal(int, object)  # run id, SelectionStep (throttled to about 30 a second)
    finished = QtCore.Signal(int, object, bool)  # run id, SelectionResult (None if no fit finished), cancelled
    failed = QtCore.Signal(int, str)  # run id, a message for the user

    def __init__(self, sweep=None):
        super().__init__()
        self._stop = threading.Event()
        self._sweep = sweep  # None: iter_select_model (looked up when the sweep runs)

    def request_stop(self) -> None:
        self._stop.set()

    def prepare(self) -> None:
        """Called from the GUI thread right before queueing ``run``."""
        self._stop.clear()

    @QtCore.Slot(int, object, object)
    def run(self, run_id: int, X, options) -> None:
        self._run(run_id, X, options)

    def _run(self, run_id, X, options) -> None:
        last = None
        last_emit = 0.0
        try:
            gen = (self._sweep or iter_select_model)(X, should_stop=self._stop.is_set, **options)
            try:
                for step in gen:
                    last = step
                    now = time.monotonic()
                    if now - last_emit >= EMIT_INTERVAL or step.done == step.total:
                        self.progress.emit(run_id, step)
                        last_emit = now
                    if self._stop.is_set():
                        break
            finally:
                gen.close()
        except Exception as exc:  # bad options or data: a message, not a traceback
            self.failed.emit(run_id, _user_message(exc))
            return
        if last is None:
            self.finished.emit(run_id, None, True)
            return
        result = last.result
        cancelled = last.done < last.total
        if cancelled:
            result = result.as_cancelled()
        self.finished.emit(run_id, result, cancelled)
