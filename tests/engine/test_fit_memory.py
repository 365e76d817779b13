"""Bounded memory of fitting (issue 16): the fit reads the caller's X per block, caches features only
within FIT_CACHE_BYTES, and holds no (k, n) responsibilities unless asked; the blocked paths give the
same results as the cached ones."""

import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.engine import _fitdata
from emdesk.engine._core import Layout, Standardizer
from emdesk.engine._fitdata import DenseData, LabelResponsibilities, StandardisedRows
from emdesk.engine.init import initial_assignment, initial_responsibilities
from tests.memory_peak import peak as traced_peak


def _data(n=4000, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n // 2, d)), rng.normal(size=(n - n // 2, d)) * 0.5 + 3.0])
    X[:, -1] = X[:, -1] * 1e3 + 1e6  # an offset column: standardisation matters
    return X


def _fit(X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw.setdefault("random_state", 0)
        return GaussianMixture(**kw).fit(X)


def _params(gm):
    return gm.weights_, gm.means_, gm.covariances_, gm.lower_bound_


def _close(a, b, tol=1e-12):
    """Equal to ``tol`` in the data's own units: the two paths multiply the same numbers laid out
    differently in memory (cached features vs a block buffer), so BLAS may round the last bit
    differently, and EM carries that over its iterations."""
    sd = np.sqrt(a.data_variances_)
    np.testing.assert_allclose(a.weights_, b.weights_, rtol=0, atol=tol)
    np.testing.assert_allclose(a.means_ / sd, b.means_ / sd, rtol=0, atol=tol)
    ca, cb = a.covariances_, b.covariances_
    if ca.ndim >= 2 and ca.shape[-1] == ca.shape[-2] == a.means_.shape[1]:  # full / tied: correlations'
        dg = np.sqrt(np.diagonal(ca, axis1=-2, axis2=-1))            # scale, off-diagonals may be ~0
        ca, cb = ca / (dg[..., :, None] * dg[..., None, :]), cb / (dg[..., :, None] * dg[..., None, :])
        np.testing.assert_allclose(ca, cb, rtol=0, atol=tol * 100)
    else:
        np.testing.assert_allclose(ca, cb, rtol=tol * 100, atol=0)
    np.testing.assert_allclose(a.lower_bound_, b.lower_bound_, rtol=tol, atol=0)


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical", "VEV", "EEI"])
@pytest.mark.parametrize("init", ["kmeans++", "random", "emEM"])
def test_uncached_features_give_the_cached_fit(monkeypatch, ct, init):
    X = _data()
    kw = dict(n_components=3, covariance_type=ct, init_params=init, n_init=2, max_iter=8, tol=0)
    cached = _fit(X, **kw)
    monkeypatch.setattr(_fitdata, "FIT_CACHE_BYTES", 0)
    blocked = _fit(X, **kw)
    # VEV's M-step is iterative (converged to 1e-10): a last-bit difference of its input moves
    # its output by up to ~1e-10 relative; emEM's exploring runs add 20 EM iterations, over which
    # last-bit differences of the statistics grow to ~1e-11
    _close(cached, blocked, 1e-9 if ct == "VEV" else 1e-10 if init == "emEM" else 1e-12)


def test_uncached_with_sample_weight_and_prior(monkeypatch):
    X = _data(3000, 2)
    w = np.random.default_rng(1).random(X.shape[0]) * 2
    kw = dict(n_components=2, covariance_type="full", max_iter=10, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(**kw).fit(X, sample_weight=w)
        p = GaussianMixture(prior="default", **kw).fit(X)
        monkeypatch.setattr(_fitdata, "FIT_CACHE_BYTES", 0)
        b = GaussianMixture(**kw).fit(X, sample_weight=w)
        q = GaussianMixture(prior="default", **kw).fit(X)
    _close(a, b)
    _close(p, q)


@pytest.mark.parametrize("ct", ["full", "diag", "spherical"])
@pytest.mark.parametrize("cache", [True, False])
def test_responsibilities_recomputed_equal_stored(monkeypatch, ct, cache):
    """A narrow component far from the centre sends the M-step to its two-pass form, which reads
    the pass's responsibilities: recomputed per block (not held) they give the same fit as the
    stored ones (responsibilities=True)."""
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(size=(5000, 2)), rng.normal(size=(400, 2)) * 1e-3 + 60.0])
    if not cache:
        monkeypatch.setattr(_fitdata, "FIT_CACHE_BYTES", 0)
    kw = dict(n_components=2, covariance_type=ct, max_iter=8, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(**kw)
        snaps = list(a.fit_iter(X, responsibilities=True))
        b = GaussianMixture(**kw).fit(X)
    assert snaps[-1].responsibilities.shape == (X.shape[0], 2)
    for x, y in zip(_params(a), _params(b)):
        np.testing.assert_array_equal(x, y)
    # the narrow component was found (the two-pass form ran)
    assert np.min(b.covariances_ if ct == "spherical" else b.covariances_.reshape(2, -1).max(axis=1)) < 1e-3


def test_dense_data_blocks_standardise_the_callers_rows():
    X = _data(10000, 3)
    std = Standardizer.from_data(X, None, "full")
    lay = Layout("full", 3, 4)
    held = DenseData(std.to_z(X), None, lay, 4, cache_bytes=0)
    lazy = DenseData(None, None, lay, 4, X=X, std=std, cache_bytes=0)
    cached = DenseData(None, None, lay, 4, X=X, std=std)
    assert not lazy.cached and cached.cached and lazy.X is X
    for (s, e, p1, z1, _), (_, _, p2, z2, _), (_, _, p3, z3, _) in zip(held.blocks(), lazy.blocks(), cached.blocks()):
        np.testing.assert_array_equal(z1, z2)
        np.testing.assert_array_equal(z1, z3)
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_array_equal(p1, p3)


def test_standardised_rows_read_like_the_array():
    X = _data(5000, 3)
    std = Standardizer.from_data(X, None, "full")
    Z = std.to_z(X)
    R = StandardisedRows(X, std)
    idx = np.array([5, 3, 4000])
    np.testing.assert_array_equal(R[10:20], Z[10:20])
    np.testing.assert_array_equal(R[idx], Z[idx])
    np.testing.assert_array_equal(R[:, 1], Z[:, 1])
    np.testing.assert_array_equal(R[idx, 2], Z[idx, 2])
    div = np.array([2.0, 3.0, 0.5])
    np.testing.assert_array_equal(StandardisedRows(X, std, div=div)[:, 1], (Z / div)[:, 1])


@pytest.mark.parametrize("method", ["kmeans++", "kmeans", "random", "random_from_data", "hierarchical"])
def test_initial_assignment_equals_the_array(method):
    X = _data(600, 2)
    std = Standardizer.from_data(X, None, "full")
    Z = std.to_z(X)
    rng_a = np.random.default_rng(5)
    a = initial_responsibilities(method, Z, 3, None, rng_a)
    rng_b = np.random.default_rng(5)
    b = initial_assignment(method, StandardisedRows(X, std), 3, None, rng_b)
    np.testing.assert_array_equal(a, b.to_array())
    np.testing.assert_array_equal(a[100:300].T, b[:, 100:300])
    assert rng_a.random() == rng_b.random()  # the random stream advanced alike


def test_label_responsibilities_uniform_rows():
    r = LabelResponsibilities(np.array([0, -1, 2]), 3).to_array()
    np.testing.assert_array_equal(r, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0, 0, 1]])


def _peak(fn):
    return traced_peak(fn)[0]  # tests/memory_peak.py


@pytest.mark.parametrize("ct", ["full", "diag"])
def test_fit_peak_is_a_budget_not_a_copy(monkeypatch, ct):
    """With the feature cache off, a fit of 300,000 x 4 rows (9.6 MB) allocates at most one number
    per row (k-means++'s distances, then the starting labels) plus 4 MiB of blocks beyond the data:
    no standardised copy, no features, no (k, n) responsibilities (before issue 16 it allocated
    several times the data)."""
    monkeypatch.setattr(_fitdata, "FIT_CACHE_BYTES", 0)
    rng = np.random.default_rng(0)
    n, d, k = 300_000, 4, 4
    X = rng.normal(size=(n, d)) + np.repeat(np.arange(k) * 4.0, n // k)[:, None]
    gm = GaussianMixture(k, covariance_type=ct, max_iter=3, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peak = _peak(lambda: gm.fit(X))
    assert peak < 8 * n + (4 << 20), (peak / 1e6, X.nbytes / 1e6)


def _missing_data(seed=0, narrow=False):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(3000, 3)), rng.normal(size=(2000, 3)) * 0.3 + 4.0])
    if narrow:  # a narrow component far from the centre: the direct (two-pass) moments run
        X = np.concatenate([X, rng.normal(size=(300, 3)) * 1e-3 + 80.0])
    X[:, 2] = X[:, 2] * 1e3 + 1e6
    X[rng.random(X.shape) < 0.25] = np.nan
    X[7] = np.nan  # a row with no value: left out
    return X


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("narrow", [False, True])
def test_missing_values_small_blocks_give_the_same_fit(monkeypatch, ct, narrow):
    from emdesk.engine import _missing

    X = _missing_data(narrow=narrow)
    w = np.random.default_rng(2).random(X.shape[0]) + 0.5
    kw = dict(n_components=3 if narrow else 2, covariance_type=ct, max_iter=8, tol=0, random_state=0,
              missing="marginalize")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(**kw).fit(X, sample_weight=w)
        monkeypatch.setattr(_missing, "missing_fit_block_rows", lambda k, d: 300)
        b = GaussianMixture(**kw).fit(X, sample_weight=w)
        snaps = list(GaussianMixture(**kw).fit_iter(X, sample_weight=w, responsibilities=True))
    # blocks of 300 rows sum the statistics in another order than one block of all rows (and the
    # far narrow component's moments cancel digits): 8 iterations carry it to ~1e-11
    _close(a, b, 1e-10)
    last = snaps[-1]
    np.testing.assert_array_equal(last.means, b.means_)  # stored or not, the same numbers
    np.testing.assert_array_equal(last.covariances, b.covariances_)
    assert last.responsibilities.shape == (X.shape[0], kw["n_components"])


def test_missing_values_fit_peak_is_a_budget(monkeypatch):
    """A fit with 20 % of the cells missing holds no standardised copy, no per-pattern copies or
    features of all rows and no (k, n) responsibilities: beyond the data, its blocks (2048 rows
    here), a mask of one byte per cell and three numbers per row (before issue 16: 22 MB here)."""
    from emdesk.engine import _missing

    monkeypatch.setattr(_missing, "missing_fit_block_rows", lambda k, d: 2048)

    rng = np.random.default_rng(0)
    n, d, k = 300_000, 4, 3
    X = rng.normal(size=(n, d)) + np.repeat(np.arange(k) * 4.0, n // k)[:, None]
    X[rng.random((n, d)) < 0.2] = np.nan
    gm = GaussianMixture(k, covariance_type="full", max_iter=2, tol=0, random_state=0, missing="marginalize")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peak = _peak(lambda: gm.fit(X))
    assert peak < (2 << 20) + n * d + 24 * n, (peak / 1e6, X.nbytes / 1e6)


def test_pass_responsibilities_follow_the_parameters_of_the_last_pass():
    """The recomputed block belongs to the parameters set last, even when the same rows were read
    for earlier ones (a cache keyed by the parameters' id returned stale blocks when Python reused
    the id of a freed parameter set)."""
    from emdesk.engine._core import Prepared, em_pass
    from emdesk.engine._fitdata import PassResponsibilities

    X = _data(3000, 2)
    std = Standardizer.from_data(X, None, "full")
    lay = Layout("full", 2, 2)
    data = DenseData(None, None, lay, 2, X=X, std=std)
    R = PassResponsibilities(data, 2)
    cov = np.stack([np.eye(2)] * 2)
    for shift in (0.0, 0.5, 1.0):
        prep = Prepared(np.array([0.5, 0.5]), np.array([[-1.0, 0.0], [1.0 + shift, 0.0]]), cov, "full", lay)
        R.prep = prep
        stored = np.empty((2, X.shape[0]))
        em_pass(data, prep, stored, want_stats=False)
        np.testing.assert_array_equal(R[:, 0:data.block], stored[:, 0:data.block])
        np.testing.assert_array_equal(R[1, 0:data.block], stored[1, 0:data.block])


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
def test_high_dimension_passes_on_rows_read_per_block_agree_with_scikit_learn(ct):
    """Above 16 features the high-dimension passes (engine/_kernels_hd.py) read the caller's rows per block
    (DenseData.z_rows / blocks: no standardised copy); 6 EM iterations from the same start equal
    scikit-learn's GaussianMixture."""
    sklearn = pytest.importorskip("sklearn.mixture")
    rng = np.random.default_rng(8)
    d, k = 24, 3
    centres = rng.normal(0, 3, (k, d))
    X = np.vstack([c + rng.normal(0, 1, (400, d)) for c in centres]) * rng.uniform(0.5, 4, d) + 10
    means0 = X[[0, 400, 800]] + 0.1
    kw = dict(n_components=k, covariance_type=ct, tol=0, max_iter=6, reg_covar=1e-6, means_init=means0,
              weights_init=np.full(k, 1 / k), random_state=0)
    # random_state: both take their starting covariances from a k-means partition (scikit-learn's
    # _initialize keeps only the given weights and means); unseeded, a k-means run that split a
    # cluster made the two starts differ now and then (weights off by 0.14)
    ours = GaussianMixture(**kw).fit(X)
    ref = sklearn.GaussianMixture(**kw).fit(X)
    np.testing.assert_allclose(ours.weights_, ref.weights_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_, rtol=1e-7, atol=1e-9)
