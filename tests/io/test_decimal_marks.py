"""A column whose decimal mark is not the one sniffed from the file's first lines (emdesk.io.decimal_marks):
decided again on all its cells, by load_table and the import-options reader alike; a column whose cells read
either way is never reinterpreted, and a column that mixes marks stays text."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.io import DataError, load_table
from emdesk.io.decimal_marks import notes, read_with_other
from tests.io.textfiles import both, write
from emdesk.io.import_options import ImportOptions, load_with_options, preview

# > 64 KB of decimal points before the last line (the sniffed sample is the first 64 KB)
HEAD = "".join(f"{i % 7}.5;{i % 900 + 1};{10 + i % 90}.{i * 37 % 1000:03d};{i % 13}\n" for i in range(4000))




def last(table, column):
    return table.to_array([column])[-1, 0]


@pytest.mark.parametrize("tail, column, value, example", [
    ("2.5;1.234,5;10.5;1\n", "b", 1234.5, "1.234,5"),   # whole numbers, then 1.234,5
    ("2.5;3;4;1,5\n", "d", 1.5, "1,5"),                  # whole numbers, then a decimal comma
    ("2.5;3;4;-1 234,75\n", "d", -1234.75, "-1 234,75"),  # with a space separator
])
def test_late_decimal_comma_in_a_decimal_point_file(tmp_path, tail, column, value, example):
    path = write(tmp_path, "a;b;c;d\n" + HEAD + tail)
    assert len(HEAD) > 64 * 1024
    for table in both(path):
        assert table.decimal == "." and table.numeric_column_names == ["a", "b", "c", "d"]
        assert last(table, column) == value and table.n_rows == 4001
        assert table.other_decimal_columns == {column: example}
        np.testing.assert_array_equal(table.to_array(["c"])[:2, 0], [10.0, 11.037])  # c is untouched
        (note,) = notes(table)
        assert f"Column {column!r} is read with a decimal comma" in note and repr(example) in note


def test_one_group_column_is_reinterpreted_only_with_its_own_evidence(tmp_path):
    # c holds 10.000 ... 99.999 (read either way): with a late 1.234,5 in c, its points group thousands
    path = write(tmp_path, "a;b;c;d\n" + HEAD + "2.5;3;1.234,5;1\n")
    for table in both(path):
        np.testing.assert_array_equal(table.to_array(["c"])[[0, 1, -1], 0], [10000, 11037, 1234.5])
        assert table.other_decimal_columns == {"c": "1.234,5"} and table.thousands == {"c": "."}
    # the late comma in another column: c stays 10.000, 11.037 (a column of 1.234 values stays 1.234)
    path = write(tmp_path, "a;b;c;d\n" + HEAD + "2.5;1.234,5;10.5;1\n", "other.csv")
    for table in both(path):
        np.testing.assert_array_equal(table.to_array(["c"])[[0, 1, -1], 0], [10.0, 11.037, 10.5])
        assert "c" not in table.other_decimal_columns and table.thousands_ambiguous == {}


@pytest.mark.parametrize("tail", ["1,5;2;3.5;1\n",      # a: 0.5, 1.5 ... then 1,5: mixed marks
                                  "2.5;3;4;1,5x\n",      # not a number either way
                                  "2.5;3;4;1,23,4\n"])   # not grouped in threes
def test_mixed_or_not_numbers_stay_text(tmp_path, tail):
    path = write(tmp_path, "a;b;c;d\n" + HEAD + tail)
    column = "a" if tail.startswith("1,5") else "d"
    for table in both(path):
        assert column in table.text_column_names and table.other_decimal_columns == {}


def test_decimal_comma_file_with_a_late_decimal_point_column(tmp_path):
    head = "".join(f"{i % 7},5;{i % 900 + 1}\n" for i in range(8000))
    path = write(tmp_path, "a;b\n" + head + "2,5;1,234.5\n")
    for table in both(path):
        assert table.decimal == "," and last(table, "b") == 1234.5 and last(table, "a") == 2.5
        assert table.other_decimal_columns == {"b": "1,234.5"}


def test_plain_and_chosen_files_are_not_decided_again(tmp_path):
    path = write(tmp_path, "a;b\n1.234;2\n5.678;3\n")  # 1.234 only: stays 1.234, nothing noted
    for table in both(path):
        assert table.to_array(["a"]).ravel().tolist() == [1.234, 5.678] and table.other_decimal_columns == {}
    path = write(tmp_path, "a;b\n1.5;2\n2.5;3,5\n", "chosen.csv")
    assert load_table(path).other_decimal_columns == {"b": "3,5"}
    table = load_with_options(path, ImportOptions(decimal="."))  # the user's choice is kept: b is text
    assert table.text_column_names == ["b"] and table.other_decimal_columns == {}
    # a quoted 1,5 in a comma-separated file is not taken as a decimal comma
    assert read_with_other(["1,5", "2"], ".", ",") is None
    path = write(tmp_path, 'a,b\n1.5,"2,5"\n2.5,3\n', "quoted.csv")
    assert load_table(path).text_column_names == ["b"]


def test_preview_notes_it_without_opening_the_dialog(tmp_path):
    path = write(tmp_path, "a;b\n1.5;2\n2.5;3,5\n")
    result = preview(path)
    assert result.unsure == [] and len(result.notes) == 1 and "Column 'b'" in result.notes[0]
    assert result.table.to_array(["b"]).ravel().tolist() == [2, 3.5]


def test_cells_that_read_either_way_keep_the_files_mark(tmp_path):
    # a decimal-comma file: 1,234 is 1.234 there, never reinterpreted
    for table in both(write(tmp_path, "a;b\n1,5;1,234\n2,5;5,678\n")):
        assert table.to_array(["b"]).ravel().tolist() == [1.234, 5.678] and table.other_decimal_columns == {}
    # a late 1,234 in a decimal-point file: a thousands comma by the file's mark (a guess, said), not 1.234
    path = write(tmp_path, "a;b;c;d\n" + HEAD + "2.5;3;4;1,234\n", "late.csv")
    for table in both(path):
        assert last(table, "d") == 1234 and table.other_decimal_columns == {}
        assert table.thousands_ambiguous == {"d": "1,234"}


def test_to_array_of_a_text_column_names_a_cell_that_is_no_number(tmp_path):
    # a column mixing decimal marks stays text; Table.to_array's message named '3.5', a number, as the text
    path = tmp_path / "mixed.csv"
    path.write_text("a;b\n3.5;1\n2.5;2\n1.234,5;3\n7.0;4\n")
    t = load_table(path)
    assert t.text_column_names == ["a"]
    with pytest.raises(DataError, match=r"holds text \(e.g. '1.234,5'\), not numbers") as info:
        t.to_array(["a"])
    assert "'3.5'" not in str(info.value)
    words = tmp_path / "w.csv"
    words.write_text("a,b\nx,1\n2,2\n")
    with pytest.raises(DataError, match=r"holds text \(e.g. 'x'\)"):
        load_table(words).to_array(["a"])
