"""Model selection for hidden Markov models (issue 12): fit every number of states (and, for Gaussian
emissions, every covariance type) and compare them by BIC, AIC or ICL, with the same rows, result and
choice rules as the mixtures' sweep (:mod:`emdesk.engine.selection`), so the window's dialog shows both.

Criteria (lower is better): ``BIC = -2 log L + p log n``, ``AIC = -2 log L + 2 p`` (the estimators' own
``bic``/``aic``; ``n`` the number of observations, all sequences together, as hmmlearn and
Zucchini & MacDonald, *Hidden Markov Models for Time Series*, 2nd ed., sec. 6.1, count it), and the
estimators' own ICL, ``BIC - 2 log p(s* | X)`` with ``s*`` the Viterbi path (:func:`emdesk.engine.hmm.hmm_icl`,
Celeux & Durand 2008), the number the Results summary shows for the chosen fit. (It was
``BIC + 2 * sum_t H(gamma_t)`` from the states' marginal posteriors, a third ICL: the table and the summary
of one fit disagreed.)

A ``transmat_prior`` (hmmlearn's Dirichlet prior on each transition row) is passed to every candidate's fit,
so the sweep compares the models the user would fit (the window's Transition prior field, issue 16's list).
A number is the same prior for every number of states; a (k, k) array holds for k states only, so a sweep
that tries another number of states with it is refused before any fit (ValueError naming the numbers),
rather than fitting some candidates with the prior and others without it.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

from .hmm import hmm_icl
from .structures.markov_init import check_transmat_prior
from .selection import (SelectionCancelled, SelectionRow, SelectionStep, _check_criterion, _failed_row,
                        _make_result, _plan, _reason, _seeds)

FAMILIES = ("gaussian", "poisson", "categorical")


def _estimator(family):
    from . import CategoricalHMM, GaussianHMM, PoissonHMM

    return {"gaussian": GaussianHMM, "poisson": PoissonHMM, "categorical": CategoricalHMM}[family]


def _fit_one(index, k, label, family, X, lengths, params, seed, should_stop) -> SelectionRow:
    t0 = time.perf_counter()
    try:
        kw = dict(params, n_components=k, random_state=seed)
        if family == "gaussian":
            kw["covariance_type"] = label
        model = _estimator(family)(**kw)
        for _ in model.fit_iter(X, lengths, interrupt=should_stop):
            if should_stop():
                raise SelectionCancelled()
        if not hasattr(model, "transmat_"):
            if should_stop():
                raise SelectionCancelled()
            raise RuntimeError("the engine's fit_iter finished without a fitted model")
        ll = float(model.log_likelihood_)
        p = int(model.n_parameters())
        n = int(np.asarray(X).shape[0])
        bic = -2.0 * ll + p * math.log(n)
        icl = float(hmm_icl(model, X, lengths))  # as the Results summary (summary_kinds._hmm_scores)
        if not (math.isfinite(ll) and math.isfinite(bic)):
            raise FloatingPointError("the fit produced a non-finite log-likelihood")
        issues = tuple(getattr(model, "degeneracies_", ()) or ())
        return SelectionRow(index=index, n_components=k, covariance_type=label, log_likelihood=ll,
                            n_parameters=p, bic=bic, aic=-2.0 * ll + 2.0 * p, icl=icl,
                            n_iter=int(model.n_iter_), converged=bool(model.converged_), degenerate=bool(issues),
                            issues=issues, error=None, model=model, seconds=time.perf_counter() - t0)
    except SelectionCancelled:
        raise
    except Exception as err:  # a failed fit is a row, never fatal to the sweep
        return _failed_row(index, k, label, _reason(err), time.perf_counter() - t0)


def _check_prior_for_plan(prior, ks) -> None:
    """ValueError unless ``prior`` suits every number of states in ``ks`` (the engine's
    :func:`check_transmat_prior` per k): a number always does (if finite and >= 0), an (m, m) array only
    a sweep over m states alone."""
    try:
        shape = np.shape(prior)
    except ValueError:  # ragged lists: check_transmat_prior says what it takes
        shape = None
    if shape is not None and len(shape) == 2 and shape[0] == shape[1] and list(ks) != [shape[0]]:
        m = shape[0]
        check_transmat_prior(prior, m)  # its values first (finite, >= 0)
        tried = ", ".join(str(k) for k in ks)
        raise ValueError(f"transmat_prior is a ({m}, {m}) array, a prior for {m} states only; the sweep tries "
                         f"{tried} states. Give a number (the same prior for every number of states) or sweep "
                         f"{m} states only.")
    for k in ks:
        check_transmat_prior(prior, k)


def iter_select_hmm(
    X,
    lengths=None,
    n_components: Iterable[int] = range(1, 6),
    covariance_types: Iterable[str] = ("diag",),
    n_init: int = 3,
    criterion: str = "bic",
    random_state=None,
    *,
    family: str = "gaussian",
    tol: float = 1e-3,
    max_iter: int = 100,
    init_params: Optional[str] = None,
    missing: str = "error",
    reg_covar: Optional[float] = None,
    transmat_prior=None,
    should_stop: Optional[Callable[[], bool]] = None,
) -> Iterator[SelectionStep]:
    """Fit a ``family`` HMM ("gaussian", "poisson", "categorical") for each number of states in
    ``n_components`` (x each of ``covariance_types`` for Gaussian emissions; other families have one
    "type", their own name), in turn, yielding a :class:`~emdesk.engine.selection.SelectionStep` after
    each fit (``step.result``: the table so far and its best row by ``criterion``). ``X`` (n, d) in fit
    order, ``lengths`` rows per sequence (None: one sequence). ``should_stop`` is checked between EM
    iterations. ``transmat_prior`` (None, a number, or a (k, k) array when every candidate has k states)
    is every candidate's Dirichlet prior on the transition rows (:func:`check_transmat_prior` per
    candidate). ValueError for an unknown family, criterion, type or bad option, and for a (k, k)
    ``transmat_prior`` in a sweep that tries another number of states."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {family!r}.")
    criterion = _check_criterion(criterion)
    if family == "gaussian":
        plan = _plan(n_components, covariance_types)
    else:
        plan = [(k, family) for k, _ in _plan(n_components, ("diag",))]
    params = dict(n_init=n_init, tol=tol, max_iter=max_iter, missing=missing)
    if init_params is not None:
        params["init_params"] = init_params
    if reg_covar is not None and family == "gaussian":
        params["reg_covar"] = reg_covar
    if transmat_prior is not None:
        _check_prior_for_plan(transmat_prior, sorted({k for k, _ in plan}))
        params["transmat_prior"] = transmat_prior
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    # the engine's own checks once (bad options are not failed fits)
    probe = _estimator(family)(n_components=1, **{k: v for k, v in params.items() if k != "transmat_prior"})
    probe._check_params()
    seeds = _seeds(random_state, len(plan))
    stop = should_stop or (lambda: False)
    rows: list = []
    t0 = time.perf_counter()
    for i, (k, label) in enumerate(plan):
        if stop():
            return
        try:
            row = _fit_one(i, k, label, family, X, lengths, params, seeds[i], stop)
        except SelectionCancelled:
            return
        rows.append(row)
        elapsed = time.perf_counter() - t0
        yield SelectionStep(row, len(rows), len(plan), elapsed, _make_result(rows, criterion, len(plan), False, elapsed))
