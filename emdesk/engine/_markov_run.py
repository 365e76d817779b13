"""Hidden Markov models in row blocks: the E-step and the scoring of :mod:`emdesk.engine.models` for
the Markov structure (issue 16, item 5).

The emission family is asked for row blocks when it has the row-block API (``fam.rows(data, s, e)``:
the bound data of rows ``s:e``; ``fam.add_stats(a, b)``: the statistics of the union of two disjoint
row sets): log-densities and statistics are then computed per block inside
:func:`~emdesk.engine.structures.markov_blocked.forward_backward_blocked`, and an iteration holds
no array with one entry per row and state (the checkpoints are ``k`` numbers per block of
:func:`~emdesk.engine.structures.markov_blocked.block_rows_for` rows).  A family without it gives
its whole ``(n, k)`` log-densities and takes the whole ``(n, k)`` posteriors for its statistics, as
before; the forward-backward's own arrays are still per block.  Posteriors ``(n, k)`` are kept only
when they are the result (``fit_iter(..., responsibilities=True)``, ``score_samples``,
``predict_proba``).
"""

from __future__ import annotations

import math

import numpy as np

from .structures.markov_blocked import (
    block_rows_for,
    forward_backward_blocked,
    log_likelihood_blocked,
    viterbi_blocked,
)

__all__ = ["FamilyRows", "markov_e_step", "markov_score", "markov_posteriors", "markov_decode",
           "markov_impossible", "empty_rows", "observed_diagnosis"]

#: Rows of X read at a time by :func:`empty_rows` (a float copy of this many rows).
EMPTY_ROWS_BLOCK = 1 << 16


def empty_rows(X, block_rows=EMPTY_ROWS_BLOCK) -> np.ndarray:
    """The 0-based rows of ``X`` (n, d; NaN where missing, or compact codes) with every value missing: an
    HMM's time steps without an observation.  Read in row blocks; the result holds one integer per such
    row (none for a complete X)."""
    found = []
    for s in range(0, X.shape[0], block_rows):
        B = np.asarray(X[s:s + block_rows], dtype=float)
        if B.ndim == 1:
            B = B[:, None]
        hit = np.flatnonzero(np.isnan(B).all(axis=1)) if B.shape[1] else np.arange(B.shape[0])
        if hit.size:
            found.append(hit + s)
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)


def observed_diagnosis(fam, fdata, fparams, occupancy, observed=None):
    """The family's degeneracy diagnosis of its components (``observed`` None: a mixture's, as
    ``fam.diagnose`` gives it) or of an HMM's states, in an HMM's words ("State 2 has collapsed").
    ``observed`` (k,): each state's expected number of time steps with an observed value (``occupancy``
    less the posteriors of the rows with every value missing), what a state's points are: a time step
    without an observation holds no data for its emission parameters (the mixture's message counts the
    rows it fits, and a mixture leaves such rows out).  A family whose ``diagnose`` takes no
    ``n_samples`` is given the whole occupancy."""
    import inspect

    from .diagnostics import ComponentIssue
    from .models import state_words

    if observed is None:
        return tuple(fam.diagnose(fdata, fparams, occupancy))
    if "n_samples" in inspect.signature(fam.diagnose).parameters:
        w = np.maximum(np.asarray(observed, dtype=float), 0.0)
        found = fam.diagnose(fdata, fparams, w, n_samples=float(w.sum()))
    else:
        found = fam.diagnose(fdata, fparams, occupancy)
    return tuple(ComponentIssue(i.component, i.kind, state_words(i.message).replace(
        "point, fewer", "observed time step, fewer").replace("points, fewer", "observed time steps, fewer"))
        for i in found)


class FamilyRows:
    """Log-densities of row blocks ``(s, e) -> (e - s, k)`` of bound data under ``prep``: per block
    when the family has ``rows``/``add_stats`` (``blocked``), else slices of the whole log-density."""

    def __init__(self, fam, fdata, prep):
        self.fam, self.fdata, self.prep = fam, fdata, prep
        self.blocked = callable(getattr(fam, "rows", None)) and callable(getattr(fam, "add_stats", None))
        self._key = self._data = self._logB_key = self._logB = None
        self._all = None if self.blocked else fam.log_prob(fdata, prep)

    def data(self, s, e):
        """The bound data of rows s:e (the last block's is kept: logB and stats of a block read it once)."""
        if self._key != (s, e):
            self._key, self._data = (s, e), self.fam.rows(self.fdata, s, e)
        return self._data

    def logB(self, s, e):
        """(e - s, k) log-densities; the last block's are kept (a consumer of the posteriors of that
        block may read them again)."""
        if self._all is not None:
            return self._all[s:e]
        if self._logB_key != (s, e):
            self._logB_key, self._logB = (s, e), self.fam.log_prob(self.data(s, e), self.prep)
        return self._logB


def markov_e_step(fam, fdata, fprep, sparams, lengths, want_stats, want_resp, plan=None, empty=None):
    """One E-step: ``(ll, posteriors (n, k) or None, occupancy (k,), observed occupancy (k,), structure
    stats (start, xi), family stats)``; ``ll`` ``-inf`` (and the rest None) when the data are impossible.
    Posteriors are kept when ``want_resp``, or when the family has no row-block API and statistics are
    wanted.  ``plan``: the fit's :class:`~emdesk.engine.structures.markov_blocked.BlockPlan` (every E-step
    reuses it).  ``empty``: the sorted rows with every value missing (:func:`empty_rows`), whose posteriors
    the observed occupancy leaves out."""
    rows = FamilyRows(fam, fdata, fprep)
    k = len(sparams["startprob"])
    keep = want_resp or (want_stats and not rows.blocked)
    post = np.empty((fdata.n, k)) if keep else None
    occ = np.zeros(k)
    unobserved = np.zeros(k)
    acc = []
    empty = np.zeros(0, dtype=np.int64) if empty is None else empty

    def consume(s, e, g):
        occ[:] += g.sum(axis=0)
        if empty.size:
            lo, hi = np.searchsorted(empty, (s, e))
            if hi > lo:
                unobserved[:] += g[empty[lo:hi] - s].sum(axis=0)
        if post is not None:
            post[s:e] = g
        if want_stats and rows.blocked:
            st = fam.stats(rows.data(s, e), fprep, g)
            acc[:] = [st if not acc else fam.add_stats(acc[0], st)]

    ll, xi, start = forward_backward_blocked(rows.logB, sparams["startprob"], sparams["transmat"], lengths,
                                             consume, want_xi=want_stats, plan=plan)
    if not math.isfinite(ll):
        return ll, None, None, None, None, None
    fstats = None
    if want_stats:
        fstats = acc[0] if rows.blocked else fam.stats(fdata, fprep, post)
    return ll, post, occ, np.maximum(occ - unobserved, 0.0), (start, xi), fstats


def markov_score(rows, sparams, lengths) -> float:
    """Total log-likelihood (``-inf`` when impossible): the forward sweep only."""
    return float(log_likelihood_blocked(rows.logB, sparams["startprob"], sparams["transmat"], lengths))


def markov_posteriors(rows, sparams, lengths):
    """``(ll, posteriors (n, k))``; posteriors None when the data are impossible."""
    post = np.empty((rows.fdata.n, len(sparams["startprob"])))

    def consume(s, e, g):
        post[s:e] = g

    ll, _, _ = forward_backward_blocked(rows.logB, sparams["startprob"], sparams["transmat"], lengths, consume,
                                        want_xi=False)
    return (ll, post) if math.isfinite(ll) else (ll, None)


def markov_decode(rows, sparams, lengths, algorithm):
    """``(log_prob, states (n,))`` or ``(-inf, None)``: the Viterbi path, or (``"map"``) each row's most
    probable state with the sum of the logs of those posteriors, block by block."""
    if algorithm == "viterbi":
        return viterbi_blocked(rows.logB, sparams["startprob"], sparams["transmat"], lengths)
    states = np.empty(rows.fdata.n, dtype=np.int64)
    total = [0.0]

    def consume(s, e, g):
        st = np.argmax(g, axis=1)
        states[s:e] = st
        with np.errstate(divide="ignore"):
            total[0] += float(np.log(g[np.arange(e - s), st]).sum())

    ll, _, _ = forward_backward_blocked(rows.logB, sparams["startprob"], sparams["transmat"], lengths, consume,
                                        want_xi=False)
    return (total[0], states) if math.isfinite(ll) else (-math.inf, None)


def markov_impossible(rows, sparams, lengths):
    """The ValueError for X with log-likelihood -inf under an HMM, naming the first row with probability
    0 under every state, else the first sequence no state path can produce (rows read per block)."""
    n = rows.fdata.n
    step = block_rows_for(len(sparams["startprob"]))
    first, count = None, 0
    for s in range(0, n, step):
        lb = rows.logB(s, min(s + step, n))
        dead = np.flatnonzero(np.all(~(lb > -np.inf), axis=1))  # NaN too
        if dead.size and first is None:
            first = s + int(dead[0])
        count += int(dead.size)
    if first is not None:
        more = f" (and {count - 1:,} more row{'s' if count > 2 else ''})" if count > 1 else ""
        return ValueError(f"Row {first + 1} of X{more} is impossible under the model: it has probability 0 under "
                          f"every state (a value no state can emit), so X has no posteriors or state "
                          f"path; score(X) is -inf.")
    a = 0
    for j, length in enumerate(np.asarray(lengths).tolist()):
        ll = log_likelihood_blocked(lambda s, e, a=a: rows.logB(a + s, a + e), sparams["startprob"],
                                    sparams["transmat"], [length])
        if not math.isfinite(ll):
            return ValueError(f"Sequence {j + 1} of X (rows {a + 1} to {a + length}) is impossible under the "
                              f"model: no state path has probability > 0 under startprob_ and transmat_ "
                              f"(each row alone is possible), so it has no posteriors or state path; "
                              f"score(X) is -inf.")
        a += length
    return ValueError("X is impossible under the model (log-likelihood -inf); score(X) is -inf.")
