"""Model selection across emission families on the same columns (issue 13).

``select_family(X, families=("gaussian", "student_t"), n_components=(1, 2, 3))`` fits every
(family, number of components) pair and compares them by BIC (or AIC / ICL; lower is better).
The log-likelihoods are of the same data, so the criteria compare the families directly - as long
as they are all densities of the same kind: continuous families (Gaussian, Student-t) give
densities with respect to Lebesgue measure, discrete ones (Poisson, categorical) probabilities of
the observed values, and the two are not comparable (a density's value depends on the units);
mixing them is a ValueError.

Rules as :func:`emdesk.engine.select_model`: a fit that raises becomes a row with ``error`` set;
a fit with degeneracy issues is flagged ``degenerate`` and not chosen; ties go to fewer parameters.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .diagnostics import DegenerateSolutionWarning
from .gaussian import GaussianMixture
from .mixtures import CategoricalMixture, MixedMixture, PoissonMixture, StudentTMixture

warnings.filterwarnings("ignore", category=DegenerateSolutionWarning, module=re.escape(__name__) + "$")

__all__ = ["select_family", "FamilyRow", "FamilySelectionResult", "FAMILIES"]

#: Family names -> (estimator class, kind of likelihood).
FAMILIES = {
    "gaussian": (GaussianMixture, "continuous"),
    "student_t": (StudentTMixture, "continuous"),
    "poisson": (PoissonMixture, "discrete"),
    "categorical": (CategoricalMixture, "discrete"),
}
_LABELS = {"gaussian": "Gaussian", "student_t": "Student-t", "poisson": "Poisson", "categorical": "categorical",
           "mixed": "mixed"}


@dataclass(frozen=True, eq=False)
class FamilyRow:
    """One fit.  Failed fits have ``error`` set, ``model`` None and NaN scores."""

    family: str
    n_components: int
    log_likelihood: float
    n_parameters: int
    bic: float
    aic: float
    icl: float
    degenerate: bool
    error: Optional[str]
    model: object
    seconds: float

    @property
    def eligible(self) -> bool:
        return self.error is None and not self.degenerate and math.isfinite(self.bic)

    def label(self) -> str:
        word = "component" if self.n_components == 1 else "components"
        return f"{_LABELS.get(self.family, self.family)}, {self.n_components} {word}"


@dataclass(frozen=True, eq=False)
class FamilySelectionResult:
    table: list  # list[FamilyRow], in fitting order (families, then component counts)
    criterion: str
    best_row: Optional[FamilyRow]
    message: str  # one or two sentences: which family the criterion prefers and by how much

    @property
    def best(self):
        return None if self.best_row is None else self.best_row.model

    @property
    def best_family(self):
        return None if self.best_row is None else self.best_row.family

    def best_by_family(self):
        """``{family: row}``, the lowest-criterion eligible row of each family."""
        out = {}
        for r in self.table:
            if r.eligible and (r.family not in out
                               or getattr(r, self.criterion) < getattr(out[r.family], self.criterion)):
                out[r.family] = r
        return out


def _kind(est):
    for name, (cls, kind) in FAMILIES.items():
        if type(est) is cls:
            return name, kind
    if isinstance(est, MixedMixture):
        return "mixed", "mixed"
    raise ValueError(f"{type(est).__name__} is not a mixture estimator select_family knows.")


def select_family(X, families=("gaussian", "student_t"), n_components=(1, 2, 3), *, criterion="bic",
                  candidates=None, **params):
    """Fit each family with each number of components on the same ``X`` and pick by ``criterion``.

    Parameters
    ----------
    X : (n, d) array (text allowed for "categorical").
    families : names from :data:`FAMILIES` ("gaussian", "student_t", "poisson", "categorical").
    n_components : iterable of ints >= 1.
    criterion : "bic" | "aic" | "icl" (lower is better).
    candidates : optional list of unfitted estimators (any of GaussianMixture, StudentTMixture,
        PoissonMixture, CategoricalMixture, MixedMixture) fitted instead of ``families`` x
        ``n_components``.
    **params : constructor keywords given to every estimator that takes them (e.g. ``n_init``,
        ``random_state``, ``covariance_type``, ``missing``, ``max_iter``, ``tol``).

    Returns a :class:`FamilySelectionResult`: ``table`` (one :class:`FamilyRow` per fit),
    ``best_row`` / ``best`` (fitted model) / ``best_family`` and ``message``.

    Errors: ValueError for an unknown family or criterion, no candidate, or continuous and discrete
    families mixed (their likelihoods are not comparable).
    """
    if criterion not in ("bic", "aic", "icl"):
        raise ValueError(f"criterion must be 'bic', 'aic' or 'icl'; got {criterion!r}.")
    if candidates is None:
        ests = []
        for fam in families:
            if fam not in FAMILIES:
                raise ValueError(f"unknown family {fam!r}; choose from {', '.join(FAMILIES)}.")
            cls = FAMILIES[fam][0]
            accepted = cls().get_params() if cls is not GaussianMixture else GaussianMixture().get_params()
            kw = {k: v for k, v in params.items() if k in accepted}
            for k in n_components:
                ests.append(cls(n_components=int(k), **kw))
    else:
        ests = list(candidates)
    if not ests:
        raise ValueError("no candidate model to compare: give at least one family and one n_components.")
    kinds = {_kind(e)[1] for e in ests}
    if len(kinds) > 1:
        raise ValueError("continuous (Gaussian, Student-t) and discrete (Poisson, categorical) families give "
                         "likelihoods of different kinds (densities vs probabilities) that BIC cannot compare; "
                         "compare families of one kind.")
    rows = []
    for est in ests:
        fam = _kind(est)[0]
        t0 = time.perf_counter()
        try:
            est.fit(X)
            n_par = int(est.n_parameters())
            if isinstance(est, GaussianMixture):
                sc = est._scores(X)
                ll, bic, aic, icl = sc["log_likelihood"], sc["bic"], sc["aic"], sc["icl"]
            else:
                n, ll, ent = est._criteria(X)
                bic = -2.0 * ll + n_par * math.log(n)
                aic = -2.0 * ll + 2.0 * n_par
                icl = bic + 2.0 * ent
            rows.append(FamilyRow(fam, int(est.n_components), float(ll), n_par, float(bic), float(aic),
                                  float(icl), bool(getattr(est, "degeneracies_", ())), None, est,
                                  time.perf_counter() - t0))
        except ValueError as exc:
            rows.append(FamilyRow(fam, int(est.n_components), math.nan, 0, math.nan, math.nan, math.nan, False,
                                  str(exc), None, time.perf_counter() - t0))
    ok = [r for r in rows if r.eligible]
    if not ok:
        return FamilySelectionResult(rows, criterion, None,
                                     "No fit succeeded without degeneracy; see the table's errors and issues.")
    best = min(ok, key=lambda r: (getattr(r, criterion), r.n_parameters))
    name = criterion.upper()
    msg = f"{name} prefers the {best.label()} model ({name} {getattr(best, criterion):.2f})."
    others = {}
    for r in ok:
        if r.family != best.family and (r.family not in others
                                        or getattr(r, criterion) < getattr(others[r.family], criterion)):
            others[r.family] = r
    for r in others.values():
        msg += (f" The best {_LABELS.get(r.family, r.family)} fit ({r.n_components} components) has {name} "
                f"{getattr(r, criterion):.2f}, {getattr(r, criterion) - getattr(best, criterion):.2f} higher.")
    return FamilySelectionResult(rows, criterion, best, msg)
