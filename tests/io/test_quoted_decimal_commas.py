"""One column of decimal-comma numbers in double quotes, as R's write.csv2 writes a column formatted as text
(format(x, decimal.mark = ",", small.mark = " ") or big.mark = " "): it read as text (the comma taken for the
delimiter, the point for the decimal mark), while the same column unquoted, or beside a second column, read as
numbers. The first two as R 4 wrote them."""

from __future__ import annotations

import pytest

from emdesk.io import load_table
from emdesk.io.import_options import table_from_text

CASES = {
    "fractions": ('"a"\n"3,141 416"\n"3,142 551"\n"2,718 281"\n', [3.141416, 3.142551, 2.718281]),
    "thousands": ('"a"\n"12 345,50"\n"67 890,25"\n" 1 234,75"\n', [12345.5, 67890.25, 1234.75]),
    "plain": ('"a"\n"3,14"\n"2,71"\n"NA"\n', [3.14, 2.71, None]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_quoted_column_of_decimal_commas_reads_as_numbers(tmp_path, name):
    text, values = CASES[name]
    path = tmp_path / f"{name}.csv"
    path.write_text(text)
    for table in (load_table(path), table_from_text(text)):
        assert table.numeric_column_names == ["a"] and table.decimal == ","
        got = [None if v != v else round(v, 6) for v in table.to_array(["a"])[:, 0]]
        assert got == values


def test_two_quoted_fields_stay_two_columns(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text('"a","b"\n"3","14"\n"2","71"\n')
    assert load_table(path).column_names == ["a", "b"]
