"""Initialisation by hand (issue 7): starting means placed with the mouse or the scripting API, dragged,
removed and cleared; the next fit starts from them (iteration 0 = the placed means)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.gui.main_window import EXAMPLES, example_path
from emdesk.gui.params_panel import MANUAL_INIT_TEXT

FIT_TIMEOUT = 60_000
LEFT = QtCore.Qt.MouseButton.LeftButton
RIGHT = QtCore.Qt.MouseButton.RightButton


def _view_pos(view: QtWidgets.QGraphicsView, vb, x: float, y: float) -> QtCore.QPoint:
    """Widget (viewport) position of data point (x, y) of view box ``vb`` shown in ``view``."""
    return view.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x, y)))


def _pixel(vb) -> tuple[float, float]:
    """Data units per screen pixel in x and y (the tolerance of a click)."""
    (x0, x1), (y0, y1) = vb.viewRange()
    r = vb.sceneBoundingRect()
    return (x1 - x0) / r.width(), (y1 - y0) / r.height()


def _click(qtbot, view, vb, x, y, button=LEFT):
    qtbot.mouseClick(view.viewport(), button, pos=_view_pos(view, vb, x, y))


def _drag(qtbot, view, vb, start, end, steps=8):
    """Press at ``start``, move with the button held (QTest's mouseMove carries no buttons), release."""
    vp = view.viewport()
    p0 = _view_pos(view, vb, *start)
    p1 = _view_pos(view, vb, *end)
    qtbot.mouseMove(vp, p0)
    qtbot.mousePress(vp, LEFT, pos=p0)
    for t in np.linspace(0.0, 1.0, steps + 1)[1:]:
        p = QtCore.QPointF(p0.x() + (p1.x() - p0.x()) * t, p0.y() + (p1.y() - p0.y()) * t)
        ev = QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, p, QtCore.QPointF(vp.mapToGlobal(p.toPoint())),
                               QtCore.Qt.MouseButton.NoButton, LEFT, QtCore.Qt.KeyboardModifier.NoModifier)
        qtbot.wait(20)  # pyqtgraph drops mouse moves closer together than its rate limit (100 Hz)
        QtWidgets.QApplication.sendEvent(vp, ev)
    qtbot.wait(20)
    qtbot.mouseRelease(vp, LEFT, pos=p1)


def _fit(qtbot, window):
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    return window.history[0]


def _vb2(window):
    return window.plot_2d.plot.getPlotItem().getViewBox()


def test_means_placed_by_the_api_start_the_fit(qtbot, window, csv_2d, tmp_path):
    window.open_csv(csv_2d)
    window.set_options(n_components=5, n_init=3, init_params="kmeans", random_state=1)
    placed = np.array([[-1.0, 1.0], [5.0, 2.0]])
    window.set_start_means(placed)
    np.testing.assert_allclose(window.start_means(), placed)
    panel = window.params_panel
    assert panel.n_components.value() == 2 and not panel.n_components.isEnabled()
    assert panel.init_params.currentText() == MANUAL_INIT_TEXT
    assert panel.n_init.value() == 1
    assert panel.manual_label.isVisible() and "2 means placed by hand" in panel.manual_label.text()
    assert "Restarts: 1 (was 3" in panel.manual_label.text()
    # the handles show the placed means
    np.testing.assert_allclose(window.start_handles_2d.points(), placed)
    first = _fit(qtbot, window)
    assert first.iteration == 0 and first.restart == 0
    np.testing.assert_allclose(first.means, placed, atol=1e-9)
    assert window.model.n_components == 2
    assert window.model.restart_log_likelihoods_.shape == (1,)  # every restart would start the same
    # EM moved from there to the two clusters
    final = np.sort(window.model.means_[:, 0])
    assert abs(final[0]) < 0.5 and abs(final[1] - 4) < 0.5
    # the markers stay until cleared
    assert len(window.start_handles_2d.handle_items()) == 2
    # a fit started by hand exports and loads like any other
    from emdesk.io import load_fit

    window.export_fit(tmp_path / "fit.json")
    np.testing.assert_allclose(load_fit(tmp_path / "fit.json").means_, window.model.means_)


def test_clicks_place_means_and_the_fit_starts_there(qtbot, window, csv_2d):
    window.open_csv(csv_2d)
    view, vb = window.plot_2d.plot, _vb2(window)
    _click(qtbot, view, vb, 0.5, 0.5)
    assert window.start_means().shape == (0, 2)  # place mode is off: clicks only pan/zoom
    window.act_place_means.trigger()
    assert window.is_placing_means()
    targets = [(0.5, 0.5), (3.5, 2.5), (1.0, 3.0)]
    for x, y in targets:
        _click(qtbot, view, vb, x, y)
    px, py = _pixel(vb)
    got = window.start_means()
    assert got.shape == (3, 2)
    np.testing.assert_allclose(got[:, 0], [t[0] for t in targets], atol=2 * px)
    np.testing.assert_allclose(got[:, 1], [t[1] for t in targets], atol=2 * py)
    assert window.params_panel.n_components.value() == 3
    first = _fit(qtbot, window)
    np.testing.assert_allclose(first.means, got, atol=1e-9)
    # a click on a placed mean selects it instead of adding one
    _click(qtbot, view, vb, *got[1])
    assert window.start_means().shape == (3, 2)
    assert window.start_handles_2d.selected == 1


def test_dragging_moves_and_right_click_or_delete_removes(qtbot, window, csv_2d):
    window.open_csv(csv_2d)
    window.set_start_means([[0.0, 0.0], [4.0, 3.0], [2.0, 1.0]])
    view, vb = window.plot_2d.plot, _vb2(window)
    rng = vb.viewRange()
    _drag(qtbot, view, vb, (4.0, 3.0), (3.0, 2.0))  # place mode off: the drag pans, the mean stays
    np.testing.assert_allclose(window.start_means()[1], [4.0, 3.0])
    assert vb.viewRange() != rng
    vb.setRange(xRange=rng[0], yRange=rng[1], padding=0)
    window.set_placing_means(True)
    _drag(qtbot, view, vb, (0.0, 0.0), (1.5, 2.0))
    px, py = _pixel(vb)
    m = window.start_means()
    assert m.shape == (3, 2)
    assert m[0, 0] == pytest.approx(1.5, abs=3 * px) and m[0, 1] == pytest.approx(2.0, abs=3 * py)
    np.testing.assert_allclose(m[1:], [[4.0, 3.0], [2.0, 1.0]])
    np.testing.assert_allclose(window.start_handles_2d.points(), m)
    first = _fit(qtbot, window)
    np.testing.assert_allclose(first.means, m, atol=1e-9)
    # right-click removes the mean under the cursor
    _click(qtbot, view, vb, 4.0, 3.0, RIGHT)
    np.testing.assert_allclose(window.start_means(), m[[0, 2]])
    assert window.params_panel.n_components.value() == 2
    # click selects, Delete removes
    _click(qtbot, view, vb, 2.0, 1.0)
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Delete)
    np.testing.assert_allclose(window.start_means(), m[[0]])
    # Escape leaves place mode: clicks no longer add means
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Escape)
    assert not window.is_placing_means() and not window.act_place_means.isChecked()
    _click(qtbot, view, vb, 3.0, 3.0)
    assert window.start_means().shape == (1, 2)


def test_clear_restores_normal_initialisation(qtbot, window, csv_2d):
    window.open_csv(csv_2d)
    window.set_options(n_components=2, n_init=2, init_params="random_from_data", random_state=3)
    placed = np.array([[10.0, -10.0], [-7.0, 9.0]])  # outside the data's range: allowed
    window.set_start_means(placed)
    first = _fit(qtbot, window)
    np.testing.assert_allclose(first.means, placed, atol=1e-9)
    assert window.act_clear_means.isEnabled()
    window.act_clear_means.trigger()
    assert window.start_means().shape == (0, 2)
    assert window.start_handles_2d.handle_items() == []
    panel = window.params_panel
    assert panel.init_params.currentText() == "random_from_data" and panel.init_params.isEnabled()
    assert panel.n_init.value() == 2 and panel.n_components.isEnabled()
    assert not panel.manual_label.isVisible()
    assert panel.init_params.findText(MANUAL_INIT_TEXT) == -1
    first = _fit(qtbot, window)
    assert not np.allclose(first.means, placed)
    assert window.model.restart_log_likelihoods_.shape == (2,)
    # an empty list means normal initialisation too
    window.set_start_means([[1.0, 1.0]])
    window.set_start_means([])
    assert window.start_means().shape == (0, 2) and panel.init_params.currentText() == "random_from_data"


def test_one_dimensional_view_lines(qtbot, window):
    window.open_csv(example_path(EXAMPLES[1][1]))
    assert window._fit_columns and len(window._fit_columns) == 1
    p1 = window.plot_1d
    view, vb = p1.view, p1.density.getViewBox()
    window.set_placing_means(True)
    (x0, x1), (y0, y1) = vb.viewRange()
    xs = [x0 + 0.3 * (x1 - x0), x0 + 0.7 * (x1 - x0)]
    for x in xs:
        _click(qtbot, view, vb, x, y0 + 0.5 * (y1 - y0))
    px, _ = _pixel(vb)
    got = window.start_means()
    assert got.shape == (2, 1)
    np.testing.assert_allclose(got[:, 0], xs, atol=2 * px)
    lines = window.start_handles_1d.handle_items()
    assert len(lines) == 2 and all(line.isVisible() for line in lines)
    # drag the second line to the middle
    mid = x0 + 0.5 * (x1 - x0)
    ymid = y0 + 0.5 * (y1 - y0)
    _drag(qtbot, view, vb, (got[1, 0], ymid), (mid, ymid))
    got = window.start_means()
    assert got[1, 0] == pytest.approx(mid, abs=3 * px) and got[0, 0] == pytest.approx(xs[0], abs=2 * px)
    first = _fit(qtbot, window)
    np.testing.assert_allclose(first.means, got, atol=1e-9)
    # the API takes a plain list of values in 1-D
    window.set_start_means([x0, x1])
    np.testing.assert_allclose(window.start_means()[:, 0], [x0, x1])
    np.testing.assert_allclose([line.value() for line in window.start_handles_1d.handle_items()], [x0, x1])


def test_more_than_two_columns_use_column_means_for_the_hidden_ones(qtbot, window, tmp_path):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal((0, 0, 5), 0.5, (80, 3)), rng.normal((3, 3, 9), 0.5, (80, 3))])
    p = tmp_path / "three.csv"
    p.write_text("a,b,c\n" + "\n".join(",".join(f"{v:.4f}" for v in r) for r in X) + "\n")
    window.open_csv(p)
    window.select_columns(["a", "b", "c"])
    window.set_start_means([[0.0, 0.0], [3.0, 3.0]])  # displayed x/y columns
    m = window.start_means()
    assert m.shape == (2, 3)
    np.testing.assert_allclose(m[:, 2], X[:, 2].mean(), rtol=1e-3)
    # a click in the 2-D view also fills the hidden column with its mean
    window.set_placing_means(True)
    _click(qtbot, window.plot_2d.plot, _vb2(window), 1.5, 1.5)
    m = window.start_means()
    assert m.shape == (3, 3) and m[2, 2] == pytest.approx(X[:, 2].mean(), rel=1e-3)
    first = _fit(qtbot, window)
    np.testing.assert_allclose(first.means, m, atol=1e-9)
    # other axes: the handles show the placed means in the new x/y columns
    window.plot_2d.x_combo.setCurrentIndex(2)
    np.testing.assert_allclose(window.start_handles_2d.points(), m[:, [2, 1]])
    with pytest.raises(ValueError, match="shape"):
        window.set_start_means(np.zeros((2, 4)))
    # new columns: the placed means no longer apply
    window.select_columns(["a", "b"])
    assert window.start_means().shape == (0, 2)
    assert window.params_panel.manual_label.isHidden() and not window.act_clear_means.isEnabled()


def test_screenshots_show_the_placed_means(qtbot, window, rgb_pixels, csv_2d):
    import os
    import tempfile

    from emdesk.gui.init_handles import HANDLE_RGB

    shots = os.path.join(tempfile.gettempdir(), "emdesk-screenshots")
    os.makedirs(shots, exist_ok=True)
    window.open_csv(csv_2d)
    assert rgb_pixels(window.plot_2d.plot, HANDLE_RGB) < 20
    window.set_start_means([[0.0, 0.0], [4.0, 3.0], [2.0, 1.5]])
    qtbot.wait(50)
    assert window.grab().save(os.path.join(shots, "emdesk-start-means-2d.png"))
    assert rgb_pixels(window.plot_2d.plot, HANDLE_RGB) > 3 * 60  # three diamonds and their labels
    window.open_csv(example_path(EXAMPLES[1][1]))
    assert rgb_pixels(window.plot_1d.view, HANDLE_RGB) < 20
    window.set_start_means([10.0, 18.0])
    qtbot.wait(50)
    assert window.grab().save(os.path.join(shots, "emdesk-start-means-1d.png"))
    assert rgb_pixels(window.plot_1d.view, HANDLE_RGB) > 2 * 100  # two dashed lines across the plot


def test_start_parameters_shapes_and_sense():
    from emdesk.gui.init_handles import start_parameters

    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal((0, 0), 0.3, (100, 2)), rng.normal((5, 5), 0.3, (100, 2)), [[np.nan, 1.0]]])
    M = np.array([[0.0, 0.0], [5.0, 5.0], [50.0, -50.0]])  # the last one far from every row
    shapes = {"full": (3, 2, 2), "tied": (2, 2), "diag": (3, 2), "spherical": (3,)}
    for ct, shape in shapes.items():
        w, c = start_parameters(X, M, ct, 1e-6)
        assert c.shape == shape and np.all(np.isfinite(c))
        assert w.sum() == pytest.approx(1.0) and np.all(w > 0)
        if ct in ("full", "tied"):
            assert np.all(np.linalg.eigvalsh(c) > 0)
    w, c = start_parameters(X, M, "full", 1e-6)
    assert w[0] == pytest.approx(101 / 203) and w[2] == pytest.approx(1 / 203)
    # a mean with its own rows gets a tight covariance; the empty one falls back to the data's variances
    assert c[0, 0, 0] < 0.5 and c[2, 0, 0] == pytest.approx(np.nanvar(X[:200, 0]), rel=1e-6)
    assert start_parameters(np.full((5, 2), np.nan), M, "full", 1e-6) == (None, None)
