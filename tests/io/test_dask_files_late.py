"""Dask CSV files as users have them, read as the in-memory reader reads them (a breaker's pass over the
Dask reader's encodings and separators): files that are not text CSV (UTF-16, a renamed workbook, a gzip
archive, NUL bytes).  Skipped without dask (the ``emdesk[dask]`` extra)."""

import gzip
import io
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

