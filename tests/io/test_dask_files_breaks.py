"""Dask data files and schedulers as users give them (issue 16, item 4; a breaker's pass): files whose
columns differ (Dask reads every CSV file with the first one's header), files without rows, a scheduler
file that does not exist (distributed waits for it for ever) and an address that answers but not as a
Dask scheduler.  Skipped without dask (the ``emdesk[dask]`` extra)."""

import socket
import threading

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("dask.dataframe")

from emdesk.engine import GaussianMixture  # noqa: E402
from emdesk.io import dask_files  # noqa: E402
from tests.cli_run import run_in_process  # noqa: E402


def _frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(0.0, 1.0, (n // 2, 2)), rng.normal(4.0, 0.5, (n - n // 2, 2))])
    rng.shuffle(X)
    return pd.DataFrame({"x": X[:, 0], "y": 3.0 * X[:, 1] + 10.0})


def _fit(paths, columns=None, **kw):
    return dask_files.fit_dask_files(paths, columns, "synchronous", n_components=2, random_state=0, max_iter=5, **kw)


def test_csv_files_with_reordered_or_extra_columns_are_read_by_their_own_headers(tmp_path):
    df = _frame()
    df.iloc[:100].to_csv(tmp_path / "a.csv", index=False)
    df.iloc[100:200][["y", "x"]].to_csv(tmp_path / "b.csv", index=False)  # same columns, other order
    df.iloc[200:].assign(z=1.0).to_csv(tmp_path / "c.csv", index=False)  # one more column
    ref = GaussianMixture(2, random_state=0, max_iter=5).fit(df[["x", "y"]].to_numpy())
    gm = _fit([tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"], ["x", "y"])
    np.testing.assert_allclose(gm.means_, ref.means_, rtol=1e-10)  # was: b's y read as x
    with pytest.raises(ValueError, match=r"different columns: .*a\.csv has x, y; .*b\.csv has y, x\. Name"):
        _fit([tmp_path / "a.csv", tmp_path / "b.csv"])
    with pytest.raises(ValueError, match=r"different columns: .*c\.csv has x, y, z"):
        _fit([tmp_path / "a.csv", tmp_path / "c.csv"])
    df.iloc[:100].rename(columns={"y": "w"}).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ValueError, match=r"no column 'y': .*d\.csv has x, w"):
        _fit([tmp_path / "a.csv", tmp_path / "d.csv"], ["x", "y"])


def test_parquet_files_with_other_columns(tmp_path):
    pytest.importorskip("pyarrow")
    df = _frame()
    df.iloc[:150].to_parquet(tmp_path / "a.parquet")
    df.iloc[150:].assign(z=1.0).to_parquet(tmp_path / "b.parquet")
    with pytest.raises(ValueError, match=r"different columns: .*b\.parquet has x, y, z"):
        _fit(str(tmp_path / "*.parquet"))
    gm = _fit(str(tmp_path / "*.parquet"), ["y", "x"])
    ref = GaussianMixture(2, random_state=0, max_iter=5).fit(df[["y", "x"]].to_numpy())
    np.testing.assert_allclose(gm.means_, ref.means_, rtol=1e-10)


def test_files_without_rows_are_left_out(tmp_path):
    df = _frame()
    df.iloc[:0].to_csv(tmp_path / "a0.csv", index=False)  # a header only, first: Dask took its (text) types
    (tmp_path / "a1.csv").write_text("")  # empty
    df.to_csv(tmp_path / "b.csv", index=False)
    ref = GaussianMixture(2, random_state=0, max_iter=5).fit(df.to_numpy())
    np.testing.assert_allclose(_fit(str(tmp_path / "*.csv")).means_, ref.means_, rtol=1e-10)
    with pytest.raises(ValueError, match=r"no rows \(2 files with a header only, or empty\)"):
        _fit(str(tmp_path / "a*.csv"))
    with pytest.raises(ValueError, match=r"No file matches .*nothing\*\.csv"):
        _fit(str(tmp_path / "nothing*.csv"))


@pytest.fixture
def not_a_scheduler():
    """A TCP server that answers every connection with bytes that are not Dask's protocol."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            try:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 64)
            except OSError:
                pass
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_schedulers_that_cannot_be_used_fail_at_once_with_one_line(tmp_path, not_a_scheduler, monkeypatch):
    pytest.importorskip("distributed")
    _frame().to_csv(tmp_path / "d.csv", index=False)
    missing = tmp_path / "scheduler.json"
    with pytest.raises(dask_files.SchedulerError, match="scheduler file .* does not exist"):
        _ = dask_files.fit_dask_files(tmp_path / "d.csv", None, str(missing))  # waited for ever
    monkeypatch.setattr(dask_files, "CONNECT_TIMEOUT_S", 2)
    with pytest.raises(dask_files.SchedulerError, match="Dask scheduler"):
        dask_files.fit_dask_files(tmp_path / "d.csv", None, not_a_scheduler)
    out = run_in_process("--dask", str(missing), tmp_path / "d.csv", "-k", "2", "-o", tmp_path / "f.json")
    assert out.returncode == 2  # a usage error (was 1, after waiting for ever for a missing file)
    assert out.stderr.count("\n") == 1 and "--dask: the Dask scheduler file" in out.stderr


def test_text_in_a_column_fitted_as_numbers_is_said_in_one_line(tmp_path):
    """Dask infers a CSV column's type from the first block: a word further on failed with Dask's
    "Mismatched dtypes" table and its advice to read the column as text; a chosen column of text was
    left out (the fit had one column fewer: '2 column names given for a model of 1 features')."""
    df = _frame()
    df.iloc[:150].to_csv(tmp_path / "a.csv", index=False)
    later = df.iloc[150:].astype(object)
    later.iloc[100, 0] = "oops"
    later.to_csv(tmp_path / "b.csv", index=False)
    for columns in (None, ["x", "y"]):
        with pytest.raises(ValueError, match=r"^Column 'x' of b\.csv holds text \(e\.g\. 'oops'\), not numbers"):
            _fit(str(tmp_path / "*.csv"), columns)
    df.assign(name="p").to_csv(tmp_path / "n.csv", index=False)
    with pytest.raises(ValueError, match=r"Column 'name' of n\.csv holds text \(e\.g\. 'p'\)"):
        _fit(tmp_path / "n.csv", ["x", "name"])
    assert list(_fit(tmp_path / "n.csv").feature_names_in_) == ["x", "y"]  # without columns: the numbers
    pytest.importorskip("pyarrow")
    df.assign(name="p").to_parquet(tmp_path / "n.parquet")
    with pytest.raises(ValueError, match="Column 'name' of the data files holds .* values, not numbers"):
        _fit(tmp_path / "n.parquet", ["x", "name"])


def test_delimiter_and_decimal_mark_found_per_file_as_the_in_memory_reader(tmp_path):
    """Dask read every file with sep=',': a semicolon file with decimal commas was split at its decimal
    commas and fitted, silently, as one column of nonsense."""
    df = _frame()
    df.iloc[:100].to_csv(tmp_path / "a.csv", sep=";", decimal=",", index=False)
    df.iloc[100:200].to_csv(tmp_path / "b.csv", sep="\t", index=False)
    df.iloc[200:].to_csv(tmp_path / "c.csv", index=False)
    ref = GaussianMixture(2, random_state=0, max_iter=5).fit(df.to_numpy())
    gm = _fit(str(tmp_path / "*.csv"))
    assert list(gm.feature_names_in_) == ["x", "y"]
    np.testing.assert_allclose(gm.means_, ref.means_, rtol=1e-10)
    one = GaussianMixture(2, random_state=0, max_iter=5).fit(df.iloc[:100].to_numpy())
    np.testing.assert_allclose(_fit(tmp_path / "a.csv", ["x", "y"]).means_, one.means_, rtol=1e-10)


def test_missing_value_tokens_as_the_in_memory_reader(tmp_path):
    """'?', '-' and 'na' are missing values for emdesk's reader (io.table.MISSING_TOKENS), not for pandas:
    the Dask fit failed on them as text."""
    df = _frame().astype(object)
    df.iloc[3, 0], df.iloc[7, 1], df.iloc[9, 0] = "?", "-", "na"
    df.to_csv(tmp_path / "t.csv", index=False)
    X = df.replace({"?": np.nan, "-": np.nan, "na": np.nan}).to_numpy(dtype=float)
    ref = GaussianMixture(2, random_state=0, max_iter=5, missing="marginalize").fit(X)
    gm = _fit(tmp_path / "t.csv", None, missing="marginalize")
    np.testing.assert_allclose(gm.means_, ref.means_, rtol=1e-10)
    assert list(gm.feature_names_in_) == ["x", "y"]


def test_leading_comment_lines_and_a_savetxt_header_as_the_in_memory_reader(tmp_path):
    """Leading '#' lines are skipped, and np.savetxt's '# x,y' names the columns (Dask: 'Error tokenizing
    data. C error: Expected 1 fields in line 3, saw 2')."""
    X = _frame().to_numpy()
    rows = "".join(f"{a:.17g},{b:.17g}\n" for a, b in X[:150])
    (tmp_path / "a.csv").write_text("# logger 7\n# units: mm\nx,y\n" + rows)
    np.savetxt(tmp_path / "b.csv", X[150:], delimiter=",", header="x,y")
    ref = GaussianMixture(2, random_state=0, max_iter=5).fit(X)
    gm = _fit([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert list(gm.feature_names_in_) == ["x", "y"]
    np.testing.assert_allclose(gm.means_, ref.means_, rtol=1e-10)
