"""Qt-free: the rows a session fits and draws for a table, its chosen columns and the treatment of missing
cells (``Session._prepare``). Kept apart so that the window can compute them in a background job for big data
(at 1,000,000 rows they cost 0.2-1.5 s on the GUI thread at every tick of a column, issue 16) and hand the
result to the session in the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .io.sequences import order_values, sequence_count_notes

MAX_DISPLAY_POINTS = 50_000   # rows drawn (a fixed random subset when the fit has more)


def rows_to_fit(X_all: np.ndarray, file_rows: np.ndarray, missing: str, seq_ids=None, keep_empty: bool = False):
    """``(X, file_rows, seq_ids, n_incomplete, n_empty)``: the rows of ``X_all`` (n, d) to fit. Non-finite cells
    (NaN, infinities) are missing (infinities become NaN); ``missing`` "drop" keeps the complete rows,
    "marginalize" every row with a value, and with ``keep_empty`` (an HMM's time steps) every row.
    ``file_rows``/``seq_ids`` (n,) follow the rows kept."""
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
    drop = incomplete if missing == "drop" else incomplete[~sub_has_value][:0 if keep_empty else None]
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
class RowSpec:
    """What a session's rows depend on: the table, the chosen columns, the model kind and family, the treatment
    of missing cells and, for an HMM, the sequence and order columns (``Session.rows_spec``)."""

    table: object
    columns: tuple
    kind: str
    family: str
    missing: str
    sequence_column: object = None
    order_column: object = None

    def same(self, other) -> bool:
        """The same rows (the table compared by identity)."""
        return (other is not None and self.table is other.table and self.columns == other.columns
                and self.kind == other.kind and self.family == other.family and self.missing == other.missing
                and (self.kind != "hmm" or (self.sequence_column, self.order_column)
                     == (other.sequence_column, other.order_column)))


@dataclass(frozen=True)
class PreparedRows:
    """The rows a session fits and draws for a :class:`RowSpec` (:func:`prepare_rows`)."""

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
    kind: str = "mixture"
    sequence_column: object = None
    order_column: object = None
    lengths: object = None          # hmm: rows per sequence, in the order of X
    sequence_names: tuple = ()      # hmm: the sequences' names, in the order of X
    notes: tuple = ()               # hmm: what was done to the rows (sorted, duplicates), for the user
    seq_ids: object = None          # hmm: each row's sequence number

    @property
    def spec(self) -> RowSpec:
        return RowSpec(self.table, self.columns, self.kind, self.family, self.missing, self.sequence_column,
                       self.order_column)

    def matches(self, table, columns, family, missing) -> bool:
        return self.spec.same(RowSpec(table, tuple(columns), "mixture", family, missing))


def mixture_rows(table, columns, family: str, missing: str) -> PreparedRows:
    """The rows a mixture of ``family`` fits and draws (no Qt, changes nothing: runs in a background job)."""
    from emdesk.families_data import family_rows

    X_all, categories = family_rows(table, list(columns), family)
    n_rows = int(X_all.shape[0])
    X, file_rows, _, n_incomplete, n_empty = rows_to_fit(X_all, np.arange(n_rows), missing)
    X_display, display_incomplete = display_rows(X, n_incomplete)
    return PreparedRows(table, tuple(columns), family, missing, n_rows, categories, X, file_rows, n_incomplete,
                        n_empty, X_display, display_incomplete)


def sequence_order(table, sequence_column=None, order_column=None):
    """``(order, seq_ids, labels, notes)`` for an HMM's rows: the row order (by sequence in order of first
    appearance, then by the order column; stable, so rows with equal order values keep the file's order, and
    ``notes`` says so), each ordered row's sequence number and the sequences' names."""
    n = int(table.n_rows)
    notes = []
    if sequence_column is not None:
        if sequence_column in table.numeric_column_names:
            raw = [("" if not np.isfinite(v) else f"{v:g}") for v in table.to_array([sequence_column])[:, 0]]
        else:
            raw = list(table.text_column(sequence_column))
        # each sequence's number is its rank of first appearance (a dict: one pass; np.unique on strings
        # and its sort took 1.6 s of the GUI thread at 1,000,000 rows)
        codes: dict = {}
        seq = np.fromiter((codes.setdefault(str(v), len(codes)) for v in raw), dtype=np.int64, count=n)
        labels = list(codes)
    else:
        seq = np.zeros(n, dtype=np.int64)
        labels = ["all rows"]
    if order_column is not None:
        t = order_values(table, order_column)  # no missing value (Session.set_sequence checks)
        order = np.lexsort((np.arange(n), t, seq))
        ts, ss = t[order], seq[order]
        same = (ss[1:] == ss[:-1])
        if np.any(same & (np.diff(np.arange(n)[order]) < 0)):
            notes.append(f"Rows were sorted by {order_column} within each sequence.")
        dup = int(np.count_nonzero(same & (ts[1:] == ts[:-1])))
        if dup:
            one = dup == 1  # the wording of emdesk-fit's note (emdesk.io.sequences)
            notes.append(f"{dup:,} {'row repeats' if one else 'rows repeat'} the {order_column} "
                         f"value of the row before in {'its' if one else 'their'} sequence; "
                         f"{'it stays' if one else 'they stay'} in the file's order.")
    else:
        order = np.argsort(seq, kind="stable")
    return order, seq[order], labels, notes


def sequence_lengths(seq_ids, labels, why: str = "had no observed value"):
    """``(lengths, names, notes)``: rows per sequence of the (sorted) ``seq_ids``, the names of the sequences
    present, and notes on sequences left out or of a single row."""
    if seq_ids is None or not len(seq_ids):
        return None, [], []
    present, counts = np.unique(seq_ids, return_counts=True)  # ids are sorted: runs in order
    lengths = counts.astype(np.int64)
    names = [labels[i] for i in present]
    return lengths, names, sequence_count_notes(len(labels) - len(present), lengths, why)


def hmm_rows(table, columns, family: str, missing: str, sequence_column=None, order_column=None) -> PreparedRows:
    """The rows an HMM of ``family`` fits and draws: ordered by sequence, then by the order column; all of them
    drawn (its view draws runs of a sequence). No Qt, changes nothing (runs in a background job)."""
    from emdesk.families_data import family_rows

    X_all, categories = family_rows(table, list(columns), family)
    n_rows = int(X_all.shape[0])
    order, seq, labels, notes = sequence_order(table, sequence_column, order_column)
    # Rows with no value stay as time steps without observation (as the engine's HMMs take them: leaving them
    # out would join the time steps on either side), unless incomplete rows are dropped; a sequence with no
    # observed value at all is left out.
    keep_empty = missing != "drop"
    X, file_rows, seq_ids, n_incomplete, n_empty = rows_to_fit(X_all[order], np.arange(n_rows)[order], missing,
                                                               seq, keep_empty=keep_empty)
    if keep_empty and n_empty:
        from .io.sequences import empty_rows_note

        empty = np.isnan(X).all(axis=1)
        seen = np.zeros(len(labels), dtype=bool)
        seen[seq_ids[~empty]] = True
        keep = seen[seq_ids]
        if not keep.all():
            X, file_rows, seq_ids = X[keep], file_rows[keep], seq_ids[keep]
        n_kept = int(np.count_nonzero(keep & empty))
        if n_kept:
            notes.append(empty_rows_note(n_kept))
    lengths, names, more = sequence_lengths(seq_ids, labels, "had no observed value" if keep_empty else
                                            "had no row left to fit")
    X_display, display_incomplete = display_rows(X, n_incomplete, subsample=False)
    return PreparedRows(table, tuple(columns), family, missing, n_rows, categories, X, file_rows, n_incomplete,
                        n_empty, X_display, display_incomplete, kind="hmm", sequence_column=sequence_column,
                        order_column=order_column, lengths=lengths, sequence_names=tuple(names),
                        notes=tuple(notes + more), seq_ids=seq_ids)


def prepare_rows(spec: RowSpec) -> PreparedRows:
    """The rows of ``spec`` (a mixture's or an HMM's); no Qt, changes nothing: runs in a background job."""
    if spec.kind == "hmm":
        return hmm_rows(spec.table, spec.columns, spec.family, spec.missing, spec.sequence_column,
                        spec.order_column)
    return mixture_rows(spec.table, spec.columns, spec.family, spec.missing)
