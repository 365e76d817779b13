"""Categorical emissions: one column of integer symbols ``0 .. n_symbols - 1`` (hmmlearn's
``CategoricalHMM``).

Parameters: ``emissionprob`` (k, n_symbols), each row a probability vector.  A missing symbol (NaN,
with ``missing="marginalize"``) contributes its marginal, 1.  M-step: expected symbol counts per
state, normalised (maximum likelihood; with ``emissionprob_prior`` > 1 the Dirichlet MAP
``max(prior - 1 + counts, 0)`` normalised, hmmlearn's form).
"""

from __future__ import annotations

import numpy as np

from .base import FamilyFailure, empty_state_issues, state_floor

__all__ = ["CategoricalFamily"]


class _Data:
    __slots__ = ("x", "obs", "has_missing", "n", "d", "n_symbols")


class CategoricalFamily:
    """Categorical symbols in one column; ``n_symbols`` None = ``max(X) + 1``."""

    name = "categorical"
    param_names = ("emissionprob",)

    def __init__(self, n_symbols=None, missing="error", emissionprob_prior=None):
        self.n_symbols = n_symbols
        self.missing = missing
        self.emissionprob_prior = emissionprob_prior

    def bind(self, X, k=None):
        X = np.asarray(X, dtype=float)
        if X.ndim == 2 and X.shape[1] != 1:
            raise ValueError(
                f"Categorical emissions take one column of symbols; X has {X.shape[1]} columns.")
        x = X.reshape(-1)
        obs = ~np.isnan(x)
        if not obs.all() and self.missing != "marginalize":
            raise ValueError(
                f"X contains {int((~obs).sum())} missing (NaN) symbol(s): drop them or use missing='marginalize'.")
        xo = x[obs]
        if np.any(xo < 0) or np.any(xo != np.round(xo)):
            i = int(np.flatnonzero(obs)[np.flatnonzero((xo < 0) | (xo != np.round(xo)))[0]])
            raise ValueError(
                f"Categorical symbols must be integers 0, 1, 2, ...; row {i + 1} holds {x[i]!r}.")
        n_sym = int(xo.max()) + 1 if xo.size else 1
        if self.n_symbols is not None:
            if n_sym > int(self.n_symbols):
                raise ValueError(
                    f"X holds symbol {n_sym - 1} but the model has {int(self.n_symbols)} symbols "
                    f"(0 .. {int(self.n_symbols) - 1}).")
            n_sym = int(self.n_symbols)
        data = _Data()
        data.x = np.where(obs, x, 0).astype(np.int64)
        data.obs = obs
        data.has_missing = not obs.all()
        data.n, data.d, data.n_symbols = x.shape[0], 1, n_sym
        return data

    def init_matrix(self, data):
        """One-hot symbols (missing: all zero), for k-means."""
        out = np.zeros((data.n, data.n_symbols))
        out[np.arange(data.n), data.x] = data.obs
        return out

    def check_params(self, params, k, d):
        e = np.asarray(params["emissionprob"], dtype=float)
        if e.ndim != 2 or e.shape[0] != k:
            raise ValueError(f"emissionprob must have shape (n_components, n_symbols); got {e.shape}.")
        if not np.all(np.isfinite(e)) or np.any(e < 0) or not np.allclose(e.sum(axis=1), 1.0, rtol=0, atol=1e-8):
            raise ValueError("every row of emissionprob must be probabilities (>= 0) that sum to 1.")
        return {"emissionprob": e}

    def init_params(self, data, resp):
        counts = self.stats(data, None, resp)[1] + 1.0
        return {"emissionprob": counts / counts.sum(axis=1, keepdims=True)}

    def prepare(self, data, params):
        e = params["emissionprob"]
        if e.shape[1] < data.n_symbols:
            raise FamilyFailure(f"emissionprob has {e.shape[1]} symbols but the data hold {data.n_symbols}.")
        with np.errstate(divide="ignore"):
            return np.log(e)

    def log_prob(self, data, loge):
        out = loge[:, data.x].T.copy()
        if data.has_missing:
            out[~data.obs] = 0.0
        return out

    def stats(self, data, prep, post):
        k = post.shape[1]
        counts = np.empty((k, data.n_symbols))
        w = post if not data.has_missing else post * data.obs[:, None]
        for j in range(k):
            counts[j] = np.bincount(data.x, weights=w[:, j], minlength=data.n_symbols)
        return post.sum(axis=0), counts

    def m_step(self, data, stats, params):
        nk, counts = stats
        if self.emissionprob_prior is not None:
            counts = np.maximum(np.asarray(self.emissionprob_prior, dtype=float) - 1.0 + counts, 0.0)
        rows = counts.sum(axis=1)
        issues = empty_state_issues(nk, data.n)
        low = (nk < state_floor(data.n)) | ~(rows > 0)
        e = counts / np.where(rows > 0, rows, 1.0)[:, None]
        if params is not None:
            e[low] = params["emissionprob"][low]
        return {"emissionprob": e}, issues

    def n_parameters(self, params):
        e = np.asarray(params["emissionprob"])
        return int(e.shape[0] * (e.shape[1] - 1))

    def sample(self, params, states, rng):
        e = params["emissionprob"][states]
        u = rng.random(len(states))[:, None]
        return np.minimum((u > np.cumsum(e, axis=1)).sum(axis=1), e.shape[1] - 1).astype(float)[:, None]
