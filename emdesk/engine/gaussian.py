"""``GaussianMixture``: exact, vectorised EM for Gaussian mixtures (NumPy/SciPy only).

Conventions follow scikit-learn (names, shapes, BIC/AIC sign).  See :mod:`emdesk.engine._core`
for how an iteration is computed (standardised units, expanded features, blocked passes) and
docs/INTERFACES.md for the contract with the rest of emdesk.

Iteration semantics (identical to scikit-learn's, so results agree from the same start):
iteration ``t`` evaluates the log-likelihood of the current parameters (E-step) and then does
an M-step.  EM stops after ``max_iter`` M-steps, or after the M-step following the E-step
whose mean log-likelihood changed by less than ``tol``.  A last E-step then evaluates the
final parameters, so ``lower_bound_`` and the last snapshot describe exactly the parameters
returned (scikit-learn's ``lower_bound_`` belongs to the parameters one M-step earlier).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._blas import dot
from ._gaussian_sample import sample_rows
from . import _validation as V
from . import covariance_models as cm
from ._core import (
    FAR_QUADRATIC,
    Layout,
    NotPositiveDefinite,
    Prepared,
    Standardizer,
    full_covariances,
    score_rows,
)
from .criteria import check_icl_kind, classification_term
from .diagnostics import DataColumnWarning, DegenerateSolutionWarning, diagnose, is_collapse
from .em import run_em
from .init import initial_assignment
from ._zero_weight import positive_rows, scored_rows

__all__ = ["GaussianMixture"]

_PARAM_NAMES = (
    "n_components",
    "covariance_type",
    "tol",
    "reg_covar",
    "max_iter",
    "n_init",
    "init_params",
    "random_state",
    "weights_init",
    "means_init",
    "covariances_init",
    "missing",
    "prior",
)


def _column_names(X):
    """Column names of a data frame (anything with a ``columns`` attribute), else None."""
    cols = getattr(X, "columns", None)
    if cols is None:
        return None
    try:
        return [str(c) for c in cols]
    except TypeError:
        return None


# _Context (the data and the two halves of an iteration) lives in _mixture_context (issue 16: split
# when the fit began reading the caller's rows per block); imported back for its users (the Dask path).
from ._mixture_context import _common_axes_start, _Context, _regularisation  # noqa: E402,F401
# the EM driver's view of one fit (issue 16: split out to keep this module to the estimator)
from ._mixture_run import _MixtureRun, _not_pd_message, _unit_offset  # noqa: E402,F401


class GaussianMixture:
    """Gaussian mixture fitted by EM; scikit-learn's names, shapes and meanings.

    Parameters
    ----------
    n_components : int, default 1
    covariance_type : {"full", "tied", "diag", "spherical"} or one of mclust's 14 models
        "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV",
        "VVV" (Celeux & Govaert 1995; volume / shape / orientation each Equal, Variable or
        Identity), and "E"/"V" for one feature (the 14 names also work there and reduce to their
        volume letter).  scikit-learn's names are four of them (spherical = VII, diag = VVI,
        tied = EEE, full = VVV) and keep scikit-learn's arithmetic exactly.  ``covariances_`` of a
        mclust model has the shape of its storage layout
        (:func:`emdesk.engine.covariance_models.storage_type`): (k,) for EII/VII, (k, d) for
        EEI/VEI/EVI/VVI, (d, d) for EEE (and E), (k, d, d) otherwise.  The M-step maximises the
        expected complete-data log-likelihood under the constraint
        (:mod:`emdesk.engine.covariance_models`; VEI, VEV, VEE, EVE, VVE iteratively, warm-started
        from the previous iteration); ``n_parameters()`` counts as mclust does.  ``reg_covar`` is
        added to every scatter before the constrained step, so the constraint holds.
    tol : float or "relative", default 1e-3
        Convergence threshold on the change of the mean log-likelihood per unit sample weight
        (scikit-learn's).  ``"relative"`` (or ``"relative:<r>"``): mclust's criterion, stop when
        the total log-likelihood changes by less than ``r (1 + |log-likelihood|)``, ``r`` = 1e-5
        (see :mod:`emdesk.engine.relative`; the app and ``select_model`` use it).
    reg_covar : "relative" or float, default "relative"
        The regularisation added to every covariance in the M-step.  ``"relative"`` (the
        default; ``"relative:<r>"`` for another amount): 1e-6 times the data's own covariance
        (full, tied: the covariance matrix; diag: each feature's variance; spherical: the mean
        per-feature variance), so the fit does not depend on the units (fitting ``X @ D + c``
        gives the same fit in the new units).  A number keeps scikit-learn's meaning: added to
        the diagonal of every covariance, in the user's units.  ``reg_covar_`` (fitted, (d,))
        holds the diagonal actually added, in user units.
    max_iter : int, default 100
        Maximum number of M-steps per restart.
    n_init : int, default 1
        Number of restarts; the one with the highest final log-likelihood is kept.
    init_params : {"kmeans++", "kmeans", "random", "random_from_data", "hierarchical", "emEM"}
        ("hierarchical": mclust's model-based agglomerative start, emdesk.engine.hierarchical;
        "emEM": a restart strategy, see :mod:`emdesk.engine.restarts`: restart 1 from the
        hierarchical start, every further one the best of short EM runs from k-means++ and
        random-row starts, chosen in unit-free coordinates; the default of the app and of
        ``select_model``)
    random_state : None, int or numpy.random.Generator
    weights_init, means_init, covariances_init : optional starting values (covariances in the
        shape of ``covariances_``); when all three are given no random initialisation happens.
    missing : {"error", "marginalize"}
        ``"error"``: NaN in X raises ValueError.  ``"marginalize"``: exact EM for incomplete
        rows (each row's density on its observed coordinates).
    prior : None, "default" or dict
        ``"default"``: mclust's conjugate prior (Fraley & Raftery 2007, "Bayesian regularization
        for normal mixture estimation and model-based clustering", J. Classification 24; mclust's
        ``priorControl()`` / ``defaultPrior``: shrinkage 0.01 towards the data's mean, degrees of
        freedom d + 2 (3 in 1-D), scale the data's covariance times ``G^(-2/d)``), for data where
        maximum likelihood collapses.  EM then maximises the *posterior*: the M-step is the MAP
        step of :mod:`emdesk.engine.prior` (no ``reg_covar`` ridge, as mclust), and the objective
        reported while fitting (snapshots' ``log_likelihood`` and ``lower_bound``,
        ``lower_bound_``, ``restart_log_likelihoods_``, the restart kept) is the log-posterior
        (log-likelihood + log prior density, ``log_prior_``).  ``log_likelihood_``, ``score`` and
        ``bic``/``aic``/``icl`` stay the likelihood's, as mclust computes BIC with a prior.
        Available with the models whose MAP step maximises that posterior: full/VVV, tied/EEE,
        diag/VVI, spherical/VII, and E, V in 1-D (ValueError otherwise, and with
        ``sample_weight``); the prior's mean and scale come from the rows with every value
        observed (for Dask data: all of them, from the first pass).  A dict overrides parts of the
        default as mclust's ``priorControl(shrinkage=, mean=, dof=, scale=)`` does
        (:func:`emdesk.engine.prior.check_prior`).

    Checks of the data before fitting (``fit``/``fit_iter``; columns counted from 1, or named
    by ``X.columns`` when X is a data frame):

    * a column with values more than 1e150 from its median (squares overflow), or whose range
      is more than 1e9 times its interquartile spread (its small values would lose their
      digits; typically a fill value such as 1e20): ValueError naming the column and what to do
      (replace fill values by NaN with ``missing="marginalize"``, or rescale);
    * constant columns, and exact linear dependence among columns (full/tied): the columns are
      *kept* and the fit goes on (every component has variance ``reg_covar`` there, which the
      degeneracy diagnosis does not count as a collapse); a ``DataColumnWarning`` names them and
      says what to do, and ``column_notes_`` (tuple of str) holds the same sentences.
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar="relative",
        max_iter=100,
        n_init=1,
        init_params="kmeans++",
        random_state=None,
        weights_init=None,
        means_init=None,
        covariances_init=None,
        missing="error",
        prior=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.weights_init = weights_init
        self.means_init = means_init
        self.covariances_init = covariances_init
        self.missing = missing
        self.prior = prior

    # ------------------------------------------------------------------ parameters
    def get_params(self, deep=True):
        """The constructor keywords as a dict."""
        return {name: getattr(self, name) for name in _PARAM_NAMES}

    def set_params(self, **params):
        for name, value in params.items():
            if name not in _PARAM_NAMES:
                raise ValueError(
                    f"Unknown parameter {name!r}; valid parameters are {', '.join(_PARAM_NAMES)}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        changed = []
        defaults = GaussianMixture().get_params()
        for name, value in self.get_params().items():
            default = defaults[name]
            if value is None and default is None:
                continue
            if isinstance(value, (str, int, float)) and value == default:
                continue
            changed.append(f"{name}={value!r}" if not isinstance(value, np.ndarray) else f"{name}=array")
        return f"GaussianMixture({', '.join(changed)})"

    # ------------------------------------------------------------------ fitting
    def fit(self, X, sample_weight=None):
        """Fit by EM (``n_init`` restarts); returns self.  ``sample_weight`` (n,): finite, >= 0, sum > 0
        (ValueError otherwise); rows of weight 0 are left out (the fit of ``X[w > 0]``, see ``_zero_weight``)."""
        for _ in self.fit_iter(X, sample_weight=sample_weight, _interim_issues=False):
            pass
        return self

    def fit_predict(self, X, sample_weight=None):
        return self.fit(X, sample_weight).predict(X)

    def fit_iter(self, X, sample_weight=None, responsibilities=False, interrupt=None, *, _interim_issues=True):
        """Validate, then return a generator of :class:`Snapshot` (one per iteration, every
        restart in turn).  When it is exhausted the estimator holds the best restart.

        Between iterations a caller stops simply by not asking for the next snapshot.  The
        initialisation can take seconds on large data (``init_params="kmeans"``: Lloyd's
        iterations over every row) with nothing to yield; ``interrupt``, a callable with no
        arguments, is asked between its steps, and when it returns True the generator ends there
        without fitting (the estimator keeps whatever it held before).
        (``_interim_issues=False``, for callers that look only at the fitted model: only each
        restart's final snapshot carries ``issues``.)
        """
        if interrupt is not None and not callable(interrupt):
            raise ValueError(f"interrupt must be a callable returning True to stop, or None; got {interrupt!r}.")
        if _is_dask(X):  # a Dask array/DataFrame: fitted chunk by chunk, never materialised (issue 16)
            from . import _dask
            return _dask.fit_iter(self, X, sample_weight, responsibilities, interrupt)
        V.check_params(self)
        names = _column_names(X)
        X = V.check_array(X, self.missing)
        w = V.check_sample_weight(sample_weight, X.shape[0])
        X, w, left_out = positive_rows(X, w)  # rows of weight 0 do not count: the fit never reads them
        k = self.n_components
        d = X.shape[1]
        inits = self._check_inits(k, d)
        ctx = _Context(self, X, w, names, want_resp=bool(responsibilities))
        ctx.left_out = left_out
        # Constant and linearly dependent columns: found before fitting, said once, kept (see
        # DataColumnWarning); the degeneracy diagnosis does not count them as collapses.
        self.column_notes_ = ctx.notes
        if ctx.notes:
            warnings.warn(" ".join(ctx.notes), DataColumnWarning, stacklevel=2)
        return self._run(ctx, inits, bool(responsibilities), interrupt, interim_issues=_interim_issues)

    def _check_inits(self, k, d):
        w0 = None if self.weights_init is None else V.check_weights(self.weights_init, k)
        m0 = None if self.means_init is None else V.check_means(self.means_init, k, d)
        c0 = (
            None
            if self.covariances_init is None
            else V.check_covariances(self.covariances_init, V.covariance_layout(self.covariance_type, d), k, d)
        )
        return w0, m0, c0

    def _initial_params(self, ctx, inits, rng, interrupt=None, restart=0):
        w0, m0, c0 = inits
        std, ct = ctx.std, ctx.ct
        if w0 is not None and m0 is not None and c0 is not None:
            return w0.copy(), std.means_to_z(m0), std.cov_to_z(c0, ct)
        if self.init_params == "emEM":
            from .restarts import explore_start

            weights, means, cov = explore_start(ctx, self.n_components, restart, rng, interrupt)
        else:
            resp = initial_assignment(
                self.init_params, ctx.Zinit, self.n_components, ctx.w, rng, interrupt
            )
            weights, means, cov = ctx.params_from_resp(resp)
        if w0 is not None:
            weights = w0.copy()
        if m0 is not None:
            means = std.means_to_z(m0)
        if c0 is not None:
            cov = std.cov_to_z(c0, ct)
        return weights, means, cov

    def _to_user(self, ctx, params):
        weights, mz, cz = params
        return weights.copy(), ctx.std.means_to_user(mz), ctx.std.cov_to_user(cz, ctx.ct)

    def _diagnose(self, ctx, weights, cov):
        # With mclust's prior the MAP M-step adds no reg_covar ridge (emdesk.engine.prior.map_engine_mstep
        # takes it back out), so there is no floor at reg_covar to compare with: a large reg_covar must not
        # mark a sound MAP fit as collapsed.
        reg = 0.0 if ctx.prior is not None else ctx.reg_user
        return diagnose(weights, cov, ctx.ct, ctx.n_samples,
                        ctx.data_variances if ctx.data_cov is None else ctx.data_cov, reg,
                        null_space=ctx.null_space, binary_columns=ctx.binary, column_names=ctx.names)

    def _run(self, ctx, inits, want_resp, interrupt=None, interim_issues=True):
        """The EM run: :func:`emdesk.engine.em.run_em` (restarts, snapshots, failed restarts)
        driving this mixture's context; sets the fitted attributes when it is exhausted."""
        rng = np.random.default_rng(self.random_state)
        run = _MixtureRun(self, ctx, inits)
        run.interim_issues = bool(interim_issues)
        return run_em(
            run, n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
            rng=rng, want_resp=want_resp, interrupt=interrupt,
            finish=lambda results, best: self._set_fitted(ctx, results, best),
        )

    def _set_fitted(self, ctx, results, best):
        b = results[best]
        self._set_parameters(b["weights"], b["means"], b["covariances"], ctx.ct, ctx.d)
        self.converged_ = b["converged"]
        self.n_iter_ = b["n_iter"]
        self.lower_bound_ = b["lower_bound"]
        self.log_likelihood_ = b["log_likelihood"]
        self.log_prior_ = 0.0
        if getattr(ctx, "prior", None) is not None:  # the objective was the log-posterior; log_likelihood_ is the likelihood's
            self.log_prior_ = ctx.log_prior(b["weights"], b["means"], b["covariances"])
            self.log_likelihood_ = b["log_likelihood"] - self.log_prior_
        self.best_restart_ = int(best)
        self.log_likelihood_fall_ = float(b.get("log_likelihood_fall", 0.0))  # emdesk.engine.likelihood_fall
        self.restart_log_likelihoods_ = np.array([r["log_likelihood"] for r in results])
        self.restart_degenerate_ = np.array([is_collapse(r["issues"]) for r in results], dtype=bool)  # em.kept_restart
        self.restart_parameters_ = [
            {key: r[key] for key in ("weights", "means", "covariances", "log_likelihood", "n_iter", "converged",
                                     "failed")}
            for r in results
        ]
        self.data_variances_ = ctx.data_variances.copy()
        #: the regularisation actually added to the covariances' diagonal, user units (d,)
        self.reg_covar_ = np.array(ctx.reg_user, dtype=float)
        #: full/tied on complete data: the data's covariance (user units, (d, d)) the degeneracy
        #: diagnosis compares with; None otherwise
        self.data_covariance_ = None if ctx.data_cov is None else np.array(ctx.data_cov)
        self.n_samples_ = ctx.n_samples
        self.n_rows_all_missing_ = ctx.n_rows_all_missing
        self.degeneracies_ = b["issues"]
        if self.degeneracies_:
            from .diagnostics import advice, format_issues

            warnings.warn(
                "The fitted mixture is degenerate ("
                + format_issues(self.degeneracies_)
                + "); see degeneracies_. " + advice(self.degeneracies_),
                DegenerateSolutionWarning,
                stacklevel=4,  # fit -> run_em -> finish -> here
            )

    def _set_parameters(self, weights, means, cov, covariance_type, d):
        self.weights_ = np.asarray(weights, dtype=float)
        self.means_ = np.asarray(means, dtype=float)
        self.covariances_ = np.asarray(cov, dtype=float)
        self.n_features_in_ = int(d)
        try:
            self.precisions_cholesky_ = _precisions_cholesky(self.covariances_, covariance_type)
        except np.linalg.LinAlgError:
            raise ValueError("A covariance is not positive definite (its Cholesky factorisation "
                             "failed).") from None
        self._score_cache = None

    # ------------------------------------------------------------------ from parameters
    @classmethod
    def from_parameters(cls, weights, means, covariances, covariance_type="full", **params):
        """A fitted model with the given parameters (user units, scikit-learn shapes: weights
        ``(k,)``, means ``(k, d)``, covariances ``(k, d, d)`` full, ``(d, d)`` tied, ``(k, d)``
        diag, ``(k,)`` spherical).

        The one validation of parameters in emdesk (:func:`emdesk.engine._validation.check_parameters`:
        one symmetry tolerance, ``SYMMETRY_RTOL``, the symmetric part kept) is applied, and the
        model is prepared for scoring at once, so a model that is returned can score: raises
        ValueError when the parameters are malformed or cannot be evaluated in float64 (e.g.
        variances so small that the density at a mean overflows).  Everything the engine fits
        is accepted (``Snapshot.to_model``, ``restart_parameters_``, ``emdesk.io.load_fit``).
        """
        if covariance_type not in ("full", "tied", "diag", "spherical"):
            V.check_params(cls(covariance_type=covariance_type))
        weights, means, cov = V.check_parameters(weights, means, covariances, covariance_type)
        k, d = means.shape
        est = cls(n_components=k, covariance_type=covariance_type, **params)
        V.check_params(est)
        est._set_parameters(weights, means, cov, V.covariance_layout(covariance_type, d), d)
        est.converged_ = False
        est.n_iter_ = 0
        est.lower_bound_ = math.nan
        est.log_likelihood_ = math.nan
        est.best_restart_ = 0
        est.restart_log_likelihoods_ = np.array([math.nan])
        est.restart_degenerate_ = np.array([False])
        est.restart_parameters_ = [
            {"weights": weights, "means": means, "covariances": cov,
             "log_likelihood": math.nan, "n_iter": 0, "converged": False}
        ]
        est.data_variances_ = None
        est.degeneracies_ = ()
        est.n_rows_all_missing_ = 0
        est.column_notes_ = ()
        est._check_scorable()
        return est

    def _check_scorable(self):
        """ValueError unless the parameters can be evaluated: the scoring factors exist and the
        density at every mean is finite."""
        self._scoring()
        with np.errstate(all="ignore"):
            at_means = self._estep(self.means_)[0]
            prec_ok = np.all(np.isfinite(np.square(self.precisions_cholesky_)))
        if not (prec_ok and np.all(np.isfinite(at_means))):
            raise ValueError(
                "The covariances cannot be evaluated in double precision (a precision, the "
                "inverse of a variance, or the density at a component's mean is not finite): "
                "variances are too small or too large."
            )

    # ------------------------------------------------------------------ using a fit
    def _check_fitted(self):
        if not hasattr(self, "weights_"):
            raise ValueError(
                "This GaussianMixture is not fitted yet: call fit(X) (or use from_parameters) first."
            )

    def _scoring(self):
        """(Standardizer, Prepared, Layout) of the fitted parameters, cached."""
        cache = getattr(self, "_score_cache", None)
        if cache is None:
            ct = self._layout()
            std = Standardizer.from_params(self.weights_, self.means_, self.covariances_, ct)
            layout = Layout(ct, self.n_features_in_)
            try:
                prep = Prepared(
                    self.weights_, std.means_to_z(self.means_), std.cov_to_z(self.covariances_, ct),
                    ct, layout,
                )
            except NotPositiveDefinite as exc:
                raise ValueError(_not_pd_message(exc, self, "")) from None
            prep.means_user = self.means_
            prep.std = std
            cache = self._score_cache = (std, prep, layout)
        return cache

    def _estep(self, X, want_ll=True, want_resp=True, want_labels=False):
        """Score new data in row blocks (see :func:`emdesk.engine._core.score_rows`).

        Returns ``(ll, resp, labels, all_missing)``: per-row log-densities (user units; observed
        coordinates only for incomplete rows), responsibilities ``(n, k)``, most probable
        components and the mask of rows with every value missing; the outputs not asked for are
        None.  Peak memory: the outputs plus :data:`~emdesk.engine._core.SCORE_BLOCK_BYTES` of
        temporaries (rows with missing values too: in blocks of
        :func:`~emdesk.engine._missing.incomplete_block_rows`, by pattern within a block), plus a
        mask of one byte per row."""
        self._check_fitted()
        X = V.check_array(X, self.missing, n_features=self.n_features_in_)
        std, prep, layout = self._scoring()
        n = X.shape[0]
        k = len(self.weights_)
        ll = np.empty(n) if want_ll else None
        resp = np.empty((n, k)) if want_resp else None
        labels = np.empty(n, dtype=np.intp) if want_labels else None
        incomplete = V.rows_with_nan(X) if self.missing != "error" else None
        all_missing = None
        if incomplete is not None and incomplete.any():
            # In row blocks (issue 16): every temporary is a block's, whatever n.
            from . import _missing

            all_missing = np.zeros(n, dtype=bool)
            step = _missing.incomplete_block_rows(k, X.shape[1])
            for s0 in range(0, n, step):
                e0 = min(n, s0 + step)
                self._estep_block(X, s0, e0, incomplete[s0:e0], std, prep, layout, ll, resp, labels, all_missing)
        else:
            score_rows(X, std, prep, layout, self.weights_, self.means_, self.precisions_cholesky_,
                       ll, resp, labels)
        return ll, resp, labels, all_missing

    def _estep_block(self, X, s0, e0, incomplete, std, prep, layout, ll, resp, labels, all_missing):
        """Rows ``s0:e0`` of X (some with NaN) into the outputs of :meth:`_estep`."""
        k = len(self.weights_)
        rows = s0 + np.flatnonzero(incomplete)
        if rows.size:
            Xi = X[rows]
            all_missing[rows] = np.isnan(Xi).all(axis=1)
            from ._missing import score_incomplete

            ri = np.empty((k, len(rows)))
            li = np.empty(len(rows))
            with np.errstate(all="ignore"):
                Zi = std.to_z(Xi)
                score_incomplete(Zi, prep, std, ri, li)
                zo = np.where(np.isnan(Zi), 0.0, Zi)
                far = ~(np.einsum("ij,ij->i", zo, zo) * prep.lam_max <= FAR_QUADRATIC)
            far |= ~np.isfinite(li) | np.isnan(ri).any(axis=0)
            far &= ~all_missing[rows]
            if far.any():
                self._score_far_incomplete(Xi, np.flatnonzero(far), ri, li)
            if ll is not None:
                ll[rows] = li
            if resp is not None:
                resp[rows] = ri.T
            if labels is not None:
                labels[rows] = np.argmax(ri, axis=0)
        done = s0 + np.flatnonzero(~incomplete)
        if done.size:
            sub = [None if o is None else np.empty(done.size, dtype=o.dtype) for o in (ll, labels)]
            sub_resp = None if resp is None else np.empty((done.size, k))
            score_rows(X[done], std, prep, layout, self.weights_, self.means_,
                       self.precisions_cholesky_, sub[0], sub_resp, sub[1])
            if ll is not None:
                ll[done] = sub[0]
            if labels is not None:
                labels[done] = sub[1]
            if resp is not None:
                resp[done] = sub_resp

    def _score_far_incomplete(self, Xi, idx, ri, li):
        """Rows of Xi (with NaN) that the pattern E-step cannot score without overflow: each
        pattern's marginal mixture (a mixture of the marginals on the observed coordinates) is
        scored by the overflow-free path of complete rows.  Fills ri (k, r) and li (r,)."""
        from ._missing import patterns

        k, d = self.means_.shape
        F = full_covariances(self.covariances_, self._layout(), k, d)
        sub = Xi[idx]
        for o, _m, prow in patterns(~np.isnan(sub)):
            o = np.asarray(o)
            if o.dtype == bool:
                o = np.flatnonzero(o)
            marginal = GaussianMixture.from_parameters(
                self.weights_, self.means_[:, o], F[np.ix_(np.arange(k), o, o)], "full")
            ll, resp, _, _ = marginal._estep(sub[np.ix_(prow, o)])
            li[idx[prow]] = ll
            ri[:, idx[prow]] = resp.T

    def score_samples(self, X):
        """Log-density of every row, ``(n,)`` (observed coordinates only for incomplete rows);
        a lazy dask array for Dask input.

        Never NaN for finite input: a row so far from every component that its density
        underflows gets ``-inf``.  Scored in row blocks (memory: the result plus a fixed block
        budget, ``emdesk.engine._core.SCORE_BLOCK_BYTES``)."""
        if _is_dask(X):
            from . import _dask
            return _dask.score_samples(self, X)
        return self._estep(X, want_resp=False)[0]

    def score(self, X):
        """Mean log-likelihood per row (rows with every value missing are not counted)."""
        n, ll, _ = self._criteria(X, entropy=False)
        return ll / n

    def predict_proba(self, X):
        """Responsibilities ``(n, k)`` (rows sum to 1, never NaN for finite input: a row far from
        every component is one-hot on the nearest one in the model's metric).  Row blocks, as
        :meth:`score_samples`; a lazy dask array for Dask input."""
        if _is_dask(X):
            from . import _dask
            return _dask.predict_proba(self, X)
        return self._estep(X, want_ll=False)[1]

    def predict(self, X):
        """Most probable component of every row, ``(n,)`` (``argmax`` of :meth:`predict_proba`),
        computed in row blocks without the ``(n, k)`` responsibilities."""
        if _is_dask(X):
            from . import _dask
            return _dask.predict(self, X)
        return self._estep(X, want_ll=False, want_resp=False, want_labels=True)[2]

    def n_parameters(self):
        """Number of free parameters (as scikit-learn's ``_n_parameters``; for mclust's model names
        mclust's ``nMclustParams``, e.g. VEV: ``k + (d - 1) + k d (d - 1) / 2`` covariance
        parameters, ``k d`` means and ``k - 1`` weights)."""
        self._check_fitted()
        k, d = self.means_.shape
        ct = self.covariance_type
        if ct not in ("full", "tied", "diag", "spherical"):
            return cm.n_parameters(ct, d, k)
        if ct == "full":
            cov = k * d * (d + 1) / 2.0
        elif ct == "diag":
            cov = k * d
        elif ct == "tied":
            cov = d * (d + 1) / 2.0
        else:
            cov = k
        return int(cov + k * d + k - 1)

    def _criteria(self, X, sample_weight=None, entropy="map"):
        """``(n, log-likelihood, classification term)`` of X from one E-step; the term is that of
        ICL of kind ``entropy`` (``"map"`` or ``"entropy"``, see :mod:`emdesk.engine.criteria`; True
        means ``"entropy"``, False skips it: 0).  Rows with every value missing are not counted; with
        ``sample_weight`` every row counts by its weight (``n`` is then the total weight), as a
        duplicated row would."""
        if _is_dask(X):
            from . import _dask
            return _dask.criteria(self, X, sample_weight, entropy)
        X, w = scored_rows(self, X, sample_weight)  # rows of weight 0 do not count: not scored at all
        ll, resp, _, all_missing = self._estep(X, want_resp=entropy)
        keep = np.ones(ll.shape[0], dtype=bool) if all_missing is None else ~all_missing
        if not keep.any():
            raise ValueError(
                "X has no row with an observed value (every row is all NaN, or has weight 0): "
                "give rows with data."
            )
        if not keep.all():
            ll = ll[keep]
            resp = None if resp is None else resp[keep]
        w = None if w is None else w[keep]
        n = float(keep.sum()) if w is None else float(w.sum())
        total = float(ll.sum()) if w is None else dot(ll, w)
        ent = 0.0
        if entropy:
            ent = classification_term(resp, entropy, w)
        return n, total, ent

    def _scores(self, X, sample_weight=None):
        """``n``, ``log_likelihood``, ``bic``, ``aic`` and ``icl`` (mclust's, ``kind="map"``) of X
        (a dict) from one E-step (see :meth:`_criteria`)."""
        n, ll, ent = self._criteria(X, sample_weight)
        p = self.n_parameters()
        bic = -2.0 * ll + p * math.log(n)
        return {"n": n, "log_likelihood": ll, "bic": bic, "aic": -2.0 * ll + 2.0 * p, "icl": bic + 2.0 * ent}

    def bic(self, X):
        """Bayesian information criterion (lower is better)."""
        n, ll, _ = self._criteria(X, entropy=False)
        return -2.0 * ll + self.n_parameters() * math.log(n)

    def aic(self, X):
        """Akaike information criterion (lower is better)."""
        n, ll, _ = self._criteria(X, entropy=False)
        return -2.0 * ll + 2.0 * self.n_parameters()

    def icl(self, X, kind="map"):
        """Integrated completed likelihood (Biernacki, Celeux & Govaert 2000; lower is better):
        BIC plus twice a classification term of the responsibilities.  ``kind="map"`` (default):
        as mclust computes it, ``-2 sum_i log r_{i, c_i}`` with ``c_i`` the most probable component
        (mclust's ``icl()``, in scikit-learn's sign); ``kind="entropy"``: the soft version, twice
        the classification entropy ``-sum_i sum_k r_ik log r_ik`` (never below the MAP one).
        Raises ValueError for another kind."""
        kind = check_icl_kind(kind)
        n, ll, term = self._criteria(X, entropy=kind)
        return -2.0 * ll + self.n_parameters() * math.log(n) + 2.0 * term

    def sample(self, n_samples=1, random_state=None):
        """Draw ``n_samples`` points; returns ``(X, labels)`` (grouped by component, as in
        scikit-learn).  ``random_state`` defaults to the estimator's."""
        self._check_fitted()
        n = V._int(n_samples, "n_samples", 1)
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        k, d = self.means_.shape
        counts = rng.multinomial(n, self.weights_ / self.weights_.sum())
        full = full_covariances(self.covariances_, self._layout(), k, d)
        X = sample_rows(self.means_, full, counts, rng)  # written in row blocks (issue 16), the same bits
        labels = np.repeat(np.arange(k), counts)
        return X, labels

    def impute(self, X, n_imputations=None, random_state=None):
        """X with every missing value replaced by its conditional expectation under the fitted
        mixture (``n_imputations=None``), or an ``(n_imputations, n, d)`` stack of draws from
        the conditional distribution (multiple imputation)."""
        from ._missing import impute

        self._check_fitted()
        X = V.check_array(X, "marginalize", n_features=self.n_features_in_)
        if n_imputations is not None:
            n_imputations = V._int(n_imputations, "n_imputations", 1)
        std, prep, layout = self._scoring()
        rng = np.random.default_rng(random_state)
        return impute(X, std, prep, self._layout(), n_imputations, rng)

    def _layout(self):
        """The scikit-learn layout of ``covariances_`` (``covariance_type`` itself, or where
        mclust's model is stored: see :func:`emdesk.engine._validation.covariance_layout`)."""
        return V.covariance_layout(self.covariance_type, self.n_features_in_)


def _precisions_cholesky(cov, covariance_type):
    """scikit-learn's ``precisions_cholesky_`` of the covariances (user units)."""
    if covariance_type in ("full", "tied"):
        stack = cov if covariance_type == "full" else cov[None]
        d = stack.shape[-1]
        L = np.linalg.cholesky(stack)
        out = np.swapaxes(np.linalg.solve(L, np.broadcast_to(np.eye(d), L.shape)), 1, 2).copy()
        return out if covariance_type == "full" else out[0]
    return 1.0 / np.sqrt(cov)


def _is_dask(X):
    """A Dask collection (array, DataFrame): the ``__dask_graph__`` protocol; dask is not imported."""
    return callable(getattr(X, "__dask_graph__", None))
