"""Argument and data checks of the engine: every failure is a ValueError that names the problem
and says what to change."""

from __future__ import annotations

import numbers

import numpy as np

from . import covariance_models as _cm
from ._core import COVARIANCE_TYPES, columns
from ._zero_weight import PositiveRows

#: Every accepted ``covariance_type``: scikit-learn's four, mclust's 14 and, for one feature, E / V.
ALL_COVARIANCE_TYPES = COVARIANCE_TYPES + _cm.MODEL_NAMES + _cm.MODEL_NAMES_1D


def _bad_covariance_type(value):
    return ValueError(
        f"covariance_type must be one of {', '.join(repr(c) for c in COVARIANCE_TYPES)} or one of mclust's "
        f"models {', '.join(_cm.MODEL_NAMES)} ('E'/'V' for one feature); got {value!r}."
    )


def covariance_layout(covariance_type, d):
    """The scikit-learn layout (``"full"``, ``"tied"``, ``"diag"``, ``"spherical"``) in which the
    covariances of ``covariance_type`` are stored for ``d`` features (mclust's names: see
    :func:`emdesk.engine.covariance_models.storage_type`; EEE and E are stored as tied).  Raises
    ValueError for an unknown name, or E/V with ``d > 1``."""
    if covariance_type in COVARIANCE_TYPES:
        return covariance_type
    if covariance_type not in ALL_COVARIANCE_TYPES:
        raise _bad_covariance_type(covariance_type)
    return _cm.storage_type(covariance_type, int(d))


from .init import INIT_METHODS, RESTART_STRATEGIES  # noqa: E402
from .relative import check_setting  # noqa: E402

MISSING_MODES = ("error", "marginalize")


def _where(mask):
    i, j = np.argwhere(mask)[0]
    return f"first in row {i + 1}, column {j + 1}, counting from 1"


#: Cells per block of the checks of large arrays (the masks of a whole 1e6 x 8 array would cost as
#: much memory as the result of scoring it).
_CHECK_BLOCK_CELLS = 1 << 18


def _any_in_blocks(X, test):
    """True when ``test`` (an elementwise predicate) holds for some cell of X, checked in row
    blocks so that no mask of the whole array is made."""
    step = max(1, _CHECK_BLOCK_CELLS // max(X.shape[1], 1))
    for s in range(0, X.shape[0], step):
        if test(X[s:s + step]).any():
            return True
    return False


def rows_with_nan(X):
    """Boolean (n,) mask of the rows of X holding a NaN, made in row blocks."""
    out = np.empty(X.shape[0], dtype=bool)
    step = max(1, _CHECK_BLOCK_CELLS // max(X.shape[1], 1))
    for s in range(0, X.shape[0], step):
        np.isnan(X[s:s + step]).any(axis=1, out=out[s:s + step])
    return out


def check_array(X, missing="error", name="X", n_features=None):
    """X as a float64 (n, d) array; 1-D input is one feature.  Rows read in place
    (:class:`~emdesk.engine._zero_weight.PositiveRows`: the positive rows, a bootstrap resample) are taken
    as they are, and checked in row blocks like an array (issue 16: no copy)."""
    if not isinstance(X, PositiveRows):
        try:
            X = np.asarray(X, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be a numeric array (rows x columns of numbers); it holds values that "
                "are not numbers: select numeric columns only."
            ) from None
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    elif X.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D (n,) or 2-D (n, d); got an array with {X.ndim} dimensions "
            f"(shape {X.shape}): reshape it to rows x columns."
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} has no rows: give at least one row of data.")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no columns: select at least one numeric column.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} columns but the model was fitted on {n_features}: "
            f"give the same {n_features} columns in the same order."
        )
    if _any_in_blocks(X, np.isinf):
        inf = np.isinf(X)
        raise ValueError(
            f"{name} contains {int(inf.sum())} infinite value(s) ({_where(inf)}): "
            "remove or replace them."
        )
    if missing == "error":
        if _any_in_blocks(X, np.isnan):
            nan = np.isnan(X)
            raise ValueError(
                f"{name} contains {int(nan.sum())} missing (NaN) value(s) ({_where(nan)}): "
                "drop or impute the incomplete rows, or use missing='marginalize'."
            )
    return X


def check_sample_weight(sample_weight, n):
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("sample_weight must be numbers, one per row.") from None
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(
            f"sample_weight must have one value per row of X ({n}); got shape {w.shape}."
        )
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight contains NaN or infinite values: give finite weights.")
    if np.any(w < 0):
        raise ValueError("sample_weight contains negative values: weights must be >= 0.")
    with np.errstate(over="ignore"):
        total = w.sum()
    if not total > 0:
        raise ValueError("sample_weight sums to 0: at least one row needs a positive weight.")
    if not np.isfinite(total):
        raise ValueError("sample_weight sums to more than a float can hold (overflow): scale the weights down.")
    return w


def _int(value, name, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value}.")
    return int(value)


def _float(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    if value < 0:
        raise ValueError(f"{name} must be >= 0; got {value!r}.")
    return float(value)


def check_params(est):
    """Validate the constructor keywords of a GaussianMixture (not the data-dependent parts)."""
    _int(est.n_components, "n_components", 1)
    if not isinstance(est.covariance_type, str) or est.covariance_type not in ALL_COVARIANCE_TYPES:
        raise _bad_covariance_type(est.covariance_type)
    check_setting(est.tol, "tol")  # a number or "relative" (emdesk.engine.relative)
    check_setting(est.reg_covar, "reg_covar")
    _int(est.max_iter, "max_iter", 0)
    _int(est.n_init, "n_init", 1)
    if est.init_params not in INIT_METHODS + RESTART_STRATEGIES:
        raise ValueError(
            f"init_params must be one of {', '.join(repr(m) for m in INIT_METHODS + RESTART_STRATEGIES)}; "
            f"got {est.init_params!r}."
        )
    from .prior import check_prior

    check_prior(getattr(est, "prior", None))  # None, "default" or a dict of priorControl's overrides
    if est.missing not in MISSING_MODES:
        raise ValueError(
            f"missing must be one of {', '.join(repr(m) for m in MISSING_MODES)}; got {est.missing!r}."
        )


def check_weights(weights, k):
    try:
        w = np.array(weights, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("weights must be numbers, one per component.") from None
    if w.shape != (k,):
        raise ValueError(f"weights must have shape ({k},) for {k} components; got {w.shape}.")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and >= 0.")
    if abs(w.sum() - 1.0) > 1e-6:
        raise ValueError(f"weights must sum to 1; they sum to {w.sum():.8g}: normalise them.")
    return w / w.sum()


def check_means(means, k, d=None):
    try:
        m = np.array(means, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("means must be numbers, an array of shape (n_components, n_features).") from None
    if m.ndim == 1 and d in (None, 1) and m.shape[0] == k:
        m = m.reshape(k, 1)
    if m.ndim != 2 or m.shape[0] != k or (d is not None and m.shape[1] != d):
        want = f"({k}, {d})" if d is not None else f"({k}, n_features)"
        raise ValueError(f"means must have shape {want}; got {m.shape}.")
    if not np.all(np.isfinite(m)):
        raise ValueError("means contain NaN or infinite values.")
    return m


#: The one symmetry tolerance of emdesk: a full or tied covariance is accepted when
#: ``|c_ij - c_ji| <= SYMMETRY_RTOL * sqrt(c_ii * c_jj)`` for every pair (relative to the scale of
#: the two variances, so an off-diagonal entry near 0 is not judged against itself), and its
#: symmetric part ``(C + C') / 2`` is what the model then holds.  Used by every reader of parameters
#: (``GaussianMixture.from_parameters``, ``Snapshot.to_model``, ``emdesk.io.load_fit``, the initial
#: covariances of a fit); the engine's own M-step produces exactly symmetric covariances.
SYMMETRY_RTOL = 1e-8


def check_covariances(cov, covariance_type, k, d):
    """Covariances in scikit-learn's shape for ``covariance_type``, checked and returned as a new
    float64 array: finite, variances > 0, full/tied symmetric within :data:`SYMMETRY_RTOL` (the
    symmetric part is returned) and positive definite (Cholesky of the correlation form
    ``D^-1/2 C D^-1/2``, so the verdict does not depend on the units).  Raises ValueError naming
    the component (counted from 1)."""
    c = np.array(cov, dtype=float)
    covariance_type = covariance_layout(covariance_type, d)
    shapes = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}
    want = shapes[covariance_type]
    if c.shape != want:
        raise ValueError(
            f"{covariance_type} covariances must have shape {want} for {k} components and "
            f"{d} features; got {c.shape}."
        )
    if not np.all(np.isfinite(c)):
        raise ValueError("covariances contain NaN or infinite values.")
    if covariance_type in ("full", "tied"):
        stack = c if covariance_type == "full" else c[None]
        for j, s in enumerate(stack):
            who = "the tied covariance" if covariance_type == "tied" else f"covariance {j + 1}"
            dg = np.diag(s).copy()
            if not np.all(dg > 0):
                raise ValueError(f"{who} has a variance <= 0 on its diagonal (feature "
                                 f"{int(np.flatnonzero(~(dg > 0))[0]) + 1}): it is not positive definite.")
            sd = np.sqrt(dg)
            with np.errstate(over="ignore", invalid="ignore"):
                asym = np.max(np.abs(s - s.T) / np.multiply.outer(sd, sd))
            if not asym <= SYMMETRY_RTOL:
                raise ValueError(
                    f"{who} is not symmetric (entries (i, j) and (j, i) differ by {asym:.2g} of the "
                    f"variances' scale; at most {SYMMETRY_RTOL:g} is accepted)."
                )
            s[...] = 0.5 * (s + s.T)
            try:
                np.linalg.cholesky(s / np.multiply.outer(sd, sd))
            except np.linalg.LinAlgError:
                raise ValueError(f"{who} is not positive definite.") from None
    elif not np.all(c > 0):
        raise ValueError(f"{covariance_type} variances must be positive (> 0).")
    return c


def check_parameters(weights, means, covariances, covariance_type):
    """The one validation of a mixture's parameters (user units, scikit-learn shapes), used by
    everything that reads parameters.  Returns ``(weights, means, covariances)`` as new float64
    arrays (weights renormalised, full/tied covariances symmetrised); raises ValueError."""
    if not isinstance(covariance_type, str) or covariance_type not in ALL_COVARIANCE_TYPES:
        raise _bad_covariance_type(covariance_type)
    try:
        w = np.asarray(weights, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError("weights must be numbers, one per component.") from None
    k = w.shape[0]
    if k < 1:
        raise ValueError("weights must have at least one component.")
    w = check_weights(w, k)
    m = check_means(means, k)
    c = check_covariances(covariances, covariance_type, k, m.shape[1])
    return w, m, c


# ----------------------------------------------------------------------------------------
# Columns of the data, checked before fitting
# ----------------------------------------------------------------------------------------

#: Largest distance of a value from its column's median: beyond it squares (variances, the
#: quadratic forms of the E-step) overflow double precision (about 1.8e308).
MAX_CENTRED_MAGNITUDE = 1e150
#: Largest ratio of a column's extent about its median to the spread of its central values
#: (interquartile range; when that is 0, the central 90 %, then the smallest non-zero distance
#: from the median).  Double precision resolves about 2.2e-16 of a value's magnitude, so beyond
#: 1e9 fewer than 7 of the small values' 16 digits survive next to the large ones (a fill value
#: of 1e20 among values of order 1 keeps none), and the fit's log-likelihood no longer matches
#: its own parameters.
MAX_RANGE_RATIO = 1e9


def column_label(j, names=None):
    """``"column 3"`` (1-based) or ``"column 3 ('depth')"`` when names are known."""
    if names is not None and j < len(names):
        return f"column {j + 1} ({names[j]!r})"
    return f"column {j + 1}"


class _CopiedColumn:
    """A column's observed values held as a contiguous copy (what :func:`columns` yields)."""

    def __init__(self, col):
        self.col = col
        self.size = col.size

    def min_max(self):
        return float(self.col.min()), float(self.col.max())

    def percentiles(self, q):
        return [float(v) for v in np.percentile(self.col, q)]

    def least_positive_deviation(self, med):
        dev = np.abs(self.col - med)
        dev = dev[dev > 0]
        return float(dev.min()) if dev.size else 0.0


class _StreamedColumn:
    """The same numbers read from X in row blocks (:mod:`emdesk.engine._colstats`: no copy of the column)."""

    def __init__(self, X, j, keep):
        from . import _colstats

        self._cs = _colstats
        self.size, self._lo, self._hi, self._reader = _colstats.column_summary(X, j, keep)

    def min_max(self):
        return self._lo, self._hi

    def percentiles(self, q):
        return self._cs.percentiles(self._reader, self.size, q)

    def least_positive_deviation(self, med):
        least = None
        for v in self._reader.blocks():
            dev = np.abs(v - med)
            dev = dev[dev > 0]
            if dev.size:
                least = float(dev.min()) if least is None else min(least, float(dev.min()))
        return 0.0 if least is None else least


def _observed_columns(X, keep):
    """``(j, column)`` for every column of X: :class:`_CopiedColumn` (the contiguous copies of
    :func:`columns`), or :class:`_StreamedColumn` above ``_colstats.STREAM_ROWS`` rows (issue 16: no
    8-byte-per-row copy; the same numbers)."""
    from ._colstats import STREAM_ROWS

    if X.shape[0] > STREAM_ROWS and isinstance(X, (np.ndarray, PositiveRows)):
        for j in range(X.shape[1]):
            yield j, _StreamedColumn(X, j, keep)
        return
    for j, col, _ in columns(X, keep):
        yield j, _CopiedColumn(col)


def _central_spread(col, med, q25, q75):
    if q75 > q25:
        return float(q75 - q25)
    q05, q95 = col.percentiles([5.0, 95.0])
    if q95 > q05:
        return float(q95 - q05)
    return col.least_positive_deviation(med)


def check_column_ranges(X, w=None, names=None):
    """ValueError naming the first column whose values overflow double precision when squared
    (|x - median| > :data:`MAX_CENTRED_MAGNITUDE`) or whose range is too wide for the digits of
    its small values (:data:`MAX_RANGE_RATIO`).  Rows of weight 0 and NaN cells are ignored.
    Returns the indices of the constant columns (every observed value equal)."""
    return check_columns(X, w, names)[0]


def check_columns(X, w=None, names=None):
    """:func:`check_column_ranges`, returning ``(constant columns, column medians)`` (medians of
    the observed values of rows with positive weight, unweighted; NaN for a column with none)."""
    constant = []
    medians = np.full(X.shape[1], np.nan)
    keep = None if w is None else w > 0
    for j, col in _observed_columns(X, keep):
        if col.size == 0:
            continue
        lo, hi = col.min_max()
        if lo == hi:
            constant.append(j)
            medians[j] = lo
            continue
        q25, med, q75 = col.percentiles([25.0, 50.0, 75.0])
        medians[j] = med
        extent = max(hi - med, med - lo)
        who = column_label(j, names)
        far = lo if med - lo >= hi - med else hi
        if not extent <= MAX_CENTRED_MAGNITUDE:
            raise ValueError(
                f"{who.capitalize()} holds values as far as {far:.3g} from its median ({med:.3g}): "
                f"their squares overflow double precision (largest number about 1.8e308), so no "
                "variance or likelihood can be computed. If such values are fill values for 'no "
                "data', replace them by NaN (missing='marginalize'); otherwise rescale the column "
                "(divide it by a power of ten, or take its logarithm)."
            )
        spread = _central_spread(col, med, q25, q75)
        if extent > MAX_RANGE_RATIO * spread:
            raise ValueError(
                f"{who.capitalize()} has a range too wide to keep its small values' digits: it "
                f"reaches {far:.3g} while half of its values lie within {spread:.3g} of each "
                f"other ({extent / spread:.1e} times that spread; double precision keeps 16 "
                f"digits, and beyond {MAX_RANGE_RATIO:.0e} fewer than 7 would be left for the small "
                "values). If a value such as "
                f"{far:.3g} is a fill value for 'no data', replace it by NaN (missing='marginalize'); "
                "otherwise rescale the column (e.g. take its logarithm)."
            )
    return constant, medians


#: Eigenvalue of the data's correlation matrix (complete rows) below which its eigenvector is an
#: exact linear dependence among the columns (rounding leaves about 1e-16; a genuine correlation
#: of 0.99999 leaves 1e-5).
DEPENDENCE_TOL = 1e-10


def linear_dependence(X, w=None, skip=(), standardised=False):
    """Exact linear dependence among the columns of X (complete rows, weights ``w``), ignoring
    the columns in ``skip`` (constant ones); ``standardised``: X is already centred near its
    medians and scaled (the engine's own units), so it is used without a centred copy.  Returns ``(null, groups)``: ``null`` a (d, r)
    orthonormal basis of the dependent directions in the data's standardised coordinates
    (``x_j / sd_j``; None when there are none) and ``groups``, for each direction, the columns
    taking part in it (0-based)."""
    n, d = X.shape
    cols = [j for j in range(d) if j not in set(skip)]
    if len(cols) < 2:
        return None, []
    if standardised and w is None and not skip and not _any_in_blocks(X, np.isnan):
        # complete data, all columns: one pass of Gram products, no copy.  X should be centred
        # near its medians and scaled (the engine passes its standardised data), so the
        # moments below do not cancel.
        Y, ww = X, None
    else:
        rows = ~np.isnan(X[:, cols]).any(axis=1)
        if w is not None:
            rows &= w > 0
        Y = X[np.ix_(rows, cols)]
        ww = None if w is None else w[rows]
    if Y.shape[0] <= len(cols):
        return None, []
    if not standardised:  # centre first: Gram products of offset data (timestamps) cancel
        Y = Y - (Y.mean(axis=0) if ww is None else ww @ Y / ww.sum())
    if ww is None:
        mean = Y.mean(axis=0)
        C = (Y.T @ Y) / Y.shape[0] - np.outer(mean, mean)
    else:
        W = float(ww.sum())
        mean = ww @ Y / W
        C = (Y.T * ww) @ Y / W - np.outer(mean, mean)
    return dependence_in_covariance(C, cols, d)


def dependence_in_covariance(C, cols, d):
    """:func:`linear_dependence` from the covariance ``C`` (len(cols) x len(cols)) of the columns
    ``cols`` of a (n, d) matrix (the fit computes it in row blocks, without a copy of the data)."""
    sd = np.sqrt(np.clip(np.diag(C), 0.0, None))
    if not np.all(sd > 0):
        return None, []
    R = C / np.outer(sd, sd)
    vals, vecs = np.linalg.eigh(0.5 * (R + R.T))
    small = vals < DEPENDENCE_TOL * max(float(vals[-1]), 1e-300)
    if not small.any():
        return None, []
    null = np.zeros((d, int(small.sum())))
    null[cols] = vecs[:, small]
    # One group per dependent direction, as few columns as the directions allow: the basis in reduced row
    # echelon form (pivot columns chosen by column-pivoted QR, each row 1 at its pivot and 0 at the
    # others). The eigenvectors themselves mix the directions: with 10 duplicated columns (and a pair more)
    # every one of the 11 groups named 16-18 columns, and the message repeated them 11 times.
    from scipy.linalg import qr

    basis = vecs[:, small].T  # (r, len(cols))
    r = basis.shape[0]
    pivots = qr(basis, mode="r", pivoting=True)[1][:r]
    echelon = np.linalg.solve(basis[:, pivots], basis)
    groups = []
    for v in echelon:
        groups.append([cols[i] for i in np.flatnonzero(np.abs(v) > 1e-3 * np.max(np.abs(v)))])
    return null, sorted(groups)


def column_notes(X, constant, groups, names=None, covariance_type=None):
    """Sentences for the user about constant columns and linearly dependent ones."""
    notes = []
    for j in constant:
        vals = X[:, j][~np.isnan(X[:, j])]
        v = f" (every value is {vals[0]:.6g})" if vals.size else ""
        notes.append(
            f"{column_label(j, names).capitalize()} is constant{v}: it cannot tell components "
            "apart, and every component's variance there is just reg_covar. Leave it out of the fit."
        )
    for g in groups:
        who = ", ".join(column_label(j, names) for j in g)
        tail = (" (they were fitted with covariance_type "
                f"{covariance_type!r}, whose covariances are singular along that combination "
                "and held only by reg_covar)") if covariance_type in ("full", "tied") else ""
        notes.append(
            f"Columns {who.replace('column ', '')} are linearly dependent: a fixed combination "
            "of them is constant (one-hot indicators or proportions that sum to 1, a total next "
            f"to its parts){tail}. Leave one of them out, or use covariance_type='diag'."
        )
    return notes


def binary_columns(X, w=None):
    """Columns whose observed values (rows of positive weight) take exactly two distinct values."""
    out = []
    keep = None if w is None else w > 0
    for j, col, _ in columns(X, keep):
        if col.size < 2:
            continue
        lo, hi = col.min(), col.max()
        if lo < hi and bool(np.all((col == lo) | (col == hi))):
            out.append(j)
    return out


def name_columns(message: str, names) -> str:
    """An engine message numbers X's columns ("Column 1 holds values as far as ..."); for a user who
    chose named columns, the name follows the number: "Column 1 (level) holds ...". Unchanged
    without names or for a number out of range (used by the window and emdesk-fit)."""
    import re

    cols = [str(c) for c in (names or [])]

    def named(m):
        j = int(m.group(2))
        return f"{m.group(0)} ({cols[j - 1]})" if 1 <= j <= len(cols) else m.group(0)

    return re.sub(r"\b([Cc])olumn (\d+)\b(?! \()", named, message) if cols else message
