"""The bootstrap's label alignment of the mixture kinds in row blocks (issue 16 item 2): each replicate's
posteriors on X are summed into the k x k cross-table a block at a time, never held as (n, k) arrays; the
alignments and replicates are those of the whole-array alignment."""

from __future__ import annotations

import numpy as np
import pytest

import emdesk.engine._fitdata as fitdata
import emdesk.engine.bootstrap_kinds as BK
import emdesk.engine.families._blocks as blocks
from emdesk.engine._family_mixture import _FamilyMixture
from emdesk.engine.align import align_posteriors, match_cross_table
from emdesk.engine.bootstrap_kinds import bootstrap_kind
from emdesk.engine.hmm import PoissonHMM
from emdesk.engine.mixtures import CategoricalMixture, MixedMixture, PoissonMixture, StudentTMixture
from emdesk.engine.models import _Run
from tests.memory_peak import peak

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _tiny_align_blocks(monkeypatch, rows=11, k=3):
    """Alignment blocks of ``rows`` rows and no kept reference: the blocked path on few rows."""
    monkeypatch.setattr(BK, "ALIGN_BLOCK_BYTES", 8 * 6 * k * rows, raising=False)
    monkeypatch.setattr(BK, "ALIGN_CACHE_BYTES", 0, raising=False)


def _cases():
    rng = np.random.default_rng(11)
    n = 150
    lab = rng.integers(3, size=n)
    X = rng.normal(size=(n, 2)) + 3.0 * lab[:, None]
    C = rng.poisson(np.array([1.0, 5.0, 12.0])[lab][:, None] * np.ones(2)).astype(float)
    C[rng.random(C.shape) < 0.1] = np.nan
    S = ((lab[:, None] + rng.integers(0, 2, size=(n, 3))) % 4).astype(float)
    M = np.column_stack([X, S[:, 0]])
    seq = rng.poisson(np.repeat([1.0, 8.0, 2.0, 9.0], 30))[:, None].astype(float)
    return {
        "student_t": (StudentTMixture(3, random_state=0, max_iter=30).fit(X), X, None),
        "poisson missing": (PoissonMixture(3, random_state=0, missing="marginalize", max_iter=30).fit(C), C, None),
        "categorical": (CategoricalMixture(3, random_state=0, max_iter=30).fit(S), S, None),
        "mixed": (MixedMixture(3, categorical_columns=[2], random_state=0, max_iter=30).fit(M), M, None),
        "poisson HMM": (PoissonHMM(2, random_state=0, max_iter=30).fit(seq, [60, 60]), seq, [60, 60]),
    }


@pytest.fixture(scope="module")
def cases():
    return _cases()


@pytest.mark.parametrize("method", ["nonparametric", "parametric"])
@pytest.mark.parametrize("name", ["student_t", "poisson missing", "categorical", "mixed", "poisson HMM"])
def test_blocked_alignment_equals_one_block(monkeypatch, cases, name, method):
    model, X, lengths = cases[name]
    kw = dict(n_boot=4, method=method, random_state=5, n_jobs=1, lengths=lengths, max_iter=15)
    whole = bootstrap_kind(model, X, **kw)
    _tiny_align_blocks(monkeypatch)
    got = bootstrap_kind(model, X, **kw)
    assert got.n_failed == whole.n_failed
    assert np.array_equal(got.permutations, whole.permutations)
    assert got.log_likelihoods.tobytes() == whole.log_likelihoods.tobytes()
    for key in whole.replicates:
        assert got.replicates[key].tobytes() == whole.replicates[key].tobytes(), key


def _whole_posteriors(est, X):
    """The alignment's posteriors as the bootstrap made them before (issue 16): the whole (n, k) array."""
    logB, sparams = est._score(X, None)[:2]
    with np.errstate(divide="ignore"):
        return BK._normalise(logB + np.log(sparams["weights"])[None, :])[0]


@pytest.mark.parametrize("name", ["student_t", "poisson missing", "categorical", "mixed"])
def test_blocked_cross_table_is_the_whole_one(monkeypatch, cases, name):
    """The table summed over blocks of 11 rows is P'R of the whole posteriors (to rounding), the blocks'
    posteriors are the whole array's rows, and a relabelled reference gives back the relabelling."""
    model, X, _ = cases[name]
    _tiny_align_blocks(monkeypatch)
    Xw = BK._work_data(model, X, None)[0]
    blocks_ = list(BK._post_blocks(model, Xw, checked=True))
    assert len(blocks_) == -(-X.shape[0] // 11)
    P = _whole_posteriors(model, X)
    assert np.array_equal(np.concatenate([b[2] for b in blocks_]), P)
    R = P[:, [2, 0, 1]]
    table = BK._cross_table(iter(blocks_), ((s, e, R[s:e], ok) for s, e, _, ok in blocks_))
    np.testing.assert_allclose(table, P.T @ R, rtol=1e-12, atol=1e-12)
    assert np.array_equal(match_cross_table(table), align_posteriors(P, R))
    assert np.array_equal(match_cross_table(table), [2, 0, 1])


def test_alignment_holds_no_n_by_k_posteriors(monkeypatch):
    """20,000 rows, k = 4, one replicate of one iteration with every block small: the peak stays under two
    (n, k) float arrays beyond the resample (X's float copy and its row numbers); the whole-array alignment
    held about six (the fit's reference, the replicate's log-densities, their sum, the normalised copy
    and the row-normalisation's temporaries) and fails this bound."""
    rng = np.random.default_rng(2)
    n, d, k = 20_000, 2, 4
    lab = rng.integers(k, size=n)
    C = rng.poisson(np.array([1.0, 6.0, 15.0, 30.0])[lab][:, None] * np.ones(d)).astype(float)
    model = PoissonMixture(k, random_state=0, max_iter=5).fit(C[:2000])
    rows = 128
    monkeypatch.setattr(blocks, "FAMILY_BLOCK_BYTES", 8 * 60 * rows)
    monkeypatch.setattr(_Run, "E_STEP_BLOCK_BYTES", 8 * 4 * k * rows)
    monkeypatch.setattr(_FamilyMixture, "SCORE_BLOCK_BYTES", 8 * 11 * rows)
    monkeypatch.setattr(fitdata, "FIT_CACHE_BYTES", 0)
    _tiny_align_blocks(monkeypatch, rows=rows, k=k)
    used, out = peak(lambda: bootstrap_kind(model, C, n_boot=1, random_state=0, n_jobs=1, max_iter=1))
    assert out.n_failed == 0 and out.permutations.shape == (1, k)
    resample = 8 * n * d + 8 * n  # the replicate's rows and their row numbers
    assert used < resample + 2 * 8 * n * k, (used / 1e6, (resample + 2 * 8 * n * k) / 1e6)
