"""EM passes over row shards on a thread pool (issue 16, emdesk/engine/_threads.py): the same bits for
any thread count, and the same numbers as one sequential loop over the blocks (to 1e-12)."""

import threading
import warnings

import numpy as np
import pytest

from emdesk import engine
from emdesk.engine import GaussianMixture, _fitdata, _threads
from emdesk.engine._core import DenseData, Layout, Prepared, Standardizer, em_pass
from emdesk.engine._fitdata import PassResponsibilities
from emdesk.engine._kernels import ShiftedStats, TiedStats, _pass_rows

CTS = ["full", "tied", "diag", "spherical"]


@pytest.fixture(autouse=True)
def _small_shards(monkeypatch):
    """Shards of 2048 rows (instead of 16384), so small data is cut into several; the thread setting
    is restored after each test."""
    monkeypatch.setattr(_fitdata, "MIN_SHARD_ROWS", 2048)
    monkeypatch.delenv(_threads.ENV_VARIABLE, raising=False)
    yield
    engine.set_num_threads(None)


def _data(n, d, k, seed=0, spread=3.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, size=(k, d))
    X = centres[rng.integers(0, k, n)] + rng.normal(size=(n, d))
    X = X * rng.uniform(0.5, 20, size=d) + rng.uniform(-100, 100, size=d)  # user units
    w = rng.uniform(0.2, 2.0, size=n)
    return X, w


def _params(rng, k, d, ct):
    means = rng.normal(0, 1.0, size=(k, d))
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
    weights = rng.uniform(0.5, 1.5, size=k)
    return weights / weights.sum(), means, cov


def _setup(n, d, k, ct, weighted, seed=0, cache_bytes=None):
    X, w = _data(n, d, k, seed)
    w = w if weighted else None
    std = Standardizer.from_data(X, w, ct)
    lay = Layout(ct, d, k)
    data = DenseData(None, w, lay, k, X=X, std=std, cache_bytes=cache_bytes)
    prep = Prepared(*_params(np.random.default_rng(seed + 1), k, d, ct), ct, lay)
    return data, prep


def _stats_arrays(S):
    if S is None:
        return []
    if isinstance(S, np.ndarray):
        return [S]
    if isinstance(S, TiedStats):
        return [S.nk, S.sx, S.gram]
    assert isinstance(S, ShiftedStats)
    return [S.nk, S.sx, S.scat, S.centres] + ([] if S.dropped is None else [S.dropped])


def _run(data, prep, threads, want_stats=True):
    engine.set_num_threads(threads)
    resp = np.empty((prep.k, data.n))
    ll_rows = np.empty(data.n)
    ll, S = em_pass(data, prep, resp, want_stats, ll_rows)
    return ll, _stats_arrays(S), resp, ll_rows


SHAPES = [(2, 3), (5, 4), (20, 3), (40, 2)]  # (d, k): expanded (d <= 8) and the high-dimension passes


def _rows(d):
    """Enough rows for several shards (at d <= 8 a block may hold 16384 rows)."""
    return 40000 if d <= 8 else 9000


@pytest.mark.parametrize("ct", CTS)
@pytest.mark.parametrize("d,k", SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_pass_is_the_same_bits_for_any_thread_count(ct, d, k, weighted):
    data, prep = _setup(_rows(d), d, k, ct, weighted)
    assert len(data.shard_bounds()) > 1  # the pass is cut into shards
    ref = _run(data, prep, 1)
    for threads in (2, 3, 8):
        ll, S, resp, ll_rows = _run(data, prep, threads)
        assert ll == ref[0]
        assert len(S) == len(ref[1])
        for a, b in zip(S, ref[1]):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(resp, ref[2])
        np.testing.assert_array_equal(ll_rows, ref[3])


def _close(a, b, tol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
    assert np.max(np.abs(a - b)) <= tol * scale, (np.max(np.abs(a - b)), scale)


@pytest.mark.parametrize("ct", CTS)
@pytest.mark.parametrize("d,k", SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cache_bytes", [None, 0])
def test_sharded_pass_equals_one_loop_over_the_blocks(ct, d, k, weighted, cache_bytes):
    """Threaded shards against the sequential loop over all blocks (the pass before issue 16's
    threads): statistics, log-likelihood, responsibilities and per-row log-likelihoods to 1e-12
    relative (standardised units); features or standardised rows (diag above MAX_EXPANDED_D:
    feature-major) cached, or neither (the rows
    standardised per block from X in every pass)."""
    data, prep = _setup(_rows(d), d, k, ct, weighted, seed=3, cache_bytes=cache_bytes)
    assert (data.Z is None and data.phi is None and data.zs is None) == (cache_bytes == 0)
    ll, S, resp, ll_rows = _run(data, prep, 3)
    resp0 = np.empty_like(resp)
    ll_rows0 = np.empty_like(ll_rows)
    ll0, S0 = _pass_rows(data, prep, resp0, True, ll_rows0)
    _close(ll, ll0)
    S0 = _stats_arrays(S0)
    assert len(S) == len(S0)
    for a, b in zip(S, S0):
        _close(a, b)
    _close(resp, resp0)
    _close(ll_rows, ll_rows0)


@pytest.mark.parametrize("ct", ["full", "diag"])
def test_pass_responsibilities_are_written_nowhere_and_recomputed_alike(ct):
    """A sharded pass with the PassResponsibilities stand-in (no (k, n) array) gives the statistics of
    the pass into an array, and a block read back is the block the array holds."""
    data, prep = _setup(9000, 20, 3, ct, True)
    ll, S, resp, _ = _run(data, prep, 4)
    pr = PassResponsibilities(data, prep.k)
    pr.prep = prep
    ll2, S2 = em_pass(data, prep, pr, True)
    assert ll2 == ll
    for a, b in zip(_stats_arrays(S2), S):
        np.testing.assert_array_equal(a, b)
    s, e = data.block * 3, data.block * 4
    np.testing.assert_array_equal(pr[:, slice(s, e)], resp[:, s:e])


def _fit(X, w, ct, threads, k=3, **kw):
    engine.set_num_threads(threads)
    gm = GaussianMixture(k, covariance_type=ct, max_iter=6, tol=0, random_state=0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.fit(X, sample_weight=w)
    return gm


@pytest.mark.parametrize("ct", CTS)
@pytest.mark.parametrize("d", [3, 24])
def test_fit_is_the_same_bits_for_any_thread_count(ct, d):
    X, w = _data(_rows(d), d, 3, seed=5)
    a = _fit(X, w, ct, 1)
    b = _fit(X, w, ct, 4)
    for name in ("weights_", "means_", "covariances_", "lower_bound_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    snaps = list(GaussianMixture(3, covariance_type=ct, max_iter=6, tol=0, random_state=0)
                 .fit_iter(X, sample_weight=w, responsibilities=True))
    np.testing.assert_array_equal(snaps[-1].means, b.means_)  # responsibilities held or not: the same


def test_setting_and_environment(monkeypatch):
    engine.set_num_threads(3)
    assert engine.get_num_threads() == 3
    engine.set_num_threads(None)
    monkeypatch.setenv(_threads.ENV_VARIABLE, "2")
    assert engine.get_num_threads() == 2
    monkeypatch.delenv(_threads.ENV_VARIABLE)
    assert engine.get_num_threads() == min(_threads.available_cpus(), _threads.MAX_DEFAULT_THREADS)
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="whole number"):
            engine.set_num_threads(bad)
    # a bad value is ignored with one warning naming it, the same for small and big data (it raised
    # only where a pass had two shards: a typo failed big fits alone)
    default = min(_threads.available_cpus(), _threads.MAX_DEFAULT_THREADS)
    for bad in ("many", "0", "-1", "1.5"):
        monkeypatch.setenv(_threads.ENV_VARIABLE, bad)
        _threads._warned.discard(bad)
        with pytest.warns(RuntimeWarning, match="EMDESK_NUM_THREADS"):
            assert engine.get_num_threads() == default
    X = np.random.default_rng(0).normal(size=(40_000, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # warned once already
        gm = engine.GaussianMixture(2, max_iter=3, random_state=0).fit(X)
    assert np.isfinite(gm.lower_bound_)


def test_limit_threads_is_for_the_calling_thread_only():
    engine.set_num_threads(4)
    seen = {}

    def other():
        seen["other"] = engine.get_num_threads()

    with engine.limit_threads(1):
        assert engine.get_num_threads() == 1
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen["other"] == 4
    assert engine.get_num_threads() == 4


@pytest.mark.parametrize("ct", ["diag", "spherical"])
def test_standardised_rows_cached_within_the_budget_are_the_same_bits(ct):
    """High d: the standardised rows are kept when they fit FIT_CACHE_BYTES (diag: feature-major,
    with their squares), with the values the per-block standardisation gives; a pass over them
    gives the same bits."""
    a, prep = _setup(5000, 20, 3, ct, True)
    b, _ = _setup(5000, 20, 3, ct, True, cache_bytes=5000 * 20 * 8 - 1)
    assert b.Z is None and b.zs is None and a.phi is None
    zb = next(iter(b.blocks()))[3]
    if ct == "diag":
        assert a.Z is None and a.zs is not None and a.fs is not None
        np.testing.assert_array_equal(a.zt_rows(0, zb.shape[0]), zb.T)
        for s, e in ((100, 900), (1000, 3100), (4990, 5000)):  # in one slab, across slabs, the last
            np.testing.assert_array_equal(a.zt_rows(s, e), b.zt_rows(s, e))
        for s, e in ((100, 900), (1000, 3100)):
            np.testing.assert_array_equal(a.ft_rows(s, e), b.ft_rows(s, e))
    else:
        assert a.Z is not None
        np.testing.assert_array_equal(a.Z[: zb.shape[0]], zb)
    ra, rb = np.empty((3, 5000)), np.empty((3, 5000))
    la, Sa = em_pass(a, prep, ra)
    lb, Sb = em_pass(b, prep, rb)
    assert la == lb
    np.testing.assert_array_equal(Sa, Sb)
    np.testing.assert_array_equal(ra, rb)


def test_shards_do_not_depend_on_the_thread_count_and_small_data_is_one_shard(monkeypatch):
    data, _ = _setup(9000, 20, 3, "full", False)
    b = data.shard_bounds()
    assert b[0][0] == 0 and b[-1][1] == data.n and all(x[1] == y[0] for x, y in zip(b, b[1:]))
    assert all((e - s) % data.block == 0 for s, e in b[:-1])
    monkeypatch.setattr(_fitdata, "MIN_SHARD_ROWS", 16384)
    assert data.shard_bounds() == [(0, data.n)]
    calls = []
    monkeypatch.setattr(_threads, "_pool", lambda n: calls.append(n))  # no pool for one shard
    engine.set_num_threads(4)
    _, prep = _setup(9000, 20, 3, "full", False)
    em_pass(data, prep, np.empty((3, data.n)), True)
    assert calls == []


def test_errstate_of_the_caller_applies_in_the_shards():
    def f(_):
        return np.geterr()["over"]

    engine.set_num_threads(2)
    with np.errstate(over="raise"):
        assert _threads.map_in_order(f, range(4)) == ["raise"] * 4


def test_workers_that_run_fits_side_by_side_use_one_thread(monkeypatch):
    """Bootstrap thread workers, the selection sweep's worker processes and local runner, and Dask
    chunk tasks run their passes with one thread (no oversubscription)."""
    from emdesk.engine import _bootstrap_common, _dask_chunks, selection_processes

    engine.set_num_threads(4)
    results, _ = _bootstrap_common._run(lambda i, s: engine.get_num_threads(), [1, 2, 3, 4], 2, None, None)
    assert sorted(results.values()) == [1, 1, 1, 1]
    results, _ = _bootstrap_common._run(lambda i, s: engine.get_num_threads(), [1], 1, None, None)
    assert list(results.values()) == [4]  # one replicate at a time: all threads

    monkeypatch.setattr(selection_processes._workers, "still_wanted", lambda slot, sweep: True)
    monkeypatch.setattr(selection_processes, "_fit_one", lambda *a: engine.get_num_threads())
    monkeypatch.setattr(selection_processes, "_row_to_plain", lambda row: row)
    assert selection_processes._fit_in_worker(0, 2, "full", None, None, {}, 0, 0, 1) == 1

    seen = []

    def fake_pass(data, prep, resp, want):
        seen.append(engine.get_num_threads())
        return 0.0, None

    monkeypatch.setattr(_dask_chunks, "em_pass", fake_pass)
    X, _ = _data(50, 3, 2)
    std = Standardizer.from_data(X, None, "full")
    _dask_chunks.em_chunk(X, std=std, layout=Layout("full", 3, 2), k=2, jobs=[(None, False)], missing=False)
    assert seen == [1]
    assert engine.get_num_threads() == 4


def _missing_data(seed=0):
    """Incomplete rows, a narrow component far from the centre (the direct moments run)."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(3000, 3)), rng.normal(size=(2000, 3)) * 0.3 + 4.0,
                        rng.normal(size=(300, 3)) * 1e-3 + 80.0])
    X[:, 2] = X[:, 2] * 1e3 + 1e6
    X[rng.random(X.shape) < 0.25] = np.nan
    X[7] = np.nan  # a row with no value: left out
    return X


@pytest.mark.parametrize("ct", CTS)
def test_missing_values_pass_in_shards(monkeypatch, ct):
    """The missing-data pass (_missing.MissingData) in shards of 2100 rows: the same bits for 1 and 4
    threads, and the fit within 1e-10 of the one-shard (sequential) pass after 8 iterations."""
    from emdesk.engine import _missing

    monkeypatch.setattr(_missing, "missing_fit_block_rows", lambda k, d: 300)
    X = _missing_data()
    w = np.random.default_rng(2).random(X.shape[0]) + 0.5
    fits = []
    for threads in (1, 4):
        engine.set_num_threads(threads)
        gm = GaussianMixture(3, covariance_type=ct, max_iter=8, tol=0, random_state=0, missing="marginalize")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits.append(gm.fit(X, sample_weight=w))
    for name in ("weights_", "means_", "covariances_", "lower_bound_"):
        np.testing.assert_array_equal(getattr(fits[0], name), getattr(fits[1], name))
    data = _missing.MissingData(None, None, Standardizer.from_data(np.nan_to_num(X), None, ct), 3, X=X)
    assert len(data.shard_bounds()) > 1
    monkeypatch.setattr(_fitdata, "MIN_SHARD_ROWS", 10 ** 9)  # one shard: the sequential pass
    assert len(data.shard_bounds()) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = GaussianMixture(3, covariance_type=ct, max_iter=8, tol=0, random_state=0,
                              missing="marginalize").fit(X, sample_weight=w)
    for name in ("weights_", "means_", "covariances_"):
        a, b = getattr(fits[1], name), getattr(one, name)
        assert np.max(np.abs(a - b)) <= 1e-10 * max(1.0, np.max(np.abs(b))), name


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_makes_its_own_pool():
    """A child forked after the pool started has none of its threads: it makes a new pool instead of
    waiting forever on the parent's."""
    import os

    engine.set_num_threads(2)
    assert _threads.map_in_order(lambda i: i * 2, range(3)) == [0, 2, 4]
    pid = os.fork()
    if pid == 0:  # child
        import signal

        signal.alarm(30)  # a child waiting on the parent's pool dies here, and the test fails
        try:
            ok = _threads.map_in_order(lambda i: i * 2, range(3)) == [0, 2, 4]
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_one_pool_is_kept_whatever_thread_counts_were_used():
    """Changing the thread count shuts the old pool down (its threads exit once their shards are done)
    instead of keeping one pool per count ever set; passes on the new count still give their results
    in order, and fits running in other threads while the count changes finish."""
    import threading

    engine.set_num_threads(2)
    assert _threads.map_in_order(lambda i: i + 1, range(4)) == [1, 2, 3, 4]
    first = next(iter(_threads._pools.values()))
    engine.set_num_threads(3)
    assert _threads.map_in_order(lambda i: i + 1, range(4)) == [1, 2, 3, 4]
    assert list(_threads._pools) == [3] and first._shutdown
    results, errors = [], []

    def worker(t):
        try:
            for _ in range(30):
                results.append(_threads.map_in_order(lambda i: i * i, range(5)))
        except Exception as exc:  # a pool shut down between getting it and submitting to it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    for c in (2, 4, 2, 3, 4):
        engine.set_num_threads(c)
    for t in threads:
        t.join(60)
    assert not errors and results == [[0, 1, 4, 9, 16]] * 90
    assert len(_threads._pools) <= 1
    engine.set_num_threads(None)
