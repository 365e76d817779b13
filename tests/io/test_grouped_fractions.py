"""Digits grouped in threes after the decimal mark (ISO 80000-1's 3,141 592 and 3.141 592): read as numbers
where every cell holding a space is grouped so, in load_table and the import-options reader alike; a cell that
breaks the pattern keeps the column text."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.io.thousands import could_be_grouped
from tests.io.textfiles import both, write


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f", "\u2009"])
def test_decimal_comma_with_grouped_fractions(tmp_path, space):
    path = write(tmp_path, f"a;b\n3,141{space}592;1\n2,718{space}281{space}8;2\n-0,000{space}001;3\n1,5;4\n"
                           f"12{space}345,678{space}9;5\n")
    for table in both(path):
        assert table.decimal == "," and table.numeric_column_names == ["a", "b"]
        np.testing.assert_array_equal(table.to_array(["a"]).ravel(), [3.141592, 2.7182818, -1e-6, 1.5, 12345.6789])
        assert table.thousands == {"a": " "} and table.thousands_ambiguous == {}


def test_decimal_point_with_grouped_fractions(tmp_path):
    for text in ("a,b\n3.141 592,1\n2.718 28,2\n1.414 213,3\n", "a\tb\n3.141 592\t1\n2.718 28\t2\n1.414 213\t3\n"):
        for table in both(write(tmp_path, text)):
            assert table.decimal == "." and table.numeric_column_names == ["a", "b"]
            np.testing.assert_array_equal(table.to_array(["a"]).ravel(), [3.141592, 2.71828, 1.414213])


@pytest.mark.parametrize("text", ["x\n3,141 592\n2,718 281\n1,414 213\n", "x\n3.141 592\n2.718 281\n1.414 213\n"])
def test_one_column_of_grouped_fractions(tmp_path, text):
    """Not split at the comma into row labels 3, 2, 1 and 141592, ... (silently, before), nor at the space into
    row labels 3.141, ... and 592, ..."""
    for table in both(write(tmp_path, text)):
        assert table.column_names == ["x"] and table.row_label_column is None
        np.testing.assert_array_equal(table.to_array(["x"]).ravel(), [3.141592, 2.718281, 1.414213])


@pytest.mark.parametrize("cell", ["3,141  592", "3,14 592", "3,1415 92", "3,141 592 6535", "1 234,567 8901",
                                  "3,141\u00a0592 6"])
def test_a_cell_not_grouped_in_threes_keeps_the_column_text(tmp_path, cell):
    assert not could_be_grouped(cell, ",")
    for table in both(write(tmp_path, f"a;b\n3,141 592;1\n{cell};2\n")):
        assert table.numeric_column_names == ["b"] and table.text_column("a")[1] == cell


def test_grouped_cells_are_recognised_for_both_marks():
    for mark in ".,":
        for cell in ("3{}141 592", "3{}141 59", "12 345{}678 9", "-0{}000 001", "1 234{}5", "12345{}678 9"):
            assert could_be_grouped(cell.format(mark), mark), cell
