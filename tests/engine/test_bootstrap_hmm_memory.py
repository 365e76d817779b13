"""An HMM bootstrap's label alignment without (n, k) posteriors per replicate (issue 16, eighth session).

Each replicate's state posteriors on X come block by block from the blocked forward-backward
(``bootstrap_kinds._hmm_posteriors``) and go into the k x k cross-table against the fit's posteriors
(``_GridTable``); before, each replicate made them whole (``predict_proba``, its log and the normalised copy).
The tables are the same bits as the previous whole-array code (kept below as the reference), with forward-
backward blocks and alignment blocks that do not line up.  Small data: each test well under a second."""

from __future__ import annotations

import numpy as np
import pytest

import emdesk.engine.bootstrap_kinds as BK
import emdesk.engine.structures.markov_blocked as MB
from emdesk.engine.bootstrap_kinds import bootstrap_kind
from emdesk.engine.hmm import CategoricalHMM, GaussianHMM, PoissonHMM
from tests.memory_peak import peak

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _old_posteriors(est, X, lengths):
    """The previous code: the whole (n, k) posteriors' logs (the emission densities when X is impossible)."""
    try:
        with np.errstate(divide="ignore"):
            L = np.log(est.predict_proba(X, lengths))
    except ValueError:
        L = est._score(X, lengths)[0]
    return BK._normalise(L)


def _old_table(P, R, step):
    n = P.shape[0]
    return BK._cross_table(((s, 0, P[s:s + step], None) for s in range(0, n, step)),
                           ((s, 0, R[s:s + step], None) for s in range(0, n, step)))


@pytest.fixture(scope="module")
def models():
    return _models()


def _models():
    rng = np.random.default_rng(3)
    states = np.repeat(rng.integers(0, 3, size=40), 15)
    X = np.array([[0.0, 0.0], [4.0, 1.0], [-3.0, 5.0]])[states] + rng.normal(size=(600, 2))
    C = rng.poisson(np.array([1.0, 6.0, 15.0])[states])[:, None].astype(float)
    lengths = [250, 200, 150]
    return [
        (GaussianHMM(3, covariance_type="diag", random_state=0, max_iter=20).fit(X, lengths),
         GaussianHMM(3, covariance_type="diag", random_state=7, max_iter=5).fit(X, lengths), X, lengths),
        (PoissonHMM(3, random_state=0, max_iter=20).fit(C, lengths),
         PoissonHMM(3, random_state=4, max_iter=5).fit(C, lengths), C, lengths),
    ]


@pytest.mark.parametrize("fb_rows", [37, 100_000])
@pytest.mark.parametrize("align_rows", [11, 64, 10_000])
def test_blocked_table_is_the_whole_arrays_table_bit_for_bit(monkeypatch, models, fb_rows, align_rows):
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", fb_rows * (80 * 3 + 64))
    for fit, other, X, lengths in models:
        Xw, lens, _ = BK._work_data(fit, X, lengths)
        R_old, ok_old = _old_posteriors(fit, Xw, lens)
        R = np.full_like(R_old, np.nan)
        seen = np.zeros(R.shape[0], dtype=int)

        def fill(s, e, P, ok):
            R[s:e] = P
            seen[s:e] += 1
            assert np.array_equal(ok, ok_old[s:e])

        BK._hmm_posteriors(fit, Xw, lens, fill)
        assert np.array_equal(R, R_old) and np.all(seen == 1)
        P_old = _old_posteriors(other, Xw, lens)[0]
        grid = BK._GridTable(R, align_rows)
        BK._hmm_posteriors(other, Xw, lens, grid.add)
        assert not grid.pending
        assert np.array_equal(grid.table(), _old_table(P_old, R_old, align_rows))


def test_impossible_data_take_the_emission_densities():
    """A chain that cannot produce X (state 0 never leaves, and emits only symbol 0): the alignment's weights are
    the normalised emission densities, as before; what the forward-backward handed over first is dropped."""
    hmm = CategoricalHMM(2, random_state=0, max_iter=5).fit(np.array([[0], [1], [0], [1], [1], [0]] * 5))
    hmm.startprob_ = np.array([1.0, 0.0])
    hmm.transmat_ = np.eye(2)
    hmm.emissionprob_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    S = np.array([[0], [0], [1], [1], [0]] * 4)
    assert hmm.score(S) == -np.inf
    Xw, lens, _ = BK._work_data(hmm, S, None)
    P_old, ok_old = _old_posteriors(hmm, Xw, lens)
    calls = []
    P = np.full_like(P_old, np.nan)

    def use(s, e, Pb, ok):
        calls.append(s)
        if s is not None:
            P[s:e] = Pb

    BK._hmm_posteriors(hmm, Xw, lens, use)
    assert None in calls
    np.testing.assert_array_equal(P, P_old)


def test_a_replicate_holds_no_posteriors_of_all_rows(monkeypatch):
    """One nonparametric replicate (one iteration) of a 6-state Poisson HMM on 12,000 rows, forward-backward
    blocks of 1,000 rows, alignment blocks of 500: the peak stays within the fit's reference posteriors (n x 6
    floats, 0.58 MB) and 1.2 MB more (measured: 0.94 MB more); the previous code made the replicate's whole posteriors, their logs and
    normalised copies (3.3 MB)."""
    monkeypatch.setattr(BK, "ALIGN_BLOCK_BYTES", 8 * 6 * 6 * 500)
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", 1000 * (80 * 6 + 64))
    rng = np.random.default_rng(1)
    n, k = 12_000, 6
    C = rng.poisson(np.repeat(rng.choice([1.0, 4.0, 9.0, 16.0, 25.0, 36.0], size=n // 100), 100))[:, None]
    C = C.astype(float)
    lengths = [n // 2, n // 2]
    hmm = PoissonHMM(k, random_state=0, max_iter=3).fit(C[:2000], [1000, 1000])
    bootstrap_kind(hmm, C[:2000], n_boot=1, random_state=0, n_jobs=1, max_iter=1, lengths=[1000, 1000])  # imports
    used, res = peak(lambda: bootstrap_kind(hmm, C, n_boot=1, random_state=0, n_jobs=1, max_iter=1, lengths=lengths))
    assert res.n_failed == 0
    assert used <= 8 * n * k + 1.2e6, used


# ---- the fit's own posteriors recomputed per replicate above ALIGN_CACHE_BYTES (issue 16, eighth session) ----

def _risky_fit():
    """A Gaussian HMM with zeros in transmat_ (the blocked forward-backward's checked paths)."""
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(0, 1, 200), rng.normal(5, 1, 150), rng.normal(-4, 1, 250)])[:, None]
    fit = GaussianHMM(3, covariance_type="diag", random_state=0, max_iter=5).fit(X, [300, 300])
    fit.transmat_ = np.array([[0.9, 0.1, 0.0], [0.0, 0.8, 0.2], [0.05, 0.0, 0.95]])
    return fit, X, [300, 300]


@pytest.mark.parametrize("fb_rows", [37, 256, 100_000])
def test_replayed_blocks_are_the_handed_over_posteriors_bit_for_bit(monkeypatch, models, fb_rows):
    """``record`` / ``replay_block``: each block's posteriors made again from its recorded inputs alone are the
    bits ``consume`` was given (plain chains and one with zeros in transmat_)."""
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", fb_rows * (80 * 3 + 64))
    for fit, X, lengths in [(m[0], m[2], m[3]) for m in models] + [_risky_fit()]:
        rows, sp, lens = fit._markov_rows(X, lengths)
        given, inputs = {}, {}
        MB.forward_backward_blocked(rows.logB, sp["startprob"], sp["transmat"], lens,
                                    lambda s, e, g: given.__setitem__(s, g.copy()), want_xi=False,
                                    record=inputs.__setitem__)
        plan = MB.BlockPlan(lens, MB.block_rows_for(3))
        assert sorted(inputs) == list(range(plan.n_blocks)) and len(given) == plan.n_blocks
        for i in range(plan.n_blocks):
            s, e, g = MB.replay_block(fit._markov_rows(X, lengths)[0].logB, sp["startprob"], sp["transmat"], plan,
                                      i, inputs[i])
            assert np.array_equal(g, given[s])


@pytest.mark.parametrize("method", ["nonparametric", "parametric"])
def test_recomputed_reference_gives_the_same_bootstrap_bit_for_bit(monkeypatch, models, method):
    """The whole bootstrap with the fit's posteriors recomputed per replicate (ALIGN_CACHE_BYTES = 0) equals the
    one holding them: replicates, permutations and log-likelihoods, forward-backward and alignment blocks that
    do not line up (and a chain with zeros in transmat_)."""
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", 170 * (80 * 3 + 64))
    monkeypatch.setattr(BK, "ALIGN_BLOCK_BYTES", 8 * 6 * 3 * 64)
    for fit, X, lengths in [(m[0], m[2], m[3]) for m in models[:1]] + [_risky_fit()]:
        out = []
        for cache in (64 << 20, 0):
            monkeypatch.setattr(BK, "ALIGN_CACHE_BYTES", cache)
            out.append(bootstrap_kind(fit, X, n_boot=2, method=method, random_state=2, n_jobs=1, max_iter=2,
                                      lengths=lengths))
        held, replayed = out
        assert np.array_equal(held.permutations, replayed.permutations)
        assert np.array_equal(held.log_likelihoods, replayed.log_likelihoods)
        for key in held.replicates:
            assert np.array_equal(held.replicates[key], replayed.replicates[key], equal_nan=True)


def test_recomputed_reference_of_impossible_data_reads_the_emissions(monkeypatch):
    """X impossible under the chain: the reference read per block is the normalised emission densities, as
    the held one (the grid table is the same bits)."""
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", 7 * (80 * 2 + 64))
    hmm = CategoricalHMM(2, random_state=0, max_iter=5).fit(np.array([[0], [1], [0], [1], [1], [0]] * 5))
    hmm.startprob_ = np.array([1.0, 0.0])
    hmm.transmat_ = np.eye(2)
    hmm.emissionprob_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    other = CategoricalHMM(2, random_state=1, max_iter=3).fit(np.array([[0], [1], [1], [0], [1], [0]] * 5))
    S = np.array([[0], [0], [1], [1], [0]] * 4)
    Xw, lens, _ = BK._work_data(hmm, S, None)
    R = np.full((S.shape[0], 2), np.nan)
    BK._hmm_posteriors(hmm, Xw, lens, lambda s, e, P, ok: None if s is None else R.__setitem__(slice(s, e), P))
    ref = BK._HmmReference(hmm, Xw, lens, lambda *a: None)
    assert ref.emissions
    tables = []
    for grid in (BK._GridTable(R, 5), BK._GridTable(ref.reader(), 5, S.shape[0], 2)):
        BK._hmm_posteriors(other, Xw, lens, grid.add)
        tables.append(grid.table())
    assert np.array_equal(tables[0], tables[1])
    read = ref.reader()
    assert np.array_equal(read(3, 17), R[3:17])  # bounds that are not the plan's


def test_a_large_bootstrap_holds_no_reference_posteriors(monkeypatch):
    """Above ALIGN_CACHE_BYTES (set to 0 here) the fit's own state posteriors are not held: one replicate of a
    6-state Poisson HMM on 8,000 rows (every block 400 rows) peaks at 0.56 MB measured, bound 0.68 MB; holding
    them (8 n k = 0.38 MB, the previous code whatever ALIGN_CACHE_BYTES) it peaked at 0.78 MB."""
    import emdesk.engine.families._blocks as FB
    import emdesk.engine.models as M

    k, rows = 6, 400
    monkeypatch.setattr(BK, "ALIGN_BLOCK_BYTES", 8 * 6 * k * 250)
    monkeypatch.setattr(BK, "ALIGN_CACHE_BYTES", 0)
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", rows * (80 * k + 64))
    monkeypatch.setattr(FB, "FAMILY_BLOCK_BYTES", 8 * k * rows)
    monkeypatch.setattr(M._Run, "E_STEP_BLOCK_BYTES", 8 * k * rows)
    rng = np.random.default_rng(1)
    n = 8_000
    C = rng.poisson(np.repeat(rng.choice([1.0, 4.0, 9.0, 16.0, 25.0, 36.0], size=n // 100), 100))[:, None]
    C = C.astype(float)
    lengths = [n // 2, n // 2]
    hmm = PoissonHMM(k, random_state=0, max_iter=2).fit(C[:1200], [600, 600])
    bootstrap_kind(hmm, C[:1000], n_boot=1, random_state=0, n_jobs=1, max_iter=1, lengths=[500, 500])  # imports
    used, res = peak(lambda: bootstrap_kind(hmm, C, n_boot=1, random_state=0, n_jobs=1, max_iter=1, lengths=lengths))
    assert res.n_failed == 0
    assert used <= 0.68e6, used


def _copied(X, starts, lens, pick):
    """The previous code's resample: the picked sequences copied one after another."""
    return np.concatenate([X[starts[j]:starts[j] + lens[j]] for j in pick])


def _gaussian_with_gaps():
    rng = np.random.default_rng(8)
    states = np.repeat(rng.integers(0, 3, size=30), 12)
    X = np.array([[0.0, 0.0, 1.0], [4.0, 1.0, -2.0], [-3.0, 5.0, 0.0]])[states] + rng.normal(size=(360, 3))
    X[rng.random(X.shape) < 0.1] = np.nan
    fit = GaussianHMM(3, covariance_type="full", missing="marginalize", random_state=0, max_iter=10).fit(
        X, [100, 80, 120, 60])
    return fit, X, [100, 80, 120, 60]


def test_resample_read_in_place_is_the_copy_bit_for_bit(monkeypatch, models):
    """Nonparametric replicates fitted to the picked sequences read in place (_ResampledRows: their row
    numbers; above RESAMPLE_COPY_BYTES, 0 here) equal the fits of the copied sequences: replicates, permutations, log-likelihoods (Gaussian
    full with missing cells, Poisson; blocked paths)."""
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", 170 * (80 * 3 + 64))
    monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", 0)
    cases = [(m[0], m[2], m[3]) for m in models[1:]] + [_gaussian_with_gaps()]
    seen = []
    real_of = BK._ResampledRows.of.__func__

    def spy(cls, X, starts, lens, pick):
        rows = real_of(cls, X, starts, lens, pick)
        seen.append(rows.rows.dtype)
        return rows

    keys = []
    real_getitem = BK._ResampledRows.__getitem__
    monkeypatch.setattr(BK._ResampledRows, "__getitem__", lambda self, key: keys.append(key) or real_getitem(self, key))
    for fit, X, lengths in cases:
        out = []
        for of in (classmethod(spy), staticmethod(_copied)):
            monkeypatch.setattr(BK._ResampledRows, "of", of)
            out.append(bootstrap_kind(fit, X, n_boot=2, random_state=4, n_jobs=1, max_iter=2, lengths=lengths))
        in_place, copied = out
        assert np.array_equal(in_place.permutations, copied.permutations)
        assert np.array_equal(in_place.log_likelihoods, copied.log_likelihoods)
        for key in in_place.replicates:
            assert np.array_equal(in_place.replicates[key], copied.replicates[key], equal_nan=True)
    assert seen and all(dt == np.int32 for dt in seen)
    # read in blocks of rows, never row by row (np.asarray of the view would read it so: the column notes did)
    assert keys and not any(isinstance(key, (int, np.integer)) for key in keys)
