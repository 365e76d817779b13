"""The guard bar's headline names the cause: a collapse onto a few values ("degenerate ... spurious"), or a
reg_covar ridge large for the data that holds the flagged components at its floor (then the bar offers to lower
it, and "collapsed ... spurious" was wrong)."""

from __future__ import annotations

from emdesk.engine.diagnostics import ComponentIssue
from emdesk.gui.guard_bar import ridge_headline

FIT_TIMEOUT = 60_000


def _fit(qtbot, window, path, reg_covar):
    window.open_csv(path)
    window.set_options(n_components=3, n_init=1, random_state=0, reg_covar=reg_covar, max_iter=200,
                       covariance_type="full")
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert window.model.degeneracies_ and window.guard_bar.isVisible()
    return window.guard_bar.label.text()


def _csv(tmp_path):
    # 41 rows on three distinct values (variance 4.1): three components collapse onto them
    p = tmp_path / "dup.csv"
    p.write_text("v\n" + "\n".join(["1.0"] * 20 + ["5.0"] * 20 + ["5.5"]) + "\n")
    return p


def test_a_collapse_is_called_a_collapse(qtbot, window, tmp_path):
    text = _fit(qtbot, window, _csv(tmp_path), 1e-6)
    assert "raise_reg_covar" in window.degeneracy_fixes()
    assert "degenerate components" in text and "spurious" in text and "held at reg_covar" not in text


def test_a_large_ridge_is_named_as_the_cause(qtbot, window, tmp_path):
    text = _fit(qtbot, window, _csv(tmp_path), 1.0)
    assert "lower_reg_covar" in window.degeneracy_fixes()
    held = sorted({i.component + 1 for i in window.model.degeneracies_ if i.kind == "variance_floor"})
    assert held
    assert text.startswith("The fit: component") or text.startswith("The fit: components")
    assert "held at reg_covar (1), large for these data" in text
    assert all(str(c) in text.split("held")[0] for c in held)
    assert "spurious" not in text and "collapsed" not in text
    assert "sets them, and a larger one would hold them there further" in text
    # the status bar says the same for the state on screen (it said "is collapsing")
    status = window.status_guard.text()
    assert "held at reg_covar (1)" in status and "collapsing" not in status


def test_ridge_headline_wording():
    one = ridge_headline([ComponentIssue(1, "variance_floor", "m")], 1.0)
    assert one.startswith("Component 2's variance is held at reg_covar (1), large for these data")
    two = ridge_headline([ComponentIssue(0, "variance_floor", "m"), ComponentIssue(2, "variance_floor", "m"),
                          ComponentIssue(3, "too_few_points", "m")], "relative:0.05", "The stopped fit")
    assert two.startswith("The stopped fit: components 1 and 3: their variances are held at reg_covar "
                          "(relative:0.05)")
    assert two.endswith("Also degenerate (too few points: component 4).")


def test_an_hmm_headline_names_the_state(qtbot, window, tmp_path):
    window.open_csv(_csv(tmp_path))
    window.set_model_kind("hmm", "gaussian")
    window.select_columns(["v"])
    window.set_options(n_components=3, n_init=1, random_state=0, reg_covar=1.0, max_iter=100)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert "lower_reg_covar" in window.degeneracy_fixes()
    text = window.guard_bar.label.text()
    assert text.startswith("The fit: state") and "held at reg_covar (1), large for these data" in text
    assert "spurious" not in text and "omponent" not in text
    status = window.status_guard.text()
    assert "held at reg_covar (1)" in status and "collapsing" not in status and "tate" in status
