"""Models of a fit other than its best, without Qt: a restart as a model (:func:`restart_model`), a model's
components aligned to another's (:func:`aligned_model`), a one-state snapshot, and the starting parameters of
hand-placed means (:func:`start_parameters`).  Split from :mod:`emdesk.session`, which re-exports them."""

from __future__ import annotations

import math

import numpy as np

START_SAMPLE = 100_000        # rows used for the starting covariances of hand-placed means (a random subset)


def start_parameters(X: np.ndarray, means: np.ndarray, covariance_type: str, reg_covar: float):
    """Starting weights and covariances (scikit-learn shapes) for the placed ``means`` (k, d).

    Each complete row goes to its nearest placed mean (distance in units of each column's standard
    deviation); a component's covariance is that of its rows about its placed mean, shrunk towards the
    data's per-column variances with d + 1 pseudo-rows (so a mean placed where there are no rows still gets
    a sensible, positive-definite covariance), plus ``reg_covar``; weights are (rows + 1) / (n + k). The
    iteration-0 ellipses thus surround the placed means, and EM moves from there. On more than
    ``START_SAMPLE`` complete rows a fixed random subset of that size is used.
    Returns ``(weights, covariances)``, or ``(None, None)`` when there is no complete row.
    """
    X = np.asarray(X, dtype=float)
    M = np.asarray(means, dtype=float)
    k, d = M.shape
    Xc = X[np.all(np.isfinite(X), axis=1)]
    n = Xc.shape[0]
    if n == 0:
        return None, None
    if n > START_SAMPLE:  # starting values need no more rows than this; keeps Run instant on large data
        Xc = Xc[np.sort(np.random.default_rng(0).choice(n, START_SAMPLE, replace=False))]
        n = START_SAMPLE
    var = Xc.var(axis=0)
    from emdesk.engine.relative import absolute_reg_covar

    reg = absolute_reg_covar(reg_covar, var)  # (d,); reg_covar may be "relative" (emdesk.engine.relative)
    tiny = max(float(reg.max()) if reg.size else 0.0, 1e-12 * max(float(var.max()), 1.0), 1e-300)
    var = np.where(var > 0, var, tiny)
    sd = np.sqrt(var)
    step = max(1, 2_000_000 // max(k * d, 1))  # rows per chunk: bounded memory for many components
    lab = np.concatenate([
        (((Xc[i:i + step, None, :] - M[None]) / sd) ** 2).sum(axis=2).argmin(axis=1) for i in range(0, n, step)])
    m0 = d + 1.0
    prior = np.diag(var)
    counts = np.bincount(lab, minlength=k).astype(float)
    covs = np.empty((k, d, d))
    for i in range(k):
        R = Xc[lab == i] - M[i]
        S = R.T @ R  # scatter about the placed mean
        covs[i] = (S + m0 * prior) / (counts[i] + m0)
    covs += np.diag(reg)[None]
    weights = (counts + 1.0) / (n + k)
    if covariance_type not in ("full", "tied", "diag", "spherical"):  # mclust's names: their layout
        from emdesk.engine._validation import covariance_layout

        covariance_type = covariance_layout(covariance_type, d)
    if covariance_type == "full":
        out = covs
    elif covariance_type == "tied":
        out = np.einsum("i,ijk->jk", weights, covs)
    elif covariance_type == "diag":
        out = np.diagonal(covs, axis1=1, axis2=2).copy()
    elif covariance_type == "spherical":
        out = np.diagonal(covs, axis1=1, axis2=2).mean(axis=1)
    else:
        raise ValueError(f"Unknown covariance_type {covariance_type!r}.")
    return weights, out


_NOT_COPIED = ("n_components", "covariance_type", "weights_init", "means_init", "covariances_init")


def _n_samples(model):
    n = getattr(model, "n_samples_", None)
    if n is None or not np.isfinite(n) or n <= 0:
        return None
    return float(n)


def restart_issues(model, i: int):
    """The degeneracy diagnosis of restart ``i`` of a fitted model (empty if it cannot be made)."""
    from emdesk.engine.diagnostics import diagnose

    p = model.restart_parameters_[i]
    if "issues" in p:  # structure x family models (HMMs) keep each restart's diagnosis
        return tuple(p["issues"] or ())
    dv = getattr(model, "data_variances_", None)
    n = _n_samples(model)
    if dv is None or n is None or "covariances" not in p or not hasattr(model, "covariance_type"):
        return ()
    try:
        from emdesk.engine.relative import absolute_reg_covar

        layout = model._layout() if hasattr(model, "_layout") else model.covariance_type  # mclust's names
        reg = getattr(model, "reg_covar_", None)  # what the fit added (reg_covar may be "relative")
        if reg is None:
            reg = absolute_reg_covar(model.reg_covar, dv)
        dc = getattr(model, "data_covariance_", None)  # full/tied: judged against the data's covariance
        return diagnose(p["weights"], p["covariances"], layout, n, dv if dc is None else dc, reg)
    except ValueError:
        return ()


def restart_model(model, i: int):
    """A fitted ``GaussianMixture`` holding restart ``i``'s final parameters (built with
    ``GaussianMixture.from_parameters``; the same engine options, its own log-likelihood,
    iterations, convergence flag and degeneracy diagnosis, and the column names). ValueError for a
    restart that does not exist or parameters the model layer refuses."""
    from emdesk.engine import GaussianMixture

    n_restarts = len(model.restart_parameters_)
    if not 0 <= int(i) < n_restarts:
        raise ValueError(f"restart must be between 0 and {n_restarts - 1}; got {i}.")
    i = int(i)
    p = model.restart_parameters_[i]
    params = {k: v for k, v in model.get_params().items() if k not in _NOT_COPIED}
    m = GaussianMixture.from_parameters(p["weights"], p["means"], p["covariances"], model.covariance_type, **params)
    ll = float(p.get("log_likelihood", math.nan))
    n = _n_samples(model)
    m.log_likelihood_ = ll
    m.lower_bound_ = ll / n if n else math.nan
    m.n_iter_ = int(p.get("n_iter", 0))
    m.converged_ = bool(p.get("converged", False))
    m.restart_log_likelihoods_ = np.array([ll])
    m.restart_parameters_ = [dict(p)]
    m.restart_degenerate_ = np.array([bool(np.ravel(getattr(model, "restart_degenerate_", [False] * n_restarts))[i])])
    m.best_restart_ = 0
    if getattr(model, "data_variances_", None) is not None:
        m.data_variances_ = np.array(model.data_variances_, copy=True)
    if n is not None:
        m.n_samples_ = n
    m.degeneracies_ = restart_issues(model, i)
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        m.feature_names_in_ = names
    return m


def single_state_snapshot(model, n_samples: float):
    """A fitted model as the one frozen state of a timeline (a model from model selection or a file)."""
    from emdesk.engine.snapshot import Snapshot, frozen_copy

    if hasattr(model, "_family") and hasattr(model, "_state"):  # Student-t, Poisson, latent class (issue 13)
        from emdesk.session_hmm import family_state_snapshot

        return family_state_snapshot(model, n_samples)

    return Snapshot(
        restart=0, n_init=1, iteration=int(getattr(model, "n_iter_", 0)),
        weights=frozen_copy(model.weights_), means=frozen_copy(model.means_),
        covariances=frozen_copy(model.covariances_), covariance_type=model.covariance_type,
        log_likelihood=float(getattr(model, "log_likelihood_", np.nan)),
        lower_bound=float(getattr(model, "lower_bound_", np.nan)), change=np.nan,
        converged=bool(getattr(model, "converged_", False)), final=True,
        n_samples=float(n_samples), missing=getattr(model, "missing", "error"),
    )


# ==================================================================================== the session


def aligned_model_and_permutation(model, reference):
    """``(aligned_model(model, reference), permutation)``; the permutation (new component j = old
    ``permutation[j]``) is None when the model was left as it is."""
    m = aligned_model(model, reference)
    if m is model:
        return model, None
    from emdesk.engine.align import align

    return m, np.asarray(align(model, reference).permutation, dtype=int)


def relabel_snapshot(snap, permutation):
    """A Gaussian mixture snapshot with its components reordered (new j = old ``permutation[j]``): weights,
    means, covariances (when they have a component axis), responsibilities and the components named by its
    degeneracy issues (their numbers in the messages too)."""
    import dataclasses
    import re

    from emdesk.engine.align import has_component_axis
    from emdesk.engine.snapshot import frozen_copy

    perm = np.asarray(permutation, dtype=int)
    k, d = np.shape(snap.means)
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size)
    cov = np.asarray(snap.covariances)
    if has_component_axis(cov, snap.covariance_type, k, d):
        cov = cov[perm]
    resp = snap.responsibilities
    issues = []
    for issue in snap.issues or ():
        c = getattr(issue, "component", None)
        if isinstance(c, (int, np.integer)) and 0 <= c < k:
            new = int(inverse[c])
            message = re.sub(rf"^Component {c + 1}\b", f"Component {new + 1}", issue.message)
            issue = dataclasses.replace(issue, component=new, message=message)
        issues.append(issue)
    return dataclasses.replace(
        snap, weights=frozen_copy(np.asarray(snap.weights)[perm]), means=frozen_copy(np.asarray(snap.means)[perm]),
        covariances=frozen_copy(cov), responsibilities=None if resp is None else frozen_copy(np.asarray(resp)[:, perm]),
        issues=tuple(issues))


def aligned_model(model, reference):
    """``model`` with its components reordered to match ``reference`` (``emdesk.engine.align``: minimum-cost
    matching on the symmetrised Kullback-Leibler divergence), so a model loaded in place of another keeps
    each cluster's colour and position. Returns ``model`` itself when the order already matches, when
    either is not a fitted mixture of the same columns, or when the components cannot be compared; else a
    model rebuilt (``from_parameters``) with its components in the new order and its fit statistics copied
    (its ``restart_parameters_`` keep the order EM found)."""
    import copy

    from emdesk.engine.align import align

    if reference is None or model is reference or getattr(model, "degeneracies_", ()):
        return model
    try:
        a = align(model, reference)
    except (ValueError, AttributeError, TypeError, KeyError):
        return model
    if a.is_identity:
        return model
    if np.asarray(a.permutation).size != np.shape(model.means_)[0]:
        return model
    cls = type(model)
    if not hasattr(cls, "from_parameters"):
        return model
    params = {key: v for key, v in model.get_params().items() if key not in _NOT_COPIED}
    try:  # rebuilt from its parameters: every derived array (precisions, caches) follows the new order
        m = cls.from_parameters(a.weights, a.means, a.covariances, model.covariance_type, **params)
    except (ValueError, TypeError):
        return model
    for name in ("log_likelihood_", "lower_bound_", "n_iter_", "converged_", "n_samples_", "data_variances_",
                 "feature_names_in_", "restart_log_likelihoods_", "restart_parameters_", "best_restart_",
                 "restart_degenerate_", "n_rows_all_missing_", "column_notes_"):
        if hasattr(model, name):
            setattr(m, name, copy.deepcopy(getattr(model, name)))
    return m
