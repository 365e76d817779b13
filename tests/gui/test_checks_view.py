"""pytest-qt tests of the checks view (issue 14: Q-Q, marginal density, PIT, hints)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.engine.checks import check_model
from emdesk.gui.checks_view import ChecksView


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal([0, 0], 1.0, (150, 2)), rng.normal([6, 0], 1.0, (150, 2))])


@pytest.fixture
def view(qtbot):
    v = ChecksView()
    qtbot.addWidget(v)
    v.resize(1000, 400)
    v.show()
    return v


def test_draws_the_chosen_component_and_column(view, data, qtbot):
    gm = GaussianMixture(2, random_state=0).fit(data)
    checks = check_model(gm, data, ["u", "v"])
    with qtbot.waitSignal(view.hintsChanged) as blocker:
        view.set_checks(checks)
    assert blocker.args == [[]]
    assert "No check points at a problem" in view.hints_label.text()
    assert view.component_box.count() == 2 and view.column_box.count() == 2
    qq_items = (view.qq_points, view.qq_line)
    x, y = view.qq_points.getData()
    np.testing.assert_allclose(x, checks.qq[0].quantiles)
    np.testing.assert_allclose(y, checks.qq[0].distances)
    view.set_component(1)
    x, y = view.qq_points.getData()
    np.testing.assert_allclose(y, checks.qq[1].distances)
    view.set_column(1)
    gx, gy = view.density.getData()
    np.testing.assert_allclose(gy, checks.marginals[1].density)
    np.testing.assert_allclose(view.component_curves[1].getData()[1], checks.marginals[1].component_densities[1])
    px, py = view.pit_hist.getData()
    np.testing.assert_allclose(py, checks.marginals[1].pit_density)
    assert (view.qq_points, view.qq_line) == qq_items  # created once


def test_shows_hints_and_clears(view, data, qtbot):
    gm = GaussianMixture(1).fit(data)
    with qtbot.waitSignal(view.hintsChanged) as blocker:
        view.set_checks(check_model(gm, data))
    (messages,) = blocker.args
    assert len(messages) == 1 and "one more component" in messages[0]
    assert "one more component" in view.hints_label.text()
    # one component: no dashed per-component curve on top of the total density
    assert all(len(c.getData()[0] or []) == 0 for c in view.component_curves)
    view.clear()
    assert view.component_box.count() == 0 and view.checks() is None


def test_many_rows_are_thinned_for_display_only(qtbot):
    v = ChecksView(max_qq_points=200)
    qtbot.addWidget(v)
    X = np.random.default_rng(3).normal(size=(3000, 2))
    checks = check_model(GaussianMixture(1).fit(X), X)
    v.set_checks(checks)
    x, y = v.qq_points.getData()
    assert len(x) <= 200
    assert y[0] == checks.qq[0].distances[0] and y[-1] == checks.qq[0].distances[-1]


def test_a_narrow_dock_stacks_the_plots_and_a_wide_one_is_not_taller_than_it(data, qtbot):
    """At 1280x720 the Model Checks dock is about 390 px wide: the three plots side by side were 115 px each
    (titles cut), and the plots' preferred height made the view 1,500 px tall in its scroll area."""
    from PySide6 import QtWidgets

    small = data[::3]
    gm = GaussianMixture(2, n_init=1, random_state=0).fit(small)
    view = ChecksView()
    scroll = QtWidgets.QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(view)
    qtbot.addWidget(scroll)
    view.set_checks(check_model(gm, small, ["u", "v"]))
    scroll.resize(390, 560)
    scroll.show()
    qtbot.wait(30)
    assert view.plot_columns() == 1
    assert min(p.width() for p in (view.qq_plot, view.marg_plot, view.pit_plot)) > 300
    scroll.resize(1000, 600)
    qtbot.wait(30)
    assert view.plot_columns() == 3
    assert view.height() <= 620 and view.qq_plot.height() < 600
