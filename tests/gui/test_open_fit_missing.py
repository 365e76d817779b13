"""File > Open Fit sets the Data panel's missing-value choice to the one the fit was made with (before showing
the fit, so the fit it opened stays shown), and Run then refits the same rows: a fit with missing values made
by EM, or of the complete rows only, refits to the file's parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest

FIT_TIMEOUT = 60_000
OPTIONS = dict(n_components=2, covariance_type="full", n_init=1, max_iter=200, tol=1e-6, random_state=4)


@pytest.fixture
def holes_csv(tmp_path):
    rng = np.random.default_rng(8)
    x = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(4, 1.2, (50, 2))])
    x[rng.random(x.shape) < 0.12] = np.nan
    x[3] = np.nan  # a row with no value: left out either way
    p = tmp_path / "holes.csv"
    p.write_text("a,b\n" + "".join(",".join("" if np.isnan(v) else f"{v:.5f}" for v in row) + "\n" for row in x))
    return p


def _fit(qtbot, window, **options):
    window.set_options(**options)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()


@pytest.mark.parametrize("mode, other", [("drop", "marginalize"), ("marginalize", "drop")])
def test_open_fit_sets_the_missing_choice_keeps_the_fit_and_run_refits_it(qtbot, window, holes_csv, tmp_path,
                                                                          mode, other):
    window.open_csv(holes_csv)
    window.select_columns(["a", "b"])
    window.set_missing_mode(mode)
    _fit(qtbot, window, **OPTIONS)
    saved = tmp_path / "fit.json"
    window.export_fit(saved)
    n_fitted = json.loads(saved.read_text())["data"]["n_rows_fitted"]
    window.set_missing_mode(other)  # the user moves on
    assert window.model is None
    window.open_fit(saved)
    assert window.missing_mode() == mode
    shown = window.model
    assert shown is not None  # the opened fit is still shown
    assert window.session.X.shape[0] == n_fitted
    said = "incomplete rows dropped" if mode == "drop" else "missing values fitted by EM"
    assert f"Data panel: {said}, as the fit" in window.status_state.text()
    _fit(qtbot, window)  # Run: the same rows, the same model
    np.testing.assert_allclose(window.model.means_, shown.means_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(window.model.covariances_, shown.covariances_, rtol=1e-7, atol=1e-10)


def test_a_complete_data_fit_leaves_the_choice(qtbot, window, two_cols_csv, tmp_path):
    # missing="error" on rows that are all complete: the choice changes nothing, so it is not touched
    window.open_csv(two_cols_csv)
    _fit(qtbot, window, **OPTIONS)
    saved = tmp_path / "fit.json"
    window.export_fit(saved)
    doc = json.loads(saved.read_text())
    doc["options"]["missing"] = "error"
    saved.write_text(json.dumps(doc))
    window.set_missing_mode("marginalize")
    window.open_fit(saved)
    assert window.missing_mode() == "marginalize" and window.model is not None


@pytest.fixture
def two_cols_csv(tmp_path):
    rng = np.random.default_rng(2)
    x = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(5, 1, (40, 2))])
    p = tmp_path / "full.csv"
    p.write_text("a,b\n" + "".join(f"{u:.5f},{v:.5f}\n" for u, v in x))
    return p


def test_an_hmm_fit_with_empty_steps_sets_the_choice(qtbot, window, tmp_path):
    rng = np.random.default_rng(5)
    rows, z = [], 0
    for t in range(120):
        if rng.random() < 0.06:
            z = 1 - z
        v = rng.normal(0.0 if z == 0 else 4.0, 0.6)
        rows.append(f"{t},{'' if t % 17 == 3 else f'{v:.4f}'}\n")
    csv = tmp_path / "steps.csv"
    csv.write_text("day,level\n" + "".join(rows))
    window.open_csv(csv)
    window.set_model_kind("hmm", "gaussian")
    window.select_columns(["level"])
    window.set_missing_mode("marginalize")
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=50)
    saved = tmp_path / "hmm.json"
    window.export_fit(saved)
    window.set_missing_mode("drop")
    window.open_fit(saved)
    assert window.missing_mode() == "marginalize" and window.model is not None
    assert window.session.X.shape[0] == 120  # the empty steps kept as steps without observation
