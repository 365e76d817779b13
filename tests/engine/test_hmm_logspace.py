"""The scaled forward-backward where Rabiner's scaling loses a state (a share below 1e-308 becoming 0):
forbidden transitions and starts (zeros in transmat and startprob) with emission log-densities spread by
hundreds per row.  Whole-data (structures/markov.py) and row-block (structures/markov_blocked.py) results
equal a plain log-space forward-backward (hmmlearn's form, one sequence at a time) to 1e-8 relative:
log-likelihood, posteriors, expected transitions and start counts; impossible data stay -inf."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

from emdesk.engine.structures import markov as M
from emdesk.engine.structures.markov import Sequences, forward_backward
from emdesk.engine.structures.markov_blocked import forward_backward_blocked, log_likelihood_blocked


def _lse(a, axis):
    """log(sum(exp(a))) along ``axis``: NumPy's pairwise ``logaddexp`` (exact for -inf; the same result as
    scipy's logsumexp to rounding, about 10x faster for these few states)."""
    return np.logaddexp.reduce(a, axis=axis)


def _reference(logB, pi, A, lengths):
    """Plain log-space forward-backward, one sequence and one row at a time (the reference)."""
    n, k = logB.shape
    with np.errstate(divide="ignore"):
        lA, lpi = np.log(A), np.log(pi)
    ll, gamma, xi, start = 0.0, np.zeros((n, k)), np.zeros((k, k)), np.zeros(k)
    a = 0
    for T in lengths:
        X = logB[a:a + T]
        la = np.empty((T, k))
        lb = np.zeros((T, k))
        la[0] = lpi + X[0]
        for t in range(1, T):
            la[t] = _lse(la[t - 1][:, None] + lA, axis=0) + X[t]
        for t in range(T - 2, -1, -1):
            lb[t] = _lse(lA + (X[t + 1] + lb[t + 1])[None, :], axis=1)
        lz = _lse(la[-1], axis=0)
        if not np.isfinite(lz):
            return -math.inf, None, None, None
        ll += lz
        g = np.exp(la + lb - lz)
        gamma[a:a + T] = g
        start += g[0]
        for t in range(1, T):
            xi += np.exp(la[t - 1][:, None] + lA + (X[t] + lb[t])[None, :] - lz)
        a += T
    return ll, gamma, xi, start


def _make_case(seed, k, lengths, scale, forbid, pi_zero, impossible, block_rows):
    """One case: log-densities of spread ``scale``; ``forbid`` (None or a share) zeros in transmat (absorbing
    states, left-right chains); ``pi_zero`` a zero start probability; ``impossible`` -inf cells (15 %)."""
    rng = np.random.default_rng(seed)
    n = sum(lengths)
    logB = rng.normal(scale=scale, size=(n, k))
    pi = rng.dirichlet(np.ones(k))
    A = rng.dirichlet(np.ones(k), size=k)
    if k > 1 and forbid:
        A[rng.random((k, k)) < forbid] = 0.0
        A[np.arange(k), rng.integers(k, size=k)] += 0.5
        A /= A.sum(axis=1, keepdims=True)
    if k > 1 and pi_zero:
        pi[rng.integers(k)] = 0.0
        pi = pi / pi.sum() if pi.sum() > 0 else np.full(k, 1.0 / k)
    if impossible:
        logB[rng.random((n, k)) < 0.15] = -np.inf
    return logB, pi, A, list(lengths), block_rows


@st.composite
def _case(draw):
    k = draw(st.integers(1, 4))
    lengths = draw(st.lists(st.integers(1, 90), min_size=1, max_size=5))
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.sampled_from([1.0, 30.0, 100.0, 300.0]))
    forbid = draw(st.sampled_from([0.3, 0.6])) if k > 1 and draw(st.booleans()) else None
    pi_zero = k > 1 and draw(st.booleans())
    return _make_case(seed, k, lengths, scale, forbid, pi_zero, draw(st.booleans()), draw(st.integers(1, 120)))


def _assert_close(got, ref):
    ll, gamma, xi, start = got
    rll, rgamma, rxi, rstart = ref
    if not math.isfinite(rll):
        assert ll == -math.inf
        return
    assert ll == pytest.approx(rll, rel=1e-8, abs=1e-8)
    np.testing.assert_allclose(gamma, rgamma, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(xi, rxi, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(start, rstart, rtol=1e-8, atol=1e-10)


def _check_against_reference(case):
    logB, pi, A, lengths, block_rows = case
    ref = _reference(logB, pi, A, lengths)
    _assert_close(forward_backward(logB, pi, A, Sequences(np.asarray(lengths))), ref)
    # chunked inside a sequence (several chunks per sequence: the boundary scans and careful sweeps)
    _assert_close(forward_backward(logB, pi, A, Sequences(np.asarray(lengths), chunk=7)), ref)
    gamma = np.full(logB.shape, np.nan)

    def consume(s, e, g):
        gamma[s:e] = g

    ll, xi, start = forward_backward_blocked(lambda s, e: logB[s:e], pi, A, lengths, consume,
                                             block_rows=block_rows)
    _assert_close((ll, gamma if math.isfinite(ll) else None, xi, start), ref)
    llf = log_likelihood_blocked(lambda s, e: logB[s:e], pi, A, lengths, block_rows)
    assert llf == pytest.approx(ref[0], rel=1e-8, abs=1e-8) if math.isfinite(ref[0]) else llf == -math.inf


#: The hard cases, fixed (run on every test run, whatever hypothesis draws): ``_make_case`` arguments (seed, k,
#: lengths, scale, forbid, pi_zero, impossible, block_rows).  Before 1 Dec 2026's seventh session this file
#: drew 200 random cases (10 s, the suite's slowest test); a random search of 300 such cases with
#: ``risky_chain`` always False (no per-row checks) found 4 wrong, all with several sequences of 20-90 rows,
#: spreads of 100-300 and zeros in transmat, and 17 % wrong among cases drawn so.  The first eight below are
#: cases of that search (each wrong without the checks); the others keep the rest of the space: one state,
#: impossible cells, one-row sequences after a long one, small spreads, blocks of 1 row.
_GRID = [
    (972122757, 2, (73, 79, 58, 78, 43), 300.0, 0.6, False, False, 37),
    (1162275822, 4, (88, 26, 71, 40), 300.0, 0.6, False, False, 88),
    (85025055, 3, (45, 63, 74, 85, 50), 300.0, 0.6, True, False, 105),
    (52593329, 3, (76, 50, 60, 61, 83), 300.0, 0.3, True, False, 55),
    (1359700630, 3, (63, 27, 45), 300.0, 0.6, False, False, 3),
    (330043304, 3, (87, 53, 66, 33, 61), 300.0, 0.3, False, False, 7),
    (2029148516, 4, (79, 85, 45, 41), 300.0, 0.6, True, False, 4),
    (1338298481, 3, (63, 89, 40), 100.0, 0.6, False, False, 55),
    (1, 2, (87, 1), 300.0, 0.3, True, False, 1),
    (2, 3, (40, 3, 1, 22), 300.0, 0.6, False, True, 7),
    (3, 4, (90,), 300.0, 0.6, True, True, 50),
    (4, 2, (5, 60), 300.0, None, True, True, 1),
    (5, 1, (30, 2), 300.0, None, False, True, 4),
    (6, 3, (50, 50), 30.0, 0.3, True, False, 9),
    (7, 4, (1, 1, 1, 70), 100.0, 0.3, False, True, 2),
    (8, 2, (60, 60), 1.0, 0.6, True, False, 120),
]


def test_reference_log_sum_exp_is_scipys():
    rng = np.random.default_rng(0)
    a = rng.normal(scale=300.0, size=(6, 4))
    a[rng.random(a.shape) < 0.3] = -np.inf
    a[0] = -np.inf
    for axis in (0, 1):
        np.testing.assert_allclose(_lse(a, axis), logsumexp(a, axis=axis), rtol=1e-14)


@pytest.mark.parametrize("grid_case", _GRID, ids=[f"seed{c[0]}-k{c[1]}" for c in _GRID])
def test_hard_cases_equal_the_log_space_reference(grid_case):
    _check_against_reference(_make_case(*grid_case))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_case())
def test_whole_and_blocked_equal_the_log_space_reference(case):
    _check_against_reference(case)


def test_absorbing_state_long_sequence_in_small_blocks():
    """A long sequence, chunked and cut into blocks, whose absorbing state is lost by the scaled
    recursions (its share far below 1e-308 for long stretches) and matters later."""
    rng = np.random.default_rng(5)
    n = 3000
    logB = rng.normal(scale=200.0, size=(n, 3))
    pi = np.array([0.0, 0.5, 0.5])
    A = np.array([[1.0, 0.0, 0.0], [0.01, 0.5, 0.49], [0.0, 0.3, 0.7]])
    ref = _reference(logB, pi, A, [n])
    assert math.isfinite(ref[0])
    _assert_close(forward_backward(logB, pi, A, Sequences(np.array([n]))), ref)
    for block_rows in (1, 97, 1000):
        gamma = np.empty_like(logB)

        def consume(s, e, g):
            gamma[s:e] = g

        ll, xi, start = forward_backward_blocked(lambda s, e: logB[s:e], pi, A, [n], consume,
                                                 block_rows=block_rows)
        _assert_close((ll, gamma, xi, start), ref)


def test_common_case_stays_on_the_scaled_path(monkeypatch):
    """Moderate spreads, with and without forbidden transitions: no log-space recomputation."""
    calls = []
    real = M._log_forward_backward
    monkeypatch.setattr(M, "_log_forward_backward", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    rng = np.random.default_rng(1)
    n = 5000
    logB = rng.normal(scale=3.0, size=(n, 3))
    pi = np.array([1.0, 0.0, 0.0])
    A = np.array([[0.9, 0.1, 0.0], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0]])  # left-right: exact zeros
    Ad = np.full((3, 3), 0.1) + np.eye(3) * 0.7
    for T in (A, Ad):
        out = forward_backward(logB, pi, T, Sequences(np.array([n])))
        ref = _reference(logB, pi, T, [n])
        _assert_close(out, ref)
    assert calls == []
    # a spread that loses a state does go there
    logB = rng.normal(scale=300.0, size=(200, 2))
    forward_backward(logB, np.array([0.0, 1.0]), np.array([[1.0, 0.0], [0.5, 0.5]]), Sequences(np.array([200])))
    assert calls


def test_impossible_data_stay_minus_infinity():
    """Data no path can produce, with spreads that also lose states: -inf, never NaN."""
    rng = np.random.default_rng(2)
    logB = rng.normal(scale=300.0, size=(50, 2))
    A = np.eye(2)  # no switching
    logB[:25, 1] = -np.inf  # only state 0 possible in the first half ...
    logB[25:, 0] = -np.inf  # ... and only state 1 in the second
    pi = np.array([0.5, 0.5])
    assert forward_backward(logB, pi, A, Sequences(np.array([50])))[0] == -math.inf
    assert forward_backward_blocked(lambda s, e: logB[s:e], pi, A, [50], block_rows=7)[0] == -math.inf
    assert log_likelihood_blocked(lambda s, e: logB[s:e], pi, A, [50], 7) == -math.inf
    # the same rows as two sequences are possible
    ref = _reference(logB, pi, A, [25, 25])
    _assert_close(forward_backward(logB, pi, A, Sequences(np.array([25, 25]))), ref)


@pytest.mark.parametrize("lengths", [[1, 3], [4], [2, 2]])
def test_a_start_state_far_below_a_forbidden_one_is_not_lost(lengths):
    """A sequence's first row where the only allowed start state (startprob (1, 0)) has an emission
    log-density 800 below the forbidden one: the scaled recursion's exp(logB - row max) underflows to
    0 for it and gave -inf, with no zero in transmat to flag the risk (found by the hypothesis test
    above: lengths (87, 1), startprob (1, 0), transmat's least entry 0.0097).  Whole, chunked and
    blocked results equal the log-space reference."""
    logB = np.array([[0.0, 800.0], [5.0, 1.0], [0.0, 900.0], [2.0, 3.0]])
    pi, A = np.array([1.0, 0.0]), np.array([[0.5, 0.5], [0.99, 0.01]])
    ref = _reference(logB, pi, A, lengths)
    assert math.isfinite(ref[0])
    _assert_close(forward_backward(logB, pi, A, Sequences(np.asarray(lengths))), ref)
    _assert_close(forward_backward(logB, pi, A, Sequences(np.asarray(lengths), chunk=1)), ref)
    gamma = np.full(logB.shape, np.nan)

    def consume(s, e, g):
        gamma[s:e] = g

    ll, xi, start = forward_backward_blocked(lambda s, e: logB[s:e], pi, A, lengths, consume, block_rows=1)
    _assert_close((ll, gamma, xi, start), ref)
    assert log_likelihood_blocked(lambda s, e: logB[s:e], pi, A, lengths, 1) == pytest.approx(ref[0], rel=1e-12)


def test_one_block_likelihood_is_judged_like_several():
    """The forward sweep alone (score) over data that fit in one block: with an absorbing state whose share
    the scaled forward variables lose, it gave 862.4 for a true 1019.8 (found by a random search of this
    module's cases, 1 Dec 2026: a forward-only result is judged only by the backward sweep, which ran for
    two or more blocks only)."""
    logB = np.array([[607.7, -376.7, 43.8], [464.5, -311.8, 183.5], [4.2, 210.1, -664.7], [4.5, 229.7, -6.1],
                     [45.0, 126.1, -322.9], [-123.3, -196.5, -871.9], [176.0, -340.5, -130.0],
                     [153.5, -235.0, 186.3], [-254.6, -73.7, -335.8], [-212.4, -121.4, 448.4]])
    pi = np.array([0.0655, 0.6018, 0.3327])
    A = np.array([[1.0, 0.0, 0.0], [0.0164, 0.3956, 0.588], [0.0, 0.3684, 0.6316]])
    A /= A.sum(axis=1, keepdims=True)
    ref = _reference(logB, pi, A, [10])
    for block_rows in (3, 10, 1000):
        ll = log_likelihood_blocked(lambda s, e: logB[s:e], pi, A, [10], block_rows)
        assert ll == pytest.approx(ref[0], rel=1e-12)
    _assert_close(forward_backward(logB, pi, A, Sequences(np.array([10]))), ref)


_TINY_CASES = {
    # transitions of 1e-257 to 1e-270 (no zeros) and no emission spread beyond 708: the per-row checks were
    # off, and the fast chunk-boundary scans gave posteriors 1 instead of 0 (found by a random search with
    # tiny positive transitions, 1 Dec 2026: 6 of 2,000 cases wrong, 0 after)
    "k4": (np.array([[12.0, -np.inf, 152.7, 97.1], [-np.inf, 177.6, -54.9, 43.9], [37.1, -35.4, 98.1, -33.8],
                     [-111.0, -43.5, 17.2, 39.5], [32.0, -54.6, 39.9, -np.inf], [11.5, -44.7, 99.7, 49.7],
                     [84.9, -np.inf, -184.4, -np.inf], [-9.5, -59.5, 57.6, -106.3], [-20.1, -np.inf, 51.1, 165.7],
                     [246.6, -119.3, -np.inf, 120.7], [-np.inf, -167.1, 103.8, -np.inf]]),
           np.array([0.26052979, 0.23709033, 0.05831858, 0.44406129]),
           np.array([[8.96e-84, 1.0, 5.46e-168, 3.57e-59], [2.58e-141, 1.0, 2.04e-207, 1.54e-163],
                     [8.26e-222, 3.25e-151, 1.0, 2.36e-265], [0.721983079, 2.85e-270, 0.278016921, 3.94e-247]]),
           8),
    "k2": (np.array([[-52.5, -75.9], [-174.8, 62.3], [-172.4, -163.6], [-87.8, 21.9], [39.6, 32.7], [139.6, 23.7],
                     [10.3, -47.3], [143.7, 68.9], [-152.7, -154.6], [111.1, 58.0], [-76.2, 73.3], [-12.9, 30.7],
                     [89.1, -85.1], [-177.9, 149.4], [74.4, 155.5], [-115.0, -52.2], [-120.1, 219.2],
                     [-163.0, 63.0], [55.8, -24.3], [32.2, 35.1], [82.4, 26.4], [-152.5, 70.1], [184.4, 133.5],
                     [153.1, 83.2], [34.0, -24.1], [217.1, -20.9], [4.5, -107.3], [107.8, 20.9]]),
           np.array([1.0, 6.78407413e-20]), np.array([[0.706958165, 0.293041835], [8.28918727e-257, 1.0]]), 2),
}


@pytest.mark.parametrize("name", sorted(_TINY_CASES))
def test_tiny_positive_transitions_equal_the_log_space_reference(name):
    logB, pi, A, chunk = _TINY_CASES[name]
    A = A / A.sum(axis=1, keepdims=True)
    n = len(logB)
    ref = _reference(logB, pi, A, [n])
    _assert_close(forward_backward(logB, pi, A, Sequences(np.array([n]), chunk=chunk)), ref)
    _assert_close(forward_backward(logB, pi, A, Sequences(np.array([n]))), ref)
    for block_rows in (3, 1000):
        gamma = np.full(logB.shape, np.nan)

        def consume(s, e, g):
            gamma[s:e] = g

        ll, xi, start = forward_backward_blocked(lambda s, e: logB[s:e], pi, A, [n], consume, block_rows=block_rows)
        _assert_close((ll, gamma, xi, start), ref)
        assert log_likelihood_blocked(lambda s, e: logB[s:e], pi, A, [n], block_rows) == pytest.approx(ref[0],
                                                                                                      rel=1e-12)


def test_a_chunk_boundary_scale_is_judged_too():
    """Zeros in transmat, integer log-densities spread to 1,500, chunks of 2 rows: the boundary scans gave a
    filtered state of the right direction but a row scale 3.8 % off, so the log-likelihood was 0.038 and the
    expected transitions 0.039 off while the posteriors were right (found by a random search, 1 Dec 2026;
    the boundary check compared directions only)."""
    logB = np.array([
        [624, 187, -56, -23], [-1065, 344, 22, -1013], [449, 17, 343, 13], [614, -98, -111, 298],
        [-388, 73, 110, -413], [-376, 194, 360, -130], [-10, 380, 761, 665], [215, -398, 3, 520],
        [-568, -70, 510, 328], [6, -352, 1070, 344], [183, -418, 98, -612], [344, 284, 152, -81],
        [26, 280, -119, -1010], [-137, -293, 503, 304], [-711, 1322, 59, 156], [390, 689, -400, 56],
        [-2, -490, -216, 700], [-142, 7, -949, 299], [607, 174, 385, -427], [-468, 842, 51, 663],
        [-73, -383, -394, 557], [-604, 155, 257, -316], [-17, -724, 751, 372], [-814, -226, -1135, -1491],
        [311, 862, -692, -188], [407, -363, -65, 660], [-916, 286, 118, -614], [-138, -357, -1493, -279],
        [502, 154, 639, -929], [816, -18, -829, 644], [-417, 758, 195, -655], [339, -170, -182, 205],
        [855, -94, -547, -110], [227, -115, -150, 30], [1, 575, 471, 469]], dtype=float)
    pi = np.array([0.9363, 0.0119, 0.0216, 0.0302])
    A = np.array([[0.76232377, 0.10318968, 0.13448655, 0.0], [0.0, 0.2195, 0.0, 0.7805],
                  [0.4044, 0.5341, 0.0, 0.0615], [0.1202, 0.3651, 0.5147, 0.0]])
    A /= A.sum(axis=1, keepdims=True)
    lengths = [5, 30]
    ref = _reference(logB, pi, A, lengths)
    for chunk in (2, 3, None):
        _assert_close(forward_backward(logB, pi, A, Sequences(np.array(lengths), chunk=chunk)), ref)
    assert log_likelihood_blocked(lambda s, e: logB[s:e], pi, A, lengths, 7) == pytest.approx(ref[0], rel=1e-12)
