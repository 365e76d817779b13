"""Scoring impossible rows under a fitted HMM: every method agrees (issue 15's newcomer test found predict
returning a path, decode failing with a NumPy error, predict_proba raising and score giving -inf for the
same rows). score is -inf (the log of probability 0, as hmmlearn's score); score_samples, predict_proba,
decode (both algorithms) and predict raise one ValueError naming the first impossible row or sequence.
Invalid values (a negative or fractional count, a symbol outside the model's range) are a ValueError in
every method, score included."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from emdesk.engine import CategoricalHMM, GaussianHMM, PoissonHMM

RAISING = ("score_samples", "predict_proba", "decode", "decode_map", "predict")


def _call(model, name, X, lengths=None):
    if name == "decode_map":
        return model.decode(X, lengths, algorithm="map")
    return getattr(model, name)(X, lengths)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cat = CategoricalHMM(2, random_state=0).fit(np.array([[0], [1], [2], [1], [0], [2]] * 5, float))
        poi = PoissonHMM(2, random_state=0).fit(rng.poisson(3, (60, 1)).astype(float))
        gau = GaussianHMM(2, random_state=0).fit(rng.normal(size=(60, 1)))
    return cat, poi, gau


def _cases(fitted):
    cat, poi, gau = fitted
    unseen = CategoricalHMM(**cat.get_params())
    unseen.startprob_, unseen.transmat_ = cat.startprob_, cat.transmat_
    unseen.emissionprob_ = np.array([[0.5, 0.5, 0.0], [0.3, 0.7, 0.0]])  # symbol 2: no state emits it
    return [(unseen, np.array([[0.0], [1.0], [2.0], [2.0]]), r"Row 3 of X \(and 1 more row\)"),
            (gau, np.array([[0.0], [1e200]]), r"Row 2 of X is impossible under the model: it has probability 0 "
                                              r"under every state")]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 1e200 squared overflows: the density is 0
def test_impossible_rows_every_method_agrees(fitted):
    for model, X, row in _cases(fitted):
        assert model.score(X) == -math.inf
        for name in RAISING:
            with pytest.raises(ValueError, match=row + r".*score\(X\) is -inf"):
                _call(model, name, X)


def test_a_sequence_no_path_can_produce(fitted):
    cat = fitted[0]
    h = CategoricalHMM(**cat.get_params())
    h.startprob_ = np.array([0.5, 0.5])
    h.transmat_ = np.eye(2)  # no switching: a sequence 0, 1 is impossible although each row alone is not
    h.emissionprob_ = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    X = np.array([[0.0], [0.0], [0.0], [1.0]])
    assert h.score(X, [2, 2]) == -math.inf
    for name in RAISING:
        with pytest.raises(ValueError, match=r"Sequence 2 of X \(rows 3 to 4\) is impossible under the model"):
            _call(h, name, X, [2, 2])
    assert h.score(X[:2], [2]) == pytest.approx(math.log(0.5))  # the possible sequence alone scores
    assert h.predict(X[:2]).tolist() == [0, 0]


@pytest.mark.parametrize("which,X,message", [
    (1, [[1.0], [-1.0]], "counts"), (1, [[1.0], [2.5]], "counts"),
    (0, [[0.0], [5.0]], "symbol 5"), (0, [[0.0], [1.5]], "integers")])
def test_invalid_values_are_refused_by_every_method(fitted, which, X, message):
    model = fitted[which]
    for name in RAISING + ("score",):
        with pytest.raises(ValueError, match=message):
            _call(model, name, np.array(X))


def test_possible_rows_still_score(fitted):
    for model, X, _ in _cases(fitted):
        ok = X[:1]
        assert np.isfinite(model.score(ok))
        assert np.allclose(model.predict_proba(ok).sum(axis=1), 1.0)
        assert model.predict(ok).shape == (1,)
