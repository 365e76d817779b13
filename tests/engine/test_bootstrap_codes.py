"""The bootstrap of the categorical kinds works on the fit's compact codes (issue 16 items 2/5): the same
replicates bit for bit as the float64 codes it held before, and no float copy of X."""

from __future__ import annotations

import numpy as np
import pytest

import emdesk.engine.bootstrap_kinds as BK
from emdesk.engine.bootstrap_kinds import bootstrap_kind
from emdesk.engine.families._codes import CodedRows
from emdesk.engine.hmm import CategoricalHMM
from emdesk.engine.mixtures import CategoricalMixture, MixedMixture
from tests.memory_peak import peak

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")

_REAL_WORK_DATA = BK._work_data


def _float_work_data(model, X, lengths):
    """The work rows as before: a float64 array of the codes (NaN where missing)."""
    Xw, lengths, params = _REAL_WORK_DATA(model, X, lengths)
    return np.asarray(Xw, dtype=float), lengths, params


def _cases():
    rng = np.random.default_rng(6)
    n = 160
    lab = rng.integers(2, size=n)
    text = np.array(["a", "b", "c"], dtype=object)
    Xc = np.column_stack([text[(lab + rng.integers(0, 2, size=n)) % 3], text[(2 * lab + rng.integers(0, 2, size=n)) % 3]])
    Xc[rng.random(Xc.shape) < 0.1] = None
    cat = CategoricalMixture(2, random_state=0).fit(Xc)
    Xm = np.column_stack([np.where(lab == 1, 4.0, 0.0) + rng.normal(size=n), (lab + rng.integers(0, 2, size=n)) % 3])
    Xm[rng.random(n) < 0.1, 1] = np.nan
    Xm[rng.random(n) < 0.05, 0] = np.nan
    mixed = MixedMixture(2, categorical_columns=[1], missing="marginalize", random_state=0).fit(Xm)
    sym = np.r_[rng.integers(0, 2, 60), rng.integers(1, 3, 60), rng.integers(0, 2, 40)].astype(np.int64)[:, None]
    hmm = CategoricalHMM(2, random_state=0).fit(sym, [60, 60, 40])
    return [("categorical", cat, Xc, None), ("mixed", mixed, Xm, None), ("categorical HMM", hmm, sym, [60, 60, 40])]


@pytest.fixture(scope="module")
def cases():
    return {c[0]: c[1:] for c in _cases()}


@pytest.mark.parametrize("method", ["nonparametric", "parametric"])
@pytest.mark.parametrize("name", ["categorical", "mixed", "categorical HMM"])
def test_replicates_are_the_float_codes_bits(monkeypatch, cases, name, method):
    model, X, lengths = cases[name]
    got = bootstrap_kind(model, X, n_boot=3, method=method, random_state=3, n_jobs=1, lengths=lengths, max_iter=20)
    monkeypatch.setattr(BK, "_work_data", _float_work_data)
    ref = bootstrap_kind(model, X, n_boot=3, method=method, random_state=3, n_jobs=1, lengths=lengths, max_iter=20)
    assert got.n_failed == ref.n_failed
    assert got.log_likelihoods.tobytes() == ref.log_likelihoods.tobytes()
    assert np.array_equal(got.permutations, ref.permutations)
    for key in ref.replicates:
        assert got.replicates[key].tobytes() == ref.replicates[key].tobytes(), key


def test_work_rows_are_the_compact_codes(cases):
    for name, (model, X, lengths) in cases.items():
        Xw = BK._work_data(model, X, lengths)[0]
        if name == "categorical HMM":
            assert Xw.dtype == np.int64 and np.shares_memory(Xw, X)
        else:
            assert isinstance(Xw, CodedRows)
            assert Xw.nbytes_held <= X.shape[0] * X.shape[1]  # 1 byte per cell at most


def test_peak_is_not_a_float_copy():
    """20,000 rows x 4 categorical columns: the nonparametric bootstrap's peak (one replicate, one
    iteration) beside the float codes' (X as float64: 640 kB)."""
    rng = np.random.default_rng(1)
    n, d = 20_000, 4
    lab = rng.integers(2, size=n)
    S = ((lab[:, None] + rng.integers(0, 2, size=(n, d))) % 3).astype(float)
    model = CategoricalMixture(2, random_state=0, max_iter=3).fit(S)

    def run():
        return bootstrap_kind(model, S, n_boot=1, random_state=0, n_jobs=1, max_iter=1)

    compact, _ = peak(run)
    import emdesk.engine.bootstrap_kinds as bk

    real = bk._work_data
    bk._work_data = _float_work_data
    try:
        floats, _ = peak(run)
    finally:
        bk._work_data = real
    assert floats > 8 * n * d
    assert compact < floats - 8 * n * d * 0.9, (compact / 1e6, floats / 1e6)
