"""The plot widgets on their own, with made-up parameters (no engine needed)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from emdesk.gui.geometry import ellipse, marginal_covariances, responsibility_color_ids
from emdesk.gui.plot_1d import Plot1D
from emdesk.gui.plot_2d import Plot2D


def _state(weights, means, covariances, covariance_type="full"):
    return SimpleNamespace(weights=np.asarray(weights, float), means=np.asarray(means, float),
                           covariances=np.asarray(covariances, float), covariance_type=covariance_type)


def test_large_data_scatter_says_it_shows_a_subset(qtbot):
    view = Plot2D()
    qtbot.addWidget(view)
    X = np.random.default_rng(0).normal(size=(50_000, 3))
    view.set_data(X, ["a", "b", "c"], n_total=1_000_000)
    assert "50,000 of 1,000,000" in view.subset_label.text()
    assert view.x_combo.isEnabled()  # three columns: pickers for x and y
    assert view.points.pointCount() == 50_000
    view.y_combo.setCurrentIndex(2)
    assert view.displayed_columns() == ("a", "c")
    assert view.plot.getPlotItem().getAxis("left").labelText == "c"


def test_two_columns_have_no_pickers_and_the_view_does_not_move_between_frames(qtbot):
    view = Plot2D()
    qtbot.addWidget(view)
    X = np.random.default_rng(1).normal(size=(500, 2))
    view.set_data(X, ["x", "y"], n_total=500)
    assert not view.x_combo.isEnabled()
    before = view.plot.getPlotItem().getViewBox().viewRange()
    s1 = _state([0.5, 0.5], [[-1, 0], [1, 0]], [np.eye(2), np.eye(2) * 4])
    s2 = _state([0.2, 0.8], [[-5, 5], [9, 0]], [np.eye(2) * 9, np.eye(2)])
    for s in (s1, s2):
        resp = np.full((500, 2), 0.5)
        view.show_state(s, responsibility_color_ids(resp, 2))
    assert view.plot.getPlotItem().getViewBox().viewRange() == before
    labels = [label.text for _, label in view.legend.items]
    assert "w = 0.200" in labels[0] and "w = 0.800" in labels[1]
    # the 1-sigma ellipse of component 2 (identity covariance) is the unit circle around (9, 0)
    ex, ey = view._ellipses[1][0].getData()
    np.testing.assert_allclose(np.hypot(ex - 9, ey - 0), 1.0, atol=1e-9)


@pytest.mark.parametrize("ctype, cov", [
    ("full", np.array([[[2.0, 0.3, 0], [0.3, 1.0, 0], [0, 0, 5]]])),
    ("tied", np.array([[2.0, 0.3, 0], [0.3, 1.0, 0], [0, 0, 5]])),
    ("diag", np.array([[2.0, 1.0, 5.0]])),
    ("spherical", np.array([2.0])),
])
def test_marginal_covariances_of_every_type(ctype, cov):
    m = marginal_covariances(cov, ctype, 1, [0, 2])
    expected = {"full": [[2, 0], [0, 5]], "tied": [[2, 0], [0, 5]], "diag": [[2, 0], [0, 5]],
                "spherical": [[2, 0], [0, 2]]}[ctype]
    np.testing.assert_allclose(m[0], expected)


def test_ellipse_radius_is_mahalanobis():
    cov = np.array([[4.0, 1.2], [1.2, 1.0]])
    x, y = ellipse((1.0, -2.0), cov, 2.0)
    d = np.stack([x - 1.0, y + 2.0])
    maha = np.einsum("in,ij,jn->n", d, np.linalg.inv(cov), d)
    np.testing.assert_allclose(maha, 4.0, rtol=1e-9)


def test_one_column_histogram_is_a_density_and_curves_follow_the_state(qtbot):
    view = Plot1D()
    qtbot.addWidget(view)
    v = np.concatenate([np.random.default_rng(2).normal(0, 1, 3000), np.random.default_rng(3).normal(6, 1, 2000)])
    view.set_data(v, v[:1000], "v")
    edges, dens = view.hist.getData()[0], view.hist.yData
    assert float(np.sum(dens * np.diff(edges))) == pytest.approx(1.0, abs=0.01)
    assert "1,000 of 5,000" in view.subset_label.text()
    s = _state([0.6, 0.4], [[0.0], [6.0]], [1.0, 1.0], "spherical")
    view.show_state(s, responsibility_color_ids(np.tile([0.6, 0.4], (1000, 1)), 2))
    x, y = view._curves[0].getData()
    peak = x[np.argmax(y)]
    assert peak == pytest.approx(0.0, abs=0.1)
    assert y.max() == pytest.approx(0.6 / np.sqrt(2 * np.pi), rel=0.01)
    xm, ym = view.mixture.getData()
    _, y2 = view._curves[1].getData()
    np.testing.assert_allclose(ym, y + y2)


@pytest.mark.parametrize("cls", [Plot1D, Plot2D])
def test_legend_is_hidden_until_there_are_components(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    view.show()
    X = np.random.default_rng(2).normal(size=(200, 1 if cls is Plot1D else 2))
    if cls is Plot1D:
        view.set_data(X[:, 0], X[:, 0], "a")
    else:
        view.set_data(X, ["a", "b"], n_total=200)
    assert not view.legend.isVisible()  # an empty white box in the corner otherwise
    d = X.shape[1]
    s = _state([0.5, 0.5], np.zeros((2, d)), np.stack([np.eye(d), np.eye(d)]))
    view.show_state(s, None)
    assert view.legend.isVisible()


def test_animation_frames_build_no_brushes_or_pens(qtbot, monkeypatch):
    # DESIGN: one brush per component, built once; a frame only moves what exists (setData).
    import pyqtgraph as pg

    view = Plot2D()
    qtbot.addWidget(view)
    X = np.random.default_rng(2).normal(size=(300, 2))
    view.set_data(X, ["x", "y"], n_total=300)
    s = _state([0.5, 0.5], [[-1, 0], [1, 0]], [np.eye(2), np.eye(2) * 2])
    view.show_state(s, None)  # the first frame of k components creates their items
    made = []
    for name in ("mkBrush", "mkPen"):
        real = getattr(pg, name)
        monkeypatch.setattr(pg, name, lambda *a, _real=real, **k: made.append(a) or _real(*a, **k))
    for shift in (0.1, 0.2, 0.3):
        view.show_state(_state([0.4, 0.6], [[-1 + shift, 0], [1, shift]], [np.eye(2), np.eye(2) * 3]), None)
    assert made == []
    np.testing.assert_allclose(view.means.getData()[0], [-0.7, 1.0])


@pytest.mark.parametrize("columns", [1, 2])
def test_values_near_the_float_limit_are_shown_not_a_traceback(qtbot, window, tmp_path, columns):
    # Some exports write DBL_MAX for "no value": the span of the column overflows to inf.
    big = 1.7976931348623157e308
    rows = [f"{v},{i}" for i, v in enumerate([big, -big, 1.0, 2.0, 3.0])]
    p = tmp_path / "huge.csv"
    p.write_text("a,b\n" + "\n".join(rows) + "\n")
    with qtbot.waitSignal(window.dataLoaded, timeout=10_000):
        window.begin_load(str(p))
    window.select_columns(["a", "b"][:columns])
    view = window.plot_1d.density if columns == 1 else window.plot_2d.plot.getPlotItem()
    (x0, x1), _ = view.getViewBox().viewRange()
    assert np.isfinite(x0) and np.isfinite(x1) and x0 < 1.0 and x1 > 3.0


def test_a_picked_row_is_marked_on_the_displayed_columns(qtbot):
    # Issue 14: a row chosen in the Uncertainty list is ringed in the main plot (2-D) or lined (1-D).
    view = Plot2D()
    qtbot.addWidget(view)
    X = np.random.default_rng(0).normal(size=(200, 3))
    view.set_data(X, ["a", "b", "c"], n_total=200)
    view.highlight_row(X[7])
    assert view.highlighted_position() == pytest.approx((X[7, 0], X[7, 1]))
    view.y_combo.setCurrentIndex(2)
    assert view.highlighted_position() == pytest.approx((X[7, 0], X[7, 2]))
    view.highlight_row([np.nan, 1.0, 2.0])  # missing on a displayed axis: not ringed
    assert view.highlighted_position() is None
    view.highlight_row(X[3])
    view.set_data(X, ["a", "b", "c"], n_total=200)  # new data: the ring goes
    assert view.highlighted_position() is None
    one = Plot1D()
    qtbot.addWidget(one)
    one.set_data(X[:, 0], X[:, 0], "a")
    one.highlight_row(X[5, :1])
    assert one.highlighted_position() == pytest.approx(X[5, 0])
    assert all(line.value() == pytest.approx(X[5, 0]) for line in one.picked_lines)
    one.highlight_row(None)
    assert one.highlighted_position() is None



def test_axis_pickers_show_the_whole_column_name(window, tmp_path):
    """At 1280x720 the x picker showed "tempéra" for "température" (its width came from the first file's
    names); a very long name is capped."""
    from PySide6 import QtWidgets

    rng = np.random.default_rng(0)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("a,b,c\n" + "".join(f"{u:.3f},{v:.3f},{w:.3f}\n" for u, v, w in rng.normal(size=(20, 3))))
    second.write_text("température,durée\n" + "".join(f"{u:.3f},{v:.3f}\n" for u, v in rng.normal(size=(20, 2))),
                      encoding="utf-8")
    window.open_csv(first)
    window.open_csv(second)
    ref = QtWidgets.QComboBox()  # as wide as its texts need (a combo never shown computes it from them)
    ref.addItems(["température", "durée"])
    combo = window.plot_2d.x_combo
    assert combo.sizeHint().width() >= ref.sizeHint().width()
    assert combo.maximumWidth() <= 240
