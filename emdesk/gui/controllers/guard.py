"""The degeneracy guard (issue 7): collapsing components flagged on the plot and in the status bar while EM
runs, and the guard bar with its one-click fixes (each changes the Model panel and runs a new fit)."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from emdesk.gui.guard_bar import (
    CHAIN_KINDS,
    DegeneracyOverlay1D,
    DegeneracyOverlay2D,
    propose_fixes,
    propose_hmm_fixes,
    ridge_headline,
    status_text,
)


class GuardController(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.s = window.session
        self.fixes: dict = {}
        self._shown_for = None   # (run id, flagged components) the running fit's bar was built for
        views = window.kind_views["mixture"]
        self.views = views
        window.guard_overlay_2d = DegeneracyOverlay2D(views.plot_2d.plot.getPlotItem())
        window.guard_overlay_1d = DegeneracyOverlay1D(views.plot_1d.density)
        window.guard_bar.fixRequested.connect(window.apply_fix)

    def forget(self) -> None:
        """New data: the guard of the old fit no longer applies."""
        self.w.guard_bar.hide()
        self.fixes = {}

    def fit_started(self) -> None:
        self.w.guard_bar.hide()  # a new fit: the bar comes back if this one collapses too
        self.fixes = {}

    def show_state(self, snap) -> None:
        """Flag the collapsing components of the state on screen (plot overlay, status bar); while EM runs,
        also raise the guard bar with the fixes."""
        w = self.w
        if snap is None:
            w.guard_overlay_1d.show(None, None)
            w.guard_overlay_2d.show(None, 0, 1)
            w.status_guard.hide()
            return
        if self.s.kind != "mixture" or getattr(snap, "family", "gaussian") not in ("gaussian", "student_t"):
            pass  # the overlays mark the Gaussian-shaped components of the mixture views
        elif len(self.s.columns) == 1:
            w.guard_overlay_1d.show(snap, w.plot_1d._grid)
        else:
            w.guard_overlay_2d.show(snap, *self.views.xy_indices())
        text = status_text(snap)
        if self.s.kind == "hmm":  # an HMM's components are its states
            from emdesk.engine.models import state_words

            text = state_words(text)
        if text and any(i.kind == "variance_floor" for i in snap.issues or ()):
            # a large ridge holds them (the guard bar says so): not "collapsing" here either
            ridge = self._ridge(snap.issues, self._propose(snap.issues))
            if ridge:
                text = ridge.split(", large for these data")[0]
        w.status_guard.setText("\u26a0 " + text if text else "")
        w.status_guard.setToolTip(" ".join(dict.fromkeys(i.message for i in (snap.issues or ()))))
        w.status_guard.setVisible(bool(text))
        if text:  # as wide as its text, but never over the permanent widgets on the right
            right = sum(x.width() for x in (w.status_iter, w.status_ll, w.status_change, w.status_time,
                                            w.load_progress, w.load_cancel) if x.isVisible())
            room = w.statusBar().width() - right - 100  # status_state keeps at least 60 px
            w.status_guard.setMinimumWidth(max(0, min(w.status_guard.sizeHint().width(), room)))
        else:
            w.status_guard.setMinimumWidth(0)
        fit = w.fit
        recent = [x for x in self.s.history[-3:] if x.restart == snap.restart]
        # A collapse that lasts (3 iterations), or any while paused: a one-iteration blip moves no layout.
        lasting = fit.paused or (len(recent) == 3 and all(x.issues for x in recent))
        if fit.running and text and lasting:
            key = (fit.run_id, tuple(sorted({int(i.component) for i in snap.issues})))
            if key != self._shown_for or not w.guard_bar.isVisible():
                self._shown_for = key
                fixes = self._propose(snap.issues)
                ridge = self._ridge(snap.issues, fixes)
                head = (f"At iteration {snap.iteration}: <b>{ridge}</b>" if ridge else
                        f"<b>{text}</b> at iteration {snap.iteration}.")
                self.raise_bar(head + " EM goes on; a fix below stops this fit, changes the Model panel and runs a "
                               "new one.", snap.issues, fixes)

    def _options(self) -> dict:
        # The fixes answer the fit that collapsed (the panel may have been edited since it started).
        options = self.s.fit_params
        if not options:
            try:
                options = self.w.params_panel.options()
            except ValueError:
                options = {}
        return options

    def _data_variances(self):
        """The data columns' variances (NaN-aware), computed once per data set (the status bar asks at
        every frame while a component sits at the variance floor)."""
        X = self.s.X
        if X is None or not X.shape[0]:
            return None
        key = (id(X), X.shape)
        if getattr(self, "_dv_key", None) != key:
            self._dv_key, self._dv = key, np.nanvar(X, axis=0)
        return self._dv

    def _propose(self, issues=()) -> dict:
        options = self._options()
        dv = self._data_variances()
        if self.s.kind == "hmm":  # an HMM's own fixes: for its emissions' collapse, and for its chain
            return propose_hmm_fixes(options, self.s.family, {i.kind for i in issues}, dv)
        return propose_fixes(options, dv, manual_means=len(self.s.start_means) > 0)

    def _ridge(self, issues, fixes, which: str = "") -> str:
        """The headline when a large reg_covar ridge holds the flagged components (the fixes offer to lower
        it, and a component is at the variance floor); "" otherwise: then they collapsed."""
        if "lower_reg_covar" not in fixes or not any(i.kind == "variance_floor" for i in issues):
            return ""
        reg = self._options().get("reg_covar", "relative")
        if self.s.kind == "hmm":  # the HMM's own reg_covar ("relative" is the mixtures' setting)
            from emdesk.engine import GaussianHMM
            from emdesk.engine.models import state_words
            from emdesk.engine.relative import own_defaults

            reg = own_defaults(GaussianHMM, self._options()).get("reg_covar", 1e-6)
            return state_words(ridge_headline(issues, reg, which))
        return ridge_headline(issues, reg, which)

    def raise_bar(self, text: str, issues=(), fixes=None) -> None:
        self.fixes = self._propose(issues) if fixes is None else fixes
        self.w.guard_bar.show_issues(text, self.fixes)

    def fit_ended(self, issues, stopped: bool) -> None:
        w = self.w
        if not issues:
            w.guard_bar.hide()  # a clean fit (the collapse seen while it ran recovered)
            return
        from emdesk.engine.diagnostics import format_issues

        which = "The stopped fit" if stopped else "The fit"
        fixes = self._propose(issues)
        ridge = self._ridge(issues, fixes, which)
        if ridge:  # a large reg_covar holds them: not a collapse onto a few values (issue 16's last note)
            text = ridge
        elif all(i.kind == "dead_transition_row" for i in issues):  # an HMM's chain, not a collapse
            text = (f"{which} has states that are (almost) never followed by another time step ("
                    + format_issues(issues) + "): their transition rows cannot be estimated from the data.")
        elif all(i.kind in CHAIN_KINDS for i in issues):
            text = (f"{which} has states that are (almost) never occupied or never followed by another time step ("
                    + format_issues(issues) + "): the data cannot estimate their parameters.")
        else:
            text = (f"{which} has degenerate components (" + format_issues(issues) + "): a collapsed component "
                    "sits on a few (often rounded) values or has too few points, and its high likelihood is "
                    "spurious.")
        details = " ".join(dict.fromkeys(i.message for i in issues))
        if self.s.kind == "hmm":  # an HMM's components are its states ("degenerate states", "state 2")
            from emdesk.engine.models import state_words

            # a state's points are its time steps with an observed value (as the engine's messages count them)
            text = state_words(text).replace("has too few points", "has too few observed time steps")
        w.last_message = ("warning", text + " " + details)  # what the window says, as show_message records
        w.messageShown.emit("warning", text + " " + details)
        self.raise_bar(text + " <b>One click runs a new fit:</b>", issues, fixes)
        w.guard_bar.label.setToolTip(details)

    def offered(self) -> list[str]:
        """The fixes the guard bar offers now (names for ``apply_fix``); [] when it is not shown."""
        return list(self.fixes) if self.w.guard_bar.isVisible() else []

    def apply_fix(self, name: str) -> None:
        """Apply one of the offered fixes: change the Model panel's fields and start a new fit at once."""
        if name not in self.offered():
            raise ValueError(f"{name!r} is not offered now; offered fixes: "
                             f"{', '.join(self.offered()) or 'none (no degenerate components)'}.")
        w = self.w
        label, _, changes = self.fixes[name]
        w.fit.forget()
        if name in ("fewer_components", "new_initialisation") and len(self.s.start_means):
            w.clear_start_means()
        w.params_panel.set_options(**changes)
        w.guard_bar.hide()
        w.start_fit()
        w.status_state.setText(f"{label}: running a new fit...")
