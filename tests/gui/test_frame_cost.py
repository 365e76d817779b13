"""What the cheaper live frames keep (window responsiveness, issue 16): the scatter's dots drawn from a kept
image are the dots drawn directly, colours still follow the responsibilities, unchanged colours ask for no
repaint, the trace drawn with the frame still holds every iteration, and labels follow the state."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from emdesk.gui.points_item import ColoredPointsItem

N = 2_000


def _scatter(qtbot, ids):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(320, 220)
    item = ColoredPointsItem(size=5, alpha=170)
    widget.addItem(item)
    rng = np.random.default_rng(0)
    item.setPositions(rng.normal(size=N), rng.normal(size=N))
    item.setColorIds(ids)
    widget.setRange(xRange=(-3, 3), yRange=(-3, 3), padding=0)
    return widget, item  # not shown: only the grabs below paint it (no paint of the window in between)


def _pixels(widget) -> np.ndarray:
    img = widget.viewport().grab().toImage().convertToFormat(QtGui.QImage.Format.Format_ARGB32)
    return np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes()).copy()


def _same_look(a, b) -> bool:
    """Equal up to the rounding of blending the kept image in one go instead of dot by dot (at most 4 of 255
    per channel; 1 for most pixels that differ at all, measured on the 100,000-row fit's 1280x720 grab)."""
    return int(np.abs(a.astype(int) - b.astype(int)).max()) <= 4


def test_the_kept_image_draws_the_same_dots_and_new_colours_are_drawn(qtbot):
    ids = np.random.default_rng(1).integers(0, 512, N)
    widget, item = _scatter(qtbot, ids)
    direct = _pixels(widget)
    assert item._layer is None  # first paint of these dots: drawn directly
    kept = [_pixels(widget) for _ in range(2)]
    assert item._layer is not None  # painted again unchanged: drawn from the kept image
    assert all(_same_look(direct, k) for k in kept)

    new_ids = (ids + 97) % 512
    item.setColorIds(new_ids)
    after = [_pixels(widget) for _ in range(3)]  # direct, then the kept image of the new colours
    fresh, _ = _scatter(qtbot, new_ids)  # another item given the new colours from the start
    want = _pixels(fresh)
    assert not _same_look(after[0], direct)  # the new colours are drawn, directly first
    assert np.array_equal(after[0], want) and all(_same_look(a, want) for a in after[1:])


def test_moving_the_view_redraws_the_dots_where_they_are(qtbot):
    ids = np.random.default_rng(2).integers(0, 512, N)
    widget, item = _scatter(qtbot, ids)
    for _ in range(3):
        _pixels(widget)
    widget.setRange(xRange=(-1, 5), yRange=(-3, 3), padding=0)
    moved = _pixels(widget)
    fresh, _ = _scatter(qtbot, ids)
    fresh.setRange(xRange=(-1, 5), yRange=(-3, 3), padding=0)
    assert np.array_equal(moved, _pixels(fresh))  # both drawn directly: the same pixels


def test_unchanged_colours_ask_for_no_repaint(qtbot, monkeypatch):
    ids = np.random.default_rng(3).integers(0, 512, N)
    widget, item = _scatter(qtbot, ids)
    calls = []
    monkeypatch.setattr(item, "update", lambda *a: calls.append(a))
    item.setColorIds(ids.copy())
    assert calls == []
    changed = ids.copy()
    changed[7] = (changed[7] + 1) % 512
    item.setColorIds(changed)
    assert len(calls) == 1 and item._ids[7] == changed[7]


def test_trace_points_wait_for_the_frame_and_are_all_drawn(qapp):
    from types import SimpleNamespace

    from emdesk.gui.trace_plot import TracePlot

    trace = TracePlot()
    snaps = [SimpleNamespace(restart=0, iteration=i, lower_bound=-2.0 + 0.1 * i) for i in range(5)]
    trace.append(snaps[:3])
    assert list(trace._curves[0].getData()[0]) == [0, 1, 2]
    trace.append(snaps[3:4], draw=False)
    assert list(trace._curves[0].getData()[0]) == [0, 1, 2]  # kept for the next frame
    trace.append(snaps[4:], draw=False)
    trace.flush()
    x, y = trace._curves[0].getData()
    assert list(x) == [0, 1, 2, 3, 4] and y[-1] == snaps[-1].lower_bound


def test_live_fit_draws_its_last_state_trace_and_labels(window, qtbot, csv_2d):
    window.open_csv(csv_2d)
    window.set_options(n_components=2, random_state=0, max_iter=6, tol=0.0)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    hist = window.history
    x, _ = window.trace._curves[0].getData()
    assert len(x) == len(hist) and x[-1] == hist[-1].iteration  # every iteration, the last one drawn
    view = window.views.plot_2d
    from emdesk.gui.geometry import legend_label, responsibility_color_ids

    last = hist[-1]
    labels = [label.text for _, label in view.legend.items[:2]]
    assert labels == [legend_label(i, last.weights[i], 2) for i in range(2)]
    want = responsibility_color_ids(window.model.predict_proba(window.session.X_display), 2)
    assert np.array_equal(view.points._ids, want)
    # an earlier state shown again: the legend and the colours follow it
    window.timeline.set_index(0)
    qtbot.waitUntil(lambda: window.timeline_ctrl.shown_index == 0)
    first = hist[0]
    labels = [label.text for _, label in view.legend.items[:2]]
    assert labels == [legend_label(i, first.weights[i], 2) for i in range(2)]
    want = responsibility_color_ids(first.to_model().predict_proba(window.session.X_display), 2)
    assert np.array_equal(view.points._ids, want)


def test_the_posterior_image_is_the_cell_by_cell_rule(qapp):
    """The byte-wide lookup draws exactly the image of the plain rule: at each height, the state whose
    probability band holds it (the number of cumulative edges below it), in its colour."""
    from emdesk.gui.views.hmm import HMMViews

    views = HMMViews()
    rng = np.random.default_rng(4)
    for k in (1, 3, 7):
        views._set_k(k)
        post = rng.dirichlet(np.ones(k), 250)
        post[5] = np.nan if k > 1 else post[5]  # a step without a value: no edge below any height
        views._draw_posterior(post)
        rows = views.POSTERIOR_ROWS
        levels = (np.arange(rows) + 0.5) / rows
        cum = np.cumsum(post, axis=1)[:, :-1]
        state = (cum[:, :, None] < levels[None, None, :]).sum(axis=1)
        want = views._colors_u8[np.clip(state, 0, k - 1)]
        assert np.array_equal(views.posterior_image(), want)


def _emission_snapshot(means, variances):
    from types import SimpleNamespace

    k = len(means)
    return SimpleNamespace(weights=np.full(k, 1.0 / k), means=np.asarray(means, float).reshape(k, 1),
                           covariances=np.asarray(variances, float).reshape(k, 1, 1), covariance_type="full",
                           params={})


def test_emission_curves_are_kept_and_follow_the_state(qapp):
    from emdesk.gui.views.hmm_emissions import EmissionsPlot

    X = np.random.default_rng(5).normal(size=(300, 1)) * 3
    em = EmissionsPlot(pg.PlotItem())
    em.set_data(X, ["y"], "gaussian")
    em.show(_emission_snapshot([0.0, 4.0], [1.0, 2.0]))
    items = list(em._items)
    later = _emission_snapshot([1.0, 3.0], [0.5, 1.5])
    em.show(later)
    assert em._items == items  # the same items, given new data
    fresh = EmissionsPlot(pg.PlotItem())
    fresh.set_data(X, ["y"], "gaussian")
    fresh.show(later)
    for (i, x, y), (j, fx, fy), item in zip(em.curves, fresh.curves, em._items):
        assert i == j and np.array_equal(y, fy) and np.array_equal(item.getData()[1], y)
    em.show(_emission_snapshot([0.0, 2.0, 4.0], [1.0, 1.0, 1.0]))  # a third state: one more curve
    assert len(em._items) == len(em.curves) == 3 and em._items[:2] == items
    em.show(later)
    assert len(em._items) == 2 and em._items == items
    in_plot = [it for it in em.plot.items if isinstance(it, pg.PlotDataItem) and it is not em._hist]
    assert in_plot == em._items


def test_hmm_live_frames_use_the_workers_posteriors_of_the_drawn_steps(window, qtbot, tmp_path, monkeypatch):
    from emdesk.gui.views.hmm import HMMViews
    from emdesk.gui.worker import StepPosteriors

    rng = np.random.default_rng(6)
    z = np.repeat([0, 1, 0, 1], 60)
    p = tmp_path / "s.csv"
    p.write_text("t,y\n" + "".join(f"{t},{v:.4f}\n" for t, v in enumerate(rng.normal(4.0 * z, 0.8))))
    window.open_csv(p)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence(None, "t")
    window.select_columns(["y"])
    window.set_options(n_components=2, random_state=0, max_iter=8, tol=0.0)
    given = []
    show = HMMViews.show_state

    def record(views, snapshot, color_ids=None, *args):
        given.append(color_ids)
        return show(views, snapshot, color_ids, *args)

    monkeypatch.setattr(HMMViews, "show_state", record)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    views = window.views
    last = given[-1]  # the fit's last state: drawn from the worker's posteriors of the drawn steps
    assert isinstance(last, StepPosteriors) and last.key == views._steps_key()
    want = window.history[-1].to_model().predict_proba(window.session.X)
    np.testing.assert_allclose(views.drawn_posteriors, want, atol=1e-12)
    assert np.array_equal(views.drawn_states, want.argmax(axis=1))
    # posteriors of other steps (another sequence) are not used: the view computes its own
    other = StepPosteriors(np.full_like(want, 0.5), ("other",))
    views.show_state(window.history[-1], other)
    np.testing.assert_allclose(views.drawn_posteriors, want, atol=1e-12)
