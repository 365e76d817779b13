"""EM on Dask data with the restarts side by side (issue 16, item 4; issue 11's restarts).

Reading the data is what a pass over Dask data costs (files re-read, rows regenerated), so the
``n_init`` restarts of a Dask fit are not run one after another (``n_init`` times the passes):
:func:`run_side_by_side` starts every restart (their starting values from the in-memory sample,
:mod:`emdesk.engine._dask_context`), then runs their EM iterations in lockstep, and each pass
over the data computes the E-step and M-step statistics of every restart still running
(:func:`emdesk.engine._dask_chunks.em_chunk`: a chunk is read and standardised once for all of
them).  A fit of ``n_init`` restarts therefore reads the data ``1 + max_t (n_iter_t + 1)`` times
(pass 0, then one pass per iteration of the longest restart), not ``1 + sum_t (n_iter_t + 1)``.

Each restart's iterations are exactly those of :func:`emdesk.engine.em.run_em` (the same
semantics of ``max_iter``, ``tol``, convergence, failed restarts and the kept restart), so the
fit equals the in-memory one from the same starts.  Only the order of the snapshots differs:
``fit_iter`` yields them round by round (restart 1's iteration t, restart 2's iteration t, ...,
then iteration t + 1), each with its ``restart`` and ``iteration``.
"""

from __future__ import annotations

import math

import numpy as np

from . import covariance_models as cm
from ._core import NotPositiveDefinite
from ._dask_context import RestartState
from .diagnostics import diagnose
from .em import RestartFailed, _where, kept_restart
from .init import InitInterrupted
from .relative import relative_amount
from .snapshot import Snapshot, frozen_copy

__all__ = ["DaskRun", "run_side_by_side"]


class DaskRun:
    """The model context of a Gaussian mixture on Dask data: what :func:`emdesk.engine.em.run_em`
    asks of one (docs/INTERFACES.md, "The EM driver"), with ``e_steps`` for several parameter
    sets in one pass and a per-restart M-step state."""

    def __init__(self, est, ctx, inits, rng, sample_rows):
        from .gaussian import _unit_offset

        self.est, self.ctx, self.inits = est, ctx, inits
        self.restart = 0
        # the sample's in-memory context (when the start is not given whole): gathered now, so the
        # units are settled (every row in the sample: the in-memory fit's own) before EM runs
        self.sctx = ctx.sample_context(rng, sample_rows) if sample_rows is not None else None
        self.W = ctx.W
        #: tol="relative": the log-likelihood judged in the data's own units, as the in-memory fit
        self.ll_offset = _unit_offset(ctx)

    def initial_params(self, rng, interrupt):
        """``(params, RestartState)`` of the next restart: ``est._initial_params`` on the sample's
        in-memory context (every ``init_params``, emEM's exploration included), in this fit's units."""
        r = self.restart
        self.restart += 1
        ctx = self.ctx
        w0, m0, c0 = self.inits
        if self.sctx is None:  # the whole start given
            std, ct = ctx.std, ctx.ct
            return (w0.copy(), std.means_to_z(m0), std.cov_to_z(c0, ct)), RestartState(ctx)
        sctx = self.sctx
        params = self.est._initial_params(sctx, self.inits, rng, interrupt, restart=r)
        # the warm start of an iterative constrained M-step is in the sample's units: kept when they are ours
        dec = sctx._decomposition if sctx.std is ctx.std else None
        return ctx.from_sample_units(params, sctx), RestartState(ctx, dec)

    def prepare(self, params, where):
        try:
            return self.ctx.prepare(params)
        except NotPositiveDefinite as exc:
            from .gaussian import _not_pd_message

            raise RestartFailed(_not_pd_message(exc, self.est, where)) from None

    def e_steps(self, jobs):
        return self.ctx.em_pass(jobs)

    def m_step(self, stats, state):
        try:
            return self.ctx.mstep(stats, state)
        except cm.DegenerateMStep as exc:
            from ._mixture_run import degenerate_mstep_message

            raise RestartFailed(degenerate_mstep_message(exc, self.est)) from None

    def nonfinite_message(self, ll, t, where0):
        from ._mixture_run import nonfinite_message

        return nonfinite_message(ll, t, where0, self.est)

    def _user(self, params):
        weights, mz, cz = params
        std = self.ctx.std
        return weights.copy(), std.means_to_user(mz), std.cov_to_user(cz, self.ctx.ct)

    def snapshot(self, params, *, want_resp, **fields):
        ctx = self.ctx
        weights, means, cov = self._user(params)
        return Snapshot(
            weights=frozen_copy(weights), means=frozen_copy(means), covariances=frozen_copy(cov),
            covariance_type=ctx.model, responsibilities=None,
            issues=diagnose(weights, cov, ctx.ct, ctx.W,
                            ctx.data_variances if ctx.data_cov is None else ctx.data_cov, ctx.reg_user,
                            null_space=ctx.null_space, binary_columns=ctx.binary, column_names=ctx.names),
            n_samples=ctx.W, missing=self.est.missing, **fields,
        )

    def result(self, params, snap):
        if snap is not None:
            return {"weights": np.array(snap.weights), "means": np.array(snap.means),
                    "covariances": np.array(snap.covariances)}
        weights, means, cov = self._user(params)
        return {"weights": weights, "means": means, "covariances": cov}


class _Track:
    """The state of one restart between passes (the local variables of ``run_em``'s loop)."""

    def __init__(self, r, params, state):
        self.r, self.params, self.state = r, params, state
        self.prep = None
        self.t = 0
        self.prev_lb = math.nan
        self.prev_ll = math.nan
        self.converged = False
        self.stop_next = False
        self.failed = None
        self.done = False
        self.last = None  # (params, snapshot) of the last usable iteration


def run_side_by_side(run, *, n_init, max_iter, tol, rng, interrupt=None, finish):
    """Generator of snapshots: ``run_em``'s restarts, their passes over the data shared (see the
    module's docstring).  ``finish(results, best)`` as in :func:`emdesk.engine.em.run_em`;
    ValueError when every restart failed."""
    rtol = relative_amount(tol, "tol")
    ll_offset = float(getattr(run, "ll_offset", 0.0))
    tracks = []
    for r in range(n_init):
        try:
            params, state = run.initial_params(rng, interrupt)
        except InitInterrupted:
            return
        tr = _Track(r, params, state)
        try:
            tr.prep = run.prepare(params, " at the initial parameters" + _where(r, n_init))
        except RestartFailed as exc:
            tr.failed = str(exc)
        tracks.append(tr)
    while True:
        live = [tr for tr in tracks if tr.failed is None and not tr.done]
        if not live:
            break
        wants = [(not tr.stop_next) and tr.t < max_iter for tr in live]
        outs = run.e_steps([(tr.prep, want) for tr, want in zip(live, wants)])
        for tr, do_m, (ll, stats) in zip(live, wants, outs):
            where0 = _where(tr.r, n_init)
            try:
                if not np.isfinite(ll):
                    raise RestartFailed(run.nonfinite_message(ll, tr.t, where0))
                lb = ll / run.W
                change = lb - tr.prev_lb if tr.t > 0 else math.nan
                if do_m and tr.t >= 1 and (abs(change) < tol if rtol is None
                                           else abs(ll - tr.prev_ll) <= rtol * (1.0 + abs(ll + ll_offset))):
                    tr.converged = True
                final = not do_m
                snap = run.snapshot(
                    tr.params, restart=tr.r, n_init=n_init, iteration=tr.t, log_likelihood=float(ll),
                    lower_bound=float(lb), change=float(change), converged=bool(tr.converged and final),
                    final=final, want_resp=False,
                )
                tr.last = (tr.params, snap)
                yield snap
                if final:
                    tr.done = True
                    continue
                tr.params = run.m_step(stats, tr.state)
                tr.prep = run.prepare(tr.params, f" after iteration {tr.t + 1}{where0}")
                tr.t += 1
                tr.prev_lb = lb
                tr.prev_ll = ll
                if tr.converged:
                    tr.stop_next = True
            except RestartFailed as exc:
                tr.failed = str(exc)
    results = []
    for tr in tracks:
        if tr.failed is None:
            res = run.result(*tr.last)
            res.update(log_likelihood=float(tr.last[1].log_likelihood), n_iter=tr.t, converged=bool(tr.converged),
                       lower_bound=float(tr.last[1].lower_bound), issues=tr.last[1].issues, failed=None)
        else:
            kept_params, snap = tr.last if tr.last is not None else (tr.params, None)
            res = run.result(kept_params, snap)
            res.update(log_likelihood=-math.inf, n_iter=tr.t, converged=False, lower_bound=-math.inf,
                       issues=() if snap is None else snap.issues, failed=tr.failed)
        results.append(res)
    best = kept_restart(results)  # as run_em: the best sound restart (tracks are in restart order)
    if best is None:
        first_failure = tracks[0].failed
        if n_init > 1:
            raise ValueError(f"All {n_init} restarts failed; the first: {first_failure}")
        raise ValueError(first_failure)
    finish(results, best)
