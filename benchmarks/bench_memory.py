"""Peak memory of each operation beside the size of its result (issue 16, target 2).

For n = 1e6 and 1e7 rows of d = 3 columns (20 % of the cells missing, so the missing-value paths
run), k = 3 components: fit (one EM pass on the complete rows), score_samples, predict_proba,
predict, impute (conditional means), finding and replacing fill values, and the assignments and
imputed-data CSV exports.  Peak = tracemalloc's peak above what was allocated before the call
(NumPy reports its allocations to tracemalloc); the process's peak RSS is printed at the end.
The budget each should stay within is "result + SCORE_BLOCK_BYTES (16 MiB) + one byte per row".

Fitting (``--fit``, the default part): on complete rows (d = 3, k = 3) one EM iteration from given
starting values and a whole fit (k-means++ start, 20 iterations) for full and diag covariances, and
one iteration with missing values; beside the data's own size and the fit's budget
FIT_CACHE_BYTES (cached features) + 16 MiB of blocks + 1 byte per cell (the mask, with NaN) + 24 bytes
per row (a column's copies in the checks, k-means++'s distances, the starting labels).
``--families`` adds, at every size, the other families' mixtures (Student-t, Poisson, categorical,
mixed: one iteration from given parameters, a whole fit, predict; :func:`family_peaks`) and one
iteration of a Gaussian HMM at the first size.

``--hmm-start [INIT ...]`` (issue 16, items 2/5): the start of those HMM fits alone (``_Run.initial_params``)
for each family and ``init_params`` (default all five), beside the (n, k) responsibilities it held before.

``--hmm`` (issue 16, item 5): hidden Markov models (Gaussian diag, Poisson, categorical with float and
with int64 symbols; d = 3 or one symbol column, k = 3, one sequence) at every size: one EM iteration from given parameters and a whole
fit (k-means++ start, ``--hmm-iters`` iterations), beside the data's size, which path the family takes
("row blocks" when it has the row-block API ``rows``/``add_stats``, else "fall-back": its whole (n, k)
log-densities and posteriors) and the forward-backward's block budget (FB_BLOCK_BYTES).

``--bootstrap`` (issue 16, items 2/5): the nonparametric bootstrap of the categorical and mixed mixtures and
of a Gaussian HMM (4 sequences; one replicate of one iteration, :func:`bootstrap_peaks`) at every size: the resample and the label
alignment (summed over row blocks since the seventh session; whole ``(n, k)`` posteriors before).

``--bootstrap`` also runs the parametric bootstrap of the categorical mixture and of the Gaussian HMM (the
simulated rows: new data; tenth session) and the categorical mixture with 5 code columns, a Student-t mixture's and a GaussianMixture's (nonparametric, with 10 % weights 0, and
weighted), and ``--zero-weights`` the weighted criteria (``_scores``, what ``select_model`` scores with; ninth
session: resamples and positive rows read in place); ``--resample-copy-bytes 0`` reads every resample in place.
It also runs a CategoricalHMM's nonparametric bootstrap of int64 symbols, ``GaussianMixture.sample(n)`` and
the GaussianMixture's parametric bootstrap (tenth session, hmmboot2: the symbols and the permuted simulated
rows read in place, the draw written in row blocks).

``--cases WORD ...`` keeps only the ``--families`` / ``--hmm`` / ``--bootstrap`` / ``--zero-weights`` rows whose
name holds one of the words.
The script runs on older trees too (``PYTHONPATH=<old checkout> python3 benchmarks/bench_memory.py``),
which is how the before/after rows of the README were measured, one after the other in the same session.

    python3 benchmarks/bench_memory.py [--rows 1000000 10000000] [--skip-csv] [--skip-scoring]
                                       [--families] [--hmm [--hmm-iters 10] [--skip-fit]]
                                       [--hmm-start [INIT ...]] [--bootstrap] [--cases WORD ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np

from emdesk.engine import GaussianMixture
from emdesk.engine._core import SCORE_BLOCK_BYTES
from emdesk.engine._fitdata import FIT_CACHE_BYTES
from emdesk.io import Table, save_assignments_csv, save_imputed_csv
from emdesk.io.fillvalues import find_fill_values, replace_fill_values

MB = 1e6


def peak_of(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, out, seconds


def nbytes(out) -> int:
    if isinstance(out, np.ndarray):
        return out.nbytes
    if isinstance(out, Table):
        return out.to_array(out.numeric_column_names, 0, 0).itemsize * out.n_rows * len(out.numeric_column_names)
    return 0


def fit_peaks(n: int, families: bool):
    """The fit's peak (beyond X) per iteration and for a whole fit, complete and missing data."""
    rng = np.random.default_rng(1)
    d, k = 3, 3
    centres = np.array([[6.0] * d, [-6.0] * d, [0.0] * d])
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    budget = FIT_CACHE_BYTES + (16 << 20) + n * d + 24 * n
    print(f"\n== fit: n = {n:,} x d = {d}, k = {k}; data {X.nbytes / MB:.0f} MB; budget = FIT_CACHE_BYTES "
          f"{FIT_CACHE_BYTES / MB:.0f} MB + 16 MiB of blocks + 1 byte per cell + 24 bytes per row "
          f"({(n * d + 24 * n) / MB:.0f} MB)")
    print(f"  {'fit':52s} {'peak MB':>9s} {'peak/data':>10s} {'within':>7s} {'s':>7s}")
    w0 = np.full(k, 1 / k)
    ops = []
    for ct in ("full", "diag"):
        cov = np.stack([np.eye(d)] * k) if ct == "full" else np.ones((k, d))
        ops.append((f"one EM iteration from given parameters ({ct})",
                    lambda ct=ct, cov=cov: GaussianMixture(k, covariance_type=ct, max_iter=1, tol=0, weights_init=w0,
                                                           means_init=centres + 0.3, covariances_init=cov).fit(X)))
        ops.append((f"whole fit: k-means++, 20 iterations ({ct})",
                    lambda ct=ct: GaussianMixture(k, covariance_type=ct, max_iter=20, tol=0,
                                                  random_state=0).fit(X)))
    ops.append(("whole fit: emEM, n_init=2, 5 iterations (full)",
                lambda: GaussianMixture(k, covariance_type="full", max_iter=5, tol=0, n_init=2,
                                        init_params="emEM", random_state=0).fit(X)))
    Xm = X.copy()
    Xm[rng.random((n, d)) < 0.2] = np.nan
    ops.append(("one EM iteration, 20 % missing (marginalize, diag)",
                lambda: GaussianMixture(k, covariance_type="diag", max_iter=1, tol=0, weights_init=w0,
                                        means_init=centres + 0.3, covariances_init=np.ones((k, d)),
                                        missing="marginalize").fit(Xm)))
    if families:
        from emdesk.engine import GaussianHMM

        ops += [
            ("Gaussian HMM, 1 iteration (diag)",
             lambda: GaussianHMM(k, covariance_type="diag", max_iter=1, tol=0, random_state=0).fit(X)),
        ]
    _print_peaks(ops, lambda name, peak, seconds, out: (
        f"  {name:52s} {peak / MB:9.1f} {peak / X.nbytes:10.2f} {'yes' if peak <= budget else 'NO':>7s} "
        f"{seconds:7.1f}"))


def _print_peaks(ops, line):
    """Run each ``(name, fn)`` of ``ops`` under :func:`peak_of` and print ``line(name, peak, seconds, result)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in ops:
            peak, out, seconds = peak_of(fn)
            print(line(name, peak, seconds, out))
            del out


def zero_weight_peaks(n: int, cases=None):
    """``--zero-weights`` (issue 16, item 2): fits with ``sample_weight`` 0 on 10 % of the rows (some of them
    holding 1e200), beside the same fit without weights (peak beyond X and the weights)."""
    rng = np.random.default_rng(2)
    d, k = 3, 3
    centres = np.array([[6.0] * d, [-6.0] * d, [0.0] * d])
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    sw = rng.uniform(0.5, 2.0, size=n)
    zero = rng.random(n) < 0.1
    sw[zero] = 0.0
    X[np.flatnonzero(zero)[::7]] = 1e200
    Xc = X.copy()
    Xc[zero] = centres[0]  # the reference: no zero weights, the same shape
    swc = np.where(zero, 1.0, sw)
    print(f"\n== fit with sample_weight 0 on {int(zero.sum()):,} of n = {n:,} rows (d = {d}, k = {k}); "
          f"data {X.nbytes / MB:.0f} MB, its positive rows {X[~zero].nbytes / MB:.0f} MB")
    print(f"  {'fit':60s} {'peak MB':>9s} {'peak/data':>10s} {'s':>7s}")
    w0 = np.full(k, 1 / k)
    cov = np.stack([np.eye(d)] * k)
    ops = []
    for label, data, weights in (("zero weights", X, sw), ("reference: all positive", Xc, swc)):
        ops.append((f"one iteration from given parameters (full), {label}",
                    lambda data=data, weights=weights: GaussianMixture(
                        k, covariance_type="full", max_iter=1, tol=0, weights_init=w0, means_init=centres + 0.3,
                        covariances_init=cov).fit(data, sample_weight=weights)))
        ops.append((f"whole fit: k-means++, 5 iterations (diag), {label}",
                    lambda data=data, weights=weights: GaussianMixture(
                        k, covariance_type="diag", max_iter=5, tol=0, random_state=0).fit(data, sample_weight=weights)))
    _print_peaks([op for op in ops if _wanted(op[0], cases)], lambda name, peak, seconds, out: (
        f"  {name:60s} {peak / MB:9.1f} {peak / X.nbytes:10.2f} {seconds:7.1f}   "
        f"log-likelihood {out.lower_bound_:.12g}"))
    # the weighted criteria (ninth session: they scored a copy of the positive rows): a model fitted on 50,000 rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = GaussianMixture(k, covariance_type="full", max_iter=3, random_state=0).fit(X[:50_000], sw[:50_000])
    print(f"  {'criteria (result: four numbers)':60s} {'peak MB':>9s} {'peak/data':>10s} {'s':>7s}")
    crit = []
    for label, data, weights in (("zero weights", X, sw), ("reference: all positive", Xc, swc)):
        # select_model's scores of each fit: log-likelihood, BIC, AIC and ICL from one weighted E-step
        crit.append((f"select_model's scores (_scores, sample_weight), {label}",
                     lambda data=data, weights=weights: fitted._scores(data, weights)["icl"]))
    _print_peaks([op for op in crit if _wanted(op[0], cases)], lambda name, peak, seconds, out: (
        f"  {name:60s} {peak / MB:9.1f} {peak / X.nbytes:10.2f} {seconds:7.1f}   value {out:.17g}"))


def _wanted(name, cases):
    return not cases or any(c.lower() in name.lower() for c in cases)


def family_peaks(n: int, repeats: int = 1, cases=None):
    """The other families' mixtures (Student-t, Poisson, categorical, mixed): peak beyond X of one
    iteration from given parameters, of a whole fit (start + iterations) and of predict, beside X's
    size.  Budget: ``families._blocks.FAMILY_BLOCK_BYTES`` (16 MiB) + the E-step's and scoring's
    16 MiB blocks + the result + a few numbers per row (one starting label, k-means++'s distance;
    the categorical mixtures' compact codes of X, 1 byte per cell up to 254 categories (8 before
    issue 16's codes change), and the Gaussian block's feature cache within FIT_CACHE_BYTES).
    ``cases``: only the rows whose name holds one of these words."""
    from emdesk.engine import CategoricalMixture, MixedMixture, PoissonMixture, StudentTMixture
    try:
        from emdesk.engine.families._blocks import FAMILY_BLOCK_BYTES
    except ImportError:  # the code before the families' row blocks (to print its figures)
        FAMILY_BLOCK_BYTES = 0

    rng = np.random.default_rng(2)
    d, k = 3, 3
    lab = rng.integers(k, size=n)
    centres = np.array([[6.0] * d, [-6.0] * d, [0.0] * d])
    X = centres[lab] + rng.normal(size=(n, d))
    lam = np.array([[1.0] * d, [4.0] * d, [9.0] * d])
    C = rng.poisson(lam[lab]).astype(float)
    S = ((lab[:, None] + rng.integers(0, 2, size=(n, d))) % 4).astype(float)
    M = np.column_stack([X[:, :2], S[:, 0]])
    w0 = np.full(k, 1 / k)
    print(f"\n== other families: n = {n:,} x d = {d}, k = {k}; X {X.nbytes / MB:.0f} MB; FAMILY_BLOCK_BYTES "
          f"{FAMILY_BLOCK_BYTES / MB:.1f} MB; load average {os.getloadavg()[0]:.1f}")
    print(f"  {'operation':66s} {'peak MB':>9s} {'peak/X':>7s} {'s':>7s}")
    t_fit = p_fit = None  # the models the predict rows score with, fitted below when those rows run
    ops = [
        ("Student-t, 1 iteration from given parameters (full)",
         lambda: StudentTMixture(k, max_iter=1, tol=0, weights_init=w0, means_init=centres + 0.3,
                                 covariances_init=np.stack([np.eye(d)] * k)).fit(X)),
        ("Student-t, whole fit: robust start + 10 iterations (full)",
         lambda: StudentTMixture(k, max_iter=10, tol=0, random_state=0).fit(X)),
        ("Student-t, predict (result 8 bytes per row)", lambda: t_fit.predict(X)),
        ("Poisson, 1 iteration from given parameters",
         lambda: PoissonMixture(k, max_iter=1, tol=0, weights_init=w0, lambdas_init=lam).fit(C)),
        ("Poisson, whole fit: k-means++ + 20 iterations",
         lambda: PoissonMixture(k, max_iter=20, tol=0, random_state=0).fit(C)),
        ("Poisson, predict (result 8 bytes per row)", lambda: p_fit.predict(C)),
        ("categorical (3 columns, 4 levels), 1 iteration (start included)",
         lambda: CategoricalMixture(k, max_iter=1, tol=0, random_state=0).fit(S)),
        ("categorical, whole fit: random start + 20 iterations",
         lambda: CategoricalMixture(k, max_iter=20, tol=0, random_state=0).fit(S)),
        ("mixed (2 numeric + 1 categorical), 1 iteration (start included)",
         lambda: MixedMixture(k, categorical_columns=[2], max_iter=1, tol=0, random_state=0).fit(M)),
        ("categorical, predict (result 8 bytes per row)", lambda: fitted["categorical"].predict(S)),
        ("mixed, whole fit: k-means++ + 10 iterations",
         lambda: MixedMixture(k, categorical_columns=[2], max_iter=10, tol=0, random_state=0).fit(M)),
    ]
    ops = [op for op in ops if _wanted(op[0], cases)]
    fitted = {}  # the model a predict row scores with, fitted (outside the peak) on 50,000 rows
    if any(name.startswith("Student-t, predict") for name, _ in ops):
        t_fit = StudentTMixture(k, max_iter=3, random_state=0).fit(X[: min(n, 50_000)])
    if any(name.startswith("Poisson, predict") for name, _ in ops):
        p_fit = PoissonMixture(k, max_iter=3, random_state=0).fit(C[: min(n, 50_000)])
    if any(name.startswith("categorical, predict") for name, _ in ops):
        fitted["categorical"] = CategoricalMixture(k, max_iter=3, random_state=0).fit(S[: min(n, 50_000)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in ops:
            peaks, times = [], []
            for _ in range(repeats):
                peak, out, seconds = peak_of(fn)
                peaks.append(peak)
                times.append(seconds)
                del out
            print(f"  {name:66s} {min(peaks) / MB:9.1f} {min(peaks) / X.nbytes:7.2f} {min(times):7.1f}")
def _row_block_poisson_hmm():
    """A PoissonHMM whose family has the row-block API, added here over PoissonFamily's bound data
    (X, obs, lgam per row), to show the blocked forward-backward's own figures while the families do
    not have it; None when PoissonFamily has it already or its bound data look different."""
    import copy

    from emdesk.engine import PoissonHMM
    from emdesk.engine.families.poisson import PoissonFamily

    if hasattr(PoissonFamily, "rows") or not hasattr(PoissonFamily, "bind"):
        return None
    try:
        import emdesk.engine.structures.markov_blocked  # noqa: F401  (the blocked code is there)
    except ImportError:
        return None

    class RowsPoisson(PoissonFamily):
        def rows(self, data, s, e):
            b = copy.copy(data)
            b.X, b.obs, b.lgam, b.n = data.X[s:e], data.obs[s:e], data.lgam[s:e], e - s
            return b

        def add_stats(self, a, b):
            return tuple(x + y for x, y in zip(a, b))

    class RowsPoissonHMM(PoissonHMM):
        def _family(self):
            return RowsPoisson(self.missing)

    return RowsPoissonHMM


def hmm_peaks(n: int, iters: int, cases=None):
    """An HMM fit's peak (beyond the data) for one iteration from given parameters and for a whole fit."""
    from emdesk.engine import CategoricalHMM, GaussianHMM, PoissonHMM

    try:
        from emdesk.engine.structures.markov_blocked import FB_BLOCK_BYTES
    except ImportError:  # the code before the blocked forward-backward
        FB_BLOCK_BYTES = None
    rng = np.random.default_rng(2)
    d, k = 3, 3
    z = np.repeat(rng.integers(k, size=n // 1000 + 1), 1000)[:n]  # a sticky chain: runs of 1,000 rows
    centres = np.array([[3.0] * d, [-3.0] * d, [0.0] * d])
    X = centres[z] + rng.normal(size=(n, d))
    C = rng.poisson(1.0 + 3.0 * z[:, None], size=(n, d)).astype(float)
    S = np.where(rng.random(n) < 0.8, z, rng.integers(4, size=n))[:, None].astype(float)
    sp, tm = np.full(k, 1.0 / k), np.full((k, k), 0.1 / (k - 1)) + np.eye(k) * (0.9 - 0.1 / (k - 1))
    common = dict(tol=0, startprob_init=sp, transmat_init=tm)
    cases_ = [
        ("Gaussian HMM (diag)", X, lambda it, given: GaussianHMM(
            k, covariance_type="diag", max_iter=it, random_state=0,
            **(dict(common, means_init=centres + 0.3, covars_init=np.ones((k, d))) if given else dict(tol=0)))),
        ("Poisson HMM", C, lambda it, given: PoissonHMM(
            k, max_iter=it, random_state=0,
            **(dict(common, lambdas_init=np.array([[1.5] * d, [3.5] * d, [6.0] * d])) if given else dict(tol=0)))),
        ("categorical HMM (4 symbols)", S, lambda it, given: CategoricalHMM(
            k, max_iter=it, random_state=0, n_features=4,
            **(dict(common, emissionprob_init=np.full((k, 4), 0.25) + np.eye(k, 4) * 0.2 - 0.05) if given
               else dict(tol=0)))),
    ]
    cases_int = ("categorical HMM (int64 symbols, as hmmlearn)", S.astype(np.int64), cases_[-1][2])
    cases_.append(cases_int)
    demo = _row_block_poisson_hmm()
    if demo is not None:
        cases_.append(("Poisson HMM + rows/add_stats (bench)", C, lambda it, given: demo(
            k, max_iter=it, random_state=0,
            **(dict(common, lambdas_init=np.array([[1.5] * d, [3.5] * d, [6.0] * d])) if given else dict(tol=0)))))
    budget = "" if FB_BLOCK_BYTES is None else f"; forward-backward blocks: FB_BLOCK_BYTES {FB_BLOCK_BYTES / MB:.1f} MB"
    print(f"\n== HMM fits: n = {n:,} rows (one sequence), k = {k}{budget}")
    print(f"  {'fit':64s} {'path':>10s} {'data MB':>8s} {'peak MB':>9s} {'peak/data':>10s} {'s':>7s}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, data, make in cases_:
            fam = make(1, True)._family()
            path = "row blocks" if callable(getattr(fam, "rows", None)) and callable(
                getattr(fam, "add_stats", None)) else "fall-back"
            for label, it, given in ((f"{name}, one iteration from given parameters", 1, True),
                                     (f"{name}, whole fit: k-means++, {iters} iterations", iters, False)):
                if not _wanted(label, cases):
                    continue
                peak, out, seconds = peak_of(lambda: make(it, given).fit(data))
                print(f"  {label:64s} {path:>10s} {data.nbytes / MB:8.1f} {peak / MB:9.1f} "
                      f"{peak / data.nbytes:10.2f} {seconds:7.1f}", flush=True)
                del out


def hmm_start_peaks(n: int, inits, families=("gaussian", "poisson", "categorical")):
    """The start of an HMM fit alone (issue 16, items 2/5: ``_Run.initial_params``, the starting
    responsibilities, the family's and the Markov structure's starting parameters), per family and
    ``init_params``, beside the (n, k) responsibilities the start held before it read them per block."""
    from emdesk.engine import CategoricalHMM, GaussianHMM, PoissonHMM
    from emdesk.engine.models import _Run
    from emdesk.engine.structures.markov import SequenceLengths

    rng = np.random.default_rng(2)
    d, k = 3, 3
    z = np.repeat(rng.integers(k, size=n // 1000 + 1), 1000)[:n]
    X = np.array([[3.0] * d, [-3.0] * d, [0.0] * d])[z] + rng.normal(size=(n, d))
    C = rng.poisson(1.0 + 3.0 * z[:, None], size=(n, d)).astype(float)
    S = np.where(rng.random(n) < 0.8, z, rng.integers(4, size=n))[:, None].astype(float)
    cases = [("Gaussian HMM (diag)", X, lambda i: GaussianHMM(k, covariance_type="diag", init_params=i,
                                                               random_state=0)),
             ("Poisson HMM", C, lambda i: PoissonHMM(k, init_params=i, random_state=0)),
             ("categorical HMM (4 symbols)", S, lambda i: CategoricalHMM(k, n_features=4, init_params=i,
                                                                          random_state=0))]
    cases = [c for c in cases if c[0].split()[0].lower() in families]
    print(f"\n== HMM starts: n = {n:,} rows (one sequence), k = {k}; (n, k) responsibilities {8 * n * k / MB:.0f} MB")
    print(f"  {'start':52s} {'data MB':>8s} {'peak MB':>9s} {'peak/data':>10s} {'s':>7s}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, data, make in cases:
            for init in inits:
                model = make(init)

                def start():
                    fdata = model._family().bind(data, k)
                    run = _Run(model, fdata, SequenceLengths([n]), ({}, {}, False))
                    return run.initial_params(np.random.default_rng(0), None)

                peak, out, seconds = peak_of(start)
                print(f"  {name + ', ' + init:52s} {data.nbytes / MB:8.1f} {peak / MB:9.1f} "
                      f"{peak / data.nbytes:10.2f} {seconds:7.1f}", flush=True)
                del out


def bootstrap_peaks(n: int, cases=None):
    """The nonparametric bootstrap of the categorical kinds (one replicate, one EM iteration, one thread):
    peak beyond X, with X as the models take it (float codes / numbers; issue 16 items 2/5: the bootstrap
    held a float64 copy of the codes and each replicate a float64 resample, now the compact codes)."""
    from emdesk.engine import CategoricalMixture, MixedMixture
    from emdesk.engine.bootstrap_kinds import bootstrap_kind

    rng = np.random.default_rng(3)
    d, k = 3, 3
    lab = rng.integers(k, size=n)
    S = ((lab[:, None] + rng.integers(0, 2, size=(n, d))) % 4).astype(float)
    M = np.column_stack([np.array([[6.0, 6.0], [-6.0, -6.0], [0.0, 0.0]])[lab] + rng.normal(size=(n, 2)), S[:, 0]])
    print(f"\n== bootstrap (nonparametric, 1 replicate, 1 iteration, n_jobs=1): n = {n:,} x d = {d}, k = {k}; "
          f"X {S.nbytes / MB:.0f} MB; load average {os.getloadavg()[0]:.1f}")
    print(f"  {'operation':66s} {'peak MB':>9s} {'peak/X':>7s} {'s':>7s}")
    fit_rows = min(n, 50_000)
    ops = [
        ("bootstrap, categorical (3 columns, 4 levels)",
         lambda: CategoricalMixture(k, max_iter=3, random_state=0).fit(S[:fit_rows]), S),
        ("bootstrap, mixed (2 numeric + 1 categorical)",
         lambda: MixedMixture(k, categorical_columns=[2], max_iter=3, random_state=0).fit(M[:fit_rows]), M),
    ]
    from emdesk.engine import GaussianHMM

    G = np.array([[6.0] * d, [-6.0] * d, [0.0] * d])[np.repeat(lab[: n // 500 + 1], 500)[:n]] + rng.normal(size=(n, d))
    quarter = [n // 4] * 3 + [n - 3 * (n // 4)]
    ops.append(("bootstrap, Gaussian HMM (diag), 4 sequences",
                lambda: GaussianHMM(k, covariance_type="diag", max_iter=3, random_state=0).fit(
                    G[:fit_rows], [fit_rows // 2, fit_rows - fit_rows // 2]), G))
    from emdesk.engine import StudentTMixture

    ops.append(("bootstrap, Student-t mixture (full)",
                lambda: StudentTMixture(k, max_iter=3, random_state=0).fit(G[:fit_rows]), G))
    # tenth session: the parametric resamples (new data: the simulated rows) and 5 code columns
    ops.append(("bootstrap, categorical (3 columns, 4 levels), parametric", ops[0][1], S))
    ops.append(("bootstrap, Gaussian HMM (diag), 4 sequences, parametric", ops[2][1], G))
    S5 = np.column_stack([S, S[::-1, :2]])
    ops.append(("bootstrap, categorical (5 columns, 4 levels)",
                lambda: CategoricalMixture(k, max_iter=3, random_state=0).fit(S5[:fit_rows]), S5))
    from emdesk.engine import CategoricalHMM

    # tenth session (hmmboot2): a CategoricalHMM's int64 symbols (hmmlearn's input), nonparametric
    Y = S[:, :1].astype(np.int64)
    ops.append(("bootstrap, categorical HMM (int64 symbols), 4 sequences",
                lambda: CategoricalHMM(k, max_iter=3, random_state=0).fit(
                    Y[:fit_rows], [fit_rows // 2, fit_rows - fit_rows // 2]), Y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, make, X in ops:
            if not _wanted(name, cases):
                continue
            model = make()  # fitted outside the peak, on 50,000 rows
            lengths = quarter if "HMM" in name else None
            method = "parametric" if name.endswith("parametric") else "nonparametric"
            peak, out, seconds = peak_of(lambda: bootstrap_kind(model, X, n_boot=1, random_state=0, n_jobs=1,
                                                                max_iter=1, lengths=lengths, method=method))
            print(f"  {name:66s} {peak / MB:9.1f} {peak / X.nbytes:7.2f} {seconds:7.1f}   "
                  f"log-likelihood {out.log_likelihoods[0]:.17g}")
            del out
    gaussian_bootstrap_peaks(G, k, cases)


def gaussian_bootstrap_peaks(X, k, cases=None):
    """A GaussianMixture's bootstrap (:func:`emdesk.engine.bootstrap`; one replicate of one iteration, one
    thread): nonparametric, nonparametric with ``sample_weight`` 0 on 10 % of the rows, and the weighted
    likelihood bootstrap with those weights, peak beyond X and the weights (issue 16, ninth session: the
    resample and the positive rows were copies)."""
    from emdesk.engine import bootstrap

    n, d = X.shape
    rng = np.random.default_rng(4)
    sw = rng.uniform(0.5, 2.0, size=n)
    sw[rng.random(n) < 0.1] = 0.0
    fit_rows = min(n, 50_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixture(k, covariance_type="full", max_iter=3, random_state=0).fit(X[:fit_rows])
        if _wanted("sample, Gaussian mixture (full)", cases):  # tenth session (hmmboot2): written in row blocks
            peak, out, seconds = peak_of(lambda: model.sample(n, random_state=0))
            print(f"  {'sample, Gaussian mixture (full), n rows':66s} {peak / MB:9.1f} {peak / X.nbytes:7.2f} "
                  f"{seconds:7.1f}   sum {float(out[0].sum()):.17g}")
            del out
        ops = [("bootstrap, Gaussian mixture (full), nonparametric", "nonparametric", None),
               ("bootstrap, Gaussian mixture (full), parametric", "parametric", None),
               ("bootstrap, Gaussian mixture, nonparametric, 10 % weights 0", "nonparametric", sw),
               ("bootstrap, Gaussian mixture, weighted, 10 % weights 0", "weighted", sw)]
        for name, method, weights in ops:
            if not _wanted(name, cases):
                continue
            peak, out, seconds = peak_of(lambda: bootstrap(model, X, n_boot=1, method=method, random_state=0,
                                                           n_jobs=1, max_iter=1, sample_weight=weights))
            print(f"  {name:66s} {peak / MB:9.1f} {peak / X.nbytes:7.2f} {seconds:7.1f}   "
                  f"log-likelihood {out.log_likelihoods[0]:.17g}")
            del out


def run(n: int, skip_csv: bool):
    rng = np.random.default_rng(0)
    d, k = 3, 3
    X = rng.normal(size=(n, d))
    X[: n // 3] += 6
    X[n // 3: 2 * n // 3] -= 6
    X[rng.random((n, d)) < 0.2] = np.nan
    X[::1000, 0] = -999.0  # a fill value for the fill-value search
    gm = GaussianMixture.from_parameters(np.full(k, 1 / k), np.array([[6.0] * d, [-6.0] * d, [0.0] * d]),
                                         np.ones((k, d)), "diag", missing="marginalize")
    budget = SCORE_BLOCK_BYTES + n
    print(f"\n== n = {n:,} x d = {d}, k = {k}; data {X.nbytes / MB:.0f} MB; budget = result + "
          f"{SCORE_BLOCK_BYTES / MB:.1f} MB + n bytes ({n / MB:.1f} MB)")
    print(f"  {'operation':44s} {'peak MB':>9s} {'result MB':>10s} {'peak-result':>12s} {'within':>7s} {'s':>6s}")
    names = [f"x{j}" for j in range(d)]
    table = Table(path="big.csv", column_names=names, numeric=X, numeric_names=names, text={})
    ops = [
        ("score_samples", lambda: gm.score_samples(X), None),
        ("predict_proba", lambda: gm.predict_proba(X), None),
        ("predict", lambda: gm.predict(X), None),
        ("impute (conditional means)", lambda: gm.impute(X), None),
        ("find_fill_values", lambda: find_fill_values(table), 0),
        ("replace_fill_values", lambda: replace_fill_values(table, {"x0": -999.0}), None),
    ]
    tmp = tempfile.mkdtemp(prefix="emdesk-bench-memory-")
    if not skip_csv:
        ops += [
            ("save_assignments_csv", lambda: save_assignments_csv(os.path.join(tmp, "a.csv"), table, gm, names), 0),
            ("save_imputed_csv", lambda: save_imputed_csv(os.path.join(tmp, "i.csv"), table, gm, names), 0),
        ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn, result in ops:
            peak, out, seconds = peak_of(fn)
            size = nbytes(out) if result is None else result
            extra = peak - size
            print(f"  {name:44s} {peak / MB:9.1f} {size / MB:10.1f} {extra / MB:12.1f} "
                  f"{'yes' if extra <= budget else 'NO':>7s} {seconds:6.1f}")
            del out
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


def tree_budget() -> str:
    """The hierarchical start's fixed budget: its tree's pair costs, kept condensed (``m (m - 1) / 2`` floats
    for a tree on ``m`` rows), on at most ``hierarchical.MAX_POINTS`` rows (``init_params="hierarchical"``) or
    ``restarts.HC_MAX_POINTS`` (emEM's first restart), whatever the number of rows."""
    from emdesk.engine import hierarchical, restarts

    def cost(m):
        return 8 * m * (m - 1) / 2 / MB

    return (f"fixed budget of the hierarchical start (its tree's condensed pair costs, any n): "
            f"init_params='hierarchical' {hierarchical.MAX_POINTS:,} rows -> {cost(hierarchical.MAX_POINTS):.1f} MB; "
            f"emEM's first restart {restarts.HC_MAX_POINTS:,} rows -> {cost(restarts.HC_MAX_POINTS):.1f} MB")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--skip-csv", action="store_true", help="leave out the CSV exports (slow at 1e7 rows)")
    ap.add_argument("--skip-scoring", action="store_true", help="fits only")
    ap.add_argument("--skip-fit", action="store_true", help="scoring, imputation and exports only")
    ap.add_argument("--families", action="store_true",
                    help="the other families' mixtures at every size, and an HMM at the first size")
    ap.add_argument("--hmm", action="store_true", help="HMM fits (Gaussian, Poisson, categorical) at every size")
    ap.add_argument("--hmm-iters", type=int, default=10, help="EM iterations of the whole HMM fits")
    ap.add_argument("--hmm-start", nargs="*", metavar="INIT",
                    help="the start of HMM fits alone, per family and init_params (default: all five)")
    ap.add_argument("--bootstrap", action="store_true",
                    help="the nonparametric bootstrap of the categorical and mixed mixtures at every size")
    ap.add_argument("--zero-weights", action="store_true",
                    help="fits with sample_weight 0 on 10 %% of the rows, beside all-positive weights")
    ap.add_argument("--cases", nargs="+", metavar="WORD",
                    help="only the --families / --hmm rows whose name holds one of these words "
                         "(e.g. categorical mixed)")
    ap.add_argument("--hmm-start-families", nargs="+", default=["gaussian", "poisson", "categorical"],
                    choices=["gaussian", "poisson", "categorical"], help="the families of --hmm-start")
    ap.add_argument("--resample-copy-bytes", type=int, metavar="BYTES",
                    help="bootstrap_kinds.RESAMPLE_COPY_BYTES for this run (0: every resample read in place)")
    args = ap.parse_args(argv)
    if args.resample_copy_bytes is not None:
        from emdesk.engine import bootstrap_kinds

        bootstrap_kinds.RESAMPLE_COPY_BYTES = args.resample_copy_bytes
        print(f"RESAMPLE_COPY_BYTES = {args.resample_copy_bytes}")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}; peaks by tracemalloc; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(tree_budget())
    for i, n in enumerate(args.rows):
        if args.hmm_start is not None:
            hmm_start_peaks(n, args.hmm_start or ["kmeans++", "kmeans", "random", "random_from_data", "hierarchical"],
                            args.hmm_start_families)
        if args.hmm:
            hmm_peaks(n, args.hmm_iters, args.cases)
        if not args.skip_fit:
            fit_peaks(n, args.families and i == 0)
        if args.families:
            family_peaks(n, cases=args.cases)
        if args.bootstrap:
            bootstrap_peaks(n, cases=args.cases)
        if args.zero_weights:
            zero_weight_peaks(n, args.cases)
        if not args.skip_scoring:
            run(n, args.skip_csv)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"\nprocess peak RSS {rss:.0f} MB (includes the data, the complete-row copy and the tracemalloc overhead)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
