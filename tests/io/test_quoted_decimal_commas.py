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


@pytest.mark.parametrize("quote", ['"', ""])
def test_a_column_of_point_grouped_decimal_commas_reads_as_numbers(tmp_path, quote):
    # German style (format(x, big.mark = ".", decimal.mark = ",")): unquoted it was read as R's row names
    # 1.234, 2 and -12.345 beside the values 5, 5 and 50 (the header one name short), silently; quoted, as text
    q = quote
    text = f"{q}Wert{q}\n{q}1.234,5{q}\n{q}2,5{q}\n{q}-12.345,50{q}\n{q}NA{q}\n"
    path = tmp_path / "wert.csv"
    path.write_text(text)
    for table in (load_table(path), table_from_text(text)):
        assert table.column_names == ["Wert"] and table.decimal == ","
        got = [None if v != v else round(v, 6) for v in table.to_array(["Wert"])[:, 0]]
        assert got == [1234.5, 2.5, -12345.5, None]
    # lines that all read a,b are still two columns
    (tmp_path / "two.csv").write_text("a,b\n1.234,5\n2.345,6\n")
    assert load_table(tmp_path / "two.csv").numeric_column_names == ["a", "b"]
