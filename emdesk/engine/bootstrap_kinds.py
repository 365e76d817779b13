"""Bootstrap standard errors of every structure x family model (issue 14): Student-t, Poisson, categorical
(latent class) and mixed mixtures, Gaussian, Poisson and categorical HMMs, and any composition of
:class:`emdesk.engine.models.LatentModel` (``MixtureModel`` / ``HiddenMarkovModel`` of a registered family).

Written once against the structure/family contract, not per class: a model's parameters are its structure's
(``_STRUCT_ATTRS``: ``weights_``, or ``startprob_`` and ``transmat_``) and its family's (``param_names``,
read by ``_get_family_params()``); a replicate is a new estimator with the same constructor keywords,
started *at the fitted parameters* (the ``_explicit_inits`` hook of the EM driver, as mclust's
``MclustBootstrap`` starts every replicate from the fitted model) with ``n_init=1``.

Resampling
----------
Mixtures (independent rows): ``"nonparametric"`` draws n rows with replacement (Efron 1979);
``"parametric"`` draws n rows from the fitted mixture (a cell missing in X is missing in the draw).

Hidden Markov models: rows are time steps of sequences and are *not* exchangeable (resampling rows would
destroy the dependence the transition matrix describes).  ``"parametric"`` simulates every sequence anew from
the fitted chain (start from ``startprob_``, move by ``transmat_``, emit from the state's distribution), with
the lengths of the data's sequences: the parametric bootstrap of Zucchini, MacDonald & Langrock (2016),
"Hidden Markov Models for Time Series", 2nd ed., section 3.6.2, and of Visser, Raijmakers & Molenaar (2000),
"Confidence intervals for hidden Markov model parameters", Br. J. Math. Stat. Psychol. 53, 317-327.
``"nonparametric"`` resamples whole sequences with replacement (``lengths``; at least 2 sequences), the
sequences being the independent units.

The weighted likelihood bootstrap (``"weighted"``) needs fits with row weights, which these estimators do
not take: a ValueError says so (the Gaussian mixture has it).

Categorical columns are bootstrapped as their codes (``0 .. R_c - 1`` in the order of the model's
``categories_``), and every replicate is fitted with those categories, so a category that a resample lacks
keeps its place (its probability is then estimated 0, or ``alpha``-smoothed).

Label switching: each replicate's components/states are matched to the fit's by minimum-cost matching on the
posterior cross-tabulation over the data (as :func:`emdesk.engine.align.align_posteriors`; the k x k table
summed over row blocks, issue 16: the fit's posteriors, the reference, are held only up to
``ALIGN_CACHE_BYTES`` and recomputed block by block in each replicate above it, an HMM's from its blocked
forward-backward's recorded block inputs) and all its parameters are permuted accordingly (a transition matrix
on both axes; a shared ("tied") covariance is not permuted).  A nonparametric resample of float rows above
``RESAMPLE_COPY_BYTES`` is read in place through its row numbers (an HMM's picked sequences', a mixture's drawn
rows'), never copied; so is a ``CategoricalHMM``'s resample of integer symbols of more than 4 bytes (in
their own type, :class:`~.families._blocks.TakenRows`), and a resample of category codes when its copy would take more than that and more than
the row numbers (4 bytes a row).  The row numbers are drawn in blocks (:mod:`emdesk.engine._resample`: NumPy's
numbers, no int64 number of every row held), and a copy is gathered as they are drawn.  A parametric resample is
new data (the result): the categorical, latent-class and Poisson families simulate it in row blocks, a
categorical or mixed mixture's is kept as compact codes, an HMM's sequences are written into it one by one.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._bootstrap_common import BootstrapResult, _check_callable, _n_jobs, _run, _seed_sequence, replicate_tolerances
from ._blas import tmatmul
from .align import match_cross_table, permute_parameters
from .diagnostics import DegenerateSolutionWarning
from .families._blocks import ColumnView, TakenRows, prepared_blocks
from ._resample import drawn_rows, gathered_rows, index_blocks
from .families._codes import CodedRows

__all__ = ["bootstrap_kind", "kind_parameters", "is_hmm"]

_SHARED_COV = {"tied", "EEE", "E"}


def is_hmm(model) -> bool:
    return "transmat" in getattr(model, "_STRUCT_ATTRS", {})


def _family_keys(model):
    """``[(family parameter name, result key)]``: the key is the fitted attribute's name without its
    trailing underscore (``lambdas``, ``probs``, ``dof``, ``emissionprob``; GaussianHMM's ``covars``)."""
    fam = model._family()
    attrs = [a[:-1] if a.endswith("_") else a for a in model._family_attr_names()]
    names = list(fam.param_names)
    if len(attrs) != len(names):
        attrs = names
    return list(zip(names, attrs))


def kind_parameters(model) -> dict:
    """The fitted parameters of a structure x family model by their attribute names (without the trailing
    ``_``), components in the model's order: the structure's first (``weights``, or ``startprob`` and
    ``transmat``), then the family's.  ValueError when the model is not fitted or its parameters are not
    valid (shapes, probabilities)."""
    sparams, fparams = model._state()
    out = {name: np.array(sparams[name], dtype=float) for name in model._STRUCT_ATTRS}
    for name, key in _family_keys(model):
        out[key] = np.array(fparams[name], dtype=float)
    return out


def _shared_keys(model):
    ct = getattr(model, "covariance_type", None)
    if ct is None:
        ct = getattr(model._family(), "covariance_type", None)
    if ct in _SHARED_COV:
        return {key for name, key in _family_keys(model) if name == "covariances"}
    return set()


def _work_data(model, X, lengths):
    """``(rows, lengths, constructor keywords for the replicates)``: categorical columns as the fit's compact
    codes (:class:`~emdesk.engine.families._codes.CodedRows`, 1 byte per cell up to 254 categories; issue 16:
    a float64 copy before), an HMM's integer symbols as they are, other data as a float array; ValueError when
    X does not fit the model (via the model's own checks)."""
    params = dict(model.get_params())
    Xw, lengths = model._check_X(X, lengths, fitted=True)  # categorical columns -> codes of categories_
    cats = getattr(model, "categories_", None)
    if cats is not None:  # the replicates take the codes as their categories (a missing one keeps its place)
        params["categories"] = [list(range(len(c))) for c in cats]
    if "n_features" in params and hasattr(model, "emissionprob_"):
        params["n_features"] = int(np.asarray(model.emissionprob_).shape[1])
    if isinstance(Xw, CodedRows) and cats is not None:
        return Xw, lengths, params
    if isinstance(Xw, np.ndarray) and Xw.dtype.kind in "iu":  # integer symbols (CategoricalHMM) read as they are
        return Xw, lengths, params
    return np.asarray(Xw, dtype=float), lengths, params


class _ResampledRows(ColumnView):
    """An HMM's nonparametric resample read in place (issue 16): the rows ``rows`` (the picked sequences' row
    numbers one after another, 4 bytes each below 2^31 rows) of the work rows, every column; a block of rows is
    gathered when the replicate's fit reads it (:class:`~.families._blocks.ColumnView`), never the ``n x d``
    copy.  ``itemsize`` / ``strides`` as a C-ordered float array's, for the column checks' readers."""

    itemsize = 8

    def __init__(self, X, rows):
        super().__init__(X, np.arange(X.shape[1]), rows)
        self.strides = (8 * self.shape[1], 8)

    def __getitem__(self, key):
        """Every column: the rows gathered whole, C-ordered as the copy's rows (``X[rows][:, cols]`` gives an
        F-ordered block, on which the Student-t family's sums round differently in the last bit)."""
        if isinstance(key, tuple):
            rows, c = key
            return self[rows][..., c]
        return np.take(self.X, self.rows[key], axis=0)  # as X[rows[key]], 5-7x faster (_zero_weight.PositiveRows)

    @classmethod
    def of(cls, X, starts, lens, pick):
        return cls(X, _sequence_rows(X.shape[0], starts, lens, pick))


def _sequence_rows(n, starts, lens, pick):
    """The row numbers of the picked sequences one after another (4 bytes each below 2^31 rows)."""
    rows = np.empty(int(np.sum(lens[pick])), dtype=np.int32 if n < 2**31 else np.int64)
    at = 0
    for j in pick:
        rows[at:at + lens[j]] = np.arange(starts[j], starts[j] + lens[j])
        at += lens[j]
    return rows


def _codes_in_place(Xw, n):
    """Whether a resample of the codes ``Xw`` is read in place (its row numbers, 4 bytes a row) rather than
    copied (:meth:`CodedRows.copy_row_bytes` a row): when the copy would take more than ``RESAMPLE_COPY_BYTES``
    and more than the row numbers (1e7 rows of 3 one-byte code columns: a 30 MB copy, 40 MB of row numbers)."""
    return n * Xw.copy_row_bytes > RESAMPLE_COPY_BYTES and Xw.copy_row_bytes > 4


def _missing(Xw):
    """(n, d) bool: the missing cells of the work rows."""
    if isinstance(Xw, CodedRows):
        return Xw.missing_mask()
    if Xw.dtype.kind in "iu":
        return np.zeros(Xw.shape, dtype=bool)
    return np.isnan(Xw)


def _normalise(L):
    """Row-normalised exponentials of L; rows impossible under the model (all -inf) get zero weight."""
    with np.errstate(invalid="ignore"):
        m = np.max(L, axis=1, keepdims=True)
    ok = np.isfinite(m[:, 0])
    P = np.zeros_like(L)
    e = np.exp(L[ok] - m[ok])
    P[ok] = e / e.sum(axis=1, keepdims=True)
    return P, ok


# Bytes of one block's temporaries in the label alignment (issue 16): a mixture's posteriors on X are made a
# block of rows at a time and summed into the k x k cross-table, never as an (n, k) array
ALIGN_BLOCK_BYTES = 16 << 20
# The fit's posteriors on X (the reference of every replicate's alignment) are kept between replicates while
# they take at most this many bytes (8 n k), and recomputed block by block in each replicate above it
ALIGN_CACHE_BYTES = 64 << 20

# A nonparametric resample of float rows (an HMM's sequences, a mixture's rows; GaussianMixture's too, in
# emdesk.engine.bootstrap) is copied while the copy takes at most this many bytes, and read in place above it
# (_ResampledRows / _zero_weight.take_rows: 4 bytes a row; the fit's fixed-size row blocks of 8,192-65,536 rows
# are gathered then, which at small n is a copy anyway)
RESAMPLE_COPY_BYTES = 64 << 20

def _post_blocks(est, X, checked=False):
    """``(start, stop, P, ok)`` for consecutive row blocks of X: a mixture's posteriors P (b, k) on those rows
    (row-normalised ``w_j f_j(x_i)``; zero for a row impossible under every component, ``ok`` False), one
    block of about ``ALIGN_BLOCK_BYTES`` of temporaries at a time.  ``checked``: X is already as the model's
    checks make it (the work rows of :func:`_work_data`).  ValueError when X does not fit."""
    sparams, fparams = est._state()
    Xc = X if checked else est._check_X(X, None, fitted=True)[0]
    fam, data, prep, step = prepared_blocks(est, Xc, fparams, ALIGN_BLOCK_BYTES, 6)
    with np.errstate(divide="ignore"):
        logw = np.log(np.asarray(sparams["weights"], dtype=float))[None, :]
    for s in range(0, data.n, step):
        e = min(s + step, data.n)
        L = fam.log_prob(fam.rows(data, s, e), prep)
        L += logw
        P, ok = _normalise(L)
        yield s, e, P, ok


def _cross_table(P_blocks, R_blocks):
    """``sum_i P_ia R_ib`` (k, k) over the paired row blocks."""
    C = None
    for (_, _, P, _), (_, _, R, _) in zip(P_blocks, R_blocks):
        part = tmatmul(P, R)
        C = part if C is None else C + part
    return C


def _hmm_posteriors(est, X, lengths, use, record=None):
    """Hand a fitted HMM's state posteriors on the work rows X to ``use(s, e, P, ok)`` in the blocks of its
    blocked forward-backward (each row once, the last block first; issue 16: no ``(n, k)`` array): ``P``,
    ``ok`` as :func:`_normalise` makes them from the posteriors' logs, row by row the same bits as from the
    whole ``predict_proba``.  When X is impossible under the chain, ``use(None, None, None, None)`` says to drop
    what was given, then the row-normalised emission densities follow block by block (what the alignment
    takes then).  ``record``: as :func:`~.structures.markov_blocked.forward_backward_blocked`'s (what
    :class:`_HmmReference` replays).  ValueError when X does not fit the model."""
    from .structures.markov_blocked import block_rows_for, forward_backward_blocked

    rows, sparams, lengths = est._markov_rows(X, lengths)

    def consume(s, e, g):
        with np.errstate(divide="ignore"):
            use(s, e, *_normalise(np.log(g)))

    ll = forward_backward_blocked(rows.logB, sparams["startprob"], sparams["transmat"], lengths, consume,
                                  want_xi=False, record=record)[0]
    if np.isfinite(ll):
        return
    use(None, None, None, None)
    n, step = rows.fdata.n, block_rows_for(len(sparams["startprob"]))
    for s in range(0, n, step):
        use(s, min(s + step, n), *_normalise(np.asarray(rows.logB(s, min(s + step, n)), dtype=float)))


class _HmmReference:
    """The fit's state posteriors on X, the reference of every replicate's alignment, without holding them
    (issue 16, above ``ALIGN_CACHE_BYTES``): one blocked forward-backward records each block's inputs (the
    checkpoint entering it and the backward vector leaving it, ``2 k`` numbers per block), and each replicate
    recomputes a block's posteriors from them when its own posteriors of those rows arrive
    (:func:`~.structures.markov_blocked.replay_block`): the same bits as the held posteriors, for one more
    pass of each block per replicate.  ``use(s, e, P, ok)`` sees every block once, here, as from
    :func:`_hmm_posteriors` (``use(None, ...)``: drop what was given)."""

    def __init__(self, model, Xw, lens, use):
        self.model, self.Xw, self.lens = model, Xw, lens
        self.inputs = {}
        self.emissions = False  # X impossible under the chain: the reference is the normalised emissions

        def see(s, e, P, ok):
            if s is None:
                self.inputs.clear()
                self.emissions = True
            use(s, e, P, ok)

        _hmm_posteriors(model, Xw, lens, see, record=self.inputs.__setitem__)

    def reader(self):
        """``R(s, e)`` (e - s, k): the reference posteriors of rows ``s:e``; one per replicate (thread), on its
        own bound data and block plan (their caches are not shared between threads)."""
        from .structures.markov_blocked import BlockPlan, block_rows_for, replay_block

        rows, sparams, lengths = self.model._markov_rows(self.Xw, self.lens)
        pi, A = sparams["startprob"], sparams["transmat"]
        plan = BlockPlan(lengths, block_rows_for(len(pi)))
        last = [None, None]

        def block(i):  # the whole plan block i's posteriors, as they were handed over in the recording pass
            if last[0] != i:
                if self.emissions:
                    s, e = plan.bounds[i], plan.bounds[i + 1]
                    L = np.asarray(rows.logB(s, e), dtype=float)
                else:
                    with np.errstate(divide="ignore"):
                        L = np.log(replay_block(rows.logB, pi, A, plan, i, self.inputs[i])[2])
                last[:] = i, _normalise(L)[0]
            return last[1]

        def read(s, e):
            i = int(np.searchsorted(plan.bounds, s, side="right")) - 1
            b0, b1 = plan.bounds[i], plan.bounds[i + 1]
            if (b0, b1) == (s, e):  # the replicate's blocks are the same plan's (same k and lengths)
                return block(i)
            out = np.empty((e - s, len(pi)))  # other bounds: pieces of the plan's blocks, each made whole
            a = s
            while a < e:
                i = int(np.searchsorted(plan.bounds, a, side="right")) - 1
                b0, b1 = plan.bounds[i], plan.bounds[i + 1]
                hi = min(e, b1)
                out[a - s:hi - s] = block(i)[a - b0:hi - b0]
                a = hi
            return out

        return read


class _GridTable:
    """The cross-table ``sum_i P_ia R_ib`` of posteriors ``P`` handed over in any blocks (``add``) against
    the reference ``R``: held (n, k), or a reader ``R(s, e)`` of the handed-over rows (:class:`_HmmReference`),
    summed as ``_cross_table`` sums whole arrays cut into blocks of ``step`` rows: each grid block's product
    once it is complete (a grid block split between two handed-over blocks waits in a buffer of at most
    ``step`` rows, with the reference's rows when they are read), then the products in grid order, so the
    same bits."""

    def __init__(self, R, step, n=None, k=None):
        self.R, self.step = R, step
        self.n, self.k = (R.shape if isinstance(R, np.ndarray) else (n, k))
        self.reset()

    def reset(self):
        self.parts = [None] * (-(-self.n // self.step))
        self.pending = {}

    def add(self, s, e, P, ok=None):
        if s is None:
            return self.reset()
        step, n, k = self.step, self.n, self.k
        held = isinstance(self.R, np.ndarray)
        R = self.R if held else self.R(s, e)  # the reference's rows s:e (R_ref[s:e] when held)
        off = 0 if held else s
        for b in range(s // step, (e - 1) // step + 1):
            b0, b1 = b * step, min(b * step + step, n)
            lo, hi = max(s, b0), min(e, b1)
            if lo == b0 and hi == b1:
                self.parts[b] = tmatmul(P[lo - s:hi - s], R[b0 - off:b1 - off])
                continue
            buf = self.pending.setdefault(b, [np.empty((b1 - b0, k)), None if held else np.empty((b1 - b0, k)), 0])
            buf[0][lo - b0:hi - b0] = P[lo - s:hi - s]
            if not held:
                buf[1][lo - b0:hi - b0] = R[lo - s:hi - s]
            buf[2] += hi - lo
            if buf[2] == b1 - b0:
                self.parts[b] = tmatmul(buf[0], self.R[b0:b1] if held else buf[1])
                del self.pending[b]

    def table(self):
        C = None
        for part in self.parts:
            C = part if C is None else C + part
        return C


def bootstrap_kind(model, X, n_boot=999, method="nonparametric", random_state=None, progress=None, n_jobs=None,
                   should_stop=None, lengths=None, tol=None, max_iter=None) -> BootstrapResult:
    """Bootstrap standard errors and percentile intervals of a fitted structure x family model (see the module
    docstring for the resampling of mixtures and of HMMs, and the source of each).

    Parameters
    ----------
    model : a fitted StudentTMixture, PoissonMixture, CategoricalMixture, MixedMixture, GaussianHMM,
        PoissonHMM, CategoricalHMM, MixtureModel or HiddenMarkovModel
    X : (n, d) the data it was fitted to (categorical columns as the model takes them: codes or labels)
    lengths : an HMM's rows per sequence (None: one sequence); not for mixtures
    n_boot, method ("nonparametric" | "parametric"), random_state, progress, n_jobs, should_stop, tol,
    max_iter : as :func:`emdesk.engine.bootstrap`

    Returns
    -------
    BootstrapResult whose ``estimates`` / ``replicates`` / ``standard_errors`` are keyed by the model's
    attribute names without the trailing ``_`` (e.g. PoissonMixture: ``weights`` (k,), ``lambdas`` (k, d);
    GaussianHMM: ``startprob`` (k,), ``transmat`` (k, k), ``means`` (k, d), ``covars`` (the covariance_type's
    shape)), components/states in the model's order.

    Raises
    ------
    ValueError for an unfitted or invalid model, X that does not fit it, ``"weighted"``, a nonparametric HMM
    bootstrap of one sequence, or bad arguments.
    """
    from ._bootstrap_common import METHODS

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
    name = type(model).__name__
    if method == "weighted":
        raise ValueError(f"The weighted likelihood bootstrap refits with row weights, which {name} does not take: "
                         "use method='nonparametric' or 'parametric'.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}.")
    _check_callable(progress, "progress")
    _check_callable(should_stop, "should_stop")
    jobs = _n_jobs(n_jobs)
    hmm = is_hmm(model)
    if not hmm and lengths is not None:
        raise ValueError(f"lengths (rows per sequence) are for hidden Markov models, not for {name}.")
    ref = kind_parameters(model)  # ValueError when not fitted / tampered
    for key, v in ref.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(f"The model's {key}_ holds values that are not finite: refit it before bootstrapping.")
    Xw, lens, params = _work_data(model, X, lengths)
    n = Xw.shape[0]
    if n < 2:
        raise ValueError("The bootstrap needs at least 2 rows with data.")
    nan = _missing(Xw)
    if nan.any() and getattr(model, "missing", "error") == "error":
        raise ValueError(f"X has missing values but the {name} was fitted with missing='error': bootstrap the "
                         "complete rows, or fit with missing='marginalize'.")
    k = int(model.n_components)

    def first_impossible(ok, s, e):
        bad = ~ok & ~nan[s:e].all(axis=1)
        return s + int(np.flatnonzero(bad)[0]) if bad.any() else None

    def impossible(row):
        if row is not None:
            raise ValueError(f"Row {row + 1} of X is impossible under the {name} "
                             f"(probability 0 under every {'state' if hmm else 'component'}): X is not the data "
                             "the model was fitted to.")

    # the fit's posteriors on X, the reference of the alignment: an HMM's held (n, k), made block by block by
    # its forward-backward, a mixture's in row blocks, kept between replicates only while small
    # (ALIGN_CACHE_BYTES)
    if hmm:
        # held while small; above ALIGN_CACHE_BYTES each replicate recomputes the fit's posteriors of the rows
        # its own arrive for (_HmmReference: the forward-backward's inputs of each block, 2 k numbers)
        R_ref = np.empty((n, k)) if 8 * n * k <= ALIGN_CACHE_BYTES else None
        bad = [None]

        def fill(s, e, P, ok):
            if s is None:
                bad[0] = None
                return
            if R_ref is not None:
                R_ref[s:e] = P
            row = first_impossible(ok, s, e)
            if row is not None and (bad[0] is None or row < bad[0]):
                bad[0] = row

        if R_ref is not None:
            _hmm_posteriors(model, Xw, lens, fill)
        else:
            ref_hmm = _HmmReference(model, Xw, lens, fill)
        impossible(bad[0])
        step = max(1, ALIGN_BLOCK_BYTES // (8 * 6 * k))
    else:
        keep = 8 * n * k <= ALIGN_CACHE_BYTES
        held = []
        for blk in _post_blocks(model, Xw, checked=True):
            impossible(first_impossible(blk[3], blk[0], blk[1]))
            if keep:
                held.append(blk)
        ref_blocks = (lambda: iter(held)) if keep else (lambda: _post_blocks(model, Xw, checked=True))
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]) if hmm else None
    if hmm and method == "nonparametric" and len(lens) < 2:
        raise ValueError("An HMM's rows are time steps, not exchangeable draws: the nonparametric bootstrap "
                         "resamples whole sequences and needs at least 2 (X is one sequence; give lengths, or "
                         "use method='parametric', which simulates new sequences from the fitted chain).")
    rep_tol, rep_max_iter = replicate_tolerances(model, tol, max_iter)
    params.update(n_init=1, tol=rep_tol, max_iter=rep_max_iter)
    sparams, fparams = model._state()
    start_s = {k: np.array(v) for k, v in sparams.items()}
    start_f = {k: np.array(v) for k, v in fparams.items()}
    shared = _shared_keys(model)
    keys = list(ref)
    nan_mask = nan if nan.any() else None
    ss = _seed_sequence(random_state)
    seeds = ss.spawn(int(n_boot))

    def draw(rng):
        if not hmm:
            if method == "nonparametric":  # rng.integers(0, n, size=n)'s rows, drawn in blocks (_resample)
                if isinstance(Xw, CodedRows):
                    if _codes_in_place(Xw, n):
                        return Xw.resample(drawn_rows(rng, n)), None
                    return Xw.gathered(index_blocks(rng, n), n), None
                if Xw.dtype == np.float64 and Xw.nbytes > RESAMPLE_COPY_BYTES:  # the rows read in place, as an HMM's
                    return _ResampledRows(Xw, drawn_rows(rng, n)), None
                return gathered_rows(Xw, rng), None
            Xb, _ = model.sample(n, random_state=rng)
            if isinstance(Xw, CodedRows):  # the simulated rows kept as codes, no permuted float copy (tenth session)
                return Xw.recoded(Xb, rng.permutation(n), nan_mask), None
            Xb = Xb[rng.permutation(n)]
            if nan_mask is not None:
                Xb[nan_mask] = np.nan
            return Xb, None
        if method == "nonparametric":
            pick = rng.integers(0, len(lens), size=len(lens))
            if isinstance(Xw, np.ndarray) and Xw.dtype == np.float64 and Xw.nbytes > RESAMPLE_COPY_BYTES:
                # the sequences read in place (issue 16): their row numbers, 4 bytes a row
                return _ResampledRows.of(Xw, starts, lens, pick), lens[pick]
            if isinstance(Xw, np.ndarray) and Xw.dtype.kind in "iu" and Xw.nbytes > RESAMPLE_COPY_BYTES \
                    and Xw.itemsize * Xw.shape[1] > 4:
                # a CategoricalHMM's integer symbols read in place as well, in their own type (TakenRows)
                return TakenRows(Xw, _sequence_rows(n, starts, lens, pick)), lens[pick]
            Xb = np.concatenate([Xw[starts[j]:starts[j] + lens[j]] for j in pick])
            return Xb, lens[pick]
        Xb = None  # each simulated sequence written into the resample (a list of them, then their copy, before)
        for at, L in zip(starts, lens):
            part = model.sample(int(L), random_state=rng)[0]
            if Xb is None:
                Xb = np.empty((int(np.sum(lens)), part.shape[1]), dtype=part.dtype)
            Xb[at:at + L] = part
            del part
        if nan_mask is not None:
            Xb[nan_mask] = np.nan
        return Xb, lens

    def task(i, seed):
        rng = np.random.default_rng(seed)
        Xb, lb = draw(rng)
        est = type(model)(**dict(params, random_state=int(rng.integers(2**31))))
        # start at the fitted parameters: the driver's hook for explicit starting values (complete=True)
        est._explicit_inits = lambda k_, d_, fdata_: (dict(start_s), dict(start_f), True)
        try:
            est.fit(Xb, lb) if hmm else est.fit(Xb)
            p = kind_parameters(est)
            if not all(np.all(np.isfinite(v)) for v in p.values()):
                return None
            if hmm:  # the replicate's posteriors block by block against the held reference (issue 16)
                grid = _GridTable(R_ref, step) if R_ref is not None else _GridTable(ref_hmm.reader(), step, n, k)
                _hmm_posteriors(est, Xw, lens, grid.add)
                table = grid.table()
            else:  # the k x k cross-table summed over row blocks: no (n, k) posteriors (issue 16)
                table = _cross_table(_post_blocks(est, Xw), ref_blocks())
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return None
        perm = match_cross_table(table)
        p = permute_parameters(p, perm, k, shared=shared)
        return ([p[key] for key in keys], float(est.log_likelihood_), perm, int(getattr(est, "n_iter_", 0)),
                bool(getattr(est, "converged_", True)))

    # a degenerate replicate (a state or component emptied by the resample) is kept, as mclust keeps it; its
    # warning would repeat once per replicate (the filter is set here, in the caller's thread, around the pool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSolutionWarning)
        results, cancelled = _run(task, seeds, jobs, progress, should_stop)
    ok = [results[i] for i in sorted(results) if results[i] is not None]
    n_failed = sum(1 for v in results.values() if v is None)
    reps = {}
    for j, key in enumerate(keys):
        a = np.array([r[0][j] for r in ok], dtype=float).reshape((len(ok),) + ref[key].shape)
        a.flags.writeable = False
        reps[key] = a
    ct = getattr(model, "covariance_type", None) or getattr(model._family(), "covariance_type", None) \
        or model._family().name
    return BootstrapResult(
        method=method, n_boot=int(n_boot), covariance_type=str(ct), estimates=ref, replicates=reps,
        log_likelihoods=np.array([r[1] for r in ok], dtype=float),
        permutations=np.array([r[2] for r in ok], dtype=int).reshape(len(ok), k),
        n_failed=n_failed, cancelled=cancelled, seed_entropy=int(ss.entropy), n_jobs=jobs,
        n_iter=np.array([r[3] for r in ok], dtype=int), converged=np.array([r[4] for r in ok], dtype=bool),
        model_name=type(model).__name__,
    )

