"""Initial responsibilities for EM: ``kmeans++``, ``kmeans``, ``random``, ``random_from_data``.

All functions work on complete data in the engine's standardised units (so a column in
microseconds and one in years weigh alike) and honour sample weights.  Each returns an
``(n, k)`` responsibility matrix from which the engine computes the starting parameters with
one M-step.

Differences from scikit-learn (deliberate):

* ``kmeans++`` and ``random_from_data`` choose ``k`` seed rows (k-means++ seeding, resp.
  uniformly at random) and then assign **every** row to its nearest seed.  scikit-learn gives
  each component only its seed row, so every starting covariance is just ``reg_covar`` (a
  degenerate starting state a live view would show as ``k`` dots).
* ``kmeans`` runs Lloyd's algorithm (at most :data:`KMEANS_MAX_ITER` iterations, from a
  k-means++ seeding) and uses its hard labels, as scikit-learn does.
"""

from __future__ import annotations

import numpy as np

from ._blas import gemm_rows, vecmat

__all__ = ["INIT_METHODS", "InitInterrupted", "initial_responsibilities", "initial_assignment", "kmeans_plusplus", "kmeans_labels"]

INIT_METHODS = ("kmeans++", "kmeans", "random", "random_from_data", "hierarchical")
#: init_params values that are restart strategies rather than one kind of start (GaussianMixture
#: only; emdesk.engine.restarts)
RESTART_STRATEGIES = ("emEM",)
KMEANS_MAX_ITER = 100
_BLOCK = 1 << 13  # small blocks: single-threaded BLAS (see _core.Layout.block_rows)


class InitInterrupted(Exception):
    """Raised inside the initialisation when its ``interrupt`` callable returned True."""


def _check(interrupt):
    if interrupt is not None and interrupt():
        raise InitInterrupted()


def _sq_dist_to(Z, centres, out=None):
    """Squared Euclidean distances (n, c) computed in blocks; clipped at 0."""
    n = Z.shape[0]
    c = centres.shape[0]
    if out is None:
        out = np.empty((n, c))
    cc = np.einsum("ij,ij->i", centres, centres)
    for s in range(0, n, _BLOCK):
        zb = Z[s:s + _BLOCK]
        ob = out[s:s + _BLOCK]
        gemm_rows(zb, centres.T, ob)  # products under OpenBLAS's one-thread size (emdesk.engine._blas)
        ob *= -2.0
        ob += np.einsum("ij,ij->i", zb, zb)[:, None]
        ob += cc
        np.maximum(ob, 0.0, out=ob)
    return out


def _choice(rng, p):
    """Index drawn with probabilities proportional to ``p`` (non-negative).

    The cumulative sums are made per block of ``p``, each block's sums started from the previous
    block's last one (``np.cumsum`` adds in order, so these are the same numbers as the whole
    array's cumulative sums), twice: for the total, then up to the block holding the draw."""
    n = len(p)
    step = _BLOCK * 8

    def block_sums(s, carry):
        seg = np.empty(min(step, n - s) + 1)
        seg[0] = carry
        seg[1:] = p[s:s + step]
        return np.cumsum(seg, out=seg)[1:]

    total = 0.0
    for s in range(0, n, step):
        total = float(block_sums(s, total)[-1]) if s else float(np.cumsum(p[:step])[-1])
    if not total > 0:
        return int(rng.integers(n))
    u = rng.uniform(0.0, total)
    carry = None
    for s in range(0, n, step):
        cp = np.cumsum(p[:step]) if carry is None else block_sums(s, carry)
        if cp[-1] > u or s + step >= n:
            return int(min(s + np.searchsorted(cp, u, side="right"), n - 1))
        carry = float(cp[-1])
    return n - 1


def _choice_uniform(rng, n):
    """:func:`_choice` with equal weights, without the (n,) weights and their cumulative sums:
    the cumulative sums of ones are the integers 1..n, so the row drawn is ``floor(u)`` (the same
    random number drawn, the same row)."""
    u = rng.uniform(0.0, float(n))
    return int(min(int(np.floor(u)), n - 1))


def kmeans_plusplus(Z, k, w, rng, interrupt=None):
    """Indices of ``k`` seed rows by greedy k-means++ (2 + log k candidates per step).
    ``interrupt`` (a callable) is asked before each step; True raises :class:`InitInterrupted`.

    Memory: one distance per row (and its product with the weights when given) besides the
    rows' block; the candidates' distances are computed per block of rows (issue 16)."""
    n = Z.shape[0]
    n_trials = 2 + int(np.log(k))
    idx = [_choice_uniform(rng, n) if w is None else _choice(rng, w)]
    closest = _sq_dist_to(Z, Z[idx])[:, 0]
    for _ in range(1, k):
        _check(interrupt)
        pot = closest if w is None else w * closest
        cands = [_choice(rng, pot) for _ in range(n_trials)]
        del pot
        centres = Z[cands]
        scores = np.zeros(n_trials)
        for s in range(0, n, _BLOCK):
            db = _sq_dist_to(Z[s:s + _BLOCK], centres)
            np.minimum(db, closest[s:s + _BLOCK, None], out=db)
            scores += (db.sum(axis=0) if w is None else vecmat(w[s:s + _BLOCK], db))
        best = int(np.argmin(scores))
        idx.append(cands[best])
        for s in range(0, n, _BLOCK):  # the same products as above: the same bits
            db = _sq_dist_to(Z[s:s + _BLOCK], centres)
            np.minimum(db[:, best], closest[s:s + _BLOCK], out=closest[s:s + _BLOCK])
    return np.asarray(idx)


def _nearest(Z, centres):
    labels = np.empty(Z.shape[0], dtype=np.intp)
    for s in range(0, Z.shape[0], _BLOCK):
        labels[s:s + _BLOCK] = np.argmin(_sq_dist_to(Z[s:s + _BLOCK], centres), axis=1)
    return labels


def kmeans_labels(Z, k, w, rng, max_iter=KMEANS_MAX_ITER, interrupt=None):
    """Hard labels of weighted Lloyd k-means from a k-means++ seeding (``interrupt`` as in
    :func:`kmeans_plusplus`, also asked before each Lloyd iteration)."""
    centres = Z[kmeans_plusplus(Z, k, w, rng, interrupt)].copy()
    labels = _nearest(Z, centres)
    weight = np.ones(Z.shape[0]) if w is None else w
    for _ in range(max_iter):
        _check(interrupt)
        wsum = np.bincount(labels, weights=weight, minlength=k)
        for j in range(Z.shape[1]):
            col = np.bincount(labels, weights=weight * Z[:, j], minlength=k)
            nonempty = wsum > 0
            centres[nonempty, j] = col[nonempty] / wsum[nonempty]
        new = _nearest(Z, centres)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def _one_hot(labels, k):
    r = np.zeros((labels.shape[0], k))
    r[np.arange(labels.shape[0]), labels] = 1.0
    return r


class _SomeRows:
    """The rows ``rows`` (increasing) of a source of rows ``Z`` (an array or an object giving ``Z[a:b]``,
    ``Z[idx]``), read when asked for: ``R[a:b]``, ``R[idx]``, ``R[:, j]``."""

    ndim = 2

    def __init__(self, Z, rows):
        self.Z, self.rows = Z, rows
        self.shape = (rows.size, Z.shape[1])

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, tuple):
            r, c = key
            if isinstance(r, slice) and r == slice(None):
                return np.concatenate([np.asarray(self[s:s + _BLOCK], dtype=float)[:, c]
                                       for s in range(0, self.shape[0], _BLOCK)]) if self.shape[0] else \
                    np.empty((0,))
            return np.asarray(self[r], dtype=float)[:, c]
        if isinstance(key, slice):
            key = np.arange(*key.indices(self.shape[0]))
        return self.Z[self.rows[key]]


def _n_distinct_rows(Z, at_least):
    """The number of distinct rows of ``Z`` (as ``len(np.unique(Z, axis=0))``: -0.0 equals 0.0), read per
    block of rows; the count stops once ``at_least`` are found (exact below that).  Memory: one block and
    the distinct rows found (at most ``at_least`` plus one block's)."""
    seen = set()
    n = Z.shape[0]
    for s in range(0, n, _BLOCK):
        b = np.ascontiguousarray(np.asarray(Z[s:s + _BLOCK], dtype=float).reshape(min(_BLOCK, n - s), -1) + 0.0)
        rows = np.unique(b.view(np.dtype((np.void, b.dtype.itemsize * b.shape[1]))).reshape(-1))
        seen.update(r.tobytes() for r in rows)
        if len(seen) >= at_least:
            break
    return len(seen)


def _column_of(Z, j):
    return np.asarray(Z[:, j], dtype=float)


def _hierarchical(Z, k, w, rng, interrupt):
    """mclust's default start (emdesk.engine.hierarchical): model-based agglomerative
    clustering (VVV on SVD-transformed data; EII when n <= d; quantile classes in 1-D as mclust
    starts univariate EM), hard labels.  Rows of weight 0 take no part and start uniform.

    ``Z`` may be a source of rows made when read (standardised rows, one-hot codes): beyond
    :data:`emdesk.engine.hierarchical.MAX_POINTS` rows the tree reads the subsample's rows and then
    every row per block, so no (n, width) copy is made (issue 16; the same rows and random numbers,
    the same labels); with fewer rows they are read whole.  One column: its values (quantiles)."""
    from .hierarchical import MAX_POINTS, hierarchical_tree, quantile_labels

    def check():
        _check(interrupt)

    check()
    n = Z.shape[0]
    rows = None if w is None else np.flatnonzero(w > 0)
    src = Z if rows is None or rows.size == n else _SomeRows(Z, rows)
    n_distinct = _n_distinct_rows(src, k)
    if k > n_distinct:
        raise ValueError(
            f"init_params='hierarchical' needs at least n_components={k} distinct rows; the data have "
            f"{n_distinct}.")
    if src.shape[1] == 1:
        labels = quantile_labels(_column_of(src, 0), k)
    elif src.shape[0] > MAX_POINTS:  # the tree on a subsample, read from the rows as they are
        labels = hierarchical_tree(src, max_points=MAX_POINTS, random_state=rng, check=check).labels(k)
    else:
        Zr = np.asarray(src[np.arange(src.shape[0])], dtype=float).reshape(src.shape[0], -1)
        labels = hierarchical_tree(Zr, max_points=MAX_POINTS, random_state=rng, check=check).labels(k)
    if src is Z:
        return np.asarray(labels, dtype=np.intp)
    out = np.full(n, -1, dtype=np.intp)  # -1: uniform over the components
    out[rows] = labels
    return out


def initial_responsibilities(method, Z, k, w, rng, interrupt=None):
    """(n, k) starting responsibilities by ``method`` (one of :data:`INIT_METHODS`).
    ``interrupt``: see :func:`kmeans_plusplus`."""
    if method == "random":
        n = Z.shape[0]
        r = rng.uniform(size=(n, k))
        r /= r.sum(axis=1, keepdims=True)
        return r
    return initial_assignment(method, Z, k, w, rng, interrupt).to_array()


def initial_assignment(method, Z, k, w, rng, interrupt=None):
    """The starting responsibilities of :func:`initial_responsibilities` (the same values, the
    same random stream) without an ``(n, k)`` array: a ``(k, n)`` stand-in read per block of
    rows (``resp[:, a:b]``; ``to_array()`` gives the (n, k) array), holding one label per row
    (hard starts) or regenerating the random numbers (``"random"``).  ``Z`` may be any object
    that gives standardised rows by index (:class:`emdesk.engine._fitdata.StandardisedRows`)."""
    from ._fitdata import LabelResponsibilities, RandomResponsibilities

    n = Z.shape[0]
    if method == "hierarchical":
        return LabelResponsibilities(_hierarchical(Z, k, w, rng, interrupt), k)
    if method == "random":
        return RandomResponsibilities(rng, n, k)
    if method == "kmeans":
        return LabelResponsibilities(kmeans_labels(Z, k, w, rng, interrupt=interrupt), k)
    if method == "kmeans++":
        seeds = kmeans_plusplus(Z, k, w, rng, interrupt)
    elif method == "random_from_data":
        pos = np.flatnonzero(np.ones(n, bool) if w is None else w > 0)
        seeds = rng.choice(pos, size=k, replace=len(pos) < k)
    else:
        raise ValueError(f"init_params must be one of {', '.join(INIT_METHODS)}; got {method!r}.")
    centres = Z[seeds]
    labels = _nearest(Z, centres)
    # Every seed keeps at least itself, even when duplicated rows tie.
    labels[seeds] = np.arange(k)
    return LabelResponsibilities(labels, k)
