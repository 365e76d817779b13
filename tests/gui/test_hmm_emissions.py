"""The states' emission densities of an HMM in the window (issue 12): 1-D densities over the histogram,
Poisson probability mass, 2-D ellipses; redrawn per iteration (timeline)."""

from __future__ import annotations

import numpy as np
import pytest

FIT_TIMEOUT = 60_000
pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _csv(tmp_path, d=1, counts=False):
    rng = np.random.default_rng(8)
    z = np.repeat([0, 1, 0, 1, 1, 0], 70)
    if counts:
        cols = [rng.poisson(np.array([2.0, 9.0])[z])]
    else:
        cols = [rng.normal(np.array([0.0, 5.0])[z] + j, 0.7) for j in range(d)]
    p = tmp_path / "e.csv"
    names = ["t"] + [f"y{j}" for j in range(len(cols))]
    p.write_text(",".join(names) + "\n" + "".join(
        f"{t}," + ",".join(str(c[t]) for c in cols) + "\n" for t in range(len(z))))
    return p, names[1:]


def _fit(qtbot, window, path, columns, family):
    window.open_csv(path)
    window.set_model_kind("hmm", family)
    window.set_sequence(None, "t")
    window.select_columns(columns)
    window.set_options(n_components=2, random_state=0, max_iter=100, init_params="random", tol=1e-6)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    qtbot.waitUntil(lambda: window._shown_index == len(window.history) - 1, timeout=5000)
    return window.model


def test_gaussian_1d_densities_follow_the_fit_and_animate(qtbot, window, tmp_path):
    path, cols = _csv(tmp_path)
    model = _fit(qtbot, window, path, cols, "gaussian")
    em = window.views.emissions
    assert len(em.curves) == 2
    total = 0.0
    for i, x, y in em.curves:  # each state's curve peaks at its mean; together they integrate to 1
        assert x[np.argmax(y)] == pytest.approx(model.means_[i, 0], abs=(x[1] - x[0]))
        total += np.trapezoid(y, x)
    assert total == pytest.approx(1.0, abs=0.02)
    last = [y.copy() for _, _, y in em.curves]
    window.timeline.set_index(0)  # the first iteration: other densities on screen
    qtbot.waitUntil(lambda: window._shown_index == 0, timeout=5000)
    first = [y for _, _, y in em.curves]
    assert any(not np.allclose(a, b) for a, b in zip(first, last))
    window.resize(1280, 720)
    window.timeline.set_index(len(window.history) - 1)
    qtbot.waitUntil(lambda: window._shown_index == len(window.history) - 1, timeout=5000)
    window.grab().save("/tmp/hg_emissions_1d.png")


def test_poisson_mass_and_2d_ellipses(qtbot, window, tmp_path):
    from scipy.stats import poisson

    path, cols = _csv(tmp_path, counts=True)
    model = _fit(qtbot, window, path, cols, "poisson")
    em = window.views.emissions
    occ = window.history[-1].weights
    for i, x, y in em.curves:
        np.testing.assert_allclose(y, occ[i] * poisson.pmf(x, model.lambdas_[i, 0]), rtol=1e-12)
    path2, cols2 = _csv(tmp_path, d=2)
    (tmp_path / "e2.csv").write_bytes(path2.read_bytes())
    model = _fit(qtbot, window, tmp_path / "e2.csv", cols2, "gaussian")
    em = window.views.emissions
    assert len(em.curves) == 4  # 1- and 2-sigma ellipse per state
    for i, x, y in em.curves:
        np.testing.assert_allclose([x.mean(), y.mean()], model.means_[i, :2], atol=0.05)
    window.resize(1280, 720)
    window.grab().save("/tmp/hg_emissions_2d.png")
