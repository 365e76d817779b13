"""A model-selection sweep across mixture families (issue 13), step by step and cancellable, as the window's
selection dialog runs it.

``iter_select_families(X, families=("gaussian", "student_t"), n_components=range(1, 6),
covariance_types=("full", "diag"))`` fits each family with each number of components (Gaussian and
Student-t mixtures with each covariance type; Poisson and categorical mixtures have one "type", their own)
and yields a :class:`~emdesk.engine.selection.SelectionStep` after each fit, whose ``result`` follows the
rules of :func:`emdesk.engine.select_model` (failed fits are rows with ``error``; degenerate fits are never
chosen; ties go to fewer parameters). The rows are :class:`FamilySweepRow` (a ``SelectionRow`` with the
``family``); a Gaussian row's ``covariance_type`` is the engine's, another family's is its line name:
``"student_t:<covariance type>"``, ``"poisson"`` or ``"categorical"``.

The log-likelihoods are of the same data, so the criteria compare families, but only within one kind:
Gaussian and Student-t mixtures give densities (their value depends on the units), Poisson and categorical
mixtures probabilities; asking for both kinds is a ValueError (as :func:`emdesk.engine.select_family`).

Criteria as the families' estimators define them (``BIC = -2 log L + p log n``, ``AIC = -2 log L + 2p``,
``ICL = BIC + 2 * entropy of the responsibilities``); Gaussian rows come from
:func:`emdesk.engine.select_model`'s own sweep (threads; its ICL).
"""

from __future__ import annotations

import math
import re
import time
import warnings
from dataclasses import dataclass, fields
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

from .diagnostics import DegenerateSolutionWarning
from .relative import own_defaults
from .selection import (SelectionCancelled, SelectionRow, SelectionStep, _check_criterion, _failed_row,
                        _make_result, _plan, _reason, iter_select_model, spawned_seeds)

# Degenerate fits are rows flagged in the table, not one warning each (as in emdesk.engine.selection).
warnings.filterwarnings("ignore", category=DegenerateSolutionWarning, module=re.escape(__name__) + "$")

__all__ = ["iter_select_families", "FamilySweepRow", "FAMILY_KINDS"]

#: family -> kind of likelihood ("continuous": a density; "discrete": a probability).
FAMILY_KINDS = {"gaussian": "continuous", "student_t": "continuous", "poisson": "discrete",
                "categorical": "discrete"}
_LABELS = {"gaussian": "Gaussian", "student_t": "Student-t", "poisson": "Poisson", "categorical": "categorical"}


@dataclass(frozen=True, eq=False)
class FamilySweepRow(SelectionRow):
    """A :class:`~emdesk.engine.selection.SelectionRow` with its mixture ``family``."""

    family: str = "gaussian"

    def label(self) -> str:
        word = "component" if self.n_components == 1 else "components"
        if self.family == "gaussian":
            return f"{self.n_components} {word}, {self.covariance_type}"
        if self.family == "student_t":
            return f"{self.n_components} {word}, Student-t {self.covariance_type.split(':', 1)[1]}"
        return f"{self.n_components} {word}, {_LABELS.get(self.family, self.family)}"


def _with_family(row, family, index) -> FamilySweepRow:
    values = {f.name: getattr(row, f.name) for f in fields(SelectionRow)}
    values["index"] = index
    return FamilySweepRow(**values, family=family)


def _estimator(family):
    from .mixtures import CategoricalMixture, PoissonMixture, StudentTMixture

    return {"student_t": StudentTMixture, "poisson": PoissonMixture, "categorical": CategoricalMixture}[family]


def _t_types(covariance_types) -> list:
    """The Student-t mixture's covariance types among the Gaussian ones asked for (scikit-learn's four;
    mclust's names of them are mapped, the other models are left out)."""
    from .covariance_models import SKLEARN_NAMES
    from .mixtures import StudentTMixture

    alias = {v: k for k, v in SKLEARN_NAMES.items()}
    out = []
    for t in covariance_types:
        t = alias.get(t, t)
        try:
            StudentTMixture(covariance_type=t)._check_params()
        except ValueError:
            continue
        except AttributeError:  # pragma: no cover - an estimator without _check_params
            pass
        if t not in out:
            out.append(t)
    return out


def _fit_other(index, k, family, label, X, params, seed, should_stop) -> FamilySweepRow:
    t0 = time.perf_counter()
    try:
        kw = dict(params, n_components=k, random_state=seed)
        if family == "student_t":
            kw["covariance_type"] = label.split(":", 1)[1]
        model = _estimator(family)(**kw)
        for _ in model.fit_iter(X, interrupt=should_stop):
            if should_stop():
                raise SelectionCancelled()
        if not hasattr(model, "weights_"):
            if should_stop():
                raise SelectionCancelled()
            raise RuntimeError("the engine's fit_iter finished without a fitted model")
        n, ll, entropy = model._criteria(X)
        p = int(model.n_parameters())
        ll = float(ll)
        bic = -2.0 * ll + p * math.log(n)
        if not (math.isfinite(ll) and math.isfinite(bic)):
            raise FloatingPointError("the fit produced a non-finite log-likelihood")
        issues = tuple(getattr(model, "degeneracies_", ()) or ())
        return FamilySweepRow(index=index, n_components=k, covariance_type=label, log_likelihood=ll,
                              n_parameters=p, bic=bic, aic=-2.0 * ll + 2.0 * p, icl=bic + 2.0 * float(entropy),
                              n_iter=int(model.n_iter_), converged=bool(model.converged_),
                              degenerate=bool(issues), issues=issues, error=None, model=model,
                              seconds=time.perf_counter() - t0, family=family)
    except SelectionCancelled:
        raise
    except Exception as err:  # a failed fit is a row, never fatal to the sweep
        return _with_family(_failed_row(index, k, label, _reason(err), time.perf_counter() - t0), family, index)


def iter_select_families(
    X,
    families: Iterable[str] = ("gaussian", "student_t"),
    n_components: Iterable[int] = range(1, 6),
    covariance_types: Iterable[str] = ("full",),
    n_init: int = 5,
    criterion: str = "bic",
    random_state=None,
    *,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    max_iter: int = 100,
    init_params: str = "kmeans++",
    missing: str = "error",
    family_params: Optional[dict] = None,
    n_jobs: Optional[int] = None,
    should_stop: Optional[Callable[[], bool]] = None,
    prior=None,
) -> Iterator[SelectionStep]:
    """Fit every (family, covariance type, number of components) and yield a ``SelectionStep`` after each
    fit (``step.result``: the table so far, its best row by ``criterion`` and the reason).

    X : (n, d) float array (a categorical mixture: category codes 0, 1, ..., NaN where missing).
    families : names from :data:`FAMILY_KINDS`, all of one kind.
    covariance_types : for the Gaussian rows (what ``select_model`` takes); the Student-t rows use those of
        them its estimator has (scikit-learn's four, or mclust's names of them).
    family_params : ``{family: {keyword: value}}`` extra estimator keywords (e.g. a categorical mixture's
        ``categories``).
    n_jobs : threads for the Gaussian rows (``select_model``'s); the other families are fitted in turn.
    should_stop : checked between EM iterations; the generator then returns.
    prior : the Gaussian rows' ``prior`` (``select_model``'s; the other families have none).

    ValueError for an unknown family or criterion, none given, or continuous and discrete families mixed.
    """
    families = list(dict.fromkeys(families))
    unknown = [f for f in families if f not in FAMILY_KINDS]
    if unknown:
        raise ValueError(f"unknown family {unknown[0]!r}; choose from {', '.join(FAMILY_KINDS)}.")
    if not families:
        raise ValueError("no family to compare: give at least one of " + ", ".join(FAMILY_KINDS) + ".")
    if len({FAMILY_KINDS[f] for f in families}) > 1:
        raise ValueError("continuous (Gaussian, Student-t) and discrete (Poisson, categorical) families give "
                         "likelihoods of different kinds (densities vs probabilities) that BIC cannot compare; "
                         "compare families of one kind.")
    criterion = _check_criterion(criterion)
    covariance_types = [covariance_types] if isinstance(covariance_types, str) else list(covariance_types)
    ks = [k for k, _ in _plan(n_components, ("full",))]
    family_params = dict(family_params or {})
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]

    plan = []  # (family, label, k), Gaussian first in select_model's order
    gauss = "gaussian" in families
    if gauss:
        plan += [("gaussian", t, k) for k, t in _plan(ks, covariance_types, X.shape[1], prior)]
    n_gauss = len(plan)
    for fam in families:
        if fam == "gaussian":
            continue
        if fam == "student_t":
            types = _t_types(covariance_types) or ["full"]
            plan += [("student_t", f"student_t:{t}", k) for k in ks for t in types]
        else:
            plan += [(fam, fam, k) for k in ks]
    total = len(plan)
    ss = np.random.SeedSequence(None if random_state is None else int(random_state))
    seeds = spawned_seeds(ss, total + 1)  # 0 ... 2**31 - 1: the window's seed field holds each
    common = dict(n_init=n_init, tol=tol, max_iter=max_iter, init_params=init_params, missing=missing)
    # the estimators' own checks once (bad options are not failed fits)
    for fam in families:
        if fam != "gaussian":
            est = _estimator(fam)(**_keywords(fam, common, reg_covar, family_params))
            if hasattr(est, "_check_params"):
                est._check_params()

    stop = should_stop or (lambda: False)
    rows: list = []
    t0 = time.perf_counter()

    def step(row):
        rows.append(row)
        elapsed = time.perf_counter() - t0
        return SelectionStep(row, len(rows), total, elapsed,
                             _make_result(rows, criterion, total, False, elapsed))

    if gauss:
        gen = iter_select_model(X, ks, covariance_types, n_init, criterion, seeds[-1], tol=tol,
                                reg_covar=reg_covar, max_iter=max_iter, init_params=init_params, missing=missing,
                                n_jobs=n_jobs, should_stop=stop, prior=prior)
        try:
            got = 0
            for s in gen:
                got += 1
                yield step(_with_family(s.row, "gaussian", s.row.index))
            if got < n_gauss:  # cancelled
                return
        finally:
            gen.close()
    for i in range(n_gauss, total):
        fam, label, k = plan[i]
        if stop():
            return
        try:
            row = _fit_other(i, k, fam, label, X, _keywords(fam, common, reg_covar, family_params), seeds[i],
                             stop)
        except SelectionCancelled:
            return
        yield step(row)


def _keywords(family, common, reg_covar, family_params) -> dict:
    """The keywords of ``family``'s estimator among the sweep's options (its own defaults otherwise)."""
    cls = _estimator(family)
    accepted = set(cls().get_params())
    kw = {k: v for k, v in dict(common, reg_covar=reg_covar).items() if k in accepted}
    if family == "categorical" and kw.get("init_params") == "kmeans++":
        kw.pop("init_params")  # a latent class model starts from random responsibilities (poLCA)
    # the Gaussian mixture's own settings (emEM, relative tol/reg_covar) -> this estimator's defaults
    kw = own_defaults(cls, kw)
    kw.update({k: v for k, v in family_params.get(family, {}).items() if k in accepted})
    return kw
