"""The step-by-step sweep across mixture families (emdesk.engine.family_sweep, issue 13)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emdesk.engine import GaussianMixture, PoissonMixture, StudentTMixture
from emdesk.engine.family_sweep import FamilySweepRow, iter_select_families

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _two_clusters(seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(6, 1, (80, 2))])


def test_rows_of_both_families_scored_as_their_estimators():
    X = _two_clusters()
    steps = list(iter_select_families(X, ("gaussian", "student_t"), [1, 2], ("full", "diag"), n_init=1,
                                      random_state=0, n_jobs=1))
    res = steps[-1].result
    assert steps[-1].done == steps[-1].total == 8 and len(res.table) == 8
    assert all(isinstance(r, FamilySweepRow) for r in res.table)
    assert [r.index for r in res.table] == list(range(8))
    gauss = [r for r in res.table if r.family == "gaussian"]
    assert [(r.n_components, r.covariance_type) for r in gauss] == [(1, "full"), (1, "diag"), (2, "full"),
                                                                     (2, "diag")]
    assert all(isinstance(r.model, GaussianMixture) for r in gauss)
    t = [r for r in res.table if r.family == "student_t"]
    assert {r.covariance_type for r in t} == {"student_t:full", "student_t:diag"}
    for r in t:
        m = r.model
        assert isinstance(m, StudentTMixture) and m.covariance_type == r.covariance_type.split(":")[1]
        n = X.shape[0]
        assert r.bic == pytest.approx(-2 * r.log_likelihood + m.n_parameters() * math.log(n))
        assert r.aic == pytest.approx(-2 * r.log_likelihood + 2 * m.n_parameters())
        assert r.icl >= r.bic
    assert res.best_row.n_components == 2
    assert "2 components" in res.reason


def test_poisson_rows_and_kinds_never_mixed():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.poisson(2.0, 150), rng.poisson(12.0, 100)]).astype(float)[:, None]
    res = list(iter_select_families(X, ("poisson",), [1, 2, 3], n_init=2, random_state=0))[-1].result
    assert [r.covariance_type for r in res.table] == ["poisson"] * 3
    assert isinstance(res.best, PoissonMixture) and res.best_row.n_components == 2
    assert res.best_row.label() == "2 components, Poisson"
    with pytest.raises(ValueError, match="compare families of one kind"):
        next(iter_select_families(X, ("gaussian", "poisson")))
    with pytest.raises(ValueError, match="unknown family"):
        next(iter_select_families(X, ("weibull",)))


def test_should_stop_ends_the_sweep_with_the_fits_so_far():
    X = _two_clusters()
    seen = []

    def stop():
        return len(seen) >= 2

    for step in iter_select_families(X, ("gaussian", "student_t"), [1, 2, 3], ("full",), n_init=1,
                                     random_state=0, n_jobs=1, should_stop=stop):
        seen.append(step)
    assert len(seen) == 2 and seen[-1].done < seen[-1].total


def test_the_gaussian_mixtures_relative_settings_leave_the_other_families_their_own():
    # The app's defaults (issue 11: init_params="emEM", tol and reg_covar "relative") are GaussianMixture's;
    # the sweep over Poisson and Student-t mixtures failed on them ("tol must be a number >= 0").
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.poisson(2.0, 150), rng.poisson(12.0, 100)]).astype(float)[:, None]
    res = list(iter_select_families(X, ("poisson",), [1, 2], n_init=1, random_state=0, tol="relative",
                                    reg_covar="relative", init_params="emEM"))[-1].result
    assert all(r.error is None for r in res.table) and res.best_row.n_components == 2
    Y = np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(6, 1, (80, 2))])
    res = list(iter_select_families(Y, ("student_t",), [2], covariance_types=("full",), n_init=1, random_state=0,
                                    tol="relative", reg_covar="relative", init_params="emEM"))[-1].result
    assert all(r.error is None for r in res.table) and isinstance(res.best, StudentTMixture)
