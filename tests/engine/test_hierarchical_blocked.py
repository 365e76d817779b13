"""mclust's hierarchical start beyond the subsample size reads the data in row blocks (issue 16):
the SVD transform of the subsample only, labels for every row scored per block, the restarts'
cache key and distinct-rows check streamed."""

import tracemalloc
import types

import numpy as np

from emdesk.engine import restarts
from emdesk.engine._fitdata import StandardisedRows
from emdesk.engine.covariance_models import mstep
from emdesk.engine.hierarchical import BLOCK_ROWS, hierarchical_labels, hierarchical_tree, svd_transform


def _three_groups(n, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 1.0], [0.0, 7.0, -2.0]])
    X = rng.normal(size=(n, 3)) @ np.array([[1.0, 0.3, 0.0], [0.0, 0.8, 0.2], [0.0, 0.0, 0.5]])
    return X + centres[rng.integers(0, 3, size=n)]


def _direct_labels(tree, X, k):
    """The same procedure without blocks: transform all rows, score all, argmax."""
    lab = tree.sample_labels(k)
    Z = tree._map(X)
    weights, means, res = mstep("VVV", tree.Z, np.eye(k)[lab], reg_covar=1e-6)
    L = np.empty((X.shape[0], k))
    for j in range(k):
        C = np.linalg.cholesky(res.covariances[j])
        y = np.linalg.solve(C, (Z - means[j]).T)
        L[:, j] = np.log(weights[j]) - np.sum(np.log(np.diag(C))) - 0.5 * np.sum(y * y, axis=0)
    out = np.argmax(L, axis=1)
    out[tree.sample] = lab
    return out


def test_subsampled_tree_uses_the_subsamples_svd_and_blocked_labels_equal_direct():
    X = _three_groups(2 * BLOCK_ROWS + 123)
    tree = hierarchical_tree(X, max_points=300, random_state=0)
    assert tree.subsampled and len(tree.sample) == 300
    # mclust's hc(data[subset, ]): the SVD transform of the subsample
    np.testing.assert_array_equal(tree.Z, svd_transform(X[tree.sample]))
    lab = tree.labels(3)
    assert lab.dtype == np.intp and lab.shape == (X.shape[0],)
    np.testing.assert_array_equal(lab, _direct_labels(tree, X, 3))
    assert len(np.unique(lab)) == 3
    # the same tree read through a lazy view of the rows
    std = types.SimpleNamespace(shift=np.zeros(3), scale=np.ones(3))
    lazy = hierarchical_tree(StandardisedRows(X, std), max_points=300, random_state=0)
    np.testing.assert_array_equal(lazy.labels(3), lab)


def test_subsampled_labels_are_scale_free():
    X = _three_groups(3 * BLOCK_ROWS // 2, seed=3)
    D, c = np.array([1e-3, 50.0, 2.0]), np.array([7.0, -300.0, 0.5])
    a = hierarchical_labels(X, 3, max_points=400, random_state=1)
    b = hierarchical_labels(X * D + c, 3, max_points=400, random_state=1)
    np.testing.assert_array_equal(a, b)


def test_restart_start_weighted_rows_and_distinct_check_beyond_the_subsample():
    X = _three_groups(restarts.HC_MAX_POINTS * 5, seed=2)
    std = types.SimpleNamespace(shift=X.mean(axis=0), scale=X.std(axis=0))
    Z = StandardisedRows(X, std)
    restarts._hc_cache.clear()
    w = np.ones(X.shape[0])
    w[::7] = 0.0
    resp = restarts._hierarchical_resp(Z, 3, w, None)
    keep = w > 0
    assert np.all(resp.labels[~keep] == -1)
    Zk = (X[keep] - std.shift) / std.scale
    expected = hierarchical_labels(Zk, 3, max_points=restarts.HC_MAX_POINTS, random_state=0)
    np.testing.assert_array_equal(resp.labels[keep], expected)
    # the cached tree is found again by the streamed key and gives the same labels
    again = restarts._hierarchical_resp(Z, 3, w, None)
    np.testing.assert_array_equal(again.labels, resp.labels)
    assert len(restarts._hc_cache) == 1
    assert next(iter(restarts._hc_cache.values()))._X is None  # the cache does not hold the data
    # only two distinct rows (one of them with -0.0): no hierarchical start for k = 3
    two = np.zeros((restarts.HC_MAX_POINTS * 3, 2))
    two[1::2] = 1.0
    two[::4, 0] = -0.0
    assert restarts._hierarchical_resp(two, 3, None, None) is None
    assert restarts._hierarchical_resp(two, 2, None, None) is not None


def test_hierarchical_start_memory_does_not_grow_with_copies_of_the_rows():
    n = 200_000
    X = _three_groups(n, seed=4)
    std = types.SimpleNamespace(shift=X.mean(axis=0), scale=X.std(axis=0))
    Z = StandardisedRows(X, std)
    # reference measured in the same run: the tree alone on the subsample's rows
    tracemalloc.start()
    try:
        hierarchical_tree(X[: restarts.HC_MAX_POINTS])
        tree_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        restarts._hc_cache.clear()
        resp = restarts._hierarchical_resp(Z, 3, None, None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        restarts._hc_cache.clear()
    assert len(np.unique(resp.labels)) == 3
    # the copies of all rows it took before (index, contiguous copy, unique, SVD, (n, k) scores:
    # 27.5 MB here against a 14.7 MB tree) are gone: one label per row beyond the tree
    assert peak < tree_peak + X.nbytes / 2, (peak, tree_peak, X.nbytes)
