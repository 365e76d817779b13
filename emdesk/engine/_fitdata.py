"""The fit's view of complete data: rows standardised per block, features cached within a budget,
and stand-ins for the ``(k, n)`` responsibilities that are never held (issue 16, bounded memory).

A fit reads the caller's ``X`` (user units) and never copies it: each block of rows is
standardised (``z = (x - shift) / scale``, the same elementwise operations as
:meth:`emdesk.engine._core.Standardizer.to_z`, so the values are the same bits) into a buffer
of one block when it is needed.  The expanded features ``phi(z)`` (:class:`~emdesk.engine._core.Layout`)
are cached for all iterations only while the cache fits :data:`FIT_CACHE_BYTES` (speed at small
``d``); above it they are computed per block in every pass.

The E-step kernels (``_core.em_pass``) write each block's responsibilities into a ``(k, n)``
target and the M-step's two-pass fallback reads them back per block.  When the caller did not
ask for responsibilities, the target is a :class:`PassResponsibilities`: writes are dropped and a
block that is read is recomputed from the same parameters (the same operations on the same
block, so the same bits).  The initialisation's hard assignments are held as one label per row
(:class:`LabelResponsibilities`) and random starting responsibilities are regenerated per block
from the random stream (:class:`RandomResponsibilities`).
"""

from __future__ import annotations

import copy

import numpy as np

from ._blas import tmatmul, vecmat
from ._core import MAX_EXPANDED_D, Layout

__all__ = ["FIT_CACHE_BYTES", "DenseData", "StandardisedRows", "PassResponsibilities",
           "LabelResponsibilities", "RandomResponsibilities", "complete_rows_covariance"]

#: Bytes the fit may spend on cached expanded features (``n m 8``), or, where those are not cached,
#: on the standardised rows (``n d 8``: 100,000 x 64 is 51 MB); above it the features (rows) are
#: computed (standardised) per block in every pass.  At 1e6 x 2 rows (full: m = 6, 48 MB) the
#: features are cached.
FIT_CACHE_BYTES = 64 << 20

#: A pass over more rows than one shard runs shard by shard (threads: :mod:`emdesk.engine._threads`).
#: A shard has at least this many rows (the pool's overhead, ~0.1 ms per shard, stays small) ...
MIN_SHARD_ROWS = 16384
#: ... and there are at most this many shards (enough to balance 8 threads), each a whole number of
#: blocks of every pass (:meth:`DenseData.shard_bounds`).
MAX_SHARDS = 16


class DenseData:
    """Complete data for the fit's passes: ``blocks()`` yields
    ``(start, stop, phi_block or None, z_block, w_block or None)``.

    Either ``Z`` (already standardised rows, held by reference: the Dask sample and the HMM's
    Gaussian family) or ``X`` with ``std`` (the caller's rows in user units, standardised per
    block: nothing of size ``n x d`` is made beyond the cache budget, see :data:`FIT_CACHE_BYTES`).  ``X`` also serves the direct form of the E-step
    (subtraction in user units).  ``cache_bytes``: the feature cache's budget (default
    :data:`FIT_CACHE_BYTES`, looked up at construction so tests can lower it)."""

    def __init__(self, Z, w, layout: Layout, k: int, X=None, std=None, cache_bytes=None):
        if Z is None and (X is None or std is None):
            raise ValueError("DenseData needs Z, or X and its Standardizer")
        src = Z if Z is not None else X
        self.n, self.d = src.shape
        self.X = X
        self.std = std
        self.layout = layout
        self.k = k
        self.w = w
        self.block = max(1, min(layout.block_rows(k), self.n))
        self.is_shard = False
        self.phi = None
        self.Z = None if Z is None else np.ascontiguousarray(Z, dtype=float)
        budget = FIT_CACHE_BYTES if cache_bytes is None else cache_bytes
        self.cache_bytes = budget
        self._buf = None
        self._zbuf = None
        # Diag above MAX_EXPANDED_D features: its own pass (_kernels_hd._em_pass_diag_fm) reads the
        # expanded features (z * z, z, 1) feature-major in slabs, fs (n_slabs, m, slab), each block of
        # the pass one contiguous (m, slab) array, when they fit the budget; else the standardised
        # rows alike, zs (n_slabs, d, slab), the features built per block.  Its products are then
        # (k, m) @ (m, b) and (k, b) @ (m, b)', about 1.8x faster than from row-major rows (100,000 x
        # 32, k=16, one thread, 1 Dec 2026: E-step 13.4 -> 7.3 ms, M-step 9.9 -> 6.4 ms), and a block
        # is read from memory as one stream: squaring a (64, n) array's column blocks took 14.9 ms,
        # its slabs 7.1 ms (row-major rows 7.5 ms).
        self.zs = self.fs = None
        self.slab = 0
        if layout.covariance_type == "diag" and self.d > MAX_EXPANDED_D:
            from ._kernels_hd import hd_block_rows

            B = min(hd_block_rows(k, self.d, "diag"), max(self.n, 1))
            nb = -(-self.n // B)
            d, m = self.d, layout.m
            if nb * B * d * 8 <= budget:
                self.slab = B
                if nb * B * m * 8 <= budget:
                    self.fs = np.zeros((nb, m, B))  # the last slab's unused columns: zeros, never garbage
                    self.fs[:, layout.const] = 1.0
                    self.zs = self.fs[:, layout.lin]
                else:
                    self.zs = np.zeros((nb, d, B))
                for i in range(nb):
                    s, e = i * B, min((i + 1) * B, self.n)
                    zt = self._standardise_t(s, e, self.zs[i, :, :e - s])
                    if self.fs is not None:
                        np.multiply(zt, zt, out=self.fs[i, :d, :e - s])
        # Cache phi(Z) when it costs at most ~6 (n, k) arrays and fits the budget (not beside the slabs).
        if self.zs is None and layout.expanded and layout.m <= max(6 * k, 8) and self.n * layout.m * 8 <= budget:
            self.phi = np.empty((self.n, layout.m))
            for s in range(0, self.n, self.block):
                layout.features(self._z(s, min(s + self.block, self.n)), out=self.phi[s:s + self.block])
            self._zbuf = None
        # Otherwise (high d, or features too wide to cache) the standardised rows themselves when they
        # fit the same budget: every pass then reads Z instead of standardising each block from X
        # again (100,000 x 64, k=8, CPU per pass on one thread, 1 Dec 2026: diag 44 -> 30 ms,
        # spherical 51 -> 37 ms, tied 101 -> 90 ms; full within the noise).  The same bits as the
        # per-block standardisation (the same elementwise operations).
        elif self.zs is None and self.Z is None and self.n * self.d * 8 <= budget:
            Zc = np.empty((self.n, self.d))
            for s in range(0, self.n, self.block):
                e = min(s + self.block, self.n)
                np.subtract(X[s:e], std.shift, out=Zc[s:e])
                np.divide(Zc[s:e], std.scale, out=Zc[s:e])
            self.Z = Zc
        # Spherical above MAX_EXPANDED_D features reads Z: each row's |z|^2 (n floats, 1/d of Z) is
        # kept instead of recomputed in every pass (100,000 x 64, k=8: the einsum was about half of
        # a pass's CPU); the same einsum per row, so the same bits.
        self.sqnorms = None
        if (layout.covariance_type == "spherical" and self.phi is None and self.Z is not None
                and self.d > MAX_EXPANDED_D):
            self.sqnorms = np.empty(self.n)
            for s in range(0, self.n, self.block):
                e = min(s + self.block, self.n)
                np.einsum("ij,ij->i", self.Z[s:e], self.Z[s:e], out=self.sqnorms[s:e])

    @property
    def cached(self):
        """Whether the expanded features are held for all rows."""
        return self.phi is not None

    def _z(self, s, e):
        """Standardised rows s:e (a view of Z, or a block buffer reused by the next call), row-major
        whatever holds them: the callers' products then get the same layout, so the same bits."""
        if self.Z is not None:
            return self.Z[s:e]
        if self._zbuf is None:
            self._zbuf = np.empty((self.block, self.d))
        zb = self._zbuf[: e - s]
        if self.zs is not None:  # copied from the slabs, row-major as the rows standardised below
            zb[...] = self.zt_rows(s, e).T
            return zb
        np.subtract(self.X[s:e], self.std.shift, out=zb)
        np.divide(zb, self.std.scale, out=zb)
        return zb

    #: A shard's first row in its parent's slabs (:meth:`rows`: a shard shares the parent's slabs).
    _soff = 0

    def _slab_rows(self, arr, s, e, name):
        """Rows s:e of the slabs ``arr`` (n_slabs, r, slab), (r, e - s): a view when they lie in one
        slab, else copied into a buffer (``name``) that the next call overwrites."""
        s, e = s + self._soff, e + self._soff
        B = self.slab
        i, off = divmod(s, B)
        if off + (e - s) <= B:
            return arr[i, :, off:off + e - s]
        buf = getattr(self, name, None)
        if buf is None or buf.shape[1] < e - s:
            buf = np.empty((arr.shape[1], e - s))
            setattr(self, name, buf)
        out = buf[:, :e - s]
        t = s
        while t < e:
            i, off = divmod(t, B)
            u = min(e, (i + 1) * B)
            out[:, t - s:u - s] = arr[i, :, off:off + u - t]
            t = u
        return out

    def ft_rows(self, s, e):
        """The expanded features (z * z, z, 1) of rows s:e feature-major, (m, e - s) (diag): a view of
        a slab when cached (:attr:`fs`), else built into a buffer that the next call overwrites from
        the slabs of rows (:attr:`zs`) or the rows standardised (the same values either way, so a
        pass gives the same bits whichever it reads)."""
        if self.fs is not None:
            return self._slab_rows(self.fs, s, e, "_ftrows")
        lay, d, b = self.layout, self.d, e - s
        buf = getattr(self, "_ftbuild", None)
        if buf is None or buf.shape[1] < b:
            buf = self._ftbuild = np.empty((lay.m, b))
            buf[lay.const] = 1.0
        ft = buf[:, :b]
        ft[lay.lin] = self.zt_rows(s, e)
        np.multiply(ft[lay.lin], ft[lay.lin], out=ft[:d])
        return ft

    def zt_rows(self, s, e):
        """Standardised rows s:e feature-major, (d, e - s): a view of a slab, or the rows copied (from
        the slabs) or standardised into a buffer that the next call overwrites (the same elementwise
        operations as :meth:`_z`, so the same bits)."""
        if self.zs is not None:
            return self._slab_rows(self.zs, s, e, "_ztrows")
        b = e - s
        buf = getattr(self, "_ztrows", None)
        if buf is None or buf.shape[1] < b:
            buf = self._ztrows = np.empty((self.d, b))
        return self._standardise_t(s, e, buf[:, :b])

    def _standardise_t(self, s, e, out):
        """Rows s:e of Z, or of X standardised (the elementwise operations of :meth:`_z`), written
        feature-major into ``out`` (d, e - s); returns ``out``."""
        if self.Z is not None:
            out[...] = self.Z[s:e].T
        else:
            np.subtract(self.X[s:e].T, self.std.shift[:, None], out=out)
            np.divide(out, self.std.scale[:, None], out=out)
        return out

    def z_rows(self, s, e):
        """Standardised rows s:e for a pass with its own block size (the high-dimension separable pass
        takes up to 2048 rows): a view of Z, or the rows standardised into a buffer that the next call
        overwrites (grown to the largest block asked for, never n x d)."""
        if self.Z is not None:
            return self.Z[s:e]
        b = e - s
        buf = getattr(self, "_zrows", None)
        if buf is None or buf.shape[0] < b:
            buf = self._zrows = np.empty((b, self.d))
        zb = buf[:b]
        if self.zs is not None:  # copied from the slabs, row-major as the rows standardised below
            zb[...] = self.zt_rows(s, e).T
            return zb
        np.subtract(self.X[s:e], self.std.shift, out=zb)
        np.divide(zb, self.std.scale, out=zb)
        return zb

    def blocks(self):
        """Yield (start, stop, phi_block or None, Z_block, w_block or None); the blocks are views
        of buffers that the next block overwrites."""
        lay = self.layout
        for s in range(0, self.n, self.block):
            e = min(s + self.block, self.n)
            wb = None if self.w is None else self.w[s:e]
            if self.phi is not None:
                pb = self.phi[s:e]
                yield s, e, pb, pb[:, lay.lin], wb
            else:
                zb = self._z(s, e)
                pb = self._features_fm(zb) if lay.expanded else None
                yield s, e, pb, zb, wb

    #: Whether this object is a shard of another (:meth:`rows`): a pass over it runs here, in
    #: blocks, never cut into shards again.
    is_shard = False
    #: Diag above MAX_EXPANDED_D features: the expanded features (fs, (n_slabs, m, slab)) or the
    #: standardised rows (zs, (n_slabs, d, slab); a view of fs when it is held) feature-major in slabs
    #: of ``slab`` rows, when they fit the cache budget (see ``__init__``); else None.
    zs = fs = None
    slab = 0

    def shard_bounds(self):
        """``[(start, stop), ...]``: the shards a pass cuts the rows into.  Chosen from ``n``, ``d`` and
        ``k`` only (never from the thread count, so the sums, added in shard order, are the same bits
        for any number of threads): a whole number of ``unit = max(block, 2048)`` rows (every pass's
        block size is a power of two dividing it: ``Layout.block_rows``, the separable pass's 2048),
        at least :data:`MIN_SHARD_ROWS`, at most :data:`MAX_SHARDS` shards.  One shard when ``n`` is
        below two of them (small data: no pool)."""
        n = self.n
        unit = max(self.block, 2048)
        per = unit * max(-(-MIN_SHARD_ROWS // unit), -(-n // (MAX_SHARDS * unit)))
        return [(s, min(s + per, n)) for s in range(0, n, per)] if n else [(0, 0)]

    def rows(self, s, e):
        """The rows s:e as a DenseData of their own (a shard: own buffers, the same block size, so a
        pass over it does the same operations as the pass over these rows when ``s`` is a whole
        number of blocks); views of X, Z, the weights and the cached features, no copy."""
        sub = DenseData.__new__(DenseData)
        sub.n, sub.d = e - s, self.d
        # (_zero_weight.PositiveRows, the positive rows read in place, gives a view of its rows too: no gather)
        sub.X = None if self.X is None else (self.X.sub(s, e) if hasattr(self.X, "sub") else self.X[s:e])
        sub.std, sub.layout, sub.k = self.std, self.layout, self.k
        sub.w = None if self.w is None else self.w[s:e]
        sub.block = self.block
        sub.is_shard = True
        sub.phi = None if self.phi is None else self.phi[s:e]
        sub.Z = None if self.Z is None else self.Z[s:e]
        # the parent's slabs, read from the shard's first row on (a block that straddles two slabs is copied)
        sub.slab, sub.zs, sub.fs = self.slab, self.zs, self.fs
        sub._soff = self._soff + s
        sub.sqnorms = None if self.sqnorms is None else self.sqnorms[s:e]
        sub.cache_bytes = self.cache_bytes
        sub._buf = sub._zbuf = None
        return sub

    def _features_fm(self, zb):
        """phi(zb) (b, m) as the transposed view of a feature-major (m, b) buffer: every feature
        one contiguous vector product (Layout.features' row-major column gathers cost about 3x
        more); the same values as Layout.features."""
        lay = self.layout
        b, d = zb.shape
        if self._buf is None:
            self._buf = np.empty((lay.m, self.block))
            self._buf[lay.const] = 1.0
            self._zt = np.empty((d, self.block))
        ph = self._buf[:, :b]
        zt = self._zt[:, :b]
        zt[...] = zb.T
        ct = lay.covariance_type
        if ct in ("full", "tied"):
            q = 0
            for i in range(d):  # the order of np.triu_indices: (i, i), (i, i+1), ...
                np.multiply(zt[i], zt[i:], out=ph[q:q + d - i])
                q += d - i
        elif ct == "diag":
            np.multiply(zt, zt, out=ph[:d])
        else:
            np.einsum("ij,ij->j", zt, zt, out=ph[0])
        ph[lay.lin] = zt
        return ph.T


class StandardisedRows:
    """The caller's rows ``X`` in standardised units (``fill_nan``: missing cells at 0; optionally times a ``(d, d')`` matrix ``T``,
    or divided by per-column ``div``), computed for the rows asked for: ``Z[a:b]``, ``Z[idx]``,
    ``Z[rows, j]``.  What the initialisation reads instead of a standardised copy of the data.
    The values are the same bits as ``std.to_z(X)[key]`` (elementwise operations)."""

    ndim = 2

    def __init__(self, X, std, T=None, div=None, fill_nan=False, rows=None):
        self.X, self.std, self.T, self.div, self.fill_nan = X, std, T, div, fill_nan
        self.rows = rows  # only these rows of X (None: all)
        n = X.shape[0] if rows is None else rows.size
        self.shape = (n, X.shape[1] if T is None else T.shape[1])

    def _take(self, key, cols=None):
        key = key if self.rows is None else self.rows[key]
        return self.X[key] if cols is None else self.X[key, cols]

    def _rows(self, key):
        Z = (self._take(key) - self.std.shift) / self.std.scale
        if self.fill_nan:  # missing cells at the centre (0), as np.where(isnan(Z), 0, Z)
            Z[np.isnan(Z)] = 0.0
        if self.T is not None:
            return Z @ self.T
        if self.div is not None:
            return Z / self.div
        return Z

    def __getitem__(self, key):
        if isinstance(key, tuple):
            rows, cols = key
            if isinstance(cols, (int, np.integer)) and self.T is None:
                # one column: only that column is standardised (Lloyd's iterations read them)
                z = (self._take(rows, cols) - self.std.shift[cols]) / self.std.scale[cols]
                if self.fill_nan:
                    z[np.isnan(z)] = 0.0
                return z if self.div is None else z / self.div[cols]
            if isinstance(rows, slice) and rows == slice(None):
                n = self.shape[0]
                first = self._rows(slice(0, min(n, 1)))[..., cols]
                out = np.empty((n,) + first.shape[1:])
                step = 1 << 14
                for s in range(0, n, step):
                    out[s:s + step] = self._rows(slice(s, s + step))[..., cols]
                return out
            return self._rows(rows)[..., cols]
        return self._rows(key)

    def __len__(self):
        return self.shape[0]

    def materialise(self, rows=None):
        """The rows (all, or the index ``rows``) as an array."""
        return self._rows(slice(None) if rows is None else rows)


class PassResponsibilities:
    """Stands in for the ``(k, n)`` responsibilities of the last E-step pass without holding them.

    The pass writes ``resp[:, s:e] = block`` (dropped); the M-step's two-pass fallback reads
    ``resp[j, s:e]`` or ``resp[:, s:e]`` for the same blocks, which are recomputed here by running
    the same pass (``_core.em_pass``) over those rows alone with the parameters ``prep`` of the last
    pass (set by the caller before each pass)."""

    def __init__(self, data: DenseData, k):
        self.data = data
        self.shape = (k, data.n)
        self._prep = None
        self._key = None
        self._block = None

    @property
    def prep(self):
        return self._prep

    @prep.setter
    def prep(self, value):
        """The parameters of the pass about to run; the block recomputed for earlier ones is
        dropped (the cache is keyed by rows only, never by an object's id, which Python reuses)."""
        self._prep = value
        self._key = self._block = None

    def __setitem__(self, key, value):
        pass

    def _compute(self, s, e):
        from ._core import em_pass

        if self._key != (s, e):
            out = np.empty((self.shape[0], e - s))
            em_pass(self.data.rows(s, e), self._prep, out, want_stats=False)
            self._key, self._block = (s, e), out
        return self._block

    def __getitem__(self, key):
        rows, cols = key
        return self._compute(cols.start, cols.stop)[rows]


class LabelResponsibilities:
    """Hard starting responsibilities ``(k, n)`` held as one label per row (-1: the row is
    uniform over the components, e.g. rows of weight 0 in the hierarchical start); blocks are
    made when read."""

    def __init__(self, labels, k):
        self.labels = np.asarray(labels)
        self.shape = (k, self.labels.shape[0])

    def block(self, s, e):
        lab = self.labels[s:e]
        k = self.shape[0]
        r = np.zeros((k, lab.shape[0]))
        ok = lab >= 0
        if ok.all():
            r[lab, np.arange(lab.shape[0])] = 1.0
        else:
            r[lab[ok], np.flatnonzero(ok)] = 1.0
            r[:, ~ok] = 1.0 / k
        return r

    def __getitem__(self, key):
        rows, cols = key
        return self.block(cols.start, cols.stop)[rows]

    def to_array(self):
        """The (n, k) responsibilities as an array."""
        return self.block(0, self.shape[1]).T.copy()


class RandomResponsibilities:
    """``init_params="random"``: rows of uniform random numbers normalised to sum to 1, as
    ``rng.uniform(size=(n, k))`` draws them, regenerated per block from a copy of the random
    stream (blocks of rows of one C-ordered draw are consecutive draws, so every block is the same
    bits as the whole array's).  Constructing it advances ``rng`` past the ``n k`` numbers, as the
    whole draw does."""

    def __init__(self, rng, n, k, block=1 << 14):
        self.shape = (k, n)
        self._state = copy.deepcopy(rng.bit_generator.state)
        self._kind = type(rng.bit_generator)
        self._step = block
        for s in range(0, n, block):  # advance the caller's stream exactly as the whole draw does
            rng.uniform(size=(min(block, n - s), k))
        self._gen = None
        self._pos = None
        self._cache = None

    def _draw(self, s, e):
        """Rows s:e (normalised), drawn in order from the saved state."""
        if self._gen is None or self._pos is None or s < self._pos:
            bg = self._kind()
            bg.state = copy.deepcopy(self._state)
            self._gen = np.random.Generator(bg)
            self._pos = 0
        while s > self._pos:  # skip rows not asked for, a block at a time (never (s, k) numbers)
            skip = min(s - self._pos, self._step)
            self._gen.uniform(size=(skip, self.shape[0]))
            self._pos += skip
        r = self._gen.uniform(size=(e - s, self.shape[0]))
        self._pos = e
        r /= r.sum(axis=1, keepdims=True)
        return r

    def __getitem__(self, key):
        rows, cols = key
        s, e, _ = cols.indices(self.shape[1])
        if self._cache is None or self._cache[0] != (s, e):
            self._cache = ((s, e), self._draw(s, e).T)
        return self._cache[1][rows]

    def to_array(self):
        return self._draw(0, self.shape[1])


def complete_rows_covariance(X, std, w, step=1 << 14):
    """The (weighted) covariance (d, d) of the standardised complete rows of ``X`` (no NaN; rows of
    weight 0 left out), divided by their total weight, in two passes over row blocks (mean, then
    the centred scatter): no copy of the data.  Returns ``(covariance, number of rows used)``."""
    n, d = X.shape
    tot = np.zeros(d)
    W = 0.0
    count = 0

    def rows(s):
        zb = (X[s:s + step] - std.shift) / std.scale
        ok = ~np.isnan(zb).any(axis=1)
        wb = None if w is None else w[s:s + step]
        if wb is not None:
            ok &= wb > 0
        if not ok.all():
            zb = zb[ok]
            wb = None if wb is None else wb[ok]
        return zb, wb

    for s in range(0, n, step):
        zb, wb = rows(s)
        count += zb.shape[0]
        if wb is None:
            tot += zb.sum(axis=0)
            W += zb.shape[0]
        else:
            tot += vecmat(wb, zb)
            W += float(wb.sum())
    if not W > 0:
        return np.zeros((d, d)), 0
    mean = tot / W
    C = np.zeros((d, d))
    for s in range(0, n, step):
        zb, wb = rows(s)
        zc = zb - mean
        C += tmatmul(zc, zc) if wb is None else tmatmul(zc * wb[:, None], zc)
    C /= W
    return 0.5 * (C + C.T), count
