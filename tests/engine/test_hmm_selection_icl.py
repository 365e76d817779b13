"""The HMM sweep's ICL is the fit's own (hmm_icl, kind "map": BIC - 2 log p(Viterbi path | X)), the number the
Results summary shows: it was BIC + 2 x the states' marginal posterior entropies, so emdesk-fit --select
--criterion icl said 'ICL 3161.60' for the fit whose summary said 'ICL 3089.94' (a categorical HMM of the River
regimes example's alarms)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine.hmm import hmm_icl
from emdesk.engine.hmm_selection import iter_select_hmm
from emdesk.engine.summary import summary


@pytest.mark.parametrize("family", ["gaussian", "poisson", "categorical"])
def test_the_sweeps_icl_is_the_summarys(family):
    rng = np.random.default_rng(2)
    z = np.repeat([0, 1, 0, 1], 30)
    if family == "gaussian":
        X = rng.normal(z * 2.0, 0.8)[:, None]
    elif family == "poisson":
        X = rng.poisson(np.where(z == 0, 1.0, 4.0))[:, None].astype(float)
    else:
        X = np.where(z == 0, rng.integers(0, 2, 120), rng.integers(1, 3, 120))[:, None].astype(float)
    lengths = [50, 70]
    step = None
    for step in iter_select_hmm(X, lengths, [1, 2, 3], ["diag"], n_init=1, max_iter=20, criterion="icl",
                                random_state=0, family=family):
        pass
    rows = [r for r in step.result.table if r.model is not None]
    assert len(rows) == 3
    for row in rows:
        assert row.icl == hmm_icl(row.model, X, lengths)
        assert row.icl == summary(row.model, X, lengths=lengths).icl
    assert any(row.icl > row.bic for row in rows)  # the 2- and 3-state fits' classification term
