"""E-step and M-step kernels of the Gaussian mixture's EM (standardised units).

Moved from :mod:`emdesk.engine._core` (issue 16; ``_core`` re-exports every name, so
``from ._core import Prepared`` still works): the parameters prepared for the E-step
(:class:`Prepared`), one pass over the data (:func:`em_pass`) and the M-step (:func:`mstep`).
See :mod:`emdesk.engine._core`'s module docstring for how an iteration runs in the expanded form.

Above :data:`MAX_EXPANDED_D` features a pass of dense data (``_core.DenseData``) takes one of
these forms, each keeping every BLAS call under OpenBLAS's single-thread limit (2**18
multiply-adds; threaded calls were many times slower on the loaded 2-core machine):

* full (not expanded): :func:`_em_pass_augmented`, the whitened differences of all components
  as one batched product with augmented rows ``(z, 1)``; statistics ``sum r z z'`` as one
  batched GEMM, shifted to the new means in the M-step (:func:`_shifted_covariances`, two-pass
  where that would cancel digits);
* tied (not expanded): :func:`_em_pass_tied`, each block whitened once; the covariance from the
  data's Gram matrix (computed once) minus the means' part (:class:`TiedStats`);
* diag: :func:`_em_pass_diag_fm` (rows feature-major); spherical: :func:`_em_pass_separable`, the expanded form's products taken from the rows
  (these three passes are in :mod:`emdesk.engine._kernels_hd`);
* every pass floors log-responsibilities at :data:`LOG_RESP_FLOOR` (no subnormal numbers).

A pass over dense data of more than one shard (``DenseData.shard_bounds``) runs the shards on the
engine's threads (:mod:`emdesk.engine._threads`) and adds their sums in shard order
(:func:`_sharded_pass`): the same bits for any thread count.

Other data objects with the ``DenseData`` interface (the Dask chunks of ``_dask.py``) use the
per-component whitened form :func:`_em_pass_whitened` (statistics about the current means,
:class:`ShiftedStats`), which ``_dask.py`` reduces.
"""

from __future__ import annotations

import numpy as np

from ._blas import dot, matmul as blas_matmul
from ._core import (  # DenseData: isinstance below (defined in _core before it imports this module)
    DIRECT_TOL,
    EPS,
    LOG_2PI,
    MAX_EXPANDED_D,
    TWO_PASS_RATIO,
    DenseData,
    Layout,
    NotPositiveDefinite,
)

class Prepared:
    """Cholesky factors, log-determinants and the coefficient matrix of one parameter set
    (standardised units).  Raises :class:`NotPositiveDefinite` when a covariance is not."""

    def __init__(self, weights, means, cov, covariance_type, layout: Layout):
        self.ct = covariance_type
        self.k, self.d = means.shape
        k, d = self.k, self.d
        self.means = means
        self.cov = cov
        with np.errstate(divide="ignore"):
            self.logw = np.log(weights)
        if not (np.all(np.isfinite(means)) and np.all(np.isfinite(cov))):
            if covariance_type == "tied":
                raise NotPositiveDefinite(-1)
            ok = np.isfinite(cov).reshape(k, -1).all(axis=1) & np.isfinite(means).all(axis=1)
            raise NotPositiveDefinite(int(np.flatnonzero(~ok)[0]))
        ct = covariance_type
        if ct in ("full", "tied"):
            stack = cov if ct == "full" else cov[None]
            chol = np.empty_like(stack)
            for j in range(stack.shape[0]):
                try:
                    chol[j] = np.linalg.cholesky(stack[j])
                except np.linalg.LinAlgError:
                    raise NotPositiveDefinite(j if ct == "full" else -1) from None
                if not np.all(np.diagonal(chol[j]) > 0):
                    raise NotPositiveDefinite(j if ct == "full" else -1)
            # batched solve L X = I (scipy's solve_triangular costs ~1 ms per call here)
            linv = np.linalg.solve(chol, np.broadcast_to(np.eye(d), chol.shape))
            half_logdet = np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
            if ct == "tied":
                chol = np.broadcast_to(chol, (k, d, d))
                linv = np.broadcast_to(linv, (k, d, d))
                half_logdet = np.broadcast_to(half_logdet, (k,))
            self.chol = chol
            self.linv = linv
            prec = np.einsum("kji,kjl->kil", linv, linv)  # L^-T L^-1
            lam = np.einsum("kij,kij->k", linv, linv)  # >= lambda_max(P)
        else:
            var = cov if ct == "diag" else np.repeat(cov[:, None], d, axis=1)
            if not np.all(var > 0):
                bad = np.flatnonzero(~np.all(var > 0, axis=1))
                raise NotPositiveDefinite(int(bad[0]))
            self.sd = np.sqrt(var)
            half_logdet = np.sum(np.log(self.sd), axis=1)
            inv_var = 1.0 / var
            lam = inv_var.max(axis=1)
            self.inv_var = inv_var
        self.half_logdet = np.asarray(half_logdet, dtype=float)
        self.const = self.logw - self.half_logdet - 0.5 * d * LOG_2PI
        mu_norm = np.sqrt(np.einsum("ij,ij->i", means, means))
        #: >= the largest eigenvalue of any precision (standardised units): |z|^2 * lam_max
        #: bounds every quadratic form's size, so scoring knows which rows could overflow.
        self.lam_max = float(np.max(lam)) if k else 0.0
        err = 4.0 * EPS * lam * (mu_norm + 1.0) ** 2
        # The whitened form (below) subtracts before the product, so its rounding error is at
        # most the expanded form's: the same components are evaluated directly in both.
        self.direct = np.flatnonzero(err > DIRECT_TOL)
        self.C = None
        #: (k, d, d) stack of L_k^-T (C-contiguous) for the whitened form of full/tied
        #: covariances above MAX_EXPANDED_D features: y = (z - mu_k) L_k^-T, one batched product.
        self.linvT = None
        #: tied covariance not expanded: the one L^-T (d, d), the whitened means m_k = L^-1 mu_k
        #: as rows (k, d) and const_k - |m_k|^2 / 2 (see :func:`_em_pass_tied`)
        self.tied_LT = self.tied_means = self.tied_const = None
        if not layout.expanded:
            self.linvT = np.ascontiguousarray(np.swapaxes(self.linv, 1, 2))
            if ct == "tied":
                self.tied_LT = np.ascontiguousarray(self.linv[0].T)
                self.tied_means = means @ self.tied_LT
                self.tied_const = self.const - 0.5 * np.einsum("ki,ki->k", self.tied_means, self.tied_means)
        if layout.expanded:
            C = np.zeros((layout.m, k))
            if ct in ("full", "tied"):
                i0, i1 = layout.iu
                q = -prec[:, i0, i1]
                q[:, layout.on_diag] *= 0.5
                C[: layout.nq] = q.T
                pmu = np.einsum("kij,kj->ki", prec, means)
            elif ct == "diag":
                C[:d] = (-0.5 * inv_var).T
                pmu = means * inv_var
            else:
                C[0] = -0.5 * inv_var[:, 0]
                pmu = means * inv_var
            C[layout.lin] = pmu.T
            C[layout.const] = self.const - 0.5 * np.einsum("ki,ki->k", means, pmu)
            self.C = C

    #: Means in the user's units and their Standardizer, when known (set by the caller): the
    #: direct form then subtracts in the user's units, where a value and a mean close to it
    #: differ exactly, instead of between two standardised values each rounded to the
    #: resolution of z (a component at the reg_covar floor far from the centre would otherwise
    #: lose its digits).
    means_user = None
    std = None

    def direct_logpdf(self, Zb, j, out, Xb=None):
        """log w_j + log N(z | mu_j, S_j) for the rows of Zb (or of Xb, the same rows in user
        units), computed without expansion."""
        if Xb is not None and self.means_user is not None:
            diff = (Xb - self.means_user[j]) / self.std.scale
        else:
            diff = Zb - self.means[j]
        if self.ct in ("full", "tied"):
            # y = L^-1 (z - mu) with the factor's inverse from a triangular solve (as
            # scikit-learn's precisions_cholesky_): a per-block LAPACK trsm call costs ~30x more
            # here, and L^-1 is as well conditioned as L.
            y = blas_matmul(diff, self.linv[j].T)  # under OpenBLAS's one-thread size (._blas)
            maha = np.einsum("ij,ij->i", y, y)
        else:
            diff /= self.sd[j]
            maha = np.einsum("ij,ij->i", diff, diff)
        np.multiply(maha, -0.5, out=out)
        out += self.const[j]
        return out


    def whitened_logpdf(self, Zb, out, D=None, Y=None):
        """log w_j + log N(z | mu_j, S_j) of every component into ``out`` (k, b), full/tied
        covariances not expanded: ``D = z - mu_j`` for all components at once (k, b, d), then
        ``Y = D L_j^-T`` as one batched product (k GEMMs of (b, d) x (d, d), each small enough
        for OpenBLAS to run on one thread: see :meth:`Layout.block_rows`) and the row sums of
        ``Y * Y``.  ``D`` and ``Y`` are optional (k, b, d) work buffers; returns ``D`` (the
        differences, which the M-step statistics reuse)."""
        b = Zb.shape[0]
        if D is None:
            D = np.empty((self.k, b, self.d))
        if Y is None:
            Y = np.empty_like(D)
        np.subtract(Zb[None, :, :], self.means[:, None, :], out=D)
        np.matmul(D, self.linvT, out=Y)
        np.einsum("kbi,kbi->kb", Y, Y, out=out)
        out *= -0.5
        out += self.const[:, None]
        return D

    def log_joint(self, Zb, out, Xb=None, pb=None):
        """log w_j + log N(z | mu_j, S_j) of every component into ``out`` (k, b) for the rows
        ``Zb`` (standardised; ``Xb`` the same rows in user units, for the direct form; ``pb``
        their expanded features when already computed)."""
        if self.C is not None:
            if pb is None:
                raise ValueError("expanded features are needed")
            np.matmul(self.C.T, pb.T, out=out)
        elif self.linvT is not None:
            self.whitened_logpdf(Zb, out)
        for j in self.direct:
            self.direct_logpdf(Zb, j, out[j], Xb)
        return out


class ShiftedStats:
    """Sufficient statistics of full/tied covariances above :data:`MAX_EXPANDED_D` features,
    gathered in the E-step's pass: ``nk`` (k,) = sum w r, ``sx`` (k, d) = sum w r z and
    ``scat`` (k, d, d) = sum w r (z - c)(z - c)' about the centres ``c`` (k, d) the pass was
    computed for (the current means), so no second pass over the data is needed;
    :func:`mstep` shifts the scatter to the new means (and falls back to the two-pass form where
    the shift would cancel digits)."""

    __slots__ = ("nk", "sx", "scat", "centres", "dropped")

    def __init__(self, nk, sx, scat, centres, dropped=None):
        self.nk, self.sx, self.scat, self.centres = nk, sx, scat, centres
        #: (k,) or None: ``sum w r |z - c|^2`` over the (row, component) pairs the pass left out of
        #: ``scat`` (:func:`~emdesk.engine._kernels_hd._em_pass_augmented`), a bound on every
        #: entry's error; :func:`_shifted_covariances` recomputes a component in the two-pass form
        #: where it exceeds :data:`DROPPED_TOL` times the scatter's trace.
        self.dropped = dropped


#: Log-responsibilities (relative to the row's largest) are floored here in the fit's passes:
#: exp(-700) = 1e-304 stays a normal number, while exp of -708 ... -745 gives subnormal numbers,
#: on which x86 arithmetic (the exponential, the scaling and above all the statistics' matrix
#: products) runs 10-100x slower.  Well-separated components at high dimension put most
#: log-responsibilities there: a pass at 100,000 x 64, k=8, diag took 146 ms of CPU with them
#: and 42 ms floored (1 Dec 2026).  A responsibility of 1e-304 instead of a smaller one changes
#: no sum of order eps or more (the log-likelihood not at all: the row's largest term is 1).
#: Applied above :data:`MAX_EXPANDED_D` features (see :func:`em_pass`).
LOG_RESP_FLOOR = -700.0


#: A scatter whose left-out pairs (:attr:`ShiftedStats.dropped`) could change it by more than this
#: share of its trace is recomputed in the two-pass form: far below one rounding unit (2.2e-16)
#: even after :data:`TWO_PASS_RATIO`'s amplification (1e3).
DROPPED_TOL = 1e-20


def _logsumexp_cols(L, ll_out, tmp, floor=None):
    """In place: L (k, b) of log joint densities -> responsibilities (columns sum to 1);
    ``ll_out`` (b,) <- column-wise log-sum-exp.  Component-major layout keeps every
    operation a long contiguous vector operation (a row-wise max over k=5 columns is ~20x
    slower in NumPy).  ``floor``: the least log-responsibility relative to the row's largest
    (:data:`LOG_RESP_FLOOR` in the fit's passes; None, as scoring does, keeps exact zeros)."""
    k = L.shape[0]
    a = np.max(L, axis=0, out=tmp)
    L -= a
    if floor is not None:
        np.maximum(L, floor, out=L)
    np.exp(L, out=L)
    s = np.ones(k) @ L
    np.log(s, out=ll_out)
    ll_out += a
    np.divide(1.0, s, out=s)
    L *= s


def _finish_block(data, prep: Prepared, s, e, zb, Lb, wb, resp, ll_rows, llb_buf, tmp, floor, rw_out=None):
    """The end of every pass's block, rows s:e (their log joint densities in ``Lb`` (k, b)): the
    components :class:`Prepared` sends to the direct form, the column-wise log-sum-exp (``Lb``
    becomes the responsibilities, floored at ``floor``), ``resp[:, s:e]`` and the rows'
    log-likelihoods (into ``ll_rows[s:e]`` when given).  Returns ``(the block's weighted
    log-likelihood, the weighted responsibilities w r (k, b))`` (``Lb`` itself when unweighted;
    else written into ``rw_out`` if given)."""
    b = e - s
    if prep.direct.size:
        xb = None if data.X is None else data.X[s:e]
        for j in prep.direct:
            prep.direct_logpdf(zb, j, Lb[j], xb)
    llb = llb_buf[:b] if ll_rows is None else ll_rows[s:e]
    _logsumexp_cols(Lb, llb, tmp[:b], floor)
    resp[:, s:e] = Lb
    if wb is None:
        return float(llb.sum()), Lb
    return dot(llb, wb), np.multiply(Lb, wb, out=rw_out)


def em_pass(data: DenseData, prep: Prepared, resp, want_stats=True, ll_rows=None):
    """One pass over the data: E-step for ``prep`` (responsibilities into ``resp``, stored
    component-major as (k, n)) and, if asked, the expanded sufficient statistics ``S`` (k, m)
    for the M-step (or :class:`ShiftedStats` / :class:`TiedStats`, see :func:`mstep`).

    Dense data of more rows than one shard (:meth:`DenseData.shard_bounds`) is processed shard by
    shard, on :func:`emdesk.engine.get_num_threads` threads, each shard by the per-block code
    below on its own buffers; the shards' sums are added in shard order, so the result is the same
    bits for any thread count.  ``ll_rows`` (n,), optional: each row's log-likelihood.

    Returns ``(total log-likelihood in standardised units, S or None)``.
    """
    if isinstance(data, DenseData) and not data.is_shard:
        bounds = data.shard_bounds()
        if len(bounds) > 1:
            return _sharded_pass(data, bounds, prep, resp, want_stats, ll_rows)
    return _pass_rows(data, prep, resp, want_stats, ll_rows)


class _Offset:
    """Writes ``resp[:, a:b]`` of one shard into the whole pass's target at ``a + start``: for
    targets that are not arrays (``PassResponsibilities`` drops them)."""

    __slots__ = ("target", "start")

    def __init__(self, target, start):
        self.target, self.start = target, start

    def __setitem__(self, key, value):
        rows, cols = key
        self.target[rows, cols.start + self.start:cols.stop + self.start] = value


def _sharded_pass(data: DenseData, bounds, prep: Prepared, resp, want_stats, ll_rows):
    """:func:`em_pass` over the shards ``bounds`` of ``data`` (see there); partial sums reduced in
    shard order."""
    from ._threads import map_in_order

    array = isinstance(resp, np.ndarray)

    def one(b):
        s, e = b
        target = resp[:, s:e] if array else _Offset(resp, s)
        return _pass_rows(data.rows(s, e), prep, target, want_stats, None if ll_rows is None else ll_rows[s:e])

    parts = map_in_order(one, bounds)
    total = 0.0
    for ll, _ in parts:
        total += ll
    S = parts[0][1]
    if S is None:
        return total, None
    if isinstance(S, np.ndarray):
        S = S.copy()
        for _, p in parts[1:]:
            S += p
        return total, S
    nk, sx = S.nk.copy(), S.sx.copy()
    for _, p in parts[1:]:
        nk += p.nk
        sx += p.sx
    if isinstance(S, TiedStats):
        return total, TiedStats(nk, sx, _gram(data))
    scat = S.scat.copy()
    for _, p in parts[1:]:
        scat += p.scat
    dropped = None
    if any(p.dropped is not None for _, p in parts):
        dropped = np.zeros(len(nk))
        for _, p in parts:
            if p.dropped is not None:
                dropped += p.dropped
    return total, ShiftedStats(nk, sx, scat, S.centres, dropped)


def _pass_rows(data, prep: Prepared, resp, want_stats=True, ll_rows=None):
    """:func:`em_pass` over the rows of ``data`` in one loop of blocks (one shard, or data that
    is not cut into shards)."""
    lay = data.layout
    k = prep.k
    if prep.tied_LT is not None and isinstance(data, DenseData):
        return _em_pass_tied(data, prep, resp, want_stats, ll_rows)
    if prep.linvT is not None and isinstance(data, DenseData):
        return _em_pass_augmented(data, prep, resp, want_stats, ll_rows)
    if prep.linvT is not None:
        return _em_pass_whitened(data, prep, resp, want_stats, ll_rows)
    # (spherical with cached features: the one (k, m) x (m, b) product, m = d + 2, was faster:
    # 22 vs 26 ms of CPU per pass at 100,000 x 32, k=16)
    if data.d > MAX_EXPANDED_D and isinstance(data, DenseData) and prep.ct == "diag":
        return _em_pass_diag_fm(data, prep, resp, want_stats, ll_rows)
    if (data.d > MAX_EXPANDED_D and isinstance(data, DenseData)
            and prep.ct == "spherical" and data.phi is None):
        return _em_pass_separable(data, prep, resp, want_stats, ll_rows)
    S = np.zeros((k, lay.m)) if (want_stats and lay.expanded) else None
    total = 0.0
    llb_buf = np.empty(data.block)
    tmp = np.empty(data.block)
    # A contiguous block buffer: matmul into a strided slice of resp is ~30x slower.
    lbuf = np.empty((k, data.block))
    # the floor costs one more (k, b) operation per block, about 5 % of a pass at d <= 8, where
    # log-ratios of -708 (38 standard deviations apart) are rare; at high d they are the rule
    floor = LOG_RESP_FLOOR if data.d > MAX_EXPANDED_D else None
    # above MAX_EXPANDED_D the blocks are larger than OpenBLAS's single-thread limit allows one
    # product (Layout.block_rows): each is cut into sub-products of `sub` rows
    sub = _one_thread_rows(k * lay.m) if (lay.expanded and data.d > MAX_EXPANDED_D) else 0
    if sub and S is not None:
        sbuf = np.empty((max(data.block // sub, 1), k, lay.m))
    CT = None if prep.C is None else (np.ascontiguousarray(prep.C.T) if sub else prep.C.T)
    for s, e, pb, zb, wb in data.blocks():
        b = e - s
        Lb = lbuf[:, :b] if b == data.block else np.empty((k, b))
        if CT is not None:
            if sub:
                _gemm_cols(CT, pb, Lb, sub)
            else:
                np.matmul(CT, pb.T, out=Lb)
        ll, rw = _finish_block(data, prep, s, e, zb, Lb, wb, resp, ll_rows, llb_buf, tmp, floor)
        total += ll
        if S is not None:
            if sub:
                _gemm_sum(rw, pb, S, sub, sbuf)
            else:
                S += rw @ pb
    return total, S


def _em_pass_whitened(data, prep: Prepared, resp, want_stats, ll_rows):
    """:func:`em_pass` for full/tied covariances above :data:`MAX_EXPANDED_D` features: per
    block, the log-densities by :meth:`Prepared.whitened_logpdf` and, from the same differences
    ``z - mu_j`` scaled by sqrt(w r), the scatter about the current means as one batched
    product (:class:`ShiftedStats`); no Python loop over rows or components (except the rare
    components evaluated directly), no temporaries larger than (k, block, d)."""
    k, d = prep.k, data.d
    B = data.block
    total = 0.0
    llb_buf = np.empty(B)
    tmp = np.empty(B)
    lbuf = np.empty((k, B))
    dbuf = np.empty((k, B, d))
    ybuf = np.empty((k, B, d))
    if want_stats:
        nk = np.zeros(k)
        sx = np.zeros((k, d))
        scat = np.zeros((k, d, d))
        sbuf = np.empty((k, d, d))
        qbuf = np.empty((k, B))
    for s, e, pb, zb, wb in data.blocks():
        b = e - s
        full = b == B
        Lb = lbuf[:, :b] if full else np.empty((k, b))
        D = dbuf[:, :b] if full else np.empty((k, b, d))
        Y = ybuf[:, :b] if full else np.empty((k, b, d))
        prep.whitened_logpdf(zb, Lb, D, Y)
        ll, rw = _finish_block(data, prep, s, e, zb, Lb, wb, resp, ll_rows, llb_buf, tmp, LOG_RESP_FLOOR)
        total += ll
        if want_stats:
            nk += rw.sum(axis=1)
            sx += rw @ zb
            sq = np.sqrt(rw, out=qbuf[:, :b] if full else None)
            D *= sq[:, :, None]
            np.matmul(np.swapaxes(D, 1, 2), D, out=sbuf)
            scat += sbuf
    if not want_stats:
        return total, None
    return total, ShiftedStats(nk, sx, scat, prep.means)


def _two_pass_scatter(data: DenseData, resp, j, mu, diag_only):
    """sum_i w_i r_ij (z_i - mu)(z_i - mu)' (or its diagonal) over all blocks."""
    d = data.d
    acc = np.zeros(d) if diag_only else np.zeros((d, d))
    for s, e, pb, zb, wb in data.blocks():
        rw = resp[j, s:e] if wb is None else resp[j, s:e] * wb
        diff = zb - mu
        if diag_only:
            acc += rw @ (diff * diff)
        else:
            acc += (diff * rw[:, None]).T @ diff
    return acc


def _shifted_covariances(S: ShiftedStats, nk, means):
    """Per-component covariances (k, d, d) about the new ``means`` from the scatter about the
    centres ``c`` of the pass, and the components to recompute in the two-pass form.

    Exact algebra for any mean: with ``n = sum w r``, ``s1 = sum w r (z - c) = sx - n c`` and
    ``delta = mu - c``, ``sum w r (z - mu)(z - mu)' = scat - s1 delta' - delta s1' + n delta
    delta'`` (= ``scat - n delta delta'`` when ``mu = sx / n``); divided by ``nk`` (which holds the
    10 eps floor) as the two-pass form is.  The shift loses digits only when the means moved
    far compared with the spread: ``E[(z - c)^2] / variance`` above :data:`TWO_PASS_RATIO` sends
    the component to the two-pass form, as the expanded statistics do; so does a scatter whose
    left-out pairs (:attr:`ShiftedStats.dropped`) exceed :data:`DROPPED_TOL` of its trace."""
    c = S.centres
    n_raw = S.nk
    delta = means - c
    s1 = S.sx - n_raw[:, None] * c
    cross = np.einsum("ki,kj->kij", s1, delta)
    sc = S.scat - cross - np.swapaxes(cross, 1, 2) + n_raw[:, None, None] * np.einsum("ki,kj->kij", delta, delta)
    cov = sc / nk[:, None, None]
    dm2 = np.diagonal(S.scat, axis1=1, axis2=2) / nk[:, None]
    dcov = np.diagonal(cov, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(dcov > 0, dm2 / np.where(dcov > 0, dcov, 1.0), np.inf)
    bad = np.any(ratio > TWO_PASS_RATIO, axis=1)
    if S.dropped is not None:  # pairs left out of the scatter could matter: the two-pass form
        bad |= S.dropped > DROPPED_TOL * np.trace(S.scat, axis1=1, axis2=2)
    redo = np.flatnonzero(bad & (nk > 100 * EPS))
    return cov, redo


def expanded_covariances(S, nk, means, lay, d):
    """Full covariances ``(k, d, d)`` from the expanded statistics ``S`` (second moments about 0 in
    ``S[:, :lay.nq]``, the upper triangle), with the components whose variances would lose digits in
    ``E[z z'] - m m'`` (ratio above TWO_PASS_RATIO) for a two-pass scatter: ``(cov, redo)``."""
    k = S.shape[0]
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
    return cov, np.flatnonzero(np.any(ratio > TWO_PASS_RATIO, axis=1) & (nk > 100 * EPS))


def mstep(data: DenseData, S, resp, covariance_type, reg_z):
    """New (weights, means, covariances) in standardised units from the statistics of a pass.

    ``S``: the expanded statistics (k, m); a :class:`ShiftedStats` (full/tied not expanded,
    gathered in the E-step's pass); or None (features not expanded, e.g. at initialisation):
    then means and covariances are computed from the stored responsibilities (two-pass).
    """
    lay = data.layout
    ct = covariance_type
    k = resp.shape[0]
    d = data.d
    shifted = isinstance(S, ShiftedStats)
    if isinstance(S, TiedStats):
        nk = S.nk + 10 * EPS
        means = S.sx / nk[:, None]
        cov = _tied_covariance(data, S, resp, nk, means)
        cov[np.diag_indices(d)] += reg_z
        return nk / nk.sum(), means, cov
    if shifted:
        nk = S.nk + 10 * EPS
        means = S.sx / nk[:, None]
    elif S is not None:
        nk = S[:, lay.const] + 10 * EPS
        means = S[:, lay.lin] / nk[:, None]
    else:
        nk = np.zeros(k)
        sx = np.zeros((k, d))
        for s, e, pb, zb, wb in data.blocks():
            r = resp[:, s:e] if wb is None else resp[:, s:e] * wb
            nk += r.sum(axis=1)
            sx += r @ zb
        nk += 10 * EPS
        means = sx / nk[:, None]
    weights = nk / nk.sum()

    if ct in ("full", "tied"):
        if shifted:
            cov, redo = _shifted_covariances(S, nk, means)
        elif S is not None:
            cov, redo = expanded_covariances(S, nk, means, lay, d)
        else:
            cov = np.zeros((k, d, d))
            redo = np.arange(k)
        for j in redo:
            cov[j] = _two_pass_scatter(data, resp, j, means[j], False) / nk[j]
        # Symmetric by construction: a BLAS product A'B rounds (i, j) and (j, i) differently
        # (about 1e-31 apart on rounded data), and every reader of parameters checks symmetry.
        cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
        if ct == "full":
            idx = np.arange(d)
            cov[:, idx, idx] += reg_z
        else:
            cov = np.einsum("k,kij->ij", nk, cov) / nk.sum()
            cov[np.diag_indices(d)] += reg_z
        return weights, means, cov
    if ct == "diag":
        m2 = S[:, :d] / nk[:, None]
        var = m2 - means * means
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(var > 0, m2 / np.where(var > 0, var, 1.0), np.inf)
        for j in np.flatnonzero(np.any(ratio > TWO_PASS_RATIO, axis=1) & (nk > 100 * EPS)):
            var[j] = _two_pass_scatter(data, resp, j, means[j], True) / nk[j]
        return weights, means, var + reg_z
    # spherical
    m2 = S[:, 0] / nk
    mm = np.einsum("ij,ij->i", means, means)
    var = (m2 - mm) / d
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(var > 0, m2 / np.where(var > 0, d * var, 1.0), np.inf)
    for j in np.flatnonzero((ratio > TWO_PASS_RATIO) & (nk > 100 * EPS)):
        var[j] = _two_pass_scatter(data, resp, j, means[j], True).sum() / (nk[j] * d)
    return weights, means, var + reg_z


# The high-dimension passes (issue 16) live in _kernels_hd, which imports from this module; imported
# last, after every name it uses is defined (em_pass and mstep look them up when called).
from ._kernels_hd import (  # noqa: E402
    TiedStats,
    _gram,
    _em_pass_augmented,
    _em_pass_diag_fm,
    _em_pass_separable,
    _em_pass_tied,
    _gemm_cols,
    _gemm_sum,
    _one_thread_rows,
    _tied_covariance,
)
