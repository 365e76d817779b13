"""Forward-backward and Viterbi in bounded memory: row blocks with checkpoints (issue 16, item 5).

:func:`emdesk.engine.structures.markov.forward_backward` holds ``(T, k)`` arrays (emission
densities, forward and backward variables, posteriors) for all rows.  Here the rows are cut into
blocks of at most ``block_rows`` rows (a block may hold pieces of several sequences, and a sequence
may span several blocks) and only ``k`` numbers per block are kept between passes:

1. *forward sweep*, block by block from the start: the block's emission log-densities are asked for
   (``logB_rows(s, e)``), the chunked scaled forward recursion of :mod:`.markov` runs over the
   block's pieces of sequences, the piece that goes on into the next block starting from the
   *checkpoint* ``alpha_hat`` (the normalised filtered state of the row before the block) times the
   transition matrix; the block's log-likelihood is added up and the filtered state of its last row
   kept as the next block's checkpoint ((n_blocks, k) numbers in all);
2. *backward sweep*, block by block from the end: the block's emission log-densities are computed
   again, and the forward and backward recursions run inside it, from its checkpoint and from the
   backward vector handed back by the block after it (``A (b_s * beta_s)`` of that block's first
   row ``s``: the backward vector of the row before it, Rabiner 1989, eq. 25).  The block's
   posteriors go to ``consume(s, e, gamma)`` (once per block, last block first), its expected
   transitions are added to the (k, k) sum (the transition from the row before the block into its
   first row from the checkpoint: ``A * alpha_hat_{s-1}' (b_s * beta_s) / (c_s <alpha_hat_s, beta_s>)``).

This is the checkpointing scheme of Grice, Hughey & Speck (1997, "Reduced space sequence alignment",
CABIOS 13(1)) and Tarnas & Hughey (1998, "Reduced space hidden Markov model training",
Bioinformatics 14(5)) with one checkpoint per block: memory ``O(block_rows k + n_blocks k)``
instead of ``O(T k)``, time one more forward pass and one more evaluation of the emissions than the
whole-data forward-backward, on all blocks but the last (whose forward pass is the backward sweep's
first step).  Results equal :func:`~.markov.forward_backward`'s to rounding (tests:
1e-10), impossible rows or sequences giving ``-inf`` as there.  Data that fit in one block take
exactly the whole-data path (one pass, no recomputation).

Viterbi likewise (:func:`viterbi_blocked`): the forward sweep keeps each block's last ``delta``
(best log-score of every state, ``k`` numbers per block); backtracking runs block by block from the
end, recomputing the block's scores and back-pointers from its checkpoint, and hands the block
before it the state of its last row (``argmax_i delta_i + log A_{i, first state}``).  The path
itself (int64, one per row) is the result; nothing else of size T is held.
"""

from __future__ import annotations

import math

import numpy as np

from .markov import LOST, Sequences, _fb_checked, _viterbi, risky_chain
from .markov_logspace import _log_forward_backward, _lse

__all__ = ["FB_BLOCK_BYTES", "block_rows_for", "forward_backward_blocked", "replay_block", "viterbi_blocked",
           "log_likelihood_blocked", "BlockPlan"]

#: Temporaries of one block of the blocked forward-backward and Viterbi (bytes; the emission
#: family's own per-block temporaries come on top).  Blocks hold about ``FB_BLOCK_BYTES /
#: (80 k + 64)`` rows: the chunked recursions keep about 9 numbers per row and state (emissions,
#: their grid copies, forward and backward variables, posteriors) and 8 index arrays per row.
#: 32 MiB (150,000 rows at k = 2, 65,000 at k = 5): with 16 MiB, 1e5 rows at k = 2 took two blocks
#: and an iteration 1.6x the whole-data time (the first block's forward pass done twice).
FB_BLOCK_BYTES = 32 << 20

#: Fewest rows per block (the chunked recursions are slow on tiny blocks).
MIN_BLOCK_ROWS = 4096


def block_rows_for(k, budget=None) -> int:
    """Rows per block for ``k`` states within ``budget`` bytes (default :data:`FB_BLOCK_BYTES`)."""
    budget = FB_BLOCK_BYTES if budget is None else int(budget)
    return max(MIN_BLOCK_ROWS, budget // (80 * int(k) + 64))


class BlockPlan:
    """Row blocks ``[s, e)`` over sequences of ``lengths``: for each block the lengths of the pieces
    of sequences it holds, whether its first row continues a sequence of the block before (``cont_in``)
    and whether its last sequence goes on into the next block (``cont_out``)."""

    def __init__(self, lengths, block_rows, chunk=None):
        lengths = np.asarray(lengths, dtype=np.int64)
        self.chunk = chunk
        self.lengths = lengths
        self.n = n = int(lengths.sum())
        block_rows = max(1, int(block_rows))
        self.bounds = list(range(0, n, block_rows)) + [n]
        self.n_blocks = len(self.bounds) - 1
        self.seq_bounds = np.concatenate([[0], np.cumsum(lengths)])
        self._cache = {}

    def block(self, i):
        """``(s, e, pieces (lengths), cont_in, cont_out)`` of block ``i``."""
        s, e = self.bounds[i], self.bounds[i + 1]
        sb = self.seq_bounds
        lo, hi = np.searchsorted(sb, [s, e], side="right")
        inner = sb[lo:hi]
        inner = inner[(inner > s) & (inner < e)]
        cuts = np.concatenate([[s], inner, [e]])
        pieces = np.diff(cuts)
        cont_in = bool(s > 0 and not np.any(sb == s))
        cont_out = bool(e < self.n and not np.any(sb == e))
        return s, e, pieces, cont_in, cont_out

    def seqs(self, pieces):
        """The chunked layout of a block's pieces (the last two layouts are cached: a long sequence's
        blocks all have the same one)."""
        key = tuple(pieces.tolist()) if len(pieces) <= 64 else (len(pieces), pieces.tobytes())
        layout = self._cache.get(key)
        if layout is None:
            if len(self._cache) >= 2:
                self._cache.pop(next(iter(self._cache)))
            layout = self._cache[key] = Sequences(pieces, self.chunk)
        return layout


def _fb_block(logB, pi, A, seqs, want_xi, head_start, beta_end, forward_only, force_log=False, fallback=True,
              report=None):
    # the scaled recursions, redone in log space where they lost a state (markov._fb_checked);
    # head_start, beta_end and the checkpoints are logs, so nothing is lost between blocks either
    if force_log:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            return _log_forward_backward(logB, pi, A, seqs.lengths, want_xi, head_start, beta_end, forward_only)
    return _fb_checked(logB, pi, A, seqs, want_xi, head_start, beta_end, forward_only, fallback, report)


def _risky(A, pi):
    # the emissions are not read yet: any spread is assumed (markov.risky_chain)
    return risky_chain(pi, A)


def _head(lckpt, logA):
    """log of the predicted state ``alpha_hat A`` from the log checkpoint ``log alpha_hat`` (k,)."""
    return _lse(lckpt[:, None] + logA, axis=0)


def _forward_sweep(logB_rows, pi, A, plan, upto=None, force_log=False, report=None):
    """Checkpoints (n_blocks, k) (the log of the normalised filtered state of each block's last row)
    and the log-likelihood of blocks ``0 .. upto - 1`` (default all; ``-inf``, None when impossible)."""
    k = len(pi)
    ckpt = np.empty((plan.n_blocks, k))
    ll = 0.0
    with np.errstate(divide="ignore"):
        logA = np.log(A)
    for i in range(plan.n_blocks if upto is None else upto):
        s, e, pieces, cont_in, _ = plan.block(i)
        head = _head(ckpt[i - 1], logA) if cont_in else None
        ll_b, last = _fb_block(np.asarray(logB_rows(s, e), dtype=float), pi, A, plan.seqs(pieces), False, head,
                               None, True, force_log, report=report)
        if not math.isfinite(ll_b):
            return -math.inf, None
        ll += ll_b
        ckpt[i] = last
    return ll, ckpt


def _check(lengths, startprob, transmat):
    lengths = np.asarray(lengths, dtype=np.int64)
    A = np.ascontiguousarray(transmat, dtype=float)
    pi = np.asarray(startprob, dtype=float)
    return lengths, pi, A


def log_likelihood_blocked(logB_rows, startprob, transmat, lengths, block_rows=None, plan=None) -> float:
    """The log-likelihood alone: the forward sweep (``-inf`` when the data are impossible)."""
    lengths, pi, A = _check(lengths, startprob, transmat)
    plan = plan or BlockPlan(lengths, block_rows or block_rows_for(len(pi)))
    if _risky(A, pi):
        # no state lost by the scaled forward variables: the forward sweep's likelihood is exact;
        # otherwise whether a lost state matters is judged by the backward sweep (markov._fb_checked).
        # One block too: a forward-only result is never judged (found by a random search, 1 Dec 2026:
        # 9814.4 for a true 10663.5 with an absorbing state, tests/engine/test_hmm_logspace.py)
        report = []
        ll = _forward_sweep(logB_rows, pi, A, plan, report=report)[0]
        if math.isfinite(ll) and not report:
            return ll
        return forward_backward_blocked(logB_rows, pi, A, lengths, want_xi=False, plan=plan)[0]
    return _forward_sweep(logB_rows, pi, A, plan)[0]


def forward_backward_blocked(logB_rows, startprob, transmat, lengths, consume=None, *, want_xi=True,
                             block_rows=None, plan=None, record=None):
    """Scaled forward-backward in row blocks (see the module docstring).

    Parameters
    ----------
    logB_rows : callable ``(s, e) -> (e - s, k)``, the log emission densities of rows ``s:e``
        (called twice per block when there is more than one block, once otherwise).
    startprob (k,), transmat (k, k) : the chain's parameters.
    lengths : int array, the sequences' row counts (as :func:`.markov.check_lengths` returns them).
    consume : callable ``(s, e, gamma)`` or None; ``gamma`` (e - s, k) the state posteriors of rows
        ``s:e``, handed over once per block (the last block first); the array is the callee's.
    want_xi : compute the expected transition counts.
    block_rows : rows per block (default :func:`block_rows_for` (k)).
    plan : a :class:`BlockPlan` of these lengths to reuse (its layouts are cached: an EM fit passes the
        same one to every E-step); overrides ``block_rows``.
    record : callable ``(i, inputs)`` or None, called with each block handed to ``consume`` (block
        index ``i`` of the plan): ``inputs`` are that block's arguments of its last pass, from which
        :func:`replay_block` makes the same ``gamma`` again, bit for bit (issue 16: a caller that needs
        the posteriors of a block later recomputes them instead of holding all rows').

    Returns ``(log_likelihood, xi_sum (k, k) or None, start_sum (k,))``: the expected transition
    counts summed over all rows (never (T, k, k)) and the expected start counts.  When the data are
    impossible under the parameters: ``(-inf, None, None)`` and ``consume`` is not called (or, should
    a block prove impossible only in the backward sweep, the caller must discard what it was given).
    """
    lengths, pi, A = _check(lengths, startprob, transmat)
    k = len(pi)
    plan = plan or BlockPlan(lengths, block_rows or block_rows_for(k))
    if plan.n_blocks > 1 and _risky(A, pi):
        # zeros in transmat: a state lost by the scaled recursions in one block may matter in a later
        # one; the backward sweep judges every row with its true backward vector, and anything lost
        # that matters (or a -inf) redoes all blocks in log space, checkpoints included
        report = []
        ll, ckpt = _forward_sweep(logB_rows, pi, A, plan, upto=plan.n_blocks - 1, report=report)
        if math.isfinite(ll) and not report:
            # checkpoints without a lost state: a block that lost one that matters is redone alone
            return _backward_sweep(logB_rows, pi, A, plan, consume, want_xi, False, ll, ckpt, True, record)
        # a checkpoint may have lost a state that matters only later: judge every block first (no
        # consume: the callers add up what they are given), then hand the results over
        out = LOST
        if math.isfinite(ll):
            out = _backward_sweep(logB_rows, pi, A, plan, None, want_xi, False, ll, ckpt, False)
        if out is not LOST and math.isfinite(out[0]):
            return _backward_sweep(logB_rows, pi, A, plan, consume, want_xi, False, ll, ckpt, False, record)
        return _blocked_sweeps(logB_rows, pi, A, plan, consume, want_xi, True, record)
    if plan.n_blocks == 1:
        s, e, pieces, _, _ = plan.block(0)
        out = _fb_block(np.asarray(logB_rows(0, plan.n), dtype=float), pi, A, plan.seqs(pieces), want_xi, None,
                        None, False)
        ll, gamma, xi, start, _ = out
        if not math.isfinite(ll):
            return -math.inf, None, None
        if consume is not None:
            if record is not None:
                record(0, (None, None, False, True, want_xi))
            consume(0, plan.n, gamma)
        return ll, xi, start
    return _blocked_sweeps(logB_rows, pi, A, plan, consume, want_xi, False, record)


def _blocked_sweeps(logB_rows, pi, A, plan, consume, want_xi, force_log, record=None):
    """The forward and backward sweeps over two or more blocks (``force_log``: every block in log
    space).  :data:`~.markov.LOST` when a block lost a state that matters (only with zeros in ``A``,
    before ``consume`` saw that block)."""
    # the last block is the backward sweep's first: its forward pass is done there, not twice
    ll, ckpt = _forward_sweep(logB_rows, pi, A, plan, upto=plan.n_blocks - 1, force_log=force_log)
    if not math.isfinite(ll):
        return -math.inf, None, None
    return _backward_sweep(logB_rows, pi, A, plan, consume, want_xi, force_log, ll, ckpt, True, record)


def _backward_sweep(logB_rows, pi, A, plan, consume, want_xi, force_log, ll, ckpt, fallback, record=None):
    """The backward sweep from the forward sweep's ``ll`` (blocks before the last) and checkpoints;
    ``fallback`` False: :data:`~.markov.LOST` when a block lost a state that matters."""
    k = len(pi)
    xi = np.zeros((k, k)) if want_xi else None
    start = np.zeros(k)
    beta_end = None
    with np.errstate(divide="ignore"):
        logA = np.log(A)
    for i in range(plan.n_blocks - 1, -1, -1):
        s, e, pieces, cont_in, cont_out = plan.block(i)
        logB = np.asarray(logB_rows(s, e), dtype=float)
        head = _head(ckpt[i - 1], logA) if cont_in else None
        tail = beta_end if cont_out else None
        out = _fb_block(logB, pi, A, plan.seqs(pieces), want_xi, head, tail, False, force_log, fallback=fallback)
        if out is LOST:
            return LOST
        ll_b, gamma, xi_b, start_b, beta0 = out
        if not math.isfinite(ll_b):
            return -math.inf, None, None
        if i == plan.n_blocks - 1:
            ll += ll_b
        start += start_b
        beta_end = None
        if cont_in:
            # lu = log(b_s * beta_s) of the block's first row s (beta0 is a log, any scale)
            lu = beta0 + logB[0]
            lu = lu - np.max(lu)
            if want_xi:
                # the transition from the row before the block into its first row:
                # A * alpha_hat_{s-1}' (b_s * beta_s) / (c_s <alpha_hat_s, beta_s>), and
                # c_s <alpha_hat_s, beta_s> = <alpha_hat_{s-1} A, b_s * beta_s>: the total of the
                # numerator; in logs, so that no state's share underflows
                lt = ckpt[i - 1][:, None] + logA + lu[None, :]
                xi_b = xi_b + np.exp(lt - _lse(lt.reshape(-1), axis=0))
            # the log backward vector of the row before the block (Rabiner 1989, eq. 25), normalised
            lv = _lse(logA + lu[None, :], axis=1)
            beta_end = lv - np.max(lv)
        if want_xi:
            xi += xi_b
        if consume is not None:
            if record is not None:
                record(i, (head, tail, force_log, fallback, want_xi))
            consume(s, e, gamma)
        del gamma
    return ll, xi, start


def replay_block(logB_rows, startprob, transmat, plan, i, inputs):
    """The state posteriors ``gamma`` (e - s, k) of block ``i`` of ``plan`` again, from the ``inputs``
    that :func:`forward_backward_blocked`'s ``record`` was given for it (the checkpoint entering the
    block and the backward vector leaving it: the block alone, no other block's rows read): the same
    bits as handed to ``consume`` then, given the same log-densities.  Returns ``(s, e, gamma)``."""
    _, pi, A = _check([1], startprob, transmat)
    head, tail, force_log, fallback, want_xi = inputs
    s, e, pieces, _, _ = plan.block(i)
    out = _fb_block(np.asarray(logB_rows(s, e), dtype=float), pi, A, plan.seqs(pieces), want_xi, head, tail, False,
                    force_log, fallback=fallback)
    return s, e, out[1]


def viterbi_blocked(logB_rows, startprob, transmat, lengths, block_rows=None):
    """Most likely state path in row blocks (see the module docstring).  Returns ``(log_prob, states
    (n,) int64)`` as :func:`.markov.viterbi` (ties: the lowest state); ``log_prob`` ``-inf`` (and
    the path None) when no path has probability > 0."""
    lengths, pi, A = _check(lengths, startprob, transmat)
    with np.errstate(divide="ignore"):
        logA = np.log(A)
        logpi = np.log(pi)
    k = len(pi)
    # chunks as long as the whole data's (Sequences' default for the longest sequence): the boundary
    # sweep of Viterbi is sequential over the chunks, so a block's shorter default chunks would
    # multiply its Python steps (1e6 rows, k = 3: 3.4 s with them, against 1.9 s whole)
    long = int(lengths.max())
    chunk = max(16, int(math.ceil(math.sqrt(long) / 4.0))) if long > 1024 else None
    plan = BlockPlan(lengths, block_rows or block_rows_for(k), chunk)
    states = np.empty(plan.n, dtype=np.int64)
    if plan.n_blocks == 1:
        lp, path = _viterbi(np.asarray(logB_rows(0, plan.n), dtype=float), logpi, logA,
                            plan.seqs(plan.block(0)[2]))
        if not math.isfinite(lp):
            return -math.inf, None
        states[:] = path
        return lp, states
    ckpt = np.empty((plan.n_blocks, k))
    # the scores entering every chunk of every block: (n / chunk) k numbers, about 4 sqrt(T) k (the
    # backtracking pass then needs no chunk matrices, Viterbi's costliest part)
    chunk_in = []
    log_prob = 0.0
    for i in range(plan.n_blocks):
        s, e, pieces, cont_in, cont_out = plan.block(i)
        head = np.max(ckpt[i - 1][:, None] + logA, axis=0) if cont_in else None
        lp, last, d_in = _viterbi(np.asarray(logB_rows(s, e), dtype=float), logpi, logA, plan.seqs(pieces), head,
                                  0 if cont_out else None, forward_only=True)
        log_prob += lp
        ckpt[i] = last
        chunk_in.append(d_in)
    if not math.isfinite(log_prob):
        return -math.inf, None
    end = None
    for i in range(plan.n_blocks - 1, -1, -1):
        s, e, pieces, cont_in, cont_out = plan.block(i)
        head = np.max(ckpt[i - 1][:, None] + logA, axis=0) if cont_in else None
        _, path = _viterbi(np.asarray(logB_rows(s, e), dtype=float), logpi, logA, plan.seqs(pieces), head,
                           end if cont_out else None, delta_in=chunk_in[i])
        chunk_in[i] = None
        states[s:e] = path
        # the state of the row before the block: its best predecessor of the block's first state
        end = int(np.argmax(ckpt[i - 1] + logA[:, path[0]])) if cont_in else None
    return log_prob, states
