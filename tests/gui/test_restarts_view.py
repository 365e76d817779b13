"""pytest-qt tests of the restarts view (issue 7)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.gui.restarts_view import RestartsView, restart_model, same_optimum_tolerance

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(2)
    means = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 6.0], [9.0, 6.0]])
    return np.vstack([rng.normal(m, 1.0, size=(60, 2)) for m in means])


@pytest.fixture(scope="module")
def model(X):
    # Four components on four clusters, started from random rows: some restarts merge two
    # clusters and split another (about 50 lower in log-likelihood), others find all four.
    return GaussianMixture(4, n_init=6, init_params="random_from_data", random_state=0).fit(X)


@pytest.fixture
def view(qtbot):
    v = RestartsView()
    qtbot.addWidget(v)
    v.resize(600, 450)
    v.show()
    return v


def test_shows_every_restart_and_highlights_the_kept_one(view, model):
    lls = model.restart_log_likelihoods_
    assert np.ptp(lls) > 10 * same_optimum_tolerance(model), "the fixture should reach different optima"
    view.set_model(model)
    kept = model.best_restart_
    assert view.table.rowCount() == 6
    assert "(kept)" in view.table.item(kept, 0).text()
    assert view.table.item(kept, 0).font().bold()
    assert view.selected_restart() == kept
    kx, ky = view._kept.getData()
    assert list(kx) == [kept + 1] and ky[0] == pytest.approx(lls[kept])
    ox, oy = view._others.getData()
    dx, dy = view._degenerate.getData()
    assert sorted(list(ox) + list(dx)) == [i + 1 for i in range(6) if i != kept]
    # Differences to the kept restart in the table, and a summary that counts optima.
    for i in range(6):
        if i != kept:
            assert float(view.table.item(i, 2).text()) == pytest.approx(lls[i] - lls[kept], abs=2e-3)
    text = view.summary.text()
    n_same = int(np.sum(np.abs(lls - lls[kept]) <= same_optimum_tolerance(model)))
    assert text.startswith("6 restarts") and f"{n_same} of 6 ended at this optimum" in text
    assert f"{6 - n_same} stopped in other local optima" in text
    view.grab().save("/tmp/emdesk_restarts_view_test.png")


def test_selecting_a_restart_emits_restart_chosen(qtbot, view, model):
    with qtbot.assertNotEmitted(view.restartChosen):
        view.set_model(model)  # selecting the kept row programmatically does not load anything
    other = (model.best_restart_ + 1) % 6
    with qtbot.waitSignal(view.restartChosen, timeout=2000) as blocker:
        view.select_restart(other)
    assert blocker.args == [other]
    with qtbot.waitSignal(view.restartChosen, timeout=2000) as blocker:
        view.load_button.click()
    assert blocker.args == [other]
    # Clicking a point of the strip chart selects that restart.
    spot = view._kept.points()[0]
    with qtbot.waitSignal(view.restartChosen, timeout=2000) as blocker:
        view._kept.sigClicked.emit(view._kept, [spot], None)
    assert blocker.args == [model.best_restart_]


def test_restart_model_rebuilds_that_restarts_solution(view, model, X):
    view.set_model(model)
    for i in range(6):
        m = view.restart_model(i)
        p = model.restart_parameters_[i]
        np.testing.assert_allclose(m.weights_, p["weights"])
        np.testing.assert_allclose(m.means_, p["means"])
        np.testing.assert_allclose(m.covariances_, p["covariances"])
        assert m.log_likelihood_ == pytest.approx(p["log_likelihood"])
        # The stored log-likelihood is that of these parameters on the data.
        assert m.score(X) * len(X) == pytest.approx(p["log_likelihood"], rel=1e-9)
        assert m.n_iter_ == p["n_iter"] and m.converged_ == p["converged"]
        assert m.reg_covar == model.reg_covar and m.covariance_type == model.covariance_type
    kept = restart_model(model, model.best_restart_)
    np.testing.assert_allclose(kept.means_, model.means_)
    assert kept.degeneracies_ == model.degeneracies_
    with pytest.raises(ValueError, match="restart"):
        restart_model(model, 6)


def test_single_restart_and_unfitted_models(view, X):
    one = GaussianMixture(2, random_state=0).fit(X)
    view.set_model(one)
    assert view.table.rowCount() == 1 and "One restart only" in view.summary.text()
    built = GaussianMixture.from_parameters([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], np.stack([np.eye(2)] * 2))
    view.set_model(built)
    assert "not fitted here" in view.summary.text()
    view.set_model(None)
    assert view.table.rowCount() == 0 and not view.load_button.isEnabled()
    with pytest.raises(ValueError, match="set_model"):
        view.restart_model(0)


def test_collapsed_restarts_are_marked(view):
    # Tied values: some restarts collapse a component onto them.
    rng = np.random.default_rng(0)
    X = np.vstack([np.repeat([[0.0, 0.0], [3.0, 3.0]], 8, axis=0), rng.normal(1.5, 1.5, size=(30, 2))])
    m = GaussianMixture(4, n_init=6, init_params="random_from_data", random_state=1).fit(X)
    view.set_model(m)
    flagged = [i for i in range(6) if view.table.item(i, 5).text() != "none"]
    dx, _ = view._degenerate.getData()
    kept = m.best_restart_
    assert sorted(list(dx)) == sorted(i + 1 for i in flagged if i != kept)
    assert flagged, "expected at least one collapsed restart on tied data"
    assert "collapsed" in view.summary.text()


def test_same_optimum_tolerance_scales_with_data(model):
    assert same_optimum_tolerance(model) == pytest.approx(model.tol * model.n_samples_)


def test_summary_says_when_a_collapsed_restart_with_the_highest_likelihood_is_not_kept(view, monkeypatch):
    from tests.engine.test_sound_restart import _collapsed_at, _fit

    _collapsed_at(monkeypatch, {1})
    gm = _fit(n_init=3)
    view.set_model(gm)
    text = view.summary.text()
    assert "Restart 2 had the highest log-likelihood" in text and "collapsed component" in text
    assert f"the best sound restart, {gm.best_restart_ + 1} " in text
    assert view.selected_restart() == gm.best_restart_ != 1


def test_summary_has_no_collapse_note_when_the_best_restart_is_kept(view, model):
    view.set_model(model)
    assert "best sound restart" not in view.summary.text()
