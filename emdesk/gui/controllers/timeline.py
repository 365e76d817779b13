"""Drawing the states of a fit: the live frames while EM runs (paced by their measured cost), the timeline
replay (scrubbing coalesced into one frame per event-loop pass) and the status bar's figures for the state on
screen. Colour ids and imputed values of recently drawn iterations are cached."""

from __future__ import annotations

import time
from collections import OrderedDict

import numpy as np
from PySide6 import QtCore

IDS_CACHE_SIZE = 256  # colour ids of recently drawn iterations (50,000 x int16 = 100 kB each)
IMPUTED_CACHE_BYTES = 32_000_000  # imputed values of the displayed incomplete rows, per drawn iteration
# Live frames: at most one per FRAME_INTERVAL_RANGE[0] (25/s), spaced by FRAME_COST_FACTOR times the measured
# cost of a frame, but never less than 10/s (FRAME_INTERVAL_RANGE[1]): the GUI thread takes at most ~40% of a
# core and the fit keeps the rest.
FRAME_INTERVAL_RANGE = (0.04, 0.1)
FRAME_COST_FACTOR = 2.5


class TimelineController(QtCore.QObject):
    """Draws ``session.history[i]`` in the kind's views, the trace marker and the status figures."""

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.s = window.session
        self.shown_index = -1
        self.requested_index = -1
        self.frames_drawn = 0          # how many states have been drawn (benchmarks read it)
        self.ids_cache: OrderedDict = OrderedDict()      # history index -> colour ids (LRU)
        self.imputed_cache: OrderedDict = OrderedDict()  # history index -> imputed values of those rows
        self.live_ids = None           # (history index, colour ids) from the worker's last batch
        self._last_frame_t = 0.0
        self._frame_cost = 0.0         # moving average of the GUI time one frame takes (s)
        self._draw_error_run = None    # the run whose drawing error was reported (one message per fit)
        self.scrub_timer = QtCore.QTimer(self)
        self.scrub_timer.setSingleShot(True)
        self.scrub_timer.setInterval(0)
        self.scrub_timer.timeout.connect(self._render_requested)
        window.timeline.indexChanged.connect(self._timeline_moved)
        for views in window.kind_views.values():
            views.axesChanged.connect(self.rerender)

    # ------------------------------------------------------------------------------ state
    def reset(self) -> None:
        """New data or a new fit: nothing drawn, caches empty."""
        self.ids_cache.clear()
        self.imputed_cache.clear()
        self.live_ids = None
        self.w.trace.clear()
        self.w.trace.set_objective(self._posterior())
        self.w.timeline.reset()

    def _posterior(self) -> bool:
        """The fit maximises the posterior (mclust's prior): its snapshots' objective is the log-posterior."""
        return self.s.fit_params.get("prior") is not None

    def reset_status(self) -> None:
        w = self.w
        w.status_iter.setText("iteration -")
        w.status_ll.setText("log-likelihood -")
        w.status_change.setText("change -")
        w.status_time.setText("0.0 s")
        w.views.clear_state()
        w.guard.show_state(None)

    # ------------------------------------------------------------------------------ live frames
    def snapshots_added(self, batch, color_ids) -> None:
        """A batch from the worker is in the session's history: trace, slider, and a frame when following."""
        history = self.s.history
        self.live_ids = (len(history) - 1, color_ids)
        following = self.w.timeline.following
        self.w.trace.append(batch, draw=not following)  # following: the trace is drawn with the frame
        self.w.timeline.set_count(len(history))
        if following:
            # Draw on the next pass of the event loop: batches that queued up meanwhile cost one frame.
            # Live frames are spaced by their measured cost (FRAME_INTERVAL_RANGE): the fit keeps the CPU.
            self.requested_index = len(history) - 1
            if not self.scrub_timer.isActive():
                lo, hi = FRAME_INTERVAL_RANGE
                interval = min(max(FRAME_COST_FACTOR * self._frame_cost, lo), hi)
                wait = interval - (time.monotonic() - self._last_frame_t)
                self.scrub_timer.start(max(0, int(wait * 1000)))
        else:
            self.update_text(self.w.timeline.index())

    def follow_session(self) -> None:
        """Snapshots a script added to the session directly (no worker): trace, slider, the newest drawn."""
        history = self.s.history
        new = history[self.w.timeline.count():]
        if new:
            self.w.trace.append(new)
            self.w.timeline.set_count(len(history))
        if history:
            self.show_at_end(len(history) - 1)

    def show_at_end(self, idx: int) -> None:
        """A fit ended: draw history[idx] now (on screen when fitFinished/fitStopped is emitted, not a frame
        later) and put the slider there, also when the user had scrubbed back."""
        self.w.timeline.set_index(idx)
        self.scrub_timer.stop()
        self.requested_index = idx
        self.show_index(idx)

    def show_single_state(self) -> None:
        """The session's history is one state (a model from elsewhere): trace, slider and plot show it."""
        self.reset()
        self.w.trace.append(list(self.s.history))
        self.w.timeline.set_count(1)
        self.show_index(0)

    # ------------------------------------------------------------------------------ scrubbing
    @QtCore.Slot(int)
    def _timeline_moved(self, index: int) -> None:
        self.requested_index = index
        if not self.scrub_timer.isActive():
            self.scrub_timer.start(0)  # coalesce fast scrubbing into one render per event-loop pass

    def _render_requested(self) -> None:
        if 0 <= self.requested_index < len(self.s.history):
            self.draw_safely(self.requested_index)

    def rerender(self) -> None:
        if 0 <= self.shown_index < len(self.s.history):
            self.draw_safely(self.shown_index)

    def draw_safely(self, index: int) -> None:
        """Draw history[index] from a timer or a signal: an error becomes one message per fit, not a traceback
        out of the event loop and a frozen plot."""
        try:
            self.show_index(index)
        except Exception as exc:
            run = self.w.fit.run_id
            if self._draw_error_run != run:
                self._draw_error_run = run
                self.w.report_error(f"Iteration {self.s.history[index].iteration} could not be drawn", exc)

    # ------------------------------------------------------------------------------ one frame
    def show_index(self, index: int) -> None:
        s = self.s.history[index]
        w = self.w
        w.trace.flush()  # the points of the batches that came since the last frame
        self.shown_index = index
        self.frames_drawn += 1
        self._last_frame_t = time.monotonic()
        QtCore.QTimer.singleShot(0, self._frame_done)  # runs after the repaint this frame queued
        ids = self.ids_cache.get(index)
        if ids is not None:
            self.ids_cache.move_to_end(index)
        elif self.live_ids is not None and self.live_ids[0] == index and self.live_ids[1] is not None:
            ids = self.live_ids[1]  # computed by the worker for this snapshot
        else:
            ids = w.views.color_ids(s, self.s.X_display)
        if isinstance(ids, np.ndarray) and index not in self.ids_cache:  # (an HMM's posteriors: not kept)
            # Scrubbing back and forth redraws recently seen iterations without recomputing them.
            self.ids_cache[index] = ids.astype(np.int16)
            while len(self.ids_cache) > IDS_CACHE_SIZE:
                self.ids_cache.popitem(last=False)
        has_imputed = (self.s.kind == "mixture" and self.s.display_incomplete_rows is not None
                       and len(self.s.columns) > 1)
        w.views.show_state(s, ids, self._imputed_values(index, s) if has_imputed else None, has_imputed)
        w.trace.set_marker(s)
        self.update_text(index)
        w.status_iter.setText(f"iteration {s.iteration}" + (f" (restart {s.restart + 1}/{s.n_init})"
                                                            if s.n_init > 1 else ""))
        what = "log-posterior" if self._posterior() else "log-likelihood"
        # a fit file without fit.log_likelihood (older, or edited by hand) gives a state with none: never "nan"
        w.status_ll.setText(f"{what} {s.log_likelihood:,.2f}" if np.isfinite(s.log_likelihood) else f"{what} -")
        w.status_change.setText("change -" if not np.isfinite(s.change) else f"change {s.change:.2e}")
        w.guard.show_state(s)

    def _imputed_values(self, index: int, s):
        """Imputed values of the displayed incomplete rows under snapshot ``s`` (cached per iteration, as
        the colours are): only those rows are evaluated, one conditional mean per missing pattern."""
        vals = self.imputed_cache.get(index)
        if vals is not None:
            self.imputed_cache.move_to_end(index)
            return vals
        rows = self.s.display_incomplete_rows
        try:
            vals = s.to_model().impute(self.s.X_display[rows])
        except Exception:  # a degenerate state can fail to evaluate: draw no imputed rows for it
            return None
        self.store_imputed(index, vals)
        return vals

    def store_imputed(self, index: int, vals) -> None:
        self.imputed_cache[index] = vals
        self.imputed_cache.move_to_end(index)
        limit = max(4, min(IDS_CACHE_SIZE, IMPUTED_CACHE_BYTES // max(vals.nbytes, 1)))
        while len(self.imputed_cache) > limit:
            self.imputed_cache.popitem(last=False)

    def _frame_done(self) -> None:
        cost = time.monotonic() - self._last_frame_t
        self._frame_cost = 0.7 * self._frame_cost + 0.3 * cost

    def update_text(self, index: int) -> None:
        history = self.s.history
        if not history:
            return
        s = history[index]
        text = f"iteration {s.iteration}"
        if s.n_init > 1:
            text += f" \u00b7 restart {s.restart + 1}/{s.n_init}"
        text += f"  ({index + 1}/{len(history)})"
        self.w.timeline.set_text(text)
