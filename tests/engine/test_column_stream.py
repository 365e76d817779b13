"""The column checks' and standardiser's statistics read in row blocks (engine/_colstats.py; issue 16 items 2/5):
the same bits as the contiguous column copy with np.median / np.percentile / np.mean, and no copy of the column."""

from __future__ import annotations

import numpy as np
import pytest

import emdesk.engine._colstats as C
import emdesk.engine._core as core
from emdesk.engine import MixedMixture, StudentTMixture
from emdesk.engine._core import Standardizer
from emdesk.engine._validation import check_columns
from emdesk.engine.families._blocks import column_standardizer
from tests.memory_peak import peak


class _Values:
    def __init__(self, x, step=37):
        self.x, self.step = x, step

    def blocks(self):
        for s in range(0, self.x.size, self.step):
            yield self.x[s:s + self.step]

    def order_statistics(self, m, ranks):
        return C.order_statistics(self.blocks, m, ranks)


@pytest.fixture
def small_blocks(monkeypatch):
    """Every path of the streamed statistics on a few rows: read 50 rows at a time, gather at most 40
    values, cut the spread's blocks every 23 values."""
    monkeypatch.setattr(C, "READ_ROWS", 50)
    monkeypatch.setattr(C, "GATHER_VALUES", 40)
    monkeypatch.setattr(core, "_COL_BLOCK", 23)
    return monkeypatch


def _data(seed, n):
    rng = np.random.default_rng(seed)
    X = np.column_stack([
        rng.standard_cauchy(n) * 1e3 + 5e5,                  # heavy tails far from 0
        np.round(rng.normal(size=n) * 3) / 4,                 # many ties, both signs
        np.where(rng.random(n) < 0.6, 2.0, 7.0),              # two values: quartiles equal (5/95 percentiles)
        np.where(rng.random(n) < 0.97, 1.5, rng.normal(size=n)),  # quartiles and 5/95 equal: least deviation
        np.full(n, -3.25),                                    # constant
    ])
    X[rng.random(X.shape) < 0.15] = np.nan
    return X


@pytest.mark.parametrize("seed,n", [(0, 2), (1, 9), (2, 130), (3, 401), (4, 1000)])
@pytest.mark.parametrize("weighted", [False, True])
def test_streamed_checks_and_standardiser_equal_the_copies(small_blocks, seed, n, weighted):
    X = _data(seed, n)
    w = None
    if weighted:
        w = np.random.default_rng(seed).random(n)
        w[::3] = 0.0
    small_blocks.setattr(C, "STREAM_ROWS", 10**12)
    c0, m0 = check_columns(X, w)
    s0 = Standardizer.from_data(X, None, "diag", medians=m0)
    s0b = Standardizer.from_data(X, None, "full")
    f0 = column_standardizer(X, "full")
    small_blocks.setattr(C, "STREAM_ROWS", 0)
    c1, m1 = check_columns(X, w)
    s1 = Standardizer.from_data(X, None, "diag", medians=m1)
    s1b = Standardizer.from_data(X, None, "full")
    f1 = column_standardizer(X, "full")
    assert c0 == c1
    assert np.array_equal(m0, m1, equal_nan=True)
    assert (m0 + 0.0).tobytes() == (m1 + 0.0).tobytes()
    for a, b in ((s0, s1), (s0b, s1b), (f0, f1)):
        # + 0.0: a median among zeros of both signs may be either (NumPy's partition decides; _colstats)
        assert (a.shift + 0.0).tobytes() == (b.shift + 0.0).tobytes()
        assert a.scale.tobytes() == b.scale.tobytes()
        assert a.data_var.tobytes() == b.data_var.tobytes()


def test_streamed_checks_raise_the_same_errors(small_blocks):
    X = _data(5, 300)[:, :2].copy()
    X[7, 1] = 1e200
    small_blocks.setattr(C, "STREAM_ROWS", 0)
    with pytest.raises(ValueError, match="far as 1e\\+200"):
        check_columns(X)
    X[7, 1] = 1e12
    with pytest.raises(ValueError, match="range too wide"):
        check_columns(X)


def test_order_statistics_are_the_elements(small_blocks):
    rng = np.random.default_rng(7)
    for x in (rng.normal(size=500), np.repeat(rng.normal(size=5), 100), np.full(300, 2.5),
              np.r_[np.full(200, -1.0), rng.normal(size=50) * 1e-300, np.full(200, 1e300)],
              rng.integers(-3, 4, size=333).astype(float)):
        s = np.sort(x)
        ranks = [0, 1, x.size // 4, x.size // 2, x.size - 2, x.size - 1]
        got = _Values(x).order_statistics(x.size, ranks)
        assert [got[r] for r in ranks] == [float(s[r]) for r in ranks]


def test_median_percentiles_and_mean_are_numpys_bits(small_blocks):
    rng = np.random.default_rng(8)
    for m in list(range(1, 60)) + [127, 128, 129, 4095, 4097, 9001]:
        x = rng.standard_cauchy(m) * 1e4 + 1e7
        v = _Values(x)
        assert C.median(v, m) == float(np.median(x))
        q = [5.0, 25.0, 50.0, 75.0, 95.0]
        assert C.percentiles(v, m, q) == [float(p) for p in np.percentile(x, q)]
        r = C.ColumnReader(x.reshape(-1, 1), 0)
        assert C.mean(r, m) == float(np.mean(x))


def test_fits_are_the_same_bits_streamed(small_blocks):
    """StudentTMixture and MixedMixture fits whose columns are read in blocks equal those of the copies."""
    rng = np.random.default_rng(3)
    n = 600
    lab = rng.integers(3, size=n)
    X = np.array([[0.0, 0.0], [6.0, 1.0], [-5.0, 4.0]])[lab] + rng.normal(size=(n, 2)) + 1e3
    M = np.column_stack([X, (lab + rng.integers(0, 2, size=n)) % 3])

    def fits():
        t = StudentTMixture(3, max_iter=5, tol=0, random_state=0).fit(X)
        mx = MixedMixture(3, categorical_columns=[2], max_iter=5, tol=0, random_state=0).fit(M)
        return t, mx

    small_blocks.setattr(C, "STREAM_ROWS", 10**12)
    t0, x0 = fits()
    small_blocks.setattr(C, "STREAM_ROWS", 0)
    t1, x1 = fits()
    for a, b in ((t0, t1), (x0, x1)):
        assert a.means_.tobytes() == b.means_.tobytes()
        assert a.weights_.tobytes() == b.weights_.tobytes()
        assert a.log_likelihood_ == b.log_likelihood_


def test_no_copy_of_the_column(monkeypatch):
    """200,000 rows x 2 (1.6 MB per column): the copying path's peak is above one column's copy, the streamed
    one stays within its blocks (4,096 rows read and per block of the spread, 8,192 values gathered)."""
    monkeypatch.setattr(C, "READ_ROWS", 4096)
    monkeypatch.setattr(core, "_COL_BLOCK", 4096)
    monkeypatch.setattr(C, "GATHER_VALUES", 8192)
    rng = np.random.default_rng(4)
    n = 200_000
    X = rng.normal(size=(n, 2)) * [1.0, 50.0]
    X[rng.random(n) < 0.1, 0] = np.nan

    def both():
        check_columns(X)
        column_standardizer(X, "full")
        Standardizer.from_data(X, None, "diag")

    monkeypatch.setattr(C, "STREAM_ROWS", 10**12)
    copied, _ = peak(both)
    monkeypatch.setattr(C, "STREAM_ROWS", 0)
    streamed, _ = peak(both)
    assert copied > 8 * n
    assert streamed < 8 * n / 3
