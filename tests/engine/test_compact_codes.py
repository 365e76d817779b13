"""Issue 16, items 2/5: the categorical and mixed mixtures hold their category codes compactly
(:class:`emdesk.engine.families._codes.CodedRows`: 1 byte per cell up to 254 categories, numeric columns
read from X itself) instead of a float64 copy of X, with the same results bit for bit."""

from __future__ import annotations


import numpy as np
import pytest

import emdesk.engine._fitdata as fitdata
import emdesk.engine.families._blocks as blocks
from emdesk.engine import CategoricalMixture, MixedMixture, encode_categories
from emdesk.engine._family_mixture import _FamilyMixture
from emdesk.engine.families._codes import CodedRows, code_dtype, missing_code
from emdesk.engine.models import LatentModel, _Run
from tests.memory_peak import peak as traced_peak


class _FloatCodesLC(CategoricalMixture):
    """The previous path: X encoded into a float64 copy (NaN missing) handed to EM."""

    def _encode_for_fit(self, X):
        codes, cats = encode_categories(X, self.categories)
        self._fitting = True
        return codes, cats

    def _check_X(self, X, lengths=None, fitted=False):
        if fitted:
            X = encode_categories(X, self.categories_)[0]
        return LatentModel._check_X(self, X, lengths, fitted)


class _FloatCodesMixed(MixedMixture):
    def _to_codes(self, X, categories):
        rows, cats = super()._to_codes(X, categories)
        return np.asarray(rows), cats  # materialised: the float64 copy of before


def _text_data(rng, n, missing=True):
    lab = rng.integers(0, 3, n)
    a = np.array(["red", "green", "blue", "grey"], dtype=object)[(lab + rng.integers(0, 2, n)) % 4]
    b = ((lab + rng.integers(0, 2, n)) % 3).astype(float) * 10.0  # numbers as categories: 0, 10, 20
    c = np.array(["x", "y"], dtype=object)[(lab > 0).astype(int)]
    X = np.empty((n, 3), dtype=object)
    X[:, 0], X[:, 1], X[:, 2] = a, b, c
    if missing:
        X[rng.random(n) < 0.1, 0] = None
        X[rng.random(n) < 0.1, 1] = np.nan
        X[rng.random(n) < 0.05, 2] = ""
    return X


def _tiny_blocks(monkeypatch, rows=37):
    monkeypatch.setattr(blocks, "FAMILY_BLOCK_BYTES", 8 * 60 * rows)
    monkeypatch.setattr(_Run, "E_STEP_BLOCK_BYTES", 8 * 4 * 3 * rows)
    monkeypatch.setattr(_FamilyMixture, "SCORE_BLOCK_BYTES", 8 * 11 * rows)
    monkeypatch.setattr(fitdata, "FIT_CACHE_BYTES", 0)


def _same(ref, got, X):
    a, b = ref.get_fitted_params(), got.get_fitted_params()
    for key in a:
        if key == "categories":
            assert [list(c) for c in b[key]] == [list(c) for c in a[key]]
        elif key != "n_features_in":
            np.testing.assert_array_equal(b[key], a[key], err_msg=key)
    assert got.log_likelihood_ == ref.log_likelihood_
    assert got.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(got.predict_proba(X), ref.predict_proba(X))
    np.testing.assert_array_equal(got.score_samples(X), ref.score_samples(X))
    assert got.bic(X) == ref.bic(X)


@pytest.mark.parametrize("blocked", [False, True], ids=["one block", "37-row blocks"])
@pytest.mark.parametrize("init", ["random", "kmeans++", "hierarchical"])
def test_categorical_mixture_equals_the_float_codes_path(blocked, init, monkeypatch):
    X = _text_data(np.random.default_rng(1), 300 if init == "hierarchical" else 600)
    if blocked:
        _tiny_blocks(monkeypatch)
    kw = dict(random_state=0, max_iter=10, init_params=init, n_init=2)
    _same(_FloatCodesLC(3, **kw).fit(X), CategoricalMixture(3, **kw).fit(X), X)


@pytest.mark.parametrize("blocked", [False, True], ids=["one block", "37-row blocks"])
@pytest.mark.parametrize("kind", ["float array", "object array with text"])
def test_mixed_mixture_equals_the_float_codes_path(blocked, kind, monkeypatch):
    rng = np.random.default_rng(2)
    n = 300
    lab = rng.integers(0, 3, n)
    num = rng.normal(size=(n, 2)) + 3.0 * lab[:, None]
    num[rng.random((n, 2)) < 0.1] = np.nan
    num[np.isnan(num).all(axis=1), 0] = 1.0
    if kind == "float array":
        cat = ((lab + rng.integers(0, 2, n)) % 4).astype(float)
        cat[rng.random(n) < 0.1] = np.nan
        X = np.column_stack([num[:, 0], cat, num[:, 1]])
    else:
        X = np.empty((n, 3), dtype=object)
        X[:, 0], X[:, 2] = num[:, 0], num[:, 1]
        X[:, 1] = np.array(["a", "b", "c", "d"], dtype=object)[(lab + rng.integers(0, 2, n)) % 4]
        X[rng.random(n) < 0.1, 1] = None
    if blocked:
        _tiny_blocks(monkeypatch)
    kw = dict(categorical_columns=[1], missing="marginalize", random_state=0, max_iter=10, n_init=2)
    _same(_FloatCodesMixed(3, **kw).fit(X), MixedMixture(3, **kw).fit(X), X)


def test_coded_rows_read_as_the_float_codes():
    X = _text_data(np.random.default_rng(3), 200)
    codes, cats = encode_categories(X)
    rows = CategoricalMixture()._encode(X, None)[0]
    assert isinstance(rows, CodedRows) and rows.shape == codes.shape
    assert all(c[1].dtype == np.uint8 for c in rows._cols)
    idx = np.array([0, 5, 7, 199])
    for got, want in ((rows[10:50], codes[10:50]), (rows[idx], codes[idx]), (rows[list(idx)], codes[idx]),
                      (rows[3], codes[3]), (rows[:, 1], codes[:, 1]), (rows[idx, 2], codes[idx, 2]),
                      (rows.column(0), codes[:, 0]), (np.asarray(rows), codes)):
        np.testing.assert_array_equal(got, want)
    assert rows.nbytes_held == X.shape[0] * X.shape[1]


def test_code_dtype_keeps_a_sentinel_above_the_codes():
    assert code_dtype(0) == np.uint8 and code_dtype(254) == np.uint8 and code_dtype(255) == np.uint16
    assert code_dtype(65534) == np.uint16 and code_dtype(65535) == np.uint32
    assert missing_code(np.uint8) == 255
    # 300 categories: two bytes per cell, every code distinct from the sentinel
    X = np.arange(300, dtype=float)[np.random.default_rng(0).permutation(600) % 300]
    rows = CategoricalMixture()._encode(X, None)[0]
    assert rows._cols[0][1].dtype == np.uint16
    np.testing.assert_array_equal(rows.column(0), encode_categories(X)[0][:, 0])


def test_mixed_mixture_reads_numeric_columns_in_place():
    X = np.random.default_rng(4).normal(size=(50, 3))
    X[:, 2] = np.arange(50) % 3
    rows, _ = MixedMixture(categorical_columns=[2])._to_codes(X, None)
    assert rows._cols[0][1] is X and rows._cols[1][1] is X  # references, not copies
    assert rows.nbytes_held == 50


_peak = traced_peak  # tests/memory_peak.py


def test_peak_holds_one_byte_per_cell_not_a_float_copy(monkeypatch):
    budget = 1 << 18
    monkeypatch.setattr(blocks, "FAMILY_BLOCK_BYTES", budget)
    monkeypatch.setattr(_Run, "E_STEP_BLOCK_BYTES", budget)
    monkeypatch.setattr(_FamilyMixture, "SCORE_BLOCK_BYTES", budget)
    monkeypatch.setattr(fitdata, "FIT_CACHE_BYTES", 0)
    rng = np.random.default_rng(0)
    n, d = 40_000, 3
    S = ((rng.integers(0, 3, n)[:, None] + rng.integers(0, 2, (n, d))) % 4).astype(float)
    S[rng.random((n, d)) < 0.1] = np.nan
    fixed = 4 * budget + 1e6  # the families' blocks, the encoding's 16,384-row blocks
    peak, est = _peak(lambda: CategoricalMixture(3, max_iter=1, tol=0, random_state=0).fit(S))
    # the float codes alone were 8 * n * d = 0.96 MB; the previous code peaked at 2.5 MB here (1.1 now)
    assert peak < S.size + fixed, peak
    peak, _ = _peak(lambda: est.predict(S))
    assert peak < 8 * n + fixed, peak  # the previous code: 2.5 MB (0.9 now)
    M = np.column_stack([rng.normal(size=(n, 2)), S[:, :2]])
    peak, _ = _peak(lambda: MixedMixture(3, categorical_columns=[2, 3], max_iter=1, tol=0, random_state=0,
                                         init_params="random").fit(M))
    # one column's copy (the standardiser's median) and the categorical block's rows (some are all
    # missing there); the previous code: 4.2 MB (3.0 now)
    assert peak < 2 * 8 * n + fixed + 0.5e6, peak


# ------------------------------------------------------------- the categorical HMM's integer symbols
def test_categorical_hmm_reads_integer_symbols_without_a_float_copy(monkeypatch):
    from emdesk.engine import CategoricalHMM

    rng = np.random.default_rng(5)
    n = 30_000
    z = np.repeat(rng.integers(3, size=n // 500 + 1), 500)[:n]
    S = np.where(rng.random(n) < 0.8, z, rng.integers(4, size=n))[:, None]  # int64, hmmlearn's input
    kw = dict(n_features=4, max_iter=2, tol=0, random_state=0)
    ref = CategoricalHMM(3, **kw).fit(S.astype(float))
    got = CategoricalHMM(3, **kw).fit(S)
    np.testing.assert_array_equal(got.emissionprob_, ref.emissionprob_)
    np.testing.assert_array_equal(got.transmat_, ref.transmat_)
    assert got.score(S) == ref.score(S.astype(float))
    np.testing.assert_array_equal(got.predict(S[:500]), ref.predict(S[:500].astype(float)))
    with pytest.raises(ValueError, match="row 3 holds -1"):
        CategoricalHMM(2, **kw).fit(np.array([0, 1, -1, 2]))
    # checking and binding X (where the float64 copy was made; every fit and score starts there)
    monkeypatch.setattr(blocks, "FAMILY_BLOCK_BYTES", 1 << 15)
    peak, _ = _peak(lambda: got._bound(S, None))
    assert peak < 2 * n, peak  # the float64 copy of X alone was 8 * n (0.24 MB)
