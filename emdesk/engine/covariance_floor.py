"""The ridge as a floor under the constrained covariance models' eigenvalues.

Why a floor is needed: :func:`emdesk.engine.covariance_models.mstep_covariances` adds the ridge
``n_k * reg_covar * diag(s**2)`` to every scatter ``W_k`` *before* the constrained solve, which is
what keeps each model's constraint.  For a model whose components have their own volume, shape and
orientation (VVV, VVI, VVE, ...) or share all of them (EEE, EEI, EEV's pooled eigenvalues) every
covariance is then at least the ridge.  But where components share some of these and not others
(VEI, EVI, VEE, EVE, VEV, EVV), the common part is a weighted average over components: a component
that spreads widely in one direction pulls the common shape (or volume) its way, and the component
whose scatter in another direction holds only the ridge (a constant column) gets ``lambda_k a_j``
below it.  A constant column beside clusters of different spreads gave eigenvalues of 0.67-0.86
x ``reg_covar`` (the issue's 9.4e-7 with 1e-6 was a milder case), so a ridge meant to keep every
covariance at least ``reg_covar`` did not.

The floor: after the constrained solve, a component whose covariance is below the ridge in some
direction is raised to it there, and only there: with ``S = diag(s) sqrt(reg_covar)``, the
eigenvalues of ``T_k = S^-1 Sigma_k S^-1`` under 1 are lifted to 1 by adding
``S V diag(1 - t) V^T S`` (the deficit only, so the rounding is that of the small correction, not
of the largest eigenvalue).  Diagonal models (``*I``) take ``max(sigma_kj, reg_j)`` per feature.
Components with every eigenvalue at or above the floor keep their bits, so fits that never reach
the floor are unchanged.  The price: where the floor acts, the model's constraint holds only up to
the ridge's size (e.g. EVI's equal volumes differ by ``reg_covar`` times a fraction), as mclust's
own solutions are not bounded by any ridge at all.
"""

from __future__ import annotations

import numpy as np

#: The models whose constrained M-step can put an eigenvalue under the ridge (shared and own parts).
FLOORED_MODELS = frozenset({"VEI", "EVI", "VEE", "EVE", "VEV", "EVV"})

#: A component is lifted when an eigenvalue is under the floor by more than this (relative): rounding
#: in the constrained solve stays as it is, so a fit at the floor by construction keeps its bits.
FLOOR_RTOL = 1e-12


def ridge_floor(cov, floor, diagonal: bool) -> np.ndarray:
    """``cov`` (k, d, d) with every component at least ``diag(floor)`` in the PSD order (to rounding).

    floor: (d,) the ridge per feature (``reg_covar * reg_scale**2``), all > 0.  ``diagonal``: the
    covariances are diagonal (the ``*I`` models): each variance is raised to its feature's floor.
    Components already at or above the floor are returned bit-equal."""
    cov = np.asarray(cov, dtype=float)
    floor = np.asarray(floor, dtype=float)
    d = cov.shape[1]
    if diagonal:
        var = np.diagonal(cov, axis1=1, axis2=2)
        low = var < floor[None] * (1.0 - FLOOR_RTOL)
        if not np.any(low):
            return cov
        out = cov.copy()
        idx = np.arange(d)
        out[:, idx, idx] = np.where(low, floor[None], var)
        return out
    s = np.sqrt(floor)
    T = cov / (s[:, None] * s[None, :])[None]
    T = 0.5 * (T + np.transpose(T, (0, 2, 1)))
    t, V = np.linalg.eigh(T)
    low = t[:, 0] < 1.0 - FLOOR_RTOL
    if not np.any(low):
        return cov
    out = cov.copy()
    for j in np.flatnonzero(low):
        lift = np.clip(1.0 - t[j], 0.0, None)
        lift[t[j] >= 1.0 - FLOOR_RTOL] = 0.0
        add = (V[j] * lift[None]) @ V[j].T * (s[:, None] * s[None, :])
        out[j] = cov[j] + 0.5 * (add + add.T)
    return out
