"""What the model-selection dialog offers and how it draws each model (issue 11, item 8; issue 13).

* The Gaussian covariance models by mclust's names in mclust's three groups (spherical, diagonal,
  ellipsoidal; in one dimension ``E`` and ``V``), each with mclust's plot symbol and colour, so a BIC plot
  reads as ``plot(mclustBIC(...))`` does. Only the models the engine fits are offered: with scikit-learn's
  four covariance types these are VII (spherical), VVI (diag), EEE (tied) and VVV (full).
* The other mixture families (Student-t, Poisson, categorical), each one line.

A line of the plot is a "line key": the engine's covariance type for a Gaussian mixture (``"full"`` or
``"VVV"``), ``"student_t:<covariance type>"`` for a Student-t mixture, the family's name for the others.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtGui

from emdesk.engine.covariance_models import MODEL_GROUPS, MODEL_NAMES, MODEL_NAMES_1D, SKLEARN_NAMES

#: mclust.options("bicPlotSymbols") and ("bicPlotColors") of mclust 6.0.0 (R's pch codes; R's "gray" is
#: #BEBEBE). Looked up with Rscript -e 'library(mclust); mclust.options("bicPlotSymbols")'.
MCLUST_SYMBOLS = {"EII": 17, "VII": 2, "EEI": 16, "EVI": 10, "VEI": 13, "VVI": 1, "EEE": 15, "VEE": 8,
                  "EVE": 5, "VVE": 9, "EEV": 12, "VEV": 7, "EVV": 14, "VVV": 0, "E": 17, "V": 2}
MCLUST_COLORS = {"EII": "#BEBEBE", "VII": "#000000", "EEI": "#218B21", "EVI": "#41884F", "VEI": "#508476",
                 "VVI": "#58819C", "EEE": "#597DC3", "VEE": "#5178EA", "EVE": "#716EE7", "VVE": "#9B60B8",
                 "EEV": "#B2508B", "VEV": "#C03F60", "EVV": "#C82A36", "VVV": "#CC0000", "E": "#BEBEBE",
                 "V": "#000000"}
GROUP_LABELS = {"spherical": "Spherical", "diagonal": "Diagonal", "ellipsoidal": "Ellipsoidal"}
#: mclust name -> scikit-learn's covariance_type (the four the engine has always fitted).
SKLEARN_ALIAS = {v: k for k, v in SKLEARN_NAMES.items()}
SKLEARN_ALIAS_1D = {"E": "tied", "V": "full"}

#: Families the dialog can compare (label, likelihood kind). Continuous and discrete likelihoods are not
#: comparable (a density depends on the units, a probability does not), so one kind is swept at a time.
FAMILIES = {"gaussian": ("Gaussian", "continuous"), "student_t": ("Student-t", "continuous"),
            "poisson": ("Poisson", "discrete"), "categorical": ("Categorical", "discrete")}
FAMILY_COLORS = {"student_t": "#E07B00", "poisson": "#1B7F79", "categorical": "#7A4E2D"}
FAMILY_SYMBOLS = {"poisson": 16, "categorical": 15}


def engine_accepts(name: str) -> bool:
    """Whether the engine's sweep takes ``name`` as a covariance type."""
    from emdesk.engine import selection

    try:
        selection._plan([1], (name,))
    except ValueError:
        return False
    return True


def engine_name(model: str, d: int) -> str | None:
    """The covariance type the engine is given for mclust's ``model`` with ``d`` columns (the mclust name
    when the engine fits it, else scikit-learn's equivalent), or None when the engine cannot fit it."""
    if engine_accepts(model):
        return model
    alias = (SKLEARN_ALIAS_1D if d == 1 else SKLEARN_ALIAS).get(model)
    return alias if alias is not None and engine_accepts(alias) else None


def mclust_name(covariance_type: str, d: int) -> str:
    """mclust's name for an engine covariance type (``"full"`` -> ``"VVV"``; in 1-D ``"V"``/``"E"``)."""
    m = SKLEARN_NAMES.get(covariance_type, covariance_type)
    if d == 1 and m in MODEL_NAMES:
        return m[0]
    return m


def model_groups(d: int) -> dict:
    """``{group label: (mclust names the engine fits, ...)}`` for data with ``d`` columns."""
    if d == 1:
        return {"One column": tuple(m for m in MODEL_NAMES_1D if engine_name(m, 1) is not None)}
    out = {}
    for group, names in MODEL_GROUPS.items():
        have = tuple(m for m in names if engine_name(m, d) is not None)
        if have:
            out[GROUP_LABELS[group]] = have
    return out


def line_key(row) -> str:
    """The plot line a row of a sweep belongs to (``emdesk.engine.family_sweep`` names the other families'
    rows by their line: ``"student_t:full"``, ``"poisson"``)."""
    return row.covariance_type


def line_label(key: str, d: int) -> str:
    """What the legend and the table call a line: ``"VVV"``, ``"t VVV"``, ``"Poisson"``."""
    if key.startswith("student_t:"):
        return "t " + mclust_name(key.split(":", 1)[1], d)
    if key in FAMILIES:
        return FAMILIES[key][0]
    return mclust_name(key, d)


def line_style(key: str, d: int) -> tuple:
    """(colour QColor, pch code, dashed) of a line key."""
    if key.startswith("student_t:"):
        m = mclust_name(key.split(":", 1)[1], d)
        return QtGui.QColor(FAMILY_COLORS["student_t"]), MCLUST_SYMBOLS.get(m, 1), True
    if key in FAMILY_COLORS:
        return QtGui.QColor(FAMILY_COLORS[key]), FAMILY_SYMBOLS.get(key, 16), False
    m = mclust_name(key, d)
    return QtGui.QColor(MCLUST_COLORS.get(m, "#1F77B4")), MCLUST_SYMBOLS.get(m, 16), False


# ------------------------------------------------------------------------------ R's plot symbols
def _square(p, s=0.42):
    p.addRect(-s, -s, 2 * s, 2 * s)


def _circle(p, r=0.45):
    p.addEllipse(-r, -r, 2 * r, 2 * r)


def _triangle(p, s=0.48):
    # pyqtgraph's y axis points up in data but symbols are drawn in screen coordinates (y down):
    # a triangle pointing up has its apex at negative y.
    p.moveTo(0, -s)
    p.lineTo(s, s * 0.75)
    p.lineTo(-s, s * 0.75)
    p.closeSubpath()


def _diamond(p, s=0.5):
    p.moveTo(0, -s)
    p.lineTo(s, 0)
    p.lineTo(0, s)
    p.lineTo(-s, 0)
    p.closeSubpath()


def _plus(p, s=0.5):
    p.moveTo(-s, 0)
    p.lineTo(s, 0)
    p.moveTo(0, -s)
    p.lineTo(0, s)


def _cross(p, s=0.36):
    p.moveTo(-s, -s)
    p.lineTo(s, s)
    p.moveTo(-s, s)
    p.lineTo(s, -s)


def _pch_path(pch: int) -> QtGui.QPainterPath:
    p = QtGui.QPainterPath()
    if pch in (0, 15):
        _square(p)
    elif pch in (1, 16):
        _circle(p)
    elif pch in (2, 17):
        _triangle(p)
    elif pch == 5:
        _diamond(p)
    elif pch == 7:  # square and x
        _square(p)
        _cross(p, 0.42)
    elif pch == 8:  # asterisk: + and x
        _plus(p, 0.45)
        _cross(p, 0.34)
    elif pch == 9:  # diamond and +
        _diamond(p)
        _plus(p)
    elif pch == 10:  # circle and +
        _circle(p)
        _plus(p, 0.45)
    elif pch == 12:  # square and +
        _square(p)
        _plus(p, 0.42)
    elif pch == 13:  # circle and x
        _circle(p)
        _cross(p, 0.32)
    elif pch == 14:  # square with a triangle inside
        _square(p)
        p.moveTo(-0.42, 0.42)
        p.lineTo(0, -0.42)
        p.lineTo(0.42, 0.42)
    else:
        _circle(p)
    return p


_PATHS: dict = {}


def symbol(pch: int) -> QtGui.QPainterPath:
    """A pyqtgraph symbol (a path in the unit square centred on 0) drawing R's ``pch``."""
    if pch not in _PATHS:
        _PATHS[pch] = _pch_path(pch)
    return _PATHS[pch]


def filled(pch: int) -> bool:
    """R's pch 15, 16, 17 are filled; the others are drawn in outline."""
    return pch in (15, 16, 17)


def counts_data(X) -> bool:
    """Every observed value a non-negative integer (Poisson can be fitted)."""
    X = np.asarray(X, dtype=float)
    v = X[np.isfinite(X)]
    return v.size > 0 and bool(np.all(v >= 0)) and bool(np.all(v == np.round(v)))
