"""Label alignment: reorder a mixture's components to match a reference by minimum-cost matching.

EM's component labels are arbitrary: two restarts, a bootstrap replicate or another model can find the same
clusters in another order (label switching).  Anything that compares or averages fits first puts the
components of one into the order of the other.  The matching is the assignment problem, solved exactly with
the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``), on one of three costs:

``"kl"`` (default)
    the symmetrised Kullback-Leibler divergence between the Gaussian components,
    ``KL(p||q) + KL(q||p) = 1/2 tr(Sq^-1 Sp + Sp^-1 Sq) + 1/2 dm' (Sp^-1 + Sq^-1) dm - d``
    (the log-determinants cancel), scale-free and using the covariances;
``"mahalanobis"``
    the squared distance between the means in the metric of the reference component's covariance;
``"labels"``
    minus the cross-tabulation of the MAP labels of both models on data ``X`` (the matching that keeps the
    most rows in the same cluster).

Only the public attributes of a fitted model are used (``weights_``, ``means_``, ``covariances_``,
``covariance_type``, ``predict``), so any covariance parametrisation whose ``covariances_`` has a component
axis (or none, when the covariance is shared) works.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["Alignment", "align", "align_posteriors", "as_parameters", "full_covariances", "has_component_axis",
           "match_cross_table", "permute", "permute_parameters"]

# covariance_type names whose covariance is one matrix shared by every component (scikit-learn's "tied"
# and mclust's EEE and E, stored as one (d, d) matrix as emdesk.engine.covariance_models.storage_type says)
_SHARED = {"tied", "EEE", "E"}


def has_component_axis(covariances, covariance_type, k, d) -> bool:
    """Whether axis 0 of ``covariances`` (in a model's ``covariances_`` shape) indexes the components.

    full ``(k, d, d)``, diag ``(k, d)``, spherical ``(k,)``: True; tied ``(d, d)``: False.  When the shape
    alone is ambiguous (``k == d``) the ``covariance_type`` decides.
    """
    c = np.asarray(covariances)
    if c.ndim == 3:
        return True
    if c.ndim == 0:
        return False
    if c.shape[0] != k:
        return False
    if c.ndim == 2 and c.shape == (d, d) and k == d:
        return covariance_type not in _SHARED
    if c.ndim == 1 and k == d:
        return covariance_type not in _SHARED
    return True


def full_covariances(covariances, covariance_type, k, d) -> np.ndarray:
    """The ``(k, d, d)`` covariance matrices of the components from ``covariances_`` in any of the shapes
    scikit-learn uses (full ``(k, d, d)``, tied ``(d, d)``, diag ``(k, d)``, spherical ``(k,)``) or a shared
    diagonal ``(d,)`` / shared variance ``()``.

    Raises ValueError for a shape that fits none of these.
    """
    c = np.asarray(covariances, dtype=float)
    per = has_component_axis(c, covariance_type, k, d)
    eye = np.eye(d)
    if c.ndim == 3 and c.shape == (k, d, d):
        return c.copy()
    if c.ndim == 2 and not per and c.shape == (d, d):
        return np.broadcast_to(c, (k, d, d)).copy()
    if c.ndim == 2 and per and c.shape == (k, d):
        return c[:, :, None] * eye
    if c.ndim == 1 and per and c.shape == (k,):
        return c[:, None, None] * eye
    if c.ndim == 1 and c.shape == (d,):
        return np.broadcast_to(np.diag(c), (k, d, d)).copy()
    if c.ndim == 0:
        return np.broadcast_to(float(c) * eye, (k, d, d)).copy()
    raise ValueError(
        f"covariances of shape {c.shape} do not fit {k} components in {d} dimensions "
        f"(covariance_type={covariance_type!r})."
    )


def as_parameters(model) -> dict:
    """``{"weights", "means", "covariances", "covariance_type"}`` (float arrays, copies) of a fitted model
    or of a dict with those keys.  Raises ValueError when something is missing."""
    if isinstance(model, dict):
        try:
            out = {key: model[key] for key in ("weights", "means", "covariances")}
        except KeyError as exc:
            raise ValueError(f"parameters need 'weights', 'means' and 'covariances'; {exc.args[0]!r} is missing.") from None
        out["covariance_type"] = model.get("covariance_type", "full")
    else:
        if not hasattr(model, "weights_"):
            raise ValueError("The model is not fitted: fit it (or use from_parameters) before aligning.")
        out = {"weights": model.weights_, "means": model.means_, "covariances": model.covariances_,
               "covariance_type": model.covariance_type}
    out["weights"] = np.array(out["weights"], dtype=float).reshape(-1)
    out["means"] = np.array(out["means"], dtype=float)
    if out["means"].ndim == 1:
        out["means"] = out["means"][:, None]
    out["covariances"] = np.array(out["covariances"], dtype=float)
    if out["means"].shape[0] != out["weights"].shape[0]:
        raise ValueError(f"{out['weights'].shape[0]} weights but {out['means'].shape[0]} means.")
    return out


def permute(params: dict, permutation) -> dict:
    """``params`` (as from :func:`as_parameters`) with components reordered: new component ``j`` is old
    component ``permutation[j]``.  A shared covariance is left as it is."""
    perm = np.asarray(permutation, dtype=int)
    k, d = params["means"].shape
    cov = params["covariances"]
    out = dict(params)
    out["weights"] = params["weights"][perm]
    out["means"] = params["means"][perm]
    out["covariances"] = cov[perm] if has_component_axis(cov, params["covariance_type"], k, d) else cov.copy()
    return out


@dataclass(frozen=True)
class Alignment:
    """The result of :func:`align`.

    permutation : (k,) int
        New component ``j`` is the model's component ``permutation[j]``.
    matched : (k,) int
        The reference component that new component ``j`` matches, or -1 when the model has more components
        than the reference (those come last, in their original order).  With equal ``k``,
        ``matched == arange(k)``.
    weights, means, covariances : the model's parameters in the new order (``covariances`` in the model's
        ``covariances_`` shape).
    cost : float
        Total cost of the matching (for ``"labels"``: minus the number of rows that keep their cluster).
    """

    permutation: np.ndarray
    matched: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str
    cost: float

    @property
    def is_identity(self) -> bool:
        return bool(np.array_equal(self.permutation, np.arange(self.permutation.size)))


def _symmetric_kl(mA, SA, mB, SB):
    """(kA, kB) symmetrised KL divergences between Gaussians (means (k, d), covariances (k, d, d))."""
    d = mA.shape[1]
    PA = np.linalg.inv(SA)
    PB = np.linalg.inv(SB)
    # tr(PB_j SA_i) and tr(PA_i SB_j)
    t1 = np.einsum("jab,iba->ij", PB, SA)
    t2 = np.einsum("iab,jba->ij", PA, SB)
    dm = mA[:, None, :] - mB[None, :, :]
    q = np.einsum("ija,iab,ijb->ij", dm, PA, dm) + np.einsum("ija,jab,ijb->ij", dm, PB, dm)
    return 0.5 * (t1 + t2) + 0.5 * q - d


def _mahalanobis(mA, mB, SB):
    PB = np.linalg.inv(SB)
    dm = mA[:, None, :] - mB[None, :, :]
    return np.einsum("ija,jab,ijb->ij", dm, PB, dm)


def cost_matrix(model, reference, method="kl", X=None) -> np.ndarray:
    """The ``(k_model, k_reference)`` matching costs used by :func:`align`."""
    if method not in ("kl", "mahalanobis", "labels"):
        raise ValueError(f"method must be 'kl', 'mahalanobis' or 'labels', not {method!r}.")
    if method == "labels":
        if X is None:
            raise ValueError("method='labels' needs the data X to cross-tabulate the MAP labels.")
        if isinstance(model, dict) or isinstance(reference, dict):
            raise ValueError("method='labels' needs fitted models (with predict), not parameter dicts.")
        a = np.asarray(model.predict(X))
        b = np.asarray(reference.predict(X))
        ka, kb = len(model.weights_), len(reference.weights_)
        table = np.zeros((ka, kb))
        np.add.at(table, (a, b), 1.0)
        return -table
    p = as_parameters(model)
    r = as_parameters(reference)
    (ka, d), (kb, db) = p["means"].shape, r["means"].shape
    if d != db:
        raise ValueError(f"The model has {d} dimensions and the reference {db}: they cannot be aligned.")
    SA = full_covariances(p["covariances"], p["covariance_type"], ka, d)
    SB = full_covariances(r["covariances"], r["covariance_type"], kb, d)
    try:
        if method == "kl":
            C = _symmetric_kl(p["means"], SA, r["means"], SB)
        else:
            C = _mahalanobis(p["means"], r["means"], SB)
    except np.linalg.LinAlgError:
        raise ValueError("A covariance is singular: the components cannot be compared by 'kl' or "
                         "'mahalanobis'; use method='labels' with the data.") from None
    if not np.all(np.isfinite(C)):
        raise ValueError("The matching costs are not finite (a covariance is singular or a mean is not "
                         "finite): use method='labels' with the data.")
    return C


def align(model, reference, method="kl", X=None) -> Alignment:
    """Reorder ``model``'s components to match ``reference`` (minimum total cost, Hungarian algorithm).

    Parameters
    ----------
    model, reference : fitted models (``weights_``, ``means_``, ``covariances_``, ``covariance_type``) or
        dicts with ``weights`` (k,), ``means`` (k, d), ``covariances`` (``covariances_`` shape) and
        ``covariance_type``.  The number of components may differ: the matched components come first in
        the reference's order, the unmatched ones after them.
    method : {"kl", "mahalanobis", "labels"}
        The cost (see the module docstring); ``"labels"`` needs ``X`` (n, d) and fitted models.

    Returns
    -------
    Alignment

    Raises
    ------
    ValueError for unfitted models, different dimensions, an unknown method or singular covariances.

    Reference: Stephens (2000), "Dealing with label switching in mixture models", JRSS B 62, 795-809
    (relabelling by a minimum-cost assignment); Kuhn (1955) for the Hungarian algorithm.
    """
    C = cost_matrix(model, reference, method, X)
    rows, cols = linear_sum_assignment(C)
    ka = C.shape[0]
    order = np.argsort(cols)
    perm = list(rows[order])
    matched = list(cols[order])
    rest = [i for i in range(ka) if i not in set(perm)]
    perm = np.array(perm + rest, dtype=int)
    matched = np.array(matched + [-1] * len(rest), dtype=int)
    p = permute(as_parameters(model), perm)
    return Alignment(perm, matched, p["weights"], p["means"], p["covariances"], p["covariance_type"],
                     float(C[rows, cols].sum()))


def align_posteriors(posteriors, reference_posteriors) -> np.ndarray:
    """The permutation that puts a model's components (or HMM states) in the order of a reference's, from
    their posteriors on the same rows: maximum total agreement ``sum_i r_ia s_ib`` (the soft
    cross-tabulation; the MAP cross-tabulation of ``method="labels"`` with responsibilities in place of
    hard labels), solved by the Hungarian algorithm.  Works for any kind of model (the costs need no
    Gaussian parameters).

    posteriors, reference_posteriors : (n, k) each (rows with zero weight count for nothing)

    Returns ``perm`` (k,): new component ``j`` is the model's component ``perm[j]``.  ValueError for shapes
    that differ or values that are not finite.
    """
    P = np.asarray(posteriors, dtype=float)
    R = np.asarray(reference_posteriors, dtype=float)
    if P.ndim != 2 or P.shape != R.shape:
        raise ValueError(f"posteriors of shapes {P.shape} and {R.shape}: give (n, k) for both, on the same rows.")
    if not (np.all(np.isfinite(P)) and np.all(np.isfinite(R))):
        raise ValueError("posteriors must be finite.")
    return match_cross_table(P.T @ R)


def match_cross_table(table) -> np.ndarray:
    """The permutation of :func:`align_posteriors` from the soft cross-tabulation itself, ``table[a, b] =
    sum_i r_ia s_ib`` (k_model, k_reference), as a caller summing it over row blocks makes it (issue 16: the
    bootstrap's alignment holds no (n, k) posteriors).  Returns ``perm`` (k,): new component ``j`` is the
    model's component ``perm[j]`` (maximum total agreement, Hungarian algorithm)."""
    C = -np.asarray(table, dtype=float)    # (k_model, k_reference)
    rows, cols = linear_sum_assignment(C)
    return np.asarray(rows[np.argsort(cols)], dtype=int)


def permute_parameters(params: dict, permutation, k, shared=()) -> dict:
    """Any model's parameters (a dict name -> array) with components reordered: new component ``j`` is old
    ``permutation[j]``.  An array whose first axis has length ``k`` is permuted along it; ``"transmat"``
    (k, k) along both axes (rows: from, columns: to); names in ``shared`` (e.g. a tied covariance, which may
    be (d, d) with d == k) are left as they are, as are arrays without a component axis."""
    perm = np.asarray(permutation, dtype=int)
    out = {}
    for name, v in params.items():
        a = np.asarray(v)
        if name in shared or a.ndim == 0 or a.shape[0] != k:
            out[name] = a.copy()
        elif name == "transmat":
            out[name] = a[np.ix_(perm, perm)]
        else:
            out[name] = a[perm]
    return out
