"""An HMM's state probabilities are drawn as one image (a column per step, split among the states in
proportion to their probabilities). Stacked filled curves cost about 0.8 s per frame at 5,000 steps and the
window stalled for seconds during an HMM fit of 1,000,000 rows (measured 1 Dec 2026)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.gui.geometry import component_colors

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def test_the_posterior_image_splits_each_step_by_its_state_probabilities(qtbot, window, tmp_path):
    rng = np.random.default_rng(3)
    z, rows = 0, []
    for t in range(300):
        if rng.random() < 0.05:
            z = (z + 1) % 3
        rows.append((t, rng.normal((0.0, 3.0, 6.0)[z], 1.2)))
    p = tmp_path / "series.csv"
    p.write_text("t,y\n" + "".join(f"{t},{y:.4f}\n" for t, y in rows))
    window.open_csv(p)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence(None, "t")
    window.select_columns(["y"])
    window.set_options(n_components=3, random_state=1, max_iter=50)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    views = window.views
    post = views.drawn_posteriors
    img = views.posterior_image()
    rows_ = views.POSTERIOR_ROWS
    assert img.shape == (post.shape[0], rows_, 3)
    colors = np.asarray(component_colors(3), dtype=float).clip(0, 255).astype(np.uint8)
    for j in range(3):
        share = (img == colors[j]).all(axis=2).mean(axis=1)  # the part of each column in state j's colour
        np.testing.assert_allclose(share, post[:, j], atol=1.0 / rows_ + 1e-9)
    # state 1 at the bottom of a column where it has any probability above 1 / rows
    t = int(np.argmax(post[:, 0]))
    assert (img[t, 0] == colors[0]).all()
