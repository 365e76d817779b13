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

__all__ = ["CategoricalFamily", "LatentClassFamily"]



#: Largest symbol / category code accepted: codes are indexes into (k, m) probability tables and an
#: (n, m) one-hot start, so a code such as 1e12 (an id, not a category) asked for terabytes
#: (MemoryError) or overflowed int64.
MAX_CODE = 2**20 - 1


def _check_code_bound(largest, what):
    if largest > MAX_CODE:
        raise ValueError(
            f"Categorical {what}s are indexes 0, 1, 2, ... into a table of probabilities; the data hold "
            f"{what} {largest:.6g}, beyond the largest accepted ({MAX_CODE:,}). Recode the column as "
            f"0 .. m-1 (one number per distinct value), or give it as text to emdesk-fit / the window.")

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
        _check_code_bound(n_sym - 1, "symbol")
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


class _LCData:
    __slots__ = ("x", "obs", "has_missing", "n", "d", "n_categories", "m")


class LatentClassFamily:
    """Independent categorical distributions over several columns (latent class analysis; Lazarsfeld
    & Henry 1968; Linzer & Lewis 2011, "poLCA: An R package for polytomous variable latent class
    analysis", J. Stat. Software 42(10)).

    ``X`` (n, d) holds integer category codes ``0 .. R_c - 1`` per column (NaN = missing when
    ``missing="marginalize"``: the cell is left out of the likelihood, as poLCA with
    ``na.rm=FALSE``).  ``n_categories`` (None or d integers) fixes ``R_c``; None takes
    ``max code + 1`` of each column.

    Parameters: ``probs`` (k, d, m), ``m = max R_c``: ``probs[j, c, r]`` = P(column c = category r |
    class j); entries ``r >= R_c`` are 0 (padding).  M-step: expected category counts per class and
    column, normalised; with ``alpha > 0`` the Dirichlet(alpha + 1) MAP ``(counts + alpha) /
    (n_jc + alpha R_c)``, so that no probability is exactly 0 or 1.  ``n_parameters`` counts
    ``k sum_c (R_c - 1)`` (poLCA's count, plus the structure's k - 1).
    """

    name = "latent_class"
    param_names = ("probs",)

    def __init__(self, n_categories=None, missing="marginalize", alpha=0.0):
        a = float(alpha)
        if not (a >= 0 and np.isfinite(a)):
            raise ValueError(f"alpha must be a finite number >= 0; got {alpha!r}.")
        self.n_categories = None if n_categories is None else [int(r) for r in n_categories]
        self.missing = missing
        self.alpha = a

    def bind(self, X, k=None):
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        obs = ~np.isnan(X)
        if not obs.all() and self.missing != "marginalize":
            raise ValueError(
                f"X contains {int((~obs).sum())} missing (NaN) value(s): drop them or use missing='marginalize'.")
        Xf = np.where(obs, X, 0.0)
        bad = (Xf < 0) | (Xf != np.round(Xf))
        if bad.any():
            i, c = np.argwhere(bad)[0]
            raise ValueError(f"Categorical codes must be integers 0, 1, 2, ...; column {c + 1}, row {i + 1} "
                             f"holds {float(X[i, c]):g}.")
        n, d = X.shape
        if n:
            _check_code_bound(float(Xf.max()), "code")
        R = (Xf.max(axis=0).astype(np.int64) + 1) if n else np.ones(d, np.int64)
        if self.n_categories is not None:
            if len(self.n_categories) != d:
                raise ValueError(f"n_categories has {len(self.n_categories)} entries but X has {d} columns.")
            given = np.asarray(self.n_categories, dtype=np.int64)
            over = np.flatnonzero(R > given)
            if over.size:
                c = int(over[0])
                raise ValueError(f"column {c + 1} holds code {R[c] - 1} but has {given[c]} categories "
                                 f"(0 .. {given[c] - 1}).")
            R = given
        data = _LCData()
        data.x = Xf.astype(np.int64)
        data.obs = obs
        data.has_missing = not obs.all()
        data.n, data.d = n, d
        data.n_categories = R
        data.m = int(R.max()) if d else 1
        return data

    def init_matrix(self, data):
        """One-hot codes of every column side by side (missing cells all zero), for k-means."""
        offs = np.concatenate([[0], np.cumsum(data.n_categories)])
        out = np.zeros((data.n, int(offs[-1])))
        rows = np.arange(data.n)
        for c in range(data.d):
            out[rows, offs[c] + data.x[:, c]] = data.obs[:, c]
        return out

    def _mask(self, R, m):
        return np.arange(m)[None, :] < np.asarray(R)[:, None]  # (d, m)

    def check_params(self, params, k, d):
        p = np.asarray(params["probs"], dtype=float)
        if p.ndim != 3 or p.shape[:2] != (k, d):
            raise ValueError(f"probs must have shape (n_components, n_columns, max categories) = ({k}, {d}, m); "
                             f"got {p.shape}.")
        if not np.all(np.isfinite(p)) or np.any(p < 0) or not np.allclose(p.sum(axis=2), 1.0, rtol=0, atol=1e-8):
            raise ValueError("probs[j, c, :] must be probabilities (>= 0) that sum to 1 for every class and column.")
        return {"probs": p}

    def init_params(self, data, resp):
        counts = self.stats(data, None, resp)[1] + self._mask(data.n_categories, data.m)[None]
        return {"probs": counts / counts.sum(axis=2, keepdims=True)}

    def prepare(self, data, params):
        p = params["probs"]
        if p.shape[1] != data.d or p.shape[2] < data.m:
            raise FamilyFailure(f"probs has shape {p.shape} but the data have {data.d} columns with up to "
                                f"{data.m} categories.")
        with np.errstate(divide="ignore"):
            return np.log(p)

    def log_prob(self, data, logp):
        out = np.zeros((data.n, logp.shape[0]))
        for c in range(data.d):
            lc = logp[:, c, data.x[:, c]].T  # (n, k)
            if data.has_missing:
                lc[~data.obs[:, c]] = 0.0
            out += lc
        return out

    def stats(self, data, prep, post):
        k = post.shape[1]
        counts = np.zeros((k, data.d, data.m))
        for c in range(data.d):
            w = post if not data.has_missing else post * data.obs[:, c:c + 1]
            for j in range(k):
                counts[j, c] = np.bincount(data.x[:, c], weights=w[:, j], minlength=data.m)[:data.m]
        return post.sum(axis=0), counts

    def m_step(self, data, stats, params):
        nk, counts = stats
        mask = self._mask(data.n_categories, data.m)[None]  # (1, d, m)
        if self.alpha > 0:
            counts = (counts + self.alpha) * mask
        tot = counts.sum(axis=2, keepdims=True)
        p = counts / np.where(tot > 0, tot, 1.0)
        issues = empty_state_issues(nk, data.n, "class") if params is not None else []
        low = (nk < state_floor(data.n))[:, None] | ~(tot[..., 0] > 0)  # (k, d)
        if low.any():
            fallback = params["probs"] if params is not None else np.broadcast_to(
                mask / mask.sum(axis=2, keepdims=True), p.shape)
            p[low] = fallback[low]
        return {"probs": p}, issues

    def n_parameters(self, params):
        p = np.asarray(params["probs"])
        R = (p > 0).any(axis=0).sum(axis=1) if self.n_categories is None else np.asarray(self.n_categories)
        return int(p.shape[0] * int(np.sum(np.asarray(R) - 1)))

    def sample(self, params, states, rng):
        p = params["probs"][states]  # (n, d, m)
        u = rng.random(p.shape[:2])[..., None]
        return np.minimum((u > np.cumsum(p, axis=2)).sum(axis=2), p.shape[2] - 1).astype(float)
