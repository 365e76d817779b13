"""HMM fits in the window's files (issue 12): File > Export Fit / Parameters / Assignments for hidden
Markov models through emdesk.io, and File > Open Fit of an HMM file."""

from __future__ import annotations

import csv

import numpy as np
import pytest

FIT_TIMEOUT = 60_000
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
            rows.append((sid, t, rng.normal(0.0 if z == 0 else 4.0, 0.6), int(rng.poisson(1 if z == 0 else 7))))
    order = rng.permutation(len(rows))
    p = tmp_path / "regimes.csv"
    p.write_text("site,day,level,events\n" + "".join(f"{rows[i][0]},{rows[i][1]},{rows[i][2]:.4f},{rows[i][3]}\n"
                                                     for i in order))
    return p


def _fit(qtbot, window, path, family, column, n_init=1):
    window.open_csv(path)
    window.set_model_kind("hmm", family)
    window.set_sequence("site", "day")
    window.select_columns([column])
    window.set_options(n_components=2, random_state=0, max_iter=100, n_init=n_init)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    return window.model


@pytest.mark.parametrize("family,column", [("gaussian", "level"), ("poisson", "events")])
def test_export_hmm_fit_parameters_assignments(qtbot, window, regimes_csv, tmp_path, family, column):
    from emdesk.io import load_fit

    model = _fit(qtbot, window, regimes_csv, family, column)
    assert window.act_export.isEnabled()
    assert not window.act_export_imputed.isEnabled()
    with pytest.raises(ValueError, match="hidden Markov"):  # a script is told so too (no half-written file)
        window.session.export_imputed(tmp_path / "imputed.csv")
    assert not (tmp_path / "imputed.csv").exists()
    window.export_fit(tmp_path / "f.json", "json")
    window.export_fit(tmp_path / "p.csv", "parameters")
    window.export_fit(tmp_path / "a.csv", "assignments")
    back = load_fit(tmp_path / "f.json")
    np.testing.assert_allclose(back.transmat_, model.transmat_, atol=1e-12)
    assert back.fit_info_["sequences"]["sequence_column"] == "site"
    with open(tmp_path / "p.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 2  # one row per state
    with open(tmp_path / "a.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(regimes_csv, newline="") as fh:
        src = list(csv.DictReader(fh))
    assert [(r["site"], r["day"]) for r in rows] == [(r["site"], r["day"]) for r in src]  # the file's row order
    # Viterbi state and posteriors of the north sequence, sorted by day, as the model decodes it
    north = sorted((int(r["day"]), r) for r in rows if r["site"] == "north")
    x = np.array([[float(r[column])] for _, r in north])
    np.testing.assert_allclose([[float(r["p_state_1"]), float(r["p_state_2"])] for _, r in north],
                               model.predict_proba(x), atol=1e-6)
    assert [int(r["state"]) - 1 for _, r in north] == model.predict(x).tolist()


def test_open_fit_shows_an_hmm_file(qtbot, window, regimes_csv, tmp_path):
    from emdesk.engine import PoissonHMM

    model = _fit(qtbot, window, regimes_csv, "poisson", "events")
    out = regimes_csv.parent / "poisson-fit.json"
    window.export_fit(out)
    window.set_model_kind("mixture")  # the window moves on: another kind, no fit
    assert window.model is None
    window.open_fit(out)
    assert window.session.kind == "hmm" and window.session.family == "poisson"
    assert (window.session.sequence_column, window.session.order_column) == ("site", "day")
    assert isinstance(window.model, PoissonHMM)
    np.testing.assert_allclose(window.model.lambdas_, model.lambdas_, atol=1e-9)
    views = window.views
    assert window.plot_stack.currentWidget() is views.widget
    assert views.drawn_states is not None and views.viterbi_path is not None  # drawn as a finished fit
    assert window.act_export.isEnabled()


def test_open_fit_without_its_data_says_so(qtbot, window, regimes_csv, tmp_path):
    _fit(qtbot, window, regimes_csv, "gaussian", "level")
    out = tmp_path / "sub"
    out.mkdir()
    window.export_fit(out / "g.json")
    from emdesk.io import DataError

    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n3,4\n5,6\n")
    window.open_csv(other)
    with pytest.raises(DataError, match="not open"):
        window.open_fit(out / "g.json")
    assert "Could not open the fit" in window.message_bar.label.text()
