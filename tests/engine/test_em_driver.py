"""The one EM driver (emdesk.engine.em): failed restarts (issue 10, item 6) and its use by
GaussianMixture."""

import math

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.engine import gaussian as G


def _two_clusters(seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(size=(150, 2)), rng.normal(size=(150, 2)) + [6.0, 0.0]])


def _singular_at(monkeypatch, bad_restarts):
    """Restarts whose index is in ``bad_restarts`` start with a zero (singular) covariance."""
    orig = G._MixtureRun.initial_params
    count = {"r": -1}

    def initial_params(self, rng, interrupt):
        w, m, c = orig(self, rng, interrupt)
        count["r"] += 1
        if count["r"] in bad_restarts:
            c = np.zeros_like(c)
        return w, m, c

    monkeypatch.setattr(G._MixtureRun, "initial_params", initial_params)


def test_one_singular_restart_of_ten_does_not_fail_the_fit(monkeypatch):
    X = _two_clusters()
    ref = GaussianMixture(2, n_init=10, random_state=3).fit(X)
    _singular_at(monkeypatch, {3})
    gm = GaussianMixture(2, n_init=10, random_state=3).fit(X)
    assert len(gm.restart_parameters_) == 10
    failed = [p["failed"] for p in gm.restart_parameters_]
    assert failed[3] and "not positive definite" in failed[3] and "restart 4 of 10" in failed[3]
    assert all(f is None for i, f in enumerate(failed) if i != 3)
    assert gm.restart_log_likelihoods_[3] == -math.inf
    assert gm.restart_parameters_[3]["converged"] is False
    assert gm.best_restart_ != 3
    assert np.isfinite(gm.log_likelihood_)
    # the other restarts are untouched by the failure (same random stream)
    ok = [i for i in range(10) if i != 3]
    np.testing.assert_allclose(gm.restart_log_likelihoods_[ok], ref.restart_log_likelihoods_[ok], rtol=1e-12)
    assert gm.log_likelihood_ == pytest.approx(gm.score(X) * len(X), rel=1e-9)


def test_failed_restart_in_fit_iter_snapshots(monkeypatch):
    X = _two_clusters()
    _singular_at(monkeypatch, {0})
    snaps = list(GaussianMixture(2, n_init=3, random_state=0).fit_iter(X))
    assert {s.restart for s in snaps} == {1, 2}
    assert all(np.isfinite(s.log_likelihood) for s in snaps)
    assert sum(s.final for s in snaps) == 2


def test_all_restarts_failing_raises_with_the_reason(monkeypatch):
    X = _two_clusters()
    _singular_at(monkeypatch, set(range(4)))
    with pytest.raises(ValueError, match=r"All 4 restarts failed; the first: EM cannot continue at the initial "
                                         r"parameters \(restart 1 of 4\)"):
        GaussianMixture(2, n_init=4, random_state=0).fit(X)


def test_one_restart_failing_keeps_its_own_message(monkeypatch):
    X = _two_clusters()
    _singular_at(monkeypatch, {0})
    with pytest.raises(ValueError, match=r"^EM cannot continue at the initial parameters: the covariance of component"):
        GaussianMixture(2, n_init=1, random_state=0).fit(X)


def test_restart_parameters_record_failed_none_on_success():
    gm = GaussianMixture(2, n_init=2, random_state=0).fit(_two_clusters())
    assert [p["failed"] for p in gm.restart_parameters_] == [None, None]


def test_a_degenerate_m_step_says_so_with_the_relative_ridge(monkeypatch):
    """The message of an M-step that cannot go on names reg_covar whatever its form; with the default
    reg_covar="relative" it raised "Unknown format code 'g'" instead (a number format on a string)."""
    from emdesk.engine import _mixture_context
    from emdesk.engine.covariance_models import DegenerateMStep

    def fails(self, stats):
        raise DegenerateMStep("the shape matrix is singular")

    monkeypatch.setattr(_mixture_context._Context, "mstep", fails)
    X = np.random.default_rng(0).normal(size=(60, 2))
    with pytest.raises(ValueError, match="EM cannot continue: the shape matrix is singular. Increase reg_covar "
                                         r"\(now relative"):
        G.GaussianMixture(2, reg_covar="relative", random_state=0).fit(X)
