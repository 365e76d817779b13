"""A lean EM for bootstrap replicates of a Gaussian mixture (complete rows, scikit-learn's four covariance
types): the same iterations, convergence rule and reg_covar as :class:`emdesk.engine.GaussianMixture`, without
the layers a replicate does not need (input validation, standardisation, snapshots, per-iteration degeneracy
diagnosis, restart bookkeeping).

A replicate starts at the fitted parameters and stops after a few dozen iterations, so on small data those
layers were most of its time: profiled on Old Faithful (272 x 2, VVV, k = 3, py-spy), one replicate spent 59%
in ``GaussianMixture.fit``, of which the E-step was 4% and the preparation of each iteration's parameters
(Cholesky factors, feature products) and the snapshot's diagnosis 70%.

The fixed point is the engine's: EM is equivariant under the centring done here, and ``reg_covar`` is added to
every variance in the user's units, as the engine does (its standardised ``reg_z`` is ``reg_covar / scale^2``).
Iterations follow :func:`emdesk.engine.em.run_em`: E-step, a convergence test on the change of the mean
log-likelihood per unit weight (``|change| < tol`` from the second E-step on), M-step; after convergence one more
M-step and a final E-step, whose parameters and log-likelihood are returned.  A replicate this loop cannot
handle (a covariance that is not positive definite, a non-finite log-likelihood) comes back as None and the
caller refits it through the engine, which decides as it always has.

:func:`run_stream` runs many replicates together in a rolling batch (32 wide, fewer for large data:
:func:`stream_width`): one iteration of all of them is a
few batched array operations.  The quadratic forms are expanded (``x'Px - 2 x'P mu + mu'P mu`` with the rows'
outer products computed once per replicate) unless rounding could reach :data:`DIRECT_TOL` in a log-density,
and the M-step uses the sums ``r'X`` and ``r'XX`` with the two-pass formula where a variance cancels (the
engine's own rules).  Measured against the engine on Old Faithful for the four covariance types and the three
bootstrap methods: the same iterations per replicate and parameters equal to 2e-13 (relative).
"""

from __future__ import annotations

import math

import numpy as np

from ._blas import matmul, tmatmul

EPS = np.finfo(float).eps
LOG_2PI = math.log(2.0 * math.pi)
TYPES = ("full", "tied", "diag", "spherical")


# ---------------------------------------------------------------------------------------------- batches
def _estep_batch(Xc, weights, means, cov, ct, want_resp):
    """The E-step of B replicates at once: Xc (B, n, d), weights (B, k), means (B, k, d), covariances with a
    leading B axis.  Returns ``(row log-likelihoods (B, n), responsibilities (B, k, n) or None, bad (B,) bool)``;
    ``bad`` marks replicates whose covariance is not positive definite (their rows are garbage)."""
    B, k, d = means.shape
    with np.errstate(divide="ignore"):
        logw = np.log(weights)
    diff = Xc[:, None, :, :] - means[:, :, None, :]                  # (B, k, n, d)
    bad = np.zeros(B, dtype=bool)
    if ct in ("full", "tied"):
        stack = cov if ct == "full" else cov[:, None]
        try:
            L = np.linalg.cholesky(stack)
        except np.linalg.LinAlgError:  # find the replicates at fault; the others go on
            L = np.empty_like(stack)
            for b in range(B):
                try:
                    L[b] = np.linalg.cholesky(stack[b])
                except np.linalg.LinAlgError:
                    bad[b] = True
                    L[b] = np.eye(d)
        diag = np.diagonal(L, axis1=-2, axis2=-1)                  # (B, k or 1, d)
        bad |= ~np.all(diag > 0, axis=(1, 2))
        diag = np.where(diag > 0, diag, 1.0)
        Linv = np.linalg.inv(np.where(bad[:, None, None, None], np.eye(d), L))
        z = matmul(diff, np.swapaxes(Linv, -1, -2))                       # (B, k, n, d)
        maha = np.einsum("bknd,bknd->bkn", z, z)
        half_logdet = np.sum(np.log(diag), axis=-1)                # (B, k) or (B, 1)
    else:
        var = cov if ct == "diag" else np.repeat(cov[:, :, None], d, axis=2)
        bad |= ~np.all(var > 0, axis=(1, 2))
        var = np.where(var > 0, var, 1.0)
        maha = np.einsum("bknd,bkd->bkn", diff * diff, 1.0 / var)
        half_logdet = 0.5 * np.sum(np.log(var), axis=-1)
    Lj = (logw - half_logdet - 0.5 * d * LOG_2PI)[:, :, None] - 0.5 * maha   # (B, k, n)
    m = Lj.max(axis=1)
    with np.errstate(invalid="ignore"):
        e = np.exp(Lj - m[:, None, :])
    s = e.sum(axis=1)
    ll = m + np.log(s)
    resp = e / s[:, None, :] if want_resp else None
    return ll, resp, bad


#: The rolling batch's arrays stay under this many bytes (features, centred rows, weights and the (n, k)
#: temporaries of an iteration, per replicate in the batch); a replicate needing more than
#: :data:`MAX_REPLICATE_BYTES` alone is left to the engine, whose passes work in row blocks.
BATCH_BYTES = 64 << 20
MAX_REPLICATE_BYTES = 16 << 20
MAX_WIDTH = 32


def replicate_bytes(n, d, k) -> int:
    """Bytes one replicate takes in the rolling batch (float64 arrays of an iteration)."""
    return 8 * int(n) * (d * d + 3 * d + 1 + 6 * k)


def stream_width(n, d, k) -> int:
    """Replicates per rolling batch: :data:`MAX_WIDTH`, fewer when the data are large (0: do not use the
    lean loop, the replicate alone exceeds :data:`MAX_REPLICATE_BYTES`)."""
    per = replicate_bytes(n, d, k)
    if per > MAX_REPLICATE_BYTES:
        return 0
    return int(max(1, min(MAX_WIDTH, BATCH_BYTES // per)))


DIRECT_TOL = 1e-7     # a log-density the expanded quadratic form could get wrong by more: the direct form
TWO_PASS_RATIO = 1e6  # a variance this much below its raw second moment is recomputed by the two-pass formula


def _estep_expanded(Xc, F, weights, means, cov, ct, row_reach=None):
    """The E-step of B replicates with the quadratic forms expanded, ``x'Px - 2 x'P mu + mu'P mu``: one
    batched product of the rows' constant features ``F`` (B, n, d*d + d: the outer products, then the row)
    with the coefficients, instead of the (B, k, n, d) differences (measured on Old Faithful, B = 32: about
    0.15 ms against 0.6 ms).  The maximum and sum over the k components are taken slice by slice (a NumPy
    reduction over a short last axis took a quarter of the loop's time).  Returns
    ``(row log-likelihoods (B, n), responsibilities (B, n, k), bad (B,), exact (B,))``: ``exact`` False where
    rounding in the expansion could exceed :data:`DIRECT_TOL` (the caller then uses the direct form)."""
    B, k, d = means.shape
    with np.errstate(divide="ignore"):
        logw = np.log(weights)
    bad = np.zeros(B, dtype=bool)
    if ct in ("full", "tied"):
        stack = cov if ct == "full" else cov[:, None]
        try:
            L = np.linalg.cholesky(stack)
        except np.linalg.LinAlgError:  # find the replicates at fault; the others go on
            L = np.empty_like(stack)
            for b in range(B):
                try:
                    L[b] = np.linalg.cholesky(stack[b])
                except np.linalg.LinAlgError:
                    bad[b] = True
                    L[b] = np.eye(d)
        diag = np.diagonal(L, axis1=-2, axis2=-1)
        bad |= ~np.all(diag > 0, axis=(1, 2))
        L = np.where(bad[:, None, None, None], np.eye(d), L)
        diag = np.diagonal(L, axis1=-2, axis2=-1)
        Linv = np.linalg.inv(L)
        P = np.swapaxes(Linv, -1, -2) @ Linv                        # (B, k or 1, d, d)
        if ct == "tied":
            P = np.broadcast_to(P, (B, k, d, d))
            diag = np.broadcast_to(diag, (B, k, d))
        lam = np.einsum("bkij,bkij->bk", Linv, Linv) if ct == "full" else \
            np.broadcast_to(np.einsum("bkij,bkij->bk", Linv, Linv), (B, k))   # >= largest eigenvalue of P
        half_logdet = np.sum(np.log(diag), axis=-1)                 # (B, k)
        Pmu = np.einsum("bkde,bke->bkd", P, means)
        coef_q = P.reshape(B, k, d * d)
    else:
        var = cov if ct == "diag" else np.repeat(cov[:, :, None], d, axis=2)
        bad |= ~np.all(var > 0, axis=(1, 2))
        var = np.where(var > 0, var, 1.0)
        iv = 1.0 / var                                              # (B, k, d)
        lam = iv.max(axis=2)
        half_logdet = 0.5 * np.sum(np.log(var), axis=-1)
        Pmu = means * iv
        coef_q = np.zeros((B, k, d * d))
        coef_q[:, :, :: d + 1] = iv
    coef = np.concatenate([coef_q, -2.0 * Pmu], axis=2)            # (B, k, d*d + d)
    maha = matmul(F, np.swapaxes(coef, -1, -2)) + np.einsum("bkd,bkd->bk", means, Pmu)[:, None, :]   # (B, n, k)
    if row_reach is None:  # the largest row norm of each replicate (constant over its iterations)
        row_reach = np.sqrt(np.max(np.sum(Xc * Xc, axis=2), axis=1))
    reach = row_reach[:, None] + np.sqrt(np.sum(means * means, axis=2))
    exact = np.all(4.0 * EPS * lam * reach ** 2 <= DIRECT_TOL, axis=1)
    maha = np.maximum(maha, 0.0)
    Lj = (logw - half_logdet - 0.5 * d * LOG_2PI)[:, None, :] - 0.5 * maha   # (B, n, k)
    m = Lj[:, :, 0].copy()
    for j in range(1, k):
        np.maximum(m, Lj[:, :, j], out=m)
    with np.errstate(invalid="ignore"):
        e = np.exp(Lj - m[:, :, None])
    s = e[:, :, 0].copy()
    for j in range(1, k):
        s += e[:, :, j]
    ll = m + np.log(s)
    return ll, e / s[:, :, None], bad, exact


def _mstep_expanded(Xc, F, resp, w, ct, ridge):
    """The M-step of B replicates from the sums ``r'XX`` and ``r'X`` (one product with the features ``F``;
    resp (B, n, k)); a component whose
    variance cancels against its raw second moment (ratio above :data:`TWO_PASS_RATIO`) is recomputed by
    the two-pass formula."""
    B, n, d = Xc.shape
    r = resp if w is None else resp * w[:, :, None]
    nk = r.sum(axis=1) + 10 * EPS                                   # (B, k)
    S = tmatmul(r, F)                                                      # (B, k, d*d + d)
    means = S[:, :, d * d:] / nk[:, :, None]
    weights = nk / nk.sum(axis=1, keepdims=True)
    k = means.shape[1]
    if ct in ("full", "tied"):
        m2 = S[:, :, : d * d].reshape(B, k, d, d) / nk[:, :, None, None]
        cov = m2 - means[:, :, :, None] * means[:, :, None, :]
        dm2 = np.diagonal(m2, axis1=-2, axis2=-1)
        dcov = np.diagonal(cov, axis1=-2, axis2=-1)
    else:
        m2 = S[:, :, : d * d : d + 1] / nk[:, :, None]
        cov = m2 - means * means
        dm2, dcov = m2, cov
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(dcov > 0, dm2 / np.where(dcov > 0, dcov, 1.0), np.inf)
    for b, j in zip(*np.nonzero(np.any(ratio > TWO_PASS_RATIO, axis=2))):
        diff = Xc[b] - means[b, j]
        if ct in ("full", "tied"):
            cov[b, j] = tmatmul(diff * r[b, :, j:j + 1], diff) / nk[b, j]
        else:
            cov[b, j] = (r[b, :, j] @ (diff * diff)) / nk[b, j]
    # ridge: each replicate's regularisation in user units, (B, d, d) for full/tied (reg_covar times the
    # identity, or "relative": a fraction of that replicate's data covariance), (B, d) diag, (B,) spherical
    if ct in ("full", "tied"):
        cov = 0.5 * (cov + np.swapaxes(cov, -1, -2))
        if ct == "full":
            return weights, means, cov + ridge[:, None]
        tied = np.einsum("bk,bkij->bij", nk, cov) / nk.sum(axis=1)[:, None, None]
        return weights, means, tied + ridge
    if ct == "diag":
        return weights, means, cov + ridge[:, None, :]
    return weights, means, cov.mean(axis=2) + ridge[:, None]


def run_stream(pull, emit, should_stop, weights, means, covariances, covariance_type, reg_covar, tol, max_iter,
               n, d, weighted, width=None):
    """EM for a stream of replicates, ``width`` at a time: a rolling batch in which a replicate that ends is
    replaced at once by the next, so every iteration works on a full batch (a fixed batch would run as long as
    its slowest member; measured: that tail ate most of the gain).

    ``pull()`` gives ``(key, X (n, d), sample_weight (n,) or None)`` or None when there are no more (or
    ``(key, X, sample_weight, ridge)``: that replicate's regularisation in user units in place of
    ``reg_covar`` times the identity, (d, d) for full/tied, (d,) diag, a scalar for spherical);
    ``emit(key, result)`` receives ``(weights, means, covariances, log_likelihood (total, weighted), n_iter,
    converged)`` in the user's units, or None when this loop cannot finish the replicate (the caller refits it
    another way);
    ``should_stop()`` ends the stream after the current iteration (replicates in flight are dropped).
    Each replicate follows its own iterations and convergence test exactly as alone; the arithmetic of a
    replicate does not depend on the others in the batch (batched products work slice by slice)."""
    ct = covariance_type
    k = np.shape(means)[0]
    W = stream_width(n, d, k) if width is None else int(width)
    W = max(W, 1)
    Xc = np.zeros((W, n, d))
    F = np.zeros((W, n, d * d + d))  # per row: its outer product, then the row (constant over iterations)
    wv = np.ones((W, n)) if weighted else None
    Wt = np.ones(W)
    shift = np.zeros((W, d))
    reach = np.zeros(W)
    wts = np.zeros((W, k))
    mu = np.zeros((W, k, d))
    cov = np.zeros((W,) + np.shape(covariances))
    t = np.zeros(W, dtype=int)
    prev = np.full(W, np.nan)
    converged = np.zeros(W, dtype=bool)
    stop_next = np.zeros(W, dtype=bool)
    ridge_shape = {"full": (d, d), "tied": (d, d), "diag": (d,), "spherical": ()}[ct]
    default_ridge = {"full": np.eye(d), "tied": np.eye(d), "diag": np.ones(d), "spherical": np.array(1.0)}[ct] \
        * float(reg_covar)
    ridge = np.zeros((W,) + ridge_shape)
    keys = [None] * W
    free = list(range(W - 1, -1, -1))
    exhausted = False
    w0, m0, c0 = np.asarray(weights, float), np.asarray(means, float), np.asarray(covariances, float)
    while True:
        while free and not exhausted:
            item = pull()
            if item is None:
                exhausted = True
                break
            key, Xb, wb = item[:3]
            s = free.pop()
            keys[s] = key
            ridge[s] = default_ridge if len(item) < 4 else np.asarray(item[3], dtype=float).reshape(ridge_shape)
            shift[s] = Xb.mean(axis=0)
            Xc[s] = Xb - shift[s]
            F[s, :, : d * d] = (Xc[s][:, :, None] * Xc[s][:, None, :]).reshape(n, d * d)
            F[s, :, d * d:] = Xc[s]
            reach[s] = math.sqrt(float(np.max(F[s, :, : d * d : d + 1].sum(axis=1))))
            if weighted:
                wv[s] = wb
                Wt[s] = float(wb.sum())
            else:
                Wt[s] = float(n)
            wts[s], mu[s], cov[s] = w0, m0 - shift[s], c0
            t[s], prev[s], converged[s], stop_next[s] = 0, np.nan, False, False
        active = np.array([s for s in range(W) if keys[s] is not None], dtype=int)
        if active.size == 0 or should_stop():
            return
        do_m = (~stop_next[active]) & (t[active] < max_iter)
        full = active.size == W  # the usual case: views, no copies
        sel = slice(None) if full else active
        Xa, Fa = Xc[sel], F[sel]
        wa, ma, ca = wts[sel], mu[sel], cov[sel]
        rows, resp, bad, exact = _estep_expanded(Xa, Fa, wa, ma, ca, ct, reach[sel])
        if not exact.all():  # far rows or a narrow component: the direct form for this iteration
            rows, resp_d, bad = _estep_batch(Xa, wa, ma, ca, ct, True)
            resp = np.swapaxes(resp_d, 1, 2)
        ll = rows.sum(axis=1) if not weighted else np.einsum("bn,bn->b", rows, wv[active])
        bad |= ~np.isfinite(ll)
        lb = ll / Wt[active]
        change = np.where(t[active] > 0, lb - prev[active], np.nan)
        with np.errstate(invalid="ignore"):
            newly = do_m & (t[active] >= 1) & (np.abs(change) < tol)
        converged[active[newly]] = True
        finish = (~do_m) | bad
        go = ~finish
        idx = active[go]
        failed = set(active[bad].tolist())
        if idx.size:
            every = bool(go.all())
            nw, nm, nc = _mstep_expanded(Xa if every else Xa[go], Fa if every else Fa[go],
                                         resp if every else resp[go], None if not weighted else wv[idx], ct,
                                         ridge[idx])
            ok = np.all(np.isfinite(nm), axis=(1, 2)) & np.all(np.isfinite(nc.reshape(idx.size, -1)), axis=1)
            failed |= set(idx[~ok].tolist())
            wts[idx], mu[idx], cov[idx] = nw, nm, nc
            t[idx] += 1
            prev[idx] = lb[go]
            stop_next[idx] |= converged[idx]
        ended = list(zip(active[finish].tolist(), ll[finish].tolist())) + [(s, None) for s in failed
                                                                          if s in set(idx.tolist())]
        for s, value in ended:
            key = keys[s]
            if s in failed:
                emit(key, None)
            else:
                emit(key, (wts[s].copy(), mu[s] + shift[s], cov[s].copy(), float(value), int(t[s]),
                           bool(converged[s])))
            keys[s] = None
            free.append(s)
