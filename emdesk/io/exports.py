"""Exports besides the fit file: the model-selection table (moved here from ``fitfile.py``)."""

from __future__ import annotations

import csv
import math

import numpy as np

from ._atomic import atomic_write

__all__ = ["write_selection_csv"]


def _selection_cell(value):
    """A cell as ``SelectionResult.to_csv`` writes it: floats in shortest exact form, NaN empty,
    booleans ``true``/``false``."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_selection_csv(result, path) -> None:
    """Write a model-selection sweep (``emdesk.engine.SelectionResult``) as CSV, atomically, with the
    stale-temporary clean-up of every emdesk.io write; byte for byte what ``result.to_csv(path)`` writes
    (columns ``emdesk.engine.selection.CSV_COLUMNS``, one row per fit). Raises :class:`DataError`
    naming the file when it cannot be written."""
    from ..engine.selection import CSV_COLUMNS

    rows = result.rows_as_dicts()
    with atomic_write(path) as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)  # the excel dialect, as to_csv
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _selection_cell(value) for key, value in row.items()})
