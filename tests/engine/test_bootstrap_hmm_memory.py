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
