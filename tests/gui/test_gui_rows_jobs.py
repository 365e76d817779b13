"""The rows a fit uses are prepared off the GUI thread for big data (issue 16): when a file is opened, the model
kind or family changes, an HMM's sequence columns are picked, its columns ticked or the missing-value choice
changes (``emdesk.gui.controllers.rows``). These tests lower ``emdesk.gui.background.BIG_ROWS`` and hold the
preparation on an event that only the GUI thread's event loop sets: before, the rows were prepared in the GUI
thread (the gate was never opened in time, and ``prepare_rows`` was not called at all)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6 import QtCore

import emdesk.gui.background as background
import emdesk.session_rows as session_rows
from emdesk.session import Session

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


@pytest.fixture
def hold_rows(monkeypatch):
    """``hold_rows()``: from then on rows are prepared in a background job (BIG_ROWS 100) that waits for the
    returned event (at most 20 s) before preparing them."""
    def hold():
        monkeypatch.setattr(background, "BIG_ROWS", 100)
        real = session_rows.prepare_rows
        gate = threading.Event()

        def slow(spec):
            gate.wait(20)
            return real(spec)

        monkeypatch.setattr(session_rows, "prepare_rows", slow)
        return gate

    return hold


@pytest.fixture
def regimes_csv(tmp_path):
    rng = np.random.default_rng(5)
    lines = []
    for sid, T in (("north", 300), ("south", 200), ("east", 1)):
        for t in rng.permutation(T):  # shuffled: the rows are sorted by day within each site
            v = rng.normal(0.0 if t % 50 < 25 else 4.0, 0.6)
            w = "" if rng.random() < 0.05 else f"{rng.normal(2.0, 1.0):.4f}"
            lines.append(f"{sid},{t},{v:.4f},{w}\n")
    p = tmp_path / "regimes.csv"
    p.write_text("site,day,level,flow\n" + "".join(lines))
    return p


def gated(fn, seen: dict):
    """``fn`` run after an event that only the GUI thread's event loop sets (a 0 ms single-shot timer)."""
    gate = threading.Event()

    def run(*args, **kwargs):
        seen.setdefault("threads", []).append(threading.get_ident())
        seen["opened"] = gate.wait(20)
        return fn(*args, **kwargs)

    QtCore.QTimer.singleShot(0, gate.set)
    return run


def rows_of(s):
    return dict(X=s.X, X_display=s.X_display, file_rows=s.file_rows, n_incomplete=s.n_incomplete,
                n_empty=s.n_empty, n_dropped=s.n_dropped, lengths=s.lengths, sequence_names=list(s.sequence_names),
                notes=list(s.notes), columns=list(s.columns), kind=s.kind, family=s.family, missing=s.missing,
                sequence=(s.sequence_column, s.order_column), n_rows=s.n_rows)


def assert_same_rows(got, want):
    assert got.keys() == want.keys()
    for k in want:
        if isinstance(want[k], np.ndarray) or isinstance(got[k], np.ndarray):
            np.testing.assert_array_equal(got[k], want[k], err_msg=k)
        else:
            assert got[k] == want[k], k


def expected(table, commands):
    """The rows a Session gets from ``commands`` on the GUI thread (the small-data path, as before)."""
    s = Session()
    s.set_table(table, ["level"])
    for name, args in commands:
        getattr(s, name)(*args)
    return rows_of(s)


def test_kind_sequence_columns_and_missing_of_big_data_are_prepared_off_the_gui_thread(qtbot, window, regimes_csv,
                                                                                       monkeypatch):
    window.open_csv(regimes_csv)
    window.select_columns(["level"])
    table = window.session.table
    monkeypatch.setattr(background, "BIG_ROWS", 100)
    gui = threading.get_ident()
    steps = [
        (lambda: window.set_model_kind("hmm", "gaussian"), [("set_model_kind", ("hmm", "gaussian"))]),
        (lambda: window.set_sequence("site", "day"), [("set_sequence", ("site", "day"))]),
        (lambda: window.select_columns(["level", "flow"]), [("choose_columns", (["level", "flow"],))]),
        (lambda: window.set_missing_mode("drop"), [("set_missing", ("drop",))]),
        (lambda: window.set_model_kind("mixture", "student_t"), [("set_model_kind", ("mixture", "student_t"))]),
    ]
    done = []
    for act, commands in steps:
        done += commands
        seen = {}
        monkeypatch.setattr(session_rows, "prepare_rows", gated(session_rows.prepare_rows, seen))
        act()  # returns once the rows are used, as before
        assert seen["threads"] and all(t != gui for t in seen["threads"]) and seen["opened"], commands
        assert_same_rows(rows_of(window.session), expected(table, done))
        assert not window.rows.busy() and window.act_run.isEnabled()
    s = window.session
    assert s.kind == "mixture" and s.missing == "drop" and s.X.shape[1] == 2
    assert "Rows were sorted by day within each sequence." not in s.notes  # a mixture: no sequence notes
    # the HMM's steps had their notes and lengths (checked against the GUI-thread path above)
    hmm = expected(table, done[:3])
    assert hmm["lengths"].tolist() == [300, 200, 1] and hmm["notes"]


def test_opening_a_big_file_prepares_its_rows_off_the_gui_thread_and_shows_them(qtbot, window, regimes_csv,
                                                                               monkeypatch):
    monkeypatch.setattr(background, "BIG_ROWS", 100)
    seen = {}
    monkeypatch.setattr(session_rows, "prepare_rows", gated(session_rows.prepare_rows, seen))
    window.open_csv(regimes_csv)
    assert seen["threads"] and threading.get_ident() not in seen["threads"] and seen["opened"]
    s = window.session
    assert s.columns == ["day", "level"] and s.X.shape == (501, 2)
    assert window.data_panel.selected_columns() == ["day", "level"]
    assert "Loaded regimes.csv" in window.status_state.text() and not window.rows.busy_bar.isVisible()
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.set_options(n_components=2, random_state=0, max_iter=20)
        window.start_fit()


def test_a_newer_change_supersedes_one_still_prepared_and_keeps_both(qtbot, window, regimes_csv, monkeypatch):
    """The kind is changed to HMM; while its rows are prepared, the sequence columns are picked: the newest
    request starts from the pending one, so the session ends as an HMM of ordered sequences, and the older
    request's rows (one sequence) are never used."""
    window.open_csv(regimes_csv)
    window.select_columns(["level"])
    table = window.session.table
    monkeypatch.setattr(background, "BIG_ROWS", 100)
    real = session_rows.prepare_rows
    gate = threading.Event()
    specs, data_events = [], []

    def slow(spec):
        specs.append(spec)
        if spec.sequence_column is None:
            gate.wait(20)
        return real(spec)

    monkeypatch.setattr(session_rows, "prepare_rows", slow)
    window.session.subscribe(lambda e: data_events.append((e, window.session.sequence_column)) if e == "data" else None)
    busy = {}

    def pick_sequences():  # the user picks the sequence while the HMM's rows are prepared
        busy["run"] = window.act_run.isEnabled()
        busy["bar"] = window.rows.busy_bar.isVisible()
        busy["status"] = window.status_state.text()
        busy["kind"] = window.session.kind
        window.set_sequence("site", "day")
        gate.set()

    QtCore.QTimer.singleShot(50, pick_sequences)
    window.set_model_kind("hmm", "gaussian")
    assert busy == {"run": False, "bar": True, "kind": "mixture",
                    "status": "Preparing the rows for the model kind over 501 rows (in the background)..."}
    assert [(sp.kind, sp.sequence_column) for sp in specs] == [("hmm", None), ("hmm", "site")]
    assert data_events == [("data", "site")]  # one change of rows: the newest
    assert_same_rows(rows_of(window.session),
                     expected(table, [("set_model_kind", ("hmm", "gaussian")), ("set_sequence", ("site", "day"))]))
    assert window.act_run.isEnabled() and not window.rows.busy_bar.isVisible()
    assert window.params_panel.model_kind() == ("hmm", "gaussian")


def test_closing_the_window_while_rows_are_prepared_is_clean(qtbot, window, regimes_csv, hold_rows):
    window.open_csv(regimes_csv)
    before = window.session.X
    gate = hold_rows()

    def close():
        window.close()
        gate.set()

    QtCore.QTimer.singleShot(50, close)
    assert window.set_model_kind("hmm", "gaussian") is None  # returns: nothing is applied to a closed window
    assert window.session.kind == "mixture" and window.session.X is before
    assert not window.rows.busy() and not window.jobs.busy()


def test_a_failed_preparation_changes_nothing_and_says_why(qtbot, window, regimes_csv, monkeypatch):
    window.open_csv(regimes_csv)
    window.select_columns(["level"])
    before = rows_of(window.session)
    monkeypatch.setattr(background, "BIG_ROWS", 100)

    def broken(spec):
        raise ValueError("these rows cannot be prepared")

    monkeypatch.setattr(session_rows, "prepare_rows", broken)
    with pytest.raises(ValueError, match="cannot be prepared"):
        window.rows.request([("set_model_kind", ("hmm", "gaussian"))])
    assert_same_rows(rows_of(window.session), before)
    assert not window.rows.busy() and window.act_run.isEnabled()
    # the Model panel chose HMM, the rows failed: the slot says so and the panel shows the session's kind again
    window.params_panel.set_model_kind("hmm", "gaussian")
    window._kind_changed("hmm", "gaussian")
    assert window.last_message and "cannot be prepared" in window.last_message[1]
    assert window.params_panel.model_kind() == ("mixture", "gaussian") and window.session.kind == "mixture"


def test_planned_changes_nothing_and_checks_as_the_commands_do(regimes_csv):
    s = Session()
    s.load(regimes_csv)
    before = rows_of(s)
    spec, changes = s.planned([("set_model_kind", ("hmm", "gaussian")), ("set_sequence", ("site", "day")),
                               ("choose_columns", (["level"],))])
    assert changes and (spec.kind, spec.sequence_column, spec.order_column, spec.columns) == ("hmm", "site", "day",
                                                                                              ("level",))
    assert_same_rows(rows_of(s), before)
    assert s.planned([("set_missing", ("marginalize",))])[1] is False  # the same choice: nothing to do
    with pytest.raises(ValueError, match="is text"):
        s.planned([("set_sequence", ("site", "site"))])
    with pytest.raises(ValueError, match="Not numeric"):
        s.planned([("choose_columns", (["site"],))])
    events = []
    s.subscribe(events.append)
    s.use_rows(spec, session_rows.prepare_rows(spec))
    assert events == ["options", "data"]
    want = Session()
    want.load(regimes_csv)
    for name, args in [("set_model_kind", ("hmm", "gaussian")), ("set_sequence", ("site", "day")),
                       ("choose_columns", (["level"],))]:
        getattr(want, name)(*args)
    assert_same_rows(rows_of(s), rows_of(want))


def test_opening_a_saved_hmm_fit_of_big_data_prepares_its_rows_once_off_the_gui_thread(qtbot, window, regimes_csv,
                                                                                      monkeypatch, saved_hmm_fit):
    out = saved_hmm_fit(window, regimes_csv, max_iter=30)
    want = rows_of(window.session)
    window.set_model_kind("mixture", "gaussian")
    window.select_columns(["day", "flow"])

    monkeypatch.setattr(background, "BIG_ROWS", 100)
    seen = {}
    monkeypatch.setattr(session_rows, "prepare_rows", gated(session_rows.prepare_rows, seen))
    window.open_fit(out)  # kind, sequences and columns: one preparation (before: three, on the GUI thread)
    assert len(seen["threads"]) == 1 and seen["threads"][0] != threading.get_ident() and seen["opened"]
    assert_same_rows(rows_of(window.session), want)
    assert window.data_panel.sequence_columns() == ("site", "day")
    assert window.params_panel.model_kind() == ("hmm", "gaussian") and len(window.session.history) == 1


def test_the_hmm_emissions_scatter_samples_big_data_and_keeps_small_data_as_before(qtbot):
    """Big data: a random sample of rows, then its complete ones (masking every row took 0.1-0.5 s of the GUI
    thread at 1,000,000 rows); below SAMPLE_FIRST * MAX_POINTS rows: every complete row, or MAX_POINTS of them."""
    import pyqtgraph as pg

    from emdesk.gui.views import hmm_emissions as he

    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    view = he.EmissionsPlot(widget.addPlot())
    rng = np.random.default_rng(1)
    for n in (3_000, 20_000, he.SAMPLE_FIRST * he.MAX_POINTS + 1, 200_000):
        X = rng.normal(size=(n, 3))
        X[rng.random(X.shape) < 0.1] = np.nan
        complete = X[np.isfinite(X[:, :2]).all(axis=1), :2]
        view.set_data(X, ["a", "b", "c"], "gaussian")
        x, y = view._scatter.getData()
        drawn = np.c_[x, y]
        assert drawn.shape[0] == min(he.MAX_POINTS, complete.shape[0]) and np.isfinite(drawn).all()
        if n == 3_000:  # small data: every complete row, in order, as before
            np.testing.assert_array_equal(drawn, complete)
        # every drawn point is a complete row of X
        assert np.isin(drawn[:, 0], complete[:, 0]).all()


def test_quick_changes_while_rows_are_prepared_wait_in_one_loop_and_prepare_the_newest_once(qtbot, window,
                                                                                          regimes_csv, monkeypatch):
    """Ticks made while big data's rows are prepared (a mouse wheel over a picker, a held key) used to open a
    local event loop each, inside the previous one: 124 quick ticks over 200,000 rows reached Python's
    recursion limit and the window stayed "Preparing..." with Run disabled. Now they return at once, the one
    waiting loop applies the newest, and one preparation runs at a time (the rows in between are never made)."""
    import traceback

    window.open_csv(regimes_csv)
    window.select_columns(["level"])
    monkeypatch.setattr(background, "BIG_ROWS", 100)
    real = session_rows.prepare_rows
    gate = threading.Event()
    specs, depths = [], []

    def slow(spec):
        specs.append(spec.columns)
        gate.wait(20)
        return real(spec)

    monkeypatch.setattr(session_rows, "prepare_rows", slow)
    picks = [["day"], ["level", "flow"], ["flow"], ["day", "flow"]] * 10

    def tick(names, last):
        def f():
            depths.append(len(traceback.extract_stack()))
            window.data_panel.set_selected(names)  # as the user's tick: the Data panel's signal
            if last:
                gate.set()
        return f

    for i, names in enumerate(picks):
        QtCore.QTimer.singleShot(0, tick(names, i == len(picks) - 1))
    window.select_columns(["day", "level"])  # waits for the newest rows
    assert len(set(depths)) == 1, depths[:5]  # every tick ran at the same depth: no loop inside a loop
    assert specs == [("day", "level"), ("day", "flow")]  # the first, then the newest once
    assert window.session.columns == ["day", "flow"] == window.data_panel.selected_columns()
    assert window.session.X.shape[1] == 2 and not window.rows.busy() and window.act_run.isEnabled()


def test_a_fit_started_while_rows_are_prepared_is_refused_with_a_message(qtbot, window, regimes_csv, hold_rows):
    """Run and Step are disabled while rows are prepared, but start_fit (a script, the guard bar's fixes) used
    to start EM on the old rows; using the new rows then ended that fit without a signal or a word."""
    window.open_csv(regimes_csv)
    window.select_columns(["level"])
    window.set_options(n_components=2, random_state=0, max_iter=5)
    gate = hold_rows()
    seen = {}

    def press_run():
        with qtbot.waitSignal(window.fitFailed, timeout=1000) as failed:
            window.start_fit()
        seen.update(fitting=window.is_fitting(), message=failed.args[0])
        window.step_fit()
        seen["fitting after step"] = window.is_fitting()
        gate.set()

    QtCore.QTimer.singleShot(0, press_run)
    window.set_model_kind("hmm", "gaussian")
    assert seen["fitting"] is False and seen["fitting after step"] is False
    assert "still being prepared" in seen["message"]
    qtbot.waitUntil(lambda: not window.rows.busy(), timeout=30_000)
    assert window.last_message is None  # the refusal is taken back once the rows are ready
    with qtbot.waitSignal(window.fitFinished, timeout=30_000):  # once they are used, Run fits the new rows
        window.start_fit()
    assert window.session.kind == "hmm" and window.model is not None


def test_the_status_bar_is_not_left_saying_what_is_no_longer_done(qtbot, window, regimes_csv, monkeypatch):
    """Found with 200,000 rows: after a script's export the status bar kept "Writing the fit as JSON over ...
    rows in the background..." for good, and rows prepared meanwhile put back the text from before they
    started over what another part of the window had said since."""
    window.open_csv(regimes_csv)
    window.select_columns(["level"])
    window.set_options(n_components=2, random_state=0, max_iter=3)
    with qtbot.waitSignal(window.fitFinished, timeout=30_000):
        window.start_fit()
    monkeypatch.setattr(background, "BIG_ROWS", 100)
    window.export_fit(regimes_csv.parent / "fit.json")  # big data: written in the background
    assert window.status_state.text() == "Wrote the fit as JSON"
    QtCore.QTimer.singleShot(0, lambda: window.status_state.setText("Exported the parameters to p.csv"))
    window.set_model_kind("hmm", "gaussian")  # rows prepared in the background meanwhile
    assert window.session.kind == "hmm" and window.status_state.text() == "Exported the parameters to p.csv"
