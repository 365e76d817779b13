"""High-dimension passes of the Gaussian mixture's EM (issue 16), split from
:mod:`emdesk.engine._kernels` (which dispatches to them from :func:`~emdesk.engine._kernels.em_pass`
and :func:`~emdesk.engine._kernels.mstep`).  Above :data:`~emdesk.engine._core.MAX_EXPANDED_D` features, for dense data
(``_core.DenseData``):

* full: :func:`_em_pass_augmented` (whitened differences of all components as one batched product
  of the augmented rows ``(z, 1)``; ``sum r z z'`` as one batched GEMM);
* tied: :func:`_em_pass_tied` (each block whitened once; the covariance from the data's Gram matrix,
  :class:`TiedStats`, :func:`_tied_covariance`);
* diag: :func:`_em_pass_diag_fm` (the features feature-major, in slabs); spherical without cached
  features: :func:`_em_pass_separable` (the expanded form's products from the rows).

Every BLAS call stays under OpenBLAS's single-thread limit (2**18 multiply-adds): the tied and
separable passes (and the expanded one, :func:`~emdesk.engine._kernels._pass_rows`) take blocks of
:func:`hd_block_rows` rows (up to 2048, so that a block's elementwise work is a few long NumPy
calls) and cut each product into sub-products, the whole ones in one stacked NumPy call
(:func:`_gemm_rows`, :func:`_gemm_cols`, :func:`_gemm_sum`), and
log-responsibilities are floored at :data:`~emdesk.engine._kernels.LOG_RESP_FLOOR`.  Standardised
units throughout.
"""

from __future__ import annotations

import numpy as np

from ._blas import ONE_THREAD_GEMM, pow2_at_most as _pow2_at_most, one_thread_rows as _one_thread_rows  # noqa: F401
from ._blas import gemm_rows as _gemm_rows, matvec, tmatmul
from ._core import TWO_PASS_RATIO, DenseData
from ._kernels import LOG_RESP_FLOOR, Prepared, ShiftedStats, _finish_block, _two_pass_scatter


def _em_pass_separable(data, prep: Prepared, resp, want_stats, ll_rows):
    """:func:`em_pass` for spherical covariances above :data:`~emdesk.engine._core.MAX_EXPANDED_D` features
    when the expanded features are not cached (dense data; diag has :func:`_em_pass_diag_fm`): the
    expanded form's products taken from the rows themselves, in blocks of :func:`hd_block_rows` rows (up
    to 8192): log-densities ``c_q |z|^2 + C_z' z' + c`` and statistics ``R |z|^2``, ``R z``, ``R 1``,
    returned in the expanded layout (k, m).  Every product is cut into sub-products under OpenBLAS's
    single-thread limit (2**18 multiply-adds, see :meth:`Layout.block_rows`) in one NumPy call
    (:func:`_gemm_cols`, :func:`_gemm_sum`)."""
    lay = data.layout
    k, d = prep.k, data.d
    B = min(hd_block_rows(k, d, prep.ct), max(data.n, 1))
    sub = _one_thread_rows(k * d)
    C = prep.C
    cq = C[0].copy()
    CzT = np.ascontiguousarray(C[lay.lin].T)
    const = C[lay.const][:, None]
    lbuf = np.empty((k, B))
    tbuf = np.empty((k, B))
    qbuf = np.empty(B)
    llb_buf = np.empty(B)
    tmp = np.empty(B)
    if want_stats:
        Sq = np.zeros(k)
        Sz = np.zeros((k, d))
        nk = np.zeros(k)
        sbuf = np.empty((max(B // sub, 1), k, d))
    total = 0.0
    w = data.w
    sqn = getattr(data, "sqnorms", None)
    for s in range(0, data.n, B):
        e = min(s + B, data.n)
        b = e - s
        wb = None if w is None else w[s:e]
        Lb, T = lbuf[:, :b], tbuf[:, :b]
        zb = data.z_rows(s, e)  # a view of Z, or rows standardised per block (no n x d copy)
        if sqn is not None:  # |z|^2 kept for all rows (DenseData.sqnorms)
            Q = sqn[s:e]
        else:
            Q = qbuf[:b]
            np.einsum("ij,ij->i", zb, zb, out=Q)
        np.multiply(cq[:, None], Q, out=T)
        _gemm_cols(CzT, zb, Lb, sub)
        Lb += T
        Lb += const
        ll, rw = _finish_block(data, prep, s, e, zb, Lb, wb, resp, ll_rows, llb_buf, tmp, LOG_RESP_FLOOR, T)
        total += ll
        if want_stats:
            nk += rw.sum(axis=1)
            Sq += matvec(rw, Q)
            _gemm_sum(rw, zb, Sz, sub, sbuf)
    if not want_stats:
        return total, None
    S = np.empty((k, lay.m))
    S[:, 0] = Sq
    S[:, lay.lin] = Sz
    S[:, lay.const] = nk
    return total, S


def _em_pass_diag_fm(data, prep: Prepared, resp, want_stats, ll_rows):
    """:func:`em_pass` for diag covariances above :data:`~emdesk.engine._core.MAX_EXPANDED_D` features
    (dense data): the expanded form's products with the features (z * z, z, 1) feature-major, each
    block (m, b) one contiguous slab when cached (``DenseData.ft_rows``; else built per block from
    the cached rows or the rows standardised), so that the E-step is one product ``(k, m) @ (m, b)``
    (:func:`_gemm_fm`) and the M-step one ``(k, b) @ (m, b)'`` (:func:`_gemm_sum_fm`), straight into
    the expanded layout (k, m): the layouts OpenBLAS runs fastest at these skinny shapes (one
    thread, 100,000 x 32, k=16, 1 Dec 2026: E-step 13.4 -> 7.3 ms, M-step 9.9 -> 6.4 ms against
    row-major rows).  The same sums as :func:`_em_pass_separable` (log-densities
    ``C_q' (z * z) + C_z' z + c``, statistics ``R (z * z)'``, ``R z'``, ``R 1``), to rounding."""
    lay = data.layout
    k = prep.k
    B = min(hd_block_rows(k, data.d, prep.ct), max(data.n, 1))
    sub = _one_thread_rows(k * lay.m)
    CT = np.ascontiguousarray(prep.C.T)
    lbuf = np.empty((k, B))
    tbuf = np.empty((k, B))
    llb_buf = np.empty(B)
    tmp = np.empty(B)
    if want_stats:
        S = np.zeros((k, lay.m))
        sbuf = np.empty((max(B // sub, 1), k, lay.m))
    total = 0.0
    w = data.w
    for s in range(0, data.n, B):
        e = min(s + B, data.n)
        b = e - s
        wb = None if w is None else w[s:e]
        Lb = lbuf[:, :b]
        ft = data.ft_rows(s, e)
        _gemm_fm(CT, ft, Lb, sub)
        ll, rw = _finish_block(data, prep, s, e, ft[lay.lin].T, Lb, wb, resp, ll_rows, llb_buf, tmp,
                               LOG_RESP_FLOOR, tbuf[:, :b])
        total += ll
        if want_stats:
            _gemm_sum_fm(rw, ft, S, sub, sbuf)
    return total, (S if want_stats else None)


def _gemm_fm(M, AT, out, sub):
    """``out (k, b) = M (k, m) @ AT (m, b)`` (``AT`` feature-major, e.g. a column slice of a (m, n)
    array), as products of ``sub`` columns, the whole ones in one NumPy call (see :func:`_gemm_rows`)."""
    m, b = AT.shape
    k = M.shape[0]
    nb = b // sub
    if nb:
        o = out[:, :nb * sub].reshape(k, nb, sub).transpose(1, 0, 2)
        np.matmul(M, AT[:, :nb * sub].reshape(m, nb, sub).transpose(1, 0, 2), out=o)
    if nb * sub < b:
        np.matmul(M, AT[:, nb * sub:], out=out[:, nb * sub:])


def _gemm_sum_fm(R, AT, acc, sub, buf):
    """``acc (k, m) += R (k, b) @ AT (m, b)'`` as products over ``sub`` rows (the whole ones in one
    NumPy call into ``buf`` (>= b // sub, k, m), then summed in order; see :func:`_gemm_sum`)."""
    k, b = R.shape
    m = AT.shape[0]
    nb = b // sub
    if nb:
        part = buf[:nb]
        np.matmul(R[:, :nb * sub].reshape(k, nb, sub).transpose(1, 0, 2),
                  AT[:, :nb * sub].reshape(m, nb, sub).transpose(1, 2, 0), out=part)
        acc += part[0] if nb == 1 else part.sum(axis=0)
    if nb * sub < b:
        acc += R[:, nb * sub:] @ AT[:, nb * sub:].T


_VECDOT = getattr(np, "vecdot", None)  # NumPy >= 2.0

#: Responsibilities at or below this are left out of the full-covariance scatter
#: (:func:`_em_pass_augmented`): a kept term is 1e30 times larger, and what is left out is bounded
#: and checked (:attr:`~emdesk.engine._kernels.ShiftedStats.dropped`).
SPARSE_RESP = 1e-30
#: A span's scatter is gathered per component when at most this share of its (component, row)
#: pairs is kept (well-separated components keep about 1/k of them); else the dense products.
SPARSE_SHARE = 0.5
#: Rows per span of the full-covariance pass's scatter (a whole number of its blocks), counted from
#: each shard's start (the shards do not depend on the thread count, so neither do the spans).  The
#: sparse form's Python loop over components runs once per span: at 100,000 x 32, k=16 on 2 threads,
#: spans of 8192 rows took 106-151 ms of CPU per iteration against 171-244 with 2048 (the loop's
#: small NumPy calls hold the GIL), wall 78-133 against 84-89 ms best (load 1.8-2.2, 1 Dec 2026).
SPAN_ROWS = 8192
#: Bytes of the full-covariance pass's whitened differences per block, (k, b, d): the block is the
#: largest power of two of rows within it, at least 64 and at most 2048 (a divisor of SPAN_ROWS).
FULL_HD_Y_BYTES = 1 << 20


def full_block_rows(k, d):
    """Rows per block of :func:`_em_pass_augmented`'s E-step (a power of two dividing 2048)."""
    return _pow2_at_most(FULL_HD_Y_BYTES // (8 * max(k, 1) * max(d, 1)), 64, 2048)


def _em_pass_augmented(data, prep: Prepared, resp, want_stats, ll_rows):
    """:func:`em_pass` for full covariances above :data:`~emdesk.engine._core.MAX_EXPANDED_D` features (dense data):
    with the augmented rows ``a = (z, 1)`` (b, d+1) and per component ``W_k = (L_k^-T ; -mu_k
    L_k^-T)`` (d+1, d), the whitened differences ``y = (z - mu_k) L_k^-T = a W_k`` of all
    components are one batched product (k GEMMs of (b, d+1) x (d+1, d), each under OpenBLAS's
    single-thread limit: see :meth:`Layout.block_rows`), with no (k, b, d) subtraction before it.
    Rounding: ``y`` is accumulated from ``z L^-T`` and ``mu L^-T``, so its error is at most
    that of the expanded form's quadratic form (``4 eps lambda_max(P) (|mu| + |z - mu|)^2``),
    and :class:`Prepared` sends the same components to the direct form.

    Statistics: ``sum w r``, ``sum w r z`` and per component ``sum w r z z'``, returned as
    :class:`ShiftedStats` about the centres 0: :func:`_shifted_covariances` then forms
    ``E[z z'] - mu mu'``, two-pass where ``E[z^2] / variance`` exceeds :data:`TWO_PASS_RATIO`
    (the subtraction would cancel digits).  The scatter is taken per span of :data:`SPAN_ROWS`
    rows (their responsibilities kept from the E-step):

    * dense, per block, one batched GEMM ``(r z)' z`` (a plain GEMM: NumPy's SYRK for ``A' A``,
      with ``A = sqrt(r) (z - mu)``, was measured 1.6x slower at these sizes);
    * sparse, when at most :data:`SPARSE_SHARE` of the span's (component, row) pairs have a
      responsibility above :data:`SPARSE_RESP`: per component, only its rows above it (well
      separated components at high dimension give each row one component; the others' 1e-100
      and less are below any rounding of the sum).  What is left out, ``sum w r |z|^2``, bounds
      every entry's change and is returned (``ShiftedStats.dropped``); a component where it
      exceeds :data:`~emdesk.engine._kernels.DROPPED_TOL` of the scatter's trace is recomputed in
      the two-pass form.  Cost: ``d^2`` multiply-adds per kept pair instead of ``k d^2`` per row
      (100,000 x 32, k=16: the scatter was 2/3 of a pass's CPU)."""
    k, d = prep.k, data.d
    n = data.n
    B = min(full_block_rows(k, d), max(n, 1))
    U = SPAN_ROWS if want_stats else B
    total = 0.0
    llb_buf = np.empty(B)
    tmp = np.empty(B)
    lbuf = np.empty((k, B))
    abuf = np.empty((B, d + 1))
    abuf[:, d] = 1.0
    ybuf = np.empty((k, B, d))
    W = np.empty((k, d + 1, d))
    W[:, :d] = prep.linvT
    W[:, d] = -np.einsum("ki,kij->kj", prep.means, prep.linvT)
    const = prep.const[:, None]
    # rows per E-step product: (sub, d+1) x (d+1, d) under the single-thread limit (2**18)
    sub = 1 << max(int(np.log2(max((1 << 18) // ((d + 1) * d), 1))), 0)
    w = data.w
    if want_stats:
        nk = np.zeros(k)
        sx = np.zeros((k, d))
        G = np.zeros((k, d, d))
        dropped = np.zeros(k)
        span_r = np.empty((k, U))
        Bs = _one_thread_rows(d * d)  # rows per product of the dense scatter, (d, b) x (b, d)
        scratch = (np.empty((k, Bs, d)), np.empty((k, d, d)))
    for s0 in range(0, n, U):
        e0 = min(s0 + U, n)
        zspan = data.z_rows(s0, e0)
        for s in range(s0, e0, B):
            e = min(s + B, e0)
            b = e - s
            full = b == B
            zb = zspan[s - s0:e - s0]
            wb = None if w is None else w[s:e]
            Lb = lbuf[:, :b] if full else np.empty((k, b))
            A = abuf[:b]
            A[:, :d] = zb
            Y = ybuf[:, :b] if full else np.empty((k, b, d))
            _matmul_rows(A, W, Y, sub)
            # |y|^2 per component and row: NumPy's vecdot (a gufunc) took 22.5 / 12.9 ms of CPU per
            # pass against einsum's 26.2 / 21.5 (32-d k=16 / 64-d k=8, their block sizes)
            if _VECDOT is not None:
                _VECDOT(Y, Y, out=Lb)
            else:  # NumPy < 2
                np.einsum("kbi,kbi->kb", Y, Y, out=Lb)
            Lb *= -0.5
            Lb += const
            ll, rw = _finish_block(data, prep, s, e, zb, Lb, wb, resp, ll_rows, llb_buf, tmp, LOG_RESP_FLOOR)
            total += ll
            if want_stats:
                nk += rw.sum(axis=1)
                sx += rw @ zb
                span_r[:, s - s0:e - s0] = Lb  # the responsibilities (unweighted)
        if want_stats:
            wspan = None if w is None else w[s0:e0]
            _span_scatter(span_r[:, :e0 - s0], zspan, wspan, Bs, G, dropped, scratch)
    if not want_stats:
        return total, None
    return total, ShiftedStats(nk, sx, G, np.zeros((k, d)), dropped)


def _span_scatter(R, Z, w, B, G, dropped, scratch):
    """``G (k, d, d) += sum w r z z'`` over a span's rows ``Z`` (S, d) with responsibilities ``R``
    (k, S) and weights ``w`` (S,) or None, dense in blocks of ``B`` rows or sparse (see
    :func:`_em_pass_augmented`; ``dropped`` (k,) += what the sparse form leaves out)."""
    k, S = R.shape
    keep = R > SPARSE_RESP
    if np.count_nonzero(keep) > SPARSE_SHARE * k * S:
        rbuf, gbuf = scratch
        for a in range(0, S, B):
            zb = Z[a:a + B]
            b = zb.shape[0]
            rw = R[:, a:a + b] if w is None else R[:, a:a + b] * w[a:a + b]
            Rz = rbuf[:, :b] if b == B else np.empty((k, b, zb.shape[1]))
            np.multiply(rw[:, :, None], zb, out=Rz)
            np.matmul(np.swapaxes(Rz, 1, 2), zb, out=gbuf)
            G += gbuf
        return
    q = np.einsum("ij,ij->i", Z, Z)
    if w is not None:
        q *= w
    dropped += matvec(np.where(keep, 0.0, R), q)
    for j in range(k):
        idx = np.flatnonzero(keep[j])
        if not idx.size:
            continue
        zj = Z[idx]
        rj = R[j, idx] if w is None else R[j, idx] * w[idx]
        G[j] += tmatmul(zj * rj[:, None], zj)


def _matmul_rows(A, W, out, sub):
    """``out[j] = A @ W[j]`` for A (b, m), W (k, m, d), out (k, b, d), as products of at most
    ``sub`` rows of A each (one NumPy call when ``sub`` divides b), so that every GEMM stays
    under OpenBLAS's single-thread limit (see :meth:`Layout.block_rows`)."""
    b, m = A.shape
    k, _, d = W.shape
    if b <= sub:
        np.matmul(A, W, out=out)
    elif b % sub == 0:
        np.matmul(A.reshape(b // sub, sub, m), W[:, None], out=out.reshape(k, b // sub, sub, d))
    else:
        for r in range(0, b, sub):
            np.matmul(A[r:r + sub], W, out=out[:, r:r + sub])


class TiedStats:
    """Sufficient statistics of a tied covariance not expanded (above :data:`~emdesk.engine._core.MAX_EXPANDED_D`
    features), gathered in the E-step's pass: ``nk`` (k,) = sum w r, ``sx`` (k, d) = sum w r z;
    ``gram`` (d, d) = sum w z z' does not depend on the parameters and is computed once per data
    (:func:`_gram`).  :func:`mstep` forms the tied covariance ``(gram - sum_k nk mu_k mu_k') / N``
    (two-pass where that cancels digits)."""

    __slots__ = ("nk", "sx", "gram")

    def __init__(self, nk, sx, gram):
        self.nk, self.sx, self.gram = nk, sx, gram


def _gram(data: DenseData):
    """sum_i w_i z_i z_i' (d, d) of dense data, computed once and kept on ``data``; shard by shard
    (threads, sums added in shard order: :meth:`DenseData.shard_bounds`)."""
    G = getattr(data, "_tied_gram", None)
    if G is None:
        from ._threads import map_in_order

        def part(b):
            G = np.zeros((data.d, data.d))
            for s, e, pb, zb, wb in data.rows(*b).blocks():
                G += zb.T @ (zb if wb is None else zb * wb[:, None])
            return G

        parts = map_in_order(part, data.shard_bounds())
        G = parts[0]
        for p in parts[1:]:
            G += p
        G = 0.5 * (G + G.T)
        data._tied_gram = G
    return G


def _em_pass_tied(data, prep: Prepared, resp, want_stats, ll_rows):
    """:func:`em_pass` for a tied covariance above :data:`~emdesk.engine._core.MAX_EXPANDED_D` features: the rows are
    whitened once per block, ``y = z L^-T`` (one (b, d) x (d, d) product; the per-component form
    did it k times), and every component's quadratic form is
    ``|y - m_k|^2 = |y|^2 - 2 y.m_k + |m_k|^2`` with the whitened means ``m_k = L^-1 mu_k``: one
    (k, d) x (d, b) product.  Its rounding error is that of the expanded form (at most
    ``4 eps lambda_max(P) (|mu_k| + |z - mu_k|)^2``), so the components :class:`Prepared` sends to
    the direct form are the same.  Statistics: ``sum w r`` and ``sum w r z`` only; the scatter is
    the data's Gram matrix (fixed) minus the means' part (:class:`TiedStats`, :func:`mstep`).
    Per row: d^2 + 2 k d multiply-adds instead of 2 k d^2.

    Blocks of :func:`hd_block_rows` rows (the elementwise work: few NumPy calls per row), each
    product cut into sub-products under OpenBLAS's single-thread limit in one NumPy call
    (:func:`_gemm_rows`, :func:`_gemm_cols`, :func:`_gemm_sum`)."""
    k, d = prep.k, data.d
    n = data.n
    B = min(hd_block_rows(k, d), max(n, 1))
    sub_y = _one_thread_rows(d * d)
    sub_k = _one_thread_rows(k * d)
    total = 0.0
    llb_buf = np.empty(B)
    tmp = np.empty(B)
    lbuf = np.empty((k, B))
    ybuf = np.empty((B, d))
    qbuf = np.empty(B)
    LT, M, c = prep.tied_LT, prep.tied_means, prep.tied_const[:, None]
    w = data.w
    if want_stats:
        nk = np.zeros(k)
        sx = np.zeros((k, d))
        sbuf = np.empty((max(B // sub_k, 1), k, d))
    for s in range(0, n, B):
        e = min(s + B, n)
        b = e - s
        zb = data.z_rows(s, e)
        wb = None if w is None else w[s:e]
        Lb = lbuf[:, :b]
        Y = ybuf[:b]
        q = qbuf[:b]
        _gemm_rows(zb, LT, Y, sub_y)
        np.einsum("ij,ij->i", Y, Y, out=q)
        _gemm_cols(M, Y, Lb, sub_k)
        q *= -0.5
        Lb += q
        Lb += c
        ll, rw = _finish_block(data, prep, s, e, zb, Lb, wb, resp, ll_rows, llb_buf, tmp, LOG_RESP_FLOOR)
        total += ll
        if want_stats:
            nk += rw.sum(axis=1)
            _gemm_sum(rw, zb, sx, sub_k, sbuf)
    if not want_stats:
        return total, None
    # a shard's statistics get the whole data's Gram matrix in the reduction (_kernels._sharded_pass)
    return total, TiedStats(nk, sx, None if data.is_shard else _gram(data))


#: Bytes of a high-d pass's per-block arrays ((k, b) log-densities, (b, d) rows): the block is the
#: largest power of two of rows within it (at most 2048, the shards' unit), so that a block's
#: elementwise work is a few long NumPy calls (100,000 x 32, k=16, tied, one thread: 256-row blocks
#: spent about half the pass in per-call overhead, which also holds the GIL and kept two threads
#: from running side by side).
HD_BLOCK_BYTES = 512 << 10


#: Bytes of a spherical pass's per-block arrays above MAX_EXPANDED_D features (up to 8192 rows): its
#: blocks hold little arithmetic (k products per row), so with 1024-row blocks the per-call overhead,
#: which holds the GIL, kept two threads from running side by side.  One pass on 2 threads, 100,000
#: rows (idle, 1 Dec 2026, best / median of 7): 32-d k=16 16.0 / 16.9 -> 10.1 / 12.5 ms, 64-d k=8
#: 21.1 / 24.7 -> 10.7 / 11.0 ms (one thread 15-20 ms either way); diag was not faster with them.
SPHERICAL_BLOCK_BYTES = 2 << 20


def hd_block_rows(k, d, covariance_type=None):
    """Rows per block of the tied and separable high-d passes (a power of two dividing 2048; spherical:
    up to 8192, :data:`SPHERICAL_BLOCK_BYTES`)."""
    if covariance_type == "spherical":
        return _pow2_at_most(SPHERICAL_BLOCK_BYTES // (8 * max(k, d)), 64, 8192)
    return _pow2_at_most(HD_BLOCK_BYTES // (8 * max(k, d)), 64, 2048)


def _gemm_cols(M, A, out, sub):
    """``out (k, b) = M (k, m) @ A (b, m)'`` (``out`` may be a column slice of a wider buffer), as
    products of ``sub`` columns, the whole ones in one NumPy call: :func:`_gemm_fm` of ``A.T`` (the
    same operands, so the same bits)."""
    _gemm_fm(M, A.T, out, sub)


def _gemm_sum(R, A, acc, sub, buf):
    """``acc (k, m) += R (k, b) @ A (b, m)`` as products over ``sub`` rows (the whole ones in one
    NumPy call into ``buf`` (>= b // sub, k, m), then summed in order): :func:`_gemm_sum_fm` of
    ``A.T`` (the same operands, so the same bits)."""
    _gemm_sum_fm(R, A.T, acc, sub, buf)


def _tied_covariance(data, S: TiedStats, resp, nk, means):
    """The tied covariance (d, d), without ``reg``: ``(gram - sum_k nk mu_k mu_k') / N``, where
    the subtraction would cancel digits (a feature's ``E[z^2] / variance`` above
    :data:`TWO_PASS_RATIO`, as elsewhere) the two-pass sum of every component's scatter."""
    N = float(nk.sum())
    # sum_k sum_i w r (z - mu_k)(z - mu_k)' = gram - sum_k (sx_k mu_k' + mu_k sx_k' - nk_k mu_k mu_k')
    cross = S.sx.T @ means
    cov = (S.gram - cross - cross.T + np.einsum("k,ki,kj->ij", S.nk, means, means)) / N
    dm2 = np.diagonal(S.gram) / N
    dcov = np.diagonal(cov)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(dcov > 0, dm2 / np.where(dcov > 0, dcov, 1.0), np.inf)
    if np.any(ratio > TWO_PASS_RATIO):
        cov = sum(_two_pass_scatter(data, resp, j, means[j], False) for j in range(len(nk))) / N
    return 0.5 * (cov + cov.T)
