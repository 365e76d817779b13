"""The mixture kind's views: the 1-D density with its row strip (one column) and the 2-D scatter with
ellipses (two or more columns; the x/y pickers choose the pair). The window's plot area hosts both and shows
the one that fits the chosen columns; the fit controller hands them each state to draw."""

from __future__ import annotations

from PySide6 import QtCore

from emdesk.gui.plot_1d import Plot1D
from emdesk.gui.plot_2d import Plot2D


class MixtureViews(QtCore.QObject):
    """The 1-D and 2-D views of a mixture; ``current()`` is the one on screen for the chosen columns."""

    axesChanged = QtCore.Signal()  # the 2-D view's x/y columns changed: redraw the state on screen

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_1d = Plot1D()
        self.plot_2d = Plot2D()
        self.plot_2d.axesChanged.connect(self.axesChanged)
        self._n_columns = 0

    def widgets(self) -> list:
        return [self.plot_1d, self.plot_2d]

    def set_data(self, session):
        """Draw the rows of ``session`` (no state yet); returns the widget to show, or None (no columns)."""
        cols = session.columns
        self._n_columns = len(cols) if session.X is not None else 0
        if not self._n_columns:
            return None
        if self._n_columns == 1:
            self.plot_1d.set_data(session.X[:, 0], session.X_display[:, 0], cols[0])
            self.plot_1d.set_missing_count(session.n_empty, session.n_rows)
            return self.plot_1d
        self.plot_2d.set_data(session.X_display, cols, session.X.shape[0])
        self.plot_2d.set_left_out(session.n_dropped, dropped=session.missing == "drop")
        return self.plot_2d

    def current(self):
        return self.plot_1d if self._n_columns == 1 else self.plot_2d

    def show_state(self, snapshot, color_ids, imputed=None, has_imputed: bool = False) -> None:
        view = self.current()
        if view is self.plot_2d and has_imputed:
            self.plot_2d.set_imputed(imputed)
        view.show_state(snapshot, color_ids)

    def clear_state(self) -> None:
        self.plot_1d.clear_state()
        self.plot_2d.clear_state()

    def xy_indices(self) -> tuple[int, int]:
        """Indices (in the chosen columns) of the 2-D view's x and y columns."""
        return int(self.plot_2d._ix), int(self.plot_2d._iy)

    def displayed_dims(self) -> list[int]:
        return [0] if self._n_columns == 1 else list(self.xy_indices())

    @staticmethod
    def color_ids(snapshot, X_display):
        """Colour ids of the drawn rows under ``snapshot`` (None when the state cannot be evaluated)."""
        from emdesk.gui.geometry import responsibility_color_ids

        if X_display is None or not X_display.shape[0]:
            return None
        try:
            return responsibility_color_ids(snapshot.to_model().predict_proba(X_display), len(snapshot.weights))
        except Exception:  # a degenerate or refused state: draw parameters only
            return None


