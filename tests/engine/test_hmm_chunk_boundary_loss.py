"""A fault found while checking issue 16's HMM start, fixed by markov_chunks._boundary_harm: the whole-data scaled
forward-backward (``structures.markov.forward_backward``, the path of data that fit in one block) gives wrong
posteriors on a case stored by hypothesis in ``test_hmm_memory.py::test_blocked_forward_backward_equals_whole``
(k = 2, startprob [0, 1], an absorbing state 1 (transmat [[1, 0], [0.238, 0.762]]), 101 rows, log-densities
spread by about +-100): the log-likelihood is right (78.0671430771), but from row 32 on the posteriors say
state 1 with probability 1 where the log-space recursion (and the blocked forward-backward) give 0.058.
The lost-state check's HARM_FLOOR judged the lost share harmless: it assumed every lost share was below
LOST_SHARE, but the boundary scans' chunk products lost a share of e^-375 at row 32 (the first row of the
third chunk).  Chunk-boundary rows are now checked by one exact step from their neighbour, and a lost share
sends the data to the log-space recursion."""

from __future__ import annotations

import os

import numpy as np
import pytest
from scipy.special import logsumexp

from emdesk.engine.structures.markov import Sequences, forward_backward

CASE = os.path.join(os.path.dirname(__file__), "data", "hmm_whole_fb_lost_state_logB.csv")  # (101, 2), %.17g
PI = np.array([0.0, 1.0])
A = np.array([[1.0, 0.0], [0.23821253305474266, 0.7617874669452572]])


def _case():
    return np.loadtxt(CASE, delimiter=","), PI, A


def _log_reference(logB, pi, A):
    with np.errstate(divide="ignore"):
        lA, lpi = np.log(A), np.log(pi)
    n, k = logB.shape
    la = np.empty((n, k))
    la[0] = lpi + logB[0]
    for t in range(1, n):
        la[t] = logsumexp(la[t - 1][:, None] + lA, axis=0) + logB[t]
    lb = np.zeros((n, k))
    for t in range(n - 2, -1, -1):
        lb[t] = logsumexp(lA + logB[t + 1][None, :] + lb[t + 1][None, :], axis=1)
    ll = logsumexp(la[-1])
    return ll, np.exp(la + lb - ll)


def test_reference_and_case():
    ll_ref, gamma_ref = _log_reference(*_case())
    assert ll_ref == pytest.approx(78.0671430771, rel=1e-10)
    assert gamma_ref[32, 0] == pytest.approx(0.0581380068, rel=1e-6)


def test_whole_forward_backward_keeps_a_state_the_chunk_boundary_scans_lost():
    logB, pi, tm = _case()
    ll_ref, gamma_ref = _log_reference(logB, pi, tm)
    ll, gamma, _, _ = forward_backward(logB, pi, tm, Sequences(np.array([logB.shape[0]])))
    assert ll == pytest.approx(ll_ref, rel=1e-10)
    np.testing.assert_allclose(gamma, gamma_ref, atol=1e-8)


def test_chunked_forward_backward_with_tiny_transitions_equals_the_log_space_reference():
    """A second chunk-boundary loss, found by the break2 fuzzing (seed 9): transitions of 3.7e-200 and
    1.5e-199, emissions spread by up to 1,460 per row, three sequences (57, 17, 7 rows) in chunks of 7:
    the log-likelihood was 0.42 too low although every row was checked (the per-row check trusted the
    boundary rows).  markov_chunks._boundary_harm catches it; the default and other chunk sizes were right."""
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from test_hmm_logspace import _assert_close, _reference

    logB = np.loadtxt(os.path.join(os.path.dirname(__file__), "data", "hmm_chunk7_boundary_logB.csv"), delimiter=",")
    pi = np.array([0.3653641638342483, 0.3559621436282702, 0.2786736925374815])
    A = np.array([[1.5451594121890665e-199, 1.5451594121890665e-199, 1.0],
                  [0.7626382212590487, 0.0944173228913581, 0.1429444558495932],
                  [3.721784093188028e-200, 1.0, 3.721784093188028e-200]])
    lengths = [57, 17, 7]
    ref = _reference(logB, pi, A, lengths)
    for chunk in (None, 1, 3, 7, 20):
        seqs = Sequences(np.asarray(lengths)) if chunk is None else Sequences(np.asarray(lengths), chunk=chunk)
        _assert_close(forward_backward(logB, pi, A, seqs), ref)
