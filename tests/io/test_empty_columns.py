"""A column with no values (every cell empty or a missing-value token) is its own kind, "empty", whatever the
file: CSV (blank cells, R's write.csv NA), spreadsheets, Parquet, pasted data, or a Table built with an
all-NaN numeric column. ``to_array`` and emdesk-fit refuse it with a DataError that names it and says it has
no values (not that it holds text)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from emdesk.io import DataError, Table, load_table
from emdesk.io.clipboard import table_from_clipboard_text

from tests.cli_run import run_in_process

sys.path.insert(0, str(Path(__file__).parent))
from workbooks import write_ods, write_xlsx  # noqa: E402

try:
    import python_calamine  # noqa: F401
    HAVE_CALAMINE = True
except ImportError:
    HAVE_CALAMINE = False
try:
    import pyarrow  # noqa: F401
    HAVE_ARROW = True
except ImportError:
    HAVE_ARROW = False

NO_VALUES = r"Column 'b' of {} has no values \(every cell is empty or missing\); choose columns with numbers: a\."


def kinds(table):
    return {name: table.column_kind(name) for name in table.column_names}


@pytest.mark.parametrize("text", [
    "a,b,c\n1,,x\n2,,y\n3,,z\n",                          # blank cells
    '"","a","b","c"\n"1",1,NA,"x"\n"2",2,NA,"y"\n',        # R's write.csv: row names, NA
    "a;b;c\n1,5;;x\n2,5;;y\n",                            # semicolons and decimal commas
    "a,b,c,\n1,NA,x,\n2,,y,\n",                           # a trailing delimiter: an empty last column too
])
def test_an_all_missing_csv_column_is_empty_not_text(tmp_path, text):
    p = tmp_path / "data.csv"
    p.write_text(text)
    t = load_table(p)
    assert t.column_kind("b") == "empty" and "b" in t.empty_column_names
    assert t.column_kind("c") == "text" and t.column_kind("a") == "number"
    assert "b" not in t.numeric_column_names
    with pytest.raises(DataError, match=NO_VALUES.format("data.csv")) as info:
        t.to_array(["a", "b"])
    assert "text" not in str(info.value)


def test_column_kind_of_every_kind_and_unknown_names():
    t = Table(path="t.csv", column_names=["id", "a", "b", "c"], numeric=np.array([[1.0], [2.0]]),
              numeric_names=["a"], text={"id": ["r1", "r2"], "b": ["", "NA"], "c": ["x", ""]},
              row_label_column="id")
    assert kinds(t) == {"id": "row label", "a": "number", "b": "empty", "c": "text"}
    assert t.empty_column_names == ["b"]
    with pytest.raises(DataError, match="has no column 'zz'"):
        t.column_kind("zz")


def test_an_all_nan_numeric_column_is_held_as_an_empty_column():
    X = np.array([[1.0, np.nan, 3.0], [2.0, np.nan, np.nan]])
    t = Table(path="t.csv", column_names=["a", "b", "c"], numeric=X, numeric_names=["a", "b", "c"], text={})
    assert t.numeric_column_names == ["a", "c"] and t.empty_column_names == ["b"]
    assert t.missing_counts == {"a": 0, "b": 2, "c": 1}
    np.testing.assert_array_equal(t.to_array(["a", "c"]), [[1.0, 3.0], [2.0, np.nan]])
    assert t.text_column("b") == ["", ""]
    with pytest.raises(DataError, match=r"Column .b. of t.csv has no values .*numbers: a, c\."):
        t.to_array(["a", "b"])
    # a table without rows has no empty columns (nothing says a column has no values)
    t0 = Table(path="t.csv", column_names=["a"], numeric=np.empty((0, 1)), numeric_names=["a"], text={})
    assert t0.numeric_column_names == ["a"] and t0.empty_column_names == []


def test_pasted_data_with_an_empty_column():
    t = table_from_clipboard_text("a\tb\tc\n1\t\tx\n2\tNA\ty\n")
    assert kinds(t) == {"a": "number", "b": "empty", "c": "text"}
    with pytest.raises(DataError, match="Column 'b' of .* has no values"):
        t.to_array(["b"])


@pytest.mark.skipif(not HAVE_CALAMINE, reason="python-calamine is not installed")
@pytest.mark.parametrize("ext,writer", [(".xlsx", write_xlsx), (".ods", write_ods)])
def test_a_spreadsheet_column_with_no_values_is_empty(tmp_path, ext, writer):
    path = tmp_path / f"book{ext}"
    writer(path, {"S": [["a", "b", "c"], [1, None, "x"], [2, "NA", "y"], [3, None, "z"]]})
    t = load_table(path)
    assert kinds(t) == {"a": "number", "b": "empty", "c": "text"}
    with pytest.raises(DataError, match=NO_VALUES.format(f"book{ext}")):
        t.to_array(["a", "b"])


@pytest.mark.skipif(not HAVE_ARROW, reason="pyarrow is not installed")
def test_a_parquet_column_of_nulls_is_empty(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": [1.0, 2.0], "b": pa.array([None, None], type=pa.float64()),
                             "c": pa.array([None, None], type=pa.string())}), path)
    t = load_table(path)
    assert kinds(t) == {"a": "number", "b": "empty", "c": "empty"}
    assert t.numeric_column_names == ["a"]


@pytest.mark.parametrize("extra", [[], ["--family", "categorical"]])
def test_emdesk_fit_names_the_empty_column(tmp_path, extra):
    p = tmp_path / "data.csv"
    p.write_text("a,b,c\n" + "".join(f"{i % 5},,{'xy'[i % 2]}\n" for i in range(20)))
    out = tmp_path / "f.json"
    r = run_in_process(p, "--columns", "a,b" if not extra else "c,b", "-k", "2", "-o", out, *extra)
    assert r.returncode != 0
    assert "Column 'b' of data.csv has no values (every cell is empty or missing)" in r.stderr
    assert "text" not in r.stderr and not out.exists()
    # the default columns leave it out
    r = run_in_process(p, "-k", "2", "-o", out, "--seed", "0")
    assert r.returncode == 0, r.stderr
    assert "columns a" in r.stdout


def test_the_session_refuses_an_empty_column_in_every_family(tmp_path):
    from emdesk.session import Session

    p = tmp_path / "data.csv"
    p.write_text("a,b,c\n1,,x\n2,NA,y\n3,,x\n")
    s = Session()
    s.load(str(p))
    assert s.columns == ["a"]  # the first numeric columns: the empty one is not among them
    for family in ("gaussian", "categorical"):
        s.set_model_kind("mixture", family)
        with pytest.raises(ValueError, match="Column 'b' of data.csv has no values"):
            s.choose_columns(["b", "c"] if family == "categorical" else ["a", "b"])


def test_the_import_preview_keeps_a_number_column_that_starts_with_missing_cells(tmp_path):
    from emdesk.io.import_options import head

    p = tmp_path / "late.csv"
    p.write_text("a,b\n" + "".join(f"{i},\n" for i in range(30)) + "30,7\n")
    t = load_table(p)
    assert t.column_kind("b") == "number"
    first = head(t, 20)  # no value of b in these rows, but b is a column of numbers
    assert first.is_numeric("b") and first.numeric_column_names == ["a", "b"]


def test_a_file_without_numbers_names_its_text_and_empty_columns_apart(tmp_path):
    from emdesk.session import Session

    p = tmp_path / "names.csv"
    p.write_text("name,city,notes\nann,paris,\nbob,rome,NA\n")
    with pytest.raises(DataError) as info:
        Session().load(str(p))
    message = str(info.value)
    assert message.startswith("names.csv has no numeric columns (text: name, city; no values: notes).")
    assert "Categorical family" in message
    p.write_text("a,b\n,\nNA,\n")
    with pytest.raises(DataError, match=r"no numeric columns \(no values: a, b\)\. Choose a file with at least "
                                        r"one column of numbers\.$"):
        Session().load(str(p))


def test_missing_counts_are_counted_once_and_count_every_token(tmp_path):
    """The Data panel asks for the counts on the GUI thread; at 1,000,000 rows a text column's Python loop took
    0.4 s there. The table counts once (``warm()`` in the reading thread) and gives a copy."""
    from emdesk.io import load_table

    p = tmp_path / "m.csv"
    p.write_text("a,t,e\n" + "".join(f"{'' if i % 4 == 0 else i},{['x', ' NA ', 'n/a', 'y', '?'][i % 5]},\n"
                                     for i in range(40)))
    t = load_table(p)
    assert t.warm() is t
    counts = t.missing_counts
    assert counts == {"a": 10, "t": 24, "e": 40}
    counts["a"] = 0  # a copy: the table's own counts do not change
    assert t.missing_counts["a"] == 10
