"""The bundled example shows EM at work (issue 15): a poor start and a slow pace for the example only."""

from __future__ import annotations

import numpy as np

from emdesk.engine import GaussianMixture
from emdesk.gui.controllers.demo import DEMO_DELAY, poor_start
from emdesk.io import load_table
from emdesk.gui.main_window import example_path


def test_poor_start_makes_em_walk_to_the_answer():
    t = load_table(example_path())
    X = t.to_array(["x", "y"])
    walk = GaussianMixture(3, means_init=poor_start(X, 3), n_init=1, max_iter=500, random_state=0).fit(X)
    quick = GaussianMixture(3, n_init=5, random_state=0).fit(X)
    assert walk.n_iter_ >= 15 > quick.n_iter_  # many visible steps, against a handful
    assert walk.lower_bound_ > quick.lower_bound_ - 1e-3  # and it still finds the answer
    x1 = load_table(example_path("example_1d_bimodal.csv"))
    v = x1.to_array(x1.numeric_column_names[:1])
    assert GaussianMixture(2, means_init=poor_start(v, 2), n_init=1, random_state=0).fit(v).n_iter_ >= 10


def test_example_is_slowed_but_user_data_is_not(window, qtbot, csv_2d):
    window.params_panel.set_delay(0.0)
    window.open_example(fit=True)
    assert window.is_fitting()
    assert window.fit_worker._delay == DEMO_DELAY
    assert len(window.start_means()) == 3  # the poor start, placed by hand (the panel says so)
    with qtbot.waitSignal(window.fitStopped, timeout=30000):
        window.stop_fit()
    window.open_csv(csv_2d)
    assert len(window.start_means()) == 0
    with qtbot.waitSignal(window.fitFinished, timeout=60000):
        window.start_fit()
    assert window.fit_worker._delay == 0.0
    assert np.all(np.isfinite(window.model.means_))
