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
return once it is (scripts see the new rows, as before). Small data: the session's commands, at once.
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
        self._request = 0
        self._status_before = None
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

    def request(self, commands) -> bool:
        """Do the session ``commands`` (``[(name, args), ...]``, see ``Session.planned``): at once for small
        data; for big data with their rows prepared in the background, returning once they are used (True) or
        once a newer request that superseded this one was applied (False). Raises the commands' ValueError
        (nothing changed) or the preparation's error when this is the newest request."""
        w, s = self.w, self.s
        spec, changes = s.planned(commands, base=self._target)
        big = spec.table is not None and bool(spec.columns) and is_big(spec.table.n_rows)
        if self._target is None and (not big or not changes):
            for name, args in commands:
                getattr(s, name)(*args)
            return True
        if not changes:  # nothing new beyond the pending request: it applies
            return True
        from emdesk import session_rows

        self._request += 1
        req = self._request
        self._target = spec
        if self._status_before is None:
            self._status_before = w.status_state.text()
        w.status_state.setText(f"{WHAT.get(commands[-1][0], 'Preparing the rows')} over {spec.table.n_rows:,} "
                               "rows (in the background)...")
        self.busy_bar.show()
        w.update_actions()
        job = w.jobs.submit(lambda: session_rows.prepare_rows(spec), key=KEY)
        try:
            prepared = w.jobs.wait(job)
        except Exception:
            if req != self._request:
                return False
            self._end()
            self.resync()
            raise
        if req != self._request:
            return False  # superseded: the newest request was applied (or is still running, outside this loop)
        if not job.done or w.is_closing():  # the application quits, or the window closed meanwhile
            self._end()
            return False
        self._end()
        s.use_rows(spec, prepared)
        return True

    def _end(self) -> None:
        self._target = None
        self.busy_bar.hide()
        if self._status_before is not None:
            self.w.status_state.setText(self._status_before)
        self._status_before = None
        self.w.update_actions()

    def resync(self) -> None:
        """The panels show the session's state again (a request failed: nothing changed)."""
        w, s = self.w, self.s
        if w.params_panel.model_kind() != (s.kind, s.family):
            w.params_panel.set_model_kind(s.kind, s.family)
        if s.table is None:
            return
        if w.data_panel.table is not s.table:
            w.data_panel.set_table(s.table, s.columns)
        w.data_panel.blockSignals(True)
        try:
            w.data_panel.set_selected(s.columns)
            w.data_panel.set_missing_mode(s.missing)
        except ValueError:
            pass
        finally:
            w.data_panel.blockSignals(False)
        w.data_panel.set_sequence_columns(s.sequence_column, s.order_column)
