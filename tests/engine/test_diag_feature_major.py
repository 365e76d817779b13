"""The diag pass above MAX_EXPANDED_D features reads the rows feature-major in slabs (issue 16
item 1: _kernels_hd._em_pass_diag_fm, DenseData.fs / zs / ft_rows): whichever of its three sources a pass
reads (the features (z * z, z, 1) cached in slabs, the rows cached and the features built per
block, the rows standardised from X per block), it equals scipy's direct computation, the sources
give the same bits, and the sub-product helpers equal the plain products on strided operands."""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm

from emdesk.engine import GaussianMixture
from emdesk.engine._core import DenseData, Layout, Prepared, Standardizer, em_pass, mstep


def _data(n, d, k, seed):
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 1.5, size=(k, d))
    X = 10.0 + 3.0 * (means[rng.integers(k, size=n)] + rng.normal(size=(n, d)))
    var = rng.uniform(0.5, 2.0, size=(k, d))
    w = rng.uniform(0.5, 1.5, size=k)
    return X, (w / w.sum(), means, var)


def _direct(Z, params):
    w, means, var = params
    lj = np.log(w) + np.stack([norm.logpdf(Z, means[j], np.sqrt(var[j])).sum(axis=1)
                               for j in range(len(w))], axis=1)
    return lj


@pytest.mark.parametrize("budget, source", [(None, "features"), ("rows", "rows"), (0, "X")])
@pytest.mark.parametrize("d, k, n", [(24, 9, 3001), (40, 3, 2600)])
def test_each_source_equals_direct_computation(budget, source, d, k, n):
    X, params = _data(n, d, k, d + k)
    std = Standardizer.from_data(X, None, "diag")
    Z = std.to_z(X)
    lay = Layout("diag", d, k)
    if budget == "rows":
        budget = n * d * 8 + 2048 * d * 8  # the rows (slabs) fit, the squares do not
    data = DenseData(None, None, lay, k, X=X, std=std, cache_bytes=budget)
    assert data.phi is None
    assert (data.zs is not None) == (source != "X")
    assert (data.fs is not None) == (source == "features")
    resp = np.empty((k, n))
    ll, S = em_pass(data, Prepared(*params, "diag", lay), resp, True)
    lj = _direct(Z, params)
    assert ll == pytest.approx(logsumexp(lj, axis=1).sum(), rel=1e-10)
    R = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
    assert np.allclose(resp.T, R, rtol=1e-10, atol=1e-12)
    wts, mu, var = mstep(data, S, resp, "diag", 1e-6)
    nk = R.sum(axis=0)
    rm = R.T @ Z / nk[:, None]
    rv = np.stack([R[:, j] @ (Z - rm[j]) ** 2 / nk[j] for j in range(k)]) + 1e-6
    assert np.allclose(wts, nk / n, rtol=1e-10, atol=0)
    assert np.allclose(mu, rm, rtol=1e-10, atol=1e-12)
    assert np.allclose(var, rv, rtol=1e-10, atol=1e-12)


def test_sources_give_the_same_fit(monkeypatch):
    """A whole fit (weights, several shards on two threads) whichever source the pass reads."""
    import emdesk.engine._fitdata as fd

    X, _ = _data(40000, 20, 4, 7)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=len(X))
    fits = []
    for budget in (fd.FIT_CACHE_BYTES, (40000 + 2048) * 20 * 8, 0):  # slabs and squares, slabs, neither
        monkeypatch.setattr(fd, "FIT_CACHE_BYTES", budget)
        g = GaussianMixture(4, covariance_type="diag", random_state=0, max_iter=15, tol=0).fit(X, sample_weight=sw)
        fits.append(g)
    for g in fits[1:]:  # the same features in every case: the same products, the same bits
        np.testing.assert_array_equal(g.means_, fits[0].means_)
        np.testing.assert_array_equal(g.covariances_, fits[0].covariances_)
        assert g.lower_bound_ == fits[0].lower_bound_


@pytest.mark.parametrize("b, sub", [(2048, 256), (1000, 128), (77, 128), (256, 256), (300, 256)])
def test_feature_major_sub_products_equal_plain_products(b, sub):
    from emdesk.engine._kernels_hd import _gemm_fm, _gemm_sum_fm

    rng = np.random.default_rng(b + sub)
    k, m = 7, 13
    AT = rng.normal(size=(m, b + 40))[:, 20:20 + b]  # a column slice of a wider feature-major array
    M = rng.normal(size=(k, m))
    wide = np.full((k, b + 50), np.nan)
    _gemm_fm(M, AT, wide[:, :b], sub)
    assert np.allclose(wide[:, :b], M @ AT, rtol=1e-12, atol=1e-12)
    assert np.isnan(wide[:, b:]).all()
    R = rng.uniform(size=(k, b))
    acc = np.ones((k, m))
    _gemm_sum_fm(R, AT, acc, sub, np.empty((max(b // sub, 1), k, m)))
    assert np.allclose(acc, 1.0 + R @ AT.T, rtol=1e-12, atol=1e-12)
