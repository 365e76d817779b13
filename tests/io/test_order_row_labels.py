"""A time index t = 1, 2, ..., n with its own header (R's write.csv(row.names = FALSE) of a series) is read as
the rows' labels; it was refused as an HMM's order column ("The order column t must hold numbers (a time or an
index); it holds text."), by emdesk-fit --order-column, Session.set_sequence and the window's Order by list.
A row-label column whose labels are all numbers orders the rows; text labels are still refused."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.io import DataError, load_table
from emdesk.io.sequences import order_columns, order_values, sequence_layout
from emdesk.session import Session


@pytest.fixture
def series_csv(tmp_path):
    rng = np.random.default_rng(1)
    level = np.r_[rng.normal(1, 0.3, 10), rng.normal(3, 0.3, 8)]
    p = tmp_path / "series.csv"
    p.write_text('"t","level"\n' + "".join(f"{i + 1},{v:.4f}\n" for i, v in enumerate(level)))
    return p


def test_a_numeric_row_label_column_orders_the_rows(series_csv):
    table = load_table(series_csv)
    assert table.row_label_column == "t"  # the reader's reading is kept: not a variable to fit
    assert order_columns(table) == ["t", "level"]
    np.testing.assert_array_equal(order_values(table, "t"), np.arange(1, 19))
    X = table.to_array(["level"])
    layout = sequence_layout(table, X, order_column="t")
    np.testing.assert_array_equal(layout.rows, np.arange(18))
    s = Session()
    s.load(series_csv)
    s.set_sequence(None, "t")
    assert s.order_column == "t"


def test_text_row_labels_are_still_refused(tmp_path):
    p = tmp_path / "named.csv"
    p.write_text('"","level"\n' + "".join(f'"r{i}",{i * 0.5:.2f}\n' for i in range(12)))
    table = load_table(p)
    assert table.row_label_column == "col1" and order_columns(table) == ["level"]
    with pytest.raises(DataError, match="must hold numbers"):
        sequence_layout(table, table.to_array(["level"]), order_column="col1")


def test_emdesk_fit_orders_an_hmm_by_it(series_csv, tmp_path):
    from tests.cli_run import run_in_process

    out = run_in_process(series_csv, "--model", "hmm", "--columns", "level", "--order-column", "t", "-k", "2",
                         "--n-init", "1", "--seed", "0", "-o", tmp_path / "fit.json")
    assert out.returncode == 0, out.stderr
    assert "1 sequence, ordered by t; 18 rows fitted" in out.stdout



def test_row_labels_are_numbers_by_the_readers_rule(tmp_path):
    # float() reads the identifiers 10_1, 2_1 as 101, 21: they were offered as an order column and sorted so;
    # the reader reads such a cell as text (table_text._to_float), and so does the order column now
    p = tmp_path / "ids.csv"
    ids = ["10_1", "2_1", "2_2", "3_1"]
    p.write_text('"","level"\n' + "".join(f'"{r}",{i * 0.5:.2f}\n' for i, r in enumerate(ids)))
    table = load_table(p)
    assert table.row_label_column == "col1" and order_columns(table) == ["level"]
    with pytest.raises(DataError, match="must hold numbers"):
        order_values(table, "col1")
    # numbers as the reader writes them still order the rows (unnamed, distinct, with gaps; 1e3 is 1000)
    q = tmp_path / "gaps.csv"
    q.write_text('"","level"\n' + "".join(f'"{r}",{i * 0.5:.2f}\n' for i, r in enumerate(["10", "2", "1e3", "5.5"])))
    table = load_table(q)
    assert order_columns(table) == ["col1", "level"]
    np.testing.assert_array_equal(order_values(table, "col1"), [10, 2, 1000, 5.5])
    np.testing.assert_array_equal(sequence_layout(table, table.to_array(["level"]), order_column="col1").rows,
                                  [1, 3, 0, 2])
