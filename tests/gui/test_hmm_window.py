"""The hidden Markov model kind in the window (issue 12): model and family choice, Sequence / Order by
pickers, the series coloured by state with stacked posteriors animating per iteration, the transition
heatmap."""

from __future__ import annotations

import numpy as np
import pytest

FIT_TIMEOUT = 60_000
pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


@pytest.fixture
def regimes_csv(tmp_path):
    rng = np.random.default_rng(11)
    rows = []
    for sid, T in (("north", 400), ("south", 250)):
        z = 0
        for t in range(T):
            if rng.random() < 0.04:
                z = 1 - z
            rows.append((sid, t, rng.normal(0.0 if z == 0 else 4.0, 0.6), int(rng.poisson(1 if z == 0 else 7))))
    order = rng.permutation(len(rows))
    p = tmp_path / "regimes.csv"
    p.write_text("site,day,level,events\n" + "".join(f"{rows[i][0]},{rows[i][1]},{rows[i][2]:.4f},{rows[i][3]}\n"
                                                     for i in order))
    return p


def _hmm(window, path, family="gaussian", column="level"):
    window.open_csv(path)
    window.set_model_kind("hmm", family)
    window.set_sequence("site", "day")
    window.select_columns([column])


def test_model_kind_choice_and_pickers(qtbot, window, regimes_csv):
    window.open_csv(regimes_csv)
    assert not window.data_panel.sequence_box.isVisible()
    window.params_panel.kind.setCurrentIndex(1)  # the user picks "Hidden Markov model"
    assert window.session.kind == "hmm"
    assert window.data_panel.sequence_box.isVisible()
    assert window.params_panel.family.isVisible()
    window.params_panel.family.setCurrentIndex(1)  # Poisson: no covariance fields
    assert window.session.family == "poisson"
    assert not window.params_panel.covariance_type.isVisible()
    assert not window.params_panel.reg_covar.isVisible()
    assert not window.act_place_means.isEnabled() and window.act_select.isEnabled()  # selection: states
    window.data_panel.sequence_combo.setCurrentText("site")
    window.data_panel.order_combo.setCurrentText("day")
    assert (window.session.sequence_column, window.session.order_column) == ("site", "day")
    assert sorted(window.session.lengths.tolist()) == [250, 400]
    window.params_panel.kind.setCurrentIndex(0)  # back to mixtures
    assert window.session.kind == "mixture" and not window.data_panel.sequence_box.isVisible()
    assert window.params_panel.covariance_type.isVisible()


def test_gaussian_hmm_fit_draws_states_posteriors_and_transitions(qtbot, window, regimes_csv, rgb_pixels):
    from emdesk.engine import GaussianHMM
    from emdesk.gui.geometry import component_colors

    _hmm(window, regimes_csv)
    views = window.views
    assert window.plot_stack.currentWidget() is views.widget
    assert views.sequence_combo.count() == 2
    window.set_options(n_components=2, random_state=0, max_iter=200, tol=1e-6)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    model = window.model
    assert isinstance(model, GaussianHMM)
    np.testing.assert_allclose(np.sort(model.means_[:, 0]), [0.0, 4.0], atol=0.25)
    # the drawn state is the fitted one: posteriors of the drawn sequence, stacked to 1
    post = views.drawn_posteriors
    seq = views.picked_sequence()
    a = int(views._starts[seq])
    expected = model.predict_proba(window.session.X[a:a + int(views._lengths[seq])])
    np.testing.assert_allclose(post, expected, atol=1e-9)
    img = views.posterior_image()  # every drawn step's column is filled by the states' colours, stacked to 1
    assert img.shape[0] == post.shape[0]
    colors = np.asarray(component_colors(2), dtype=float).clip(0, 255).astype(np.uint8)
    assert ((img == colors[0]).all(axis=2) | (img == colors[1]).all(axis=2)).all()
    assert set(np.unique(views.drawn_states)) == {0, 1}
    # the heatmap shows the transition matrix
    np.testing.assert_allclose(views.heat.image, model.transmat_.T)
    assert [lab.toPlainText() for lab in views._labels][0] == f"{model.transmat_[0, 0]:.2f}"
    # both state colours are on screen
    window.resize(1280, 720)
    qtbot.wait(50)
    for rgb in component_colors(2):
        assert rgb_pixels(views.graphics, tuple(int(c) for c in rgb), tol=30) > 50
    # the timeline replays it: the first iteration's posteriors differ from the last one's
    window.timeline.set_index(0)
    qtbot.waitUntil(lambda: window._shown_index == 0, timeout=5000)
    assert not np.allclose(views.drawn_posteriors, post)
    # the other sequence
    views.set_sequence(1 - seq)
    qtbot.wait(20)
    assert views.drawn_posteriors.shape[0] == int(views._lengths[1 - seq])


def test_posteriors_animate_per_iteration(qtbot, window, regimes_csv):
    _hmm(window, regimes_csv)
    window.set_options(n_components=2, random_state=1, max_iter=200, tol=0.0, init_params="random")
    window.step_fit()
    qtbot.waitUntil(lambda: len(window.history) == 1 and window._shown_index == 0, timeout=FIT_TIMEOUT)
    drawn = [window.views.drawn_posteriors.copy()]
    for i in range(1, 4):
        window.step_fit()
        qtbot.waitUntil(lambda: window._shown_index == i, timeout=FIT_TIMEOUT)
        drawn.append(window.views.drawn_posteriors.copy())
    assert all(not np.allclose(drawn[j], drawn[j + 1]) for j in range(3))
    with qtbot.waitSignal(window.fitStopped, timeout=FIT_TIMEOUT):
        window.stop_fit()
    assert window.model is not None and window.model.transmat_.shape == (2, 2)


def test_poisson_hmm_on_counts_and_errors_as_messages(qtbot, window, regimes_csv):
    from emdesk.engine import PoissonHMM

    _hmm(window, regimes_csv, family="poisson", column="events")
    window.set_options(n_components=2, random_state=0, max_iter=200)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    assert isinstance(window.model, PoissonHMM)
    np.testing.assert_allclose(np.sort(window.model.lambdas_[:, 0]), [1.0, 7.0], atol=0.7)
    # not counts: the engine's message reaches the window
    window.select_columns(["level"])
    with qtbot.waitSignal(window.fitFailed, timeout=FIT_TIMEOUT) as blocker:
        window.start_fit()
    assert "count" in blocker.args[0].lower() or "whole" in blocker.args[0].lower()
    assert window.last_message[0] == "error" and window.act_run.isEnabled()


def test_order_column_with_gaps_and_a_new_file(qtbot, window, regimes_csv, tmp_path):
    _hmm(window, regimes_csv)
    assert not window.act_export.isEnabled()  # HMM fits cannot be written to a file yet: no dead button
    gaps = tmp_path / "gaps.csv"
    gaps.write_text("site,day,level\na,1,0.1\na,,0.2\na,3,4.1\nb,1,0.3\n")
    window.open_csv(gaps)
    # a new file: the pickers start afresh (the old columns are not in it)
    assert window.session.sequence_column is None and window.data_panel.sequence_columns() == (None, None)
    window.data_panel.order_combo.setCurrentText("day")
    level, text = window.last_message
    assert level == "error" and "missing value" in text
    assert window.data_panel.sequence_columns() == (None, None) and window.session.order_column is None
    window.data_panel.sequence_combo.setCurrentText("site")
    assert window.session.lengths.tolist() == [3, 1]
    assert any("single row" in n for n in window.session.notes)
    assert "single row" in window.views.info.text()


def test_viterbi_path_occupancy_and_dwell_after_the_fit(qtbot, window, regimes_csv):
    _hmm(window, regimes_csv)
    window.set_options(n_components=2, random_state=0, max_iter=200)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    views, model = window.views, window.model
    seq = views.picked_sequence()
    a = int(views._starts[seq])
    Xw = window.session.X[a:a + int(views._lengths[seq])]
    np.testing.assert_array_equal(views.viterbi_path, model.predict(Xw))
    assert views.viterbi.isVisible()
    np.testing.assert_allclose(views.viterbi.getData()[1], model.means_[model.predict(Xw), 0])
    from emdesk.gui.views.hmm import dwell_text

    assert dwell_text(model.transmat_[0, 0], int(views._lengths.max())) in views.stats.text()  # test_guard_width
    # an earlier iteration is not the fitted model: no Viterbi path drawn over it
    window.timeline.set_index(0)
    qtbot.waitUntil(lambda: window._shown_index == 0, timeout=5000)
    assert not views.viterbi.isVisible() and views.viterbi_path is None


def test_the_bundled_hmm_example_opens_set_up_and_fits(qtbot, window):
    from emdesk.engine import GaussianHMM

    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.open_example("example_hmm_regimes.csv", fit=True)
    s = window.session
    assert (s.kind, s.sequence_column, s.order_column, s.columns) == ("hmm", "gauge", "hour", ["level"])
    assert sorted(s.lengths.tolist()) == [600, 600]
    assert isinstance(window.model, GaussianHMM)
    # the generator's three regimes (scripts/make_hmm_example.py: levels 1.2, 2.5, 4.4 m)
    np.testing.assert_allclose(np.sort(window.model.means_[:, 0]), [1.2, 2.5, 4.4], atol=0.2)
    # a mixture example afterwards is a mixture again
    window.open_example(fit=False)
    assert s.kind == "mixture" and window.plot_stack.currentWidget() is window.plot_2d


def test_fit_failure_names_the_column(qtbot, window, tmp_path):
    """The engine says "Column 2 holds values as far as 1e+308 ..."; the window adds the name."""
    p = tmp_path / "huge.csv"
    p.write_text("a,b\n" + "".join(f"{i % 7},{i % 5}\n" for i in range(30)) + "2,1e308\n")
    window.open_csv(p)
    window.set_model_kind("hmm", "gaussian")
    window.select_columns(["a", "b"])
    window.set_options(n_components=2, random_state=0)
    with qtbot.waitSignal(window.fitFailed, timeout=FIT_TIMEOUT) as blocker:
        window.start_fit()
    assert "Column 2 (b) holds values" in blocker.args[0]
    assert "Column 2 (b)" in window.last_message[1]


def test_transition_panel_before_a_fit_is_blank_not_stray_axes(qtbot, window, regimes_csv):
    """Before any fit the transition-matrix panel has no ticks and a unit range; left to auto-range, the
    empty plot showed axes of -400..400 (x0.001) beside the data."""
    _hmm(window, regimes_csv)
    tr = window.views.transitions
    assert tr.getAxis("bottom")._tickLevels == [[]] and tr.getAxis("left")._tickLevels == [[]]
    (x0, x1), (y0, y1) = tr.viewRange()
    assert -0.1 <= x0 < x1 <= 1.1 and -0.1 <= y0 < y1 <= 1.1
