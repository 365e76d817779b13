"""Numerical kernels of the EM engine: standardisation, feature expansion, E-step, M-step.

Pure functions and small value classes, no estimator state.  Everything here works in
*standardised units* ``z = (x - shift) / scale`` (see :class:`Standardizer`): the data are
centred and scaled once, so that offsets of 1e6 (timestamps) or scales differing by 1e6 do
not cost digits, and parameters are converted back to the user's units for reporting.

How an iteration runs (complete data)
-------------------------------------
The log-density of every component is a quadratic form in ``z``:

    log w_k + log N(z | mu_k, S_k) = -1/2 z'P_k z + z'P_k mu_k + c_k,   P_k = S_k^-1.

With the *expanded features* ``phi(z) = (z_i z_j for i <= j, z, 1)`` (``m`` columns) this is
one matrix product ``phi(Z) @ C`` for all ``k`` components, ``C`` an ``(m, k)`` coefficient
matrix.  After an in-place log-sum-exp, the M-step's sufficient statistics of all components
(``sum r``, ``sum r z``, ``sum r z z'``) are one more product, ``R.T @ phi(Z)``.  Rows are
processed in blocks so temporaries stay bounded; one pass over the data gives the
log-likelihood of the current parameters and the statistics of the next ones.

Where the expansion would lose digits it is not used:

* E-step: the rounding error of the expanded quadratic form is about
  ``eps * lambda_max(P_k) * (|mu_k| + |z - mu_k|)^2``.  A component whose bound exceeds
  :data:`DIRECT_TOL` (a very narrow component far from the data's centre) is evaluated directly,
  ``|L_k^-1 (z - mu_k)|^2`` with a triangular solve, like scikit-learn does for all of them.
* M-step: ``S = E[zz'] - mu mu'`` cancels when a component is narrow compared with its distance
  from the centre; when ``E[z_j^2] / S_jj`` exceeds :data:`TWO_PASS_RATIO` the component's
  covariance is recomputed in the two-pass form ``sum r (z - mu)(z - mu)'`` from the stored
  responsibilities.
* More than :data:`MAX_EXPANDED_D` features (the expansion grows as d^2): full/tied keep the
  expansion only where it is cheaper (:func:`expanded_cheaper`, many components for the
  dimension); otherwise the *whitened form*, and diag/spherical take the expanded form's
  products from the rows: see :mod:`emdesk.engine._kernels` (the E-step/M-step kernels).
"""

from __future__ import annotations

import numpy as np

from ._blas import dot

EPS = float(np.finfo(np.float64).eps)
LOG_2PI = float(np.log(2.0 * np.pi))
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

#: Rows per block: temporaries are (block, m) and (block, k) arrays.
BLOCK_ROWS = 1 << 16
#: Bound on the absolute rounding error of an expanded log-density above which the component
#: is evaluated directly.
DIRECT_TOL = 1e-10
#: E[z^2] / variance above which a covariance is recomputed in the two-pass form.
TWO_PASS_RATIO = 1e3
#: Fewest rows per block of the whitened form (full/tied above MAX_EXPANDED_D features): below
#: this the per-block Python overhead outweighs keeping each product on one BLAS thread.
MIN_WHITENED_ROWS = 64
#: Above this many features full/tied covariances use the whitened (per-component) form.
MAX_EXPANDED_D = 16


class NotPositiveDefinite(ArithmeticError):
    """A covariance (0-based ``component``; -1 for a tied one) is not positive definite."""

    def __init__(self, component: int):
        super().__init__(component)
        self.component = component


# ----------------------------------------------------------------------------------------
# Standardisation
# ----------------------------------------------------------------------------------------


#: Rows per block of the column statistics in :meth:`Standardizer.from_data`.
_COL_BLOCK = 1 << 16
#: Bytes of the contiguous column copies :func:`columns` makes at a time (at least one column).
COLUMN_GROUP_BYTES = 1 << 20


def columns(X, keep=None):
    """Yield ``(j, col, ok)`` for every column of ``X`` (n, d): ``col`` a contiguous copy of the
    column's observed values (of the rows where the boolean ``keep`` (n,) is True, when given; NaN
    left out), ``ok`` None when no NaN was left out, else the mask of the kept values among those
    rows.  The columns are copied a few at a time (:data:`COLUMN_GROUP_BYTES`, at least one column),
    each group transposed in row chunks that stay in cache, so that the per-column statistics of the
    fit's checks and standardisation read contiguous memory.  (Read in place from a C-ordered X, a
    column touches every cache line of X once per operation: at 100,000 x 32 the three column scans
    of a fit's setup took 420 ms of CPU, 190 ms from the copies.)  A NaN-free copy is made in place.
    The yielded arrays are reused by the next group."""
    n, d = X.shape
    if keep is not None:
        keep = np.asarray(keep, dtype=bool)
    rows = n if keep is None else int(np.count_nonzero(keep))
    g = int(max(1, min(d, COLUMN_GROUP_BYTES // max(8 * rows, 1))))
    buf = np.empty((g, rows), dtype=X.dtype)
    chunk = max(1, (256 << 10) // (8 * g))
    for j0 in range(0, d, g):
        j1 = min(d, j0 + g)
        out = buf[:j1 - j0]
        if keep is None and X.strides[0] == X.itemsize:  # column-major: columns are contiguous
            out[:] = X[:, j0:j1].T
        else:
            r = 0
            for s in range(0, n, chunk):
                part = X[s:s + chunk, j0:j1]
                if keep is not None:
                    part = part[keep[s:s + chunk]]
                out[:, r:r + part.shape[0]] = part.T
                r += part.shape[0]
        for i in range(j1 - j0):
            col = out[i]
            ok = ~np.isnan(col)
            if ok.all():
                yield j0 + i, col, None
            else:
                m = 0  # compacted in place, a chunk at a time (no temporary of the column's size)
                for s in range(0, rows, _COL_BLOCK):
                    kept = col[s:s + _COL_BLOCK][ok[s:s + _COL_BLOCK]]
                    col[m:m + kept.size] = kept
                    m += kept.size
                yield j0 + i, col[:m], ok


class Standardizer:
    """``z = (x - shift) / scale``; a single scale for spherical covariances (which must stay
    spherical in both unit systems)."""

    __slots__ = ("shift", "scale", "log_scale_sum", "data_var")

    def __init__(self, shift, scale, data_var=None):
        self.data_var = data_var
        self.shift = np.asarray(shift, dtype=float)
        self.scale = np.asarray(scale, dtype=float)
        self.log_scale_sum = float(np.sum(np.log(self.scale)))

    @staticmethod
    def _safe_scale(var, covariance_type, shift):
        var = np.asarray(var, dtype=float)
        if covariance_type == "spherical":
            ok = np.isfinite(var) & (var > 0)
            v = float(np.mean(var[ok])) if np.any(ok) else 1.0
            var = np.full_like(var, v)
        sd = np.sqrt(var)
        # A constant column (or one whose spread is lost in rounding of its offset) keeps
        # unit scale: z is then just the centred value.
        bad = ~np.isfinite(sd) | (sd <= 1e-300) | (sd <= 1e-14 * np.abs(shift))
        sd = np.where(bad, 1.0, sd)
        # A power of two nearest the spread: converting parameters between the units
        # (covariance * scale_i * scale_j, mean * scale) is then exact, so a model rebuilt from
        # its reported parameters is the same model; with a plain sd an ill-conditioned
        # covariance (a component at the reg_covar floor in one direction, condition 1e10)
        # changed its log-likelihood by 1e-8 relative in the round trip.
        return np.ldexp(1.0, np.round(np.log2(sd)).astype(int))

    @classmethod
    def from_data(cls, X, w, covariance_type, medians=None):
        """Shift: the weighted, NaN-aware column *medians*; scale: the column standard deviations
        (about the means, computed without overflow).

        The shift is a median, not the mean, because the subtraction ``x - shift`` keeps the
        digits of the values near the shift only: a few fill values of 1e12 among values of
        order 1 pull the mean to 1e10 and cost the bulk of the column 10 of its 16 digits
        (the fit's log-likelihood then disagreed with a re-scoring of its own parameters by
        1e-8 relative), while the median sits among the bulk."""
        d = X.shape[1]
        shift = np.zeros(d)
        mean = np.zeros(d)
        sd = np.zeros(d)
        from ._colstats import STREAM_ROWS, standardiser_column

        if w is None and isinstance(X, np.ndarray) and X.shape[0] > STREAM_ROWS:
            # the same numbers read in row blocks, without the column's copy (issue 16; engine/_colstats.py)
            for j in range(d):
                given = None if medians is None or not np.isfinite(medians[j]) else medians[j]
                shift[j], mean[j], sd[j] = standardiser_column(X, j, _COL_BLOCK, given)
            with np.errstate(over="ignore"):
                var = sd * sd
            return cls(shift, cls._safe_scale(var, covariance_type, shift), var)
        for j, col, ok in columns(X):
            wj = None if w is None else (w if ok is None else w[ok])
            if wj is not None:
                pos = wj > 0
                if not pos.all():
                    col, wj = col[pos], wj[pos]
            if col.size == 0:
                continue
            shift[j] = (weighted_median(col, wj) if medians is None or not np.isfinite(medians[j])
                        else float(medians[j]))
            mean[j] = float(np.mean(col)) if wj is None else dot(wj, col) / float(wj.sum())
            # the deviations in row blocks (no temporary of the column's size; issue 16)
            amax = max(float(np.max(np.abs(col[s:s + _COL_BLOCK] - mean[j])))
                       for s in range(0, col.size, _COL_BLOCK))
            if amax > 0 and np.isfinite(amax):
                acc = 0.0
                for s in range(0, col.size, _COL_BLOCK):
                    u = (col[s:s + _COL_BLOCK] - mean[j]) / amax
                    # emdesk.engine._blas.dot: a BLAS dot this long ran on all of OpenBLAS's threads
                    acc += dot(u, u) if wj is None else dot(wj[s:s + _COL_BLOCK], u * u)
                ms = acc / col.size if wj is None else acc / float(wj.sum())
                sd[j] = amax * np.sqrt(ms)
        with np.errstate(over="ignore"):
            var = sd * sd
        return cls(shift, cls._safe_scale(var, covariance_type, shift), var)

    @classmethod
    def from_params(cls, weights, means, covariances, covariance_type):
        """Centre and spread of the mixture itself (for scoring new data)."""
        d = means.shape[1]
        # per column, the weighted median of the component means: the heaviest components'
        # values keep their digits (see from_data); the spread still covers the whole mixture
        shift = np.array([weighted_median(means[:, j], weights) for j in range(d)])
        dv = diag_variances(covariances, covariance_type, len(weights), d)
        centre = weights @ means
        with np.errstate(over="ignore"):
            var = weights @ (dv + (means - centre) ** 2)
        return cls(shift, cls._safe_scale(var, covariance_type, shift))

    # -- conversions ----------------------------------------------------------------
    def to_z(self, X):
        return (X - self.shift) / self.scale

    def means_to_user(self, mz):
        return mz * self.scale + self.shift

    def means_to_z(self, m):
        return (m - self.shift) / self.scale

    def cov_to_user(self, cz, covariance_type):
        s = self.scale
        if covariance_type == "full":
            return cz * np.multiply.outer(s, s)[None]
        if covariance_type == "tied":
            return cz * np.multiply.outer(s, s)
        if covariance_type == "diag":
            return cz * (s * s)[None]
        return cz * (s[0] * s[0])

    def cov_to_z(self, c, covariance_type):
        s = self.scale
        if covariance_type == "full":
            return c / np.multiply.outer(s, s)[None]
        if covariance_type == "tied":
            return c / np.multiply.outer(s, s)
        if covariance_type == "diag":
            return c / (s * s)[None]
        return c / (s[0] * s[0])

    def reg_z(self, reg_covar, covariance_type):
        """``reg_covar`` (user units, added to every variance) in standardised units."""
        if covariance_type == "spherical":
            return reg_covar / (self.scale[0] ** 2)
        return reg_covar / (self.scale ** 2)


def weighted_median(x, w=None):
    """The weighted median of a 1-D array (``w`` None: the ordinary median; equal weights give
    the ordinary median too: the mean of the two middle values when the cumulative weight
    reaches exactly one half)."""
    x = np.asarray(x, dtype=float)
    if w is None:
        return float(np.median(x))
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(np.asarray(w, dtype=float)[order])
    half = 0.5 * cw[-1]
    i = min(int(np.searchsorted(cw, half)), x.size - 1)
    if cw[i] == half and i + 1 < x.size:
        return float(0.5 * (x[order[i]] + x[order[i + 1]]))
    return float(x[order[i]])


def diag_variances(cov, covariance_type, k, d):
    """Per-component per-feature variances (k, d) of any covariance type."""
    if covariance_type == "full":
        return np.diagonal(cov, axis1=1, axis2=2).copy()
    if covariance_type == "tied":
        return np.broadcast_to(np.diag(cov), (k, d)).copy()
    if covariance_type == "diag":
        return np.array(cov, dtype=float)
    return np.repeat(np.asarray(cov, dtype=float)[:, None], d, axis=1)


def full_covariances(cov, covariance_type, k, d):
    """Any covariance type as a (k, d, d) stack."""
    if covariance_type == "full":
        return np.array(cov, dtype=float)
    if covariance_type == "tied":
        return np.broadcast_to(cov, (k, d, d)).copy()
    if covariance_type == "diag":
        out = np.zeros((k, d, d))
        idx = np.arange(d)
        out[:, idx, idx] = cov
        return out
    return np.asarray(cov, dtype=float)[:, None, None] * np.eye(d)[None]


# ----------------------------------------------------------------------------------------
# Feature layout
# ----------------------------------------------------------------------------------------


#: Cost of one multiply-add inside a BLAS product relative to one element of a NumPy
#: elementwise operation (measured on the 2-core development machine, 1 Dec 2026: 0.02-0.03).
GEMM_VS_ELEMENTWISE = 0.025
#: Above this many features full/tied never use the expansion (its columns grow as d^2 / 2).
MAX_EXPANDED_HD = 96


def expanded_cheaper(d, k):
    """Whether a pass over full/tied covariances costs less with the expanded features than in
    the whitened form (above :data:`MAX_EXPANDED_D` features).  Per row, the expansion builds
    ``m = d(d+1)/2 + d + 1`` features and multiplies them twice with k columns; the whitened form
    subtracts and scales ``k d`` differences and multiplies them twice with (d, d) matrices:
    ``m (1 + 2 k g)`` against ``2 k d (1 + d g)``, ``g`` = :data:`GEMM_VS_ELEMENTWISE`.  Measured
    per pass at 100,000 rows: d=32, k=16 0.70 s expanded vs 1.29 s whitened; d=64, k=8 1.93 s vs
    1.42 s (one BLAS thread, loaded machine); the rule picks the faster one in both."""
    if d > MAX_EXPANDED_HD:
        return False
    # The expansion's products (k, m) x (m, b) exceed OpenBLAS's single-thread limit (2**18
    # multiply-adds) at any useful block size b; threaded, on the loaded 2-core machine, a pass
    # took 18.7 s instead of 0.70 s at 1e5 x 32, k=16.  Only where blocks of 256 rows stay under
    # the limit is the expansion an option (the whitened form's (b, d) x (d, d) products do).
    if k * (d * (d + 1) // 2 + d + 1) * 256 > (1 << 18):
        return False
    g = GEMM_VS_ELEMENTWISE
    m = d * (d + 1) // 2 + d + 1
    return m * (1 + 2 * k * g) < 2 * k * d * (1 + d * g)


class Layout:
    """Columns of the expanded feature matrix for a covariance type and dimension."""

    def __init__(self, covariance_type, d, k=None):
        self.covariance_type = covariance_type
        self.d = d
        if covariance_type in ("full", "tied"):
            self.expanded = d <= MAX_EXPANDED_D or (k is not None and expanded_cheaper(d, k))
            self.iu = np.triu_indices(d)
            nq = len(self.iu[0])
            self.on_diag = self.iu[0] == self.iu[1]
        elif covariance_type == "diag":
            self.expanded = True
            nq = d
        else:
            self.expanded = True
            nq = 1
        if not self.expanded:
            nq = 0
        self.nq = nq
        self.m = nq + d + 1
        self.lin = slice(nq, nq + d)
        self.const = nq + d

    def block_rows(self, k):
        """Rows per block.  The block's GEMMs ((b x m) @ (m x k) and back) are kept under
        2**18 multiply-adds, below which OpenBLAS runs them on one thread (its
        GEMM_MULTITHREAD_THRESHOLD x SMP_THRESHOLD_MIN = 4 x 65536): these skinny products
        gain nothing from threads, and on a loaded 2-core machine a threaded call was measured
        7x slower per pass (0.17 s vs 0.025 s for n = 1e6, d = 2, k = 5).  Small blocks also
        keep the (k, b) temporaries in cache."""
        if not self.expanded:
            # full/tied in the whitened form: per component (b, d) x (d, d) products, each kept
            # under the same single-thread limit (b d^2 <= 2**18), at least MIN_WHITENED_ROWS
            target = (1 << 18) // (self.d * self.d)
            b = 1 << max(int(np.log2(max(target, 1))), 0)
            return int(min(2048, max(MIN_WHITENED_ROWS, b)))
        if self.d > MAX_EXPANDED_D:
            # diag and spherical at high d: blocks of up to 2048 rows (few NumPy calls per row: the
            # per-call overhead holds the GIL, so small blocks kept two threads from running side
            # by side), their products cut into sub-products under OpenBLAS's single-thread limit
            # (threaded, they made a pass slower than scikit-learn's on the loaded machine):
            # _kernels._pass_rows, _kernels_hd._gemm_cols
            from ._kernels_hd import hd_block_rows

            return hd_block_rows(k, self.m, self.covariance_type)
        target = (1 << 18) // max(self.m * k, 1)
        b = 1 << max(int(np.log2(max(target, 1))), 0)
        return int(min(BLOCK_ROWS, max(2048, b)))

    def features(self, Z, out=None):
        """phi(Z), (b, m)."""
        b, d = Z.shape
        if out is None:
            out = np.empty((b, self.m))
        nq = self.nq
        if nq:
            ct = self.covariance_type
            if ct in ("full", "tied"):
                i0, i1 = self.iu
                np.multiply(Z[:, i0], Z[:, i1], out=out[:, :nq])
            elif ct == "diag":
                np.multiply(Z, Z, out=out[:, :d])
            else:
                np.einsum("ij,ij->i", Z, Z, out=out[:, 0])
        out[:, self.lin] = Z
        out[:, self.const] = 1.0
        return out


# DenseData (the fit's view of complete data) lives in _fitdata (issue 16: the caller's rows read per
# block); imported here, after Layout which it uses, for the modules that take it from _core.
from ._fitdata import DenseData  # noqa: E402


# ----------------------------------------------------------------------------------------
# E-step and M-step kernels
# ----------------------------------------------------------------------------------------

# The E-step/M-step kernels live in _kernels (issue 16); imported here (after the constants,
# Layout and DenseData they use are defined) so that ``from ._core import Prepared`` keeps working.
from ._kernels import (  # noqa: E402
    Prepared,
    ShiftedStats,
    _em_pass_whitened,
    _logsumexp_cols,
    _shifted_covariances,
    _two_pass_scatter,
    em_pass,
    mstep,
)


def stats_from_resp(data: DenseData, resp):
    """Expanded sufficient statistics of given responsibilities ((k, n), initialisation)."""
    lay = data.layout
    if not lay.expanded:
        return None
    S = np.zeros((resp.shape[0], lay.m))
    for s, e, pb, zb, wb in data.blocks():
        r = resp[:, s:e]
        S += (r if wb is None else r * wb) @ pb
    return S


# ----------------------------------------------------------------------------------------
# Scoring new data (predict, predict_proba, score_samples): row blocks, no overflow
# ----------------------------------------------------------------------------------------

#: Temporaries of one scoring block (features, log-densities, standardised rows) stay under this
#: many bytes: scoring n rows needs the result plus this budget (plus a copy of the input only
#: when it is not already float64).
SCORE_BLOCK_BYTES = 1 << 24
#: A row whose squared standardised norm times the largest precision eigenvalue exceeds this is
#: evaluated by the overflow-free path (the quadratic form could overflow, or its inputs did).
FAR_QUADRATIC = 1e280
_LOG_2 = float(np.log(2.0))


def score_block_rows(k, layout: Layout, d):
    """Rows per scoring block so that the block's temporaries fit :data:`SCORE_BLOCK_BYTES`."""
    # features (m) and the two gathered factors of their products (2 nq), log-densities (k) and
    # the responsibilities' transpose or far-row copies (k), standardised rows and the
    # temporaries of to_z / direct evaluation (4 d), per-row vectors (8)
    per_row = 8 * (layout.m + 2 * layout.nq + 2 * k + 4 * d + 8 + (0 if layout.expanded else 2 * k * d))
    # No larger than the fit's blocks (Layout.block_rows: single-threaded BLAS calls, cache).
    return int(max(256, min(SCORE_BLOCK_BYTES // per_row, layout.block_rows(k))))


def _far_log_joint(Xr, weights, means, prec_chol, covariance_type, log_scale_sum):
    """Log joint densities ``(k, r)`` (standardised units, as the fast path) of rows far from the
    model, computed without overflow, and ``log`` of their squared Mahalanobis distances.

    Each row and mean are scaled by a power of two ``t >= max(|x|, |mu|)`` (exact), so
    ``maha = t^2 |u|^2`` with ``u = ((x - mu) / t) @ P_chol`` is accumulated as a logarithm:
    ``log maha = 2 log t + 2 log max|u| + log sum (u / max|u|)^2``.  The density itself may then
    underflow to 0 (log-density ``-inf``); the logarithm of the distance still orders the
    components (the nearest in the model's metric has the largest density as the row recedes).
    ``prec_chol`` is scikit-learn's ``precisions_cholesky_`` (user units)."""
    r, d = Xr.shape
    k = means.shape[0]
    ct = covariance_type
    L = np.empty((k, r))
    logmaha = np.empty((k, r))
    xmax = np.max(np.abs(Xr), axis=1)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        logw = np.log(weights)
        for j in range(k):
            mu = means[j]
            top = np.maximum(xmax, np.max(np.abs(mu)))
            _, ex = np.frexp(np.where(top > 0, top, 1.0))
            t = np.ldexp(1.0, ex)  # power of two >= top
            diff = Xr / t[:, None] - mu[None, :] / t[:, None]
            if ct == "full":
                pc = prec_chol[j]
                u = diff @ pc
                log_det_p = np.sum(np.log(np.diagonal(pc)))
            elif ct == "tied":
                u = diff @ prec_chol
                log_det_p = np.sum(np.log(np.diagonal(prec_chol)))
            elif ct == "diag":
                u = diff * prec_chol[j]
                log_det_p = np.sum(np.log(prec_chol[j]))
            else:
                u = diff * prec_chol[j]
                log_det_p = d * np.log(prec_chol[j])
            umax = np.max(np.abs(u), axis=1)
            safe = np.where(umax > 0, umax, 1.0)
            ssq = np.einsum("ij,ij->i", u / safe[:, None], u / safe[:, None])
            lm = 2.0 * np.log(t) + 2.0 * np.log(umax) + np.log(ssq)  # -inf when x == mu
            logmaha[j] = lm
            const = logw[j] + log_det_p - 0.5 * d * LOG_2PI + log_scale_sum
            L[j] = const - np.exp(lm - _LOG_2)  # maha / 2 without overflowing maha
    return L, logmaha


def score_rows(X, std: Standardizer, prep: Prepared, layout: Layout, weights, means, prec_chol,
               ll=None, resp=None, labels=None):
    """Score complete rows of ``X`` (user units) in blocks of :func:`score_block_rows` rows.

    Fills whichever outputs are given: ``ll`` (n,) log-densities (user units), ``resp`` (n, k)
    responsibilities, ``labels`` (n,) the most probable component (argmax of ``resp``).  No
    finite row gives NaN: rows whose quadratic form could overflow are evaluated by
    :func:`_far_log_joint`; a row so far that every density underflows gets log-density
    ``-inf`` and responsibility 1 on the component nearest in the model's metric (smallest
    Mahalanobis distance; ties to the larger weight-and-volume constant)."""
    n, d = X.shape
    k = prep.k
    b = min(n, score_block_rows(k, layout, d))
    lbuf = np.empty((k, b))
    fbuf = np.empty((b, layout.m)) if prep.C is not None else None
    llbuf = np.empty(b)
    tmp = np.empty(b)
    for s in range(0, n, b):
        e = min(s + b, n)
        bb = e - s
        Xb = X[s:e]
        with np.errstate(over="ignore", invalid="ignore"):
            Zb = std.to_z(Xb)
            Lb = lbuf[:, :bb]
            pb = layout.features(Zb, out=fbuf[:bb]) if prep.C is not None else None
            prep.log_joint(Zb, Lb, Xb, pb)
            zn2 = np.einsum("ij,ij->i", Zb, Zb)
            far = ~(zn2 * prep.lam_max <= FAR_QUADRATIC)
        llb = llbuf[:bb]
        lost = None
        if far.any():
            fi = np.flatnonzero(far)
            Lf, logmaha = _far_log_joint(Xb[fi], weights, means, prec_chol, prep.ct, std.log_scale_sum)
            Lb[:, fi] = Lf
            gone = ~np.any(Lf > -np.inf, axis=0)  # every density underflowed
            if gone.any():
                lm = logmaha[:, gone]
                best = np.lexsort((-prep.const[:, None] * np.ones_like(lm), lm), axis=0)[0]
                one = np.full((k, int(gone.sum())), -np.inf)
                one[best, np.arange(one.shape[1])] = 0.0
                Lb[:, fi[gone]] = one
                lost = fi[gone]
        _logsumexp_cols(Lb, llb, tmp[:bb])
        if lost is not None:
            llb[lost] = -np.inf
        if ll is not None:
            np.subtract(llb, std.log_scale_sum, out=ll[s:e])
        if resp is not None:
            resp[s:e] = Lb.T
        if labels is not None:
            np.argmax(Lb, axis=0, out=labels[s:e])

