"""When the timeline rests on a fit's final state, the Results panel keeps the fitted model itself for every kind:
it compared a snapshot's first parameter with the model's means_ only, so a Poisson or categorical HMM (or
mixture), which has none, was replaced by a model rebuilt from the snapshot, without its iterations and
convergence (the summary's row ended at ICL; seen after Run with restarts and missing values)."""

from __future__ import annotations

import numpy as np
import pytest

FIT_TIMEOUT = 60_000


@pytest.fixture
def counts_csv(tmp_path):
    rng = np.random.default_rng(4)
    z = np.repeat([0, 1, 0, 1], 25)
    y = rng.poisson(np.where(z == 0, 1.0, 5.0)).astype(float)
    cells = ["" if i % 13 == 5 else f"{int(v)}" for i, v in enumerate(y)]
    p = tmp_path / "counts.csv"
    p.write_text("t,alarms\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells)))
    return p


@pytest.mark.parametrize("kind, family", [("hmm", "poisson"), ("hmm", "categorical"), ("mixture", "poisson")])
def test_the_fitted_model_stays_shown_when_the_timeline_rests(qtbot, window, counts_csv, kind, family):
    window.open_csv(counts_csv)
    window.set_model_kind(kind, family)
    window.select_columns(["alarms"])
    window.set_missing_mode("marginalize")
    window.set_options(n_components=2, random_state=0, n_init=2, max_iter=30)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    qtbot.waitUntil(lambda: not window.results.summary_pending(), timeout=FIT_TIMEOUT)
    fitted = window.model
    window.results._timeline_rested()  # what the scrub timer runs when the timeline rests on the last state
    assert window.results.shown_model() is fitted
    summary = window.results.panel.summary()
    assert summary.n_iter == fitted.n_iter_ and summary.converged == fitted.converged_
