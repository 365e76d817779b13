"""The restarts view (issue 7): every EM restart's final log-likelihood, which one was kept,
and a way to load any restart's solution, so users see when EM lands in different local optima.

Integration (main window)::

    view = RestartsView()                       # e.g. the widget of a QDockWidget "Restarts"
    view.restartChosen.connect(window.<slot(int)>)
    view.set_model(fitted_model)                # after every finished fit; view.clear() on new data
    ...
    def <slot>(self, i):                        # load restart i into the main view
        model = restart_model(self._model, i)   # a fitted GaussianMixture of that restart

``set_model`` reads ``restart_log_likelihoods_``, ``restart_parameters_``, ``best_restart_`` (and,
when present, ``data_variances_``/``n_samples_``/``tol`` to diagnose each restart and to decide
which restarts reached the same optimum, and ``restart_degenerate_``: the summary says when a
collapsed restart had the highest log-likelihood and the best sound one is kept).  ``restartChosen(int)`` (0-based) is emitted when the
user selects a restart in the table or the plot, or presses "Load this restart".
"""

from __future__ import annotations

import math
import os

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.engine.diagnostics import format_issues
from emdesk.engine.em import kept_restart_note

# The restart helpers are Qt-free (the session loads restarts too); re-exported here for the view's users.
from emdesk.session import _n_samples, restart_issues, restart_model  # noqa: E402,F401


def failure(model, i: int):
    """The reason restart ``i`` of ``model`` failed (its ``restart_parameters_[i]["failed"]``), or None."""
    params = getattr(model, "restart_parameters_", None) or []
    why = params[i].get("failed") if 0 <= i < len(params) else None
    return str(why) if why else None


def same_optimum_tolerance(model) -> float:
    """Total log-likelihoods closer than this count as the same optimum: EM stops when the
    mean log-likelihood changes by less than ``tol``, so two runs to one optimum can differ by
    about ``tol * n_samples``."""
    n = _n_samples(model)
    tol = getattr(model, "tol", 1e-3)
    lls = np.asarray(getattr(model, "restart_log_likelihoods_", [0.0]), dtype=float)
    lls = lls[np.isfinite(lls)]  # failed restarts (-inf) say nothing about the optimum's scale
    scale = float(np.max(np.abs(lls))) if lls.size else 0.0
    if isinstance(tol, str):  # "relative[:r]": EM stopped when the total changed by < r (1 + |l|)
        from emdesk.engine.relative import relative_amount

        try:
            return max(relative_amount(tol, "tol") * (1.0 + scale), 1e-9 * scale, 1e-9)
        except ValueError:
            tol = 1e-3
    return max(float(tol) * n if n else 0.0, 1e-9 * scale, 1e-9)


LOAD_TIP = "Show the selected restart's solution in the main view"



def _collapsed_text(degenerate, kept, what, shown=" (shown as \u00d7)") -> str:
    """The sentence on the collapsed restarts, naming the kept one when it is among them (every restart
    collapsed: the best of them is kept; a file may also say so of its kept restart)."""
    n_deg, n = int(np.sum(degenerate)), len(degenerate)
    if not degenerate[kept]:
        return f"{n_deg} restart{'s' if n_deg != 1 else ''} collapsed{shown}."
    if n_deg == n:
        return (f"All {n} restarts collapsed{shown}: the kept one has the highest {what} of them, and its "
                "solution is degenerate too.")
    return f"{n_deg} restart{'s' if n_deg != 1 else ''} collapsed{shown}, the kept one (restart {kept + 1}) among them."

class RestartsView(QtWidgets.QWidget):
    """Strip chart and table of every restart's final log-likelihood; the kept one highlighted."""

    restartChosen = QtCore.Signal(int)  # 0-based restart the user wants to load

    COLUMNS = ("Restart", "Log-likelihood", "vs kept", "Iterations", "Converged", "Issues")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._model = None
        self._saved = None  # the restarts a fit file recorded (set_saved_fit), when no fitted model is shown
        self._lls = np.zeros(0)
        self._issues: list = []
        self._updating = False

        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        # A wrapped label in a layout next to a splitter gets one line unless told otherwise.
        self.summary.setMinimumHeight(3 * self.summary.fontMetrics().lineSpacing() + 4)
        self.summary.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)

        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(140)
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "Restart")
        self.plot.setLabel("left", "Final log-likelihood")
        self.plot.getPlotItem().setMenuEnabled(False)
        self.plot.getAxis("bottom").setTickSpacing(1, 1)
        self.plot.getPlotItem().getViewBox().setDefaultPadding(0.12)  # the kept restart's star is not clipped
        self._kept_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen((200, 150, 0), width=1, style=QtCore.Qt.PenStyle.DashLine))
        self._kept_line.setVisible(False)
        self.plot.addItem(self._kept_line)
        self._others = pg.ScatterPlotItem(size=10, symbol="o", pen=pg.mkPen(31, 119, 180), brush=pg.mkBrush(31, 119, 180, 200))
        self._degenerate = pg.ScatterPlotItem(size=12, symbol="x", pen=pg.mkPen((120, 120, 120), width=2), brush=pg.mkBrush(None))
        self._kept = pg.ScatterPlotItem(size=20, symbol="star", pen=pg.mkPen((20, 20, 20), width=1.5), brush=pg.mkBrush(255, 215, 0, 230))
        self._selected = pg.ScatterPlotItem(size=24, symbol="o", pen=pg.mkPen((220, 20, 60), width=2.5), brush=pg.mkBrush(None))
        for z, item in enumerate((self._others, self._degenerate, self._kept, self._selected)):
            item.setZValue(5 + z)
            self.plot.addItem(item)
            if item is not self._selected:
                item.sigClicked.connect(self._point_clicked)

        self.table = QtWidgets.QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.load_button = QtWidgets.QPushButton("Load this restart")
        self.load_button.setToolTip(LOAD_TIP)
        self.load_button.clicked.connect(self._load_clicked)

        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        split.addWidget(self.plot)
        split.addWidget(self.table)
        split.setChildrenCollapsible(False)
        self.table.setMinimumHeight(4 * self.table.verticalHeader().defaultSectionSize() + 8)  # rows visible
        split.setSizes([150, 200])
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.load_button)
        lay.addLayout(buttons)
        self.clear()

    # ---------------------------------------------------------------------------------- public
    def model(self):
        return self._model

    def clear(self) -> None:
        self._model = None
        self._saved = None
        self._lls = np.zeros(0)
        self._issues = []
        self._failed = []
        self._updating = True
        self.table.setRowCount(0)
        self._updating = False
        for item in (self._others, self._degenerate, self._kept, self._selected):
            item.setData([], [])
        self._kept_line.setVisible(False)
        self.summary.setText("No fit yet: after a fit, every restart's final log-likelihood appears here.")
        self.load_button.setEnabled(False)
        self.load_button.setToolTip(LOAD_TIP)

    def set_model(self, model) -> None:
        """Show the restarts of a fitted model (None clears the view)."""
        if model is None or not hasattr(model, "restart_parameters_"):
            self.clear()
            return
        self._model = model
        self._saved = None
        self.load_button.setToolTip(LOAD_TIP)
        # with mclust's prior EM maximised (and kept the restart with the best) log-posterior
        self.plot.setLabel("left", "Final log-posterior" if getattr(model, "prior", None) is not None
                           else "Final log-likelihood")
        params = list(model.restart_parameters_)
        lls = np.array([float(p.get("log_likelihood", math.nan)) for p in params])
        kept = int(getattr(model, "best_restart_", int(np.nanargmax(lls)) if np.any(np.isfinite(lls)) else 0))
        self._issues = [restart_issues(model, i) for i in range(len(params))]
        self._failed = [failure(model, i) for i in range(len(params))]
        degenerate = np.array([bool(iss) for iss in self._issues], dtype=bool)
        self._draw(lls, kept, degenerate)
        self._fill_table(params, lls, kept)
        self.summary.setText(self._summary_text(lls, kept, degenerate))
        self._updating = True
        self.table.selectRow(kept)
        self._updating = False
        self._mark_selected(kept)
        self.load_button.setEnabled(self._failed[kept] is None)

    def set_saved_fit(self, model) -> None:
        """Show the restarts a fit file recorded for ``model`` (opened with :func:`emdesk.io.load_fit`): each
        restart's final log-likelihood, the kept one, which collapsed (``restart_degenerate``, when the file
        says) and the note when a collapsed restart had the highest log-likelihood. The file keeps no other
        restart's solution, so none can be loaded (the button stays off; selecting a row only marks it)."""
        from emdesk.io.fitfile_restarts import saved_restarts

        rec = saved_restarts(model)
        if rec is None:
            self.clear()
            self.summary.setText("This fit was opened from a file that lists no restarts.")
            return
        self.clear()
        self._saved = rec
        self.plot.setLabel("left", "Final log-posterior" if getattr(model, "prior", None) is not None
                           else "Final log-likelihood")
        lls, kept = rec.restart_log_likelihoods_, rec.best_restart_
        n = lls.size
        known = rec.restart_degenerate_ is not None
        degenerate = rec.restart_degenerate_ if known else np.zeros(n, dtype=bool)
        self._failed = [None if np.isfinite(v) else "failed (the file keeps no reason)" for v in lls]
        self._issues = [() for _ in range(n)]
        self._draw(lls, kept, degenerate)
        params = [{"n_iter": rec.n_iter_ if i == kept and isinstance(rec.n_iter_, int) else None,
                   "converged": rec.converged_ if i == kept else None} for i in range(n)]
        self._fill_table(params, lls, kept, issues=[
            ("collapsed" if degenerate[i] else "none") if known else "not saved" for i in range(n)])
        name = os.path.basename(str((getattr(model, "fit_info_", None) or {}).get("path") or "")) or "a fit file"
        text = f"Opened from {name}: "
        if n == 1:
            text += "one restart (n_init 1)." if np.isfinite(lls[0]) else "no restarts recorded (not fitted)."
        else:
            what = "log-posterior" if getattr(model, "prior", None) is not None else "log-likelihood"
            text += f"{n} restarts; the kept one (restart {kept + 1}) has {what} {lls[kept]:.3f}. " \
                if np.isfinite(lls[kept]) else f"{n} restarts. "
            note = kept_restart_note(rec)
            text += (note + " ") if note else ""
            n_deg = int(np.sum(degenerate))
            if known and n_deg:
                text += _collapsed_text(degenerate, kept, what) + " "
            elif not known:
                text += "Which restarts collapsed is not in this file (written by an older emdesk). "
            text += "The file keeps each restart's log-likelihood, not its solution: fit again to load another."
        self.summary.setText(text.strip())
        self._updating = True
        self.table.selectRow(kept)
        self._updating = False
        self._mark_selected(kept)
        self.load_button.setEnabled(False)
        self.load_button.setToolTip("A fit opened from a file keeps only each restart's log-likelihood; fit "
                                    "again to load another restart")

    def _draw(self, lls, kept, degenerate) -> None:
        self._lls = np.asarray(lls, dtype=float)
        n = len(lls)
        x = np.arange(1, n + 1)
        finite = np.isfinite(lls)
        is_kept = np.arange(n) == kept
        sel_o = finite & ~degenerate & ~is_kept
        sel_d = finite & degenerate & ~is_kept
        self._others.setData(x[sel_o], lls[sel_o], data=list(np.flatnonzero(sel_o)))
        self._degenerate.setData(x[sel_d], lls[sel_d], data=list(np.flatnonzero(sel_d)))
        if finite[kept]:
            self._kept.setData([kept + 1], [lls[kept]], data=[kept])
            self._kept_line.setPos(lls[kept])
            self._kept_line.setVisible(True)
        else:
            self._kept.setData([], [])
            self._kept_line.setVisible(False)
        self.plot.setXRange(0.5, n + 0.5, padding=0)
        if np.any(finite):
            lo, hi = float(np.min(lls[finite])), float(np.max(lls[finite]))
            pad = max(1.0, 0.1 * (hi - lo))
            self.plot.setYRange(lo - pad, hi + pad, padding=0)

    def selected_restart(self):
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def select_restart(self, i: int) -> None:
        """Select restart ``i`` (0-based) as a user would; emits restartChosen(i)."""
        self.table.selectRow(int(i))

    def restart_model(self, i: int):
        """Restart ``i`` of the shown model as a fitted model of its class (ValueError for a failed one)."""
        if self._model is None:
            raise ValueError("No model is shown: call set_model(fitted_model) first.")
        why = failure(self._model, int(i))
        if why:
            raise ValueError(f"Restart {int(i) + 1} failed ({why}); it has no solution to load.")
        if hasattr(self._model, "restart_model"):  # structure x family models (HMMs): the engine's own
            return self._model.restart_model(int(i))
        return restart_model(self._model, i)

    # ---------------------------------------------------------------------------------- internals
    def _fill_table(self, params, lls, kept, issues=None) -> None:
        self._updating = True
        self.table.setRowCount(len(params))
        for i, p in enumerate(params):
            diff = lls[i] - lls[kept]
            cells = (
                f"{i + 1}" + ("  (kept)" if i == kept else ""),
                "" if not np.isfinite(lls[i]) else f"{lls[i]:.3f}",
                "" if not np.isfinite(diff) else ("0" if i == kept else f"{diff:+.3f}"),
                "" if p.get("n_iter", 0) is None else str(int(p.get("n_iter", 0))),
                "" if p.get("converged", False) is None else ("yes" if p.get("converged", False) else "no"),
                f"failed: {self._failed[i]}" if self._failed[i] else (
                    issues[i] if issues is not None else (format_issues(self._issues[i]) or "none")),
            )
            for j, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if j in (1, 2, 3):
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                if i == kept:
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                if self._failed[i]:  # shown with its reason; it cannot be loaded
                    item.setForeground(QtGui.QBrush(QtGui.QColor(183, 28, 28)))
                    item.setToolTip(f"This restart failed: {self._failed[i]}. It has no solution to load.")
                elif self._issues[i]:
                    item.setForeground(QtGui.QBrush(QtGui.QColor(130, 130, 130)))
                    item.setToolTip("\n".join(iss.message for iss in self._issues[i]))
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self._updating = False

    def _summary_text(self, lls, kept, degenerate) -> str:
        n = len(lls)
        if n == 1:
            if not np.isfinite(lls[0]):
                return "This model was not fitted here, so there are no restarts to compare."
            return ("One restart only: fit with more restarts (n_init) to see whether EM lands in "
                    "different local optima.")
        tol = same_optimum_tolerance(self._model)
        n_failed = sum(1 for f in self._failed if f)
        ok = np.isfinite(lls) & np.array([not f for f in self._failed], dtype=bool)
        if not np.isfinite(lls[kept]):
            return f"All {n} restarts failed: {self._failed[kept] or 'no finite log-likelihood'}."
        same = int(np.sum(np.abs(lls[ok] - lls[kept]) <= tol))
        others = int(np.count_nonzero(ok)) - same
        what = "log-posterior" if getattr(self._model, "prior", None) is not None else "log-likelihood"
        text = f"{n} restarts; the kept one (restart {kept + 1}) has {what} {lls[kept]:.3f}. "
        note = kept_restart_note(self._model)  # a collapsed restart above the kept one: why it is not kept
        if note:
            text += note + " "
        if n_failed:
            text += f"{n_failed} failed (shown with the reason; they cannot be loaded). "
        if others == 0:
            text += f"All {n - n_failed} others reached the same optimum (within {tol:.3g})." if n_failed else \
                f"All {n} reached the same optimum (within {tol:.3g})."
        else:
            worst = float(np.min(lls[ok] - lls[kept]))
            text += (f"{same} of {n} ended at this optimum (within {tol:.3g} of it); {others} stopped in other "
                     f"local optima, up to {-worst:.3f} lower.")
        if np.any(degenerate):
            text += " " + _collapsed_text(degenerate, kept, what, " (degenerate, shown as \u00d7)")
        return text

    def _mark_selected(self, i) -> None:
        if (self._model is None and self._saved is None) or i is None or not 0 <= i < self._lls.size:
            self._selected.setData([], [])
            return
        ll = float(self._lls[i])
        if np.isfinite(ll):
            self._selected.setData([i + 1], [ll])
        else:
            self._selected.setData([], [])

    def _selection_changed(self) -> None:
        i = self.selected_restart()
        self._mark_selected(i)
        failed = i is not None and bool(self._failed[i]) if self._model is not None else False
        self.load_button.setEnabled(self._model is not None and i is not None and not failed)
        if self._updating or i is None or failed or self._model is None:  # a saved fit's restarts: marked only
            return
        self.restartChosen.emit(int(i))

    def _load_clicked(self) -> None:
        i = self.selected_restart()
        if i is not None and not self._failed[i]:
            self.restartChosen.emit(int(i))

    def _point_clicked(self, item, points, *args) -> None:
        if points is None or len(points) == 0:
            return
        i = int(points[0].data())
        if self.selected_restart() == i:
            self.restartChosen.emit(i)
        else:
            self.select_restart(i)
