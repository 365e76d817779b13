"""A single column of space-grouped numbers (x / 12 345 / 67 890) split by runs of spaces looks like R's
write.table(quote = FALSE): a header one name short, row names, values. R's row names are unique labels,
1..n unless set, quoted by default: lines whose first fields repeat or are not 1..n are one column of numbers,
said in a note; R's own output (checked against R 4's write.table) still reads as row names and values."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.io import thousands
from emdesk.io.import_options import preview
from tests.io.textfiles import both, write


@pytest.mark.parametrize("text, values, reason", [
    ("x\n12 345\n67 890\n12 345\n", [12345, 67890, 12345], "repeat"),
    ("x\n12 345\n67 890\n45 678\n", [12345, 67890, 45678], "not 1..n"),
    ("x\n1 234.5\n5 678.25\n9 012\n", [1234.5, 5678.25, 9012], "not 1..n"),
    ("Betrag\n-1 234\n2 345\n", [-1234, 2345], "not 1..n"),
])
def test_grouped_lines_are_one_column_and_said(tmp_path, text, values, reason):
    path = write(tmp_path, text)
    name = text.split("\n")[0]
    for table in both(path):
        assert table.column_names == [name] and table.row_label_column is None
        np.testing.assert_array_equal(table.to_array([name]).ravel(), values)
        assert table.spaced_one_column == {name: (reason, text.split("\n")[1])}
        (note,) = thousands.spaced_notes(table)
        assert note.startswith(f"Column {name!r} holds numbers such as {text.split(chr(10))[1]!r}, read as one "
                               f"column") and "not as R's row names" in note
        assert "Delimiter: Spaces in File > Import with Options" in note
        assert "quote them" in thousands.spaced_notes(table, cli=True)[0]
    assert any("not as R's row names" in n for n in preview(path).notes)  # the import dialog says it


@pytest.mark.parametrize("text", [
    'x\n1 345\n2 890\n3 678\n',                  # R 4: write.table(data.frame(x = c(345L, 890L, 678L)), quote = FALSE)
    '"x"\n"1" 345\n"2" 890\n"3" 678\n',          # the same, write.table's default quote = TRUE
    '"x"\n"2" 345\n"3" 890\n"4" 678\n',          # a subset's row names 2, 3, 4, quoted (the default)
    'x\n1 3.5\n2 12.25\n',                       # write.table(data.frame(x = c(3.5, 12.25)), quote = FALSE)
])
def test_r_write_table_output_still_reads_as_row_names(tmp_path, text):
    values = [float(line.split()[1]) for line in text.split("\n")[1:] if line]
    tables = both(write(tmp_path, text))
    assert tables[0].row_label_column == "col1" and tables[0].numeric_column_names == ["x"]
    for table in tables:  # (the import-options reader does not take row numbers as labels: as before)
        assert table.column_names == ["col1", "x"] and table.spaced_one_column == {}
        assert table.to_array(["x"]).ravel().tolist() == values and thousands.spaced_notes(table) == []


def test_several_columns_and_headers_of_more_names_are_left_alone(tmp_path):
    table = both(write(tmp_path, "a b\n12 345\n67 890\n12 345\n"))[0]  # a two-name header: two columns
    assert table.column_names == ["a", "b"] and table.spaced_one_column == {}
    np.testing.assert_array_equal(table.to_array(["a", "b"]), [[12, 345], [67, 890], [12, 345]])


def test_emdesk_fit_says_it(tmp_path):
    from tests.cli_run import run_in_process

    path = write(tmp_path, "x\n12 345\n67 890\n12 345\n45 678\n")
    out = run_in_process(path, "-k", "1", "--n-init", "1", "--seed", "0", "-o", tmp_path / "f.json")
    assert out.returncode == 0, out.stderr
    assert "4 rows, columns x" in out.stdout
    assert "emdesk-fit: note: Column 'x' holds numbers such as '12 345', read as one column" in out.stderr
    assert "quote them (R's write.table does by default)" in out.stderr
