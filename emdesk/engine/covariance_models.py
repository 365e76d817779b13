"""The 14 parsimonious Gaussian covariance models of Celeux & Govaert (1995), by mclust's names.

Every component covariance is decomposed as

    Sigma_k = lambda_k * D_k * A_k * D_k^T,

``lambda_k > 0`` the *volume* (``scale``), ``A_k`` diagonal with ``det A_k = 1`` the *shape*,
``D_k`` orthogonal the *orientation*.  A model name has three letters, volume / shape /
orientation, each ``E`` (equal across components), ``V`` (varying) or ``I`` (identity: shape
spherical or axes aligned with the coordinates):

    EII VII                      spherical
    EEI VEI EVI VVI              diagonal
    EEE VEE EVE VVE EEV VEV EVV VVV  ellipsoidal

With one feature only the volume is left: ``E`` (equal variance) and ``V`` (varying variance).
scikit-learn's four names map onto four of them: spherical = VII, diag = VVI, tied = EEE,
full = VVV (:data:`SKLEARN_NAMES`).

The M-step
----------
:func:`mstep_covariances` maximises the covariance part of the expected complete-data
log-likelihood of a mixture,

    Q(Sigma) = -1/2 * sum_k [ n_k log det Sigma_k + tr(W_k Sigma_k^-1) ],

``n_k = sum_i r_ik`` and ``W_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T`` the weighted scatter
about the weighted mean, under the model's constraint.  Closed forms (Celeux & Govaert 1995,
section 3, and mclust's Fortran ``ms*`` routines, the reference implementation) for EII, VII,
EEI, EVI, VVI, EEE, EEV, EVV, VVV; fixed-point iterations for the others:

* VEI, VEV: alternate volumes and the common shape (mclust ``msvei``, ``msvev``; Celeux &
  Govaert 1995, sections 3.2 and 3.3).  The problem is convex in the logarithms of volume and
  shape, so the fixed point is the unique maximum.
* VEE: alternate the common matrix ``C = D A D^T`` and the volumes (mclust ``msvee``; Celeux &
  Govaert 1995, p. 785).
* EVE, VVE: the common orientation by the majorisation-minimisation steps MM1 and MM2 of Browne
  & McNicholas (2014), "Estimating common principal components in high dimensions", ADAC 8,
  as mclust's ``mseve`` / ``msvve`` do them (started from ``D = I``, ``A_k = I``).  For VVE the
  orientation step weighs component ``k`` by ``1 / (lambda_k A_k)``, the weight the
  likelihood gives it (mclust weighs by ``1 / A_k``, leaving the volumes out; see
  :func:`mstep_covariances`).

Parameter counts are mclust's ``nVarParams`` / ``nMclustParams`` (mclust 6.1,
``R/mclust.R``).

Regularisation hook
-------------------
``reg_covar`` adds ``n_k * reg_covar * diag(reg_scale**2)`` to every scatter ``W_k`` before
the constrained M-step, so a ridge stated in standardised units (``reg_scale`` = each feature's
spread) keeps the model's constraint.  For VVV / VVI / VII / EEE and ``reg_scale = 1`` this is
exactly scikit-learn's ``reg_covar`` (``W_k / n_k + reg_covar * I``).  VEI, EVI, VEE, EVE, VEV and
EVV can put an eigenvalue under the ridge that way; it is then raised to it
(:mod:`emdesk.engine.covariance_floor`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._blas import tmatmul
from .covariance_floor import FLOORED_MODELS, ridge_floor

#: The 14 models for two or more features, in mclust's order of ``mclust.options("emModelNames")``.
MODEL_NAMES = (
    "EII", "VII", "EEI", "VEI", "EVI", "VVI",
    "EEE", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV",
)
#: The models for one feature.
MODEL_NAMES_1D = ("E", "V")
#: scikit-learn's covariance_type -> mclust's model name.
SKLEARN_NAMES = {"spherical": "VII", "diag": "VVI", "tied": "EEE", "full": "VVV"}
#: The three groups the models are offered in.
MODEL_GROUPS = {
    "spherical": ("EII", "VII"),
    "diagonal": ("EEI", "VEI", "EVI", "VVI"),
    "ellipsoidal": ("EEE", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV"),
}
#: Models whose M-step is iterative.
ITERATIVE_MODELS = frozenset({"VEI", "VEE", "EVE", "VVE", "VEV"})


class DegenerateMStep(ValueError):
    """The constrained M-step has no finite maximum (a component with no weight, or a
    singular scatter where the model needs it invertible).  ``component`` is 0-based, or -1
    when the fault is not one component's."""

    def __init__(self, message: str, component: int = -1):
        super().__init__(message)
        self.component = component


@dataclass(frozen=True)
class Decomposition:
    """``Sigma_k = scale[k] * orientation[k] @ diag(shape[k]) @ orientation[k].T``.

    scale: (k,) volumes ``lambda_k`` (``det(Sigma_k) ** (1/d)``).
    shape: (k, d) diagonals of ``A_k``, product 1.
    orientation: (k, d, d) orthogonal ``D_k`` (columns are the principal axes).
    For models with an ``E`` letter the corresponding entries are equal across components.
    """

    scale: np.ndarray
    shape: np.ndarray
    orientation: np.ndarray

    def covariances(self) -> np.ndarray:
        D = self.orientation
        return self.scale[:, None, None] * np.einsum("kij,kj,klj->kil", D, self.shape, D)


@dataclass(frozen=True)
class MStepResult:
    """covariances: (k, d, d); decomposition: :class:`Decomposition`; n_iter: iterations of an
    iterative M-step (0 for closed forms); converged: whether it met ``tol``."""

    covariances: np.ndarray
    decomposition: Decomposition
    n_iter: int
    converged: bool


# ----------------------------------------------------------------------------------- names

def canonical_model(name: str, d: int) -> str:
    """mclust's model name for ``name`` (one of :data:`MODEL_NAMES`, ``"E"``/``"V"``, or a
    scikit-learn covariance_type) with ``d`` features.  In 1-D the 14 names reduce to their
    volume letter (``"VVV"`` -> ``"V"``), as mclust's univariate models.  Raises ValueError
    for an unknown name or an ``E``/``V`` name with ``d > 1``."""
    if not isinstance(name, str):
        raise ValueError(f"covariance model must be a string, got {name!r}")
    m = SKLEARN_NAMES.get(name, name)
    if d == 1:
        if m in MODEL_NAMES:
            return m[0]
        if m in MODEL_NAMES_1D:
            return m
    else:
        if m in MODEL_NAMES:
            return m
        if m in MODEL_NAMES_1D:
            raise ValueError(f"model {name!r} is for one feature; with {d} use one of {', '.join(MODEL_NAMES)}")
    raise ValueError(
        f"unknown covariance model {name!r}: use one of {', '.join(MODEL_NAMES)}, "
        f"'E'/'V' for one feature, or {', '.join(SKLEARN_NAMES)}"
    )


def n_covariance_parameters(model: str, d: int, k: int) -> int:
    """Free parameters of the ``k`` covariances: mclust's ``nVarParams(modelName, d, G)``."""
    m = canonical_model(model, d)
    counts = {
        "E": 1, "V": k,
        "EII": 1, "VII": k,
        "EEI": d, "VEI": k + (d - 1), "EVI": 1 + k * (d - 1), "VVI": k * d,
        "EEE": d * (d + 1) // 2,
        "EVE": 1 + k * (d - 1) + d * (d - 1) // 2,
        "VEE": k + (d - 1) + d * (d - 1) // 2,
        "VVE": k + k * (d - 1) + d * (d - 1) // 2,
        "EEV": 1 + (d - 1) + k * d * (d - 1) // 2,
        "VEV": k + (d - 1) + k * d * (d - 1) // 2,
        "EVV": 1 - k + k * d * (d + 1) // 2,
        "VVV": k * d * (d + 1) // 2,
    }
    return int(counts[m])


def n_parameters(model: str, d: int, k: int) -> int:
    """All free parameters of a ``k``-component mixture: mclust's ``nMclustParams``
    (covariances + ``k*d`` means + ``k-1`` mixing proportions)."""
    return n_covariance_parameters(model, d, k) + k * d + (k - 1)


# ----------------------------------------------------------------------------- statistics

def scatter_matrices(X, resp, sample_weight=None):
    """Weighted counts, means and scatter matrices of ``X`` (n, d) under responsibilities
    ``resp`` (n, k), optionally times ``sample_weight`` (n,).

    Returns ``nk`` (k,), ``means`` (k, d), ``W`` (k, d, d) with
    ``W_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T`` (two-pass, about the weighted mean)."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    R = np.asarray(resp, dtype=float)
    if sample_weight is not None:
        R = R * np.asarray(sample_weight, dtype=float)[:, None]
    nk = R.sum(axis=0)
    if np.any(nk <= 0):
        j = int(np.argmin(nk))
        raise DegenerateMStep(f"component {j + 1} has no weight", j)
    means = tmatmul(R, X) / nk[:, None]
    k, d = means.shape
    W = np.empty((k, d, d))
    for j in range(k):
        C = X - means[j]
        W[j] = tmatmul(C * R[:, j:j + 1], C)
        W[j] = 0.5 * (W[j] + W[j].T)
    return nk, means, W


def expected_loglik(nk, W, covariances) -> float:
    """Covariance part of the expected complete-data log-likelihood,
    ``-1/2 sum_k [n_k log det S_k + tr(W_k S_k^-1)]`` (without the ``-n d/2 log 2 pi``).
    Raises DegenerateMStep if a covariance is not positive definite."""
    nk = np.asarray(nk, dtype=float)
    total = 0.0
    for j, (S, Wj) in enumerate(zip(np.asarray(covariances, float), np.asarray(W, float))):
        try:
            L = np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            raise DegenerateMStep(f"covariance {j + 1} is not positive definite", j) from None
        logdet = 2.0 * np.sum(np.log(np.diag(L)))
        Li = np.linalg.solve(L, np.eye(len(S)))
        total += nk[j] * logdet + np.sum((Li @ Wj) * Li)
    return -0.5 * total


# ------------------------------------------------------------------------------- helpers

def _geo_mean(v, axis=-1):
    return np.exp(np.mean(np.log(v), axis=axis))


def _eigh_desc(W):
    """Eigen-decomposition of symmetric W (..., d, d), eigenvalues decreasing."""
    vals, vecs = np.linalg.eigh(W)
    return vals[..., ::-1], vecs[..., ::-1]


def _check_positive(v, what, comp_axis=None):
    v = np.asarray(v)
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        comp = -1
        if comp_axis is not None:
            bad = ~(np.isfinite(v) & (v > 0))
            comp = int(np.argwhere(bad)[0][0])
        where = f" (component {comp + 1})" if comp >= 0 else ""
        raise DegenerateMStep(f"{what} is singular{where}: the model's M-step has no finite maximum", comp)


def _rel_change(new, old):
    return float(np.max(np.abs(new - old) / (1.0 + np.abs(new))))


# ------------------------------------------------------------------------------- M-step

def mstep_covariances(model, nk, W, *, reg_covar=0.0, reg_scale=None, tol=1e-12, max_iter=10_000,
                      init: Decomposition | None = None, vve_mclust: bool = False) -> MStepResult:
    """Constrained M-step for the covariances.

    Parameters
    ----------
    model : str
        One of :data:`MODEL_NAMES` (``"E"``/``"V"`` in 1-D) or a scikit-learn name.
    nk : (k,) weighted counts, all > 0.
    W : (k, d, d) weighted scatter matrices about the component means
        (:func:`scatter_matrices`).
    reg_covar : float >= 0, ridge added as ``n_k * reg_covar * diag(reg_scale**2)`` to ``W_k``.
    reg_scale : (d,) per-feature scale of the ridge (the data's spread for a ridge in
        standardised units); default ones.
    tol, max_iter : stopping rule of the iterative models (largest relative change of volume,
        shape or orientation parameters below ``tol``).
    init : warm start of an iterative model (e.g. the previous EM iteration's decomposition);
        default mclust's start.
    vve_mclust : VVE only: weigh component ``k`` in the orientation step by ``A_k^-1`` as
        mclust 6 does (``msvve``) instead of ``(lambda_k A_k)^-1``.  mclust's fixed point is not
        the constrained maximum when the volumes differ (on the data of
        ``tests/engine/test_covariance_models.py`` it is 0.0068 below it); the default is the
        maximum.  Kept to reproduce mclust's numbers.

    Returns
    -------
    :class:`MStepResult` with covariances (k, d, d) in the units of ``W``.

    Raises
    ------
    ValueError for bad arguments; :class:`DegenerateMStep` (a ValueError) when the maximum is
    not finite (singular scatter, empty component).
    """
    W = np.asarray(W, dtype=float)
    if W.ndim != 3 or W.shape[1] != W.shape[2]:
        raise ValueError(f"W must have shape (k, d, d), got {W.shape}")
    k, d, _ = W.shape
    nk = np.asarray(nk, dtype=float).reshape(-1)
    if nk.shape != (k,):
        raise ValueError(f"nk must have shape ({k},), got {nk.shape}")
    if not np.all(np.isfinite(nk)) or np.any(nk <= 0):
        j = int(np.argmin(np.where(np.isfinite(nk), nk, -np.inf)))
        raise DegenerateMStep(f"component {j + 1} has no weight", j)
    if not np.all(np.isfinite(W)):
        raise ValueError("W holds NaN or infinite values")
    reg_covar = float(reg_covar)
    if not reg_covar >= 0:
        raise ValueError(f"reg_covar must be >= 0, got {reg_covar}")
    if tol <= 0 or max_iter < 1:
        raise ValueError("tol must be > 0 and max_iter >= 1")
    m = canonical_model(model, d)
    W = 0.5 * (W + np.transpose(W, (0, 2, 1)))
    if reg_covar > 0:
        s2 = np.ones(d) if reg_scale is None else np.asarray(reg_scale, dtype=float) ** 2
        if s2.shape != (d,) or not np.all(np.isfinite(s2)) or np.any(s2 <= 0):
            raise ValueError(f"reg_scale must be ({d},) positive finite values")
        W = W + (nk * reg_covar)[:, None, None] * np.diag(s2)[None]
    fn = _MSTEPS[m if d > 1 else ("VVV" if m == "V" else "EEE")]
    if m == "VVE" and vve_mclust:
        fn = _m_vve_mclust
    scale, shape, orient, n_iter, conv = fn(nk, W, tol, max_iter, init)
    scale = np.broadcast_to(np.asarray(scale, float), (k,)).copy()
    shape = np.broadcast_to(np.asarray(shape, float), (k, d)).copy()
    orient = np.broadcast_to(np.asarray(orient, float), (k, d, d)).copy()
    dec = Decomposition(scale, shape, orient)
    cov = dec.covariances()
    cov = 0.5 * (cov + np.transpose(cov, (0, 2, 1)))
    if reg_covar > 0 and m in FLOORED_MODELS:  # shared and own parts: the ridge is also a floor afterwards
        cov = ridge_floor(cov, reg_covar * s2, diagonal=m[-1] == "I")
    return MStepResult(cov, dec, int(n_iter), bool(conv))


def mstep(model, X, resp, sample_weight=None, **kwargs):
    """M-step of a Gaussian mixture under ``model`` from data ``X`` (n, d) and
    responsibilities ``resp`` (n, k): returns ``weights`` (k,), ``means`` (k, d) and the
    :class:`MStepResult` (keywords as :func:`mstep_covariances`).  mclust's
    ``mstep(modelName, data, z)``."""
    nk, means, W = scatter_matrices(X, resp, sample_weight)
    res = mstep_covariances(model, nk, W, **kwargs)
    return nk / nk.sum(), means, res


def decompose(covariances, model=None) -> Decomposition:
    """Volume, shape and orientation of covariances (k, d, d) (eigenvalues decreasing).  For
    a diagonal model (``*I``) the orientation is the identity and the shape the diagonal."""
    S = np.asarray(covariances, dtype=float)
    k, d, _ = S.shape
    if model is not None and canonical_model(model, d)[-1] == "I" and d > 1:
        diag = np.diagonal(S, axis1=1, axis2=2)
        _check_positive(diag, "a covariance", comp_axis=0)
        scale = _geo_mean(diag)
        return Decomposition(scale, diag / scale[:, None], np.broadcast_to(np.eye(d), (k, d, d)).copy())
    vals, vecs = _eigh_desc(S)
    _check_positive(vals, "a covariance", comp_axis=0)
    scale = _geo_mean(vals)
    return Decomposition(scale, vals / scale[:, None], vecs)


# Each model's function returns (scale (k,) or scalar, shape (k,d) or (d,), orientation
# (k,d,d) or (d,d), n_iter, converged).

def _m_eii(nk, W, tol, max_iter, init):
    d = W.shape[1]
    lam = np.trace(W, axis1=1, axis2=2).sum() / (nk.sum() * d)
    _check_positive(lam, "the pooled scatter")
    return lam, np.ones(d), np.eye(d), 0, True


def _m_vii(nk, W, tol, max_iter, init):
    d = W.shape[1]
    lam = np.trace(W, axis1=1, axis2=2) / (nk * d)
    _check_positive(lam, "a scatter", comp_axis=0)
    return lam, np.ones(d), np.eye(d), 0, True


def _m_eei(nk, W, tol, max_iter, init):
    d = W.shape[1]
    B = np.diagonal(W, axis1=1, axis2=2).sum(axis=0)
    _check_positive(B, "the pooled scatter's diagonal")
    g = _geo_mean(B)
    return g / nk.sum(), B / g, np.eye(d), 0, True


def _m_vei(nk, W, tol, max_iter, init):
    # mclust msvei: shape A = 1, then alternate
    #   lambda_k = sum_j w_jk / a_j / (d n_k),   a_j ~ sum_k w_jk / lambda_k  (det A = 1).
    k, d, _ = W.shape
    w = np.diagonal(W, axis1=1, axis2=2)  # (k, d)
    _check_positive(w, "a scatter's diagonal", comp_axis=0)
    a = np.ones(d) if init is None else np.asarray(init.shape[0], float)
    lam = np.ones(k) if init is None else np.asarray(init.scale, float)
    conv = False
    for it in range(1, max_iter + 1):
        lam_new = (w / a).sum(axis=1) / (d * nk)
        a_new = (w / lam_new[:, None]).sum(axis=0)
        a_new = a_new / _geo_mean(a_new)
        err = max(_rel_change(lam_new, lam), _rel_change(a_new, a))
        lam, a = lam_new, a_new
        if err <= tol:
            conv = True
            break
    return lam, a, np.eye(d), it, conv


def _m_evi(nk, W, tol, max_iter, init):
    d = W.shape[1]
    B = np.diagonal(W, axis1=1, axis2=2)
    _check_positive(B, "a scatter's diagonal", comp_axis=0)
    g = _geo_mean(B)
    return g.sum() / nk.sum(), B / g[:, None], np.eye(d), 0, True


def _m_vvi(nk, W, tol, max_iter, init):
    d = W.shape[1]
    B = np.diagonal(W, axis1=1, axis2=2) / nk[:, None]
    _check_positive(B, "a scatter's diagonal", comp_axis=0)
    g = _geo_mean(B)
    return g, B / g[:, None], np.eye(d), 0, True


def _m_eee(nk, W, tol, max_iter, init):
    S = W.sum(axis=0) / nk.sum()
    vals, vecs = _eigh_desc(S)
    _check_positive(vals, "the pooled scatter")
    g = _geo_mean(vals)
    return g, vals / g, vecs, 0, True


def _m_vvv(nk, W, tol, max_iter, init):
    S = W / nk[:, None, None]
    vals, vecs = _eigh_desc(S)
    _check_positive(vals, "a scatter", comp_axis=0)
    g = _geo_mean(vals)
    return g, vals / g[:, None], vecs, 0, True


def _m_eev(nk, W, tol, max_iter, init):
    # Celeux & Govaert (1995) section 3.3; mclust mseev: W_k = L_k Om_k L_k^T,
    # A = sum Om_k / det^(1/d), lambda = det(sum Om_k)^(1/d) / n, D_k = L_k.
    vals, vecs = _eigh_desc(W)
    _check_positive(vals, "a scatter", comp_axis=0)
    om = vals.sum(axis=0)
    g = _geo_mean(om)
    return g / nk.sum(), om / g, vecs, 0, True


def _m_vev(nk, W, tol, max_iter, init):
    # mclust msvev: D_k = L_k (eigenvectors of W_k, decreasing), start from the EEV shape,
    # then lambda_k = tr(Om_k A^-1) / (d n_k), A ~ sum_k Om_k / lambda_k (det 1).
    k, d, _ = W.shape
    vals, vecs = _eigh_desc(W)
    _check_positive(vals, "a scatter", comp_axis=0)
    if init is None:
        a = vals.sum(axis=0)
        a = a / _geo_mean(a)
        lam = np.ones(k)
    else:
        a, lam = np.asarray(init.shape[0], float), np.asarray(init.scale, float)
    conv = False
    for it in range(1, max_iter + 1):
        lam_new = (vals / a).sum(axis=1) / (d * nk)
        a_new = (vals / lam_new[:, None]).sum(axis=0)
        a_new = a_new / _geo_mean(a_new)
        err = max(_rel_change(lam_new, lam), _rel_change(a_new, a))
        lam, a = lam_new, a_new
        if err <= tol:
            conv = True
            break
    return lam, a, vecs, it, conv


def _m_evv(nk, W, tol, max_iter, init):
    # mclust msevv: C_k = W_k / det(W_k)^(1/d), lambda = sum_k det(W_k)^(1/d) / n.
    vals, vecs = _eigh_desc(W)
    _check_positive(vals, "a scatter", comp_axis=0)
    g = _geo_mean(vals)
    return g.sum() / nk.sum(), vals / g[:, None], vecs, 0, True


def _m_vee(nk, W, tol, max_iter, init):
    # mclust msvee (Celeux & Govaert 1995, p. 784-785): lambda = 1, then
    #   C = sum_k W_k / lambda_k, C /= det(C)^(1/d);  lambda_k = tr(W_k C^-1) / (d n_k).
    k, d, _ = W.shape
    lam = np.ones(k) if init is None else np.asarray(init.scale, float)
    for j in range(k):
        if np.linalg.eigvalsh(W[j])[0] <= 0:
            raise DegenerateMStep(f"the scatter of component {j + 1} is singular", j)
    C = None
    conv = False
    for it in range(1, max_iter + 1):
        C_new = np.einsum("kij,k->ij", W, 1.0 / lam)
        vals = np.linalg.eigvalsh(C_new)
        _check_positive(vals, "the pooled scatter")
        C_new = C_new / _geo_mean(vals)
        Ci = np.linalg.inv(C_new)
        lam_new = np.einsum("kij,ji->k", W, Ci) / (d * nk)
        err = _rel_change(lam_new, lam)
        if C is not None:
            err = max(err, float(np.max(np.abs(C_new - C))) / (1.0 + float(np.max(np.abs(C_new)))))
        else:
            err = np.inf
        lam, C = lam_new, C_new
        if err <= tol:
            conv = True
            break
    vals, vecs = _eigh_desc(C)
    return lam, vals / _geo_mean(vals), vecs, it, conv


def _common_orientation(W, weights_of_shape, init_D, init_shape, tol, max_iter):
    """Common orientation D and per-component diagonal B_k minimising
    sum_k tr(D^T W_k D B_k^-1) with B_k = weights_of_shape(diag(D^T W_k D)): Browne &
    McNicholas (2014) MM1 then MM2 per iteration, as mclust mseve/msvve."""
    k, d, _ = W.shape
    omega = np.linalg.eigvalsh(W)[:, -1]  # largest eigenvalue of each W_k
    D = np.eye(d) if init_D is None else np.array(init_D, float)
    B = np.ones((k, d)) if init_shape is None else np.array(init_shape, float)
    conv = False
    for it in range(1, max_iter + 1):
        # MM1: F = sum_k B_k^-1 D^T (W_k - omega_k I); svd(F) = P S R^T; D^T <- P R^T
        Binv = 1.0 / B
        F = np.einsum("ka,ia,kil->al", Binv, D, W) - np.einsum("k,ka,ia->ai", omega, Binv, D)
        P, _, Rt = np.linalg.svd(F)
        D = (P @ Rt).T
        # MM2: F = sum_k (W_k D B_k^-1 - max(1/B_k) W_k D); svd(F) = P S R^T; D <- P R^T
        WD = np.einsum("kil,la->kia", W, D)
        F = np.einsum("kia,ka->ia", WD, Binv - Binv.max(axis=1, keepdims=True))
        P, _, Rt = np.linalg.svd(F)
        D_new = P @ Rt
        diag = np.einsum("ij,kil,lj->kj", D_new, W, D_new)
        B_new = weights_of_shape(diag)
        err = max(_rel_change(B_new, B), float(np.max(np.abs(np.abs(D_new.T @ D) - np.eye(d)))))
        D, B = D_new, B_new
        if err <= tol:
            conv = True
            break
    return D, diag, it, conv


def _m_eve(nk, W, tol, max_iter, init):
    # Sigma_k = lambda D A_k D^T: the common lambda does not change the orientation step.
    k, d, _ = W.shape
    for j in range(k):
        if np.linalg.eigvalsh(W[j])[0] <= 0:
            raise DegenerateMStep(f"the scatter of component {j + 1} is singular", j)

    def shape_of(diag):
        _check_positive(diag, "a scatter", comp_axis=0)
        return diag / _geo_mean(diag)[:, None]

    D0 = None if init is None else init.orientation[0]
    A0 = None if init is None else init.shape
    D, diag, it, conv = _common_orientation(W, shape_of, D0, A0, tol, max_iter)
    A = shape_of(diag)
    lam = np.sum(diag / A) / (nk.sum() * d)
    return lam, A, D, it, conv


def _m_vve(nk, W, tol, max_iter, init):
    # Sigma_k = lambda_k D A_k D^T; given D the maximum is lambda_k A_k = diag(D^T W_k D)/n_k,
    # so the orientation step weighs W_k by (lambda_k A_k)^-1.
    k, d, _ = W.shape
    for j in range(k):
        if np.linalg.eigvalsh(W[j])[0] <= 0:
            raise DegenerateMStep(f"the scatter of component {j + 1} is singular", j)

    def cov_diag(diag):
        _check_positive(diag, "a scatter", comp_axis=0)
        return diag / nk[:, None]

    D0 = None if init is None else init.orientation[0]
    B0 = None if init is None else init.scale[:, None] * init.shape
    D, diag, it, conv = _common_orientation(W, cov_diag, D0, B0, tol, max_iter)
    B = diag / nk[:, None]
    lam = _geo_mean(B)
    return lam, B / lam[:, None], D, it, conv


def _m_vve_mclust(nk, W, tol, max_iter, init):
    # mclust msvve: the orientation step weighs W_k by A_k^-1 (det 1), volumes left out.
    k, d, _ = W.shape
    for j in range(k):
        if np.linalg.eigvalsh(W[j])[0] <= 0:
            raise DegenerateMStep(f"the scatter of component {j + 1} is singular", j)

    def shape_of(diag):
        _check_positive(diag, "a scatter", comp_axis=0)
        return diag / _geo_mean(diag)[:, None]

    D0 = None if init is None else init.orientation[0]
    A0 = None if init is None else init.shape
    D, diag, it, conv = _common_orientation(W, shape_of, D0, A0, tol, max_iter)
    B = diag / nk[:, None]
    lam = _geo_mean(B)
    return lam, B / lam[:, None], D, it, conv


_MSTEPS = {
    "EII": _m_eii, "VII": _m_vii, "EEI": _m_eei, "VEI": _m_vei, "EVI": _m_evi, "VVI": _m_vvi,
    "EEE": _m_eee, "VEE": _m_vee, "EVE": _m_eve, "VVE": _m_vve, "EEV": _m_eev, "VEV": _m_vev,
    "EVV": _m_evv, "VVV": _m_vvv,
}


# --------------------------------------------------------------- the engine's storage seam

#: Models whose M-step is exactly one of scikit-learn's four (no constraint to apply).
_SKLEARN_EQUIVALENT = {"VII": "spherical", "VVI": "diag", "EEE": "tied", "VVV": "full", "E": "tied", "V": "full"}


def storage_type(model: str, d: int) -> str:
    """The scikit-learn covariance_type whose array layout stores ``model``'s covariances and
    evaluates its density: ``"spherical"`` (k,) for EII/VII, ``"diag"`` (k, d) for EEI/VEI/EVI/VVI,
    ``"tied"`` (d, d) for EEE and E, ``"full"`` (k, d, d) for the other models and V.  A
    scikit-learn name is returned unchanged."""
    if model in SKLEARN_NAMES:
        return model
    m = canonical_model(model, d)
    if m in _SKLEARN_EQUIVALENT:
        return _SKLEARN_EQUIVALENT[m]
    if m[1:] == "II":
        return "spherical"
    if m[2] == "I":
        return "diag"
    return "full"


def needs_constraint(model: str, d: int) -> bool:
    """False when the engine's scikit-learn M-step for :func:`storage_type` already is the
    model's M-step (VII, VVI, EEE, VVV, E, V and the scikit-learn names)."""
    if model in SKLEARN_NAMES:
        return False
    return canonical_model(model, d) not in _SKLEARN_EQUIVALENT


def constrain_storage(model, cov, nk, reg, *, init: Decomposition | None = None, tol=1e-10, max_iter=10_000):
    """Turn the unconstrained M-step of :func:`storage_type` into ``model``'s M-step.

    cov: covariances as the unconstrained M-step gives them, i.e. ``W_k / n_k + reg``: diag
    storage (k, d) ``diag W_k / n_k + reg``; full (k, d, d) ``W_k / n_k + diag(reg)``; for
    spherical storage pass the (k,) variances ``tr W_k / (n_k d) + reg`` repeated to (k, d)
    and take column 0 of the result.  Any units.
    nk: (k,) weighted counts.  reg: the ridge that was added (a number for spherical, (d,)
    otherwise; zeros allowed).  Returns (covariances in the same layout, :class:`MStepResult`);
    the same ridge is kept, inside the constraint (see the module's regularisation hook)."""
    cov = np.asarray(cov, dtype=float)
    nk = np.asarray(nk, dtype=float)
    k = nk.shape[0]
    if cov.ndim == 1:  # spherical storage: needs d from the model's scatter; trace is enough
        raise ValueError("spherical storage needs d: pass cov as (k, d) diagonal variances")
    d = cov.shape[1]
    layout = "full" if cov.ndim == 3 else "diag"
    reg = np.broadcast_to(np.asarray(reg, dtype=float), (d,))
    if layout == "full":
        W = nk[:, None, None] * (cov - np.diag(reg)[None])
    else:
        W = nk[:, None, None] * ((cov - reg[None]) [:, :, None] * np.eye(d)[None])
    pos = bool(np.all(reg > 0))
    res = mstep_covariances(model, nk, W, reg_covar=1.0 if pos else 0.0,
                            reg_scale=np.sqrt(reg) if pos else None, init=init, tol=tol, max_iter=max_iter)
    if np.any(reg > 0) and not pos:  # a ridge on some features only: add it after the M-step
        res = MStepResult(res.covariances + np.diag(reg)[None], res.decomposition, res.n_iter, res.converged)
    if layout == "full":
        return res.covariances, res
    return np.diagonal(res.covariances, axis1=1, axis2=2).copy(), res


def scatters_from_storage(cov, nk, reg, d):
    """Undo the unconstrained M-step of the engine: scatters ``W`` (k, d, d) from its
    covariances in any storage layout (spherical (k,), diag (k, d), full (k, d, d)), the counts
    ``nk`` and the ridge ``reg`` (number or (d,)) it added.  Off-diagonal terms are zero for the
    spherical and diagonal layouts (all their models need)."""
    cov = np.asarray(cov, dtype=float)
    nk = np.asarray(nk, dtype=float)
    reg = np.broadcast_to(np.asarray(reg, dtype=float), (d,))
    eye = np.eye(d)
    if cov.ndim == 1:
        v = cov[:, None] - reg[None]
        return nk[:, None, None] * v[:, :, None] * eye
    if cov.ndim == 2:
        return nk[:, None, None] * (cov - reg[None])[:, :, None] * eye
    return nk[:, None, None] * (cov - np.diag(reg)[None])


def constrain_engine_mstep(model, cov, nk, reg, d, *, init: Decomposition | None = None, tol=1e-10,
                           max_iter=10_000):
    """One call for the engine's M-step seam.

    ``cov`` is what the unconstrained M-step of ``storage_type(model, d)`` returned: spherical
    (k,), diag (k, d) or full (k, d, d), ridge ``reg`` (a number, or (d,) per feature) included;
    ``nk`` (k,) the counts.  Returns ``model``'s covariances in the same layout and the
    :class:`MStepResult` (its ``decomposition`` warm-starts the next iteration).  Models that
    need no constraint (:func:`needs_constraint`) come back unchanged, with None."""
    cov = np.asarray(cov, dtype=float)
    if not needs_constraint(model, d):
        return cov, None
    if cov.ndim == 1:  # spherical storage, i.e. EII: only the traces matter
        reg_s = float(np.mean(np.broadcast_to(np.asarray(reg, dtype=float), (d,))))
        out, res = constrain_storage(model, np.repeat(cov[:, None], d, axis=1), nk, np.full(d, reg_s),
                                     init=init, tol=tol, max_iter=max_iter)
        return out[:, 0].copy(), res
    return constrain_storage(model, cov, nk, reg, init=init, tol=tol, max_iter=max_iter)
