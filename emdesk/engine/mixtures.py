"""Finite mixtures of non-Gaussian families with scikit-learn's names (issue 13):

* :class:`StudentTMixture` - multivariate t components (robust to outliers), ECM;
* :class:`PoissonMixture` - independent Poisson counts per column;
* :class:`CategoricalMixture` - latent class analysis (poLCA-like) of categorical columns;
* :class:`MixedMixture` - numeric (Gaussian block) and categorical columns in one model.

Each is the mixture structure (:mod:`emdesk.engine.structures.mixture`) times an emission family
(:mod:`emdesk.engine.families`), fitted by the one EM driver (:mod:`emdesk.engine.em`) through
:class:`emdesk.engine.models.LatentModel`: restarts (``n_init``), ``fit_iter`` snapshots,
``interrupt``, failed restarts recorded in ``restart_parameters_``, the degeneracy guard.

Scoring follows :class:`~emdesk.engine.GaussianMixture` (scikit-learn): ``score_samples(X)`` is
each row's log-density (n,), ``score(X)`` their mean, ``predict_proba`` / ``predict``, ``bic`` /
``aic`` / ``icl`` (lower is better; rows with every value missing are not counted).  Parameters
round-trip through ``get_fitted_params()`` (a dict of plain arrays and lists) and the classmethod
``from_fitted_params(params, **constructor_keywords)``.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _validation as V
from ._core import COVARIANCE_TYPES
from .families.poisson import PoissonFamily
from .families.student_t import DOF_TYPES, StudentTFamily
from ._family_mixture import _COMMON, _FamilyMixture, _logsumexp_rows
from .mixtures_categorical import CategoricalMixture, MixedMixture, encode_categories

__all__ = ["StudentTMixture", "PoissonMixture", "CategoricalMixture", "MixedMixture", "encode_categories",
           "mixture_from_snapshot"]


class StudentTMixture(_FamilyMixture):
    """Mixture of multivariate t distributions (robust clustering), fitted by ECM.

    Model and steps: McLachlan & Peel (2000) "Finite Mixture Models", ch. 7; Peel & McLachlan
    (2000) "Robust mixture modelling using the t distribution", Stat. Comput. 10:339-348; see
    :mod:`emdesk.engine.families.student_t`.  Each row's expected scale weight
    ``u = (nu + p) / (nu + delta)`` (:meth:`scale_weights`) is an outlier score: about 1 for a
    typical row, near 0 for a gross outlier.

    Parameters
    ----------
    n_components : int >= 1
    covariance_type : "full" | "tied" | "diag" | "spherical" (of the scale matrices; shapes as
        :class:`~emdesk.engine.GaussianMixture`'s covariances).
    reg_covar : float >= 0, added to every scale variance in the M-step (user units).
    tol, max_iter, n_init, init_params, random_state : as ``GaussianMixture``.
    weights_init (k,), means_init (k, d), covariances_init (the type's shape): starting values;
        with all three nothing is random.
    dof_init : float > 0 or (k,), starting degrees of freedom (default 50, teigen's ``dfstart``).
    dof_type : "component" (one nu per component) | "shared" (one nu for all).
    fix_dof : bool; True keeps ``dof_init`` (e.g. 1e6 for a near-Gaussian fit, 1 for Cauchy).
    dof_bounds : (low, high), default (1, 200) as teigen; estimates are clamped to it.
    missing : "error" | "marginalize" (exact EM: the marginal of a t on the observed coordinates
        is a t with the same nu).

    Fitted attributes: ``weights_`` (k,), ``means_`` (k, d), ``covariances_`` (scale matrices,
    the type's shape; the covariance of component j is ``dof_[j] / (dof_[j] - 2) * scale`` for
    nu > 2), ``dof_`` (k,), and those of :class:`emdesk.engine.models.LatentModel`
    (``converged_``, ``n_iter_``, ``log_likelihood_`` (total), ``lower_bound_`` (per row),
    ``restart_parameters_``, ``restart_log_likelihoods_``, ``best_restart_``, ``degeneracies_``,
    ``n_features_in_``).

    Errors: ValueError for invalid keywords, non-numeric or infinite data, NaN with
    ``missing="error"``, rows with every value missing, more components than rows, and when
    every restart fails (singular scale matrix: raise ``reg_covar`` or use fewer components).
    """

    _PARAMS = _COMMON + ("covariance_type", "reg_covar", "means_init", "covariances_init", "dof_init",
                         "dof_type", "fix_dof", "dof_bounds")
    _FAMILY_INITS = {"means": "means_init", "covariances": "covariances_init"}

    def __init__(self, n_components=1, *, covariance_type="full", reg_covar=1e-6, tol=1e-3, max_iter=100,
                 n_init=1, init_params="kmeans++", random_state=None, weights_init=None, means_init=None,
                 covariances_init=None, dof_init=50.0, dof_type="component", fix_dof=False,
                 dof_bounds=(1.0, 200.0), missing="error"):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.weights_init = weights_init
        self.means_init = means_init
        self.covariances_init = covariances_init
        self.dof_init = dof_init
        self.dof_type = dof_type
        self.fix_dof = fix_dof
        self.dof_bounds = dof_bounds
        self.missing = missing

    def _check_params(self):
        super()._check_params()
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}; "
                             f"got {self.covariance_type!r}.")
        r = self.reg_covar
        if isinstance(r, bool) or not isinstance(r, numbers.Real) or not r >= 0:
            raise ValueError(f"reg_covar must be a number >= 0; got {r!r}.")
        if self.dof_type not in DOF_TYPES:
            raise ValueError(f"dof_type must be 'component' or 'shared'; got {self.dof_type!r}.")
        self._family()._dof_vector(self.dof_init, self.n_components)
        try:
            lo, hi = (float(b) for b in self.dof_bounds)
        except (TypeError, ValueError):
            raise ValueError(f"dof_bounds must be (low, high); got {self.dof_bounds!r}.") from None

    def _family(self):
        return StudentTFamily(self.covariance_type, self.reg_covar, self.missing, self.dof_type, self.fix_dof,
                              self.dof_init, self.dof_bounds)

    def _check_family_inits(self, given, k, d, fdata):
        out = {}
        if "means" in given:
            out["means"] = V.check_means(given["means"], k, d)
        if "covariances" in given:
            out["covariances"] = V.check_covariances(given["covariances"], self.covariance_type, k, d)
        if len(out) == 2:
            out["dof"] = self._family()._dof_vector(self.dof_init, k)
        return out

    def scale_weights(self, X, component="map"):
        """Expected scale weights ``u = (nu + p) / (nu + delta)`` (the outlier score; smaller = more
        outlying, about 1 for a typical row).

        ``component="map"``: (n,), each row's weight under its most probable component;
        ``"all"``: (n, k), under every component; ``"expected"``: (n,), ``sum_j tau_ij u_ij``.
        ``p`` is the number of observed values of the row.  ValueError before a fit or for bad X.
        """
        if component not in ("map", "all", "expected"):
            raise ValueError(f"component must be 'map', 'all' or 'expected'; got {component!r}.")
        fam, data, prep, sparams, _ = self._score_prepare(X)
        k = self.n_components
        with np.errstate(divide="ignore"):
            logw = np.log(sparams["weights"])[None, :]
        out = np.empty((data.n, k) if component == "all" else data.n)
        step = max(1, min(data.block, self.SCORE_BLOCK_BYTES // (8 * (3 * k + 2))))
        for s in range(0, data.n, step):  # row blocks (issue 16): the result plus one block
            e = min(s + step, data.n)
            db = fam.rows(data, s, e)
            logB = fam.log_prob(db, prep)
            U = fam.scale_weights(db, prep)
            if component == "all":
                out[s:e] = U
                continue
            L = logB + logw
            if component == "map":
                out[s:e] = U[np.arange(U.shape[0]), np.argmax(L, axis=1)]
            else:
                R = np.exp(L - _logsumexp_rows(L)[:, None])
                out[s:e] = (R * U).sum(axis=1)
        return out

    def mahalanobis(self, X):
        """Squared Mahalanobis distances (n, k) of each row (observed coordinates) from each
        component under its scale matrix."""
        sparams, fparams = self._state()
        Xc, _ = self._check_X(X, None, fitted=True)
        fam = self._family()
        data = fam.bind(Xc, self.n_components)
        prep = fam.prepare(data, fam.check_params(fparams, self.n_components, Xc.shape[1]))
        return fam._delta(data, prep)[0]


# ======================================================================================
class PoissonMixture(_FamilyMixture):
    """Mixture of independent Poisson distributions per count column (McLachlan & Peel 2000,
    section 1.13; Zucchini & MacDonald 2009, "Hidden Markov Models for Time Series", section 1.2).

    ``X`` (n, d) counts: whole numbers >= 0 (ValueError naming the row and column of the first
    value that is not; NaN = missing, marginalised with ``missing="marginalize"``).

    Parameters: ``n_components``, ``tol``, ``max_iter``, ``n_init``, ``init_params``,
    ``random_state`` (as ``GaussianMixture``), ``weights_init`` (k,), ``lambdas_init`` (k, d),
    ``missing``.  Fitted attributes: ``weights_`` (k,), ``lambdas_`` (k, d) (the mean counts of
    each component and column) and the fit attributes of ``LatentModel``.
    """

    _PARAMS = _COMMON + ("lambdas_init",)
    _FAMILY_INITS = {"lambdas": "lambdas_init"}

    def __init__(self, n_components=1, *, tol=1e-3, max_iter=100, n_init=1, init_params="kmeans++",
                 random_state=None, weights_init=None, lambdas_init=None, missing="error"):
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.weights_init = weights_init
        self.lambdas_init = lambdas_init
        self.missing = missing

    def _family(self):
        return PoissonFamily(self.missing)

    def _check_family_inits(self, given, k, d, fdata):
        return PoissonFamily().check_params(given, k, d)

    def _state(self):
        sparams, fparams = super()._state()
        self.n_features_in_ = int(np.atleast_2d(np.asarray(self.lambdas_)).shape[1])
        return sparams, fparams


_BY_FAMILY = {"student_t": StudentTMixture, "poisson": PoissonMixture, "latent_class": CategoricalMixture,
              "product": MixedMixture}


def mixture_from_snapshot(snap, **params):
    """The estimator of a snapshot of one of these mixtures (``Snapshot.to_model``): a new estimator
    with the snapshot's constructor keywords (overridden by ``params``) and its parameters."""
    kw = dict(snap.model_params or {})
    kw.update(params)
    cls = _BY_FAMILY[snap.family]
    fitted = {"weights": np.array(snap.weights)}
    fitted.update({n: np.array(v) for n, v in snap.params.items()})
    if "categories" in kw:
        fitted["categories"] = kw["categories"]
    if cls is MixedMixture:
        fitted["n_features_in"] = len(snap.params["means"][0]) + len(snap.params["probs"][0])
    return cls.from_fitted_params(fitted, **kw)
