"""Issue 14 in the window: the Results / Uncertainty / Model Checks docks follow the current model,
Analysis > Bootstrap Standard Errors and Bootstrap LRT run in the background, File > Export Report."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtWidgets

from emdesk.gui.main_window import example_path

FIT_TIMEOUT = 60_000


def _fit(qtbot, window, **options):
    window.set_options(**options)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()


@pytest.fixture
def fitted(qtbot, window):
    window.open_csv(example_path())
    _fit(qtbot, window, n_components=3, n_init=3, random_state=7, init_params="random_from_data", max_iter=200)
    return window


def test_results_follow_fit_restart_and_timeline(qtbot, fitted):
    w = fitted
    panel = w.results.panel
    s = panel.summary()
    assert s is not None and s.n_components == 3 and s.n_samples == w._X.shape[0]
    assert w.results.shown_model() is w.model
    tsv = panel.tsv()
    assert "\t" in tsv and "BIC" in panel.text()
    panel.copy_tsv_button.click()
    assert QtWidgets.QApplication.clipboard().text() == tsv
    # another restart: the Results panel shows its log-likelihood
    fitted_model = w.model
    other = next(i for i in range(3) if i != fitted_model.best_restart_)
    w.show_restart(other)
    qtbot.waitUntil(lambda: w.results.shown_model() is w.model)
    ll = fitted_model.restart_parameters_[other]["log_likelihood"]
    assert panel.summary().log_likelihood == pytest.approx(ll, rel=1e-6)
    # a timeline iteration: its state is summarised once the slider rests
    w.timeline.set_index(1)
    w.timeline.indexChanged.emit(1)
    qtbot.waitUntil(lambda: w.results.shown_model() is not w.model, timeout=5000)
    np.testing.assert_allclose(w.results.shown_model().means_, w.history[1].means)


def test_results_cleared_when_data_change(qtbot, fitted):
    w = fitted
    w.select_columns([w.session.columns[0]])
    assert w.results.panel.summary() is None and w.results.shown_model() is None
    assert not w.act_bootstrap.isEnabled() and not w.act_export_report.isEnabled()


def test_uncertainty_view_lists_most_uncertain_rows_and_highlights(qtbot, fitted):
    w = fitted
    w.results.show_dock("uncertainty")
    qtbot.waitUntil(lambda: len(w.results.uncertainty.listed_rows()) > 0, timeout=5000)
    resp = w.model.predict_proba(w._X)
    expected = 1 - resp.max(axis=1)
    rows = w.results.uncertainty.listed_rows()
    assert rows[0] == int(np.argmax(expected))
    assert expected[rows[0]] >= expected[rows[-1]]
    assert w.plot_2d.highlighted_position() is None
    w.results.uncertainty.table.selectRow(2)
    assert w.results.uncertainty.selected_row() == rows[2]
    # the main plot rings the same row (issue 14), on the displayed columns, and follows an axis change
    x, y = w._X[rows[2]]
    assert w.plot_2d.highlighted_position() == pytest.approx((x, y))
    w.results.uncertainty.table.selectRow(0)
    assert w.plot_2d.highlighted_position() == pytest.approx(tuple(w._X[rows[0]]))
    w.plot_2d.y_combo.setCurrentIndex(0)
    assert w.plot_2d.highlighted_position() == pytest.approx((w._X[rows[0], 0], w._X[rows[0], 0]))
    w.plot_2d.grab().save("/tmp/emdesk_picked_row.png")
    # a new fit clears the ring
    w.select_columns([w.session.columns[0]])
    assert w.plot_2d.highlighted_position() is None and w.plot_1d.highlighted_position() is None


def test_checks_view_shows_hints(qtbot, fitted):
    w = fitted
    w.results.show_dock("checks")
    qtbot.waitUntil(lambda: w.results.checks.checks() is not None, timeout=20_000)
    checks = w.results.checks.checks()
    assert len(checks.qq) == 3 and len(checks.marginals) == 2
    assert w.results.checks.hints_label.text()


def test_bootstrap_action_fills_standard_errors(qtbot, fitted, tmp_path):
    from emdesk.io import load_fit

    w = fitted
    assert w.act_bootstrap.isEnabled()
    with qtbot.waitSignal(w.results.panel.bootstrapFinished, timeout=120_000) as blocker:
        w.results.start_bootstrap(n_boot=12, method="nonparametric", random_state=3)
        assert not w.act_bootstrap.isEnabled()
    result = blocker.args[0]
    assert result.n_done == 12
    s = w.results.panel.summary()
    assert s.standard_errors and np.all(np.isfinite(result.standard_errors["means"]))
    assert "SE" in w.results.panel.tsv()
    assert w.act_bootstrap.isEnabled()
    # Export Fit carries them (the fit file's uncertainty block; the parameters CSV's se_ columns)
    w.export_fit(tmp_path / "fit.json")
    back = load_fit(tmp_path / "fit.json")
    np.testing.assert_allclose(back.standard_errors_["means"], result.standard_errors["means"])
    w.export_fit(tmp_path / "params.csv", "parameters")
    assert "se_weight" in (tmp_path / "params.csv").read_text().splitlines()[0]


def test_bootstrap_can_be_cancelled(qtbot, fitted):
    w = fitted
    with qtbot.waitSignal(w.results.panel.bootstrapFinished, timeout=120_000) as blocker:
        w.results.start_bootstrap(n_boot=5000, method="parametric", random_state=1)
        qtbot.waitUntil(lambda: w.results.panel.boot_progress.value() >= 1, timeout=60_000)
        w.results.panel.stop_button.click()
    assert blocker.args[0].cancelled and blocker.args[0].n_done < 5000


def test_lrt_dialog_runs_and_reports(qtbot, fitted, tmp_path):
    w = fitted
    w.act_lrt.trigger()
    panel = w.results.lrt_panel()
    assert panel is not None and w.results._lrt_dialog.isVisible()
    with qtbot.waitSignal(panel.finished, timeout=120_000) as blocker:
        panel.start(max_components=2, n_boot=9, random_state=0)
    result = blocker.args[0]
    assert len(result.rows) >= 1
    out = tmp_path / "lrt.html"
    w.results.export_report(out)
    assert "<h2>Bootstrap likelihood-ratio tests" in out.read_text(encoding="utf-8")
    w.results.close_lrt_dialog()


def test_export_report_has_the_sections(qtbot, fitted, tmp_path):
    w = fitted
    with qtbot.waitSignal(w.results.panel.bootstrapFinished, timeout=120_000):
        w.results.start_bootstrap(n_boot=8, random_state=2)
    w.open_model_selection()
    dlg = w.selection.dialog
    dlg.set_options(n_components=range(1, 3), covariance_types=("full",), n_init=1)
    with qtbot.waitSignal(dlg.sweepFinished, timeout=60_000):
        dlg.start()
    out = tmp_path / "report.html"
    w.results.export_report(out)
    text = out.read_text(encoding="utf-8")
    sha = w.table.sha256
    assert sha and sha in text
    for heading in ("<h2>Data</h2>", "<h2>Model and options</h2>", "<h2>Results</h2>",
                    "<h2>Bootstrap (nonparametric)</h2>", "<h2>Model selection</h2>",
                    "<h2>Checks of the model</h2>", "<h2>Figures</h2>"):
        assert heading in text, heading
    assert "random_state" in text
    assert text.count("data:image/png;base64,") == 3
    assert not list(tmp_path.glob("*.tmp*"))
    # without a bootstrap or selection those sections are left out
    w.selection.close_dialog()
    w.show_restart(0)
    qtbot.waitUntil(lambda: w.results.panel.bootstrap_result() is None)
    w.results.export_report(out)
    text = out.read_text(encoding="utf-8")
    assert "<h2>Results</h2>" in text and "<h2>Bootstrap" not in text and "<h2>Model selection</h2>" not in text


def test_screenshots(qtbot, fitted):
    w = fitted
    w.resize(1280, 720)
    qtbot.wait(50)
    for name in ("results", "uncertainty", "checks"):
        w.results.show_dock(name)
        qtbot.wait(100)
        w.results.ensure_computed()
        assert w.grab().save(f"/tmp/g14_{name}.png")


def test_another_model_keeps_the_components_order(qtbot, fitted):
    from emdesk.engine import GaussianMixture
    from emdesk.session import aligned_model

    w = fitted
    current = w.model
    other = GaussianMixture(n_components=3, covariance_type="full", random_state=11).fit(w._X)
    # the same clusters in a shuffled order
    perm = np.array([2, 0, 1])
    shuffled = GaussianMixture.from_parameters(other.weights_[perm], other.means_[perm],
                                               other.covariances_[perm], "full")
    w.show_model(shuffled)
    qtbot.waitUntil(lambda: w.results.shown_model() is w.model)
    # component j of the shown model is the cluster nearest component j of the previous fit
    d = ((w.model.means_[:, None, :] - current.means_[None, :, :]) ** 2).sum(-1)
    assert list(d.argmin(axis=1)) == [0, 1, 2]
    np.testing.assert_allclose(np.sort(w.model.weights_), np.sort(shuffled.weights_))
    shown, theirs = w.model.predict_proba(w._X), shuffled.predict_proba(w._X)
    for j in range(3):
        i = int(np.argmin(((shuffled.means_ - w.model.means_[j]) ** 2).sum(1)))
        np.testing.assert_allclose(shown[:, j], theirs[:, i], atol=1e-8)
    # the order is unchanged when it already matches
    assert aligned_model(w.model, w.model) is w.model


def test_docks_join_a_wide_window_after_the_first_fit_only(qtbot, window):
    from emdesk.gui.main_window import MainWindow

    assert not window.results.docks["results"].isVisible()
    window.resize(1920, 1080)
    window.open_csv(example_path())
    _fit(qtbot, window, n_components=3, random_state=0)
    assert window.results.docks["results"].isVisible(), window.width()
    assert "View > Results" not in window.status_state.text()
    small = MainWindow()
    qtbot.addWidget(small)
    small.resize(1280, 720)  # the plot keeps its room; View > Results shows the dock
    small.show()
    qtbot.waitExposed(small)
    small.open_csv(example_path())
    _fit(qtbot, small, n_components=3, random_state=0)
    assert not small.results.docks["results"].isVisible()
    assert small.results.panel.summary() is not None  # filled all the same: View > Results shows it
    # and the status bar says so (a newcomer at 1280x720 saw a fit and no estimates anywhere)
    assert small.status_state.text().endswith("; View > Results shows the estimates")
    small.results.show_dock("results")
    assert small.results.docks["results"].isVisible() and not small.results.docks_hidden()
    small.close()
