"""A bootstrap resample drawn in row blocks (issue 16, tenth session).

The row numbers of a nonparametric replicate were drawn at once (``rng.integers(0, n, size=n)``, 8 bytes a row;
with row weights ``rng.choice(n, size=n, p=w / w.sum())``, about 33 bytes a row), a categorical or mixed
mixture's resample of codes was always a copy, and the categorical, latent-class and Poisson families sampled
every row's probabilities at once (``(n, d, m)`` floats).  Now the numbers are drawn a block at a time
(``_resample.index_blocks``), a large resample of codes is read in place (``CodedRows.resample``) and the
families sample in row blocks.  Every comparison here has tolerance 0 against NumPy's one call / the previous
code (kept here as the reference), with small blocks; the peak tests fail on the previous code.  Small data."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

from emdesk.engine import CategoricalMixture, GaussianMixture, MixedMixture, bootstrap
from emdesk.engine import _bootstrap_em, _resample, bootstrap_kinds as BK
from emdesk.engine.bootstrap_kinds import bootstrap_kind
from emdesk.engine.families import categorical as CF
from emdesk.engine.families._codes import CodedRows
from emdesk.engine.families.categorical import CategoricalFamily, LatentClassFamily
from emdesk.engine.families.poisson import PoissonFamily
from emdesk.engine.hmm import CategoricalHMM
from tests.memory_peak import peak

B = importlib.import_module("emdesk.engine.bootstrap")


def _same(a, b):
    assert np.array_equal(a.log_likelihoods, b.log_likelihoods)
    assert np.array_equal(a.permutations, b.permutations)
    assert np.array_equal(a.n_iter, b.n_iter) and a.n_failed == b.n_failed
    for key in a.replicates:
        assert a.replicates[key].tobytes() == b.replicates[key].tobytes(), key


@pytest.mark.parametrize("n", [1, 2, 7, 64, 1001])
@pytest.mark.parametrize("step", [1, 5, 64, None])
def test_blocks_draw_numpys_numbers(n, step):
    """integers and choice (weights with zeros, one weight 1e300 apart) in blocks: NumPy's numbers, and the
    generator left where NumPy's call leaves it (the next draw equal)."""
    w = np.random.default_rng(n).random(n)
    w[::3] = 0.0
    if n > 2:
        w[1] = 1e-300
    if not w.sum() > 0:
        w[-1] = 1.0
    for seed in range(4):
        r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
        a = r1.integers(0, n, size=n)
        b = _resample.drawn_rows(r2, n, step=step)
        assert b.dtype == np.int32 and np.array_equal(a, b) and r1.integers(2**62) == r2.integers(2**62)
        a = r1.choice(n, size=n, p=w / w.sum())
        b = _resample.drawn_rows(r2, n, w, step=step)
        assert np.array_equal(a, b) and r1.random() == r2.random()
        k = min(n, 5)
        p = w[:k] / w[:k].sum() if w[:k].sum() > 0 else np.full(k, 1.0 / k)
        monkey = _resample.DRAW_BLOCK_ROWS
        try:
            _resample.DRAW_BLOCK_ROWS = step or monkey
            b = _resample.choice(r2, k, 3 * n, p)
        finally:
            _resample.DRAW_BLOCK_ROWS = monkey
        assert np.array_equal(r1.choice(k, size=3 * n, p=p), b) and r1.random() == r2.random()
        X = np.arange(2.0 * n).reshape(n, 2)
        a = X[r1.integers(0, n, size=n)]
        b = _resample.gathered_rows(X, r2, step=step)
        assert a.tobytes() == b.tobytes() and b.flags.c_contiguous


def _old_rows(X, rng, weights, in_place):
    """The previous code's draw: the numbers of every row at once, then the copy or take_rows."""
    n = X.shape[0]
    idx = rng.integers(0, n, size=n) if weights is None else rng.choice(n, size=n, p=weights / weights.sum())
    return B.take_rows(X, idx) if in_place else X[idx]


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_gaussian_bootstrap_is_the_previous_draws(monkeypatch, in_place, weighted):
    """GaussianMixture's nonparametric bootstrap with blocks of 7 draws (copied and read in place, with and
    without zero weights) gives the previous code's replicates bit for bit."""
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(150, 2)), rng.normal(size=(150, 2)) + 4.0]
    w = rng.uniform(0.5, 2.0, size=300) if weighted else None
    if weighted:
        w[::7] = 0.0
    monkeypatch.setattr(_bootstrap_em, "MAX_REPLICATE_BYTES", 0)  # the engine's refits (the lean loop copies)
    monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", 0 if in_place else 1 << 62)
    monkeypatch.setattr(_resample, "DRAW_BLOCK_ROWS", 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(2, covariance_type="full", random_state=0).fit(X, sample_weight=w)
        new = bootstrap(model, X, n_boot=3, random_state=5, n_jobs=1, max_iter=5, sample_weight=w)
        monkeypatch.setattr(B, "_rows", _old_rows)
        old = bootstrap(model, X, n_boot=3, random_state=5, n_jobs=1, max_iter=5, sample_weight=w)
    _same(new, old)


def test_weighted_draw_holds_no_numbers_of_every_row(monkeypatch):
    """The draw of a weighted resample read in place (60,000 rows, blocks of 4,096 draws): the cumulative sums
    (8 bytes a row), the 4-byte row numbers and one block.  NumPy's choice then the row numbers (the previous
    code) peaked at 1.92 MB (33 bytes a row)."""
    monkeypatch.setattr(_resample, "DRAW_BLOCK_ROWS", 4096)
    n = 60_000
    X = np.zeros((n, 2))
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=n)
    w[::10] = 0.0
    B._rows(X[:50], np.random.default_rng(0), w[:50], True)  # imports outside the measure
    got, rows = peak(lambda: B._rows(X, np.random.default_rng(0), w, True))
    assert got <= 12 * n + 16 * _resample.DRAW_BLOCK_ROWS + 100_000, got
    assert np.array_equal(rows.rows, np.random.default_rng(0).choice(n, size=n, p=w / w.sum()))


def _categorical(n, d, seed=0):
    rng = np.random.default_rng(seed)
    lab = rng.integers(2, size=n)
    return ((lab[:, None] + rng.integers(0, 2, size=(n, d))) % 3).astype(float)


def _given(monkeypatch, cls):
    """Record the X each replicate's fit is given."""
    given = []
    real = cls.fit

    def fit(self, X, *args, **kw):
        given.append(X)
        return real(self, X, *args, **kw)

    monkeypatch.setattr(cls, "fit", fit)
    return given


@pytest.mark.parametrize("kind", ["categorical", "mixed"])
def test_codes_resample_read_in_place_is_the_copy(monkeypatch, kind):
    """Above RESAMPLE_COPY_BYTES (0 here) a resample of codes is read in place (CodedRows through 4-byte row
    numbers; 5 one-byte code columns, or a numeric column's 8 bytes, take more than the row numbers) and gives
    the copy's replicates bit for bit; 3 code columns (3 bytes a row) stay a copy (blocks of 7 draws)."""
    rng = np.random.default_rng(2)
    if kind == "categorical":
        X = _categorical(200, 5)
        X[rng.random(X.shape) < 0.05] = np.nan
        cls, model = CategoricalMixture, CategoricalMixture(2, random_state=0, missing="marginalize")
    else:
        X = np.column_stack([_categorical(200, 1)[:, 0], rng.normal(size=200)])
        X[rng.random(200) < 0.1, 1] = np.nan
        cls, model = MixedMixture, MixedMixture(2, categorical_columns=[0], missing="marginalize", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X)
        given = _given(monkeypatch, cls)
        monkeypatch.setattr(_resample, "DRAW_BLOCK_ROWS", 7)
        out = []
        for copy_bytes in (1 << 62, 0):
            monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", copy_bytes)
            out.append(bootstrap_kind(model, X, n_boot=3, random_state=4, n_jobs=1, max_iter=6))
        _same(*out)
        assert all(isinstance(x, CodedRows) and x._sel is None for x in given[:3])
        assert all(isinstance(x, CodedRows) and x._sel.dtype == np.int32 and x._sel.size == 200 for x in given[3:])
        # the previous code: rng.integers(0, n, n) of every row at once, then CodedRows.take
        monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", 1 << 62)
        monkeypatch.setattr(BK, "index_blocks", lambda rng, n: [(0, n, rng.integers(0, n, size=n))])
        _same(out[0], bootstrap_kind(model, X, n_boot=3, random_state=4, n_jobs=1, max_iter=6))
        if kind == "categorical":  # 3 one-byte code columns: the copy (3 bytes a row) is smaller than row numbers
            small = CategoricalMixture(2, random_state=0, missing="marginalize").fit(X[:, :3])
            monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", 0)
            del given[:]
            bootstrap_kind(small, X[:, :3], n_boot=1, random_state=4, n_jobs=1, max_iter=2)
            assert isinstance(given[0], CodedRows) and given[0]._sel is None


def _old_sample(family, params, states, rng):
    """The previous code's samples: every row's probabilities (rates) at once."""
    if isinstance(family, CategoricalFamily):
        e = params["emissionprob"][states]
        u = rng.random(len(states))[:, None]
        return np.minimum((u > np.cumsum(e, axis=1)).sum(axis=1), e.shape[1] - 1).astype(float)[:, None]
    if isinstance(family, LatentClassFamily):
        p = params["probs"][states]
        u = rng.random(p.shape[:2])[..., None]
        return np.minimum((u > np.cumsum(p, axis=2)).sum(axis=2), p.shape[2] - 1).astype(float)
    return rng.poisson(params["lambdas"][states]).astype(float)


@pytest.mark.parametrize("block_bytes", [24, 24 * 12 * 5, CF.SAMPLE_BLOCK_BYTES])
def test_family_samples_in_blocks_are_the_whole_draws(monkeypatch, block_bytes):
    """The categorical, latent-class and Poisson families' samples in row blocks (1, 5 rows or the default) are
    the whole draw's bit for bit, and leave the generator where it left it."""
    monkeypatch.setattr(CF, "SAMPLE_BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(3)
    states = rng.integers(0, 3, size=301)
    probs = rng.dirichlet(np.ones(4), size=(3, 3))  # (k, d, m)
    cases = [(CategoricalFamily(), {"emissionprob": probs[:, 0, :]}),
             (LatentClassFamily(), {"probs": probs}),
             (PoissonFamily(), {"lambdas": np.array([[0.5, 3.0], [12.0, 40.0], [1e-3, 7.5]])})]
    for fam, params in cases:
        r1, r2 = np.random.default_rng(8), np.random.default_rng(8)
        a = _old_sample(fam, params, states, r1)
        b = fam.sample(params, states, r2)
        assert a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes(), type(fam).__name__
        assert r1.random() == r2.random()


def test_latent_class_sample_holds_one_block(monkeypatch):
    """Sampling 20,000 rows x 3 columns of 4 levels: the result (0.48 MB) and a block of temporaries (64 KiB
    here); the previous code held the (n, d, m) probabilities, their sums and the comparisons (1.92 MB each)."""
    monkeypatch.setattr(CF, "SAMPLE_BLOCK_BYTES", 1 << 16)
    n, d, m = 20_000, 3, 4
    probs = np.random.default_rng(4).dirichlet(np.ones(m), size=(2, d))
    states = np.random.default_rng(5).integers(0, 2, size=n)
    fam = LatentClassFamily()
    fam.sample({"probs": probs}, states[:10], np.random.default_rng(0))
    got, out = peak(lambda: fam.sample({"probs": probs}, states, np.random.default_rng(0)))
    assert out.shape == (n, d)
    assert got <= 8 * n * d + 1.5 * CF.SAMPLE_BLOCK_BYTES, got
    assert got < 8 * n * d * m, got


def test_hmm_parametric_resample_is_the_previous_code(monkeypatch):
    """A categorical HMM's parametric resample (each simulated sequence written into the resample, its symbols
    sampled in row blocks of 5) gives the previous code's replicates (the whole draw, the sequences concatenated)
    bit for bit."""
    rng = np.random.default_rng(6)
    sym = np.r_[rng.integers(0, 2, 60), rng.integers(1, 3, 60), rng.integers(0, 2, 40)].astype(np.int64)[:, None]
    lengths = [60, 60, 40]
    hmm = CategoricalHMM(2, random_state=0).fit(sym, lengths)
    monkeypatch.setattr(CF, "SAMPLE_BLOCK_BYTES", 24 * 3 * 5)
    new = bootstrap_kind(hmm, sym, n_boot=3, method="parametric", random_state=2, n_jobs=1, lengths=lengths,
                         max_iter=10)
    monkeypatch.setattr(CategoricalFamily, "sample", lambda self, p, s, r: _old_sample(self, p, s, r))
    old = bootstrap_kind(hmm, sym, n_boot=3, method="parametric", random_state=2, n_jobs=1, lengths=lengths,
                         max_iter=10)
    _same(new, old)


def _old_recoded(self, F, rows, missing=None):
    """The previous code's parametric resample of a categorical/mixed mixture: the permuted float copy."""
    Xb = F[rows]
    if missing is not None:
        Xb[missing] = np.nan
    return Xb


@pytest.mark.parametrize("kind", ["categorical", "mixed"])
def test_parametric_codes_are_the_float_resample(monkeypatch, kind):
    """A categorical or mixed mixture's parametric resample kept as compact codes (gathered in permuted blocks
    of 7 rows, missing cells where X has them) gives the float resample's replicates bit for bit."""
    rng = np.random.default_rng(7)
    if kind == "categorical":
        X = _categorical(150, 3)
        X[rng.random(X.shape) < 0.08] = np.nan
        cls, model = CategoricalMixture, CategoricalMixture(2, random_state=0, missing="marginalize")
    else:
        X = np.column_stack([rng.normal(size=150), _categorical(150, 1)[:, 0]])
        X[rng.random(150) < 0.1, 0] = np.nan
        X[rng.random(150) < 0.1, 1] = np.nan
        cls, model = MixedMixture, MixedMixture(2, categorical_columns=[1], missing="marginalize", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X)
        given = _given(monkeypatch, cls)
        real = CodedRows.recoded
        monkeypatch.setattr(CodedRows, "recoded", lambda self, F, rows, missing=None: real(self, F, rows, missing, 7))
        new = bootstrap_kind(model, X, n_boot=3, method="parametric", random_state=1, n_jobs=1, max_iter=8)
        assert all(isinstance(x, CodedRows) for x in given)
        monkeypatch.setattr(CodedRows, "recoded", _old_recoded)
        old = bootstrap_kind(model, X, n_boot=3, method="parametric", random_state=1, n_jobs=1, max_iter=8)
    assert not np.isnan(new.log_likelihoods).any()
    _same(new, old)


def test_parametric_codes_hold_no_float_resample(monkeypatch):
    """One parametric replicate of one iteration, 20,000 rows x 4 categorical columns (sampled in blocks of
    64 KiB): the resample as 1-byte codes (0.08 MB) where the previous code held the simulated floats, their
    permuted copy (0.64 MB each) and then the fit's codes of them."""
    monkeypatch.setattr(CF, "SAMPLE_BLOCK_BYTES", 1 << 16)
    n, d = 20_000, 4
    S = _categorical(n, d, seed=3)
    model = CategoricalMixture(2, random_state=0, max_iter=3).fit(S)

    def run():
        return bootstrap_kind(model, S, n_boot=1, method="parametric", random_state=0, n_jobs=1, max_iter=1)

    run()
    got, _ = peak(run)
    real = CodedRows.recoded
    CodedRows.recoded = _old_recoded
    try:
        old, _ = peak(run)
    finally:
        CodedRows.recoded = real
    assert got <= old - 0.6 * 8 * n * d, (got / 1e6, old / 1e6)  # measured: 3.65 against 4.21 MB
