"""No GUI stalls on big data (issue 16): the work over every row that used to run on the GUI thread when a
saved hidden Markov model was opened (its state posteriors: 9 s at 1,000,000 rows), when columns were ticked
and when a fit's restarts were diagnosed runs in a background job. These tests lower the row count from which
the window works in the background (``emdesk.gui.background.BIG_ROWS``) and hold the job on an event that the
GUI thread's event loop opens: before, the job ran in the GUI thread and the gate was never opened in time."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6 import QtCore

import emdesk.gui.background as background

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


@pytest.fixture
def regimes_csv(tmp_path):
    rng = np.random.default_rng(5)
    rows = []
    for sid, T in (("north", 300), ("south", 200)):
        z = 0
        for t in range(T):
            if rng.random() < 0.05:
                z = 1 - z
            rows.append((sid, t, rng.normal(0.0 if z == 0 else 4.0, 0.6)))
    p = tmp_path / "regimes.csv"
    p.write_text("site,day,level\n" + "".join(f"{s},{t},{v:.4f}\n" for s, t, v in rows))
    return p


def gated(fn, seen: dict):
    """``fn`` run after an event that only the GUI thread's event loop sets (a 0 ms single-shot timer)."""
    gate = threading.Event()

    def run(*args, **kwargs):
        seen["thread"] = threading.get_ident()
        seen["opened"] = gate.wait(20)
        return fn(*args, **kwargs)

    QtCore.QTimer.singleShot(0, gate.set)
    return run


def test_opening_a_saved_hmm_fit_of_big_data_computes_its_state_off_the_gui_thread(qtbot, window, regimes_csv,
                                                                                   monkeypatch, saved_hmm_fit):
    import emdesk.session_hmm as session_hmm

    out = saved_hmm_fit(window, regimes_csv, max_iter=50)
    window.set_model_kind("mixture")
    window.open_fit(out)  # small data: as before, at once
    expected = window.session.history[0]

    monkeypatch.setattr(background, "BIG_ROWS", 100)
    window.set_model_kind("mixture")
    seen = {}
    monkeypatch.setattr(session_hmm, "hmm_state_snapshot", gated(session_hmm.hmm_state_snapshot, seen))
    window.open_fit(out)  # returns once shown, as before
    assert seen["thread"] != threading.get_ident() and seen["opened"]
    got = window.session.history[0]
    assert window.session.kind == "hmm" and len(window.session.history) == 1
    np.testing.assert_allclose(got.weights, expected.weights, atol=1e-12)
    np.testing.assert_allclose(got.transmat, expected.transmat, atol=1e-12)
    assert window.views.drawn_states is not None and window.act_export.isEnabled()


@pytest.fixture
def four_columns(tmp_path):
    rng = np.random.default_rng(3)
    X = np.r_[rng.normal(0, 1, (200, 4)), rng.normal(5, 1, (200, 4))]
    X[rng.random(X.shape) < 0.05] = np.nan
    X[7] = np.nan  # a row with no value
    p = tmp_path / "four.csv"
    lines = [",".join("" if v != v else f"{v:.5f}" for v in r) for r in X.tolist()]
    p.write_text("a,b,c,d\n" + "\n".join(lines) + "\n")
    return p


def session_rows(s):
    return (s.X.copy(), s.X_display.copy(), s.file_rows.copy(), s.n_incomplete, s.n_empty, s.n_dropped,
            None if s.display_incomplete_rows is None else s.display_incomplete_rows.copy())


@pytest.mark.parametrize("mode", ["marginalize", "drop"])
def test_ticking_columns_of_big_data_prepares_their_rows_off_the_gui_thread(qtbot, window, four_columns,
                                                                            monkeypatch, mode):
    import emdesk.session_rows as session_rows_module

    window.open_csv(four_columns)
    window.set_missing_mode(mode)
    expected = {}
    for cols in (["a", "b", "c"], ["b", "d"]):
        window.select_columns(cols)  # small data: on the GUI thread, as before
        expected[tuple(cols)] = session_rows(window.session)
    assert expected[("a", "b", "c")][3] > 0 and expected[("a", "b", "c")][5] > 0

    monkeypatch.setattr(background, "BIG_ROWS", 100)
    for cols in (["a", "b", "c"], ["b", "d"]):
        seen = {}
        monkeypatch.setattr(session_rows_module, "mixture_rows", gated(session_rows_module.mixture_rows, seen))
        window.select_columns(cols)  # returns once the rows are used
        assert seen["thread"] != threading.get_ident() and seen["opened"]
        assert window.session.columns == cols
        for got, want in zip(session_rows(window.session), expected[tuple(cols)]):
            if isinstance(want, np.ndarray):
                np.testing.assert_array_equal(got, want)
            else:
                assert got == want


def test_a_newer_tick_supersedes_rows_still_being_prepared(qtbot, window, four_columns, monkeypatch):
    import emdesk.session_rows as session_rows_module

    window.open_csv(four_columns)
    monkeypatch.setattr(background, "BIG_ROWS", 100)
    real = session_rows_module.mixture_rows
    gate = threading.Event()

    def slow(table, columns, *args):
        if list(columns) == ["a", "b"]:
            gate.wait(20)
        return real(table, columns, *args)

    monkeypatch.setattr(session_rows_module, "mixture_rows", slow)

    def tick_again():  # the user ticks other columns while the first ones are prepared
        window.select_columns(["c", "d"])
        gate.set()

    QtCore.QTimer.singleShot(50, tick_again)
    window.select_columns(["a", "b"])
    assert window.session.columns == ["c", "d"]
    assert window.session.X.shape[1] == 2
    np.testing.assert_array_equal(window.session.X, real(window.session.table, ["c", "d"], "gaussian",
                                                         window.session.missing).X)


@pytest.mark.parametrize("missing", ["marginalize", "drop"])
def test_rows_to_fit_equal_the_cell_by_cell_masks(missing):
    """The cheap search of incomplete rows (rows whose sum is not finite) gives what full masks give,
    with infinities (missing cells) and finite values whose sum overflows (complete rows)."""
    from emdesk.session_rows import rows_to_fit

    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 3))
    X[rng.random(X.shape) < 0.05] = np.nan
    X[3] = np.nan
    X[4, 1] = np.inf
    X[5, 0] = -np.inf
    X[6] = [1e308, 1e308, -5.0]  # finite, the sum overflows: complete
    got, rows, _, n_incomplete, n_empty = rows_to_fit(X.copy(), np.arange(500), missing)
    observed = np.isfinite(X)
    keep = observed.all(axis=1) if missing == "drop" else observed.any(axis=1)
    want = np.where(observed, X, np.nan)[keep]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(rows, np.flatnonzero(keep))
    assert n_incomplete == int((~observed.all(axis=1)).sum()) and n_empty == int((~observed.any(axis=1)).sum()) >= 1
    assert 6 in rows.tolist() and not np.isinf(got).any()
