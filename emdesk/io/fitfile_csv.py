"""The CSV exports of a fit: parameters (with bootstrap standard errors when given), the table's rows with
their responsibilities or states (assignments), and the table with missing cells imputed.  Split from
:mod:`emdesk.io.fitfile` (the JSON fit file), which re-exports these names."""

from __future__ import annotations

import csv
import math
from typing import Sequence

import numpy as np

from ._atomic import atomic_write
from .fitfile import _check_fitted, _column_names, _layout
from .table import DataError, Table, format_number, format_numbers, unique_name

#: rows read, scored and written at a time by the exports
_ROWS_PER_BLOCK = 20000


def _writer(handle):
    return csv.writer(handle, lineterminator="\n")


def save_parameters_csv(path, model, columns: Sequence[str] | None = None, bootstrap=None,
                        level: float = 0.95) -> None:
    """One row per component: ``component`` (1-based), ``weight``, ``mean_<col>``, ``var_<col>`` and, for
    full and tied covariances, ``cov_<a>_<b>`` for each pair of columns. For an HMM, one row per state
    (see :func:`emdesk.io.fitfile_hmm.save_hmm_parameters_csv`; the other mixtures:
    :func:`emdesk.io.fitfile_families.save_family_parameters_csv`). With the model's ``bootstrap``
    result (any kind), each of those columns also gets ``se_<name>`` (standard error) and ``lower_<name>`` /
    ``upper_<name>`` (percentile interval at ``level``) columns."""
    from .fitfile_families import is_family_mixture, save_family_parameters_csv
    from .fitfile_hmm import is_hmm, save_hmm_parameters_csv

    if is_family_mixture(model):
        return save_family_parameters_csv(path, model, columns, column_names=_column_names,
                                          atomic_write=atomic_write, writer=_writer, bootstrap=bootstrap, level=level)
    if is_hmm(model):
        return save_hmm_parameters_csv(path, model, columns, column_names=_column_names, atomic_write=atomic_write,
                                       writer=_writer, bootstrap=bootstrap, level=level)
    _check_fitted(model)
    k, d = np.shape(model.means_)
    columns = _column_names(model, columns, d)
    ct = _layout(model, d)
    cov = np.asarray(model.covariances_, dtype=float)
    if ct == "full":
        full = cov
    elif ct == "tied":
        full = np.broadcast_to(cov, (k, d, d))
    elif ct == "diag":
        full = np.stack([np.diag(c) for c in cov])
    else:
        full = np.stack([np.eye(d) * c for c in cov])
    pairs = [(a, b) for a in range(d) for b in range(a + 1, d)] if ct in ("full", "tied") else []
    header = (["component", "weight"] + [f"mean_{c}" for c in columns] + [f"var_{c}" for c in columns]
              + [f"cov_{columns[a]}_{columns[b]}" for a, b in pairs])
    extra_rows = None
    if bootstrap is not None:
        from ..engine.align import full_covariances
        from .fitfile_uncertainty import parameter_uncertainty_columns

        if np.shape(bootstrap.standard_errors.get("means")) != (k, d):
            raise DataError("The bootstrap result does not match the model: bootstrap the model being exported.")
        names, extra_rows = parameter_uncertainty_columns(
            model, bootstrap, level, lambda a: full_covariances(a, ct, k, d), pairs, d)
        for prefix, what, idx in names:
            header.append(f"{prefix}_weight" if what == "weight" else
                          f"{prefix}_{what}_{columns[idx]}" if what in ("mean", "var") else
                          f"{prefix}_cov_{columns[idx[0]]}_{columns[idx[1]]}")
    with atomic_write(path) as handle:
        writer = _writer(handle)
        writer.writerow(header)
        for j in range(k):
            row = [str(j + 1), format_number(float(model.weights_[j]))]
            row += [format_number(float(v)) for v in model.means_[j]]
            row += [format_number(float(full[j, a, a])) for a in range(d)]
            row += [format_number(float(full[j, a, b])) for a, b in pairs]
            if extra_rows is not None:  # no NaN in the CSV: an SE that could not be computed is empty
                row += [format_number(v) if math.isfinite(v) else "" for v in extra_rows[j]]
            writer.writerow(row)


def _marginalizing(model):
    """The same mixture, scoring rows with missing values on their observed columns."""
    from ..engine import GaussianMixture

    if getattr(model, "missing", "error") == "marginalize":
        return model
    return GaussianMixture.from_parameters(model.weights_, model.means_, model.covariances_,
                                           covariance_type=model.covariance_type, missing="marginalize")


def _check_columns(table: Table, model, columns) -> tuple[list[str], int]:
    """``(columns, k)``: the column names as a list (checked against the table and the model) and the
    model's number of components, without copying the data (the exports read it in row blocks:
    ``table.to_array(columns, start, stop)``)."""
    _check_fitted(model)
    if not isinstance(table, Table):
        raise DataError("table must be an emdesk.io.Table (from load_table).")
    columns = [columns] if isinstance(columns, str) else list(columns)
    if not columns:
        raise DataError("Choose at least one column.")
    X = table.to_array(columns, 0, 0)  # the names' checks (DataError), no rows
    k, d = np.shape(model.means_)
    if X.shape[1] != d:
        raise DataError(f"The model has {d} features but {len(columns)} columns were given.")
    return columns, k


def _write_rows(path, table: Table, extra_header: list[str], extra_cells, replace=None) -> None:
    """The table's rows (cells as read, numbers in shortest exact form) plus extra columns, in blocks
    of ``_ROWS_PER_BLOCK`` rows.  ``extra_cells(start, stop)``: the extra columns' cells of those rows;
    ``replace``: ``{column: values}`` written instead of the table's cells, or a callable
    ``(start, stop) -> {column: values of those rows}``."""
    names = table.column_names
    with atomic_write(path) as handle:
        writer = _writer(handle)
        writer.writerow(names + extra_header)
        for start in range(0, table.n_rows, _ROWS_PER_BLOCK):
            stop = min(table.n_rows, start + _ROWS_PER_BLOCK)
            if callable(replace):
                block = replace(start, stop)
                values = {name: v for name, v in block.items()}
                offset = start
            else:
                values, offset = replace, 0
            cols = []
            for name in names:
                if values is not None and name in values:
                    cols.append(format_numbers(values[name][start - offset:stop - offset]))
                else:
                    cols.append(table._cells(name, start, stop))
            cols.extend(extra_cells(start, stop))
            writer.writerows(zip(*cols))


def save_assignments_csv(path, table: Table, model, columns: Sequence[str], *, sequence_column=None,
                         order_column=None) -> None:
    """The table's rows plus ``p_component_1 ... p_component_k`` (responsibilities) and ``component``
    (the most likely one, 1-based). Rows with missing values in ``columns`` are scored on their observed
    columns; rows with every fitted value missing are left blank.

    For an HMM: ``p_state_1 ... p_state_k`` (posteriors) and ``state`` (Viterbi), rows put into sequences
    by ``sequence_column`` and sorted by ``order_column`` (default: those recorded in a loaded fit's
    ``fit_info_``), written back in the file's row order."""
    from .fitfile_families import is_family_mixture, save_family_assignments_csv
    from .fitfile_hmm import is_hmm, save_hmm_assignments_csv

    if is_family_mixture(model) and sequence_column is None and order_column is None:
        save_family_assignments_csv(path, table, model, columns, write_rows=_write_rows)
        return
    if is_hmm(model):
        recorded = (getattr(model, "fit_info_", None) or {}).get("sequences") or {}
        if sequence_column is None and order_column is None and isinstance(recorded, dict):
            sequence_column, order_column = recorded.get("sequence_column"), recorded.get("order_column")
        save_hmm_assignments_csv(path, table, model, columns, sequence_column=sequence_column,
                                 order_column=order_column, write_rows=_write_rows)
        return
    if sequence_column is not None or order_column is not None:
        raise DataError("sequence_column and order_column belong to hidden Markov models.")
    columns, k = _check_columns(table, model, columns)
    scorer = _marginalizing(model)
    taken = set(table.column_names)
    header = [unique_name(f"p_component_{j + 1}", taken) for j in range(k)] + [unique_name("component", taken)]

    def extra(start, stop):
        # Scored block by block as the rows are written (issue 16): the peak is one block's.
        X = table.to_array(columns, start, stop)
        none = np.isnan(X).all(axis=1)
        resp = np.full((X.shape[0], k), np.nan)
        if (~none).any():
            try:
                resp[~none] = scorer.predict_proba(X[~none])
            except ValueError as exc:
                raise DataError(f"Cannot compute the assignments: {exc}") from None
        label = np.where(none, 0, np.argmax(np.nan_to_num(resp, nan=-1.0), axis=1) + 1)
        cells = [format_numbers(resp[:, j]) for j in range(k)]
        cells.append(["" if v == 0 else str(v) for v in label.tolist()])
        return cells

    _write_rows(path, table, header, extra)


def save_imputed_csv(path, table: Table, model, columns: Sequence[str]) -> int:
    """The table with missing cells of ``columns`` filled by the fitted mixture (conditional means given
    each row's observed values) and an ``imputed`` column naming the cells filled in, separated by
    ``;`` (empty when none). Returns the number of cells imputed."""
    from .fitfile_families import is_family_mixture
    from .fitfile_hmm import is_hmm

    if is_hmm(model) or is_family_mixture(model):
        raise DataError(f"Imputing missing cells is available for Gaussian mixtures; this is a {type(model).__name__}.")
    columns, _ = _check_columns(table, model, columns)
    flag = unique_name("imputed", set(table.column_names))
    names = np.asarray(columns, dtype=object)
    state = {"missing": None, "count": 0}

    def replace(start, stop):
        # Imputed block by block as the rows are written (issue 16): the peak is one block's.
        X = table.to_array(columns, start, stop)
        missing = np.isnan(X)
        filled = X
        if missing.any():
            try:
                filled = np.asarray(model.impute(X), dtype=np.float64)
            except ValueError as exc:
                raise DataError(f"Cannot impute the missing values: {exc}") from None
        state["missing"] = missing
        state["count"] += int(missing.sum())
        return {name: filled[:, j] for j, name in enumerate(columns)}

    def extra(start, stop):  # called after replace() for the same rows
        return [[";".join(names[row]) if row.any() else "" for row in state["missing"]]]

    _write_rows(path, table, [flag], extra, replace=replace)
    return state["count"]

