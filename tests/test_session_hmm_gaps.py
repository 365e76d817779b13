"""An HMM's rows with no observed value in the session (the window's state) and emdesk-fit: kept as time steps
without observation, as the engine's HMMs take them (leaving them out would join the steps on either side),
with a note; exports line up with the file's rows; mixtures keep leaving such rows out. HMMs' column notes
and state-count refusals there (issue 16, the newcomer's HMM leftovers)."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

from emdesk.session import Session
from tests.cli_run import run_in_process

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning",
                                        "ignore::emdesk.engine.diagnostics.DataColumnWarning")
EMPTY = {("a", 3), ("a", 4), ("b", 7)}


@pytest.fixture
def gaps_csv(tmp_path):
    rng = np.random.default_rng(4)
    lines = ["id,t,x,y,flat"]
    for sid in ("b", "a"):
        for t in range(12):
            x = round(float(rng.normal(0 if t < 6 else 5, 0.5)), 3)
            lines.append(f"{sid},{t},,," if (sid, t) in EMPTY else f"{sid},{t},{x},{2 * x},1")
    lines += ["c,0,,,"]  # a sequence with nothing observed
    p = tmp_path / "gaps.csv"
    p.write_text("\n".join(lines[:1] + lines[1:][::-1]) + "\n")  # the file's order is not the time order
    return p


def _read(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def _session(path, kind="hmm", columns=("x",), missing="marginalize"):
    s = Session()
    s.load(path)
    if kind == "hmm":
        s.set_model_kind("hmm", "gaussian")
        s.set_sequence("id", "t")
    s.set_missing(missing)
    s.choose_columns(list(columns))
    return s


@pytest.mark.parametrize("family, column", [("gaussian", "x"), ("poisson", "flat")])
def test_hmm_rows_without_value_are_time_steps(gaps_csv, family, column):
    s = _session(gaps_csv)
    if family != "gaussian":
        s.set_model_kind("hmm", family)
        s.choose_columns([column])
    assert sorted(s.lengths.tolist()) == [12, 12] and s.X.shape[0] == 24  # c (nothing observed) left out
    assert "3 rows have no observed value; they are kept as time steps without observation." in s.notes
    assert any("1 sequence had no observed value" in n for n in s.notes)
    file_empty = {i for i, r in enumerate(_read(gaps_csv)[1:]) if (r[0], int(r[1])) in EMPTY}
    assert {int(r) for r, row in zip(s.file_rows, s.X) if np.isnan(row).all()} == file_empty


def test_hmm_fit_and_exports_line_up_with_the_files_rows(gaps_csv, tmp_path):
    s = _session(gaps_csv)
    s.set_options(n_components=2, random_state=0, max_iter=50)
    model = s.fit()
    assert model.missing == "marginalize"
    s.export_fit(tmp_path / "as.csv", "assignments")
    rows = _read(tmp_path / "as.csv")
    head, body = rows[0], rows[1:]
    states = np.full(len(body), -1)
    states[s.file_rows] = model.predict(s.X, s.lengths.tolist())
    post = np.full((len(body), 2), np.nan)
    post[s.file_rows] = model.predict_proba(s.X, s.lengths.tolist())
    for i, r in enumerate(body):
        if r[0] == "c":
            assert r[head.index("state")] == ""
            continue
        assert int(r[head.index("state")]) == states[i] + 1  # the empty steps too
        np.testing.assert_allclose([float(r[head.index("p_state_1")]), float(r[head.index("p_state_2")])],
                                   post[i], atol=1e-9)


def test_hmm_drop_leaves_them_out_and_mixtures_still_do(gaps_csv):
    s = _session(gaps_csv, missing="drop")
    assert s.X.shape[0] == 21 and not np.isnan(s.X).any()
    assert not any("kept as time steps" in n for n in s.notes)
    m = _session(gaps_csv, kind="mixture", columns=("x", "y"))
    assert m.X.shape[0] == 21 and m.n_empty == 4


def test_hmm_notes_and_refusals_through_the_session(gaps_csv):
    s = _session(gaps_csv, columns=("x", "y", "flat"))
    s.set_options(n_components=2, random_state=0, max_iter=5, covariance_type="diag")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = s.fit()
    said = s.name_columns(" ".join(model.column_notes_))
    assert "Column 3 (flat) is constant" in said and "Column 1 (x) and column 2 (y) are linearly dependent" in said
    s.choose_columns(["x"])
    s.set_options(n_components=22)  # 24 time steps, 21 with a value
    with pytest.raises(ValueError, match=r"the 21 time steps with an observed value \(of 24 rows.*choose at most 21 "
                       "states") as info:
        s.fit()
    from emdesk.gui.wording import for_window

    assert for_window(str(info.value), "hmm").startswith("22 states are more than the 21 time steps")


def test_emdesk_fit_keeps_them_and_says_the_notes(gaps_csv, tmp_path):
    out = run_in_process(gaps_csv, "--model", "hmm", "--columns", "x,y,flat", "--sequence-column", "id",
                         "--order-column", "t", "-k", "2", "--seed", "0", "--covariance", "diag", "--assignments",
                         tmp_path / "as.csv")
    assert out.returncode == 0, out.stderr
    assert "24 rows fitted" in out.stdout
    assert "note: 3 rows have no observed value; they are kept as time steps without observation." in out.stdout
    assert "Column 3 (flat) is constant (every value is 1): it cannot tell states apart" in out.stderr
    assert "Column 1 (x) and column 2 (y) are linearly dependent" in out.stderr
    body = _read(tmp_path / "as.csv")[1:]
    assert all(r[-1] in ("1", "2") for r in body if r[0] != "c") and [r[-1] for r in body if r[0] == "c"] == [""]
    out = run_in_process(gaps_csv, "--model", "hmm", "--columns", "x", "--sequence-column", "id", "--order-column",
                         "t", "-k", "22")
    assert out.returncode != 0
    assert "22 states for 21 time steps with an observed value (and 3 without): choose at most 21 states." \
        in out.stderr


def test_a_categorical_hmms_single_symbol_is_named(tmp_path):
    path = tmp_path / "sky.csv"
    path.write_text("day,sky\n" + "".join(f"{t},{'' if t == 3 else 'rain'}\n" for t in range(8)))
    out = run_in_process(path, "--model", "hmm", "--family", "categorical", "--columns", "sky", "-k", "2",
                         "--seed", "0")
    assert out.returncode == 0, out.stderr
    assert "8 rows fitted" in out.stdout and "1 symbol:" in out.stdout
    assert "Column 1 (sky) holds a single symbol ('rain'): every state emits it" in out.stderr


def test_an_impossible_sequence_is_named_by_its_name(gaps_csv):
    s = _session(gaps_csv)
    first = s.sequence_names[0]
    text = s.name_rows("Sequence 1 of X (rows 1 to 12) is impossible under the model: no state path ...")
    assert text.startswith(f"The sequence {first!r} (12 steps) is impossible under the model")


def test_an_impossible_row_in_the_assignments_is_the_files_data_row(tmp_path):
    from emdesk.engine import CategoricalHMM
    from emdesk.io import DataError, load_table, save_assignments_csv

    path = tmp_path / "c.csv"
    path.write_text("t,sky\n3,sun\n1,sun\n2,rain\n")  # sorted by t, the impossible symbol is X's row 2
    m = CategoricalHMM(2, n_features=2)
    m.startprob_, m.transmat_ = np.array([0.5, 0.5]), np.full((2, 2), 0.5)
    m.emissionprob_ = np.array([[1.0, 0.0], [1.0, 0.0]])  # no state emits "rain"
    m.n_features_in_ = 1
    m.symbols_ = np.array(["sun", "rain"], dtype=object)
    with pytest.raises(DataError, match=r"Cannot compute the assignments: Data row 3 is impossible"):
        save_assignments_csv(tmp_path / "as.csv", load_table(path), m, ["sky"], order_column="t")
