"""Model selection over the number of states (and covariance types for Gaussian emissions) for hidden
Markov models, in the window's model-selection dialog (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _series(tmp_path, counts=False):
    rng = np.random.default_rng(4)
    z = np.repeat([0, 1, 2, 0, 2, 1], 60)
    y = rng.poisson(np.array([1.0, 6.0, 15.0])[z]) if counts else rng.normal(np.array([0.0, 4.0, 8.0])[z], 0.8)
    p = tmp_path / "s.csv"
    p.write_text("t,y\n" + "".join(f"{t},{v}\n" for t, v in enumerate(y)))
    return p


def test_engine_sweep_finds_three_states_and_scores_as_the_estimator():
    from emdesk.engine import GaussianHMM
    from emdesk.engine.hmm_selection import iter_select_hmm

    rng = np.random.default_rng(0)
    z = np.repeat([0, 1, 2, 0, 1], 80)
    X = rng.normal(np.array([0, 4, 8])[z], 1.0)[:, None]
    lengths = [200, 200]
    steps = list(iter_select_hmm(X, lengths, n_components=range(1, 5), covariance_types=("diag", "spherical"),
                                 random_state=0, n_init=2))
    res = steps[-1].result
    assert len(res.table) == 8 and steps[-1].done == 8
    assert res.best_row.n_components == 3
    row = res.table[5]  # 3 states, spherical
    m = row.model
    assert isinstance(m, GaussianHMM) and m.covariance_type == "spherical"
    assert row.bic == pytest.approx(m.bic(X, lengths), rel=1e-9)
    assert row.aic == pytest.approx(m.aic(X, lengths), rel=1e-9)
    assert row.icl >= row.bic
    with pytest.raises(ValueError, match="family"):
        next(iter_select_hmm(X, family="student"))


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_selection_dialog_sweeps_states_and_shows_the_chosen_hmm(qtbot, window, tmp_path, family):
    from emdesk.engine import GaussianHMM, PoissonHMM

    window.open_csv(_series(tmp_path, counts=family == "poisson"))
    window.set_model_kind("hmm", family)
    window.set_sequence(None, "t")
    window.select_columns(["y"])
    window.set_options(random_state=0, max_iter=60)
    assert window.act_select.isEnabled()
    window.open_model_selection()
    dlg = window._selection_dialog
    if family == "gaussian":
        assert set(dlg.type_boxes) == {"full", "tied", "diag", "spherical"}
        dlg.set_options(n_components=range(1, 5), covariance_types=("diag",), n_init=1)
    else:
        assert list(dlg.type_boxes) == ["poisson"]
        dlg.set_options(n_components=range(1, 5), n_init=1)
    with qtbot.waitSignal(dlg.sweepFinished, timeout=60_000) as blocker:
        dlg.start()
    res = blocker.args[0]
    assert [r.n_components for r in res.table] == [1, 2, 3, 4]
    assert res.best_row.n_components == 3
    assert dlg.selected_row() is res.best_row  # selected when the sweep ends
    dlg.use_button.click()  # "Use this model": modelChosen shows it
    model = window.model
    assert isinstance(model, GaussianHMM if family == "gaussian" else PoissonHMM) and model.n_components == 3
    assert window.views.drawn_states is not None and len(set(window.views.drawn_states.tolist())) == 3
    dlg.close()


def test_the_dialogs_sweep_fits_every_candidate_with_the_transition_prior(qtbot, window, tmp_path):
    """The Model panel's Transition prior (transmat_prior) reaches every fit of the HMM sweep (it was left out)."""
    window.open_csv(_series(tmp_path))
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence(None, "t")
    window.select_columns(["y"])
    window.set_options(random_state=0, max_iter=30, transmat_prior=40.0)
    window.open_model_selection()
    dlg = window._selection_dialog
    assert dlg.windowTitle().endswith("Transition prior: 40")
    dlg.set_options(n_components=range(1, 4), covariance_types=("diag",), n_init=1)
    with qtbot.waitSignal(dlg.sweepFinished, timeout=60_000) as blocker:
        dlg.start()
    res = blocker.args[0]
    assert [r.n_components for r in res.table] == [1, 2, 3]
    assert all(r.error is None and r.model.transmat_prior == 40.0 for r in res.table)
    dlg.close()
    window.set_options(transmat_prior=1.0)  # the field's "no prior": the sweep fits without one
    window.open_model_selection()
    dlg = window._selection_dialog
    assert "Transition prior" not in dlg.windowTitle()
    dlg.set_options(n_components=range(2, 3), covariance_types=("diag",), n_init=1)
    with qtbot.waitSignal(dlg.sweepFinished, timeout=60_000) as blocker:
        dlg.start()
    assert blocker.args[0].table[0].model.transmat_prior is None
    dlg.close()
