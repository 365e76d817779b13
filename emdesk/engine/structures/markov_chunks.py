"""The chunked layout's machinery of the scaled forward-backward (:mod:`.markov`, split from it to keep
it one job): the chunk transfer matrices' row normalisation, the log-depth boundary scans and the careful
(step-checked) boundary sweeps, and the checks of the chunk-boundary rows those produce
(:func:`_boundary_lost`, :func:`_boundary_harm`).  NumPy only."""

from __future__ import annotations

import numpy as np

#: A scaled forward/backward share of a reachable state below this counts as lost (it, or the
#: products it came from, may have been subnormal or 0).
LOST_SHARE = 1e-290


def _row_normalise(P, R, robust):
    """P (a, k, k) rows to sum 1 in place; log scales added to R (a, k).  ``robust``: all-zero rows
    stay 0 with scale -inf (otherwise they become NaN, which the caller detects)."""
    a, k, _ = P.shape
    rs = (P.reshape(a * k, k) @ np.ones(k)).reshape(a, k)
    if robust:
        zero = rs <= 0
        rs[zero] = 1.0
        R += np.where(zero, -np.inf, np.log(rs))
    else:
        R += np.log(rs)
    P /= rs[:, :, None]


def _gemm_rows(X, A, out):
    """``out = X @ A`` for a tall X (rows, k) in row blocks small enough that OpenBLAS runs each
    on one thread (see ``_core.Layout.block_rows``: a threaded skinny GEMM was measured 10x
    slower on a loaded 2-core machine)."""
    rows, k = X.shape
    step = max(256, (1 << 18) // max(k * A.shape[1], 1))
    if rows <= step:
        np.matmul(X, A, out=out)
        return out
    for s in range(0, rows, step):
        np.matmul(X[s:s + step], A, out=out[s:s + step])
    return out


def _normalise_total(M):
    """Each (k, k) matrix of M (c, k, k) divided by its total, in place."""
    c, k, _ = M.shape
    M /= (M.reshape(c, k * k) @ np.ones(k * k))[:, None, None]


def _boundary_scans(P, E, alpha_in, beta_out, seqs, beta_end=None, backward=True):
    """The filtered state entering every chunk and the backward vector leaving it, from the chunk
    matrices ``diag(E) P`` by Hillis-Steele prefix (suffix) products in time order (log2(C) batched
    matrix products instead of C sequential steps).  A first chunk's matrix has identical rows (it
    starts from ``startprob``), so a prefix product restarts there by itself; a sequence's last
    chunk is followed by the all-ones matrix, which restarts the suffix products.  ``beta_end``
    (k,): the backward vector leaving the last chunk in time (a sequence that goes on after these
    rows), as ``diag(beta_end)`` in place of the all-ones matrix (nothing follows it in time)."""
    C, k, _ = P.shape
    order = seqs.time_order
    Pt = P[order] * E[order][:, :, None]
    _normalise_total(Pt)
    F = Pt
    d = 1
    while d < C:
        F[d:] = np.matmul(F[:-d], F[d:])
        _normalise_total(F[d:])
        d *= 2
    end = F.sum(axis=1)  # rows are identical: their sum is the filtered direction
    alpha_in[order[1:]] = end[:-1] / end[:-1].sum(axis=1)[:, None]
    if not backward:
        return
    Q = np.empty((C, k, k))
    Q[:-1] = P[order[1:]] * E[order[1:]][:, :, None]
    Q[seqs.time_last] = 1.0
    if beta_end is not None:
        Q[-1] = np.diag(beta_end)
    _normalise_total(Q)
    d = 1
    while d < C:
        Q[:-d] = np.matmul(Q[:-d], Q[d:])
        _normalise_total(Q[:-d])
        d *= 2
    out = Q.sum(axis=2)
    beta_out[order] = out / out.sum(axis=1)[:, None]


def _careful_sweeps(P, R, E, alpha_in, beta_out, seqs, ones, backward=True):
    """The boundary sweeps with every step checked: a weighted row sum of 0 is redone in logs; an
    impossible boundary leaves NaN (the caller reports -inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        for cur, nxt in seqs.pairs:
            w = alpha_in[cur] * E[cur]
            if not np.all(w @ ones > 0):
                w = np.log(alpha_in[cur]) + R[cur]
                w = np.exp(w - w.max(axis=1)[:, None])
            end = np.matmul(w[:, None, :], P[cur])[:, 0, :]
            alpha_in[nxt] = end / (end @ ones)[:, None]
        for cur, nxt in (reversed(seqs.pairs) if backward else ()):
            u = np.matmul(P[nxt], beta_out[nxt][:, :, None])[:, :, 0]
            w = u * E[nxt]
            if not np.all(w @ ones > 0):
                w = np.log(u) + R[nxt]
                w = np.exp(w - w.max(axis=1)[:, None])
            beta_out[cur] = w / (w @ ones)[:, None]


def _boundary_lost(V, b, A, seqs, cscale=None):
    """Whether the boundary scans lost a forward share at a chunk boundary (for forward-only results,
    which have no backward variables to judge the harm by: see :func:`_boundary_harm`): the first row
    of every inner chunk redone by one exact step from the row before, ``(alpha_{t-1} A) * b_t``
    normalised; a state at least :data:`LOST_SHARE` there and less than half of it in ``V`` (alpha
    (n, k), rows summing to 1; ``b`` the scaled emissions) is lost; so is a row scale (``cscale``)
    more than :data:`BOUNDARY_HARM` relative off the exact step's total (see :func:`_boundary_harm`)."""
    fr = seqs.c_start[~seqs.c_first]
    est = (V[fr - 1] @ A) * b[fr]
    tot = est.sum(axis=1)
    est /= tot[:, None]
    if cscale is not None and not np.all(np.abs(cscale[fr] - tot) <= BOUNDARY_HARM * tot):
        return True
    return bool(np.any((est >= LOST_SHARE) & ~(V[fr] >= 0.5 * est)))


#: The largest change of a posterior that the chunk-boundary rows' inaccuracy may make (see
#: :func:`_boundary_harm`); rounding alone gives about 1e-15.
BOUNDARY_HARM = 1e-10


def _boundary_harm(alpha, beta, b, A, seqs, cscale=None):
    """How much the chunk-boundary rows can be off, as a bound on the change of any posterior.

    Rows inside a chunk come from the exact scaled recursion, whose losses are shares below
    :data:`LOST_SHARE` (judged by :func:`_fb_checked`'s harm bound).  The first row of an inner chunk
    (forward) and the last row of the chunk before it (backward) come from products of chunk
    matrices, which can lose a state whose share is far larger, or keep it only to a few digits
    (subnormal intermediate products).  Found by hypothesis: an absorbing state, log-densities spread
    by ~100, a lost forward share of e^-375 that made posteriors 1 where the log-space recursion
    gives 0.058; and with transitions of 1e-200, expected transitions off by 2e-8 relative.

    So those rows are redone by one exact step from their neighbour: ``e = (alpha_{t-1} A) * b_t``
    and ``f = A (b_{t+1} * beta_{t+1})``, normalised.  A relative error ``delta_j`` in state j's
    share at row t changes the weight of the paths through (t, j), and so any posterior, by at most
    ``delta_j gamma_t(j)``: the bound returned is the largest ``sum_j |alpha_t(j) - e_j| beta_t(j) /
    <e, beta_t>`` (and the backward counterpart) over the boundary rows.  ``alpha``, ``beta`` (n, k)
    rows summing to 1, ``b`` the scaled emissions.  ``cscale`` (n,): the forward row scales, whose
    boundary values must equal the exact step's total ``<alpha_{t-1} A, b_t>`` too (their relative
    difference is the log-likelihood's error there, and the expected transitions' into that row): found
    by a random search, 1 Dec 2026, a boundary whose filtered state had the right direction but a scale
    3.8 % off (log-likelihood 0.038 off, posteriors right).  Costs O(chunks k^2)."""
    fr = seqs.c_start[~seqs.c_first]
    t = fr - 1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        e = (alpha[t] @ A) * b[fr]
        ce = e.sum(axis=1)
        e /= ce[:, None]
        f = (b[fr] * beta[fr]) @ A.T
        f /= f.sum(axis=1)[:, None]
        hf = (np.abs(alpha[fr] - e) * beta[fr]).sum(axis=1) / np.einsum("ij,ij->i", e, beta[fr])
        hb = (alpha[t] * np.abs(beta[t] - f)).sum(axis=1) / np.einsum("ij,ij->i", alpha[t], f)
        hc = np.abs(cscale[fr] - ce) / ce if cscale is not None else np.zeros(0)
    h = np.concatenate([hf, hb, hc])
    return float(np.max(np.where(np.isnan(h), np.inf, h))) if h.size else 0.0
