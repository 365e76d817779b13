"""Import options (the CSV reader's overrides), the preview for the dialog, and Paste Data (issue 15)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from emdesk.io import DataError, load_table
from emdesk.io.clipboard import table_from_clipboard_text
from emdesk.io.import_options import ImportOptions, load_with_options, preview, table_from_text

sys.path.insert(0, str(Path(__file__).parent))
from workbooks import write_xlsx  # noqa: E402

try:
    import python_calamine  # noqa: F401
    HAVE_CALAMINE = True
except ImportError:
    HAVE_CALAMINE = False


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_no_override_is_load_table(tmp_path):
    path = write(tmp_path, "a;b\n1,5;2\n3;4\n")
    by_options = load_with_options(path)
    plain = load_table(path)
    assert by_options.column_names == plain.column_names
    np.testing.assert_array_equal(by_options.to_array(), plain.to_array())
    assert (by_options.delimiter, by_options.decimal) == (";", ",")


@pytest.mark.parametrize("text", ["a,b\n1,2\n3,NA\n", "x;y;z\n1,5;2;a\n2,5;;b\n", "p\tq\n1.5\t2\n-3\t4e3\n",
                                  "# comment\nu v\n1 2\n3 4\n", "1,2\n3,4\n"])
def test_detection_reads_as_load_table_does(tmp_path, text):
    path = write(tmp_path, text)
    forced = load_with_options(path, ImportOptions(skip_rows=0, comment=None, missing_tokens=None,
                                                   encoding="utf-8"))  # an override: the text path
    plain = load_table(path)
    assert forced.column_names == plain.column_names
    assert forced.numeric_column_names == plain.numeric_column_names
    np.testing.assert_array_equal(forced.to_array(), plain.to_array())
    assert (forced.delimiter, forced.decimal, forced.has_header) == (plain.delimiter, plain.decimal,
                                                                     plain.has_header)


def test_every_override(tmp_path):
    text = ("Instrument 7, export of 2024-03-01\n"
            "units: mm\n"
            "id|len|wid\n"
            "// calibration run\n"
            "r1|1,5|2\n"
            "r2|.|-999\n"
            "r3|2,25|4\n")
    path = write(tmp_path, text, encoding="cp1252")
    options = ImportOptions(delimiter="|", decimal=",", header_row=0, encoding="cp1252", skip_rows=2,
                            comment="//", missing_tokens=(".", "-999"), row_label_column="id")
    table = load_with_options(path, options)
    assert table.column_names == ["id", "len", "wid"]
    assert table.numeric_column_names == ["len", "wid"] and table.row_label_column == "id"
    np.testing.assert_array_equal(table.to_array(), [[1.5, 2], [np.nan, np.nan], [2.25, 4]])
    assert table.encoding == "cp1252" and table.text_column("id") == ["r1", "r2", "r3"]


def test_missing_tokens_replace_the_default_set():
    table = table_from_text("a,b\n1,NA\n2,-1\n3,4\n", ImportOptions(missing_tokens=("-1",)))
    assert table.text_column_names == ["b"]  # "NA" is no longer missing: the column is text
    table = table_from_text("a,b\n1,-1\n2,3\n", ImportOptions(missing_tokens=("-1",)))
    assert np.isnan(table.to_array("b")[0, 0])


def test_header_row_choices():
    text = "junk line\nx,y\n1,2\n3,4\n"
    assert table_from_text(text, ImportOptions(header_row=1)).column_names == ["x", "y"]
    none = table_from_text("x,y\n1,2\n", ImportOptions(header_row=-1))
    assert none.column_names == ["col1", "col2"] and none.text_column_names == ["col1", "col2"]
    with pytest.raises(DataError, match="no row 9"):
        table_from_text(text, ImportOptions(header_row=8))


def test_a_numeric_row_label_column_becomes_text():
    table = table_from_text("n,x\n1,2.5\n2,3.5\n", ImportOptions(row_label_column=0))
    assert table.numeric_column_names == ["x"] and table.text_column("n") == ["1", "2"]
    with pytest.raises(DataError, match="no column 'nope' for the row labels"):
        table_from_text("n,x\n1,2\n", ImportOptions(row_label_column="nope"))


def test_wrong_options_raise_with_the_line():
    with pytest.raises(DataError, match=r"data, line 3: expected 2 fields but found 3 \(delimiter: comma\)"):
        table_from_text("a,b\n1,2\n1,2,3\n", ImportOptions(delimiter=","), name="data")
    with pytest.raises(DataError, match="not valid utf-8 text"):
        from emdesk.io.import_options import _decode
        _decode("x\nü\n".encode("cp1252"), "utf-8", "f.csv")


def test_options_validate_and_round_trip():
    options = ImportOptions(delimiter="\t", decimal=",", header_row=2, encoding="latin-1", skip_rows=1,
                            comment="#", missing_tokens=["-9"], row_label_column="id", sheet="S")
    assert ImportOptions.from_dict(options.to_dict()) == options
    assert ImportOptions.from_dict({"delimiter": ";", "unknown": 1}) == ImportOptions(delimiter=";")
    assert ImportOptions().is_default and not options.is_default
    for bad in ({"delimiter": "x"}, {"decimal": ";"}, {"delimiter": ",", "decimal": ","}, {"header_row": -2},
                {"skip_rows": -1}, {"encoding": "klingon"}, {"comment": " "}):
        with pytest.raises(ValueError):
            ImportOptions(**bad)


def test_preview_shows_the_first_rows_and_what_was_detected(tmp_path):
    lines = "\n".join(f"{i};{i},5" for i in range(100))
    path = write(tmp_path, "a;b\n" + lines + "\n")
    p = preview(path, n_rows=20)
    assert p.error is None and p.table.n_rows == 20
    assert p.detected.delimiter == ";" and p.detected.decimal == "," and p.detected.header_row == 0
    assert p.detected.encoding == "utf-8"
    assert p.raw_lines[:2] == ["a;b", "0;0,5"]
    np.testing.assert_array_equal(p.table.to_array()[:2], [[0, 0.5], [1, 1.5]])
    # an override that does not work: the message, not an exception
    bad = preview(path, ImportOptions(delimiter=",", header_row=-1))
    assert bad.table is None and "expected" in bad.error


def test_preview_is_unsure_about_a_title_line_and_a_mostly_numeric_text_column(tmp_path):
    path = write(tmp_path, "Run 4 of the survey\nx;y;z\n1;2;3\n4;5;6\n")
    p = preview(path)
    assert p.unsure and "semicolon" in p.unsure[0]
    assert preview(path, ImportOptions(skip_rows=1)).table.column_names == ["x", "y", "z"]
    rows = "\n".join(f"{i},{i}" for i in range(20))
    p = preview(write(tmp_path, "x,y\n" + rows + "\n7,n.a.\n", "b.csv"))
    assert any("'y' is mostly numbers" in u and "'n.a.'" in u for u in p.unsure)


def test_preview_of_a_missing_file(tmp_path):
    assert "no such file" in preview(tmp_path / "gone.csv").error


@pytest.mark.skipif(not HAVE_CALAMINE, reason="python-calamine is not installed")
def test_preview_and_options_of_a_spreadsheet(tmp_path):
    path = tmp_path / "book.xlsx"
    write_xlsx(path, {"A": [["x", "y"], [1, 2]], "B": [["id", "u"], [7, 8], [9, 10]]})
    p = preview(path, ImportOptions(sheet="B"))
    assert p.sheet_names == ["A", "B"] and p.detected.sheet == "B" and p.table.column_names == ["id", "u"]
    table = load_with_options(path, ImportOptions(sheet="B", row_label_column="id"))
    assert table.numeric_column_names == ["u"] and table.text_column("id") == ["7", "9"]
    assert preview(path).detected.sheet == "A"
    write_xlsx(path, {"A": [["x", "y"], [1, "-"], [2, "x"], [3, 4]]})
    table = load_with_options(path, ImportOptions(missing_tokens=("x",)))
    assert table.text_column_names == ["y"]  # "-" is no longer missing
    table = load_with_options(path, ImportOptions(missing_tokens=("x", "-")))
    np.testing.assert_array_equal(table.to_array("y")[:, 0], [np.nan, np.nan, 4])


# -- Paste Data ----------------------------------------------------------------------------------

def test_paste_from_a_spreadsheet_with_decimal_commas():
    table = table_from_clipboard_text("Länge\tBreite\tOrt\r\n1,5\t2\tBonn\r\n3,25\t\tKöln\r\n")
    assert table.column_names == ["Länge", "Breite", "Ort"] and table.path is None
    np.testing.assert_array_equal(table.to_array(["Länge", "Breite"]), [[1.5, 2], [3.25, np.nan]])
    assert table.delimiter == "\t" and table.decimal == ","


def test_paste_without_header_and_a_single_column():
    table = table_from_clipboard_text("1.5\t2\n3\t4\n")
    assert table.column_names == ["col1", "col2"] and table.to_array().tolist() == [[1.5, 2], [3, 4]]
    one = table_from_clipboard_text("value\n1\n2,5\n4\n")
    assert one.column_names == ["value"] and one.to_array()[:, 0].tolist() == [1, 2.5, 4]


def test_paste_options_and_errors():
    table = table_from_clipboard_text("a\tb\n1\t-999\n2\t3\n", ImportOptions(missing_tokens=("-999",)))
    assert np.isnan(table.to_array("b")[0, 0])
    with pytest.raises(DataError, match="pasted data: the clipboard holds no text"):
        table_from_clipboard_text("  \n")
    with pytest.raises(DataError, match="pasted data: there is a header row"):
        table_from_clipboard_text("a\tb\n")
