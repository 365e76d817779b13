"""The context of one Gaussian-mixture fit (``GaussianMixture.fit_iter``): the checked data, their
standardisation, regularisation and prior, and the two halves of an EM iteration in standardised
units (the E-step pass and the M-step, with mclust's constrained models and the MAP step).

Complete data are read from the caller's ``X`` per block of rows (:mod:`emdesk.engine._fitdata`):
no standardised copy, expanded features cached only within ``_fitdata.FIT_CACHE_BYTES``, and the
``(k, n)`` responsibilities held only when the caller asks for them (issue 16).  Rows with missing
values use :mod:`emdesk.engine._missing`.
"""

from __future__ import annotations

import numpy as np

from . import _validation as V
from . import covariance_models as cm
from ._core import Layout, Prepared, Standardizer, em_pass, full_covariances, mstep, stats_from_resp
from ._fitdata import DenseData, PassResponsibilities, StandardisedRows, complete_rows_covariance
from .relative import relative_amount
from ._zero_weight import nan_mask
from .snapshot import frozen_copy

__all__ = ["_Context", "TINY_MEAN_WEIGHT", "HUGE_MEAN_WEIGHT"]

#: Sample weights whose mean is below TINY_MEAN_WEIGHT or at least HUGE_MEAN_WEIGHT are multiplied
#: by a power of two (exact: the same ratios, so the same maximum) that brings their mean into
#: [1, 2) before the fit reads them.  The fit's floors are absolute (``nk + 10 eps``, ``nk > 100
#: eps``, ...): with weights of 1e-20 (600 rows) every component's count sat on the floor and the
#: fit was wrong (lower bound -6,861 instead of -28.7; a total of 1e-9: means off by 7e-6); with
#: weights of 1e303 (sum 7e305, finite) the weighted sums overflowed ("Eigenvalues did not
#: converge", "high - low range exceeds valid bounds").  The counts the user sees (``n_samples_``,
#: the snapshots' ``n_samples`` and ``log_likelihood``, the degeneracy diagnosis's points) stay in
#: the caller's weights.  Weights between the two take the same path as before (the same bits).
TINY_MEAN_WEIGHT = 2.0 ** -20
HUGE_MEAN_WEIGHT = 2.0 ** 64


def _common_axes_start(cov, nk):
    """A start for the common orientation of EVE / VVE: the principal axes of the pooled covariance
    (the EEE solution) and each component's variances along them.  From mclust's start (D = I) the
    MM steps need thousands of iterations when the columns' spreads differ by orders of magnitude
    (mclust's wdbc data)."""
    cov = np.asarray(cov, dtype=float)
    k, d = cov.shape[0], cov.shape[-1]
    pooled = np.einsum("k,kij->ij", nk, cov) / nk.sum()
    _, vecs = np.linalg.eigh(pooled)
    D = vecs[:, ::-1]
    B = np.einsum("ia,kij,ja->ka", D, cov, D)
    B = np.where(B > 0, B, np.max(B, axis=1, keepdims=True) * 1e-12 + 1e-300)
    scale = np.exp(np.mean(np.log(B), axis=1))
    return cm.Decomposition(scale, B / scale[:, None], np.broadcast_to(D, (k, d, d)).copy())


class _Context:
    """Everything one call of ``fit_iter`` needs about its data (standardised once)."""

    def __init__(self, est, X, w, names=None, want_resp=False):
        #: the weights are read times 2**weight_exp (see TINY_MEAN_WEIGHT; 0: as given)
        self.weight_exp = 0
        if w is not None:
            mean = float(np.mean(w))  # finite: check_sample_weight refused a sum that overflows
            if 0.0 < mean < TINY_MEAN_WEIGHT or mean >= HUGE_MEAN_WEIGHT:
                self.weight_exp = 1 - int(np.frexp(mean)[1])
                # exact, also from subnormal weights; scaling down, a weight below 2**-1074 of the
                # mean becomes 0 (it could not change any sum)
                w = np.ldexp(w, self.weight_exp)
        self.model = est.covariance_type  # the user's name (scikit-learn's or mclust's)
        self.names = names
        self.n_rows, self.d = X.shape
        # the layout the covariances are stored and evaluated in (ValueError for E/V with d > 1)
        self.ct = V.covariance_layout(self.model, self.d)
        #: mclust's model whose constraint the M-step applies after the layout's own M-step
        #: (None: the layout's M-step is the model's, e.g. full = VVV)
        self.constraint = cm.canonical_model(self.model, self.d) if cm.needs_constraint(self.model, self.d) else None
        if est.n_components == 1 and self.ct != "tied":
            # One component: every model's constraint is void (as mclust fits G = 1 by its XII / XXI /
            # XXX models): the layout's own M-step (VII, VVI, VVV) is the maximum, in closed form.
            self.constraint = None
        self._decomposition = None  # warm start of an iterative constrained M-step
        self.prior = None  # mclust's conjugate prior: (in user units, in standardised units)
        self._log_prior = 0.0  # of the parameters last prepared (user units)
        k = est.n_components
        # no mask of the whole array for complete data (issue 16: bounded memory)
        self.has_missing = V._any_in_blocks(X, np.isnan)
        # the mask of missing cells (1 byte per cell; in row blocks when X is _zero_weight.PositiveRows)
        nan = (np.isnan(X) if isinstance(X, np.ndarray) else nan_mask(X)) if self.has_missing else None
        all_missing = nan.all(axis=1) if self.has_missing else None
        self.n_rows_all_missing = int(all_missing.sum()) if self.has_missing else 0
        if self.n_rows_all_missing:
            keep = ~all_missing
            self.rows = np.flatnonzero(keep)  # the rows fitted (rows with no value are left out)
            wu = None if w is None else w[keep]
        else:
            self.rows = None
            wu = w
        # Xu, wu: the caller's X (never copied: issue 16) and the weights of the rows fitted
        # (without rows that have no value; self.rows numbers them).  The column statistics below
        # read X whole: they leave NaN cells out, so rows without values take no part.
        Xu = X
        n_fit = X.shape[0] if self.rows is None else self.rows.size
        n_with_data = n_fit if wu is None else int(np.count_nonzero(wu > 0))
        if n_with_data == 0:
            raise ValueError(
                "X has no row with an observed value (every row is all NaN, or has weight 0): "
                "give rows with data."
            )
        if k > n_with_data:
            raise ValueError(
                f"n_components={k} is larger than the number of rows with data "
                f"{'' if w is None else 'and a positive sample_weight '}"
                f"({n_with_data}): choose at most {n_with_data} components."
            )
        if wu is not None and not wu.sum() > 0:
            raise ValueError("The rows with data all have sample_weight 0: give positive weights.")
        if self.has_missing:
            seen = ~nan if w is None else ~nan & (w > 0)[:, None]
            empty = np.flatnonzero(~seen.any(axis=0))
            if empty.size:
                cols = ", ".join(str(j + 1) for j in empty)
                which = f"column {cols} has" if empty.size == 1 else f"columns {cols} have"
                raise ValueError(
                    f"X {which} no observed value (every cell is NaN"
                    f"{' or in a row of weight 0' if wu is not None else ''}), so there is nothing to "
                    "estimate a mean or variance from: leave such columns out."
                )
        # Before any arithmetic on the data: overflowing or too-wide columns (a ValueError naming
        # the column), constant columns and exact linear dependence (notes, see column_notes_).
        self.constant, medians = V.check_columns(Xu, w, names)
        # Models with a common shape or orientation but not a common covariance (EEV, VEV, EVE,
        # VVE) are not invariant to scaling the features differently: their maximum is found
        # with one scale for every feature (as the spherical models), so it is the maximum in
        # the user's units.
        scale_kind = "spherical" if self.constraint in ("EEV", "VEV", "EVE", "VVE") else self.ct
        self.std = Standardizer.from_data(Xu, w, scale_kind, medians=medians if w is None else None)
        self.data_variances = np.where(np.isfinite(self.std.data_var), self.std.data_var, 0.0)
        self.data_variances[self.constant] = 0.0  # exactly: the mean's rounding left ~1e-30
        self.layout = Layout(self.ct, self.d, k)
        # the caller's X is read per block, never copied (_fitdata, _missing; issue 16)
        if self.has_missing:
            from . import _missing

            self.data = _missing.MissingData(None, wu, self.std, k, X=Xu, rows=self.rows)
        else:
            self.data = DenseData(None, wu, self.layout, k, X=Xu, std=self.std)
        self.null_space, groups, self.data_cov_z = None, [], None
        if self.ct in ("full", "tied"):
            # the covariance of the complete rows (standardised units: centred near the medians,
            # scaled, so no cancellation): its null directions are the exact linear dependences
            # among the columns; on complete data it is the data's covariance, which the
            # degeneracy diagnosis compares with (affine-invariant) and reg_covar="relative" uses
            cols = [j for j in range(self.d) if j not in set(self.constant)]
            cov, n_rows = complete_rows_covariance(Xu, self.std, w)
            if len(cols) >= 2 and n_rows > len(cols):
                self.null_space, groups = V.dependence_in_covariance(cov[np.ix_(cols, cols)], cols, self.d)
            if not self.has_missing:
                self.data_cov_z = cov
        self.notes = tuple(V.column_notes(Xu, self.constant, groups, names, self.ct))
        self.binary = V.binary_columns(Xu, w)
        self.data_cov = (None if self.data_cov_z is None
                         else self.data_cov_z * np.multiply.outer(self.std.scale, self.std.scale))
        self.reg_z, self.reg_off, self.reg_user = _regularisation(est.reg_covar, self.ct, self.std,
                                                                  self.data_variances, self.data_cov_z)
        if self.constraint is not None:
            # mclust's constrained models (stored as full, e.g. VEV): only the diagonal ridge, added
            # before the constrained M-step, so the constraint holds exactly
            self.reg_off = None
        if est.prior is not None:
            self._set_prior(est, Xu, w)
        self.Zinit = self.data.init_matrix() if self.has_missing else StandardisedRows(Xu, self.std)
        self.w = wu
        #: rows of sample_weight 0 left out before this context (GaussianMixture.fit_iter sets it:
        #: emdesk.engine._zero_weight.LeftOutRows, or None)
        self.left_out = None
        self._init_space = None
        self.W = float(n_fit if wu is None else wu.sum())
        #: the total weight in the caller's units (``W`` is in the weights the fit reads)
        self.n_samples = float(np.ldexp(self.W, -self.weight_exp))
        # the last pass's responsibilities, component-major (k, n): held only when the caller
        # asked for them (snapshots' responsibilities); otherwise (complete data) a stand-in that
        # recomputes the blocks the M-step's two-pass fallback reads, or (missing values) None:
        # MissingData recomputes them per block itself
        if want_resp:
            self.resp = np.empty((k, n_fit))
        elif self.has_missing:
            self.resp = None
        else:
            self.resp = PassResponsibilities(self.data, k)

    def _set_prior(self, est, Xu, wu):
        """mclust's default conjugate prior (``priorControl()``), from the rows with every value
        observed, in both unit systems."""
        from . import prior as P

        m = cm.canonical_model(self.model, self.d)
        if m not in P.POSTERIOR_MODELS:
            names = sorted({n for n in ("full", "tied", "diag", "spherical") + cm.MODEL_NAMES + cm.MODEL_NAMES_1D
                            if (n in ("E", "V")) == (self.d == 1)
                            and cm.canonical_model(n, self.d) in P.POSTERIOR_MODELS})
            raise ValueError(
                f"prior='default' is available with covariance_type {', '.join(names)} (their MAP step "
                f"maximises the posterior); not with {self.model!r}.")
        if wu is not None:
            raise ValueError("prior='default' does not take sample_weight (mclust's prior has no row weights).")
        rows = Xu[~np.isnan(Xu).any(axis=1)] if self.has_missing else Xu
        if rows.shape[0] < 2:
            raise ValueError("prior='default' needs at least 2 rows with every value observed (the prior's "
                             "mean and scale are the data's).")
        p = P.default_prior(rows, est.n_components, m, **P.prior_overrides(est.prior))
        P.check_scale(p.scale, rows, self.names)
        self.prior = (m, p, P.prior_to_units(p, self.std.shift, self.std.scale))

    def log_prior(self, weights, means_user, cov_user):
        """Log density of the prior at user-unit parameters (0 without a prior)."""
        if self.prior is None:
            return 0.0
        from . import prior as P

        k = len(weights)
        return P.log_prior_density(self.prior[0], means_user, full_covariances(cov_user, self.ct, k, self.d),
                                   self.prior[1])

    def init_space(self):
        """The rows in the unit-free space init_params="emEM" chooses its starts in
        (:func:`emdesk.engine.restarts.init_space`), computed once."""
        if self._init_space is None:
            from .restarts import init_space

            self._init_space = init_space(self.Zinit, self.ct, self.data_cov_z,
                                          self.data_variances / self.std.scale ** 2)
        return self._init_space

    # -- the two halves of an iteration ------------------------------------------------
    def prepare(self, params):
        if self.prior is not None:
            self._log_prior = self.log_prior(params[0], self.std.means_to_user(params[1]),
                                             self.std.cov_to_user(params[2], self.ct))
        prep = Prepared(*params, self.ct, self.layout)
        if prep.direct.size and not self.has_missing:
            prep.means_user = self.std.means_to_user(params[1])
            prep.std = self.std
        return prep

    def em_pass(self, prep, want_stats):
        """(objective, statistics): the log-likelihood, plus the log prior density with a prior
        (the log-posterior, which MAP-EM increases)."""
        if self.has_missing:
            ll, S = self.data.em_pass(prep, self.resp, want_stats)
            return ll + self._log_prior, S
        if isinstance(self.resp, PassResponsibilities):
            self.resp.prep = prep
        ll_z, S = em_pass(self.data, prep, self.resp, want_stats)
        return ll_z - self.W * self.std.log_scale_sum + self._log_prior, S

    def mstep(self, stats):
        if self.has_missing:
            return self._representable(self._constrain(self.data.mstep(stats, self.ct, self.reg_z)))
        return self._representable(self._constrain(mstep(self.data, stats, self.resp, self.ct, self.reg_z)))

    def params_from_resp(self, resp):
        """Parameters (standardised units) from starting responsibilities: an (n, k) array, or a
        (k, n) stand-in read per block (``init.initial_assignment``)."""
        self._decomposition = None  # a new restart: no warm start from another one
        if isinstance(resp, np.ndarray):
            resp = np.ascontiguousarray(resp.T)
        if self.has_missing:
            return self._representable(
                self._constrain(self.data.mstep(self.data.stats_from_resp(resp), self.ct, self.reg_z)))
        return self._representable(
            self._constrain(mstep(self.data, stats_from_resp(self.data, resp), resp, self.ct, self.reg_z)))

    def _constrain(self, params):
        """mclust's constrained M-step (Celeux & Govaert 1995) on top of the layout's own one.

        The layout's M-step returned ``W_k / n_k + reg`` (with missing values: the expected
        complete-data scatter); :func:`emdesk.engine.covariance_models.constrain_engine_mstep`
        maximises the expected complete-data log-likelihood under the model's constraint from
        the same scatters and keeps the ridge.  The iterative models (VEI, VEV, VEE, EVE, VVE) start
        from the previous iteration's decomposition, so each M-step does not lower the
        objective (EM, or a generalised EM step for EVE/VVE's MM updates).  Raises
        :class:`~emdesk.engine.covariance_models.DegenerateMStep` (a ValueError) when the
        constrained maximum is not finite."""
        if self.prior is not None:
            from .prior import map_engine_mstep

            weights, means, cov = params
            means, cov = map_engine_mstep(self.prior[0], weights * self.W, means, cov, self.reg_z, self.d,
                                          self.prior[2], n_rows=self.W)
            return weights, means, cov
        if self.constraint is None:
            return params
        weights, means, cov = params
        nk = weights * self.W
        # EVE / VVE: the MM steps of the common orientation converge slowly (about 1 s per M-step to
        # 1e-10 on 215 x 5 rows, G = 6); warm-started, 20 of them per EM iteration still raise the
        # objective (a generalised EM step) and the iterations go on across EM iterations: 30x faster,
        # and the same optima as mclust's (tests/engine/test_mclust_models.py).
        inner = 20 if self.constraint in ("EVE", "VVE") else 10_000
        init = self._decomposition
        if init is None and self.constraint in ("EVE", "VVE"):
            init = _common_axes_start(cov, nk)
        out, res = cm.constrain_engine_mstep(self.constraint, cov, nk, self.reg_z, self.d,
                                             init=init, tol=1e-10, max_iter=inner)
        if res is not None and self.constraint in cm.ITERATIVE_MODELS:
            self._decomposition = res.decomposition
        return weights, means, out

    def _off_diagonal_reg(self, cz):
        """reg_covar="relative" for full/tied: the M-step added the diagonal of ``r Sigma``; the
        rest of it here (outside the M-step, so every covariance model's M-step stays as is)."""
        if self.reg_off is None:
            return cz
        return cz + (self.reg_off[None] if self.ct == "full" else self.reg_off)

    def _representable(self, params):
        """The parameters moved to the nearest ones the user's units can hold: the means are
        reported as ``mz * scale + shift``, which rounds to the resolution of the user's values
        (1.5e-5 at an offset of 1e11); the E-step then evaluates exactly the means returned, so
        ``log_likelihood_`` is the log-likelihood of the returned parameters (the difference
        was 6e-9 relative on 150 rows offset by 1e11)."""
        weights, mz, cz = params
        std = self.std
        return weights, std.means_to_z(std.means_to_user(mz)), self._off_diagonal_reg(cz)

    def frozen_responsibilities(self, weights):
        """A read-only copy of the responsibilities of every row of X (rows left out get the
        mixing weights), made in one pass: the snapshot's own array."""
        if self.rows is None:
            return frozen_copy(self.resp.T)
        out = np.empty((self.n_rows, self.resp.shape[0]))
        out[:] = weights
        out[self.rows] = self.resp.T
        out.flags.writeable = False
        return out


def _regularisation(reg_covar, ct, std, data_variances, data_cov_z):
    """``(reg_z, reg_off, reg_user)``: what the M-step adds to the diagonal (standardised units:
    ``(d,)``, a scalar for spherical), the off-diagonal rest added after it (full/tied with
    ``reg_covar="relative"``; else None) and the diagonal in user units ``(d,)`` (for the
    degeneracy diagnosis).  See :mod:`emdesk.engine.relative`."""
    d = std.scale.shape[0]
    r = relative_amount(reg_covar, "reg_covar")
    if r is None:
        reg_z = std.reg_z(reg_covar, ct)
        return reg_z, None, np.full(d, float(reg_covar))
    s2 = std.scale ** 2
    dz = np.where(np.isfinite(data_variances), data_variances, 0.0) / s2
    if ct == "spherical":
        m = float(np.mean(dz)) if d else 0.0
        reg_z = r * (m if m > 0 else 1.0)
        return reg_z, None, reg_z * s2
    if data_cov_z is None:  # diag, or full/tied with missing values: each feature's variance
        reg_z = r * np.where(dz > 0, dz, 1.0)
        return reg_z, None, reg_z * s2
    # r x the data's covariance; directions without variance (constant columns, exact linear
    # dependence) get r x one standardised unit, so covariances stay positive definite
    lam, V = np.linalg.eigh(data_cov_z)
    top = float(lam[-1]) if lam.size else 0.0
    lam = np.where(lam > max(top, 0.0) * 1e-12, lam, 1.0)
    R = r * (V * lam) @ V.T
    R = 0.5 * (R + R.T)
    reg_z = np.diag(R).copy()
    off = R - np.diag(reg_z)
    return reg_z, off, reg_z * s2
