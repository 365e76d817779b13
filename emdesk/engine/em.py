"""The one EM driver: restarts, ``fit_iter`` snapshots, interrupt, convergence, failed restarts.

Every estimator of the engine (``GaussianMixture``, ``GaussianHMM``, ``PoissonHMM``,
``CategoricalHMM`` and any model built from :mod:`emdesk.engine.structures` x
:mod:`emdesk.engine.families`) runs EM through :func:`run_em`.  The driver knows nothing about
densities; it drives a *model context* (see docs/INTERFACES.md, "The EM driver"):

``ctx.W``
    the total sample weight (the log-likelihood is divided by it for ``lower_bound``).
``ctx.initial_params(rng, interrupt) -> params``
    starting parameters of one restart (may raise :class:`~emdesk.engine.init.InitInterrupted`).
``ctx.prepare(params, where) -> prep``
    whatever the E-step needs of these parameters (Cholesky factors, logs, ...); raises
    :class:`RestartFailed` when the parameters are unusable (a singular covariance).
``ctx.e_step(prep, want_stats) -> (log_likelihood, stats)``
    the total log-likelihood of the data under ``prep`` and, when asked, the sufficient
    statistics of the next M-step.
``ctx.m_step(stats) -> params``
``ctx.snapshot(params, **fields) -> Snapshot``
    the immutable snapshot of an iteration (the driver passes ``restart``, ``n_init``,
    ``iteration``, ``log_likelihood``, ``lower_bound``, ``change``, ``converged``, ``final``,
    ``want_resp``).
``ctx.result(params, snapshot) -> dict``
    the user-unit parameters kept for ``restart_parameters_``.
``ctx.nonfinite_message(ll, iteration, where) -> str``
    the error for a log-likelihood that is not finite.

Iteration semantics (those of scikit-learn, so fits agree from the same start): iteration ``t``
evaluates the log-likelihood of the current parameters (E-step) and then does an M-step.  EM
stops after ``max_iter`` M-steps, or after the M-step following the E-step whose mean
log-likelihood changed by less than ``tol`` (or, with ``tol="relative[:r]"``, whose total
log-likelihood ``l`` changed by at most ``r (1 + |l|)``, mclust's criterion); a last E-step then evaluates the final parameters,
so the last snapshot describes exactly the parameters returned.

Failed restarts (issue 10, item 6): a restart whose parameters become unusable (a singular
covariance, a log-likelihood that is not finite) is recorded with ``log_likelihood = -inf``,
``converged = False`` and ``failed`` = the reason (a sentence), and the other restarts go on.
Only when every restart fails does the fit raise ``ValueError`` (with the first failure's
reason; with ``n_init=1`` exactly the message of the failure).  A failed restart's parameters
are its last usable ones (those of its last snapshot), or its starting values when it failed
before any snapshot.
"""

from __future__ import annotations

import math

import numpy as np

from .init import InitInterrupted
from .relative import relative_amount

__all__ = ["RestartFailed", "run_em", "kept_restart", "kept_restart_note"]


class RestartFailed(Exception):
    """Raised by a model context when one restart cannot go on; ``str(exc)`` is the reason."""


def kept_restart(results):
    """The index of the restart to keep, or None when every restart failed.

    ``results``: one dict per restart with ``failed``, ``issues``, ``log_likelihood`` and
    ``lower_bound`` (as :func:`run_em` records them).  Among the restarts that did not fail, a sound
    one (no collapse in its final diagnosis, :func:`emdesk.engine.diagnostics.is_collapse`) is
    preferred to a collapsed one whatever their likelihoods: a collapsed component's likelihood is
    spuriously high (unbounded; mclust likewise reports such fits as singular), so the highest one
    among all restarts can be the nonsense one (MASS::geyser, VVI with 4 components, seed 3: -2 log L
    2314.1 collapsed against 2660.6 sound).  The best collapsed restart is kept only when every restart
    collapsed.  Within each group: the highest log-likelihood, and where two are equal (both -inf: a
    total weight near the float limit, the sum not representable) the lower bound (the same per unit
    of weight); on a tie the first.  With every restart sound this is the rule before (the highest
    (log-likelihood, lower bound)), so such fits are unchanged.
    """
    from .diagnostics import is_collapse

    best = best_key = None
    for r, res in enumerate(results):
        if res.get("failed") is not None:
            continue
        key = (not is_collapse(res.get("issues", ())), res["log_likelihood"], res["lower_bound"])
        if best is None or key > best_key:
            best, best_key = r, key
    return best


def kept_restart_note(model) -> str:
    """One sentence when the restart kept is not the one with the highest log-likelihood because
    that one (and any other above the kept one) collapsed, else "".  Reads ``best_restart_``,
    ``restart_log_likelihoods_`` and ``restart_degenerate_`` (absent: "")."""
    lls = np.asarray(getattr(model, "restart_log_likelihoods_", ()), dtype=float)
    bad = np.asarray(getattr(model, "restart_degenerate_", ()), dtype=bool)
    best = getattr(model, "best_restart_", None)
    if best is None or lls.size < 2 or bad.shape != lls.shape or not np.isfinite(lls[best]) or bad[best]:
        return ""
    above = [int(i) for i in np.flatnonzero(np.isfinite(lls) & (lls > lls[best]) & bad)]
    if not above:
        return ""
    top = max(above, key=lambda i: lls[i])
    others = "" if len(above) == 1 else f" ({len(above)} restarts above it collapsed)"
    return (f"Restart {top + 1} had the highest log-likelihood ({lls[top]:.6g}) but a collapsed component; "
            f"the best sound restart, {best + 1} ({lls[best]:.6g}), is kept{others}.")


def _where(r, n_init):
    return f" (restart {r + 1} of {n_init})" if n_init > 1 else ""


def run_em(ctx, *, n_init, max_iter, tol, rng, want_resp=False, interrupt=None, finish):
    """Generator of :class:`~emdesk.engine.snapshot.Snapshot`, one per iteration of every restart.

    ``finish(results, best)`` is called when every restart has run, with one dict per restart
    (``ctx.result(...)`` plus ``log_likelihood``, ``n_iter``, ``converged``, ``lower_bound``,
    ``issues``, ``failed`` (None, or the reason), ``log_likelihood_fall`` (the restart's highest
    total log-likelihood minus its final one, >= 0)) and the index of the kept restart
    (:func:`kept_restart`: the highest final log-likelihood among the sound restarts that did not
    fail).  Raises ``ValueError`` when every restart failed.  When ``interrupt()`` returns True during an initialisation the generator ends without
    calling ``finish``.
    """
    # tol: a number (scikit-learn: change of the mean log-likelihood) or "relative[:r]" (mclust:
    # |l_t - l_(t-1)| <= r (1 + |l_t|) on the total log-likelihood; emdesk.engine.relative)
    rtol = relative_amount(tol, "tol")
    # the relative criterion compares with the log-likelihood in the data's own units (a context may
    # set ``ll_offset``, e.g. n/2 log det of the data's covariance), so it does not depend on the units
    ll_offset = float(getattr(ctx, "ll_offset", 0.0))
    results = []
    first_failure = None
    for r in range(n_init):
        where0 = _where(r, n_init)
        try:
            params = ctx.initial_params(rng, interrupt)
        except InitInterrupted:
            return
        last = None  # (params, snapshot) of the last usable iteration
        t = 0
        prev_lb = math.nan
        prev_ll = math.nan
        peak_ll = -math.inf  # the highest log-likelihood of this restart (log_likelihood_fall_)
        converged = False
        stop_next = False
        failed = None
        try:
            prep = ctx.prepare(params, " at the initial parameters" + where0)
            while True:
                do_m = (not stop_next) and t < max_iter
                ll, stats = ctx.e_step(prep, do_m)
                if not np.isfinite(ll):
                    raise RestartFailed(ctx.nonfinite_message(ll, t, where0))
                lb = ll / ctx.W
                peak_ll = max(peak_ll, float(ll))
                change = lb - prev_lb if t > 0 else math.nan
                if do_m and t >= 1 and (abs(change) < tol if rtol is None
                                        else abs(ll - prev_ll) <= rtol * (1.0 + abs(ll + ll_offset))):
                    converged = True
                final = not do_m
                snap = ctx.snapshot(
                    params, restart=r, n_init=n_init, iteration=t, log_likelihood=float(ll),
                    lower_bound=float(lb), change=float(change), converged=bool(converged and final),
                    final=final, want_resp=want_resp,
                )
                last = (params, snap)
                yield snap
                if final:
                    break
                params = ctx.m_step(stats)
                prep = ctx.prepare(params, f" after iteration {t + 1}{where0}")
                t += 1
                prev_lb = lb
                prev_ll = ll
                if converged:
                    stop_next = True
        except RestartFailed as exc:
            failed = str(exc)
            if first_failure is None:
                first_failure = failed
        if failed is None:
            res = ctx.result(*last)
            res.update(
                log_likelihood=float(last[1].log_likelihood), n_iter=t, converged=bool(converged),
                lower_bound=float(last[1].lower_bound), issues=last[1].issues, failed=None,
                # EM never lowers the likelihood save where reg_covar holds a variance up (README):
                # how far the final log-likelihood is below the restart's highest (0: it never fell)
                log_likelihood_fall=max(0.0, peak_ll - float(last[1].log_likelihood)),
            )
        else:
            kept_params, snap = last if last is not None else (params, None)
            res = ctx.result(kept_params, snap)
            res.update(log_likelihood=-math.inf, n_iter=t, converged=False, lower_bound=-math.inf,
                       issues=() if snap is None else snap.issues, failed=failed, log_likelihood_fall=0.0)
        results.append(res)
    best = kept_restart(results)
    if best is None:
        if n_init > 1:
            raise ValueError(f"All {n_init} restarts failed; the first: {first_failure}")
        raise ValueError(first_failure)
    finish(results, best)
