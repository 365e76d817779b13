"""Issue 16, item 2: the hierarchical tree keeps its pair costs as mclust does (the upper triangle,
column by column: 4 m^2 bytes instead of the full 8 m^2 matrix) and merges exactly as before."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from emdesk.engine.hierarchical import _Agglomerator, _build_tree, duplicate_partition, svd_transform


def _old_build_tree(Z, groups, model, check=None):
    """emdesk.engine.hierarchical._build_tree before issue 16 (the full (m, m) matrix of pair costs)."""
    """Merge sequence as pairs of group ids (each cluster named by one of its starting groups).
    ``check``: called every 64 merges (it may raise to stop)."""
    g0 = int(groups.max()) + 1
    ag = _Agglomerator(Z, groups, model)
    rep = np.arange(g0)  # starting-group id naming the cluster in each slot
    inf = np.inf
    D = np.full((g0, g0), inf)
    for j in range(1, g0):
        D[:j, j] = ag.costs(j, np.arange(j))
        D[j, :j] = D[:j, j]
        if check is not None and j % 256 == 0:
            check()
    # column minima over the upper triangle; ties go to the largest row (mclust scans the
    # condensed matrix column by column with "<=", so the last minimal pair wins)
    colmin = np.full(g0, inf)
    colarg = np.zeros(g0, dtype=int)

    def recompute(cols, g):
        rows = np.arange(g)[:, None]
        for start in range(0, len(cols), 256):  # bounded temporaries
            c = cols[start:start + 256]
            M = np.where(rows < c[None, :], D[:g, c], inf)
            colmin[c] = M.min(axis=0)
            colarg[c] = g - 1 - np.argmin(M[::-1], axis=0)

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
            D[jopt, :g] = D[last, :g]
            D[:g, jopt] = D[:g, last]
            D[jopt, jopt] = inf
        g -= 1
        if g == 1:
            break
        others = np.delete(np.arange(g), iopt)
        c = ag.costs(iopt, others)
        D[iopt, others] = c
        D[others, iopt] = c
        # maintain the column minima
        cols = np.arange(1, g)
        full = (cols == iopt) | (cols == jopt) | (colarg[cols] == iopt) | (colarg[cols] == jopt)
        recompute(cols[full], g)
        for r in (iopt, jopt):
            if r >= g:
                continue
            sel = cols[~full & (cols > r)]
            v = D[r, sel]
            better = (v < colmin[sel]) | ((v == colmin[sel]) & (r > colarg[sel]))
            colmin[sel[better]] = v[better]
            colarg[sel[better]] = r
    return merges


def _data(kind, rng):
    if kind == "blobs":
        lab = rng.integers(0, 4, 160)
        return rng.normal(size=(160, 3)) + 3.0 * lab[:, None]
    if kind == "ties":  # duplicated rows and equal costs: the tie rules decide
        return rng.integers(0, 3, size=(150, 2)).astype(float) + rng.integers(0, 2, size=(150, 1))
    if kind == "one-hot":  # the categorical families' start matrix: many exact ties
        return np.eye(4)[rng.integers(0, 4, size=(120, 3))].reshape(120, -1)
    if kind == "wide":  # more columns than a cluster's rows for long (the l <= d criterion)
        return rng.normal(size=(60, 12))
    return rng.normal(size=(140, 1))  # one feature ("V")


@pytest.mark.parametrize("kind", ["blobs", "ties", "one-hot", "wide", "one feature"])
@pytest.mark.parametrize("model", ["VVV", "EII"])
def test_condensed_costs_merge_as_the_full_matrix(kind, model):
    rng = np.random.default_rng(7)
    X = _data(kind, rng)
    Z = svd_transform(X) if kind != "one feature" else X
    model = "V" if kind == "one feature" else model
    groups = duplicate_partition(Z)
    assert _build_tree(Z, groups, model) == _old_build_tree(Z, groups, model)


def test_tree_peak_is_half_the_full_matrix():
    Z = svd_transform(np.random.default_rng(3).normal(size=(400, 2)))
    groups = duplicate_partition(Z)
    m = int(groups.max()) + 1
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        _build_tree(Z, groups, "EII")
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    # the full matrix alone was 8 m^2 (1.3 MB); the condensed one is 4 m (m - 1)
    assert peak < 5 * m * m, (peak, m)
