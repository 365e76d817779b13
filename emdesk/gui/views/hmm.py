"""The hidden Markov model kind's views: the series over time with each step coloured by its most likely state,
the stacked state posteriors beneath it (both redrawn at every iteration drawn, so EM is seen re-segmenting
the series), and the transition matrix as an annotated heatmap. A picker chooses the sequence when there are
several; a long sequence is drawn over its first ``MAX_STEPS`` steps.

The posteriors are the forward-backward smoothing probabilities of the drawn steps under the state on
screen (``Snapshot.to_model().predict_proba``) for at most ``MAX_STEPS`` rows: computed by the fit's worker
thread for the live frames (``drawn_steps``; 15-30 ms per frame off the GUI thread at 5,000 steps), on the GUI
thread for a state scrubbed back to or when another sequence was picked during the fit.

Steps are numbered from 1 (the sequence's first time step), as the messages and the Data panel number data
rows; hovering over the series or the posteriors names the step's data row (the file's row, 1-based, with its
sequence and order values), its value and its most likely state.
"""

from __future__ import annotations

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.gui.elided_label import ElidedLabel
from emdesk.gui.geometry import component_colors, plain_axes, quantise_colors
from emdesk.gui.points_item import ColoredPointsItem
from emdesk.gui.views.hmm_emissions import EmissionsPlot

MAX_STEPS = 5_000     # steps of the picked sequence drawn (and evaluated per frame)
ANNOTATE_MAX_K = 8    # the heatmap's cells carry their value up to this many states


STATS_TIP = ("Occupancy: the expected share of steps in each state; dwell: the expected number of consecutive "
             "steps in a state, 1 / (1 - p(stay)). A dwell longer than the longest sequence means the state is "
             "rarely left: the data cannot tell how long it lasts.")


def occupancy_text(share: float) -> str:
    """A state's expected share of the steps as a percentage: "72%", "<1%" (not "0%") for a state that is
    occupied at all, ">99%" (not "100%") for one that is not always occupied."""
    pct = 100.0 * float(share)
    if 0.0 < pct < 0.5:
        return "<1%"
    if 99.5 <= pct < 100.0:
        return ">99%"
    return f"{pct:.0f}%"


def dwell_text(stay: float, longest: int | None) -> str:
    """The expected dwell time 1 / (1 - a_ii) of a state whose probability of staying is ``stay``, in steps:
    "dwell 4.3 steps", "dwell 138 steps"; beyond ``longest`` (the longest sequence's steps) it cannot be
    read from the data: "dwell > 100 steps (rarely left)" (a Nile series of 100 steps showed "dwell 138240.2").
    """
    stay = float(stay)
    dwell = np.inf if stay >= 1.0 else 1.0 / (1.0 - stay)
    if longest is not None and longest > 0 and dwell > longest:
        return f"dwell > {longest:,} step{'' if longest == 1 else 's'} (rarely left)"
    if not np.isfinite(dwell):
        return "never left"
    shown = f"{dwell:.1f}" if dwell < 10 else f"{dwell:,.0f}"
    return f"dwell {shown} step{'' if shown == '1.0' else 's'}"


class HMMViews(QtCore.QObject):
    """Series, stacked posteriors and transition heatmap of an HMM fit (the ``views`` of the hmm kind)."""

    axesChanged = QtCore.Signal()  # the picked sequence changed: redraw the state on screen

    def __init__(self, parent=None):
        super().__init__(parent)
        self.widget = QtWidgets.QWidget()
        self.sequence_combo = QtWidgets.QComboBox()
        self.sequence_combo.setToolTip("The sequence drawn")
        self.sequence_combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.info = QtWidgets.QLabel()  # what was done to the rows (sorted, repeated order values, ...)
        self.info.setStyleSheet("color: #8a6d00; padding: 0 6px;")
        self.info.setWordWrap(True)
        self.info.hide()
        head = QtWidgets.QHBoxLayout()
        head.setContentsMargins(6, 0, 6, 0)
        self.sequence_label = QtWidgets.QLabel("Sequence:")
        head.addWidget(self.sequence_label)
        head.addWidget(self.sequence_combo)
        self.stats = ElidedLabel()  # occupancy and expected dwell time of each state (elided: never widens the window)
        self.stats.setToolTip(STATS_TIP)
        head.addWidget(self.stats, 1)
        self.graphics = pg.GraphicsLayoutWidget()
        lay = QtWidgets.QVBoxLayout(self.widget)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.info)
        lay.addWidget(self.graphics, 1)

        g = self.graphics
        self.series = g.addPlot(row=0, col=0)
        self.series.showGrid(x=True, y=True, alpha=0.15)
        self.series.setLabel("left", "value")
        self.posterior = g.addPlot(row=1, col=0)
        self.posterior.setXLink(self.series)
        self.posterior.setYRange(0, 1, padding=0)
        self.posterior.setLabel("left", "P(state)")
        self.posterior.setLabel("bottom", "step (1 = the sequence's first)")
        self.posterior.setMouseEnabled(y=False)
        self.transitions = g.addPlot(row=0, col=1)
        self.transitions.setTitle("Transition matrix")
        self.transitions.setAspectLocked(True)
        self.transitions.invertY(True)
        self.transitions.setLabel("left", "from state")
        self.transitions.setLabel("bottom", "to state")
        self.transitions.setMouseEnabled(x=False, y=False)
        self.emissions = EmissionsPlot(g.addPlot(row=1, col=1))  # the states' emission densities
        # the data's own units on every axis: no "step (x0.001)" on a one-step sequence, no "flow (x1000)"
        for plot in (self.series, self.posterior, self.transitions):  # the emissions plot: in its own class
            plain_axes(plot)
        for plot in (self.series, self.posterior):  # one left-axis width: the two time axes line up
            plot.getAxis("left").setWidth(48)
        g.ci.layout.setColumnStretchFactor(0, 3)
        g.ci.layout.setColumnStretchFactor(1, 1)
        g.ci.layout.setRowStretchFactor(0, 3)
        g.ci.layout.setRowStretchFactor(1, 2)

        # The long curves (up to MAX_STEPS points) are drawn without antialiasing: antialiased, their paths took
        # about 50 ms each per repaint, 0.7-1 s per HMM frame at 5,000 steps (measured 1 Dec 2026, issue 16)
        self.line = pg.PlotDataItem(pen=pg.mkPen((170, 170, 170), width=1), antialias=False)
        # the steps as dots coloured by their most likely state, drawn in one call (emdesk.gui.points_item): a
        # brush per point on a ScatterPlotItem took 40-60 ms of every frame at 5,000 steps
        self.points = ColoredPointsItem(size=5, alpha=255)
        self.series.addItem(self.line)
        self.series.addItem(self.points)
        # The Viterbi path of the fitted model: each step at its state's level (drawn once the fit has ended).
        self.viterbi = pg.PlotDataItem(pen=pg.mkPen((30, 30, 30), width=1.5), stepMode=None, antialias=False)
        self.series.addItem(self.viterbi)
        self.viterbi_path = None  # the drawn Viterbi states (tests read it)
        self.heat = pg.ImageItem()
        self.heat.setColorMap(pg.colormap.get("viridis"))
        self.transitions.addItem(self.heat)
        # the state probabilities of the drawn steps: one image (see _draw_posterior)
        self._post_image = pg.ImageItem(axisOrder="col-major")
        self.posterior.addItem(self._post_image)
        self._colors_u8 = np.zeros((0, 3), dtype=np.uint8)
        self._labels: list = []
        self._k = 0
        self._blank_transitions()

        self._X = None
        self._starts = np.zeros(1, dtype=np.int64)
        self._lengths = np.zeros(0, dtype=np.int64)
        self.drawn_states = None      # most likely state of each drawn step (tests read it)
        self.drawn_posteriors = None  # (steps, k) posteriors drawn
        self._symbols = None  # a categorical HMM's symbol labels (codes 0, 1, ...)
        self._name_rows = None  # the session's "row N" (of X, 1-based) -> "data row M (site a, day 3)"
        self.sequence_combo.currentIndexChanged.connect(self._sequence_picked)
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)

    # ------------------------------------------------------------------------------ the window's interface
    def widgets(self) -> list:
        return [self.widget]

    def current(self):
        return self.widget

    def set_data(self, session):
        if session.X is None or not len(session.columns):
            self._X = None
            return None
        self._X = session.X
        self._name_rows = getattr(session, "name_rows", None)
        lengths = session.lengths if session.lengths is not None else np.array([session.X.shape[0]])
        self._lengths = np.asarray(lengths, dtype=np.int64)
        self._starts = np.concatenate([[0], np.cumsum(self._lengths)[:-1]]).astype(np.int64)
        names = session.sequence_names or ["all rows"]
        self.sequence_combo.blockSignals(True)
        self.sequence_combo.clear()
        self.sequence_combo.addItems([f"{n} ({int(t):,} step{'' if int(t) == 1 else 's'})"
                                      for n, t in zip(names, self._lengths)])
        self.sequence_combo.blockSignals(False)
        several = len(self._lengths) > 1
        self.sequence_combo.setVisible(several)
        self.sequence_label.setVisible(several)
        self.series.setLabel("left", session.columns[0])
        # a categorical HMM's symbols by their labels (text columns: the file's values), not as codes
        symbols = (session.categories.get(session.columns[0]) if session.family == "categorical"
                   and isinstance(getattr(session, "categories", None), dict) else None)
        self.series.getAxis("left").setTicks([list(enumerate(map(str, symbols)))] if symbols else None)
        self._symbols = list(map(str, symbols)) if symbols else None
        notes = list(session.notes)
        self.info.setText(" ".join(notes))
        self.info.setVisible(bool(notes))
        self._draw_rows()
        self.emissions.set_data(session.X, session.columns, session.family, symbols=symbols)
        return self.widget

    def show_state(self, snapshot, color_ids=None, imputed=None, has_imputed: bool = False) -> None:
        Xw = self._window()
        if Xw is None or snapshot.transmat is None:
            return
        k = len(snapshot.weights)
        self._set_k(k)
        model = snapshot.to_model()
        given = getattr(color_ids, "post", None)  # computed by the fit's worker (emdesk.gui.worker.StepPosteriors)
        if given is not None and color_ids.key == self._steps_key() and np.shape(given) == (len(Xw), k):
            post = np.asarray(given)
        else:
            post = np.asarray(model.predict_proba(Xw))
        states = post.argmax(axis=1)
        self.drawn_posteriors, self.drawn_states = post, states
        self.points.setColors(self._colors_u8[states])
        t = np.arange(1, len(Xw) + 1)  # step 1 = the sequence's first
        self._draw_posterior(post)
        self._draw_transitions(np.asarray(snapshot.transmat))
        self.emissions.show(snapshot)
        self._draw_stats(np.asarray(snapshot.weights), np.asarray(snapshot.transmat))
        if snapshot.final:
            path = np.asarray(model.predict(Xw))
            level = np.asarray(snapshot.means, dtype=float)
            level = level.argmax(axis=1) if snapshot.family == "categorical" else level[:, 0]
            self.viterbi_path = path
            self.viterbi.setData(t, level[path])
            self.viterbi.show()
        else:
            self.viterbi_path = None
            self.viterbi.hide()

    def _draw_stats(self, occupancy, A) -> None:
        longest = int(self._lengths.max()) if len(self._lengths) else None
        parts = [f"state {i + 1}: {occupancy_text(occupancy[i])}, {dwell_text(A[i, i], longest)}"
                 for i in range(len(occupancy))]
        self.stats.setText("  \u00b7  ".join(parts) if len(parts) <= 6 else f"{len(parts)} states")
        self.stats.setToolTip(STATS_TIP + "\n\n" + "\n".join(parts))

    def clear_state(self) -> None:
        self._set_k(0)
        self.drawn_states = self.drawn_posteriors = self.viterbi_path = None
        self.viterbi.hide()
        self.stats.setText("")
        self._neutral_points()
        self.heat.clear()
        self.emissions.clear()

    @staticmethod
    def color_ids(snapshot, X_display):
        return None  # the states of the drawn steps come from forward-backward in show_state

    # ------------------------------------------------------------------------------ internals
    def picked_sequence(self) -> int:
        return max(0, self.sequence_combo.currentIndex())

    def set_sequence(self, i: int) -> None:
        self.sequence_combo.setCurrentIndex(int(i))

    def _sequence_picked(self, _i: int) -> None:
        self._draw_rows()
        self.axesChanged.emit()

    def _steps_key(self):
        """Which steps are drawn: the data, the picked sequence and how many of its steps."""
        i = min(self.picked_sequence(), max(len(self._lengths) - 1, 0))
        n = int(min(self._lengths[i], MAX_STEPS)) if len(self._lengths) else 0
        return (id(self._X), i, n)

    def drawn_steps(self):
        """The steps drawn now (a ``worker.DrawnSteps``: the fit's worker computes their posteriors per batch),
        or None."""
        from emdesk.gui.worker import DrawnSteps

        Xw = self._window()
        return None if Xw is None else DrawnSteps(Xw, self._steps_key())

    def _window(self):
        if self._X is None or not len(self._lengths):
            return None
        i = min(self.picked_sequence(), len(self._lengths) - 1)
        a = int(self._starts[i])
        n = int(min(self._lengths[i], MAX_STEPS))
        return self._X[a:a + n]

    def _draw_rows(self) -> None:
        Xw = self._window()
        if Xw is None:
            return
        y = Xw[:, 0]
        t = np.arange(1, len(y) + 1, dtype=float)  # step 1 = the sequence's first, as data rows count from 1
        ok = np.isfinite(y)
        if np.count_nonzero(ok) > 1:
            self.line.setData(t, y, connect="finite")  # a gap at steps without a value (not joined across)
        else:  # nothing to join (a one-step sequence): no line, not a path of one move (an empty SVG path)
            self.line.setData([], [])
        self.points.setPositions(t, np.where(ok, y, np.nan))
        self.series.setTitle(None)
        i = min(self.picked_sequence(), len(self._lengths) - 1)
        total = int(self._lengths[i])
        if total > MAX_STEPS:
            self.series.setTitle(f"steps 1-{MAX_STEPS:,} of {total:,}", size="9pt")
        lo, hi = (float(np.nanmin(y)), float(np.nanmax(y))) if ok.any() else (0.0, 1.0)
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        # half a step beyond each end: the end steps' points off the axes, their posterior columns whole (a
        # one-step sequence too; the range was 0 to max(n - 1, 1))
        self.series.setRange(xRange=(0.5, len(y) + 0.5), yRange=(lo - pad, hi + pad), padding=0)
        self._neutral_points()

    def step_text(self, step: int) -> str:
        """What hovering over ``step`` (1-based, of the drawn sequence) says: the step, its data row (the
        file's, 1-based, with its sequence and order values), its value and its most likely state with its
        probability; "" outside the drawn steps."""
        Xw = self._window()
        if Xw is None or not 1 <= step <= len(Xw):
            return ""
        i = min(self.picked_sequence(), len(self._lengths) - 1)
        row = int(self._starts[i]) + step - 1  # 0-based row of X
        where = f"row {row + 1}"
        if self._name_rows is not None:
            where = self._name_rows(where)
        y = float(Xw[step - 1, 0])
        shown = f"{y:.6g}"
        if self._symbols is not None and np.isfinite(y) and 0 <= int(y) < len(self._symbols):
            shown = self._symbols[int(y)]  # a categorical HMM's symbol by its label
        value = "no observed value" if not np.isfinite(y) else f"{self.series.getAxis('left').labelText}: {shown}"
        text = f"Step {step:,}: {where}; {value}"
        post = self.drawn_posteriors
        if post is not None and step - 1 < len(post):
            j = int(np.argmax(post[step - 1]))
            text += f"; state {j + 1} (p {float(post[step - 1, j]):.2f})"
        return text

    def _mouse_moved(self, pos) -> None:
        """Hovering over the series or the posteriors: the step's tooltip (``step_text``)."""
        for plot in (self.series, self.posterior):
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                text = self.step_text(int(round(vb.mapSceneToView(pos).x())))
                self.graphics.setToolTip(text)
                if text:
                    QtWidgets.QToolTip.showText(QtGui.QCursor.pos(), text, self.graphics)
                else:
                    QtWidgets.QToolTip.hideText()
                return
        self.graphics.setToolTip("")

    def _neutral_points(self) -> None:
        self.points.setColorIds(np.full(self.points.pointCount(), quantise_colors(np.array([(120.0, 120.0, 120.0)]))[0]))

    #: rows of the posterior image: each step's column is split among the states by their probabilities
    POSTERIOR_ROWS = 100

    def _draw_posterior(self, post) -> None:
        """The stacked state probabilities of the drawn steps as one image (a column per step, coloured from the
        bottom by state in proportion to its probability). Stacked filled curves (FillBetweenItem) cost
        0.1 s to rebuild and 0.7 s to paint per frame at 5,000 steps (measured 1 Dec 2026): the window
        stalled for seconds during an HMM fit."""
        post = np.asarray(post, dtype=float)
        n, k = post.shape
        if not n or not k:
            self._post_image.clear()
            return
        cum = np.cumsum(post, axis=1)[:, :-1]  # (n, k-1): the upper edge of each state but the last
        levels = (np.arange(self.POSTERIOR_ROWS) + 0.5) / self.POSTERIOR_ROWS
        # (n, rows): the state at that height, the number of upper edges below it (one (n, rows) comparison per
        # edge: summing a (n, rows, k-1) array over its short last axis took 40 ms per frame at 5,000 steps).
        # One byte per cell, and the colours looked up as one 4-byte word each: 25 -> 3 ms per frame at 5,000
        # steps and 3 states (measured 1 Dec 2026), the same image.
        state = np.zeros((n, self.POSTERIOR_ROWS), dtype=np.uint8 if k < 256 else np.uint16)
        for j in range(k - 1):
            state += cum[:, j, None] < levels[None, :]
        np.minimum(state, k - 1, out=state)
        palette = np.zeros((k, 4), dtype=np.uint8)
        palette[:, :3] = self._colors_u8[:k]
        words = palette.view(np.uint32).ravel()[state]  # (n, rows) RGBx words
        rgb = np.ascontiguousarray(words.view(np.uint8).reshape(n, self.POSTERIOR_ROWS, 4)[:, :, :3])
        self._post_image.setImage(rgb, levels=(0, 255), autoLevels=False)
        self._post_image.setRect(QtCore.QRectF(0.5, 0.0, float(n), 1.0))  # step i's column centred on i

    def posterior_image(self):
        """The posterior image's (steps, rows, 3) colours (tests)."""
        return self._post_image.image

    def _set_k(self, k: int) -> None:
        if k == self._k:
            return
        for item in self._labels:
            self.transitions.removeItem(item)
        self._labels = []
        self._k = k
        colors = component_colors(k) if k else np.zeros((0, 3))
        self._colors_u8 = np.asarray(colors, dtype=float).clip(0, 255).astype(np.uint8).reshape(-1, 3)
        self._post_image.clear()
        if not k:
            self._blank_transitions()
            return
        if k <= ANNOTATE_MAX_K:
            for _ in range(k * k):
                label = pg.TextItem(anchor=(0.5, 0.5))
                self.transitions.addItem(label)
                self._labels.append(label)
        ticks = [(i + 0.5, str(i + 1)) for i in range(k)]
        for axis in ("left", "bottom"):
            self.transitions.getAxis(axis).setTicks([ticks])
        self.transitions.setRange(xRange=(0, k), yRange=(0, k), padding=0.02)

    def _blank_transitions(self) -> None:
        """No states yet: no ticks and a unit range (left alone, the empty plot auto-ranged to axes of
        -400..400 x 0.001)."""
        for axis in ("left", "bottom"):
            self.transitions.getAxis(axis).setTicks([[]])
        self.transitions.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.02)

    def _draw_transitions(self, A: np.ndarray) -> None:
        k = A.shape[0]
        self.heat.setImage(A.T, levels=(0.0, 1.0))  # ImageItem is indexed [x, y]: column = "to"
        self.heat.setRect(QtCore.QRectF(0, 0, k, k))
        for idx, label in enumerate(self._labels):
            i, j = divmod(idx, k)
            v = float(A[i, j])
            look = (f"{v:.2f}", v > 0.6, k)
            if getattr(label, "_drawn", None) == look:  # re-rendering an unchanged text costs a layout
                continue
            label._drawn = look
            label.setText(look[0])
            label.setColor(QtGui.QColor(0, 0, 0) if v > 0.6 else QtGui.QColor(255, 255, 255))
            label.setPos(j + 0.5, i + 0.5)
