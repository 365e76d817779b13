"""The rows a fit uses, prepared off the GUI thread for big data (issue 16).

When the file, the ticked columns, the model kind or family, the treatment of missing cells or an HMM's
sequence and order columns change, the session prepares the rows to fit and to draw
(``emdesk.session_rows.prepare_rows``). At 1,000,000 rows that took 0.2-0.3 s for a mixture and 0.5-0.9 s for
a hidden Markov model (its rows ordered by sequence) on the GUI thread, at every such change (measured with
``benchmarks/bench_gui.py --big``). For big data (``emdesk.gui.background.BIG_ROWS`` rows and more) the
controller computes the session's next ``RowSpec`` (``Session.planned``: the commands' checks, nothing
prepared), prepares its rows in a background job (Qt-free) and hands them to ``Session.use_rows`` in the GUI
thread. Meanwhile a local event loop turns (the window stays usable), the status bar says what is prepared
with a busy bar beside it, and Run and Step are disabled. A newer request (another tick, another kind) starts
from the spec of the newest one still pending and supersedes it: only the newest is applied, and the calls
return once it is (scripts see the new rows, as before). One local event loop waits (the panels' changes made
meanwhile do not open another) and one preparation runs at a time. Small data: the session's commands, at once.
"""

from __future__ import annotations

from PySide6 import QtWidgets

from emdesk.gui.background import is_big

KEY = "prepare-rows"
WHAT = {"set_table": "Preparing the rows of the file", "choose_columns": "Preparing the ticked columns",
        "set_missing": "Preparing the rows for the missing-value choice",
        "set_model_kind": "Preparing the rows for the model kind", "set_sequence": "Ordering the rows by sequence"}


class RowsController:
    def __init__(self, window):
        self.w, self.s = window, window.session
        self._target = None       # the RowSpec of the newest request not yet applied
        self._request = 0         # the number of the newest request
        self._job = None          # the one preparation running (of _job_spec), or None
        self._job_spec = None
        self._driving = 0         # local event loops waiting in _drive (nested when a script call waits inside one)
        self._status_before = None
        self._status_shown = None   # the status text this controller shows while it prepares
        self.busy_bar = QtWidgets.QProgressBar()  # no range: Qt draws a busy indicator
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setToolTip("The rows are being prepared in the background; Run is enabled when they are ready")
        window.statusBar().addPermanentWidget(self.busy_bar)
        self.busy_bar.hide()

    def busy(self) -> bool:
        """True while rows are prepared in the background (Run and Step wait for them)."""
        return self._target is not None

    def pending(self):
        """The RowSpec of the newest request still being prepared, or None."""
        return self._target

    def request(self, commands, wait: bool = True) -> bool:
        """Do the session ``commands`` (``[(name, args), ...]``, see ``Session.planned``): at once for small
        data; for big data with their rows prepared in the background, returning once they are used (True) or
        once a newer request that superseded this one was applied (False). Raises the commands' ValueError
        (nothing changed) or the preparation's error when this is the newest request.

        ``wait=False`` (the panels' slots): when a local event loop already waits for rows (an earlier change
        still prepared), return False at once; that loop applies the newest rows and says why when they fail.
        Before, every change made while rows were prepared opened a local event loop inside the previous one:
        quick changes (a mouse wheel over a picker, a held arrow key) nested them until Python's recursion
        limit, and the window stayed "Preparing..." with Run disabled. One preparation runs at a time: a
        newer request waits for it and then prepares the newest rows (the rows in between are never made)."""
        w, s = self.w, self.s
        spec, changes = s.planned(commands, base=self._target)
        big = spec.table is not None and bool(spec.columns) and is_big(spec.table.n_rows)
        if self._target is None and (not big or not changes):
            for name, args in commands:
                getattr(s, name)(*args)
            return True
        if not changes:  # nothing new beyond the pending request: it applies
            return True
        self._request += 1
        req = self._request
        self._target = spec
        if self._status_before is None:
            self._status_before = w.status_state.text()
        self._status_shown = (f"{WHAT.get(commands[-1][0], 'Preparing the rows')} over {spec.table.n_rows:,} "
                              "rows (in the background)...")
        w.status_state.setText(self._status_shown)
        self.busy_bar.show()
        w.update_actions()
        if self._job is None:
            self._start_job()
        if not wait and self._driving:
            return False
        return self._drive(req)

    def settle(self) -> None:
        """Return once no rows are being prepared (the newest applied; a failure is said in the window)."""
        if self._target is not None:
            self._drive(None)

    def _start_job(self) -> None:
        from emdesk import session_rows

        spec = self._job_spec = self._target
        self._job = self.w.jobs.submit(lambda: session_rows.prepare_rows(spec), key=KEY)

    def _drive(self, req) -> bool:
        """Turn a local event loop until the newest request's rows are prepared, then use them. True when
        ``req`` is that request; raises its preparation's error (another request's error is shown)."""
        w = self.w
        self._driving += 1
        try:
            while True:
                job = self._job
                if job is None:  # a loop nested in this one applied the newest rows (or ended on close)
                    return False
                try:
                    prepared, error = w.jobs.wait(job), None
                except Exception as exc:  # noqa: BLE001 (said below when it is the newest request's)
                    prepared, error = None, exc
                if self._job is not job:  # handled by a loop nested in this one meanwhile
                    continue
                if not job.done or w.is_closing():  # the application quits, or the window closed meanwhile
                    self._end()
                    return False
                if self._target is not self._job_spec:  # a newer request came meanwhile: prepare its rows
                    self._start_job()
                    continue
                spec, newest = self._target, self._request
                self._end()
                if error is not None:
                    self.resync()
                    if newest == req:
                        raise error
                    if isinstance(error, ValueError):
                        w.show_message(str(error), "error")
                    else:
                        w.report_error("The rows could not be prepared", error)
                    return False
                self.s.use_rows(spec, prepared)
                return newest == req
        finally:
            self._driving -= 1

    def _end(self) -> None:
        self._target = None
        self._job = self._job_spec = None
        self.busy_bar.hide()
        # the status from before, unless another part of the window said something since (an export's
        # "Exported ...": restoring the older text made it say "Writing the fit ..." again, long after)
        if self._status_before is not None and self.w.status_state.text() == self._status_shown:
            self.w.status_state.setText(self._status_before)
        self._status_before = self._status_shown = None
        # the refusal of a fit started meanwhile no longer holds (unless something else was said since)
        fit = getattr(self.w, "fit", None)
        if fit is not None and fit.busy_refusal is not None:
            if self.w.last_message == fit.busy_refusal:
                self.w.clear_message()
            fit.busy_refusal = None
        self.w.update_actions()

    def resync(self) -> None:
        """The panels show the session's state again, or the newest request's still prepared (a request failed:
        nothing changed)."""
        w = self.w
        spec = self._target if self._target is not None else self.s.rows_spec()
        if w.params_panel.model_kind() != (spec.kind, spec.family):
            w.params_panel.set_model_kind(spec.kind, spec.family)
        if spec.table is None:
            return
        if w.data_panel.table is not spec.table:
            w.data_panel.set_table(spec.table, list(spec.columns))
        w.data_panel.blockSignals(True)
        try:
            w.data_panel.set_selected(list(spec.columns))
            w.data_panel.set_missing_mode(spec.missing)
        except ValueError:
            pass
        finally:
            w.data_panel.blockSignals(False)
        w.data_panel.set_sequence_columns(spec.sequence_column, spec.order_column)
