"""Issue 16, item 2: ``init_params="hierarchical"`` reads the start matrix (standardised rows, one-hot
codes) per block and at the tree's subsample only, never an (n, width) copy; the labels are those of the
code before (kept here), which copied the rows taking part and counted their distinct rows whole."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import emdesk.engine.hierarchical as hier
from emdesk.engine import CategoricalHMM, GaussianMixture, PoissonHMM
from emdesk.engine.families import CategoricalFamily, LatentClassFamily, PoissonFamily, StudentTFamily
from emdesk.engine.init import _check, _hierarchical, initial_assignment


def _old_hierarchical(Z, k, w, rng, interrupt):
    """emdesk.engine.init._hierarchical before issue 16's item 2."""
    from emdesk.engine.hierarchical import hierarchical_tree, quantile_labels

    def check():
        _check(interrupt)

    check()
    rows = np.arange(Z.shape[0]) if w is None else np.flatnonzero(w > 0)
    Zr = Z[rows]
    n_distinct = len(np.unique(Zr, axis=0))
    if k > n_distinct:
        raise ValueError(
            f"init_params='hierarchical' needs at least n_components={k} distinct rows; the data have "
            f"{n_distinct}.")
    if Zr.shape[1] == 1:
        labels = quantile_labels(Zr[:, 0], k)
    else:
        labels = hierarchical_tree(Zr, max_points=hier.MAX_POINTS, random_state=rng, check=check).labels(k)
    out = np.full(Z.shape[0], -1, dtype=np.intp)
    out[rows] = labels
    return out


def _sources(rng, n):
    """(name, family, X): the start matrices of the families (row sources made when read)."""
    lab = rng.integers(0, 3, n)
    num = rng.normal(size=(n, 3)) + 3.0 * lab[:, None] + 20.0
    num[rng.random(num.shape) < 0.1] = np.nan
    num[np.isnan(num).all(axis=1), 0] = 20.0
    counts = rng.poisson(np.array([1.0, 4.0, 9.0])[lab][:, None] * np.ones(2)).astype(float)
    codes = np.where(rng.random((n, 3)) < 0.6, lab[:, None], rng.integers(0, 4, (n, 3))).astype(float)
    return [
        ("poisson", PoissonFamily(), counts),
        ("poisson_1col", PoissonFamily(), counts[:, :1]),
        ("categorical", CategoricalFamily(), codes[:, :1]),
        ("latent_class", LatentClassFamily(missing="marginalize"), codes),
        ("student_t", StudentTFamily("diag", missing="marginalize"), num),
    ]


@pytest.mark.parametrize("max_points", [5000, 150])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("case", range(5))
def test_hierarchical_labels_unchanged(case, weights, max_points, monkeypatch):
    monkeypatch.setattr(hier, "MAX_POINTS", max_points)
    rng = np.random.default_rng(case)
    name, fam, X = _sources(rng, 700)[case]
    data = fam.bind(X, 3)
    w = None
    if weights:
        w = rng.random(700)
        w[rng.random(700) < 0.3] = 0.0
    new = _hierarchical(fam.init_matrix(data), 3, w, np.random.default_rng(4), None)
    Zold = fam.init_matrix(data)
    Zold = Zold if isinstance(Zold, np.ndarray) else Zold.materialise() if hasattr(Zold, "materialise") \
        else Zold[np.arange(700)]
    old = _old_hierarchical(Zold, 3, w, np.random.default_rng(4), None)
    np.testing.assert_array_equal(new, old)


def test_gaussian_mixture_hierarchical_unchanged(monkeypatch):
    """GaussianMixture's start matrix (standardised rows made when read), subsampled tree."""
    monkeypatch.setattr(hier, "MAX_POINTS", 200)
    X = np.random.default_rng(1).normal(size=(900, 2)) * [1.0, 30.0] + 5.0
    X[:300] += 4.0
    import emdesk.engine.init as init

    new = GaussianMixture(3, init_params="hierarchical", random_state=2, max_iter=5).fit(X)
    monkeypatch.setattr(init, "_hierarchical", lambda Z, k, w, rng, i: _old_hierarchical(
        Z if isinstance(Z, np.ndarray) else Z[np.arange(Z.shape[0])], k, w, rng, i))
    old = GaussianMixture(3, init_params="hierarchical", random_state=2, max_iter=5).fit(X)
    np.testing.assert_array_equal(new.means_, old.means_)
    np.testing.assert_array_equal(new.covariances_, old.covariances_)


def test_too_few_distinct_rows_message_unchanged():
    Z = np.repeat(np.eye(3)[:2], 50000, axis=0)  # 100,000 rows, 2 distinct
    with pytest.raises(ValueError, match="needs at least n_components=3 distinct rows; the data have 2"):
        _hierarchical(Z, 3, None, np.random.default_rng(0), None)
    with pytest.raises(ValueError, match="the data have 2"):
        PoissonHMM(3, init_params="hierarchical", random_state=0).fit(np.repeat([[1.0], [5.0]], 300, axis=0))


def test_hierarchical_hmm_fits():
    rng = np.random.default_rng(3)
    z = np.repeat(rng.integers(3, size=40), 25)
    S = np.where(rng.random(1000) < 0.8, z, rng.integers(4, size=1000))[:, None].astype(float)
    m = CategoricalHMM(3, init_params="hierarchical", random_state=0, max_iter=20).fit(S)
    assert np.isfinite(m.log_likelihood_)


def test_hierarchical_start_holds_no_copy_of_the_rows(monkeypatch):
    """A categorical column of 8 symbols at 300,000 rows (the tree on 300 of them; at the default 5,000 its
    pair costs, 200 MB, are the start's largest part): the one-hot start matrix is 19.2 MB; the old start
    copied it whole (and sorted it for the distinct rows); now the peak is a few bytes per row."""
    monkeypatch.setattr(hier, "MAX_POINTS", 300)
    n, m = 300_000, 8
    rng = np.random.default_rng(0)
    S = rng.integers(0, m, n).astype(float)[:, None]
    fam = CategoricalFamily()
    data = fam.bind(S, 3)

    def peak(fn):
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        p = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        del out
        return p

    new = peak(lambda: initial_assignment("hierarchical", fam.init_matrix(data), 3, None, np.random.default_rng(0)))
    old = peak(lambda: _old_hierarchical(fam.init_matrix(data), 3, None, np.random.default_rng(0), None))
    width_bytes = 8 * n * m
    assert old > width_bytes, old
    assert new < 0.5 * width_bytes, (new, old)
