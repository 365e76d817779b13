"""The Markov structure's starting parameters from starting responsibilities read per row block
(issue 16: an HMM's start never holds ``(n, k)``); :meth:`MarkovStructure.init_params
<emdesk.engine.structures.markov.MarkovStructure.init_params>`."""

from __future__ import annotations

import numpy as np

from ..families._blocks import RowResp


def markov_start_params(resp, starts, step):
    """``{"startprob", "transmat"}``: counts of the sequences' first rows and of consecutive pairs
    within sequences, plus one.  ``resp``: (n, k), a RowResp or a (k, n) stand-in, read once, ``step``
    rows at a time (three blocks held); ``starts``: each sequence's first row (increasing).  The
    numbers equal the whole array's ``resp[starts].sum(axis=0)`` (axis-0 sums add rows in order, so
    each block's start rows are added after the previous blocks' sum) and the per-block products
    ``resp[s:s+step].T @ resp[s+1:s+step+1]`` (the first rows of sequences zeroed)."""
    R = RowResp.of(resp)
    n, k = R.shape
    starts = np.asarray(starts, dtype=np.int64)
    start = None
    trans = np.ones((k, k))

    def add_pairs(cur, nxt, s):  # transitions out of rows s .. s + len(cur) - 1
        e = s + cur.shape[0]
        firsts = starts[(starts > s) & (starts <= e)]
        nxt[firsts - (s + 1)] = 0.0  # no transition into a sequence's first row
        return cur.T @ nxt

    # Blocks of rows read once each, in order; a block's transitions are added when the next
    # block's first row is known (the pairs of the whole array's blocks s .. s+step).
    prev, prev_s = None, 0
    for s in range(0, n, step):
        blk = R.block(s, min(s + step, n))
        mine = starts[(starts >= s) & (starts < s + blk.shape[0])]
        if mine.size:
            rows = blk[mine - s]
            start = rows.sum(axis=0) if start is None else np.concatenate([start[None], rows]).sum(axis=0)
        if prev is not None:
            trans += add_pairs(prev, np.concatenate([prev[1:], blk[:1]]), prev_s)
        prev, prev_s = blk, s
    if prev is not None and prev.shape[0] > 1:
        trans += add_pairs(prev[:-1], prev[1:].copy(), prev_s)
    start = (np.zeros(k) if start is None else start) + 1.0
    return {"startprob": start / start.sum(), "transmat": trans / trans.sum(axis=1, keepdims=True)}


def check_transmat_prior(prior, k):
    """Raise ValueError unless ``prior`` (an HMM's ``transmat_prior``) is None, a number or a (k, k) array of
    Dirichlet concentrations, finite and >= 0.  Another shape (a (k,) vector, a one-element list, (3, 3)
    for 2 states) used to be taken by NumPy's broadcasting, or fail in the M-step with a broadcasting
    error, and a fit saved with it was refused when read back (fit files hold a number or k x k)."""
    if prior is None:
        return
    try:
        tp = np.asarray(prior, dtype=float)
    except (TypeError, ValueError):
        tp = None
    if tp is None or tp.shape not in ((), (k, k)) or not np.all(np.isfinite(tp)) or np.any(tp < 0):
        if tp is None:
            got = repr(prior)
        elif tp.shape not in ((), (k, k)):
            got = f"shape {tp.shape}"
        else:  # the shape is right: say the value (it said "got shape (2, 2)" for a NaN or a -1 inside)
            bad = tp[~np.isfinite(tp) | (tp < 0)] if tp.ndim else tp[None]
            got = f"{'a value' if tp.ndim else ''} {float(bad.flat[0]):g}".strip()
        raise ValueError(f"transmat_prior must be a number or a ({k}, {k}) array of Dirichlet concentrations "
                         f">= 0 (1 = no prior); got {got}.")
