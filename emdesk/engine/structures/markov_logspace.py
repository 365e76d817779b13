"""Forward-backward in log space, for the stretches where the scaled recursions of :mod:`.markov`
lose a state (a share below 1e-308 becoming 0; see :func:`.markov._fb_checked`).

The recursions of hmmlearn's ``_hmmc`` (Rabiner 1989, eq. 19-25, with ``logsumexp`` over the previous
state at every step): ``log alpha_t(j) = logsumexp_i(log alpha_{t-1}(i) + log A_ij) + log b_t(j)`` and
``log beta_t(i) = logsumexp_j(log A_ij + log b_{t+1}(j) + log beta_{t+1}(j))``, vectorised across
sequences (one Python step per row of the longest sequence).  Nothing underflows whatever the spread
of the log-densities; much slower than the chunked scaled recursions on one long sequence (measured
37 s against 0.7 s for 1e6 rows, k = 3), so used only where they lost a state that matters.
"""

from __future__ import annotations

import math

import numpy as np


def _lse(x, axis):
    """log(sum(exp(x))) over ``axis``; -inf where every term is -inf (no NaN)."""
    mx = np.max(x, axis=axis, keepdims=True)
    mx = np.where(np.isfinite(mx), mx, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(x - mx).sum(axis=axis)) + np.squeeze(mx, axis=axis)


def _log_forward_backward(logB, startprob, transmat, lengths, want_xi, head_start=None, beta_end=None,
                          forward_only=False):
    """Forward-backward in log space (as hmmlearn's ``_hmmc``: logsumexp over the previous state at
    every step), vectorised across sequences, one Python step per row of the longest sequence.  No
    underflow whatever the spread of ``logB``; slower than the scaled recursions, so used only where
    they lost a state.  Arguments and results as :func:`.markov._forward_backward` (``head_start``,
    ``beta_end`` and the returned last alpha / ``beta0`` in logs)."""
    n, k = logB.shape
    from .markov import Sequences  # noqa: PLC0415 (markov imports this module)

    lay = Sequences(lengths, chunk=int(np.max(lengths)))  # one chunk per sequence
    L, C, act = lay.L, lay.C, lay.active
    with np.errstate(divide="ignore"):
        logA = np.log(np.asarray(transmat, dtype=float))
        logpi = np.log(np.asarray(startprob, dtype=float))
    fail = (-math.inf, None) if forward_only else (-math.inf, None, None, None, None)
    G = np.take(logB, lay.idx_f.reshape(-1), axis=0).reshape(L, C, k)
    Fa = np.empty((L, C, k))
    Fa[0] = logpi
    if head_start is not None:
        Fa[0][lay.head] = head_start
    Fa[0] += G[0]
    for s in range(1, L):
        a = act[s]
        Fa[s, :a] = _lse(Fa[s - 1, :a, :, None] + logA[None], axis=1) + G[s, :a]
    del G
    last = Fa[lay.c_len - 1, np.arange(C)]
    lls = _lse(last, axis=1)
    ll = float(lls.sum())
    if not math.isfinite(ll):
        return fail
    if forward_only:
        return ll, last[lay.tail] - lls[lay.tail]
    Gb = np.take(logB, lay.idx_b.reshape(-1), axis=0).reshape(L, C, k)
    Bb = np.empty((L, C, k))
    Bb[0] = 0.0
    if beta_end is not None:
        Bb[0][lay.tail] = beta_end
    for s in range(1, L):
        a = act[s]
        u = Bb[s - 1, :a] + Gb[s - 1, :a]
        Bb[s, :a] = _lse(u[:, None, :] + logA[None], axis=2)
    del Gb
    la = lay.rows(Fa, lay.take_f)
    del Fa
    lb = lay.rows(Bb, lay.take_b)
    del Bb
    lg = la + lb
    Z = _lse(lg, axis=1)  # log P(data of the sequence) at every row (finite: ll is)
    gamma = np.exp(lg - Z[:, None])
    del lg
    xi = None
    if want_xi:
        # xi_t(i, j) = exp(la_{t-1}(i) + log A_ij + logB_t(j) + lb_t(j) - Z_t), summed in row blocks
        w = logB + lb - Z[:, None]
        w[~lay.nonstart] = -np.inf  # no transition into a sequence's first row
        xi = np.zeros((k, k))
        step = max(1, (1 << 16) // (k * k))
        for s in range(1, n, step):
            e = min(s + step, n)
            xi += np.exp(la[s - 1:e - 1, :, None] + logA[None] + w[s:e, None, :]).sum(axis=0)
    beta0 = lb[0].copy() if head_start is not None else None
    start_sum = gamma[lay.starts[1:] if head_start is not None else lay.starts].sum(axis=0)
    return ll, gamma, xi, start_sum, beta0
