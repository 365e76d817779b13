"""The Results panel (issue 14): a fit's numbers as tables, with Copy as Text / Copy as TSV.

Standalone widget; the window hosts it (e.g. in a QDockWidget "Results") and feeds it::

    panel = ResultsPanel()
    panel.set_summary(emdesk.engine.summary.summary(model, X, bootstrap=boot_or_None,
                                                    feature_names=columns))
    # after a fit ends or stops, a restart / model / timeline iteration is loaded, a bootstrap ends
    panel.clear()                                  # new data, or a fit started on other columns

It shows what :class:`emdesk.engine.summary.Summary` holds: the model facts (covariance model, k, n, d,
log-likelihood, parameters, BIC, AIC, ICL, iterations, converged), the clustering table, the weights, means,
standard deviations, correlations and covariance matrices.  When the summary carries bootstrap standard
errors an "SE" column follows every estimate ("Show standard errors" hides them).  The buttons put
``Summary.to_text()`` / ``Summary.to_tsv()`` on the clipboard (the same strings as ``text()`` / ``tsv()``).
Signals: ``copied(str)`` with "text" or "tsv" after a copy.

Tables are created once and refilled (a timeline scrub may call ``set_summary`` often).

Standard errors from the panel itself: give it the model and data with ``set_fit(model, X, feature_names)``
(it computes the summary: three passes over X; every kind, with ``lengths`` for an HMM) and the bootstrap row (method, replicates, seed,
"Bootstrap" / "Stop", a progress bar) runs :func:`emdesk.engine.bootstrap` in a background thread
(:class:`emdesk.gui.bootstrap_worker.BootstrapRunner`); when it ends (or is stopped: a partial result) the
tables show the SE columns and ``bootstrapFinished(object)`` carries the
:class:`~emdesk.engine.bootstrap.BootstrapResult` (for the fit file and the report).  A new ``set_fit``
drops the previous bootstrap and stops a running one.  Scripting: ``start_bootstrap(n_boot=None,
method=None, random_state=None)``, ``stop_bootstrap()``, ``bootstrap_result()``,
``is_bootstrapping()``.  The window's closeEvent calls ``shutdown()``.
"""

from __future__ import annotations

import time

import PySide6  # noqa: F401  (the binding first, for pyqtgraph elsewhere)
import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from .cell_table import CellTableView

__all__ = ["ResultsPanel", "widget_png"]


def widget_png(widget) -> bytes:
    """The widget as it is drawn now, as PNG bytes (for ``emdesk.io.report.write_report(figures=...)``).
    Raises ValueError when the widget has no size yet (show or resize it first)."""
    pixmap = widget.grab()
    if pixmap.isNull() or pixmap.width() == 0 or pixmap.height() == 0:
        raise ValueError("The view has no size yet: show it (or resize it) before exporting its picture.")
    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not pixmap.save(buf, "PNG"):
        raise ValueError("Qt could not encode the picture as PNG.")
    return bytes(buf.data())


class ResultsPanel(QtWidgets.QWidget):
    """Tables of a :class:`~emdesk.engine.summary.Summary`; see the module docstring."""

    copied = QtCore.Signal(str)
    bootstrapFinished = QtCore.Signal(object)
    bootstrapFailed = QtCore.Signal(str)

    METHODS = ("nonparametric", "parametric", "weighted")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._summary = None
        self._fit = None          # (model, X, feature_names) given by set_fit
        self._fit_extra = {}      # its lengths (HMM) and category labels
        self._boot = None
        self._runner = None
        self._boot_run = None
        self._boot_started = 0.0
        self._tables: list[tuple[QtWidgets.QLabel, CellTableView]] = []

        self.title = QtWidgets.QLabel("No fit yet: the results appear here when a fit ends.")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_se = QtWidgets.QCheckBox("Show standard errors")
        self.show_se.setChecked(True)
        self.show_se.setEnabled(False)
        self.show_se.setToolTip("Bootstrap standard errors beside the estimates (run a bootstrap first).")
        self.show_se.toggled.connect(self._refill)
        self.copy_text_button = QtWidgets.QPushButton("Copy as Text")
        self.copy_text_button.setToolTip("Copy the results as plain text (as mclust's summary prints them).")
        self.copy_tsv_button = QtWidgets.QPushButton("Copy as TSV")
        self.copy_tsv_button.setToolTip("Copy the results as tab-separated tables that paste into a spreadsheet.")
        self.copy_text_button.clicked.connect(self.copy_text)
        self.copy_tsv_button.clicked.connect(self.copy_tsv)
        for b in (self.copy_text_button, self.copy_tsv_button):
            b.setEnabled(False)

        self.method_box = QtWidgets.QComboBox()
        self.method_box.addItems(["Nonparametric", "Parametric", "Weighted likelihood"])
        self.method_box.setToolTip("Nonparametric: rows resampled. Parametric: samples drawn from the fit. "
                                   "Weighted likelihood: random row weights (mclust's MclustBootstrap types).")
        self.n_boot_spin = QtWidgets.QSpinBox()
        self.n_boot_spin.setRange(2, 100000)
        self.n_boot_spin.setValue(999)
        self.n_boot_spin.setSuffix(" replicates")
        self.seed_spin = QtWidgets.QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setValue(1)
        self.seed_spin.setPrefix("seed ")
        self.seed_spin.setToolTip("The same seed gives the same standard errors.")
        self.boot_button = QtWidgets.QPushButton("Bootstrap")
        self.boot_button.setToolTip("Standard errors and confidence intervals of every parameter by bootstrap, "
                                    "in the background.")
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.stop_button.setToolTip("Stop the bootstrap; the replicates done so far give the standard errors.")
        self.boot_progress = QtWidgets.QProgressBar()
        self.boot_progress.setTextVisible(True)
        self.boot_progress.setFormat("%v / %m")
        self.boot_status = QtWidgets.QLabel("")
        self.boot_status.setWordWrap(True)
        self.boot_button.clicked.connect(self.start_bootstrap)
        self.stop_button.clicked.connect(self.stop_bootstrap)
        # Three rows, so the controls fit a dock beside the plot (in one row they set the panel's minimum width
        # near 700 px, and a narrower dock cut off the seed, the buttons and the title's end)
        self.boot_row = QtWidgets.QWidget()
        br = QtWidgets.QGridLayout(self.boot_row)
        br.setContentsMargins(0, 0, 0, 0)
        br.addWidget(QtWidgets.QLabel("Standard errors:"), 0, 0)
        br.addWidget(self.method_box, 0, 1)
        br.addWidget(self.n_boot_spin, 1, 0)
        br.addWidget(self.seed_spin, 1, 1)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.boot_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.boot_progress, 1)
        br.addLayout(buttons, 2, 0, 1, 3)
        br.setColumnStretch(2, 1)
        self._set_boot_idle()

        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.show_se)
        bar.addStretch(1)
        bar.addWidget(self.copy_text_button)
        bar.addWidget(self.copy_tsv_button)

        self._inner = QtWidgets.QWidget()
        self._inner_layout = QtWidgets.QVBoxLayout(self._inner)
        self._inner_layout.setContentsMargins(4, 4, 4, 4)
        self._inner_layout.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._inner)
        self.scroll = scroll

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.boot_row)
        layout.addWidget(self.boot_status)
        layout.addLayout(bar)
        layout.addWidget(scroll, 1)

    # ------------------------------------------------------------------ public
    def summary(self):
        return self._summary

    def set_summary(self, summary) -> None:
        """Show ``summary`` (None clears).  The panel then has no fit to bootstrap (use ``set_fit`` for
        that); a summary that carries standard errors shows them."""
        if summary is None:
            self.clear()
            return
        self._stop_running()
        self._fit = None
        self._boot = None
        self.boot_status.setText("")
        self._set_boot_idle()
        self._show(summary)

    def _show(self, summary) -> None:
        self._summary = summary
        has_se = bool(summary.standard_errors)
        self.show_se.setEnabled(has_se)
        k = summary.n_components
        se_note = (f"; standard errors from a {summary.bootstrap_method} bootstrap ({summary.n_boot} replicates)"
                   if has_se else "")
        if hasattr(summary, "headline"):  # HMMs and the other families (engine.summary_kinds.KindSummary)
            import html

            notes = "".join(f"<br><small>{html.escape(n)}</small>" for n in getattr(summary, "notes", ()) or ())
            self.title.setText(f"<b>{html.escape(summary.headline())}</b>{html.escape(se_note)}{notes}")
        else:
            self.title.setText(f"<b>{summary.family.capitalize()} {summary.kind}</b>, covariance model "
                               f"<b>{summary.covariance_type}</b>, {k} component{'s' if k != 1 else ''}, "
                               f"n = {summary.n_samples}, d = {summary.n_features}{_prior_note(summary)}{se_note}")
        for b in (self.copy_text_button, self.copy_tsv_button):
            b.setEnabled(True)
        self._refill()

    # ------------------------------------------------------------------ fit and bootstrap
    def set_fit(self, model, X, feature_names=None, lengths=None, category_labels=None, summary=None) -> None:
        """Show the summary of ``model`` on ``X`` and enable the bootstrap (None clears).  Every kind (Gaussian
        mixtures, HMMs, Student-t, Poisson, categorical, mixed) shows its own tables
        (``emdesk.engine.summary_kinds``) and bootstraps (``emdesk.engine.bootstrap``; the methods it does
        not take are disabled): ``lengths`` are an HMM's rows per sequence, ``category_labels``
        (column -> labels) name the categories; ``summary``: the summary of exactly these, when computed
        already (in the background for big data).  Raises ValueError when the model does not match X
        (nothing changes then)."""
        from emdesk.engine.summary import summary as make_summary

        if model is None:
            self.clear()
            return
        s = summary if summary is not None else make_summary(
            model, X, feature_names=feature_names, lengths=lengths, category_labels=category_labels)
        self._stop_running()
        try:
            Xc = np.array(X, dtype=float, copy=True)
        except (TypeError, ValueError):  # text categories
            Xc = np.array(X, dtype=object, copy=True)
        self._fit = (model, Xc, feature_names)
        self._fit_extra = {"lengths": None if lengths is None else [int(v) for v in np.ravel(lengths)],
                           "category_labels": category_labels}
        self._boot = None
        self.boot_status.setText("")
        self._set_methods(model, self._fit_extra["lengths"])
        self._set_boot_idle()
        self._show(s)

    def _set_methods(self, model, lengths):
        """The bootstrap methods this model takes: all three for a Gaussian mixture; nonparametric and
        parametric for the other kinds (the weighted likelihood bootstrap needs row weights in the fit); for an
        HMM of one sequence only parametric (its rows are not exchangeable: the nonparametric bootstrap
        resamples whole sequences)."""
        hmm = hasattr(model, "transmat_")
        other = hmm or hasattr(model, "_family")
        with_prior = not other and model.get_params().get("prior") is not None
        allowed = {"nonparametric": not (hmm and (lengths is None or len(lengths) < 2)),
                   "parametric": True, "weighted": not other and not with_prior}
        box_model = self.method_box.model()
        for i, m in enumerate(self.METHODS):
            item = box_model.item(i)
            if item is not None:
                item.setEnabled(allowed[m])
        if not allowed[self.METHODS[self.method_box.currentIndex()]]:
            self.method_box.setCurrentIndex(self.METHODS.index("parametric" if hmm else "nonparametric"))
        self._why_not = {
            "weighted": ("the weighted likelihood bootstrap refits with row weights, which mclust's prior does not "
                         "take" if with_prior else "the weighted likelihood bootstrap needs a fit with row weights "
                         "(Gaussian mixtures)"),
            "nonparametric": "an HMM's nonparametric bootstrap resamples whole sequences and this fit has one; "
                             "the parametric bootstrap simulates new sequences from the fitted chain"}
        why = []
        if with_prior:
            why.append("the weighted likelihood bootstrap refits with row weights, which mclust's prior does "
                       "not take")
        elif not allowed["weighted"]:
            why.append("the weighted likelihood bootstrap needs a fit with row weights (Gaussian mixtures)")
        if hmm:
            why.append("an HMM's nonparametric bootstrap resamples whole sequences" +
                       (" (this fit has one: parametric only)" if not allowed["nonparametric"] else "") +
                       "; its parametric bootstrap simulates new sequences from the fitted chain")
        self.method_box.setToolTip("Nonparametric: rows (an HMM: sequences) resampled. Parametric: samples drawn "
                                   "from the fit. Weighted likelihood: random row weights (mclust's "
                                   "MclustBootstrap types)." + (" Here " + "; ".join(why) + "." if why else ""))

    def bootstrap_result(self):
        """The last finished (or stopped) bootstrap of the current fit, or None."""
        return self._boot

    def is_bootstrapping(self) -> bool:
        return self._boot_run is not None and self._runner is not None and self._runner.is_running()

    @QtCore.Slot()
    def start_bootstrap(self, n_boot=None, method=None, random_state=None) -> None:
        """Start a bootstrap of the fit given to ``set_fit`` (arguments default to the panel's fields).
        Raises ValueError without a fit or for an unknown method."""
        if self._fit is None:
            raise ValueError("No fit to bootstrap: give the panel a fit with set_fit(model, X) first.")
        if method is not None:
            if method not in self.METHODS:
                raise ValueError(f"method must be one of {', '.join(self.METHODS)}; got {method!r}.")
            item = self.method_box.model().item(self.METHODS.index(method))
            if item is not None and not item.isEnabled():
                raise ValueError(f"The {method} bootstrap does not apply to this model: "
                                 f"{self._why_not.get(method, '')}.")
            self.method_box.setCurrentIndex(self.METHODS.index(method))
        if n_boot is not None:
            self.n_boot_spin.setValue(int(n_boot))
        if random_state is not None:
            self.seed_spin.setValue(int(random_state))
        if self._runner is None:
            from .bootstrap_worker import BootstrapRunner

            self._runner = BootstrapRunner(self)
            self._runner.progress.connect(self._on_boot_progress)
            self._runner.finished.connect(self._on_boot_finished)
            self._runner.failed.connect(self._on_boot_failed)
            self._runner.stoppedEmpty.connect(self._on_boot_stopped_empty)
        model, X, _ = self._fit
        n = self.n_boot_spin.value()
        self.boot_progress.setRange(0, n)
        self.boot_progress.setValue(0)
        self.boot_status.setText("")
        self._set_boot_running(True)
        self._boot_started = time.monotonic()
        extra = {}
        if hasattr(model, "transmat_") and self._fit_extra.get("lengths") is not None:
            extra["lengths"] = list(self._fit_extra["lengths"])
        self._boot_run = self._runner.start_bootstrap(
            model, X, n_boot=n, method=self.METHODS[self.method_box.currentIndex()],
            random_state=self.seed_spin.value(), **extra)

    @QtCore.Slot()
    def stop_bootstrap(self) -> None:
        if self._runner is not None:
            self._runner.stop()

    def shutdown(self) -> None:
        """Stop a running bootstrap and end its thread (for the window's closeEvent)."""
        if self._runner is not None:
            self._runner.shutdown()

    def _stop_running(self):
        """Stop a running bootstrap and forget it: its (partial) result belongs to the previous fit."""
        if self.is_bootstrapping():
            self._runner.stop()
        self._boot_run = None

    def _set_boot_idle(self):
        self._set_boot_running(False)

    def _set_boot_running(self, running):
        has_fit = self._fit is not None
        for w in (self.method_box, self.n_boot_spin, self.seed_spin):
            w.setEnabled(has_fit and not running)
        self.boot_button.setEnabled(has_fit and not running)
        self.stop_button.setEnabled(running)
        self.boot_progress.setVisible(running)

    def _current(self):
        return self._runner is not None and self._boot_run is not None and self._runner.run_id() == self._boot_run

    @QtCore.Slot(int, int)
    def _on_boot_progress(self, done, total):
        if not self._current():
            return
        self.boot_progress.setRange(0, total)
        self.boot_progress.setValue(done)

    @QtCore.Slot(object)
    def _on_boot_finished(self, result):
        from emdesk.engine.summary import summary

        if not self._current():
            self._set_boot_running(False)
            return
        self._boot_run = None
        self._set_boot_running(False)
        seconds = time.monotonic() - self._boot_started
        if self._fit is None:
            return
        model, X, names = self._fit
        self._boot = result
        words = (f"{result.n_done} of {result.n_boot} replicates (stopped)" if result.cancelled
                 else f"{result.n_done} replicates")
        extra = []
        if result.n_failed:
            extra.append(f"{result.n_failed} failed and left out")
        if result.converged is not None and (~result.converged).any():
            extra.append(f"{int((~result.converged).sum())} stopped at max_iter")
        if result.n_label_switches:
            extra.append(f"{result.n_label_switches} relabelled")
        self.boot_status.setText(f"{result.method.capitalize()} bootstrap: {words} in {seconds:.1f} s"
                                 + (f" ({'; '.join(extra)})" if extra else "") + ".")
        if result.n_done >= 2:
            self._show(summary(model, X, bootstrap=result, feature_names=names, **self._fit_extra))
            self.show_se.setChecked(True)
        else:
            self.boot_status.setText(self.boot_status.text() + " Too few replicates for standard errors.")
        self.bootstrapFinished.emit(result)

    @QtCore.Slot()
    def _on_boot_stopped_empty(self):
        if not self._current():
            self._set_boot_running(False)
            return
        self._boot_run = None
        self._set_boot_running(False)
        self.boot_status.setText("Bootstrap stopped before its first replicate: no standard errors.")

    @QtCore.Slot(str)
    def _on_boot_failed(self, message):
        if not self._current():
            self._set_boot_running(False)
            return
        self._boot_run = None
        self._set_boot_running(False)
        self.boot_status.setText(f"The bootstrap failed: {message}")
        self.bootstrapFailed.emit(message)

    def clear(self) -> None:
        self._stop_running()
        self._fit = None
        self._boot = None
        self.boot_status.setText("")
        self._set_boot_idle()
        self._summary = None
        self.title.setText("No fit yet: the results appear here when a fit ends.")
        self.show_se.setEnabled(False)
        for b in (self.copy_text_button, self.copy_tsv_button):
            b.setEnabled(False)
        for label, table in self._tables:
            label.hide()
            table.hide()

    def showing_standard_errors(self) -> bool:
        return bool(self._summary is not None and self._summary.standard_errors and self.show_se.isChecked())

    def set_show_standard_errors(self, on: bool) -> None:
        self.show_se.setChecked(bool(on))

    def text(self) -> str:
        """What "Copy as Text" copies ("" without a summary)."""
        return "" if self._summary is None else self._summary.to_text(self.showing_standard_errors())

    def tsv(self) -> str:
        """What "Copy as TSV" copies ("" without a summary)."""
        return "" if self._summary is None else self._summary.to_tsv(self.showing_standard_errors())

    def table_titles(self) -> list:
        return [label.text() for label, table in self._tables if not table.isHidden()]

    def table_widget(self, title: str) -> CellTableView:
        """The shown table with this title (KeyError when there is none): a read-only ``QTableView`` whose
        ``item(row, column)`` / ``horizontalHeaderItem(column)`` give the cells' text and value (``UserRole``)
        (see ``emdesk.gui.cell_table``)."""
        for label, table in self._tables:
            if label.text() == title and not table.isHidden():
                return table
        raise KeyError(title)

    @QtCore.Slot()
    def copy_text(self) -> None:
        if self._summary is not None:
            QtGui.QGuiApplication.clipboard().setText(self.text())
            self.copied.emit("text")

    @QtCore.Slot()
    def copy_tsv(self) -> None:
        if self._summary is not None:
            QtGui.QGuiApplication.clipboard().setText(self.tsv())
            self.copied.emit("tsv")

    # ------------------------------------------------------------------ filling
    def _table(self, i):
        while len(self._tables) <= i:
            label = QtWidgets.QLabel()
            font = label.font()
            font.setBold(True)
            label.setFont(font)
            table = CellTableView()
            table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ContiguousSelection)
            table.verticalHeader().setVisible(False)
            table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
            # no scroll bars of its own: the table is as large as its contents and the panel scrolls
            table.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            table.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            pos = self._inner_layout.count() - 1  # before the stretch
            self._inner_layout.insertWidget(pos, label)
            self._inner_layout.insertWidget(pos + 1, table)
            self._tables.append((label, table))
        return self._tables[i]

    @QtCore.Slot()
    def _refill(self, *_):
        """Puts the summary's tables in the views: each view's model holds the rows and formats a cell when it
        is painted (emdesk.gui.cell_table); the views are sized to their contents (the panel scrolls)."""
        s = self._summary
        if s is None:
            return
        tables = s.tables(self.showing_standard_errors())
        for i, (title, header, rows) in enumerate(tables):
            if i == 0 and len(rows) == 1:  # the model facts: one row of many values reads better as a column
                header, rows = ["", "value"], [[h, v] for h, v in zip(header, rows[0])]
            label, table = self._table(i)
            label.setText(title)
            table.setUpdatesEnabled(False)
            table.cells().set_rows(header, rows, style=_se_style(header, rows))
            table.fit_columns()
            n = len(rows)
            h = table.horizontalHeader().height() + n * table.verticalHeader().defaultSectionSize()
            table.setFixedHeight(h + 2 * table.frameWidth() + 2)
            w = sum(table.columnWidth(c) for c in range(len(header)))
            table.setFixedWidth(w + 2 * table.frameWidth() + 2)
            table.setUpdatesEnabled(True)
            label.show()
            table.show()
        for label, table in self._tables[len(tables):]:
            label.hide()
            table.hide()
            table.cells().clear()


_GREY = QtGui.QColor(110, 110, 110)


def _se_style(header, rows):
    """The style of a summary table: standard errors (an "SE" column, or a row labelled "SE") in grey."""
    se_cols = {c for c, h in enumerate(header) if h == "SE"}
    se_rows = {r for r, row in enumerate(rows) if row and isinstance(row[0], str) and row[0].strip() == "SE"}
    if not se_cols and not se_rows:
        return None
    grey = QtGui.QBrush(_GREY)

    def style(r, c, role):
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and (c in se_cols or r in se_rows):
            return grey
        return None

    return style


def _prior_note(summary) -> str:
    """", prior: mclust's default (conjugate)" for a fit with a prior (engine.summary.Summary.prior)."""
    prior = getattr(summary, "prior", None)
    if prior is None:
        return ""
    import html

    from emdesk.engine.prior import describe_prior

    return f", prior: <b>{html.escape(describe_prior(prior))}</b>"
