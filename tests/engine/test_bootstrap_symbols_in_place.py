"""A CategoricalHMM's nonparametric resample of integer symbols read in place (issue 16, tenth session).

Above ``RESAMPLE_COPY_BYTES`` (0 here) the picked sequences' symbols are read through their 4-byte row numbers
(:class:`~emdesk.engine.families._blocks.TakenRows`, in the symbols' own integer type) instead of the
``np.concatenate`` copy (8 bytes a row of int64 symbols).  The replicates are the copy's bit for bit, on the
families' and the forward-backward's blocked paths.  Small data: well under a second."""

from __future__ import annotations

import numpy as np
import pytest

import emdesk.engine.bootstrap_kinds as BK
import emdesk.engine.families._blocks as FB
import emdesk.engine.families.categorical as FC
import emdesk.engine.structures.markov_blocked as MB
from emdesk.engine.bootstrap_kinds import bootstrap_kind
from emdesk.engine.hmm import CategoricalHMM

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def _symbols():
    rng = np.random.default_rng(5)
    states = np.repeat(rng.integers(0, 2, size=30), 12)
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    cdf = probs.cumsum(axis=1)[states]
    X = (rng.random(states.size)[:, None] > cdf).sum(axis=1).astype(np.int64)[:, None]
    return X, [100, 80, 120, 60]


def test_symbols_read_in_place_are_the_copy_bit_for_bit(monkeypatch):
    X, lengths = _symbols()
    fit = CategoricalHMM(2, random_state=0, max_iter=20).fit(X, lengths)
    monkeypatch.setattr(MB, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(MB, "FB_BLOCK_BYTES", 170 * (80 * 2 + 64))
    monkeypatch.setattr(FB, "FAMILY_BLOCK_BYTES", 8 * (4 * 2 + 3 + 8) * 29)  # blocks of 29 rows
    bound = []
    real_bind = FC.CategoricalFamily.bind
    monkeypatch.setattr(FC.CategoricalFamily, "bind",
                        lambda self, X, k=None: bound.append(type(X)) or real_bind(self, X, k))
    keys = []
    real_getitem = FB.TakenRows.__getitem__
    monkeypatch.setattr(FB.TakenRows, "__getitem__", lambda self, key: keys.append(key) or real_getitem(self, key))
    out = []
    for budget in (BK.RESAMPLE_COPY_BYTES, 0):
        monkeypatch.setattr(BK, "RESAMPLE_COPY_BYTES", budget)
        bound.clear()
        out.append(bootstrap_kind(fit, X, n_boot=3, random_state=4, n_jobs=1, max_iter=3,
                                  lengths=lengths))
    copied, in_place = out
    assert np.array_equal(in_place.permutations, copied.permutations)
    assert np.array_equal(in_place.log_likelihoods, copied.log_likelihoods)
    for key in in_place.replicates:
        assert np.array_equal(in_place.replicates[key], copied.replicates[key])
    # each replicate's fit bound the symbols through their row numbers (the copy, an int64 array, before)
    assert sum(t is FB.TakenRows for t in bound) == 3
    # read in blocks of rows, never row by row (np.asarray of it would read it so: the column notes did)
    assert keys and not any(isinstance(key, (int, np.integer)) for key in keys)


def test_taken_rows_read_as_the_gathered_array():
    X = np.arange(24, dtype=np.int64).reshape(12, 2)
    rows = np.array([3, 3, 0, 11, 5], dtype=np.int32)
    T = FB.TakenRows(X, rows)
    assert T.shape == (5, 2) and T.dtype == np.int64 and len(T) == 5
    for key in (slice(1, 4), np.array([4, 0]), 2):
        assert np.array_equal(T[key], X[rows][key])
    assert np.array_equal(T[1:4, 1], X[rows][1:4, 1])
