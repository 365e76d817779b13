"""``families._blocks.prepared_blocks``: the one set-up of a fitted model's scoring in row blocks, shared by the
bootstrap's label alignment (``bootstrap_kinds._post_blocks``) and ``MixtureModel.score`` (it was written out in
both).  Small data, well under a second."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine import PoissonMixture
from emdesk.engine.families._blocks import prepared_blocks


def _fitted():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.poisson(2.0, size=(150, 2)), rng.poisson(9.0, size=(150, 2))]).astype(float)
    return PoissonMixture(2, random_state=0).fit(X), X


def test_blocks_of_the_budget_give_the_whole_log_densities():
    pm, X = _fitted()
    Xc = pm._check_X(X, None, fitted=True)[0]
    fparams = pm._state()[1]
    fam, data, prep, step = prepared_blocks(pm, Xc, fparams, 8 * 6 * 2 * 37, 6)
    assert step == 37  # 37 rows of six (b, k) float arrays
    whole = fam.log_prob(fam.rows(data, 0, data.n), prep)
    parts = np.vstack([fam.log_prob(fam.rows(data, s, min(s + step, data.n)), prep)
                       for s in range(0, data.n, step)])
    np.testing.assert_allclose(parts, whole, rtol=1e-14, atol=0)
    assert prepared_blocks(pm, Xc, fparams, 1 << 40, 6)[3] <= data.n  # never more than the family's block


def test_parameters_the_family_cannot_prepare_raise_a_value_error():
    pm, X = _fitted()
    Xc = pm._check_X(X, None, fitted=True)[0]
    bad = dict(pm._state()[1])
    bad["lambdas"] = np.full_like(np.asarray(bad["lambdas"], dtype=float), -1.0)
    with pytest.raises(ValueError):
        prepared_blocks(pm, Xc, bad, 16 << 20, 6)
