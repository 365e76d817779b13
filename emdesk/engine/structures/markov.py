"""Markov chain over ordered rows (hidden Markov models): forward-backward and Viterbi.

Rows come in sequences (``lengths``, as hmmlearn: consecutive blocks of rows).  Given the
per-row log-densities of the states ``logB`` (n, k) from an emission family, this module gives
the log-likelihood, the state posteriors ``gamma`` (n, k), the expected transition counts
``xi_sum`` (k, k) and start counts, and the Viterbi path.

Algorithm (no Python loop over the time steps of one long sequence)
-------------------------------------------------------------------
Scaled forward-backward (Rabiner 1989, section V.A) with emissions ``b_t = exp(logB_t - max_j
logB_t[j])``.  With ``M_t = A diag(b_t)`` the forward recursion is ``alpha_t = alpha_{t-1} M_t``
and the backward one ``beta_t = M_{t+1} beta_{t+1}``.  Every sequence is cut into chunks of at
most ``L`` rows (``L`` about sqrt(T/3)), and

1. *chunk transfer matrices* ``P_c = M_s ... M_e`` (k x k per chunk) are built for all chunks
   at once: ``L`` vectorised steps, each one GEMM ``(C k, k) @ (k, k)`` (rows renormalised every
   step, their log scales kept, so nothing underflows);
2. the filtered state at every chunk boundary follows from the chunk matrices in one short
   sequential sweep over the chunks of a sequence (vectorised across sequences), and the
   backward vector at every boundary likewise;
3. the exact scaled forward and backward recursions then run inside all chunks at once
   (``L`` vectorised steps each), giving the usual scale factors ``c_t`` (log-likelihood
   ``sum log c_t + sum max logB_t``) and ``alpha_hat``, ``beta``.

The Python loops therefore run about ``4 sqrt(T)`` steps over ``(n_chunks, k)`` arrays instead of
``T`` steps over ``k`` values; many short sequences are one chunk each, so step 1 is skipped and
the recursions are vectorised across sequences.  This is the blocked (two-level) form of the
parallel-scan formulation of Särkkä & García-Fernández (2021, "Temporal parallelization of
Bayesian smoothers", IEEE TAC 66(1)), with the associative elements (here the chunk products)
combined sequentially at the upper level.  Viterbi uses the same layout in the max-plus semiring:
chunk matrices of best log-path scores, boundary states in a sweep, and backtracking inside all
chunks at once from every possible end state.

Posteriors: ``gamma_t ∝ alpha_hat_t * beta_t``; expected transitions
``xi_sum = A * sum_t alpha_hat_{t-1}' (b_t * beta_t) / (c_t <alpha_hat_t, beta_t>)`` (one GEMM), so
``beta`` may be scaled by any per-step factor.  A step whose data are impossible under the
parameters (every path has probability 0) gives a log-likelihood of ``-inf``.

Scaling keeps ratios up to ~1e308 only: with zeros in ``transmat`` a state whose share underflows
can stay lost.  :func:`_fb_checked` detects where that can matter and redoes the data with the
log-space recursions of :mod:`.markov_logspace` (hmmlearn's form).
"""

from __future__ import annotations

import math

import numpy as np

from .markov_chunks import (  # noqa: F401 (LOST_SHARE: re-exported)
    BOUNDARY_HARM,
    LOST_SHARE,
    _boundary_harm,
    _boundary_lost,
    _boundary_scans,
    _careful_sweeps,
    _gemm_rows,
    _row_normalise,
)
from .markov_logspace import _log_forward_backward
from .markov_underflow import TINY, UNDERFLOW_HARM, forward_below_normal, underflow_harm

__all__ = ["Sequences", "SequenceLengths", "MarkovStructure", "forward_backward", "viterbi", "check_lengths"]

#: Minimum and maximum chunk length.
MIN_CHUNK = 16


def row_max(a):
    """Row maxima of an (n, k) array with k small: one pass per column (NumPy's ``max(axis=1)``
    over a short last axis was measured 6x slower at n = 1e5, k = 5)."""
    m = a[:, 0].copy()
    for j in range(1, a.shape[1]):
        np.maximum(m, a[:, j], out=m)
    return m


def check_lengths(lengths, n):
    """``lengths`` (hmmlearn's: row counts of the consecutive sequences) as an int array summing
    to ``n``; None is one sequence.  ValueError for anything else."""
    if lengths is None:
        return np.array([n], dtype=np.int64)
    try:
        arr = np.asarray(lengths)
    except Exception:  # noqa: BLE001 - any conversion failure is the user's input
        raise ValueError("lengths must be a list of sequence lengths (positive integers).") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"lengths must be a 1-D list of sequence lengths; got shape {arr.shape}.")
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError("lengths must be integers (the number of rows of each sequence).")
    if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
        raise ValueError("lengths must be whole numbers (the number of rows of each sequence).")
    arr = arr.astype(np.int64)
    if np.any(arr < 1):
        i = int(np.flatnonzero(arr < 1)[0])
        raise ValueError(
            f"Sequence {i + 1} has length {int(arr[i])}: every sequence needs at least one row.")
    total = int(arr.sum())
    if total != n:
        raise ValueError(
            f"lengths sum to {total} but X has {n} rows: the lengths must add up to the number of rows.")
    return arr


class SequenceLengths:
    """The sequences of a fit without the chunked layout's per-row index arrays (``lengths``,
    ``starts``, ``n``): what an HMM fit keeps, its E-steps laying out one row block at a time."""

    def __init__(self, lengths):
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.n = int(self.lengths.sum())
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)


class Sequences:
    """Chunked layout of the rows of several sequences (see the module docstring)."""

    def __init__(self, lengths, chunk=None):
        lengths = np.asarray(lengths, dtype=np.int64)
        self.lengths = lengths
        self.n = int(lengths.sum())
        self.starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        max_len = int(lengths.max())
        if chunk is None:
            # Chunks of about sqrt(T)/4 rows (measured: T = 1e3 -> 16, 1e5 -> 80 best within 2x);
            # many short sequences are already vectorised across sequences, and chunking them
            # would only add the k^3 work of the transfer matrices (1,000 x 100, k = 10: 0.3 s
            # unchunked against 0.9 s in chunks of 32), so they stay one chunk each.
            chunk = max(MIN_CHUNK, int(math.ceil(math.sqrt(max_len) / 4.0)))
            if max_len <= 2 * chunk or (len(lengths) >= 64 and max_len <= 1024):
                chunk = max_len
        L = int(min(chunk, max_len))
        self.L = L
        n_chunks = (lengths + L - 1) // L
        seq_of = np.repeat(np.arange(len(lengths)), n_chunks)
        pos = np.arange(int(n_chunks.sum())) - np.repeat(np.cumsum(n_chunks) - n_chunks, n_chunks)
        c_start = self.starts[seq_of] + pos * L
        c_len = np.minimum(L, self.starts[seq_of] + lengths[seq_of] - c_start)
        # chunks sorted by length (descending, stable): the active chunks of a step are a prefix
        order = np.argsort(-c_len, kind="stable")
        self.c_start = c_start[order]
        self.c_len = c_len[order]
        self.c_first = (pos == 0)[order]
        self.c_seq = seq_of[order]
        self.c_pos = pos[order]
        self.n_chunks_of = n_chunks
        C = len(order)
        self.C = C
        self.has_inner = bool(np.any(~self.c_first))
        steps = np.arange(L)
        self.active = (self.c_len[None, :] > steps[:, None]).sum(axis=1)  # (L,) prefix sizes
        valid = steps[:, None] < self.c_len[None, :]
        self.valid = valid
        self.idx_f = np.where(valid, self.c_start[None, :] + steps[:, None], 0)
        self.idx_b = np.where(valid, self.c_start[None, :] + self.c_len[None, :] - 1 - steps[:, None], 0)
        inv = np.empty(C, dtype=np.int64)
        inv[order] = np.arange(C)
        first_chunk = np.cumsum(n_chunks) - n_chunks
        self.max_chunks = int(n_chunks.max())
        # pairs (chunk p, chunk p + 1) of the sequences that have both, for the boundary sweeps
        self.pairs = []
        for p in range(self.max_chunks - 1):
            seqs = np.flatnonzero(n_chunks > p + 1)
            cur, nxt = inv[first_chunk[seqs] + p], inv[first_chunk[seqs] + p + 1]
            if len(seqs) == 1:  # one sequence: plain indices (views, no gathers)
                cur, nxt = slice(int(cur[0]), int(cur[0]) + 1), slice(int(nxt[0]), int(nxt[0]) + 1)
            self.pairs.append((cur, nxt))
        self.last_chunk = np.zeros(C, dtype=bool)
        self.last_chunk[inv[first_chunk + n_chunks - 1]] = True
        # sorted index of the first chunk of the first sequence and of the last chunk of the last one
        # (a row block's pieces of sequences cut by the block boundaries: markov_blocked)
        self.head = int(inv[0])
        self.tail = int(inv[first_chunk[-1] + n_chunks[-1] - 1])
        # chunks in time order (sorted index of the j-th chunk in time), for the boundary scans
        self.time_order = inv.copy()
        self.time_last = np.zeros(C, dtype=bool)  # time positions holding a sequence's last chunk
        self.time_last[first_chunk + n_chunks - 1] = True
        # flat grid position of every row (forward and backward grids), for gathers
        flat = np.arange(L * C).reshape(L, C)
        self.take_f = np.empty(self.n, dtype=np.int64)
        self.take_f[self.idx_f[valid]] = flat[valid]
        self.take_b = np.empty(self.n, dtype=np.int64)
        self.take_b[self.idx_b[valid]] = flat[valid]
        self.nonstart = np.ones(self.n, dtype=bool)
        self.nonstart[self.starts] = False

    def rows(self, grid, take):
        """The (n, ...) rows of a (L, C, ...) grid (``take`` = ``take_f`` or ``take_b``)."""
        return np.take(grid.reshape((self.L * self.C,) + grid.shape[2:]), take, axis=0)


def forward_backward(logB, startprob, transmat, seqs: Sequences, want_xi=True):
    """Scaled forward-backward over all sequences.

    Parameters: ``logB`` (n, k) log emission densities, ``startprob`` (k,), ``transmat`` (k, k),
    ``seqs`` the layout.  Returns ``(log_likelihood, gamma (n, k), xi_sum (k, k) or None,
    start_sum (k,))``; ``log_likelihood`` is ``-inf`` when the data are impossible under the
    parameters (then the other results are None).
    """
    return _fb_checked(logB, startprob, transmat, seqs, want_xi)[:4]


#: Kept for reference (no longer a threshold): transitions below it were the only ones always checked
#: until a random search (1 Dec 2026) found transitions of 1e-227 to 1e-270 without any emission spread
#: that gave posteriors 1 instead of 0 and log-likelihoods 467 off (tests/engine/test_hmm_logspace.py):
#: a share is put back by the next step at ``min(transmat)`` relative, but the backward variables can
#: favour that state by 1 / min(transmat), so such a chain is checked whenever a transition is below
#: :data:`SMALL_PROBABILITY`.
RISKY_TRANSITION = 1e-280
#: A lost share at row t changes the results by at most ``LOST_SHARE * beta_t(j) / <alpha_t, beta_t>``
#: relative (alpha and beta normalised to sum 1): harmless while ``<alpha_t, beta_t>`` is above this
#: (1e-90 at most), so a state that truly fades away (a chain drifting into an absorbing state) stays
#: on the fast path.
HARM_FLOOR = 1e-200
#: ``exp(logB - row max)`` times a start probability below the normal range of doubles (log of 2.2e-308):
#: see :func:`risky_chain`.
EMISSION_UNDERFLOW = 708.396
#: With every transition probability at least this, the rows after a sequence's first cannot lose
#: anything that matters (see :func:`risky_chain`).
SMALL_PROBABILITY = 1e-18


def risky_chain(startprob, transmat, logB=None, lengths=None, head_start=None):
    """Whether the scaled recursions must check every row (:func:`_fb_checked`): a transition below
    :data:`SMALL_PROBABILITY`; or, at a sequence's first row (``lengths``; ``head_start``, a log, for
    the first one when given), a start probability below it for the row's largest emission while some
    state's start value ``startprob_j exp(logB_j - row max)`` is below the normal range (0 < value <
    2.2e-308).  Without ``logB`` (the row-block sweeps decide before reading it) any emissions are assumed.

    Why that suffices: with every transition at least ``p`` = :data:`SMALL_PROBABILITY` the predicted
    share of every state is at least ``p``, so a row's scale is at least ``p``, every normalised backward
    value at least ``p / k`` and ``<alpha_t, beta_t>`` at least ``p / k``; the bounds of
    :mod:`.markov_underflow` are then below ``k^2 2^-1074 / p^2`` ~ 1e-287 whatever the emissions.  Only a
    first row, whose scale is ``sum_j startprob_j b_j``, can be small, and only matters when a value
    there is below the normal range.  (Before 1 Dec 2026 the rule also needed an emission spread beyond
    708; tests/engine/test_break2_hmm.py and test_hmm_logspace.py hold the cases that broke it.)"""
    A = np.asarray(transmat, dtype=float)
    if not A.size:
        return False
    if A.min() < SMALL_PROBABILITY:
        return True
    pi = np.asarray(startprob, dtype=float)
    if pi.min() >= SMALL_PROBABILITY and head_start is None:
        return False
    if logB is None:
        return True
    starts = np.zeros(1, dtype=np.int64) if lengths is None else np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
    X = np.asarray(logB[starts], dtype=float)
    m = row_max(X)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.broadcast_to(np.log(pi), X.shape).copy()
        if head_start is not None and starts[0] == 0:
            lp[0] = np.asarray(head_start, dtype=float)
        F = lp + X - m[:, None]
        sub = np.any((F < -EMISSION_UNDERFLOW) & (F > -np.inf), axis=1)
    top = lp[np.arange(len(starts)), np.argmax(X, axis=1)]
    return bool(np.any(sub & ~(top >= np.log(SMALL_PROBABILITY))))


class _Lost:
    """Returned by :func:`_forward_backward` when the scaled variables lost a reachable state."""


LOST = _Lost()


def _fb_checked(logB, startprob, transmat, seqs, want_xi, head_start=None, beta_end=None, forward_only=False,
                fallback=True, report=None):
    """:func:`_forward_backward` (fast scans, then the careful sweeps if they failed), redone in log
    space (:func:`_log_forward_backward`) where Rabiner's scaling lost a state.

    A state whose scaled share falls below ~1e-308 becomes 0; with every transition probability
    positive (above :data:`RISKY_TRANSITION`) the next step puts it back, but a zero in ``transmat``
    (an absorbing state, a left-right chain) can keep it lost, giving ``-inf`` or a wrong likelihood.
    The same loss comes from emissions spread beyond ~708 in a row where the largest belongs to a state
    of tiny start or transition probability (:data:`EMISSION_UNDERFLOW`).  So when ``transmat`` has
    such entries, or those probabilities and spreads occur (:func:`risky_chain`), the scaled
    recursions check every row: a reachable state
    (one step of the boolean support recursion from the previous row's computed shares, ``transmat >
    0`` and ``logB > -inf``) with a share below :data:`LOST_SHARE` at a row where that can matter
    (``<alpha_t, beta_t>`` below :data:`HARM_FLOOR`, or a row scale of 0) sends the data to the
    log-space recursions (hmmlearn's form); so does a ``-inf`` that no all-impossible row explains, and
    so do values below the normal range of doubles whose bound on the posteriors' change
    (:mod:`.markov_underflow`) is above :data:`~.markov_underflow.UNDERFLOW_HARM`.  The chunk-boundary rows
    are judged on every path (:func:`~.markov_chunks._boundary_harm`): the fast scans' loss is redone
    by the careful sweeps.
    ``head_start`` and ``beta_end`` are logs here.  ``forward_only`` results are not judged (no
    backward variables): :mod:`.markov_blocked` checks them in its backward sweep.  ``fallback``
    False: :data:`LOST` is returned as it is (the caller redoes more than these rows).  ``report``: a
    list; ``True`` is appended when the scaled forward variables lost a reachable state anywhere.
    """
    A = np.asarray(transmat, dtype=float)
    risky = risky_chain(startprob, A, logB, seqs.lengths, head_start)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        out = _forward_backward(logB, startprob, transmat, seqs, want_xi, False, head_start, beta_end,
                                forward_only, risky, report)
        if out is None:  # a chunk row vanished (zero probability): redo with the careful sweeps
            out = _forward_backward(logB, startprob, transmat, seqs, want_xi, True, head_start, beta_end,
                                    forward_only, risky, report)
        # posteriors that are not finite beside a finite likelihood (0 * inf in the scaled products:
        # NaN expected transitions were found for transitions of 1e-200 with emissions spread by ~1000,
        # tests/engine/test_break2_hmm.py): redone as a lost state
        if (out is not LOST and not forward_only and out[1] is not None and math.isfinite(out[0])
                and not all(np.isfinite(a).all() for a in out[1:4] if a is not None)):
            out = LOST
        if not fallback:
            return out
        # a -inf that no all-impossible row explains: lost shares can also vanish without zeros in
        # transmat (emissions spread by ~1000 per row and a zero in startprob underflow a whole chunk
        # product; hypothesis found such a case: lengths (87, 1), startprob (1, 0), min transmat 0.01)
        if out is LOST or (not math.isfinite(out[0]) and not np.any(row_max(logB) == -np.inf)):
            out = _log_forward_backward(logB, startprob, transmat, seqs.lengths, want_xi, head_start, beta_end,
                                        forward_only)
    return out


def _forward_backward(logB, startprob, transmat, seqs, want_xi, robust, head_start=None, beta_end=None,
                      forward_only=False, check=False, report=None):
    """The scaled forward-backward of the module docstring.

    For a block of rows cut out of longer sequences (:mod:`.markov_blocked`): ``head_start`` (k,)
    replaces ``startprob`` for the first sequence (the log of the predicted state ``alpha_hat A`` of
    the row before the block, summing to 1), ``beta_end`` (k,) is the log of the backward vector of the
    last row of the last sequence (any scale; None: the sequence ends there).  ``forward_only``:
    returns ``(ll, log alpha_hat of the last row)``.  Otherwise ``(ll, gamma, xi, start_sum, beta0)``
    with ``beta0`` the log of the first row's backward vector (any scale; None without
    ``head_start``) and ``xi``/``start_sum`` counting only what lies inside the block.  None when a
    fast boundary scan was not finite (the caller redoes it with ``robust``); ll ``-inf`` and the rest
    None when the rows are impossible.  ``check``: :data:`LOST` when a reachable state's share or a
    row's scale vanished (see :func:`_fb_checked`)."""
    n, k = logB.shape
    A = np.ascontiguousarray(transmat, dtype=float)
    pi = np.asarray(startprob, dtype=float)
    m = row_max(logB)
    fail = (-math.inf, None) if forward_only else (-math.inf, None, None, None, None)
    if not np.all(np.isfinite(m)):
        return fail
    log_head, log_end = head_start, beta_end
    if head_start is not None:
        head_start = np.exp(head_start)
    if beta_end is not None:
        top = np.max(beta_end)
        beta_end = np.exp(beta_end - (top if np.isfinite(top) else 0.0))
    b = np.exp(logB - m[:, None])
    L, C = seqs.L, seqs.C
    act = seqs.active
    G = np.take(b, seqs.idx_f.reshape(-1), axis=0).reshape(L, C, k)
    ones = np.ones(k)

    # -- 1. chunk transfer matrices and 2. boundary sweeps (only if a sequence has > 1 chunk)
    alpha_in = np.full((C, k), 1.0 / k)
    beta_out = np.ones((C, k))
    if beta_end is not None:
        beta_out[seqs.tail] = beta_end
    if seqs.has_inner:
        P = np.empty((C, k, k))
        R = np.zeros((C, k))
        P[:] = A[None]
        P[seqs.c_first] = pi[None, :]
        if head_start is not None:
            P[seqs.head] = head_start[None, :]
        P *= G[0][:, None, :]
        _row_normalise(P, R, robust)
        tmp = np.empty((C * k, k))
        for s in range(1, L):
            a = act[s]
            Pa = P[:a]
            _gemm_rows(Pa.reshape(a * k, k), A, tmp[: a * k])
            np.multiply(tmp[: a * k].reshape(a, k, k), G[s, :a, None, :], out=Pa)
            _row_normalise(Pa, R[:a], robust)
        # the rows' scales relative to each chunk's largest (0 where a row is negligible)
        Rmax = R.max(axis=1)
        E = np.exp(R - np.where(np.isfinite(Rmax), Rmax, 0.0)[:, None])
        if not robust:
            # fast: the boundary sweeps as log-depth scans over the chunk matrices (no checks per
            # step); anything not finite sends the caller to the careful version
            _boundary_scans(P, E, alpha_in, beta_out, seqs, beta_end, backward=not forward_only)
            if not (np.isfinite(alpha_in).all() and np.isfinite(beta_out).all()):
                return None
        else:
            _careful_sweeps(P, R, E, alpha_in, beta_out, seqs, ones, backward=not forward_only)
            if not (np.isfinite(alpha_in).all() and np.isfinite(beta_out).all()):
                return fail
        if forward_only and not check:
            # the chunk matrices give the likelihood without the recursions inside the chunks: the
            # unnormalised transfer of chunk c is diag(exp R_c) P_c with rows of P_c summing to 1, so
            # chunk c adds log sum_i alpha_in[c, i] exp(R[c, i]), and its last row's filtered state is
            # (alpha_in[c] exp(R_c)) P_c normalised
            with np.errstate(divide="ignore"):
                lw = np.log(alpha_in) + R
            top = lw.max(axis=1)
            if not np.all(np.isfinite(top)):  # impossible, or the fast scans lost a state: decide carefully
                return fail if robust else None
            w = np.exp(lw - top[:, None])
            tot = w @ ones
            ll = float((top + np.log(tot)).sum() + m.sum())
            end = w[seqs.tail] @ P[seqs.tail]
            tot_end = end.sum()
            if not (np.isfinite(ll) and np.isfinite(tot_end) and tot_end > 0):
                # the fast path leaves a vanished row of the last chunk's matrix NaN (no scan reads it)
                return fail if robust else None
            return ll, np.log(end / tot_end)
        del P, R, E

    # -- 3. exact scaled recursions inside all chunks
    F = np.empty((L, C, k))
    scale = np.ones((L, C))
    np.matmul(alpha_in, A, out=F[0])
    F[0][seqs.c_first] = pi
    if head_start is not None:
        F[0][seqs.head] = head_start
    F[0] *= G[0]
    c0 = F[0] @ ones
    scale[0] = c0
    F[0] /= c0[:, None]
    for s in range(1, L):
        a = act[s]
        Fs = F[s, :a]
        np.matmul(F[s - 1, :a], A, out=Fs)
        Fs *= G[s, :a]
        cs = Fs @ ones
        scale[s, :a] = cs
        Fs /= cs[:, None]
    cscale = seqs.rows(scale, seqs.take_f)
    alpha = None
    if check:
        alpha = seqs.rows(F, seqs.take_f)
        fin = logB > -np.inf
        Apos = (A > 0).astype(float)
        # one step of the support recursion from the computed shares: by induction over the rows,
        # no flagged row means the computed zeros are the true ones
        sup = np.empty((n, k), dtype=bool)
        if n > 1:
            sup[1:] = ((alpha[:-1] > 0).astype(float) @ Apos) > 0
        sup[seqs.starts] = pi > 0
        if log_head is not None:
            sup[0] = log_head > -np.inf
        sup &= fin
        if np.any(sup.any(axis=1) & ~(cscale > 0)):  # a possible row lost all its states
            if report is not None:
                report.append(True)
            return LOST
        flagged = (sup & ~(alpha >= LOST_SHARE)).any(axis=1)
        # reachable states whose unnormalised value f_t(j) fell below the normal range: a few digits
        # only (markov_underflow), judged with the backward variables below
        fsub = forward_below_normal(alpha, cscale, sup)
        del sup
        if forward_only and seqs.has_inner and _boundary_lost(alpha, b, A, seqs, cscale):
            if report is not None:
                report.append(True)
            return LOST
        if report is not None and (flagged.any() or fsub.any()):
            report.append(True)
    if not np.all(cscale > 0):
        # impossible rows, or (after the fast scans) a boundary state they lost: decide carefully
        return fail if robust or not seqs.has_inner else None
    ll = float(np.log(cscale).sum() + m.sum())
    if forward_only:
        return ll, np.log(F[seqs.c_len[seqs.tail] - 1, seqs.tail])

    del G
    Gb = np.take(b, seqs.idx_b.reshape(-1), axis=0).reshape(L, C, k)
    Bg = np.empty((L, C, k))
    Bg[0] = beta_out
    At = np.ascontiguousarray(A.T)
    tmpb = np.empty((C, k))
    bscale = np.ones((L, C)) if check else None  # the backward rows' totals before normalising
    for s in range(1, L):
        a = act[s]
        np.multiply(Bg[s - 1, :a], Gb[s - 1, :a], out=tmpb[:a])
        Bs = Bg[s, :a]
        np.matmul(tmpb[:a], At, out=Bs)
        sb = Bs @ ones
        if check:
            bscale[s, :a] = sb
        Bs /= sb[:, None]
    del Gb

    if alpha is None:
        alpha = seqs.rows(F, seqs.take_f)
    del F
    beta = seqs.rows(Bg, seqs.take_b)
    del Bg
    if check:
        # the backward shares likewise: beta_t(i) > 0 when some j with A_ij > 0 has beta_{t+1}(j) > 0
        # and logB_{t+1}(j) > -inf (a sequence's last row: 1, or the block's beta_end)
        supb = np.zeros((n, k), dtype=bool)
        if n > 1:
            supb[:-1] = ((((beta[1:] > 0) & fin[1:]).astype(float) @ Apos.T) > 0) & seqs.nonstart[1:, None]
        if log_end is not None:
            supb[n - 1] = log_end > -np.inf
        flagged |= (supb & ~(beta >= LOST_SHARE)).any(axis=1)
        bscale = seqs.rows(bscale, seqs.take_b)
        gsub = supb & ~(beta >= (TINY / bscale)[:, None])
        del supb
    # the chunk-boundary rows (from products of chunk matrices) against one exact step from their
    # neighbours, on every path (O(chunks k^2)): the fast scans' loss is redone by the careful sweeps
    # (the caller, on None), theirs in log space
    if seqs.has_inner and _boundary_harm(alpha, beta, b, A, seqs, cscale) > BOUNDARY_HARM:
        return LOST if robust else None
    beta0 = np.log(beta[0]) if head_start is not None else None
    gsum = np.einsum("ij,ij->i", alpha, beta)
    if check:
        # beta's rows sum to 1 (a sequence's last row: k, or beta_end with largest entry 1)
        rs = beta @ ones
        if np.any(flagged & ~(gsum >= HARM_FLOOR * rs)):
            return LOST
        # values below the normal range (forward, backward, and the posteriors' and expected
        # transitions' own products): their bound on any posterior's change (markov_underflow)
        if underflow_harm(alpha, beta, b, cscale, bscale, gsum, fsub, gsub, seqs.nonstart,
                          want_xi) > UNDERFLOW_HARM:
            return LOST
    xi = None
    if want_xi:
        b *= beta  # b is not needed any more: reuse it for b_t * beta_t / (c_t <alpha_t, beta_t>)
        b /= (cscale * gsum)[:, None]
        b[~seqs.nonstart] = 0.0
        xi = A * (alpha[:-1].T @ b[1:]) if n > 1 else np.zeros((k, k))
    del b
    gamma = alpha
    gamma *= beta
    del beta
    gamma /= gsum[:, None]
    # a block's first row that continues a sequence is not a start
    start_sum = gamma[seqs.starts[1:] if head_start is not None else seqs.starts].sum(axis=0)
    return ll, gamma, xi, start_sum, beta0


def viterbi(logB, startprob, transmat, seqs: Sequences):
    """Most likely state path.  Returns ``(log_prob, states (n,))``: the sum over sequences of
    the best path's joint log-probability, and the path (ties: the lowest state)."""
    with np.errstate(divide="ignore"):
        logA = np.log(np.asarray(transmat, dtype=float))
        logpi = np.log(np.asarray(startprob, dtype=float))
    return _viterbi(logB, logpi, logA, seqs)


def _viterbi(logB, logpi, logA, seqs, head_start=None, end_state=None, forward_only=False, delta_in=None):
    """Viterbi in the chunked layout.  For a block of rows cut out of longer sequences
    (:mod:`.markov_blocked`): ``head_start`` (k,) replaces ``logpi`` for the first sequence (the
    best log-score of each state at its first row before its emission: ``max_i delta_i + log A_ij``
    of the row before the block); ``end_state`` is the state of the last row of the last sequence
    when that sequence goes on after the block (its score then does not count in ``log_prob``).
    ``forward_only``: returns ``(log_prob, delta of the last row, delta_in)`` with ``delta_in``
    (C, k) the scores entering every chunk, which a second call may pass back (``delta_in``) to skip
    the chunk matrices; otherwise ``(log_prob, states)`` with ``states`` int64 (n,)."""
    n, k = logB.shape
    L, C = seqs.L, seqs.C
    act = seqs.active
    G = np.take(logB, seqs.idx_f.reshape(-1), axis=0).reshape(L, C, k)
    given = delta_in is not None
    if not given:
        delta_in = np.zeros((C, k))
    if seqs.has_inner and not given:
        P = np.empty((C, k, k))
        P[:] = logA[None]
        P[seqs.c_first] = logpi[None, :]
        if head_start is not None:
            P[seqs.head] = head_start[None, :]
        P += G[0][:, None, :]
        new = np.empty((C, k, k))
        tmp = np.empty((C, k, k))
        for s in range(1, L):
            a = act[s]
            Pa, Na, Ta = P[:a], new[:a], tmp[:a]
            # max-plus product with logA, max over the middle state l (one (a, k, k) pass per l:
            # measured 3x faster than one (a, k, k, k) temporary)
            np.add(Pa[:, :, 0, None], logA[0], out=Na)
            for mid in range(1, k):
                np.add(Pa[:, :, mid, None], logA[mid], out=Ta)
                np.maximum(Na, Ta, out=Na)
            np.add(Na, G[s, :a, None, :], out=Pa)
        for cur, nxt in seqs.pairs:
            delta_in[nxt] = np.max(delta_in[cur][:, :, None] + P[cur], axis=1)
        if forward_only:  # the chunk matrices give every chunk's last scores: no step recursion
            last_D = np.max(delta_in[:, :, None] + P, axis=1)
            lc = np.flatnonzero(seqs.last_chunk)
            if end_state is not None:
                lc = lc[lc != seqs.tail]
            return float(last_D[lc].max(axis=1).sum()), last_D[seqs.tail].copy(), delta_in
    D = np.empty((L, C, k))
    psi = np.empty((L, C, k), dtype=np.int32)
    t0 = delta_in[:, :, None] + logA[None]
    psi[0] = np.argmax(t0, axis=1)
    D[0] = np.max(t0, axis=1)
    D[0][seqs.c_first] = logpi
    if head_start is not None:
        D[0][seqs.head] = head_start
    psi[0][seqs.c_first] = 0
    D[0] += G[0]
    for s in range(1, L):
        a = act[s]
        t = D[s - 1, :a, :, None] + logA[None]
        psi[s, :a] = np.argmax(t, axis=1)
        D[s, :a] = np.take_along_axis(t, psi[s, :a, None, :], axis=1)[:, 0, :] + G[s, :a]
    if forward_only:
        last_D = D[seqs.c_len - 1, np.arange(C)]
        lc = np.flatnonzero(seqs.last_chunk)
        if end_state is not None:
            lc = lc[lc != seqs.tail]
        return float(last_D[lc].max(axis=1).sum()), last_D[seqs.tail].copy(), delta_in
    # backtrack inside all chunks from every possible end state
    Q = np.empty((L, C, k), dtype=np.int32)
    ar = np.arange(k, dtype=np.int32)
    end_step = seqs.c_len - 1
    for s in range(L - 1, -1, -1):
        a = act[s]
        a_next = act[s + 1] if s + 1 < L else 0
        Q[s, a_next:a] = ar
        if a_next:
            Q[s, :a_next] = np.take_along_axis(psi[s + 1, :a_next], Q[s + 1, :a_next], axis=1)
    # end states of the chunks, from the last chunk of each sequence backwards
    last_D = D[end_step, np.arange(C)]  # (C, k)
    ends = np.zeros(C, dtype=np.int64)
    lc = np.flatnonzero(seqs.last_chunk)
    ends[lc] = np.argmax(last_D[lc], axis=1)
    if end_state is not None:
        ends[seqs.tail] = end_state
        lc = lc[lc != seqs.tail]
    log_prob = float(last_D[lc, ends[lc]].sum())
    end_state = ends
    for cur, nxt in reversed(seqs.pairs):
        first_state = Q[0, nxt, end_state[nxt]]
        end_state[cur] = psi[0, nxt, first_state]
    states_grid = np.take_along_axis(Q, np.broadcast_to(end_state[None, :, None], (L, C, 1)).astype(np.int64),
                                     axis=2)[:, :, 0]
    states = seqs.rows(states_grid, seqs.take_f).astype(np.int64)
    return log_prob, states


class MarkovStructure:
    """The Markov-chain latent structure: parameters ``startprob`` (k,) and ``transmat`` (k, k).

    ``transmat_prior`` (None, a number or (k, k)): Dirichlet prior on each transition row, MAP
    M-step ``max(prior - 1 + counts, 0)`` normalised (hmmlearn's form; 1 = no prior).
    """

    name = "markov"

    def __init__(self, transmat_prior=None, startprob_prior=None):
        self.transmat_prior = transmat_prior
        self.startprob_prior = startprob_prior

    #: Rows of the starting responsibilities read at a time by :meth:`init_params`.
    INIT_BLOCK_ROWS = 1 << 16

    def init_params(self, resp, seqs: Sequences):
        """Start and transition probabilities from initial responsibilities: counts of the starts
        and of consecutive pairs, plus one (so no probability starts at 0).

        ``resp``: (n, k) array, a :class:`~emdesk.engine.families._blocks.RowResp` or a (k, n)
        stand-in of :func:`emdesk.engine.init.initial_assignment`, read once, :attr:`INIT_BLOCK_ROWS`
        rows at a time (memory: three blocks, 24 k bytes per block row, never (n, k); issue 16); the
        same numbers as from the whole (n, k) array (:func:`.markov_init.markov_start_params`)."""
        from .markov_init import markov_start_params
        return markov_start_params(resp, seqs.starts, self.INIT_BLOCK_ROWS)

    def e_step(self, logB, params, seqs, want_stats=True):
        if not isinstance(seqs, Sequences):
            seqs = Sequences(seqs.lengths)
        ll, gamma, xi, start = forward_backward(logB, params["startprob"], params["transmat"], seqs, want_stats)
        return ll, gamma, (start, xi)

    def m_step(self, stats, params, occupancy):
        """New (startprob, transmat) and the issues found (dying transition rows)."""
        start, xi = stats
        k = len(start)
        issues = []
        sp = start.copy()
        if self.startprob_prior is not None:
            sp = np.maximum(np.asarray(self.startprob_prior, dtype=float) - 1.0 + sp, 0.0)
        sp = np.where(params["startprob"] == 0, 0.0, sp)
        total = sp.sum()
        sp = sp / total if total > 0 else params["startprob"].copy()
        counts = xi.copy()
        if self.transmat_prior is not None:
            counts = np.maximum(np.asarray(self.transmat_prior, dtype=float) - 1.0 + counts, 0.0)
        counts = np.where(params["transmat"] == 0, 0.0, counts)
        # a prior near 1e308 overflows its row's sum (count / inf = 0): such a row is scaled by its largest entry
        rows = (counts := counts / np.where(np.isfinite(counts.sum(axis=1)), 1.0, counts.max(axis=1))[:, None]).sum(1)
        # a state (almost) never followed by another step: 0/0; its previous row is kept and reported, unless
        # the data hold no transition at all (every sequence one row, which the window and emdesk-fit note)
        floor = 1e-10 * max(float(occupancy.sum()), 1.0)
        dead = rows <= floor
        tm = np.empty((k, k))
        tm[~dead] = counts[~dead] / rows[~dead, None]
        tm[dead] = params["transmat"][dead]
        dead &= float(xi.sum()) > floor
        for j in np.flatnonzero(dead):
            issues.append(("dead_transition_row", int(j),
                           f"state {j + 1} is (almost) never followed by another time step of its sequence (it is "
                           "hardly occupied, or only at the ends of sequences), so its transition row cannot be "
                           "estimated and keeps its previous value; try fewer states or a transmat_prior above 1."))
        return {"startprob": sp, "transmat": tm}, issues

    @staticmethod
    def n_parameters(k):
        return (k - 1) + k * (k - 1)
