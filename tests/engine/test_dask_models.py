"""Dask fits with every option of the in-memory fit (issue 16 item 4, issue 11): mclust's 14
covariance models, prior="default", reg_covar="relative", missing values and init_params="emEM",
and the restarts side by side (one pass over the data per iteration for all of them).  Results
equal the in-memory fit from the same start to 1e-10."""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from emdesk.engine import GaussianMixture  # noqa: E402
from emdesk.engine import _dask, _dask_chunks  # noqa: E402
from emdesk.engine.covariance_models import MODEL_NAMES  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)


def _data(n=600, d=3, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    a = rng.normal(0.0, 1.0, (n // 2, d)) @ A
    b = rng.normal(3.0, 0.6, (n // 4, d)) + np.arange(d)
    c = rng.normal(-2.0, 0.4, (n - n // 2 - n // 4, d)) @ A.T
    X = np.concatenate([a, b, c])
    rng.shuffle(X)
    return X * [10.0, 1.0, 0.1][:d] + 1000.0  # far from the origin and unequal scales


def _same_fit(a, b):
    np.testing.assert_allclose(b.weights_, a.weights_, **TOL)
    np.testing.assert_allclose(b.means_, a.means_, **TOL)
    np.testing.assert_allclose(b.covariances_, a.covariances_, rtol=1e-10, atol=1e-10 * np.abs(a.covariances_).max())
    assert b.n_iter_ == a.n_iter_ and b.converged_ == a.converged_
    np.testing.assert_allclose(b.log_likelihood_, a.log_likelihood_, rtol=1e-12)
    np.testing.assert_allclose(b.lower_bound_, a.lower_bound_, rtol=1e-12)
    np.testing.assert_allclose(b.restart_log_likelihoods_, a.restart_log_likelihoods_, rtol=1e-12)
    assert b.best_restart_ == a.best_restart_
    np.testing.assert_allclose(b.log_prior_, a.log_prior_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(b.reg_covar_, a.reg_covar_, rtol=1e-12)
    assert b.covariance_type == a.covariance_type and b.n_parameters() == a.n_parameters()


@pytest.fixture
def sync():
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_every_mclust_model_equals_the_in_memory_fit(model, sync):
    X = _data(seed=1)
    kw = dict(n_components=3, covariance_type=model, random_state=0, max_iter=12, tol=1e-8)
    a = GaussianMixture(**kw).fit(X)
    b = GaussianMixture(**kw).fit(da.from_array(X, chunks=(150, 3)))
    _same_fit(a, b)
    assert b.n_data_passes_ == 1 + b.n_iter_ + 1


@pytest.mark.parametrize("model", ("VVV", "EEE", "VVI", "VII", "full", "spherical"))
def test_the_prior_equals_the_in_memory_fit(model, sync):
    X = _data(seed=2)
    kw = dict(n_components=3, covariance_type=model, random_state=1, max_iter=10, prior="default")
    a = GaussianMixture(**kw).fit(X)
    b = GaussianMixture(**kw).fit(da.from_array(X, chunks=200))
    _same_fit(a, b)
    assert b.log_prior_ != 0.0


@pytest.mark.parametrize("model", ("E", "V"))
def test_one_feature_models_with_and_without_the_prior(model, sync):
    X = _data(d=1, seed=3)
    for prior in (None, "default"):
        kw = dict(n_components=2, covariance_type=model, random_state=0, max_iter=10, prior=prior)
        _same_fit(GaussianMixture(**kw).fit(X), GaussianMixture(**kw).fit(da.from_array(X, chunks=250)))
    with pytest.raises(ValueError, match="one feature"):
        GaussianMixture(2, covariance_type="E").fit(da.from_array(_data(), chunks=250))


@pytest.mark.parametrize("model, prior", [("VVV", "default"), ("VVI", "default"), ("VEV", None), ("EEV", None),
                                          ("full", None), ("VII", "default")])
def test_pass_zero_gives_the_prior_and_the_relative_ridge_when_the_sample_is_smaller(model, prior, sync, monkeypatch):
    """From a given start (no sample drawn) and with a 100-row sample, the standardisation, the
    relative ridge and the prior come from pass 0's moments of all rows."""
    X = _data(seed=4)
    start = GaussianMixture(3, covariance_type=model, random_state=0, max_iter=3).fit(X[:200])
    kw = dict(n_components=3, covariance_type=model, max_iter=8, tol=1e-9, prior=prior, reg_covar="relative:1e-3",
              weights_init=start.weights_, means_init=start.means_, covariances_init=start.covariances_)
    monkeypatch.setattr(_dask, "INIT_SAMPLE_ROWS", 100)
    _same_fit(GaussianMixture(**kw).fit(X), GaussianMixture(**kw).fit(da.from_array(X, chunks=170)))
    del kw["weights_init"]  # now a sample of 100 rows is drawn for the start's missing part
    b = GaussianMixture(**kw).fit(da.from_array(X, chunks=170))
    assert np.isfinite(b.log_likelihood_)


@pytest.mark.parametrize("model", ("VEV", "EEI", "VVV", "EVE"))
def test_missing_values_with_mclust_models(model, sync):
    X = _data(seed=5)
    rng = np.random.default_rng(0)
    X[rng.uniform(size=X.shape) < 0.08] = np.nan
    X[7] = np.nan
    kw = dict(n_components=2, covariance_type=model, random_state=2, max_iter=8, missing="marginalize")
    a = GaussianMixture(**kw).fit(X)
    b = GaussianMixture(**kw).fit(da.from_array(X, chunks=200))
    _same_fit(a, b)
    assert b.n_rows_all_missing_ == 1


def test_prior_with_missing_values_from_the_complete_rows(sync, monkeypatch):
    X = _data(seed=6)
    X[np.random.default_rng(1).uniform(size=X.shape) < 0.05] = np.nan
    kw = dict(n_components=2, covariance_type="VVV", random_state=0, max_iter=6, missing="marginalize",
              prior="default")
    _same_fit(GaussianMixture(**kw).fit(X), GaussianMixture(**kw).fit(da.from_array(X, chunks=200)))
    monkeypatch.setattr(_dask, "INIT_SAMPLE_ROWS", 150)
    start = GaussianMixture(2, covariance_type="VVV", random_state=0, max_iter=2, missing="marginalize").fit(X)
    kw.update(weights_init=start.weights_, means_init=start.means_, covariances_init=start.covariances_)
    _same_fit(GaussianMixture(**kw).fit(X), GaussianMixture(**kw).fit(da.from_array(X, chunks=200)))
    with pytest.raises(ValueError, match="prior='default' is available with covariance_type"):
        GaussianMixture(2, covariance_type="VEV", prior="default").fit(da.from_array(_data(), chunks=200))


@pytest.mark.parametrize("model", ("full", "VII", "EVE"))
def test_emem_equals_the_in_memory_fit_when_the_sample_holds_every_row(model, sync):
    X = _data(seed=7)
    kw = dict(n_components=3, covariance_type=model, random_state=3, max_iter=15, n_init=3, init_params="emEM",
              tol="relative")
    a = GaussianMixture(**kw).fit(X)
    b = GaussianMixture(**kw).fit(da.from_array(X, chunks=150))
    _same_fit(a, b)
    for p, q in zip(a.restart_parameters_, b.restart_parameters_):
        np.testing.assert_allclose(q["means"], p["means"], **TOL)


def test_emem_explores_on_the_sample_and_the_restarts_share_each_pass(sync, monkeypatch):
    X = _data(n=3000, seed=8)
    monkeypatch.setattr(_dask, "INIT_SAMPLE_ROWS", 500)
    gathered, chunks_read = [], []
    take = _dask_chunks.take_rows
    monkeypatch.setattr(_dask_chunks, "take_rows", lambda xb, idx: gathered.append(len(take(xb, idx))) or take(xb, idx))

    def spy(block):
        if len(block):
            chunks_read.append(len(block))
        return block

    Xd = da.from_array(X, chunks=600).map_blocks(spy, dtype=float)  # 5 chunks
    gm = GaussianMixture(3, init_params="emEM", n_init=4, random_state=0, max_iter=20, tol="relative").fit(Xd)
    assert sum(gathered) == 500  # the hierarchical start and the exploratory runs saw the sample only
    iters = [r["n_iter"] for r in gm.restart_parameters_]
    # pass 0 (with the sample), then one pass per iteration of the longest restart (+ its last E-step)
    assert gm.n_data_passes_ == 1 + max(iters) + 1 < 1 + sum(i + 1 for i in iters)
    assert len(chunks_read) == 5 * gm.n_data_passes_
    best = GaussianMixture(3, init_params="emEM", n_init=4, random_state=0, max_iter=20, tol="relative").fit(X)
    np.testing.assert_allclose(gm.log_likelihood_, best.log_likelihood_, rtol=1e-6)  # the same optimum


def test_restarts_side_by_side_equal_sequential_restarts_and_keep_failures(sync):
    X = _data(seed=9)
    kw = dict(n_components=4, covariance_type="VVV", random_state=5, max_iter=30, n_init=4, init_params="random")
    a = GaussianMixture(**kw).fit(X)
    b = GaussianMixture(**kw).fit(da.from_array(X, chunks=100))
    _same_fit(a, b)
    assert len({r["n_iter"] for r in b.restart_parameters_}) > 1  # restarts of different lengths
    assert b.n_data_passes_ == 1 + max(r["n_iter"] for r in b.restart_parameters_) + 1


def test_local_cluster_of_two_workers_mclust_model_prior_and_emem():
    distributed = pytest.importorskip("distributed")
    X = _data(seed=10)
    fits = [dict(n_components=3, covariance_type="VEV", random_state=0, max_iter=8),
            dict(n_components=2, covariance_type="VVI", random_state=1, max_iter=8, prior="default",
                 init_params="emEM", n_init=2)]
    ref = [GaussianMixture(**kw).fit(X) for kw in fits]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        got = [GaussianMixture(**kw).fit(da.from_array(X, chunks=150)) for kw in fits]
        assert len(client.scheduler_info()["workers"]) == 2
    for a, b in zip(ref, got):
        _same_fit(a, b)


def test_fit_file_of_a_dask_fit_with_a_mclust_model_and_the_prior(tmp_path, sync):
    """The files a Dask fit of mclust's model writes (emdesk-fit --dask) load back as that model."""
    from emdesk.io import load_fit, save_fit

    X = _data(seed=11)
    Xd = da.from_array(X, chunks=200)
    gm = GaussianMixture(2, covariance_type="EEV", random_state=0, max_iter=10).fit(Xd)
    save_fit(tmp_path / "f.json", gm, Xd, columns=["a", "b", "c"], data_files=["part*.csv"])
    back = load_fit(tmp_path / "f.json")
    assert back.covariance_type == "EEV"
    np.testing.assert_allclose(back.covariances_, gm.covariances_, rtol=1e-12)
    np.testing.assert_allclose(back.score(X), GaussianMixture(2, covariance_type="EEV", random_state=0,
                                                              max_iter=10).fit(X).score(X), rtol=1e-10)


def test_pass_zero_moments_of_complete_and_incomplete_chunks():
    """Chunks with every cell finite take a short path; its moments agree with the general
    path's (a chunk with a NaN) and with NumPy's over all rows."""
    X = _data(n=900, seed=12)
    Y = X.copy()
    Y[305, 1] = np.nan
    parts = [_dask_chunks.moments_chunk(X[:300])[0], _dask_chunks.moments_chunk(Y[300:600])[0],
             _dask_chunks.moments_chunk(X[600:])[0]]
    cnt, mean, var, nc, mc, cross = _dask_chunks.combine_moments(parts, 3)
    full = np.concatenate([X[:300], Y[300:600], X[600:]])
    complete = full[~np.isnan(full).any(axis=1)]
    np.testing.assert_array_equal(cnt, [900, 899, 900])
    np.testing.assert_allclose(mean, np.nanmean(full, axis=0), rtol=1e-13)
    np.testing.assert_allclose(var, np.nanvar(full, axis=0), rtol=1e-10)
    assert nc == 899
    np.testing.assert_allclose(mc, complete.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(cross / (nc - 1), np.cov(complete, rowvar=False), rtol=1e-10)
    Z = X[:10].copy()
    Z[2, 0] = np.inf
    assert _dask_chunks.moments_chunk(Z)[0, 2] == 1


@pytest.mark.parametrize("model, d", [("VVV", 3), ("EEE", 3), ("VII", 3), ("VVI", 3), ("V", 1), ("E", 1)])
def test_prior_from_pass_zero_moments_equals_mclusts_default_prior_with_overrides(model, d):
    from emdesk.engine import prior as P
    from emdesk.engine._dask_context import prior_from_moments

    X = _data(d=d, seed=13)
    _, _, _, nc, mc, cross = _dask_chunks.combine_moments(
        [_dask_chunks.moments_chunk(X[:250])[0], _dask_chunks.moments_chunk(X[250:])[0]], d)
    one = model in ("V", "E", "VII", "VVI")
    for over in ({}, {"shrinkage": 0.1, "dof": 7.0}, {"mean": [1.0] * d, "shrinkage": 0},
                 {"scale": 2.0 if one else np.eye(d) * 3.0}):
        got = prior_from_moments(nc, mc, cross, 3, model, d, over)
        want = P.default_prior(X, 3, model, **over)
        assert got.shrinkage == want.shrinkage and got.dof == want.dof
        np.testing.assert_allclose(got.mean, want.mean, rtol=1e-12)
        np.testing.assert_allclose(got.scale, want.scale, rtol=1e-10)
