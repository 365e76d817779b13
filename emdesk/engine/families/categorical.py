"""Categorical emissions: one column of integer symbols ``0 .. n_symbols - 1`` (hmmlearn's
``CategoricalHMM``).

Parameters: ``emissionprob`` (k, n_symbols), each row a probability vector.  A missing symbol (NaN,
with ``missing="marginalize"``) contributes its marginal, 1.  M-step: expected symbol counts per
state, normalised (maximum likelihood; with ``emissionprob_prior`` > 1 the Dirichlet MAP
``max(prior - 1 + counts, 0)`` normalised, hmmlearn's form).
"""

from __future__ import annotations

import numpy as np

from ._codes import CodedRows
from ._blocks import LazyRows, RowResp, TakenRows, as_rows, block_rows, reduce_stats, resp_block, row_ranges
from .base import FamilyFailure, empty_state_issues, state_floor

__all__ = ["CategoricalFamily", "LatentClassFamily"]



#: Largest symbol / category code accepted: codes are indexes into (k, m) probability tables and an
#: (n, m) one-hot start, so a code such as 1e12 (an id, not a category) asked for terabytes
#: (MemoryError) or overflowed int64.
MAX_CODE = 2**20 - 1

# Bytes of one block's temporaries when sampling (issue 16, tenth session): the states' probabilities (rows x
# their cells), their cumulative sums and the comparisons, never of every row at once
SAMPLE_BLOCK_BYTES = 8 << 20


def sample_blocks(n, cells):
    """``(start, stop)`` row blocks of a sample of ``n`` rows with ``cells`` probabilities a row (about
    ``SAMPLE_BLOCK_BYTES`` of temporaries: 8 bytes a cell three times).  The draws are taken row after row,
    so the blocks draw what one call drew (``rng.random`` one 64-bit draw per number)."""
    step = max(1, SAMPLE_BLOCK_BYTES // (24 * max(1, cells)))
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def _check_code_bound(largest, what):
    if largest > MAX_CODE:
        raise ValueError(
            f"Categorical {what}s are indexes 0, 1, 2, ... into a table of probabilities; the data hold "
            f"{what} {largest:.6g}, beyond the largest accepted ({MAX_CODE:,}). Recode the column as "
            f"0 .. m-1 (one number per distinct value), or give it as text to emdesk-fit / the window.")

class _Data:
    """Bound symbols: ``X`` (the caller's column, a reference), ``n``, ``d`` (1), ``n_symbols``,
    ``has_missing``, ``block`` (rows per block), ``held`` (per-row arrays for all rows: small
    data).  Per-row arrays (a block's rows, or all when held): ``x`` (int64 codes, missing at 0)
    and ``obs`` (bool)."""

    __slots__ = ("X", "x", "obs", "has_missing", "n", "d", "n_symbols", "held", "block")


def _check_codes_blocked(X, n, step, what):
    """Block-wise checks of integer codes: ``(NaN count, first bad (row, col) or None, largest code or
    None)``; one block's copy at a time."""
    n_nan, bad, largest = 0, None, None
    for s, e in row_ranges(n, step):
        xb = X[s:e]
        xb = xb.reshape(len(xb), -1)
        obs = ~np.isnan(xb)
        n_nan += int(obs.size - np.count_nonzero(obs))
        Xf = np.where(obs, xb, 0.0)
        if bad is None:
            b = (Xf < 0) | (Xf != np.round(Xf))
            if b.any():
                i, c = np.argwhere(b)[0]
                bad = (s + int(i), int(c), float(xb[i, c]))
        if obs.any():
            m = float(np.max(xb[obs]))
            largest = m if largest is None else max(largest, m)
    return n_nan, bad, largest


def _symbol_rows(X):
    """``X`` as rows of symbols: an integer array is kept as it is (read and converted per block, issue
    16: no float64 copy of hmmlearn-style integer input), anything else as :func:`as_rows`."""
    if isinstance(X, (np.ndarray, TakenRows)) and X.dtype.kind in "iu":  # TakenRows: a resample read in place
        return X.reshape(-1, 1) if X.ndim == 1 else X
    return as_rows(X)


class CategoricalFamily:
    """Categorical symbols in one column; ``n_symbols`` None = ``max(X) + 1``.

    Memory (issue 16): ``bind`` keeps a reference to X and checks it in row blocks; the codes and
    the mask are made per block of rows in the passes (all rows when they fit one block)."""

    name = "categorical"
    param_names = ("emissionprob",)

    def __init__(self, n_symbols=None, missing="error", emissionprob_prior=None):
        self.n_symbols = n_symbols
        self.missing = missing
        self.emissionprob_prior = emissionprob_prior

    def bind(self, X, k=None):
        X = _symbol_rows(X)
        if X.shape[1] != 1:
            raise ValueError(
                f"Categorical emissions take one column of symbols; X has {X.shape[1]} columns.")
        n = X.shape[0]
        step = block_rows(n, k, 4)
        n_nan, bad, largest = _check_codes_blocked(X, n, step, "symbol")
        if n_nan and self.missing != "marginalize":
            raise ValueError(
                f"X contains {n_nan} missing (NaN) symbol(s): drop them or use missing='marginalize'.")
        if bad is not None:
            raise ValueError(
                f"Categorical symbols must be integers 0, 1, 2, ...; row {bad[0] + 1} holds {bad[2]!r}.")
        n_sym = int(largest) + 1 if largest is not None else 1
        _check_code_bound(n_sym - 1, "symbol")
        if self.n_symbols is not None:
            if n_sym > int(self.n_symbols):
                raise ValueError(
                    f"X holds symbol {n_sym - 1} but the model has {int(self.n_symbols)} symbols "
                    f"(0 .. {int(self.n_symbols) - 1}).")
            n_sym = int(self.n_symbols)
        data = _Data()
        data.X, data.n, data.d, data.n_symbols = X, n, 1, n_sym
        data.has_missing = n_nan > 0
        data.block, data.held, data.x, data.obs = step, False, None, None
        if n <= step:
            return self.rows(data, 0, n)
        return data

    def rows(self, data, s, e):
        """The bound data of rows s:e (the same ``n_symbols``; codes and mask of those rows)."""
        if data.held and s == 0 and e == data.n:
            return data
        out = _Data()
        out.n_symbols, out.d, out.has_missing, out.block = data.n_symbols, 1, data.has_missing, data.block
        out.n, out.held = e - s, True
        out.X = data.X[s:e]
        if data.held:
            out.x, out.obs = data.x[s:e], data.obs[s:e]
            return out
        xb = data.X[s:e]
        if xb.dtype.kind in "iu":  # integer symbols (checked at bind): every cell observed
            out.x, out.obs = xb.reshape(-1).astype(np.int64), np.ones(e - s, dtype=bool)
            return out
        x = np.asarray(xb, dtype=float).reshape(-1)
        obs = ~np.isnan(x)
        out.x = np.where(obs, x, 0).astype(np.int64)
        out.obs = obs
        return out

    def init_matrix(self, data):
        """One-hot symbols (missing: all zero), for k-means; made per block when read."""
        m = data.n_symbols

        def one_hot(xb):
            x = xb.reshape(-1)
            obs = ~np.isnan(x)
            out = np.zeros((x.shape[0], m))
            out[np.arange(x.shape[0]), np.where(obs, x, 0).astype(np.int64)] = obs
            return out

        return LazyRows(data.X, one_hot, m)

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
        if not data.held:
            out = np.empty((data.n, loge.shape[0]))
            for s, e in row_ranges(data.n, data.block):
                out[s:e] = self.log_prob(self.rows(data, s, e), loge)
            return out
        out = loge[:, data.x].T.copy()
        if data.has_missing:
            out[~data.obs] = 0.0
        return out

    def stats(self, data, prep, post):
        """``(nk (k,), expected symbol counts (k, n_symbols))``: sums over rows (:meth:`add_stats`)."""
        if not data.held or isinstance(post, RowResp):
            return reduce_stats(self, (self.stats(self.rows(data, s, e), prep, resp_block(post, s, e))
                                       for s, e in row_ranges(data.n, data.block)))
        k = post.shape[1]
        counts = np.empty((k, data.n_symbols))
        w = post if not data.has_missing else post * data.obs[:, None]
        for j in range(k):
            counts[j] = np.bincount(data.x, weights=w[:, j], minlength=data.n_symbols)
        return post.sum(axis=0), counts

    @staticmethod
    def add_stats(a, b):
        """The statistics of the union of two disjoint row sets (sums)."""
        return a[0] + b[0], a[1] + b[1]

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
        """(n, 1) float symbols of the states: ``rng.random(n)`` against each state's cumulative probabilities,
        made in row blocks (:func:`sample_blocks`: the same draws, no ``(n, m)`` temporaries)."""
        e = params["emissionprob"]
        out = np.empty((len(states), 1))
        for s, t in sample_blocks(len(states), e.shape[1]):
            u = rng.random(t - s)[:, None]
            out[s:t, 0] = np.minimum((u > np.cumsum(e[states[s:t]], axis=1)).sum(axis=1), e.shape[1] - 1)
        return out


class _LCData:
    """As the categorical family's data, for several columns: ``x`` (n, d) int64 codes, ``obs``
    (n, d) bool per block of rows (all rows when ``held``), ``n_categories`` (d,), ``m``."""

    __slots__ = ("X", "x", "obs", "has_missing", "n", "d", "n_categories", "m", "held", "block")


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
        X = as_rows(X)
        n, d = X.shape
        step = block_rows(n, k, 3 * d)
        if isinstance(X, CodedRows) and X.all_codes:  # valid codes by construction: count and bound them
            n_nan, colmax = X.code_summary()
            bad = None
        else:
            n_nan, bad, _ = _check_codes_blocked(X, n, step, "code")
            colmax = None
        if n_nan and self.missing != "marginalize":
            raise ValueError(
                f"X contains {n_nan} missing (NaN) value(s): drop them or use missing='marginalize'.")
        if bad is not None:
            i, c, v = bad
            raise ValueError(f"Categorical codes must be integers 0, 1, 2, ...; column {c + 1}, row {i + 1} "
                             f"holds {v:g}.")
        if colmax is None:
            colmax = np.zeros(d)
            for s, e in row_ranges(n, step):
                xb = X[s:e]
                colmax = np.maximum(colmax, np.where(np.isnan(xb), 0.0, xb).max(axis=0))
        if n:
            _check_code_bound(float(colmax.max()) if d else 0.0, "code")
        R = (colmax.astype(np.int64) + 1) if n else np.ones(d, np.int64)
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
        data.X = X
        data.has_missing = n_nan > 0
        data.n, data.d = n, d
        data.n_categories = R
        data.m = int(R.max()) if d else 1
        data.block, data.held, data.x, data.obs = step, False, None, None
        if n <= step:
            return self.rows(data, 0, n)
        return data

    def rows(self, data, s, e):
        """The bound data of rows s:e (the same categories; codes and mask of those rows)."""
        if data.held and s == 0 and e == data.n:
            return data
        out = _LCData()
        out.has_missing, out.d, out.n_categories, out.m, out.block = (
            data.has_missing, data.d, data.n_categories, data.m, data.block)
        out.n, out.held = e - s, True
        out.X = data.X[s:e]
        if data.held:
            out.x, out.obs = data.x[s:e], data.obs[s:e]
            return out
        if isinstance(data.X, CodedRows) and data.X.all_codes:  # compact codes: no float round trip
            out.x, out.obs = data.X.codes_rows(slice(s, e))
            return out
        xb = data.X[s:e]
        obs = ~np.isnan(xb)
        out.x = np.where(obs, xb, 0.0).astype(np.int64)
        out.obs = obs
        return out

    def init_matrix(self, data):
        """One-hot codes of every column side by side (missing cells all zero), for k-means; made per
        block when read."""
        offs = np.concatenate([[0], np.cumsum(data.n_categories)])

        def one_hot(xb):
            obs = ~np.isnan(xb)
            x = np.where(obs, xb, 0.0).astype(np.int64)
            out = np.zeros((xb.shape[0], int(offs[-1])))
            rows = np.arange(xb.shape[0])
            for c in range(data.d):
                out[rows, offs[c] + x[:, c]] = obs[:, c]
            return out

        return LazyRows(data.X, one_hot, int(offs[-1]))

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
        if not data.held:
            out = np.empty((data.n, logp.shape[0]))
            for s, e in row_ranges(data.n, data.block):
                out[s:e] = self.log_prob(self.rows(data, s, e), logp)
            return out
        out = np.zeros((data.n, logp.shape[0]))
        for c in range(data.d):
            lc = logp[:, c, data.x[:, c]].T  # (n, k)
            if data.has_missing:
                lc[~data.obs[:, c]] = 0.0
            out += lc
        return out

    def stats(self, data, prep, post):
        """``(nk (k,), expected category counts (k, d, m))``: sums over rows (:meth:`add_stats`)."""
        if not data.held or isinstance(post, RowResp):
            return reduce_stats(self, (self.stats(self.rows(data, s, e), prep, resp_block(post, s, e))
                                       for s, e in row_ranges(data.n, data.block)))
        k = post.shape[1]
        counts = np.zeros((k, data.d, data.m))
        for c in range(data.d):
            w = post if not data.has_missing else post * data.obs[:, c:c + 1]
            for j in range(k):
                counts[j, c] = np.bincount(data.x[:, c], weights=w[:, j], minlength=data.m)[:data.m]
        return post.sum(axis=0), counts

    @staticmethod
    def add_stats(a, b):
        """The statistics of the union of two disjoint row sets (sums)."""
        return a[0] + b[0], a[1] + b[1]

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
        """(n, d) float codes of the states, a row block at a time (:func:`sample_blocks`; the ``(n, d, m)``
        probabilities and their sums of every row at once before: 1e7 x 3 rows, 4 levels, 1.9 GB)."""
        probs = np.asarray(params["probs"])
        d, m = probs.shape[1:]
        out = np.empty((len(states), d))
        for s, t in sample_blocks(len(states), d * m):
            u = rng.random((t - s, d))[..., None]  # row-major: the rows' draws in order, as one (n, d) draw
            out[s:t] = np.minimum((u > np.cumsum(probs[states[s:t]], axis=2)).sum(axis=2), m - 1)
        return out
