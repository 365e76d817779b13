"""A new emission family, defined here and nowhere else, runs through the one EM driver as a
mixture and as a hidden Markov model with no change to emdesk.engine.em or the structures
(issue 12: the family contract of docs/INTERFACES.md is all a family needs)."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import expon

from emdesk.engine import HiddenMarkovModel, MixtureModel
from emdesk.engine.families import FamilyFailure


class ExponentialFamily:
    """Independent exponential waiting times per column: density ``r exp(-r x)``, x >= 0."""

    name = "exponential"
    param_names = ("rates",)

    def bind(self, X, k):
        X = np.asarray(X, dtype=float)
        if np.any(X < 0):
            raise ValueError("exponential emissions need values >= 0")
        return SimpleNamespace(X=X, n=X.shape[0], d=X.shape[1])

    def init_matrix(self, data):
        return np.log1p(data.X)

    def check_params(self, params, k, d):
        return {"rates": np.asarray(params["rates"], dtype=float).reshape(k, d)}

    def init_params(self, data, resp):
        return self.m_step(data, self.stats(data, None, resp), None)[0]

    def prepare(self, data, params):
        if not np.all(params["rates"] > 0):
            raise FamilyFailure("a rate is not positive")
        return params["rates"]

    def log_prob(self, data, rates):
        return np.log(rates).sum(axis=1)[None, :] - data.X @ rates.T

    def stats(self, data, prep, post):
        return post.sum(axis=0), post.T @ data.X

    def m_step(self, data, stats, params):
        nk, sx = stats
        return {"rates": nk[:, None] / sx}, []

    def n_parameters(self, params):
        return int(params["rates"].size)

    def sample(self, params, states, rng):
        return rng.exponential(1.0 / params["rates"][states])


def _data(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    # a sticky two-state chain: slow (rate 0.5) and fast (rate 5) waiting times
    z = np.zeros(n, dtype=int)
    for t in range(1, n):
        z[t] = z[t - 1] if rng.random() < 0.95 else 1 - z[t - 1]
    return rng.exponential(1.0 / np.array([0.5, 5.0])[z])[:, None], z


def test_new_family_as_a_mixture():
    X, _ = _data()
    m = MixtureModel(ExponentialFamily(), 2, n_init=3, random_state=0, tol=1e-10, max_iter=500)
    snaps = list(m.fit_iter(X))
    lls = [s.log_likelihood for s in snaps if s.restart == m.best_restart_]
    assert all(b >= a - 1e-9 * abs(a) for a, b in zip(lls, lls[1:]))
    order = np.argsort(m.rates_[:, 0])
    np.testing.assert_allclose(m.rates_[order, 0], [0.5, 5.0], rtol=0.15)
    # the log-likelihood by an independent computation (scipy's exponential density)
    logp = np.stack([expon(scale=1 / m.rates_[j, 0]).logpdf(X[:, 0]) for j in range(2)], axis=1)
    ref = float(logsumexp(logp + np.log(m.weights_), axis=1).sum())
    assert m.log_likelihood_ == pytest.approx(ref, rel=1e-10)
    assert m.score(X) == pytest.approx(ref, rel=1e-10)
    assert m.n_parameters() == 1 + 2
    assert snaps[-1].to_model().score(X) == pytest.approx(snaps[-1].log_likelihood, rel=1e-10)


def test_new_family_as_a_hidden_markov_model():
    _hmmc = pytest.importorskip("hmmlearn._hmmc")
    X, z = _data()
    m = HiddenMarkovModel(ExponentialFamily(), 2, random_state=0, tol=1e-10, max_iter=500)
    m.fit(X)
    order = np.argsort(m.rates_[:, 0])
    np.testing.assert_allclose(m.rates_[order, 0], [0.5, 5.0], rtol=0.15)
    assert np.all(np.diag(m.transmat_) > 0.9)
    logp = np.stack([expon(scale=1 / m.rates_[j, 0]).logpdf(X[:, 0]) for j in range(2)], axis=1)
    ref, _ = _hmmc.forward_log(m.startprob_, m.transmat_, logp)
    assert m.score(X) == pytest.approx(ref, rel=1e-10)
    assert m.log_likelihood_ == pytest.approx(ref, rel=1e-10)
    states = m.predict(X)
    assert (order[z] == states).mean() > 0.9 or (order[1 - z] == states).mean() > 0.9
    assert m.n_parameters() == 1 + 2 + 2
    Xs, zs = m.sample(50, random_state=1)
    assert Xs.shape == (50, 1) and zs.shape == (50,)
    assert math.isfinite(m.bic(X))


def test_a_failing_family_restart_is_recorded():
    X, _ = _data(n=300)

    class Fragile(ExponentialFamily):
        calls = 0

        def prepare(self, data, params):
            Fragile.calls += 1
            if Fragile.calls == 1:  # the first restart's starting values are unusable
                raise FamilyFailure("a rate is not positive")
            return super().prepare(data, params)

    m = MixtureModel(Fragile(), 2, n_init=3, random_state=0).fit(X)
    assert m.restart_parameters_[0]["failed"].startswith("EM cannot continue at the initial parameters (restart 1 of 3)")
    assert m.restart_log_likelihoods_[0] == -math.inf and m.best_restart_ != 0
