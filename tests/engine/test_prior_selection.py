"""select_model with mclust's conjugate prior (issue 11, item 6 in the sweep).

mclust computes BIC with a prior from the log-likelihood at the MAP estimate (``mclustBIC`` calls
``bic(modelName, loglik = out$loglik, ...)`` with the ``loglik`` of ``me(..., prior = prior)``, the
likelihood's, not the log-posterior) and the usual parameter count; ``mclustICL`` adds the MAP
classification's term to that BIC.  Values from R 4 + mclust 6.0.0 on this machine (1 Dec 2026)::

    X <- as.matrix(faithful); ctl <- emControl(tol = c(1e-12, 1e-12))
    m <- c("VVV", "EEE", "VVI", "VII")
    print(mclustBIC(X, G = 1:3, modelNames = m, prior = priorControl(), control = ctl), digits = 12)
    print(mclustICL(X, G = 1:3, modelNames = m, prior = priorControl(), control = ctl), digits = 12)
    print(mclustBIC(X, G = 2:3, modelNames = c("VVV", "VII"), prior = priorControl(shrinkage = 0.1),
                    control = ctl), digits = 12)

(mclust's sign: higher is better; emdesk's is minus that.)
"""

import numpy as np
import pytest
from test_hierarchical import FAITHFUL

from emdesk.engine import select_model
from emdesk.engine.family_sweep import iter_select_families
from emdesk.engine.prior import check_prior, describe_prior, prior_covariance_types

MODELS = ("VVV", "EEE", "VVI", "VII")
R_BIC = {  # G: VVV, EEE, VVI, VII
    1: (-2607.79814235, -2607.79814235, -3061.43581744, -4024.76592316),
    2: (-2322.68235007, -2325.36828749, -2508.88359846, -3458.40227368),
    3: (-2351.56862148, -2314.51818113, -2488.45094668, -3336.67053859),
}
R_ICL = {
    1: (-2607.79814235, -2607.79814235, -3061.43581744, -4024.76592316),
    2: (-2323.08859515, -2326.83809116, -2514.49994927, -3460.91438350),
    3: (-2374.25920645, -2358.56938024, -2492.52601628, -3360.72476640),
}
R_BIC_SHRINK = {(2, "VVV"): -2322.77694165, (2, "VII"): -3458.36566323,
                (3, "VVV"): -2351.33121431, (3, "VII"): -3336.61664406}
# mclust's own settings: one start from its hierarchical clustering, converged far, no ridge
AS_MCLUST = dict(n_init=1, random_state=0, tol=1e-12, max_iter=5000, reg_covar=0.0, init_params="hierarchical")


def test_sweep_with_the_default_prior_equals_mclustBIC_and_mclustICL():
    res = select_model(FAITHFUL, range(1, 4), MODELS, prior="default", n_jobs=1, **AS_MCLUST)
    assert len(res.table) == 12 and all(r.ok for r in res.table)
    for r in res.table:
        j = MODELS.index(r.covariance_type)
        assert -r.bic == pytest.approx(R_BIC[r.n_components][j], abs=2e-3), r.label()
        assert -r.icl == pytest.approx(R_ICL[r.n_components][j], abs=2e-3), r.label()
        assert r.model.prior == "default"
        # the criteria use the likelihood at the MAP estimate, not the log-posterior
        assert r.log_likelihood == pytest.approx(r.model.log_likelihood_, rel=1e-12)
        assert r.model.log_prior_ < 0
    # mclust's summary: EEE,3 first (its BIC, not VVV's ML value)
    assert res.best_row.label() == "3 components, EEE"


def test_prior_overrides_reach_every_fit_in_threads():
    res = select_model(FAITHFUL, range(2, 4), ("VVV", "VII"), prior={"shrinkage": 0.1}, n_jobs=2,
                       backend="threads", **AS_MCLUST)
    for r in res.table:
        assert r.model.prior == {"shrinkage": 0.1}
        assert -r.bic == pytest.approx(R_BIC_SHRINK[r.n_components, r.covariance_type], abs=2e-3), r.label()
    # without the prior the same sweep gives other (maximum-likelihood) values
    ml = select_model(FAITHFUL, range(2, 3), ("VII",), n_jobs=1, **AS_MCLUST)
    assert abs(ml.table[0].bic - res.row(2, "VII").bic) > 0.01


def test_mclust_names_with_a_prior_sweep_the_models_that_have_one():
    res = select_model(FAITHFUL, [1], "mclust", prior="default", n_jobs=1, **AS_MCLUST)
    assert [r.covariance_type for r in res.table] == ["VII", "VVI", "EEE", "VVV"]
    assert prior_covariance_types(2) == ("full", "tied", "diag", "spherical", "VII", "VVI", "EEE", "VVV")
    one = select_model(FAITHFUL[:, 0], [1, 2], "mclust", prior="default", n_jobs=1, **AS_MCLUST)
    assert sorted({r.covariance_type for r in one.table}) == ["E", "V"]
    with pytest.raises(ValueError, match="'EVE' has no conjugate prior"):
        select_model(FAITHFUL, [1, 2], ["VVV", "EVE"], prior="default")
    with pytest.raises(ValueError, match="prior must be None or 'default'"):
        select_model(FAITHFUL, [1], ["VVV"], prior="flat")
    with pytest.raises(ValueError, match="unknown key nu"):
        select_model(FAITHFUL, [1], ["VVV"], prior={"nu": 3})


def test_family_sweep_passes_the_prior_to_the_gaussian_rows_only():
    steps = list(iter_select_families(FAITHFUL, ("gaussian", "student_t"), [2], ("VVV",), n_init=1,
                                      random_state=0, prior="default", n_jobs=1))
    rows = steps[-1].result.table
    gauss = [r for r in rows if r.family == "gaussian"]
    assert len(rows) == 2 and gauss[0].model.prior == "default"
    assert all(r.ok for r in rows)


def test_check_prior_and_its_description():
    assert check_prior(None) is None and check_prior("default") == "default"
    assert describe_prior(None) == "none" and "default" in describe_prior("default")
    assert describe_prior({"shrinkage": 0.1}) == "conjugate, shrinkage 0.1"
    for bad in ({"shrinkage": -1}, {"dof": 0}, {"scale": [np.nan]}, {"mean": [[1.0]]}, 3):
        with pytest.raises(ValueError):
            check_prior(bad)
