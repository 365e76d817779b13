"""Dask CSV files read as the in-memory reader reads them, block by block (issue 16, item 4): the
encoding (UTF-8, else Windows-1252, else Latin-1) and thousands separators.  Small files in several
Dask blocks (``dask_files.BLOCK_BYTES``).  Skipped without dask (the ``emdesk[dask]`` extra)."""

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("dask.dataframe")

from emdesk.engine import GaussianMixture  # noqa: E402
from emdesk.io import dask_files  # noqa: E402
from emdesk.io.table import load_table  # noqa: E402


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(dask_files, "BLOCK_BYTES", 2048)


def _X(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(0.0, 1.0, (n // 2, 2)), rng.normal(4.0, 0.5, (n - n // 2, 2))])
    rng.shuffle(X)
    return np.round(X, 4)


def _fit(paths, columns=None, **kw):
    return dask_files.fit_dask_files(paths, columns, "synchronous", n_components=2, random_state=0, max_iter=5, **kw)


def _in_memory(path, columns):
    table = load_table(path)
    return table.to_array(columns), table


def _same(gm, X):
    ref = GaussianMixture(2, random_state=0, max_iter=5).fit(X)
    np.testing.assert_allclose(gm.means_, ref.means_, rtol=1e-10)


def test_windows_1252_and_latin_1_files_as_the_in_memory_reader(tmp_path):
    """A Windows-1252 file ('Länge µm', 'Zürich') and a Latin-1 one (a byte Windows-1252 lacks) are read
    in the encoding the in-memory reader finds (Dask: UnicodeDecodeError, 'invalid start byte')."""
    X = _X()
    rows = [f"{a};{b};{'Zürich' if i % 7 == 0 else 'Bern'}".replace(".", ",") for i, (a, b) in enumerate(X)]
    (tmp_path / "w.csv").write_bytes(("Länge µm;Breite;Ort\n" + "\n".join(rows) + "\n").encode("cp1252"))
    (tmp_path / "l.csv").write_bytes(b"x\x81,y\n" + "".join(f"{a},{b}\n" for a, b in X).encode("latin-1"))
    for name, cols, encoding in (("w.csv", ["Länge µm", "Breite"], "cp1252"), ("l.csv", ["x\x81", "y"], "latin-1")):
        mem, table = _in_memory(tmp_path / name, cols)
        assert table.encoding == encoding
        np.testing.assert_array_equal(mem, X)
        gm = _fit(tmp_path / name)
        assert list(gm.feature_names_in_) == cols
        _same(gm, X)


def test_a_file_utf_8_at_its_start_only_is_one_line_naming_it(tmp_path, monkeypatch):
    """A Windows-1252 byte after the bytes the encoding is found from: each Dask block is decoded alone,
    so the in-memory reader's late switch cannot be made; one line names the file, the byte and
    ``encoding=`` (was UnicodeDecodeError: 'utf-8' codec can't decode byte 0xfc ...), which reads it."""
    monkeypatch.setattr(dask_files, "SNIFF_BYTES", 1024)
    X = _X()
    rows = [f"{a},{b},{'Zürich' if i == 250 else 'Bern'}" for i, (a, b) in enumerate(X)]
    data = ("x,y,city\n" + "\n".join(rows) + "\n").encode("cp1252")
    (tmp_path / "late.csv").write_bytes(data)
    at = data.index(b"\xfc")
    with pytest.raises(ValueError, match=rf"^The data file .*late\.csv is UTF-8 in its first 1 KB but not at byte "
                                         rf"{at:,} \(0xfc\): .*encoding='cp1252'"):
        _fit(tmp_path / "late.csv")
    _same(_fit(tmp_path / "late.csv", encoding="cp1252"), X)


def test_emdesk_fit_dask_says_a_late_encoding_in_one_line(tmp_path, monkeypatch):
    from tests.cli_run import run_in_process

    monkeypatch.setattr(dask_files, "SNIFF_BYTES", 1024)
    rows = [f"{a},{b},{'Zürich' if i == 250 else 'Bern'}" for i, (a, b) in enumerate(_X())]
    (tmp_path / "late.csv").write_bytes(("x,y,city\n" + "\n".join(rows) + "\n").encode("cp1252"))
    r = run_in_process("--dask", "synchronous", tmp_path / "late.csv", "-k", "2", "--max-iter", "3")
    assert r.returncode == 1
    assert "late.csv is UTF-8 in its first 1 KB but not at byte" in r.stderr
    assert "emdesk-fit --encoding cp1252" in r.stderr
    assert "Traceback" not in r.stderr
    # the advice works: --encoding reads every file in it (the option did not exist: a usage error)
    ok = run_in_process("--dask", "synchronous", tmp_path / "late.csv", "--columns", "x,y", "-k", "2",
                        "--max-iter", "3", "--encoding", "cp1252", "-o", tmp_path / "fit.json")
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "fit.json").exists()


def _grouped(v, sep, dec):
    return f"{v:,.2f}".replace(",", "\0").replace(".", dec).replace("\0", sep)


def test_thousands_separators_as_the_in_memory_reader_in_every_block(tmp_path):
    """Numbers grouped by a comma (in quotes), a point (decimal comma), spaces (the narrow no-break space
    too) or an apostrophe are read as load_table reads them, in every block of 2 KB (Dask: the quoted
    '1,234.50' and '1.234,50' were text, 'Mismatched dtypes' or 'could not convert string to float')."""
    X = np.round(_X() * 3000.0 + 500.0, 2)
    X[5, 1] = np.nan
    nbsp, q = "\u202f", '"'
    marks = {"us": (",", ".", ",", q), "de": (".", ",", ";", ""), "fr": (nbsp, ",", ";", ""), "ch": ("'", ".", ",", "")}
    paths = []
    for name, (sep, dec, delim, quote) in marks.items():
        rows = [delim.join("?" if np.isnan(v) else quote + _grouped(v, sep, dec) + quote for v in row) for row in X]
        paths.append(tmp_path / f"{name}.csv")
        paths[-1].write_text(f"x{delim}y\n" + "\n".join(rows) + "\n", encoding="utf-8")
        mem, table = _in_memory(paths[-1], ["x", "y"])
        assert table.thousands == {"x": sep if sep != nbsp else " ", "y": sep if sep != nbsp else " "}
        np.testing.assert_array_equal(mem, X)
        df = dask_files.read_files(paths[-1])
        assert df.npartitions >= 2
        np.testing.assert_array_equal(df.compute().to_numpy(), mem)
    gm = _fit(paths[:2], missing="marginalize")
    ref = GaussianMixture(2, random_state=0, max_iter=5, missing="marginalize").fit(np.vstack([X, X]))
    np.testing.assert_allclose(gm.means_, ref.means_, rtol=1e-10)


def test_a_thousands_separator_after_the_sniffed_bytes_is_said_and_can_be_given(tmp_path, monkeypatch):
    """Grouped numbers first seen after the bytes the separators are found from: one line saying so and
    naming --thousands / thousands=; given, every block is read with it (the in-memory read's values)."""
    from tests.cli_run import run_in_process

    monkeypatch.setattr(dask_files, "SNIFF_BYTES", 1024)
    X = np.round(_X() * 3000.0 + 500.0, 2)
    X[:100] = np.round(X[:100] / 1e4, 2)  # below 1000: no separator in the first KB
    rows = [";".join(_grouped(v, ".", ",") for v in row) for row in X]
    (tmp_path / "late.csv").write_text("x;y\n" + "\n".join(rows) + "\n")
    mem, table = _in_memory(tmp_path / "late.csv", ["x", "y"])
    np.testing.assert_array_equal(mem, X)
    with pytest.raises(ValueError, match=r"^The data files hold the text '-?\d+\.\d{3},\d\d' in a column fitted as "
                                         r"numbers: a thousands separator first seen after a file's first 1 KB"):
        _fit(tmp_path / "late.csv")
    np.testing.assert_array_equal(dask_files.read_files(tmp_path / "late.csv", thousands=".").compute().to_numpy(), X)
    r = run_in_process("--dask", "synchronous", tmp_path / "late.csv", "-k", "2", "--max-iter", "3",
                       "--thousands", ".", "-o", tmp_path / "f.json")
    assert r.returncode == 0, r.stderr
    assert "300 rows, columns x, y" in r.stdout


def test_emdesk_fit_dask_names_the_text_columns_left_out(tmp_path):
    """As the in-memory run says 'columns left out: grp (text)' (it was silent with --dask)."""
    from tests.cli_run import run_in_process

    rows = [f"{a},g{i % 3},{b}" for i, (a, b) in enumerate(_X())]
    (tmp_path / "mixed.csv").write_text("x,grp,y\n" + "\n".join(rows) + "\n")
    for dask in ((), ("--dask", "synchronous")):
        r = run_in_process(*dask, tmp_path / "mixed.csv", "-k", "2", "--max-iter", "3", "-o", tmp_path / "f.json")
        assert r.returncode == 0, r.stderr
        assert "mixed.csv: columns left out: grp (text); name the columns to fit with --columns" in r.stdout
        assert "columns x, y" in r.stdout


@pytest.mark.parametrize("sep, decimal", [(",", "."), (".", ","), (" ", ","), (" ", "."), ("'", ".")])
def test_grouped_number_reads_a_cell_as_read_column_reads_it(sep, decimal):
    """The per-cell converter of every block gives read_column's value, or refuses the cell as text."""
    from emdesk.io import thousands

    conv = dask_files._thousands_converters([["1" + sep + "234"]], decimal, ";", sep)[0]
    mark = thousands.separator_for(decimal)
    cells = ["1" + sep + "234" + decimal + "5", "-12" + sep + "345" + sep + "678", "12", "-", "", "?", " na ",
             "1" + sep + "23", "1_2", "x", "12" + decimal + "5", "1" + mark + "5", "1\u00a0234" + decimal + "5",
             "0,125"]
    for cell in cells:
        values, _, _ = thousands.read_column([cell], decimal, ";", sep)
        if values is None:
            with pytest.raises(ValueError, match="could not convert string to float"):
                conv(cell)
        else:
            np.testing.assert_array_equal(conv(cell), values[0], err_msg=repr(cell))


def test_emdesk_fit_dask_notes_a_guessed_thousands_separator_as_in_memory(tmp_path):
    """'10.691' beside decimal commas elsewhere: read as 10691 with a note naming --thousands none, as
    the in-memory run does (--dask was silent); with --thousands none no note."""
    from tests.cli_run import run_in_process

    X = _X()
    rows = [f"{10 + i * 7 // 1000}.{i * 7 % 1000:03d};" + f"{b:.1f}".replace(".", ",") for i, (_, b) in enumerate(X)]
    (tmp_path / "orte.csv").write_text("Einwohner;y\n" + "\n".join(rows) + "\n")
    mem, table = _in_memory(tmp_path / "orte.csv", ["Einwohner", "y"])
    assert table.thousands_ambiguous and mem[1, 0] == 10007.0
    df = dask_files.read_files(tmp_path / "orte.csv")
    np.testing.assert_array_equal(df.compute().to_numpy(), mem)
    notes = []
    for dask in ((), ("--dask", "synchronous")):
        r = run_in_process(*dask, tmp_path / "orte.csv", "-k", "2", "--max-iter", "3", "-o", tmp_path / "f.json")
        assert r.returncode == 0, r.stderr
        notes.append([line for line in r.stderr.splitlines() if "note:" in line])
    assert notes[0] == notes[1] and "give --thousands none" in notes[1][0]
    r = run_in_process("--dask", "synchronous", tmp_path / "orte.csv", "-k", "2", "--max-iter", "3",
                       "--thousands", "none", "-o", tmp_path / "f.json")
    assert "note:" not in r.stderr
