"""The read-only tables that format cells on demand (emdesk.gui.cell_table, issue 16)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from emdesk.gui.cell_table import CellTableView, cell_text

Role = QtCore.Qt.ItemDataRole


@pytest.fixture
def view(qtbot):
    v = CellTableView()
    qtbot.addWidget(v)
    v.resize(600, 300)
    v.show()
    return v


def test_cells_read_like_table_widget_items(view):
    grey = QtGui.QBrush(QtGui.QColor(110, 110, 110))
    view.cells().set_rows(["", "value", "SE"], [["n", 160, None], ["BIC", 1234.56789, 0.5],
                                                ["converged", True, float("nan")]],
                          style=lambda r, c, role: grey if (role == Role.ForegroundRole and c == 2) else None)
    assert (view.rowCount(), view.columnCount()) == (3, 3)
    assert [view.horizontalHeaderItem(c).text() for c in range(3)] == ["", "value", "SE"]
    assert [[view.item(r, c).text() for c in range(3)] for r in range(3)] == [
        ["n", "160", ""], ["BIC", "1234.57", "0.5"], ["converged", "yes", "NA"]]
    assert view.item(1, 1).data(Role.UserRole) == 1234.56789 and view.item(0, 0).data(Role.UserRole) is None
    assert view.item(1, 1).textAlignment() & int(QtCore.Qt.AlignmentFlag.AlignRight)
    assert not view.item(1, 0).textAlignment() & int(QtCore.Qt.AlignmentFlag.AlignRight)
    assert view.item(1, 2).foreground().color() == grey.color() and view.item(1, 1).foreground().style() == \
        QtCore.Qt.BrushStyle.NoBrush
    assert view.item(3, 0) is None and view.item(0, 3) is None and view.horizontalHeaderItem(3) is None
    assert not view.item(0, 0).flags() & QtCore.Qt.ItemFlag.ItemIsEditable
    view.cells().clear()
    assert (view.rowCount(), view.columnCount()) == (0, 0)


def test_cell_text_formats_as_the_results_tables_did():
    assert [cell_text(v) for v in (None, True, np.bool_(False), 3, np.int64(7), 0.1 + 0.2, np.float32(2.5),
                                   math.inf, "x")] == ["", "yes", "no", "3", "7", "0.3", "2.5", "NA", "x"]


def test_fitted_columns_are_as_wide_as_qts_own_sizing(view):
    # Qt's resizeColumnsToContents asks the delegate for every cell's size; fit_columns measures the texts (one
    # measurement per digit pattern) and must give at least those widths, or the delegate elides the text
    rng = np.random.default_rng(0)
    rows = [[f"feature {i}"] + [float(v) for v in rng.normal(scale=10.0 ** rng.integers(-6, 7), size=5)]
            for i in range(60)]
    rows.append(["a much longer row label than the others", -1.5e-300, 12, None, True, "text"])
    rows.append(["log-likelihood", -143485.0, -426571.0, 287405.0, 20000, "full"])  # (once elided: 1 px short)
    header = ["", "component 1", "SE", "c", "a rather long header", "x\nnumbers of a kind"]
    view.cells().set_rows(header, rows)
    ours = view.fit_columns()
    view.resizeColumnsToContents()
    qts = [view.columnWidth(c) for c in range(len(header))]
    assert all(q <= o <= q + 2 for o, q in zip(ours, qts)), (ours, qts)
    assert view.fit_columns(max_width=50)[0] == 50


def test_a_number_that_sets_its_columns_width_is_not_elided(view):
    # The Results panel's Model table showed "-1434..." for -143485: integer font advances summed to a pixel less
    # than the laid-out text, and the delegate elided it
    view.cells().set_rows(["", "value"], [["log-likelihood", -143485.0], ["n", 20000], ["model", "full"]])
    ours = view.fit_columns()
    view.resizeColumnsToContents()
    assert ours[1] >= view.columnWidth(1)
