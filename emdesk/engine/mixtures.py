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

import dataclasses
import math
import numbers

import numpy as np

from . import _validation as V
from ._core import COVARIANCE_TYPES
from .criteria import check_icl_kind, classification_term
from .families.categorical import LatentClassFamily
from .families.gaussian import GaussianFamily
from .families.poisson import PoissonFamily
from .families.product import ProductFamily
from .families.student_t import DOF_TYPES, StudentTFamily
from .models import LatentModel
from .structures.mixture import MixtureStructure

__all__ = ["StudentTMixture", "PoissonMixture", "CategoricalMixture", "MixedMixture", "encode_categories",
           "mixture_from_snapshot"]

_COMMON = ("n_components", "tol", "max_iter", "n_init", "init_params", "random_state", "weights_init", "missing")


def _logsumexp_rows(L):
    with np.errstate(invalid="ignore"):
        a = L.max(axis=1)
    a = np.where(np.isfinite(a), a, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(L - a[:, None]).sum(axis=1)) + a


class _FamilyMixture(LatentModel):
    """Common part of the mixture estimators (not public)."""

    _STRUCT_ATTRS = {"weights": "weights_"}
    _FAMILY_INITS: dict = {}  # family parameter -> constructor keyword

    def _structure(self):
        return MixtureStructure()

    # -- parameters <-> attributes
    def _get_family_params(self):
        return {p: getattr(self, p + "_") for p in self._family().param_names}

    def _set_family_params(self, fparams):
        for p, v in fparams.items():
            setattr(self, p + "_", np.array(v, dtype=float))

    def _state(self):
        sparams, fparams = super()._state()
        return sparams, fparams

    def _explicit_inits(self, k, d, fdata):
        sp = {}
        if self.weights_init is not None:
            sp["weights"] = V.check_weights(self.weights_init, k)
        given = {p: getattr(self, kw) for p, kw in self._FAMILY_INITS.items() if getattr(self, kw) is not None}
        fp = self._check_family_inits(given, k, d, fdata) if given else {}
        complete = bool(sp) and len(fp) == len(self._family().param_names)
        return sp, fp, complete

    def _check_family_inits(self, given, k, d, fdata):
        return dict(given)

    # -- scikit-learn style scoring
    def _log_joint(self, X):
        """``(L (n, k) = log w_j + log f_j(x_i), rows with at least one observed value (n,))``."""
        logB, sparams, _, _ = self._score(X, None)
        with np.errstate(divide="ignore"):
            L = logB + np.log(sparams["weights"])[None, :]
        return L, self._observed_rows(X)

    def _observed_rows(self, X):
        Xc, _ = self._check_X(X, None, fitted=True)
        return ~np.isnan(Xc).all(axis=1)

    def score_samples(self, X):
        """Log-density of each row under the mixture, (n,) (scikit-learn's ``score_samples``;
        missing cells marginalised).  ValueError for data the model cannot take."""
        L, _ = self._log_joint(X)
        return _logsumexp_rows(L)

    def score(self, X):
        """Mean log-likelihood per row (rows with every value missing are not counted)."""
        n, ll, _ = self._criteria(X, entropy=False)
        return ll / n

    def predict_proba(self, X):
        """Posterior component probabilities (n, k)."""
        L, _ = self._log_joint(X)
        lse = _logsumexp_rows(L)
        if not np.all(np.isfinite(lse)):
            i = int(np.flatnonzero(~np.isfinite(lse))[0])
            raise ValueError(f"Row {i + 1} of X is impossible under the model (a value no component can emit).")
        return np.exp(L - lse[:, None])

    def predict(self, X):
        """The most probable component of each row (n,)."""
        return np.argmax(self.predict_proba(X), axis=1)

    def fit_predict(self, X):
        return self.fit(X).predict(X)

    def _criteria(self, X, entropy="map"):
        L, keep = self._log_joint(X)
        if not keep.any():
            raise ValueError("X has no row with an observed value: give rows with data.")
        lse = _logsumexp_rows(L)[keep]
        ll = float(lse.sum())
        ent = 0.0
        if entropy:  # "map" (mclust's ICL) or "entropy" / True (soft), emdesk.engine.criteria
            ent = classification_term(np.exp(L[keep] - lse[:, None]), entropy)
        return float(keep.sum()), ll, ent

    def log_likelihood(self, X):
        """Total log-likelihood of X (the sum of :meth:`score_samples` over rows with data)."""
        return self._criteria(X, entropy=False)[1]

    def bic(self, X):
        """Bayesian information criterion ``-2 log L + p log n`` (lower is better)."""
        n, ll, _ = self._criteria(X, entropy=False)
        return -2.0 * ll + self.n_parameters() * math.log(n)

    def aic(self, X):
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
        n, ll, _ = self._criteria(X, entropy=False)
        return -2.0 * ll + 2.0 * self.n_parameters()

    def icl(self, X, kind="map"):
        """BIC plus twice a classification term (Biernacki, Celeux & Govaert 2000): ``kind="map"``
        the hard classification's ``-sum log r_{i, argmax}`` as mclust computes ICL (default),
        ``"entropy"`` the soft classification entropy (see :mod:`emdesk.engine.criteria`)."""
        n, ll, ent = self._criteria(X, entropy=check_icl_kind(kind))
        return -2.0 * ll + self.n_parameters() * math.log(n) + 2.0 * ent

    def sample(self, n_samples=1, random_state=None):
        """``(X (n, d), labels (n,))``, independent draws.  ``random_state`` defaults to the estimator's."""
        return super().sample(n_samples, random_state)

    # -- serialisation hooks
    def _extra_fitted(self):
        return {}

    def get_fitted_params(self):
        """The fitted parameters as a dict of NumPy arrays (plus lists for categories): ``weights``,
        the family's parameters by name (``param_names``) and estimator-specific entries; the
        inverse of :meth:`from_fitted_params`.  ValueError before a fit."""
        sparams, fparams = self._state()
        out = {"weights": np.array(sparams["weights"])}
        out.update({p: np.array(v) for p, v in fparams.items()})
        out.update(self._extra_fitted())
        return out

    @classmethod
    def from_fitted_params(cls, params, **kwargs):
        """An estimator with these parameters set (as :meth:`get_fitted_params` gives them) and the
        constructor keywords ``kwargs``; validated (ValueError for wrong shapes or probabilities)."""
        k = int(np.asarray(params["weights"]).shape[0])
        kwargs.setdefault("n_components", k)
        est = cls(**kwargs)
        est._load_extra(params)
        fam = est._family()
        est.weights_ = np.array(params["weights"], dtype=float)
        est._set_family_params({p: params[p] for p in fam.param_names})
        sparams, fparams = est._state()
        first = np.asarray(fparams[fam.param_names[0]])
        est.n_features_in_ = est._n_features_from(fparams)
        fam.check_params(fparams, k, est.n_features_in_)
        return est

    def _load_extra(self, params):
        pass

    def _n_features_from(self, fparams):
        return int(np.atleast_2d(np.asarray(fparams[self._family().param_names[0]])).shape[1])


# ======================================================================================
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
        sparams, fparams = self._state()
        Xc, _ = self._check_X(X, None, fitted=True)
        fam = self._family()
        data = fam.bind(Xc, self.n_components)
        prep = fam.prepare(data, fam.check_params(fparams, self.n_components, Xc.shape[1]))
        logB = fam.log_prob(data, prep)
        U = fam.scale_weights(data, prep)
        if component == "all":
            return U
        with np.errstate(divide="ignore"):
            L = logB + np.log(sparams["weights"])[None, :]
        if component == "map":
            return U[np.arange(U.shape[0]), np.argmax(L, axis=1)]
        R = np.exp(L - _logsumexp_rows(L)[:, None])
        return (R * U).sum(axis=1)

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


# ======================================================================================
_MISSING_TEXT = ("",)


def _is_missing(v):
    if v is None:
        return True
    if isinstance(v, (float, np.floating)) and math.isnan(v):
        return True
    if isinstance(v, str) and v.strip() in _MISSING_TEXT:
        return True
    return False


def _column_values(col):
    """(mask of missing, non-missing values as a 1-D array of numbers or strings)."""
    if col.dtype.kind in "fiub":
        c = col.astype(float)
        miss = np.isnan(c)
        return miss, c[~miss]
    miss = np.fromiter((_is_missing(v) for v in col), dtype=bool, count=col.shape[0])
    vals = col[~miss]
    if all(isinstance(v, (numbers.Real, np.number)) and not isinstance(v, bool) for v in vals):
        return miss, vals.astype(float)
    return miss, np.array([str(v).strip() if isinstance(v, str) else str(v) for v in vals], dtype=object)


def _fmt(v):
    """A category for a message: numbers as ``%g``, text quoted."""
    if isinstance(v, (numbers.Real, np.number)) and not isinstance(v, (bool, np.bool_)):
        return f"{float(v):g}"
    return repr(str(v))


def encode_categories(X, categories=None, columns_label=None):
    """Category codes of categorical columns.

    ``X``: (n, d) or (n,) array-like of integer codes, numbers or strings; missing = None, NaN or
    an empty string.  ``categories``: None (learn: the sorted distinct values of each column) or a
    list of d sequences (the categories of each column in order; a value not listed ->
    ValueError naming the column and row).  ``columns_label``: optional list of d column names
    for messages.

    Returns ``(codes (n, d) float with NaN where missing, categories: list of d 1-D arrays)``.
    """
    Xo = np.asarray(X, dtype=object) if not isinstance(X, np.ndarray) else X
    if Xo.ndim == 1:
        Xo = Xo.reshape(-1, 1)
    if Xo.ndim != 2:
        raise ValueError(f"X must be 1-D (n,) or 2-D (n, d); got shape {Xo.shape}.")
    n, d = Xo.shape
    if categories is not None and len(categories) != d:
        raise ValueError(f"categories has {len(categories)} entries but X has {d} columns.")
    codes = np.full((n, d), np.nan)
    cats_out = []
    for c in range(d):
        name = f"column {c + 1}" if columns_label is None else f"column {columns_label[c]}"
        miss, vals = _column_values(Xo[:, c])
        if categories is None or categories[c] is None:
            cats = np.unique(vals) if vals.size else np.array([], dtype=float)
            if cats.dtype == object:
                cats = np.array(sorted(set(cats.tolist())), dtype=object)
        else:
            cats = np.asarray(list(categories[c]), dtype=object if vals.dtype == object else float)
            if vals.dtype != object and cats.dtype == object:
                cats = cats.astype(float)
        if vals.dtype == object or cats.dtype == object:
            index = {str(v): i for i, v in enumerate(cats.tolist())}
            keys = [str(v) for v in vals.tolist()]
            got = np.array([index.get(s, -1) for s in keys], dtype=np.int64)
        else:
            order = np.argsort(cats, kind="stable")
            pos = np.searchsorted(cats[order], vals)
            pos = np.minimum(pos, max(len(cats) - 1, 0))
            got = order[pos] if len(cats) else np.full(vals.shape, -1)
            got = np.where(cats[got] == vals, got, -1) if len(cats) else got
        if np.any(got < 0):
            i_val = int(np.flatnonzero(got < 0)[0])
            row = int(np.flatnonzero(~miss)[i_val])
            raise ValueError(f"{name}, row {row + 1}: {_fmt(vals[i_val])} is not one of the categories "
                             f"{', '.join(_fmt(c) for c in cats.tolist()[:20])}{' ...' if len(cats) > 20 else ''}.")
        codes[~miss, c] = got
        cats_out.append(cats)
    return codes, cats_out


class _CategoricalInput:
    """Encoding of text/number categories for the categorical estimators."""

    def _encode_for_fit(self, X):
        raise NotImplementedError

    def fit_iter(self, X, lengths=None, responsibilities=False, interrupt=None):
        """As :meth:`LatentModel.fit_iter`; X may hold text.  The snapshots' ``model_params`` carry
        ``categories`` (the categories learned), so ``Snapshot.to_model()`` scores text the same way."""
        codes, cats = self._encode_for_fit(X)
        self._pending_categories = cats
        gen = LatentModel.fit_iter(self, codes, lengths, responsibilities, interrupt)
        plain = [list(np.asarray(c).tolist()) for c in cats]

        def wrapped():
            for s in gen:
                mp = dict(s.model_params or {})
                mp["categories"] = plain
                yield dataclasses.replace(s, model_params=mp)

        return wrapped()

    def _set_fitted(self, results, best, fdata, d):
        self.categories_ = [np.asarray(c) for c in self._pending_categories]
        super()._set_fitted(results, best, fdata, d)


class CategoricalMixture(_CategoricalInput, _FamilyMixture):
    """Latent class analysis: per class, independent categorical distributions over each column
    (Lazarsfeld & Henry 1968; Goodman 1974; as R's poLCA, Linzer & Lewis 2011, J. Stat. Softw. 42(10)).

    ``X`` (n, d): integer codes, numbers or text per column; None, NaN or "" = missing (left out
    of the likelihood, as poLCA with ``na.rm=FALSE``).  Categories are the sorted distinct values of
    each column (``categories_``), or ``categories`` (a list of d sequences) when given.

    Parameters: ``n_components`` (classes), ``alpha`` (>= 0; Dirichlet smoothing pseudo-count added
    to every category count in the M-step, so no probability is exactly 0 or 1 when > 0; 0 = ML as
    poLCA), ``tol``, ``max_iter``, ``n_init`` (poLCA's ``nrep``), ``init_params`` (default "random":
    random starting responsibilities, as poLCA draws random starting probabilities), ``random_state``,
    ``weights_init`` (k,), ``probs_init`` (k, d, m), ``categories``, ``missing`` (default
    "marginalize").

    Fitted attributes: ``weights_`` (k,) (class sizes), ``probs_`` (k, d, m): P(column c =
    category r | class j), zero-padded to m = the largest number of categories;
    ``categories_`` (list of d arrays), ``n_categories_`` (d,), and the fit attributes.
    :meth:`item_probabilities` gives them per column without padding.  ``n_parameters()`` is
    poLCA's ``(k - 1) + k sum_c (R_c - 1)``.
    """

    _PARAMS = _COMMON + ("alpha", "probs_init", "categories")
    _FAMILY_INITS = {"probs": "probs_init"}

    def __init__(self, n_components=1, *, alpha=0.0, tol=1e-6, max_iter=1000, n_init=1, init_params="random",
                 random_state=None, weights_init=None, probs_init=None, categories=None, missing="marginalize"):
        self.n_components = n_components
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.weights_init = weights_init
        self.probs_init = probs_init
        self.categories = categories
        self.missing = missing

    def _cats(self):
        if getattr(self, "_fitting", False) or not hasattr(self, "categories_"):
            return getattr(self, "_pending_categories", None)
        return self.categories_

    def _family(self):
        cats = self._cats()
        R = None if cats is None else [max(len(c), 1) for c in cats]
        return LatentClassFamily(R, self.missing, self.alpha)

    def _check_params(self):
        super()._check_params()
        a = self.alpha
        if isinstance(a, bool) or not isinstance(a, numbers.Real) or not (a >= 0 and math.isfinite(a)):
            raise ValueError(f"alpha must be a finite number >= 0; got {a!r}.")

    def _encode_for_fit(self, X):
        codes, cats = encode_categories(X, self.categories)
        self._fitting = True
        return codes, cats

    def _set_fitted(self, results, best, fdata, d):
        self._fitting = False
        super()._set_fitted(results, best, fdata, d)
        self.n_categories_ = np.array([len(c) for c in self.categories_])

    def _check_X(self, X, lengths=None, fitted=False):
        if fitted:
            if not hasattr(self, "categories_"):
                raise ValueError("This CategoricalMixture has no categories yet: call fit(X) first.")
            X = encode_categories(X, self.categories_)[0]
        return LatentModel._check_X(self, X, lengths, fitted)

    def _check_family_inits(self, given, k, d, fdata):
        return LatentClassFamily().check_params(given, k, d)

    def item_probabilities(self):
        """List of d arrays (k, R_c): the class-conditional category probabilities of each column."""
        self._state()
        return [self.probs_[:, c, :len(cats)].copy() for c, cats in enumerate(self.categories_)]

    def _state(self):
        sparams, fparams = super()._state()
        self.n_features_in_ = int(np.asarray(self.probs_).shape[1])
        return sparams, fparams

    def _extra_fitted(self):
        return {"categories": [list(np.asarray(c).tolist()) for c in self.categories_]}

    def _load_extra(self, params):
        self.categories_ = [np.asarray(c) for c in params["categories"]]
        self.n_categories_ = np.array([len(c) for c in self.categories_])


# ======================================================================================
class MixedMixture(_CategoricalInput, _FamilyMixture):
    """Mixture for mixed data: numeric columns (a Gaussian block, any covariance type) times
    categorical columns (independent categoricals, a latent class block) given the component
    (conditional independence of the blocks; Hunt & Jorgensen 2003, Comput. Stat. Data Anal.
    41:429-440; the "mixed" models of LatentGOLD and stepmix).  One composition of families
    (:class:`emdesk.engine.families.product.ProductFamily`).

    ``X`` (n, d) array-like (object arrays and lists of rows may mix numbers and text);
    ``categorical_columns``: 0-based indices of the categorical columns (the others are numeric:
    numbers, NaN/None = missing).  The log-likelihood is the sum of the two blocks' log-densities
    (:meth:`block_log_likelihoods`).

    Parameters: ``n_components``, ``categorical_columns``, ``covariance_type`` (default "diag"),
    ``reg_covar``, ``alpha`` (categorical smoothing), ``tol``, ``max_iter``, ``n_init``,
    ``init_params``, ``random_state``, ``weights_init``, ``categories`` (for the categorical
    columns, in their order), ``missing`` ("error" | "marginalize"; a missing categorical cell
    is always left out of the likelihood; with "marginalize" numeric NaN cells are marginalised,
    each row needs at least one observed numeric value).

    Fitted attributes: ``weights_`` (k,), ``means_`` (k, d_num), ``covariances_`` (the type's
    shape over the numeric columns), ``probs_`` (k, d_cat, m), ``categories_``,
    ``numeric_columns_``, ``categorical_columns_``, and the fit attributes.
    """

    _PARAMS = ("n_components", "categorical_columns", "covariance_type", "reg_covar", "alpha", "tol", "max_iter",
               "n_init", "init_params", "random_state", "weights_init", "categories", "missing")

    def __init__(self, n_components=1, *, categorical_columns=(), covariance_type="diag", reg_covar=1e-6,
                 alpha=0.0, tol=1e-3, max_iter=100, n_init=1, init_params="kmeans++", random_state=None,
                 weights_init=None, categories=None, missing="error"):
        self.n_components = n_components
        self.categorical_columns = categorical_columns
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.weights_init = weights_init
        self.categories = categories
        self.missing = missing

    def _split_columns(self, d):
        cat = [int(c) for c in self.categorical_columns]
        if any(c < 0 or c >= d for c in cat) or len(set(cat)) != len(cat):
            raise ValueError(f"categorical_columns must be distinct column indices 0 .. {d - 1}; got {cat}.")
        num = [c for c in range(d) if c not in cat]
        if not cat or not num:
            raise ValueError("MixedMixture needs at least one numeric and one categorical column; use "
                             "GaussianMixture or CategoricalMixture otherwise.")
        return num, cat

    def _to_codes(self, X, categories):
        Xo = np.asarray(X, dtype=object) if not isinstance(X, np.ndarray) else X
        if Xo.ndim != 2:
            raise ValueError(f"X must be 2-D (n, d); got shape {Xo.shape}.")
        num, cat = self._split_columns(Xo.shape[1])
        out = np.empty(Xo.shape, dtype=float)
        for c in num:
            col = Xo[:, c]
            try:
                out[:, c] = col.astype(float) if col.dtype.kind in "fiub" else np.array(
                    [np.nan if _is_missing(v) else float(v) for v in col])
            except (TypeError, ValueError):
                bad = next(i for i, v in enumerate(col) if not _is_missing(v) and not _is_number(v))
                raise ValueError(f"column {c + 1} is numeric but row {bad + 1} holds {col[bad]!r}; list it in "
                                 "categorical_columns or fix the value.") from None
        codes, cats = encode_categories(Xo[:, cat], categories, columns_label=[c + 1 for c in cat])
        out[:, cat] = codes
        return out, cats

    def _encode_for_fit(self, X):
        codes, cats = self._to_codes(X, self.categories)
        self._fitting = True
        return codes, cats

    def _cats(self):
        if getattr(self, "_fitting", False) or not hasattr(self, "categories_"):
            return getattr(self, "_pending_categories", None)
        return self.categories_

    def _family(self):
        cats = self._cats()
        d = None
        if hasattr(self, "n_features_in_"):
            d = self.n_features_in_
        elif getattr(self, "_d", None) is not None:
            d = self._d
        num, cat = self._split_columns(d)
        R = None if cats is None else [max(len(c), 1) for c in cats]
        return ProductFamily([
            (GaussianFamily(self.covariance_type, self.reg_covar, self.missing), num),
            (LatentClassFamily(R, "marginalize", self.alpha), cat),
        ])

    def _check_params(self):
        super()._check_params()
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}; "
                             f"got {self.covariance_type!r}.")

    def _check_X(self, X, lengths=None, fitted=False):
        if fitted:
            if not hasattr(self, "categories_"):
                raise ValueError("This MixedMixture has no categories yet: call fit(X) first.")
            X = self._to_codes(X, self.categories_)[0]
        Xc, lengths = LatentModel._check_X(self, X, lengths, fitted)
        if not fitted:
            self._d = Xc.shape[1]
        return Xc, lengths

    def fit_iter(self, X, lengths=None, responsibilities=False, interrupt=None):
        if hasattr(self, "n_features_in_"):
            del self.n_features_in_
        return super().fit_iter(X, lengths, responsibilities, interrupt)

    def _set_fitted(self, results, best, fdata, d):
        self._fitting = False
        super()._set_fitted(results, best, fdata, d)
        num, cat = self._split_columns(d)
        self.numeric_columns_ = np.array(num)
        self.categorical_columns_ = np.array(cat)

    def _observed_rows(self, X):
        Xc, _ = self._check_X(X, None, fitted=True)
        return ~np.isnan(Xc).all(axis=1)

    def block_log_likelihoods(self, X):
        """The two blocks' log-densities under every component: ``{"gaussian": (n, k),
        "latent_class": (n, k)}``; ``log f(x_i | j)`` is their sum (numeric NaN cells marginalised,
        missing categories left out)."""
        sparams, fparams = self._state()
        Xc, _ = self._check_X(X, None, fitted=True)
        fam = self._family()
        data = fam.bind(Xc, self.n_components)
        prep = fam.prepare(data, fam.check_params(fparams, self.n_components, Xc.shape[1]))
        g, c = fam.block_log_probs(data, prep)
        return {"gaussian": g, "latent_class": c}

    def _state(self):
        sparams, fparams = super()._state()
        return sparams, fparams

    def _extra_fitted(self):
        return {"categories": [list(np.asarray(c).tolist()) for c in self.categories_],
                "n_features_in": int(self.n_features_in_)}

    def _load_extra(self, params):
        self.categories_ = [np.asarray(c) for c in params["categories"]]
        self.n_features_in_ = int(params["n_features_in"])

    def _n_features_from(self, fparams):
        return int(self.n_features_in_)


def _is_number(v):
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


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
