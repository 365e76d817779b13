"""Gaussian mixtures fitted to data that live in a Dask array or Dask DataFrame (issue 16, item 4).

``GaussianMixture.fit(X)`` / ``fit_iter(X)`` come here when ``X`` is a ``dask.array.Array`` or a
``dask.dataframe.DataFrame`` (columns of numbers).  ``X`` is never materialised: EM's
statistics are sums over rows, so every pass is a map-reduce.  Each chunk of rows is turned
into a short vector (the log-likelihood and the M-step's sufficient statistics, computed with
the same kernels as the in-memory fit), the vectors are summed by Dask's tree reduction
(``Array.sum``), and only that sum comes back to the client.  The same code therefore runs on
Dask's threaded scheduler, a ``LocalCluster`` and any ``dask.distributed`` cluster: whichever
scheduler is active (``dask.config.set(scheduler=...)`` or a ``distributed.Client``) computes
the passes.

Every option of the in-memory fit is available except ``sample_weight`` and
``responsibilities=True``: all 14 covariance models of mclust (the constrained M-steps work from
the reduced per-component scatters and counts), ``prior="default"`` (its mean and scale from pass
0), ``reg_covar="relative"`` (the data's covariance from pass 0), ``missing="marginalize"`` (the
exact incomplete-data E-step per chunk) and every ``init_params``, ``"emEM"`` included.

The modules:

* :mod:`emdesk.engine._dask_chunks`: the per-chunk kernels;
* :mod:`emdesk.engine._dask_context`: pass 0 (standardisation, checks, the data's covariance,
  the prior), the initialisation's sample, the EM passes and the M-step;
* :mod:`emdesk.engine._dask_run`: the restarts side by side (one pass per iteration for all of
  them);
* this module: the entry points (``fit_iter``, lazy scoring, ``data_counts``).

Passes over the data
--------------------
* One pass first (pass 0).  With known chunk sizes the initialisation's sample is gathered in
  this same pass (otherwise in a pass of its own).
* The initialisation on a sample: at most :data:`INIT_SAMPLE_ROWS` rows drawn without
  replacement (seeded by ``random_state``; every row when there are fewer, and then no random
  number is drawn, so the start is exactly the in-memory one).  ``init_params`` (k-means++,
  kmeans, random, random_from_data, hierarchical, and ``"emEM"``: the hierarchical start and the
  short exploratory EM runs of :mod:`emdesk.engine.restarts`) runs in memory on the sample, by
  the in-memory fit's own code; then EM runs on all rows.  So with ``"emEM"`` the exploration
  uses the sample only; the long runs use every row.
* One pass per EM iteration for *all* restarts together (:mod:`emdesk.engine._dask_run`):
  ``n_init`` restarts read the data ``1 + (iterations of the longest restart + 1)`` times, plus one
  extra pass in the rare iteration where a component is so narrow compared with its distance from
  the data's centre that its covariance must be recomputed about the new mean (the in-memory
  fit's two-pass fallback, ``_core.TWO_PASS_RATIO``).  The fitted ``n_data_passes_`` counts them.

Results equal the in-memory fit from the same start (up to the order of floating-point sums:
1e-10 in the tests).  ``fit_iter(..., responsibilities=True)`` is refused (an (n, k) matrix
would be materialised); ``predict_proba``/``predict``/``score_samples`` of a dask array return
lazy dask arrays instead.  ``sample_weight`` is not supported for dask data.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import dask.array as da

from . import _validation as V
from ._dask_chunks import moments_chunk, moments_width, name as _name, per_chunk as _per_chunk
from ._dask_context import DaskContext
from ._dask_run import DaskRun, run_side_by_side
from .diagnostics import DataColumnWarning

# Reading data files and choosing the scheduler: emdesk.io.dask_files (files are read in emdesk.io).
__all__ = ["INIT_SAMPLE_ROWS", "is_dask", "as_dask_array", "fit_iter", "data_counts"]

#: Rows sampled (without replacement, seeded) for the initialisation of a Dask fit (every
#: ``init_params``; with "emEM" the hierarchical start and the exploratory runs use these rows).
INIT_SAMPLE_ROWS = 50_000


def is_dask(X):
    """True for a Dask collection (array, DataFrame, Series): the ``__dask_graph__`` protocol."""
    return callable(getattr(X, "__dask_graph__", None))


def numeric_columns(df):
    """The columns of a dask DataFrame a fit takes by default: numbers and booleans (0/1, as the
    in-memory fit of a pandas DataFrame reads them), not durations (pandas counts timedelta as a
    number; it has no float value)."""
    return df.select_dtypes(include=["number", "bool", "boolean"], exclude=["timedelta"])


def as_dask_array(X, name="X", n_features=None, columns=None):
    """``(array, column names or None)``: X as a float64 ``(n, d)`` dask array with one chunk
    across the columns.  A DataFrame gives all its columns (or ``columns``, in that order), which
    must be numbers or booleans (0/1; :func:`numeric_columns`): a text, categorical, date or
    duration column is a ValueError naming it, as the in-memory fit of a pandas frame refuses it
    (it was left out silently); a Series or 1-D array is one column."""
    names = None
    if getattr(X, "ndim", None) == 2 and hasattr(X, "columns") and not isinstance(X, da.Array):  # DataFrame
        if columns is not None:
            missing = [c for c in columns if c not in X.columns]
            if missing:
                raise ValueError(f"{name} has no column {missing[0]!r}; its columns are "
                                 f"{', '.join(map(str, X.columns))}.")
            X = X[list(columns)]
        else:  # every column, as the in-memory fit reads a pandas frame (np.asarray): text is an error
            kept = set(numeric_columns(X).columns)
            other = [c for c in X.columns if c not in kept]
            if other:
                raise ValueError(
                    f"{name} has columns that are not numbers: "
                    + ", ".join(f"{str(c)!r} ({X[c].dtype})" for c in other)
                    + ": select numeric columns only.")
        names = [str(c) for c in X.columns]
        if not names:
            raise ValueError(f"{name} has no numeric column: select numeric columns only.")
        try:
            X = X.astype(float).to_dask_array()
        except (TypeError, ValueError):
            raise ValueError(f"{name} holds values that are not numbers: select numeric columns only.") from None
    elif not isinstance(X, da.Array):
        if hasattr(X, "to_dask_array"):  # Series
            names = [str(X.name)] if X.name is not None else None
            X = (X.astype(float) if X.dtype.kind == "b" or str(X.dtype) == "boolean" else X).to_dask_array()
        else:
            raise ValueError(f"{name} must be a dask array or DataFrame; got {type(X).__name__}.")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a numeric array (rows x columns of numbers); its dtype is {X.dtype}.")
    if X.ndim == 1:
        X = X[:, None]
    elif X.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D (n,) or 2-D (n, d); got an array with {X.ndim} dimensions: "
            "reshape it to rows x columns.")
    d = X.shape[1]
    if isinstance(d, float) and math.isnan(d):
        raise ValueError(f"{name} has an unknown number of columns.")
    if d == 0:
        raise ValueError(f"{name} has no columns: select at least one numeric column.")
    if n_features is not None and d != n_features:
        raise ValueError(
            f"{name} has {d} columns but the model was fitted on {n_features}: "
            f"give the same {n_features} columns in the same order.")
    if X.dtype != np.float64:
        X = X.astype(np.float64)
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    return X, names


def fit_iter(est, X, sample_weight=None, responsibilities=False, interrupt=None, sample_rows=None):
    """``GaussianMixture.fit_iter`` for a Dask array or DataFrame (see the module's docstring).
    Pass 0 and the gathering of the initialisation's sample (``sample_rows`` rows, default
    :data:`INIT_SAMPLE_ROWS`) run here, before the generator is returned (their errors are
    raised at once).  The snapshots come round by round (every restart's iteration t, then
    t + 1: :mod:`emdesk.engine._dask_run`)."""
    if responsibilities:
        raise ValueError(
            "responsibilities=True is not available for Dask data (the (n, k) matrix would be "
            "materialised in memory): fit, then call predict_proba(X), which returns a lazy dask array.")
    if sample_weight is not None:
        raise ValueError(
            "sample_weight is not supported for Dask data: repeat rows instead, or fit an in-memory array.")
    V.check_params(est)
    Xd, names = as_dask_array(X)
    k, d = est.n_components, Xd.shape[1]
    V.covariance_layout(est.covariance_type, d)  # ValueError for E/V with d > 1, before any pass
    inits = est._check_inits(k, d)
    size = INIT_SAMPLE_ROWS if sample_rows is None else V._int(sample_rows, "sample_rows", 1)
    size = max(size, k)
    rng = np.random.default_rng(est.random_state)
    need_sample = any(v is None for v in inits)
    ctx = DaskContext(est, Xd, rng, size if need_sample else None, names=names)
    run = DaskRun(est, ctx, inits, rng, size if need_sample else None)
    if ctx.notes:  # constant and linearly dependent columns, as the in-memory fit says them
        warnings.warn(" ".join(ctx.notes), DataColumnWarning, stacklevel=3)

    def finish(results, best):
        est._set_fitted(ctx, results, best)
        est.column_notes_ = ctx.notes
        #: passes over the data this fit made (pass 0, the sample's own pass if any, the EM passes)
        est.n_data_passes_ = ctx.n_passes
        if names is not None:
            est.feature_names_in_ = np.array(names, dtype=object)

    return run_side_by_side(run, n_init=est.n_init, max_iter=est.max_iter, tol=est.tol, rng=rng,
                            interrupt=interrupt, finish=finish)


# ---------------------------------------------------------------------------------- scoring
def _frozen_model(est):
    from .gaussian import GaussianMixture

    return GaussianMixture.from_parameters(est.weights_, est.means_, est.covariances_, est.covariance_type,
                                           missing=est.missing)


def _score_block(xb, model):
    return model.score_samples(xb)


def _proba_block(xb, model):
    return model.predict_proba(xb)


def _predict_block(xb, model):
    return model.predict(xb)


def _scoring_input(est, X):
    est._check_fitted()
    names = getattr(est, "feature_names_in_", None)
    cols = None
    if hasattr(X, "columns") and not isinstance(X, da.Array) and names is not None:
        by_name = {str(c): c for c in X.columns}
        if all(str(n) in by_name for n in names):  # the fitted columns, in the fitted order
            cols = [by_name[str(n)] for n in names]
    Xd, _ = as_dask_array(X, n_features=est.n_features_in_, columns=cols)
    return Xd, _frozen_model(est)


def score_samples(est, X):
    """Lazy (n,) dask array of log-densities (``map_blocks`` of the in-memory method)."""
    Xd, model = _scoring_input(est, X)
    return Xd.map_blocks(_score_block, model, drop_axis=1, dtype=np.float64, name=_name("score"))


def predict_proba(est, X):
    """Lazy (n, k) dask array of responsibilities."""
    Xd, model = _scoring_input(est, X)
    k = len(est.weights_)
    return Xd.map_blocks(_proba_block, model, chunks=(Xd.chunks[0], (k,)), dtype=np.float64,
                         name=_name("proba"))


def predict(est, X):
    """Lazy (n,) dask array of component labels."""
    Xd, model = _scoring_input(est, X)
    return Xd.map_blocks(_predict_block, model, drop_axis=1, dtype=np.intp, name=_name("predict"))


def _criteria_block(xb, model, entropy):
    out = np.zeros((1, 3))
    if not (~np.isnan(xb).all(axis=1)).any():  # nothing observed in this chunk
        return out
    out[0] = model._criteria(xb, entropy=entropy)
    return out


def criteria(est, X, sample_weight=None, entropy="map"):
    """``(n, log-likelihood, classification entropy)`` of Dask data in one pass (as
    ``GaussianMixture._criteria``)."""
    if sample_weight is not None:
        raise ValueError("sample_weight is not supported for Dask data.")
    Xd, model = _scoring_input(est, X)
    tot = _per_chunk(Xd, _criteria_block, 3, "criteria", model=model, entropy=entropy).sum(axis=0).compute()
    if not tot[0] > 0:
        raise ValueError("X has no row with an observed value (every row is all NaN): give rows with data.")
    return float(tot[0]), float(tot[1]), float(tot[2])


def data_counts(X):
    """``(n_rows, n_missing_values)`` of Dask data in one pass (for the fit file's ``data``
    block, which ``emdesk.io.save_fit`` otherwise counts on an in-memory array)."""
    Xd, _ = as_dask_array(X)
    d = Xd.shape[1]
    rows = _per_chunk(Xd, moments_chunk, moments_width(d), "counts").compute()
    n = int(rows[:, 0].sum())
    return n, int(n * d - rows[:, 3:3 + d].sum())
