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

from ._blocks import RowResp, as_rows, block_rows, reduce_stats, resp_block, row_ranges
from ._linalg import thin_matmul
from .base import FamilyFailure, empty_state_issues, state_floor

__all__ = ["PoissonFamily"]

LAMBDA_FLOOR = 1e-10


#: The largest count accepted: 2^53, above which a double no longer holds every whole number (so
#: 'is a whole number' and the rates' arithmetic lose meaning; 1e300 'counts' overflowed in the views).
MAX_COUNT = 2.0 ** 53


#: Cells per chunk of the starting scale's sum of squares (8 MiB of float64 per temporary).
_SS_CHUNK_CELLS = 1 << 20


class _Data:
    """Bound counts: ``X`` (the caller's array, a reference), ``n``, ``d``, ``has_missing``, the
    column sums and counts of observed cells (d,), ``block`` (rows per block) and ``held`` (whether
    the per-row arrays below are present for all rows: small data), ``lgam`` (n,) = the sum of
    log x! over each row (one number per row, kept: ``gammaln`` is the costly part of a pass).
    Per-row arrays (one block's rows, or all rows when held): ``Xf`` (counts, NaN at 0), ``obs``
    (1.0 where observed)."""

    __slots__ = ("X", "Xf", "obs", "has_missing", "lgam", "n", "d", "held", "block", "col_sum", "col_cnt")


class PoissonFamily:
    """Independent Poisson counts per column; ``missing`` "error" or "marginalize".

    Memory (issue 16): ``bind`` keeps a reference to X and checks it in row blocks
    (:mod:`emdesk.engine.families._blocks`) and keeps one number per row (the row's sum of
    ``log x!``); the passes make the block's float counts and mask per block (data that fit one
    block keep them)."""

    name = "poisson"
    param_names = ("lambdas",)

    def __init__(self, missing="error"):
        self.missing = missing

    def bind(self, X, k=None):
        X = as_rows(X)
        n, d = X.shape
        step = block_rows(n, k, 3 * d)
        n_nan = 0
        big = notcount = None
        col_sum = np.zeros(d)
        col_cnt = np.zeros(d)
        lgam = np.empty(n)
        for s, e in row_ranges(n, step):
            xb = X[s:e]
            obs = ~np.isnan(xb)
            n_nan += int(obs.size - np.count_nonzero(obs))
            Xf = np.where(obs, xb, 0.0)
            if big is None:
                bad = ~np.isfinite(Xf) | (Xf > MAX_COUNT)
                if bad.any():
                    i, c = np.argwhere(bad)[0]
                    big = (s + i, c, float(xb[i, c]))
            if notcount is None:
                with np.errstate(invalid="ignore"):
                    bad = (Xf < 0) | (Xf != np.round(Xf))
                if bad.any():
                    i, c = np.argwhere(bad)[0]
                    notcount = (s + i, c, float(xb[i, c]))
            col_sum += Xf.sum(axis=0)
            col_cnt += obs.sum(axis=0)
            if big is None and notcount is None:
                lgam[s:e] = gammaln(Xf + 1.0).sum(axis=1)
        has_missing = n_nan > 0
        if has_missing and self.missing != "marginalize":
            raise ValueError(
                f"X contains {n_nan} missing (NaN) value(s): drop the incomplete rows or use "
                "missing='marginalize'.")
        if big is not None:
            raise ValueError(
                f"Poisson emissions need counts a double holds exactly (whole numbers from 0 to 2^53, about "
                f"9.0e15); row {big[0] + 1}, column {big[1] + 1} holds {big[2]:g}. Counts this "
                "large are measurements, not counts: choose a Gaussian or Student-t family, or rescale the column.")
        if notcount is not None:
            raise ValueError(
                f"Poisson emissions need counts (whole numbers >= 0); row {notcount[0] + 1}, column "
                f"{notcount[1] + 1} holds {notcount[2]:g}. Choose count columns or another family.")
        data = _Data()
        data.X, data.has_missing, data.n, data.d = X, has_missing, n, d
        data.col_sum, data.col_cnt = col_sum, col_cnt
        data.block = step
        data.held = False
        data.Xf = data.obs = None
        data.lgam = lgam
        if n <= step:
            return self.rows(data, 0, n)
        return data

    def rows(self, data, s, e):
        """The bound data of rows s:e (the same column sums; per-row arrays for those rows)."""
        if data.held and s == 0 and e == data.n:
            return data
        out = _Data()
        out.X = data.X
        out.has_missing, out.d, out.col_sum, out.col_cnt, out.block = (
            data.has_missing, data.d, data.col_sum, data.col_cnt, data.block)
        out.n = e - s
        out.held = True
        if data.held:
            out.X, out.Xf, out.obs, out.lgam = data.X[s:e], data.Xf[s:e], data.obs[s:e], data.lgam[s:e]
            return out
        xb = data.X[s:e]
        obs = ~np.isnan(xb)
        out.X = xb
        out.Xf = np.where(obs, xb, 0.0)
        out.obs = obs.astype(float)
        out.lgam = data.lgam[s:e]
        return out

    def init_matrix(self, data):
        """Counts standardised per column (NaN cells at the column mean), for k-means; made per
        block when read (:class:`~emdesk.engine._fitdata.StandardisedRows`)."""
        from types import SimpleNamespace

        from .._fitdata import StandardisedRows

        mean = data.col_sum / np.maximum(data.col_cnt, 1)
        ss = np.zeros(data.d)
        # Chunks of a size set by d only, never by the fit's block size: integer counts put rows at
        # exactly equal distances from two k-means centres, and a scale differing in the last bit
        # with the block size flipped such ties (another start for blocks of 38 rows than for one).
        # The column sums are exact (whole numbers), so the shift needs no such care.
        for s, e in row_ranges(data.n, max(1, _SS_CHUNK_CELLS // max(data.d, 1))):
            xb = data.X[s:e]
            dev = np.where(np.isnan(xb), 0.0, xb - mean)
            ss += (dev * dev).sum(axis=0)
        sd = np.sqrt(ss / max(data.n, 1))
        return StandardisedRows(data.X, SimpleNamespace(shift=mean, scale=np.where(sd > 0, sd, 1.0)), fill_nan=True)

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
        if not data.held:
            out = np.empty((data.n, lam.shape[0]))
            for s, e in row_ranges(data.n, data.block):
                out[s:e] = self.log_prob(self.rows(data, s, e), lam)
            return out
        out = thin_matmul(data.Xf, np.log(lam).T)
        if data.has_missing:
            out -= thin_matmul(data.obs, lam.T)
        else:
            out -= lam.sum(axis=1)[None, :]
        out -= data.lgam[:, None]
        return out

    def stats(self, data, prep, post):
        """``(nk (k,), sum_t w_tj x_td (k, d), sum_t w_tj [x_td observed] (k, d))``: sums over rows
        (:meth:`add_stats`).  ``post``: (n, k) or a :class:`~._blocks.RowResp`."""
        if not data.held or isinstance(post, RowResp):
            return reduce_stats(self, (self.stats(self.rows(data, s, e), prep, resp_block(post, s, e))
                                       for s, e in row_ranges(data.n, data.block)))
        return post.sum(axis=0), post.T @ data.Xf, post.T @ data.obs

    @staticmethod
    def add_stats(a, b):
        """The statistics of the union of two disjoint row sets (every entry is a sum)."""
        return tuple(x + y for x, y in zip(a, b))

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
            lam = np.where(so > 0, lam, (data.col_sum / np.maximum(data.col_cnt, 1))[None, :])
        return {"lambdas": np.maximum(lam, LAMBDA_FLOOR)}, issues

    def n_parameters(self, params):
        return int(np.asarray(params["lambdas"]).size)

    def sample(self, params, states, rng):
        """(n, d) float counts: ``rng.poisson`` of the states' rates, a row block at a time (tenth session: the
        rates, the int64 counts and their float copy of every row before; the draws are taken cell after cell
        in row order, so the blocks draw what one call drew)."""
        from .categorical import sample_blocks

        lam = np.asarray(params["lambdas"])
        out = np.empty((len(states), lam.shape[1]))
        for s, t in sample_blocks(len(states), lam.shape[1]):
            out[s:t] = rng.poisson(lam[states[s:t]])
        return out
