"""GaussianMixture on Dask arrays and DataFrames (issue 16, item 4): the chunked map-reduce EM
equals the in-memory fit, never materialises X, and runs on the threaded scheduler and on a
dask.distributed LocalCluster.  Skipped when dask is not installed (extra ``emdesk[dask]``)."""

import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from emdesk.engine import GaussianMixture  # noqa: E402
from emdesk.engine import _dask, _dask_chunks  # noqa: E402
from emdesk.engine._dask_context import DaskContext  # noqa: E402
from emdesk.io import dask_files  # noqa: E402

TYPES = ("full", "tied", "diag", "spherical")
TOL = dict(rtol=1e-10, atol=1e-10)


def _data(n=2400, d=3, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 1.0, (n // 2, d))
    b = rng.normal(3.0, 0.6, (n // 3, d)) + np.arange(d)
    c = rng.normal(-2.0, 0.4, (n - n // 2 - n // 3, d)) * [1.0, 2.0, 0.5][:d] if d <= 3 else \
        rng.normal(-2.0, 0.4, (n - n // 2 - n // 3, d))
    X = np.concatenate([a, b, c])
    rng.shuffle(X)
    return X * 10.0 + 1000.0  # far from the origin, not unit scale: standardisation matters


def _same_fit(a, b):
    np.testing.assert_allclose(b.weights_, a.weights_, **TOL)
    np.testing.assert_allclose(b.means_, a.means_, **TOL)
    np.testing.assert_allclose(b.covariances_, a.covariances_, **TOL)
    assert b.n_iter_ == a.n_iter_
    assert b.converged_ == a.converged_
    np.testing.assert_allclose(b.log_likelihood_, a.log_likelihood_, rtol=1e-12)
    np.testing.assert_allclose(b.lower_bound_, a.lower_bound_, rtol=1e-12)
    np.testing.assert_allclose(b.data_variances_, a.data_variances_, rtol=1e-12)
    assert b.n_samples_ == a.n_samples_


@pytest.fixture
def threads():
    with dask.config.set(scheduler="threads"):
        yield


@pytest.fixture
def no_materialise(monkeypatch):
    """X (a dask array) may not be turned into one NumPy array: np.asarray(X) fails."""
    def refuse(self, *args, **kwargs):
        raise AssertionError("the dask array was materialised")

    monkeypatch.setattr(da.Array, "__array__", refuse)


@pytest.mark.parametrize("ct", TYPES)
def test_equals_in_memory_fit_from_the_same_random_state(ct, threads, no_materialise):
    X = _data()
    kw = dict(n_components=3, covariance_type=ct, random_state=4, max_iter=25, tol=1e-6)
    a = GaussianMixture(**kw).fit(X)
    b = GaussianMixture(**kw).fit(da.from_array(X, chunks=(500, 3)))
    _same_fit(a, b)


@pytest.mark.parametrize("ct", TYPES)
def test_equals_in_memory_fit_from_given_start_with_a_sample_smaller_than_the_data(ct, threads, monkeypatch):
    X = _data(seed=1)
    start = GaussianMixture(3, covariance_type=ct, random_state=0, max_iter=2).fit(X[:300])
    kw = dict(n_components=3, covariance_type=ct, max_iter=20, tol=1e-8, weights_init=start.weights_,
              means_init=start.means_, covariances_init=start.covariances_)
    monkeypatch.setattr(_dask, "INIT_SAMPLE_ROWS", 100)
    a = GaussianMixture(**kw).fit(X)
    b = GaussianMixture(**kw).fit(da.from_array(X, chunks=(700, 3)))
    _same_fit(a, b)


def test_snapshots_equal_the_in_memory_ones_and_responsibilities_are_refused(threads):
    X = _data(seed=2)
    kw = dict(n_components=3, random_state=1, max_iter=8, n_init=2)
    mem = list(GaussianMixture(**kw).fit_iter(X))
    gm = GaussianMixture(**kw)
    lazy = list(gm.fit_iter(da.from_array(X, chunks=600)))
    # the restarts run side by side: round by round, each restart's iterations in order
    assert [s.iteration for s in lazy] == sorted(s.iteration for s in lazy)
    lazy = sorted(lazy, key=lambda s: (s.restart, s.iteration))
    assert [(s.restart, s.iteration, s.final) for s in lazy] == [(s.restart, s.iteration, s.final) for s in mem]
    for s, t in zip(mem, lazy):
        np.testing.assert_allclose(t.means, s.means, **TOL)
        np.testing.assert_allclose(t.lower_bound, s.lower_bound, rtol=1e-12)
        assert t.responsibilities is None and t.n_samples == s.n_samples
    assert gm.best_restart_ == GaussianMixture(**kw).fit(X).best_restart_
    with pytest.raises(ValueError, match="responsibilities=True is not available for Dask"):
        gm.fit_iter(da.from_array(X, chunks=600), responsibilities=True)
    with pytest.raises(ValueError, match="sample_weight is not supported"):
        gm.fit_iter(da.from_array(X, chunks=600), sample_weight=np.ones(len(X)))


def test_initialisation_runs_on_a_seeded_sample(threads, monkeypatch):
    X = _data(n=6000, seed=3)
    monkeypatch.setattr(_dask, "INIT_SAMPLE_ROWS", 400)
    seen = []
    take = _dask_chunks.take_rows
    monkeypatch.setattr(_dask_chunks, "take_rows", lambda xb, idx: seen.append(len(take(xb, idx))) or take(xb, idx))
    Xd = da.from_array(X, chunks=1000)
    b = GaussianMixture(3, random_state=0, init_params="kmeans").fit(Xd)
    assert sum(seen) == 400  # the sample, gathered once
    c = GaussianMixture(3, random_state=0, init_params="kmeans").fit(Xd)
    np.testing.assert_array_equal(b.means_, c.means_)  # seeded
    a = GaussianMixture(3, random_state=0, n_init=3).fit(X)  # same optimum on well-separated data
    order = lambda m: m[np.argsort(m[:, 0])]  # noqa: E731
    np.testing.assert_allclose(order(b.means_), order(a.means_), rtol=1e-5)


def test_one_pass_per_iteration_and_the_sample_read_with_the_first_pass(threads):
    X = _data(seed=4)
    calls = []

    def spy(block):
        calls.append(len(block))
        return block

    Xd = da.from_array(X, chunks=600).map_blocks(spy, dtype=float)  # 4 chunks
    gm = GaussianMixture(3, random_state=0, max_iter=3, tol=0.0).fit(Xd)
    assert gm.n_iter_ == 3
    # pass 0 (standardisation + the sample) and 4 E-steps (3 with an M-step, 1 final)
    calls = [c for c in calls if c]  # not dask's meta call (0 rows)
    assert len(calls) == 4 * 5 and max(calls) == 600


@pytest.mark.parametrize("ct", TYPES)
def test_missing_values_marginalised_like_the_in_memory_fit(ct, threads):
    X = _data(seed=5)
    rng = np.random.default_rng(0)
    X[rng.uniform(size=X.shape) < 0.1] = np.nan
    X[[3, 700]] = np.nan  # rows with nothing observed are left out, and counted
    kw = dict(n_components=3, covariance_type=ct, random_state=2, max_iter=15, missing="marginalize")
    a = GaussianMixture(**kw).fit(X)
    b = GaussianMixture(**kw).fit(da.from_array(X, chunks=500))
    _same_fit(a, b)
    assert b.n_rows_all_missing_ == a.n_rows_all_missing_ >= 2
    assert _dask.data_counts(da.from_array(X, chunks=500)) == (len(X), int(np.isnan(X).sum()))
    with pytest.raises(ValueError, match=r"missing \(NaN\).*missing='marginalize'"):
        GaussianMixture(3).fit(da.from_array(X, chunks=500))


@pytest.mark.parametrize("ct", ("full", "diag"))
def test_constant_column_with_missing_cells_stays_at_reg_covar_like_the_in_memory_fit(ct, threads):
    """The chunks carry the observed mass that places the ridge (emdesk.engine._missing): a constant column
    with missing cells keeps reg_covar (was reg_covar / (1 - f)), as in memory, to 1e-10."""
    X = _data(n=600, d=2, seed=5)
    X = np.c_[X, np.full(len(X), 7.0)]
    X[np.random.default_rng(1).uniform(size=len(X)) < 0.1, 2] = np.nan
    kw = dict(n_components=3, covariance_type=ct, random_state=2, max_iter=15, missing="marginalize")
    a = GaussianMixture(**kw).fit(X)
    b = GaussianMixture(**kw).fit(da.from_array(X, chunks=200))
    _same_fit(a, b)
    var = b.covariances_[:, 2, 2] if ct == "full" else b.covariances_[:, 2]
    np.testing.assert_allclose(var, 1e-6, rtol=1e-12)


@pytest.mark.parametrize("ct", ("full", "tied"))
def test_high_dimension_without_expanded_features(ct, threads):
    rng = np.random.default_rng(6)
    X = np.concatenate([rng.normal(0, 1, (600, 18)), rng.normal(2, 0.5, (400, 18))])
    kw = dict(n_components=2, covariance_type=ct, random_state=0, max_iter=10, tol=1e-9)
    _same_fit(GaussianMixture(**kw).fit(X), GaussianMixture(**kw).fit(da.from_array(X, chunks=300)))


@pytest.mark.parametrize("ct", ("full", "diag", "spherical"))
def test_narrow_far_component_recomputed_about_its_mean_in_an_extra_pass(ct, threads, monkeypatch):
    rng = np.random.default_rng(7)
    X = np.concatenate([rng.normal(0, 1, (1500, 2)), 300.0 + rng.normal(0, 2e-3, (60, 2))])
    calls = []
    scatter = DaskContext._scatter
    monkeypatch.setattr(DaskContext, "_scatter", lambda self, *a: calls.append(1) or scatter(self, *a))
    kw = dict(n_components=2, covariance_type=ct, random_state=0, max_iter=5, reg_covar=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(**kw).fit(X)
        b = GaussianMixture(**kw).fit(da.from_array(X, chunks=400))
    assert calls  # the two-pass fallback ran
    np.testing.assert_allclose(b.covariances_, a.covariances_, rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(b.means_, a.means_, **TOL)


def test_dataframe_numeric_columns_and_lazy_scoring(threads):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X = _data(seed=8)
    frame = pd.DataFrame({"a": X[:, 0], "label": ["x"] * len(X), "b": X[:, 1], "c": X[:, 2]})
    df = dd.from_pandas(frame, npartitions=4)
    a = GaussianMixture(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="'label' \\("):  # as the in-memory fit of the frame refuses it
        GaussianMixture(3, random_state=0).fit(df)
    b = GaussianMixture(3, random_state=0).fit(df[["a", "b", "c"]])
    _same_fit(a, b)
    assert list(b.feature_names_in_) == ["a", "b", "c"]
    Xd = da.from_array(X, chunks=500)
    for method in ("score_samples", "predict_proba", "predict"):
        lazy = getattr(b, method)(Xd)
        assert isinstance(lazy, da.Array)
        np.testing.assert_allclose(lazy.compute(), getattr(a, method)(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.predict_proba(df).compute(), a.predict_proba(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.score(Xd), a.score(X), rtol=1e-12)
    np.testing.assert_allclose(b.bic(Xd), a.bic(X), rtol=1e-12)
    np.testing.assert_allclose(b.icl(Xd), a.icl(X), rtol=1e-10)


def test_bad_dask_input_gives_value_errors(threads):
    X = _data(n=300)
    X[10, 1] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        GaussianMixture(2).fit(da.from_array(X, chunks=100))
    with pytest.raises(ValueError, match="n_components=400 is larger"):
        GaussianMixture(400).fit(da.from_array(_data(n=300), chunks=100))
    with pytest.raises(ValueError, match="1-D .* or 2-D"):
        GaussianMixture(2).fit(da.zeros((10, 2, 2)))
    gm = GaussianMixture(2, random_state=0).fit(da.from_array(_data(n=300), chunks=100))
    with pytest.raises(ValueError, match="fitted on 3"):
        gm.predict(da.zeros((10, 2)))


def test_local_cluster_of_two_workers_threads():
    distributed = pytest.importorskip("distributed")
    X = _data(seed=9)
    kw = dict(n_components=3, covariance_type="full", random_state=3, max_iter=10)
    a = GaussianMixture(**kw).fit(X)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        b = GaussianMixture(**kw).fit(da.from_array(X, chunks=400))
        labels = b.predict(da.from_array(X, chunks=400)).compute()
        assert len(client.scheduler_info()["workers"]) == 2
    _same_fit(a, b)
    np.testing.assert_array_equal(labels, a.predict(X))


def test_local_cluster_of_two_worker_processes():
    """Everything a task carries (chunk functions, parameters) pickles to other processes."""
    distributed = pytest.importorskip("distributed")
    X = _data(seed=10)
    X[5, 0] = np.nan
    kw = dict(n_components=2, covariance_type="diag", random_state=0, max_iter=5, missing="marginalize")
    a = GaussianMixture(**kw).fit(X)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster):
        b = GaussianMixture(**kw).fit(da.from_array(X, chunks=600))
    _same_fit(a, b)


def test_fit_dask_files_parquet_and_csv(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("dask.dataframe")
    X = _data(seed=11)
    frame = pd.DataFrame({"x": X[:, 0], "y": X[:, 1], "z": X[:, 2], "name": ["p"] * len(X)})
    for i, part in enumerate(np.array_split(np.arange(len(X)), 3)):
        frame.iloc[part].to_csv(tmp_path / f"part{i}.csv", index=False)
    a = GaussianMixture(2, random_state=0).fit(X[:, :2])
    b = dask_files.fit_dask_files(str(tmp_path / "part*.csv"), ["x", "y"], "synchronous", n_components=2,
                             random_state=0)
    _same_fit(a, b)
    assert list(b.feature_names_in_) == ["x", "y"]
    c = dask_files.fit_dask_files([tmp_path / "part0.csv", tmp_path / "part1.csv", tmp_path / "part2.csv"], None,
                             "threads", n_components=2, random_state=0)
    assert list(c.feature_names_in_) == ["x", "y", "z"]
    _same_fit(GaussianMixture(2, random_state=0).fit(X), c)
    with pytest.raises(ValueError, match="have no column 'w'"):
        dask_files.fit_dask_files(str(tmp_path / "part*.csv"), ["x", "w"], "threads", n_components=2)
    with pytest.raises(ValueError, match="Parquet .* or CSV"):
        dask_files.fit_dask_files(str(tmp_path / "data.xlsx"), None, "threads")
    with pytest.raises(ValueError, match="'local:N' needs"):
        dask_files.fit_dask_files(str(tmp_path / "part*.csv"), None, "local:zero")
    pytest.importorskip("pyarrow")
    frame.to_parquet(tmp_path / "data.parquet")
    d = dask_files.fit_dask_files(tmp_path / "data.parquet", ["x", "y"], "threads", n_components=2, random_state=0)
    _same_fit(a, d)


def test_fit_dask_files_on_a_cluster_by_its_address(tmp_path):
    distributed = pytest.importorskip("distributed")
    pd = pytest.importorskip("pandas")
    X = _data(seed=12)
    pd.DataFrame({"x": X[:, 0], "y": X[:, 1]}).to_csv(tmp_path / "d.csv", index=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        gm = dask_files.fit_dask_files(tmp_path / "d.csv", ["x", "y"], cluster.scheduler_address, n_components=2,
                                  random_state=0, max_iter=10)
    _same_fit(GaussianMixture(2, random_state=0, max_iter=10).fit(X[:, :2]), gm)
    with pytest.raises(ValueError, match="scheduler must be"):
        dask_files.fit_dask_files(tmp_path / "d.csv", None, "")


def test_dataframe_column_kinds_as_the_in_memory_fit_reads_them(threads):
    """A dask Series is one column (was AttributeError: no select_dtypes); a boolean column is fitted
    as 0/1, as the in-memory fit of the pandas frame does (was left out); a text, categorical, date or
    duration column is a ValueError naming it, as the in-memory fit of the pandas frame refuses it
    (text was left out silently: ddf[["s", "y"]] was fitted on y alone)."""
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X = _data(n=300, d=2, seed=13)
    frame = pd.DataFrame({"x": X[:, 0], "y": X[:, 1]})
    kw = dict(n_components=2, random_state=0, max_iter=5)
    s = GaussianMixture(**kw).fit(dd.from_pandas(frame["x"], npartitions=2))
    _same_fit(GaussianMixture(**kw).fit(X[:, :1]), s)
    assert list(s.feature_names_in_) == ["x"]
    flags = frame.assign(b=X[:, 0] > 1000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the indicator column collapses components (said by a warning)
        _same_fit(GaussianMixture(**kw).fit(flags), GaussianMixture(**kw).fit(dd.from_pandas(flags, npartitions=2)))
    others = {"t": pd.to_timedelta(np.arange(300), unit="s"), "s": np.array(["a", "b", "c"] * 100, dtype=object),
              "c": pd.Categorical(["a", "b", "c"] * 100), "d": pd.date_range("2020-01-01", periods=300)}
    for c, values in others.items():
        other = frame.assign(**{c: values})[[c, "y"]]
        with pytest.raises(ValueError, match="not numbers"):
            GaussianMixture(**kw).fit(other)  # the in-memory fit
        with pytest.raises(ValueError, match=rf"^X has columns that are not numbers: '{c}' \("):
            GaussianMixture(**kw).fit(dd.from_pandas(other, npartitions=2))


@pytest.mark.parametrize("ct", ("full", "diag"))
def test_column_checks_and_notes_from_pass_0_as_the_in_memory_fit(ct, threads, monkeypatch):
    """Constant and linearly dependent columns are said (column_notes_, DataColumnWarning) as in memory
    (the Dask fit said nothing), with a sample smaller than the data; a column whose squares overflow is
    a ValueError naming it (was LinAlgError 'Eigenvalues did not converge') without RuntimeWarnings."""
    from emdesk.engine.diagnostics import DataColumnWarning

    monkeypatch.setattr(_dask, "INIT_SAMPLE_ROWS", 100)
    X = _data(n=600, d=2, seed=14)
    X = np.c_[X, np.full(len(X), 0.1), X[:, 0] - 2.0 * X[:, 1]]
    kw = dict(n_components=2, covariance_type=ct, random_state=0, max_iter=3)
    seen = []
    for data in (X, da.from_array(X, chunks=250)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            seen.append((GaussianMixture(**kw).fit(data), [type(w.message) for w in caught]))
    (a, wa), (b, wb) = seen
    assert wb == wa == [DataColumnWarning]  # not a collapse either (was: reg_covar on the constant column)
    assert b.column_notes_ == a.column_notes_ and len(a.column_notes_) == (2 if ct == "full" else 1)
    assert "Column 3 is constant (every value is 0.1)" in b.column_notes_[0] and b.degeneracies_ == ()
    var = b.covariances_[:, 2, 2] if ct == "full" else b.covariances_[:, 2]
    np.testing.assert_allclose(var, 1e-6, rtol=1e-12)  # the constant column's variance is reg_covar
    Y = _data(n=600, d=2, seed=15)
    Y[::2, 1] = 1.7e308
    Y[1::2, 1] = -1.7e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="Column 2 holds values from -1.7e.308 to 1.7e.308: their squares"):
            GaussianMixture(2).fit(da.from_array(Y, chunks=250))
