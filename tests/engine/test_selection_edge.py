"""A recommendation at the largest number of components tried says so: the criterion may still improve beyond
it (a sweep of airquality's six columns recommended EEI with 9 of 1-9 components without a word)."""

from __future__ import annotations

import numpy as np

from emdesk.engine import select_model


def _three_clusters():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(c, 0.3, (40, 2)) for c in ((0, 0), (4, 0), (0, 4))])


def test_best_at_the_largest_number_tried_is_named():
    X = _three_clusters()
    edge = select_model(X, range(1, 3), ("full",), n_init=1, random_state=0, n_jobs=1)
    assert edge.best.n_components == 2
    assert "2 is the largest number tried: BIC may improve with more" in edge.reason
    inside = select_model(X, range(2, 5), ("full",), n_init=1, random_state=0, n_jobs=1)
    assert inside.best.n_components == 3 and "largest number tried" not in inside.reason
