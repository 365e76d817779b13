"""The restart strategy against published mclust values (issue 11, items 3 and 4).

Published values: the vignette "A quick tour of mclust" (Scrucca, Fop, Murphy & Raftery; shipped with
mclust 6.0.0 as ``doc/mclust.html``), on mclust's ``diabetes`` data (its three numeric columns, 145 rows;
data/diabetes.csv as ``data(diabetes, package = "mclust")`` holds them)::

    X <- diabetes[, -1]
    BIC <- mclustBIC(X)          # mclust's default: one EM from the hierarchical start (hc VVV, SVD)
    summary(BIC)
    ## Best BIC values:
    ##              VVV,3       VVV,4       EVE,6
    ## BIC      -4751.316 -4784.32213 -4785.24591

and, in its section "Initialisation", the best of mclust's default and randomised hierarchical starts
(``hcRandomPairs``), merged: ``VVV,3 -4751.354  VVE,4 -4757.091572  VVE,3 -4775.69587``.
The same numbers come out of ``mclustBIC`` with R 4 and mclust 6.0.0 here (benchmarks/bench_vs_mclust.py).

BIC on mclust's scale (2 logL - p log n, higher is better); emdesk's ``bic`` is its negative.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest

from emdesk.engine import DegenerateSolutionWarning, GaussianMixture, select_model

DIABETES = np.loadtxt(Path(__file__).parent / "data" / "diabetes.csv", delimiter=",", skiprows=1)
VIGNETTE_DEFAULT = {("VVV", 3): -4751.316, ("VVV", 4): -4784.32213, ("EVE", 6): -4785.24591}
VIGNETTE_RANDOM_STARTS = {("VVE", 4): -4757.091572}


def _fit(model, k, init_params, n_init):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        return GaussianMixture(k, covariance_type=model, init_params=init_params, n_init=n_init, random_state=0,
                               tol="relative", reg_covar="relative", max_iter=1000).fit(DIABETES)


def test_diabetes_literal():
    assert DIABETES.shape == (145, 3)
    assert DIABETES.sum() == 123089
    np.testing.assert_array_equal(DIABETES[:2], [[80, 356, 124], [97, 289, 117]])


@pytest.mark.parametrize("model, k", sorted(VIGNETTE_DEFAULT))
def test_restart_one_is_mclusts_default_and_reaches_its_published_bic(model, k):
    """With one restart the strategy is mclust's default procedure: the vignette's values."""
    gm = _fit(model, k, "emEM", n_init=1)
    assert -gm.bic(DIABETES) == pytest.approx(VIGNETTE_DEFAULT[(model, k)], abs=0.5)


def test_the_exploring_restarts_reach_the_vignettes_best_starts_or_higher():
    """VVV,4 and VVE,4: the four exploratory restarts find optima above mclust's default (the vignette's
    randomised hierarchical starts found VVE,4 at -4757.09; emdesk reaches -4752.8 and VVV,4 -4774.4).
    VVV,4: two restarts reach a higher likelihood (-4765.0) with a component of 3.0 and 3.99 effective
    points, fewer than the d + 1 = 4 a full covariance needs (too_few_points): a collapse, so the best
    sound restart is kept (emdesk.engine.em.kept_restart; before, the collapsed one was)."""
    vvv4 = _fit("VVV", 4, "emEM", n_init=5)
    assert vvv4.degeneracies_ == () and vvv4.restart_degenerate_.sum() == 2
    assert -vvv4.bic(DIABETES) > VIGNETTE_DEFAULT[("VVV", 4)] + 9
    vve4 = _fit("VVE", 4, "emEM", n_init=5)
    assert -vve4.bic(DIABETES) >= VIGNETTE_RANDOM_STARTS[("VVE", 4)] - 0.5
    # the hierarchical restart alone stays below it: the gain is the exploration's
    assert -_fit("VVE", 4, "emEM", n_init=1).bic(DIABETES) < VIGNETTE_RANDOM_STARTS[("VVE", 4)] - 5


def test_select_model_recommends_the_vignettes_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        r = select_model(DIABETES, n_components=[2, 3, 4], covariance_types=["VVV", "EEE"], random_state=0,
                         n_jobs=1)
    assert (r.best_row.covariance_type, r.best_row.n_components) == ("VVV", 3)
    assert -r.best_row.bic >= VIGNETTE_DEFAULT[("VVV", 3)] - 0.5


def test_fit_and_select_model_diagnose_only_the_final_snapshot_with_the_same_result():
    """The cost cut: fit() and select_model diagnose each restart's final snapshot only; fit_iter (the
    window) still diagnoses every snapshot, and the fitted model is the same either way."""
    X = np.vstack([DIABETES, DIABETES[:1] + 1e-9])  # a near-duplicate row: small components can collapse
    params = dict(covariance_type="VVV", init_params="emEM", n_init=3, random_state=0, tol="relative",
                  reg_covar="relative", max_iter=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        a = GaussianMixture(9, **params)
        snaps = list(a.fit_iter(X))
        b = GaussianMixture(9, **params).fit(X)
        lean = list(GaussianMixture(9, **params).fit_iter(X, _interim_issues=False))
    assert any(s.issues for s in snaps if not s.final)  # interim snapshots carry their diagnosis
    assert not any(s.issues for s in lean if not s.final)
    assert [s.issues for s in lean if s.final] == [s.issues for s in snaps if s.final]
    assert a.degeneracies_ == b.degeneracies_
    np.testing.assert_array_equal(a.restart_log_likelihoods_, b.restart_log_likelihoods_)
    np.testing.assert_array_equal(a.covariances_, b.covariances_)
