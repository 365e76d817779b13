"""Work on big data off the GUI thread: a Results summary, an export, a saved fit's scores.

At 1,000,000 rows a fit's summary took 3 s (Gaussian mixture) to 50 s (Student-t mixture) and an assignments
export 20-35 s, all on the GUI thread: the window froze (measured with a 10 ms heartbeat, 1 Dec 2026). Such a
job runs here in a plain Python thread; its result is handed to the GUI thread by a QTimer that polls.

The job is a Qt-free callable (engine and io code only): the worker thread never creates, holds or destroys a
Qt object (a Qt wrapper freed outside its thread crashes Qt; cycles are collected in the GUI thread only, see
``emdesk.gui.gui_thread_gc``). Callbacks run in the GUI thread.

``BIG_ROWS``: below it a job runs at once, inline (its cost is a few milliseconds and the caller sees the
result on return, as before); from it on in the background.
"""

from __future__ import annotations

import threading
import time

from PySide6 import QtCore

from emdesk.gui.gui_thread_gc import collect_in_gui_thread

#: rows from which a job on the data runs in the background (a summary of 50,000 rows x 4 columns costs about
#: 0.15 s on the 2-core development machine; below it the cost is under a frame)
BIG_ROWS = 50_000
POLL_MS = 20


def is_big(n_rows) -> bool:
    try:
        return int(n_rows) >= BIG_ROWS
    except (TypeError, ValueError):
        return False


class Job:
    """One job: ``done`` once it ended, then ``result`` or ``error`` (the exception)."""

    __slots__ = ("fn", "on_done", "on_error", "key", "done", "result", "error", "started", "cancelled")

    def __init__(self, fn, on_done, on_error, key):
        self.fn, self.on_done, self.on_error, self.key = fn, on_done, on_error, key
        self.done = False
        self.result = None
        self.error = None
        self.cancelled = False
        self.started = time.perf_counter()

    def run(self) -> None:  # in the worker thread: Qt-free
        # fn is not dropped here: its closure may hold the window's QObjects (the export's lambda holds its
        # controller), and a last reference dropped in this thread frees them here; _deliver drops it in the
        # GUI thread
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001 (handed to the GUI thread)
            self.error = exc
        finally:
            self.done = True


class BackgroundJobs(QtCore.QObject):
    """Runs Qt-free callables in Python threads and calls back in the GUI thread.

    ``submit(fn, on_done, on_error=None, key=None, inline=False)``: run ``fn()``; then ``on_done(result)`` or
    ``on_error(exc)`` in the GUI thread. A newer job with the same ``key`` supersedes an older one (its
    callbacks are never called: a summary of a model no longer shown). ``inline=True`` runs it now, in the
    caller's thread, and calls back before returning. ``wait(job)`` spins a local event loop until the job
    ended (the window stays responsive) and returns its result or raises its error. ``busy(key)`` tells
    whether a job of that key is running.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        collect_in_gui_thread()
        self._jobs: list[Job] = []
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def submit(self, fn, on_done=None, on_error=None, key=None, inline=False) -> Job:
        job = Job(fn, on_done, on_error, key)
        if key is not None:
            for other in self._jobs:
                if other.key == key:
                    other.cancelled = True
        if inline:
            job.run()
            self._deliver(job)
            return job
        self._jobs.append(job)
        threading.Thread(target=job.run, name=f"emdesk-job-{key or 'job'}", daemon=True).start()
        if not self._timer.isActive():
            self._timer.start()
        return job

    def busy(self, key=None) -> bool:
        return any(not j.cancelled and (key is None or j.key == key) for j in self._jobs)

    def cancel(self, key) -> None:
        """Forget the jobs of ``key``: their callbacks are not called (the thread runs to its end)."""
        for j in self._jobs:
            if j.key == key:
                j.cancelled = True

    def wait(self, job: Job):
        if not job.done or job in self._jobs:
            loop = QtCore.QEventLoop()
            timer = QtCore.QTimer()
            timer.setInterval(POLL_MS)
            timer.timeout.connect(lambda: loop.quit() if job.done and job not in self._jobs else None)
            timer.start()
            loop.exec()
            timer.stop()
        if job.error is not None:
            raise job.error
        return job.result

    def _poll(self) -> None:
        ended = [j for j in self._jobs if j.done]
        if not ended:
            return
        self._jobs = [j for j in self._jobs if not j.done]
        if not self._jobs:
            self._timer.stop()
        for job in ended:
            self._deliver(job)

    @staticmethod
    def _deliver(job: Job) -> None:
        # in the GUI thread: the job's callables (and what their closures hold) are dropped here, never in
        # the worker thread, whose last reference to the job may outlive this call
        on_done, on_error = job.on_done, job.on_error
        job.fn = job.on_done = job.on_error = None
        if job.cancelled:
            return
        if job.error is not None:
            if on_error is not None:
                on_error(job.error)
            elif not isinstance(job.error, Exception):
                raise job.error
        elif on_done is not None:
            on_done(job.result)
