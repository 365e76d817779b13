"""Loading CSV files in the background (``emdesk.io.load_table`` in a worker thread) with progress and
cancel; a loaded table goes to the window (``MainWindow.set_table``), which gives it to the session."""

from __future__ import annotations

import os
import traceback
import weakref

from PySide6 import QtCore

from emdesk.gui.worker import LoadWorker, WorkerThread


# How an example is set up when opened from the menu (the others: a mixture of the first two numeric columns).
# scripts/make_hmm_example.py writes the HMM example (three regimes, two gauges, shuffled rows).
EXAMPLE_SETUP = {
    "example_2d_three_clusters.csv": dict(kind=("mixture", "gaussian"), options=dict(n_components=3)),
    "example_1d_bimodal.csv": dict(kind=("mixture", "gaussian"), options=dict(n_components=2)),
    "example_hmm_regimes.csv": dict(kind=("hmm", "gaussian"), sequence=("gauge", "hour"), columns=["level"],
                                    options=dict(n_components=3, random_state=0, max_iter=200)),
}


def _stop_thread(thread) -> None:
    try:
        thread.request_stop()
    except RuntimeError:  # already gone
        pass


class LoadController(QtCore.QObject):
    _requestLoad = QtCore.Signal(int, str)

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.load_id = 0
        self.loading = False
        self.path = None
        self.results: dict = {}
        self.thread = WorkerThread("emdesk-load")  # no parent: see FitController
        self.worker = LoadWorker()
        self.thread.adopt(self.worker, self.worker.cancel)
        self._requestLoad.connect(self.worker.run)
        self.worker.progress.connect(self._on_progress)
        self.worker.loaded.connect(self._on_loaded)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.thread.finished.connect(self.worker.deleteLater)
        self.thread.start()
        weakref.finalize(window, _stop_thread, self.thread)

    def open_csv(self, path) -> None:
        """Load and return once shown (a local event loop runs meanwhile). DataError / LoadCancelled."""
        from emdesk.io import DataError, LoadCancelled

        w = self.w
        loop = QtCore.QEventLoop()

        def done(*_):
            loop.quit()

        w.dataLoaded.connect(done)
        w.loadFailed.connect(done)
        req = self.begin(path)
        try:
            if self.loading and self.load_id == req:
                loop.exec()
        finally:
            w.dataLoaded.disconnect(done)
            w.loadFailed.disconnect(done)
        result = self.results.get(req)
        if result is None:
            raise LoadCancelled(f"Loading {path} was cancelled.")
        kind, value = result
        if kind == "failed":
            raise DataError(value)
        if kind == "cancelled":
            raise LoadCancelled(f"Loading {path} was cancelled.")

    def open_example(self, path: str, fit: bool) -> None:
        w = self.w
        setup = EXAMPLE_SETUP.get(os.path.basename(path))
        self.open_csv(path)
        if setup is None:
            if w.session.kind != "mixture":
                w.set_model_kind("mixture")
        else:
            w.set_model_kind(*setup["kind"])  # examples carry their own settings (issue 15)
            if "sequence" in setup:
                w.set_sequence(*setup["sequence"])
            if "columns" in setup:
                w.select_columns(setup["columns"])
            w.set_options(**setup["options"])
        if fit:
            from emdesk.gui.controllers.demo import start_demo
            start_demo(w)  # a poor start, slowed down: EM at work (issue 15)

    def begin(self, path, options=None) -> int:
        """Start loading ``path`` in the background; returns the request id. ``options``: an
        ``emdesk.io.import_options.ImportOptions`` (sheet, delimiter ...; None: detect)."""
        w = self.w
        self.load_id += 1  # a load still running for an older request ends at its next progress report
        req = self.load_id
        self.loading = True
        self.path = str(path)
        self.worker.prepare(req)
        self.worker.set_options(req, options)
        w.load_progress.setValue(0)
        w.load_progress.show()
        w.load_cancel.show()
        w.status_state.setText(f"Loading {os.path.basename(str(path))}...")
        self._requestLoad.emit(req, str(path))
        return req

    def cancel(self) -> None:
        if self.loading:
            self.worker.cancel()

    def _end(self) -> None:
        self.loading = False
        self.w.load_progress.hide()
        self.w.load_cancel.hide()

    @QtCore.Slot(int, float)
    def _on_progress(self, req: int, fraction: float) -> None:
        if req == self.load_id:
            self.w.load_progress.setValue(int(max(0.0, min(1.0, fraction)) * 1000))

    @QtCore.Slot(int, object)
    def _on_loaded(self, req: int, table) -> None:
        w = self.w
        if req != self.load_id or w.is_closing():
            return
        if not table.numeric_column_names and w.session.family != "categorical":  # latent class: text only is fine
            from emdesk.io.table import no_numbers_message

            self._on_failed(req, no_numbers_message(table))
            return
        self._end()
        previous = w.session.table
        try:
            shown = w.set_table(table)  # big data: returns once its rows are prepared (in the background)
        except Exception as exc:  # a bug in showing it: a message, the previous data, open_csv returns
            traceback.print_exc()
            if previous is not None:
                try:
                    w.set_table(previous)
                except Exception:
                    pass
            self._on_failed(req, f"it was read but could not be shown ({exc.__class__.__name__}: {exc}).")
            return
        self.results[req] = ("loaded", table)
        if shown is False or req != self.load_id:  # another file (or change) was opened while its rows were prepared
            w.dataLoaded.emit(str(table.path))
            return
        w.settings.add_recent_file(str(table.path))
        w.clear_message()  # an earlier error no longer applies
        w.status_state.setText(f"Loaded {table.name}{' (sheet ' + repr(table.sheet) + ')' if getattr(table, 'sheet', None) else ''}: {table.n_rows:,} rows. "
                               "Press Run (F5) to fit.")
        w.dataLoaded.emit(str(table.path))

    @QtCore.Slot(int, str)
    def _on_failed(self, req: int, message: str) -> None:
        if req != self.load_id:
            return
        self._end()
        self.results[req] = ("failed", message)
        name = os.path.basename(self.path or "")
        text = message if name and name in message else f"{name}: {message}"
        self.w.show_message(f"Could not open the file. {text}", "error")
        self.w.status_state.setText("Ready")
        self.w.loadFailed.emit(message)

    @QtCore.Slot(int)
    def _on_cancelled(self, req: int) -> None:
        if req != self.load_id:
            return
        self._end()
        self.results[req] = ("cancelled", "")
        self.w.status_state.setText("Loading cancelled")
        self.w.loadFailed.emit("cancelled")
