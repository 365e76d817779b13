"""Initialisation by hand (issue 7): starting means placed, dragged and removed on the plot. The handles
(``emdesk.gui.init_handles``) report what the user did; the means themselves (all chosen columns) live in
the session, which turns them into the engine's starting state (``Session.with_start_means``)."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from emdesk.gui.init_handles import StartMeans1D, StartMeans2D


class StartMeansController(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.s = window.session
        views = window.kind_views["mixture"]
        window.start_handles_2d = StartMeans2D(views.plot_2d.plot, legend=views.plot_2d.legend)
        window.start_handles_1d = StartMeans1D(views.plot_1d.view, views.plot_1d.density, views.plot_1d.strip,
                                               legend=views.plot_1d.legend)
        for layer in (window.start_handles_2d, window.start_handles_1d):
            layer.added.connect(self._added)
            layer.moved.connect(self._moved)
            layer.removed.connect(self._removed)
            layer.leaveRequested.connect(self._leave_placing)
        views.axesChanged.connect(self.sync_handles)
        self.views = views

    def forget(self) -> None:
        """New data or columns: the placed means no longer apply."""
        self._set(np.zeros((0, len(self.s.columns))))
        has_cols = bool(self.s.columns) and self.w.kind.start_means and self.s.family in ("gaussian", "student_t")
        self.w.act_place_means.setEnabled(has_cols)
        if not has_cols and self.w.act_place_means.isChecked():
            self.set_placing(False)

    def set_placing(self, on: bool = True) -> None:
        on = bool(on)
        w = self.w
        w.act_place_means.blockSignals(True)
        w.act_place_means.setChecked(on)
        w.act_place_means.blockSignals(False)
        w.start_handles_2d.set_active(on)
        w.start_handles_1d.set_active(on)
        if on:
            w.status_state.setText("Click the plot to place a starting mean (drag: move; right-click or "
                                   "Delete: remove); F5 runs")

    @QtCore.Slot()
    def _leave_placing(self) -> None:
        self.set_placing(False)
        self.w.status_state.setText("Placing starting means is off (Fit \u25b8 Place Starting Means turns it on)")

    def set_means(self, means) -> None:
        """(k, d) for the d chosen columns, or (k, 2) for the displayed x/y columns when more than two are
        chosen (the others start at their column mean); 1-D: a list of values. Empty clears them."""
        d = len(self.s.columns)
        if d == 0 or self.s.X is None:
            raise ValueError("Open a CSV file and tick the columns before placing starting means.")
        m = np.asarray(means, dtype=float)
        if m.size == 0:
            self.clear()
            return
        if m.ndim == 1:
            m = m.reshape(-1, 1) if d == 1 else m.reshape(1, -1)
        if m.ndim != 2 or m.shape[1] not in ({d, 2} if d > 2 else {d}):
            raise ValueError(f"Starting means must have shape (k, {d}) for the {d} ticked columns"
                             + (" or (k, 2) for the displayed x and y columns" if d > 2 else "")
                             + f"; got {m.shape}.")
        if not np.all(np.isfinite(m)):
            raise ValueError("Starting means must be finite numbers.")
        if m.shape[1] != d:
            full = np.tile(self.s.column_means(), (m.shape[0], 1))
            ix, iy = self.views.xy_indices()
            full[:, ix], full[:, iy] = m[:, 0], m[:, 1]
            m = full
        self._set(m)

    def clear(self) -> None:
        self._set(np.zeros((0, len(self.s.columns))))

    def _set(self, m: np.ndarray) -> None:
        w = self.w
        limit = w.params_panel.n_components.maximum()
        if m.shape[0] > limit:
            w.show_message(f"At most {limit} starting means can be placed (one per component).", "warning")
            m = m[:limit]
        self.s.set_start_means(np.array(m, dtype=float).reshape(len(m), len(self.s.columns)))
        w.params_panel.set_manual_means(self.s.start_means.shape[0])
        w.act_clear_means.setEnabled(self.s.start_means.shape[0] > 0)
        self.sync_handles()

    def sync_handles(self) -> None:
        w = self.w
        m = self.s.start_means
        if m.shape[0] == 0 or m.shape[1] == 0:
            w.start_handles_1d.set_points(np.zeros((0, 2)))
            w.start_handles_2d.set_points(np.zeros((0, 2)))
        elif m.shape[1] == 1:
            w.start_handles_2d.set_points(np.zeros((0, 2)))
            w.start_handles_1d.set_points(np.column_stack([m[:, 0], np.zeros(len(m))]))
        else:
            ix, iy = self.views.xy_indices()
            w.start_handles_1d.set_points(np.zeros((0, 2)))
            w.start_handles_2d.set_points(m[:, [ix, iy]])

    @QtCore.Slot(float, float)
    def _added(self, x: float, y: float) -> None:
        if self.s.X is None:
            return
        row = self.s.column_means()
        for dim, v in zip(self.views.displayed_dims(), (x, y)):
            row[dim] = v
        self._set(np.vstack([self.s.start_means, row[None, :]]))
        k = self.s.start_means.shape[0]
        self.w.status_state.setText(f"Start: {k} mean{'s' if k != 1 else ''} placed by hand; Run (F5) starts "
                                    "EM from them")

    @QtCore.Slot(int, float, float)
    def _moved(self, i: int, x: float, y: float) -> None:
        m = self.s.start_means
        if not 0 <= i < m.shape[0]:
            return
        for dim, v in zip(self.views.displayed_dims(), (x, y)):
            m[i, dim] = v

    @QtCore.Slot(int)
    def _removed(self, i: int) -> None:
        if 0 <= i < self.s.start_means.shape[0]:
            self._set(np.delete(self.s.start_means, i, axis=0))
