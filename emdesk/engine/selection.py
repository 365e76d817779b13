"""Model selection: a sweep over component counts and covariance types (issue 7).

``select_model`` fits every (n_components, covariance_type) pair with ``n_init``
restarts and returns a :class:`SelectionResult` whose ``table`` holds one
:class:`SelectionRow` per fit and whose ``best`` is the fitted model the
criterion (BIC, AIC or ICL; lower is better) prefers.  ``iter_select_model``
takes the same arguments and yields a :class:`SelectionStep` each time a fit
finishes, so a progress bar can follow it; closing the generator (or a
``should_stop`` callable returning True) cancels the sweep between EM
iterations.

Rules the result follows:

* A fit that raises (too many components for the rows, a singular covariance,
  ...) becomes a row with ``error`` set to the reason; the sweep goes on.
* A fit whose final parameters have issues (``model.degeneracies_``, see
  :mod:`emdesk.engine.diagnostics`: a component collapsed onto tied values, or
  with fewer than d + 1 points) is flagged ``degenerate`` and never chosen as
  ``best``, as mclust reports such models as singular rather than choosing them.
* If no fit is both successful and sound, ``best`` and ``best_row`` are None and
  ``reason`` says why (naming the lowest-criterion degenerate fit, which the
  caller may still inspect in the table).  Ties go to the model with fewer
  parameters.

Parallelism (issue 16): with ``n_jobs`` > 1, ``n_jobs - 1`` fits run at once in worker processes
and one in a thread of the calling process (:mod:`emdesk.engine._workers`).  A fit on small data
is mostly Python work under the GIL, so threads ran no faster than one fit at a time; processes
do.  The workers are spawned once per program and reused (their start-up, importing NumPy and
SciPy, is paid once), never import the caller's ``__main__``, get arrays and return plain values,
and stop within one EM iteration when the sweep is cancelled.  ``backend="threads"`` keeps the
thread pool.  Every fit has its own seed, so the table does not depend on where it ran.
``benchmarks/bench_selection.py`` prints serial against parallel times (README's selection
section).
"""

from __future__ import annotations

import csv
import math
import os
import re
import stat
import tempfile
import threading
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

from . import _validation as V
from . import _workers
from ._sweep_seeds import SEED_MAX, _seeds, spawned_seeds  # noqa: F401 (re-exported for the sweeps)
from ._threads import in_one_thread
from . import covariance_models as _cm
from . import prior as _P
from .diagnostics import ComponentIssue, DataColumnWarning, DegenerateSolutionWarning, format_issues
from .gaussian import GaussianMixture
from ._zero_weight import positive_rows

# A sweep fits dozens of models and many are degenerate by design (too many components for
# the data): their issues are recorded in the table instead of one warning per fit.  The
# engine attributes its DegenerateSolutionWarning to the code that drives fit_iter, i.e. to
# this module, so this filter silences exactly those and nothing else (and, unlike
# warnings.catch_warnings, it is safe with fits running in threads).
warnings.filterwarnings("ignore", category=DegenerateSolutionWarning, module=re.escape(__name__) + "$")
# Constant or linearly dependent columns are found once for the whole sweep and reported in the
# result's ``notes`` (and its reason), not once per fit.
warnings.filterwarnings("ignore", category=DataColumnWarning, module=re.escape(__name__) + "$")

__all__ = [
    "select_model",
    "iter_select_model",
    "start_workers",
    "SelectionResult",
    "SelectionRow",
    "SelectionStep",
    "SelectionCancelled",
    "CRITERIA",
    "COVARIANCE_TYPES",
    "MCLUST_MODELS",
]

CRITERIA = ("bic", "aic", "icl")
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: ``covariance_types="mclust"`` (or this tuple) sweeps mclust's 14 models, EII ... VVV (Celeux &
#: Govaert 1995, mclust's ``mclust.options("emModelNames")``); with one feature its two, E and V.
MCLUST_MODELS = _cm.MODEL_NAMES

#: Columns of ``SelectionResult.rows_as_dicts()`` and of the exported CSV, in order.
CSV_COLUMNS = (
    "n_components",
    "covariance_type",
    "log_likelihood",
    "n_parameters",
    "bic",
    "aic",
    "icl",
    "n_iter",
    "converged",
    "degenerate",
    "issues",
    "error",
    "best",
    "seconds",
)


class SelectionCancelled(Exception):
    """Raised inside a fit when the sweep is cancelled (never escapes the sweep)."""


@dataclass(frozen=True, eq=False)
class SelectionRow:
    """One fit of the sweep.  Failed fits have ``error`` set, ``model`` None and NaN scores."""

    index: int  # position in the sweep order (components ascending, then covariance types)
    n_components: int
    covariance_type: str
    log_likelihood: float
    n_parameters: int
    bic: float
    aic: float
    icl: float
    n_iter: int
    converged: bool
    degenerate: bool
    issues: tuple[ComponentIssue, ...]
    error: Optional[str]
    model: object  # fitted GaussianMixture, or None when the fit failed
    seconds: float  # wall time of this fit

    @property
    def ok(self) -> bool:
        """The fit succeeded (it may still be degenerate)."""
        return self.error is None

    @property
    def eligible(self) -> bool:
        """The fit may be chosen: it succeeded, is not degenerate and its scores are finite."""
        return self.ok and not self.degenerate and math.isfinite(self.bic)

    @property
    def status(self) -> str:
        """'ok', 'degenerate' or 'failed', for display."""
        if not self.ok:
            return "failed"
        return "degenerate" if self.degenerate else "ok"

    def score(self, criterion: str) -> float:
        """The row's value of ``criterion`` ("bic" | "aic" | "icl")."""
        return float(getattr(self, _check_criterion(criterion)))

    def label(self) -> str:
        """E.g. ``"3 components, full"``."""
        word = "component" if self.n_components == 1 else "components"
        return f"{self.n_components} {word}, {self.covariance_type}"


@dataclass(frozen=True, eq=False)
class SelectionResult:
    """The outcome of a (possibly cancelled) sweep."""

    table: list  # list[SelectionRow], in sweep order
    criterion: str
    best_row: Optional[SelectionRow]
    reason: str  # one or two sentences explaining the choice (or why there is none)
    n_planned: int  # number of fits the sweep was asked for
    cancelled: bool = False
    seconds: float = 0.0  # wall time so far
    #: What was noticed about the data before fitting and done about it (constant columns,
    #: linearly dependent columns: kept in every model, see ``GaussianMixture.column_notes_``).
    notes: tuple = ()

    @property
    def best(self):
        """The preferred fitted model, or None (see ``reason``)."""
        return None if self.best_row is None else self.best_row.model

    @property
    def complete(self) -> bool:
        return len(self.table) == self.n_planned and not self.cancelled

    def with_criterion(self, criterion: str) -> "SelectionResult":
        """The same fits judged by another criterion (its own best and reason)."""
        crit = _check_criterion(criterion)
        if crit == self.criterion:
            return self
        return _make_result(self.table, crit, self.n_planned, self.cancelled, self.seconds, self.notes)

    def as_cancelled(self) -> "SelectionResult":
        """This (partial) result marked as cancelled, its reason saying how far it got."""
        if self.cancelled:
            return self
        return _make_result(self.table, self.criterion, self.n_planned, True, self.seconds, self.notes)

    def row(self, n_components: int, covariance_type: str) -> Optional[SelectionRow]:
        for r in self.table:
            if r.n_components == n_components and r.covariance_type == covariance_type:
                return r
        return None

    def curves(self, criterion: Optional[str] = None) -> dict:
        """``{covariance_type: (n_components array, criterion array)}`` for plotting; NaN where failed."""
        crit = _check_criterion(criterion or self.criterion)
        out: dict = {}
        for r in self.table:
            ks, vals = out.setdefault(r.covariance_type, ([], []))
            ks.append(r.n_components)
            vals.append(r.score(crit))
        result = {}
        for t, (ks, vals) in out.items():
            order = np.argsort(ks, kind="stable")
            result[t] = (np.asarray(ks, dtype=int)[order], np.asarray(vals, dtype=float)[order])
        return result

    def rows_as_dicts(self) -> list:
        """One dict per row with the keys of ``CSV_COLUMNS`` (plain Python values)."""
        out = []
        for r in self.table:
            out.append(
                {
                    "n_components": r.n_components,
                    "covariance_type": r.covariance_type,
                    "log_likelihood": r.log_likelihood,
                    "n_parameters": r.n_parameters,
                    "bic": r.bic,
                    "aic": r.aic,
                    "icl": r.icl,
                    "n_iter": r.n_iter,
                    "converged": r.converged,
                    "degenerate": r.degenerate,
                    "issues": format_issues(r.issues),
                    "error": r.error or "",
                    "best": r is self.best_row,
                    "seconds": round(r.seconds, 4),
                }
            )
        return out

    def to_csv(self, path) -> None:
        """Write the table as CSV (atomically: a temporary file beside ``path``, then os.replace)."""
        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        try:
            fd, tmp = tempfile.mkstemp(prefix=".emdesk-selection-", suffix=".csv.tmp", dir=folder)
        except OSError as exc:  # name the file the user chose, not the temporary one
            raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}"
                          + (" (no such folder)" if not os.path.isdir(folder) else "")) from None
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
                writer.writeheader()
                for d in self.rows_as_dicts():
                    writer.writerow({k: _csv_value(v) for k, v in d.items()})
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, _new_file_mode(path))  # mkstemp made it 0600
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


@dataclass(frozen=True)
class SelectionStep:
    """What ``iter_select_model`` yields after each finished fit."""

    row: SelectionRow  # the fit that just finished
    done: int  # fits finished so far (1 ... total)
    total: int
    elapsed: float  # seconds since the sweep started
    result: SelectionResult = field(repr=False)  # the table so far, with its current best


def _new_file_mode(path) -> int:
    """Permissions for a written file: those of the file it replaces, else 0o666 minus the umask (as
    emdesk.io's atomic writes, which the engine does not import)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _csv_value(v):
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return repr(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _check_criterion(criterion) -> str:
    name = str(criterion).lower()
    if name not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)} (lower is better); got {criterion!r}.")
    return name


def _plan(n_components, covariance_types, d=None, prior=None):
    if isinstance(n_components, (int, np.integer)):
        ks = [int(n_components)]
    else:
        try:
            ks = [int(k) for k in n_components]
        except (TypeError, ValueError):
            raise ValueError(
                f"n_components must be an integer or a range/list of integers such as range(1, 10); "
                f"got {n_components!r}."
            ) from None
    if not ks:
        raise ValueError("n_components is empty: give at least one number of components, e.g. range(1, 10).")
    if min(ks) < 1:
        raise ValueError(f"n_components must all be at least 1; got {min(ks)}.")
    ks = sorted(set(ks))
    if isinstance(covariance_types, str):
        covariance_types = (covariance_types,)
    types = []
    for t in covariance_types:
        if t == "mclust":  # all of mclust's models (E and V for one feature)
            names = _cm.MODEL_NAMES_1D if d == 1 else MCLUST_MODELS
            if prior is not None and d is not None:  # as mclustBIC: the models with a prior
                names = [m for m in names if _P.has_prior(m, d)]
            types.extend(m for m in names if m not in types)
            continue
        if t not in V.ALL_COVARIANCE_TYPES:
            raise ValueError(
                f"covariance type {t!r} is not one of {', '.join(COVARIANCE_TYPES)} or one of mclust's models "
                f"({', '.join(MCLUST_MODELS)}, E/V for one feature; 'mclust' for all); change covariance_types."
            )
        if d is not None:
            V.covariance_layout(t, d)  # E/V with more than one feature: ValueError before any fit
            if prior is not None and not _P.has_prior(t, d):
                raise ValueError(
                    f"covariance type {t!r} has no conjugate prior (emdesk's MAP step maximises the posterior "
                    f"for {', '.join(_P.prior_covariance_types(d))}); leave it out of covariance_types, or "
                    "sweep without the prior.")
        if t not in types:
            types.append(t)
    if not types:
        raise ValueError("covariance_types is empty: give at least one of full, tied, diag, spherical "
                         "(or mclust's names, or 'mclust').")
    return [(k, t) for k in ks for t in types]


def _reason(err: BaseException) -> str:
    text = str(err).strip()
    if not text:
        return type(err).__name__
    if isinstance(err, (ValueError, np.linalg.LinAlgError, FloatingPointError)):
        return text
    return f"{type(err).__name__}: {text}"


def _fit_one(index, k, cov_type, X, sample_weight, params, seed, should_stop) -> SelectionRow:
    t0 = time.perf_counter()
    try:
        model = GaussianMixture(n_components=k, covariance_type=cov_type, random_state=seed, **params)
        # fit_iter lets a cancelled sweep stop within one EM iteration.
        # (only the final snapshots' degeneracy diagnosis is used: _interim_issues=False)
        for _ in model.fit_iter(X, sample_weight=sample_weight, interrupt=should_stop, _interim_issues=False):
            if should_stop():
                raise SelectionCancelled()
        if not hasattr(model, "weights_") and should_stop():  # cancelled in the initialisation
            raise SelectionCancelled()
        if not hasattr(model, "weights_"):  # pragma: no cover - defensive (engine contract)
            raise RuntimeError("the engine's fit_iter finished without a fitted model")
        scores = model._scores(X, sample_weight)  # one E-step for all three criteria
        bic, aic, icl = scores["bic"], scores["aic"], scores["icl"]
        ll = float(model.log_likelihood_)
        if not (math.isfinite(ll) and math.isfinite(bic)):
            raise FloatingPointError("the fit produced a non-finite log-likelihood")
        issues = tuple(getattr(model, "degeneracies_", ()) or ())
        return SelectionRow(
            index=index,
            n_components=k,
            covariance_type=cov_type,
            log_likelihood=ll,
            n_parameters=int(model.n_parameters()),
            bic=bic,
            aic=aic,
            icl=icl,
            n_iter=int(model.n_iter_),
            converged=bool(model.converged_),
            degenerate=bool(issues),
            issues=issues,
            error=None,
            model=model,
            seconds=time.perf_counter() - t0,
        )
    except SelectionCancelled:
        raise
    except Exception as err:  # a failed fit is a row, never fatal to the sweep
        return _failed_row(index, k, cov_type, _reason(err), time.perf_counter() - t0)


def _failed_row(index, k, cov_type, reason, seconds) -> SelectionRow:
    nan = float("nan")
    return SelectionRow(
        index=index,
        n_components=k,
        covariance_type=cov_type,
        log_likelihood=nan,
        n_parameters=0,
        bic=nan,
        aic=nan,
        icl=nan,
        n_iter=0,
        converged=False,
        degenerate=False,
        issues=(),
        error=reason,
        model=None,
        seconds=seconds,
    )


def _choose(rows, criterion):
    """(best_row, reason) following the rules in the module docstring."""
    label = criterion.upper()
    failed = [r for r in rows if not r.ok]
    degenerate = [r for r in rows if r.ok and r.degenerate]
    eligible = [r for r in rows if r.eligible and math.isfinite(r.score(criterion))]

    def key(r):
        return (r.score(criterion), r.n_parameters, r.index)

    notes = []
    if degenerate:
        n = len(degenerate)
        notes.append(f"{n} degenerate fit{'s' if n != 1 else ''} (collapsed or nearly empty components) {'were' if n != 1 else 'was'} not considered")
    if failed:
        n = len(failed)
        notes.append(f"{n} fit{'s' if n != 1 else ''} failed")
    tail = (" " + "; ".join(notes) + ".") if notes else ""
    if eligible:
        best = min(eligible, key=key)
        # the best at the largest number tried: the criterion may still fall beyond it (airquality's six columns:
        # EEI with 9 of 1-9 components; the sweep said nothing of it)
        ks = {r.n_components for r in rows}
        edge = (f" {best.n_components} is the largest number tried: {label} may improve with more (raise the "
                f"largest number of components)." if len(ks) > 1 and best.n_components == max(ks) else "")
        return best, f"{label} prefers {best.label()} ({label} {best.score(criterion):.6g}).{edge}{tail}"
    if not rows:
        return None, "No fit has finished yet."
    if degenerate:
        worst_best = min(degenerate, key=key)
        n_failed = len(failed)
        failed_note = f", and {n_failed} other fit{'s' if n_failed != 1 else ''} failed" if failed else ""
        return None, (
            f"No model can be recommended: all {len(degenerate)} fits that succeeded are degenerate, "
            f"with collapsed or nearly empty components{failed_note}. The lowest {label} among them is "
            f"{worst_best.label()} ({format_issues(worst_best.issues)}); the data may be heavily "
            "rounded or have too few rows for these models: try fewer components, a simpler "
            "covariance type or a larger reg_covar."
        )
    return None, f"No model can be recommended: all {len(rows)} fits failed (see the error column)."


def _column_notes(X, sample_weight, covariance_types) -> tuple:
    """The data checks every fit of the sweep would make, once: a column that overflows or is too
    wide raises here (ValueError naming it); constant and linearly dependent columns give notes."""
    constant = V.check_column_ranges(X, sample_weight)
    d = X.shape[1]
    dep = [t for t in covariance_types if V.covariance_layout(t, d) in ("full", "tied")]
    groups = V.linear_dependence(X, sample_weight, constant)[1] if dep else []
    return tuple(V.column_notes(X, constant, groups, None, dep[0] if dep else None))


def _make_result(rows, criterion, n_planned, cancelled, seconds, notes=()) -> SelectionResult:
    rows = sorted(rows, key=lambda r: r.index)
    best, reason = _choose(rows, criterion)
    if cancelled:
        reason = f"Cancelled after {len(rows)} of {n_planned} fits. " + reason
    if notes:
        reason = reason + " " + " ".join(notes) + " (Kept in every model of the sweep.)"
    return SelectionResult(
        table=rows,
        criterion=criterion,
        best_row=best,
        reason=reason,
        n_planned=n_planned,
        cancelled=cancelled,
        seconds=seconds,
        notes=tuple(notes),
    )


def iter_select_model(
    X,
    n_components: Iterable[int] = range(1, 10),
    covariance_types: Iterable[str] = COVARIANCE_TYPES,
    n_init: int = 5,
    criterion: str = "bic",
    random_state=None,
    *,
    tol="relative",
    reg_covar="relative",
    max_iter: int = 1000,
    init_params: str = "emEM",
    missing: str = "error",
    prior=None,
    sample_weight=None,
    n_jobs: Optional[int] = None,
    should_stop: Optional[Callable[[], bool]] = None,
    backend: str = "processes",
) -> Iterator[SelectionStep]:
    """Run the sweep, yielding a :class:`SelectionStep` after each finished fit.

    Fits finish in any order (they run in parallel); ``step.result`` is always the table so
    far in sweep order with its current best, and the last step's result is the final one.
    Stop early by closing the generator (``gen.close()``, or ``break`` out of a for-loop and
    let it be collected) or by passing ``should_stop``, a callable checked between EM
    iterations of every running fit; running fits are then abandoned within one iteration
    and the generator returns (the last yielded result stays valid, with fewer rows).
    ``n_jobs``: how many fits run at once (None: all cores; 1: every fit in the calling thread).
    ``backend``: ``"processes"`` (default) runs ``n_jobs - 1`` fits in worker processes and one in
    a thread of this process (see :mod:`emdesk.engine._workers`: spawned once per program and
    reused, they never import your ``__main__``); ``"threads"`` runs them in ``n_jobs`` threads
    (fine when each fit is long and spends its time in BLAS).  Either way every fit has its own
    seed, so the table is the same as ``n_jobs=1`` gives.  Where worker processes cannot start,
    the sweep runs in this process.

    Defaults (issue 11): ``init_params="emEM"`` (restart 1 from mclust's hierarchical start, the
    others the best of short exploratory runs, :mod:`emdesk.engine.restarts`), ``tol="relative"``
    (mclust's relative criterion, 1e-5: converged answers, about 1e-2 in log-likelihood),
    ``reg_covar="relative"`` (1e-6 times the data's covariance: the recommendation does not depend on
    the units) and ``max_iter=1000``; :mod:`emdesk.engine.relative` states both settings.  Numbers
    keep scikit-learn's meaning.

    ``prior``: None (maximum likelihood), ``"default"`` (mclust's conjugate prior, ``priorControl()``) or a
    dict of its overrides (:func:`emdesk.engine.prior.check_prior`), passed to every fit.  As mclust's
    ``mclustBIC(X, prior = priorControl())`` does, each fit is the MAP estimate and its BIC, AIC and ICL use
    the *log-likelihood* at that estimate (not the log-posterior) and the usual parameter count; ICL adds
    the MAP classification's term as without a prior (mclust's ``mclustICL``).  ``covariance_types="mclust"``
    then sweeps the models that have a prior (VII, VVI, EEE, VVV; E and V for one feature), as mclustBIC
    leaves out those it has none for; a type named explicitly without a prior raises ValueError.
    """
    criterion = _check_criterion(criterion)
    _P.check_prior(prior)
    if backend not in ("processes", "threads"):
        raise ValueError(f"backend must be 'processes' or 'threads'; got {backend!r}.")
    _plan(n_components, covariance_types)  # bad arguments before the data are read
    params = dict(
        n_init=n_init, tol=tol, reg_covar=reg_covar, max_iter=max_iter, init_params=init_params, missing=missing
    )
    if prior is not None:
        params["prior"] = prior
    # The engine's own checks, once for the whole sweep (bad options or data are not failed fits).
    V.check_params(GaussianMixture(n_components=1, **params))
    X = V.check_array(X, missing)
    plan = _plan(n_components, covariance_types, X.shape[1], prior)
    sample_weight = V.check_sample_weight(sample_weight, X.shape[0])
    # rows of weight 0 do not count (_zero_weight): the notes read the positive rows in place, and every fit
    # leaves them out itself (the fit of X[w > 0]; no copy of the positive rows is made for the sweep)
    notes = _column_notes(*positive_rows(X, sample_weight)[:2], [t for _, t in plan])
    seeds = _seeds(random_state, len(plan))
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    n_jobs = max(1, min(int(n_jobs), len(plan)))

    stop = threading.Event()
    user_stop = should_stop or (lambda: False)

    def stopped() -> bool:
        if stop.is_set():
            return True
        if user_stop():
            stop.set()
            return True
        return False

    total = len(plan)
    rows: list = []
    t0 = time.perf_counter()

    def step(row):
        rows.append(row)
        elapsed = time.perf_counter() - t0
        return SelectionStep(row, len(rows), total, elapsed,
                             _make_result(rows, criterion, total, False, elapsed, notes))

    if n_jobs == 1:
        for i, (k, t) in enumerate(plan):
            if stopped():
                return
            try:
                row = _fit_one(i, k, t, X, sample_weight, params, seeds[i], stopped)
            except SelectionCancelled:
                return
            yield step(row)
        return

    if backend == "processes":
        try:
            handle = _workers.new_sweep(n_jobs - 1)
        except (OSError, RuntimeError, ImportError, ValueError):  # no processes here: threads
            handle = None
        if handle is not None:
            from .selection_processes import _sweep_in_processes

            yield from _sweep_in_processes(handle, plan, X, sample_weight, params, seeds, n_jobs, stopped,
                                           stop, step)
            return

    pool = ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="emdesk-select")
    try:
        # Submit the most expensive fits (most components) first so the pool stays balanced.
        order = sorted(range(total), key=lambda i: (-plan[i][0], i))
        pending = set()
        for i in order:
            k, t = plan[i]
            pending.add(pool.submit(in_one_thread, _fit_one, i, k, t, X, sample_weight, params, seeds[i], stopped))
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if stopped():
                return
            for fut in done:
                try:
                    row = fut.result()
                except SelectionCancelled:
                    return
                yield step(row)
                if stopped():
                    return
    finally:
        stop.set()  # running fits notice within one EM iteration
        pool.shutdown(wait=True, cancel_futures=True)


def start_workers(n_jobs: Optional[int] = None) -> None:
    """Start the worker processes a sweep with ``n_jobs`` (None: all cores) will use, and return
    at once.  A worker's first start imports NumPy, SciPy and the engine (about a second); the
    app's model-selection dialog calls this when it opens so that cost overlaps with the user
    choosing options.  Optional: a sweep starts its workers itself.  Does nothing where processes
    cannot be started."""
    n = (os.cpu_count() or 1) if n_jobs is None else int(n_jobs)
    if n > 1:
        try:
            _workers.start(n - 1)
        except (OSError, RuntimeError, ValueError):
            pass


def select_model(
    X,
    n_components: Iterable[int] = range(1, 10),
    covariance_types: Iterable[str] = COVARIANCE_TYPES,
    n_init: int = 5,
    criterion: str = "bic",
    random_state=None,
    **kwargs,
) -> SelectionResult:
    """Run the whole sweep and return its :class:`SelectionResult` (see ``iter_select_model``).

    ``covariance_types``: any of scikit-learn's four names and mclust's 14 model names (E/V for one
    feature, see :class:`~emdesk.engine.GaussianMixture`); ``"mclust"`` (alone or in the list) or
    :data:`MCLUST_MODELS` sweeps all 14 of mclust's models as ``mclustBIC`` does (E and V for one
    feature).  Rows keep the name asked for.

    If ``should_stop`` cancels it, the result holds the fits finished so far and
    ``cancelled`` is True.
    """
    last = None
    plan_size = len(_plan(n_components, covariance_types, np.shape(X)[1] if np.ndim(X) == 2 else None,
                          kwargs.get("prior")))
    t0 = time.perf_counter()
    for last in iter_select_model(
        X, n_components, covariance_types, n_init, criterion, random_state, **kwargs
    ):
        pass
    crit = _check_criterion(criterion)
    if last is None:
        return _make_result([], crit, plan_size, True, time.perf_counter() - t0)
    if last.done < last.total:
        return last.result.as_cancelled()
    return last.result
