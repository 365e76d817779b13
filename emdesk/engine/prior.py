"""mclust's conjugate prior and the MAP M-step (Fraley & Raftery 2007).

Fraley, C. & Raftery, A. E. (2007), "Bayesian regularization for normal mixture estimation and
model-based clustering", Journal of Classification 24, 155-181; mclust's ``priorControl()`` /
``defaultPrior()`` (``R/mclust.R``) and the Fortran ``ms*p`` routines (``src/mclust.f``), the
reference implementation followed here.

The prior on component ``k``: ``mu_k | Sigma_k ~ N(mean, Sigma_k / shrinkage)`` and
``Sigma_k ~ inverse Wishart(dof, scale)`` (inverse gamma for the spherical and diagonal
models).  mclust's default (:func:`default_prior`):

    shrinkage = 0.01,  mean = the data's mean,
    one feature:            dof = 3,      scale = var(x) / G^2
    spherical and diagonal: dof = d + 2,  scale = sum_j var(x_j) / d * G^(-2/d)  (a number)
    ellipsoidal:            dof = d + 2,  scale = var(X) * G^(-2/d)  (diag(var) if n <= d)

The MAP M-step (:func:`map_mstep`), with ``n_k``, ``xbar_k``, ``W_k`` the weighted count, mean
and scatter, ``kappa`` the shrinkage and ``B_k = W_k + kappa n_k/(n_k + kappa) (xbar_k -
mean)(xbar_k - mean)^T``:

    mu_k    = (n_k xbar_k + kappa mean) / (n_k + kappa)
    VVV:    Sigma_k = (scale + B_k) / (dof + n_k + d + 2)
    EEE:    Sigma   = (scale + sum_k B_k) / (dof + n + d + 1 + G)
    VII:    sigma_k^2 = (scale + tr B_k) / (dof + (n_k + 1) d + 2)
    E:      sigma^2 = (scale + sum_k B_k) / (dof + n + G + 2)
    V:      sigma_k^2 = (scale + B_k) / (dof + n_k + 3)

(the ``+1`` / ``+G`` terms count the means' prior and drop out with ``shrinkage = 0``, as in
mclust).  mclust has a prior for E, V, EII, VII, EEI, VEI, EVI, VVI, EEE, EEV, VEV, VVV, not for
VEE, EVE, VVE, EVV (``mstepVEE`` etc. warn "not available with prior"); so does this module.
Where mclust's routine departs from the formulas above, this module does what mclust does, so that
results agree with mclust; the departures are listed in :data:`MCLUST_DEPARTURES`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .covariance_models import DegenerateMStep, canonical_model, mstep_covariances, scatter_matrices

#: Models with a MAP M-step in mclust (and here).
PRIOR_MODELS = ("E", "V", "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "EEV", "VEV", "VVV")

MCLUST_DEPARTURES = {
    "EII": "the prior scale is not used and the scatter is taken about the posterior mean (mseiip)",
    "EEI": "the means are not shrunk; the scale is added once, not per component (mseeip)",
    "EEV": "the shrinkage is set to 0 (means not shrunk, no shrinkage term) (mseevp)",
    "VEV": "the volumes are divided by n_k d, without the prior's degrees of freedom (msvevp)",
    "E/EEE": "the denominators use the number of rows rather than sum of z (equal when rows of z sum to 1)",
}


@dataclass(frozen=True)
class ConjugatePrior:
    """Normal-inverse-Wishart prior.  shrinkage: kappa >= 0; mean: (d,); dof: nu;
    scale: a number (spherical / diagonal / 1-D models) or (d, d)."""

    shrinkage: float
    mean: np.ndarray
    dof: float
    scale: object


def default_prior(X, n_components, model, *, shrinkage=0.01, mean=None, dof=None, scale=None) -> ConjugatePrior:
    """mclust's ``defaultPrior(data, G, modelName)`` for ``X`` (n, d) and ``G = n_components``.

    Keywords override the defaults as ``priorControl(shrinkage=, mean=, dof=, scale=)`` does (one
    departure: mclust 6.0.0's ``defaultPrior`` ignores a ``dof`` given and keeps d + 2 (3 in 1-D), checked
    with ``priorControl(shrinkage = 0.1, dof = 6)`` on faithful; here ``dof`` is used).
    Raises ValueError for a model without a prior, negative shrinkage, too few rows, or a ``mean`` /
    ``scale`` of the wrong size (scale: a number for spherical, diagonal and 1-D models, else d x d)."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n, d = X.shape
    if n < 2:
        raise ValueError("the default prior needs at least 2 rows")
    G = int(n_components)
    if G < 1:
        raise ValueError("n_components must be >= 1")
    m = canonical_model(model, d)
    if m not in PRIOR_MODELS:
        raise ValueError(f"mclust has no conjugate prior for model {m} (only {', '.join(PRIOR_MODELS)})")
    shrinkage = 0.0 if shrinkage is None or not shrinkage else float(shrinkage)
    if shrinkage < 0:
        raise ValueError("shrinkage must be >= 0")
    if mean is not None and np.size(mean) != d:
        raise ValueError(f"prior: mean must have {d} values (one per feature); got {np.size(mean)}.")
    if scale is not None:
        want = 1 if (d == 1 or m[-1] == "I") else d * d
        if np.size(scale) != want:
            raise ValueError(f"prior: scale must be {'a number' if want == 1 else f'a {d} x {d} matrix'} for "
                             f"model {m}; got {np.size(scale)} values.")
        if want > 1:
            sc = np.asarray(scale, dtype=float).reshape(d, d)
            if not np.allclose(sc, sc.T, rtol=1e-10, atol=0) or np.any(np.linalg.eigvalsh((sc + sc.T) / 2) <= 0):
                raise ValueError("prior: scale must be a symmetric positive definite matrix.")
        elif not float(np.ravel(scale)[0]) > 0:
            raise ValueError("prior: scale must be positive.")
        scale = np.ravel(scale)[0] if want == 1 else scale
    mean = X.mean(axis=0) if mean is None else np.asarray(mean, dtype=float).reshape(d)
    if d == 1 and m in ("E", "V"):
        dof_ = 3.0
        scale_ = float(np.var(X[:, 0], ddof=1)) / G**2 if scale is None else float(scale)
    elif m[-1] == "I":
        dof_ = d + 2.0
        scale_ = (G ** (-2.0 / d)) * float(np.sum(np.var(X, axis=0, ddof=1))) / d if scale is None else float(scale)
    else:
        dof_ = d + 2.0
        if scale is None:
            fac = G ** (-2.0 / d)
            scale_ = fac * (np.cov(X, rowvar=False).reshape(d, d) if n > d else np.diag(np.var(X, axis=0, ddof=1)))
        else:
            scale_ = np.asarray(scale, dtype=float).reshape(d, d)
    if dof is not None:
        dof_ = float(dof)
    return ConjugatePrior(shrinkage, mean, dof_, scale_)


def check_scale(scale, rows, names=None) -> None:
    """The prior's scale (the data's covariance, or its variance in one column, unless given) must be
    positive definite, or the MAP covariances are singular and EM stops with no useful reason: name the
    constant columns (or the dependent ones) in a ValueError instead; ``rows`` (n, d) are the
    complete rows the prior came from, ``names`` the columns' names.  Found by the newcomer test: a
    constant column with prior="default" ended in "the MAP covariance of component 1 is not positive definite"."""
    rows = np.asarray(rows, dtype=float)
    d = rows.shape[1]
    sc = np.asarray(scale, dtype=float)
    if sc.ndim == 2:
        dg = np.diag(sc)
        ok = bool(np.all(dg > 0)) and float(np.linalg.eigvalsh(sc / np.sqrt(np.outer(dg, dg)))[0]) > 1e-10
    else:
        ok = bool(np.all(sc > 0))
    if ok:
        return
    names = names if names is not None else [f"column {j + 1}" for j in range(d)]
    const = [str(names[j]) for j in range(d) if np.ptp(rows[:, j]) == 0]
    why = (f"{', '.join(const)} {'is' if len(const) == 1 else 'are'} constant" if const
           else "the columns are linearly dependent (one is a fixed combination of the others)")
    raise ValueError(f"prior='default' cannot be used here: {why} in the rows with every value observed, "
                     f"so the prior's scale (the data's covariance) is singular. Leave "
                     f"{('it' if len(const) == 1 else 'them') if const else 'one of them'} out of the fit, "
                     + ("choose a diagonal or spherical covariance, " if d > 1 else "")
                     + "or fit without the prior.")


def map_mstep(model, X, resp, prior: ConjugatePrior, sample_weight=None):
    """MAP M-step under ``prior``: returns ``weights`` (k,), ``means`` (k, d), ``covariances``
    (k, d, d).  mclust's ``mstep(modelName, data, z, prior = priorControl())``.

    Raises ValueError for a model without a prior (see :data:`PRIOR_MODELS`) and
    :class:`~emdesk.engine.covariance_models.DegenerateMStep` for an empty component."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    nk, xbar, W = scatter_matrices(X, resp, sample_weight)
    # mclust divides E and EEE by the number of rows (z's rows sum to 1 there)
    n_rows = float(X.shape[0] if sample_weight is None else np.sum(sample_weight))
    means, cov = map_mstep_from_stats(model, nk, xbar, W, prior, n_rows)
    return nk / nk.sum(), means, cov


def map_mstep_from_stats(model, nk, xbar, W, prior: ConjugatePrior, n_rows=None):
    """The MAP means (k, d) and covariances (k, d, d) from weighted counts ``nk`` (k,), means
    ``xbar`` (k, d) and scatters ``W`` (k, d, d) (:func:`~emdesk.engine.covariance_models.
    scatter_matrices`); ``n_rows`` the number (or total weight) of rows, default ``sum(nk)``.

    For the spherical and diagonal models ``prior.scale`` may be a number or a (d,) vector (a
    number in the user's units becomes a vector after scaling the features)."""
    nk = np.asarray(nk, dtype=float)
    xbar = np.asarray(xbar, dtype=float)
    W = np.asarray(W, dtype=float)
    d = xbar.shape[1]
    m = canonical_model(model, d)
    if m not in PRIOR_MODELS:
        raise ValueError(f"mclust has no conjugate prior for model {m} (only {', '.join(PRIOR_MODELS)})")
    if np.any(nk <= 0):
        j = int(np.argmin(nk))
        raise DegenerateMStep(f"component {j + 1} has no weight", j)
    if n_rows is None:
        n_rows = float(nk.sum())
    k = len(nk)
    n = nk.sum()
    kap = float(prior.shrinkage)
    pm = np.asarray(prior.mean, dtype=float).reshape(d)
    if m == "EEV":
        kap = 0.0  # mclust mseevp sets the shrinkage to zero
    shrunk = (nk[:, None] * xbar + kap * pm) / (nk + kap)[:, None]
    means = xbar.copy() if m == "EEI" else shrunk  # mclust mseeip does not shrink the means
    dm = xbar - pm
    shrink_w = kap * nk / (nk + kap)
    B = W + shrink_w[:, None, None] * dm[:, :, None] * dm[:, None, :]
    extra = 1.0 if kap > 0 else 0.0  # the means' prior adds to the degrees of freedom
    nu = float(prior.dof)
    eye = np.eye(d)
    if m in ("E", "V"):
        s = float(np.asarray(prior.scale).reshape(-1)[0])
        if m == "E":
            var = (s + B[:, 0, 0].sum()) / (nu + n_rows + 2 + extra * k)
            cov = np.full((k, 1, 1), var)
        else:
            var = (s + B[:, 0, 0]) / (nu + nk + 2 + extra)
            cov = var[:, None, None]
    elif m == "VII":
        s = float(np.sum(np.broadcast_to(np.asarray(prior.scale, dtype=float), (d,))) / d)
        var = (s + np.trace(B, axis1=1, axis2=2)) / (nu + nk * d + 2 + extra * d)
        cov = var[:, None, None] * eye
    elif m == "EII":
        # mclust mseiip: scatter about the posterior mean (tr W_k + n_k |xbar_k - mu_k|^2),
        # plus the shrinkage term, no scale
        off = xbar - means
        tot = float(np.sum(np.trace(W, axis1=1, axis2=2) + nk * np.einsum("ij,ij->i", off, off)
                           + shrink_w * np.einsum("ij,ij->i", dm, dm)))
        var = tot / (nu + n * d + 2 + extra * k * d)
        cov = np.broadcast_to(var * eye, (k, d, d)).copy()
    elif m in ("EEI", "VVI", "EVI", "VEI"):
        s = np.broadcast_to(np.asarray(prior.scale, dtype=float), (d,))
        Bd = np.diagonal(B, axis1=1, axis2=2)
        if m == "EEI":  # mseeip: the scale is added once
            diag = np.broadcast_to((s + Bd.sum(axis=0)) / (nu + n + 2 + extra * k), (k, d))
        elif m == "VVI":  # msvvip
            diag = (s + Bd) / (nu + nk + 2 + extra)[:, None]
        elif m == "EVI":  # msevip
            w = s + Bd
            g = np.exp(np.mean(np.log(w), axis=1))
            lam = g.sum() / (nu + n + 2 + extra * k)
            diag = lam * w / g[:, None]
        else:  # msveip: the VEI fixed point on s + B_k with prior degrees of freedom
            w = s + Bd
            a = np.ones(d)
            lam = np.ones(k)
            for _ in range(10_000):
                lam_new = (w / a).sum(axis=1) / (nu + d * nk + 2 + extra)
                a_new = (w / lam_new[:, None]).sum(axis=0)
                a_new = a_new / np.exp(np.mean(np.log(a_new)))
                err = max(np.max(np.abs(lam_new - lam) / (1 + lam_new)), np.max(np.abs(a_new - a) / (1 + a_new)))
                lam, a = lam_new, a_new
                if err <= 1e-13:
                    break
            diag = lam[:, None] * a[None, :]
        cov = diag[:, :, None] * eye
    elif m == "VVV":  # msvvvp
        S = np.asarray(prior.scale, dtype=float)
        cov = (S[None] + B) / (nu + nk + d + 1 + extra)[:, None, None]
    elif m == "EEE":  # mseeep
        S = np.asarray(prior.scale, dtype=float)
        cov = np.broadcast_to((S + B.sum(axis=0)) / (nu + n_rows + d + 1 + extra * k), (k, d, d)).copy()
    elif m == "EEV":  # mseevp: EEV on S + W_k, volume over (dof + d + 1 + n)
        S = np.asarray(prior.scale, dtype=float)
        cov = mstep_covariances("EEV", nk, S[None] + B).covariances * (n / (nu + d + 1 + n))
    else:  # VEV, msvevp: the VEV M-step on S + B_k (no prior degrees of freedom)
        S = np.asarray(prior.scale, dtype=float)
        cov = mstep_covariances("VEV", nk, S[None] + B).covariances
    for j in range(k):
        if not np.all(np.linalg.eigvalsh(cov[j]) > 0):
            raise DegenerateMStep(f"the MAP covariance of component {j + 1} is not positive definite", j)
    return means, cov


def prior_to_units(prior: ConjugatePrior, shift, scale) -> ConjugatePrior:
    """The same prior for data ``z = (x - shift) / scale`` (the engine's standardised units;
    ``scale`` (d,) positive).  A number as scale (spherical / diagonal models) becomes the
    per-feature vector ``scale / s_j^2``."""
    s = np.asarray(scale, dtype=float).reshape(-1)
    shift = np.asarray(shift, dtype=float).reshape(-1)
    mean = (np.asarray(prior.mean, dtype=float) - shift) / s
    sc = np.asarray(prior.scale, dtype=float)
    if sc.ndim == 2:
        sc_z = sc / np.outer(s, s)
    else:
        sc_z = np.broadcast_to(sc, s.shape) / (s * s)
    return ConjugatePrior(prior.shrinkage, mean, prior.dof, sc_z)


def map_engine_mstep(model, nk, means, cov, reg, d, prior: ConjugatePrior, n_rows=None):
    """The engine's M-step seam with a prior: ``means`` (k, d) and ``cov`` are what the
    unconstrained M-step of ``covariance_models.storage_type(model, d)`` returned (ridge ``reg``
    included; spherical (k,), diag (k, d), tied (d, d) or full (k, d, d)), ``nk`` (k,) the counts,
    ``prior`` in the same units (:func:`prior_to_units`).  Returns the MAP ``means`` and
    covariances in the same layout (without the ridge: mclust does not add one with a prior)."""
    from .covariance_models import scatters_from_storage, storage_type

    cov = np.asarray(cov, dtype=float)
    nk = np.asarray(nk, dtype=float)
    layout = storage_type(model, d)
    if d == 1:
        # One feature: every covariance_type is E or V, but the estimator keeps its own type's layout
        # (spherical (k,), diag (k, 1), tied (1, 1), full (k, 1, 1)); read it from the array (the layout of
        # E/V alone, "tied"/"full", broke spherical and diag one-column fits with the prior).
        layout = {1: "spherical", 3: "full"}.get(cov.ndim, "tied" if canonical_model(model, 1) == "E" else "diag")
    if layout == "tied":
        pooled = nk.sum() * (cov - np.diag(np.broadcast_to(np.asarray(reg, dtype=float), (d,))))
        W = (nk / nk.sum())[:, None, None] * pooled[None]  # only the sum over components is used
    else:
        W = scatters_from_storage(cov, nk, reg, d)
    means_map, cov_map = map_mstep_from_stats(model, nk, means, W, prior, n_rows)
    if layout == "full":
        return means_map, cov_map
    if layout == "tied":
        return means_map, cov_map[0]
    if layout == "diag":
        return means_map, np.diagonal(cov_map, axis1=1, axis2=2).copy()
    return means_map, cov_map[:, 0, 0].copy()



#: Models whose MAP M-step above is the maximum of the log-posterior written by
#: :func:`log_prior_density` (the fitted objective is then the posterior); mclust's other prior
#: models (EII, EEI, VEI, EVI, EEV, VEV) depart from a stated prior (see :data:`MCLUST_DEPARTURES`).
POSTERIOR_MODELS = ("E", "V", "VII", "VVI", "EEE", "VVV")


def _log_inv_gamma(v, a, b):
    from math import lgamma

    return a * np.log(b) - lgamma(a) - (a + 1.0) * np.log(v) - b / v


def log_prior_density(model, means, covariances, prior: ConjugatePrior) -> float:
    """Log density of the conjugate prior (Fraley & Raftery 2007) at the parameters: means (k, d) and
    covariances (k, d, d) (user units), for the models of :data:`POSTERIOR_MODELS`:

    * VVV: each ``Sigma_k ~ inverse Wishart(dof, scale)``; EEE: the shared ``Sigma`` once;
    * V, VII, VVI: each variance (VII: ``sigma_k^2``; VVI: every diagonal entry; V: ``sigma_k^2``)
      ``~ inverse gamma(dof / 2, scale / 2)``; E: the shared variance once;
    * with ``shrinkage > 0`` also ``mu_k | Sigma_k ~ N(mean, Sigma_k / shrinkage)`` for every component.

    The MAP M-step (:func:`map_mstep_from_stats`) maximises the log-likelihood plus this density, so
    EM with it increases their sum.  Raises ValueError for another model."""
    means = np.asarray(means, dtype=float)
    k, d = means.shape
    # (k, d, d); a one-feature spherical fit's variances could arrive with extra unit axes (k, 1, 1, 1, 1),
    # which made float() below raise TypeError (found with prior="default", covariance "spherical", 1 column)
    S = np.asarray(covariances, dtype=float).reshape(k, d, d)
    m = canonical_model(model, d)
    if m not in POSTERIOR_MODELS:
        raise ValueError(f"the prior's density is written for {', '.join(POSTERIOR_MODELS)}; not {m}")
    nu = float(prior.dof)
    kap = float(prior.shrinkage)
    pm = np.asarray(prior.mean, dtype=float).reshape(d)
    total = 0.0
    if m in ("VVV", "EEE"):
        from scipy.special import multigammaln

        scale = np.asarray(prior.scale, dtype=float).reshape(d, d)
        _, logdet_s = np.linalg.slogdet(scale)
        comps = range(k) if m == "VVV" else range(1)
        for j in comps:
            _, logdet = np.linalg.slogdet(S[j])
            total += (0.5 * nu * logdet_s - 0.5 * nu * d * np.log(2.0) - multigammaln(0.5 * nu, d)
                      - 0.5 * (nu + d + 1) * logdet - 0.5 * np.trace(np.linalg.solve(S[j], scale)))
    else:
        s = float(np.mean(np.broadcast_to(np.asarray(prior.scale, dtype=float), (d,))))
        if m in ("V", "VII"):
            total += float(np.sum(_log_inv_gamma(S[:, 0, 0], 0.5 * nu, 0.5 * s)))
        elif m == "E":
            total += float(_log_inv_gamma(S[0, 0, 0], 0.5 * nu, 0.5 * s))
        else:  # VVI: one scale per feature (a number in the user's units)
            sv = np.broadcast_to(np.asarray(prior.scale, dtype=float), (d,))
            total += float(np.sum(_log_inv_gamma(np.diagonal(S, axis1=1, axis2=2), 0.5 * nu, 0.5 * sv[None, :])))
    if kap > 0:
        for j in range(k):
            diff = means[j] - pm
            _, logdet = np.linalg.slogdet(S[j])
            total += (-0.5 * d * np.log(2 * np.pi) + 0.5 * d * np.log(kap) - 0.5 * logdet
                      - 0.5 * kap * float(diff @ np.linalg.solve(S[j], diff)))
    return float(total)


# ------------------------------------------------------------------ the ``prior`` keyword
#: The keys a ``prior`` dict may override, as mclust's ``priorControl(shrinkage=, mean=, dof=, scale=)``.
PRIOR_KEYS = ("shrinkage", "mean", "dof", "scale")


def check_prior(spec):
    """Validate the ``prior`` keyword of GaussianMixture / select_model and return it: None (maximum
    likelihood), ``"default"`` (mclust's ``priorControl()``) or a dict overriding some of
    :data:`PRIOR_KEYS` of the default (``{"shrinkage": 0.1}``; ``shrinkage`` >= 0, ``dof`` > 0, ``mean``
    a list of d numbers, ``scale`` a positive number (spherical, diagonal, one-feature models) or a d x d
    symmetric positive definite matrix (ellipsoidal models); d is checked when the data are known).
    Raises ValueError naming what is wrong."""
    if spec is None or (isinstance(spec, str) and spec == "default"):
        return spec
    if not isinstance(spec, dict):
        raise ValueError(f"prior must be None or 'default' (mclust's conjugate prior), or a dict of "
                         f"{', '.join(PRIOR_KEYS)} overriding the default; got {spec!r}.")
    unknown = sorted(str(k) for k in spec if k not in PRIOR_KEYS)
    if unknown:
        raise ValueError(f"prior: unknown key {', '.join(unknown)}; mclust's priorControl takes "
                         f"{', '.join(PRIOR_KEYS)}.")
    for key in ("shrinkage", "dof"):
        if key in spec:
            v = spec[key]
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v) \
                    or v < 0 or (key == "dof" and v == 0):
                raise ValueError(f"prior: {key} must be a finite number {'>= 0' if key == 'shrinkage' else '> 0'}; "
                                 f"got {v!r}.")
    for key in ("mean", "scale"):
        if key in spec:
            try:
                a = np.asarray(spec[key], dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"prior: {key} must be numbers; got {spec[key]!r}.") from None
            if not np.all(np.isfinite(a)) or a.ndim > (1 if key == "mean" else 2) or a.size == 0:
                raise ValueError(f"prior: {key} must be finite numbers ({'a vector' if key == 'mean' else 'a number or a matrix'}).")
            if key == "scale" and a.ndim == 0 and not a > 0:
                raise ValueError(f"prior: scale must be positive; got {spec[key]!r}.")
    return spec


def has_prior(covariance_type, d) -> bool:
    """True when GaussianMixture(covariance_type=...) with ``d`` features takes ``prior`` (its MAP step
    maximises the posterior: full/VVV, tied/EEE, diag/VVI, spherical/VII; every model in 1-D, E or V)."""
    try:
        return canonical_model(covariance_type, d) in POSTERIOR_MODELS
    except ValueError:
        return False


def prior_covariance_types(d) -> tuple:
    """The covariance_type names that take a prior with ``d`` features (scikit-learn's and mclust's)."""
    from .covariance_models import MODEL_NAMES, MODEL_NAMES_1D

    names = ("full", "tied", "diag", "spherical") + (MODEL_NAMES_1D if d == 1 else MODEL_NAMES)
    return tuple(n for n in names if has_prior(n, d))


def describe_prior(spec) -> str:
    """For the window, the report and emdesk-fit: ``"none"``, ``"mclust's default (conjugate)"`` or the
    overrides, e.g. ``"conjugate, shrinkage 0.1"``."""
    if spec is None:
        return "none"
    if spec == "default":
        return "mclust's default (conjugate)"
    parts = []
    for key in PRIOR_KEYS:
        if key in spec:
            a = np.asarray(spec[key], dtype=float)
            parts.append(f"{key} {a.item():g}" if a.ndim == 0 else f"{key} given")
    return "conjugate, " + ", ".join(parts) if parts else "mclust's default (conjugate)"


def prior_overrides(spec) -> dict:
    """The keywords of :func:`default_prior` a ``prior`` spec overrides (``{}`` for ``"default"``)."""
    if not isinstance(spec, dict):
        return {}
    return {k: spec[k] for k in PRIOR_KEYS if k in spec}
