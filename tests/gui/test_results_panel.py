"""pytest-qt tests of the Results panel and the uncertainty view (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from emdesk.engine import GaussianMixture
from emdesk.engine.bootstrap import bootstrap
from emdesk.engine.checks import classification_uncertainty
from emdesk.engine.summary import summary
from emdesk.gui.results_panel import ResultsPanel
from emdesk.gui.uncertainty_view import UncertaintyView


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([0, 0], 1.0, (80, 2)), rng.normal([3, 1], [1.0, 0.5], (80, 2))])
    gm = GaussianMixture(2, random_state=0).fit(X)
    gm.feature_names_in_ = ["height", "weight"]
    boot = bootstrap(gm, X, n_boot=15, random_state=0, n_jobs=1)
    return gm, X, boot


@pytest.fixture
def panel(qtbot):
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.resize(640, 700)
    p.show()
    return p


def _cells(table):
    return [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def test_panel_shows_the_summary_tables(panel, fit):
    gm, X, _ = fit
    s = summary(gm, X)
    assert not panel.copy_text_button.isEnabled()
    panel.set_summary(s)
    assert panel.table_titles()[:3] == ["Model", "Clustering table (rows per component by MAP)",
                                        "Mixing probabilities"]
    model = dict((r[0], r[1]) for r in _cells(panel.table_widget("Model")))
    assert model["n"] == "160" and model["components"] == "2" and float(model["BIC"]) == pytest.approx(s.bic, rel=1e-5)
    means = panel.table_widget("Means")
    assert [means.horizontalHeaderItem(c).text() for c in range(means.columnCount())] == ["", "component 1", "component 2"]
    assert means.item(1, 0).text() == "weight"
    assert means.item(0, 1).data(QtCore.Qt.ItemDataRole.UserRole) == pytest.approx(s.means[0, 0])
    counts = _cells(panel.table_widget("Clustering table (rows per component by MAP)"))[0]
    assert [int(c) for c in counts] == list(s.clustering)
    assert not panel.show_se.isEnabled()


def test_standard_error_columns_follow_the_checkbox(panel, fit):
    gm, X, boot = fit
    panel.set_summary(summary(gm, X, bootstrap=boot))
    assert panel.show_se.isEnabled() and panel.showing_standard_errors()
    means = panel.table_widget("Means")
    assert means.columnCount() == 5 and means.horizontalHeaderItem(2).text() == "SE"
    assert means.item(0, 2).data(QtCore.Qt.ItemDataRole.UserRole) == pytest.approx(boot.standard_errors["means"][0, 0])
    assert "(" in panel.text()
    panel.show_se.setChecked(False)
    assert panel.table_widget("Means").columnCount() == 3
    assert "SE" not in panel.tsv().split("\n\n")[3]


def test_copy_buttons_put_text_and_tsv_on_the_clipboard(panel, fit, qtbot):
    gm, X, boot = fit
    s = summary(gm, X, bootstrap=boot)
    panel.set_summary(s)
    with qtbot.waitSignal(panel.copied) as blocker:
        qtbot.mouseClick(panel.copy_tsv_button, QtCore.Qt.MouseButton.LeftButton)
    assert blocker.args == ["tsv"]
    assert QtGui.QGuiApplication.clipboard().text() == s.to_tsv()
    qtbot.mouseClick(panel.copy_text_button, QtCore.Qt.MouseButton.LeftButton)
    assert QtGui.QGuiApplication.clipboard().text() == s.to_text()


def test_tables_are_reused_and_cleared(panel, fit):
    gm, X, _ = fit
    panel.set_summary(summary(gm, X))
    first = panel.table_widget("Means")
    gm1 = GaussianMixture(1).fit(X)
    panel.set_summary(summary(gm1, X))
    assert panel.table_widget("Means") is first and first.columnCount() == 2
    assert "Covariance matrix, component 2" not in panel.table_titles()
    panel.clear()
    assert panel.table_titles() == [] and panel.text() == "" and not panel.copy_tsv_button.isEnabled()


@pytest.fixture
def view(qtbot):
    v = UncertaintyView(n_listed=10)
    qtbot.addWidget(v)
    v.resize(800, 500)
    v.show()
    return v


def test_uncertainty_view_lists_and_sizes_by_uncertainty(view, fit):
    gm, X, _ = fit
    u = classification_uncertainty(gm, X)
    scatter = view.scatter
    view.set_data(X, u, axis_names=("height", "weight"))
    items_before = list(view.plot.getPlotItem().items)
    assert view.listed_rows() == list(u.most_uncertain(10))
    assert view.table.rowCount() == 10
    assert view.table.item(0, 0).text() == str(u.most_uncertain(1)[0] + 1)
    shown = view.shown_rows()
    sizes = np.array([p.size() for p in scatter.points()])
    rows = np.array([p.data() for p in scatter.points()])
    assert set(rows) == set(range(160)) and set(shown) == set(range(160))
    # a larger uncertainty never gets a smaller point
    order = np.argsort(u.values[rows], kind="stable")
    assert np.all(np.diff(sizes[order]) >= -1e-9)
    # set_data again reuses the items
    view.set_data(X + 1, u)
    assert view.scatter is scatter and list(view.plot.getPlotItem().items) == items_before


def test_selecting_a_listed_row_highlights_it(view, fit, qtbot):
    gm, X, _ = fit
    u = classification_uncertainty(gm, X)
    view.set_data(X, u)
    target = view.listed_rows()[3]
    with qtbot.waitSignal(view.rowSelected) as blocker:
        view.table.selectRow(3)
    assert blocker.args == [target]
    assert view.selected_row() == target
    hx, hy = view.highlight.getData()
    assert (hx[0], hy[0]) == (X[target, 0], X[target, 1])
    # selecting from outside (the data panel) highlights without emitting
    other = view.listed_rows()[0]
    with qtbot.assertNotEmitted(view.rowSelected):
        view.select_row(other)
    assert view.table.selectionModel().selectedRows()[0].row() == 0
    view.select_row(None)
    assert len(view.highlight.getData()[0]) == 0
    with pytest.raises(ValueError):
        view.select_row(1000)


def test_one_column_plots_uncertainty_on_y_and_subsamples_large_data(qtbot):
    v = UncertaintyView(n_listed=5, max_points=100)
    qtbot.addWidget(v)
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, 500), rng.normal(3, 1, 500)])
    gm = GaussianMixture(2, random_state=0).fit(x[:, None])
    u = classification_uncertainty(gm, x[:, None])
    v.set_data(x, u, axis_names=("x",))
    shown = v.shown_rows()
    assert 100 <= shown.size <= 105 and set(v.listed_rows()) <= set(shown)
    px, py = v.scatter.getData()
    np.testing.assert_allclose(py, u.values[shown])
    with pytest.raises(ValueError, match="one of each"):
        v.set_data(x[:10], u)
    v.clear()
    assert v.listed_rows() == [] and v.table.rowCount() == 0


def test_widget_png_feeds_the_report(view, fit, tmp_path):
    from emdesk.gui.results_panel import widget_png
    from emdesk.io.report import write_report

    gm, X, _ = fit
    view.set_data(X, classification_uncertainty(gm, X))
    png = widget_png(view)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = QtGui.QImage.fromData(png, "PNG")
    assert (img.width(), img.height()) == (view.width() * view.devicePixelRatio(), view.height() * view.devicePixelRatio())
    text = write_report(tmp_path / "r.html", figures=[("uncertainty", png)])
    assert "data:image/png;base64," in text


@pytest.fixture
def boot_panel(qtbot):
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.resize(700, 700)
    p.show()
    yield p
    p.shutdown()


def test_bootstrap_from_the_panel_adds_standard_errors(boot_panel, fit, qtbot):
    gm, X, _ = fit
    p = boot_panel
    assert not p.boot_button.isEnabled()
    with pytest.raises(ValueError, match="set_fit"):
        p.start_bootstrap()
    p.set_fit(gm, X, ["height", "weight"])
    assert p.boot_button.isEnabled() and not p.stop_button.isEnabled()
    assert p.table_widget("Means").columnCount() == 3
    with qtbot.waitSignal(p.bootstrapFinished, timeout=60000) as blocker:
        p.start_bootstrap(n_boot=12, method="parametric", random_state=5)
        assert p.stop_button.isEnabled() and not p.boot_button.isEnabled() and p.is_bootstrapping()
    (result,) = blocker.args
    direct = bootstrap(gm, X, n_boot=12, method="parametric", random_state=5, n_jobs=1)
    np.testing.assert_allclose(result.standard_errors["means"], direct.standard_errors["means"])
    assert p.bootstrap_result() is result and not p.is_bootstrapping()
    means = p.table_widget("Means")
    assert means.columnCount() == 5
    assert means.item(0, 2).data(QtCore.Qt.ItemDataRole.UserRole) == pytest.approx(direct.standard_errors["means"][0, 0])
    assert "12 replicates" in p.boot_status.text() and "Parametric" in p.boot_status.text()
    assert p.boot_button.isEnabled() and not p.stop_button.isEnabled()


def test_stop_keeps_the_partial_bootstrap_and_a_new_fit_drops_it(boot_panel, fit, qtbot):
    gm, X, _ = fit
    p = boot_panel
    p.set_fit(gm, X)
    with qtbot.waitSignal(p.bootstrapFinished, timeout=60000) as blocker:
        p.start_bootstrap(n_boot=50000, random_state=0)
        qtbot.waitUntil(lambda: p.boot_progress.value() >= 3, timeout=30000)
        qtbot.mouseClick(p.stop_button, QtCore.Qt.MouseButton.LeftButton)
    assert blocker.args[0].cancelled and "stopped" in p.boot_status.text()
    assert p.table_widget("Means").columnCount() == 5
    # a bootstrap running when another fit arrives is stopped and its result dropped
    finished = []
    p.bootstrapFinished.connect(finished.append)
    p.start_bootstrap(n_boot=50000)
    gm1 = GaussianMixture(1).fit(X)
    p.set_fit(gm1, X)
    qtbot.waitUntil(lambda: not p._runner.is_running(), timeout=30000)
    qtbot.wait(50)
    assert finished == [] and p.bootstrap_result() is None
    assert p.table_widget("Means").columnCount() == 2 and p.boot_button.isEnabled()


def test_bootstrap_of_another_kind_of_model_runs_and_refuses_what_it_cannot_do(qtbot, panel):
    # Asked on a Poisson fit, the panel said "No fit to bootstrap", though a fit was shown; since the second
    # round of issue 14 every kind bootstraps (the weighted likelihood bootstrap stays with Gaussian mixtures)
    from emdesk.engine import PoissonMixture

    rng = np.random.default_rng(1)
    X = np.concatenate([rng.poisson(2, 60), rng.poisson(9, 60)]).astype(float)[:, None]
    panel.set_fit(PoissonMixture(2, random_state=0).fit(X), X)
    assert not panel.method_box.model().item(2).isEnabled()
    with pytest.raises(ValueError, match="weighted likelihood bootstrap needs a fit with row weights"):
        panel.start_bootstrap(method="weighted")
    with qtbot.waitSignal(panel.bootstrapFinished, timeout=60_000):
        panel.start_bootstrap(n_boot=8, method="parametric", random_state=2)
    assert "SE" in [panel.table_widget("Rates (mean counts)").horizontalHeaderItem(c).text() for c in range(5)]
    panel.clear()
    with pytest.raises(ValueError, match="No fit to bootstrap"):
        panel.start_bootstrap()
    panel.shutdown()


def test_the_bootstrap_controls_fit_a_dock_beside_the_plot(qtbot, fit):
    # In one row they set the panel's minimum width to about 730 px: a 390 px dock (a 1280 px window) cut
    # off the seed, the buttons and the end of the title.
    gm, X, _ = fit
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.set_fit(gm, X)
    assert p.minimumSizeHint().width() <= 400
    p.resize(390, 700)
    p.show()
    qtbot.waitExposed(p)
    for w in (p.method_box, p.n_boot_spin, p.seed_spin, p.boot_button, p.stop_button, p.title):
        right = w.mapTo(p, w.rect().topRight()).x()
        assert 0 <= right <= p.width(), w


def test_uncertainty_plot_is_hidden_without_rows_to_draw(view, fit):
    # Cleared (no fit, or a model the view does not cover, such as a Poisson fit) it kept the previous fit's
    # axes; before the first fit it showed empty 0-1 axes.
    gm, X, _ = fit
    fresh = UncertaintyView()
    assert fresh.plot.isHidden()
    view.set_data(X, classification_uncertainty(gm, X))
    assert not view.plot.isHidden()
    view.clear()
    assert view.plot.isHidden() and view.summary_label.text() == "No fit yet."
    view.set_data(X, classification_uncertainty(gm, X))
    assert not view.plot.isHidden()


@pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")
def test_an_hmm_of_one_sequence_bootstraps_parametrically_only(panel):
    # an HMM's rows are not exchangeable: the nonparametric bootstrap resamples whole sequences, so with one
    # sequence only the parametric one (simulated from the fitted chain) is offered
    from emdesk.engine import GaussianHMM

    rng = np.random.default_rng(2)
    X = rng.normal(np.repeat([0.0, 3.0, 0.0], 40), 1.0)[:, None]
    h = GaussianHMM(2, random_state=0).fit(X)
    panel.set_fit(h, X)
    items = panel.method_box.model()
    assert [items.item(i).isEnabled() for i in range(3)] == [False, True, False]
    assert panel.METHODS[panel.method_box.currentIndex()] == "parametric"
    assert "one: parametric only" in panel.method_box.toolTip()
    with pytest.raises(ValueError, match="does not apply"):
        panel.start_bootstrap(method="nonparametric")
    panel.set_fit(h, np.r_[X, X], lengths=[120, 120])
    assert [items.item(i).isEnabled() for i in range(3)] == [True, True, False]
