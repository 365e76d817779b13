"""Bootstrap standard errors and confidence intervals of a fitted mixture, and the bootstrap
likelihood-ratio test for the number of components.

``bootstrap(model, X, ...)`` follows mclust's ``MclustBootstrap`` (Scrucca et al. 2016, The R Journal 8/1,
section "Bootstrap inference"; O'Hagan et al. 2019, "Improved inference in model-based clustering through
bootstrapping", Computational Statistics & Data Analysis):

``"nonparametric"``  rows drawn with replacement (Efron 1979);
``"parametric"``     n rows drawn from the fitted mixture (cells missing in X are missing in the draw too);
``"weighted"``       the weighted likelihood bootstrap (Newton & Raftery 1994): every row keeps its place
                     and gets a weight from a flat Dirichlet distribution scaled to sum to n (equivalently
                     normalised standard exponentials), passed to the fit as ``sample_weight``.

Each replicate is refitted by EM *starting from the fitted parameters* (as mclust does: its replicates start
from the fitted model's E-step) with ``n_init=1``, then its components are aligned to the fit by minimum-cost
matching (:mod:`emdesk.engine.align`), so that averaging does not mix up labels.  Standard errors are the
standard deviations (``ddof=1``) of the replicates, intervals their percentiles.

``bootstrap_lrt(X, ...)`` is McLachlan's (1987) bootstrap of the likelihood-ratio statistic
``LRTS = 2 (log L(k+1) - log L(k))`` under the null of k components (mclust's ``mclustBootstrapLRT``):
the k-component fit generates ``n_boot`` samples, each is fitted with k and k+1 components, and
``p = (1 + #{LRTS_b >= LRTS_obs}) / (n_boot + 1)``.

Both run replicates on threads (``n_jobs``): the EM passes spend their time in NumPy calls that release the
GIL.  Every replicate draws from its own random stream (``numpy.random.SeedSequence.spawn``), so results do
not depend on ``n_jobs`` or on the order in which threads finish.  ``progress(done, total)`` is called in the
caller's thread; ``should_stop()`` returning True ends the run early with the replicates done so far and
``cancelled=True``.

Only the public API of the model is used (``get_params``, ``fit`` with ``sample_weight``, ``sample``,
``weights_``, ``means_``, ``covariances_``, ``covariance_type``, ``score_samples``), so any model with
the same interface works.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from .align import align, as_parameters, full_covariances, has_component_axis

__all__ = ["BootstrapResult", "LRTResult", "LRTRow", "bootstrap", "bootstrap_lrt", "replicate_tolerances",
           "METHODS"]

METHODS = ("nonparametric", "parametric", "weighted")
PARAMETERS = ("weights", "means", "covariances")


# ---------------------------------------------------------------------------------------------- helpers
def _seed_sequence(random_state):
    """A SeedSequence from None / int / Generator / SeedSequence (a Generator is advanced once)."""
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(int(random_state.integers(2**63)))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool) and random_state >= 0:
        return np.random.SeedSequence(int(random_state))
    raise ValueError(f"random_state must be None, a non-negative int or a numpy Generator; got {random_state!r}.")


def _n_jobs(n_jobs):
    if n_jobs is None:
        return max(1, min(os.cpu_count() or 1, 2))
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a positive int, -1 (all cores) or None; got {n_jobs!r}.")
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))
    return int(n_jobs)


def _check_callable(f, name):
    if f is not None and not callable(f):
        raise ValueError(f"{name} must be a callable or None; got {f!r}.")


def _run(task, seeds, n_jobs, progress, should_stop, offset=0, total=None):
    """Run ``task(i, seed)`` for every seed; returns ``(results dict i -> value, cancelled)``.

    ``progress(done, total)`` and ``should_stop()`` are called in this thread only.
    """
    total = len(seeds) if total is None else total
    results = {}
    cancelled = False
    if n_jobs == 1 or len(seeds) <= 1:
        for i, s in enumerate(seeds):
            if should_stop is not None and should_stop():
                cancelled = True
                break
            results[i] = task(i, s)
            if progress is not None:
                progress(offset + len(results), total)
        return results, cancelled
    with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="emdesk-bootstrap") as pool:
        # Keep a bounded queue of submitted work so that a stop is honoured quickly.
        it = iter(enumerate(seeds))
        pending = {}

        def submit_one():
            try:
                i, s = next(it)
            except StopIteration:
                return False
            pending[pool.submit(task, i, s)] = i
            return True

        for _ in range(2 * n_jobs):
            if not submit_one():
                break
        while pending:
            done, _ = wait(list(pending), timeout=0.1, return_when=FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                results[i] = fut.result()
                if progress is not None:
                    progress(offset + len(results), total)
            if should_stop is not None and should_stop():
                cancelled = True
                for fut in list(pending):
                    fut.cancel()
                for fut, i in list(pending.items()):
                    if not fut.cancelled():
                        results[i] = fut.result()
                pending.clear()
                break
            while len(pending) < 2 * n_jobs and submit_one():
                pass
    return results, cancelled


def _run_lean(draw, finish, seeds, n_jobs, progress, should_stop, ref, ct, reg, tol, max_iter, n, d, weighted):
    """The replicates through :func:`emdesk.engine._bootstrap_em.run_stream`: ``n_jobs`` threads, each with
    its own rolling batch, pulling replicate indices from one shared counter; results come back to this
    thread through a queue (``progress`` and ``should_stop`` are called here only).  Returns
    ``(results dict i -> value, cancelled)`` as :func:`_run`.  A replicate's numbers do not depend on the
    thread or batch it ran in, so results do not depend on ``n_jobs``."""
    import queue
    import threading

    from ._bootstrap_em import run_stream

    total = len(seeds)
    lock = threading.Lock()
    counter = iter(range(total))
    stop = threading.Event()
    out_q = queue.Queue()
    pending = {}  # key -> (Xb, wb, refit_seed), per replicate in flight

    def pull():
        if stop.is_set():
            return None
        with lock:
            i = next(counter, None)
        if i is None:
            return None
        Xb, wb, refit_seed = draw(seeds[i])
        pending[i] = (Xb, wb, refit_seed)
        return i, Xb, wb

    def emit(i, out):
        Xb, wb, refit_seed = pending.pop(i)
        out_q.put((i, finish(out, Xb, wb, refit_seed)))

    def worker():
        try:
            run_stream(pull, emit, stop.is_set, ref["weights"], ref["means"], ref["covariances"], ct, reg, tol,
                       max_iter, n, d, weighted)
        except BaseException as exc:  # noqa: BLE001  (handed to the caller's thread)
            out_q.put((None, exc))
        finally:
            out_q.put((None, None))

    threads = [threading.Thread(target=worker, name=f"emdesk-bootstrap-{j}", daemon=True)
               for j in range(max(1, min(n_jobs, total)))]
    for th in threads:
        th.start()
    results = {}
    cancelled = False
    running = len(threads)
    error = None
    while running:
        try:
            i, value = out_q.get(timeout=0.1)
        except queue.Empty:
            i, value = None, False
        if i is None and value is None:
            running -= 1
        elif i is None and isinstance(value, BaseException):
            error = value
            stop.set()
        elif i is not None and not cancelled:  # after a stop, replicates still arriving are left out
            results[i] = value
            if progress is not None:
                progress(len(results), total)
        if not stop.is_set() and should_stop is not None and should_stop():
            cancelled = True
            stop.set()
    for th in threads:
        th.join()
    if error is not None:
        raise error
    return results, cancelled


def _fit_params(model):
    params = dict(model.get_params())
    for key in ("weights_init", "means_init", "covariances_init", "precisions_init"):
        params.pop(key, None)
    return params


def _refit(model, X, sample_weight, seed, tol=None, max_iter=None):
    """One replicate: a fit of X started from the model's parameters.  Returns the fitted copy or None
    when EM failed (ValueError: a component collapsed)."""
    params = _fit_params(model)
    params.update(n_init=1, random_state=seed, weights_init=model.weights_, means_init=model.means_,
                  covariances_init=model.covariances_)
    if tol is not None:
        params["tol"] = tol
    if max_iter is not None:
        params["max_iter"] = max_iter
    est = type(model)(**params)
    try:
        est.fit(X, sample_weight=sample_weight)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return None
    if not (np.all(np.isfinite(est.weights_)) and np.all(np.isfinite(est.means_))
            and np.all(np.isfinite(est.covariances_))):
        return None
    return est


_LEAN_PARAMS = {"n_components", "covariance_type", "tol", "reg_covar", "max_iter", "n_init", "init_params",
                "random_state", "weights_init", "means_init", "covariances_init", "missing"}


def _lean_applies(model, nan_mask, n=0) -> bool:
    """Whether replicates may run through :func:`emdesk.engine._bootstrap_em.run_stream`: the engine's own
    GaussianMixture with one of scikit-learn's covariance types and no option that loop does not know, on
    complete rows, and data small enough for its batch (:func:`~emdesk.engine._bootstrap_em.stream_width`;
    larger data gain nothing from it: their time is in the E-step, which the engine does in row blocks)."""
    from ._bootstrap_em import TYPES, stream_width
    from .gaussian import GaussianMixture

    # an option the loop does not know counts only when set (e.g. prior=None is plain maximum likelihood)
    unknown = {key: v for key, v in model.get_params().items() if key not in _LEAN_PARAMS}
    if not (type(model) is GaussianMixture and nan_mask is None and model.covariance_type in TYPES
            and all(v is None for v in unknown.values())):
        return False
    if isinstance(model.get_params().get("reg_covar"), str):
        # reg_covar="relative" (emdesk.engine.relative): each replicate's ridge is a fraction of that
        # replicate's own covariance, which the lean loop (a fixed ridge in user units) does not compute
        return False
    k, d = np.shape(model.means_)
    return stream_width(n, d, k) > 0


def _resample(model, X, method, rng, nan_mask):
    n = X.shape[0]
    if method == "nonparametric":
        return X[rng.integers(0, n, size=n)], None
    if method == "weighted":
        w = rng.standard_exponential(n)
        return X, w * (n / w.sum())
    Xb, _ = model.sample(n, random_state=rng)
    Xb = Xb[rng.permutation(n)]
    if nan_mask is not None:
        Xb[nan_mask] = np.nan
    return Xb, None


def _percentile_interval(reps, level):
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}.")
    a = (1.0 - level) / 2.0
    return np.quantile(reps, a, axis=0), np.quantile(reps, 1.0 - a, axis=0)


# ---------------------------------------------------------------------------------------------- result
@dataclass(frozen=True)
class BootstrapResult:
    """The result of :func:`bootstrap`.

    method : "nonparametric" | "parametric" | "weighted"
    n_boot : number of replicates asked for
    estimates : the fitted model's parameters: ``"weights"`` (k,), ``"means"`` (k, d), ``"covariances"``
        (the model's ``covariances_`` shape)
    replicates : the same keys, each ``(n_done, ...)``: the successful replicates, aligned to the fit,
        in replicate order
    log_likelihoods : (n_done,) log-likelihood of each replicate's own (resampled or weighted) data
    permutations : (n_done, k) the alignment of each replicate (identity when its labels did not switch)
    n_failed : replicates whose refit failed (a degenerate resample); they are left out
    cancelled : True when ``should_stop`` ended the run before ``n_boot`` replicates
    seed_entropy : the SeedSequence entropy; ``random_state=np.random.SeedSequence(seed_entropy)``
        repeats the run
    n_iter, converged : (n_done,) EM iterations of each replicate's refit and whether it converged (a
        replicate that stopped at ``max_iter`` is kept, as mclust keeps it; count them before trusting
        the standard errors)
    """

    method: str
    n_boot: int
    covariance_type: str
    estimates: dict
    replicates: dict
    log_likelihoods: np.ndarray
    permutations: np.ndarray
    n_failed: int
    cancelled: bool
    seed_entropy: int
    n_jobs: int = 1
    n_iter: np.ndarray | None = None
    converged: np.ndarray | None = None
    standard_errors: dict = field(init=False)

    def __post_init__(self):
        se = {}
        for key, reps in self.replicates.items():
            if reps.shape[0] >= 2:
                v = np.std(reps, axis=0, ddof=1)
            else:
                v = np.full(reps.shape[1:], np.nan)
            v.flags.writeable = False
            se[key] = v
        object.__setattr__(self, "standard_errors", se)

    @property
    def n_done(self) -> int:
        """Number of successful replicates."""
        return int(self.log_likelihoods.shape[0])

    @property
    def n_label_switches(self) -> int:
        """Replicates whose components came back in another order (and were realigned)."""
        k = self.permutations.shape[1] if self.permutations.ndim == 2 else 0
        return int(np.sum(np.any(self.permutations != np.arange(k), axis=1))) if self.n_done else 0

    def confidence_intervals(self, level=0.95) -> dict:
        """Percentile intervals: a dict parameter -> ``(lower, upper)``, each in the parameter's shape.

        Raises ValueError for a level outside (0, 1) or when fewer than 2 replicates succeeded.
        """
        if self.n_done < 2:
            raise ValueError(f"{self.n_done} successful replicate(s): at least 2 are needed for an interval.")
        return {key: _percentile_interval(reps, level) for key, reps in self.replicates.items()}

    def to_dict(self, level=0.95) -> dict:
        """Plain lists for JSON (no NaN: None): method, counts, standard errors and intervals."""
        def clean(a):
            return np.asarray(a, dtype=float).tolist()

        def nan_to_none(x):  # JSON has no NaN: null
            if isinstance(x, list):
                return [nan_to_none(v) for v in x]
            return None if (isinstance(x, float) and not math.isfinite(x)) else x

        out = {"method": self.method, "n_boot": self.n_boot, "n_done": self.n_done, "n_failed": self.n_failed,
               "n_not_converged": None if self.converged is None else int(np.sum(~self.converged)),
               "cancelled": self.cancelled, "seed_entropy": str(self.seed_entropy), "level": level,
               "standard_errors": {k: nan_to_none(clean(v)) for k, v in self.standard_errors.items()}}
        if self.n_done >= 2:
            ci = self.confidence_intervals(level)
            out["confidence_intervals"] = {k: {"lower": nan_to_none(clean(lo)), "upper": nan_to_none(clean(hi))}
                                           for k, (lo, hi) in ci.items()}
        return out


# ---------------------------------------------------------------------------------------------- bootstrap
def replicate_tolerances(model, tol=None, max_iter=None):
    """The ``(tol, max_iter)`` every replicate is refitted with: by default ``min(model.tol, 1e-6)`` and
    ``max(model.max_iter, 1000)``.

    A replicate starts at the fitted parameters, so a loose tolerance stops it after a few iterations,
    still near its start, and the standard errors come out too small.  Measured on Old Faithful (EEE, 3
    components, 300 replicates): with the engine's default ``tol=1e-3`` (per row) the replicates stop after
    a median of 4 iterations and the SE of the third component's mean waiting time is 1.57; with 1e-5 it is
    2.17 (15 iterations), with 1e-7 2.31.  mclust's ``MclustBootstrap`` refits with ``emControl()``: a
    relative tolerance of 1e-5 on the log-likelihood (about 4e-5 per row on these data) and no iteration cap.
    """
    if isinstance(tol, str):  # "relative[:r]" (emdesk.engine.relative): as given
        from .relative import check_setting

        t = check_setting(tol, "tol")
    else:
        own = getattr(model, "tol", 1e-3)
        # a model fitted with tol="relative" (mclust's criterion): the replicates get the per-row 1e-6
        t = (1e-6 if isinstance(own, str) else float(own)) if tol is None else float(tol)
        if tol is None:
            t = min(t, 1e-6)
    m = int(getattr(model, "max_iter", 100)) if max_iter is None else int(max_iter)
    if max_iter is None:
        m = max(m, 1000)
    if (not isinstance(t, str) and not (t >= 0 and math.isfinite(t))) or m < 1:
        raise ValueError(f"tol must be >= 0 and max_iter >= 1; got tol={tol!r}, max_iter={max_iter!r}.")
    return t, m


def bootstrap(model, X, n_boot=999, method="nonparametric", random_state=None, progress=None, n_jobs=None,
              should_stop=None, sample_weight=None, tol=None, max_iter=None) -> BootstrapResult:
    """Bootstrap standard errors and percentile intervals of a fitted mixture's parameters.

    Parameters
    ----------
    model : a fitted GaussianMixture (its ``get_params()`` are reused for the refits)
    X : (n, d) the data it was fitted to (NaN allowed when the model has ``missing="marginalize"``)
    n_boot : int >= 1 (mclust's default 999)
    method : "nonparametric" | "parametric" | "weighted"
    random_state : None | int | numpy Generator | SeedSequence
    progress : callable ``(done, total)``, called in the caller's thread after each replicate
    n_jobs : threads (None: up to 2, the cores of the target machine; -1: all cores)
    should_stop : callable returning True to stop early (checked between replicates)
    sample_weight : (n,) weights the model was fitted with (nonparametric resampling draws rows with
        probabilities proportional to them; the weighted bootstrap multiplies them)
    tol, max_iter : of every replicate's refit (default ``min(model.tol, 1e-6)`` and
        ``max(model.max_iter, 1000)``: see :func:`replicate_tolerances`)

    Returns
    -------
    BootstrapResult (``standard_errors``, ``confidence_intervals(level)``, ``replicates``)

    Raises
    ------
    ValueError for an unfitted model, X that does not match it, an unknown method or bad arguments.

    Reference: mclust's ``MclustBootstrap`` (Scrucca, Fop, Murphy & Raftery 2016; O'Hagan, Murphy, Scrucca &
    Gormley 2019); Newton & Raftery (1994) for the weighted likelihood bootstrap.
    """
    if not hasattr(model, "weights_"):
        raise ValueError("The model is not fitted: fit it before bootstrapping.")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}.")
    _check_callable(progress, "progress")
    _check_callable(should_stop, "should_stop")
    jobs = _n_jobs(n_jobs)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    k, d = np.shape(model.means_)
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"X has shape {X.shape}; the model was fitted to {d} columns.")
    w0 = None
    if sample_weight is not None:
        w0 = np.asarray(sample_weight, dtype=float)
        if w0.shape != (X.shape[0],) or not np.all(np.isfinite(w0)) or np.any(w0 < 0) or not w0.sum() > 0:
            raise ValueError("sample_weight must be finite, non-negative, one per row of X, and not all 0.")
    nan = np.isnan(X)
    if nan.any() and model.get_params().get("missing", "error") == "error":
        raise ValueError("X has missing values but the model was fitted with missing='error': bootstrap the "
                         "complete rows, or fit with missing='marginalize'.")
    empty = nan.all(axis=1)
    if empty.any():  # rows with no value carry no information about the parameters
        X = X[~empty]
        nan = nan[~empty]
        w0 = None if w0 is None else w0[~empty]
    n = X.shape[0]
    if n < 2:
        raise ValueError("The bootstrap needs at least 2 rows with data.")
    nan_mask = nan if nan.any() else None
    rep_tol, rep_max_iter = replicate_tolerances(model, tol, max_iter)
    ss = _seed_sequence(random_state)
    seeds = ss.spawn(int(n_boot))
    ref = as_parameters(model)
    ct = model.covariance_type

    def draw(seed):
        rng = np.random.default_rng(seed)
        if method == "nonparametric" and w0 is not None:
            idx = rng.choice(n, size=n, p=w0 / w0.sum())
            Xb, wb = X[idx], None
        else:
            Xb, wb = _resample(model, X, method, rng, nan_mask)
            if method == "weighted" and w0 is not None:
                wb = wb * w0
        return Xb, wb, int(rng.integers(2**31))

    def engine_task(Xb, wb, refit_seed):
        est = _refit(model, Xb, wb, refit_seed, rep_tol, rep_max_iter)
        if est is None:
            return None
        try:
            a = align(est, ref, "kl")
        except ValueError:
            a = align(est, ref, "labels", X=X) if nan_mask is None else None
        if a is None:
            return None
        ll = float(np.dot(est.score_samples(Xb), wb)) if wb is not None else float(np.sum(est.score_samples(Xb)))
        return (a.weights, a.means, a.covariances, ll, a.permutation, int(getattr(est, "n_iter_", 0)),
                bool(getattr(est, "converged_", True)))

    def task(i, seed):
        return engine_task(*draw(seed))

    def lean_result(out, Xb, wb, refit_seed):
        """A replicate the lean loop finished, aligned to the fit; the engine's refit when it could not."""
        if out is not None:
            try:
                a = align({"weights": out[0], "means": out[1], "covariances": out[2], "covariance_type": ct},
                          ref, "kl")
            except ValueError:
                a = None
            if a is not None:
                return (a.weights, a.means, a.covariances, out[3], a.permutation, out[4], out[5])
        return engine_task(Xb, wb, refit_seed)

    if _lean_applies(model, nan_mask, n):
        results, cancelled = _run_lean(draw, lean_result, seeds, jobs, progress, should_stop, ref, ct,
                                       float(model.get_params().get("reg_covar", 0.0)), rep_tol, rep_max_iter,
                                       n, X.shape[1], method == "weighted")
    else:
        results, cancelled = _run(task, seeds, jobs, progress, should_stop)
    ok = [results[i] for i in sorted(results) if results[i] is not None]
    n_failed = sum(1 for v in results.values() if v is None)
    cov_shape = np.shape(model.covariances_)
    reps = {
        "weights": np.array([r[0] for r in ok]).reshape(len(ok), k),
        "means": np.array([r[1] for r in ok]).reshape(len(ok), k, d),
        "covariances": np.array([r[2] for r in ok]).reshape((len(ok),) + cov_shape),
    }
    for v in reps.values():
        v.flags.writeable = False
    est = {key: np.array(ref[key]) for key in PARAMETERS}
    return BootstrapResult(
        method=method, n_boot=int(n_boot), covariance_type=ct, estimates=est, replicates=reps,
        log_likelihoods=np.array([r[3] for r in ok]), permutations=np.array([r[4] for r in ok]).reshape(len(ok), k),
        n_failed=n_failed, cancelled=cancelled, seed_entropy=int(ss.entropy), n_jobs=jobs,
        n_iter=np.array([r[5] for r in ok], dtype=int), converged=np.array([r[6] for r in ok], dtype=bool),
    )


# ---------------------------------------------------------------------------------------------- LRT
@dataclass(frozen=True)
class LRTRow:
    """One test of ``n_components`` against ``n_components + 1``: the observed statistic
    ``LRTS = 2 (log L(k+1) - log L(k))``, its bootstrap replicates and the p-value."""

    n_components: int
    statistic: float
    p_value: float
    log_likelihood_null: float
    log_likelihood_alternative: float
    replicates: np.ndarray
    n_failed: int


@dataclass(frozen=True)
class LRTResult:
    """The result of :func:`bootstrap_lrt`: ``rows`` (one :class:`LRTRow` per test, k = 1, 2, ...),
    the covariance type, n_boot, level, whether it was cancelled and the seed entropy."""

    covariance_type: str
    n_boot: int
    level: float
    rows: tuple
    cancelled: bool
    seed_entropy: int

    def table(self):
        """``(header, rows)`` for display: one row per test."""
        header = ["test", "LRTS", "bootstrap p-value", "replicates"]
        rows = [[f"{r.n_components} vs {r.n_components + 1}", r.statistic, r.p_value, int(r.replicates.size)]
                for r in self.rows]
        return header, rows

    def to_text(self) -> str:
        lines = [f"Bootstrap sequential LRT for the number of mixture components ({self.covariance_type}, "
                 f"{self.n_boot} replicates)", f"{'test':>10} {'LRTS':>12} {'p-value':>10}"]
        for r in self.rows:
            lines.append(f"{r.n_components:>4} vs {r.n_components + 1:<3} {r.statistic:>12.4f} {r.p_value:>10.4g}")
        if self.cancelled:
            lines.append("(stopped before the end)")
        return "\n".join(lines) + "\n"

    @property
    def selected_n_components(self):
        """The first k whose test against k+1 is not significant at ``level`` (None when every test done
        was significant)."""
        for r in self.rows:
            if r.p_value > self.level:
                return r.n_components
        return None


def _split_start(model):
    """Starting parameters for k+1 components: the heaviest component split in two along its first
    principal axis (means +- one standard deviation / 2, half the weight each), covariances copied."""
    p = as_parameters(model)
    k, d = p["means"].shape
    ct = p["covariance_type"]
    full = full_covariances(p["covariances"], ct, k, d)
    j = int(np.argmax(p["weights"]))
    vals, vecs = np.linalg.eigh(full[j])
    step = 0.5 * math.sqrt(max(vals[-1], 0.0)) * vecs[:, -1]
    means = np.vstack([p["means"], p["means"][j] + step])
    means[j] = p["means"][j] - step
    weights = np.append(p["weights"], p["weights"][j] / 2.0)
    weights[j] /= 2.0
    cov = p["covariances"]
    if has_component_axis(cov, ct, k, d):
        cov = np.concatenate([cov, cov[j:j + 1]], axis=0)
    return weights, means, cov


def _best_fit(template, X, k, rng, n_init, start=None):
    """``(model, log-likelihood, sound)``: the best of ``n_init`` random starts (and the given start) with k
    components, preferring fits without a degenerate component; None when all fail."""
    params = _fit_params(template)
    params.update(n_components=k, n_init=n_init, random_state=int(rng.integers(2**31)))
    best = None
    tries = [params]
    if start is not None:
        p2 = dict(params, n_init=1, weights_init=start[0], means_init=start[1], covariances_init=start[2])
        tries.append(p2)
    for p in tries:
        est = type(template)(**p)
        try:
            est.fit(X)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            continue
        ll = float(np.sum(est.score_samples(X)))
        # a fit with a collapsed component (degeneracies_) only counts when no other fit is sound: its
        # likelihood is inflated by the variance floor
        sound = not getattr(est, "degeneracies_", ())
        if math.isfinite(ll) and (best is None or (sound, ll) > (best[2], best[1])):
            best = (est, ll, sound)
    return best


def bootstrap_lrt(X, covariance_type="full", max_components=3, n_boot=999, level=0.05, random_state=None,
                  progress=None, n_jobs=None, should_stop=None, n_init=3, sequential=True,
                  model_class=None, **params) -> LRTResult:
    """Bootstrap likelihood-ratio tests of k against k+1 components, k = 1 .. ``max_components``.

    Parameters
    ----------
    X : (n, d) data (no NaN)
    covariance_type : of every model compared
    max_components : the largest k tested (against k+1)
    n_boot : bootstrap samples per test (mclust's default 999)
    level : significance level; with ``sequential`` (mclust's behaviour) testing stops at the first k whose
        p-value exceeds it
    random_state, progress ``(done, total)``, n_jobs, should_stop : as for :func:`bootstrap`
    n_init : random restarts of every fit (each fit with k+1 components also tries the k-component fit with
        its heaviest component split, and keeps the better)
    model_class : the estimator (default GaussianMixture); ``params`` go to its constructor (reg_covar, ...;
        ``tol`` defaults to 1e-5 per row and ``max_iter`` to 1000 here, so that both fits converge)

    Returns
    -------
    LRTResult; ``table()`` gives test, LRTS and p-value per row.

    Raises ValueError for bad arguments, or when the fit with k components fails on X.

    Reference: McLachlan (1987), "On bootstrapping the likelihood ratio test statistic for the number of
    components in a normal mixture", Applied Statistics 36, 318-324; mclust's ``mclustBootstrapLRT``
    (p-value ``(1 + #{LRTS_b >= LRTS_obs}) / (B + 1)``).
    """
    if model_class is None:
        from .gaussian import GaussianMixture as model_class
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] < 3:
        raise ValueError(f"X must be a 2-D array with at least 3 rows; got shape {X.shape}.")
    if np.isnan(X).any():
        raise ValueError("The bootstrap LRT needs complete rows: X has missing values (drop those rows first).")
    for name, v, low in (("max_components", max_components, 1), ("n_boot", n_boot, 1), ("n_init", n_init, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {v!r}.")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1; got {level!r}.")
    if 1.0 / (n_boot + 1.0) > level * (1 + 1e-12):
        need = math.ceil(1.0 / level - 1.0 - 1e-9)
        raise ValueError(f"With n_boot={n_boot} the smallest p-value is {1.0 / (n_boot + 1.0):.3g}, so no test can be "
                         f"significant at level {level:g}: use at least {need} replicates.")
    _check_callable(progress, "progress")
    _check_callable(should_stop, "should_stop")
    jobs = _n_jobs(n_jobs)
    n = X.shape[0]
    if max_components + 1 > n:
        raise ValueError(f"max_components={max_components} needs more than {max_components + 1} rows; X has {n}.")
    # converged fits on both sides of the ratio (the engine's default tol=1e-3 per row stops EM early, which
    # biases the statistic); mclust refits with a relative tolerance of 1e-5
    params.setdefault("tol", 1e-5)
    params.setdefault("max_iter", 1000)
    template = model_class(1, covariance_type=covariance_type, **params)
    ss = _seed_sequence(random_state)
    test_seeds = ss.spawn(max_components)
    total = n_boot * max_components
    rows = []
    cancelled = False
    rng0 = np.random.default_rng(ss.spawn(1)[0])
    null = _best_fit(template, X, 1, rng0, n_init)
    if null is None:
        raise ValueError("The one-component model cannot be fitted to X (a constant column?).")
    for t, k in enumerate(range(1, max_components + 1)):
        alt = _best_fit(template, X, k + 1, rng0, n_init, start=_split_start(null[0]))
        if alt is None:
            break
        null_model, ll0 = null[0], null[1]
        stat = 2.0 * (alt[1] - ll0)

        def task(i, seed, null_model=null_model, k=k):
            rng = np.random.default_rng(seed)
            Xb, _ = null_model.sample(n, random_state=rng)
            h0 = _refit(null_model, Xb, None, int(rng.integers(2**31)))
            if h0 is None:
                return None
            l0 = float(np.sum(h0.score_samples(Xb)))
            h1 = _best_fit(template, Xb, k + 1, rng, n_init, start=_split_start(h0))
            if h1 is None:
                return None
            return 2.0 * (h1[1] - l0)

        seeds = test_seeds[t].spawn(int(n_boot))
        res, cancelled = _run(task, seeds, jobs, progress, should_stop, offset=t * n_boot, total=total)
        boot = np.array([res[i] for i in sorted(res) if res[i] is not None])
        n_failed = sum(1 for v in res.values() if v is None)
        if boot.size:
            p = (1.0 + np.sum(boot >= stat)) / (boot.size + 1.0)
            boot.flags.writeable = False
            rows.append(LRTRow(k, float(stat), float(p), float(ll0), float(alt[1]), boot, n_failed))
        if cancelled or (sequential and (not rows or rows[-1].p_value > level)):
            break
        null = alt
    return LRTResult(covariance_type=covariance_type, n_boot=int(n_boot), level=float(level), rows=tuple(rows),
                     cancelled=cancelled, seed_entropy=int(ss.entropy))
