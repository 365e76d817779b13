"""The degeneracy guard (issue 7): collapsing components flagged on the plot and in the status bar, and a
non-modal bar whose one-click fixes change the Model panel and run a new fit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from emdesk.engine import Snapshot
from emdesk.engine.diagnostics import ComponentIssue
from emdesk.gui.guard_bar import FIX_ORDER, propose_fixes, status_text

FIT_TIMEOUT = 60_000


@pytest.fixture
def dup_csv(tmp_path):
    # 41 rows on three distinct values: three components collapse onto them
    p = tmp_path / "dup.csv"
    p.write_text("v\n" + "\n".join(["1.0"] * 20 + ["5.0"] * 20 + ["5.5"]) + "\n")
    return p


@pytest.fixture
def dup_csv_2d(tmp_path):
    p = tmp_path / "dup2.csv"
    rows = ["1.0,1.0"] * 20 + ["5.0,4.0"] * 20 + ["5.5,4.5", "5.0,4.5"]
    p.write_text("a,b\n" + "\n".join(rows) + "\n")
    return p


def _collapse(qtbot, window, path, **options):
    window.open_csv(path)
    window.set_options(**{"n_components": 3, "n_init": 1, "random_state": 0, "reg_covar": 1e-6, "max_iter": 200,
                          "covariance_type": "full", **options})
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    qtbot.waitUntil(lambda: window._shown_index == len(window.history) - 1)
    assert window.model.degeneracies_


def test_collapsing_fit_shows_the_bar_with_four_fixes(qtbot, window, dup_csv):
    assert not window.guard_bar.isVisible() and window.degeneracy_fixes() == []
    _collapse(qtbot, window, dup_csv)
    bar = window.guard_bar
    assert bar.isVisible() and not window.message_bar.isVisible()  # one bar, not two
    assert window.degeneracy_fixes() == list(FIX_ORDER)
    for name in FIX_ORDER:
        b = bar.buttons[name]
        assert b.isVisible() and b.isEnabled() and b.text() and b.toolTip()
    assert "\u2192 0.00041" in bar.buttons["raise_reg_covar"].text()  # 1e-4 x the variance of the data, 4.1
    assert "0.00041" in bar.buttons["raise_reg_covar"].toolTip()
    assert "\u2192 2" in bar.buttons["fewer_components"].text()
    assert "degenerate" in bar.label.text()
    level, text = window.last_message
    assert level == "warning" and "degenerate" in text
    # flagged on the plot: one warning overlay per flagged component, labels numbered from 1
    flagged = sorted({i.component for i in window.history[-1].issues})
    ov = window.guard_overlay_1d
    assert ov.flagged == flagged
    shown = [lab for lab in ov._labels if lab.isVisible()]
    assert sorted(lab.textItem.toPlainText() for lab in shown) == sorted(f"\u26a0 {c + 1}" for c in flagged)
    assert sum(c.isVisible() for c in ov._curves) == len(flagged)
    # in the status bar, naming the components
    sg = window.status_guard
    assert sg.isVisible() and "collapsing" in sg.text()
    assert all(str(c + 1) in sg.text() for c in flagged)


def test_two_dimensional_plot_flags_the_component(qtbot, window, dup_csv_2d):
    _collapse(qtbot, window, dup_csv_2d)
    flagged = sorted({i.component for i in window.history[-1].issues})
    ov = window.guard_overlay_2d
    assert ov.flagged == flagged and len(flagged) >= 1
    x, y = ov.rings.getData()
    means = window.history[-1].means
    np.testing.assert_allclose(np.sort(x), np.sort(means[flagged, 0]))
    np.testing.assert_allclose(np.sort(y), np.sort(means[flagged, 1]))
    assert window.status_guard.isVisible() and "ollapsing" in window.status_guard.text()
    assert window.degeneracy_fixes()
    # ticking the columns again forgets the fit: no flags, no bar
    window.select_columns(["a", "b"])
    assert ov.flagged == [] and not window.status_guard.isVisible() and window.degeneracy_fixes() == []


@pytest.mark.parametrize("name", FIX_ORDER)
def test_each_fix_changes_its_parameter_and_runs_a_new_fit(qtbot, window, dup_csv, name):
    _collapse(qtbot, window, dup_csv)
    before = window.options()
    old_model = window.model
    button = window.guard_bar.buttons[name]
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
    after = window.options()
    model = window.model
    assert model is not old_model and window.history[0].iteration == 0
    changed = {key for key in after if after[key] != before[key]}
    if name == "raise_reg_covar":
        assert changed == {"reg_covar"}
        assert after["reg_covar"] >= 100 * before["reg_covar"]
        assert after["reg_covar"] >= 1e-4 * np.var(np.r_[[1.0] * 20, [5.0] * 20, 5.5]) * 0.99
        assert window.params_panel.reg_covar.text() == f"{after['reg_covar']:g}"
        assert model.reg_covar == after["reg_covar"]
    elif name == "fewer_components":
        assert changed == {"n_components"} and after["n_components"] == 2
        assert window.params_panel.n_components.value() == 2 and model.n_components == 2
    elif name == "constrained_covariance":
        assert changed == {"covariance_type"} and after["covariance_type"] == "tied"
        assert window.params_panel.covariance_type.currentText() == "tied" and model.covariance_type == "tied"
    else:
        assert changed == {"random_state"} and after["random_state"] is not None
        assert window.params_panel.seed.value() == after["random_state"]
        assert model.random_state == after["random_state"]


def test_bar_closes_when_a_clean_fit_runs(qtbot, window, dup_csv):
    _collapse(qtbot, window, dup_csv)
    assert window.guard_bar.isVisible()
    window.set_options(n_components=1)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert not window.model.degeneracies_
    assert not window.guard_bar.isVisible() and window.degeneracy_fixes() == []
    assert not window.status_guard.isVisible() and window.guard_overlay_1d.flagged == []
    with pytest.raises(ValueError, match="not offered"):
        window.apply_fix("raise_reg_covar")


def test_bar_shows_while_em_runs_and_after_a_stop(qtbot, window, dup_csv):
    window.open_csv(dup_csv)
    window.set_options(n_components=3, random_state=0, reg_covar=1e-6, max_iter=200)
    window.start_fit(paused=True)
    # iteration 0 of this fit already has collapsed components (kmeans++ puts them on tied values)
    qtbot.waitUntil(lambda: window._shown_index >= 0, timeout=FIT_TIMEOUT)
    assert window.is_fitting() and window.history[0].issues
    qtbot.waitUntil(window.guard_bar.isVisible)
    assert "collapsing" in window.guard_bar.label.text() and "iteration 0" in window.guard_bar.label.text()
    assert window.degeneracy_fixes() == list(FIX_ORDER)
    assert "Component" in window.status_guard.text()
    with qtbot.waitSignal(window.fitStopped, timeout=FIT_TIMEOUT):
        window.stop_fit()
    assert window.guard_bar.isVisible() and "stopped fit" in window.guard_bar.label.text()
    # a fix applied to a running fit stops it and starts the new one
    window.start_fit(paused=True)
    qtbot.waitUntil(lambda: window._shown_index >= 0 and window.guard_bar.isVisible(), timeout=FIT_TIMEOUT)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.apply_fix("fewer_components")
    assert window.model.n_components == 2


def test_fixes_clear_hand_placed_means_where_they_conflict(qtbot, window, dup_csv):
    window.open_csv(dup_csv)
    window.set_options(random_state=0, reg_covar=1e-6)
    window.set_start_means([1.0, 5.0, 5.5])
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert window.degeneracy_fixes()
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.apply_fix("raise_reg_covar")  # keeps the placed means
    np.testing.assert_allclose(window.history[0].means[:, 0], [1.0, 5.0, 5.5], atol=1e-9)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.apply_fix("fewer_components")  # k - 1 means cannot all be the placed ones: they are cleared
    assert window.start_means().shape == (0, 1) and window.model.n_components == 2


def _snap(weights, n, issues, d=2, ct="full"):
    k = len(weights)
    return Snapshot(restart=0, n_init=1, iteration=4, weights=np.asarray(weights, float),
                    means=np.zeros((k, d)), covariances=np.tile(np.eye(d), (k, 1, 1)), covariance_type=ct,
                    log_likelihood=0.0, lower_bound=0.0, change=np.nan, converged=False, final=False,
                    issues=tuple(issues), n_samples=float(n))


def test_status_text_names_the_component_and_why():
    s = _snap([0.5, 0.479, 0.021], 100, [ComponentIssue(2, "too_few_points", "m")])
    assert status_text(s) == "Component 3 is collapsing (2.1 effective points < d+1 = 3)"
    s = _snap([0.5, 0.5], 100, [ComponentIssue(1, "variance_floor", "m")])
    assert status_text(s) == "Component 2 is collapsing (variance at the reg_covar floor)"
    s = _snap([0.5, 0.5], 100, [ComponentIssue(0, "variance_floor", "m"), ComponentIssue(1, "variance_floor", "m")])
    assert status_text(s).startswith("Components 1, 2 are collapsing")
    assert status_text(_snap([0.5, 0.5], 100, [])) == ""


def test_fix_rules():
    opts = {"n_components": 3, "covariance_type": "full", "reg_covar": 1e-6, "random_state": 0}
    fixes = propose_fixes(opts, data_variances=[4.0, 100.0])
    assert list(fixes) == list(FIX_ORDER)
    assert fixes["raise_reg_covar"][2] == {"reg_covar": 4e-4}  # 1e-4 x the smallest column variance
    assert propose_fixes(dict(opts, reg_covar=1e-2), [4.0])["raise_reg_covar"][2] == {"reg_covar": 1.0}  # x100
    assert fixes["fewer_components"][2] == {"n_components": 2}
    assert fixes["constrained_covariance"][2] == {"covariance_type": "tied"}
    assert fixes["new_initialisation"][2]["random_state"] != 0
    only = propose_fixes(dict(opts, n_components=1, covariance_type="tied"))
    assert list(only) == ["raise_reg_covar", "new_initialisation"]
    # One component: tied is the same model as full (and less constrained than diag or spherical).
    for ct in ("full", "diag", "spherical"):
        assert "constrained_covariance" not in propose_fixes(dict(opts, n_components=1, covariance_type=ct))


def test_a_numerical_breakdown_offers_the_fixes_too(qtbot, window, dup_csv, monkeypatch):
    from emdesk.engine import GaussianMixture

    real = GaussianMixture.fit_iter

    def breaking(self, X, *args, **kwargs):
        it = real(self, X, *args, **kwargs)
        yield next(it)
        yield next(it)
        raise ValueError("covariance 2 is not positive definite after iteration 2. Increase reg_covar.")

    monkeypatch.setattr(GaussianMixture, "fit_iter", breaking)
    window.open_csv(dup_csv)
    window.set_options(n_components=3, random_state=0)
    with qtbot.waitSignal(window.fitFailed, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert window.last_message[0] == "error" and "not positive definite" in window.last_message[1]
    assert window.guard_bar.isVisible() and "broke down" in window.guard_bar.label.text()
    assert window.degeneracy_fixes() == list(FIX_ORDER)
    monkeypatch.setattr(GaussianMixture, "fit_iter", real)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.apply_fix("fewer_components")
    assert window.model.n_components == 2


def test_bar_appears_while_an_unpaused_fit_runs(qtbot, window, dup_csv):
    window.open_csv(dup_csv)
    window.set_options(n_components=3, random_state=0, reg_covar=1e-6, tol=0.0, max_iter=100_000)
    window.params_panel.set_delay(0.05)  # 20 iterations a second: the fit is still running when we look
    window.start_fit()
    qtbot.waitUntil(window.guard_bar.isVisible, timeout=FIT_TIMEOUT)
    assert window.is_fitting() and not window.is_paused()
    assert "collapsing" in window.guard_bar.label.text()
    assert len(window.history) >= 3 and all(s.issues for s in window.history[-3:])
    with qtbot.waitSignal(window.fitStopped, timeout=FIT_TIMEOUT):
        window.stop_fit()


def test_screenshot_of_a_collapsing_fit(qtbot, window, rgb_pixels, dup_csv_2d):
    import os
    import tempfile

    from emdesk.gui.guard_bar import WARN_RGB

    _collapse(qtbot, window, dup_csv_2d)
    qtbot.wait(50)
    shots = os.path.join(tempfile.gettempdir(), "emdesk-screenshots")
    os.makedirs(shots, exist_ok=True)
    assert window.grab().save(os.path.join(shots, "emdesk-guard.png"))
    # the bar is drawn (its orange background) and the plot carries the red warning overlay
    assert rgb_pixels(window.guard_bar, (0xFF, 0xF4, 0xE5), tol=12) > 5_000
    assert rgb_pixels(window.plot_2d.plot, WARN_RGB) > 100
    for b in window.guard_bar.buttons.values():  # every button shows its whole text
        assert b.width() >= b.sizeHint().width()


def test_fixes_answer_the_fit_that_collapsed_not_later_edits_of_the_panel(qtbot, window, dup_csv):
    window.open_csv(dup_csv)
    window.set_options(n_components=3, random_state=0, reg_covar=1e-6, max_iter=200, covariance_type="full")
    window.start_fit(paused=True)
    qtbot.waitUntil(lambda: len(window.history) >= 1, timeout=FIT_TIMEOUT)
    window.set_options(n_components=6, covariance_type="tied", reg_covar=0.5)  # for the next Run
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.resume_fit()
    assert window.model.n_components == 3 and window.model.degeneracies_
    bar = window.guard_bar
    assert "constrained_covariance" in window.degeneracy_fixes()  # the collapsed fit was "full"
    assert "\u2192 2" in bar.buttons["fewer_components"].text()
    assert "\u2192 0.00041" in bar.buttons["raise_reg_covar"].text()


def test_a_large_ridge_is_offered_lower_not_higher():
    # reg_covar 1.0 on columns of variance 4 and 100: the flagged components sit at the ridge's own floor, and
    # "Raise reg_covar (-> 100)" would hold them there further (the fall message names this cause too)
    opts = {"n_components": 3, "covariance_type": "full", "reg_covar": 1.0, "random_state": 0}
    fixes = propose_fixes(opts, data_variances=[4.0, 100.0])
    assert "raise_reg_covar" not in fixes
    text, tip, change = fixes["lower_reg_covar"]
    assert change == {"reg_covar": 0.01} and "\u2192 0.01" in text and "(1)" in tip
    assert list(fixes)[0] == "lower_reg_covar"
    # just under the threshold (1e-2 of the smallest variance): still raised
    assert "raise_reg_covar" in propose_fixes(dict(opts, reg_covar=0.039), [4.0, 100.0])
    assert "lower_reg_covar" in propose_fixes(dict(opts, reg_covar=0.04), [4.0, 100.0])
    # relative: r >= 1e-2 is large whatever the data
    rel = propose_fixes(dict(opts, reg_covar="relative:0.05"))
    assert rel["lower_reg_covar"][2] == {"reg_covar": "relative:0.0005"} and "raise_reg_covar" not in rel
    assert "raise_reg_covar" in propose_fixes(dict(opts, reg_covar="relative"))
    # an HMM's Gaussian states get the same choice
    from emdesk.gui.guard_bar import propose_hmm_fixes

    hmm = propose_hmm_fixes({"n_components": 2, "reg_covar": 1.0}, "gaussian", {"variance_floor"}, [4.0])
    assert "lower_reg_covar" in hmm and "raise_reg_covar" not in hmm


def test_the_lower_fix_runs_a_new_fit_from_the_bar(qtbot, window, dup_csv):
    _collapse(qtbot, window, dup_csv, reg_covar=1.0)
    assert "lower_reg_covar" in window.degeneracy_fixes() and "raise_reg_covar" not in window.degeneracy_fixes()
    button = window.guard_bar.buttons["lower_reg_covar"]
    assert button.isVisible() and not window.guard_bar.buttons["raise_reg_covar"].isVisible()
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
    assert window.options()["reg_covar"] == 0.01 and window.model.reg_covar == 0.01
