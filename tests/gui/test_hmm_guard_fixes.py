"""The guard in an HMM's words and with an HMM's fixes (issue 16, window item 3):

- a collapsed state's points are its time steps WITH an observed value, in the engine's message, the message
  strip and the status bar (a row with every value missing is a time step without observation);
- the fixes follow what went wrong: a collapse of a Gaussian state's emissions gets reg_covar (a number: an
  HMM has no "relative" setting), tied covariances, fewer states, a new initialisation; a state never left or
  never entered gets transmat_prior (hmmlearn's Dirichlet prior, the Model panel's Transition prior field),
  fewer states, a new initialisation; a Poisson or categorical HMM is never offered reg_covar or tied.
Each fix changes the Model panel and runs a new fit (``window.apply_fix(name)``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from emdesk.gui.guard_bar import BUTTON_ORDER, propose_hmm_fixes

FIT_TIMEOUT = 60_000
pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning",
                                        "ignore::emdesk.engine.diagnostics.DataColumnWarning")


def _fit(qtbot, window):
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()


@pytest.fixture
def gap_csv(tmp_path):
    """Two far rows with five empty rows between them, amid 40 rows near the origin."""
    rng = np.random.default_rng(5)
    a = np.round(rng.normal(0, 1, (40, 2)), 3)
    rows = [f"{x:g},{y:g}" for x, y in a[:20]] + ["50,50"] + [","] * 5 + ["51,49.5"] + \
        [f"{x:g},{y:g}" for x, y in a[20:]]
    p = tmp_path / "gap.csv"
    p.write_text("a,b\n" + "\n".join(rows) + "\n")
    return p


@pytest.fixture
def ends_csv(tmp_path):
    """Ten sequences of two rows, the second far off: that state is only ever at a sequence's end."""
    rng = np.random.default_rng(0)
    lines = [f"s{i},{t},{(30.0 if t else 0.0) + rng.normal():.4f}" for i in range(10) for t in (0, 1)]
    p = tmp_path / "ends.csv"
    p.write_text("seq,t,x\n" + "\n".join(lines) + "\n")
    return p


def test_a_collapsed_states_points_are_its_observed_steps_in_the_window(qtbot, window, gap_csv):
    window.open_csv(gap_csv)
    window.set_model_kind("hmm", "gaussian")
    window.select_columns(["a", "b"])
    assert window.session.X.shape[0] == 47  # the empty rows are time steps
    window.set_options(n_components=2, covariance_type="full", random_state=0, n_init=1, max_iter=50)
    _fit(qtbot, window)
    text = window.guard_bar.label.toolTip()  # the engine's messages (the strip then says the falling likelihood)
    # 2 observed rows and 5 empty steps: counted with the empty ones (5.7 >= 3) it was not said at all
    m = re.search(r"State (\d) is supported by only ([\d.]+) observed time steps, fewer than the 3", text)
    assert m, text
    state = int(m.group(1)) - 1
    seen = window.session.history[-1].observed_occupancy
    assert float(m.group(2)) == pytest.approx(seen[state], abs=0.01) and seen[state] < 2.01
    status = window.status_guard.text()
    assert f"State {state + 1} is collapsing (" in status and "observed time steps < d+1 = 3)" in status
    assert "effective points" not in status
    shown = float(re.search(r"\(([\d.]+) observed", status).group(1))
    assert shown <= seen[state] and shown == pytest.approx(seen[state], abs=0.1)
    # a fitted HMM shown again (a restart, a model chosen in model selection, a fit file): the same count
    again = window.session.model_state(window.model)
    np.testing.assert_allclose(again.observed_occupancy, seen, rtol=1e-6, atol=1e-6)
    assert again.observed_occupancy.sum() == pytest.approx(42.0)  # 47 time steps, 42 observed
    assert window.guard_bar.isVisible()
    bar = window.guard_bar.label.text()
    assert "has too few observed time steps" in bar and "has too few points" not in bar
    assert window.degeneracy_fixes() == ["raise_reg_covar", "fewer_components", "constrained_covariance",
                                         "new_initialisation"]


def test_the_collapse_fixes_of_a_gaussian_hmm_set_numbers_and_run_a_new_fit(qtbot, window, gap_csv):
    window.open_csv(gap_csv)
    window.set_model_kind("hmm", "gaussian")
    window.select_columns(["a", "b"])
    window.set_options(n_components=2, covariance_type="full", random_state=0, n_init=1, max_iter=50)
    _fit(qtbot, window)
    label, tip, change = window.guard.fixes["raise_reg_covar"]
    # the HMM's reg_covar is a number in the data's units ("relative" is the Gaussian mixture's): the fit used
    # 1e-6, and the fix sets a number the HMM takes, not "relative:..." (which the HMM would have replaced)
    assert isinstance(change["reg_covar"], float) and change["reg_covar"] >= 1e-4
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.apply_fix("raise_reg_covar")
    assert window.params_panel.reg_covar.value() == change["reg_covar"]
    assert window.session.fit_params["reg_covar"] == change["reg_covar"]
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.apply_fix("constrained_covariance")
    assert window.params_panel.covariance_type.currentText() == "tied"
    assert window.session.fit_params["covariance_type"] == "tied"
    assert window.model.covariance_type == "tied"


def test_a_state_never_left_gets_a_transition_prior_that_runs_a_new_fit(qtbot, window, ends_csv):
    window.open_csv(ends_csv)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence("seq", "t")
    window.select_columns(["x"])
    form = window.params_panel.layout()
    assert form.isRowVisible(window.params_panel.transmat_prior)  # an HMM's field (hidden for mixtures)
    assert "Transition prior" in window.params_panel.prior.toolTip()  # mclust's prior is not the HMM's
    window.set_options(n_components=2, random_state=0, n_init=1, max_iter=50)
    _fit(qtbot, window)
    assert [i.kind for i in window.model.degeneracies_] == ["dead_transition_row"]
    assert window.guard_bar.isVisible()
    assert "never followed by another time step" in window.guard_bar.label.text()
    # the status bar says what is wrong with the chain (it said "collapsing (singular covariance)")
    assert window.status_guard.text() == "\u26a0 State 2 is almost never followed by another time step"
    # reg_covar and tied covariances do nothing for a transition row: not offered
    assert window.degeneracy_fixes() == ["transmat_prior", "fewer_components", "new_initialisation"]
    button = window.guard_bar.buttons["transmat_prior"]
    assert button.isVisible() and button.text() == "Transition prior (\u2192 2)"
    assert "transmat_prior" in button.toolTip()
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.apply_fix("transmat_prior")
    assert window.params_panel.transmat_prior.text() == "2"
    assert window.session.fit_params["transmat_prior"] == 2.0 and window.model.transmat_prior == 2.0
    assert window.model.degeneracies_ == () and not window.guard_bar.isVisible()
    np.testing.assert_allclose(window.model.transmat_[1], [0.5, 0.5])  # one pseudo-transition each way
    window.set_model_kind("mixture", "gaussian")  # a mixture has no transition prior
    assert not form.isRowVisible(window.params_panel.transmat_prior)
    assert "transmat_prior" not in window.options()


def test_hmm_fixes_follow_the_issue_kinds_and_the_family():
    opts = {"n_components": 3, "covariance_type": "full", "reg_covar": "relative", "init_params": "emEM",
            "random_state": 1}
    collapse = propose_hmm_fixes(opts, "gaussian", {"variance_floor", "too_few_points"}, [4.0, 100.0])
    assert list(collapse) == ["raise_reg_covar", "fewer_components", "constrained_covariance", "new_initialisation"]
    assert collapse["raise_reg_covar"][2] == {"reg_covar": 0.0004}  # 1e-4 x the smallest column variance
    assert collapse["fewer_components"][0] == "Fewer states (\u2192 2)"
    assert "component" not in " ".join(t for t, tip, _ in collapse.values()).lower()
    chain = propose_hmm_fixes(dict(opts, transmat_prior=3.0), "gaussian", {"dead_transition_row"})
    assert list(chain) == ["transmat_prior", "fewer_components", "new_initialisation"]
    assert chain["transmat_prior"][2] == {"transmat_prior": 6.0}  # a prior already there is doubled
    both = propose_hmm_fixes(opts, "gaussian", {"variance_floor", "dead_transition_row"})
    assert list(both) == [n for n in BUTTON_ORDER if n != "lower_reg_covar"]  # 1e-6: small, so raised
    for family in ("poisson", "categorical"):  # neither has reg_covar nor covariances
        fixes = propose_hmm_fixes({"n_components": 2}, family, {"empty_state"})
        assert list(fixes) == ["transmat_prior", "fewer_components", "new_initialisation"]
    one = propose_hmm_fixes({"n_components": 1, "init_params": "hierarchical"}, "poisson", {"empty_state"})
    assert "fewer_components" not in one
    # a hierarchical start is the same whatever the seed: the new initialisation also switches to k-means++
    assert one["new_initialisation"][2]["init_params"] == "kmeans++" and "random_state" in one["new_initialisation"][2]
