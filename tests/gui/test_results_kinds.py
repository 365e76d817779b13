"""Issue 14 for the other model kinds: the Results panel shows an HMM's start probabilities, transition
matrix, expected durations and emissions, a Student-t fit's degrees of freedom and outlier rows, Poisson
rates and categorical probabilities with their labels; the Model Checks dock shows an HMM's pseudo-residuals;
the report carries them."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6 import QtWidgets

FIT_TIMEOUT = 60_000
pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _fit(qtbot, window, **options):
    window.set_options(**options)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()


@pytest.fixture
def regimes_csv(tmp_path):
    rng = np.random.default_rng(11)
    rows = []
    for sid, T in (("north", 300), ("south", 200)):
        z = 0
        for t in range(T):
            if rng.random() < 0.04:
                z = 1 - z
            rows.append((sid, t, rng.normal(0.0 if z == 0 else 4.0, 0.6), int(rng.poisson(1 if z == 0 else 7))))
    p = tmp_path / "regimes.csv"
    p.write_text("site,day,level,events\n" + "".join(f"{r[0]},{r[1]},{r[2]:.4f},{r[3]}\n" for r in rows))
    return p


@pytest.fixture
def families_csv(tmp_path):
    rng = np.random.default_rng(7)
    n = 300
    z = np.repeat([0, 1], n // 2)
    x = np.where(z == 0, rng.normal(0, 1, n), rng.normal(7, 1, n))
    y = np.where(z == 0, rng.normal(0, 1, n), rng.normal(5, 1, n))
    x[:3] = [30, -25, 28]  # gross outliers (rows 1-3)
    y[:3] = [-20, 25, 30]
    cnt = np.where(z == 0, rng.poisson(1.5, n), rng.poisson(9, n))
    colour = np.where(rng.random(n) < 0.9, np.where(z == 0, "red", "blue"), np.where(z == 0, "blue", "red"))
    lines = ["x,y,count,colour"] + [f"{x[i]:.4f},{y[i]:.4f},{cnt[i]},{colour[i]}" for i in range(n)]
    p = tmp_path / "families.csv"
    p.write_text("\n".join(lines) + "\n")
    return p


def _table(panel, title):
    t = panel.table_widget(title)
    return [[t.item(r, c).text() if t.item(r, c) else "" for c in range(t.columnCount())]
            for r in range(t.rowCount())]


def test_hmm_results_and_pseudo_residuals(qtbot, window, regimes_csv, tmp_path):
    from emdesk.engine.checks import hmm_pseudo_residuals

    window.resize(1920, 1080)
    window.open_csv(regimes_csv)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence("site", "day")
    window.select_columns(["level"])
    _fit(qtbot, window, n_components=2, random_state=0)
    m, s = window.model, window.session
    panel = window.results.panel
    summ = panel.summary()
    assert summ is not None and summ.kind == "hmm" and summ.n_components == 2
    titles = panel.table_titles()
    for t in ("Start probabilities", "Transition matrix (row: from, column: to)", "State durations and occupancy",
              "Means", "Standard deviations"):
        assert t in titles
    A = m.transmat_
    rows = _table(panel, "State durations and occupancy")
    assert rows[0][0] == "expected duration (time steps)"
    assert float(rows[0][1]) == pytest.approx(1 / (1 - A[0, 0]), rel=1e-5)
    assert float(rows[0][2]) == pytest.approx(1 / (1 - A[1, 1]), rel=1e-5)
    assert summ.log_likelihood == pytest.approx(m.score(s.X, s.lengths))
    assert panel.boot_row.isVisible() and window.act_bootstrap.isEnabled()  # every kind bootstraps
    text, tsv = panel.text(), panel.tsv()
    assert "Transition matrix" in text and "expected duration" in text
    panel.copy_tsv_button.click()
    assert QtWidgets.QApplication.clipboard().text() == tsv and "\tstate 1\tstate 2" in tsv
    # the Model Checks dock: the pseudo-residuals of the fit
    window.results.show_dock("checks")
    qtbot.waitUntil(lambda: window.results.checks.checks() is not None, timeout=20_000)
    res = window.results.checks.checks()
    expected = hmm_pseudo_residuals(m, s.X, lengths=s.lengths)
    np.testing.assert_allclose(res.columns[0].residuals, expected.columns[0].residuals)
    view = window.results.checks
    assert view.pages.currentWidget() is view.residuals_view
    x, y = view.residuals_view.qq_points.getData()
    np.testing.assert_allclose(y, res.columns[0].sorted_residuals)
    assert view.residuals_view.acf_bars.opts["height"].size == res.columns[0].acf.size - 1
    for size in ((1280, 720), (1920, 1080)):
        window.resize(*size)
        qtbot.wait(50)
        window.grab().save(f"/tmp/emdesk_hmm_checks_{size[0]}.png")
    view.grab().save("/tmp/emdesk_hmm_checks_view.png")
    # long data: the first MAX_RESIDUAL_ROWS time steps (forecast residuals of a prefix are exact), said so
    import emdesk.gui.controllers.results as rc

    old_max = rc.MAX_RESIDUAL_ROWS
    rc.MAX_RESIDUAL_ROWS = 120
    try:
        window.results.refresh()
        qtbot.waitUntil(lambda: window.results.checks.checks() is not None
                        and window.results.checks.checks().columns[0].residuals.size == 120, timeout=20_000)
    finally:
        rc.MAX_RESIDUAL_ROWS = old_max
    short = window.results.checks.checks()
    assert "first 120 of 500" in short.note and "first 120" in view.residuals_view.kind_label.text()
    np.testing.assert_allclose(short.columns[0].residuals, res.columns[0].residuals[:120], rtol=1e-9)
    window.results.show_dock("results")
    qtbot.wait(50)
    window.grab().save("/tmp/emdesk_hmm_results_1920.png")
    # the report carries the HMM tables and the residual checks
    out = tmp_path / "hmm.html"
    window.results.export_report(out)
    html = out.read_text()
    assert "Transition matrix" in html and "pseudo-residuals" in html and "lag-1 ACF" in html


@pytest.mark.parametrize("family,cols,titles", [
    ("poisson", ["count"], ["Rates (mean counts)"]),
    ("categorical", ["colour"], ["P(colour = category | class)"]),
    ("student_t", ["x", "y"], ["Degrees of freedom", "Means"]),
])
def test_results_of_the_other_families(qtbot, window, families_csv, family, cols, titles, tmp_path):
    window.resize(1920, 1080)
    window.open_csv(families_csv)
    window.set_model_kind("mixture", family)
    window.select_columns(cols)
    _fit(qtbot, window, n_components=2, random_state=0)
    panel = window.results.panel
    summ = panel.summary()
    assert summ is not None and summ.n_components == 2 and window.results.shown_model() is window.model
    for t in titles:
        assert t in panel.table_titles()
    m = window.model
    if family == "poisson":
        rows = _table(panel, "Rates (mean counts)")
        assert [float(v) for v in rows[0][1:]] == pytest.approx(list(m.lambdas_[:, 0]), rel=1e-5)
    elif family == "categorical":
        rows = _table(panel, "P(colour = category | class)")
        assert [r[0] for r in rows] == ["blue", "red"]  # the labels, not the codes
        probs = np.array([[float(v) for v in r[1:]] for r in rows])
        np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-5)
    else:
        rows = _table(panel, "Degrees of freedom")
        assert [float(v) for v in rows[0][1:]] == pytest.approx(list(m.dof_), rel=1e-5)
        outliers = [t for t in panel.table_titles() if t.startswith("Rows with the smallest scale weight")]
        listed = [int(r[0]) for r in _table(panel, outliers[0])]
        assert set(listed[:3]) == {1, 2, 3}  # the planted outliers come first
    assert "\t" in panel.tsv() and panel.text().startswith("-")
    assert "hidden Markov" in window.results.checks.hints_label.text()
    # the Uncertainty tab: every row's 1 - largest posterior, most uncertain first (categorical: by row number)
    window.results.show_dock("uncertainty")
    unc = window.results.uncertainty
    qtbot.waitUntil(lambda: bool(unc.listed_rows()), timeout=10_000)
    post = m.predict_proba(window.session.X)
    expect = np.argsort(-(1.0 - post.max(axis=1)), kind="stable")[:len(unc.listed_rows())]
    assert unc.listed_rows() == [int(i) for i in expect]
    assert unc.plot.getAxis("bottom").labelText == ("row" if family == "categorical" else cols[0])
    assert window.act_export_report.isEnabled() and window.act_bootstrap.isEnabled()
    out = tmp_path / "r.html"
    window.results.export_report(out)
    assert titles[0] in out.read_text().replace("&amp;", "&").replace("&#x27;", "'")
    if family == "student_t":
        window.results.show_dock("results")
        for size in ((1280, 720), (1920, 1080)):
            window.resize(*size)
            qtbot.wait(50)
            window.grab().save(f"/tmp/emdesk_t_results_{size[0]}.png")


# ---------------------------------------------------------------------------------------------- the bootstrap
def _se_column(panel, title, col=2):
    t = panel.table_widget(title)
    header = [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())]
    return header, [float(t.item(r, col).text()) for r in range(t.rowCount())]


def test_bootstrap_of_an_hmm_in_the_window_shows_se_and_is_saved(qtbot, window, regimes_csv, tmp_path):
    from emdesk.io import load_fit

    window.resize(1920, 1080)
    window.open_csv(regimes_csv)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence("site", "day")
    window.select_columns(["level"])
    _fit(qtbot, window, n_components=2, random_state=0)
    panel = window.results.panel
    model_icl = panel.summary().icl
    assert model_icl is not None and model_icl >= panel.summary().bic  # an HMM's ICL is no longer blank
    assert window.act_bootstrap.isEnabled() and panel.boot_button.isEnabled()
    # two sequences: nonparametric (whole sequences) and parametric; never the weighted likelihood
    items = panel.method_box.model()
    assert [items.item(i).isEnabled() for i in range(3)] == [True, True, False]
    with pytest.raises(ValueError, match="does not apply"):
        panel.start_bootstrap(method="weighted")
    with qtbot.waitSignal(panel.bootstrapFinished, timeout=120_000) as blocker:
        window.results.start_bootstrap(n_boot=12, method="parametric", random_state=3)
    boot = blocker.args[0]
    assert boot.n_done >= 10 and set(boot.standard_errors) == {"startprob", "transmat", "means", "covars"}
    header, se = _se_column(panel, "Transition matrix (row: from, column: to)")
    assert header[:3] == ["from \\ to", "state 1", "SE"]
    np.testing.assert_allclose(se, boot.standard_errors["transmat"][:, 0], rtol=1e-5)
    assert "parametric bootstrap (12 replicates)" in panel.title.text()
    assert "SE" in panel.tsv().splitlines()[panel.tsv().splitlines().index("Means") + 1]
    # the fit file carries them and loads them back; the report shows them
    out = tmp_path / "hmm.json"
    window.export_fit(out, "json")
    back = load_fit(out)
    np.testing.assert_allclose(back.standard_errors_["transmat"], boot.standard_errors["transmat"])
    # so does the parameters CSV: se_ columns beside the start and transition probabilities
    window.export_fit(tmp_path / "hmm.csv", "parameters")
    rows = list(csv.DictReader((tmp_path / "hmm.csv").open()))
    assert [float(r["se_to_state_1"]) for r in rows] == pytest.approx(boot.standard_errors["transmat"][:, 0])
    report = tmp_path / "hmm.html"
    window.results.export_report(report)
    text = report.read_text()
    assert "Bootstrap (parametric)" in text and "transition state 1 -&gt; 2" in text


@pytest.mark.parametrize("family,cols,title,key", [
    ("poisson", ["count"], "Rates (mean counts)", "lambdas"),
    ("categorical", ["colour"], "P(colour = category | class)", "probs"),
])
def test_bootstrap_of_the_other_families_in_the_panel(qtbot, window, families_csv, family, cols, title, key):
    window.open_csv(families_csv)
    window.set_model_kind("mixture", family)
    window.select_columns(cols)
    _fit(qtbot, window, n_components=2, random_state=0)
    panel = window.results.panel
    with qtbot.waitSignal(panel.bootstrapFinished, timeout=120_000) as blocker:
        panel.start_bootstrap(n_boot=10, method="nonparametric", random_state=1)
    boot = blocker.args[0]
    assert boot.n_done == 10 and boot.model_name == type(window.model).__name__
    header, se = _se_column(panel, title)
    assert header[2] == "SE"
    expected = boot.standard_errors[key][0] if key == "lambdas" else boot.standard_errors[key][0, 0, :2]
    np.testing.assert_allclose(se, np.ravel(expected), rtol=1e-5, atol=1e-12)
    panel.set_show_standard_errors(False)
    assert "SE" not in [panel.table_widget(title).horizontalHeaderItem(c).text()
                        for c in range(panel.table_widget(title).columnCount())]


def test_uncertainty_of_an_hmm_is_over_time_from_its_state_probabilities(qtbot, window, regimes_csv):
    window.resize(1920, 1080)
    window.open_csv(regimes_csv)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence("site", "day")
    window.select_columns(["level"])
    _fit(qtbot, window, n_components=2, random_state=0)
    window.results.show_dock("uncertainty")
    unc = window.results.uncertainty
    qtbot.waitUntil(lambda: bool(unc.listed_rows()), timeout=10_000)
    s = window.session
    post = window.model.predict_proba(s.X, s.fit_arguments()["lengths"])
    u = 1.0 - post.max(axis=1)
    listed = unc.listed_rows()
    np.testing.assert_allclose(u[listed], np.sort(u)[::-1][:len(listed)], rtol=1e-9)
    assert unc.plot.getAxis("bottom").labelText == "time step"
    assert "state probability" in unc.summary_label.text()
