"""The E-step/M-step kernels at high dimension (issue 16, emdesk/engine/_kernels.py) against
independent direct computations (scipy), to 1e-10 relative."""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from emdesk.engine._core import DenseData, Layout, Prepared, em_pass, mstep

TINY = np.finfo(float).tiny


def _direct_log_joint(Z, weights, means, cov, ct):
    """(n, k) log w_j + log N(z | mu_j, S_j) by scipy, any covariance type."""
    k, d = means.shape
    out = np.empty((Z.shape[0], k))
    for j in range(k):
        if ct == "full":
            S = cov[j]
        elif ct == "tied":
            S = cov
        elif ct == "diag":
            S = np.diag(cov[j])
        else:
            S = cov[j] * np.eye(d)
        out[:, j] = np.log(weights[j]) + multivariate_normal(means[j], S).logpdf(Z)
    return out


def _direct_mstep(Z, R, ct, reg):
    """Two-pass M-step of the responsibilities R (n, k) (scikit-learn's formulas)."""
    nk = R.sum(axis=0) + 10 * np.finfo(float).eps
    means = R.T @ Z / nk[:, None]
    k, d = means.shape
    full = np.stack([((Z - means[j]) * R[:, j:j + 1]).T @ (Z - means[j]) / nk[j] for j in range(k)])
    if ct == "full":
        cov = full + reg * np.eye(d)
    elif ct == "tied":
        cov = np.einsum("k,kij->ij", nk, full) / nk.sum() + reg * np.eye(d)
    elif ct == "diag":
        cov = np.diagonal(full, axis1=1, axis2=2) + reg
    else:
        cov = np.trace(full, axis1=1, axis2=2) / d + reg
    return nk / nk.sum(), means, cov


def _params(rng, k, d, ct, spread):
    means = rng.normal(0, spread, size=(k, d))
    if ct == "full":
        A = rng.normal(size=(k, d, d)) / np.sqrt(d)
        cov = A @ np.swapaxes(A, 1, 2) + 0.5 * np.eye(d)
    elif ct == "tied":
        A = rng.normal(size=(d, d)) / np.sqrt(d)
        cov = A @ A.T + 0.5 * np.eye(d)
    elif ct == "diag":
        cov = rng.uniform(0.5, 2.0, size=(k, d))
    else:
        cov = rng.uniform(0.5, 2.0, size=k)
    w = rng.uniform(0.5, 1.5, size=k)
    return w / w.sum(), means, cov


def _pass(Z, params, ct, k):
    n, d = Z.shape
    lay = Layout(ct, d, k)
    data = DenseData(Z, None, lay, k, X=None)
    resp = np.empty((k, n))
    ll, S = em_pass(data, Prepared(*params, ct, lay), resp, True)
    return data, resp, ll, S


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("d, k", [(20, 4), (40, 3), (24, 9)])  # (24, 9): diag/spherical features cached
def test_pass_and_mstep_equal_direct_computation(ct, d, k):
    rng = np.random.default_rng(d + k)
    params = _params(rng, k, d, ct, 1.0)
    lab = rng.integers(k, size=900)
    Z = params[1][lab] + rng.normal(size=(900, d))
    _assert_pass_and_mstep_equal_direct(Z, params, ct, k)


def _assert_pass_and_mstep_equal_direct(Z, params, ct, k):
    data, resp, ll, S = _pass(Z, params, ct, k)
    lj = _direct_log_joint(Z, *params, ct)
    assert ll == pytest.approx(logsumexp(lj, axis=1).sum(), rel=1e-10)
    R = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
    assert np.allclose(resp.T, R, rtol=1e-10, atol=1e-12)
    w, m, c = mstep(data, S, resp, ct, 1e-6)
    rw, rm, rc = _direct_mstep(Z, R, ct, 1e-6)
    assert np.allclose(w, rw, rtol=1e-10, atol=0)
    assert np.allclose(m, rm, rtol=1e-10, atol=1e-12)
    assert np.allclose(c, rc, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
def test_far_apart_components_give_no_subnormal_responsibilities(ct):
    """Components so far apart that exact responsibilities are subnormal (e^-722 ~ 3e-314, on
    which x86 arithmetic runs 10-100x slower): the pass floors them at e^-700 (a change of
    1e-304 or less), and the log-likelihood and statistics stay those of the direct computation."""
    rng = np.random.default_rng(3)
    d, k = 24, 2
    w, means, cov = _params(rng, k, d, ct, 0.0)
    means[1, 0] = 100.0  # 50 sd or more apart: log-ratios of +-1000 at the means
    # rows along the segment between the means: every log-ratio in between occurs, the
    # subnormal band -745 ... -708 included
    t = np.linspace(0.0, 1.0, 600)[:, None]
    Z = means[0] + t * (means[1] - means[0]) + 0.3 * rng.normal(size=(600, d))
    params = (w, means, cov)
    lj = _direct_log_joint(Z, *params, ct)
    exact = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
    assert np.any((exact > 0) & (exact < TINY))  # the case is the one described
    data, resp, ll, S = _pass(Z, params, ct, k)
    assert not np.any((resp != 0) & (np.abs(resp) < TINY))
    assert np.allclose(resp.T, exact, rtol=1e-10, atol=1e-300)
    assert ll == pytest.approx(logsumexp(lj, axis=1).sum(), rel=1e-10)
    w, m, c = mstep(data, S, resp, ct, 1e-6)
    rw, rm, rc = _direct_mstep(Z, exact, ct, 1e-6)
    assert np.allclose(w, rw, rtol=1e-10, atol=0)
    assert np.allclose(m, rm, rtol=1e-10, atol=1e-12)
    assert np.allclose(c, rc, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
def test_narrow_components_far_apart_use_the_two_pass_form(ct):
    """Components 1e-4 wide about 1 apart: ``E[z^2] / variance`` is about 1e8, so the covariances
    are not formed from the (Gram - means) difference, which would cancel 8 digits, but in the
    two-pass form; they equal the direct computation to 1e-10."""
    rng = np.random.default_rng(11)
    d, k = 20, 3
    w, means, cov = _params(rng, k, d, ct, 1.0)
    Z = means[rng.integers(k, size=900)] + 1e-4 * rng.normal(size=(900, d))
    cov = cov * 1e-8
    data, resp, ll, S = _pass(Z, (w, means, cov), ct, k)
    lj = _direct_log_joint(Z, w, means, cov, ct)
    R = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
    wn, mn, cn = mstep(data, S, resp, ct, 1e-9)
    rw, rm, rc = _direct_mstep(Z, R, ct, 1e-9)
    assert np.allclose(mn, rm, rtol=1e-10, atol=1e-12)
    assert np.allclose(cn, rc, rtol=1e-10, atol=0)


@pytest.mark.parametrize("ct", ["tied", "diag", "spherical"])
@pytest.mark.parametrize("d, k, n", [(33, 5, 4500), (64, 8, 2600), (24, 9, 3001)])
def test_large_blocks_cut_into_sub_products_equal_direct_computation(ct, d, k, n):
    """The tied and separable passes (and the expanded one above MAX_EXPANDED_D) run blocks of up to
    2048 rows whose products are cut into sub-products under OpenBLAS's single-thread limit
    (_kernels_hd.hd_block_rows, _gemm_rows/_gemm_cols/_gemm_sum): with several blocks, a last
    partial block and sub-products that do not divide it, the pass equals scipy's direct
    computation to 1e-10 and the M-step scikit-learn's formulas."""
    from emdesk.engine._kernels_hd import _one_thread_rows, hd_block_rows

    rng = np.random.default_rng(d * k + n)
    params = _params(rng, k, d, ct, 1.0)
    Z = params[1][rng.integers(k, size=n)] + rng.normal(size=(n, d))
    B = hd_block_rows(k, d)
    assert n > B and n % B and (n % B) % _one_thread_rows(k * d)  # the case described
    _assert_pass_and_mstep_equal_direct(Z, params, ct, k)


@pytest.mark.parametrize("b, sub", [(2048, 256), (1000, 128), (77, 128), (256, 256), (300, 256)])
def test_sub_products_equal_plain_products(b, sub):
    """_gemm_rows / _gemm_cols / _gemm_sum (one stacked NumPy call for the whole sub-products, the
    rest apart) equal the plain products, for strided operands (a transposed feature buffer, a
    column slice of a wider output) as the passes give them; every output cell is written."""
    from emdesk.engine._kernels_hd import _gemm_cols, _gemm_rows, _gemm_sum

    rng = np.random.default_rng(b + sub)
    k, m, p = 7, 13, 11
    A = np.asfortranarray(rng.normal(size=(b, m)))  # strided rows, as _features_fm's view
    W = rng.normal(size=(m, p))
    M = rng.normal(size=(k, m))
    out = np.full((b, p), np.nan)
    _gemm_rows(A, W, out, sub)
    assert np.allclose(out, A @ W, rtol=1e-12, atol=1e-12)
    wide = np.full((k, b + 50), np.nan)
    _gemm_cols(M, A, wide[:, :b], sub)
    assert np.allclose(wide[:, :b], M @ A.T, rtol=1e-12, atol=1e-12)
    assert np.isnan(wide[:, b:]).all()
    R = rng.uniform(size=(k, b))
    acc = np.ones((k, m))
    _gemm_sum(R, A, acc, sub, np.empty((max(b // sub, 1), k, m)))
    assert np.allclose(acc, 1.0 + R @ A, rtol=1e-12, atol=1e-12)
