"""Other models than the fit just run: a restart of the last fit (the Restarts view), and a model chosen in
the model-selection dialog. Either becomes the session's current model, on screen and exportable."""

from __future__ import annotations

from PySide6 import QtCore


class SelectionController(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.s = window.session
        self.dialog = None
        window.restarts_view.restartChosen.connect(self.show_restart)

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
        if s.model is not None and s.kind == "mixture":  # keep the clusters' colours and order (issue 14)
            from emdesk.session import aligned_model

            model = aligned_model(model, s.model)
        w.fit.forget()
        w.fit.run_id += 1
        s.use_model(model)  # the window, observing the session, shows it
        try:
            w.params_panel.set_options(n_components=int(model.n_components),
                                       **({"covariance_type": model.covariance_type}
                                          if hasattr(model, "covariance_type") else {}))
        except ValueError:
            pass
        if s.fitted_model is not None:
            try:
                w.restarts_view.set_model(model)
            except Exception:
                w.restarts_view.clear()
        else:
            w.restarts_view.clear()
        w.status_state.setText(f"Showing the model from {source}: {model.n_components} components, "
                               f"{getattr(model, 'covariance_type', type(model).__name__)}; Export Fit writes it")
        w.update_actions()

    def open_dialog(self) -> None:
        """Open the model-selection dialog on the ticked columns (non-modal)."""
        from emdesk.gui.selection_dialog import SelectionDialog

        w, s = self.w, self.s
        if s.X is None:
            w.show_message("Open a CSV file and tick the columns first.", "warning")
            return
        try:
            options = w.options()
        except ValueError as exc:  # a field that is not a number: say so, as Run does (not silent defaults)
            w.show_message(str(exc), "error")
            return
        self.close_dialog()
        from emdesk.gui.hmm_selection import hmm_sweep

        dlg = SelectionDialog(s.X, list(s.columns), engine_options=options, parent=w, **hmm_sweep(s))
        dlg.modelChosen.connect(self._model_chosen)
        self.dialog = dlg
        dlg.show()

    def close_dialog(self) -> bool:
        """Close the model-selection dialog (its sweep stops); True when one was open."""
        dlg, self.dialog = self.dialog, None
        if dlg is None:
            return False
        try:
            was_open = dlg.isVisible()
            dlg.modelChosen.disconnect(self._model_chosen)
            dlg.close()
            dlg.deleteLater()
        except RuntimeError:  # already deleted
            return False
        return was_open

    @QtCore.Slot(object)
    def _model_chosen(self, model) -> None:
        self.show_model(model, "model selection")
