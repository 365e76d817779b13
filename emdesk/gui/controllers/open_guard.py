"""Opening other data or a saved fit while a fit runs (or is paused): the window asks first, as a desktop tool
does, instead of dropping the fit without a word. "Stop and open" stops the fit by the worker's stop flag (the
worker ends at its next check, between iterations or the steps of its initialisation, and the window never
touches a widget from it) and opens the file; "Cancel" keeps the fit running and opens nothing.

Every way a user opens something goes through ``may_replace_fit``: File > Open, Open Recent, Import with
Options, Open Example, Open Fit, Edit > Paste Data, a file dropped on the window and the desktop's Open With
(``ImportController.open_path``), the Data panel's "Treat as missing" (fill values, stray text) and Model Selection's "Use this model". The scripting surface (``window.open_csv``, ``window.open_fit``) does not
ask: a script means what it calls.

A finished fit is not asked about: the window has no notion of unsaved results (closing it does not ask
either); the question says how to keep a running fit's parameters (Stop, then Export Fit)."""

from __future__ import annotations

from PySide6 import QtWidgets

STOP_AND_OPEN = "Stop and open"


def stop_fit_box(parent, text: str, detail: str) -> tuple[QtWidgets.QMessageBox, QtWidgets.QAbstractButton]:
    """The question box (not shown): ``text``, ``detail`` and the buttons "Stop and open" and Cancel (the
    default: Enter or Escape keeps the fit). Returns ``(box, stop_button)``."""
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Question)
    box.setWindowTitle("A fit is running")
    box.setText(text)
    box.setInformativeText(detail)
    stop = box.addButton(STOP_AND_OPEN, QtWidgets.QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    return box, stop


def ask_stop_fit(parent, text: str, detail: str) -> bool:
    """Ask (modal); True for "Stop and open". Tests replace this function (a modal box blocks offscreen)."""
    box, stop = stop_fit_box(parent, text, detail)
    box.exec()
    return box.clickedButton() is stop


def may_replace_fit(window, what: str) -> bool:
    """Before ``what`` (a file name, "the pasted data" ...) replaces the data or the model on screen: True
    when no fit runs; else ask, and on "Stop and open" stop the fit (its stop flag) and return True; on
    Cancel say so in the status bar and return False (the fit goes on)."""
    fit = window.fit
    if not fit.running:
        return True
    table = window.session.table
    on = (table.name if table.path else "the pasted data") if table is not None else "the data"
    state = "paused" if fit.paused else "running"
    text = f"A fit is {state} on {on}. Stop it and open {what}?"
    detail = ("The fit stops at its current iteration and the new data replace it on screen. To keep its "
              "parameters, choose Cancel, then Stop (Shift+F5) and Export Fit (Ctrl+E).")
    if not ask_stop_fit(window, text, detail):
        window.status_state.setText(f"Not opened: {what}; the fit goes on.")
        return False
    window.stop_fit()
    return True
