"""Spreadsheets (.xlsx/.xlsm/.xls/.ods), Parquet and Feather through the same Table (issue 15).

The workbooks are written at test time by tests/io/workbooks.py (a few lines of SpreadsheetML and
OpenDocument XML); the .xls file is a committed fixture (tests/io/data/make_xls.py made it with xlwt).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from emdesk.io import DataError, LoadCancelled, load_table
from emdesk.io import spreadsheet as ss

sys.path.insert(0, str(Path(__file__).parent))
from workbooks import Error, Formula, write_ods, write_xlsx  # noqa: E402

DATA = Path(__file__).parent / "data"
try:
    import python_calamine  # noqa: F401
    HAVE_CALAMINE = True
except ImportError:
    HAVE_CALAMINE = False
needs_calamine = pytest.mark.skipif(not HAVE_CALAMINE, reason="python-calamine is not installed")
try:
    import pyarrow  # noqa: F401
    HAVE_ARROW = True
except ImportError:
    HAVE_ARROW = False

WRITERS = {".xlsx": write_xlsx, ".xlsm": write_xlsx, ".ods": write_ods}

MEASUREMENTS = [
    ["Measurements, spring 2024"],                                   # a title row
    [],
    ["id", "length", "width", "day", "ratio", "note"],
    ["a", 1.5, 2, dt.date(2024, 3, 1), Formula("B4/C4", 0.75), "ok"],
    ["b", 2.5, 4, dt.datetime(2024, 3, 2, 6, 0), Formula("B5/C5", 0.625), None],
    [],                                                              # an empty row inside
    ["c", None, 5, dt.date(2024, 3, 4), Formula("B7/C7", Error("#N/A")), "NA"],
    ["d", "7.25", 1, None, Formula("B8/C8", 7.25), "late"],          # a number stored as text
]


def write(tmp_path, ext, sheets, name="book"):
    path = tmp_path / f"{name}{ext}"
    WRITERS[ext](path, sheets)
    return path


@needs_calamine
@pytest.mark.parametrize("ext", [".xlsx", ".xlsm", ".ods"])
def test_a_sheet_reads_like_a_csv_file(tmp_path, ext):
    path = write(tmp_path, ext, {"Data": MEASUREMENTS})
    table = load_table(path)  # load_table dispatches by extension
    assert table.column_names == ["id", "length", "width", "day", "ratio", "note"]
    assert table.numeric_column_names == ["length", "width", "day", "ratio"]
    assert table.text_column_names == ["id", "note"]
    assert table.n_rows == 4  # the empty row is skipped, the title row too
    x = table.to_array(["length", "width", "ratio"])
    np.testing.assert_array_equal(x, [[1.5, 2, 0.75], [2.5, 4, 0.625], [np.nan, 5, np.nan], [7.25, 1, 7.25]])
    # dates as Excel day numbers: 2024-03-01 is serial 45352; 06:00 is a quarter day
    np.testing.assert_allclose(table.to_array("day")[:, 0], [45352, 45353.25, 45355, np.nan])
    assert table.text_column("id") == ["a", "b", "c", "d"]
    assert table.sheet == "Data" and table.sheet_names == ["Data"]
    assert any("title" in note and "Measurements, spring 2024" in note for note in table.notes)
    assert any("'day' holds dates" in note for note in table.notes)
    assert len(table.sha256) == 64


@needs_calamine
def test_excel_day_numbers_match_excel():
    # Excel: 1900-03-01 = 61, 2000-01-01 = 36526, 12:00 = 0.5 (its documented serials, after the 1900 leap bug)
    assert ss._day_number(dt.date(1900, 3, 1)) == 61
    assert ss._day_number(dt.date(2000, 1, 1)) == 36526
    assert ss._day_number(dt.datetime(2000, 1, 1, 12)) == 36526.5
    assert ss._day_number(dt.time(18, 0)) == 0.75
    assert ss._day_number(dt.timedelta(hours=36)) == 1.5


@needs_calamine
@pytest.mark.parametrize("ext", [".xlsx", ".ods"])
def test_sheet_names_and_the_sheet_parameter(tmp_path, ext):
    path = write(tmp_path, ext, {"First": [["a"], [1], [2]], "Run 2": [["b", "c"], [3, 4]], "Empty": []})
    assert ss.sheet_names(path) == ["First", "Run 2", "Empty"]
    assert load_table(path).column_names == ["a"]  # the first sheet by default
    second = ss.load_spreadsheet(path, "Run 2")
    assert second.column_names == ["b", "c"] and second.to_array().tolist() == [[3, 4]]
    assert ss.load_spreadsheet(path, 1).sheet == "Run 2"
    with pytest.raises(DataError, match=r"book%s: there is no sheet 'Nope'; its sheets are: First, Run 2, Empty"
                       % ext):
        ss.load_spreadsheet(path, "Nope")
    with pytest.raises(DataError, match=r"no sheet number 4; the workbook has 3"):
        ss.load_spreadsheet(path, 3)
    with pytest.raises(DataError, match=r"book%s, sheet 'Empty': the sheet is empty" % ext):
        ss.load_spreadsheet(path, "Empty")


@needs_calamine
@pytest.mark.parametrize("ext", [".xlsx", ".ods"])
def test_an_error_value_names_file_sheet_and_cell(tmp_path, ext):
    rows = [["x", "y"], [1, 2], [2, Formula("1/0", Error("#DIV/0!"))], [3, 4]]
    path = write(tmp_path, ext, {"Sheet A": rows})
    with pytest.raises(DataError) as info:
        load_table(path)
    assert str(info.value).startswith(f"book{ext}, sheet 'Sheet A', cell B3: the cell holds the error #DIV/0!")


@needs_calamine
def test_error_cells_found_in_xlsx_xml_even_with_attributes_in_another_order(tmp_path):
    path = write(tmp_path, ".xlsx", {"S": [["x"], [1]]})
    import zipfile
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", b'<row r="3"><c t="e" r="A3"><f>NA()+1</f><v>#VALUE!</v></c></row></sheetData>')
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    with pytest.raises(DataError, match=r"book.xlsx, sheet 'S', cell A3: the cell holds the error #VALUE!"):
        load_table(path)


@needs_calamine
@pytest.mark.parametrize("ext", [".xlsx", ".ods"])
def test_mixed_numbers_and_text_are_reported_with_the_first_text_cell(tmp_path, ext):
    rows = [["x", "y"], [1, 2], [2, 3], [3, "about 4"], [4, 5]]
    table = load_table(write(tmp_path, ext, {"S": rows}))
    assert table.numeric_column_names == ["x"] and table.text_column_names == ["y"]
    note = next(n for n in table.notes if "'y'" in n)
    assert "mixes numbers (3 cells) and text (1 cell" in note and "B4: 'about 4'" in note
    assert table.text_column("y") == ["2", "3", "about 4", "5"]


@needs_calamine
def test_no_header_row_and_the_header_row_override(tmp_path):
    path = write(tmp_path, ".xlsx", {"S": [[1, 2], [3, 4]]})
    table = load_table(path)
    assert table.column_names == ["col1", "col2"] and not table.has_header
    assert table.to_array().tolist() == [[1, 2], [3, 4]]
    path = write(tmp_path, ".xlsx", {"S": [["notes about the run", None], ["u", "v"], [1, 2], [3, 4]]}, "two")
    assert ss.load_spreadsheet(path, header_row=1).column_names == ["u", "v"]
    assert ss.load_spreadsheet(path).header_row == 1  # detected: the title row above is skipped
    forced = ss.load_spreadsheet(path, header_row=-1)
    assert forced.column_names == ["col1", "col2"] and forced.n_rows == 4


@needs_calamine
def test_a_table_away_from_a1_keeps_the_sheets_cell_names(tmp_path):
    rows = [[], [], [None, None, "x", "y"], [None, None, 1, 2], [None, None, 2, "oops"]]
    table = load_table(write(tmp_path, ".xlsx", {"S": rows}))
    assert table.column_names == ["x", "y"]  # the empty columns A and B are not columns
    assert any("D5: 'oops'" in n for n in table.notes)


@needs_calamine
def test_booleans_are_numbers_and_header_only_is_an_error(tmp_path):
    table = load_table(write(tmp_path, ".ods", {"S": [["flag", "v"], [True, 1], [False, 2]]}))
    assert table.to_array().tolist() == [[1, 1], [0, 2]]
    with pytest.raises(DataError, match=r"header row \(a, b\) but no data rows"):
        load_table(write(tmp_path, ".xlsx", {"S": [["a", "b"]]}, "header"))


@needs_calamine
def test_damaged_and_misnamed_files(tmp_path):
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04" + bytes(200))
    with pytest.raises(DataError, match=r"damaged.xlsx: cannot read it as an Excel or OpenDocument spreadsheet"):
        load_table(damaged)
    text = tmp_path / "export.xls"  # some web sites write tab-separated text named .xls
    text.write_text("a\tb\n1\t2\n3\t4\n")
    table = load_table(text)
    assert table.column_names == ["a", "b"] and table.to_array().tolist() == [[1, 2], [3, 4]]
    with pytest.raises(DataError, match="missing.ods: no such file"):
        load_table(tmp_path / "missing.ods")


@needs_calamine
def test_progress_and_cancel(tmp_path):
    path = write(tmp_path, ".xlsx", {"S": [["a"], [1]]})
    seen = []
    load_table(path, progress=lambda f: seen.append(f))
    assert seen == [0.0, 1.0]
    with pytest.raises(LoadCancelled):
        load_table(path, progress=lambda f: False)


@needs_calamine
def test_legacy_xls_fixture():
    table = load_table(DATA / "small.xls")
    assert table.column_names == ["x", "y", "when"]
    np.testing.assert_array_equal(table.to_array(["x", "y"]), [[1.5, 2.0], [2.5, np.nan], [3.5, 4.0]])
    np.testing.assert_allclose(table.to_array("when")[:, 0], [45352, 45353, 45354])


def test_without_calamine_the_error_names_the_package(tmp_path, monkeypatch):
    path = tmp_path / "book.xlsx"
    write_xlsx(path, {"S": [["a"], [1]]})
    monkeypatch.setitem(sys.modules, "python_calamine", None)
    with pytest.raises(DataError, match="pip install python-calamine"):
        load_table(path)


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1" + bytes(20) + b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(DataError, match=r"pip install 'emdesk\[parquet\]'"):
        load_table(path)


@pytest.mark.skipif(not HAVE_ARROW, reason="pyarrow is not installed (the parquet extra)")
@pytest.mark.parametrize("ext", [".parquet", ".feather"])
def test_parquet_and_feather(tmp_path, ext):
    import pyarrow as pa

    data = pa.table({
        "x": pa.array([1.5, None, 3.0]),
        "n": pa.array([1, 2, None], type=pa.int32()),
        "ok": pa.array([True, False, True]),
        "when": pa.array([dt.date(2024, 3, 1), dt.date(2024, 3, 2), None]),
        "label": pa.array(["a", None, "c"]).dictionary_encode(),
    })
    path = tmp_path / f"data{ext}"
    if ext == ".parquet":
        import pyarrow.parquet as pq
        pq.write_table(data, path)
    else:
        import pyarrow.feather as feather
        feather.write_feather(data, path)
    table = load_table(path)
    assert table.column_names == ["x", "n", "ok", "when", "label"]
    assert table.text_column_names == ["label"]
    np.testing.assert_array_equal(table.to_array(["x", "n", "ok"]), [[1.5, 1, 1], [np.nan, 2, 0], [3, np.nan, 1]])
    np.testing.assert_array_equal(table.to_array("when")[:, 0], [45352, 45353, np.nan])
    assert table.text_column("label") == ["a", "", "c"]
    assert math.isnan(table.to_array("x")[1, 0])


@pytest.mark.skipif(not HAVE_ARROW, reason="pyarrow is not installed (the parquet extra)")
def test_damaged_parquet(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + bytes(50))
    with pytest.raises(DataError, match="bad.parquet: cannot read it as a Parquet file"):
        load_table(path)
