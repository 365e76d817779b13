"""Fitting: the fit worker in its thread, Run / Pause / Step / Stop, and the end of a fit (finished, stopped
or failed). Snapshots go into the session's history; the timeline controller draws them. Any error on the
way back to idle becomes a message in the window, never a window stuck at "Stopping..."."""

from __future__ import annotations

import contextlib
import time
import weakref

from PySide6 import QtCore

from emdesk.gui.wording import for_window
from emdesk.gui.worker import FitWorker, WorkerThread

# A fit from init_params='random' that stops this early has most likely not left its symmetric start.
RANDOM_INIT_EARLY_STOP = 3


def _prepare_plots(window) -> None:
    """Let the visible plots take their new size and range now, before the repaint the fit's end queued, and
    have each painted once.
    A plot resized by the end of a fit (a message appears above it) recomputes its range and transforms in
    pyqtgraph's ``prepareForPaint``, called from inside its paint: the items it moves then ask for a second
    paint of the whole view (13-20 ms for a 2-D plot of 50,000 dots). Done here, those updates join the
    one paint (issue 16, the end-of-fit repaint).
    The items moved are a scene's dirty items, which Qt processes from a call posted to the scene; that call
    also paints the window's pending regions at once. So a scene processed first (the trace's) painted the
    2-D plot for its resize, and the 2-D scene's own items then painted it again. Here every scene's items are
    processed while the plots' viewports hold their updates; re-enabling them queues one paint of each."""
    import pyqtgraph as pg

    central = window.centralWidget()
    if central is None:
        return
    # the layouts the fit's end changed (the window's, and each plot's own axes and view box) first
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)
    views = [v for v in central.findChildren(pg.GraphicsView)
             if v.isVisible() and v.scene() is not None and hasattr(v.scene(), "prepareForPaint")]
    for view in views:
        view.scene().prepareForPaint()
    for view in views:
        view.viewport().setUpdatesEnabled(False)
    try:
        for view in views:  # (QGraphicsScene's queued _q_processDirtyItems)
            QtCore.QCoreApplication.sendPostedEvents(view.scene(), QtCore.QEvent.Type.MetaCall)
    finally:  # never leave a plot that no longer paints
        for view in views:
            view.viewport().setUpdatesEnabled(True)


def _stop_thread(thread) -> None:
    """The window went without being closed: its thread stops (the atexit hook waits for it)."""
    try:
        thread.request_stop()
    except RuntimeError:  # already gone
        pass


class FitController(QtCore.QObject):
    _requestFit = QtCore.Signal(int, object, object, object, object)

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.s = window.session
        self.run_id = 0
        self.running = False
        self.paused = False
        self._t0 = 0.0
        self.elapsed = 0.0
        self.own_event = False  # True while this controller changes the session (the window then waits)
        self.clock = QtCore.QTimer(self)
        self.clock.setInterval(200)
        self.clock.timeout.connect(self.tick_clock)
        # The thread has no parent: destroying a window that was never closed must not destroy a running
        # QThread (Qt aborts the process then). It stops with the window (close, or its collection: the
        # finalizer), with the application (aboutToQuit) and at interpreter exit (worker.py's atexit).
        self.thread = WorkerThread("emdesk-fit")
        self.worker = FitWorker()
        self.thread.adopt(self.worker, self.worker.request_stop)
        self._requestFit.connect(self.worker.run)
        self.worker.snapshots.connect(self._on_snapshots)
        self.worker.imputed.connect(self._on_imputed)
        self.worker.finished.connect(self._on_fit_finished)
        self.worker.failed.connect(self._on_fit_failed)
        self.thread.finished.connect(self.worker.deleteLater)
        self.thread.start()
        weakref.finalize(window, _stop_thread, self.thread)

    # ------------------------------------------------------------------------------ commands
    demo_delay = None  # seconds per iteration for the next fit only (the examples' demonstration)
    busy_refusal = None  # (level, text) of the "rows are still being prepared" message, while it is shown

    def start(self, paused: bool = False) -> None:
        """Start EM on the chosen columns in the worker thread (returns at once)."""
        w, s = self.w, self.s
        if self.running:
            if self.paused and not paused:
                self.set_paused(False)
            return
        if getattr(w, "rows", None) is not None and w.rows.busy():
            # Run and Step are disabled meanwhile; a script or the guard bar's fix would fit the old rows, and
            # the new rows, once used, would end that fit without a word
            self._refuse("The rows are still being prepared (see the status bar): run the fit once they "
                         "are ready.", "warning")
            self.busy_refusal = w.last_message  # taken back once the rows are ready (RowsController._end)
            return
        if s.table is None or s.X is None:
            what = "column" if s.family in ("categorical", "mixed") else "numeric column"
            return self._refuse(f"Open a CSV file and tick at least one {what} in the Data panel before running "
                                "a fit.", "warning")
        try:
            options = w.seeds.resolve(w.params_panel.options())  # "random": a seed drawn now, shown
        except ValueError as exc:
            return self._refuse(str(exc))
        if s.X.shape[0] == 0:
            return self._refuse(
                "No complete rows in the selected columns: choose other columns, or choose "
                "\"Fit with missing values\" in the Data panel." if s.missing == "drop"
                and s.n_incomplete > s.n_empty else
                "Every row is empty in the selected columns: choose other columns.")
        w.settings.set_fit_options(w.params_panel.options(engine=False))
        w.settings.set_missing_mode(s.missing)
        s.options = dict(options)
        params = s.with_start_means(s.engine_options())
        w.guard.fit_started()
        if w.message_bar.isVisible():  # what it said was about the previous fit (or attempt)
            w.clear_message()
        self.run_id += 1
        try:
            with self._own():
                estimator = s.begin_fit(params)
        except (ValueError, TypeError) as exc:
            return self._refuse(str(exc))
        w.timeline_ctrl.reset()
        w.restarts_view.clear()
        self.running = True
        self.paused = paused
        self._t0 = time.monotonic()
        self.elapsed = 0.0
        self.clock.start()
        # the bundled example's demonstration is slowed for this fit only (controllers/demo.py)
        self.worker.set_delay(w.params_panel.delay() if self.demo_delay is None else self.demo_delay)
        self.demo_delay = None
        self.worker.prepare(paused=paused, run_id=self.run_id)
        self._check_pause_action(paused)
        what = "components" if s.kind == "mixture" else "states"
        w.status_state.setText("Paused" if paused else
                               f"Fitting {params['n_components']} {what} to {s.X.shape[0]:,} rows...")
        # For a mixture the worker also colours the drawn rows and imputes the drawn incomplete rows (the 2-D
        # view's crosses) for each batch it sends; for an HMM it runs forward-backward on the drawn steps (the
        # view does it itself for a state scrubbed back to, or when another sequence was picked meanwhile).
        X_display = X_incomplete = None
        if s.kind == "mixture":
            X_display = s.X_display
            inc = s.display_incomplete_rows
            X_incomplete = s.X_display[inc] if inc is not None and inc.size and len(s.columns) > 1 else None
        elif hasattr(w.views, "drawn_steps"):  # an HMM: the worker computes the drawn steps' posteriors too
            X_display = w.views.drawn_steps()
        self._requestFit.emit(self.run_id, s.X, (estimator, s.fit_arguments()), X_display, X_incomplete)
        w.update_actions()

    @contextlib.contextmanager
    def _own(self):
        self.own_event = True
        try:
            yield
        finally:
            self.own_event = False

    def _refuse(self, message: str, level: str = "error") -> None:
        message = self.s.name_rows(self.s.name_columns(message)) if self.s.X is not None else message
        message = for_window(message, self.s.kind)
        self.w.show_message(message, level)
        self.w.fitFailed.emit(message)

    def stop(self) -> None:
        if self.running:
            self.worker.request_stop()
            self.w.status_state.setText("Stopping...")

    def step(self) -> None:
        """One more iteration, then pause (starts a paused fit when none runs). Presses add up."""
        if not self.running:
            self.start(paused=True)
            return
        if not self.paused:
            self.set_paused(True)
        if not self.w.timeline.following:  # scrubbed back: the iteration asked for is the one to see
            self.w.timeline.follow_latest()
        self.worker.step()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.worker.set_paused(paused)
        self._check_pause_action(paused)
        self.w.status_state.setText("Paused: Step (F10) computes one iteration, Run (F5) resumes" if paused
                                    else "Fitting...")
        self.w.update_actions()

    def _check_pause_action(self, paused: bool) -> None:
        act = self.w.act_pause
        act.blockSignals(True)
        act.setChecked(paused)
        act.blockSignals(False)

    def forget(self) -> None:
        """The data changed or another model is shown: a running fit ends and its results are ignored."""
        if self.running:
            self.worker.request_stop()
            self.run_id += 1
            self.running = False
            self.paused = False
            self.clock.stop()

    def tick_clock(self) -> None:
        elapsed = time.monotonic() - self._t0 if self.running else self.elapsed
        self.w.status_time.setText(f"{elapsed:.1f} s")

    # ------------------------------------------------------------------------------ from the worker
    @QtCore.Slot(int, object, object)
    def _on_snapshots(self, run_id: int, batch, color_ids) -> None:
        if run_id != self.run_id:
            return
        with self._own():
            self.s.add_snapshots(batch)
        imputed, self._imputed_next = self._imputed_next, None
        if imputed is not None and imputed[0] == run_id and batch:
            self.w.timeline_ctrl.store_imputed(len(self.s.history) - 1, imputed[1])
        self.w.timeline_ctrl.snapshots_added(batch, color_ids)

    _imputed_next = None  # (run id, values) from the worker for the last snapshot of its next batch

    @QtCore.Slot(int, object)
    def _on_imputed(self, run_id: int, values) -> None:
        """Imputed values of the drawn incomplete rows under the last snapshot of the batch the worker sends
        next (computed by the worker, sent just before that batch): kept for it, so its frame finds them."""
        self._imputed_next = (run_id, values) if run_id == self.run_id else None

    def _end_state(self) -> None:
        """The fit's thread work is over: the state machine goes back to idle."""
        self.running = False
        self.paused = False
        self.clock.stop()
        self.elapsed = time.monotonic() - self._t0
        self.tick_clock()

    @QtCore.Slot(int, object, bool)
    def _on_fit_finished(self, run_id: int, model, stopped: bool) -> None:
        if run_id != self.run_id:
            return
        self._end_state()
        w = self.w
        try:
            self._finish(model)
        except Exception as exc:  # a bug or a state the model layer refuses: say so, never stay "Stopping..."
            message = w.report_error("The end of the fit could not be shown", exc)
            w.status_state.setText("The fit ended with an error (see the message above)")
            w.update_actions()
            if stopped:
                w.fitStopped.emit()
            else:
                w.fitFailed.emit(message)
            return
        w.update_actions()
        _prepare_plots(w)
        if stopped:
            w.fitStopped.emit()
        else:
            w.fitFinished.emit()

    def _finish(self, model) -> None:
        w, s = self.w, self.s
        history = s.history
        if model is None:
            refused = None
            try:
                with self._own():
                    s.end_fit(None)  # the last state becomes the model Export Fit writes
            except Exception as exc:  # drawn and its guard shown all the same, then said
                refused = exc
            if history:
                w.timeline_ctrl.show_at_end(len(history) - 1)
                w.guard.fit_ended(tuple(history[-1].issues or ()), stopped=True)
            if refused is not None:
                raise refused
            w.status_state.setText(f"Stopped at iteration {history[-1].iteration}; the parameters on screen "
                                   "can be exported (Ctrl+E)" if history else "Stopped before the first iteration")
            return
        with self._own():
            s.end_fit(model)
        try:
            if w.kind.restarts_view:
                w.restarts_view.set_model(model)
        except Exception as exc:  # the view is informative; never lose the fit over it
            w.show_message(f"The restarts view could not show this fit: {exc}", "warning")
        best = getattr(model, "best_restart_", None)
        if history:
            idx = len(history) - 1
            if best is not None and history[-1].restart != best:
                idx = max(i for i, snap in enumerate(history) if snap.restart == best)
            w.timeline_ctrl.show_at_end(idx)
        converged = bool(getattr(model, "converged_", False))
        it = getattr(model, "n_iter_", len(history))
        from emdesk.engine.likelihood_fall import fall_message

        fell = fall_message(model)  # EM's log-likelihood went down: never "Converged" without a word
        w.status_state.setText(
            (f"Converged after {it} iterations" if converged else
             f"Stopped at max_iter ({it} iterations) without converging") + f" in {self.elapsed:.1f} s"
            # at 1280x720 the Results docks wait for the View menu: say where the estimates are
            + ("; View > Results shows the estimates" if w.results.docks_hidden() else "")
            + ("; the log-likelihood fell (see the message)" if fell else ""))
        issues = tuple(getattr(model, "degeneracies_", None) or ())
        w.guard.fit_ended(issues, stopped=False)  # raises the guard bar, or closes it: a clean fit
        params = s.fit_params
        notes = tuple(getattr(model, "column_notes_", None) or ())
        if notes:  # constant or linearly dependent columns (the engine's DataColumnWarning), categorical
            # columns of one category: said in the window, with the columns' names
            text = s.name_columns(" ".join(notes))
            if s.kind == "hmm" and s.family == "categorical" and s.columns:  # "(code 1)": the symbol's label
                from emdesk.io.sequences import name_symbol_codes

                text = name_symbol_codes(text, (s.categories or {}).get(s.columns[0]))
            w.show_message(text + (" " + s.name_columns(fell) if fell else ""), "warning")
        elif fell:
            w.show_message(s.name_columns(fell), "warning")
        if not issues and not converged:
            w.show_message(f"EM did not converge within max_iter = {params['max_iter']} "
                           "iterations. Raise Max iterations or the tolerance and run again."
                           + (" " + s.name_columns(fell) if fell else ""), "warning")
        elif (not issues and not notes and not fell and params.get("init_params") == "random"
              and params.get("means_init") is None and int(params.get("n_components", 1)) > 1
              and it <= RANDOM_INIT_EARLY_STOP):
            # Random responsibilities put every component near the overall mean; EM leaves that
            # symmetric start slowly, so the change can drop below tol at once (scikit-learn alike).
            w.show_message(f"EM stopped after {it} iterations: with random responsibilities every "
                           "component starts near the overall mean and moves slowly, so the change fell "
                           "below the tolerance before the components separated. Use kmeans++ or "
                           "random_from_data, or a smaller tolerance, and run again.", "info")

    @QtCore.Slot(int, str)
    def _on_fit_failed(self, run_id: int, message: str) -> None:
        if run_id != self.run_id:
            return
        self._end_state()
        w, s = self.w, self.s
        message = s.name_columns(message)  # "Column 1" of X -> "Column 1 (a)"
        message = s.name_rows(message)  # "row 2" of X (sorted, rows left out) -> the file's "data row 17 (...)"
        message = for_window(message, s.kind)  # the window's words, also in fitFailed
        try:
            with self._own():
                s.end_fit(None)  # the last state, when there is one, stays exportable
        except Exception:
            s.model = None
        w.status_state.setText("The fit failed")
        w.show_message(f"The fit failed: {message}", "error")
        if s.history:  # EM broke down on the way (a covariance that collapsed): offer the fixes, too
            try:
                w.guard.raise_bar("EM broke down numerically at iteration "
                                  f"{s.history[-1].iteration} (see the message above). One click runs a "
                                  "new fit:")
            except Exception as exc:
                w.report_error(f"The fit failed: {message}. Its fixes could not be offered", exc)
        w.update_actions()
        w.fitFailed.emit(message)
