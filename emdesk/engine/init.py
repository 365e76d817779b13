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

__all__ = ["INIT_METHODS", "InitInterrupted", "initial_responsibilities", "kmeans_plusplus", "kmeans_labels"]

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
        np.matmul(zb, centres.T, out=ob)
        ob *= -2.0
        ob += np.einsum("ij,ij->i", zb, zb)[:, None]
        ob += cc
        np.maximum(ob, 0.0, out=ob)
    return out


def _choice(rng, p):
    """Index drawn with probabilities proportional to ``p`` (non-negative)."""
    cp = np.cumsum(p)
    total = cp[-1]
    if not total > 0:
        return int(rng.integers(len(p)))
    return int(min(np.searchsorted(cp, rng.uniform(0.0, total), side="right"), len(p) - 1))


def kmeans_plusplus(Z, k, w, rng, interrupt=None):
    """Indices of ``k`` seed rows by greedy k-means++ (2 + log k candidates per step).
    ``interrupt`` (a callable) is asked before each step; True raises :class:`InitInterrupted`."""
    n = Z.shape[0]
    weight = np.ones(n) if w is None else w
    n_trials = 2 + int(np.log(k))
    idx = [_choice(rng, weight)]
    closest = _sq_dist_to(Z, Z[idx])[:, 0]
    for _ in range(1, k):
        _check(interrupt)
        pot = weight * closest
        cands = [_choice(rng, pot) for _ in range(n_trials)]
        dist = _sq_dist_to(Z, Z[cands])
        np.minimum(dist, closest[:, None], out=dist)
        scores = weight @ dist
        best = int(np.argmin(scores))
        idx.append(cands[best])
        closest = dist[:, best].copy()
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


def _hierarchical(Z, k, w, rng, interrupt):
    """mclust's default start (emdesk.engine.hierarchical): model-based agglomerative
    clustering (VVV on SVD-transformed data; EII when n <= d; quantile classes in 1-D as mclust
    starts univariate EM), hard labels.  Rows of weight 0 take no part and start uniform."""
    from .hierarchical import hierarchical_tree, quantile_labels

    def check():
        _check(interrupt)

    check()
    rows = np.arange(Z.shape[0]) if w is None else np.flatnonzero(w > 0)
    Zr = Z[rows]
    n_distinct = len(np.unique(Zr, axis=0))
    if k > n_distinct:
        raise ValueError(
            f"init_params='hierarchical' needs at least n_components={k} distinct rows; the data have "
            f"{n_distinct}.")
    if Zr.shape[1] == 1:
        labels = quantile_labels(Zr[:, 0], k)
    else:
        labels = hierarchical_tree(Zr, random_state=rng, check=check).labels(k)
    r = np.full((Z.shape[0], k), 1.0 / k)
    r[rows] = _one_hot(labels, k)
    return r


def initial_responsibilities(method, Z, k, w, rng, interrupt=None):
    """(n, k) starting responsibilities by ``method`` (one of :data:`INIT_METHODS`).
    ``interrupt``: see :func:`kmeans_plusplus`."""
    n = Z.shape[0]
    if method == "hierarchical":
        return _hierarchical(Z, k, w, rng, interrupt)
    if method == "random":
        r = rng.uniform(size=(n, k))
        r /= r.sum(axis=1, keepdims=True)
        return r
    if method == "kmeans":
        return _one_hot(kmeans_labels(Z, k, w, rng, interrupt=interrupt), k)
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
    return _one_hot(labels, k)
