"""Model-based agglomerative hierarchical clustering: mclust's default initialisation.

Fraley (1998), "Algorithms for model-based Gaussian hierarchical clustering", SIAM J. Sci.
Comput. 20(1); mclust's ``hc()`` (``R/mbahc.R``, Fortran ``hcvvv``, ``hceii``, ``hc1v``), the
reference implementation this module follows step for step (including the order in which tied
merges are chosen), so that the partitions agree with ``hclass(hc(data), G)``.

* Data are first transformed as mclust's ``hcUse = "SVD"`` (the default since mclust 5.4):
  columns standardised, rotated onto their principal axes and scaled by ``1/sqrt`` of the
  singular values (:func:`svd_transform`).
* Every row starts as its own cluster (what ``hc()`` does: its ``partition =
  dupPartition(data)`` default is not passed on to ``hcVVV``, which starts from ``1:n``;
  exact duplicates are merged first since they cost least).
* Greedy merging: at every step the pair of clusters whose merge changes the classification
  criterion least is merged.  For ``"VVV"`` a cluster ``C`` with ``l`` points, scatter
  ``W_C`` costs

      T(C) = l * log(beta * (tr W_C + alpha) / l)                    if l <= d,
      T(C) = l * log(det(W_C / l) + beta * (tr W_C + alpha) / l)     otherwise,

  ``alpha = tr(scatter of the data) / (n d)``, ``beta = 1`` (mclust's regularised
  criterion, ``vvvtij``); ``"EII"`` is Ward's sum of squares; ``"V"`` (one feature)
  ``T(C) = l * log((W_C + alpha) / l)``.
* mclust uses ``"VVV"`` when ``n > d`` and ``"EII"`` otherwise.  With one feature mclust starts
  EM from quantile classes instead (:func:`quantile_labels`, mclust's ``qclass``).

Cost: one merge updates one row of the pair costs of ``m`` rows, kept as mclust keeps them (the
upper triangle, column by column): ``4 m^2`` bytes (100 MB for 5,000 rows) and ``O(m^2 d^3)`` time at worst (a log
determinant per pair and merge; at ``d >=`` :data:`RANK_ONE_MIN_D` a cluster of more than ``d`` rows
against a single row, most pairs, costs ``O(d^2)`` by the matrix determinant lemma).  Beyond
``max_points`` rows the tree is built on a random subsample of ``max_points`` rows and every row
is assigned to the cluster of highest Gaussian density fitted to the subsample's clusters, as
mclust's ``Mclust(initialization = list(subset = ...))`` does; :attr:`HierarchicalTree.subsampled`
says so.  Then the SVD transform is computed on the subsample only (mclust 6.0.0 ``mclustBIC``:
``hcPairs <- hc(data = data[subset, ], ...)``, so ``hc``'s ``hcUse = "SVD"`` sees the subset) and
applied to the other rows in blocks of :data:`BLOCK_ROWS`: memory beyond the data is the subsample's
pair costs, one block's temporaries and one label per row, whatever the number of rows.
"""

from __future__ import annotations

import numpy as np

from ._blas import matmul, one_thread_rows
from scipy.linalg.lapack import dtrtri

EPS = float(np.finfo(np.float64).eps)
#: Largest number of rows clustered without subsampling (the pair costs take 4 m^2 bytes: 100 MB).
MAX_POINTS = 5000
HC_MODELS = ("VVV", "EII", "V")
#: Rows transformed and scored at a time when a subsampled tree labels every row.
BLOCK_ROWS = 1 << 14
#: Merged scatter matrices built and factorised at a time by the VVV pair costs (d >= 3).
COST_BLOCK = 64
#: From this dimension on, the VVV costs of merging a cluster of more than d rows with single rows
#: use the matrix determinant lemma (one Cholesky factor for all of them).
RANK_ONE_MIN_D = 16


class _SvdMap:
    """:func:`svd_transform` fitted on some rows ``X`` (m, d), applicable to any rows (same
    centre, scale, kept columns, principal axes and singular values): ``self(X) == svd_transform(X)``."""

    def __init__(self, X):
        n = X.shape[0]
        self.mean = X.mean(axis=0)
        self.sd = X.std(axis=0, ddof=1) if n > 1 else np.zeros(X.shape[1])
        with np.errstate(divide="ignore", invalid="ignore"):
            S = (X - self.mean) / self.sd
        self.cols = np.all(np.isfinite(S), axis=0)
        S = S[:, self.cols]
        self.P = None
        if S.shape[1]:
            _, s, Vt = np.linalg.svd(S, full_matrices=False)
            keep = s > s[0] * EPS * max(S.shape)
            self.P, self.root = Vt[keep].T, np.sqrt(s[keep])

    def __call__(self, X):
        if self.P is None:
            return np.zeros((X.shape[0], 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            S = ((X - self.mean) / self.sd)[:, self.cols]
        return matmul(S, self.P) / self.root  # under OpenBLAS's one-thread size per product (._blas)


def _identity_map(X):
    return np.array(X, dtype=float)


def svd_transform(X) -> np.ndarray:
    """mclust's ``hcUse = "SVD"``: ``Z = scale(X) V diag(1/sqrt(s))`` with ``scale(X) = U diag(s) V^T``.

    X: (n, d).  Columns with a non-finite standardised value (zero spread) are dropped, as
    are directions with a zero singular value.  Returns (n, r), r <= d."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n = X.shape[0]
    sd = X.std(axis=0, ddof=1) if n > 1 else np.zeros(X.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        S = (X - X.mean(axis=0)) / sd
    S = S[:, np.all(np.isfinite(S), axis=0)]
    if S.shape[1] == 0:
        return np.zeros((n, 0))
    _, s, Vt = np.linalg.svd(S, full_matrices=False)
    keep = s > s[0] * EPS * max(S.shape)
    return matmul(S, Vt[keep].T) / np.sqrt(s[keep])  # as _SvdMap: the same products


def duplicate_partition(Z) -> np.ndarray:
    """Group labels 0.. of identical rows, numbered in order of first appearance (mclust's
    ``dupPartition`` followed by ``partconv(consec = TRUE)``)."""
    Z = np.ascontiguousarray(Z)
    _, first, inverse = np.unique(Z, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(first)  # unique rows by first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inverse]


def quantile_labels(x, k) -> np.ndarray:
    """mclust's ``qclass(x, k)``: one-feature classes cut at sample quantiles (labels 0..k-1).
    Used by mclust to start EM in one dimension."""
    x = np.asarray(x, dtype=float).reshape(-1)
    k = int(k)
    if k < 1 or len(np.unique(x)) < k:
        raise ValueError(f"cannot form {k} quantile classes from {len(np.unique(x))} distinct values")
    eps = x.std(ddof=1) * np.sqrt(EPS) if len(x) > 1 else 0.0
    m = k
    q = np.array([np.nan])
    while len(q) < k + 1:
        m += 1
        # R's quantile type 7 is numpy's default "linear"
        q = np.unique(np.quantile(x, np.linspace(0.0, 1.0, m)))
    if len(q) > k + 1:
        dq = np.diff(q)
        nr = len(q) - k - 1
        drop = np.argsort(dq, kind="stable")[:nr]
        q = np.delete(q, drop)
    q[0] = x.min() - eps
    q[-1] = x.max() + eps
    cl = np.full(len(x), -1)
    for i in range(k):
        cl[(x >= q[i]) & (x < q[i + 1])] = i
    return cl


class _Agglomerator:
    """State of the greedy merging; slots renumbered as mclust's ``hcvvv`` does."""

    def __init__(self, Z, groups, model):
        n, d = Z.shape
        self.d = d
        self.model = model
        g = int(groups.max()) + 1
        cnt = np.bincount(groups, minlength=g).astype(float)
        mean = np.zeros((g, d))
        np.add.at(mean, groups, Z)
        mean /= cnt[:, None]
        W = np.zeros((g, d, d))
        C = Z - mean[groups]
        np.add.at(W, groups, C[:, :, None] * C[:, None, :])
        self.cnt, self.mean, self.W = cnt, mean, W
        self.tr = np.trace(W, axis1=1, axis2=2).copy()
        if model == "VVV":
            self.alpha = max(float(np.sum((Z - Z.mean(axis=0)) ** 2)) / (n * d), EPS)
        elif model == "V":
            # mclust's hcV: alpha <- min(alpha, eps), then max(alpha, eps) in hc1v
            self.alpha = EPS
        else:
            self.alpha = 0.0
        self.term = self._terms(cnt, W)

    def _terms(self, cnt, W, tr=None):
        if tr is None:
            tr = np.trace(W, axis1=-2, axis2=-1)
        if self.model == "EII":
            return tr.copy()
        base = (tr + self.alpha) / cnt
        if self.model == "V":
            return cnt * np.log(base)
        out = np.log(base)
        big = cnt > self.d
        if np.any(big):
            logdet = _logdet(W[big] / cnt[big, None, None])
            out[big] = np.logaddexp(logdet, out[big])
        return cnt * out

    def merge_into(self, a, b):
        """Slot a becomes the union of slots a and b."""
        na, nb = self.cnt[a], self.cnt[b]
        n = na + nb
        diff = self.mean[b] - self.mean[a]
        f = na * nb / n
        self.W[a] = self.W[a] + self.W[b] + f * np.outer(diff, diff)
        self.tr[a] = self.tr[a] + self.tr[b] + f * float(diff @ diff)
        self.mean[a] = (na * self.mean[a] + nb * self.mean[b]) / n
        self.cnt[a] = n
        self.term[a] = self._terms(np.array([n]), self.W[a][None], np.array([self.tr[a]]))[0]

    def costs(self, a, others):
        """Change of the criterion when slot a is merged with each slot in others."""
        na, nb = self.cnt[a], self.cnt[others]
        n = na + nb
        diff = self.mean[others] - self.mean[a]
        f = na * nb / n
        tr = self.tr[a] + self.tr[others] + f * np.einsum("ij,ij->i", diff, diff)
        if self.model == "EII":
            t = tr
        else:
            base = (tr + self.alpha) / n
            if self.model == "V":
                t = n * np.log(base)
            else:
                out = np.log(base)
                big = n > self.d
                if np.any(big):
                    out[big] = np.logaddexp(self._merged_logdet(a, others[big], diff[big], f[big], n[big]),
                                            out[big])
                t = n * out
        return t - self.term[a] - self.term[others]

    def _merged_logdet(self, a, ob, db, fb, nb):
        """log det((W_a + W_b + f_b diff_b diff_b^T) / n_b) for each b in ob, built and factorised
        :data:`COST_BLOCK` matrices at a time (bounded temporaries, cache-sized): the rank-one
        term is one batched product, the stack is factorised by Cholesky (half LU's work) and any
        block Cholesky rejects (a merged scatter not numerically positive definite) goes through
        :func:`_logdet` (slogdet) instead.  ``log det(W / n) = log det W - d log n``.  At
        ``d >=`` :data:`RANK_ONE_MIN_D`, when slot a holds more than d rows, the single rows b
        (most pairs once clusters form) go by the matrix determinant lemma instead."""
        d = self.d
        out = np.empty(len(ob))
        if d <= 2:
            W = self.W[a] + self.W[ob] + fb[:, None, None] * db[:, :, None] * db[:, None, :]
            return _logdet(W / nb[:, None, None])
        Wa = self.W[a]
        u = db * np.sqrt(fb)[:, None]
        todo = np.arange(len(ob))
        if d >= RANK_ONE_MIN_D and self.cnt[a] > d:
            # b a single row (W_b = 0): W = W_a + u u^T, so by the matrix determinant lemma
            # log det W = log det W_a + log(1 + |L_a^-1 u|^2), L_a the Cholesky factor of W_a: one
            # factorisation and one product for all of them
            one = self.cnt[ob] == 1
            if np.count_nonzero(one) > 1:
                try:
                    La = np.linalg.cholesky(Wa)
                except np.linalg.LinAlgError:
                    La = None
                if La is not None and np.all(np.diag(La) > 0):
                    # L_a^-1 once, then one product by einsum, single-threaded (under load OpenBLAS
                    # threads doubled the CPU time here; its triangular solve was 10x slower)
                    Linv, info = dtrtri(La, lower=1)
                    if info == 0:
                        y = np.einsum("ij,kj->ik", u[one], Linv)
                        logdet_a = 2.0 * np.sum(np.log(np.diag(La)))
                        out[one] = (logdet_a + np.log1p(np.einsum("ij,ij->i", y, y))
                                    - d * np.log(nb[one]))
                        todo = np.flatnonzero(~one)
        for s in range(0, len(todo), COST_BLOCK):
            blk = todo[s:s + COST_BLOCK]
            ub = u[blk]
            S = self.W[ob[blk]]  # a copy (fancy indexing)
            S += Wa
            S += ub[:, :, None] * ub[:, None, :]
            out[blk] = _chol_logdet(S) - d * np.log(nb[blk])
        return out


def _chol_logdet(S):
    """log det of a stack (m, d, d) of symmetric matrices: batched Cholesky, slogdet (-inf if
    singular) when any of them is not numerically positive definite."""
    try:
        L = np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        return _logdet(S)
    diag = np.diagonal(L, axis1=1, axis2=2)
    with np.errstate(divide="ignore"):
        return 2.0 * np.sum(np.log(diag), axis=1)


def _logdet(S):
    """log det of a stack of symmetric positive semi-definite matrices (-inf if singular)."""
    d = S.shape[-1]
    if d == 1:
        det = S[:, 0, 0]
    elif d == 2:
        det = S[:, 0, 0] * S[:, 1, 1] - S[:, 0, 1] * S[:, 1, 0]
    else:
        sign, logdet = np.linalg.slogdet(S)
        return np.where(sign > 0, logdet, -np.inf)
    with np.errstate(divide="ignore"):
        return np.where(det > 0, np.log(np.maximum(det, 0.0)), -np.inf)


def _col_offsets(g):
    """Where column j of the condensed pair costs starts (:func:`_build_tree`): ``j (j - 1) / 2``."""
    j = np.arange(g, dtype=np.int64)
    return j * (j - 1) // 2


def _build_tree(Z, groups, model, check=None):
    """Merge sequence as pairs of group ids (each cluster named by one of its starting groups).
    ``check``: called every 64 merges (it may raise to stop).

    The pair costs are kept as mclust's ``hcvvv`` keeps them, the upper triangle stored column by
    column (``D(i, j)``, ``i < j``, at ``j (j - 1) / 2 + i``): ``4 m^2`` bytes for ``m`` starting
    groups (100 MB at 5,000 rows) where the full symmetric matrix took ``8 m^2``.  The same numbers are
    computed and compared in the same order, so the merges are the same (issue 16, item 2)."""
    g0 = int(groups.max()) + 1
    ag = _Agglomerator(Z, groups, model)
    rep = np.arange(g0)  # starting-group id naming the cluster in each slot
    inf = np.inf
    off = _col_offsets(g0)
    D = np.empty(g0 * (g0 - 1) // 2)
    for j in range(1, g0):
        D[off[j]:off[j] + j] = ag.costs(j, np.arange(j))
        if check is not None and j % 256 == 0:
            check()
    # column minima over the upper triangle; ties go to the largest row (mclust scans the
    # condensed matrix column by column with "<=", so the last minimal pair wins)
    colmin = np.full(g0, inf)
    colarg = np.zeros(g0, dtype=int)

    def recompute(cols, g):
        for c in cols.tolist():
            v = D[off[c]:off[c] + c]
            m = v.min()
            if np.isfinite(m):
                colmin[c] = m
                colarg[c] = c - 1 - int(np.argmin(v[::-1]))
            else:  # inf or NaN: what the (g,) column padded with inf below the diagonal gives
                M = np.concatenate([v, np.full(g - c, inf)])
                colmin[c] = M.min()
                colarg[c] = g - 1 - int(np.argmin(M[::-1]))

    recompute(np.arange(1, g0), g0)
    merges = []
    g = g0
    while g > 1:
        if check is not None and g % 64 == 0:
            check()
        m = colmin[1:g].min()
        jopt = 1 + int(np.flatnonzero(colmin[1:g] == m)[-1])
        iopt = int(colarg[jopt])
        merges.append((int(rep[iopt]), int(rep[jopt])))
        ag.merge_into(iopt, jopt)
        last = g - 1
        if jopt != last:
            for arr in (ag.cnt, ag.mean, ag.W, ag.tr, ag.term, rep):
                arr[jopt] = arr[last]
            # slot last becomes slot jopt: D(i, jopt) = D(i, last) for every other slot i < last
            D[off[jopt]:off[jopt] + jopt] = D[off[last]:off[last] + jopt]
            mid = np.arange(jopt + 1, last)
            D[off[mid] + jopt] = D[off[last] + mid]
        g -= 1
        if g == 1:
            break
        others = np.delete(np.arange(g), iopt)
        c = ag.costs(iopt, others)
        D[off[iopt]:off[iopt] + iopt] = c[:iopt]  # others below iopt: column iopt
        D[off[others[iopt:]] + iopt] = c[iopt:]  # others above: row iopt of their columns
        # maintain the column minima
        cols = np.arange(1, g)
        full = (cols == iopt) | (cols == jopt) | (colarg[cols] == iopt) | (colarg[cols] == jopt)
        recompute(cols[full], g)
        for r in (iopt, jopt):
            if r >= g:
                continue
            sel = cols[~full & (cols > r)]
            v = D[off[sel] + r]
            better = (v < colmin[sel]) | ((v == colmin[sel]) & (r > colarg[sel]))
            colmin[sel[better]] = v[better]
            colarg[sel[better]] = r
    return merges


class HierarchicalTree:
    """Result of :func:`hierarchical_tree`.

    Attributes: ``merges`` list of (group a, group b) in merge order; ``groups`` (m,) starting
    group of each clustered row; ``sample`` (m,) indices of the clustered rows in the data
    (all rows unless subsampled); ``subsampled`` bool; ``n_groups`` starting groups;
    ``model`` the criterion used; ``Z`` (m, r) the transformed rows clustered."""

    def __init__(self, merges, groups, sample, subsampled, model, Z, X):
        self.merges = merges
        self.groups = groups
        self.sample = sample
        self.subsampled = subsampled
        self.model = model
        self.Z = Z
        self.n_groups = int(groups.max()) + 1
        self._X = X
        self._map = None  # subsampled: the transform of the subsample, applied to any rows

    def sample_labels(self, n_clusters) -> np.ndarray:
        """Labels 0..k-1 of the clustered rows, numbered by first appearance (mclust's
        ``hclass(tree, G)`` up to that numbering)."""
        k = int(n_clusters)
        if not 1 <= k <= self.n_groups:
            raise ValueError(
                f"n_clusters must be between 1 and {self.n_groups} (the distinct rows clustered), got {k}")
        parent = np.arange(self.n_groups)

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for a, b in self.merges[: self.n_groups - k]:
            ra, rb = find(a), find(b)
            parent[max(ra, rb)] = min(ra, rb)
        roots = np.array([find(a) for a in range(self.n_groups)])[self.groups]
        _, first, inv = np.unique(roots, return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return rank[inv.reshape(-1)]

    def labels(self, n_clusters, X=None) -> np.ndarray:
        """Labels 0..k-1 (intp) of every row of the data; rows outside a subsample go to the cluster
        of highest Gaussian density (one VVV M-step on the subsample's clusters, in the
        transformed units, ridge 1e-6 of unit variance), scored :data:`BLOCK_ROWS` rows at a time.
        X: the data the tree was built from (n, d), when the tree does not hold it."""
        lab = self.sample_labels(n_clusters)
        if not self.subsampled:
            return lab
        from .covariance_models import mstep

        data = self._X if X is None else X
        if data is None:
            raise ValueError("this tree does not hold its data: pass X")
        k = int(n_clusters)
        R = np.eye(k)[lab]
        weights, means, res = mstep("VVV" if self.Z.shape[1] > 1 else "V", self.Z, R, reg_covar=1e-6)
        chol = [np.linalg.cholesky(res.covariances[j]) for j in range(k)]
        const = [np.log(weights[j]) - np.sum(np.log(np.diag(chol[j]))) for j in range(k)]
        n = data.shape[0]
        out = np.empty(n, dtype=np.intp)
        for s in range(0, n, BLOCK_ROWS):
            Zb = data[s:s + BLOCK_ROWS]
            if self._map is not None:
                Zb = self._map(np.asarray(Zb, dtype=float))
            L = np.empty((Zb.shape[0], k))
            # right-hand sides per solve under OpenBLAS's one-thread size (emdesk.engine._blas)
            step = one_thread_rows(Zb.shape[1] ** 2)
            for j in range(k):
                D = (Zb - means[j]).T
                y = np.concatenate([np.linalg.solve(chol[j], D[:, c:c + step]) for c in range(0, D.shape[1], step)],
                                   axis=1)
                L[:, j] = const[j] - 0.5 * np.sum(y * y, axis=0)
            out[s:s + BLOCK_ROWS] = np.argmax(L, axis=1)
        out[self.sample] = lab
        return out


def hierarchical_tree(X, model=None, use="SVD", max_points=MAX_POINTS, random_state=None,
                      check=None) -> HierarchicalTree:
    """Build mclust's model-based hierarchical tree of ``X`` (n, d).

    model: ``"VVV"`` (default when n > d), ``"EII"`` (default when n <= d) or ``"V"`` (one
    feature).  use: ``"SVD"`` (mclust's default) or ``"VARS"`` (raw columns).  max_points:
    above this many rows the tree is built on a random subsample (``random_state``) of that
    size.  check: a callable with no arguments called now and then during the merging (it may
    raise to stop a long build).  Raises ValueError for fewer than 2 rows, non-finite values or
    an unknown option.
    """
    if (not isinstance(X, (list, tuple)) and len(getattr(X, "shape", ())) == 2
            and int(max_points) >= 2 and X.shape[0] > int(max_points)):
        return _subsampled_tree(X, model, use, int(max_points), random_state, check)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"hierarchical clustering needs at least 2 rows, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("hierarchical clustering needs finite values (no NaN)")
    n, d = X.shape
    if use == "SVD":
        Z = svd_transform(X)
    elif use == "VARS":
        Z = X.copy()
    else:
        raise ValueError(f"use must be 'SVD' or 'VARS', got {use!r}")
    if Z.shape[1] == 0:
        Z = np.zeros((n, 1))
    if model is None:
        model = "V" if Z.shape[1] == 1 else ("VVV" if n > Z.shape[1] else "EII")
    if model not in HC_MODELS:
        raise ValueError(f"model must be one of {HC_MODELS}, got {model!r}")
    if model == "V" and Z.shape[1] != 1:
        raise ValueError("model 'V' is for one feature")
    max_points = int(max_points)
    if max_points < 2:
        raise ValueError("max_points must be >= 2")
    subsampled = n > max_points
    if subsampled:
        rng = np.random.default_rng(random_state)
        sample = np.sort(rng.choice(n, size=max_points, replace=False))
    else:
        sample = np.arange(n)
    Zs = Z[sample]
    groups = np.arange(len(sample))
    merges = _build_tree(Zs, groups, model, check)
    return HierarchicalTree(merges, groups, sample, subsampled, model, Zs, Z)


def _subsampled_tree(X, model, use, max_points, random_state, check):
    """:func:`hierarchical_tree` for more than ``max_points`` rows: ``X`` (n, d) is read in row
    blocks and at the subsample's rows (it may be any object with ``shape`` whose ``X[a:b]`` and
    ``X[index array]`` give rows), never copied whole."""
    n, d = X.shape
    if use not in ("SVD", "VARS"):
        raise ValueError(f"use must be 'SVD' or 'VARS', got {use!r}")
    for s in range(0, n, BLOCK_ROWS):
        if not np.all(np.isfinite(np.asarray(X[s:s + BLOCK_ROWS], dtype=float))):
            raise ValueError("hierarchical clustering needs finite values (no NaN)")
    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(n, size=max_points, replace=False))
    Xs = np.asarray(X[sample], dtype=float).reshape(max_points, d)
    # mclust runs hc() on data[subset, ] (mclustBIC, mclust 6.0.0), its SVD transform included
    mp = _SvdMap(Xs) if use == "SVD" else _identity_map
    Zs = mp(Xs)
    if model is None:
        model = "V" if Zs.shape[1] == 1 else ("VVV" if max_points > Zs.shape[1] else "EII")
    if model not in HC_MODELS:
        raise ValueError(f"model must be one of {HC_MODELS}, got {model!r}")
    if model == "V" and Zs.shape[1] != 1:
        raise ValueError("model 'V' is for one feature")
    groups = np.arange(max_points)
    merges = _build_tree(Zs, groups, model, check)
    tree = HierarchicalTree(merges, groups, sample, True, model, Zs, X)
    tree._map = mp
    return tree


def hierarchical_labels(X, n_clusters, **kwargs) -> np.ndarray:
    """Labels 0..k-1 of the rows of ``X`` for ``n_clusters`` clusters by mclust's hierarchical
    start (keywords as :func:`hierarchical_tree`)."""
    return hierarchical_tree(X, **kwargs).labels(n_clusters)
