"""Rows with sample_weight 0 do not count (issue 16's leftover item 4).

A fit with some weights 0 equals the fit on the rows with positive weight (the same random_state), whatever
those rows hold: values near 1e200 (whose squares overflow, and 0 x inf is NaN) or NaN cells and rows with
no value.  Before the fix, every such fit failed with a "not positive definite" or "log-likelihood became
nan" message.  The rows still get answers after the fit (predict, predict_proba, score_samples, the
snapshots' responsibilities), never NaN.  Bad weights (all 0, negative, NaN, inf, a sum that overflows)
raise a ValueError.  Small data: each test well under a second."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emdesk import engine
from emdesk.engine import GaussianMixture, _fitdata, _missing, _threads, bootstrap, select_model
from emdesk.engine import covariance_models as cm
from emdesk.engine._core import Layout

HUGE = 1e200


def _data(n=120, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + 4.0 * rng.integers(0, 2, size=(n, 1))
    w = rng.uniform(0.5, 2.0, size=n)
    return X, w


def _poison(X, w, rows, value=HUGE):
    """Rows ``rows`` get weight 0 and the value ``value`` in every cell (a copy)."""
    X, w = X.copy(), w.copy()
    X[rows] = value
    w[rows] = 0.0
    return X, w


def _pair(X, w, **params):
    """(fit with the zero-weight rows, fit on the positive rows alone)."""
    keep = w > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="raise"):  # no overflow or 0 x inf anywhere in the fit
            a = GaussianMixture(**params).fit(X, sample_weight=w)
        b = GaussianMixture(**params).fit(X[keep], sample_weight=w[keep])
    return a, b


def _assert_same_fit(a, b, tol=1e-10):
    for name in ("weights_", "means_", "covariances_"):
        x, y = getattr(a, name), getattr(b, name)
        np.testing.assert_allclose(x, y, rtol=tol, atol=tol * max(1.0, float(np.max(np.abs(y)))), err_msg=name)
    assert a.n_iter_ == b.n_iter_
    assert a.converged_ == b.converged_
    assert a.best_restart_ == b.best_restart_
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=tol, abs=tol)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=tol, abs=tol)
    assert a.n_samples_ == pytest.approx(b.n_samples_, rel=1e-15)
    np.testing.assert_allclose(a.restart_log_likelihoods_, b.restart_log_likelihoods_, rtol=tol)
    np.testing.assert_allclose(a.data_variances_, b.data_variances_, rtol=1e-12)
    assert a.column_notes_ == b.column_notes_


def test_the_reported_reproducer_fits():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    X[:2] = HUGE
    w = np.ones(200)
    w[:2] = 0
    a, b = _pair(X, w, n_components=2, covariance_type="diag", random_state=0)
    _assert_same_fit(a, b)


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("value", [HUGE, -HUGE, 1e-300])
def test_sklearn_types_equal_the_fit_on_positive_rows(ct, value):
    X, w = _poison(*_data(), [0, 7, 50], value)
    a, b = _pair(X, w, n_components=2, covariance_type=ct, random_state=0, n_init=2)
    _assert_same_fit(a, b)


MCLUST = sorted(set(cm.MODEL_NAMES))


@pytest.mark.parametrize("model", MCLUST)
def test_mclust_models_equal_the_fit_on_positive_rows(model):
    X, w = _poison(*_data(n=60, d=2, seed=1), [3, 30])
    a, b = _pair(X, w, n_components=2, covariance_type=model, random_state=0, max_iter=15)
    _assert_same_fit(a, b)


def test_one_feature_models():
    X, w = _data(n=60, d=1, seed=2)
    X, w = _poison(X, w, [1, 2])
    for model in ("E", "V"):
        _assert_same_fit(*_pair(X, w, n_components=2, covariance_type=model, random_state=0))


@pytest.mark.parametrize("init", ["kmeans++", "kmeans", "random", "random_from_data", "hierarchical", "emEM"])
def test_every_init_params(init):
    X, w = _poison(*_data(n=80, seed=3), [0, 40, 79])
    a, b = _pair(X, w, n_components=2, covariance_type="full", init_params=init, n_init=2, random_state=5,
                 max_iter=30)
    _assert_same_fit(a, b)


def test_given_starting_values_and_relative_settings():
    X, w = _poison(*_data(seed=4), [5])
    _assert_same_fit(*_pair(X, w, n_components=2, covariance_type="full", weights_init=[0.5, 0.5],
                            means_init=[[0, 0], [4, 4]], random_state=0, tol="relative",
                            reg_covar="relative"))


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
def test_blocked_and_threaded_passes(ct, monkeypatch):
    """Blocks of 32 rows, no feature cache, shards of 2048 rows on two threads (4,500 rows: 3 shards)."""
    monkeypatch.setattr(Layout, "block_rows", lambda self, k: 32)
    monkeypatch.setattr(_fitdata, "FIT_CACHE_BYTES", 0)
    monkeypatch.setattr(_fitdata, "MIN_SHARD_ROWS", 2048)
    monkeypatch.delenv(_threads.ENV_VARIABLE, raising=False)
    try:
        engine.set_num_threads(2)
        X, w = _data(n=4600, seed=5)
        X, w = _poison(X, w, np.arange(0, 4600, 37))
        a, b = _pair(X, w, n_components=2, covariance_type=ct, random_state=0, max_iter=5, tol=0)
    finally:
        engine.set_num_threads(None)
    _assert_same_fit(a, b)


@pytest.mark.parametrize("ct", ["full", "diag"])
def test_missing_values_in_and_beside_zero_weight_rows(ct, monkeypatch):
    monkeypatch.setattr(_missing, "missing_fit_block_rows", lambda k, d: 17)
    X, w = _data(n=120, d=3, seed=6)
    rng = np.random.default_rng(7)
    X[rng.random(X.shape) < 0.1] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0
    X, w = _poison(X, w, [2, 9, 11, 60])
    X[9, 1] = np.nan  # a huge row with a missing cell
    X[11] = np.nan  # a row with no value, of weight 0
    X[60, :2] = np.nan  # one huge value, the rest missing
    X[70] = np.nan  # a row with no value, positive weight
    a, b = _pair(X, w, n_components=2, covariance_type=ct, random_state=0, missing="marginalize", n_init=2)
    _assert_same_fit(a, b)
    assert a.n_rows_all_missing_ == b.n_rows_all_missing_ == 1


def test_a_column_constant_on_the_positive_rows_is_noted():
    X, w = _data(n=80, d=3, seed=8)
    X[:, 2] = 5.0
    X, w = _poison(X, w, [4])
    X[10, 2] = 7.0
    w[10] = 0.0
    a, b = _pair(X, w, n_components=2, covariance_type="full", random_state=0)
    _assert_same_fit(a, b)
    assert a.column_notes_ and a.data_variances_[2] == 0.0


def test_too_few_rows_counts_the_positive_rows():
    X, w = _poison(*_data(n=10, seed=9), np.arange(8))
    with pytest.raises(ValueError, match="at most 2 components"):
        GaussianMixture(3, random_state=0).fit(X, sample_weight=w)


def test_answers_for_the_zero_weight_rows_after_the_fit():
    X, w = _poison(*_data(seed=10), [0, 1])
    X[1] = [1e3, -1e3]  # a far row that is not overflowing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(2, covariance_type="full", random_state=0)
        labels = gm.fit_predict(X, sample_weight=w)
        P = gm.predict_proba(X)
        ll = gm.score_samples(X)
    assert labels.shape == (len(X),) and P.shape == (len(X), 2)
    assert not np.isnan(P).any() and np.allclose(P.sum(axis=1), 1.0)
    assert not np.isnan(ll).any() and np.all(ll[:2] < -1e5)
    np.testing.assert_array_equal(labels, np.argmax(P, axis=1))


@pytest.mark.parametrize("missing", ["error", "marginalize"])
def test_snapshot_responsibilities_cover_every_row(missing):
    X, w = _poison(*_data(seed=11), [3, 8])
    if missing == "marginalize":
        X[8, 0] = np.nan
    keep = w > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="raise"):
            snaps = list(GaussianMixture(2, random_state=0, max_iter=5, missing=missing)
                         .fit_iter(X, sample_weight=w, responsibilities=True))
        ref = list(GaussianMixture(2, random_state=0, max_iter=5, missing=missing)
                   .fit_iter(X[keep], sample_weight=w[keep], responsibilities=True))
    assert len(snaps) == len(ref)
    for s, r in zip(snaps, ref):
        R = s.responsibilities
        assert R.shape == (len(X), 2) and not R.flags.writeable
        np.testing.assert_allclose(R[keep], r.responsibilities, rtol=1e-12, atol=1e-14)
        assert not np.isnan(R).any() and np.allclose(R.sum(axis=1), 1.0)
        np.testing.assert_allclose(R[~keep], s.to_model().predict_proba(X[~keep]), rtol=1e-12, atol=1e-14)


def test_select_model_equals_the_sweep_on_positive_rows():
    X, w = _poison(*_data(n=80, seed=12), [0, 20])
    keep = w > 0
    kw = dict(n_components=[1, 2], covariance_types=["full", "diag"], n_init=2, random_state=0, n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="raise"):
            a = select_model(X, sample_weight=w, **kw)
        b = select_model(X[keep], sample_weight=w[keep], **kw)
    assert [r.error for r in a.table] == [None] * 4
    for ra, rb in zip(a.table, b.table):
        for name in ("log_likelihood", "bic", "aic", "icl"):
            assert getattr(ra, name) == pytest.approx(getattr(rb, name), rel=1e-10)
    assert a.best_row.index == b.best_row.index and a.notes == b.notes


@pytest.mark.parametrize("method", ["nonparametric", "weighted"])
def test_bootstrap_equals_the_bootstrap_of_positive_rows(method):
    X, w = _poison(*_data(n=80, seed=13), [0, 33])
    keep = w > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X, sample_weight=w)
        with np.errstate(all="raise"):
            a = bootstrap(gm, X, n_boot=4, method=method, random_state=1, n_jobs=1, sample_weight=w)
        b = bootstrap(gm, X[keep], n_boot=4, method=method, random_state=1, n_jobs=1, sample_weight=w[keep])
    assert a.n_failed == b.n_failed == 0
    for key in ("weights", "means", "covariances"):
        np.testing.assert_allclose(a.replicates[key], b.replicates[key], rtol=1e-10, atol=1e-12)


def test_criteria_with_weights_leave_zero_weight_rows_out():
    X, w = _poison(*_data(seed=14), [6])
    keep = w > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(2, random_state=0).fit(X, sample_weight=w)
    with np.errstate(all="raise"):
        a = gm._scores(X, w)
    b = gm._scores(X[keep], w[keep])
    for name in ("n", "log_likelihood", "bic", "aic", "icl"):
        assert a[name] == pytest.approx(b[name], rel=1e-12)


def test_missing_error_still_refuses_nan_in_a_zero_weight_row():
    """missing="error" checks X as given (predict(X) would refuse the row too)."""
    X, w = _poison(*_data(seed=18), [4])
    X[4, 0] = np.nan
    with pytest.raises(ValueError, match="missing"):
        GaussianMixture(2, random_state=0).fit(X, sample_weight=w)


def test_the_prior_refuses_weights_clearly():
    X, w = _poison(*_data(seed=15), [0])
    with pytest.raises(ValueError, match="does not take sample_weight"):
        GaussianMixture(2, covariance_type="VVV", prior="default", random_state=0).fit(X, sample_weight=w)


@pytest.mark.parametrize("bad, message", [
    (lambda n: np.zeros(n), "sums to 0"),
    (lambda n: np.r_[-1.0, np.ones(n - 1)], "negative"),
    (lambda n: np.r_[np.nan, np.ones(n - 1)], "NaN or infinite"),
    (lambda n: np.r_[np.inf, np.ones(n - 1)], "NaN or infinite"),
    (lambda n: np.full(n, 1e308), "overflow"),
    (lambda n: np.ones(n - 1), "one value per row"),
])
def test_bad_weights_raise_a_clear_value_error(bad, message):
    X, _ = _data(n=20, seed=16)
    with pytest.raises(ValueError, match=message):
        GaussianMixture(2, random_state=0).fit(X, sample_weight=bad(len(X)))
    with pytest.raises(ValueError, match=message):
        select_model(X, n_components=[1], covariance_types=["diag"], n_jobs=1, sample_weight=bad(len(X)))



def test_too_many_components_for_the_positive_rows_says_the_weights_count():
    """60 rows, one of positive weight: the refusal counts the rows of positive weight and says so (it read
    'the number of rows with data (1)' beside a 60-row X; newcomer, 1 Dec)."""
    X = np.random.default_rng(0).normal(size=(60, 2))
    w = np.zeros(60)
    w[0] = 1.0
    with pytest.raises(ValueError, match=r"rows with data and a positive sample_weight \(1\): choose at most 1"):
        GaussianMixture(n_components=2, random_state=0).fit(X, sample_weight=w)
