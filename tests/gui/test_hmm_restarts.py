"""Restarts of hidden Markov models in the window (issue 12), and failed restarts of every kind: listed
with their reason, left out of the same-optimum tolerance, never loaded."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emdesk.gui.restarts_view import RestartsView, same_optimum_tolerance

FIT_TIMEOUT = 60_000
pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


@pytest.fixture
def series_csv(tmp_path):
    rng = np.random.default_rng(3)
    z, rows = 0, []
    for t in range(400):
        if rng.random() < 0.05:
            z = (z + 1) % 3
        rows.append((t, rng.normal((0.0, 3.0, 6.0)[z], 1.2)))
    p = tmp_path / "series.csv"
    p.write_text("t,y\n" + "".join(f"{t},{y:.4f}\n" for t, y in rows))
    return p


def _fail(model, i, why="a covariance became singular"):
    model.restart_parameters_[i]["failed"] = why
    model.restart_parameters_[i]["log_likelihood"] = -math.inf
    model.restart_log_likelihoods_ = np.array(model.restart_log_likelihoods_, dtype=float)
    model.restart_log_likelihoods_[i] = -math.inf


def test_hmm_restarts_listed_and_loaded(qtbot, window, series_csv):
    from emdesk.engine import GaussianHMM

    window.open_csv(series_csv)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence(None, "t")
    window.select_columns(["y"])
    window.set_options(n_components=3, random_state=1, max_iter=60, n_init=4, init_params="random", tol=1e-7)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    fitted = window.session.fitted_model
    view = window.restarts_view
    assert window.restarts_dock.isEnabled()
    assert view.table.rowCount() == 4
    other = next(i for i in range(4) if i != fitted.best_restart_)
    view.select_restart(other)  # the user picks another restart: it becomes the current model
    qtbot.waitUntil(lambda: window.history[window._shown_index].restart == other)
    m = window.model
    assert isinstance(m, GaussianHMM)
    np.testing.assert_allclose(m.means_, fitted.restart_parameters_[other]["means"])
    assert m.log_likelihood_ == pytest.approx(fitted.restart_parameters_[other]["log_likelihood"])
    # drawn: the HMM views show the restart's posteriors
    x = window.session.X[: len(window.views.drawn_posteriors)]
    np.testing.assert_allclose(window.views.drawn_posteriors, m.predict_proba(x), atol=1e-9)


@pytest.mark.parametrize("kind", ["hmm", "mixture"])
def test_failed_restarts_shown_with_reason_and_not_loadable(qtbot, kind):
    from emdesk.engine import GaussianHMM, GaussianMixture

    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (150, 1)), rng.normal(5, 1, (150, 1))])
    model = (GaussianHMM if kind == "hmm" else GaussianMixture)(n_components=2, n_init=3, random_state=0).fit(X)
    kept = model.best_restart_
    bad = (kept + 1) % 3
    _fail(model, bad)
    view = RestartsView()
    qtbot.addWidget(view)
    view.set_model(model)
    tol = same_optimum_tolerance(model)
    assert math.isfinite(tol) and tol < 1.0
    assert "inf" not in view.summary.text() and "1 failed" in view.summary.text()
    assert "failed: a covariance became singular" in view.table.item(bad, 5).text()
    chosen = []
    view.restartChosen.connect(chosen.append)
    view.select_restart(bad)
    assert chosen == [] and not view.load_button.isEnabled()
    with pytest.raises(ValueError, match="failed"):
        view.restart_model(bad)
    view.select_restart(kept)
    assert chosen == [kept] and view.load_button.isEnabled()


def test_session_refuses_a_failed_restart(tmp_path):
    from emdesk.session import Session

    rng = np.random.default_rng(1)
    p = tmp_path / "d.csv"
    p.write_text("a\n" + "".join(f"{v:.4f}\n" for v in np.concatenate([rng.normal(0, 1, 100), rng.normal(6, 1, 100)])))
    s = Session()
    s.load(p)
    s.choose_columns(["a"])
    s.set_model_kind("hmm", "gaussian")
    s.fit(n_components=2, n_init=2, random_state=0, max_iter=30)
    _fail(s.fitted_model, 1, "the log-likelihood became nan")
    with pytest.raises(ValueError, match="Restart 2 failed"):
        s.load_restart(1)
    m = s.load_restart(0)
    np.testing.assert_allclose(m.transmat_, s.fitted_model.restart_parameters_[0]["transmat"])
