"""The Results summary of a big fit (issue 16, the GUI thread's gaps): computed once, when the fit ends, in the
background, from one E-step over the rows.

At 1,000,000 rows with missing cells the summary's three passes (score_samples, predict, icl) took 2-3.4 s in
a background thread right when the fit ended, competing with the GUI thread (benchmarks/bench_gui_gap.py);
they are one pass now. ``BIG_ROWS`` is lowered so 300 rows take the background path."""

from __future__ import annotations

import importlib
import threading

import numpy as np
import pytest

import emdesk.gui.background as background
from emdesk.engine import GaussianMixture

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def test_a_big_fit_s_summary_is_computed_once_at_its_end_from_one_pass_and_is_right(qtbot, window, tmp_path,
                                                                                     monkeypatch):
    rng = np.random.default_rng(3)
    X = np.r_[rng.normal(0, 1, (150, 2)), rng.normal(5, 1, (150, 2))]
    X[rng.random(X.shape) < 0.05] = np.nan
    X[7] = np.nan  # a row with no value: not counted
    path = tmp_path / "gaps.csv"
    np.savetxt(path, X, delimiter=",", header="x,y", comments="", fmt="%.5f")
    monkeypatch.setattr(background, "BIG_ROWS", 100)
    summary_module = importlib.import_module("emdesk.engine.summary")
    made, passes = [], []
    real_summary, real_estep = summary_module.summary, GaussianMixture._estep

    def counted_summary(model, X, **kw):
        made.append(len(window.history))  # the snapshots received when it was asked for
        return real_summary(model, X, **kw)

    def counted_estep(self, X, *a, **kw):
        if threading.current_thread().name == "emdesk-job-results-summary":  # the summary's job, not the fit's
            passes.append(X.shape[0])
        return real_estep(self, X, *a, **kw)

    monkeypatch.setattr(summary_module, "summary", counted_summary)
    monkeypatch.setattr(GaussianMixture, "_estep", counted_estep)
    window.open_csv(path)
    window.set_missing_mode("marginalize")
    window.set_options(n_components=2, random_state=0, max_iter=4, tol=0.0)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    n_snapshots = len(window.history)
    assert n_snapshots > 1 and made == [n_snapshots]  # once, at the end (not per snapshot)
    qtbot.waitUntil(lambda: not window.results.summary_pending(), timeout=30_000)
    assert passes == [window.session.X.shape[0]] == [299]  # one E-step over the rows for the log-likelihood, the clustering and ICL
    monkeypatch.setattr(GaussianMixture, "_estep", real_estep)
    s, model = window.results.panel.summary(), window.session.model
    assert s is not None and s.n_samples == 299 and "n = 299" in window.results.panel.title.text()
    rows = window.session.X  # the rows as read from the file (all-missing row left out)
    assert s.log_likelihood == pytest.approx(float(np.sum(model.score_samples(rows))), rel=1e-12)
    assert s.icl == pytest.approx(model.icl(rows), rel=1e-12)
    np.testing.assert_array_equal(s.clustering, np.bincount(model.predict(rows), minlength=2))
