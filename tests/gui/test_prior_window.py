"""mclust's conjugate prior in the window (issue 11): the Model panel's Prior field, disabled where it does
not apply (with the reason as its tooltip), the fit, the Results panel, the fit file, the report and the
model-selection sweep all use it."""

from __future__ import annotations

import json

import pytest

from emdesk.io import load_fit

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")
TIMEOUT = 60_000


def test_prior_field_is_disabled_with_the_reason_where_it_does_not_apply(window, csv_2d):
    window.open_csv(csv_2d)
    panel = window.params_panel
    assert panel.prior.isEnabled() and panel.options().get("prior") is None
    window.set_options(prior="default")
    assert panel.options()["prior"] == "default" and panel.prior.currentText().startswith("mclust")
    # a covariance model without a MAP step: disabled, shown as none, the tooltip says which to choose
    window.set_options(covariance_type="EVE")
    assert not panel.prior.isEnabled() and panel.options().get("prior") is None
    assert "EVE has no conjugate prior" in panel.prior.toolTip() and "VVV" in panel.prior.toolTip()
    window.set_options(covariance_type="VVV")  # the choice comes back
    assert panel.prior.isEnabled() and panel.options()["prior"] == "default"
    # another family: disabled, and the session's next fit has no prior
    window.set_model_kind("mixture", "student_t")
    assert not panel.prior.isEnabled() and panel.options().get("prior") is None
    assert "Gaussian mixtures only" in panel.prior.toolTip()
    with pytest.raises(ValueError, match="Gaussian mixtures only"):
        window.set_options(prior="default")
    window.set_model_kind("hmm", "gaussian")
    assert not panel.prior.isEnabled()
    window.set_model_kind("mixture", "gaussian")
    assert panel.prior.isEnabled() and panel.options()["prior"] == "default"
    with pytest.raises(ValueError, match="prior must be None or 'default'"):
        window.set_options(prior="flat")


def test_a_fit_with_the_prior_is_shown_saved_reported_and_loaded(qtbot, window, csv_2d, tmp_path):
    window.open_csv(csv_2d)
    window.set_options(n_components=2, covariance_type="full", prior="default", random_state=0, n_init=2)
    with qtbot.waitSignal(window.fitFinished, timeout=TIMEOUT):
        window.start_fit()
    m = window.model
    assert m.prior == "default" and m.log_prior_ < 0
    assert window.session.fit_params["prior"] == "default"
    window.results.refresh()
    title = window.results.panel.title.text()
    assert "prior: <b>mclust's default (conjugate)</b>" in title.replace("&#x27;", "'")
    assert "Prior: mclust's default (conjugate)" in window.results.panel.text()
    path = tmp_path / "fit.json"
    window.export_fit(path)
    doc = json.loads(path.read_text())
    assert doc["options"]["prior"] == "default"
    assert doc["fit"]["log_prior"] == pytest.approx(m.log_prior_, rel=1e-12)
    loaded = load_fit(path)
    assert loaded.get_params()["prior"] == "default"
    window.results.export_report(tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8").replace("&#x27;", "'")
    assert "Prior: mclust's default (conjugate) (mclust's conjugate prior" in html
    # the weighted likelihood bootstrap refits with row weights, which the prior takes none of: greyed out
    panel = window.results.panel
    weighted = panel.method_box.model().item(panel.METHODS.index("weighted"))
    assert not weighted.isEnabled() and "prior" in panel.method_box.toolTip()
    assert panel.method_box.model().item(panel.METHODS.index("nonparametric")).isEnabled()


def test_model_selection_sweeps_with_the_panels_prior(qtbot, window, csv_2d):
    window.open_csv(csv_2d)
    window.set_options(prior="default", random_state=0)
    window.open_model_selection()
    dlg = window.selection.dialog
    assert dlg.options()["prior"] == "default"
    ticked = [t for t, b in dlg.type_boxes.items() if b.isChecked()]
    assert sorted(ticked) == ["EEE", "VII", "VVI", "VVV"]
    assert "prior: mclust's default" in dlg.windowTitle()
    dlg.set_options(n_init=1, n_components=range(1, 3))
    with qtbot.waitSignal(dlg.sweepFinished, timeout=TIMEOUT) as blocker:
        dlg.start()
    result = blocker.args[0]
    assert len(result.table) == 8
    assert all(r.model.prior == "default" for r in result.table if r.ok)
    dlg.close()


def test_trace_and_status_name_the_log_posterior_of_a_fit_with_the_prior(qtbot, window, csv_2d):
    window.open_csv(csv_2d)
    window.set_options(n_components=2, prior="default", random_state=0, n_init=1)
    with qtbot.waitSignal(window.fitFinished, timeout=TIMEOUT):
        window.start_fit()
    qtbot.waitUntil(lambda: window.status_ll.text() != "log-likelihood -", timeout=TIMEOUT)
    assert window.status_ll.text().startswith("log-posterior")
    assert window.trace.plot.getPlotItem().getAxis("left").labelText == "log-post / row"
    assert window.restarts_view.plot.getPlotItem().getAxis("left").labelText == "Final log-posterior"
    window.set_options(prior=None)
    with qtbot.waitSignal(window.fitFinished, timeout=TIMEOUT):
        window.start_fit()
    qtbot.waitUntil(lambda: window.status_ll.text().startswith("log-likelihood "), timeout=TIMEOUT)
    assert window.trace.plot.getPlotItem().getAxis("left").labelText == "log-lik. / row"
    assert window.restarts_view.plot.getPlotItem().getAxis("left").labelText == "Final log-likelihood"
