"""Independent rows (finite mixtures): log-sum-exp over components.

Parameters: ``weights`` (k,), the mixing proportions.  ``seqs`` is ignored (rows are
independent); the contract is the one of :mod:`emdesk.engine.structures.markov`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["MixtureStructure"]


class MixtureStructure:
    """Mixing weights over independent rows (McLachlan & Peel 2000, ch. 2)."""

    name = "mixture"

    def init_params(self, resp, seqs=None):
        return self.init_params_from_occupancy(resp.sum(axis=0))

    @staticmethod
    def init_params_from_occupancy(nk):
        """Starting weights from the summed starting responsibilities (k,)."""
        nk = np.asarray(nk, dtype=float) + 10 * np.finfo(float).eps
        return {"weights": nk / nk.sum()}

    def e_step(self, logB, params, seqs=None, want_stats=True):
        """``(log_likelihood, posteriors (n, k), nk (k,))``; ``-inf`` when a row is impossible."""
        with np.errstate(divide="ignore"):
            L = logB + np.log(params["weights"])[None, :]
        from .markov import row_max

        with np.errstate(invalid="ignore"):
            a = row_max(L)
        if not np.all(np.isfinite(a)):
            return -math.inf, None, None
        L -= a[:, None]
        np.exp(L, out=L)
        s = L @ np.ones(L.shape[1])
        L /= s[:, None]
        ll = float(np.log(s).sum() + a.sum())
        return ll, L, L.sum(axis=0)

    def m_step(self, stats, params, occupancy):
        nk = np.asarray(stats, dtype=float) + 10 * np.finfo(float).eps
        return {"weights": nk / nk.sum()}, []

    @staticmethod
    def n_parameters(k):
        return k - 1
