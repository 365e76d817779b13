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

import numpy as np

from ._bootstrap_common import (METHODS, BootstrapResult, _check_callable, _fit_params, _n_jobs,  # noqa: F401
                                _percentile_interval, _refit, _run, _seed_sequence, replicate_tolerances)
from . import bootstrap_kinds as _bk
from ._validation import _any_in_blocks
from ._gaussian_sample import permutation_rows
from ._resample import drawn_rows, gathered_rows
from ._zero_weight import take_rows
from .align import align, as_parameters

__all__ = ["BootstrapResult", "LRTResult", "LRTRow", "bootstrap", "bootstrap_lrt", "replicate_tolerances",
           "METHODS"]

PARAMETERS = ("weights", "means", "covariances")


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
        while True:
            if stop.is_set():
                return None
            with lock:
                i = next(counter, None)
            if i is None:
                return None
            Xb, wb, refit_seed = draw(seeds[i])
            if not callable(reg):  # a fixed reg_covar: run_stream's own
                pending[i] = (Xb, wb, refit_seed)
                return i, Xb, wb
            ridge = reg(Xb, wb)
            if ridge is None:  # a replicate whose own ridge needs the engine (e.g. a constant column)
                out_q.put((i, finish(None, Xb, wb, refit_seed)))
                continue
            pending[i] = (Xb, wb, refit_seed)
            return i, Xb, wb, ridge

    def emit(i, out):
        Xb, wb, refit_seed = pending.pop(i)
        out_q.put((i, finish(out, Xb, wb, refit_seed)))

    def worker():
        try:
            run_stream(pull, emit, stop.is_set, ref["weights"], ref["means"], ref["covariances"], ct,
                       0.0 if callable(reg) else reg, tol, max_iter, n, d, weighted)
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
    reg = model.get_params().get("reg_covar")
    if isinstance(reg, str):
        from .relative import relative_amount

        try:  # reg_covar="relative[:r]": each replicate gets its own ridge (relative_ridge), else the engine
            relative_amount(reg, "reg_covar")
        except ValueError:
            return False
    k, d = np.shape(model.means_)
    return stream_width(n, d, k) > 0


def relative_ridge(X, sample_weight, covariance_type, reg_covar):
    """The ridge GaussianMixture.fit adds to every covariance for ``reg_covar="relative[:r]"`` on the data
    ``X`` (complete rows) with weights ``sample_weight`` (None: equal), in user units: ``(d, d)`` for full and
    tied (``r`` times the data's covariance), ``(d,)`` for diag (``r`` times each feature's variance), a
    scalar for spherical (``r`` times the mean variance in the common scale).  Computed with the engine's own
    functions (:func:`emdesk.engine.gaussian._regularisation` on the standardised data), so the lean loop's
    replicates have the ridge the engine would give them.  Returns None when the data have a direction
    without variance (a constant column, exact linear dependence): the engine's refit decides those."""
    from ._core import Standardizer
    from ._fitdata import complete_rows_covariance
    from .gaussian import _regularisation

    std = Standardizer.from_data(X, sample_weight, covariance_type)
    dv = np.where(np.isfinite(std.data_var), std.data_var, 0.0)
    s = std.scale
    dz = dv / (s * s)
    if not np.all(dz > 1e-12):
        return None
    cov_z = None
    if covariance_type in ("full", "tied"):
        cov_z = complete_rows_covariance(X, std, sample_weight)[0]  # as GaussianMixture.fit computes it
        lam = np.linalg.eigvalsh(cov_z)
        if not lam[0] > 1e-12 * max(lam[-1], 0.0):
            return None
    reg_z, off, _ = _regularisation(reg_covar, covariance_type, std, dv, cov_z)
    if covariance_type in ("full", "tied"):
        return (np.diag(reg_z) + off) * np.multiply.outer(s, s)
    if covariance_type == "diag":
        return reg_z * s * s
    return float(reg_z) * s[0] * s[0]


def _rows(X, rng, weights, in_place):
    """A nonparametric resample ``X[idx]`` of ``rng.integers(0, n, size=n)`` (or ``rng.choice(n, size=n,
    p=weights / weights.sum())``) row numbers, drawn in blocks (:mod:`emdesk.engine._resample`, tenth session):
    read in place (:func:`~emdesk.engine._zero_weight.take_rows` of 4-byte row numbers) or gathered as drawn."""
    if in_place:
        return take_rows(X, drawn_rows(rng, X.shape[0], weights))
    return gathered_rows(X, rng, weights)


def _resample(model, X, method, rng, nan_mask, in_place=False):
    n = X.shape[0]
    if method == "nonparametric":
        return _rows(X, rng, None, in_place), None
    if method == "weighted":
        w = rng.standard_exponential(n)
        return X, w * (n / w.sum())
    Xb, _ = model.sample(n, random_state=rng)
    if in_place:  # the simulated rows read through the permutation (4 bytes a row), not a permuted copy (issue 16)
        rows = permutation_rows(rng, n)  # rng.permutation(n)'s numbers
        if nan_mask is not None:  # the cells missing in X made missing where the permuted rows read them
            for s in range(0, n, 1 << 16):
                i, j = np.nonzero(nan_mask[s:s + (1 << 16)])
                Xb[rows[s + i], j] = np.nan
        return take_rows(Xb, rows), None
    Xb = Xb[rng.permutation(n)]
    if nan_mask is not None:
        Xb[nan_mask] = np.nan
    return Xb, None


def bootstrap(model, X, n_boot=999, method="nonparametric", random_state=None, progress=None, n_jobs=None,
              should_stop=None, sample_weight=None, tol=None, max_iter=None, lengths=None) -> BootstrapResult:
    """Bootstrap standard errors and percentile intervals of a fitted model's parameters.

    Parameters
    ----------
    model : a fitted GaussianMixture (its ``get_params()`` are reused for the refits), or any other kind the
        engine fits (Student-t, Poisson, categorical and mixed mixtures, Gaussian/Poisson/categorical HMMs,
        ``MixtureModel``/``HiddenMarkovModel``): those go to
        :func:`emdesk.engine.bootstrap_kinds.bootstrap_kind` (nonparametric and parametric; an HMM's
        nonparametric bootstrap resamples whole sequences, its parametric one simulates from the fitted
        chain; results keyed by the model's attribute names, e.g. ``lambdas``, ``startprob``, ``transmat``)
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
    lengths : an HMM's rows per sequence (None: one sequence); only for HMMs

    Returns
    -------
    BootstrapResult (``standard_errors``, ``confidence_intervals(level)``, ``replicates``)

    Raises
    ------
    ValueError for an unfitted model, X that does not match it, an unknown method or bad arguments.

    Reference: mclust's ``MclustBootstrap`` (Scrucca, Fop, Murphy & Raftery 2016; O'Hagan, Murphy, Scrucca &
    Gormley 2019); Newton & Raftery (1994) for the weighted likelihood bootstrap.
    """
    from .models import LatentModel

    if isinstance(model, LatentModel):
        from .bootstrap_kinds import bootstrap_kind

        if sample_weight is not None:
            raise ValueError(f"sample_weight: {type(model).__name__} is fitted without row weights, so its "
                             "bootstrap takes none.")
        return bootstrap_kind(model, X, n_boot=n_boot, method=method, random_state=random_state, progress=progress,
                              n_jobs=n_jobs, should_stop=should_stop, lengths=lengths, tol=tol, max_iter=max_iter)
    if lengths is not None:
        raise ValueError("lengths (rows per sequence) are for hidden Markov models, not for a GaussianMixture.")
    if not hasattr(model, "weights_"):
        raise ValueError("The model is not fitted: fit it before bootstrapping.")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
    if model.get_params().get("prior") is not None and (method == "weighted" or sample_weight is not None):
        raise ValueError("This model was fitted with a prior, and mclust's conjugate prior takes no row weights: "
                         "the weighted likelihood bootstrap (and sample_weight) cannot refit it. Use "
                         "method='nonparametric' or 'parametric'.")
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
    # the mask of missing cells only when there are some (found in row blocks: complete data hold no mask)
    nan = np.isnan(X) if _any_in_blocks(X, np.isnan) else None
    if nan is not None and model.get_params().get("missing", "error") == "error":
        raise ValueError("X has missing values but the model was fitted with missing='error': bootstrap the "
                         "complete rows, or fit with missing='marginalize'.")
    empty = None if nan is None else nan.all(axis=1)
    if w0 is not None:  # nor do rows of weight 0 (emdesk.engine._zero_weight): left out before any draw
        empty = (w0 == 0) if empty is None else empty | (w0 == 0)
    if empty is not None and empty.any():  # rows with no value carry no information about the parameters:
        X = take_rows(X, np.flatnonzero(~empty))  # the others read in place (ninth session: X[~empty], a copy)
        nan = None if nan is None else nan[~empty]
        w0 = None if w0 is None else w0[~empty]
    del empty
    n = X.shape[0]
    if n < 2:
        raise ValueError("The bootstrap needs at least 2 rows with data.")
    nan_mask = nan if nan is not None and nan.any() else None  # (NaN only in rows left out: none)
    del nan
    rep_tol, rep_max_iter = replicate_tolerances(model, tol, max_iter)
    ss = _seed_sequence(random_state)
    seeds = ss.spawn(int(n_boot))
    ref = as_parameters(model)
    ct = model.covariance_type
    lean = _lean_applies(model, nan_mask, n) and not isinstance(rep_tol, str)
    if lean:  # small data, whose rolling batch holds every replicate's rows anyway: one array, as before
        X = np.asarray(X)
    # a nonparametric resample: its row numbers (4 bytes a row), the replicate's fit gathering each block of rows
    # when it reads it, above RESAMPLE_COPY_BYTES (the HMMs' rule); a copy below it (issue 16, ninth session)
    in_place = not lean and 8 * X.shape[0] * X.shape[1] > _bk.RESAMPLE_COPY_BYTES

    def draw(seed):
        rng = np.random.default_rng(seed)
        if method == "nonparametric" and w0 is not None:
            Xb, wb = _rows(X, rng, w0, in_place), None  # rng.choice(n, size=n, p=w0 / w0.sum())'s rows
        else:
            Xb, wb = _resample(model, X, method, rng, nan_mask, in_place)
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

    if lean:
        reg = model.get_params().get("reg_covar", 0.0)
        if isinstance(reg, str):  # relative: each replicate's ridge from its own data, as its fit computes it
            reg_arg = lambda Xb, wb, reg=reg: relative_ridge(Xb, wb, ct, reg)  # noqa: E731
        else:
            reg_arg = float(reg)
        results, cancelled = _run_lean(draw, lean_result, seeds, jobs, progress, should_stop, ref, ct,
                                       reg_arg, rep_tol, rep_max_iter, n, X.shape[1], method == "weighted")
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



from .bootstrap_lrt import LRTResult, LRTRow, bootstrap_lrt  # noqa: E402  (re-exported; it uses the helpers above)
