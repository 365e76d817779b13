"""An HMM in the window: rows with no observed value kept as time steps (the data panel and the view say so),
the fit's constant/duplicated-column notes in the message strip in an HMM's words, and the state-count
refusal with the number to choose (issue 16, the newcomer's HMM leftovers)."""

from __future__ import annotations

import numpy as np
import pytest

FIT_TIMEOUT = 60_000
pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning",
                                        "ignore::emdesk.engine.diagnostics.DataColumnWarning")


@pytest.fixture
def gaps_csv(tmp_path):
    rng = np.random.default_rng(7)
    lines = ["site,day,level,double,flat"]
    for sid in ("north", "south"):
        for t in range(30):
            x = round(float(rng.normal(0 if (t // 10) % 2 else 4, 0.5)), 3)
            lines.append(f"{sid},{t},,," if t in (4, 5) else f"{sid},{t},{x},{2 * x},1")
    p = tmp_path / "gaps.csv"
    p.write_text("\n".join(lines) + "\n")
    return p


def _hmm(window, path, columns):
    window.open_csv(path)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence("site", "day")
    window.select_columns(columns)


def test_rows_without_value_are_time_steps_in_the_window(qtbot, window, gaps_csv):
    _hmm(window, gaps_csv, ["level"])
    s = window.session
    assert s.X.shape[0] == 60 and int(np.isnan(s.X[:, 0]).sum()) == 4
    text = window.data_panel.missing_text()
    assert "kept as time steps without observation" in text and "left out" not in text
    assert "EM fits all 60 rows as time steps." in text
    assert window.data_panel.missing_drop.isEnabled()  # dropping them is a choice for an HMM's steps
    assert "4 rows have no observed value; they are kept as time steps without observation." \
        in window.views.info.text()
    window.set_options(n_components=2, random_state=0, max_iter=50)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert window.views.viterbi_path.shape == (30,)  # the drawn sequence, its empty steps too
    window.data_panel.missing_drop.setChecked(True)
    assert s.X.shape[0] == 56 and "Dropping the incomplete rows fits 56 rows." in window.data_panel.missing_text()
    window.set_model_kind("mixture", "gaussian")  # a mixture leaves them out, as before
    assert "left out" in window.data_panel.missing_text()


def test_column_notes_and_state_count_refusal_in_the_message_strip(qtbot, window, gaps_csv):
    _hmm(window, gaps_csv, ["level", "double", "flat"])
    window.set_options(n_components=2, random_state=0, max_iter=20, covariance_type="diag")
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    level, text = window.last_message
    assert level == "warning"
    assert "Column 3 (flat) is constant (every value is 1): it cannot tell states apart" in text
    assert "Column 1 (level) and column 2 (double) are linearly dependent" in text and "component" not in text
    small = gaps_csv.parent / "small.csv"
    small.write_text("site,day,level\n" + "".join(f"a,{t},{'' if t in (2, 3) else t % 3}\n" for t in range(9)))
    _hmm(window, small, ["level"])
    window.set_options(n_components=8)
    with qtbot.waitSignal(window.fitFailed, timeout=FIT_TIMEOUT):
        window.start_fit()
    text = window.last_message[1]
    assert "8 states are more than the 7 time steps with an observed value (of 9 rows" in text
    assert "choose at most 7 states" in text


def test_a_categorical_hmms_single_symbol_note_names_the_symbol(qtbot, window, tmp_path):
    path = tmp_path / "sky.csv"
    path.write_text("site,day,sky\n" + "".join(f"a,{t},{'' if t == 3 else 'rain'}\n" for t in range(8)))
    window.open_csv(path)
    window.set_model_kind("hmm", "categorical")
    window.set_sequence("site", "day")
    window.select_columns(["sky"])
    assert window.session.X.shape[0] == 8  # the empty step kept
    window.set_options(n_components=2, random_state=0, max_iter=10)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    level, text = window.last_message
    assert level == "warning" and "Column 1 (sky) holds a single symbol ('rain'): every state emits it" in text


def test_an_hmms_guard_speaks_of_states(qtbot, window, tmp_path):
    path = tmp_path / "steps.csv"
    rng = np.random.default_rng(3)
    path.write_text("x\n" + "".join(f"{v:.3f}\n" for v in np.r_[np.zeros(6), np.ones(6) * 3, rng.normal(8, 1, 12)]))
    window.open_csv(path)
    window.set_model_kind("hmm", "gaussian")
    window.select_columns(["x"])
    window.set_options(n_components=4, random_state=0, max_iter=30, covariance_type="diag", reg_covar=1e-9)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert window.guard_bar.isVisible()
    text = window.guard_bar.label.text()
    assert "degenerate states" in text and "component" not in text.lower()
    assert window.guard_bar.buttons["fewer_components"].text() == "Fewer states (\u2192 3)"
    assert "State " in window.last_message[1] and "Component" not in window.last_message[1]


def test_a_sequence_with_no_value_is_left_out_in_the_data_panels_words(qtbot, window, tmp_path):
    """Its rows are not counted as time steps kept (newcomer, 1 Dec: 'They ... are kept as time steps
    without observation. EM fits all 9 rows' while the view's note said the sequence was left out, 7 fitted)."""
    path = tmp_path / "e.csv"
    path.write_text("site,day,x\n" + "".join(f"a,{t},{t % 3}\n" for t in range(5)) + "b,0,\nb,1,\nc,0,\nc,1,4\n")
    _hmm(window, path, ["x"])
    assert window.session.X.shape[0] == 7
    text = window.data_panel.missing_text()
    assert text.startswith("3 of 9 rows have missing values in the ticked column.")
    assert "1 of them has no value at all in the ticked column and is kept as a time step" in text
    assert "2 rows are left out with the sequences that have no observed value." in text
    assert text.endswith("EM fits 7 rows as time steps.")
    window.data_panel.missing_drop.setChecked(True)  # dropped: every incomplete row goes, as before
    assert "Dropping the incomplete rows fits 6 rows." in window.data_panel.missing_text()
