"""Issue 16, items 2 and 5: the start of an HMM fit reads its starting responsibilities per row block
(one label per row, or the regenerated random numbers) instead of an (n, k) array.

The proof that nothing else changed: every fit below is run twice, once through the code the engine had
before (kept here: the whole (n, k) array from ``initial_responsibilities`` given to the family and to the
Markov structure's ``init_params``) and once through the engine; the fitted parameters, log-likelihood and
iteration counts must be the same bits."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emdesk.engine._fitdata as fitdata
import emdesk.engine.families._blocks as blocks
from emdesk.engine import CategoricalHMM, GaussianHMM, HiddenMarkovModel, PoissonHMM
from emdesk.engine.families import (
    CategoricalFamily,
    GaussianFamily,
    LatentClassFamily,
    PoissonFamily,
    ProductFamily,
    StudentTFamily,
)
from emdesk.engine.families._blocks import RowResp
from emdesk.engine.init import INIT_METHODS, initial_assignment, initial_responsibilities
from emdesk.engine.models import _Run
from emdesk.engine.structures.markov import MarkovStructure, SequenceLengths
from tests.memory_peak import peak as traced_peak


# ----------------------------------------------------------------------- the code before issue 16's start
def _old_markov_init(resp, seqs):
    """MarkovStructure.init_params as it was: an (n, k) array."""
    k = resp.shape[1]
    start = resp[seqs.starts].sum(axis=0) + 1.0
    trans = np.ones((k, k))
    n = resp.shape[0]
    step = 1 << 16
    for s in range(0, n - 1, step):
        e = min(s + step, n - 1)
        nxt = resp[s + 1:e + 1].copy()
        firsts = seqs.starts[(seqs.starts > s) & (seqs.starts <= e)]
        nxt[firsts - (s + 1)] = 0.0
        trans += resp[s:e].T @ nxt
    return {"startprob": start / start.sum(), "transmat": trans / trans.sum(axis=1, keepdims=True)}


def _old_initial_params(self, rng, interrupt):
    """_Run.initial_params of the HMMs as it was: the (n, k) starting responsibilities."""
    est = self.est
    sp0, fp0, complete = self.inits
    k = est.n_components
    if complete:
        return dict(sp0), dict(fp0)
    fam, struct = est._family(), est._structure()
    assert struct.name == "markov"
    start = getattr(fam, "initial_state", None)
    if start is not None and not sp0 and not fp0:
        resp, fparams = start(self.fdata, est.init_params, k, rng, interrupt)
    else:
        resp = initial_responsibilities(est.init_params, fam.init_matrix(self.fdata), k, None, rng, interrupt)
        fparams = fam.init_params(self.fdata, resp)
    sparams = _old_markov_init(resp.to_array() if isinstance(resp, RowResp) else resp, self.seqs)
    if sp0:
        sparams.update(sp0)
    if fp0:
        fparams.update(fp0)
    return sparams, fparams


# ------------------------------------------------------------------------------------------- data
def _states(rng, lengths, k=3):
    z = []
    for n in lengths:
        s = rng.integers(k)
        for _ in range(n):
            if rng.random() < 0.15:
                s = rng.integers(k)
            z.append(s)
    return np.asarray(z)


def _numeric(rng, lengths, d=2, missing=False):
    z = _states(rng, lengths)
    X = rng.normal(size=(len(z), d)) + 3.0 * z[:, None] + 50.0
    if missing:
        X[rng.random(X.shape) < 0.2] = np.nan
        X[np.isnan(X).all(axis=1), 0] = 50.0
    return X


def _counts(rng, lengths, d=2, missing=False):
    z = _states(rng, lengths)
    X = rng.poisson(np.array([1.0, 4.0, 9.0])[z][:, None] * np.ones(d)).astype(float)
    if missing:
        X[rng.random(X.shape) < 0.2] = np.nan
        X[np.isnan(X).all(axis=1), 0] = 1.0
    return X


def _symbols(rng, lengths, m=4, missing=False):
    z = _states(rng, lengths)
    S = np.where(rng.random(len(z)) < 0.7, z, rng.integers(m, size=len(z))).astype(float)[:, None]
    if missing:
        S[rng.random(len(z)) < 0.1] = np.nan
        S[0] = 0.0
    return S


LENGTHS = {"one": [260], "several": [70, 1, 120, 2, 67], "short": [5] * 40 + [1] * 10}


def _models():
    """(name, make(init_params, seed), data maker)."""
    def product(init, seed):
        fam = ProductFamily([(GaussianFamily("diag", missing="marginalize"), (0, 1)),
                             (CategoricalFamily(missing="marginalize"), (2,))])
        return HiddenMarkovModel(fam, 3, init_params=init, random_state=seed, max_iter=6, tol=0)

    def mixed_data(rng, lengths):
        X = _numeric(rng, lengths, 2, True)
        return np.column_stack([X, _symbols(rng, lengths, 3, True)])

    return [
        ("gaussian_diag", lambda i, s: GaussianHMM(3, covariance_type="diag", init_params=i, random_state=s,
                                                   max_iter=6, tol=0), lambda r, L: _numeric(r, L)),
        ("gaussian_full_missing", lambda i, s: GaussianHMM(3, covariance_type="full", missing="marginalize",
                                                           init_params=i, random_state=s, max_iter=6, tol=0),
         lambda r, L: _numeric(r, L, 2, True)),
        ("poisson_missing", lambda i, s: PoissonHMM(3, missing="marginalize", init_params=i, random_state=s,
                                                    max_iter=6, tol=0), lambda r, L: _counts(r, L, 2, True)),
        ("categorical", lambda i, s: CategoricalHMM(3, init_params=i, random_state=s, max_iter=6, tol=0,
                                                    missing="marginalize"), lambda r, L: _symbols(r, L, 4, True)),
        ("latent_class", lambda i, s: HiddenMarkovModel(LatentClassFamily(missing="marginalize"), 3, init_params=i,
                                                        random_state=s, max_iter=6, tol=0),
         lambda r, L: np.column_stack([_symbols(r, L, 3, True), _symbols(r, L, 2, True)])),
        ("student_t", lambda i, s: HiddenMarkovModel(StudentTFamily("diag", missing="marginalize"), 3,
                                                     init_params=i, random_state=s, max_iter=4, tol=0),
         lambda r, L: _numeric(r, L, 2, True)),
        ("product", product, mixed_data),
    ]


MODELS = _models()


def _fitted(model):
    out = {"ll": model.log_likelihood_, "n_iter": model.n_iter_, "startprob": model.startprob_,
           "transmat": model.transmat_}
    for p in model._family().param_names:
        out[p] = model._get_family_params()[p] if hasattr(model, "family") else getattr(model, p + "_", None)
    if not hasattr(model, "family"):
        out.update({k: v for k, v in vars(model).items() if k.endswith("_") and isinstance(v, np.ndarray)})
    return out


def _assert_same_bits(a, b):
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, (list, tuple)):
            for u, v in zip(x, y):
                np.testing.assert_array_equal(np.asarray(u), np.asarray(v), err_msg=key, strict=True)
        else:
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=key, strict=True)


def _both(make, X, lengths, monkeypatch):
    new = make().fit(X, lengths)
    with monkeypatch.context() as m:
        m.setattr(_Run, "initial_params", _old_initial_params)
        old = make().fit(X, lengths)
    return _fitted(old), _fitted(new)


# ------------------------------------------------------------ every HMM kind x every start: same bits
@pytest.mark.parametrize("lengths", list(LENGTHS), ids=list(LENGTHS))
@pytest.mark.parametrize("init", INIT_METHODS)
@pytest.mark.parametrize("case", range(len(MODELS)), ids=[m[0] for m in MODELS])
def test_start_per_block_gives_the_old_bits(case, init, lengths, monkeypatch):
    name, make, data = MODELS[case]
    L = LENGTHS[lengths]
    X = data(np.random.default_rng(11 + case), L)
    old, new = _both(lambda: make(init, 5), X, L, monkeypatch)
    _assert_same_bits(old, new)


@pytest.mark.parametrize("init", INIT_METHODS)
@pytest.mark.parametrize("case", range(len(MODELS)), ids=[m[0] for m in MODELS])
def test_start_in_tiny_blocks_gives_the_old_bits(case, init, monkeypatch):
    """Families reading their rows in blocks of 37 (as at 1e7 rows) and the Student-t's start on a
    subsample with its posteriors recomputed per block: still the old path's bits."""
    monkeypatch.setattr(blocks, "FAMILY_BLOCK_BYTES", 8 * 60 * 37)
    monkeypatch.setattr(fitdata, "FIT_CACHE_BYTES", 0)
    monkeypatch.setattr(StudentTFamily, "EXPLORE_ROWS", 120)
    name, make, data = MODELS[case]
    L = LENGTHS["several"]
    X = data(np.random.default_rng(30 + case), L)
    old, new = _both(lambda: make(init, 9), X, L, monkeypatch)
    _assert_same_bits(old, new)


def test_given_starting_values_keep_the_rest_from_the_start(monkeypatch):
    """startprob_init / transmat_init given: the family's start from the per-block labels; the given
    values kept; and means given: the structure's from them."""
    L = LENGTHS["several"]
    X = _numeric(np.random.default_rng(2), L)
    sp = np.array([0.5, 0.3, 0.2])
    for kw in ({"startprob_init": sp}, {"means_init": np.array([[50.0, 50.0], [53.0, 53.0], [56.0, 56.0]])}):
        old, new = _both(lambda: GaussianHMM(3, random_state=3, max_iter=5, tol=0, **kw), X, L, monkeypatch)
        _assert_same_bits(old, new)


# ------------------------------------------------------------------ MarkovStructure.init_params per block
@st.composite
def _resp_case(draw):
    k = draw(st.integers(1, 5))
    lengths = draw(st.lists(st.integers(1, 40), min_size=1, max_size=12))
    n = sum(lengths)
    seed = draw(st.integers(0, 2**31 - 1))
    kind = draw(st.sampled_from(["labels", "uniform_rows", "random", "array"]))
    block = draw(st.integers(1, 70))
    return k, lengths, n, seed, kind, block


@settings(max_examples=150, deadline=None)
@given(_resp_case())
def test_markov_init_params_per_block(case):
    """Any block size, any sequence layout (starts on block edges, one-row sequences): startprob the same
    bits as the whole array's (rows added in order), transmat the same numbers (to rounding; the same
    bits for hard labels and for the engine's block size)."""
    k, lengths, n, seed, kind, block = case
    rng = np.random.default_rng(seed)
    if kind == "labels":
        stand_in = fitdata.LabelResponsibilities(rng.integers(k, size=n), k)
    elif kind == "uniform_rows":
        lab = rng.integers(-1, k, size=n)
        stand_in = fitdata.LabelResponsibilities(lab, k)
    elif kind == "random":
        stand_in = fitdata.RandomResponsibilities(rng, n, k, block=max(1, block // 3))
    else:
        stand_in = rng.dirichlet(np.ones(k), size=n)
    whole = stand_in if isinstance(stand_in, np.ndarray) else stand_in.to_array()
    seqs = SequenceLengths(lengths)
    ref = _old_markov_init(whole, seqs)
    struct = MarkovStructure()
    struct.INIT_BLOCK_ROWS = block
    got = struct.init_params(stand_in if isinstance(stand_in, np.ndarray) else stand_in, seqs)
    np.testing.assert_array_equal(got["startprob"], ref["startprob"])
    if kind in ("labels",):
        np.testing.assert_array_equal(got["transmat"], ref["transmat"])
    else:
        np.testing.assert_allclose(got["transmat"], ref["transmat"], rtol=1e-13, atol=0)
    big = MarkovStructure().init_params(RowResp.of(stand_in), seqs)  # one block here: the same bits
    np.testing.assert_array_equal(big["transmat"], ref["transmat"])
    np.testing.assert_array_equal(big["startprob"], ref["startprob"])


# ------------------------------------------------------------------------------------- memory
def _peak(fn):
    return traced_peak(fn)[0]  # tests/memory_peak.py


@pytest.mark.parametrize("init", ["kmeans++", "random"])
def test_start_holds_no_n_by_k_array(init, monkeypatch):
    """The start of a PoissonHMM (k = 8, 600,000 rows; the families' blocks at 1 MiB): the old start's
    peak less at least 0.8 of the (n, k) responsibilities (38.4 MB), and below them.  What remains: per
    row, k-means++'s distance and one label (8 + 8 bytes; none for "random"); a fixed budget,
    MarkovStructure.INIT_BLOCK_ROWS rows of (k,) numbers a few times (3 x 8 k x 65,536 bytes)."""
    monkeypatch.setattr(blocks, "FAMILY_BLOCK_BYTES", 1 << 20)
    n, k = 600_000, 8
    rng = np.random.default_rng(0)
    X = rng.poisson(3.0, size=(n, 1)).astype(float)

    def start():
        model = PoissonHMM(k, init_params=init, random_state=0, max_iter=0)
        fdata = model._family().bind(X, k)
        run = _Run(model, fdata, SequenceLengths([n]), ({}, {}, False))
        return run.initial_params(np.random.default_rng(0), None)

    new = _peak(start)
    with monkeypatch.context() as m:
        m.setattr(_Run, "initial_params", _old_initial_params)
        old = _peak(start)
    resp_bytes = 8 * n * k
    assert old - new > 0.8 * resp_bytes, (new, old)
    assert new < resp_bytes, (new, old)


def test_random_start_reads_any_block_in_bounded_memory():
    """A block far into a "random" start (and a block before the last one read) is the whole draw's rows,
    the rows skipped drawn a block at a time (was: an (s, k) array for a block starting at row s)."""
    n, k = 1_500_000, 4
    R = fitdata.RandomResponsibilities(np.random.default_rng(7), n, k)
    small = fitdata.RandomResponsibilities(np.random.default_rng(7), 3000, k, block=64)
    whole = small.to_array()
    np.testing.assert_array_equal(small[:, 2500:2600].T, whole[2500:2600])
    np.testing.assert_array_equal(small[:, 10:20].T, whole[10:20])  # back: drawn again from the start
    peak = _peak(lambda: R[:, n - 100:n])
    assert peak < 4 << 20, peak  # the whole skip would be 8 k (n - 100) = 48 MB
