"""Multivariate Student-t emissions (robust mixtures), fitted by ECM.

Density of one component (McLachlan & Peel 2000, "Finite Mixture Models", section 7.2; Peel &
McLachlan 2000, "Robust mixture modelling using the t distribution", Statistics and Computing
10:339-348)::

    t_p(x; mu, Sigma, nu) = Gamma((nu + p)/2) / (Gamma(nu/2) (nu pi)^(p/2) |Sigma|^(1/2))
                            * (1 + delta/nu)^(-(nu + p)/2),   delta = (x - mu)' Sigma^-1 (x - mu)

``Sigma`` is the *scale* matrix (the covariance is ``nu/(nu - 2) Sigma`` for nu > 2).  The t is a
normal scale mixture: ``x | u ~ N(mu, Sigma/u)``, ``u ~ Gamma(nu/2, nu/2)``; the E-step gives each
row's expected scale weight ``u_ij = (nu_j + p)/(nu_j + delta_ij)`` (small for outlying rows: the
outlier score) besides the posteriors ``tau_ij``.

ECM (McLachlan & Peel 2000, section 7.5): CM-step 1, with ``w_ij = tau_ij u_ij``,
``mu_j = sum_i w_ij x_i / sum_i w_ij``, ``Sigma_j = sum_i w_ij (x_i - mu_j)(x_i - mu_j)' / sum_i tau_ij``
(reduced to the covariance type: tied pools the numerators over components and divides by n, diag
keeps the diagonal, spherical its mean); CM-step 2, the degrees of freedom solve (eq. 7.30)

    -psi(nu/2) + log(nu/2) + 1 + (1/n_j) sum_i tau_ij (log u_ij - u_ij)
        + (1/n_j) sum_i tau_ij (psi((nu_old + p_i)/2) - log((nu_old + p_i)/2)) = 0

per component (``dof_type="component"``) or with the sums pooled over components (``"shared"``),
bounded to ``dof_bounds`` (teigen's default range is [1, 200]: Andrews, Wickins, Boers & McNicholas
2018, "teigen: An R package for model-based clustering and classification via the multivariate t
distribution", J. Stat. Software 83(7)); a root outside the bounds is clamped.  With ``fix_dof`` the
degrees of freedom stay at their start (``dof_init``).  Each CM-step maximises the expected
complete-data log-likelihood, so the observed log-likelihood never decreases.

Missing values (``missing="marginalize"``): the marginal of a t on the observed coordinates
``o`` is a t with the same ``nu``, ``mu_o``, ``Sigma_oo`` (so the E-step uses ``p_i`` = the number of
observed values of the row), and given ``u`` and the component the missing coordinates are normal,
``x_m | x_o, u ~ N(mu_m + Sigma_mo Sigma_oo^-1 (x_o - mu_o), C/u)`` with
``C = Sigma_mm - Sigma_mo Sigma_oo^-1 Sigma_om``; hence ``E[u x_m] = u xhat_m`` and
``E[u x_m x_m'] = u xhat_m xhat_m' + C`` enter the CM-step (exact EM, as for the Gaussian family).

Parameters (user units): ``means`` (k, d), ``covariances`` (the scale matrices, scikit-learn's shape
of the covariance type), ``dof`` (k,) (all equal when shared).  Internally the data are centred and
scaled per column (one common scale for spherical), as the Gaussian family does.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import digamma, gammaln

from .._blas import matmul, tmatmul
from .. import _validation as V
from .._core import COVARIANCE_TYPES, full_covariances
from ..diagnostics import diagnose
from ..init import _check, _one_hot, initial_assignment, initial_responsibilities
from ._blocks import RowResp, as_rows, block_rows, column_standardizer, reduce_stats, resp_block, row_ranges
from ._linalg import thin_matmul
from ._robust_start import labels_from_seeds, trimmed_kmeans_labels, trimmed_kmeans_plusplus
from .base import FamilyFailure, empty_state_issues, state_floor

__all__ = ["StudentTFamily", "DOF_TYPES"]

DOF_TYPES = ("component", "shared")
_LOG_PI = math.log(math.pi)


class _Data:
    """Bound data.  Global: ``X`` (the caller's rows, a reference), ``n``, ``d``, ``std``, ``reg_z``,
    ``log_scale``, ``data_variances``, ``p_values`` (the distinct numbers of observed values over
    all rows), ``has_missing``, ``block`` (rows per block), ``held`` (per-row arrays for all rows:
    small data).  Per-row (a block's rows, or all when held): ``Z`` (standardised rows), ``obs``,
    ``patterns`` (None when complete), ``p`` and ``p_index`` (into ``p_values``); ``cache`` holds
    the last E-step's distances for the same parameters."""

    __slots__ = ("std", "Z", "obs", "patterns", "p", "p_values", "p_index", "reg_z", "n", "d",
                 "data_variances", "log_scale", "X", "has_missing", "held", "block", "cache")


class _Prep:
    __slots__ = ("mz", "F", "L", "dof", "params")


def _tri_inv(L):
    """Inverse of a small lower-triangular Cholesky factor (d x d).  ``(x - mu) @ inv(L).T`` is one
    matrix product over all rows (scipy's ``solve_triangular`` costs milliseconds per call on a busy
    machine for tiny systems)."""
    return np.linalg.inv(L)


def _patterns(obs):
    """``[(observed mask (d,), rows)]``: the rows of ``obs`` (b, d) grouped by their pattern of
    observed values (a bit mask per row as the key when d <= 62: ``np.unique(obs, axis=0)`` took
    most of the E-step's time)."""
    d = obs.shape[1]
    if d <= 62:
        key = obs.astype(np.int64) @ (np.int64(1) << np.arange(d, dtype=np.int64))
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        keys = obs[first]
    else:
        keys, inv = np.unique(obs, axis=0, return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(keys.shape[0] + 1))
    return [(keys[g].copy(), order[bounds[g]:bounds[g + 1]]) for g in range(keys.shape[0])]


def _row_sq(Y):
    """Row sums of squares of a thin (n, d) array."""
    out = Y[:, 0] * Y[:, 0]
    for c in range(1, Y.shape[1]):
        out += Y[:, c] * Y[:, c]
    return out


class StudentTFamily:
    """Multivariate t emissions; see the module docstring for the model and the ECM steps.

    Parameters: ``covariance_type`` ("full" | "tied" | "diag" | "spherical"), ``reg_covar`` (>= 0,
    user units, added to every scale variance in the M-step), ``missing`` ("error" |
    "marginalize"), ``dof_type`` ("component" | "shared"), ``fix_dof`` (bool), ``dof_init`` (> 0,
    starting degrees of freedom; 50 as teigen's ``dfstart``), ``dof_bounds`` ((low, high), 0 <
    low < high; default (1, 200)).
    """

    #: fit checks the columns' ranges first (emdesk.engine._validation.check_columns), as GaussianMixture does
    checks_column_ranges = True

    name = "student_t"
    param_names = ("means", "covariances", "dof")

    def __init__(self, covariance_type="full", reg_covar=1e-6, missing="error", dof_type="component",
                 fix_dof=False, dof_init=50.0, dof_bounds=(1.0, 200.0)):
        if covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}; got {covariance_type!r}.")
        if dof_type not in DOF_TYPES:
            raise ValueError(f"dof_type must be 'component' or 'shared'; got {dof_type!r}.")
        lo, hi = (float(b) for b in dof_bounds)
        if not (0 < lo < hi and math.isfinite(hi)):
            raise ValueError(f"dof_bounds must be (low, high) with 0 < low < high < inf; got {dof_bounds!r}.")
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.missing = missing
        self.dof_type = dof_type
        self.fix_dof = bool(fix_dof)
        self.dof_init = dof_init
        self.dof_bounds = (lo, hi)

    # -- data ----------------------------------------------------------------------------
    def bind(self, X, k=None):
        """Bind X (n, d): a reference to X, checked in row blocks; the standardiser's column medians
        and spreads (one column's copy at a time) and the distinct numbers of observed values per
        row.  Nothing per row is held beyond X (data that fit one block keep their standardised rows)."""
        ct = self.covariance_type
        X = as_rows(X)
        n, d = X.shape
        step = block_rows(n, k, 3 * d + 4)
        n_nan, p_seen = 0, set()
        for s, e in row_ranges(n, step):
            nan = np.isnan(X[s:e])
            c = int(np.count_nonzero(nan))
            n_nan += c
            if not c:
                p_seen.add(d)
                continue
            p_seen.update(np.unique(d - nan.sum(axis=1)).tolist())
        if n_nan and self.missing != "marginalize":
            raise ValueError(
                f"X contains {n_nan} missing (NaN) value(s): drop the incomplete rows or use "
                "missing='marginalize'.")
        # A row with every value missing (p = 0) has density 1 under every component: an HMM's time step
        # without an observation, a mixture row whose posterior is the weights (as the other families).
        data = _Data()
        data.n, data.d, data.X = n, d, X
        data.has_missing = n_nan > 0
        data.p_values = np.array(sorted(float(p) for p in p_seen)) if n else np.array([float(d)])
        std = column_standardizer(X, ct)
        data.std = std
        data.data_variances = np.where(np.isfinite(std.data_var), std.data_var, 0.0)
        data.reg_z = np.broadcast_to(np.asarray(std.reg_z(self.reg_covar, ct), dtype=float), (d,)).copy()
        data.log_scale = np.log(std.scale)
        data.block, data.held, data.cache = step, False, None
        data.Z = data.obs = data.patterns = data.p = data.p_index = None
        if n <= step:
            return self.rows(data, 0, n)
        return data

    def rows(self, data, s, e):
        """The bound data of rows s:e: the same standardiser, ``reg_z`` and ``p_values``; the rows'
        standardised values, patterns and numbers of observed values."""
        if data.held and s == 0 and e == data.n:
            return data
        out = _Data()
        for name in ("std", "p_values", "reg_z", "d", "data_variances", "log_scale", "has_missing", "block"):
            setattr(out, name, getattr(data, name))
        xb = data.X[s:e]
        out.X, out.n, out.held, out.cache = xb, e - s, True, None
        out.Z = data.std.to_z(xb) if not data.held else data.Z[s:e]
        if not data.has_missing:
            out.obs, out.patterns = None, None
            out.p = np.full(out.n, float(data.d))
            out.p_index = np.full(out.n, int(np.searchsorted(data.p_values, float(data.d))), dtype=np.intp)
            return out
        obs = ~np.isnan(out.Z)
        out.obs = obs
        out.patterns = _patterns(obs)
        out.p = obs.sum(axis=1).astype(float)
        out.p_index = np.searchsorted(data.p_values, out.p).astype(np.intp)
        return out

    def init_matrix(self, data):
        """Standardised data, missing cells at the column mean (0), for k-means; made per block of
        rows when read (:class:`~emdesk.engine._fitdata.StandardisedRows`)."""
        from .._fitdata import StandardisedRows

        if data.held and data.Z is not None:
            return np.where(np.isnan(data.Z), 0.0, data.Z)
        return StandardisedRows(data.X, data.std, fill_nan=True)

    def _dof_vector(self, dof, k):
        a = np.asarray(dof, dtype=float)
        if a.ndim == 0:
            a = np.full(k, float(a))
        if a.shape != (k,):
            raise ValueError(f"dof must be a number or have shape ({k},); got {a.shape}.")
        if not np.all(np.isfinite(a)) or np.any(a <= 0):
            raise ValueError("dof (degrees of freedom) must be finite numbers > 0.")
        return a

    def check_params(self, params, k, d):
        means = V.check_means(params["means"], k, d)
        cov = V.check_covariances(params["covariances"], self.covariance_type, k, d)
        return {"means": means, "covariances": cov, "dof": self._dof_vector(params["dof"], k)}

    # -- parameters ----------------------------------------------------------------------
    def init_params(self, data, resp):
        """Weighted moments with u = 1 (missing cells at the column mean) and ``dof_init``.
        ``resp``: (n, k) or a :class:`~._blocks.RowResp` (read per block of rows)."""
        k = resp.shape[1]
        dof0 = self._dof_vector(self.dof_init, k)
        d = data.d
        nk, s1, T = np.zeros(k), np.zeros((k, d)), np.zeros((k, d, d))
        for s, e in row_ranges(data.n, data.block):
            rb = resp_block(resp, s, e)
            Zf = self.rows(data, s, e).Z
            Zf = np.where(np.isnan(Zf), 0.0, Zf)
            nk += rb.sum(axis=0)
            s1 += tmatmul(rb, Zf)
            T += np.einsum("nk,ni,nj->kij", rb, Zf, Zf) if d <= 8 else np.stack(
                [tmatmul(Zf * rb[:, j:j + 1], Zf) for j in range(k)])
        stats = {"nk": nk, "sw": nk.copy(), "s1": s1, "T": T, "c": np.zeros((k, d)), "a": None,
                 "dof": dof0}
        params = self._m(data, stats, None, estimate_dof=False)[0]
        # A starting partition that holds gross outliers inflates the moments; a few Cauchy
        # (nu = 1) M-estimation steps within each starting component (Kent, Tyler & Vardi 1994,
        # "A curious likelihood identity for the multivariate t-distribution") give robust starting
        # locations and scales, so the restarts find the clusters rather than the outliers.
        for _ in range(self.ROBUST_INIT_STEPS):
            try:
                prep = self.prepare(data, dict(params, dof=np.ones(k)))
            except FamilyFailure:
                break
            st = self.stats(data, prep, resp)
            st["dof"] = dof0
            st["a"] = None
            params = self._m(data, st, None, estimate_dof=False)[0]
        return params

    #: Cauchy M-estimation steps of the initialisation (see :meth:`init_params`).
    ROBUST_INIT_STEPS = 5
    #: ECM iterations each candidate start runs before the better one is kept (see :meth:`initial_state`).
    EXPLORE_ITER = 3
    #: Rows the candidates run on (a uniform subsample of larger data; the winner's parameters then start
    #: the fit on every row).
    EXPLORE_ROWS = 20_000

    def initial_state(self, data, method, k, rng, interrupt=None):
        """One restart's start: ``(responsibilities (n, k), params)``.

        For ``method`` "kmeans++" (the default) and "kmeans" two candidate partitions are drawn: a
        trimmed one (:mod:`emdesk.engine.families._robust_start`: seeds and centres ignore the 10 %
        of rows farthest from them, so gross outliers do not capture a component) and the plain
        one of :mod:`emdesk.engine.init`; each gets :meth:`init_params` and :attr:`EXPLORE_ITER`
        mixture ECM iterations, and the one with the higher log-likelihood is the start (its
        explored parameters, and the posteriors of its last E-step as the responsibilities).  On
        two clusters with 5 % gross outliers 113 of 120 restarts reached the clusters' optimum
        against 25 of 120 with plain k-means++ starts; with a genuine small far cluster and no
        outliers (where trimming alone misses it) all 30 did (tests/engine/test_student_t.py).
        With more than :attr:`EXPLORE_ROWS` rows the candidates run on a uniform subsample of that
        many rows, and the winner's parameters start the fit (responsibilities from one E-step on every
        row), so the start costs about one pass over the data plus the subsample's work.
        Other methods: :func:`emdesk.engine.init.initial_responsibilities` and :meth:`init_params`.
        """
        if method not in ("kmeans++", "kmeans"):
            resp = RowResp.of(initial_assignment(method, self.init_matrix(data), k, None, rng, interrupt))
            return resp, self.init_params(data, resp)
        if data.n <= self.EXPLORE_ROWS:
            return self._candidates(data, method, k, rng, interrupt)
        rows = np.sort(rng.choice(data.n, self.EXPLORE_ROWS, replace=False))
        try:
            sub_resp, params = self._candidates(self.bind(data.X[rows], k), method, k, rng, interrupt)
            prep = self.prepare(data, params)
            logw = np.log(sub_resp.mean(axis=0) + 10 * np.finfo(float).eps)[None, :]

            def posteriors(s, e):
                L = self.log_prob(self.rows(data, s, e), prep) + logw
                a = L.max(axis=1)
                if not np.all(np.isfinite(a)):
                    raise FamilyFailure("a row is impossible under the start.")
                P = np.exp(L - a[:, None])
                return P / P.sum(axis=1, keepdims=True)

            resp = RowResp(data.n, k, posteriors, step=data.block)
            resp.sum(axis=0)  # every row possible under the start (else the plain start, below)
            return resp, params
        except (FamilyFailure, ValueError):  # the subsample's start does not suit every row: the plain start
            resp = RowResp.of(initial_assignment(method, self.init_matrix(data), k, None, rng, interrupt))
            return resp, self.init_params(data, resp)

    def _candidates(self, data, method, k, rng, interrupt):
        """The better of the trimmed and the plain candidate on ``data`` (see :meth:`initial_state`;
        at most :attr:`EXPLORE_ROWS` rows, held whole)."""
        Z = self.init_matrix(data)
        if not isinstance(Z, np.ndarray):
            Z = Z.materialise()
        if method == "kmeans++":
            trimmed = _one_hot(labels_from_seeds(Z, trimmed_kmeans_plusplus(Z, k, rng, interrupt=interrupt)), k)
        else:
            trimmed = _one_hot(trimmed_kmeans_labels(Z, k, rng, interrupt=interrupt), k)
        plain = initial_responsibilities(method, Z, k, None, rng, interrupt)
        best = None
        for resp in (trimmed, plain):
            _check(interrupt)
            try:
                found = self._explore(data, resp, interrupt)
            except FamilyFailure:
                continue
            if best is None or found[0] > best[0]:
                best = found
        if best is None:  # both unusable: the plain start, whose failure the EM driver then reports
            return plain, self.init_params(data, plain)
        return best[1], best[2]

    def _explore(self, data, resp, interrupt):
        """``(log-likelihood, responsibilities, params)`` after :attr:`EXPLORE_ITER` mixture ECM
        iterations from :meth:`init_params` of ``resp``; FamilyFailure for unusable parameters."""
        params = self.init_params(data, resp)
        tiny = 10 * np.finfo(float).eps
        w = resp.sum(axis=0) + tiny
        w /= w.sum()
        for it in range(self.EXPLORE_ITER + 1):
            _check(interrupt)
            prep = self.prepare(data, params)
            L = self.log_prob(data, prep) + np.log(w)[None, :]
            a = L.max(axis=1)
            if not np.all(np.isfinite(a)):
                raise FamilyFailure("a row is impossible under the candidate start.")
            P = np.exp(L - a[:, None])
            s = P.sum(axis=1)
            ll = float(np.log(s).sum() + a.sum())
            if not math.isfinite(ll):
                raise FamilyFailure("the candidate start's log-likelihood is not finite.")
            if it == self.EXPLORE_ITER:
                return ll, resp, params
            resp = P / s[:, None]
            params = self._m(data, self.stats(data, prep, resp), params, estimate_dof=not self.fix_dof)[0]
            w = resp.sum(axis=0) + tiny
            w /= w.sum()

    def prepare(self, data, params):
        ct = self.covariance_type
        mz = data.std.means_to_z(np.asarray(params["means"], dtype=float))
        k = mz.shape[0]
        cz = data.std.cov_to_z(np.asarray(params["covariances"], dtype=float), ct)
        F = full_covariances(cz, ct, k, data.d)
        dof = np.asarray(params["dof"], dtype=float)
        if dof.ndim == 0:
            dof = np.full(k, float(dof))
        if not np.all(np.isfinite(dof)) or np.any(dof <= 0):
            raise FamilyFailure("a degrees-of-freedom value is not a positive number.")
        L = np.empty_like(F)
        for j in range(k):
            try:
                L[j] = np.linalg.cholesky(F[j])
            except np.linalg.LinAlgError:
                who = "the shared (tied) scale matrix" if ct == "tied" else f"the scale matrix of component {j + 1}"
                raise FamilyFailure(
                    f"{who} is not positive definite (a component collapsed onto too few distinct points or onto "
                    f"a constant column). Increase reg_covar (now {self.reg_covar:g}), use fewer components or a "
                    "constrained covariance_type.") from None
        prep = _Prep()
        prep.mz, prep.F, prep.L, prep.dof, prep.params = mz, F, L, dof, params
        return prep

    # -- E-step --------------------------------------------------------------------------
    def _delta(self, data, prep):
        """Squared Mahalanobis distances on the observed coordinates (n, k), and 1/2 log|Sigma_oo|
        plus the log scales of the observed columns: (1, k) for complete data, else (n, k)."""
        k = prep.mz.shape[0]
        n = data.n
        if not data.held:
            delta = np.empty((n, k))
            half_logdet = np.empty((n if data.has_missing else 1, k))
            for s, e in row_ranges(n, data.block):
                db, hb = self._delta(self.rows(data, s, e), prep)
                delta[s:e] = db
                if data.has_missing:
                    half_logdet[s:e] = hb
                else:
                    half_logdet[:] = hb
            return delta, half_logdet
        delta = np.empty((n, k))
        if data.patterns is None:
            half_logdet = np.empty((1, k))
            for j in range(k):
                Y = thin_matmul(data.Z - prep.mz[j], _tri_inv(prep.L[j]).T)
                delta[:, j] = _row_sq(Y)
                half_logdet[0, j] = np.log(np.diag(prep.L[j])).sum() + data.log_scale.sum()
            return delta, half_logdet
        half_logdet = np.empty((n, k))
        for o, rows in data.patterns:
            if not o.any():  # nothing observed: density 1 (delta 0, no determinant)
                delta[rows] = 0.0
                half_logdet[rows] = 0.0
                continue
            Zo = data.Z[np.ix_(rows, np.flatnonzero(o))]
            ls = data.log_scale[o].sum()
            for j in range(k):
                try:
                    Lo = np.linalg.cholesky(prep.F[j][np.ix_(o, o)])
                except np.linalg.LinAlgError:
                    raise FamilyFailure(f"the scale matrix of component {j + 1} is not positive definite on "
                                        "the observed coordinates of some rows.") from None
                Y = thin_matmul(Zo - prep.mz[j, o], _tri_inv(Lo).T)
                delta[rows, j] = _row_sq(Y)
                half_logdet[rows, j] = np.log(np.diag(Lo)).sum() + ls
        return delta, half_logdet

    def _p_terms(self, data, nu):
        """Per distinct number of observed values p (rows: data.p_values) and component: the
        constant of the log-density and psi((nu + p)/2) - log((nu + p)/2)."""
        pv = data.p_values[:, None]
        half = (nu[None, :] + pv) / 2.0
        const = gammaln(half) - gammaln(nu / 2.0)[None, :] - 0.5 * pv * (np.log(nu)[None, :] + _LOG_PI)
        return const, digamma(half) - np.log(half)

    def _distances(self, data, prep):
        """``(delta, half_logdet, log1p(delta / nu))`` of a held block, kept on the block for the
        statistics of the same E-step (the same parameters)."""
        c = data.cache
        if c is not None and c[0] is prep:
            return c[1], c[2], c[3]
        delta, half_logdet = self._delta(data, prep)
        l1p = np.log1p(delta / prep.dof[None, :])
        data.cache = (prep, delta, half_logdet, l1p)
        return delta, half_logdet, l1p

    def log_prob(self, data, prep):
        """(n, k) log-densities in user units (observed coordinates only for incomplete rows)."""
        if not data.held:
            out = np.empty((data.n, prep.mz.shape[0]))
            for s, e in row_ranges(data.n, data.block):
                out[s:e] = self.log_prob(self.rows(data, s, e), prep)
            return out
        delta, half_logdet, l1p = self._distances(data, prep)
        nu = prep.dof
        const, _ = self._p_terms(data, nu)
        if data.patterns is None:
            out = l1p * (-0.5 * (nu + data.d))[None, :]
            out += const[data.p_index[0] if data.n else 0] - half_logdet[0]
            return out
        out = l1p * (-0.5 * (nu[None, :] + data.p[:, None]))
        out += const[data.p_index] - half_logdet
        return out

    def scale_weights(self, data, prep):
        """(n, k) expected scale weights ``u_ij = (nu_j + p_i) / (nu_j + delta_ij)``."""
        if not data.held:
            out = np.empty((data.n, prep.mz.shape[0]))
            for s, e in row_ranges(data.n, data.block):
                out[s:e] = self.scale_weights(self.rows(data, s, e), prep)
            return out
        delta = self._distances(data, prep)[0]
        if data.patterns is None:
            return (prep.dof + data.d)[None, :] / (prep.dof[None, :] + delta)
        return (prep.dof[None, :] + data.p[:, None]) / (prep.dof[None, :] + delta)

    @staticmethod
    def add_stats(a, b):
        """The statistics of the union of two disjoint row sets: ``nk``, ``sw``, ``s1``, ``T`` and ``a``
        are sums; ``c`` (the centres the moments are about: the current means) and ``dof`` are the
        same for both and carried."""
        out = dict(a)
        for key in ("nk", "sw", "s1", "T"):
            out[key] = a[key] + b[key]
        out["ob"] = None if a.get("ob") is None else a["ob"] + b["ob"]
        out["a"] = None if a["a"] is None or b["a"] is None else a["a"] + b["a"]
        return out

    def stats(self, data, prep, post):
        """The ECM statistics of rows with posteriors ``post`` ((n, k) or a RowResp): ``nk``, ``sw``
        (k,), ``s1`` (k, d), ``T`` (k, d, d) (first and second moments about the centres ``c``, the
        current means, weighted by tau u), ``a`` (k,) (the degrees-of-freedom sums), ``c``, ``dof``;
        sums over rows (:meth:`add_stats`)."""
        if not data.held or isinstance(post, RowResp):
            return reduce_stats(self, (self.stats(self.rows(data, s, e), prep, resp_block(post, s, e))
                                       for s, e in row_ranges(data.n, data.block)))
        _, _, l1p = self._distances(data, prep)
        u = self.scale_weights(data, prep)
        k = post.shape[1]
        d = data.d
        w = post * u
        nk = np.einsum("ij->j", post)  # (n, k).sum(axis=0) is 6-10x slower for small k
        sw = np.einsum("ij->j", w)
        s1 = np.empty((k, d))
        T = np.empty((k, d, d))
        nu = prep.dof
        # log u = log(nu + p) - log(nu) - log1p(delta / nu), the last from log_prob
        _, psi_terms = self._p_terms(data, nu)
        if data.patterns is None:
            logu_const = np.log(nu + d) - np.log(nu)
            a = nk * (logu_const + psi_terms[data.p_index[0] if data.n else 0]) - np.einsum("ij,ij->j", post, l1p + u)
        else:
            by_p = np.stack([np.bincount(data.p_index, weights=post[:, j], minlength=len(data.p_values))
                             for j in range(k)], axis=1)  # (n_p, k)
            logu_const = np.log(nu[None, :] + data.p_values[:, None]) - np.log(nu)[None, :]
            a = (by_p * (logu_const + psi_terms)).sum(axis=0) - np.einsum("ij,ij->j", post, l1p + u)
        if data.patterns is None:
            for j in range(k):
                D = data.Z - prep.mz[j]
                s1[j] = w[:, j] @ D
                T[j] = tmatmul(D * w[:, j:j + 1], D)
            ob = None
        else:
            s1[:] = 0.0
            T[:] = 0.0
            ob = np.zeros((k, d))  # observed mass: the ridge goes where data were observed (_m)
            for o, rows in data.patterns:
                ob[:, o] += post[rows].sum(axis=0)[:, None]
                oi, mi = np.flatnonzero(o), np.flatnonzero(~o)
                if not oi.size:  # nothing observed: E[u (x - c)(x - c)'] = the scale matrix (u = 1, x at c)
                    for j in range(k):
                        T[j] += post[rows, j].sum() * prep.F[j]
                    continue
                for j in range(k):
                    D = np.zeros((len(rows), d))
                    Do = data.Z[np.ix_(rows, oi)] - prep.mz[j, oi]
                    D[:, oi] = Do
                    if mi.size:
                        F = prep.F[j]
                        Soo, Smo = F[np.ix_(oi, oi)], F[np.ix_(mi, oi)]
                        B = np.linalg.solve(Soo, Smo.T).T  # (m, o): Sigma_mo Sigma_oo^-1
                        D[:, mi] = Do @ B.T
                        C = F[np.ix_(mi, mi)] - B @ Smo.T
                        T[j][np.ix_(mi, mi)] += post[rows, j].sum() * C
                    wj = w[rows, j]
                    s1[j] += wj @ D
                    T[j] += tmatmul(D * wj[:, None], D)
        return {"nk": nk, "sw": sw, "s1": s1, "T": T, "c": prep.mz.copy(), "a": a, "dof": nu.copy(), "ob": ob}

    # -- M-step --------------------------------------------------------------------------
    def m_step(self, data, stats, params):
        return self._m(data, stats, params, estimate_dof=not self.fix_dof)

    def _solve_dof(self, c):
        """Root in ``dof_bounds`` of -psi(nu/2) + log(nu/2) + 1 + c (decreasing in nu)."""
        lo, hi = self.dof_bounds

        def f(nu):
            return -digamma(nu / 2.0) + math.log(nu / 2.0) + 1.0 + c

        flo, fhi = f(lo), f(hi)
        if not np.isfinite(c) or fhi >= 0:
            return hi
        if flo <= 0:
            return lo
        return float(brentq(f, lo, hi, xtol=1e-10, rtol=1e-12))

    def _m(self, data, stats, params, estimate_dof):
        ct = self.covariance_type
        nk, sw, s1, T, c = stats["nk"], stats["sw"], stats["s1"], stats["T"], stats["c"]
        k, d = s1.shape
        tiny = 10 * np.finfo(float).eps
        delta_m = s1 / np.maximum(sw, tiny)[:, None]
        mz = c + delta_m
        num = T - sw[:, None, None] * np.einsum("ki,kj->kij", delta_m, delta_m)
        reg = data.reg_z
        if stats.get("ob") is not None:
            # a missing cell's conditional scale C holds the ridge already: add it where data were observed
            # (emdesk.engine._missing, module docstring), reg * ob / nk (tied: pooled; spherical: mean)
            from .._missing import _observed_fraction

            ob = stats["ob"]
            reg = reg * (_observed_fraction(ob.sum(axis=0), nk.sum()) if ct == "tied"
                         else _observed_fraction(ob, nk))  # (d,) or (k, d)
        if ct == "full":
            cz = num / np.maximum(nk, tiny)[:, None, None]
            cz[:, np.arange(d), np.arange(d)] += reg
        elif ct == "tied":
            cz = num.sum(axis=0) / max(float(nk.sum()), tiny) + np.diag(reg)
        elif ct == "diag":
            cz = np.diagonal(num, axis1=1, axis2=2) / np.maximum(nk, tiny)[:, None] + reg
        elif reg.ndim == 2:
            cz = np.trace(num, axis1=1, axis2=2) / d / np.maximum(nk, tiny) + reg.mean(axis=1)
        else:
            cz = np.trace(num, axis1=1, axis2=2) / d / np.maximum(nk, tiny) + reg[0]
        dof = np.array(stats["dof"], dtype=float)
        if estimate_dof and stats["a"] is not None:
            a = stats["a"]
            if self.dof_type == "shared":
                dof = np.full(k, self._solve_dof(float(a.sum() / max(float(nk.sum()), tiny))))
            else:
                dof = np.array([self._solve_dof(float(a[j] / nk[j])) if nk[j] > tiny else dof[j]
                                for j in range(k)])
        means = data.std.means_to_user(mz)
        cov = data.std.cov_to_user(cz, ct)
        if ct == "full":
            cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
        elif ct == "tied":
            cov = 0.5 * (cov + cov.T)
        issues = []
        if params is not None:
            low = nk < state_floor(data.n)
            if low.any():
                issues = empty_state_issues(nk, data.n, "component")
                means[low] = params["means"][low]
                if ct != "tied":
                    cov[low] = params["covariances"][low]
                dof[low] = np.asarray(params["dof"], dtype=float)[low]
                if self.dof_type == "shared" and not self.fix_dof:
                    dof[low] = dof[~low][0] if (~low).any() else dof[low]
        return {"means": means, "covariances": cov, "dof": dof}, issues

    def diagnose(self, data, params, occupancy, n_samples=None):
        """The degeneracy diagnosis (:func:`emdesk.engine.diagnostics.diagnose`) of ``params`` given each
        state's or component's ``occupancy`` (k,); ``n_samples`` the points they share (default: the rows)."""
        w = occupancy / max(float(occupancy.sum()), 1e-300)
        n = float(data.n) if n_samples is None else float(n_samples)
        try:
            return diagnose(w, params["covariances"], self.covariance_type, n, data.data_variances,
                            self.reg_covar)
        except ValueError:
            return ()

    def n_parameters(self, params):
        k, d = np.asarray(params["means"]).shape
        ct = self.covariance_type
        cov = {"full": k * d * (d + 1) // 2, "diag": k * d, "tied": d * (d + 1) // 2, "spherical": k}[ct]
        n_dof = 0 if self.fix_dof else (1 if self.dof_type == "shared" else k)
        return int(cov + k * d + n_dof)

    def sample(self, params, states, rng):
        """``x = mu + z / sqrt(g)``, ``z ~ N(0, Sigma)``, ``g ~ Gamma(nu/2, rate nu/2)``."""
        means = params["means"]
        k, d = means.shape
        full = full_covariances(params["covariances"], self.covariance_type, k, d)
        dof = self._dof_vector(params["dof"], k)
        out = np.empty((len(states), d))
        for j in range(k):
            sel = states == j
            m = int(sel.sum())
            if m:
                L = np.linalg.cholesky(full[j])
                g = rng.gamma(dof[j] / 2.0, 2.0 / dof[j], size=m)
                out[sel] = means[j] + matmul(rng.standard_normal((m, d)), L.T) / np.sqrt(g)[:, None]
        return out
