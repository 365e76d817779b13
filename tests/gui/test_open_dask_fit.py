"""File > Open Fit of a fit that ``emdesk-fit --dask`` wrote (issue 16, item 4): the window shows it over a
sample of the rows (here one of the files); the status bar showed the log-likelihood of all the rows fitted
(2,400) beside these 400 without a word, as the data block of a Dask fit has no SHA-256 to compare."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dask.dataframe")

from emdesk.io import load_fit  # noqa: E402
from tests.cli_run import run_in_process  # noqa: E402


def test_a_dask_fit_shown_over_one_of_its_files_says_so(qtbot, window, tmp_path):
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(5, 1, (60, 2))])[rng.permutation(120)]
    for i in range(3):
        (tmp_path / f"p{i}.csv").write_text("a,b\n" + "".join(f"{x:.17g},{y:.17g}\n" for x, y in X[40 * i:40 * i + 40]))
    out = run_in_process("--dask", "synchronous", tmp_path / "p*.csv", "-k", "2", "--seed", "0", "--n-init", "1",
                         "--max-iter", "5", "-o", tmp_path / "f.json")
    assert out.returncode == 0, out.stderr
    gm = load_fit(str(tmp_path / "f.json"))
    window.open_csv(tmp_path / "p0.csv")
    window.select_columns(["a", "b"])
    window.open_fit(tmp_path / "f.json")
    text = window.message_bar.label.text()
    assert "These are not the data the fit was saved from (p*.csv, 120 rows; data files read with Dask)" in text
    assert window.status_ll.text() == "log-likelihood -"  # was the 120 rows' beside these 40
    assert np.allclose(window.model.means_, gm.means_)
