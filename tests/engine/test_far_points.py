"""Issue 10, item 2: no finite input gives NaN from any scoring method.

Rows whose quadratic form could overflow are scored by an overflow-free path (scaled
Mahalanobis distance accumulated as a logarithm); a row so far that every density underflows
has log-density -inf and responsibility 1 on the component nearest in the model's metric.  The
reference here is the same arithmetic in extended precision (numpy.longdouble: its exponent
reaches 1e4932, so squares of 1e308 do not overflow).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emdesk.engine import GaussianMixture

COV_TYPES = ("full", "tied", "diag", "spherical")


def _two_clusters(seed=0):
    rng = np.random.default_rng(seed)
    a = rng.multivariate_normal([0, 0], [[1.0, 0.6], [0.6, 2.0]], 200)
    b = rng.multivariate_normal([5, 5], [[3.0, -1.0], [-1.0, 0.7]], 200)
    return np.r_[a, b]


_MODELS = {}


def _model(ct):
    if ct not in _MODELS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _MODELS[ct] = GaussianMixture(2, covariance_type=ct, random_state=0).fit(_two_clusters())
    return _MODELS[ct]


def _reference_log_joint(gm, x):
    """(k,) log w_j + log N(x | mu_j, S_j) in extended precision."""
    ld = np.longdouble
    k, d = gm.means_.shape
    ct = gm.covariance_type
    pc = gm.precisions_cholesky_
    out = []
    for j in range(k):
        diff = np.asarray(x, dtype=ld) - gm.means_[j].astype(ld)
        if ct == "full":
            p = pc[j].astype(ld)
            y, logdet = diff @ p, np.sum(np.log(np.diagonal(p)))
        elif ct == "tied":
            p = pc.astype(ld)
            y, logdet = diff @ p, np.sum(np.log(np.diagonal(p)))
        elif ct == "diag":
            y, logdet = diff * pc[j].astype(ld), np.sum(np.log(pc[j].astype(ld)))
        else:
            y, logdet = diff * ld(pc[j]), d * np.log(ld(pc[j]))
        maha = np.sum(y * y)
        out.append(np.log(ld(gm.weights_[j])) + logdet - ld(0.5 * d * np.log(2 * np.pi)) - maha / 2)
    return np.array(out, dtype=ld)


def test_issue_examples():
    gm = _model("full")
    x = np.array([[1e155, 0.0]])
    assert gm.score_samples(x)[0] == -np.inf
    p = gm.predict_proba(x)
    ref = _reference_log_joint(gm, x[0])
    assert np.array_equal(p[0], np.eye(2)[int(np.argmax(ref))])
    y = np.array([[0.0, 1e155]])
    assert gm.predict(y)[0] == int(np.argmax(_reference_log_joint(gm, y[0])))
    assert not np.any(np.isnan(gm.predict_proba(y)))


coordinate = st.one_of(
    st.just(0.0),
    st.builds(lambda sign, mant, ex: sign * mant * 10.0 ** ex,
              st.sampled_from([-1.0, 1.0]), st.floats(1.0, 9.99), st.integers(-5, 307)),
    st.floats(-1e308, 1e308, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=300, deadline=None)
@given(ct=st.sampled_from(COV_TYPES), x=st.lists(coordinate, min_size=2, max_size=2))
def test_no_nan_for_any_finite_row(ct, x):
    gm = _model(ct)
    X = np.array([x, [0.0, 0.0], [5.0, 5.0]])
    ll = gm.score_samples(X)
    p = gm.predict_proba(X)
    lab = gm.predict(X)
    assert not np.any(np.isnan(ll)) and not np.any(np.isnan(p))
    assert np.all(ll < np.inf)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert np.array_equal(lab, np.argmax(p, axis=1))
    assert np.isfinite(gm.score(X[1:]))
    ref = _reference_log_joint(gm, X[0])
    top = np.max(ref)
    ref_ll = top + np.log(np.sum(np.exp(ref - top)))
    if ref_ll < -1.7e308:
        assert ll[0] == -np.inf
    else:
        assert abs(ll[0] - float(ref_ll)) <= 1e-7 * max(1.0, abs(float(ref_ll)))
    srt = np.sort(ref)
    if srt[-1] - srt[-2] > 1e-6 * max(1.0, abs(float(srt[-1]))):  # a clear winner
        assert lab[0] == int(np.argmax(ref))


@pytest.mark.parametrize("ct", COV_TYPES)
def test_far_rows_in_large_arrays_and_missing_mode(ct):
    gm = _model(ct)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5000, 2)) * 10.0 ** rng.integers(-3, 308, size=(5000, 1))
    X[::7] = rng.normal(size=(len(X[::7]), 2))
    for est in (gm, GaussianMixture.from_parameters(gm.weights_, gm.means_, gm.covariances_, ct,
                                                    missing="marginalize")):
        assert not np.any(np.isnan(est.score_samples(X)))
        p = est.predict_proba(X)
        assert not np.any(np.isnan(p))
        assert np.array_equal(est.predict(X), np.argmax(p, axis=1))


@settings(max_examples=100, deadline=None)
@given(ct=st.sampled_from(COV_TYPES), x=st.lists(st.one_of(coordinate, st.just(np.nan)), min_size=3, max_size=3))
def test_incomplete_far_rows_never_nan(ct, x):
    """Rows with missing values (missing='marginalize'): their observed coordinates may be as far
    as any finite value; the pattern E-step hands those rows to the marginal mixture's
    overflow-free path."""
    key = ("3d", ct)
    if key not in _MODELS:
        rng = np.random.default_rng(0)
        A = np.r_[rng.normal(0, 1, (200, 3)), rng.normal(5, 1, (200, 3))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _MODELS[key] = GaussianMixture(2, covariance_type=ct, random_state=0, missing="marginalize").fit(A)
    gm = _MODELS[key]
    X = np.array([x, [np.nan, 0.0, 0.0]])
    ll = gm.score_samples(X)
    p = gm.predict_proba(X)
    assert not np.any(np.isnan(ll)) and not np.any(np.isnan(p))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert np.array_equal(gm.predict(X), np.argmax(p, axis=1))
