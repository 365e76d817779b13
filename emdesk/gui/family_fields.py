"""The Model panel's fields of the robust and discrete mixture families (issue 13): the Student-t's degrees
of freedom (per component or shared, estimated or fixed, the starting / fixed value) and the categorical
families' Dirichlet smoothing ``alpha``. Engine names: ``dof_type``, ``fix_dof``, ``dof_init``, ``alpha``."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

DOF_TYPES = [("per component", "component"), ("shared", "shared")]
FAMILY_DEFAULTS = {"dof_type": "component", "fix_dof": False, "dof_init": 50.0, "alpha": 0.0}
FIELDS = {"student_t": ("dof_type", "fix_dof", "dof_init"), "categorical": ("alpha",), "mixed": ("alpha",)}


class FamilyFields(QtWidgets.QWidget):
    """The family's extra fields (hidden rows for the families that have none)."""

    changed = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.dof_type = QtWidgets.QComboBox()
        for label, _ in DOF_TYPES:
            self.dof_type.addItem(label)
        self.dof_type.setToolTip("Student-t degrees of freedom: one per component, or one shared by all")
        self.fix_dof = QtWidgets.QCheckBox("fixed (not estimated)")
        self.fix_dof.setToolTip("Keep the degrees of freedom at the value given; otherwise EM estimates them "
                                "(bounded to 1..200, as R's teigen bounds them)")
        self.dof_init = QtWidgets.QLineEdit()
        self.alpha = QtWidgets.QLineEdit()
        for edit, bottom in ((self.dof_init, 1e-3), (self.alpha, 0.0)):
            val = QtGui.QDoubleValidator(bottom, 1e6, 9, edit)
            val.setNotation(QtGui.QDoubleValidator.Notation.ScientificNotation)
            val.setLocale(QtCore.QLocale.c())
            edit.setValidator(val)
        self.dof_init.setToolTip("Degrees of freedom: the starting value, or the value kept when fixed "
                                 "(large: close to a Gaussian; small: heavy tails, outliers downweighted)")
        self.alpha.setToolTip("Dirichlet smoothing of the category probabilities (pseudo-counts per category; "
                              "0: maximum likelihood, a probability may reach exactly 0 or 1)")
        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Degrees of freedom:", self.dof_type)
        form.addRow("", self.fix_dof)
        form.addRow("dof (start/fixed):", self.dof_init)
        form.addRow("Smoothing alpha:", self.alpha)
        self.set_options(**FAMILY_DEFAULTS)
        self.dof_type.currentIndexChanged.connect(self.changed)
        self.fix_dof.toggled.connect(self.changed)
        self.show_family("gaussian")

    def show_family(self, family: str) -> None:
        names = FIELDS.get(family, ())
        form = self.layout()
        for name in ("dof_type", "fix_dof", "dof_init", "alpha"):
            form.setRowVisible(getattr(self, name), name in names)
        self.setVisible(bool(names))

    def options(self) -> dict:
        """The engine keywords (every family's; the session passes each estimator those it takes)."""
        out = {"dof_type": DOF_TYPES[self.dof_type.currentIndex()][1], "fix_dof": self.fix_dof.isChecked()}
        for name, label in (("dof_init", "Degrees of freedom"), ("alpha", "Smoothing alpha")):
            text = getattr(self, name).text()
            try:
                out[name] = float(text)
            except ValueError:
                raise ValueError(f"{label}: {text!r} is not a number.") from None
        if not out["dof_init"] > 0:
            raise ValueError(f"Degrees of freedom must be > 0; got {out['dof_init']:g}.")
        if not out["alpha"] >= 0:
            raise ValueError(f"Smoothing alpha must be >= 0; got {out['alpha']:g}.")
        return out

    def set_options(self, **options) -> None:
        for name, value in options.items():
            if name == "dof_type":
                keys = [k for _, k in DOF_TYPES]
                if value not in keys:
                    raise ValueError(f"dof_type must be one of {', '.join(keys)}; got {value!r}.")
                self.dof_type.setCurrentIndex(keys.index(value))
            elif name == "fix_dof":
                self.fix_dof.setChecked(bool(value))
            elif name in ("dof_init", "alpha"):
                v = float(value)
                if not (v > 0 if name == "dof_init" else v >= 0):
                    raise ValueError(f"{name} must be a number {'> 0' if name == 'dof_init' else '>= 0'}; "
                                     f"got {value!r}.")
                getattr(self, name).setText(f"{v:g}")
            else:
                raise ValueError(f"Unknown family option {name!r}.")
