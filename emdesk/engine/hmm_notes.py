"""Notes on a hidden Markov model's data columns, said before the fit as the Gaussian mixture says them
(``GaussianMixture.column_notes_``, :func:`emdesk.engine._validation.column_notes`), in an HMM's words:
constant columns (they cannot tell states apart) and linearly dependent (e.g. duplicated) columns; and the
number of time steps with an observed value (the most states the data can hold).

Read in row blocks (issue 16: bounded memory): two passes, a few numbers per column, a (d, d) covariance
of the complete rows; no copy of X."""

from __future__ import annotations

import numpy as np

from ._blas import matvec, tmatmul
from ._validation import column_label, dependence_in_covariance

#: Bytes of one block of rows (its float copy; a few arrays of that size at a time).
BLOCK_BYTES = 1 << 20


def _blocks(X, block_rows):
    if block_rows is None:
        block_rows = max(64, BLOCK_BYTES // (8 * max(X.shape[1], 1)))
    for s in range(0, X.shape[0], block_rows):
        yield np.asarray(X[s:s + block_rows], dtype=float)


def observed_summary(X, block_rows=None):
    """``(n_observed_rows, lo, hi, n_complete, complete_mean)`` of ``X`` (n, d), NaN where missing:
    rows with at least one value, each column's smallest and largest observed value (NaN for a column
    with none), and the count and column means of the rows with every value observed."""
    n, d = X.shape
    lo = np.full(d, np.inf)
    hi = np.full(d, -np.inf)
    total = np.zeros(d)
    n_obs = n_complete = 0
    ones = np.ones(d)
    for B in _blocks(X, block_rows):
        if not B.shape[0]:
            continue
        # fmin/fmax leave NaN out (NaN only for a column with no value in the block)
        lo = np.fmin(lo, np.fmin.reduce(B, axis=0))
        hi = np.fmax(hi, np.fmax.reduce(B, axis=0))
        # rows with a missing cell have a non-finite sum: only those (or overflowing ones) are looked at cell
        # by cell (row-wise reductions over a few columns cost most of the pass)
        with np.errstate(over="ignore", invalid="ignore"):
            suspect = np.flatnonzero(~np.isfinite(matvec(B, ones)))
        if suspect.size == 0:
            n_obs += B.shape[0]
            n_complete += B.shape[0]
            total += B.sum(axis=0)
            continue
        seen = ~np.isnan(B[suspect])
        n_obs += B.shape[0] - int(np.count_nonzero(~seen.any(axis=1)))
        full = np.ones(B.shape[0], dtype=bool)
        full[suspect[~seen.all(axis=1)]] = False
        n_complete += int(np.count_nonzero(full))
        total += B[full].sum(axis=0)
    none = ~(lo <= hi)
    lo[none] = hi[none] = np.nan
    mean = total / n_complete if n_complete else np.full(d, np.nan)
    return n_obs, lo, hi, n_complete, mean


def _complete_covariance(X, cols, mean, n_complete, block_rows):
    """Covariance of the columns ``cols`` over the rows with every value observed (centred on ``mean``)."""
    m = len(cols)
    C = np.zeros((m, m))
    ones = np.ones(X.shape[1])
    for B in _blocks(X, block_rows):
        with np.errstate(over="ignore", invalid="ignore"):
            suspect = np.flatnonzero(~np.isfinite(matvec(B, ones)))  # as in observed_summary
        if suspect.size:
            full = np.ones(B.shape[0], dtype=bool)
            full[suspect[np.isnan(B[suspect]).any(axis=1)]] = False
            B = B[full]
        Y = B[:, cols] - mean[cols]
        if Y.shape[0]:
            C += tmatmul(Y, Y)
    return C / n_complete


def hmm_column_notes(X, family: str, covariance_type=None, names=None, block_rows=None):
    """``(notes, n_observed_rows)`` for an HMM's ``X`` (n, d; NaN where missing; a categorical HMM's
    column of symbol codes): sentences for the user about constant columns and linearly dependent ones
    (``family`` "gaussian", "poisson" or "categorical"; ``covariance_type`` a Gaussian HMM's), and the
    number of rows (time steps) with at least one observed value."""
    from .families._blocks import ColumnView, TakenRows

    X = X if isinstance(X, (ColumnView, TakenRows)) else np.asarray(X)  # rows read in place stay so (issue 16)
    if X.ndim == 1:
        X = X[:, None]
    n_obs, lo, hi, n_complete, mean = observed_summary(X, block_rows)
    notes = []
    constant = [j for j in range(X.shape[1]) if lo[j] == hi[j]]
    for j in constant:
        who = column_label(j, names)
        if family == "categorical":
            notes.append(f"{who.capitalize()} holds a single symbol (code {lo[j]:.6g}): every state emits it, "
                         "so it cannot tell states apart and the states are set by the transitions alone.")
        elif family == "poisson":
            notes.append(f"{who.capitalize()} is constant (every count is {lo[j]:.6g}): it cannot tell states "
                         "apart (every state's rate there is that count). Leave it out of the fit.")
        else:
            notes.append(f"{who.capitalize()} is constant (every value is {lo[j]:.6g}): it cannot tell states "
                         "apart, and every state's variance there is just reg_covar. Leave it out of the fit.")
    cols = [j for j in range(X.shape[1]) if j not in set(constant) and lo[j] == lo[j]]
    if family != "categorical" and len(cols) >= 2 and n_complete > len(cols):
        C = _complete_covariance(X, cols, mean, n_complete, block_rows)
        _, groups = dependence_in_covariance(C, cols, X.shape[1])
        for g in groups:
            labels = [column_label(j, names) for j in g]  # each "column N": the window and CLI name them
            who = ", ".join(labels[:-1]) + " and " + labels[-1]
            if family == "poisson":
                why = ("the Poisson HMM takes them as independent counts given the state, so the same "
                       "information counts more than once in the state probabilities. Leave one of them out.")
            elif covariance_type in ("full", "tied"):
                why = (f"they were fitted with covariance_type='{covariance_type}', whose state covariances are "
                       "singular along that combination and held only by reg_covar. Leave one of them out, or "
                       "use covariance_type='diag'.")
            else:
                why = (f"with covariance_type='{covariance_type}' every state takes them as independent, so the "
                       "same information counts more than once in the state probabilities. Leave one of them "
                       "out.")
            notes.append(f"{who[0].upper()}{who[1:]} are linearly dependent (a duplicated column, or a fixed "
                         f"combination of them is constant: a total next to its parts): {why}")
    return tuple(notes), int(n_obs)
