"""HMM forward-backward and Viterbi in bounded memory (issue 16, item 5): the blocked, checkpointed
versions (emdesk.engine.structures.markov_blocked) give the whole-data results (to 1e-10), for any
lengths and block sizes, impossible rows and sequences included; HMM fits and scoring through them
(with a family that has the row-block API and with one that has not) equal the one-block results, and
an iteration's peak memory is a fixed budget, not (T, k) arrays."""

from __future__ import annotations

import functools
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emdesk.engine import CategoricalHMM, GaussianHMM, HiddenMarkovModel, PoissonHMM
from emdesk.engine._markov_run import markov_e_step
from emdesk.engine.families import FamilyFailure
from emdesk.engine.families._blocks import resp_block, row_ranges
from emdesk.engine.structures import markov_blocked as MB
from emdesk.engine.structures.markov import Sequences, forward_backward, viterbi
from emdesk.engine.structures.markov_blocked import forward_backward_blocked, viterbi_blocked
from tests.memory_peak import peak as traced_peak


def _whole(logB, pi, A, lengths):
    return forward_backward(logB, pi, A, Sequences(np.asarray(lengths)))


def _blocked(logB, pi, A, lengths, block_rows, want_xi=True):
    gamma = np.full(logB.shape, np.nan)
    seen = []

    def consume(s, e, g):
        seen.append((s, e))
        gamma[s:e] = g

    ll, xi, start = forward_backward_blocked(lambda s, e: logB[s:e], pi, A, lengths, consume, want_xi=want_xi,
                                             block_rows=block_rows)
    return ll, gamma, xi, start, seen


def _path_score(logB, pi, A, lengths, path):
    with np.errstate(divide="ignore"):
        lA, lpi = np.log(A), np.log(pi)
    total, a = 0.0, 0
    for n in lengths:
        p = path[a:a + n]
        total += lpi[p[0]] + lA[p[:-1], p[1:]].sum() + logB[np.arange(a, a + n), p].sum()
        a += n
    return total


@st.composite
def _case(draw):
    k = draw(st.integers(1, 4))
    lengths = draw(st.lists(st.integers(1, 120), min_size=1, max_size=6))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n = sum(lengths)
    zeros = draw(st.booleans()) and k > 1
    # spreads of +-60 with forbidden transitions lose states in the scaled recursions (redone in log
    # space; test_hmm_logspace.py compares with a log-space reference)
    logB = rng.normal(scale=draw(st.sampled_from([1.0, 5.0, 60.0])), size=(n, k))
    pi = rng.dirichlet(np.ones(k))
    A = rng.dirichlet(np.ones(k), size=k)
    if zeros:  # forbidden transitions and starts (zeros), as hmmlearn allows
        A[rng.random((k, k)) < 0.3] = 0.0
        A[np.arange(k), rng.integers(k, size=k)] += 0.5
        A /= A.sum(axis=1, keepdims=True)
        pi[rng.integers(k)] = 0.0
        pi = pi / pi.sum() if pi.sum() > 0 else np.full(k, 1.0 / k)
    if draw(st.booleans()):  # impossible cells, sometimes a whole impossible row
        logB[rng.random((n, k)) < 0.2] = -np.inf
    block_rows = draw(st.integers(1, 150))
    return logB, pi, A, lengths, block_rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_case())
def test_blocked_forward_backward_equals_whole(case):
    logB, pi, A, lengths, block_rows = case
    ll, gamma, xi, start = _whole(logB, pi, A, lengths)
    ll2, gamma2, xi2, start2, seen = _blocked(logB, pi, A, lengths, block_rows)
    if not math.isfinite(ll):
        assert ll2 == -math.inf and xi2 is None and start2 is None
        return
    assert ll2 == pytest.approx(ll, rel=1e-10, abs=1e-10)
    # every row's posteriors handed over exactly once
    assert sorted(seen) == [(s, min(s + block_rows, len(logB))) for s in range(0, len(logB), block_rows)]
    np.testing.assert_allclose(gamma2, gamma, rtol=0, atol=1e-10)
    np.testing.assert_allclose(xi2, xi, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(start2, start, rtol=0, atol=1e-10)
    # scoring without xi: same log-likelihood and posteriors
    ll3, gamma3, xi3, _, _ = _blocked(logB, pi, A, lengths, block_rows, want_xi=False)
    assert xi3 is None and ll3 == ll2
    np.testing.assert_array_equal(gamma3, gamma2)
    assert MB.log_likelihood_blocked(lambda s, e: logB[s:e], pi, A, lengths, block_rows) == pytest.approx(
        ll, rel=1e-10, abs=1e-10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_case())
def test_blocked_viterbi_equals_whole(case):
    logB, pi, A, lengths, block_rows = case
    lp, path = viterbi(logB, pi, A, Sequences(np.asarray(lengths)))
    lp2, path2 = viterbi_blocked(lambda s, e: logB[s:e], pi, A, lengths, block_rows)
    if not math.isfinite(lp):
        assert lp2 == -math.inf and path2 is None
        return
    assert lp2 == pytest.approx(lp, rel=1e-10, abs=1e-10)
    assert path2.dtype == np.int64 and path2.shape == (len(logB),)
    # the path is a best path (ties may pick another one of equal score) and mostly the same path
    assert _path_score(logB, pi, A, lengths, path2) == pytest.approx(lp, rel=1e-10, abs=1e-10)
    if np.all(np.isfinite(logB)) and np.all(A > 0) and np.all(pi > 0):
        np.testing.assert_array_equal(path2, path)


def test_long_sequences_chunked_inside_blocks_and_careful_sweeps():
    """Blocks long enough to be chunked (two-level scans inside a block) and emission spreads that
    underflow the fast scans (the careful sweeps), several sequences cut by the blocks."""
    rng = np.random.default_rng(3)
    k = 4
    lengths = [9000, 37, 5000, 1]
    n = sum(lengths)
    A = rng.dirichlet(np.ones(k) * 0.3, size=k) + 1e-3
    A /= A.sum(axis=1, keepdims=True)
    pi = rng.dirichlet(np.ones(k))
    for scale in (2.0, 800.0):
        logB = rng.normal(scale=scale, size=(n, k))
        ll, gamma, xi, start = _whole(logB, pi, A, lengths)
        for block_rows in (1000, 4097):
            ll2, gamma2, xi2, start2, _ = _blocked(logB, pi, A, lengths, block_rows)
            assert ll2 == pytest.approx(ll, rel=1e-10)
            np.testing.assert_allclose(gamma2, gamma, atol=1e-10)
            np.testing.assert_allclose(xi2, xi, rtol=1e-10, atol=1e-8)
            np.testing.assert_allclose(start2, start, atol=1e-10)
            lp, path = viterbi(logB, pi, A, Sequences(np.asarray(lengths)))
            lp2, path2 = viterbi_blocked(lambda s, e: logB[s:e], pi, A, lengths, block_rows)
            assert lp2 == pytest.approx(lp, rel=1e-10)
            np.testing.assert_array_equal(path2, path)


def _log_space_forward(logB, pi, A, n):
    """The log-likelihood by the plain log-space forward recursion (a reference)."""
    from scipy.special import logsumexp

    with np.errstate(divide="ignore"):
        lA, la = np.log(A), np.log(pi) + logB[0]
    for t in range(1, n):
        la = logsumexp(la[:, None] + lA, axis=0) + logB[t]
    return float(logsumexp(la))


def test_known_fault_absorbing_state_with_spread_emissions():
    """Was a strict xfail: Rabiner's scaling lost the absorbing state (share below 1e-308) and gave -inf;
    the lost stretch is now redone in log space (markov._fb_checked), whole-data and blocked."""
    rng = np.random.default_rng(0)
    n = int(rng.integers(60, 200))
    logB = rng.normal(scale=60.0, size=(n, 2))
    pi, p = np.array([0.0, 1.0]), rng.random()
    A = np.array([[1.0, 0.0], [p, 1.0 - p]])  # state 1 absorbing
    ref = _log_space_forward(logB, pi, A, n)  # 339.1
    ll = forward_backward(logB, pi, A, Sequences(np.array([n])))[0]  # was -inf
    assert ll == pytest.approx(ref, rel=1e-10)
    for block_rows in (1, 13, 64):
        assert MB.log_likelihood_blocked(lambda s, e: logB[s:e], pi, A, [n], block_rows) == pytest.approx(
            ref, rel=1e-10)
        assert _blocked(logB, pi, A, [n], block_rows)[0] == pytest.approx(ref, rel=1e-10)


def test_one_block_is_the_whole_data_path_bit_for_bit():
    rng = np.random.default_rng(0)
    logB = rng.normal(size=(500, 3))
    pi, A = np.full(3, 1 / 3), rng.dirichlet(np.ones(3), size=3)
    ll, gamma, xi, start = _whole(logB, pi, A, [200, 300])
    ll2, gamma2, xi2, start2, seen = _blocked(logB, pi, A, [200, 300], None)
    assert seen == [(0, 500)] and ll2 == ll
    np.testing.assert_array_equal(gamma2, gamma)
    np.testing.assert_array_equal(xi2, xi)


# ---------------------------------------------------------------------------------------------- models
class _Exponential:
    """Independent exponential waiting times per column, with the row-block API when ``blocked``."""

    name = "exponential"
    param_names = ("rates",)

    def __init__(self, blocked=True):
        if blocked:
            self.rows = self._rows
            self.add_stats = self._add_stats

    def bind(self, X, k):
        X = np.asarray(X, dtype=float)
        if np.any(X < 0):
            raise ValueError("exponential emissions need values >= 0")
        return SimpleNamespace(X=X, n=X.shape[0], d=X.shape[1])

    def _rows(self, data, s, e):
        return SimpleNamespace(X=data.X[s:e], n=e - s, d=data.d)

    @staticmethod
    def _add_stats(a, b):
        return tuple(x + y for x, y in zip(a, b))

    def init_matrix(self, data):
        return np.log1p(data.X)

    def check_params(self, params, k, d):
        return {"rates": np.asarray(params["rates"], dtype=float).reshape(k, d)}

    def init_params(self, data, resp):
        # with the row-block API the start's responsibilities may be a RowResp, read per block
        # (docs/INTERFACES.md); without it, an (n, k) array (resp_block reads both)
        parts = [self.stats(self._rows(data, s, e), None, resp_block(resp, s, e)) for s, e in row_ranges(data.n, 1000)]
        return self.m_step(data, functools.reduce(self._add_stats, parts), None)[0]

    def prepare(self, data, params):
        if not np.all(params["rates"] > 0):
            raise FamilyFailure("a rate is not positive")
        return params["rates"]

    def log_prob(self, data, rates):
        return np.log(rates).sum(axis=1)[None, :] - data.X @ rates.T

    def stats(self, data, prep, post):
        return post.sum(axis=0), post.T @ data.X

    def m_step(self, data, stats, params):
        nk, sx = stats
        return {"rates": nk[:, None] / sx}, []

    def n_parameters(self, params):
        return int(params["rates"].size)

    def sample(self, params, states, rng):
        return rng.exponential(1.0 / params["rates"][states])


def _chain(n, seed=0):
    rng = np.random.default_rng(seed)
    z = np.zeros(n, dtype=int)
    flips = rng.random(n) > 0.97
    for t in range(1, n):
        z[t] = 1 - z[t - 1] if flips[t] else z[t - 1]
    return rng.exponential(1.0 / np.array([0.5, 5.0])[z])[:, None]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few hundred rows (the default budget gives tens of thousands)."""
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", 333 * (80 * 2 + 64))


def _fit(family, X, lengths, **kw):
    return HiddenMarkovModel(family, 2, random_state=0, max_iter=25, tol=0, **kw).fit(X, lengths)


def test_fit_in_blocks_equals_one_block(monkeypatch):
    X = _chain(3000)
    lengths = [1200, 17, 1783]
    ref = _fit(_Exponential(blocked=False), X, lengths)  # one block: the whole-data path
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", 333 * (80 * 2 + 64))
    for blocked in (True, False):
        m = _fit(_Exponential(blocked), X, lengths)
        assert m.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-10)
        np.testing.assert_allclose(m.rates_, ref.rates_, rtol=1e-10)
        np.testing.assert_allclose(m.transmat_, ref.transmat_, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(m.startprob_, ref.startprob_, rtol=1e-10, atol=1e-12)
        # scoring through the blocks
        assert m.score(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-10)
        np.testing.assert_allclose(m.predict_proba(X, lengths), ref.predict_proba(X, lengths), atol=1e-10)
        np.testing.assert_array_equal(m.predict(X, lengths), ref.predict(X, lengths))
        lp, st = m.decode(X, lengths, algorithm="map")
        lp0, st0 = ref.decode(X, lengths, algorithm="map")
        assert lp == pytest.approx(lp0, rel=1e-9) and np.array_equal(st, st0)


def test_snapshots_in_blocks(small_blocks):
    X = _chain(2000)
    snaps = list(HiddenMarkovModel(_Exponential(), 2, random_state=0, max_iter=5, tol=0).fit_iter(X))
    assert all(s.responsibilities is None for s in snaps)
    np.testing.assert_allclose(snaps[-1].weights.sum(), 1.0)
    with_resp = list(HiddenMarkovModel(_Exponential(), 2, random_state=0, max_iter=5, tol=0).fit_iter(
        X, responsibilities=True))
    last = with_resp[-1]
    assert last.responsibilities.shape == (2000, 2)
    np.testing.assert_allclose(last.responsibilities.mean(axis=0), last.weights, atol=1e-12)
    np.testing.assert_allclose(last.weights, snaps[-1].weights, atol=1e-12)


def test_named_hmms_in_blocks_equal_one_block(monkeypatch):
    """The named HMMs (their families without the row-block API for now: the fall-back) fitted and
    scored in blocks of a few hundred rows equal the one-block results."""
    rng = np.random.default_rng(1)
    z = np.repeat(rng.integers(2, size=60), 50)
    cases = [
        (GaussianHMM, dict(covariance_type="diag"), rng.normal(size=(3000, 2)) + 3.0 * z[:, None]),
        (PoissonHMM, {}, rng.poisson(1.0 + 4.0 * z[:, None], size=(3000, 2)).astype(float)),
        (CategoricalHMM, {}, np.where(rng.random(3000) < 0.8, z, rng.integers(3, size=3000))[:, None].astype(float)),
    ]
    lengths = [2500, 500]
    refs = [cls(2, random_state=0, max_iter=10, tol=0, **kw).fit(X, lengths) for cls, kw, X in cases]
    icls = [(r.icl(X, lengths, "map"), r.icl(X, lengths, "entropy")) for r, (_, _, X) in zip(refs, cases)]
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", 301 * (80 * 2 + 64))
    for (cls, kw, X), ref, icl in zip(cases, refs, icls):
        m = cls(2, random_state=0, max_iter=10, tol=0, **kw).fit(X, lengths)
        assert m.icl(X, lengths, "map") == pytest.approx(icl[0], rel=1e-10)
        assert m.icl(X, lengths, "entropy") == pytest.approx(icl[1], rel=1e-10)
        assert m.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-10)
        np.testing.assert_allclose(m.transmat_, ref.transmat_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(m.predict_proba(X, lengths), ref.predict_proba(X, lengths), atol=1e-10)
        np.testing.assert_array_equal(m.predict(X, lengths), ref.predict(X, lengths))


def test_impossible_rows_and_sequences_in_blocks(small_blocks):
    h = CategoricalHMM(2)
    h.startprob_ = np.array([1.0, 0.0])
    h.transmat_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    h.emissionprob_ = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
    X = np.zeros((1000, 1))
    X[700] = 2.0  # only state 2 emits symbol 2, and the chain never leaves state 1
    assert h.score(X) == -math.inf
    for fn in (h.score_samples, h.predict_proba, h.predict):
        with pytest.raises(ValueError, match=r"Sequence 1 of X \(rows 1 to 1000\) is impossible"):
            fn(X)
    h.emissionprob_ = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    X[900] = 2.0
    with pytest.raises(ValueError, match=r"Row 701 of X \(and 1 more row\) is impossible"):
        h.decode(X, algorithm="map")
    assert h.score(X, [500, 500]) == -math.inf


# ---------------------------------------------------------------------------------------------- memory
_peak = traced_peak  # tests/memory_peak.py


def test_an_iteration_holds_no_rows_by_states_arrays(monkeypatch):
    """One E-step over 150,000 rows (k = 3) with a family that has the row-block API: the whole-data
    forward-backward held about ten (n, k) arrays (34 MB); in blocks of 4,096 rows the peak (1.2 MB)
    is less than one (n, k) array (3.6 MB)."""
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", 1 << 20)
    n, k = 150_000, 3
    X = np.random.default_rng(0).exponential(size=(n, 1))
    fam = _Exponential()
    fdata = fam.bind(X, k)
    prep = fam.prepare(fdata, {"rates": np.array([[0.5], [1.0], [3.0]])})
    sp = {"startprob": np.full(k, 1 / k), "transmat": np.full((k, k), 1 / k)}
    lengths = np.array([n])
    peak, out = _peak(lambda: markov_e_step(fam, fdata, prep, sp, lengths, True, False))
    assert out[1] is None and math.isfinite(out[0])
    assert peak < n * k * 8, peak
    peak_old, _ = _peak(lambda: forward_backward(fam.log_prob(fdata, prep), sp["startprob"], sp["transmat"],
                                                 Sequences(lengths)))
    assert peak_old > 5 * n * k * 8
    # scoring: the log-likelihood alone, and the path (the result: 8 bytes per row)
    m = HiddenMarkovModel(fam, k)
    m.startprob_, m.transmat_, m.rates_ = sp["startprob"], sp["transmat"], np.array([[0.5], [1.0], [3.0]])
    peak, ll = _peak(lambda: m.score(X))
    assert ll == pytest.approx(out[0], rel=1e-10) and peak < n * k * 8
    peak, path = _peak(lambda: m.predict(X[:40_000]))
    assert peak < path.nbytes + 40_000 * k * 8


def test_initial_transitions_in_row_blocks():
    """MarkovStructure.init_params counts consecutive pairs in row blocks of 65,536 rows (a copy of one
    block, not of resp), leaving out the pairs across sequences, including ones at the block edges."""
    from emdesk.engine.structures.markov import MarkovStructure, SequenceLengths

    rng = np.random.default_rng(0)
    lengths = np.array([65535, 1, 1, 70000, 65536 * 2 - 3, 5])
    n = int(lengths.sum())
    resp = rng.dirichlet(np.ones(3), size=n)
    seqs = SequenceLengths(lengths)
    got = MarkovStructure().init_params(resp, seqs)
    r = resp.copy()
    r[seqs.starts] = 0.0
    trans = np.ones((3, 3)) + resp[:-1].T @ r[1:]
    np.testing.assert_allclose(got["transmat"], trans / trans.sum(axis=1, keepdims=True), rtol=1e-12)
    start = resp[seqs.starts].sum(axis=0) + 1.0
    np.testing.assert_allclose(got["startprob"], start / start.sum(), rtol=1e-14)
