"""The parameter panel: the engine's options (scikit-learn names) and the animation speed."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
INIT_METHODS = ["kmeans++", "kmeans", "random", "random_from_data"]
# (label, seconds of delay per iteration)
SPEEDS = [("Fastest", 0.0), ("Watchable (20 it/s)", 0.05), ("Slow (5 it/s)", 0.2), ("Very slow (1 it/s)", 1.0)]

DEFAULTS = {
    "n_components": 3, "covariance_type": "full", "init_params": "kmeans++", "n_init": 1,
    "max_iter": 200, "tol": 1e-3, "reg_covar": 1e-6, "random_state": None,
}


class _FloatEdit(QtWidgets.QLineEdit):
    """A float field that accepts scientific notation (1e-6) and rejects non-positive values."""

    def __init__(self, value: float, minimum: float):
        super().__init__()
        self._min = minimum
        val = QtGui.QDoubleValidator(minimum, 1e6, 12, self)
        val.setNotation(QtGui.QDoubleValidator.Notation.ScientificNotation)
        val.setLocale(QtCore.QLocale.c())
        self.setValidator(val)
        self.set_value(value)

    def value(self) -> float:
        try:
            return float(self.text())
        except ValueError:
            raise ValueError(f"{self.toolTip() or 'value'}: {self.text()!r} is not a number; "
                             f"type e.g. 1e-3.") from None

    def set_value(self, value: float) -> None:
        self.setText(f"{float(value):g}")


class ParamsPanel(QtWidgets.QWidget):
    delayChanged = QtCore.Signal(float)
    optionsChanged = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.n_components = QtWidgets.QSpinBox()
        self.n_components.setRange(1, 30)
        self.n_components.setToolTip("Number of mixture components (1-30)")
        self.covariance_type = QtWidgets.QComboBox()
        self.covariance_type.addItems(COVARIANCE_TYPES)
        self.covariance_type.setToolTip("full: any ellipse per component; tied: one shared ellipse; "
                                        "diag: axis-aligned; spherical: circles")
        self.init_params = QtWidgets.QComboBox()
        self.init_params.addItems(INIT_METHODS)
        self.init_params.setToolTip("How the starting parameters are chosen")
        self.n_init = QtWidgets.QSpinBox()
        self.n_init.setRange(1, 100)
        self.n_init.setToolTip("Number of restarts from different starting points; the best is kept")
        self.max_iter = QtWidgets.QSpinBox()
        self.max_iter.setRange(1, 100000)
        self.max_iter.setToolTip("Maximum number of EM iterations per restart")
        self.tol = _FloatEdit(1e-3, 0.0)
        self.tol.setToolTip("Tolerance: stop when the mean log-likelihood changes by less than this")
        self.reg_covar = _FloatEdit(1e-6, 0.0)
        self.reg_covar.setToolTip("Added to the covariance diagonals to keep them positive definite")
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(-1, 2_147_483_647)
        self.seed.setSpecialValueText("random")
        self.seed.setToolTip("Random seed: the same seed reproduces the same fit; 'random' picks a new one")
        self.speed = QtWidgets.QComboBox()
        for label, _ in SPEEDS:
            self.speed.addItem(label)
        self.speed.setToolTip("Slow the fit down to watch EM move (changes take effect at once)")

        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(6, 6, 6, 6)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Components:", self.n_components)
        form.addRow("Covariance:", self.covariance_type)
        form.addRow("Initialisation:", self.init_params)
        form.addRow("Restarts:", self.n_init)
        form.addRow("Max iterations:", self.max_iter)
        form.addRow("Tolerance:", self.tol)
        form.addRow("reg_covar:", self.reg_covar)
        form.addRow("Random seed:", self.seed)
        form.addRow("Animation:", self.speed)
        self.set_options(**DEFAULTS)
        self.speed.currentIndexChanged.connect(lambda i: self.delayChanged.emit(SPEEDS[i][1]))

    def options(self) -> dict:
        """The engine keywords; raises ValueError with a message when a field is not a number."""
        seed = self.seed.value()
        return {
            "n_components": self.n_components.value(),
            "covariance_type": self.covariance_type.currentText(),
            "init_params": self.init_params.currentText(),
            "n_init": self.n_init.value(),
            "max_iter": self.max_iter.value(),
            "tol": self.tol.value(),
            "reg_covar": self.reg_covar.value(),
            "random_state": None if seed < 0 else seed,
        }

    def set_options(self, **options) -> None:
        """Set fields from engine keywords; unknown names or bad values raise ValueError."""
        known = set(DEFAULTS)
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"Unknown fit option(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
        for name, value in options.items():
            if name == "n_components":
                self._set_int(self.n_components, name, value)
            elif name == "n_init":
                self._set_int(self.n_init, name, value)
            elif name == "max_iter":
                self._set_int(self.max_iter, name, value)
            elif name == "covariance_type":
                self._set_choice(self.covariance_type, name, value, COVARIANCE_TYPES)
            elif name == "init_params":
                self._set_choice(self.init_params, name, value, INIT_METHODS)
            elif name in ("tol", "reg_covar"):
                v = float(value)
                if not v >= 0:
                    raise ValueError(f"{name} must be a number >= 0, got {value!r}.")
                getattr(self, name).set_value(v)
            elif name == "random_state":
                if value is None:
                    self.seed.setValue(-1)
                else:
                    self._set_int(self.seed, name, value, lowest=0)
        self.optionsChanged.emit()

    @staticmethod
    def _set_int(box: QtWidgets.QSpinBox, name, value, lowest=None) -> None:
        lo = box.minimum() if lowest is None else lowest
        if isinstance(value, bool) or int(value) != value or not lo <= int(value) <= box.maximum():
            raise ValueError(f"{name} must be a whole number from {lo} to {box.maximum()}, got {value!r}.")
        box.setValue(int(value))

    @staticmethod
    def _set_choice(combo: QtWidgets.QComboBox, name, value, choices) -> None:
        if value not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
        combo.setCurrentText(value)

    def delay(self) -> float:
        return SPEEDS[self.speed.currentIndex()][1]

    def set_delay(self, seconds: float) -> None:
        best = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i][1] - float(seconds)))
        self.speed.setCurrentIndex(best)
