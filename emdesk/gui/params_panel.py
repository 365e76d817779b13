"""The parameter panel: the engine's options (scikit-learn names) and the animation speed."""

from __future__ import annotations

import numbers

from PySide6 import QtCore, QtGui, QtWidgets

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
#: mclust's 14 models (Gaussian mixtures), in three groups, and what each letter means (volume, shape,
#: orientation: Equal, Variable or Identity); with one column the two of mclust's univariate models.
MCLUST_GROUPS = (
    ("spherical", ("EII", "VII")),
    ("diagonal", ("EEI", "VEI", "EVI", "VVI")),
    ("ellipsoidal", ("EEE", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV")),
)
MCLUST_1D = (("E", "equal variance"), ("V", "varying variance"))
_LETTER = {"E": "equal", "V": "varying"}
COVARIANCE_TOOLTIPS = {
    "full": "any ellipse per component (mclust's VVV)",
    "tied": "one shared ellipse (mclust's EEE)",
    "diag": "axis-aligned ellipses (mclust's VVI)",
    "spherical": "circles of varying size (mclust's VII)",
}


def mclust_description(name: str) -> str:
    """"VEV" -> "ellipsoidal: varying volume, equal shape, varying orientation"."""
    for label, letter in MCLUST_1D:
        if name == label:
            return f"one column: {letter}"
    group = next(g for g, names in MCLUST_GROUPS if name in names)
    vol, shape, orient = name
    parts = [f"{_LETTER[vol]} volume"]
    parts.append("spherical shape" if shape == "I" else f"{_LETTER[shape]} shape")
    parts.append("axis-aligned" if orient == "I" else f"{_LETTER[orient]} orientation")
    if shape == "I":
        parts = parts[:1]
    return f"{group}: {', '.join(parts)}"


def covariance_choices(mclust: bool, n_features) -> list[str]:
    """The names the Model panel's Covariance combo offers: scikit-learn's four, and for Gaussian mixtures
    mclust's 14 (E and V with one column)."""
    names = list(COVARIANCE_TYPES)
    if mclust:
        if n_features == 1:
            names += [n for n, _ in MCLUST_1D]
        else:
            names += [n for _, group in MCLUST_GROUPS for n in group]
    return names


INIT_METHODS = ["emEM", "kmeans++", "kmeans", "random", "random_from_data", "hierarchical"]
INIT_TOOLTIPS = [
    "Restarts that explore (the default): restart 1 from mclust's hierarchical clustering, each further one "
    "the best of 4 short EM runs from k-means++ and random-row starts; the restarts reach different optima "
    "and the best is kept (emdesk.engine.restarts). Gaussian mixtures; other models use their own default",
    "k-means++ seeding: well spread seed rows, every row joins its nearest seed (the default)",
    "k-means clustering (Lloyd's algorithm from a k-means++ seeding), then EM",
    "Random responsibilities: every component starts near the overall mean, so EM can stop early "
    "before the components separate; lower the tolerance or prefer k-means++",
    "Seed rows drawn at random from the data, every row joins its nearest seed",
    "mclust's model-based hierarchical clustering (on at most 5,000 rows), cut into as many groups as "
    "components: every model kind; the same start on every run (emdesk.engine.hierarchical)",
]
MANUAL_INIT_TEXT = "placed by hand"  # shown in the initialisation combo while starting means are placed
# (label, seconds of delay per iteration)
SPEEDS = [("Fastest", 0.0), ("Watchable (20 it/s)", 0.05), ("Slow (5 it/s)", 0.2), ("Very slow (1 it/s)", 1.0)]

from emdesk.engine.relative import APP_DEFAULTS, APP_N_INIT  # noqa: E402  (emEM, relative tol/reg_covar, 1000 iterations)

DEFAULTS = {
    "n_components": 3, "covariance_type": "full", "n_init": APP_N_INIT, "random_state": None, **APP_DEFAULTS,
    "prior": None,  # mclust's conjugate prior: None or "default" (Gaussian mixtures)
    "transmat_prior": None,  # an HMM's Dirichlet prior on each transition row (hmmlearn's name); None = 1 = none
}
#: The Transition prior field's tooltip (an HMM's ``transmat_prior``, emdesk.engine.GaussianHMM)
TRANSMAT_PRIOR_TOOLTIP = (
    "transmat_prior (hmmlearn's name): a Dirichlet prior on every transition row. 1 (the default): none, maximum "
    "likelihood. Above 1: adds (value - 1) pseudo-transitions from every state to every state, so a state that "
    "is hardly occupied, or only at the ends of sequences, still gets a transition row estimated from the data "
    "and can be entered again; EM then finds the MAP estimate. Below 1 (down to 0) it takes (1 - value) from "
    "every transition count instead, so rare transitions become exactly 0: a sparse prior, not 'no prior' "
    "(0 is the strongest)")
#: the word the tolerance and reg_covar fields accept besides a number (emdesk.engine.relative)
RELATIVE = "relative"


class _FloatEdit(QtWidgets.QLineEdit):
    """A float field that accepts scientific notation (1e-6) and rejects negative values; with
    ``relative=True`` also the word "relative" or "relative:<number>" (a setting stated relative to the
    data, emdesk.engine.relative)."""

    def __init__(self, value, minimum: float, label: str, relative: bool = False):
        super().__init__()
        self._label = label  # the field's name in error messages
        self._example = 1e-6 if isinstance(value, str) else value
        self._relative = relative
        if relative:
            number = r"(\d+\.?\d*|\.\d+)([eE][-+]?\d*)?"
            val = QtGui.QRegularExpressionValidator(
                QtCore.QRegularExpression(rf"^\s*({number}|r(e(l(a(t(i(v(e(:\s*({number})?)?)?)?)?)?)?)?)?)\s*$"), self)
        else:
            val = QtGui.QDoubleValidator(minimum, 1e6, 12, self)
            val.setNotation(QtGui.QDoubleValidator.Notation.ScientificNotation)
            val.setLocale(QtCore.QLocale.c())
        self.setValidator(val)
        self.set_value(value)

    def value(self):
        text = self.text().strip()
        if self._relative and text.lower().startswith("relative"):
            from emdesk.engine.relative import check_setting

            try:
                return check_setting(text.lower(), "tol" if self._label == "Tolerance" else "reg_covar")
            except ValueError:
                raise ValueError(f"{self._label}: {text!r} is not a setting; type \"relative\", "
                                 "\"relative:1e-4\" or a number such as 1e-6.") from None
        try:
            return float(text)
        except ValueError:
            hint = "\"relative\" or a number such as " if self._relative else "a number such as "
            raise ValueError(f"{self._label}: {self.text()!r} is not a number; type {hint}"
                             f"{self._example:g}.") from None

    def set_value(self, value) -> None:
        if isinstance(value, str) and self._relative:
            self.setText(value.strip().lower())
            return
        self.setText(f"{float(value):g}")


#: The Model panel's Prior choices: (label, engine value of ``prior``)
PRIORS = [("none", None), ("mclust's default (conjugate)", "default")]
PRIOR_TOOLTIP = ("mclust's conjugate prior (Fraley & Raftery 2007; priorControl()): shrinks the means 0.01 "
                 "towards the data's mean and the covariances towards the data's covariance x G^(-2/d), so "
                 "components cannot collapse. EM finds the MAP estimate; the log-likelihood, BIC and ICL "
                 "shown are the likelihood's at that estimate, as mclust reports them")


MODEL_KINDS = [("Mixture", "mixture"), ("Hidden Markov model", "hmm")]
from emdesk.families_data import MIXTURE_FAMILIES  # noqa: E402
from emdesk.gui.family_fields import FAMILY_DEFAULTS, FamilyFields  # noqa: E402

HMM_FAMILIES = [("Gaussian", "gaussian"), ("Poisson (counts)", "poisson"), ("Categorical (symbols)", "categorical")]


def _families(hmm: bool) -> list:
    """[(label, family)] of a kind: the built-in families, then those emdesk.session.register_family added."""
    from emdesk.gui.kinds import KINDS

    return KINDS["hmm" if hmm else "mixture"].families(HMM_FAMILIES if hmm else MIXTURE_FAMILIES)


class ParamsPanel(QtWidgets.QWidget):
    delayChanged = QtCore.Signal(float)
    optionsChanged = QtCore.Signal()
    kindChanged = QtCore.Signal(str, str)  # model kind ("mixture" | "hmm"), family

    def __init__(self, parent=None):
        super().__init__(parent)
        self.kind = QtWidgets.QComboBox()
        for label, _ in MODEL_KINDS:
            self.kind.addItem(label)
        self.kind.setToolTip("Mixture: rows are independent. Hidden Markov model: rows are ordered in time (in "
                             "one or several sequences) and a hidden state switches between them")
        self.family = QtWidgets.QComboBox()
        for label, _ in HMM_FAMILIES:
            self.family.addItem(label)
        self.family.setToolTip("The states' emission distribution: Gaussian (numbers), Poisson (counts), "
                               "categorical (one column of symbols 0, 1, 2, ...)")
        self.family_fields = FamilyFields()  # the Student-t's and categorical families' own fields
        self.n_components = QtWidgets.QSpinBox()
        self.n_components.setRange(1, 30)
        self.n_components.setToolTip("Number of mixture components (1-30)")
        self.covariance_type = QtWidgets.QComboBox()
        self._covariance_key = None
        self._fill_covariances(True, None)
        self.covariance_type.setToolTip("full: any ellipse per component; tied: one shared ellipse; "
                                        "diag: axis-aligned; spherical: circles. Gaussian mixtures also offer "
                                        "mclust's 14 models (volume, shape, orientation: Equal, Variable or "
                                        "Identity; hover over one); with one column E and V")
        self.init_params = QtWidgets.QComboBox()
        self.init_params.addItems(INIT_METHODS)
        self.init_params.setToolTip("How the starting parameters are chosen (hover over a choice for details)")
        for i, tip in enumerate(INIT_TOOLTIPS):
            self.init_params.setItemData(i, tip, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.n_init = QtWidgets.QSpinBox()
        self.n_init.setRange(1, 100)
        self.n_init.setToolTip("Number of restarts from different starting points; the best is kept")
        self.max_iter = QtWidgets.QSpinBox()
        self.max_iter.setRange(1, 100000)
        self.max_iter.setToolTip("Maximum number of EM iterations per restart")
        self.tol = _FloatEdit(DEFAULTS["tol"], 0.0, "Tolerance", relative=True)
        self.tol.setToolTip("Tolerance. \"relative\" (the default): stop when the log-likelihood changes by less "
                            "than 1e-5 x (1 + |log-likelihood|), mclust's criterion (about 0.01 for a "
                            "log-likelihood of 1000). A number: stop when the mean log-likelihood per row "
                            "changes by less than it (scikit-learn's)")
        self.reg_covar = _FloatEdit(DEFAULTS["reg_covar"], 0.0, "reg_covar", relative=True)
        self.reg_covar.setToolTip("Keeps covariances positive definite. \"relative\" (the default): 1e-6 times "
                                  "the data's own covariance is added, so the fit does not depend on the units "
                                  "(\"relative:1e-4\" for another amount). A number: added to the covariance "
                                  "diagonals in the data's units (scikit-learn's)")
        self.transmat_prior = _FloatEdit(1.0, 0.0, "Transition prior")
        self.transmat_prior.setToolTip(TRANSMAT_PRIOR_TOOLTIP)
        self.prior = QtWidgets.QComboBox()
        for label, _ in PRIORS:
            self.prior.addItem(label)
        self._prior_wanted = None  # the user's choice, shown whenever the model takes a prior
        self._prior_context = (True, None)  # (a Gaussian mixture, number of ticked columns)
        self.prior.currentIndexChanged.connect(self._prior_picked)
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
        form.addRow("Model:", self.kind)
        form.addRow("Family:", self.family)
        form.addRow(self.family_fields)
        form.addRow("Components:", self.n_components)
        form.addRow("Covariance:", self.covariance_type)
        form.addRow("Initialisation:", self.init_params)
        # Starting means placed by hand (issue 7): the combo shows it, this note says what it implies.
        self.manual_label = QtWidgets.QLabel()
        self.manual_label.setWordWrap(True)
        self.manual_label.setStyleSheet("color: #7b1fa2;")
        self.manual_label.hide()
        form.addRow(self.manual_label)
        self._manual = 0
        self._auto_init = DEFAULTS["init_params"]
        self._auto_n_init = DEFAULTS["n_init"]
        form.addRow("Restarts:", self.n_init)
        form.addRow("Max iterations:", self.max_iter)
        form.addRow("Tolerance:", self.tol)
        form.addRow("reg_covar:", self.reg_covar)
        form.addRow("Transition prior:", self.transmat_prior)
        form.addRow("Prior:", self.prior)
        form.addRow("Random seed:", self.seed)
        form.addRow("Animation:", self.speed)
        self.set_options(**DEFAULTS)
        self.covariance_type.currentTextChanged.connect(lambda _t: self._update_prior())
        self.kind.currentIndexChanged.connect(self._kind_picked)
        self.family.currentIndexChanged.connect(self._kind_picked)
        self.speed.currentIndexChanged.connect(lambda i: self.delayChanged.emit(SPEEDS[i][1]))

    FIELD_WIDGETS = {"n_components": "n_components", "covariance_type": "covariance_type",
                     "init_params": "init_params", "n_init": "n_init", "max_iter": "max_iter", "tol": "tol",
                     "reg_covar": "reg_covar", "random_state": "seed", "transmat_prior": "transmat_prior"}

    def show_fields(self, names) -> None:
        """Show only the fields a model kind uses (``emdesk.gui.kinds``); the animation speed always."""
        form = self.layout()
        for name, attr in self.FIELD_WIDGETS.items():
            form.setRowVisible(getattr(self, attr), name in names)
        hmm = MODEL_KINDS[self.kind.currentIndex()][1] == "hmm"
        self._fill_families(hmm)
        self.family_fields.show_family(self.model_kind()[1])
        label = form.labelForField(self.n_components)
        if label is not None:
            label.setText("States:" if hmm else "Components:")
        self.n_components.setToolTip("Number of hidden states (1-30)" if hmm else
                                     "Number of mixture components (1-30)")

    def covariance_choices(self) -> list[str]:
        """The covariance names the combo offers now (group headings left out)."""
        return [self.covariance_type.itemText(i) for i in range(self.covariance_type.count())
                if self.covariance_type.itemData(i, QtCore.Qt.ItemDataRole.UserRole) == "name"]

    def set_covariance_context(self, mclust: bool, n_features=None) -> None:
        """Offer mclust's models (Gaussian mixtures: ``mclust`` True) for ``n_features`` ticked columns (E and
        V for one). The chosen name is kept when offered; otherwise an mclust name becomes its one-column
        volume letter (VVV -> V) or back (E -> EEE, V -> VVV), or "full"."""
        self._fill_covariances(mclust, n_features)

    def _fill_covariances(self, mclust: bool, n_features) -> None:
        key = (bool(mclust), 1 if n_features == 1 else None)
        combo = self.covariance_type
        if key == self._covariance_key:
            return
        current = previous = combo.currentText() if combo.count() else DEFAULTS["covariance_type"]
        offered = covariance_choices(*key)
        if current not in offered:
            alias = {"E": "EEE", "V": "VVV"}.get(current, current[0] if len(current) == 3 else current)
            current = alias if alias in offered else "full"
        combo.blockSignals(True)
        combo.clear()
        model = combo.model()
        role = QtCore.Qt.ItemDataRole

        def add(name, tip):
            combo.addItem(name)
            combo.setItemData(combo.count() - 1, tip, role.ToolTipRole)
            combo.setItemData(combo.count() - 1, "name", role.UserRole)

        def heading(text):
            combo.addItem(text)
            item = model.item(combo.count() - 1)
            item.setEnabled(False)  # a heading, not a choice
            font = item.font()
            font.setItalic(True)
            item.setFont(font)

        for name in COVARIANCE_TYPES:
            add(name, COVARIANCE_TOOLTIPS[name])
        if key[0]:
            if key[1] == 1:
                heading("mclust, one column")
                for name, text in MCLUST_1D:
                    add(name, f"{name}: {text}")
            else:
                for group, names in MCLUST_GROUPS:
                    heading(f"mclust, {group}")
                    for name in names:
                        add(name, f"{name}: {mclust_description(name)}")
        combo.setCurrentText(current)
        combo.blockSignals(False)
        changed = self._covariance_key is not None and previous != combo.currentText()
        self._covariance_key = key
        if changed:
            self.optionsChanged.emit()

    # ------------------------------------------------------------------ the prior
    def set_prior_context(self, gaussian_mixture: bool, n_features=None) -> None:
        """Whether the model is a Gaussian mixture (the only kind with mclust's prior) and how many columns
        are ticked; the Prior field is enabled only where the prior applies, with a tooltip saying why not."""
        self._prior_context = (bool(gaussian_mixture), n_features)
        self._update_prior()

    def prior_unavailable(self) -> str:
        """Why the prior cannot be used now ("" when it can)."""
        from emdesk.engine.prior import has_prior, prior_covariance_types

        gaussian, d = self._prior_context
        if not gaussian:
            hmm = MODEL_KINDS[self.kind.currentIndex()][1] == "hmm"
            return ("A prior is available for Gaussian mixtures only: mclust's conjugate prior is for normal "
                    "mixtures (Fraley & Raftery 2007); this model has none"
                    + ("; a hidden Markov model's transition rows take one: Transition prior" if hmm else ""))
        cov = self.covariance_type.currentText()
        d = d or 2
        if not has_prior(cov, d):
            return (f"Covariance {cov} has no conjugate prior in emdesk (mclust's MAP step departs from the "
                    f"prior for it, or has none); choose {', '.join(prior_covariance_types(d))} to use one")
        return ""

    def _update_prior(self) -> None:
        why = self.prior_unavailable()
        want = self._prior_wanted if not why else None
        self.prior.blockSignals(True)
        self.prior.setCurrentIndex([v for _, v in PRIORS].index(want))
        self.prior.blockSignals(False)
        self.prior.setEnabled(not why)
        self.prior.setToolTip(why + "." if why else PRIOR_TOOLTIP)

    def _prior_picked(self, index: int) -> None:
        if self.prior.isEnabled():
            self._prior_wanted = PRIORS[index][1]
            self.optionsChanged.emit()

    def model_kind(self) -> tuple[str, str]:
        """(kind, family) as chosen: ("mixture", "gaussian") or ("hmm", family)."""
        kind = MODEL_KINDS[self.kind.currentIndex()][1]
        fams = _families(kind == "hmm")
        return kind, fams[min(max(self.family.currentIndex(), 0), len(fams) - 1)][1]

    def _fill_families(self, hmm: bool) -> None:
        """The family combo lists the chosen kind's families (the current one kept when it has it)."""
        fams = _families(hmm)
        if [self.family.itemText(i) for i in range(self.family.count())] == [lab for lab, _ in fams]:
            return
        self.family.blockSignals(True)
        self.family.clear()
        self.family.addItems([lab for lab, _ in fams])
        self.family.blockSignals(False)

    def set_model_kind(self, kind: str, family: str = "gaussian") -> None:
        """Choose the kind and family without emitting kindChanged (ValueError for unknown names)."""
        kinds = [k for _, k in MODEL_KINDS]
        fams = [f for _, f in _families(kind == "hmm")]
        if kind not in kinds or family not in fams:
            raise ValueError(f"Unknown model {kind}/{family}: mixture with "
                             f"{', '.join(f for _, f in _families(False))}, or hmm with "
                             f"{', '.join(f for _, f in _families(True))}.")
        self.kind.blockSignals(True)
        self.kind.setCurrentIndex(kinds.index(kind))
        self.kind.blockSignals(False)
        self._fill_families(kind == "hmm")
        self.family_fields.show_family(family)
        for combo, i in ((self.kind, kinds.index(kind)), (self.family, fams.index(family))):
            combo.blockSignals(True)
            combo.setCurrentIndex(i)
            combo.blockSignals(False)

    def _kind_picked(self, _index: int) -> None:
        self._fill_families(MODEL_KINDS[self.kind.currentIndex()][1] == "hmm")
        self.family_fields.show_family(self.model_kind()[1])
        self.kindChanged.emit(*self.model_kind())

    def options(self, engine: bool = True) -> dict:
        """The engine keywords; raises ValueError with a message when a field is not a number.

        While starting means are placed by hand, ``init_params`` is the method used again once they are
        cleared, and ``n_init`` is 1 (every restart would start from the same means); ``engine=False``
        gives the values to remember instead (settings)."""
        seed = self.seed.value()
        family = self.family_fields.options() if engine else {}
        prior = PRIORS[self.prior.currentIndex()][1]  # None whenever the field is disabled
        # "prior" only when one is chosen: the other estimators and sweeps (HMMs) have no such keyword; an HMM's
        # "transmat_prior" alike, when its field is shown (the model is an HMM) and not 1 (no prior)
        tp = self.transmat_prior.value() if self.layout().isRowVisible(self.transmat_prior) else 1.0
        family = family | ({"transmat_prior": tp} if tp != 1.0 else {})
        return family | ({"prior": prior} if prior is not None else {}) | {
            "n_components": self.n_components.value(),
            "covariance_type": self.covariance_type.currentText(),
            "init_params": self._auto_init if self._manual else self.init_params.currentText(),
            "n_init": self._auto_n_init if self._manual and not engine else self.n_init.value(),
            "max_iter": self.max_iter.value(),
            "tol": self.tol.value(),
            "reg_covar": self.reg_covar.value(),
            "random_state": None if seed < 0 else seed,
        }

    def set_options(self, **options) -> None:
        """Set fields from engine keywords; unknown names or bad values raise ValueError."""
        known = set(DEFAULTS) | set(FAMILY_DEFAULTS)
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"Unknown fit option(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
        if self._manual:
            if "n_components" in options and options["n_components"] != self._manual:
                raise ValueError(f"n_components is set by the {self._manual} starting means placed by hand; "
                                 "clear them first (Fit \u25b8 Clear Starting Means).")
            options = dict(options)
            options.pop("n_components", None)
            if "init_params" in options:
                self._set_choice(QtWidgets.QComboBox(), "init_params", options["init_params"], INIT_METHODS)
                self._auto_init = options.pop("init_params")
            if "n_init" in options:
                self._set_int(self.n_init, "n_init", options["n_init"])
                self._auto_n_init = int(options.pop("n_init"))
                self.n_init.setValue(1)
        self.family_fields.set_options(**{k: options[k] for k in FAMILY_DEFAULTS if k in options})
        # the prior last: whether it applies depends on the covariance model set here
        for name, value in sorted(options.items(), key=lambda item: item[0] == "prior"):
            if name == "n_components":
                self._set_int(self.n_components, name, value)
            elif name == "n_init":
                self._set_int(self.n_init, name, value)
            elif name == "max_iter":
                self._set_int(self.max_iter, name, value)
            elif name == "covariance_type":
                self._set_choice(self.covariance_type, name, value, self.covariance_choices())
            elif name == "init_params":
                self._set_choice(self.init_params, name, value, INIT_METHODS)
            elif name == "transmat_prior":
                v = 1.0 if value is None else value
                if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 <= float(v) <= 1e6:
                    raise ValueError(f"transmat_prior must be None or a number from 0 to 1e6 (1: no prior); "
                                     f"got {value!r}.")
                self.transmat_prior.set_value(float(v))
            elif name in ("tol", "reg_covar"):
                if isinstance(value, str) and value.strip().lower().startswith(RELATIVE):
                    from emdesk.engine.relative import check_setting

                    getattr(self, name).set_value(check_setting(value.strip().lower(), name))
                    continue
                try:
                    v = float(value)
                except (TypeError, ValueError):
                    v = float("nan")
                if not v >= 0:
                    raise ValueError(f"{name} must be a number >= 0 or \"relative\", got {value!r}.")
                getattr(self, name).set_value(v)
            elif name == "prior":
                values = [v for _, v in PRIORS]
                if value not in values:
                    raise ValueError(f"prior must be None or 'default' (mclust's conjugate prior); got {value!r}.")
                why = self.prior_unavailable() if value is not None else ""
                if why:
                    raise ValueError(why + ".")
                self._prior_wanted = value
                self._update_prior()
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

    def manual_means(self) -> int:
        """How many starting means are placed by hand (0: the initialisation method chooses them)."""
        return self._manual

    def set_manual_means(self, n: int) -> None:
        """Show that ``n`` starting means are placed by hand: Components = n, the initialisation combo reads
        "placed by hand", Restarts = 1 (every restart would start from the same means). ``n = 0`` restores
        the initialisation method and the restarts from before."""
        n = int(n)
        if n > 0:
            if not self._manual:
                self._auto_init = self.init_params.currentText()
                self._auto_n_init = self.n_init.value()
                self.init_params.addItem(MANUAL_INIT_TEXT)
            self._manual = n
            self.init_params.setCurrentText(MANUAL_INIT_TEXT)
            self.n_components.setValue(n)
            self.n_init.setValue(1)
            for w in (self.n_components, self.init_params, self.n_init):
                w.setEnabled(False)
            restarts = (f" Restarts: 1 (was {self._auto_n_init}; each would start from these means)."
                        if self._auto_n_init > 1 else "")
            self.manual_label.setText(f"Start: {n} mean{'s' if n != 1 else ''} placed by hand.{restarts}")
            self.manual_label.setToolTip("EM starts from the means placed on the plot; Components follows their "
                                         "number. Fit \u25b8 Clear Starting Means goes back to "
                                         f"{self._auto_init}.")
            self.manual_label.show()
        elif self._manual:
            self._manual = 0
            i = self.init_params.findText(MANUAL_INIT_TEXT)
            if i >= 0:
                self.init_params.removeItem(i)
            self.init_params.setCurrentText(self._auto_init)
            self.n_init.setValue(self._auto_n_init)
            for w in (self.n_components, self.init_params, self.n_init):
                w.setEnabled(True)
            self.manual_label.hide()
        self.optionsChanged.emit()

    def delay(self) -> float:
        return SPEEDS[self.speed.currentIndex()][1]

    def set_delay(self, seconds: float) -> None:
        best = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i][1] - float(seconds)))
        self.speed.setCurrentIndex(best)
