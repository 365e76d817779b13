"""Thousands separators (emdesk.io.thousands): read right where sure, read by the file's decimal mark and
said where it is a guess, chosen in ImportOptions, and plain files read exactly as before."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.io import load_table
from tests.io.textfiles import both, write
from emdesk.io.import_options import ImportOptions, load_with_options, preview
from emdesk.io.thousands import detect




def test_german_style_file(tmp_path):
    path = write(tmp_path, "Ort;Einwohner;Fläche;Wert\nA;10.691;12,5;1.234,5\nB;1.234.567;3,25;-2,5\n"
                           "C;812;1,0;7\n")
    for table in both(path):
        assert table.decimal == ","
        assert table.numeric_column_names == ["Einwohner", "Fläche", "Wert"]
        np.testing.assert_array_equal(table.to_array(), [[10691, 12.5, 1234.5], [1234567, 3.25, -2.5],
                                                         [812, 1.0, 7]])
        assert table.thousands == {"Einwohner": ".", "Wert": "."}
        assert table.thousands_ambiguous == {}  # 1.234.567 and 1.234,5 can only be grouped
    assert preview(path).unsure == []


def test_german_style_decimal_mark_decided_by_grouped_numbers(tmp_path):
    # before: 10.691 counted as a decimal point, tying with 12,5: the file read with a decimal point
    path = write(tmp_path, "Ort;Einwohner;Fläche\nA;10.691;12,5\nB;8.123;3,25\n")
    table = load_table(path)
    assert table.decimal == ","
    np.testing.assert_array_equal(table.to_array(["Fläche"]).ravel(), [12.5, 3.25])


def test_us_style_quoted(tmp_path):
    path = write(tmp_path, 'name,pop,x\nA,"10,691",1.5\nB,"1,234,567",2.5\nC,812,3\nD,NA,4\n')
    for table in both(path):
        assert table.numeric_column_names == ["pop", "x"]
        np.testing.assert_array_equal(table.to_array(["pop"]).ravel(), [10691, 1234567, 812, np.nan])
        assert table.thousands == {"pop": ","} and table.thousands_ambiguous == {}


def test_ambiguous_column_is_read_by_the_decimal_mark_and_said(tmp_path):
    path = write(tmp_path, "Ort;Einwohner;Fläche\nA;10.691;12,5\nB;8.123;3,25\nC;9.001;1,0\n")
    for table in both(path):
        np.testing.assert_array_equal(table.to_array(["Einwohner"]).ravel(), [10691, 8123, 9001])
        assert table.thousands_ambiguous == {"Einwohner": "10.691"}
    from emdesk.io.thousands import notes
    (note,) = notes(load_table(path))
    assert "'Einwohner'" in note and "'10.691'" in note and "10691" in note and "Thousands separator" in note
    result = preview(path)
    assert result.unsure == [note]  # the import dialog opens by itself, with the note
    # the user's choice: no thousands separator (the point is a decimal point there)
    table = load_with_options(path, ImportOptions(thousands=""))
    np.testing.assert_array_equal(table.to_array(["Einwohner"]).ravel(), [10.691, 8.123, 9.001])
    assert table.thousands == {} and table.notes == []


def test_forced_separator(tmp_path):
    path = write(tmp_path, "a;b\n1.234;2\n5.678;3\n")  # no comma anywhere: a decimal point by default
    assert load_table(path).to_array(["a"]).ravel().tolist() == [1.234, 5.678]
    table = load_with_options(path, ImportOptions(thousands="."))
    assert table.decimal == ","
    assert table.to_array(["a"]).ravel().tolist() == [1234, 5678]
    with pytest.raises(ValueError, match="decimal mark"):
        ImportOptions(thousands=".", decimal=".")
    with pytest.raises(ValueError, match="thousands"):
        ImportOptions(thousands="_")
    assert ImportOptions.from_dict(ImportOptions(thousands=",").to_dict()).thousands == ","


def test_not_grouped_is_not_a_separator():
    assert detect(["0.125", "12"], ",", ";") == (None, None)     # a leading 0 is never grouped
    assert detect(["12.5", "10.691"], ",", ";") == (None, None)  # 12.5: the point is a decimal point here
    assert detect(["10.6912"], ",", ";") == (None, None)
    assert detect(["10.691", "1,5"], ",", ";") == (".", None)    # the column's decimal mark is a comma
    assert detect(["10,691"], ".", ",") == (",", None)           # a quoted comma in a comma file


def test_mixed_column_keeps_its_decimal_points(tmp_path):
    # 12.5 beside 10.691 in a decimal-comma file: the point is a decimal point in that column, as before
    path = write(tmp_path, "a;b\n10.691;1,5\n12.5;2,5\n")
    for table in both(path):
        assert table.to_array(["a"]).ravel().tolist() == [10.691, 12.5]
        assert table.thousands == {}


def test_separators_first_seen_after_the_sniffed_sample(tmp_path):
    rows = "".join(f"{i % 900 + 1};{i % 7},5\n" for i in range(12000))  # > 64 KB before the grouped numbers
    path = write(tmp_path, "a;b\n" + rows + "1.234.567;1,5\n")
    table = load_table(path)
    assert table.n_rows == 12001 and table.to_array(["a"])[-1, 0] == 1234567
    assert table.thousands == {"a": "."}
    rows = "".join(f"{i % 900 + 1},{i % 7}.5\n" for i in range(12000))
    path = write(tmp_path, "a,b\n" + rows + '"1,234,567",1.5\n', "us.csv")
    table = load_table(path)
    assert table.n_rows == 12001 and table.to_array(["a"])[-1, 0] == 1234567
    assert table.thousands == {"a": ","}


@pytest.mark.parametrize("text", ["a,b\n1.5,2\n3.25,-4e-3\n1.234,5\n",
                                  "a;b\n1,5;2\n3,25;-4\n",
                                  "a\tb\n1.234\t2.5\n3.25\t4\n",
                                  'a,b\n"1,5",2\n"x",3\n'])
def test_plain_file_unchanged(tmp_path, text):
    # the same bits as the reader gave before thousands separators were read (values written out)
    expected = {"a,b\n1.5,2\n3.25,-4e-3\n1.234,5\n": [[1.5, 2], [3.25, -4e-3], [1.234, 5]],
                "a;b\n1,5;2\n3,25;-4\n": [[1.5, 2], [3.25, -4]],
                "a\tb\n1.234\t2.5\n3.25\t4\n": [[1.234, 2.5], [3.25, 4]],
                'a,b\n"1,5",2\n"x",3\n': [[2], [3]]}[text]
    for table in both(write(tmp_path, text)):
        assert table.to_array().tobytes() == np.array(expected, dtype=np.float64).tobytes()
        assert table.thousands == {} and table.thousands_ambiguous == {}


@pytest.mark.parametrize("text, values", [
    ("a\n1 234,5\n5 678,0\n9 012,5\n", [1234.5, 5678.0, 9012.5]),     # was col1 = "1 234" (row labels), a = 5, 0, 5
    ("Wert\n1 234 567,5\n2,5\n", [1234567.5, 2.5]),                     # was runs of spaces: three columns
    ("Wert\n1\u202f234,5\n5 678\n12,5\n", [1234.5, 5678.0, 12.5]),
    ("Wert\n1'234,5\n2,5\n", [1234.5, 2.5]),
])
def test_one_column_of_grouped_numbers_with_decimal_commas(tmp_path, text, values):
    path = write(tmp_path, text)
    for table in both(path):
        assert len(table.column_names) == 1 and table.decimal == ","
        np.testing.assert_array_equal(table.to_array()[:, 0], values)


def test_two_columns_of_decimal_commas_stay_two(tmp_path):
    for table in both(write(tmp_path, "a b\n1,5 2,5\n3,5 4,5\n")):
        assert table.column_names == ["a", "b"]
