"""An HMM's summary says when a state's expected duration 1 / (1 - a_jj) exceeds the longest sequence (a Nile series
of 100 steps showed 36,743.5 time steps in the Results' State durations table without a word)."""
from __future__ import annotations

import numpy as np

from emdesk.engine import GaussianHMM
from emdesk.engine.summary_kinds import kind_summary


def _model(transmat):
    m = GaussianHMM(2, covariance_type="diag")
    m.startprob_ = np.array([1.0, 0.0])
    m.transmat_ = np.array(transmat)
    m.means_ = np.array([[0.0], [5.0]])
    m.covars_ = np.array([[1.0], [1.0]])
    return m


X = np.r_[np.zeros(70), np.full(30, 5.0)][:, None] + np.sin(np.arange(100))[:, None] * 0.3


def test_a_duration_beyond_the_longest_sequence_is_noted():
    notes = kind_summary(_model([[0.98, 0.02], [1e-5, 1 - 1e-5]]), X).notes
    said = [n for n in notes if "expected duration" in n]
    assert said == ["State 2's expected duration, 100,000 time steps, is longer than the longest sequence (100 steps): "
                    "the data show that it is rarely left, not how long a visit lasts."]


def test_a_state_never_left_and_sequences_by_lengths():
    notes = kind_summary(_model([[0.98, 0.02], [0.0, 1.0]]), X, lengths=[60, 40]).notes
    said = [n for n in notes if "expected duration" in n]
    assert len(said) == 1 and "unbounded (it is never left)" in said[0] and "(60 steps)" in said[0]


def test_ordinary_durations_say_nothing():
    notes = kind_summary(_model([[0.98, 0.02], [0.05, 0.95]]), X).notes
    assert not [n for n in notes if "expected duration" in n]


def test_the_results_panel_shows_the_notes(qtbot):
    from emdesk.gui.results_panel import ResultsPanel

    p = ResultsPanel()
    qtbot.addWidget(p)
    p.set_fit(_model([[0.98, 0.02], [1e-5, 1 - 1e-5]]), X, feature_names=["flow"])
    assert "State 2&#x27;s expected duration, 100,000 time steps" in p.title.text() \
        or "State 2's expected duration, 100,000 time steps" in p.title.text()
    p.set_fit(_model([[0.98, 0.02], [0.05, 0.95]]), X, feature_names=["flow"])
    assert "expected duration" not in p.title.text()
