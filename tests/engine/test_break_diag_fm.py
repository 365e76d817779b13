"""Breaking the diag pass above 16 features that reads the features feature-major in slabs (issue 16
item 1: _kernels_hd._em_pass_diag_fm, DenseData.fs / zs / ft_rows / zt_rows, shards sharing the
parent's slabs with an offset), against independent references: scipy's direct E-step and a NumPy
M-step, a NumPy EM on the rows shifted by an exact constant (huge offsets, narrow components far from
the origin: the two-pass fallback), hmmlearn's GaussianHMM from the same start; and the same bits
whatever the cache holds (features, rows only, nothing) and whatever the thread count."""

import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm

import emdesk.engine._fitdata as fd
from emdesk.engine import GaussianHMM, GaussianMixture, set_num_threads
from emdesk.engine._core import DenseData, Layout, Prepared, Standardizer, em_pass, mstep
from emdesk.engine._kernels_hd import hd_block_rows


def _direct(Z, params):
    w, means, var = params
    return np.log(w) + np.stack([norm.logpdf(Z, means[j], np.sqrt(var[j])).sum(axis=1)
                                 for j in range(len(w))], axis=1)


def _budgets(n, d, B):
    """Features and rows cached (default), only the rows' slabs fit, nothing fits."""
    return [(None, "fs"), ((-(-n // B)) * B * d * 8, "zs"), (0, "X")]


@pytest.mark.parametrize("d, k", [(17, 1), (17, 20), (100, 3)])  # slabs of 2048, 1024, 512 rows
def test_pass_at_slab_edges_equals_direct_computation(d, k):
    """n = 1, 2, slab - 1, slab, slab + 1, three slabs and a part; each source of the pass against
    scipy's direct E-step and a NumPy M-step (means and variances about the new means)."""
    B = hd_block_rows(k, d, "diag")
    lay = Layout("diag", d, k)
    for n in (1, 2, B - 1, B, B + 1, 3 * B + 7):
        rng = np.random.default_rng(n + d + k)
        X = 5.0 + rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d)
        std = Standardizer.from_data(X, None, "diag")
        Z = std.to_z(X)
        params = (np.full(k, 1.0 / k), rng.normal(size=(k, d)), rng.uniform(0.5, 2.0, size=(k, d)))
        lj = _direct(Z, params)
        R = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
        nk = R.sum(axis=0)
        for budget, source in _budgets(n, d, min(B, n)):
            data = DenseData(None, None, lay, k, X=X, std=std, cache_bytes=budget)
            held = "fs" if data.fs is not None else "zs" if data.zs is not None else "X"
            assert held == source and data.phi is None
            resp = np.empty((k, n))
            ll, S = em_pass(data, Prepared(*params, "diag", lay), resp, True)
            assert ll == pytest.approx(logsumexp(lj, axis=1).sum(), rel=1e-10)
            np.testing.assert_allclose(resp.T, R, rtol=1e-9, atol=1e-12)
            _, mu, var = mstep(data, S, resp, "diag", 0.0)
            big = nk > 1e-3  # (components with almost no weight: means are 0/0-like in any method)
            rm = R.T @ Z / nk[:, None]
            rv = np.stack([R[:, j] @ (Z - rm[j]) ** 2 / nk[j] for j in range(k)])
            np.testing.assert_allclose(mu[big], rm[big], rtol=1e-9, atol=1e-10)
            np.testing.assert_allclose(var[big], rv[big], rtol=1e-8, atol=1e-10)


def _ref_em(X, w, mu, var, iters, sw=None):
    """Plain EM (diag) in NumPy, the variances about the new means (two-pass)."""
    sw = np.ones(len(X)) if sw is None else sw
    for _ in range(iters):
        lj = np.log(w) - 0.5 * np.stack([((X - mu[j]) ** 2 / var[j] + np.log(2 * np.pi * var[j])).sum(axis=1)
                                         for j in range(len(w))], axis=1)
        R = np.exp(lj - logsumexp(lj, axis=1, keepdims=True)) * sw[:, None]
        nk = R.sum(axis=0)
        w = nk / nk.sum()
        mu = R.T @ X / nk[:, None]
        var = np.stack([R[:, j] @ (X - mu[j]) ** 2 / nk[j] for j in range(len(w))])
    return w, mu, var


def _fit_vs_reference(X, start, iters, sw=None, responsibilities=False):
    w0, m0, c0 = start
    g = GaussianMixture(len(w0), covariance_type="diag", max_iter=iters, tol=0, reg_covar=0.0,
                        weights_init=w0, means_init=m0, covariances_init=c0)
    if responsibilities:
        for _ in g.fit_iter(X, sample_weight=sw, responsibilities=True):
            pass
    else:
        g.fit(X, sample_weight=sw)
    c = X[0].copy()  # X - c is exact near c (Sterbenz): the reference loses no digits to the offset
    w, mu, var = _ref_em(X - c, w0, m0 - c, c0, iters, sw)
    return g, (w, mu + c, var)


@pytest.mark.filterwarnings("ignore:The fitted mixture is degenerate")
@pytest.mark.parametrize("budget", [None, "zs", 0])
@pytest.mark.parametrize("responsibilities", [False, True])
def test_two_pass_fallback_narrow_component_far_away(monkeypatch, budget, responsibilities):
    """A component 1e-6 wide at 1e3 beside one of width 1 at 0: its variance comes from the two-pass
    M-step, which reads the responsibilities back (PassResponsibilities recomputes a block when they
    are not held): equal to the reference, whichever source and whether the caller holds them."""
    import emdesk.engine._kernels as K

    rng = np.random.default_rng(3)
    n, d = 3000, 20
    far = rng.uniform(size=n) < 0.05
    X = np.where(far[:, None], 1e3 + rng.normal(size=(n, d)) * 1e-6, rng.normal(size=(n, d)))
    if budget is not None:
        monkeypatch.setattr(fd, "FIT_CACHE_BYTES", n * d * 8 + 2048 * d * 8 if budget == "zs" else 0)
    calls = []
    orig = K._two_pass_scatter
    monkeypatch.setattr(K, "_two_pass_scatter", lambda *a: calls.append(a[2]) or orig(*a))
    start = (np.array([0.95, 0.05]), np.stack([np.zeros(d), np.full(d, 1e3)]), np.stack([np.ones(d), np.full(d, 1e-12)]))
    g, (w, mu, var) = _fit_vs_reference(X, start, 3, responsibilities=responsibilities)
    assert calls, "the two-pass fallback did not run"
    np.testing.assert_allclose(g.weights_, w, rtol=1e-12)
    np.testing.assert_allclose(g.means_[1], mu[1], rtol=1e-15)  # at 1e3: digits to 1e-12, the spread 1e-6
    np.testing.assert_allclose(g.means_[0], mu[0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(g.covariances_, var, rtol=1e-10)


@pytest.mark.parametrize("offset", [0.0, 1e8])
def test_weighted_fit_with_zero_weights_and_offsets_equals_reference(offset):
    """Zero weights (the positive rows read in place) and rows near 1e8 with noise of 1."""
    rng = np.random.default_rng(1)
    n, d, k = 3000, 24, 3
    M = rng.normal(0, 2, size=(k, d))
    X = offset + M[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    sw = rng.uniform(0, 2, size=n)
    sw[::5] = 0
    start = (np.full(k, 1 / k), offset + M + rng.normal(size=M.shape) * 0.3, np.ones((k, d)))
    g, (w, mu, var) = _fit_vs_reference(X, start, 4, sw=sw)
    np.testing.assert_allclose(g.weights_, w, rtol=1e-11)
    np.testing.assert_allclose((g.means_ - mu) / X.std(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(g.covariances_, var, rtol=1e-10)


def test_shards_threads_and_budgets_give_the_same_bits(monkeypatch):
    """Several shards (each sharing the parent's slabs from its offset) and a partial slab: 1, 2
    and 4 threads and the three cache states give the same bits, equal to the reference."""
    monkeypatch.setattr(fd, "MIN_SHARD_ROWS", 2048)
    rng = np.random.default_rng(11)
    n, d, k = 2 * 2048 + 333, 17, 2
    M = rng.normal(0, 2, size=(k, d))
    X = 7.0 + M[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    sw = rng.uniform(0.5, 1.5, size=n)
    start = (np.full(k, 1 / k), 7.0 + M + rng.normal(size=M.shape) * 0.3, np.ones((k, d)))
    fits = []
    try:
        for budget in (fd.FIT_CACHE_BYTES, (n + 2048) * d * 8, 0):
            monkeypatch.setattr(fd, "FIT_CACHE_BYTES", budget)
            for threads in (1, 2, 4):
                set_num_threads(threads)
                fits.append(_fit_vs_reference(X, start, 3, sw=sw)[0])
    finally:
        set_num_threads(None)
    for g in fits[1:]:
        np.testing.assert_array_equal(g.means_, fits[0].means_)
        np.testing.assert_array_equal(g.covariances_, fits[0].covariances_)
        assert g.lower_bound_ == fits[0].lower_bound_
    _, (w, mu, var) = _fit_vs_reference(X, start, 3, sw=sw)
    np.testing.assert_allclose(fits[0].means_, mu, rtol=1e-13)
    np.testing.assert_allclose(fits[0].covariances_, var, rtol=1e-10)


def _hmm_data(n_each, d, seed):
    rng = np.random.default_rng(seed)
    k = 2
    lengths = list(n_each)
    n = sum(lengths)
    st = np.cumsum(rng.uniform(size=n) < 0.05) % k
    M = rng.normal(0, 1, size=(k, d))
    X = 100 + M[st] + rng.normal(size=(n, d))
    start = dict(startprob_init=np.full(k, 1 / k), transmat_init=np.array([[0.9, 0.1], [0.1, 0.9]]),
                 means_init=100 + M + rng.normal(size=M.shape) * 0.3, covars_init=np.ones((k, d)))
    return X, lengths, start


def test_gaussian_hmm_diag_above_16_columns_equals_hmmlearn():
    from hmmlearn.hmm import GaussianHMM as HL

    X, lengths, start = _hmm_data([300, 201, 5], 20, 5)
    a = GaussianHMM(2, covariance_type="diag", max_iter=3, tol=0, reg_covar=1e-13, **start).fit(X, lengths)
    h = HL(2, covariance_type="diag", n_iter=3, tol=0, init_params="", params="stmc", min_covar=1e-13,
           covars_prior=0.0, covars_weight=1, implementation="log")
    h.startprob_, h.transmat_ = start["startprob_init"], start["transmat_init"]
    h.means_, h.covars_ = start["means_init"], start["covars_init"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h.fit(X, lengths)
    np.testing.assert_allclose(a.means_, h.means_, rtol=1e-13)
    ac = a.covars_ if a.covars_.ndim == 2 else np.diagonal(a.covars_, axis1=1, axis2=2)
    np.testing.assert_allclose(ac, np.diagonal(h.covars_, axis1=1, axis2=2), rtol=1e-9)
    np.testing.assert_allclose(a.transmat_, h.transmat_, rtol=1e-9)


def test_gaussian_hmm_diag_same_bits_whatever_the_cache_holds(monkeypatch):
    """DenseData._z / z_rows hand out row-major rows whatever holds them (slabs, or nothing): the
    Gaussian family's products get the same operands (they gave F-ordered slab views before the fix:
    means 1.4e-14 apart at 40,003 x 17)."""
    X, lengths, start = _hmm_data([1500, 600], 17, 8)
    fits = []
    for budget in (fd.FIT_CACHE_BYTES, 0):
        monkeypatch.setattr(fd, "FIT_CACHE_BYTES", budget)
        fits.append(GaussianHMM(2, covariance_type="diag", max_iter=3, tol=0, reg_covar=1e-13, **start).fit(X, lengths))
    np.testing.assert_array_equal(fits[1].means_, fits[0].means_)
    np.testing.assert_array_equal(fits[1].covars_, fits[0].covars_)
    np.testing.assert_array_equal(fits[1].transmat_, fits[0].transmat_)


def test_slabs_stay_within_the_budget():
    """The slabs (and whatever else DenseData caches) never pass the budget it is given, including
    the last slab's padding; construction allocates little beyond what it keeps (tracemalloc)."""
    import tracemalloc

    rng = np.random.default_rng(2)
    n, d, k = 3000, 30, 5
    X = rng.normal(size=(n, d))
    std = Standardizer.from_data(X, None, "diag")
    lay = Layout("diag", d, k)
    for budget in (n * d * 8, (n + 2048) * d * 8, (n + 2048) * lay.m * 8, 64 << 20):
        tracemalloc.start()
        data = DenseData(None, None, lay, k, X=X, std=std, cache_bytes=budget)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        held = [a for a in (data.fs if data.fs is not None else data.zs, data.phi,
                            None if data.Z is X else data.Z) if a is not None]
        kept = sum(a.nbytes for a in held)
        assert kept <= budget
        assert peak <= kept + 256 * 1024
