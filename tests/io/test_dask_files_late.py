"""Dask CSV files as users have them, read as the in-memory reader reads them (a breaker's pass over the
Dask reader's encodings and separators): files that are not text CSV (UTF-16, a renamed workbook, a gzip
archive, NUL bytes), classic Mac line ends (CR only), and text in a chosen column (named by its column and
file).  Skipped without dask (the ``emdesk[dask]`` extra)."""

import gzip
import io
import re
import zipfile

import numpy as np
import pytest

pytest.importorskip("pandas")
pytest.importorskip("dask.dataframe")

from emdesk.io import dask_files  # noqa: E402
from emdesk.io.table import DataError, load_table  # noqa: E402


def _zip():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("sheet.xml", "x,y\n1,2\n")
    return out.getvalue()


NOT_TEXT = {"utf16.csv": "x,y\n1,2\n3,4\n".encode("utf-16"), "sheet.csv": _zip(),
            "packed.csv": gzip.compress(b"x,y\n1,2\n3,4\n"), "nul.csv": b"x,y\n1,2\n3\x00,4\n"}


@pytest.mark.parametrize("name", sorted(NOT_TEXT))
def test_a_file_that_is_not_text_csv_is_refused_in_the_in_memory_readers_words(tmp_path, name):
    (tmp_path / "good.csv").write_text("x,y\n1,2\n3,4\n")
    (tmp_path / name).write_bytes(NOT_TEXT[name])
    with pytest.raises(DataError) as mem:
        load_table(tmp_path / name)
    said = str(mem.value).split(": ", 1)[1].split(". ")[0]  # e.g. "the file is saved as UTF-16 text"
    # Dask read these as text columns named 'ÿþx\x00', a column of ZIP bytes, text '3\x00', or 'no rows'
    with pytest.raises(ValueError, match=rf"^{name}: ") as dsk:
        dask_files.read_files([tmp_path / "good.csv", tmp_path / name])
    assert said in str(dsk.value)


def test_classic_mac_line_ends_as_the_in_memory_reader_in_every_block(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_files, "BLOCK_BYTES", 512)  # several blocks, each ending at a CR
    rng = np.random.default_rng(0)
    v = rng.normal(0, 2000, (120, 2)).round(2)
    rows = [f"{a:.2f}".replace(".", ",") + ";" + f"{b:,.2f}".replace(",", " ").replace(".", ",") for a, b in v]
    (tmp_path / "mac.csv").write_bytes(("# exported\rx;y\r" + "\r".join(rows) + "\r").encode())
    (tmp_path / "unix.csv").write_text("x;y\n1,5;2\n")
    t = load_table(tmp_path / "mac.csv")
    df = dask_files.read_files([tmp_path / "mac.csv", tmp_path / "unix.csv"]).compute(scheduler="sync")
    assert df.shape == (121, 2)  # was: "new-line character seen in unquoted field"
    np.testing.assert_array_equal(df[["x", "y"]].to_numpy()[:120], t.to_array(["x", "y"]))
    np.testing.assert_array_equal(df[["x", "y"]].to_numpy()[120], [1.5, 2.0])


@pytest.mark.parametrize("cell", ["12%", "(1,234)", "$1,234"])
def test_text_in_a_chosen_column_is_said_naming_its_column_and_file(tmp_path, cell):
    # percent signs, accounting negatives, currency signs: text to both readers; Dask named neither the
    # column nor the file ("The data files hold the text '12%' in a column fitted as numbers")
    (tmp_path / "a.csv").write_text("x,y\n1,2\n3,4\n")
    (tmp_path / "b.csv").write_text(f'x,y\n5,6\n"{cell}",7\n')
    with pytest.raises(DataError, match=rf"Column 'x' of b\.csv holds text \(e\.g\. '{re.escape(cell)}'\)"):
        load_table(tmp_path / "b.csv").to_array(["x", "y"])  # the in-memory reader's words
    with pytest.raises(ValueError, match=rf"^Column 'x' of b\.csv holds text \(e\.g\. '{re.escape(cell)}'\), not"):
        dask_files.fit_dask_files([tmp_path / "a.csv", tmp_path / "b.csv"], ["x", "y"], "synchronous",
                                  n_components=1, random_state=0, max_iter=2)


def test_a_given_thousands_separator_that_a_file_does_not_use_is_said(tmp_path):
    # --thousands , over a comma file ("1,234.5") and a German one ("1.234,5"): the line said the separator was
    # first seen after the sniffed bytes and to give it, which had been done
    (tmp_path / "us.csv").write_text('x,y\n"1,234.5",1\n"2,000",2\n')
    (tmp_path / "de.csv").write_text("x;y\n1.234,5;3\n2,5;4\n")
    files = [tmp_path / "us.csv", tmp_path / "de.csv"]
    with pytest.raises(ValueError, match=r"^Column 'x' of de\.csv holds '1\.234,5', a number grouped otherwise than "
                                         r"the thousands separator given \(,\) reads: leave it out"):
        dask_files.read_files(files, ["x", "y"], thousands=",").compute(scheduler="sync")
    df = dask_files.read_files(files, ["x", "y"]).compute(scheduler="sync")  # each file's found
    np.testing.assert_array_equal(df["x"].to_numpy(), [1234.5, 2000.0, 1234.5, 2.5])


def test_row_labels_under_an_empty_name_are_left_out_as_in_memory(tmp_path, monkeypatch):
    # pandas's to_csv writes its index under an empty name (R's write.csv its row names): the in-memory
    # reader takes them as the rows' labels; Dask fitted them as a column 'Unnamed: 0'
    pd = pytest.importorskip("pandas")
    monkeypatch.setattr(dask_files, "BLOCK_BYTES", 512)
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(size=60).round(3), "y": rng.normal(size=60).round(3)})
    df.to_csv(tmp_path / "a.csv")
    df.to_csv(tmp_path / "b.csv", sep=";", decimal=",")
    (tmp_path / "c.csv").write_text("x,y\n1,2\n")
    for f in ("a.csv", "b.csv"):
        t = load_table(tmp_path / f)
        assert t.row_label_column == "col1" and t.numeric_column_names == ["x", "y"]
    got = dask_files.read_files([tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"]).compute(scheduler="sync")
    assert list(got.columns) == ["x", "y"]
    np.testing.assert_array_equal(got.to_numpy(), np.r_[df.to_numpy(), df.to_numpy(), [[1.0, 2.0]]])
    # repeated first fields are no labels: a column of numbers in both readers
    (tmp_path / "d.csv").write_text(",y\n1,2\n1,3\n")
    assert load_table(tmp_path / "d.csv").numeric_column_names == ["col1", "y"]
    assert dask_files.read_files(tmp_path / "d.csv").compute(scheduler="sync").shape == (2, 2)


def test_column_names_as_the_in_memory_reader_names_them(tmp_path):
    # stripped ('x, y': pandas named the second ' y', so --columns x,y was "no column 'y': ... has x, y"),
    # an empty name colN (pandas: 'Unnamed: 1'), a repeated name x_2 (pandas: 'x.1'); grouped numbers too
    (tmp_path / "a.csv").write_text('x, y,,x\n1, 2,"1,234.5",4\n3, 4,"2,000",5\n')
    t = load_table(tmp_path / "a.csv")
    assert t.column_names == ["x", "y", "col3", "x_2"]
    df = dask_files.read_files(tmp_path / "a.csv", ["x", "y", "col3", "x_2"]).compute(scheduler="sync")
    np.testing.assert_array_equal(df.to_numpy(), t.to_array(["x", "y", "col3", "x_2"]))
