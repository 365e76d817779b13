"""Gaussian mixtures fitted to data that live in a Dask array or Dask DataFrame (issue 16, item 4).

``GaussianMixture.fit(X)`` / ``fit_iter(X)`` come here when ``X`` is a ``dask.array.Array`` or a
``dask.dataframe.DataFrame`` (its numeric columns).  ``X`` is never materialised: EM's
statistics are sums over rows, so every pass is a map-reduce.  Each chunk of rows is turned
into a short vector (the log-likelihood and the M-step's sufficient statistics, computed with
the same kernels as the in-memory fit: :func:`emdesk.engine._core.em_pass`, or
:class:`emdesk.engine._missing.MissingData` for incomplete rows), the vectors are summed by
Dask's tree reduction (``Array.sum``), and only that sum comes back to the client.  The same
code therefore runs on Dask's threaded scheduler, a ``LocalCluster`` and any
``dask.distributed`` cluster: whichever scheduler is active (``dask.config.set(scheduler=...)``
or a ``distributed.Client``) computes the passes.

Passes over the data
--------------------
* One pass first: row and per-column counts, means and centred sums of squares per chunk,
  combined with Chan, Golub & LeVeque's pairwise update (1979) into the standardisation
  (shift = the column means, scale from the variances as ``_core.Standardizer``) and the
  checks (NaN, infinite values, empty columns).  When the initialisation's sample holds every
  row, the in-memory fit's own ``Standardizer.from_data`` of those rows replaces it (the
  standardisation only moves rounding, so this makes small fits bit-for-bit comparable).
  With known chunk sizes the sample is gathered in this same pass.
* One gather of a random sample of rows (at most ``INIT_SAMPLE_ROWS``, seeded by
  ``random_state``; every row when there are fewer, and then no random number is drawn, so the
  start is exactly the in-memory one).  The initialisation (``init_params``: k-means++ seeding
  and nearest-seed partition, or Lloyd's k-means, or random) runs in memory on that sample, and
  the starting parameters are the M-step of its partition; then EM runs on all rows.
* One pass per EM iteration (E-step log-likelihood and statistics together), plus one extra
  pass in the rare iteration where a component is so narrow compared with its distance from
  the data's centre that its covariance must be recomputed about the new mean (the in-memory
  fit's two-pass fallback, ``_core.TWO_PASS_RATIO``).
* Restarts: every restart runs its own EM, so ``n_init`` restarts cost ``n_init`` times the
  passes (the sample is drawn once and shared; each restart seeds differently).

Results equal the in-memory fit from the same start (up to the order of floating-point sums:
1e-10 in the tests).  ``fit_iter(..., responsibilities=True)`` is refused (an (n, k) matrix
would be materialised); ``predict_proba``/``predict``/``score_samples`` of a dask array return
lazy dask arrays instead.  ``sample_weight`` is not supported for dask data.
"""

from __future__ import annotations

import math
import types
import uuid

import numpy as np

import dask
import dask.array as da

from . import _validation as V
from ._core import (
    EPS,
    TWO_PASS_RATIO,
    DenseData,
    Layout,
    NotPositiveDefinite,
    Prepared,
    Standardizer,
    em_pass,
    mstep,
    stats_from_resp,
)
from .diagnostics import diagnose
from .relative import describe
from .em import RestartFailed, run_em
from .init import initial_responsibilities
from .snapshot import Snapshot, frozen_copy

# Reading data files and choosing the scheduler: emdesk.io.dask_files (files are read in emdesk.io).
__all__ = ["INIT_SAMPLE_ROWS", "is_dask", "as_dask_array", "fit_iter", "data_counts"]

#: Rows sampled (without replacement, seeded) for the initialisation of a Dask fit.
INIT_SAMPLE_ROWS = 50_000


def is_dask(X):
    """True for a Dask collection (array, DataFrame, Series): the ``__dask_graph__`` protocol."""
    return callable(getattr(X, "__dask_graph__", None))


def _name(what):
    return f"emdesk-{what}-{uuid.uuid4().hex}"


def as_dask_array(X, name="X", n_features=None, columns=None):
    """``(array, column names or None)``: X as a float64 ``(n, d)`` dask array with one chunk
    across the columns.  A DataFrame gives its numeric columns (or ``columns``, in that
    order); a Series or 1-D array is one column."""
    names = None
    if hasattr(X, "columns") and not isinstance(X, da.Array):  # dask DataFrame
        if columns is not None:
            missing = [c for c in columns if c not in X.columns]
            if missing:
                raise ValueError(f"{name} has no column {missing[0]!r}; its columns are "
                                 f"{', '.join(map(str, X.columns))}.")
            X = X[list(columns)]
        else:
            X = X.select_dtypes("number")
        names = [str(c) for c in X.columns]
        if not names:
            raise ValueError(f"{name} has no numeric column: select numeric columns only.")
        try:
            X = X.astype(float).to_dask_array()
        except (TypeError, ValueError):
            raise ValueError(f"{name} holds values that are not numbers: select numeric columns only.") from None
    elif not isinstance(X, da.Array):
        if hasattr(X, "to_dask_array"):  # Series
            X = X.to_dask_array()
        else:
            raise ValueError(f"{name} must be a dask array or DataFrame; got {type(X).__name__}.")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a numeric array (rows x columns of numbers); its dtype is {X.dtype}.")
    if X.ndim == 1:
        X = X[:, None]
    elif X.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D (n,) or 2-D (n, d); got an array with {X.ndim} dimensions: "
            "reshape it to rows x columns.")
    d = X.shape[1]
    if isinstance(d, float) and math.isnan(d):
        raise ValueError(f"{name} has an unknown number of columns.")
    if d == 0:
        raise ValueError(f"{name} has no columns: select at least one numeric column.")
    if n_features is not None and d != n_features:
        raise ValueError(
            f"{name} has {d} columns but the model was fitted on {n_features}: "
            f"give the same {n_features} columns in the same order.")
    if X.dtype != np.float64:
        X = X.astype(np.float64)
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    return X, names


def _per_chunk(X, func, width, what, **kwargs):
    """A (n_chunks, width) dask array: ``func(block, **kwargs)`` of every row chunk, flattened."""
    nb = X.numblocks[0]
    return da.map_blocks(func, X, chunks=((1,) * nb, (width,)), dtype=np.float64,
                         name=_name(what), **kwargs)


# ---------------------------------------------------------------------------------- pass 0
def _moments_chunk(xb):
    """[rows, all-missing rows, n infinite, then per column: count, mean, M2 (centred), then the
    centred cross-products (d x d, NaN cells as 0; used only when no cell is missing)]."""
    b, d = xb.shape
    out = np.zeros((1, 3 + 3 * d + d * d))
    out[0, 0] = b
    nan = np.isnan(xb)
    out[0, 1] = np.count_nonzero(nan.all(axis=1)) if b else 0
    out[0, 2] = np.count_nonzero(np.isinf(xb))
    cnt = (~nan).sum(axis=0).astype(float)
    with np.errstate(invalid="ignore"):
        mean = np.where(cnt > 0, np.nansum(xb, axis=0) / np.maximum(cnt, 1), 0.0)
        dev = np.where(nan, 0.0, xb - mean)
        m2 = np.einsum("ij,ij->j", dev, dev)
    out[0, 3:3 + d] = cnt
    out[0, 3 + d:3 + 2 * d] = mean
    out[0, 3 + 2 * d:3 + 3 * d] = m2
    with np.errstate(invalid="ignore", over="ignore"):  # infinite cells: reported from out[0, 2]
        out[0, 3 + 3 * d:] = (dev.T @ dev).ravel()
    return out


def _combine_moments(rows, d):
    """Chan, Golub & LeVeque's pairwise combination of per-chunk (count, mean, M2), in chunk
    order: the population mean and variance of every column (NaN cells left out)."""
    cnt = np.zeros(d)
    mean = np.zeros(d)
    m2 = np.zeros(d)
    c2 = np.zeros((d, d))
    for r in rows:
        nb, mb, qb = r[3:3 + d], r[3 + d:3 + 2 * d], r[3 + 2 * d:3 + 3 * d]
        tot = cnt + nb
        delta = mb - mean
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(tot > 0, nb / np.where(tot > 0, tot, 1), 0.0)
        m2 = m2 + qb + delta * delta * cnt * frac
        # co-moments (complete data: one count for every column)
        c2 = c2 + r[3 + 3 * d:].reshape(d, d) + np.outer(delta, delta) * (cnt[0] * frac[0] if d else 0.0)
        mean = mean + delta * frac
        cnt = tot
    var = m2 / np.maximum(cnt, 1)
    #: the data's covariance (user units; meaningful only without missing cells)
    _combine_moments.last_cov = 0.5 * (c2 + c2.T) / max(float(cnt[0]) if d else 1.0, 1.0)
    return cnt, mean, var


# ---------------------------------------------------------------------------------- EM passes
class _ChunkData:
    """One chunk in standardised units for :func:`emdesk.engine._core.em_pass` (the interface of
    ``_core.DenseData``: ``n``, ``d``, ``layout``, ``w``, ``block``, ``blocks()``).  A chunk is
    used once per pass, so nothing is cached: ``Z`` is computed column-major from the raw chunk,
    and each block's expanded features feature-major into one reused (m, block) buffer
    (contiguous vector products in cache; ``Layout.features``' row-major column gathers cost
    about 3x more here)."""

    def __init__(self, xb, std, layout, k):
        b, d = xb.shape
        self.n, self.d, self.layout, self.w = b, d, layout, None
        self.block = max(1, min(layout.block_rows(k), b))
        ZT = np.empty((d, b))
        np.subtract(xb.T, std.shift[:, None], out=ZT)  # the same operations as Standardizer.to_z
        np.divide(ZT, std.scale[:, None], out=ZT)
        self.ZT = ZT
        self.Z = ZT.T
        self.X = xb  # the rows in user units (engines whose direct form subtracts in them)

    def blocks(self):
        lay, ZT, Z = self.layout, self.ZT, self.Z
        d, nq = self.d, lay.nq
        ct = lay.covariance_type
        buf = np.empty((lay.m, self.block)) if lay.expanded else None
        if buf is not None:
            buf[lay.const] = 1.0
        pairs = list(zip(*lay.iu)) if ct in ("full", "tied") and lay.expanded else None
        for s in range(0, self.n, self.block):
            e = min(s + self.block, self.n)
            if buf is None:
                yield s, e, None, Z[s:e], None
                continue
            zt = ZT[:, s:e]
            ph = buf[:, : e - s]
            if pairs is not None:
                for q, (i, j) in enumerate(pairs):
                    np.multiply(zt[i], zt[j], out=ph[q])
            elif ct == "diag":
                np.multiply(zt, zt, out=ph[:d])
            else:
                np.einsum("ij,ij->j", zt, zt, out=ph[0])
            ph[nq:nq + d] = zt
            yield s, e, ph.T, Z[s:e], None


class _Discard:
    """Stands for em_pass's (k, n) responsibilities when a pass needs only sums."""

    def __setitem__(self, key, value):
        pass


def _dense_chunk(xb, *, std, prep, layout, k, want_stats):
    """[log-likelihood (standardised units), then the statistics]: expanded features: S (k, m);
    otherwise (full/tied above _core.MAX_EXPANDED_D): nk, sum r z and the scatter about the
    current means sum r (z - mu)(z - mu)'."""
    d = xb.shape[1]
    width = _dense_width(layout, k, d, want_stats)
    out = np.zeros((1, width))
    b = xb.shape[0]
    if b == 0:
        return out
    data = _ChunkData(xb, std, layout, k)
    ll, S = em_pass(data, prep, _Discard(), want_stats)
    out[0, 0] = ll
    if not want_stats:
        return out
    if layout.expanded:
        out[0, 1:] = S.ravel()
        return out
    # _core.ShiftedStats: nk, sum r z and the scatter about the current means, from the same pass
    out[0, 1:] = np.concatenate([S.nk, S.sx.ravel(), S.scat.ravel()])
    return out


def _dense_width(layout, k, d, want_stats):
    if not want_stats:
        return 1
    if layout.expanded:
        return 1 + k * layout.m
    return 1 + k + k * d + k * d * d


def _scatter_chunk(xb, *, std, prep, layout, k, comps, mus, diag_only):
    """Two-pass scatter sum r_j (z - mu_j)(z - mu_j)' (or its diagonal) of components ``comps``
    about their new means ``mus``, from responsibilities recomputed for ``prep``."""
    d = xb.shape[1]
    size = d if diag_only else d * d
    out = np.zeros((1, len(comps) * size))
    b = xb.shape[0]
    if b == 0:
        return out
    data = _ChunkData(xb, std, layout, k)
    Z = data.Z
    resp = np.empty((k, b))
    em_pass(data, prep, resp, False)
    for i, j in enumerate(comps):
        diff = Z - mus[i]
        if diag_only:
            acc = resp[j] @ (diff * diff)
        else:
            acc = (diff * resp[j][:, None]).T @ diff
        out[0, i * size:(i + 1) * size] = acc.ravel()
    return out


def _missing_chunk(xb, *, std, prep, k, want_stats):
    """[log-likelihood (user units), then nk, s1, s2 about the current means] of the rows with
    at least one value, by :class:`emdesk.engine._missing.MissingData` (exact marginals and
    expected statistics)."""
    from ._missing import MissingData

    d = xb.shape[1]
    width = 1 + (k + k * d + k * d * d if want_stats else 0)
    out = np.zeros((1, width))
    keep = ~np.isnan(xb).all(axis=1)
    if not keep.any():
        return out
    Z = std.to_z(xb[keep])
    data = MissingData(Z, None, std, k)
    resp = np.empty((k, Z.shape[0]))
    ll, stats = data.em_pass(prep, resp, want_stats)
    out[0, 0] = ll
    if not want_stats:
        return out
    nk, s1, s2, c0 = stats
    c = prep.means
    dc = c0 - c  # moments about c0 -> about c:  sum r (z - c) = s1 + nk dc, ...
    s2 = (s2 + np.einsum("ki,kj->kij", dc, s1) + np.einsum("ki,kj->kij", s1, dc)
          + nk[:, None, None] * np.einsum("ki,kj->kij", dc, dc))
    s1 = s1 + nk[:, None] * dc
    out[0, 1:] = np.concatenate([nk, s1.ravel(), s2.ravel()])
    return out


def _take_rows(xb, idx):
    return np.asarray(xb)[idx]


# ---------------------------------------------------------------------------------- context
class DaskContext:
    """The data side of a Dask fit: pass 0 (standardisation and checks), the sample for the
    initialisation, and the per-iteration passes."""

    def __init__(self, est, X, rng=None, sample_size=None):
        """``sample_size`` (with ``rng``): gather the initialisation's sample in pass 0 already
        when the chunks' row counts are known (otherwise in a pass of its own, when asked)."""
        self.ct = ct = est.covariance_type
        self.k = k = est.n_components
        self.X = X
        self.d = d = X.shape[1]
        self._sample = None
        self._sample_parts = None
        moments = _per_chunk(X, _moments_chunk, 3 + 3 * d, "moments")
        if sample_size is not None and not any(math.isnan(c) for c in X.chunks[0]):
            parts = self._gather(np.array(X.chunks[0], dtype=np.int64), rng, sample_size)
            # not optimised, so that fusion does not rename X's chunks: each is made once
            moments, *self._sample_parts = dask.compute(moments, *parts, optimize_graph=False)
        else:
            moments = moments.compute()
        n_rows = int(moments[:, 0].sum())
        if n_rows == 0:
            raise ValueError("X has no rows: give at least one row of data.")
        n_inf = int(moments[:, 2].sum())
        if n_inf:
            raise ValueError(f"X contains {n_inf} infinite value(s): remove or replace them.")
        cnt, shift, var = _combine_moments(moments, d)
        self.data_cov_user = _combine_moments.last_cov
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
        self.reg_covar = est.reg_covar
        self._set_std(Standardizer(shift, Standardizer._safe_scale(var, ct, shift), var))
        self.layout = Layout(ct, d)
        self.W = float(n_with_data)
        self.w = None

    def _set_std(self, std):
        self.std = std
        var = std.data_var
        self.data_variances = np.where(np.isfinite(var), var, 0.0)
        # reg_covar="relative" (emdesk.engine.relative): the data's covariance from pass 0
        # (full/tied, complete data), else each feature's variance
        from .gaussian import _regularisation
        cz = None
        if self.ct in ("full", "tied") and not self.has_missing:
            cz = self.data_cov_user / np.multiply.outer(std.scale, std.scale)
        self.data_cov = None if cz is None else self.data_cov_user
        self.reg_z, self.reg_off, self.reg_user = _regularisation(self.reg_covar, self.ct, std,
                                                                  self.data_variances, cz)

    # -- initialisation on a sample --------------------------------------------------------
    def sample(self, rng, size):
        """The rows (standardised, complete-or-not) the initialisation runs on: every row with
        data when there are at most ``size`` (no random number drawn), else ``size`` rows
        drawn without replacement, in data order.  Gathered once."""
        if self._sample is not None:
            return self._sample
        if self._sample_parts is None:
            self._sample_parts = dask.compute(*self._gather(self.chunk_rows, rng, size))
        Xs = np.concatenate(self._sample_parts, axis=0)
        self._sample_parts = None
        if self.has_missing:
            Xs = Xs[~np.isnan(Xs).all(axis=1)]
        if self._sample_is_all:
            # every row is in memory now: the in-memory fit's own standardisation, so the fit is
            # exactly the in-memory one (the shift only moves rounding, never the result)
            self._set_std(Standardizer.from_data(Xs, None, self.ct))
        Zs = self.std.to_z(Xs)
        if self.has_missing:
            from ._missing import MissingData

            data = MissingData(Zs, None, self.std, self.k)
            self._sample = (data, data.init_matrix())
        else:
            self._sample = (DenseData(Zs, None, self.layout, self.k), Zs)
        return self._sample

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
                    parts.append(dask.delayed(_take_rows)(blocks[i], slice(None)))
                continue
            lo, hi = np.searchsorted(rows, [starts[i], starts[i + 1]])
            if hi > lo:
                parts.append(dask.delayed(_take_rows)(blocks[i], rows[lo:hi] - starts[i]))
        return parts

    def params_from_resp(self, data, resp):
        resp = np.ascontiguousarray(resp.T)
        if self.has_missing:
            return self._off_diagonal_reg(data.mstep(data.stats_from_resp(resp), self.ct, self.reg_z))
        return self._off_diagonal_reg(mstep(data, stats_from_resp(data, resp), resp, self.ct, self.reg_z))

    # -- one EM pass -----------------------------------------------------------------------
    def em_pass(self, prep, want_stats):
        k, d = self.k, self.d
        if self.has_missing:
            width = 1 + (k + k * d + k * d * d if want_stats else 0)
            tot = _per_chunk(self.X, _missing_chunk, width, "em", std=self.std, prep=prep, k=k,
                             want_stats=want_stats).sum(axis=0).compute()
            if not want_stats:
                return float(tot[0]), None
            nk = tot[1:1 + k]
            s1 = tot[1 + k:1 + k + k * d].reshape(k, d)
            s2 = tot[1 + k + k * d:].reshape(k, d, d)
            return float(tot[0]), ("missing", nk, s1, s2, prep)
        lay = self.layout
        width = _dense_width(lay, k, d, want_stats)
        tot = _per_chunk(self.X, _dense_chunk, width, "em", std=self.std, prep=prep, layout=lay, k=k,
                         want_stats=want_stats).sum(axis=0).compute()
        ll = float(tot[0]) - self.W * self.std.log_scale_sum
        if not want_stats:
            return ll, None
        if lay.expanded:
            return ll, ("expanded", tot[1:].reshape(k, lay.m), prep)
        nk = tot[1:1 + k]
        sx = tot[1 + k:1 + k + k * d].reshape(k, d)
        scat = tot[1 + k + k * d:].reshape(k, d, d)
        return ll, ("shifted", nk, sx, scat, prep)

    def _scatter(self, prep, comps, mus, diag_only):
        d, k = self.d, self.k
        size = d if diag_only else d * d
        tot = _per_chunk(self.X, _scatter_chunk, len(comps) * size, "scatter", std=self.std, prep=prep,
                         layout=self.layout, k=k, comps=list(comps), mus=np.asarray(mus),
                         diag_only=diag_only).sum(axis=0).compute()
        shape = (d,) if diag_only else (d, d)
        return {j: tot[i * size:(i + 1) * size].reshape(shape) for i, j in enumerate(comps)}

    def mstep(self, stats):
        return self._off_diagonal_reg(self._mstep_raw(stats))

    def _off_diagonal_reg(self, params):
        """reg_covar="relative", full/tied: the off-diagonal part of r x the data's covariance
        (the M-step added its diagonal), as the in-memory fit."""
        if self.reg_off is None:
            return params
        w, m, c = params
        return w, m, c + (self.reg_off[None] if self.ct == "full" else self.reg_off)

    def _mstep_raw(self, stats):
        kind = stats[0]
        ct, reg_z, d = self.ct, self.reg_z, self.d
        if kind == "missing":
            from ._missing import MissingData

            _, nk, s1, s2, prep = stats
            return MissingData.mstep(types.SimpleNamespace(d=d), (nk, s1, s2, prep.means), ct, reg_z)
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
        the two-pass form get one extra pass over the data (:func:`_scatter_chunk`)."""
        lay, ct, reg_z, d = self.layout, self.ct, self.reg_z, self.d
        k = S.shape[0]
        nk = S[:, lay.const] + 10 * EPS
        means = S[:, lay.lin] / nk[:, None]
        if ct in ("full", "tied"):
            m2 = np.empty((k, d, d))
            i0, i1 = lay.iu
            vals = S[:, : lay.nq] / nk[:, None]
            m2[:, i0, i1] = vals
            m2[:, i1, i0] = vals
            cov = m2 - np.einsum("ki,kj->kij", means, means)
            dm2 = np.diagonal(m2, axis1=1, axis2=2)
            dcov = np.diagonal(cov, axis1=1, axis2=2)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(dcov > 0, dm2 / np.where(dcov > 0, dcov, 1.0), np.inf)
            redo = np.flatnonzero(np.any(ratio > TWO_PASS_RATIO, axis=1) & (nk > 100 * EPS))
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


class _DaskRun:
    """The model context (docs/INTERFACES.md, "The EM driver") of a Gaussian mixture on Dask data."""

    def __init__(self, est, ctx, inits, sample_rows):
        self.est, self.ctx, self.inits = est, ctx, inits
        self.W = ctx.W
        self.sample_rows = sample_rows

    def initial_params(self, rng, interrupt):
        est, ctx = self.est, self.ctx
        w0, m0, c0 = self.inits
        std, ct = ctx.std, ctx.ct
        if w0 is not None and m0 is not None and c0 is not None:
            return w0.copy(), std.means_to_z(m0), std.cov_to_z(c0, ct)
        data, Zinit = ctx.sample(rng, self.sample_rows)
        resp = initial_responsibilities(est.init_params, Zinit, est.n_components, None, rng, interrupt)
        weights, means, cov = ctx.params_from_resp(data, resp)
        if w0 is not None:
            weights = w0.copy()
        if m0 is not None:
            means = std.means_to_z(m0)
        if c0 is not None:
            cov = std.cov_to_z(c0, ct)
        return weights, means, cov

    def prepare(self, params, where):
        try:
            prep = Prepared(*params, self.ctx.ct, self.ctx.layout)
        except NotPositiveDefinite as exc:
            from .gaussian import _not_pd_message

            raise RestartFailed(_not_pd_message(exc, self.est, where)) from None
        if prep.direct.size and not self.ctx.has_missing and hasattr(prep, "means_user"):
            # as the in-memory context does where the engine evaluates direct components in user units
            prep.means_user = self.ctx.std.means_to_user(params[1])
            prep.std = self.ctx.std
        return prep

    def e_step(self, prep, want_stats):
        return self.ctx.em_pass(prep, want_stats)

    def m_step(self, stats):
        return self.ctx.mstep(stats)

    def nonfinite_message(self, ll, t, where0):
        return (
            f"The log-likelihood became {ll} at iteration {t}{where0}: the data are "
            "too extreme for the current parameters. Increase reg_covar "
            f"(now {describe(self.est.reg_covar, 'reg_covar')}) or use fewer components."
        )

    def _user(self, params):
        weights, mz, cz = params
        std = self.ctx.std
        return weights.copy(), std.means_to_user(mz), std.cov_to_user(cz, self.ctx.ct)

    def snapshot(self, params, *, want_resp, **fields):
        ctx = self.ctx
        weights, means, cov = self._user(params)
        return Snapshot(
            weights=frozen_copy(weights), means=frozen_copy(means), covariances=frozen_copy(cov),
            covariance_type=ctx.ct, responsibilities=None,
            issues=diagnose(weights, cov, ctx.ct, ctx.W,
                            ctx.data_variances if ctx.data_cov is None else ctx.data_cov, ctx.reg_user),
            n_samples=ctx.W, missing=self.est.missing, **fields,
        )

    def result(self, params, snap):
        if snap is not None:
            return {"weights": np.array(snap.weights), "means": np.array(snap.means),
                    "covariances": np.array(snap.covariances)}
        weights, means, cov = self._user(params)
        return {"weights": weights, "means": means, "covariances": cov}


def fit_iter(est, X, sample_weight=None, responsibilities=False, interrupt=None, sample_rows=None):
    """``GaussianMixture.fit_iter`` for a Dask array or DataFrame (see the module's docstring).
    Pass 0 runs here, before the generator is returned (its errors are raised at once)."""
    if responsibilities:
        raise ValueError(
            "responsibilities=True is not available for Dask data (the (n, k) matrix would be "
            "materialised in memory): fit, then call predict_proba(X), which returns a lazy dask array.")
    if sample_weight is not None:
        raise ValueError(
            "sample_weight is not supported for Dask data: repeat rows instead, or fit an in-memory array.")
    V.check_params(est)
    if est.init_params == "emEM":
        raise ValueError("init_params='emEM' (hierarchical start and short exploratory runs) needs the data in "
                         "memory; for Dask data use 'kmeans++', 'kmeans', 'random' or 'random_from_data'.")
    Xd, names = as_dask_array(X)
    k, d = est.n_components, Xd.shape[1]
    inits = est._check_inits(k, d)
    size = INIT_SAMPLE_ROWS if sample_rows is None else V._int(sample_rows, "sample_rows", 1)
    size = max(size, k)
    rng = np.random.default_rng(est.random_state)
    need_sample = any(v is None for v in inits)
    ctx = DaskContext(est, Xd, rng, size if need_sample else None)
    run = _DaskRun(est, ctx, inits, size)

    def finish(results, best):
        est._set_fitted(ctx, results, best)
        if names is not None:
            est.feature_names_in_ = np.array(names, dtype=object)

    return run_em(run, n_init=est.n_init, max_iter=est.max_iter, tol=est.tol, rng=rng,
                  want_resp=False, interrupt=interrupt, finish=finish)


# ---------------------------------------------------------------------------------- scoring
def _frozen_model(est):
    from .gaussian import GaussianMixture

    return GaussianMixture.from_parameters(est.weights_, est.means_, est.covariances_, est.covariance_type,
                                           missing=est.missing)


def _score_block(xb, model):
    return model.score_samples(xb)


def _proba_block(xb, model):
    return model.predict_proba(xb)


def _predict_block(xb, model):
    return model.predict(xb)


def _scoring_input(est, X):
    est._check_fitted()
    names = getattr(est, "feature_names_in_", None)
    cols = None
    if hasattr(X, "columns") and not isinstance(X, da.Array) and names is not None:
        by_name = {str(c): c for c in X.columns}
        if all(str(n) in by_name for n in names):  # the fitted columns, in the fitted order
            cols = [by_name[str(n)] for n in names]
    Xd, _ = as_dask_array(X, n_features=est.n_features_in_, columns=cols)
    return Xd, _frozen_model(est)


def score_samples(est, X):
    """Lazy (n,) dask array of log-densities (``map_blocks`` of the in-memory method)."""
    Xd, model = _scoring_input(est, X)
    return Xd.map_blocks(_score_block, model, drop_axis=1, dtype=np.float64, name=_name("score"))


def predict_proba(est, X):
    """Lazy (n, k) dask array of responsibilities."""
    Xd, model = _scoring_input(est, X)
    k = len(est.weights_)
    return Xd.map_blocks(_proba_block, model, chunks=(Xd.chunks[0], (k,)), dtype=np.float64,
                         name=_name("proba"))


def predict(est, X):
    """Lazy (n,) dask array of component labels."""
    Xd, model = _scoring_input(est, X)
    return Xd.map_blocks(_predict_block, model, drop_axis=1, dtype=np.intp, name=_name("predict"))


def _criteria_block(xb, model, entropy):
    out = np.zeros((1, 3))
    if not (~np.isnan(xb).all(axis=1)).any():  # nothing observed in this chunk
        return out
    out[0] = model._criteria(xb, entropy=entropy)
    return out


def criteria(est, X, sample_weight=None, entropy="map"):
    """``(n, log-likelihood, classification entropy)`` of Dask data in one pass (as
    ``GaussianMixture._criteria``)."""
    if sample_weight is not None:
        raise ValueError("sample_weight is not supported for Dask data.")
    Xd, model = _scoring_input(est, X)
    tot = _per_chunk(Xd, _criteria_block, 3, "criteria", model=model, entropy=entropy).sum(axis=0).compute()
    if not tot[0] > 0:
        raise ValueError("X has no row with an observed value (every row is all NaN): give rows with data.")
    return float(tot[0]), float(tot[1]), float(tot[2])


def data_counts(X):
    """``(n_rows, n_missing_values)`` of Dask data in one pass (for the fit file's ``data``
    block, which ``emdesk.io.save_fit`` otherwise counts on an in-memory array)."""
    Xd, _ = as_dask_array(X)
    d = Xd.shape[1]
    rows = _per_chunk(Xd, _moments_chunk, 3 + 3 * d, "counts").compute()
    n = int(rows[:, 0].sum())
    return n, int(n * d - rows[:, 3:3 + d].sum())
