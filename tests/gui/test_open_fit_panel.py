"""File > Open Fit sets the Model panel to the fit's options (kind, family, components, covariance model,
reg_covar, restarts, an HMM's transition prior ...), so that Run fits that model again; fields the file does not
record keep their values, and the status bar says what was set."""

from __future__ import annotations

import json

import numpy as np
import pytest

FIT_TIMEOUT = 60_000


@pytest.fixture
def two_blobs(tmp_path):
    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(5, 1, (60, 2))])
    p = tmp_path / "blobs.csv"
    p.write_text("a,b\n" + "".join(f"{u:.5f},{v:.5f}\n" for u, v in x))
    return p


@pytest.fixture
def regimes_csv(tmp_path):
    rng = np.random.default_rng(5)
    rows, z = [], 0
    for t in range(200):
        if rng.random() < 0.05:
            z = 1 - z
        rows.append((t, rng.normal(0.0 if z == 0 else 4.0, 0.6)))
    p = tmp_path / "regimes.csv"
    p.write_text("day,level\n" + "".join(f"{t},{v:.4f}\n" for t, v in rows))
    return p


def _fit(qtbot, window, **options):
    window.set_options(**options)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()


FITTED = dict(n_components=2, covariance_type="diag", init_params="kmeans", n_init=2, max_iter=150, tol=1e-4,
              reg_covar=1e-4, random_state=7)
OTHER = dict(n_components=5, covariance_type="tied", init_params="random", n_init=4, max_iter=90, tol=1e-3,
             reg_covar=0.5, random_state=11)


def test_open_fit_sets_the_model_panel_and_run_fits_that_model_again(qtbot, window, two_blobs, tmp_path):
    window.open_csv(two_blobs)
    _fit(qtbot, window, **FITTED)
    first = window.model
    out = tmp_path / "fit.json"
    window.export_fit(out)
    window.set_options(**OTHER)  # the user moves on
    window.open_fit(out)
    opts = window.options()
    for key, value in FITTED.items():
        assert opts[key] == value, key
    note = window.status_state.text()
    assert "Model panel set to the fit: 2 components, covariance diag" in note and "restarts 2" in note
    assert "reg_covar 0.0001" in note and "seed 7" in note
    _fit(qtbot, window)  # Run: the same model again
    np.testing.assert_allclose(window.model.means_, first.means_, rtol=1e-8, atol=1e-10)


def test_fields_the_file_does_not_record_keep_their_values(qtbot, window, two_blobs, tmp_path):
    window.open_csv(two_blobs)
    _fit(qtbot, window, **FITTED)
    out = tmp_path / "fit.json"
    window.export_fit(out)
    doc = json.loads(out.read_text())
    for key in ("max_iter", "reg_covar", "random_state"):
        del doc["options"][key]
    doc["random_seed"] = None
    out.write_text(json.dumps(doc))
    window.set_options(**OTHER)
    window.open_fit(out)
    opts = window.options()
    assert (opts["n_components"], opts["covariance_type"], opts["n_init"]) == (2, "diag", 2)
    assert (opts["max_iter"], opts["reg_covar"], opts["random_state"]) == (90, 0.5, 11)  # kept
    note = window.status_state.text()
    assert "max iterations" not in note and "reg_covar" not in note and "seed" not in note


def test_open_hmm_fit_sets_states_and_transition_prior(qtbot, window, regimes_csv, tmp_path):
    window.open_csv(regimes_csv)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence(None, "day")
    window.select_columns(["level"])
    _fit(qtbot, window, n_components=2, covariance_type="full", random_state=0, max_iter=80, n_init=1,
         transmat_prior=3.0, reg_covar=1e-3)
    out = tmp_path / "hmm.json"
    window.export_fit(out)
    window.set_model_kind("mixture")
    window.set_options(n_components=4, max_iter=33, n_init=3, reg_covar=0.2)
    window.open_fit(out)
    assert window.params_panel.model_kind() == ("hmm", "gaussian")
    opts = window.options()
    assert (opts["n_components"], opts["max_iter"], opts["n_init"]) == (2, 80, 1)
    assert opts["transmat_prior"] == 3.0 and opts["reg_covar"] == 1e-3
    note = window.status_state.text()
    assert "2 states" in note and "transition prior 3" in note


def test_a_matrix_transition_prior_is_named_not_set(qtbot, window, regimes_csv, tmp_path):
    window.open_csv(regimes_csv)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence(None, "day")
    window.select_columns(["level"])
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=50)
    out = tmp_path / "hmm.json"
    window.export_fit(out)
    doc = json.loads(out.read_text())
    doc["options"]["transmat_prior"] = [[2.0, 1.0], [1.0, 2.0]]
    out.write_text(json.dumps(doc))
    window.set_options(transmat_prior=5.0)
    window.open_fit(out)
    assert window.options()["transmat_prior"] == 5.0  # kept: the field takes one number
    assert "not set: transition prior (a matrix" in window.status_state.text()


def test_an_hmm_fit_without_transition_prior_says_1_not_none(qtbot, window, regimes_csv, tmp_path):
    # the file keeps transmat_prior null; the field shows 1 (no prior): the status bar said "transition prior None"
    window.open_csv(regimes_csv)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence(None, "day")
    window.select_columns(["level"])
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=20, n_init=1, transmat_prior=1.0)  # no prior
    out = tmp_path / "hmm.json"
    window.export_fit(out)
    assert json.loads(out.read_text())["options"]["transmat_prior"] is None
    window.set_options(transmat_prior=5.0)
    window.open_fit(out)
    assert window.options().get("transmat_prior") in (None, 1.0)  # the field back at 1
    note = window.status_state.text()
    assert "transition prior 1 (none)" in note and "None" not in note, note
