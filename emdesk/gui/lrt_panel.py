"""The bootstrap likelihood-ratio test panel (issue 14, "How many components?"), for the model-selection
dialog: tests k against k+1 components (McLachlan 1987; mclust's ``mclustBootstrapLRT``) in the background,
with a progress bar and Stop, and shows the statistics and p-values.

Standalone widget; the dialog embeds it and feeds it the data it sweeps::

    panel = LRTPanel()
    panel.set_data(X, covariance_type="full", reg_covar=1e-6)   # engine keywords for every fit
    panel.finished.connect(dialog.<slot(object)>)               # LRTResult (cancelled after Stop)
    panel.shutdown()                                            # when the dialog closes

Scripting: ``start(max_components=None, n_boot=None, random_state=None, covariance_type=None)``, ``stop()``,
``result()``, ``is_running()``.
"""

from __future__ import annotations

import math

import PySide6  # noqa: F401
import numpy as np
from PySide6 import QtCore, QtWidgets

__all__ = ["LRTPanel"]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


class LRTPanel(QtWidgets.QWidget):
    """See the module docstring."""

    finished = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._X = None
        self._params = {}
        self._runner = None
        self._run = None
        self._result = None

        self.cov_box = QtWidgets.QComboBox()
        self.cov_box.addItems(COVARIANCE_TYPES)
        self.max_spin = QtWidgets.QSpinBox()
        self.max_spin.setRange(1, 20)
        self.max_spin.setValue(4)
        self.max_spin.setPrefix("up to ")
        self.max_spin.setSuffix(" vs +1")
        self.max_spin.setToolTip("Tests 1 vs 2, 2 vs 3, ... up to this number of components against one more; "
                                 "it stops at the first test that is not significant (as mclust does).")
        self.boot_spin = QtWidgets.QSpinBox()
        self.boot_spin.setRange(19, 9999)  # below 19 no test can be significant at 0.05
        self.boot_spin.setValue(99)
        self.boot_spin.setSuffix(" replicates")
        self.boot_spin.setToolTip("Bootstrap samples per test; the smallest p-value is 1 / (replicates + 1). "
                                  "mclust uses 999.")
        self.seed_spin = QtWidgets.QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setValue(1)
        self.seed_spin.setPrefix("seed ")
        self.run_button = QtWidgets.QPushButton("Run LRT")
        self.run_button.setToolTip("Bootstrap likelihood-ratio tests of k against k+1 components.")
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setFormat("%v / %m")
        self.table = QtWidgets.QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["test", "LRTS", "bootstrap p-value", "replicates"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.conclusion = QtWidgets.QLabel("")
        self.conclusion.setWordWrap(True)
        self.run_button.clicked.connect(lambda: self.start())
        self.stop_button.clicked.connect(self.stop)

        row = QtWidgets.QHBoxLayout()
        self.cov_label = QtWidgets.QLabel("Covariance:")
        for w in (self.cov_label, self.cov_box, self.max_spin, self.boot_spin, self.seed_spin,
                  self.run_button, self.stop_button):
            row.addWidget(w)
        row.addWidget(self.progress, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.conclusion)
        self._set_running(False)

    # ------------------------------------------------------------------ public
    def set_data(self, X, covariance_type=None, **params) -> None:
        """The data (complete rows) and the engine keywords of every fit (``n_components``,
        ``covariance_type`` and the ``*_init`` are set by the test).  Clears a previous result."""
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        self.stop()
        self._run = None
        self._X = X[~np.isnan(X).any(axis=1)].copy()
        for key in ("n_components", "weights_init", "means_init", "covariances_init", "random_state",
                    "missing", "n_init"):
            params.pop(key, None)
        self._params = params
        if covariance_type is not None:
            if covariance_type not in COVARIANCE_TYPES:
                self.cov_box.addItem(covariance_type)
            self.cov_box.setCurrentText(covariance_type)
        self._result = None
        self.table.setRowCount(0)
        dropped = X.shape[0] - self._X.shape[0]
        self.conclusion.setText(f"{self._X.shape[0]} complete rows" + (f" ({dropped} with missing values left "
                                                                      "out)" if dropped else "") + ".")
        self._set_running(False)

    def result(self):
        return self._result

    def is_running(self) -> bool:
        return self._run is not None and self._runner is not None and self._runner.is_running()

    def start(self, max_components=None, n_boot=None, random_state=None, covariance_type=None) -> None:
        """Run the tests (arguments default to the panel's fields).  Raises ValueError without data."""
        if self._X is None:
            raise ValueError("No data: give the panel data with set_data(X) first.")
        if max_components is not None:
            self.max_spin.setValue(int(max_components))
        if n_boot is not None:
            self.boot_spin.setValue(int(n_boot))
        if random_state is not None:
            self.seed_spin.setValue(int(random_state))
        if covariance_type is not None:
            self.cov_box.setCurrentText(covariance_type)
        if self._runner is None:
            from .bootstrap_worker import BootstrapRunner

            self._runner = BootstrapRunner(self)
            self._runner.progress.connect(self._on_progress)
            self._runner.finished.connect(self._on_finished)
            self._runner.failed.connect(self._on_failed)
            self._runner.stoppedEmpty.connect(self._on_stopped_empty)
        total = self.max_spin.value() * self.boot_spin.value()
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.conclusion.setText("Running...")
        self._set_running(True)
        self._run = self._runner.start_lrt(
            self._X, covariance_type=self.cov_box.currentText(), max_components=self.max_spin.value(),
            n_boot=self.boot_spin.value(), random_state=self.seed_spin.value(), **self._params)

    @QtCore.Slot()
    def stop(self) -> None:
        if self._runner is not None:
            self._runner.stop()

    def shutdown(self) -> None:
        if self._runner is not None:
            self._runner.shutdown()

    # ------------------------------------------------------------------ internals
    def _set_running(self, running):
        has = self._X is not None
        for w in (self.cov_box, self.max_spin, self.boot_spin, self.seed_spin):
            w.setEnabled(not running)
        self.run_button.setEnabled(has and not running)
        self.stop_button.setEnabled(running)
        self.progress.setVisible(running)

    def _current(self):
        return self._runner is not None and self._run is not None and self._runner.run_id() == self._run

    @QtCore.Slot(int, int)
    def _on_progress(self, done, total):
        if self._current():
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    @QtCore.Slot(object)
    def _on_finished(self, result):
        if not self._current():
            return
        self._run = None
        self._set_running(False)
        self._result = result
        header, rows = result.table()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            texts = [row[0], f"{row[1]:.3f}", f"{row[2]:.3g}", str(row[3])]
            for c, t in enumerate(texts):
                item = QtWidgets.QTableWidgetItem(t)
                if c:
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        k = result.selected_n_components
        level = result.level
        if not result.rows:
            text = "No test could be done (the fits failed)."
        elif k is not None:
            text = (f"The first test that is not significant at {level:g} is {k} vs {k + 1}: the data give no "
                    f"evidence for more than {k} component{'s' if k != 1 else ''} ({result.covariance_type}).")
        else:
            last = result.rows[-1].n_components + 1
            text = (f"Every test done is significant at {level:g}: at least {last} components "
                    f"({result.covariance_type}); test further to see where it stops.")
        if result.cancelled:
            text = "Stopped before the end. " + text
        self.conclusion.setText(text + f" The smallest possible p-value with {result.n_boot} replicates is "
                                f"{1 / (result.n_boot + 1):.3g}.")
        self.finished.emit(result)

    @QtCore.Slot()
    def _on_stopped_empty(self):
        if not self._current():
            return
        self._run = None
        self._set_running(False)
        self.conclusion.setText("Stopped before the first test: no result.")

    @QtCore.Slot(str)
    def _on_failed(self, message):
        if not self._current():
            return
        self._run = None
        self._set_running(False)
        self.conclusion.setText(f"The test failed: {message}")
        self.failed.emit(message)
