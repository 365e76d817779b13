"""The data side of a Gaussian mixture fitted to Dask data (issue 16, item 4): pass 0, the
initialisation's sample, the EM passes and the M-step.

* **Pass 0** (:class:`DaskContext`): row and per-column counts, means and variances, and the
  complete rows' mean and covariance, per chunk (:func:`emdesk.engine._dask_chunks.moments_chunk`),
  combined into the standardisation (shift = the column means, scale as ``_core.Standardizer``),
  the checks (NaN, infinite values, empty columns), ``reg_covar="relative"`` (the data's
  covariance or variances) and mclust's default prior (``prior="default"``: the complete rows'
  mean and covariance, as ``emdesk.engine.prior.default_prior`` computes them from the rows).
  With known chunk sizes the initialisation's sample is gathered in the same pass.
* **The sample** (:meth:`DaskContext.sample_context`): at most ``sample_rows`` rows drawn
  without replacement (seeded; every row when there are fewer, and then no random number is
  drawn), fitted in memory by the in-memory estimator's own context
  (``emdesk.engine.gaussian._Context``): every ``init_params``, including ``"emEM"``'s
  hierarchical start and short exploratory runs, runs on it exactly as in memory.  When the sample
  holds every row, the Dask fit takes that context's standardisation, regularisation and prior,
  so it is the in-memory fit (up to the order of floating-point sums).
* **EM passes** (:meth:`DaskContext.em_pass`): the E-step of every live restart in one pass
  (:func:`emdesk.engine._dask_chunks.em_chunk`), the per-chunk vectors summed by Dask's tree
  reduction; the M-step from the sums: the storage layout's M-step (as ``_core.mstep``), then
  mclust's constrained step or the MAP step of the prior, each by the in-memory code
  (``_Context._constrain``), with one warm start per restart for the iterative models.
"""

from __future__ import annotations

import math
import types

import numpy as np

import dask

from . import _dask_chunks as C
from . import _validation as V
from . import covariance_models as cm
from ._core import EPS, TWO_PASS_RATIO, Layout, Prepared, Standardizer
from ._kernels import expanded_covariances

__all__ = ["DaskContext", "RestartState", "prior_from_moments"]


def _context_class():
    from .gaussian import _Context

    return _Context


class RestartState:
    """One restart's M-step state (the warm start of an iterative constrained M-step) over the
    shared :class:`DaskContext`: ``_constrain`` is the in-memory context's own method, so the
    constrained and MAP M-steps are one implementation."""

    def __init__(self, ctx, decomposition=None):
        self._ctx = ctx
        self._decomposition = decomposition

    def __getattr__(self, attr):
        return getattr(self._ctx, attr)

    def _constrain(self, params):
        return _context_class()._constrain(self, params)


def prior_from_moments(n, mean, cross, n_components, model, d, overrides=None):
    """mclust's ``defaultPrior`` (:func:`emdesk.engine.prior.default_prior`) from the complete
    rows' count ``n``, mean (d,) and centred cross-product sum ``cross`` (d, d) instead of the
    rows: shrinkage 0.01, mean = the data's mean, dof ``d + 2`` (3 for E/V), scale from the
    covariance with ``n - 1`` in the denominator (Fraley & Raftery 2007; mclust 6.0's
    ``defaultPrior``).  ``overrides``: a dict of ``shrinkage``, ``mean``, ``dof``, ``scale``
    replacing those defaults as ``default_prior``'s keywords do (mclust's ``priorControl``)."""
    from . import prior as P

    if n < 2:
        raise ValueError("prior='default' needs at least 2 rows with every value observed (the prior's "
                         "mean and scale are the data's).")
    G = int(n_components)
    cov = cross / (n - 1.0)
    var = np.diagonal(cov).copy()
    m = cm.canonical_model(model, d)
    if d == 1 and m in ("E", "V"):
        dof, scale = 3.0, float(var[0]) / G ** 2
    elif m[-1] == "I":
        dof, scale = d + 2.0, (G ** (-2.0 / d)) * float(np.sum(var)) / d
    else:
        dof = d + 2.0
        scale = (G ** (-2.0 / d)) * (cov if n > d else np.diag(var))
    shrinkage = 0.01
    ov = overrides or {}
    if "shrinkage" in ov:
        shrinkage = 0.0 if ov["shrinkage"] is None or not ov["shrinkage"] else float(ov["shrinkage"])
    if ov.get("mean") is not None:
        mean = np.asarray(ov["mean"], dtype=float).reshape(d)
    if ov.get("dof") is not None:
        dof = float(ov["dof"])
    if ov.get("scale") is not None:
        scale = (float(np.ravel(ov["scale"])[0]) if np.ndim(scale) == 0
                 else np.asarray(ov["scale"], dtype=float).reshape(d, d))
    return P.ConjugatePrior(shrinkage, np.asarray(mean, dtype=float).copy(), dof, scale)


class DaskContext:
    """Pass 0, the sample and the EM passes of one Dask fit (see the module's docstring).
    ``n_passes`` counts the passes over the data (pass 0, the sample when it needs its own
    pass, every EM pass and every extra scatter pass)."""

    def __init__(self, est, X, rng=None, sample_size=None, names=None):
        """``sample_size`` (with ``rng``): gather the initialisation's sample in pass 0 already
        when the chunks' row counts are known (otherwise in a pass of its own, when asked).
        ``names``: the columns' names (a DataFrame's), for the messages."""
        self.est = est
        self.names = names
        self.model = est.covariance_type  # the user's name (scikit-learn's or mclust's)
        self.k = k = est.n_components
        self.X = X
        self.d = d = X.shape[1]
        self.ct = ct = V.covariance_layout(self.model, d)  # the storage layout (ValueError for E/V with d > 1)
        self.constraint = cm.canonical_model(self.model, d) if cm.needs_constraint(self.model, d) else None
        if k == 1 and ct != "tied":
            self.constraint = None  # as the in-memory context: one component, the layout's M-step is the maximum
        self.n_passes = 0
        self._sample_ctx = None
        self._sample_parts = None
        moments = C.per_chunk(X, C.moments_chunk, C.moments_width(d), "moments")
        if sample_size is not None and not any(math.isnan(c) for c in X.chunks[0]):
            parts = self._gather(np.array(X.chunks[0], dtype=np.int64), rng, sample_size)
            # not optimised, so that fusion does not rename X's chunks: each is made once
            moments, *self._sample_parts = dask.compute(moments, *parts, optimize_graph=False)
        else:
            moments = moments.compute()
        self.n_passes += 1
        n_rows = int(moments[:, 0].sum())
        if n_rows == 0:
            raise ValueError("X has no rows: give at least one row of data.")
        n_inf = int(moments[:, 2].sum())
        if n_inf:
            raise ValueError(f"X contains {n_inf} infinite value(s): remove or replace them.")
        with np.errstate(all="ignore"):  # overflowing columns: refused by _column_checks
            cnt, shift, var, nc, mean_c, cross_c = C.combine_moments(moments, d)
        self.chunk_rows = moments[:, 0].astype(np.int64)
        self.n_rows = n_rows
        n_missing = int(n_rows * d - cnt.sum())
        self.has_missing = n_missing > 0
        if self.has_missing and est.missing == "error":
            raise ValueError(
                f"X contains {n_missing} missing (NaN) value(s): drop or impute the incomplete rows, "
                "or use missing='marginalize'.")
        self.n_rows_all_missing = int(moments[:, 1].sum())
        n_with_data = n_rows - self.n_rows_all_missing
        if n_with_data == 0:
            raise ValueError("X has no row with an observed value (every row is all NaN): give rows with data.")
        if k > n_with_data:
            raise ValueError(
                f"n_components={k} is larger than the number of rows with data "
                f"({n_with_data}): choose at most {n_with_data} components.")
        empty = np.flatnonzero(cnt == 0)
        if empty.size:
            cols = ", ".join(str(j + 1) for j in empty)
            which = f"column {cols} has" if empty.size == 1 else f"columns {cols} have"
            raise ValueError(
                f"X {which} no observed value (every cell is NaN), so there is nothing to estimate a "
                "mean or variance from: leave such columns out.")
        var = self._column_checks(moments, cnt, shift, var, nc, cross_c)
        self.W = float(n_with_data)
        self.w = None
        #: no sample weights on Dask data: the counts as read (see _mixture_context.TINY_MEAN_WEIGHT)
        self.weight_exp = 0
        self.n_samples = self.W
        self.layout = Layout(ct, d, k)
        # as the in-memory context: EEV, VEV, EVE, VVE are fitted with one scale for every feature
        scale_kind = "spherical" if self.constraint in ("EEV", "VEV", "EVE", "VVE") else ct
        std = Standardizer(shift, Standardizer._safe_scale(var, scale_kind, shift), var)
        data_cov = cross_c / nc if (ct in ("full", "tied") and not self.has_missing) else None
        prior = None
        if est.prior is not None:
            from . import prior as P

            m = cm.canonical_model(self.model, d)
            if m not in P.POSTERIOR_MODELS:
                raise ValueError(f"prior='default' is available with covariance_type VVV/full, EEE/tied, "
                                 f"VVI/diag, VII/spherical (E, V in 1-D); not with {self.model!r}.")
            # a dict prior (mclust's priorControl overrides), where the estimator accepts one
            p = prior_from_moments(nc, mean_c, cross_c, k, m, d, est.prior if isinstance(est.prior, dict) else None)
            # a constant or dependent column: the in-memory fit's message (two pseudo-rows that are constant
            # exactly in the columns whose variance in the prior's scale is 0)
            sd = np.sqrt(np.clip(np.diag(p.scale) if np.ndim(p.scale) == 2 else np.broadcast_to(p.scale, (d,)),
                                 0.0, None))
            P.check_scale(p.scale, np.vstack([-sd, sd]), self.names if hasattr(self, "names") else None)
            prior = (m, p, None)
        self._set_model_units(std, data_cov, prior)

    def _column_checks(self, moments, cnt, shift, var, nc, cross_c):
        """The in-memory fit's column checks from pass 0's moments (``_mixture_context``): a column
        whose values' squares overflow is refused (ValueError naming it, before any arithmetic on
        it); constant columns (every observed value equal: their variance set to 0 exactly, their
        shift to that value) and, for full/tied covariances, exact linear dependence among the
        complete rows' columns are said in ``notes`` (``column_notes_``, a DataColumnWarning), and
        ``null_space`` goes to the degeneracy diagnosis.  Returns the variances."""
        d = self.d
        lo, hi = C.column_range(moments, d)
        seen = cnt > 0
        with np.errstate(all="ignore"):
            wide = seen & ~((hi - lo) <= 2.0 * V.MAX_CENTRED_MAGNITUDE) | seen & ~np.isfinite(var)
        if wide.any():
            j = int(np.flatnonzero(wide)[0])
            raise ValueError(
                f"{V.column_label(j, self.names).capitalize()} holds values from {lo[j]:.3g} to {hi[j]:.3g}: "
                "their squares overflow double precision (largest number about 1.8e308), so no variance or "
                "likelihood can be computed. If such values are fill values for 'no data', replace them by NaN "
                "(missing='marginalize'); otherwise rescale the column (divide it by a power of ten, or take "
                "its logarithm).")
        self.range = (lo, hi)
        self.constant = [int(j) for j in np.flatnonzero(seen & (lo == hi))]
        var = var.copy()
        var[self.constant] = 0.0  # exactly, as in memory (the means' rounding leaves ~1e-30)
        shift[self.constant] = lo[self.constant]
        cross_c[self.constant, :] = 0.0  # (in place) so the data's covariance there is 0, as in memory: the
        cross_c[:, self.constant] = 0.0  # diagnosis does not take reg_covar there for a collapse
        self.null_space, groups = None, []
        cols = [j for j in range(d) if j not in set(self.constant)]
        if self.ct in ("full", "tied") and len(cols) >= 2 and nc > len(cols):
            self.null_space, groups = V.dependence_in_covariance((cross_c / nc)[np.ix_(cols, cols)], cols, d)
        self.notes = tuple(V.column_notes(lo[None, :], self.constant, groups, self.names, self.ct))
        self.binary = []  # indicator columns: known from the sample (sample_context)
        return var

    def _set_model_units(self, std, data_cov, prior):
        """The standardisation and what depends on it: regularisation and the prior in both units."""
        from .gaussian import _regularisation
        from . import prior as P

        self.std = std
        var = std.data_var
        self.data_variances = np.where(np.isfinite(var), var, 0.0)
        self.data_cov = data_cov
        cz = None if data_cov is None else data_cov / np.multiply.outer(std.scale, std.scale)
        self.reg_z, self.reg_off, self.reg_user = _regularisation(self.est.reg_covar, self.ct, std,
                                                                  self.data_variances, cz)
        if self.constraint is not None:
            self.reg_off = None  # as the in-memory context: only the diagonal ridge, so the constraint holds
        if prior is not None:
            prior = (prior[0], prior[1], P.prior_to_units(prior[1], std.shift, std.scale))
        self.prior = prior

    # the in-memory context's own methods (they read std, prior, ct, d, reg_off)
    def log_prior(self, weights, means_user, cov_user):
        return _context_class().log_prior(self, weights, means_user, cov_user)

    def _off_diagonal_reg(self, cz):
        return _context_class()._off_diagonal_reg(self, cz)

    def _representable(self, params):
        return _context_class()._representable(self, params)

    # -- the initialisation's sample --------------------------------------------------------
    def sample_context(self, rng, size):
        """The in-memory context (``gaussian._Context``) of the initialisation's sample: every row
        with data when there are at most ``size`` (no random number drawn; the Dask fit then takes
        its standardisation, regularisation and prior), else ``size`` rows drawn without
        replacement, in data order.  Gathered once."""
        if self._sample_ctx is not None:
            return self._sample_ctx
        if self._sample_parts is None:
            self._sample_parts = dask.compute(*self._gather(self.chunk_rows, rng, size))
            self.n_passes += 1
        Xs = np.concatenate(self._sample_parts, axis=0)
        self._sample_parts = None
        sctx = _context_class()(self.est, Xs, None)
        lo, hi = self.range
        # two-valued in the sample and no other extremes in the data (only the wording of the
        # degeneracy diagnosis depends on it)
        self.binary = [j for j in sctx.binary if np.nanmin(Xs[:, j]) == lo[j] and np.nanmax(Xs[:, j]) == hi[j]]
        if self._sample_is_all:
            # every row is in memory now: the in-memory fit's own units, so the fit is exactly the
            # in-memory one (the standardisation only moves rounding, never the result)
            self.std, self.data_variances, self.data_cov = sctx.std, sctx.data_variances, sctx.data_cov
            self.reg_z, self.reg_off, self.reg_user = sctx.reg_z, sctx.reg_off, sctx.reg_user
            self.prior = sctx.prior
        self._sample_ctx = sctx
        return sctx

    def from_sample_units(self, params, sctx):
        """Parameters in the sample context's standardised units -> this context's."""
        if sctx.std is self.std:
            return params
        w, mz, cz = params
        su, ct = sctx.std, self.ct
        return w, self.std.means_to_z(su.means_to_user(mz)), self.std.cov_to_z(su.cov_to_user(cz, ct), ct)

    def _gather(self, chunk_rows, rng, size):
        """Delayed row selections of every chunk: all rows when there are at most ``size``
        (no random number drawn), else ``size`` rows drawn without replacement."""
        n = int(chunk_rows.sum())
        rows = None if n <= size else np.sort(rng.choice(n, size=size, replace=False))
        self._sample_is_all = rows is None
        starts = np.concatenate([[0], np.cumsum(chunk_rows)])
        blocks = self.X.to_delayed(optimize_graph=False).ravel()
        parts = []
        for i in range(len(blocks)):
            if rows is None:
                if chunk_rows[i]:
                    parts.append(dask.delayed(C.take_rows)(blocks[i], slice(None)))
                continue
            lo, hi = np.searchsorted(rows, [starts[i], starts[i + 1]])
            if hi > lo:
                parts.append(dask.delayed(C.take_rows)(blocks[i], rows[lo:hi] - starts[i]))
        return parts

    # -- the EM passes -----------------------------------------------------------------------
    def prepare(self, params):
        """``Prepared`` parameters (raises ``NotPositiveDefinite``), carrying their log prior
        density (0 without a prior) as ``log_prior``."""
        std = self.std
        lp = 0.0
        if self.prior is not None:
            lp = self.log_prior(params[0], std.means_to_user(params[1]), std.cov_to_user(params[2], self.ct))
        prep = Prepared(*params, self.ct, self.layout)
        if prep.direct.size and not self.has_missing:
            # as the in-memory context does where the engine evaluates direct components in user units
            prep.means_user = std.means_to_user(params[1])
            prep.std = std
        prep.log_prior = lp
        return prep

    def em_pass(self, jobs):
        """One pass over the data for every ``(prep, want_stats)`` of ``jobs``: a list of
        ``(objective, stats or None)``; the objective is the log-likelihood, plus the log prior
        density with a prior (the log-posterior, as the in-memory fit)."""
        k, d, lay, miss = self.k, self.d, self.layout, self.has_missing
        widths = [C.em_width(lay, k, d, want, miss) for _, want in jobs]
        tot = C.per_chunk(self.X, C.em_chunk, sum(widths), "em", std=self.std, layout=lay, k=k,
                          jobs=[(p, bool(w)) for p, w in jobs], missing=miss).sum(axis=0).compute()
        self.n_passes += 1
        out = []
        at = 0
        for (prep, want), width in zip(jobs, widths):
            seg = tot[at:at + width]
            at += width
            ll = float(seg[0]) + prep.log_prior
            if not miss:
                ll -= self.W * self.std.log_scale_sum
            if not want:
                out.append((ll, None))
            elif miss:
                e2 = 1 + k + k * d + k * d * d
                out.append((ll, ("missing", seg[1:1 + k], seg[1 + k:1 + k + k * d].reshape(k, d),
                                 seg[1 + k + k * d:e2].reshape(k, d, d), seg[e2:].reshape(k, d), prep)))
            elif lay.expanded:
                out.append((ll, ("expanded", seg[1:].reshape(k, lay.m), prep)))
            else:
                out.append((ll, ("shifted", seg[1:1 + k], seg[1 + k:1 + k + k * d].reshape(k, d),
                                 seg[1 + k + k * d:].reshape(k, d, d), prep)))
        return out

    def _scatter(self, prep, comps, mus, diag_only):
        d, k = self.d, self.k
        size = d if diag_only else d * d
        tot = C.per_chunk(self.X, C.scatter_chunk, len(comps) * size, "scatter", std=self.std, prep=prep,
                          layout=self.layout, k=k, comps=list(comps), mus=np.asarray(mus),
                          diag_only=diag_only).sum(axis=0).compute()
        self.n_passes += 1
        shape = (d,) if diag_only else (d, d)
        return {j: tot[i * size:(i + 1) * size].reshape(shape) for i, j in enumerate(comps)}

    def mstep(self, stats, state):
        """The M-step from a pass's sums: the layout's M-step, then the model's constraint or the
        prior's MAP step (``state``: the restart's :class:`RestartState`), then the means moved
        to values the user's units hold and the off-diagonal relative ridge, as in memory.
        Raises ``covariance_models.DegenerateMStep``."""
        return self._representable(state._constrain(self._mstep_raw(stats)))

    def _mstep_raw(self, stats):
        kind = stats[0]
        ct, reg_z, d = self.ct, self.reg_z, self.d
        if kind == "missing":
            from ._missing import MissingData

            _, nk, s1, s2, ob, prep = stats
            return MissingData.mstep(types.SimpleNamespace(d=d), (nk, s1, s2, prep.means, ob), ct, reg_z)
        if kind == "shifted":
            _, nk, sx, scat, prep = stats
            nk = nk + 10 * EPS
            means = sx / nk[:, None]
            delta = means - prep.means
            cov = scat / nk[:, None, None] - np.einsum("ki,kj->kij", delta, delta)
            return _finish_full(nk, means, cov, ct, reg_z, d)
        _, S, prep = stats
        return self._mstep_expanded(S, prep)

    def _mstep_expanded(self, S, prep):
        """``_core.mstep`` from the reduced statistics; the components it would recompute in
        the two-pass form get one extra pass over the data (:func:`_dask_chunks.scatter_chunk`)."""
        lay, ct, reg_z, d = self.layout, self.ct, self.reg_z, self.d
        nk = S[:, lay.const] + 10 * EPS
        means = S[:, lay.lin] / nk[:, None]
        if ct in ("full", "tied"):
            cov, redo = expanded_covariances(S, nk, means, lay, d)
            if redo.size:
                acc = self._scatter(prep, redo, means[redo], False)
                for j in redo:
                    cov[j] = acc[j] / nk[j]
            return _finish_full(nk, means, cov, ct, reg_z, d, symmetric=False)
        if ct == "diag":
            m2 = S[:, :d] / nk[:, None]
            var = m2 - means * means
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(var > 0, m2 / np.where(var > 0, var, 1.0), np.inf)
            redo = np.flatnonzero(np.any(ratio > TWO_PASS_RATIO, axis=1) & (nk > 100 * EPS))
            if redo.size:
                acc = self._scatter(prep, redo, means[redo], True)
                for j in redo:
                    var[j] = acc[j] / nk[j]
            return nk / nk.sum(), means, var + reg_z
        m2 = S[:, 0] / nk
        mm = np.einsum("ij,ij->i", means, means)
        var = (m2 - mm) / d
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(var > 0, m2 / np.where(var > 0, d * var, 1.0), np.inf)
        redo = np.flatnonzero((ratio > TWO_PASS_RATIO) & (nk > 100 * EPS))
        if redo.size:
            acc = self._scatter(prep, redo, means[redo], True)
            for j in redo:
                var[j] = acc[j].sum() / (nk[j] * d)
        return nk / nk.sum(), means, var + reg_z


def _finish_full(nk, means, cov, ct, reg_z, d, symmetric=True):
    """Weights, means and the full/tied covariance with ``reg_z`` on the diagonal (as
    ``_core.mstep``)."""
    if symmetric:
        cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
    weights = nk / nk.sum()
    if ct == "full":
        idx = np.arange(d)
        cov[:, idx, idx] += reg_z
        return weights, means, cov
    cov = np.einsum("k,kij->ij", nk, cov) / nk.sum()
    cov[np.diag_indices(d)] += reg_z
    return weights, means, cov

