"""Gaussian emissions with scikit-learn's covariance types (full, tied, diag, spherical).

Parameters (user units): ``means`` (k, d) and ``covariances`` in scikit-learn's shape for the
type: full (k, d, d), tied (d, d), diag (k, d), spherical (k,).  The numerics are those of
:mod:`emdesk.engine._core` (data standardised once, expanded features, blocked passes, the
direct form where the expansion would lose digits) and, for incomplete rows
(``missing="marginalize"``), of :mod:`emdesk.engine._missing` (each row's density on its observed
coordinates; expected complete-data statistics in the M-step).  ``reg_covar`` (user units) is
added to every variance in the M-step, as for the mixtures.
"""

from __future__ import annotations

import numpy as np

from .._blas import matmul, tmatmul
from .. import _validation as V
from .._core import (
    EPS,
    DenseData,
    Layout,
    NotPositiveDefinite,
    Prepared,
    full_covariances,
)
from .._fitdata import StandardisedRows
from .._missing import moment_mstep
from ..diagnostics import diagnose
from ._blocks import RowResp, as_rows, block_rows, column_standardizer, reduce_stats, resp_block, row_ranges
from .base import FamilyFailure, empty_state_issues, state_floor

__all__ = ["GaussianFamily"]


class _Data:
    """Bound data: ``X`` (the caller's rows, a reference), ``std``, ``reg_z``, ``n``, ``d``, ``k``,
    ``data_variances``, ``has_missing``, ``block`` (rows per block); ``dense`` (complete data: a
    :class:`~emdesk.engine._fitdata.DenseData` reading X per block, its feature cache within
    ``FIT_CACHE_BYTES``) or ``missing`` (a :class:`~emdesk.engine._missing.MissingData` of these
    rows; ``held``: its patterns are made for all rows, small data only)."""

    __slots__ = ("X", "std", "dense", "missing", "reg_z", "n", "d", "data_variances", "k", "has_missing",
                 "block", "held", "null_space")



def _dependent_directions(X, std, ct, d):
    """The exact linear dependences among the non-constant columns (a ``(d, r)`` basis in standardised
    units, or None), as GaussianMixture finds them (``emdesk.engine._mixture_context``), for ``diagnose``:
    full and tied covariances sit at the reg_covar floor along them by necessity. Before, an HMM of
    duplicated columns reported every state as "collapsed onto a few repeated (often rounded) values"
    where the mixture of the same columns said nothing of the kind."""
    if ct not in ("full", "tied") or d < 2:
        return None
    from .._fitdata import complete_rows_covariance
    from .._validation import dependence_in_covariance

    with np.errstate(invalid="ignore"):
        cols = [j for j in range(d) if np.nanmin(X[:, j]) < np.nanmax(X[:, j])]
    if len(cols) < 2:
        return None
    cov, n_rows = complete_rows_covariance(X, std, None)
    if n_rows <= len(cols):
        return None
    return dependence_in_covariance(cov[np.ix_(cols, cols)], cols, d)[0]

class GaussianFamily:
    """Multivariate normal emissions; ``covariance_type`` as scikit-learn's.

    Memory (issue 16): ``bind`` keeps a reference to X (checked in row blocks; the standardiser
    reads one column at a time); the passes standardise a block of rows at a time.  The
    statistics are moments about the current means (``(nk, s1, s2, centres)``, sums over rows:
    :meth:`add_stats`), so no pass keeps the posteriors."""

    #: fit checks the columns' ranges first (emdesk.engine._validation.check_columns), as GaussianMixture does
    checks_column_ranges = True

    name = "gaussian"
    param_names = ("means", "covariances")

    def __init__(self, covariance_type="full", reg_covar=1e-6, missing="error"):
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.missing = missing

    # -- data ----------------------------------------------------------------------------
    def bind(self, X, k):
        ct = self.covariance_type
        X = as_rows(X)
        n, d = X.shape
        step = block_rows(n, k, 3 * d + (d + 1) * (d + 2) // 2)
        n_nan = 0
        for s, e in row_ranges(n, step):
            n_nan += int(np.count_nonzero(np.isnan(X[s:e])))
        if n_nan and self.missing != "marginalize":
            raise ValueError(
                f"X contains {n_nan} missing (NaN) value(s): drop the incomplete rows or use "
                "missing='marginalize'.")
        # A row with every value missing has density 1 under every component (nothing observed to
        # marginalise over): in an HMM a time step without an observation, which the chain carries the
        # state across; in a mixture its posterior is the weights (as PoissonFamily / CategoricalFamily).
        # A column with no observed value: LatentModel.fit_iter refuses it.
        data = _Data()
        data.X, data.n, data.d, data.k = X, n, d, k
        std = column_standardizer(X, ct)
        data.std = std
        data.data_variances = np.where(np.isfinite(std.data_var), std.data_var, 0.0)
        data.reg_z = std.reg_z(self.reg_covar, ct)
        data.has_missing = n_nan > 0
        data.block = step
        data.dense = data.missing = None
        data.held = n <= step
        data.null_space = _dependent_directions(X, std, ct, d)
        if data.has_missing:
            from .._missing import MissingData

            data.missing = MissingData(None, None, std, k, X=X)
        else:
            data.dense = DenseData(None, None, Layout(ct, d, k), k, X=X, std=std)
        return data

    def rows(self, data, s, e):
        """The bound data of rows s:e (the same standardiser and ``reg_z``)."""
        if s == 0 and e == data.n:
            return data
        out = _Data()
        for name in ("std", "reg_z", "d", "data_variances", "k", "has_missing", "block", "null_space"):
            setattr(out, name, getattr(data, name))
        out.X, out.n, out.held = data.X[s:e], e - s, True
        out.dense = out.missing = None
        if data.has_missing:
            from .._missing import MissingData

            out.missing = MissingData(None, None, data.std, data.k, X=out.X)
        else:
            out.dense = data.dense.rows(s, e)
        return out

    def init_matrix(self, data):
        """Standardised rows (missing cells at 0), made per block when read."""
        if data.missing is not None:
            return data.missing.init_matrix()
        return StandardisedRows(data.X, data.std)

    def check_params(self, params, k, d):
        means = V.check_means(params["means"], k, d)
        cov = V.check_covariances(params["covariances"], self.covariance_type, k, d)
        return {"means": means, "covariances": cov}

    # -- parameters ----------------------------------------------------------------------
    def init_params(self, data, resp):
        """Moments of the responsibilities ``resp`` ((n, k) or a RowResp): the means from a first pass,
        the covariances about them from a second (missing cells: at the column mean)."""
        k = resp.shape[1]
        if data.missing is not None:
            parts = []
            for s, e in row_ranges(data.n, data.block):
                rb = np.ascontiguousarray(resp_block(resp, s, e).T)
                parts.append(self.rows(data, s, e).missing.stats_from_resp(rb))
                parts = [reduce_stats(self, parts)]
            _, mz, cz = _moment_mstep(parts[0], self.covariance_type, data.reg_z)
            return self._to_user(data, mz, cz)
        first = self._moments(data, np.zeros((k, data.d)), resp)
        mz = first[1] / (first[0] + 10 * EPS)[:, None]
        _, mz, cz = _moment_mstep(self._moments(data, mz, resp), self.covariance_type, data.reg_z)
        return self._to_user(data, mz, cz)

    def _to_user(self, data, mz, cz):
        return {"means": data.std.means_to_user(mz), "covariances": data.std.cov_to_user(cz, self.covariance_type)}

    def prepare(self, data, params):
        ct = self.covariance_type
        mz = data.std.means_to_z(params["means"])
        cz = data.std.cov_to_z(params["covariances"], ct)
        k = mz.shape[0]
        try:
            return Prepared(np.ones(k), mz, cz, ct, Layout(ct, data.d, data.k))
        except NotPositiveDefinite as exc:
            j = exc.component
            who = "the shared (tied) covariance" if j < 0 else f"the covariance of state {j + 1}"
            raise FamilyFailure(
                f"{who} is not positive definite (a state collapsed onto too few distinct points or onto a "
                f"constant column). Increase reg_covar (now {self.reg_covar:g}), use fewer states or a "
                "constrained covariance_type.") from None

    # -- E-step --------------------------------------------------------------------------
    def log_prob(self, data, prep):
        """(n, k) log-densities in user units (observed coordinates only for incomplete rows)."""
        k = prep.k
        out = np.empty((data.n, k))
        if data.missing is not None:
            if not data.held:
                for s, e in row_ranges(data.n, data.block):
                    out[s:e] = self.log_prob(self.rows(data, s, e), prep)
                return out
            from .._missing import _pattern_estep

            F = full_covariances(prep.cov, prep.ct, k, data.d)
            zeros = np.zeros(k)
            for pat in data.missing.patterns:
                logp, _ = _pattern_estep(pat, prep.means, F, zeros)
                out[pat.rows] = logp.T - pat.log_scale
            return out
        dense = data.dense
        for s, e, pb, zb, wb in dense.blocks():
            ob = out[s:e]
            if prep.C is not None:
                np.matmul(pb, prep.C, out=ob)
            elif prep.linvT is not None:
                lb = np.empty((k, e - s))
                prep.whitened_logpdf(zb, lb)
                ob[:] = lb.T
            for j in prep.direct:
                prep.direct_logpdf(zb, j, ob[:, j])
        out -= data.std.log_scale_sum
        return out

    def _moments(self, data, centres, post):
        """``(nk, s1, s2, centres)`` of complete rows: sums of r, r (z - c_j), r (z - c_j)(z - c_j)'."""
        k, d = centres.shape
        nk, s1, s2 = np.zeros(k), np.zeros((k, d)), np.zeros((k, d, d))
        for s, e, pb, zb, wb in data.dense.blocks():
            r = resp_block(post, s, e)
            nk += r.sum(axis=0)
            for j in range(k):
                D = zb - centres[j]
                rj = r[:, j]
                s1[j] += rj @ D
                s2[j] += tmatmul(D * rj[:, None], D)
        return nk, s1, s2, centres.copy()

    def stats(self, data, prep, post):
        """Moments about the current means ``(nk (k,), s1 (k, d), s2 (k, d, d), centres (k, d))`` in
        standardised units (incomplete rows: the expected complete-data moments, and the observed
        mass ``ob`` (k, d) after the centres, which places the ridge: ``_missing.moment_mstep``), from posteriors
        ``post`` ((n, k) or a RowResp); sums over rows (:meth:`add_stats`)."""
        if data.missing is not None:
            if not data.held or isinstance(post, RowResp):
                return reduce_stats(self, (self.stats(self.rows(data, s, e), prep, resp_block(post, s, e))
                                           for s, e in row_ranges(data.n, data.block)))
            return _missing_stats(data.missing, prep, np.ascontiguousarray(post.T))
        return self._moments(data, prep.means, post)

    @staticmethod
    def add_stats(a, b):
        """The statistics of the union of two disjoint row sets: ``nk``, ``s1``, ``s2`` (and the
        observed mass of incomplete rows) summed, the centres (the same for both) carried."""
        if len(a) > 4:
            return a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3], a[4] + b[4]
        return a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3]

    # -- M-step --------------------------------------------------------------------------
    def m_step(self, data, stats, params):
        ct = self.covariance_type
        _, mz, cz = _moment_mstep(stats, ct, data.reg_z)
        new = self._to_user(data, mz, cz)
        nk = stats[0]
        low = nk < state_floor(data.n)
        issues = []
        if params is not None and low.any():
            issues = empty_state_issues(nk, data.n)
            new["means"][low] = params["means"][low]
            if ct != "tied":
                new["covariances"][low] = params["covariances"][low]
        if ct == "full":
            c = new["covariances"]
            new["covariances"] = 0.5 * (c + np.swapaxes(c, 1, 2))
        elif ct == "tied":
            c = new["covariances"]
            new["covariances"] = 0.5 * (c + c.T)
        return new, issues

    def diagnose(self, data, params, occupancy, n_samples=None):
        """The degeneracy diagnosis (:func:`emdesk.engine.diagnostics.diagnose`) of ``params`` given each
        state's or component's ``occupancy`` (k,); ``n_samples`` the points they share (default: the rows)."""
        w = occupancy / max(float(occupancy.sum()), 1e-300)
        n = float(data.n) if n_samples is None else float(n_samples)
        try:
            return diagnose(w, params["covariances"], self.covariance_type, n, data.data_variances,
                            self.reg_covar, null_space=data.null_space)
        except ValueError:
            return ()

    def n_parameters(self, params):
        k, d = np.asarray(params["means"]).shape
        ct = self.covariance_type
        cov = {"full": k * d * (d + 1) // 2, "diag": k * d, "tied": d * (d + 1) // 2, "spherical": k}[ct]
        return int(cov + k * d)

    def sample(self, params, states, rng):
        means = params["means"]
        k, d = means.shape
        full = full_covariances(params["covariances"], self.covariance_type, k, d)
        out = np.empty((len(states), d))
        for j in range(k):
            sel = states == j
            if sel.any():
                L = np.linalg.cholesky(full[j])
                out[sel] = means[j] + matmul(rng.standard_normal((int(sel.sum()), d)), L.T)
        return out


def _moment_mstep(stats, covariance_type, reg_z):
    """(weights, means, covariances) in standardised units from moments about centres
    ``(nk, s1, s2, centres)``: :func:`emdesk.engine._missing.moment_mstep`."""
    return moment_mstep(stats, covariance_type, reg_z)


def _missing_stats(md, prep, resp):
    """Expected complete-data moments about the current means, ``(nk, s1, s2, centres, ob)`` as
    :meth:`emdesk.engine._missing.MissingData.mstep` takes them, from given posteriors (k, n)."""
    from .._missing import _direct_component_stats

    k, d = prep.k, md.d
    F = full_covariances(prep.cov, prep.ct, k, d)
    nk = np.zeros(k)
    s1 = np.zeros((k, d))
    s2 = np.zeros((k, d, d))
    ob = np.zeros((k, d))
    for j in range(k):
        for pat in md.patterns:
            _direct_component_stats(pat, j, prep.means, F, resp, nk, s1, s2, ob)
    return nk, s1, s2, prep.means.copy(), ob
