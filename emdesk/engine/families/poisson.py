"""Poisson emissions: independent Poisson counts per column (hmmlearn's ``PoissonHMM``).

Parameters: ``lambdas`` (k, d), the rates (mean counts) of each state/component and column.
Missing cells (NaN, with ``missing="marginalize"``) contribute their marginal, 1: they are left out
of the log-density and of the M-step of their column.  M-step: ``lambda_jd = sum_t w_tj x_td /
sum_t w_tj`` over the rows where column d is observed (maximum likelihood), floored at
``LAMBDA_FLOOR`` so that ``log lambda`` stays finite.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from ._linalg import thin_matmul
from .base import FamilyFailure, empty_state_issues, state_floor

__all__ = ["PoissonFamily"]

LAMBDA_FLOOR = 1e-10


#: The largest count accepted: 2^53, above which a double no longer holds every whole number (so
#: 'is a whole number' and the rates' arithmetic lose meaning; 1e300 'counts' overflowed in the views).
MAX_COUNT = 2.0 ** 53


class _Data:
    __slots__ = ("X", "obs", "has_missing", "lgam", "n", "d")


class PoissonFamily:
    """Independent Poisson counts per column; ``missing`` "error" or "marginalize"."""

    name = "poisson"
    param_names = ("lambdas",)

    def __init__(self, missing="error"):
        self.missing = missing

    def bind(self, X, k=None):
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        obs = ~np.isnan(X)
        has_missing = not obs.all()
        if has_missing and self.missing != "marginalize":
            raise ValueError(
                f"X contains {int((~obs).sum())} missing (NaN) value(s): drop the incomplete rows or use "
                "missing='marginalize'.")
        Xf = np.where(obs, X, 0.0)
        if not np.all(np.isfinite(Xf)) or np.any(Xf > MAX_COUNT):
            bad = np.argwhere(~np.isfinite(Xf) | (Xf > MAX_COUNT))[0]
            raise ValueError(
                f"Poisson emissions need counts a double holds exactly (whole numbers from 0 to 2^53, about "
                f"9.0e15); row {bad[0] + 1}, column {bad[1] + 1} holds {float(X[bad[0], bad[1]]):g}. Counts this "
                "large are measurements, not counts: choose a Gaussian or Student-t family, or rescale the column.")
        if np.any(Xf < 0) or np.any(Xf != np.round(Xf)):
            bad = np.argwhere((Xf < 0) | (Xf != np.round(Xf)))[0]
            raise ValueError(
                f"Poisson emissions need counts (whole numbers >= 0); row {bad[0] + 1}, column {bad[1] + 1} "
                f"holds {float(X[bad[0], bad[1]]):g}. Choose count columns or another family.")
        data = _Data()
        data.X, data.obs, data.has_missing = Xf, obs.astype(float), has_missing
        data.lgam = gammaln(Xf + 1.0).sum(axis=1)
        data.n, data.d = X.shape
        return data

    def init_matrix(self, data):
        """Counts standardised per column (NaN cells at the column mean), for k-means."""
        X = data.X
        cnt = data.obs.sum(axis=0)
        mean = (X * data.obs).sum(axis=0) / np.maximum(cnt, 1)
        Xc = np.where(data.obs > 0, X, mean)
        sd = Xc.std(axis=0)
        return (Xc - mean) / np.where(sd > 0, sd, 1.0)

    def check_params(self, params, k, d):
        lam = np.asarray(params["lambdas"], dtype=float)
        if lam.ndim == 1 and d == 1:
            lam = lam.reshape(-1, 1)
        if lam.shape != (k, d):
            raise ValueError(f"lambdas must have shape (n_components, n_features) = ({k}, {d}); got {lam.shape}.")
        if not np.all(np.isfinite(lam)) or np.any(lam <= 0):
            raise ValueError("lambdas must be finite and > 0.")
        return {"lambdas": lam}

    def init_params(self, data, resp):
        return self.m_step(data, self.stats(data, None, resp), None)[0]

    def prepare(self, data, params):
        lam = params["lambdas"]
        if not np.all(np.isfinite(lam)) or np.any(lam <= 0):
            raise FamilyFailure("a Poisson rate is not a positive number.")
        return lam

    def log_prob(self, data, lam):
        """(n, k): sum over observed cells of ``x log lambda - lambda - log x!``."""
        out = thin_matmul(data.X, np.log(lam).T)
        if data.has_missing:
            out -= thin_matmul(data.obs, lam.T)
        else:
            out -= lam.sum(axis=1)[None, :]
        out -= data.lgam[:, None]
        return out

    def stats(self, data, prep, post):
        return post.sum(axis=0), post.T @ data.X, post.T @ data.obs

    def m_step(self, data, stats, params):
        nk, sx, so = stats
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = sx / so
        issues = []
        if params is not None:
            issues = empty_state_issues(nk, data.n)
            low = (nk < state_floor(data.n))[:, None] | ~(so > 0)
            lam = np.where(low, params["lambdas"], lam)
        else:
            lam = np.where(so > 0, lam, (data.X.sum(axis=0) / np.maximum(data.obs.sum(axis=0), 1))[None, :])
        return {"lambdas": np.maximum(lam, LAMBDA_FLOOR)}, issues

    def n_parameters(self, params):
        return int(np.asarray(params["lambdas"]).size)

    def sample(self, params, states, rng):
        return rng.poisson(params["lambdas"][states]).astype(float)
