"""Notes on a hidden Markov model's data columns, said before the fit as the Gaussian mixture says them
(``GaussianMixture.column_notes_``, :func:`emdesk.engine._validation.column_notes`), in an HMM's words:
constant columns (they cannot tell states apart) and linearly dependent (e.g. duplicated) columns; and the
number of time steps with an observed value (the most states the data can hold).

Read in row blocks (issue 16: bounded memory): two passes, a few numbers per column, a (d, d) covariance
of the complete rows; no copy of X."""

from __future__ import annotations

import numpy as np

from ._blas import tmatmul
from ._validation import column_label, dependence_in_covariance

#: Rows read at a time.
BLOCK_ROWS = 1 << 15


def _blocks(X, block_rows):
    for s in range(0, X.shape[0], block_rows):
        yield np.asarray(X[s:s + block_rows], dtype=float)


def observed_summary(X, block_rows: int = BLOCK_ROWS):
    """``(n_observed_rows, lo, hi, n_complete, complete_mean)`` of ``X`` (n, d), NaN where missing:
    rows with at least one value, each column's smallest and largest observed value (NaN for a column
    with none), and the count and column means of the rows with every value observed."""
    n, d = X.shape
    lo = np.full(d, np.inf)
    hi = np.full(d, -np.inf)
    total = np.zeros(d)
    n_obs = n_complete = 0
    for B in _blocks(X, block_rows):
        seen = ~np.isnan(B)
        n_obs += int(np.count_nonzero(seen.any(axis=1)))
        with np.errstate(invalid="ignore"):
            lo = np.fmin(lo, np.where(seen, B, np.inf).min(axis=0, initial=np.inf))
            hi = np.fmax(hi, np.where(seen, B, -np.inf).max(axis=0, initial=-np.inf))
        full = seen.all(axis=1)
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
    for B in _blocks(X, block_rows):
        full = ~np.isnan(B).any(axis=1)
        Y = B[full][:, cols] - mean[cols]
        if Y.shape[0]:
            C += tmatmul(Y, Y)
    return C / n_complete


def hmm_column_notes(X, family: str, covariance_type=None, names=None, block_rows: int = BLOCK_ROWS):
    """``(notes, n_observed_rows)`` for an HMM's ``X`` (n, d; NaN where missing; a categorical HMM's
    column of symbol codes): sentences for the user about constant columns and linearly dependent ones
    (``family`` "gaussian", "poisson" or "categorical"; ``covariance_type`` a Gaussian HMM's), and the
    number of rows (time steps) with at least one observed value."""
    X = np.asarray(X)
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
            notes.append(f"{who[0].upper()}{who[1:]} are linearly dependent (a duplicated column, or a fixed combination of "
                         f"them is constant: a total next to its parts): {why}")
    return tuple(notes), int(n_obs)
