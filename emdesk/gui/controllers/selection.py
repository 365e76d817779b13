"""Other models than the fit just run: a restart of the last fit (the Restarts view), and a model chosen in
the model-selection dialog. Either becomes the session's current model, on screen and exportable.

A model chosen in the dialog ("Use this model") also sets the Model panel (family, components, covariance
model) for the data it was chosen on only (issue 15): when another file is opened, the fields it set go back
to what they were before, unless the user changed them since, and the status bar says so. The settings
remembered for the next start are those same fields from before the choice.
"""

from __future__ import annotations

from PySide6 import QtCore

#: Estimator class name -> the Model panel's mixture family.
_FAMILY_OF = {"GaussianMixture": "gaussian", "StudentTMixture": "student_t", "PoissonMixture": "poisson",
              "CategoricalMixture": "categorical", "MixedMixture": "mixed"}


class SelectionController(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.s = window.session
        self.dialog = None
        # What "Use this model" changed in the Model panel: {"table", "before": {...}, "set": {...}}
        self._chosen = None
        window.restarts_view.restartChosen.connect(self.show_restart)
        self.s.subscribe(self._session_event)

    def show_restart(self, i: int) -> None:
        """Show restart ``i`` of the last fit (its final iteration) and make it the model to export."""
        w, s = self.w, self.s
        if s.fitted_model is None:
            return
        try:
            s.load_restart(int(i))  # the window, observing the session, shows it
        except Exception as exc:  # a restart the model layer refuses: the current fit stays
            w.report_error(f"Restart {int(i) + 1} could not be loaded", exc)
            return
        kept = getattr(s.fitted_model, "best_restart_", None)
        w.status_state.setText(f"Showing restart {int(i) + 1}" + (" (the one EM kept)" if kept == int(i) else
                               "; Export Fit now writes this restart"))
        w.update_actions()

    def show_model(self, model, source: str = "model selection") -> None:
        """Show a fitted model of the current columns as the current fit: on screen, exportable, and its
        options in the Model panel."""
        w, s = self.w, self.s
        from emdesk.session_hmm import model_width

        if s.X is None or model_width(model) != len(s.columns):
            w.show_message("That model does not match the ticked columns; it was not loaded.", "error")
            return
        family = _FAMILY_OF.get(type(model).__name__)
        before = self._panel_fields()
        if s.kind == "mixture" and family is not None and family != s.family:
            try:  # the family too (the session re-reads the same columns for it)
                w.set_model_kind("mixture", family)
            except ValueError as exc:
                w.show_message(f"That model could not be loaded: {exc}", "error")
                return
            if s.X is None or model_width(model) != len(s.columns):
                w.show_message("That model does not match the ticked columns; it was not loaded.", "error")
                return
        if s.model is not None and s.kind == "mixture":  # keep the clusters' colours and order (issue 14)
            from emdesk.session import aligned_model

            model = aligned_model(model, s.model)
        w.fit.forget()
        w.fit.run_id += 1
        # the window, observing the session, shows it (False: the data changed while an HMM's state was computed)
        if not w.use_model(model):
            return
        try:
            w.params_panel.set_options(n_components=int(model.n_components))
            if hasattr(model, "covariance_type"):
                w.params_panel.set_options(covariance_type=model.covariance_type)
        except ValueError:
            pass
        if source == "model selection":
            if self._chosen is not None and self._chosen["table"] is s.table:
                before = self._chosen["before"]  # a second choice on the same data: the user's own values stay
            self._chosen = {"table": s.table, "before": before, "set": self._panel_fields()}
        if s.fitted_model is not None:
            try:
                w.restarts_view.set_model(model)
            except Exception:
                w.restarts_view.clear()
        else:
            w.restarts_view.clear()
        w.status_state.setText(f"Showing the model from {source}: {model.n_components} components, "
                               f"{getattr(model, 'covariance_type', type(model).__name__)}; Export Fit writes it"
                               + ("; the Model panel is set to it for this file" if source == "model selection"
                                  else ""))
        w.update_actions()

    # ------------------------------------------------------------------ the Model panel, for these data only
    def _panel_fields(self) -> dict:
        """The Model panel's fields a chosen model sets: kind, family, n_components, covariance_type."""
        p = self.w.params_panel
        kind, family = p.model_kind()
        return {"kind": kind, "family": family, "n_components": p.n_components.value(),
                "covariance_type": p.covariance_type.currentText()}

    def _session_event(self, event: str) -> None:
        if event == "data" and self._chosen is not None and self.s.table is not self._chosen["table"]:
            self.restore_panel()

    def restore_panel(self) -> bool:
        """Put back the Model panel's fields "Use this model" set (those the user has not changed since);
        True when something was put back. Called when another file is opened."""
        chosen, self._chosen = self._chosen, None
        if chosen is None:
            return False
        w, now, before, was_set = self.w, self._panel_fields(), chosen["before"], chosen["set"]
        back = [k for k in ("kind", "family", "n_components", "covariance_type")
                if now[k] == was_set[k] and before[k] != now[k]]
        if not back:
            return False
        if "kind" in back or "family" in back:
            try:
                w.set_model_kind(before["kind"] if "kind" in back else now["kind"],
                                 before["family"] if "family" in back else now["family"])
            except ValueError:
                pass
        opts = {k: before[k] for k in ("n_components", "covariance_type") if k in back}
        try:
            if opts:
                w.params_panel.set_options(**opts)
        except ValueError:
            pass
        QtCore.QTimer.singleShot(0, self._say_restored)  # after the load's own status text
        return True

    @QtCore.Slot()
    def _say_restored(self) -> None:
        text = self.w.status_state.text()
        note = ("Model panel back to your settings (the model chosen in model selection was for the previous "
                "data).")
        self.w.status_state.setText(f"{text} {note}" if text else note)

    def options_to_remember(self, options: dict) -> dict:
        """The Model panel's options to keep for the next start: a model chosen in model selection is for
        its data only, so the fields it set are remembered as they were before it (when unchanged since)."""
        chosen = self._chosen
        if chosen is None:
            return options
        now = self._panel_fields()
        out = dict(options)
        for k in ("n_components", "covariance_type"):
            if k in out and now[k] == chosen["set"][k]:
                out[k] = chosen["before"][k]
        return out

    # ------------------------------------------------------------------ the dialog
    def open_dialog(self) -> None:
        """Open the model-selection dialog on the ticked columns (non-modal)."""
        from emdesk.gui.selection_dialog import SelectionDialog

        w, s = self.w, self.s
        if s.X is None:
            w.show_message("Open a CSV file and tick the columns first.", "warning")
            return
        if s.kind == "mixture" and s.family == "mixed":
            w.show_message("Model selection compares Gaussian, Student-t, Poisson or latent class mixtures; for a "
                           "mixed model, fit each number of components from the Model panel.", "warning")
            return
        try:
            options = w.options()
        except ValueError as exc:  # a field that is not a number: say so, as Run does (not silent defaults)
            w.show_message(str(exc), "error")
            return
        self.close_dialog()
        from emdesk.gui.hmm_selection import hmm_sweep, prior_title

        dlg = SelectionDialog(s.X, list(s.columns), engine_options=options, parent=w, **hmm_sweep(s, options),
                              **self._families(options))
        if options.get("prior") is not None and s.kind == "mixture":
            _with_prior(dlg, options["prior"], s.X.shape[1])
        if s.kind == "hmm":
            prior_title(dlg, options)
        dlg.modelChosen.connect(self._model_chosen)
        dlg.lrtFinished.connect(self._lrt_finished)
        self.dialog = dlg
        dlg.show()

    def _families(self, options) -> dict:
        """The dialog's family keywords for a mixture session: the families the data allow (numbers: Gaussian
        and Student-t, and Poisson for counts; category codes: the latent class model only), the session's
        ticked first, and the categorical model's categories."""
        s = self.s
        if s.kind != "mixture":
            return {}
        if s.family == "categorical":
            cats = {k: v for k, v in s.engine_options().items() if k == "categories"}
            return {"families": ("categorical",), "family": "categorical", "family_params": {"categorical": cats}}
        from emdesk.gui.views.selection_models import counts_data

        fams = ("gaussian", "student_t") + (("poisson",) if counts_data(s.X) else ())
        return {"families": fams, "family": s.family if s.family in fams else "gaussian"}

    @QtCore.Slot(object)
    def _lrt_finished(self, result) -> None:
        results = getattr(self.w, "results", None)
        if results is not None and hasattr(results, "_lrt_finished"):
            results._lrt_finished(result)  # the report's likelihood-ratio section

    def close_dialog(self) -> bool:
        """Close the model-selection dialog (its sweep stops); True when one was open."""
        dlg, self.dialog = self.dialog, None
        if dlg is None:
            return False
        try:
            was_open = dlg.isVisible()
            dlg.modelChosen.disconnect(self._model_chosen)
            dlg.lrtFinished.disconnect(self._lrt_finished)
            dlg.close()
            dlg.deleteLater()
        except RuntimeError:  # already deleted
            return False
        return was_open

    @QtCore.Slot(object)
    def _model_chosen(self, model) -> None:
        from emdesk.gui.controllers.open_guard import may_replace_fit

        # the dialog is not modal: a fit may have been started in the window meanwhile (asked, as for a file)
        if may_replace_fit(self.w, "the model from model selection"):
            self.show_model(model, "model selection")


def _with_prior(dlg, prior, d) -> None:
    """The Model panel's prior reaches the sweep (the dialog passes ``prior`` to select_model): tick only the
    covariance models that have one, and say so in the title."""
    from emdesk.engine.prior import describe_prior, has_prior

    keep = [t for t in dlg.type_boxes if has_prior(t, d)]
    if keep:
        dlg.set_options(covariance_types=keep)
    for t, box in dlg.type_boxes.items():
        if not has_prior(t, d):  # ticking one anyway: the sweep refuses to start and says why
            box.setToolTip(f"{dlg._type_names.get(t, t)} has no conjugate prior in emdesk; the Model panel's "
                           f"Prior is {describe_prior(prior)} (set it to none to fit this model)")
    dlg.setWindowTitle(f"{dlg.windowTitle()} — prior: {describe_prior(prior)}")
