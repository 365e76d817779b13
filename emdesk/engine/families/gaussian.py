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

from .. import _validation as V
from .._core import (
    DenseData,
    Layout,
    NotPositiveDefinite,
    Prepared,
    Standardizer,
    full_covariances,
    mstep,
    stats_from_resp,
)
from ..diagnostics import diagnose
from .base import FamilyFailure, empty_state_issues, state_floor

__all__ = ["GaussianFamily"]


class _Data:
    __slots__ = ("std", "Z", "dense", "missing", "reg_z", "n", "d", "data_variances", "k")


class GaussianFamily:
    """Multivariate normal emissions; ``covariance_type`` as scikit-learn's."""

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
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        data = _Data()
        data.n, data.d = X.shape
        data.k = k
        nan = np.isnan(X)
        std = Standardizer.from_data(X, None, ct)
        data.std = std
        data.data_variances = np.where(np.isfinite(std.data_var), std.data_var, 0.0)
        data.reg_z = std.reg_z(self.reg_covar, ct)
        Z = std.to_z(X)
        data.Z = Z
        data.dense = data.missing = None
        if nan.any():
            if self.missing != "marginalize":
                raise ValueError(
                    f"X contains {int(nan.sum())} missing (NaN) value(s): drop the incomplete rows or use "
                    "missing='marginalize'.")
            if nan.all(axis=1).any():
                i = int(np.flatnonzero(nan.all(axis=1))[0])
                raise ValueError(
                    f"Row {i + 1} of X has every value missing: leave such rows out (in an HMM a row without "
                    "data still takes a time step; give it at least one observed value).")
            from .._missing import MissingData

            data.missing = MissingData(Z, None, std, k)
        else:
            data.dense = DenseData(Z, None, Layout(ct, data.d, k), k)
        return data

    def init_matrix(self, data):
        return data.missing.init_matrix() if data.missing is not None else data.Z

    def check_params(self, params, k, d):
        means = V.check_means(params["means"], k, d)
        cov = V.check_covariances(params["covariances"], self.covariance_type, k, d)
        return {"means": means, "covariances": cov}

    # -- parameters ----------------------------------------------------------------------
    def init_params(self, data, resp):
        r = np.ascontiguousarray(resp.T)
        ct = self.covariance_type
        if data.missing is not None:
            _, mz, cz = data.missing.mstep(data.missing.stats_from_resp(r), ct, data.reg_z)
        else:
            _, mz, cz = mstep(data.dense, stats_from_resp(data.dense, r), r, ct, data.reg_z)
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

    def stats(self, data, prep, post):
        r = np.ascontiguousarray(post.T)
        if data.missing is not None:
            return r, _missing_stats(data.missing, prep, r)
        return r, stats_from_resp(data.dense, r)

    # -- M-step --------------------------------------------------------------------------
    def m_step(self, data, stats, params):
        r, S = stats
        ct = self.covariance_type
        if data.missing is not None:
            _, mz, cz = data.missing.mstep(S, ct, data.reg_z)
        else:
            _, mz, cz = mstep(data.dense, S, r, ct, data.reg_z)
        new = self._to_user(data, mz, cz)
        nk = r.sum(axis=1)
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

    def diagnose(self, data, params, occupancy):
        w = occupancy / max(float(occupancy.sum()), 1e-300)
        try:
            return diagnose(w, params["covariances"], self.covariance_type, float(data.n), data.data_variances,
                            self.reg_covar)
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
                out[sel] = means[j] + rng.standard_normal((int(sel.sum()), d)) @ L.T
        return out


def _missing_stats(md, prep, resp):
    """Expected complete-data moments about the current means, ``(nk, s1, s2, centres)`` as
    :meth:`emdesk.engine._missing.MissingData.mstep` takes them, from given posteriors (k, n)."""
    from .._missing import _direct_component_stats

    k, d = prep.k, md.d
    F = full_covariances(prep.cov, prep.ct, k, d)
    nk = np.zeros(k)
    s1 = np.zeros((k, d))
    s2 = np.zeros((k, d, d))
    for j in range(k):
        for pat in md.patterns:
            _direct_component_stats(pat, j, prep.means, F, resp, nk, s1, s2)
    return nk, s1, s2, prep.means.copy()
