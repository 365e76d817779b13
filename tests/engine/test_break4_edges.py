"""Edge cases of the high-dimension passes that landed on 1 Dec (seventh session), tried to break and
kept as guards: the full-covariance scatter that leaves out responsibilities <= 1e-30
(`_kernels_hd._span_scatter`, 5e2ca63), the spherical pass's kept |z|^2 (`DenseData.sqnorms`,
b605741) and rows of sample_weight 0 left out at the entry (`_zero_weight`, r2-zeroweight).

The reference for the sparse scatter is the dense one (`_kernels_hd.SPARSE_SHARE = -1`: every span
takes the dense products, the code before 5e2ca63), for the kept |z|^2 the per-block einsum
(`sqnorms = None`), and scikit-learn's GaussianMixture from the same start."""

import numpy as np
import pytest

from emdesk import engine
from emdesk.engine import GaussianMixture, _fitdata, _kernels, _kernels_hd

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(autouse=True)
def _small_shards(monkeypatch):
    """Shards of 2048 rows, so a few thousand rows are several shards."""
    monkeypatch.setattr(_fitdata, "MIN_SHARD_ROWS", 2048)
    yield
    engine.set_num_threads(None)


def _blobs(n, d, k, seed=0, spread=6.0, offset=0.0, scales=None):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, size=(k, d))
    sc = rng.uniform(0.5, 2.0, size=d) if scales is None else scales
    return centres[rng.integers(0, k, n)] + rng.normal(size=(n, d)) * sc + offset


def _fit(X, w=None, k=4, threads=1, dense=False, monkeypatch=None, **kw):
    engine.set_num_threads(threads)
    kw = {"random_state": 0, "max_iter": 5, "tol": 0, **kw}
    if dense:
        monkeypatch.setattr(_kernels_hd, "SPARSE_SHARE", -1.0)
    try:
        return GaussianMixture(k, **kw).fit(X, sample_weight=w)
    finally:
        if dense:
            monkeypatch.setattr(_kernels_hd, "SPARSE_SHARE", 0.5)


def _close(a, b, tol=1e-10):
    assert a.n_iter_ == b.n_iter_
    assert abs(a.lower_bound_ - b.lower_bound_) <= tol * abs(b.lower_bound_)
    for x, y in ((a.weights_, b.weights_), (a.means_, b.means_), (a.covariances_, b.covariances_)):
        assert np.all(np.isfinite(x))
        assert np.abs(x - y).max() <= tol * np.abs(y).max()


def _same_bits(a, b):
    assert a.lower_bound_ == b.lower_bound_ and a.n_iter_ == b.n_iter_
    for x, y in ((a.weights_, b.weights_), (a.means_, b.means_), (a.covariances_, b.covariances_)):
        assert np.array_equal(x, y)


# -------------------------------------------------- the sparse scatter against the dense products
CASES = {
    # d = 17: just above MAX_EXPANDED_D
    "d17": dict(X=lambda: _blobs(3000, 17, 4, seed=1), k=4),
    # a 1e8 offset (the data standardised, so the scatter about 0 is well conditioned)
    "offset 1e8": dict(X=lambda: _blobs(3000, 20, 5, seed=2, offset=1e8), k=5),
    # features whose scales span 7 decades
    "anisotropic": dict(X=lambda: _blobs(3000, 20, 4, seed=3, scales=10.0 ** np.linspace(-4, 3, 20)), k=4),
    # n smaller than one block and one span (40 rows, one partial block)
    "n=40": dict(X=lambda: _blobs(40, 17, 2, seed=4), k=2),
    # a partial last span and block (2049 rows), weighted
    "n=2049 weighted": dict(X=lambda: _blobs(2049, 17, 3, seed=5), k=3, w=True),
    # one component: every pair kept, the dense products
    "k=1": dict(X=lambda: _blobs(2500, 20, 1, seed=6), k=1),
    # more components than clusters: duplicates that share rows
    "duplicates": dict(X=lambda: _blobs(2500, 20, 1, seed=7), k=3),
    # mclust's models whose E-step is the full pass
    "VVV": dict(X=lambda: _blobs(2500, 18, 4, seed=8), k=4, covariance_type="VVV"),
    "EVE": dict(X=lambda: _blobs(2500, 18, 4, seed=8), k=4, covariance_type="EVE"),
    # mclust's conjugate prior
    "prior": dict(X=lambda: _blobs(2500, 18, 4, seed=9), k=4, prior="default"),
    # several restarts
    "n_init=2": dict(X=lambda: _blobs(2500, 18, 4, seed=10), k=4, n_init=2),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_sparse_scatter_gives_the_dense_fit(monkeypatch, name):
    spec = dict(CASES[name])
    X = spec.pop("X")()
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(X)) if spec.pop("w", False) else None
    k = spec.pop("k")
    sparse = _fit(X, w, k, **spec)
    dense = _fit(X, w, k, dense=True, monkeypatch=monkeypatch, **spec)
    _close(sparse, dense)
    # predict and score after the fit: finite, the same labels
    assert np.array_equal(sparse.predict(X[:200]), dense.predict(X[:200]))
    s1, s2 = sparse.score_samples(X[:200]), dense.score_samples(X[:200])
    assert np.all(np.isfinite(s1)) and np.abs(s1 - s2).max() <= 1e-9 * np.abs(s2).max()


@pytest.mark.parametrize("dtype", ["float32", "int64", "F-order"])
def test_input_kinds_give_the_float64_fit(dtype):
    X = _blobs(2500, 17, 3, seed=11)
    if dtype == "int64":
        X = np.round(X * 10).astype(np.int64)
        ref = X.astype(float)
    elif dtype == "float32":
        X = X.astype(np.float32)
        ref = X.astype(float)
    else:
        ref = X.copy()
        X = np.asfortranarray(X)
    if dtype == "F-order":  # the data's covariance from another BLAS kernel: an ulp in places
        _close(_fit(X, k=3), _fit(ref, k=3), tol=1e-14)
    else:
        _same_bits(_fit(X, k=3), _fit(ref, k=3))


@pytest.mark.parametrize("ct", ["full", "spherical", "VVV"])
def test_threads_and_shards_give_the_same_bits(ct):
    X = _blobs(5000, 20, 4, seed=12)  # three shards of 2048 rows, the last one partial
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    assert len(_fitdata.DenseData(X, w, _kernels.Layout("full", 20, 4), 4).shard_bounds()) == 3
    _same_bits(_fit(X, w, covariance_type=ct, threads=1), _fit(X, w, covariance_type=ct, threads=2))


@pytest.mark.parametrize("s2", [100.0, 300.0])
def test_a_component_with_every_responsibility_in_1e_30_to_1e_16(monkeypatch, s2):
    """Four well-separated clusters and a fifth component, wide and at their centroid: its
    responsibilities are all tiny (weight 1e-14 .. 1e-18 after one step) but above SPARSE_RESP, so
    the sparse form keeps them: the same fit as the dense products, that component included."""
    rng = np.random.default_rng(1)
    d = 20
    C = np.zeros((4, d))
    C[:, :4] = np.eye(4) * 30
    X = C[rng.integers(0, 4, 4000)] + rng.normal(size=(4000, d))
    start = dict(means_init=np.vstack([C, C.mean(axis=0)]),
                 covariances_init=np.array([np.eye(d)] * 4 + [np.eye(d) * s2]), max_iter=1)
    sparse = _fit(X, k=5, **start)
    dense = _fit(X, k=5, dense=True, monkeypatch=monkeypatch, **start)
    assert 0 < sparse.weights_[4] < 1e-13
    _close(sparse, dense)
    for j in range(5):  # per component, the small one too
        assert np.abs(sparse.covariances_[j] - dense.covariances_[j]).max() <= 1e-10 * np.abs(dense.covariances_[j]).max()


# -------------------------------------------------- the spherical pass's kept |z|^2
@pytest.mark.parametrize("d", [17, 200])
def test_spherical_kept_norms_are_the_per_block_einsum(monkeypatch, d):
    X = _blobs(600 if d == 200 else 3000, d, 3, seed=13)
    w = np.random.default_rng(2).uniform(0.2, 3.0, len(X))
    kept = _fit(X, w, 3, covariance_type="spherical", threads=2)
    real = _fitdata.DenseData.__init__

    def no_norms(self, *a, **kw):
        real(self, *a, **kw)
        self.sqnorms = None

    monkeypatch.setattr(_fitdata.DenseData, "__init__", no_norms)
    _same_bits(kept, _fit(X, w, 3, covariance_type="spherical", threads=2))


# -------------------------------------------------- weights
@pytest.mark.parametrize("ct", ["full", "spherical"])
def test_huge_weights_give_the_fit_of_weights_near_1(ct):
    """Weights times 2**900 (sums near 1e274): the same fit as the weights themselves (a power of two
    scales every weighted sum exactly)."""
    X = _blobs(2500, 18, 3, seed=14)
    w = np.random.default_rng(3).uniform(0.2, 3.0, len(X))
    _close(_fit(X, w * 2.0 ** 900, 3, covariance_type=ct), _fit(X, w, 3, covariance_type=ct), tol=1e-13)


def test_zero_weight_rows_with_1e200_values_above_16_features():
    """Rows of weight 0 holding +-1e200 (squares overflow) take no part in the sparse scatter's
    fit: the fit of the positive rows, bit for bit."""
    X = _blobs(3000, 20, 4, seed=15)
    w = np.random.default_rng(4).uniform(0.5, 2.0, len(X))
    w[::4] = 0.0
    Xb = X.copy()
    Xb[::4, 3] = 1e200
    Xb[4::8, 5] = -1e200
    a = _fit(Xb, w)
    _same_bits(a, _fit(X[w > 0], w[w > 0]))
    assert np.all(np.isfinite(a.score_samples(X[:20])))
    assert np.all(np.isfinite(a.predict_proba(Xb[:8])))


def test_inf_in_a_zero_weight_row_is_refused_with_its_place():
    X = _blobs(300, 17, 2, seed=16)
    w = np.ones(len(X))
    w[3] = 0.0
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match=r"infinite value.*row 4, column 2"):
        _fit(X, w, 2)


# -------------------------------------------------- EM written out in NumPy, from the same start
def _numpy_em(X, w, means, var, steps, ct):
    """``steps`` EM steps, two-pass in the user's units (no standardisation, no expansion), as
    scikit-learn's GaussianMixture computes them (its spherical variance, E[x^2] - mu^2, loses digits at
    an offset of 1e3: 7e-11 relative, ours 7e-13, so the reference is this)."""
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    k, d = means.shape
    mu, cov, wt = means.copy(), var.copy(), w.copy()
    for _ in range(steps):
        if ct == "full":
            L = np.column_stack([multivariate_normal(mu[j], cov[j]).logpdf(X) for j in range(k)])
        else:
            D = ((X[:, None, :] - mu[None]) ** 2).sum(axis=2)
            L = -0.5 * d * np.log(2 * np.pi * cov) - 0.5 * D / cov
        L += np.log(wt)
        R = np.exp(L - logsumexp(L, axis=1, keepdims=True))
        nk = R.sum(axis=0)
        wt, mu = nk / nk.sum(), (R.T @ X) / nk[:, None]
        diffs = [X - mu[j] for j in range(k)]
        if ct == "full":
            cov = np.array([(diffs[j] * R[:, j, None]).T @ diffs[j] / nk[j] for j in range(k)])
        else:
            cov = np.array([R[:, j] @ (diffs[j] ** 2).sum(axis=1) / (nk[j] * d) for j in range(k)])
    return wt, mu, cov


@pytest.mark.parametrize("ct", ["full", "spherical"])
def test_two_steps_equal_em_written_out_in_numpy(ct):
    X = _blobs(1500, 17, 3, seed=17, offset=1e3)
    rng = np.random.default_rng(5)
    means = X[rng.choice(len(X), 3, replace=False)]
    v = X.var(axis=0).mean()
    cov = np.array([np.eye(17) * v] * 3) if ct == "full" else np.full(3, v)
    w0 = np.full(3, 1 / 3)
    ours = GaussianMixture(3, covariance_type=ct, weights_init=w0, means_init=means, covariances_init=cov,
                           reg_covar=0.0, tol=0, max_iter=2).fit(X)
    wt, mu, var = _numpy_em(X, w0, means, cov, 2, ct)
    assert np.abs(ours.weights_ - wt).max() <= 1e-12
    assert np.abs(ours.means_ - mu).max() <= 1e-13 * np.abs(mu).max()
    assert np.abs(ours.covariances_ - var).max() <= 1e-11 * np.abs(var).max()


# -------------------------------------------------- tiny weights (the fit's floors are absolute)
@pytest.mark.parametrize("ct", ["full", "spherical", "diag", "VVV"])
@pytest.mark.parametrize("d", [3, 17])
def test_tiny_weights_give_the_fit_of_their_ratios(ct, d):
    """Only the weights' ratios make the maximum.  Weights times 2**-100 (mean near 1e-30) gave
    every component's count the floor of 10 eps (lower bound -6,861 for -28.7 at 1e-20); they are
    now read times 2**100: the same bits as the weights themselves, with the counts the user sees
    (n_samples_, the snapshots' total log-likelihood) in the weights as given."""
    X = _blobs(600, d, 3, seed=18)
    w = np.random.default_rng(6).uniform(0.2, 3.0, len(X))
    w *= 1.5 / w.mean()  # mean in [1, 2): the scaled weights are these bits again
    ref = _fit(X, w, 3, covariance_type=ct)
    tiny = _fit(X, w * 2.0 ** -100, 3, covariance_type=ct)
    _same_bits(tiny, ref)
    assert tiny.n_samples_ == ref.n_samples_ * 2.0 ** -100
    assert tiny.log_likelihood_ == ref.log_likelihood_ * 2.0 ** -100
    # not a power of two: the same maximum to rounding
    _close(_fit(X, w * 1e-20, 3, covariance_type=ct), ref, tol=1e-12)


def test_subnormal_weights_and_their_snapshots():
    X = _blobs(300, 17, 2, seed=19)
    w = np.where(np.arange(300) % 2 == 0, 5e-324, 1e-323)  # subnormal: 1 and 2 units of the last place
    ref = _fit(X, np.where(np.arange(300) % 2 == 0, 1.0, 2.0), 2)
    snaps = list(GaussianMixture(2, random_state=0, max_iter=5, tol=0).fit_iter(X, sample_weight=w))
    got = _fit(X, w, 2)
    _same_bits(got, ref)
    assert snaps[-1].lower_bound == ref.lower_bound_
    assert snaps[-1].n_samples == got.n_samples_ == 450 * 5e-324


@pytest.mark.parametrize("ct", ["full", "spherical", "diag"])
@pytest.mark.parametrize("d", [3, 17])
def test_huge_weights_with_an_outlier_give_the_fit_of_their_ratios(ct, d):
    """Weights near 1e303 (their sum finite) and one row 1e5 away: the weighted sums overflowed
    ("Eigenvalues did not converge", "high - low range exceeds valid bounds"); read times 2**-1006 they
    are the weights' own bits."""
    X = _blobs(600, d, 3, seed=20)
    X[0, 0] = 1e5
    w = np.random.default_rng(7).uniform(0.5, 2.0, len(X))
    w *= 1.5 / w.mean()
    ref = _fit(X, w, 3, covariance_type=ct)
    huge = _fit(X, w * 2.0 ** 1006, 3, covariance_type=ct)
    _same_bits(huge, ref)
    assert huge.n_samples_ == ref.n_samples_ * 2.0 ** 1006
    _close(_fit(X, w * 1e303, 3, covariance_type=ct), ref, tol=1e-12)


def test_restarts_whose_total_log_likelihood_overflows_are_chosen_by_the_lower_bound():
    X = _blobs(300, 5, 3, seed=21, spread=2.0)
    w = np.random.default_rng(8).uniform(0.5, 2.0, len(X))
    w *= 1.5 / w.mean()
    kw = dict(init_params="random", n_init=4, max_iter=3)
    ref = _fit(X, w, 3, **kw)
    assert len(set(ref.restart_log_likelihoods_)) > 1  # the restarts differ
    huge = _fit(X, w * 2.0 ** 1012, 3, **kw)  # total weight 1.6e308: the total log-likelihood is -inf
    assert huge.log_likelihood_ == -np.inf
    assert huge.best_restart_ == ref.best_restart_ and huge.lower_bound_ == ref.lower_bound_
