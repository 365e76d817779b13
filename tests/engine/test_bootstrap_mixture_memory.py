"""A mixture's bootstrap reads its resample and its positive rows in place (issue 16, ninth session).

Before, ``bootstrap(model, X)`` copied every nonparametric resample (``X[idx]``, ``n x d`` floats per replicate),
and with rows of weight 0 (or rows without a value) it copied the others (``X[~empty]``); the weighted criteria
(``_scores(X, sample_weight)``, what ``select_model`` scores each fit with) scored a copy of the positive rows.
Now the resample is its row numbers (4 bytes a row, above ``bootstrap_kinds.RESAMPLE_COPY_BYTES``: set to 0 here)
and the positive rows are ``_zero_weight.PositiveRows``, each block of rows gathered when the fit or the scorer
reads it.  The results are the copies' bit for bit (every comparison here has tolerance 0), and the peaks hold no
copy.  Small data: each test well under a second."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianMixture, PoissonMixture, StudentTMixture, bootstrap
from emdesk.engine import _bootstrap_em, bootstrap_kinds as BK
B = importlib.import_module("emdesk.engine.bootstrap")
from emdesk.engine._zero_weight import PositiveRows, take_rows
from emdesk.engine.bootstrap_kinds import bootstrap_kind
from tests.memory_peak import peak


def _data(n, d=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0] * d, [5.0] * d, [-5.0, 5.0] + [0.0] * (d - 2)])
    return centres[rng.integers(0, 3, size=n)] + rng.normal(size=(n, d))


def _zero_weights(n, seed=1, frac=0.1):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.5, 2.0, size=n)
    w[rng.random(n) < frac] = 0.0
    return w


def _same(a, b):
    assert np.array_equal(a.log_likelihoods, b.log_likelihoods)
    assert np.array_equal(a.permutations, b.permutations)
    assert np.array_equal(a.n_iter, b.n_iter) and a.n_failed == b.n_failed
    for key in a.replicates:
        assert np.array_equal(a.replicates[key], b.replicates[key]), key


@pytest.fixture
def engine_path(monkeypatch):
    """Every replicate refitted by the engine (the lean loop is for small data; its batch copies rows anyway),
    and the X each refit was given recorded."""
    monkeypatch.setattr(_bootstrap_em, "MAX_REPLICATE_BYTES", 0)
    given = []
    real = B._refit

    def refit(model, X, *args, **kw):
        given.append(X)
        return real(model, X, *args, **kw)

    monkeypatch.setattr(B, "_refit", refit)
    return given


def test_take_rows_reads_what_the_copy_holds():
    X = _data(40, d=4)
    idx = np.random.default_rng(2).integers(0, 40, size=40)
    P = take_rows(X, idx)
    assert isinstance(P, PositiveRows) and P.rows.dtype == np.int32
    for key in (slice(3, 17), [0, 5, 2], np.arange(40) % 3 == 0, (slice(2, 9), slice(1, 3)), (slice(None), 2)):
        np.testing.assert_array_equal(P[key], X[idx][key])
    keep = np.arange(40) % 4 != 1
    Q = take_rows(take_rows(X, np.flatnonzero(keep)), idx[:20] % int(keep.sum()))  # composed, not nested
    assert Q.X is X
    np.testing.assert_array_equal(np.asarray(Q), X[keep][idx[:20] % int(keep.sum())])


@pytest.mark.parametrize("params", [
    dict(covariance_type="full"),
    dict(covariance_type="diag", reg_covar="relative"),
    dict(covariance_type="VEV"),
    dict(covariance_type="spherical", missing="marginalize"),
])
def test_resample_read_in_place_is_the_copy_bit_for_bit(monkeypatch, engine_path, params):
    X = _data(300)
    if params.get("missing"):
        X[np.random.default_rng(3).random(X.shape) < 0.1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(3, random_state=0, max_iter=20, **params).fit(X)
        out = []
        for copy_bytes in (1 << 62, 0):  # the copy (the previous code), then in place
            monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", copy_bytes)
            out.append(bootstrap(model, X, n_boot=3, random_state=4, n_jobs=1, max_iter=5))
    _same(*out)
    assert len(engine_path) == 6
    assert all(isinstance(x, np.ndarray) for x in engine_path[:3])
    assert all(isinstance(x, PositiveRows) and x.X is X and x.rows.dtype == np.int32 for x in engine_path[3:])


@pytest.mark.parametrize("method", ["nonparametric", "weighted"])
@pytest.mark.parametrize("lean", [False, True])
def test_zero_weights_read_in_place_bit_for_bit(monkeypatch, method, lean):
    """bootstrap(X, sample_weight=w) with w = 0 on some rows (holding 1e200) is the bootstrap of X[w > 0] bit for
    bit; the refits read the caller's X (PositiveRows), never a copy of the positive rows (the lean loop for small
    data copies them once, as before)."""
    X = _data(300, seed=5)
    w = _zero_weights(300)
    X[np.flatnonzero(w == 0)[::3]] = 1e200
    given = []
    if not lean:
        monkeypatch.setattr(_bootstrap_em, "MAX_REPLICATE_BYTES", 0)
        real = B._refit
        monkeypatch.setattr(B, "_refit", lambda model, Xb, *a, **kw: given.append(Xb) or real(model, Xb, *a, **kw))
    monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", 0)
    keep = w > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(3, covariance_type="full", random_state=0).fit(X, sample_weight=w)
        a = bootstrap(model, X, n_boot=3, method=method, random_state=6, n_jobs=1, max_iter=5, sample_weight=w)
        b = bootstrap(model, X[keep], n_boot=3, method=method, random_state=6, n_jobs=1, max_iter=5,
                      sample_weight=w[keep])
    _same(a, b)
    assert a.n_failed == 0
    if not lean:
        assert all(isinstance(x, PositiveRows) and x.X is X for x in given[:3])


def test_all_missing_rows_read_in_place(engine_path):
    X = _data(300, seed=7)
    X[np.random.default_rng(8).random(X.shape) < 0.1] = np.nan
    X[::25] = np.nan  # rows without any value: left out before any draw
    keep = ~np.isnan(X).all(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(2, covariance_type="diag", missing="marginalize", random_state=0).fit(X)
        a = bootstrap(model, X, n_boot=2, method="weighted", random_state=1, n_jobs=1, max_iter=5)
        b = bootstrap(model, X[keep], n_boot=2, method="weighted", random_state=1, n_jobs=1, max_iter=5)
    _same(a, b)
    assert isinstance(engine_path[0], PositiveRows) and engine_path[0].X is X


def test_nan_only_in_rows_left_out():
    """Rows without any value are the only ones with NaN: the rest are complete data (the lean loop, the
    parametric draw without a mask), as the bootstrap of those rows."""
    X = _data(200, seed=17)
    X[::20] = np.nan
    keep = ~np.isnan(X).all(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(2, covariance_type="full", missing="marginalize", random_state=0).fit(X)
        for method in ("nonparametric", "parametric"):
            a = bootstrap(model, X, n_boot=2, method=method, random_state=1, n_jobs=1, max_iter=5)
            b = bootstrap(model, X[keep], n_boot=2, method=method, random_state=1, n_jobs=1, max_iter=5)
            _same(a, b)
            assert not np.isnan(a.log_likelihoods).any()


@pytest.mark.parametrize("kind", ["student", "poisson"])
def test_kinds_resample_read_in_place_is_the_copy_bit_for_bit(monkeypatch, kind):
    """A Student-t or Poisson mixture's nonparametric resample read in place (_ResampledRows of the drawn row
    numbers) gives the copy's replicates; the fit reads it in blocks of rows, never row by row."""
    X = _data(400, seed=9)
    if kind == "poisson":
        X = np.random.default_rng(10).poisson(np.abs(X) + 1.0).astype(float)
    keys = []
    real_getitem = BK._ResampledRows.__getitem__
    monkeypatch.setattr(BK._ResampledRows, "__getitem__",
                        lambda self, key: keys.append(key) or real_getitem(self, key))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cls = StudentTMixture if kind == "student" else PoissonMixture
        model = cls(3, random_state=0, max_iter=20).fit(X)
        out = []
        for copy_bytes in (1 << 62, 0):
            monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", copy_bytes)
            out.append(bootstrap_kind(model, X, n_boot=2, random_state=3, n_jobs=1, max_iter=4))
    _same(*out)
    assert keys and not any(isinstance(key, (int, np.integer)) for key in keys)


def test_weighted_scores_read_the_positive_rows_in_place():
    """select_model's scores with zero weights (missing cells too) are the positive rows' bit for bit."""
    X = _data(500, seed=11)
    w = _zero_weights(500, seed=12)
    X[w == 0] = 1e200
    Xm = X.copy()
    Xm[np.random.default_rng(13).random(X.shape) < 0.1] = np.nan
    keep = w > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for data, missing in ((X, "error"), (Xm, "marginalize")):
            model = GaussianMixture(3, missing=missing, random_state=0).fit(data, sample_weight=w)
            assert model._scores(data, w) == model._scores(data[keep], w[keep])


def test_weighted_scores_hold_no_copy_of_the_positive_rows():
    """_scores(X, w) on 60,000 x 4 rows, 10 % of weight 0, against the same rows with every weight positive: at
    most 8 bytes per row more (0.48 MB; row numbers and the positive weights).  Measured: 4.18 against 3.96 MB; the
    copying code took 5.56 MB (its copy of the positive rows alone: 1.7 MB)."""
    n, d = 60_000, 4
    X = _data(n, d=d, seed=14)
    w = _zero_weights(n, seed=15)
    X[w == 0] = 1e200
    Xc, wc = X.copy(), np.where(w == 0, 1.0, w)
    Xc[w == 0] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(3, covariance_type="full", random_state=0, max_iter=5).fit(X[:2000], w[:2000])
    model._scores(X[:500], w[:500])  # imports and caches outside the measure
    with_zeros, _ = peak(model._scores, X, w)
    reference, _ = peak(model._scores, Xc, wc)
    assert with_zeros - reference <= 8 * n, (with_zeros, reference)


def test_bootstrap_holds_no_resample_copy(monkeypatch, engine_path):
    """One replicate of one iteration on 60,000 x 4 rows with the resample read in place: the peak stays below
    the copying path's (the previous code's) by most of the copy (8 n d = 1.92 MB; the row numbers take
    4 n = 0.24 MB).  Measured: 9.91 MB in place, 11.59 MB copied (the previous code: 11.59 MB both ways)."""
    n, d = 60_000, 4
    X = _data(n, d=d, seed=16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(3, covariance_type="full", random_state=0, max_iter=5).fit(X[:2000])
        bootstrap(model, X[:500], n_boot=1, random_state=0, n_jobs=1, max_iter=1)  # imports outside the measure
        peaks = []
        for copy_bytes in (1 << 62, 0):
            monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", copy_bytes)
            peaks.append(peak(lambda: bootstrap(model, X, n_boot=1, random_state=0, n_jobs=1, max_iter=1))[0])
    copied, in_place = peaks
    assert in_place <= copied - 0.75 * 8 * n * d, peaks
