"""A case found by the hypothesis test of test_hmm_logspace.py on 1 Dec 2026 (present since before issue 16's
fifth session, 2f9198a): with zeros in transmat and rows whose emission log-densities spread by up to
1,005, the scaled forward-backward's expected transition counts were off by 1.8e-6 (2e-7 relative) and
the log-likelihood by 3.1e-6 (1.3e-10 relative), against the log-space reference.

Cause: at row 28 (the 26th row of the 27-row sequence) state 2's emission is 732 below the row's largest,
so ``b = exp(logB - row max)`` is subnormal (about 1e-318, 3e-6 relative error), while the largest
emission's state had a predicted share of only 1.5e-224 (a forbidden transition); state 2's share
became 5e-95 with that error, and at the next row it carried every path.  The checks knew only shares
below 1e-290 (lost), not values below the normal range that keep a few digits.  Now
structures/markov_underflow.py bounds what every value below the normal range (forward, backward, and
the posteriors' and expected transitions' own products) can change, and such data go to the log-space
recursion."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from emdesk.engine.structures.markov import Sequences, forward_backward
from emdesk.engine.structures.markov_blocked import forward_backward_blocked, log_likelihood_blocked

sys.path.insert(0, os.path.dirname(__file__))
from test_hmm_logspace import _reference  # noqa: E402

CASE = os.path.join(os.path.dirname(__file__), "data", "hmm_xi_spread_logB.csv")  # (104, 4), %.17g
PI = np.array([0.18397212, 0.3457216, 0.20407162, 0.26623466])
A = np.array([[0.0, 0.18472152, 0.17040839, 0.64487009], [0.0526821, 0.0, 0.0, 0.9473179], [0.01278478, 0.0, 0.78044009, 0.20677513], [0.05587827, 0.73285232, 0.2112694, 0.0]])
LENGTHS = [1, 1, 1, 27, 74]


def test_the_case_has_the_subnormal_emission_described():
    logB = np.loadtxt(CASE, delimiter=",")
    d = logB[28] - logB[28].max()
    assert -745 < d[2] < -708  # exp(d) is subnormal
    assert 0 < np.exp(d[2]) < np.finfo(float).tiny


@pytest.mark.parametrize("chunk", [None, 1, 7])
def test_expected_transitions_equal_the_log_space_reference(chunk):
    logB = np.loadtxt(CASE, delimiter=",")
    ll, gamma, xi, start = forward_backward(logB, PI, A, Sequences(np.asarray(LENGTHS), chunk=chunk))
    rll, rgamma, rxi, rstart = _reference(logB, PI, A, LENGTHS)
    assert ll == pytest.approx(rll, rel=1e-13)  # was 1.3e-10 relative off
    np.testing.assert_allclose(gamma, rgamma, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(xi, rxi, rtol=1e-8, atol=1e-8)  # was 1.8e-6 off
    np.testing.assert_allclose(start, rstart, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("block_rows", [1, 13, 40])
def test_blocked_expected_transitions_equal_the_log_space_reference(block_rows):
    logB = np.loadtxt(CASE, delimiter=",")
    gamma = np.full(logB.shape, np.nan)

    def consume(s, e, g):
        gamma[s:e] = g

    ll, xi, start = forward_backward_blocked(lambda s, e: logB[s:e], PI, A, LENGTHS, consume,
                                             block_rows=block_rows)
    rll, rgamma, rxi, rstart = _reference(logB, PI, A, LENGTHS)
    assert ll == pytest.approx(rll, rel=1e-13)
    np.testing.assert_allclose(gamma, rgamma, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(xi, rxi, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(start, rstart, rtol=1e-8, atol=1e-10)
    assert log_likelihood_blocked(lambda s, e: logB[s:e], PI, A, LENGTHS, block_rows) == pytest.approx(rll, rel=1e-13)
