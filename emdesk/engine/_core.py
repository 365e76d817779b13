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
  dimension); otherwise the *whitened form*: per block, ``z - mu_k`` for all components and one
  batched product with the ``L_k^-1`` stack (:meth:`Prepared.whitened_logpdf`), the scatter about
  the current means gathered in the same pass (:class:`ShiftedStats`) and shifted to the new
  means in the M-step, two-pass where the shift would cancel digits.
"""

from __future__ import annotations

import numpy as np

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
        finite = ~np.isnan(X)
        d = X.shape[1]
        shift = np.zeros(d)
        mean = np.zeros(d)
        sd = np.zeros(d)
        for j in range(d):
            col = X[:, j]
            ok = finite[:, j]
            if not ok.all():
                col = col[ok]
            wj = None if w is None else (w if ok.all() else w[ok])
            if wj is not None:
                pos = wj > 0
                if not pos.all():
                    col, wj = col[pos], wj[pos]
            if col.size == 0:
                continue
            shift[j] = (weighted_median(col, wj) if medians is None or not np.isfinite(medians[j])
                        else float(medians[j]))
            mean[j] = float(np.mean(col)) if wj is None else float(wj @ col / wj.sum())
            # the deviations in row blocks (no temporary of the column's size; issue 16)
            amax = max(float(np.max(np.abs(col[s:s + _COL_BLOCK] - mean[j])))
                       for s in range(0, col.size, _COL_BLOCK))
            if amax > 0 and np.isfinite(amax):
                acc = 0.0
                for s in range(0, col.size, _COL_BLOCK):
                    u = (col[s:s + _COL_BLOCK] - mean[j]) / amax
                    acc += float(u @ u) if wj is None else float(wj[s:s + _COL_BLOCK] @ (u * u))
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
            # diag and spherical at high d: the products (k, m) x (m, b) kept under the
            # single-thread limit (threaded, they made a pass slower than scikit-learn's on the
            # loaded machine), at least 128 rows
            target = (1 << 18) // max(self.m * k, 1)
            b = 1 << max(int(np.log2(max(target, 1))), 0)
            return int(min(2048, max(128, b)))
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
# Parameters prepared for the E-step
# ----------------------------------------------------------------------------------------


class Prepared:
    """Cholesky factors, log-determinants and the coefficient matrix of one parameter set
    (standardised units).  Raises :class:`NotPositiveDefinite` when a covariance is not."""

    def __init__(self, weights, means, cov, covariance_type, layout: Layout):
        self.ct = covariance_type
        self.k, self.d = means.shape
        k, d = self.k, self.d
        self.means = means
        self.cov = cov
        with np.errstate(divide="ignore"):
            self.logw = np.log(weights)
        if not (np.all(np.isfinite(means)) and np.all(np.isfinite(cov))):
            if covariance_type == "tied":
                raise NotPositiveDefinite(-1)
            ok = np.isfinite(cov).reshape(k, -1).all(axis=1) & np.isfinite(means).all(axis=1)
            raise NotPositiveDefinite(int(np.flatnonzero(~ok)[0]))
        ct = covariance_type
        if ct in ("full", "tied"):
            stack = cov if ct == "full" else cov[None]
            chol = np.empty_like(stack)
            for j in range(stack.shape[0]):
                try:
                    chol[j] = np.linalg.cholesky(stack[j])
                except np.linalg.LinAlgError:
                    raise NotPositiveDefinite(j if ct == "full" else -1) from None
                if not np.all(np.diagonal(chol[j]) > 0):
                    raise NotPositiveDefinite(j if ct == "full" else -1)
            # batched solve L X = I (scipy's solve_triangular costs ~1 ms per call here)
            linv = np.linalg.solve(chol, np.broadcast_to(np.eye(d), chol.shape))
            half_logdet = np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
            if ct == "tied":
                chol = np.broadcast_to(chol, (k, d, d))
                linv = np.broadcast_to(linv, (k, d, d))
                half_logdet = np.broadcast_to(half_logdet, (k,))
            self.chol = chol
            self.linv = linv
            prec = np.einsum("kji,kjl->kil", linv, linv)  # L^-T L^-1
            lam = np.einsum("kij,kij->k", linv, linv)  # >= lambda_max(P)
        else:
            var = cov if ct == "diag" else np.repeat(cov[:, None], d, axis=1)
            if not np.all(var > 0):
                bad = np.flatnonzero(~np.all(var > 0, axis=1))
                raise NotPositiveDefinite(int(bad[0]))
            self.sd = np.sqrt(var)
            half_logdet = np.sum(np.log(self.sd), axis=1)
            inv_var = 1.0 / var
            lam = inv_var.max(axis=1)
            self.inv_var = inv_var
        self.half_logdet = np.asarray(half_logdet, dtype=float)
        self.const = self.logw - self.half_logdet - 0.5 * d * LOG_2PI
        mu_norm = np.sqrt(np.einsum("ij,ij->i", means, means))
        #: >= the largest eigenvalue of any precision (standardised units): |z|^2 * lam_max
        #: bounds every quadratic form's size, so scoring knows which rows could overflow.
        self.lam_max = float(np.max(lam)) if k else 0.0
        err = 4.0 * EPS * lam * (mu_norm + 1.0) ** 2
        # The whitened form (below) subtracts before the product, so its rounding error is at
        # most the expanded form's: the same components are evaluated directly in both.
        self.direct = np.flatnonzero(err > DIRECT_TOL)
        self.C = None
        #: (k, d, d) stack of L_k^-T (C-contiguous) for the whitened form of full/tied
        #: covariances above MAX_EXPANDED_D features: y = (z - mu_k) L_k^-T, one batched product.
        self.linvT = None
        if not layout.expanded:
            self.linvT = np.ascontiguousarray(np.swapaxes(self.linv, 1, 2))
        if layout.expanded:
            C = np.zeros((layout.m, k))
            if ct in ("full", "tied"):
                i0, i1 = layout.iu
                q = -prec[:, i0, i1]
                q[:, layout.on_diag] *= 0.5
                C[: layout.nq] = q.T
                pmu = np.einsum("kij,kj->ki", prec, means)
            elif ct == "diag":
                C[:d] = (-0.5 * inv_var).T
                pmu = means * inv_var
            else:
                C[0] = -0.5 * inv_var[:, 0]
                pmu = means * inv_var
            C[layout.lin] = pmu.T
            C[layout.const] = self.const - 0.5 * np.einsum("ki,ki->k", means, pmu)
            self.C = C

    #: Means in the user's units and their Standardizer, when known (set by the caller): the
    #: direct form then subtracts in the user's units, where a value and a mean close to it
    #: differ exactly, instead of between two standardised values each rounded to the
    #: resolution of z (a component at the reg_covar floor far from the centre would otherwise
    #: lose its digits).
    means_user = None
    std = None

    def direct_logpdf(self, Zb, j, out, Xb=None):
        """log w_j + log N(z | mu_j, S_j) for the rows of Zb (or of Xb, the same rows in user
        units), computed without expansion."""
        if Xb is not None and self.means_user is not None:
            diff = (Xb - self.means_user[j]) / self.std.scale
        else:
            diff = Zb - self.means[j]
        if self.ct in ("full", "tied"):
            # y = L^-1 (z - mu) with the factor's inverse from a triangular solve (as
            # scikit-learn's precisions_cholesky_): a per-block LAPACK trsm call costs ~30x more
            # here, and L^-1 is as well conditioned as L.
            y = diff @ self.linv[j].T
            maha = np.einsum("ij,ij->i", y, y)
        else:
            diff /= self.sd[j]
            maha = np.einsum("ij,ij->i", diff, diff)
        np.multiply(maha, -0.5, out=out)
        out += self.const[j]
        return out


    def whitened_logpdf(self, Zb, out, D=None, Y=None):
        """log w_j + log N(z | mu_j, S_j) of every component into ``out`` (k, b), full/tied
        covariances not expanded: ``D = z - mu_j`` for all components at once (k, b, d), then
        ``Y = D L_j^-T`` as one batched product (k GEMMs of (b, d) x (d, d), each small enough
        for OpenBLAS to run on one thread: see :meth:`Layout.block_rows`) and the row sums of
        ``Y * Y``.  ``D`` and ``Y`` are optional (k, b, d) work buffers; returns ``D`` (the
        differences, which the M-step statistics reuse)."""
        b = Zb.shape[0]
        if D is None:
            D = np.empty((self.k, b, self.d))
        if Y is None:
            Y = np.empty_like(D)
        np.subtract(Zb[None, :, :], self.means[:, None, :], out=D)
        np.matmul(D, self.linvT, out=Y)
        np.einsum("kbi,kbi->kb", Y, Y, out=out)
        out *= -0.5
        out += self.const[:, None]
        return D

    def log_joint(self, Zb, out, Xb=None, pb=None):
        """log w_j + log N(z | mu_j, S_j) of every component into ``out`` (k, b) for the rows
        ``Zb`` (standardised; ``Xb`` the same rows in user units, for the direct form; ``pb``
        their expanded features when already computed)."""
        if self.C is not None:
            if pb is None:
                raise ValueError("expanded features are needed")
            np.matmul(self.C.T, pb.T, out=out)
        elif self.linvT is not None:
            self.whitened_logpdf(Zb, out)
        for j in self.direct:
            self.direct_logpdf(Zb, j, out[j], Xb)
        return out


class ShiftedStats:
    """Sufficient statistics of full/tied covariances above :data:`MAX_EXPANDED_D` features,
    gathered in the E-step's pass: ``nk`` (k,) = sum w r, ``sx`` (k, d) = sum w r z and
    ``scat`` (k, d, d) = sum w r (z - c)(z - c)' about the centres ``c`` (k, d) the pass was
    computed for (the current means), so no second pass over the data is needed;
    :func:`mstep` shifts the scatter to the new means (and falls back to the two-pass form where
    the shift would cancel digits)."""

    __slots__ = ("nk", "sx", "scat", "centres")

    def __init__(self, nk, sx, scat, centres):
        self.nk, self.sx, self.scat, self.centres = nk, sx, scat, centres


def _logsumexp_cols(L, ll_out, tmp):
    """In place: L (k, b) of log joint densities -> responsibilities (columns sum to 1);
    ``ll_out`` (b,) <- column-wise log-sum-exp.  Component-major layout keeps every
    operation a long contiguous vector operation (a row-wise max over k=5 columns is ~20x
    slower in NumPy)."""
    k = L.shape[0]
    a = np.max(L, axis=0, out=tmp)
    L -= a
    np.exp(L, out=L)
    s = np.ones(k) @ L
    np.log(s, out=ll_out)
    ll_out += a
    np.divide(1.0, s, out=s)
    L *= s


def em_pass(data: DenseData, prep: Prepared, resp, want_stats=True, ll_rows=None):
    """One pass over the data: E-step for ``prep`` (responsibilities into ``resp``, stored
    component-major as (k, n)) and, if asked, the expanded sufficient statistics ``S`` (k, m)
    for the M-step.

    Returns ``(total log-likelihood in standardised units, S or None)``.
    """
    lay = data.layout
    k = prep.k
    if prep.linvT is not None:
        return _em_pass_whitened(data, prep, resp, want_stats, ll_rows)
    S = np.zeros((k, lay.m)) if (want_stats and lay.expanded) else None
    total = 0.0
    llb_buf = np.empty(data.block)
    tmp = np.empty(data.block)
    # A contiguous block buffer: matmul into a strided slice of resp is ~30x slower.
    lbuf = np.empty((k, data.block))
    for s, e, pb, zb, wb in data.blocks():
        b = e - s
        Lb = lbuf[:, :b] if b == data.block else np.empty((k, b))
        if prep.C is not None:
            np.matmul(prep.C.T, pb.T, out=Lb)
        if prep.direct.size:
            xb = None if data.X is None else data.X[s:e]
            for j in prep.direct:
                prep.direct_logpdf(zb, j, Lb[j], xb)
        llb = llb_buf[:b] if ll_rows is None else ll_rows[s:e]
        _logsumexp_cols(Lb, llb, tmp[:b])
        resp[:, s:e] = Lb
        if wb is None:
            total += float(llb.sum())
        else:
            total += float(llb @ wb)
        if S is not None:
            if wb is None:
                S += Lb @ pb
            else:
                S += (Lb * wb) @ pb
    return total, S


def _em_pass_whitened(data, prep: Prepared, resp, want_stats, ll_rows):
    """:func:`em_pass` for full/tied covariances above :data:`MAX_EXPANDED_D` features: per
    block, the log-densities by :meth:`Prepared.whitened_logpdf` and, from the same differences
    ``z - mu_j`` scaled by sqrt(w r), the scatter about the current means as one batched
    product (:class:`ShiftedStats`); no Python loop over rows or components (except the rare
    components evaluated directly), no temporaries larger than (k, block, d)."""
    k, d = prep.k, data.d
    B = data.block
    total = 0.0
    llb_buf = np.empty(B)
    tmp = np.empty(B)
    lbuf = np.empty((k, B))
    dbuf = np.empty((k, B, d))
    ybuf = np.empty((k, B, d))
    if want_stats:
        nk = np.zeros(k)
        sx = np.zeros((k, d))
        scat = np.zeros((k, d, d))
        sbuf = np.empty((k, d, d))
        qbuf = np.empty((k, B))
    for s, e, pb, zb, wb in data.blocks():
        b = e - s
        full = b == B
        Lb = lbuf[:, :b] if full else np.empty((k, b))
        D = dbuf[:, :b] if full else np.empty((k, b, d))
        Y = ybuf[:, :b] if full else np.empty((k, b, d))
        prep.whitened_logpdf(zb, Lb, D, Y)
        if prep.direct.size:
            xb = None if data.X is None else data.X[s:e]
            for j in prep.direct:
                prep.direct_logpdf(zb, j, Lb[j], xb)
        llb = llb_buf[:b] if ll_rows is None else ll_rows[s:e]
        _logsumexp_cols(Lb, llb, tmp[:b])
        resp[:, s:e] = Lb
        if wb is None:
            total += float(llb.sum())
            rw = Lb
        else:
            total += float(llb @ wb)
            rw = Lb * wb
        if want_stats:
            nk += rw.sum(axis=1)
            sx += rw @ zb
            sq = np.sqrt(rw, out=qbuf[:, :b] if full else None)
            D *= sq[:, :, None]
            np.matmul(np.swapaxes(D, 1, 2), D, out=sbuf)
            scat += sbuf
    if not want_stats:
        return total, None
    return total, ShiftedStats(nk, sx, scat, prep.means)


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


def _two_pass_scatter(data: DenseData, resp, j, mu, diag_only):
    """sum_i w_i r_ij (z_i - mu)(z_i - mu)' (or its diagonal) over all blocks."""
    d = data.d
    acc = np.zeros(d) if diag_only else np.zeros((d, d))
    for s, e, pb, zb, wb in data.blocks():
        rw = resp[j, s:e] if wb is None else resp[j, s:e] * wb
        diff = zb - mu
        if diag_only:
            acc += rw @ (diff * diff)
        else:
            acc += (diff * rw[:, None]).T @ diff
    return acc


def _shifted_covariances(S: ShiftedStats, nk, means):
    """Per-component covariances (k, d, d) about the new ``means`` from the scatter about the
    centres ``c`` of the pass, and the components to recompute in the two-pass form.

    Exact algebra for any mean: with ``n = sum w r``, ``s1 = sum w r (z - c) = sx - n c`` and
    ``delta = mu - c``, ``sum w r (z - mu)(z - mu)' = scat - s1 delta' - delta s1' + n delta
    delta'`` (= ``scat - n delta delta'`` when ``mu = sx / n``); divided by ``nk`` (which holds the
    10 eps floor) as the two-pass form is.  The shift loses digits only when the means moved
    far compared with the spread: ``E[(z - c)^2] / variance`` above :data:`TWO_PASS_RATIO` sends
    the component to the two-pass form, as the expanded statistics do."""
    c = S.centres
    n_raw = S.nk
    delta = means - c
    s1 = S.sx - n_raw[:, None] * c
    cross = np.einsum("ki,kj->kij", s1, delta)
    sc = S.scat - cross - np.swapaxes(cross, 1, 2) + n_raw[:, None, None] * np.einsum("ki,kj->kij", delta, delta)
    cov = sc / nk[:, None, None]
    dm2 = np.diagonal(S.scat, axis1=1, axis2=2) / nk[:, None]
    dcov = np.diagonal(cov, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(dcov > 0, dm2 / np.where(dcov > 0, dcov, 1.0), np.inf)
    redo = np.flatnonzero(np.any(ratio > TWO_PASS_RATIO, axis=1) & (nk > 100 * EPS))
    return cov, redo


def mstep(data: DenseData, S, resp, covariance_type, reg_z):
    """New (weights, means, covariances) in standardised units from the statistics of a pass.

    ``S``: the expanded statistics (k, m); a :class:`ShiftedStats` (full/tied not expanded,
    gathered in the E-step's pass); or None (features not expanded, e.g. at initialisation):
    then means and covariances are computed from the stored responsibilities (two-pass).
    """
    lay = data.layout
    ct = covariance_type
    k = resp.shape[0]
    d = data.d
    shifted = isinstance(S, ShiftedStats)
    if shifted:
        nk = S.nk + 10 * EPS
        means = S.sx / nk[:, None]
    elif S is not None:
        nk = S[:, lay.const] + 10 * EPS
        means = S[:, lay.lin] / nk[:, None]
    else:
        nk = np.zeros(k)
        sx = np.zeros((k, d))
        for s, e, pb, zb, wb in data.blocks():
            r = resp[:, s:e] if wb is None else resp[:, s:e] * wb
            nk += r.sum(axis=1)
            sx += r @ zb
        nk += 10 * EPS
        means = sx / nk[:, None]
    weights = nk / nk.sum()

    if ct in ("full", "tied"):
        if shifted:
            cov, redo = _shifted_covariances(S, nk, means)
        elif S is not None:
            m2 = np.empty((k, d, d))
            i0, i1 = lay.iu
            vals = S[:, : lay.nq] / nk[:, None]
            m2[:, i0, i1] = vals
            m2[:, i1, i0] = vals
            cov = m2 - np.einsum("ki,kj->kij", means, means)
            dm2 = np.diagonal(m2, axis1=1, axis2=2)
            dcov = np.diagonal(cov, axis1=1, axis2=2)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(dcov > 0, dm2 / np.where(dcov > 0, dcov, 1.0), np.inf)
            redo = np.flatnonzero(np.any(ratio > TWO_PASS_RATIO, axis=1) & (nk > 100 * EPS))
        else:
            cov = np.zeros((k, d, d))
            redo = np.arange(k)
        for j in redo:
            cov[j] = _two_pass_scatter(data, resp, j, means[j], False) / nk[j]
        # Symmetric by construction: a BLAS product A'B rounds (i, j) and (j, i) differently
        # (about 1e-31 apart on rounded data), and every reader of parameters checks symmetry.
        cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
        if ct == "full":
            idx = np.arange(d)
            cov[:, idx, idx] += reg_z
        else:
            cov = np.einsum("k,kij->ij", nk, cov) / nk.sum()
            cov[np.diag_indices(d)] += reg_z
        return weights, means, cov
    if ct == "diag":
        m2 = S[:, :d] / nk[:, None]
        var = m2 - means * means
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(var > 0, m2 / np.where(var > 0, var, 1.0), np.inf)
        for j in np.flatnonzero(np.any(ratio > TWO_PASS_RATIO, axis=1) & (nk > 100 * EPS)):
            var[j] = _two_pass_scatter(data, resp, j, means[j], True) / nk[j]
        return weights, means, var + reg_z
    # spherical
    m2 = S[:, 0] / nk
    mm = np.einsum("ij,ij->i", means, means)
    var = (m2 - mm) / d
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(var > 0, m2 / np.where(var > 0, d * var, 1.0), np.inf)
    for j in np.flatnonzero((ratio > TWO_PASS_RATIO) & (nk > 100 * EPS)):
        var[j] = _two_pass_scatter(data, resp, j, means[j], True).sum() / (nk[j] * d)
    return weights, means, var + reg_z


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

