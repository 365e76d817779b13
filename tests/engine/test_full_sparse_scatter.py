"""The full-covariance pass above MAX_EXPANDED_D features leaves negligible responsibilities out of its
scatter (emdesk/engine/_kernels_hd.py: _em_pass_augmented, _span_scatter): the same statistics as the
dense products to rounding, what it leaves out is reported, and a component where that could matter is
recomputed in the two-pass form."""

import numpy as np
import pytest

from emdesk import engine
from emdesk.engine import GaussianMixture, _fitdata, _kernels, _kernels_hd
from emdesk.engine._kernels_hd import _span_scatter


@pytest.fixture(autouse=True)
def _small_shards(monkeypatch):
    """Shards of 2048 rows, so a few thousand rows are several shards (their `dropped` is reduced)."""
    monkeypatch.setattr(_fitdata, "MIN_SHARD_ROWS", 2048)
    yield
    engine.set_num_threads(None)


def _separated(n=6000, d=20, k=5, seed=0, spread=6.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, size=(k, d))
    X = centres[rng.integers(0, k, n)] + rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d)
    return X, rng.uniform(0.2, 3.0, size=n)


def _span(S=700, d=20, k=6, seed=0):
    """Responsibilities of well-separated components: one per row near 1, the others 1e-200 .. 1e-40,
    a few rows shared between two components."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(S, d)) * 3
    R = 10.0 ** rng.uniform(-200, -40, size=(k, S))
    lab = rng.integers(0, k, S)
    R[lab, np.arange(S)] = 1.0
    shared = rng.choice(S, 40, replace=False)
    R[(lab[shared] + 1) % k, shared] = rng.uniform(0.01, 0.5, 40)
    R /= R.sum(axis=0)
    return R, Z, rng.uniform(0.1, 4.0, S)


def _scatter(R, Z, w, share, B=64):
    k, d = R.shape[0], Z.shape[1]
    G, dropped = np.zeros((k, d, d)), np.zeros(k)
    old = _kernels_hd.SPARSE_SHARE
    _kernels_hd.SPARSE_SHARE = share
    try:
        _span_scatter(R, Z, w, B, G, dropped, (np.empty((k, B, d)), np.empty((k, d, d))))
    finally:
        _kernels_hd.SPARSE_SHARE = old
    return G, dropped


@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_scatter_equals_the_dense_products(weighted):
    R, Z, w = _span()
    w = w if weighted else None
    G_sparse, dropped = _scatter(R, Z, w, share=1.0)  # always sparse
    G_dense, none = _scatter(R, Z, w, share=-1.0)  # always dense
    exact = np.einsum("ki,ia,ib->kab", R * (1.0 if w is None else w), Z, Z)
    assert not none.any()
    for G in (G_sparse, G_dense):
        assert np.abs(G - exact).max() <= 1e-13 * np.abs(exact).max()
    # what was left out: sum w r |z|^2 over the pairs at or below SPARSE_RESP
    rw = R * (1.0 if w is None else w)
    left = np.where(R > _kernels_hd.SPARSE_RESP, 0.0, rw) @ np.einsum("ij,ij->i", Z, Z)
    assert np.all(dropped > 0) and np.allclose(dropped, left, rtol=1e-12)
    assert np.all(dropped < 1e-25 * np.trace(G_sparse, axis1=1, axis2=2))


def test_overlapping_spans_take_the_dense_products():
    rng = np.random.default_rng(3)
    R = rng.dirichlet(np.ones(4), size=500).T  # every pair kept: more than SPARSE_SHARE
    Z = rng.normal(size=(500, 20))
    G, dropped = _scatter(R, Z, None, share=_kernels_hd.SPARSE_SHARE)
    assert not dropped.any()
    assert np.allclose(G, np.einsum("ki,ia,ib->kab", R, Z, Z), rtol=1e-13, atol=1e-12)


def _fit(X, w, threads, **kw):
    engine.set_num_threads(threads)
    return GaussianMixture(5, covariance_type="full", random_state=0, max_iter=6, tol=0, **kw).fit(X, sample_weight=w)


def _close(a, b, tol=1e-10):
    assert abs(a.lower_bound_ - b.lower_bound_) <= tol * abs(b.lower_bound_)
    for x, y in ((a.weights_, b.weights_), (a.means_, b.means_), (a.covariances_, b.covariances_)):
        assert np.abs(x - y).max() <= tol * np.abs(y).max()


@pytest.mark.parametrize("threads", [1, 2])
def test_a_fit_with_the_sparse_scatter_equals_the_dense_one(monkeypatch, threads):
    X, w = _separated()
    assert X.shape[1] > _kernels.MAX_EXPANDED_D
    sparse = _fit(X, w, threads)
    monkeypatch.setattr(_kernels_hd, "SPARSE_SHARE", -1.0)
    dense = _fit(X, w, threads)
    _close(sparse, dense)


def test_pairs_that_matter_are_recomputed_in_two_passes(monkeypatch):
    """With the threshold raised to 0.3 the sparse scatter leaves out responsibilities that matter:
    the reported `dropped` (summed over the shards) sends those components to the two-pass form, and
    the fit is still the dense one."""
    X, w = _separated(spread=1.2)  # overlapping enough for responsibilities between 1e-30 and 0.3
    monkeypatch.setattr(_kernels_hd, "SPARSE_SHARE", -1.0)
    dense = _fit(X, w, 2)
    monkeypatch.setattr(_kernels_hd, "SPARSE_SHARE", 1.0)
    monkeypatch.setattr(_kernels_hd, "SPARSE_RESP", 0.3)
    calls = []
    real = _kernels._two_pass_scatter

    def spy(data, resp, j, mu, diag_only):
        calls.append(j)
        return real(data, resp, j, mu, diag_only)

    monkeypatch.setattr(_kernels, "_two_pass_scatter", spy)
    _close(_fit(X, w, 2), dense)
    assert len(calls) > 0
    # without the check (tolerance infinite) the same fit is measurably off: the test can fail
    monkeypatch.setattr(_kernels, "DROPPED_TOL", np.inf)
    try:
        off = _fit(X, w, 2)
    except ValueError as exc:  # the scatter without what was left out is not even positive definite
        assert "not positive definite" in str(exc)
    else:
        assert np.abs(off.covariances_ - dense.covariances_).max() > 1e-6 * np.abs(dense.covariances_).max()


def test_separated_components_use_the_sparse_scatter(monkeypatch):
    X, w = _separated()
    spans = []
    real = _kernels_hd._span_scatter

    def spy(R, Z, w_, B, G, dropped, scratch):
        before = dropped.copy()
        real(R, Z, w_, B, G, dropped, scratch)
        spans.append(bool(np.any(dropped > before)))  # pairs were left out: the sparse form ran

    monkeypatch.setattr(_kernels_hd, "_span_scatter", spy)
    _fit(X, w, 1)
    assert len(spans) >= 6 * 3 and sum(spans) >= 0.9 * len(spans)


def test_spherical_keeps_row_norms_with_the_same_bits(monkeypatch):
    """Spherical above MAX_EXPANDED_D features keeps each row's |z|^2 (DenseData.sqnorms) when it keeps Z;
    the fit is the same bits as with rows standardised per block (no cache, norms per pass)."""
    from emdesk.engine._core import DenseData, Layout, Standardizer

    X, w = _separated(n=5000, d=24, k=3, spread=1.5)
    lay = Layout("spherical", 24, 3)  # m = 26 features > 6 k: Z is kept, not the features
    data = DenseData(None, w, lay, 3, X=X, std=Standardizer.from_data(X, w, "spherical"))
    assert data.Z is not None and data.sqnorms is not None
    assert np.array_equal(data.sqnorms, np.einsum("ij,ij->i", data.Z, data.Z))
    assert np.shares_memory(data.rows(2048, 4096).sqnorms, data.sqnorms)

    def fit(threads):
        engine.set_num_threads(threads)
        return GaussianMixture(3, covariance_type="spherical", random_state=0, max_iter=8, tol=0).fit(X, sample_weight=w)

    kept = [fit(1), fit(2)]
    monkeypatch.setattr(_fitdata, "FIT_CACHE_BYTES", 0)  # neither Z nor the norms kept
    plain = fit(1)
    for g in kept:
        assert g.lower_bound_ == plain.lower_bound_
        assert np.array_equal(g.means_, plain.means_) and np.array_equal(g.covariances_, plain.covariances_)
