"""The restart kept is the best SOUND one (emdesk.engine.em.kept_restart): a restart whose component
collapsed onto tied values has a spuriously high likelihood and is kept only when every restart
collapsed (MASS::geyser, VVI with 4 components, seed 3 kept such a restart before)."""

import math
import warnings

import numpy as np
import pytest

from emdesk.engine import GaussianMixture, StudentTMixture
from emdesk.engine import gaussian as G
from emdesk.engine.diagnostics import ComponentIssue, DegenerateSolutionWarning, is_collapse
from emdesk.engine.em import kept_restart, kept_restart_note


def _data():
    rng = np.random.default_rng(0)
    tied = np.full((4, 2), [0.5, 0.5])  # four identical rows inside a cluster: a component can collapse onto them
    return np.vstack([rng.normal(size=(120, 2)), rng.normal(size=(120, 2)) + [6.0, 0.0], tied])


def _collapsed_at(monkeypatch, restarts):
    """Restarts whose index is in ``restarts`` start with component 3 on the tied rows, its variance tiny."""
    orig = G._MixtureRun.initial_params
    count = {"r": -1}

    def initial_params(self, rng, interrupt):
        w, m, c = orig(self, rng, interrupt)
        count["r"] += 1
        if count["r"] in restarts:
            m = np.array(m, dtype=float)
            c = np.array(c, dtype=float)
            m[2] = self.ctx.std.means_to_z(np.array([[0.5, 0.5]]))[0]
            c[2] = 1e-12
            w = np.array([0.49, 0.49, 0.02])
        return w, m, c

    monkeypatch.setattr(G._MixtureRun, "initial_params", initial_params)


def _fit(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        return GaussianMixture(3, covariance_type="diag", random_state=0, max_iter=30, init_params="kmeans",
                               **kw).fit(_data())


def test_a_collapsed_restart_with_the_highest_likelihood_is_not_kept(monkeypatch):
    _collapsed_at(monkeypatch, {1})
    gm = _fit(n_init=3)
    lls = gm.restart_log_likelihoods_
    assert gm.restart_degenerate_.tolist() == [False, True, False]
    assert int(np.argmax(lls)) == 1  # the collapsed restart has the highest likelihood ...
    assert gm.best_restart_ == int(np.argmax(np.where(gm.restart_degenerate_, -np.inf, lls)))  # ... not kept
    assert gm.degeneracies_ == ()
    assert gm.log_likelihood_ == lls[gm.best_restart_]
    assert len(lls) == 3 and np.all(np.isfinite(lls))  # every restart still reported
    note = kept_restart_note(gm)
    assert note.startswith("Restart 2 had the highest log-likelihood") and "collapsed component" in note
    assert f"the best sound restart, {gm.best_restart_ + 1} " in note


def test_every_restart_collapsed_keeps_the_best_as_before(monkeypatch):
    _collapsed_at(monkeypatch, {0, 1})
    with pytest.warns(DegenerateSolutionWarning):
        gm = GaussianMixture(3, covariance_type="diag", random_state=0, max_iter=30, init_params="kmeans",
                             n_init=2).fit(_data())
    assert gm.restart_degenerate_.tolist() == [True, True]
    assert gm.best_restart_ == int(np.argmax(gm.restart_log_likelihoods_))
    assert is_collapse(gm.degeneracies_)
    assert kept_restart_note(gm) == ""


def test_all_sound_restarts_keep_the_highest_likelihood_as_before():
    gm = _fit(n_init=4)
    assert not gm.restart_degenerate_.any()
    keys = [(p["log_likelihood"], i) for i, p in enumerate(gm.restart_parameters_)]
    assert gm.best_restart_ == max(keys, key=lambda t: (t[0], -t[1]))[1]
    np.testing.assert_array_equal(gm.means_, gm.restart_parameters_[gm.best_restart_]["means"])
    assert kept_restart_note(gm) == ""


def _res(ll, kinds=(), failed=None, lb=None):
    issues = tuple(ComponentIssue(0, k, "") for k in kinds)
    return {"log_likelihood": ll, "lower_bound": ll if lb is None else lb, "issues": issues, "failed": failed}


def test_kept_restart_rule():
    # all sound: the highest (log-likelihood, lower bound), the first on a tie (the rule before)
    assert kept_restart([_res(-5.0), _res(-3.0), _res(-3.0), _res(-4.0)]) == 1
    assert kept_restart([_res(-math.inf, lb=-2.0), _res(-math.inf, lb=-1.0)]) == 1
    # every collapse kind loses to any sound restart; an HMM's empty state or dead transition row does not
    for kind in ("variance_floor", "too_few_points", "ill_conditioned"):
        assert kept_restart([_res(-9.0), _res(10.0, [kind])]) == 0
    assert kept_restart([_res(-9.0), _res(10.0, ["empty_state"]), _res(1.0, ["dead_transition_row"])]) == 1
    # all collapsed: the best of them; failed restarts never
    assert kept_restart([_res(1.0, ["variance_floor"]), _res(2.0, ["too_few_points"])]) == 1
    assert kept_restart([_res(-math.inf, failed="x"), _res(-9.0, ["variance_floor"])]) == 1
    assert kept_restart([_res(-math.inf, failed="x")]) is None


def test_other_families_report_restart_degenerate():
    X = _data()
    tm = StudentTMixture(2, n_init=2, random_state=0, max_iter=20).fit(X)
    assert tm.restart_degenerate_.shape == (2,) and tm.restart_degenerate_.dtype == bool
    assert not tm.restart_degenerate_[tm.best_restart_]
