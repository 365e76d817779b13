"""Edge cases of three engine changes of 1 Dec (a review found no fault; these keep the values):
the vectorised diag/spherical pass with missing values (``MissingData._separable_pass``) equals the
per-pattern path on degenerate shapes, and :func:`emdesk.engine._core.columns` yields what a plain
per-column scan gives, for any memory order, keep mask and NaN layout."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.engine import _missing
from emdesk.engine._core import columns


def _data(n=80, d=3, frac=0.15, off=0.0, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3, size=d) + rng.integers(0, 2, size=(n, 1)) * 3.0 + off
    X[rng.random(X.shape) < frac] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0 + off
    return X


def _single_observed_column():
    X = _data()
    X[:, 1] = np.nan
    X[5, 1] = 2.0
    return X, None


def _one_value_per_row():
    X = _data(frac=0.0)
    pick = np.random.default_rng(3).integers(0, X.shape[1], size=X.shape[0])
    X[(np.arange(X.shape[1]) != pick[:, None]) & (np.arange(X.shape[0]) % 2 == 0)[:, None]] = np.nan
    return X, None


def _zero_weights():
    X = _data()
    w = np.random.default_rng(2).uniform(0.2, 3.0, size=len(X))
    w[::3] = 0.0
    return X, w


def _rows_without_values():  # the fit reads a row subset (MissingData's rows)
    X = _data()
    X[::5] = np.nan
    return X, None


CASES = {
    "k=1": (lambda: (_data(), None), 1),
    "d=1": (lambda: (_data(d=1), None), 2),
    "one observed value in a column": (_single_observed_column, 2),
    "one observed value per row": (_one_value_per_row, 2),
    "zero weights": (_zero_weights, 2),
    "offset 1e8": (lambda: (_data(off=1e8), None), 2),
    "rows without values": (_rows_without_values, 2),
    "Fortran order": (lambda: (np.asfortranarray(_data()), None), 2),
}


def _fit(X, w, k, ct, sep, monkeypatch):
    monkeypatch.setattr(_missing, "SEPARABLE_PASS", sep)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianMixture(k, covariance_type=ct, max_iter=4, tol=0, random_state=0, n_init=1,
                               missing="marginalize").fit(X, sample_weight=w)


@pytest.mark.parametrize("ct", ["diag", "spherical"])
@pytest.mark.parametrize("case", list(CASES))
def test_separable_pass_equals_the_per_pattern_path_on_edge_cases(case, ct, monkeypatch):
    make, k = CASES[case]
    X, w = make()
    a = _fit(X, w, k, ct, False, monkeypatch)
    b = _fit(X, w, k, ct, True, monkeypatch)
    assert np.isfinite(b.lower_bound_)
    np.testing.assert_allclose(b.weights_, a.weights_, rtol=1e-10)
    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.covariances_, a.covariances_, rtol=1e-10)
    assert b.lower_bound_ == pytest.approx(a.lower_bound_, rel=1e-12)


def _plain(X, keep):
    for j in range(X.shape[1]):
        col = X[:, j] if keep is None else X[keep, j]
        ok = ~np.isnan(col)
        yield j, col[ok], None if ok.all() else ok


def _arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4)) * [1, 10, 0.1, 1e3] + [0, 5, 1e8, -3]
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:, 2] = np.nan  # an all-NaN column
    return {"C": X, "F": np.asfortranarray(X), "strided": np.repeat(X, 2, axis=1)[:, ::2], "reversed": X[::-1],
            "one row": X[:1], "one row F": np.asfortranarray(X[:1]), "(n, 1)": X[:, :1],
            "(n, 1) F": np.asfortranarray(X[:, 3:4]), "int": np.arange(12).reshape(4, 3)}


@pytest.mark.parametrize("name", list(_arrays()))
@pytest.mark.parametrize("keep_kind", ["none", "some", "no True", "one True"])
def test_columns_equals_a_plain_column_scan(name, keep_kind, monkeypatch):
    import emdesk.engine._core as core

    monkeypatch.setattr(core, "COLUMN_GROUP_BYTES", 64)  # several column groups
    X = _arrays()[name]
    n = X.shape[0]
    keep = {"none": None, "some": np.arange(n) % 3 != 0, "no True": np.zeros(n, dtype=bool),
            "one True": np.arange(n) == n - 1}[keep_kind]
    got = [(j, c.copy(), None if o is None else o.copy()) for j, c, o in columns(X, keep)]
    want = list(_plain(X, keep))
    assert [g[0] for g in got] == [r[0] for r in want]
    for (_, c, o), (_, rc, ro) in zip(got, want):
        assert c.dtype == X.dtype and np.array_equal(c, rc)
        assert (o is None) == (ro is None) and (o is None or np.array_equal(o, ro))


@pytest.mark.parametrize("n", [0, 1, 5, 20000])
def test_blas_matmul_takes_vectors_as_numpy_does(n):
    """A 1-D operand of emdesk.engine._blas.matmul: NumPy's ``@`` result at every size (a 1-D W with more
    rows than one block (16,384 here) raised a shape error; fewer gave the right vector)."""
    from emdesk.engine._blas import matmul

    rng = np.random.default_rng(0)
    A, v, u = rng.normal(size=(n, 4)), rng.normal(size=4), rng.normal(size=n)
    np.testing.assert_allclose(matmul(A, v), A @ v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(matmul(u, A), u @ A, rtol=1e-12, atol=1e-9)
    S = rng.normal(size=(2, n, 4))
    np.testing.assert_allclose(matmul(S, v), S @ v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(matmul(v, S.transpose(0, 2, 1)), v @ S.transpose(0, 2, 1), rtol=1e-12, atol=1e-12)


def test_matvec_and_vecmat_of_rows_wider_than_one_thread_gemv(monkeypatch):
    """Rows wider than OpenBLAS's one-thread GEMV size: NumPy's own loop, not one threaded call per row."""
    from emdesk.engine import _blas

    rng = np.random.default_rng(0)
    M, v, u = rng.random((7, 30)), rng.random(30), rng.random(7)
    monkeypatch.setattr(_blas, "GEMV_ELEMENTS", 20)
    calls = []
    real = np.einsum
    monkeypatch.setattr(np, "einsum", lambda *a, **kw: calls.append(a[0]) or real(*a, **kw))
    np.testing.assert_allclose(_blas.matvec(M, v), M @ v, rtol=1e-13)
    np.testing.assert_allclose(_blas.vecmat(u, M), u @ M, rtol=1e-13)
    assert calls == ["rc,c->r", "b,bc->c"]
