"""Thousands separators written as spaces (space, no-break, narrow no-break, thin) or apostrophes (' and U+2019,
Swiss style): read where every cell holding one is grouped in threes, chosen in ImportOptions, never where a
cell breaks the pattern."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.io import load_table
from tests.io.textfiles import both, write
from emdesk.io.import_options import ImportOptions, load_with_options, preview
from emdesk.io.thousands import THOUSANDS, could_be_grouped, detect




@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f", "\u2009"])
def test_spaces_with_decimal_comma(tmp_path, space):
    big = f"1{space}234{space}567,5"
    path = write(tmp_path, f"Ort;Einwohner;x\nA;{big};1,5\nB;12{space}345;2\nC;812;3\nD;NA;4\n")
    for table in both(path):
        assert table.decimal == ","
        assert table.numeric_column_names == ["Einwohner", "x"]
        np.testing.assert_array_equal(table.to_array(["Einwohner"]).ravel(), [1234567.5, 12345, 812, np.nan])
        assert table.thousands == {"Einwohner": " "} and table.thousands_ambiguous == {}
    assert preview(path).unsure == []


@pytest.mark.parametrize("apostrophe", ["'", "\u2019"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_swiss_apostrophes(tmp_path, apostrophe, delimiter):
    rows = [["Ort", "Einwohner", "x"], ["A", f"1{apostrophe}234.5", "1.5"], ["B", f"1{apostrophe}234{apostrophe}567", "2"]]
    path = write(tmp_path, "".join(delimiter.join(r) + "\n" for r in rows))
    for table in both(path):
        assert table.decimal == "."
        np.testing.assert_array_equal(table.to_array(["Einwohner"]).ravel(), [1234.5, 1234567])
        assert table.thousands == {"Einwohner": "'"} and table.thousands_ambiguous == {}


def test_spaced_decimal_decides_the_decimal_mark(tmp_path):
    # no other number has a decimal mark: 1 234,5 says the comma is the decimal mark, 1'234.5 the point
    assert load_table(write(tmp_path, "a;b\n1 234,5;2\n7;3\n")).to_array(["a"]).ravel().tolist() == [1234.5, 7]
    assert load_table(write(tmp_path, "a;b\n1'234.5;2\n7;3\n", "b.csv")).to_array(["a"]).ravel().tolist() == [1234.5, 7]


@pytest.mark.parametrize("cells", [["1 234 5", "2"], ["12 34", "2"], ["1 2345", "7"], ["0 123", "7"],
                                   ["1'23", "7"], ["5'11\"", "6'1\""], ["1 234", "1'234"],
                                   ["1 234\u00a0567", "7"], ["ab 123", "1"]])
def test_not_grouped_stays_text(tmp_path, cells):
    # a cell that breaks the pattern, or two conventions in one column: the column is text, as before
    assert detect(cells, ",", ";") == (None, None)
    assert detect(["1 234", "1.234"], ",", ";") == (None, None)  # a point and a space in a decimal-comma file
    path = write(tmp_path, "a;b\n" + "".join(f"{c};1\n" for c in cells))
    for table in both(path):
        assert table.text_column_names == ["a"] and table.thousands == {}


def test_a_space_delimited_file_has_no_space_separator(tmp_path):
    path = write(tmp_path, "a b\n1 234\n5 678\n")
    table = load_table(path)
    assert table.numeric_column_names == ["a", "b"] and table.to_array().tolist() == [[1, 234], [5, 678]]
    with pytest.raises(ValueError, match="space cannot be both"):
        ImportOptions(delimiter=" ", thousands=" ")


def test_chosen_in_import_options(tmp_path):
    assert THOUSANDS[" "].startswith("Space") and THOUSANDS["'"].startswith("Apostrophe")
    path = write(tmp_path, "a;b\n1 234;2\n5'678;3\n")
    table = load_table(path)  # two conventions in one column: text
    assert table.numeric_column_names == ["b"]
    assert load_with_options(path, ImportOptions(thousands=" ")).numeric_column_names == ["b"]
    path = write(tmp_path, "a;b\n1 234;2\n5 678,5;3\n", "b.csv")
    table = load_with_options(path, ImportOptions(thousands=" "))
    assert table.to_array(["a"]).ravel().tolist() == [1234, 5678.5] and table.thousands == {"a": " "}
    table = load_with_options(path, ImportOptions(thousands=""))  # none: the column is text
    assert table.numeric_column_names == ["b"] and table.thousands == {}
    assert ImportOptions.from_dict(ImportOptions(thousands="'").to_dict()).thousands == "'"
    assert could_be_grouped(" 1 234 ", ".") and could_be_grouped("-1'234.5", ".")
    assert not could_be_grouped("1 234.5", ",")  # a point after the groups in a decimal-comma file


def test_first_seen_after_the_sniffed_sample(tmp_path):
    rows = "".join(f"{i % 900 + 1};{i % 7},5\n" for i in range(12000))  # > 64 KB before the grouped numbers
    table = load_table(write(tmp_path, "a;b\n" + rows + "1\u202f234\u202f567;1,5\n"))
    assert table.n_rows == 12001 and table.to_array(["a"])[-1, 0] == 1234567
    assert table.thousands == {"a": " "}


def _grouped(n: int, sep: str) -> str:
    text = str(n)
    head = len(text) % 3 or 3
    return sep.join([text[:head]] + [text[i:i + 3] for i in range(head, len(text), 3)])


def test_written_with_any_separator_reads_back(tmp_path):
    # every separator with each decimal mark it goes with: the numbers a spreadsheet would write, read back
    rng = np.random.default_rng(5)
    ints = rng.integers(0, 10**9, 40)
    fracs = rng.integers(0, 100, 40)
    for k, (sep, decimal, delimiter) in enumerate([(" ", ",", ";"), ("\u00a0", ".", ","), ("\u202f", ",", "\t"),
                                                   ("\u2009", ".", ";"), ("'", ".", ","), ("\u2019", ",", ";"),
                                                   (".", ",", ";"), (",", ".", "\t")]):
        cells = [f"{'-' if i % 3 == 0 else ''}{_grouped(int(n), sep)}{decimal}{f:02d}" for i, (n, f) in
                 enumerate(zip(ints, fracs))]
        text = f"x{delimiter}y\n" + "".join(f"{c}{delimiter}{i}\n" for i, c in enumerate(cells))
        expected = [(-1 if i % 3 == 0 else 1) * (int(n) + f / 100) for i, (n, f) in enumerate(zip(ints, fracs))]
        for table in both(write(tmp_path, text, f"f{k}.csv")):
            assert table.decimal == decimal, (sep, decimal)
            np.testing.assert_allclose(table.to_array(["x"]).ravel(), expected, rtol=1e-15)
            assert table.thousands == {"x": {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2019": "'"}.get(sep, sep)}
