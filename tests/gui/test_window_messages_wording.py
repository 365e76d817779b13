"""The window's messages speak the user's language and name the file's rows (issue 15, newcomer test):
engine keywords (missing='marginalize', n_init, covariance_type='diag') become what to choose in the
window; an HMM's error names the file's data row with its sequence and order values, not the row of the
sorted array the engine saw."""

from __future__ import annotations

import re

import numpy as np
import pytest

from emdesk.gui.wording import for_window

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")

KEYWORDS = re.compile(r"missing='|covariance_type|n_init|n_components|max_iter|random_state|init_params")


def test_poisson_hmm_error_names_the_file_row_and_its_sequence(qtbot, window, tmp_path):
    p = tmp_path / "counts.csv"
    data = [("b", 3, 1), ("a", 2, 0), ("a", 1, 4), ("b", 1, 2), ("a", 3, -1), ("b", 2, 5)]
    p.write_text("site,day,events\n" + "".join(f"{s},{d},{e}\n" for s, d, e in data))
    window.open_csv(p)
    window.set_model_kind("hmm", "poisson")
    window.set_sequence("site", "day")
    window.select_columns(["events"])
    window.set_options(n_components=2, random_state=0)
    with qtbot.waitSignal(window.fitFailed, timeout=20_000):
        window.start_fit()
    level, text = window.last_message
    # -1 is on the file's 5th data row; sorted by site then day it is the engine's row 3
    assert "data row 5 (site a, day 3), column 1 (events) holds -1" in text
    assert "row 3" not in text


def test_rows_left_out_do_not_shift_the_row_named(window, tmp_path):
    p = tmp_path / "gaps.csv"
    p.write_text("x,y\n1,1\n,2\n2,3\n3,4\n")
    window.open_csv(p)
    window.select_columns(["x"])
    window.data_panel.set_missing_mode("drop")
    s = window.session
    assert s.name_rows("row 3 holds 3") == "data row 4 holds 3"  # X's 3rd row is the file's 4th data row


def test_wide_column_message_says_what_to_do_in_the_window(qtbot, window, tmp_path):
    rng = np.random.default_rng(0)
    vals = np.round(rng.normal(size=300), 6)
    vals[::50] = 1e20  # a fill value for "no data"
    p = tmp_path / "fill.csv"
    p.write_text("a,b\n" + "".join(f"{float(v)!r},{w:.4f}\n" for v, w in zip(vals, rng.normal(size=300))))
    window.open_csv(p)
    window.select_columns(["a", "b"])
    window.set_options(n_components=2, random_state=0)
    with qtbot.waitSignal(window.fitFailed, timeout=20_000):
        window.start_fit()
    text = window.last_message[1]
    assert "1e+20" in text and "Treat as missing" in text
    assert not KEYWORDS.search(text), text


def test_wording_rules():
    assert for_window("drop them or use missing='marginalize'.") == (
        "drop them or \"Fit with missing values\" in the Data panel.")
    assert KEYWORDS.search("use covariance_type='diag' or raise n_init")
    out = for_window("Leave one of them out, or use covariance_type='diag'. Raise n_init=3.")
    assert not KEYWORDS.search(out) and "Covariance \"diag\" in the Model panel" in out and "Restarts 3" in out
    assert for_window("use fewer components (now 3)", "hmm") == "use fewer states (now 3)"
    assert for_window("Row 2 of X is impossible") == "Row 2 is impossible"
