"""Long tables as sequences for hidden Markov models: which rows, in which order, in which sequences.

A long table has one row per time step; a *sequence column* names each row's sequence (a subject, a
station, a run) and an *order column* (a time or an index, numeric) places a row within its sequence.
:func:`sequence_layout` sorts the rows within each sequence (sequences in order of first appearance,
rows by the order column, ties kept in the file's order), leaves out rows with nothing to fit, and gives
the ``lengths`` the engine's HMMs take (hmmlearn's convention: consecutive rows per sequence) with the
file row of every fitted row, so results can be written back in the file's row order.

:func:`encode_symbols` turns one column (text, or numbers used as labels) into the symbols 0, 1, ...
that ``CategoricalHMM`` takes. No Qt, no engine import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .table import DataError, Table

__all__ = ["SequenceLayout", "sequence_layout", "encode_symbols", "column_labels", "order_columns", "order_values"]


@dataclass(frozen=True)
class SequenceLayout:
    """``rows`` (m,): the file rows fitted, in fit order (0-based); ``lengths`` (s,): rows per sequence,
    summing to m; ``names``: each sequence's name (the sequence column's value, or ``"all rows"``);
    ``notes``: sentences about what was done (sorted rows, repeated order values, rows and sequences
    left out, one-row sequences); ``n_left_out``: file rows not fitted."""

    rows: np.ndarray
    lengths: np.ndarray
    names: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    n_left_out: int = 0


def column_labels(table: Table, name: str) -> list[str]:
    """The cells of a column as text (numbers in shortest form; missing cells ``""``)."""
    return ["" if v is None else str(v) for v in table.text_column(name)]


def order_columns(table: Table) -> list[str]:
    """The columns that can order an HMM's rows: the numeric ones, and a row-label column whose labels are all
    numbers (a time index ``t`` = 1, 2, ..., n that R's ``write.csv(row.names = FALSE)`` wrote, which the
    reader takes as row labels), in the table's order."""
    label = table.row_label_column
    numeric = set(table.numeric_column_names)
    return [c for c in table.column_names if c in numeric or (c == label and _label_numbers(table, c) is not None)]


def order_values(table: Table, name: str) -> np.ndarray:
    """The order column's values (n,) as floats (NaN where missing). DataError when it holds text."""
    if name in table.numeric_column_names:
        return table.to_array([name])[:, 0]
    t = _label_numbers(table, name) if name == table.row_label_column else None
    if t is None:
        raise DataError(f"The order column {name} must hold numbers (a time or an index); it holds text.")
    return t


def _label_numbers(table: Table, name: str):
    # the reader's rule for a number (table_text._to_float; labels of a numeric column are in shortest form,
    # with a decimal point): Python's float() also read identifiers like "10_1" as 101, so text labels
    # 10_1, 2_1, 2_2 were offered as an order column and sorted as 101, 21, 22
    from .table_text import _to_float

    t = _to_float(column_labels(table, name), ".")
    return t if t is not None and not np.any(np.isinf(t)) else None


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def sequence_count_notes(dropped: int, counts, why: str) -> list[str]:
    """Notes on ``dropped`` sequences left out (``why``: "had no row left to fit", ...) and on the
    sequences of a single row among the rows per sequence ``counts`` (emdesk-fit's and the window's
    wording)."""
    notes = []
    if dropped:
        notes.append(f"{_plural(dropped, 'sequence', 'sequences')} {why} and "
                     f"{'was' if dropped == 1 else 'were'} left out.")
    short = int(np.count_nonzero(np.asarray(counts) == 1))
    if short and short == len(counts):
        notes.append("Every sequence has a single row: there is no transition to learn from, so the transition "
                     "probabilities keep their starting values (a mixture fits such rows).")
    elif short:
        notes.append(f"{_plural(short, 'sequence has', 'sequences have')} a single row (no transition to "
                     f"learn from).")
    return notes


def name_symbol_codes(message: str, symbols) -> str:
    """An engine note's "(code 2)" (a categorical HMM's symbol code, 0-based) as the symbol's label ("('rain')"),
    for emdesk-fit and the window; unchanged without labels or for a code out of range."""
    import re

    labels = [str(v) for v in (symbols or [])]

    def label(m):
        j = int(m.group(1))
        return f"({labels[j]!r})" if 0 <= j < len(labels) else m.group(0)

    return re.sub(r"\(code (\d+)\)", label, message) if labels else message


def empty_rows_note(n: int) -> str:
    """The note on an HMM's rows with no observed value, kept as time steps (emdesk-fit's and the window's
    wording)."""
    if n == 1:
        return "1 row has no observed value; it is kept as a time step without observation."
    return f"{n:,} rows have no observed value; they are kept as time steps without observation."


def sequence_layout(table: Table, X: np.ndarray, *, sequence_column: str | None = None,
                    order_column: str | None = None, missing: str = "marginalize") -> SequenceLayout:
    """The rows of ``X`` (the table's fitted columns, (n_rows, d), NaN where missing) to fit as sequences.

    ``missing``: "marginalize" keeps every row, a row with no value as a time step without observation
    (as the engine's HMMs take it: leaving it out would join the time steps on either side; noted), "drop"
    keeps complete rows only, "error" raises when a row has a missing value. A sequence with no observed
    value at all is left out (noted).
    Raises :class:`DataError` for an unknown column, an order column that is not numeric or has missing
    values, a sequence column with empty cells, or when no row is left.
    """
    n = int(table.n_rows)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.shape[0] != n:
        raise DataError(f"X has {X.shape[0]} rows but the table has {n}.")
    for option, name in (("sequence column", sequence_column), ("order column", order_column)):
        if name is not None and name not in table.column_names:
            raise DataError(f"The {option} {name!r} is not a column of {table.name}.")
    notes: list[str] = []
    if sequence_column is not None:
        labels = column_labels(table, sequence_column)
        empty = [i for i, v in enumerate(labels) if not v.strip()]
        if empty:
            raise DataError(f"The sequence column {sequence_column} has {_plural(len(empty), 'empty cell', 'empty cells')} "
                            f"(first on data row {empty[0] + 1}): every row needs the name of its sequence.")
        names, ids = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
        ids = ids.reshape(-1)
        first = np.full(len(names), n, dtype=np.int64)
        np.minimum.at(first, ids, np.arange(n))
        by_first = np.argsort(first, kind="stable")
        rank = np.empty(len(names), dtype=np.int64)
        rank[by_first] = np.arange(len(names))
        seq = rank[ids]
        seq_names = [str(names[i]) for i in by_first]
    else:
        seq = np.zeros(n, dtype=np.int64)
        seq_names = ["all rows"]
    if order_column is not None:
        t = order_values(table, order_column)
        bad = np.flatnonzero(~np.isfinite(t))
        if bad.size:
            raise DataError(f"The order column {order_column} has {_plural(bad.size, 'missing value', 'missing values')} "
                            f"(first on data row {int(bad[0]) + 1}): every row needs a time or index.")
        order = np.lexsort((np.arange(n), t, seq))
    else:
        order = np.argsort(seq, kind="stable")
        if sequence_column is not None and np.any(np.diff(order) < 0):
            notes.append(f"Rows were grouped by {sequence_column} (each sequence's rows in the file's order).")
    Xo = X[order]
    observed = np.isfinite(Xo)
    has_value = observed.any(axis=1)
    complete = observed.all(axis=1)
    n_empty = int(n - np.count_nonzero(has_value))
    n_incomplete = int(n - np.count_nonzero(complete)) - n_empty
    if missing == "error" and n_incomplete:
        raise DataError(f"{_plural(n_incomplete, 'row has', 'rows have')} missing values; "
                        f"use missing='marginalize' or 'drop'.")
    if missing == "drop":
        keep = complete
        if n_empty:
            notes.append(f"{_plural(n_empty, 'row', 'rows')} with no value in the fitted columns "
                         f"{'was' if n_empty == 1 else 'were'} left out.")
    else:
        # every row of a sequence with an observed value: rows with none are time steps without observation
        seen = np.zeros(len(seq_names), dtype=bool)
        seen[seq[order][has_value]] = True
        keep = seen[seq[order]]
        n_kept_empty = int(np.count_nonzero(keep & ~has_value))
        if n_kept_empty:
            notes.append(empty_rows_note(n_kept_empty))
    if missing == "drop" and n_incomplete:
        notes.append(f"{_plural(n_incomplete, 'row', 'rows')} with a missing value "
                     f"{'was' if n_incomplete == 1 else 'were'} dropped.")
    rows = order[keep]
    if rows.size == 0:
        raise DataError("No row is left to fit: every row has a missing value in the fitted columns.")
    if order_column is not None:  # judged on the rows fitted
        ts, ss = t[rows], seq[rows]
        same = ss[1:] == ss[:-1]
        if np.any(same & (np.diff(rows) < 0)):
            notes.insert(0, f"Rows were sorted by {order_column} within each sequence.")
        dup = int(np.count_nonzero(same & (ts[1:] == ts[:-1])))
        if dup:
            notes.insert(1 if notes and notes[0].startswith("Rows were sorted") else 0,
                         f"{_plural(dup, 'row repeats', 'rows repeat')} the {order_column} value of the row before "
                         f"in {'its' if dup == 1 else 'their'} sequence; {'it stays' if dup == 1 else 'they stay'} "
                         f"in the file's order.")
    kept_seq = seq[rows]
    present, counts = np.unique(kept_seq, return_counts=True)  # kept_seq is sorted: runs in order
    notes += sequence_count_notes(len(seq_names) - len(present), counts,
                                  "had no row left to fit" if missing == "drop" else "had no observed value")
    return SequenceLayout(rows=rows.astype(np.int64), lengths=counts.astype(np.int64),
                          names=[seq_names[i] for i in present], notes=notes, n_left_out=int(n - rows.size))


def encode_symbols(table: Table, column: str, symbols: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """``(codes (n_rows,) float with NaN where missing, symbols)``: the column's values as the symbols
    0, 1, ... of a categorical model. Without ``symbols`` they are the column's distinct values, sorted
    (numerically for a numeric column); with them (a fitted model's), a value not among them raises
    :class:`DataError` naming the row."""
    if column not in table.column_names:
        raise DataError(f"{column!r} is not a column of {table.name}.")
    labels = column_labels(table, column)
    if symbols is None:
        present = sorted({v for v in labels if v != ""})
        if column in table.numeric_column_names:
            present.sort(key=float)
        symbols = present
        if not symbols:
            raise DataError(f"The column {column} has no value to fit.")
    lookup = {s: i for i, s in enumerate(symbols)}
    codes = np.empty(len(labels), dtype=np.float64)
    for i, v in enumerate(labels):
        if v == "":
            codes[i] = np.nan
            continue
        code = lookup.get(v)
        if code is None:
            shown = v if len(v) <= 30 else v[:30] + "..."
            raise DataError(f"{column}, data row {i + 1}: {shown!r} is not one of the model's "
                            f"{len(symbols)} symbols.")
        codes[i] = code
    return codes, list(symbols)
