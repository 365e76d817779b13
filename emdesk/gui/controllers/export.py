"""Export: the current model as JSON, parameters or assignments CSV, the imputed table (through the
session, which writes with ``emdesk.io``), and the plot area as PNG or SVG; and their file dialogs."""

from __future__ import annotations

import contextlib
import math
import os

from PySide6 import QtCore, QtGui, QtWidgets

EXPORT_FILTERS = {
    "Fit as JSON (*.json)": ("json", ".json"),
    "Parameters CSV (*.csv)": ("parameters", ".csv"),
    "Assignments CSV: rows + responsibilities (*.csv)": ("assignments", ".csv"),
}


KIND_NAMES = {"json": "the fit as JSON", "parameters": "the parameters as CSV",
              "assignments": "the assignments as CSV"}


def export_kind_for(path: str, chosen: str) -> tuple[str, str]:
    """(path, kind) for Export Fit: the extension the user typed wins over "Files of type" (a name ending in
    .json writes JSON, .csv a CSV: the parameters, or the assignments when those were chosen); no extension:
    the chosen type's (issue 15)."""
    kind, ext = EXPORT_FILTERS.get(chosen, ("json", ".json"))
    typed = os.path.splitext(path)[1].lower()
    if not typed:
        return path + ext, kind
    if typed == ".json":
        return path, "json"
    if typed in (".csv", ".tsv", ".txt") and kind == "json":
        return path, "parameters"
    return path, kind


@contextlib.contextmanager
def plot_only(widget):
    """Hide the widgets around the plots (x/y pickers, row counts, buttons) while ``widget`` is rendered:
    an exported image holds the plots only (issue 15)."""
    import pyqtgraph as pg

    views = [v for v in widget.findChildren(pg.GraphicsView) if v.isVisible()]
    hidden = []
    for child in widget.findChildren(QtWidgets.QWidget):
        if (not child.isVisible() or isinstance(child, (pg.GraphicsView, QtWidgets.QSplitterHandle))
                or any(child.isAncestorOf(v) or v.isAncestorOf(child) for v in views)):
            continue
        if any(h.isAncestorOf(child) for h in hidden):
            continue
        hidden.append(child)
        child.hide()
    try:
        for w in [widget, *widget.findChildren(QtWidgets.QWidget)]:
            if w.layout() is not None:
                w.layout().activate()
        QtCore.QCoreApplication.sendPostedEvents()
        yield
    finally:
        for child in hidden:
            child.show()


@contextlib.contextmanager
def vector_export_mode(widget):
    """The plots in ``widget`` drawn as shapes and text while it is painted on a vector device (SVG).

    - pyqtgraph's items are told they are being exported (``GraphicsItem.setExportMode``, what pyqtgraph's own
      exporters do): a ScatterPlotItem then draws each symbol as a path. Otherwise it draws pixmap fragments
      of its symbol atlas, which Qt's SVG engine writes as the whole atlas squeezed into each symbol's square
      (three crosses where a mean's one should be).
    - Items' pixmap caches (the axes keep one, geometry.cache_axes) and the views' background caches are off:
      a cached item goes into the SVG as a picture of itself (tick labels and grid as pixels)."""
    import pyqtgraph as pg

    views = [v for v in widget.findChildren(QtWidgets.QGraphicsView) if v.scene() is not None]
    items = [i for v in views for i in v.scene().items()]
    exported = [i for i in items if isinstance(i, pg.GraphicsItem)]
    no_cache = QtWidgets.QGraphicsItem.CacheMode.NoCache
    cached = [(i, i.cacheMode()) for i in items if i.cacheMode() != no_cache]
    view_caches = [(v, v.cacheMode()) for v in views]
    for item in exported:
        item.setExportMode(True, {"antialias": True})
    for item, _ in cached:
        item.setCacheMode(no_cache)
    for view, _ in view_caches:
        view.setCacheMode(QtWidgets.QGraphicsView.CacheModeFlag.CacheNone)
    try:
        yield
    finally:
        for item in exported:
            item.setExportMode(False)
        for item, mode in cached:
            item.setCacheMode(mode)
        for view, mode in view_caches:
            view.setCacheMode(mode)


class ExportController(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.s = window.session

    def export_plot_image(self, path) -> None:
        """Save the plot area as PNG (or any raster format Qt knows by extension) or SVG."""
        path = str(path)
        with plot_only(self.w.splitter):
            self._render(path, self.w.splitter)

    def _render(self, path: str, widget) -> None:
        if path.lower().endswith(".svg"):
            from PySide6.QtSvg import QSvgGenerator

            # Rendered into memory, then written by Python: a folder that cannot be written gives an OSError
            # that names the file (not Qt's warnings on stderr and a rename of a file never made).
            buffer = QtCore.QBuffer()
            buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
            # SVG 1.1, not the default SVG Tiny 1.2: Qt writes the views' clipping as <clipPath> only then
            # (QSvgGenerator::SvgVersion, Qt 6.5); without it an item reaching past its view (the HMM's
            # posterior image by half a step, anything when zoomed in) is drawn over the axes and next panels.
            gen = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)
            gen.setOutputDevice(buffer)
            gen.setSize(widget.size())
            gen.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), widget.size()))
            gen.setTitle("emdesk plot")
            # The screen's dots per inch: text keeps its size beside the plots, and a browser (96 px to the
            # inch) shows the image at the widget's size (at Qt's default 72 it is 1.33 times as big).
            gen.setResolution(widget.logicalDpiX())
            painter = QtGui.QPainter(gen)
            try:
                with vector_export_mode(widget):
                    widget.render(painter, QtCore.QPoint(0, 0))
            finally:
                painter.end()
            tmp = path + ".tmp.svg"
            try:
                with open(tmp, "wb") as fh:
                    fh.write(bytes(buffer.data()))
                os.replace(tmp, path)
            except OSError as exc:
                if os.path.exists(tmp):
                    os.remove(tmp)
                raise OSError(f"Could not write the image {path}: {exc.strerror or exc}.") from None
        else:
            tmp = path + ".tmp" + (os.path.splitext(path)[1] or ".png")
            if not widget.grab().save(tmp):
                raise OSError(f"Could not write the image {path}: check the folder and the file extension.")
            os.replace(tmp, path)

    # ------------------------------------------------------------------ writing, in the background when big
    def _big(self) -> bool:
        from emdesk.gui.background import is_big

        return self.s.X is not None and is_big(self.s.X.shape[0])

    def write(self, fn, done=None, failed=None, what="the file"):
        """Run ``fn`` (a Qt-free write through the session) and call ``done(result)`` or ``failed(exc)``.
        For big data it runs in the background (an assignments CSV of 1,000,000 rows took 20-35 s on the GUI
        thread) and the status bar says what is being written; with neither callback it returns once written
        (a local event loop turns meanwhile) and raises what ``fn`` raised (the scripting surface)."""
        sync = done is None and failed is None
        if not self._big():
            try:
                result = fn()
            except (ValueError, OSError) as exc:
                if sync:
                    raise
                failed(exc)
                return None
            return result if sync else done(result)
        writing = f"Writing {what} over {self.s.X.shape[0]:,} rows in the background..."
        self.w.status_state.setText(writing)

        def then(callback):
            def run(value):
                self.w.update_actions()  # Export Fit is enabled again
                if callback is not None:
                    callback(value)
            return run

        job = self.w.jobs.submit(fn, None if sync else then(done), None if sync else then(failed), key="export")
        self.w.update_actions()
        if sync:
            wrote = False
            try:
                result = self.w.jobs.wait(job)
                wrote = True
                return result
            finally:
                self.w.update_actions()
                if self.w.status_state.text() == writing:  # (before, "Writing ..." stayed after a script's export)
                    self.w.status_state.setText(f"Wrote {what}" if wrote else "")
        return None

    def writing(self) -> bool:
        """True while an export runs in the background."""
        return self.w.jobs.busy("export")

    def export_fit(self, path, kind=None) -> None:
        """The scripting surface's export (returns once written; ValueError/OSError as the session raises)."""
        boot = self.current_bootstrap()
        self.write(lambda: self.s.export_fit(path, kind, bootstrap=boot),
                   what=KIND_NAMES.get(kind or "json", "the fit"))

    def export_imputed(self, path) -> int:
        return self.write(lambda: self.s.export_imputed(path), what="the imputed table")

    def current_bootstrap(self):
        """The Results panel's bootstrap when it belongs to the current model (the fit file and the parameters
        CSV then carry its standard errors), else None."""
        results = getattr(self.w, "results", None)
        if results is None or results.shown_model() is not self.s.model:
            return None
        return results.bootstrap_result()

    def export_dialog(self) -> None:
        if self.s.model is None:
            return
        base = os.path.splitext(os.path.basename(str(self.s.table.path)))[0] if self.s.table and self.s.table.path \
            else "fit"
        start = os.path.join(self.w.settings.last_folder(), f"{base}-fit.json")
        path, chosen = QtWidgets.QFileDialog.getSaveFileName(self.w, "Export Fit", start, ";;".join(EXPORT_FILTERS))
        if not path:
            return
        path, kind = export_kind_for(path, chosen)
        boot = self.current_bootstrap()
        self.w.settings.set_last_folder(os.path.dirname(path))

        def done(_result):
            self.w.status_state.setText(f"Exported {KIND_NAMES[kind]} to {path}")
            self.w.update_actions()

        def failed(exc):
            self.w.status_state.setText("")
            self.w.update_actions()
            if isinstance(exc, (ValueError, OSError)):
                self.w.show_message(f"Could not export: {exc}", "error")
            else:
                self.w.report_error("Could not export", exc)

        self.write(lambda: self.s.export_fit(path, kind, bootstrap=boot), done, failed, KIND_NAMES[kind])

    def export_imputed_dialog(self) -> None:
        if self.s.model is None or not self.s.n_incomplete:
            return
        base = os.path.splitext(os.path.basename(str(self.s.table.path)))[0] if self.s.table else "data"
        start = os.path.join(self.w.settings.last_folder(), f"{base}-imputed.csv")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.w, "Export Imputed Data", start,
                                                        "CSV files (*.csv);;All files (*)")
        if not path:
            return
        if not os.path.splitext(path)[1]:
            path += ".csv"
        self.w.settings.set_last_folder(os.path.dirname(path))

        def done(n):
            self.w.update_actions()
            self.w.status_state.setText(f"Exported to {path}: {n:,} missing cell{'s' if n != 1 else ''} filled "
                                        "by the fit, named in its last column")

        def failed(exc):
            self.w.status_state.setText("")
            self.w.update_actions()
            if isinstance(exc, (ValueError, OSError)):
                self.w.show_message(f"Could not export the imputed data: {exc}", "error")
            else:
                self.w.report_error("Could not export the imputed data", exc)

        self.write(lambda: self.s.export_imputed(path), done, failed, "the imputed table")

    def export_image_dialog(self) -> None:
        start = os.path.join(self.w.settings.last_folder(), "emdesk-plot.png")
        path, chosen = QtWidgets.QFileDialog.getSaveFileName(self.w, "Export Plot Image", start,
                                                             "PNG image (*.png);;SVG image (*.svg)")
        if not path:
            return
        if not os.path.splitext(path)[1]:
            path += ".svg" if "SVG" in chosen else ".png"
        try:
            self.export_plot_image(path)
        except OSError as exc:
            self.w.show_message(str(exc), "error")
            return
        self.w.settings.set_last_folder(os.path.dirname(path))
        self.w.status_state.setText(f"Saved {path}")

    # ------------------------------------------------------------------------------ File > Open Fit
    def open_fit(self, path) -> None:
        """Show a saved fit (``emdesk.io.load_fit``: a Gaussian mixture or a hidden Markov model) on its
        data: the open table when it has the fit's columns, else the data file the fit names, next to the
        fit file. The model kind, sequence pickers and columns are set as the fit had them, and the Model panel's
        fields to the options the file records (``controllers.fit_panel``; the status bar says which). Raises
        ``DataError``/``ValueError`` (after showing the message)."""
        from emdesk.io import DataError, load_fit
        from emdesk.session_hmm import is_hmm

        try:
            model = loaded = load_fit(str(path))
            info = getattr(model, "fit_info_", None) or {}
            cols = [str(c) for c in getattr(model, "feature_names_in_", [])]
            seq = info.get("sequences") or {}
            sc, oc = seq.get("sequence_column"), seq.get("order_column")
            need = set(cols) | {c for c in (sc, oc) if c}
            if self.s.table is None or not need <= set(self.s.table.column_names):
                name = (info.get("data") or {}).get("file_name")
                data = os.path.join(os.path.dirname(os.path.abspath(str(path))), name) if name else None
                if data is None or not os.path.isfile(data):
                    raise DataError(f"The fit's data ({name or 'no file named'}) is not open and not next to the "
                                    f"fit file: open the CSV with the columns {', '.join(cols)} first.")
                self.w.open_csv(data)
            from emdesk.families_data import SESSION_FAMILY, TEXT_FAMILIES, coded_model

            family = {"GaussianHMM": "gaussian", "PoissonHMM": "poisson",
                      "CategoricalHMM": "categorical"}.get(type(model).__name__)
            if not is_hmm(model):
                family = SESSION_FAMILY.get(type(model).__name__)
                if family is None and type(model).__name__ == "GaussianMixture":
                    family = "gaussian"
            if family is None:
                raise DataError(f"A {type(model).__name__} fit cannot be shown in the window yet.")
            # the kind, sequences and columns at once: their rows are prepared once (in the background for big data)
            kind, loaded = "hmm" if is_hmm(model) else "mixture", model
            from emdesk.gui.controllers.fit_panel import recorded_missing

            # the Data panel's missing-value choice as the fit was made (before the model is shown: changing it
            # afterwards forgets the fit), so that Run refits the same rows
            missing = recorded_missing(model)
            if not self.w.set_rows(kind, family, cols, sc, oc, missing):
                return  # another change was made while the rows were prepared: that one is shown
            if not is_hmm(model) and family in TEXT_FAMILIES:
                model = coded_model(self.s.table, cols, family, model)  # the window fits category codes
            if not is_hmm(model) and self._other_data(info.get("data") or {}):
                # the file's log-likelihood is of the rows it was saved from, not of these (the Results panel
                # gives theirs): the status bar and the trace showed the saved one beside "... of these rows"
                model.log_likelihood_ = model.lower_bound_ = math.nan
            self.w.fit.forget()
            self.w.fit.run_id += 1
            if not self.w.use_model(model):
                return
        except (ValueError, OSError) as exc:
            self.w.show_message(f"Could not open the fit: {exc}", "error")
            raise
        self.w.restarts_view.set_saved_fit(loaded)  # each restart's log-likelihood, which collapsed, the note
        from emdesk.gui.controllers.fit_panel import panel_note, set_panel_from_fit

        # the Model panel as the fit had it, so that Run fits that model again (fields it does not record stay)
        note = panel_note(*set_panel_from_fit(self.w, loaded, kind, family))
        if missing is not None and self.s.n_incomplete:
            note += ("; Data panel: incomplete rows dropped, as the fit" if missing == "drop" else
                     "; Data panel: missing values fitted by EM, as the fit")
        self.w.status_state.setText(f"Showing the fit from {os.path.basename(str(path))}; Export Fit writes it. {note}")
        self._say_if_other_data(info.get("data") or {})
        self.w.update_actions()

    def _say_if_other_data(self, saved: dict) -> None:
        """A warning when the data shown are not those the fit was saved from (its file's SHA-256 differs):
        before, a fit of a file edited since (values changed, rows removed) was shown without a word, its
        log-likelihood and assignments silently those of other data."""
        if not self._other_data(saved):
            return
        table = self.s.table
        n = saved.get("n_rows")
        was = f"{saved.get('file_name') or 'its data'}" + (f", {int(n):,} rows" if isinstance(n, int) else "")
        why = ("the file's contents differ" if saved.get("sha256") else
               "data files read with Dask" if saved.get("files") else "another number of rows")
        self.w.show_message(f"These are not the data the fit was saved from ({was}; {why}): "
                            f"the fit is shown on {table.name} as it is now ({table.n_rows:,} rows), and its "
                            "log-likelihood and assignments are of these rows.", "warning")

    def _other_data(self, saved: dict) -> bool:
        """Whether the table shown is not the one the fit was saved from: both SHA-256 known, and differ; or,
        without the saved data's SHA-256 (a fit of files read with Dask, ``emdesk-fit --dask``, whose rows
        are shown over a sample such as one of the files: the window showed the fit's log-likelihood of all
        its rows beside these), another number of rows."""
        table = self.s.table
        if table is None:
            return False
        sha, now = saved.get("sha256"), getattr(table, "sha256", "")
        if sha and now:
            return sha != now
        n = saved.get("n_rows")
        return not sha and isinstance(n, int) and not isinstance(n, bool) and n != table.n_rows

    def open_fit_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.w, "Open Fit", self.w.settings.last_folder(),
                                                        "Fit files (*.json);;All files (*)")
        if not path:
            return
        from emdesk.gui.controllers.open_guard import may_replace_fit

        if not may_replace_fit(self.w, os.path.basename(path)):  # a fit runs: ask before it goes
            return
        try:
            self.open_fit(path)
        except (ValueError, OSError):
            return
        self.w.settings.set_last_folder(os.path.dirname(path))
