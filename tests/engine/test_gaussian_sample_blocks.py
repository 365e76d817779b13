"""GaussianMixture's draws in row blocks and its parametric resample read through the permutation (issue 16,
tenth session).

``sample`` wrote every component's normal numbers and their product whole, then concatenated the parts;
``emdesk.engine._gaussian_sample.sample_rows`` writes them into the result a block of rows at a time.  A
parametric bootstrap replicate permuted a copy of the simulated rows (``Xb[rng.permutation(n)]``); above
``RESAMPLE_COPY_BYTES`` (0 here) it reads them through the permutation's 4-byte numbers.  Every comparison has
tolerance 0 against the previous code (kept below).  Small data: each test well under a second."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

import emdesk.engine._blas as BL
import emdesk.engine._gaussian_sample as GS
from emdesk.engine import GaussianMixture, _bootstrap_em, bootstrap, bootstrap_kinds as BK
from emdesk.engine._blas import matmul
from emdesk.engine._zero_weight import PositiveRows
from emdesk.engine._core import full_covariances

B = importlib.import_module("emdesk.engine.bootstrap")


def _data(n, d=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0] * d, [5.0] * d, [-5.0, 5.0] + [0.0] * (d - 2)])
    return centres[rng.integers(0, 3, size=n)] + rng.normal(size=(n, d))


def _old_sample(model, n, seed):
    """The previous ``GaussianMixture.sample``: each component's draw whole, the parts concatenated."""
    rng = np.random.default_rng(seed)
    k, d = model.means_.shape
    counts = rng.multinomial(n, model.weights_ / model.weights_.sum())
    full = full_covariances(model.covariances_, model._layout(), k, d)
    parts = [model.means_[j] + matmul(rng.standard_normal((counts[j], d)), np.linalg.cholesky(full[j]).T)
             for j in range(k) if counts[j]]
    return np.concatenate(parts, axis=0), np.repeat(np.arange(k), counts), rng.random()


@pytest.mark.parametrize("covariance_type", ["full", "diag", "tied", "spherical"])
def test_sample_in_blocks_is_the_whole_draw_bit_for_bit(monkeypatch, covariance_type):
    X = _data(400, d=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(3, covariance_type=covariance_type, random_state=0, max_iter=10).fit(X)
    monkeypatch.setattr(BL, "ONE_THREAD_GEMM", 16 * 64)  # products of 64 rows (MIN_SUB_ROWS): a few per block
    old_X, old_labels, old_next = _old_sample(model, 1000, 7)
    for block_bytes in (1, 8 * 4 * 64 * 3, GS.SAMPLE_BLOCK_BYTES):  # blocks of 64, 192 and all rows
        monkeypatch.setattr(GS, "SAMPLE_BLOCK_BYTES", block_bytes)
        rng = np.random.default_rng(7)
        new_X, new_labels = model.sample(1000, random_state=rng)
        assert np.array_equal(new_X, old_X) and np.array_equal(new_labels, old_labels)
        assert rng.random() == old_next  # the generator left where the whole draw left it


def test_permutation_rows_are_numpys():
    for n in (1, 2, 7, 1000):
        a, b = np.random.default_rng(n), np.random.default_rng(n)
        rows = GS.permutation_rows(a, n)
        assert rows.dtype == np.int32 and np.array_equal(rows, b.permutation(n))
        assert a.random() == b.random()


@pytest.mark.parametrize("missing", [False, True])
def test_parametric_resample_read_in_place_is_the_copy_bit_for_bit(monkeypatch, missing):
    X = _data(300)
    if missing:
        X[np.random.default_rng(3).random(X.shape) < 0.1] = np.nan
    monkeypatch.setattr(_bootstrap_em, "MAX_REPLICATE_BYTES", 0)  # every replicate refitted by the engine
    given = []
    real = B._refit
    monkeypatch.setattr(B, "_refit", lambda model, Xb, *a, **kw: given.append(Xb) or real(model, Xb, *a, **kw))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(3, random_state=0, max_iter=20,
                                missing="marginalize" if missing else "error").fit(X)
        out = []
        for copy_bytes in (1 << 62, 0):  # the permuted copy (the previous code), then read in place
            monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", copy_bytes)
            out.append(bootstrap(model, X, n_boot=3, method="parametric", random_state=4, n_jobs=1, max_iter=5))
    a, b = out
    assert np.array_equal(a.log_likelihoods, b.log_likelihoods)
    assert np.array_equal(a.permutations, b.permutations)
    for key in a.replicates:
        assert np.array_equal(a.replicates[key], b.replicates[key]), key
    assert len(given) == 6 and all(isinstance(x, np.ndarray) for x in given[:3])
    assert all(isinstance(x, PositiveRows) and x.rows.dtype == np.int32 for x in given[3:])
    if missing:  # the copy's missing cells, where X has them
        assert all(np.array_equal(np.isnan(np.asarray(x)), np.isnan(X)) for x in given[3:])


def test_sample_holds_the_result_and_one_block(monkeypatch):
    """Peak beyond the model: the rows and labels returned and one block's numbers (the previous code held the
    parts and their concatenation, twice the rows, and a component's normal numbers and product beside them)."""
    from tests.memory_peak import peak

    model = GaussianMixture(3, random_state=0, max_iter=10).fit(_data(400, d=4))
    monkeypatch.setattr(BL, "ONE_THREAD_GEMM", 16 * 64)
    monkeypatch.setattr(GS, "SAMPLE_BLOCK_BYTES", 1)  # blocks of one product's rows (64)
    held, (Xs, labels) = peak(model.sample, 20_000, 5)
    assert held < 1.1 * (Xs.nbytes + labels.nbytes)  # 1.8 before
