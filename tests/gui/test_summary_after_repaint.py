"""Big data: the Results summary's background job starts once the event loop has run the repaint the fit's
end queued, not inside the end-of-fit handler, where its thread competed with that repaint for the two cores
and the interpreter lock (issue 16, the end-of-fit repaint). Meanwhile the summary counts as pending."""

from __future__ import annotations

import emdesk.gui.background as background


def test_the_summary_job_starts_after_the_fit_end_is_handled(qtbot, window, two_clusters, monkeypatch):
    monkeypatch.setattr(background, "BIG_ROWS", 100)
    window.open_csv(two_clusters)
    window.set_options(n_components=2, random_state=0)
    at_end = {}
    window.fitFinished.connect(lambda: at_end.update(job=window.jobs.busy("results-summary"),
                                                     pending=window.results.summary_pending()))
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    assert at_end == {"job": False, "pending": True}  # not started in the handler, but pending
    qtbot.waitUntil(lambda: not window.results.summary_pending(), timeout=30_000)
    assert "n = 300" in window.results.panel.title.text()


def test_a_summary_superseded_before_it_starts_is_not_started(qtbot, window, two_clusters, monkeypatch):
    monkeypatch.setattr(background, "BIG_ROWS", 100)
    window.open_csv(two_clusters)
    window.set_options(n_components=2, random_state=0)
    started, submit = [], window.jobs.submit

    def recorded(*a, **k):
        started.append(k.get("key"))
        return submit(*a, **k)

    monkeypatch.setattr(window.jobs, "submit", recorded)
    window.fitFinished.connect(window.results.clear)  # e.g. new data before the event loop turned
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    qtbot.waitUntil(lambda: not window.results.summary_pending(), timeout=30_000)
    assert "results-summary" not in started
