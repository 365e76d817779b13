"""The Results summary of the other kinds (Student-t, Poisson, categorical and mixed mixtures; Gaussian, Poisson
and categorical HMMs) reads X in one pass (an HMM: the forward sweep and one Viterbi pass over rows bound
once), with the same numbers as the public methods each computed in its own pass (tolerance 0)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emdesk.engine import (CategoricalHMM, CategoricalMixture, GaussianHMM, MixedMixture, PoissonHMM,
                           PoissonMixture, StudentTMixture)
from emdesk.engine.hmm import hmm_icl
from emdesk.engine.summary import summary


def _blobs(n=90, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (n // 2, 2)), rng.standard_t(3, (n - n // 2, 2)) + 4])
    X[rng.random(X.shape) < 0.1] = np.nan
    X[5] = np.nan  # a row with no value: not counted
    return X


def _count_log_prob(monkeypatch, model):
    cls = type(model._family())
    orig = cls.log_prob
    calls = [0]

    def counted(self, *a, **k):
        calls[0] += 1
        return orig(self, *a, **k)

    monkeypatch.setattr(cls, "log_prob", counted)
    return calls


def _mixtures():
    X = _blobs()
    rng = np.random.default_rng(1)
    counts = np.vstack([rng.poisson(2, (40, 2)), rng.poisson(9, (40, 2))]).astype(float)
    counts[3, 1] = np.nan
    cats = np.array([[a, b] for a, b in zip(rng.choice(["x", "y"], 60), rng.choice(["u", "v", "w"], 60))],
                    dtype=object)
    cats[7, 0] = None
    mixed = np.column_stack([_blobs(60, 2)[:, 0], rng.integers(0, 3, 60)]).astype(float)
    return [
        (StudentTMixture(2, missing="marginalize", random_state=0), X),
        (PoissonMixture(2, missing="marginalize", random_state=0), counts),
        (CategoricalMixture(2, random_state=0), cats),
        (MixedMixture(2, categorical_columns=[1], missing="marginalize", random_state=0), mixed),
    ]


@pytest.mark.parametrize("case", range(4))
def test_mixture_summary_one_pass_same_numbers(monkeypatch, case):
    model, X = _mixtures()[case]
    model.fit(X)
    monkeypatch.setattr(type(model), "SCORE_BLOCK_BYTES", 8 * 20 * (3 * 2 + 2))  # blocks of 20 rows
    calls = _count_log_prob(monkeypatch, model)
    labels = model.predict(X)
    one_pass = calls[0]
    assert one_pass >= 3  # several blocks
    ll, icl = model.log_likelihood(X), model.icl(X)
    u = model.scale_weights(X, component="map") if isinstance(model, StudentTMixture) else None
    calls[0] = 0
    s = summary(model, X)
    assert calls[0] == one_pass  # was 3 passes (a Student-t: 5)
    assert s.log_likelihood == ll and s.icl == icl
    observed = np.array([not all(v is None or (isinstance(v, float) and math.isnan(v)) for v in row) for row in X])
    assert np.array_equal(s.clustering, np.bincount(labels[observed], minlength=2))
    if u is not None:
        title, _, rows = next(b for b in s.blocks if b[0].startswith("Rows with the smallest scale weight"))
        order = [i for i in np.argsort(u, kind="stable") if observed[i]][:len(rows)]
        assert [r[:3] for r in rows] == [[int(i) + 1, int(labels[i]) + 1, float(u[i])] for i in order]
        assert any(f"{int(np.sum(u[observed] < 0.5))} row" in n for n in s.notes)


def _hmms():
    rng = np.random.default_rng(4)
    z = np.repeat(rng.integers(0, 2, 12), 8)
    x = np.where(z[:, None] == 0, 0.0, 3.0) + rng.normal(0, 0.7, (96, 1))
    x[[4, 30, 31]] = np.nan
    lengths = [40, 56]
    cnt = rng.poisson(np.where(z == 0, 1.5, 7.0))[:, None].astype(float)
    sym = np.where(rng.random(96) < 0.8, z, 1 - z)[:, None] + np.where(z[:, None] == 1, 1, 0)
    return [
        (GaussianHMM(2, missing="marginalize", random_state=0), x, lengths),
        (PoissonHMM(2, random_state=0), cnt, lengths),
        (CategoricalHMM(2, random_state=0), sym, None),
    ]


@pytest.mark.parametrize("case", range(3))
def test_hmm_summary_binds_once_same_numbers(monkeypatch, case):
    model, X, lengths = _hmms()[case]
    model.fit(X, lengths)
    ll, states, icl = model.score(X, lengths), model.predict(X, lengths), hmm_icl(model, X, lengths)
    binds = [0]
    orig = type(model)._markov_rows

    def counted(self, *a, **k):
        binds[0] += 1
        return orig(self, *a, **k)

    monkeypatch.setattr(type(model), "_markov_rows", counted)
    s = summary(model, X, lengths=lengths)
    assert binds[0] == 1  # was 3 (score, predict, hmm_icl), with two Viterbi passes
    assert s.log_likelihood == ll and s.icl == icl
    assert np.array_equal(s.clustering, np.bincount(states, minlength=2))
    share = next(b for b in s.blocks if b[0] == "State durations and occupancy")[2][2][1:]
    assert share == [float(c) / len(states) for c in np.bincount(states, minlength=2)]
