"""Qt-free: the rows a session fits and draws for a table, its chosen columns and the treatment of missing
cells (``Session._prepare``). Kept apart so that the window can compute them in a background job for big data
(at 1,000,000 rows they cost 0.2-1.5 s on the GUI thread at every tick of a column, issue 16) and hand the
result to the session in the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_DISPLAY_POINTS = 50_000   # rows drawn (a fixed random subset when the fit has more)


def rows_to_fit(X_all: np.ndarray, file_rows: np.ndarray, missing: str, seq_ids=None):
    """``(X, file_rows, seq_ids, n_incomplete, n_empty)``: the rows of ``X_all`` (n, d) to fit. Non-finite cells
    (NaN, infinities) are missing (infinities become NaN); ``missing`` "drop" keeps the complete rows,
    "marginalize" every row with a value. ``file_rows``/``seq_ids`` (n,) follow the rows kept."""
    # The incomplete rows, found cheaply (full-size boolean masks cost most of the 0.2-0.3 s at 1,000,000 x 3):
    # a row with a missing cell has a non-finite sum; only the rows whose sum is not finite (those, or finite
    # values whose sum overflows) are looked at cell by cell.
    with np.errstate(over="ignore", invalid="ignore"):
        row_sums = X_all @ np.ones(X_all.shape[1]) if X_all.shape[1] else np.zeros(X_all.shape[0])
        suspect = np.flatnonzero(~np.isfinite(row_sums))
    sub_observed = np.isfinite(X_all[suspect])
    sub_complete = sub_observed.all(axis=1)
    incomplete = suspect[~sub_complete]
    if incomplete.size == 0:
        return np.ascontiguousarray(X_all), file_rows, seq_ids, 0, 0
    sub_observed = sub_observed[~sub_complete]
    if np.isinf(X_all[incomplete]).any():  # infinities count as missing, like NaN
        X_all = np.where(np.isfinite(X_all), X_all, np.nan)
    sub_has_value = sub_observed.any(axis=1)
    n_empty = int(incomplete.size - np.count_nonzero(sub_has_value))
    drop = incomplete if missing == "drop" else incomplete[~sub_has_value]
    if drop.size:
        keep = np.ones(X_all.shape[0], dtype=bool)
        keep[drop] = False
        X_all, file_rows = X_all[keep], file_rows[keep]
        seq_ids = None if seq_ids is None else seq_ids[keep]
    return np.ascontiguousarray(X_all), file_rows, seq_ids, int(incomplete.size), n_empty


def display_rows(X: np.ndarray, n_incomplete: int, subsample: bool = True):
    """``(X_display, display_incomplete_rows)``: a fixed random subset of ``MAX_DISPLAY_POINTS`` rows of ``X``
    in their order when ``subsample`` and there are more (seeded: the same rows every time), else ``X``; and
    the indices of its rows with a missing cell (None when ``n_incomplete`` is 0)."""
    n = X.shape[0]
    if subsample and n > MAX_DISPLAY_POINTS:
        rng = np.random.default_rng(12345)
        X_display = X[np.sort(rng.choice(n, MAX_DISPLAY_POINTS, replace=False))]
    else:
        X_display = X
    incomplete = None
    if n_incomplete and X_display.shape[0]:
        incomplete = np.flatnonzero(np.isnan(X_display).any(axis=1))
    return X_display, incomplete


@dataclass(frozen=True)
class PreparedRows:
    """The rows of a mixture for ``table``/``columns``/``family``/``missing`` (:func:`mixture_rows`)."""

    table: object
    columns: tuple
    family: str
    missing: str
    n_rows: int
    categories: object
    X: np.ndarray
    file_rows: np.ndarray
    n_incomplete: int
    n_empty: int
    X_display: np.ndarray
    display_incomplete_rows: object

    def matches(self, table, columns, family, missing) -> bool:
        return (self.table is table and self.columns == tuple(columns) and self.family == family
                and self.missing == missing)


def mixture_rows(table, columns, family: str, missing: str) -> PreparedRows:
    """The rows a mixture of ``family`` fits and draws (no Qt, changes nothing: runs in a background job)."""
    from emdesk.families_data import family_rows

    X_all, categories = family_rows(table, list(columns), family)
    n_rows = int(X_all.shape[0])
    X, file_rows, _, n_incomplete, n_empty = rows_to_fit(X_all, np.arange(n_rows), missing)
    X_display, display_incomplete = display_rows(X, n_incomplete)
    return PreparedRows(table, tuple(columns), family, missing, n_rows, categories, X, file_rows, n_incomplete,
                        n_empty, X_display, display_incomplete)
