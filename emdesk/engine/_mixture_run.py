"""One Gaussian-mixture fit as :func:`emdesk.engine.em.run_em` drives it (``_MixtureRun``: start, prepare,
fused E-step/statistics pass, M-step, snapshots) and the messages it gives; split from
:mod:`emdesk.engine.gaussian` (the estimator), which imports these names back."""

from __future__ import annotations

import numpy as np

from . import covariance_models as cm
from ._core import NotPositiveDefinite
from .em import RestartFailed
from .relative import describe
from .snapshot import Snapshot, frozen_copy


def _not_pd_message(exc, est, where):
    j = exc.component
    who = "the shared (tied) covariance" if j < 0 else f"the covariance of component {j + 1}"
    return (
        f"EM cannot continue{where}: {who} is not positive definite (a component collapsed "
        "onto too few distinct points or onto a constant column). Increase reg_covar "
        f"(now {describe(est.reg_covar, 'reg_covar')}), use fewer components (now {est.n_components}), or a "
        "constrained covariance_type ('tied', 'diag' or 'spherical')."
    )



def degenerate_mstep_message(exc, est):
    """A constrained M-step that cannot go on (``covariance_models.DegenerateMStep``), in the user's words."""
    return (f"EM cannot continue: {exc}. Increase reg_covar (now {describe(est.reg_covar, 'reg_covar')}), "
            "use fewer components or another covariance model.")


def nonfinite_message(ll, t, where0, est):
    """The log-likelihood stopped being a finite number at iteration ``t``."""
    return (
        f"The log-likelihood became {ll} at iteration {t}{where0}: the data are "
        "too extreme for the current parameters. Increase reg_covar "
        f"(now {describe(est.reg_covar, 'reg_covar')}) or use fewer components."
    )


class _MixtureRun:
    """The model context of a Gaussian mixture for :func:`emdesk.engine.em.run_em`: the fused
    E-step/statistics pass of :mod:`emdesk.engine._core` (mixture x Gaussian fast path)."""

    def __init__(self, est, ctx, inits):
        self.est, self.ctx, self.inits = est, ctx, inits
        self.W = ctx.W
        self.restart = 0
        #: tol="relative": the log-likelihood is judged in the data's own units (emdesk.engine.relative)
        self.ll_offset = _unit_offset(ctx)
        #: False: only a restart's final snapshot carries the degeneracy diagnosis (fit() and
        #: select_model never show the others; the diagnosis was a fifth of a small fit's time)
        self.interim_issues = True

    def initial_params(self, rng, interrupt):
        r = self.restart
        self.restart += 1
        return self.est._initial_params(self.ctx, self.inits, rng, interrupt, restart=r)

    def prepare(self, params, where):
        try:
            return self.ctx.prepare(params)
        except NotPositiveDefinite as exc:
            raise RestartFailed(_not_pd_message(exc, self.est, where)) from None

    def e_step(self, prep, want_stats):
        return self.ctx.em_pass(prep, want_stats)

    def m_step(self, stats):
        try:
            return self.ctx.mstep(stats)
        except cm.DegenerateMStep as exc:
            raise RestartFailed(degenerate_mstep_message(exc, self.est)) from None

    def nonfinite_message(self, ll, t, where0):
        return nonfinite_message(ll, t, where0, self.est)

    def snapshot(self, params, *, want_resp, **fields):
        est, ctx = self.est, self.ctx
        weights, means, cov = est._to_user(ctx, params)
        resp = ctx.frozen_responsibilities(weights) if want_resp else None
        if ctx.weight_exp:  # the total log-likelihood in the caller's weights (TINY_MEAN_WEIGHT)
            with np.errstate(over="ignore"):  # -inf past the float range (em.py then compares lower bounds)
                fields["log_likelihood"] = float(np.ldexp(fields["log_likelihood"], -ctx.weight_exp))
        if resp is not None and ctx.left_out is not None:  # every row of the caller's X (sample_weight 0 too)
            resp = ctx.left_out.responsibilities(resp, weights, means, cov, ctx.ct, est.missing)
        return Snapshot(
            weights=frozen_copy(weights),
            means=frozen_copy(means),
            covariances=frozen_copy(cov),
            covariance_type=ctx.model,
            responsibilities=resp,
            issues=est._diagnose(ctx, weights, cov) if self.interim_issues or fields["final"] else (),
            n_samples=ctx.n_samples,
            missing=est.missing,
            **fields,
        )

    def result(self, params, snap):
        if snap is not None:
            return {"weights": np.array(snap.weights), "means": np.array(snap.means),
                    "covariances": np.array(snap.covariances)}
        weights, means, cov = self.est._to_user(self.ctx, params)
        return {"weights": weights, "means": means, "covariances": cov}


def _unit_offset(ctx):
    """``W/2 log det`` of the data's covariance (full/tied on complete data; else of the diagonal of
    per-feature variances), directions without variance left out: added to a log-likelihood it gives
    the log-likelihood of the data in their own standardised units (the same for ``X @ M + c``)."""
    if ctx.data_cov is not None:
        lam = np.linalg.eigvalsh(ctx.data_cov)
    else:
        lam = np.asarray(ctx.data_variances, dtype=float)
    top = float(np.max(lam)) if lam.size else 0.0
    lam = lam[np.isfinite(lam) & (lam > max(top, 0.0) * 1e-12)]
    return 0.5 * ctx.W * float(np.sum(np.log(lam))) if lam.size else 0.0
