"""The degeneracy guard (issue 7): components that collapse while EM runs are flagged on the plot (a red
warning overlay), in the status bar, and in a non-modal bar above the plot that offers the usual fixes in
one click.

The fixes and their rules (``propose_fixes``; the same text is each button's tooltip):

``raise_reg_covar``
    ``reg_covar`` x 100, and at least 1e-4 times the smallest per-column variance of the fitted data (a floor
    whose standard deviation is 1 % of the data's): a component can then no longer shrink onto a few tied
    (rounded) values for a spuriously high likelihood.
``lower_reg_covar`` (instead of ``raise_reg_covar``)
    when ``reg_covar`` is already large for the data (at least 1e-2 times the smallest per-column variance, a
    ridge whose standard deviation is 10 % of the data's; relative: ``relative:r`` with r >= 1e-2): the
    components are then flagged because the ridge itself holds them at its floor, and a larger one would only
    make that worse, so ``reg_covar`` / 100 is offered.
``fewer_components``
    ``n_components`` - 1 (offered when there are at least 2).
``constrained_covariance``
    full, diag or spherical -> tied: one covariance shared by all components, so no single component can
    shrink onto a few points. Not offered when the model is already tied, nor for one component (tied is
    then the same model as full, and less constrained than diag or spherical).
``new_initialisation``
    A new random seed (and the starting means placed by hand, if any, are cleared): EM starts elsewhere.

For a hidden Markov model (``propose_hmm_fixes``) the fixes follow what went wrong. A state whose emission
parameters collapsed (Gaussian emissions: variance at the floor, too few observed time steps, a singular
covariance): a larger ``reg_covar`` (a number in the data's units: an HMM has no "relative" setting), tied
covariances, fewer states, a new initialisation. A state whose transition row cannot be estimated (almost
never followed by another time step: hardly occupied, never left or only at the ends of sequences) or that is
almost never occupied (never entered): ``transmat_prior`` (hmmlearn's Dirichlet prior on each transition row,
the Model panel's Transition prior field), fewer states, a new initialisation. ``reg_covar`` and tied
covariances are Gaussian emissions' only (a Poisson or categorical HMM has neither).

Every fix changes the Model panel's fields visibly; the window then starts a new fit at once.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.gui.flow_layout import FlowLayout
from emdesk.gui.geometry import ellipse, marginal_covariances, normal_pdf

FIX_ORDER = ("raise_reg_covar", "fewer_components", "constrained_covariance", "new_initialisation")
#: The guard bar's buttons, in order: the mixture's fixes and an HMM's transmat_prior
BUTTON_ORDER = ("raise_reg_covar", "lower_reg_covar", "transmat_prior", "fewer_components", "constrained_covariance",
                "new_initialisation")
#: The issue kinds of an HMM's chain (its transition rows, its occupancy), as against a collapse of a state's
#: emission parameters (``emdesk.engine.diagnostics.ISSUE_KINDS``).
CHAIN_KINDS = ("dead_transition_row", "empty_state")
#: transmat_prior the HMM fix sets at least (one pseudo-transition from every state to every state); a prior
#: already at or above it is doubled.
TRANSMAT_PRIOR_FIX = 2.0
REG_COVAR_FACTOR = 100.0
REG_COVAR_RELATIVE_MIN = 1e-4
#: A reg_covar at least this share of the smallest column variance (relative: at least this r) is large for
#: the data: the guard offers to lower it (``lower_reg_covar``) instead of raising it.
REG_COVAR_LARGE = 1e-2
WARN_RGB = (211, 47, 47)


def _nice(v: float) -> float:
    """Two significant digits, so the new value reads well in the field (e.g. 0.018, 1e-04)."""
    return float(f"{v:.2g}")


def propose_fixes(options: dict, data_variances=None, manual_means: bool = False) -> dict:
    """The fixes for a degenerate fit made with ``options`` (the Model panel's engine keywords).

    Returns ``{name: (button text, tooltip, {option: new value, ...})}`` in ``FIX_ORDER``; a fix that does
    not apply (one component; already tied) is left out. ``data_variances``: per-column variances of the
    fitted data (for the reg_covar floor).
    """
    out: dict = {}
    reg_option = options.get("reg_covar", "relative")
    if isinstance(reg_option, str):  # "relative[:r]": r x each column's variance (emdesk.engine.relative)
        from emdesk.engine.relative import relative_amount

        r = relative_amount(reg_option, "reg_covar")
        new_r = _nice(max(REG_COVAR_FACTOR * r, REG_COVAR_RELATIVE_MIN))
        out["raise_reg_covar"] = (
            f"Raise reg_covar (\u2192 relative {new_r:g})",
            f"Sets reg_covar to relative:{new_r:g}: {new_r:g} times the data's own covariance is added to every "
            f"covariance ({REG_COVAR_FACTOR:g} times the current amount, and at least {REG_COVAR_RELATIVE_MIN:g}, "
            "a standard deviation of 1 % of the data's). A component can then no longer shrink onto a few tied "
            "or rounded values. Runs a new fit.",
            {"reg_covar": f"relative:{new_r:g}"},
        )
        reg = None
    else:
        reg = float(reg_option)
    floor = 0.0
    if data_variances is not None:
        dv = np.asarray(data_variances, dtype=float).reshape(-1)
        dv = dv[np.isfinite(dv) & (dv > 0)]
        if dv.size:
            floor = REG_COVAR_RELATIVE_MIN * float(dv.min())
    new_reg = _nice(max(REG_COVAR_FACTOR * (reg or 0.0), floor, 1e-12))
    out["raise_reg_covar"] = out.get("raise_reg_covar") or (
        f"Raise reg_covar (\u2192 {new_reg:g})",
        f"Sets reg_covar to {new_reg:g}: {REG_COVAR_FACTOR:g} times the current value, and at least "
        f"{REG_COVAR_RELATIVE_MIN:g} times the smallest column variance of the data (a standard deviation of "
        "1 % of the data's). A component can then no longer shrink onto a few tied or rounded values. "
        "Runs a new fit.",
        {"reg_covar": new_reg},
    )
    _lower_if_large(out, reg_option, reg, floor / REG_COVAR_RELATIVE_MIN if floor else None)
    k = int(options.get("n_components", 1))
    if k > 1:
        note = " The starting means placed by hand are cleared." if manual_means else ""
        out["fewer_components"] = (
            f"Fewer components (\u2192 {k - 1})",
            f"Fits {k - 1} components instead of {k}: a collapsing component often has no cluster of its own."
            + note + " Runs a new fit.",
            {"n_components": k - 1},
        )
    ct = options.get("covariance_type", "full")
    if ct not in ("tied", "EEE", "E") and k > 1:  # EEE / E: mclust's names of one shared covariance
        out["constrained_covariance"] = (
            "Constrained covariance (\u2192 tied)",
            "Uses one covariance shared by all components (covariance type 'tied'), the constrained type that "
            "stops a single component from shrinking onto a few points. Runs a new fit.",
            {"covariance_type": "tied"},
        )
    seed = int(np.random.default_rng().integers(0, 2**31 - 1))
    note = " and clears the starting means placed by hand" if manual_means else ""
    out["new_initialisation"] = (
        "New initialisation",
        f"Sets a new random seed ({seed}){note}, so EM starts from other parameters. Runs a new fit.",
        {"random_state": seed},
    )
    return out


def _lower_if_large(out: dict, reg_option, reg, min_variance) -> None:
    """Replace ``raise_reg_covar`` by ``lower_reg_covar`` in ``out`` when the ridge is already large for the
    data (:data:`REG_COVAR_LARGE`): the flagged components sit at a floor the ridge itself sets."""
    if reg is None:
        from emdesk.engine.relative import relative_amount

        r = relative_amount(reg_option, "reg_covar")
        if r < REG_COVAR_LARGE:
            return
        new_r = _nice(r / REG_COVAR_FACTOR)
        text, value, now = f"relative {new_r:g}", f"relative:{new_r:g}", f"relative:{r:g}"
    else:
        if not min_variance or reg < REG_COVAR_LARGE * min_variance:
            return
        new_r = _nice(reg / REG_COVAR_FACTOR)
        text, value, now = f"{new_r:g}", new_r, f"{reg:g}"
    del out["raise_reg_covar"]
    out["lower_reg_covar"] = (
        f"Lower reg_covar (\u2192 {text})",
        f"Sets reg_covar to {value}: {REG_COVAR_FACTOR:g} times less than now ({now}). The ridge added now is at "
        f"least {REG_COVAR_LARGE:g} of a column's variance (a standard deviation of 10 % of the data's), so the "
        "flagged components sit at the floor it sets: a larger one would hold them there further. Runs a new fit.",
        {"reg_covar": value},
    )


def ridge_headline(issues, reg_option, which: str = "") -> str:
    """The guard bar's headline when a large ``reg_covar`` ridge is what holds the flagged components (the
    guard then offers ``lower_reg_covar``): their variance is the ridge's, not a collapse onto a few values,
    e.g. ``"Component 2's variance is held at reg_covar (1), large for these data: ..."``. ``which``: "The fit"
    or "The stopped fit" (a fit that ended), "" while EM runs. The other components' issues are named after."""
    issues = tuple(issues or ())
    held = sorted({int(i.component) + 1 for i in issues if i.kind == "variance_floor"})
    others = tuple(i for i in issues if int(i.component) + 1 not in held)
    reg = f"{reg_option:g}" if isinstance(reg_option, (int, float)) else str(reg_option)
    it = "it" if len(held) == 1 else "them"
    if len(held) == 1:
        who = f"Component {held[0]}'s variance is"
    else:
        who = f"Components {', '.join(map(str, held[:-1]))} and {held[-1]}: their variances are"
    text = (f"{which + ': ' if which else ''}{who[0].lower() + who[1:] if which else who} held at reg_covar "
            f"({reg}), large for these data (at least {REG_COVAR_LARGE:g} of a column's variance): the ridge, not "
            f"the data, sets {it}, and a larger one would hold {it} there further.")
    if others:
        from emdesk.engine.diagnostics import format_issues

        text += f" Also degenerate ({format_issues(others)})."
    return text


def propose_hmm_fixes(options: dict, family: str, kinds, data_variances=None) -> dict:
    """The fixes for a degenerate hidden Markov model fitted with ``options`` (the engine keywords of the fit:
    numbers, as the session passes them to the HMM), ``family`` its emission family and ``kinds`` the kinds of
    the issues found. Returns ``{name: (button text, tooltip, {option: new value, ...})}`` in ``BUTTON_ORDER``
    (the module docstring says which fix answers which kind)."""
    from emdesk.engine import GaussianHMM
    from emdesk.engine.relative import own_defaults

    kinds = set(kinds)
    gaussian = family == "gaussian"
    opts = own_defaults(GaussianHMM, options) if gaussian else dict(options)  # "relative" -> the HMM's own
    collapse = bool(kinds - set(CHAIN_KINDS))
    chain = bool(kinds & set(CHAIN_KINDS))
    out: dict = {}
    mixture_fixes = propose_fixes({**opts, "reg_covar": float(opts.get("reg_covar", 1e-6))}, data_variances)
    if gaussian and collapse:
        for name in ("raise_reg_covar", "lower_reg_covar"):
            if name in mixture_fixes:
                out[name] = mixture_fixes[name]
    if chain:
        old = opts.get("transmat_prior")
        old = 1.0 if old is None else float(np.max(old))
        new = _nice(max(TRANSMAT_PRIOR_FIX, 2.0 * old))
        out["transmat_prior"] = (
            f"Transition prior (\u2192 {new:g})",
            f"Sets transmat_prior (hmmlearn's Dirichlet prior on each transition row) to {new:g}: {new - 1:g} "
            "pseudo-transition" + ("" if new == 2 else "s") + " from every state to every state, so a state that is "
            "hardly occupied, never left or only at the ends of sequences gets a transition row from the data and "
            "the prior, and can be entered again. Runs a new fit.",
            {"transmat_prior": new},
        )
    k = int(opts.get("n_components", 1))
    if k > 1:
        out["fewer_components"] = (
            f"Fewer states (\u2192 {k - 1})",
            f"Fits {k - 1} states instead of {k}: a state that collapses, or is hardly ever entered or left, often "
            "has no regime of its own. Runs a new fit.",
            {"n_components": k - 1},
        )
    if gaussian and collapse and "constrained_covariance" in mixture_fixes:
        out["constrained_covariance"] = (
            "Constrained covariance (\u2192 tied)",
            "Uses one covariance shared by all states (covariance type 'tied'), so no single state can shrink "
            "onto a few time steps. Runs a new fit.",
            {"covariance_type": "tied"},
        )
    text, tip, change = mixture_fixes["new_initialisation"]
    if opts.get("init_params") == "hierarchical":  # the same start whatever the seed: k-means++ from a new one
        change = {**change, "init_params": "kmeans++"}
        tip = tip.replace("so EM starts", "and the initialisation k-means++ (hierarchical clustering starts "
                          "the same way whatever the seed), so EM starts")
    out["new_initialisation"] = (text, tip, change)
    return {name: out[name] for name in BUTTON_ORDER if name in out}


def effective_points(snapshot, component: int) -> float:
    """The points a component (or an HMM's state) holds: its weight x the rows, or for an HMM its expected
    number of time steps with an observed value (``Snapshot.observed_occupancy``: a time step without an
    observation holds no data for the state's emission parameters), as the engine's messages count them."""
    seen = getattr(snapshot, "observed_occupancy", None)
    if seen is not None:
        return float(seen[component])
    return float(snapshot.weights[component]) * float(snapshot.n_samples)


def _points_needed(covariance_type, d) -> int:
    from emdesk.engine.diagnostics import points_needed

    try:
        return points_needed(covariance_type, d)
    except ValueError:  # a model the table does not know: the strictest rule
        return d + 1


def status_text(snapshot) -> str:
    """One line for the status bar naming the collapsing components, e.g.
    ``"Component 3 is collapsing (2.1 effective points < d+1 = 3)"``; "" when the snapshot is sound."""
    issues = tuple(getattr(snapshot, "issues", None) or ())
    if not issues:
        return ""
    d = int(np.asarray(snapshot.means).shape[1])
    first: dict[int, str] = {}
    rank = {"too_few_points": 0, **{kind: 2 for kind in CHAIN_KINDS}}  # the kind said per component: lowest
    for issue in issues:
        c = int(issue.component)
        if c not in first or rank.get(issue.kind, 1) < rank.get(first[c], 1):
            first[c] = issue.kind
    comps = sorted(first)
    why = {}
    for c in comps:
        kind = first[c]
        if kind == "too_few_points":
            need = _points_needed(snapshot.covariance_type, d)
            rule = "d+1 = " if need == d + 1 and d > 1 else ""
            unit = ("observed time steps" if getattr(snapshot, "observed_occupancy", None) is not None
                    else "effective points")
            shown = math.floor(effective_points(snapshot, c) * 10 + 1e-9) / 10  # 1.99 never reads "2.0 < 2"
            why[c] = f"{shown:.1f} {unit} < {rule}{need}"
        elif kind == "variance_floor":
            why[c] = "variance at the reg_covar floor"
        elif kind == "dead_transition_row":  # an HMM's chain: its transition row cannot be estimated
            why[c] = "is almost never followed by another time step"
        elif kind == "empty_state":
            why[c] = "has almost no expected occupancy"
        else:
            why[c] = "singular covariance"
    c0 = comps[0]
    if snapshot.covariance_type in ("tied", "EEE", "E") and rank.get(first[c0], 1) == 1:
        return f"The shared covariance is collapsing ({why[c0]})"
    kinds = {first[c] for c in comps}
    chain = kinds <= set(CHAIN_KINDS)  # an HMM's states hardly occupied or left: not a collapse
    if len(comps) == 1:
        return f"Component {c0 + 1} " + (why[c0] if chain else f"is collapsing ({why[c0]})")
    names = ", ".join(str(c + 1) for c in comps)
    if chain:
        plural = {"is ": "are ", "has ": "have "}
        return f"Components {names} " + "; ".join(dict.fromkeys(
            plural[why[c].split(" ")[0] + " "] + why[c].split(" ", 1)[1] for c in comps))
    same = len(kinds) == 1 and "too_few_points" not in kinds
    return f"Components {names} are collapsing" + (f" ({why[c0]})" if same else "")


class GuardBar(QtWidgets.QFrame):
    """A non-modal warning strip above the plot: what collapsed, and one button per fix.

    ``fixRequested(name)`` is emitted when a fix button is clicked; the window applies it.
    """

    fixRequested = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("guardBar")
        self.setStyleSheet(
            "QFrame#guardBar { background: #fff4e5; border: 1px solid #ef8d00; border-radius: 4px; }"
            "QFrame#guardBar QLabel { color: #663c00; }"
            "QFrame#guardBar QPushButton { padding: 3px 10px; }")
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        # The buttons wrap onto further rows when the bar is narrow: one row of them needed 771-813 px, which
        # the window took from the Results dock (123 px at 1280x720) and did not give back when the bar closed.
        row = FlowLayout(spacing=6)
        row.addWidget(QtWidgets.QLabel("<b>Fix:</b>"))
        for name in BUTTON_ORDER:
            b = QtWidgets.QPushButton()
            b.setObjectName(f"fix_{name}")
            b.clicked.connect(lambda _=False, n=name: self.fixRequested.emit(n))
            row.addWidget(b)
            self.buttons[name] = b
        self.button_rows = row
        close = QtWidgets.QToolButton()
        close.setText("\u2715")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss (it comes back when a fit has degenerate components)")
        close.clicked.connect(self.hide)
        top = QtWidgets.QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        icon = QtWidgets.QLabel("\u26a0")
        icon.setStyleSheet("font-size: 16pt; color: #d32f2f;")
        top.addWidget(icon, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.label, 1)
        top.addWidget(close, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.setSpacing(4)
        lay.addLayout(top)
        lay.addLayout(row)
        self._fixes: dict = {}
        self.hide()

    def set_fixes(self, fixes: dict) -> None:
        """``fixes`` as returned by ``propose_fixes``."""
        self._fixes = dict(fixes)
        for name, b in self.buttons.items():
            if name in fixes:
                text, tip, _ = fixes[name]
                b.setText(text)
                b.setToolTip(tip)
                b.setVisible(True)
            else:
                b.setVisible(False)

    def fixes(self) -> dict:
        return dict(self._fixes)

    def show_issues(self, text: str, fixes: dict) -> None:
        self.label.setText(text)
        self.set_fixes(fixes)
        self.show()


# ------------------------------------------------------------------------------------------------------ plots
def _flagged(snapshot) -> list[int]:
    return sorted({int(i.component) for i in (getattr(snapshot, "issues", None) or ())})


class _Overlay:
    def __init__(self, plot_item):
        self.pi = plot_item
        self._labels: list[pg.TextItem] = []
        self._curves: list[pg.PlotCurveItem] = []
        self.flagged: list[int] = []

    CURVE_STYLE = (230, 3.5, 18)  # the flagged curves' pen alpha, pen width and z value

    def _curve(self, j: int) -> pg.PlotCurveItem:
        alpha, width, z = self.CURVE_STYLE
        while len(self._curves) <= j:
            c = pg.PlotCurveItem(pen=pg.mkPen(*WARN_RGB, alpha, width=width, style=QtCore.Qt.PenStyle.DashLine))
            c.setZValue(z)
            self.pi.addItem(c)
            self._curves.append(c)
        return self._curves[j]

    def _hide_from(self, n: int) -> None:
        """Hide the curves and labels beyond the first ``n`` (kept for the next collapse, not deleted)."""
        for item in self._curves[n:] + self._labels[n:]:
            item.setVisible(False)

    def _label(self, j: int) -> pg.TextItem:
        while len(self._labels) <= j:
            t = pg.TextItem(color=WARN_RGB, anchor=(0.5, 1.15), fill=pg.mkBrush(255, 255, 255, 200),
                            border=pg.mkPen(*WARN_RGB))
            f = QtGui.QFont()
            f.setBold(True)
            t.setFont(f)
            t.setZValue(40)
            self.pi.addItem(t)
            self._labels.append(t)
        return self._labels[j]


class DegeneracyOverlay2D(_Overlay):
    """Flagged components of the 2-D view: a thick red 1-sigma ellipse, a red ring at the mean and a
    "⚠ n" label. Items are created on first use and updated in place."""

    def __init__(self, plot_item):
        super().__init__(plot_item)
        self.rings = pg.ScatterPlotItem(size=24, symbol="o", pen=pg.mkPen(*WARN_RGB, width=3),
                                        brush=pg.mkBrush(211, 47, 47, 40))
        self.rings.setZValue(19)
        plot_item.addItem(self.rings)

    def show(self, snapshot, ix: int, iy: int) -> None:
        flagged = _flagged(snapshot) if snapshot is not None else []
        self.flagged = flagged
        if flagged:
            means = np.asarray(snapshot.means)
            k = len(snapshot.weights)
            covs = marginal_covariances(snapshot.covariances, snapshot.covariance_type, k, [ix, iy])
            self.rings.setData(means[flagged, ix], means[flagged, iy])
            for j, c in enumerate(flagged):
                ex, ey = ellipse((means[c, ix], means[c, iy]), covs[c], 1.0)
                cur = self._curve(j)
                cur.setData(ex, ey)
                cur.setVisible(True)
                lab = self._label(j)
                lab.setText(f"\u26a0 {c + 1}")
                lab.setPos(float(means[c, ix]), float(means[c, iy]))
                lab.setVisible(True)
        else:
            self.rings.setData([], [])
        self._hide_from(len(flagged))


class DegeneracyOverlay1D(_Overlay):
    """Flagged components of the 1-D view: the weighted density drawn again in thick dashed red, and a
    "⚠ n" label above its mean (kept inside the view when the spike runs off the top)."""

    CURVE_STYLE = (235, 3.0, 35)

    def show(self, snapshot, grid) -> None:
        flagged = _flagged(snapshot) if snapshot is not None else []
        self.flagged = flagged
        if flagged:
            k = len(snapshot.weights)
            means = np.asarray(snapshot.means)[:, 0]
            var = marginal_covariances(snapshot.covariances, snapshot.covariance_type, k, [0])[:, 0, 0]
            top = self.pi.getViewBox().viewRange()[1][1]
            for j, c in enumerate(flagged):
                sd = float(np.sqrt(max(var[c], 0.0)))
                # A collapsed component is a spike narrower than the grid's spacing: add points around it.
                x = np.sort(np.concatenate([grid, means[c] + sd * np.linspace(-4, 4, 17)]))
                y = float(snapshot.weights[c]) * normal_pdf(x, means[c], var[c])
                cur = self._curve(j)
                cur.setData(x, np.minimum(y, 10.0 * top))
                cur.setVisible(True)
                peak = float(snapshot.weights[c]) / np.sqrt(2 * np.pi * var[c]) if var[c] > 0 else np.inf
                lab = self._label(j)
                lab.setText(f"\u26a0 {c + 1}")
                lab.setPos(float(means[c]), min(peak, 0.6 * top) if np.isfinite(peak) else 0.6 * top)
                lab.setVisible(True)
        self._hide_from(len(flagged))
