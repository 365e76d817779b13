"""The per-chunk kernels of a Gaussian mixture fitted to Dask data (issue 16, item 4).

Every function here turns one chunk of rows (a NumPy array in the user's units, in a Dask
worker) into a short row vector; :func:`per_chunk` maps it over the chunks and the caller sums
the vectors with Dask's tree reduction.  Nothing here holds Qt objects or state between calls:
a task carries the function and its keyword arguments (the standardisation, the prepared
parameters), which pickle to worker processes.

* :func:`moments_chunk` (pass 0): counts, per-column means and centred sums of squares (NaN
  cells left out), and the complete rows' count, mean and centred cross-products; combined by
  :func:`combine_moments` with Chan, Golub & LeVeque's pairwise update (1979).
* :func:`em_chunk`: one E-step of *several* parameter sets at once (the live restarts of a fit,
  :mod:`emdesk.engine._dask_run`): the chunk is standardised once and every parameter set's
  log-likelihood and M-step statistics are computed from it, with the in-memory fit's own kernels
  (:func:`emdesk.engine._core.em_pass`, :class:`emdesk.engine._missing.MissingData`).
* :func:`scatter_chunk`: the in-memory fit's two-pass scatter of a narrow, far component about
  its new mean (``_core.TWO_PASS_RATIO``).
"""

from __future__ import annotations

import uuid

import numpy as np

import dask.array as da

from ._core import em_pass
from ._threads import one_thread

__all__ = ["per_chunk", "moments_width", "moments_chunk", "combine_moments", "column_range", "em_width",
           "em_chunk", "scatter_chunk", "take_rows"]


def name(what):
    """A unique Dask key prefix (no fusion or caching across passes of different parameters)."""
    return f"emdesk-{what}-{uuid.uuid4().hex}"


def per_chunk(X, func, width, what, **kwargs):
    """A (n_chunks, width) dask array: ``func(block, **kwargs)`` of every row chunk, flattened."""
    nb = X.numblocks[0]
    return da.map_blocks(func, X, chunks=((1,) * nb, (width,)), dtype=np.float64, name=name(what), **kwargs)


def take_rows(xb, idx):
    """Rows ``idx`` of a chunk (the initialisation's sample)."""
    return np.asarray(xb)[idx]


# ---------------------------------------------------------------------------------- pass 0
def moments_width(d):
    return 4 + 6 * d + d * d


def _min_max(xb):
    """Per-column smallest and largest value: column by column for a few columns (a reduction
    along axis 0 of a (1e6, 2) array took 72 ms, the two columns' own 2 ms)."""
    if xb.shape[1] <= 8:
        return (np.array([xb[:, j].min() for j in range(xb.shape[1])]),
                np.array([xb[:, j].max() for j in range(xb.shape[1])]))
    return xb.min(axis=0), xb.max(axis=0)


def moments_chunk(xb):
    """[rows, all-missing rows, n infinite, per column: count, mean, M2 (centred; NaN cells left
    out), then the complete rows: count, mean (d), centred cross-products (d x d), then per column
    the smallest and the largest observed value (d + d; +inf and -inf where none)]."""
    b, d = xb.shape
    out = np.zeros((1, moments_width(d)))
    out[0, 0] = b
    e = 4 + 4 * d + d * d  # the observed range
    out[0, e:e + d], out[0, e + d:] = np.inf, -np.inf
    if b == 0:
        return out
    with np.errstate(invalid="ignore", over="ignore"):
        total = xb.sum(axis=0)
    if np.all(np.isfinite(total)):
        # every cell finite (the usual case): three array operations, not the ten of the general
        # path (whose row-wise reductions over a few columns cost as much as generating the chunk)
        mean = total / b
        dev = xb - mean
        with np.errstate(over="ignore", invalid="ignore"):  # overflowing squares: refused after pass 0
            cross = dev.T @ dev
        c = 3 + 3 * d
        out[0, 3:3 + d] = b
        out[0, 3 + d:3 + 2 * d] = mean
        out[0, 3 + 2 * d:c] = np.diagonal(cross)
        out[0, c] = b
        out[0, c + 1:c + 1 + d] = mean
        out[0, c + 1 + d:e] = cross.ravel()
        out[0, e:e + d], out[0, e + d:] = _min_max(xb)
        return out
    nan = np.isnan(xb)
    out[0, 1] = np.count_nonzero(nan.all(axis=1))
    out[0, 2] = np.count_nonzero(np.isinf(xb))
    cnt = (~nan).sum(axis=0).astype(float)
    with np.errstate(invalid="ignore", over="ignore"):
        mean = np.where(cnt > 0, np.nansum(xb, axis=0) / np.maximum(cnt, 1), 0.0)
        dev = np.where(nan, 0.0, xb - mean)
        m2 = np.einsum("ij,ij->j", dev, dev)
    out[0, 3:3 + d] = cnt
    out[0, 3 + d:3 + 2 * d] = mean
    out[0, 3 + 2 * d:3 + 3 * d] = m2
    out[0, e:e + d] = _min_max(np.where(nan, np.inf, xb))[0]
    out[0, e + d:] = _min_max(np.where(nan, -np.inf, xb))[1]
    complete = xb if not nan.any() else xb[~nan.any(axis=1)]
    nc = complete.shape[0]
    c = 3 + 3 * d
    out[0, c] = nc
    if nc:
        with np.errstate(invalid="ignore", over="ignore"):  # infinite cells: reported from out[0, 2]
            mc = complete.mean(axis=0)
            dc = complete - mc
            out[0, c + 1:c + 1 + d] = mc
            out[0, c + 1 + d:e] = (dc.T @ dc).ravel()
    return out


def combine_moments(rows, d):
    """Chan, Golub & LeVeque's pairwise combination of per-chunk moments, in chunk order.

    Returns ``(count (d,), mean (d,), population variance (d,), n_complete, complete rows' mean
    (d,), complete rows' centred cross-product sum (d, d))`` (NaN cells left out of the
    per-column figures)."""
    cnt = np.zeros(d)
    mean = np.zeros(d)
    m2 = np.zeros(d)
    nc, mc, c2 = 0.0, np.zeros(d), np.zeros((d, d))
    c = 3 + 3 * d
    for r in rows:
        nb, mb, qb = r[3:3 + d], r[3 + d:3 + 2 * d], r[3 + 2 * d:3 + 3 * d]
        tot = cnt + nb
        delta = mb - mean
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(tot > 0, nb / np.where(tot > 0, tot, 1), 0.0)
        m2 = m2 + qb + delta * delta * cnt * frac
        mean = mean + delta * frac
        cnt = tot
        nbc = r[c]
        if nbc > 0:
            totc = nc + nbc
            dlt = r[c + 1:c + 1 + d] - mc
            c2 = c2 + r[c + 1 + d:c + 1 + d + d * d].reshape(d, d) + np.outer(dlt, dlt) * (nc * nbc / totc)
            mc = mc + dlt * (nbc / totc)
            nc = totc
    var = m2 / np.maximum(cnt, 1)
    return cnt, mean, var, nc, mc, 0.5 * (c2 + c2.T)


def column_range(rows, d):
    """``(smallest, largest)`` observed value of every column (+inf, -inf for a column without
    one) from the per-chunk moments."""
    rows = np.atleast_2d(rows)
    e = 4 + 4 * d + d * d
    return rows[:, e:e + d].min(axis=0), rows[:, e + d:e + 2 * d].max(axis=0)


# ---------------------------------------------------------------------------------- EM passes
class ChunkData:
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


def em_width(layout, k, d, want_stats, missing):
    """Length of one parameter set's vector from :func:`em_chunk`."""
    if not want_stats:
        return 1
    if missing:  # nk, s1, s2 and the observed mass (k, d) that places the ridge
        return 1 + k + 2 * k * d + k * d * d
    if not layout.expanded:
        return 1 + k + k * d + k * d * d
    return 1 + k * layout.m


@one_thread  # chunk tasks run side by side in Dask's workers: one thread each
def em_chunk(xb, *, std, layout, k, jobs, missing):
    """One E-step of every parameter set in ``jobs`` (a list of ``(Prepared, want_stats)``) on
    this chunk, the vectors side by side.

    A parameter set's vector: [log-likelihood, then (when asked) the statistics].  Complete data:
    the log-likelihood in standardised units and, with expanded features, ``S`` (k, m), otherwise
    (full/tied above ``_core.MAX_EXPANDED_D``) nk, sum r z and the scatter about the current means.
    ``missing``: the rows with at least one value, by
    :class:`emdesk.engine._missing.MissingData` (log-likelihood in user units; nk, s1, s2 about
    the current means, then the observed mass ob (k, d))."""
    d = xb.shape[1]
    widths = [em_width(layout, k, d, want, missing) for _, want in jobs]
    out = np.zeros((1, sum(widths)))
    if xb.shape[0] == 0:
        return out
    if missing:
        from ._missing import MissingData

        keep = ~np.isnan(xb).all(axis=1)
        if not keep.any():
            return out
        Z = std.to_z(xb[keep])
        data = MissingData(Z, None, std, k)
        resp = np.empty((k, Z.shape[0]))
    else:
        data = ChunkData(xb, std, layout, k)
        resp = _Discard()
    at = 0
    for (prep, want), width in zip(jobs, widths):
        seg = out[0, at:at + width]
        at += width
        if missing:
            ll, stats = data.em_pass(prep, resp, want)
            seg[0] = ll
            if want:
                nk, s1, s2, c0, ob = stats
                dc = c0 - prep.means  # moments about c0 -> about the current means
                s2 = (s2 + np.einsum("ki,kj->kij", dc, s1) + np.einsum("ki,kj->kij", s1, dc)
                      + nk[:, None, None] * np.einsum("ki,kj->kij", dc, dc))
                s1 = s1 + nk[:, None] * dc
                seg[1:] = np.concatenate([nk, s1.ravel(), s2.ravel(), ob.ravel()])
            continue
        ll, S = em_pass(data, prep, resp, want)
        seg[0] = ll
        if not want:
            continue
        if layout.expanded:
            seg[1:] = S.ravel()
        else:  # _core.ShiftedStats: nk, sum r z and the scatter about the current means
            seg[1:] = np.concatenate([S.nk, S.sx.ravel(), S.scat.ravel()])
    return out


@one_thread
def scatter_chunk(xb, *, std, prep, layout, k, comps, mus, diag_only):
    """Two-pass scatter sum r_j (z - mu_j)(z - mu_j)' (or its diagonal) of components ``comps``
    about their new means ``mus``, from responsibilities recomputed for ``prep``."""
    d = xb.shape[1]
    size = d if diag_only else d * d
    out = np.zeros((1, len(comps) * size))
    b = xb.shape[0]
    if b == 0:
        return out
    data = ChunkData(xb, std, layout, k)
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
