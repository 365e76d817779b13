"""Breaker round 2 (issue 16): the scaled forward-backward lost a state whose emission was more than
~745 below the row's largest while the largest belonged to a state of tiny (not zero) start or
transition probability (above markov.RISKY_TRANSITION, so nothing was checked): exp(logB - row max)
underflowed to 0 before the probabilities scaled the row, and the result was a wrong *finite*
log-likelihood (here -438 for a true +1).  Whole, chunked and blocked results equal the plain
log-space reference (test_hmm_logspace._reference)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine.structures.markov import Sequences, forward_backward
from emdesk.engine.structures.markov_blocked import forward_backward_blocked, log_likelihood_blocked

from test_hmm_logspace import _assert_close, _reference

# state 1 starts with probability 1e-250 but its emission at row 0 is e^1000 above state 0's: the
# true alpha_0 has state 0 at a relative share ~1e-184 (its exp(0 - 1000) underflows to 0); at row 1
# state 1 is e^-1000 below and the chain leaves it with probability 1e-270 only, so the lost state 0
# carries the whole likelihood
LOGB = np.array([[0.0, 1000.0], [0.0, -1000.0], [1.0, 2.0], [0.0, 1000.0], [0.0, -1000.0]])
PI = np.array([1.0, 1e-250])
A = np.array([[1.0, 1e-270], [1e-270, 1.0]])


@pytest.mark.parametrize("lengths", [[5], [2, 3], [1, 1, 3]])
def test_tiny_start_or_transition_with_emission_underflow(lengths):
    ref = _reference(LOGB, PI, A, lengths)
    assert np.isfinite(ref[0])
    for chunk in (None, 1, 2):
        seqs = Sequences(np.asarray(lengths)) if chunk is None else Sequences(np.asarray(lengths), chunk=chunk)
        _assert_close(forward_backward(LOGB, PI, A, seqs), ref)
    gamma = np.full(LOGB.shape, np.nan)

    def consume(s, e, g):
        gamma[s:e] = g

    for rows in (1, 2):
        gamma[:] = np.nan
        ll, xi, start = forward_backward_blocked(lambda s, e: LOGB[s:e], PI, A, lengths, consume, block_rows=rows)
        _assert_close((ll, gamma, xi, start), ref)
        assert log_likelihood_blocked(lambda s, e: LOGB[s:e], PI, A, lengths, rows) == pytest.approx(ref[0], rel=1e-12)


def test_random_extreme_chains_equal_the_log_space_reference():
    """Random chains with tiny (1e-100 .. 1e-270) but non-zero transitions, zeros and 1e-250 in
    startprob, and emissions spread by up to several thousand per row (found 78 mismatches in 1,200
    whole/chunked runs before the fix)."""
    rng = np.random.default_rng(1)
    for _ in range(60):
        k = int(rng.integers(2, 5))
        lengths = [int(x) for x in rng.integers(1, 40, rng.integers(1, 4))]
        n = sum(lengths)
        logB = rng.normal(scale=rng.choice([30.0, 300.0, 1000.0]), size=(n, k))
        pi = rng.dirichlet(np.ones(k))
        if rng.random() < 0.5:
            pi[rng.integers(k)] = 0.0
        if rng.random() < 0.5:
            pi[rng.integers(k)] = 1e-250
        pi /= pi.sum()
        A = rng.dirichlet(np.ones(k), size=k)
        A[rng.random((k, k)) < 0.3] = rng.choice([1e-5, 1e-100, 1e-200, 1e-270])
        A /= A.sum(axis=1, keepdims=True)
        ref = _reference(logB, pi, A, lengths)
        for chunk in (None, 1, 7):
            seqs = Sequences(np.asarray(lengths)) if chunk is None else Sequences(np.asarray(lengths), chunk=chunk)
            got = forward_backward(logB, pi, A, seqs)
            if not np.isfinite(ref[0]):
                assert got[0] == ref[0]
            else:
                _assert_close(got, ref)
        ll = log_likelihood_blocked(lambda s, e: logB[s:e], pi, A, lengths, 8)
        assert ll == pytest.approx(ref[0], rel=1e-10)
