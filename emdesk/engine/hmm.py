"""Hidden Markov models with hmmlearn's names and shapes: ``GaussianHMM``, ``PoissonHMM``,
``CategoricalHMM`` (Baum-Welch = EM; Rabiner 1989; hmmlearn 0.3 API).

Each is the Markov structure (:mod:`emdesk.engine.structures.markov`: chunked, vectorised
forward-backward and Viterbi) x an emission family (:mod:`emdesk.engine.families`), fitted by the
one EM driver (:mod:`emdesk.engine.em`) with restarts, ``fit_iter`` snapshots and the degeneracy
guard.  Rows of ``X`` are time steps; ``lengths`` (as hmmlearn) splits them into consecutive
sequences (None: one sequence).

Differences from hmmlearn, on purpose:

* ``n_init`` restarts, every restart's optimum kept in ``restart_parameters_``; ``fit_iter``.
* ``missing="marginalize"``: a NaN cell contributes its marginal density (exactly), Gaussian and
  Poisson (and a missing categorical symbol).  A row with every value missing is a time step without
  an observation (density 1 under every state: the chain carries the state across it), in every kind
  alike; a column with no observed value is a ValueError when fitting.  ``missing="error"`` (the
  default) refuses any NaN.
* No priors by default (maximum likelihood); ``transmat_prior`` (Dirichlet, hmmlearn's MAP form
  ``max(prior - 1 + counts, 0)``) as an option.  ``reg_covar`` (user units, default 1e-6) is
  added to every variance in the M-step, as for the mixtures; set 0 for plain ML.
* ``tol`` is on the mean log-likelihood per row (as our mixtures), not on the total.
* ``decode(..., algorithm="map")`` returns the sum of the *logs* of the chosen posteriors.
* Impossible data (a row with probability 0 under every state: a symbol no state emits, a count > 0
  under rates that are all 0, a Gaussian density that underflows; or a sequence no state path can
  produce): ``score`` returns ``-inf`` (the log of probability 0, as hmmlearn's ``score``);
  ``score_samples``, ``predict_proba``, ``decode`` and ``predict`` have no posteriors or path to give
  and raise one ValueError naming the first such row (1-based) or sequence (hmmlearn returns NaN
  posteriors and an arbitrary path there).  Invalid values (not counts, a symbol outside
  ``0 .. n_features - 1``) are a ValueError in every method, ``score`` included.
* Degeneracy guard: a state with (almost) no expected occupancy keeps its emission parameters and
  a transition row that would be 0/0 keeps its previous value; both are reported in
  ``degeneracies_`` (``ComponentIssue`` kinds ``"empty_state"``, ``"dead_transition_row"``),
  never a NaN.
"""

from __future__ import annotations

import numpy as np

from ._core import COVARIANCE_TYPES, full_covariances
from .families.categorical import CategoricalFamily
from .families.gaussian import GaussianFamily
from .families.poisson import PoissonFamily
from .models import HiddenMarkovModel, LatentModel, MixtureModel
from .structures.markov import MarkovStructure

__all__ = ["GaussianHMM", "PoissonHMM", "CategoricalHMM", "model_from_snapshot", "hmm_icl"]

_COMMON = ("n_components", "tol", "max_iter", "n_init", "init_params", "random_state", "startprob_init",
           "transmat_init", "transmat_prior", "missing")


def _prob_vector(v, k, name):
    a = np.asarray(v, dtype=float)
    if a.shape != (k,):
        raise ValueError(f"{name} must have shape ({k},); got {a.shape}.")
    if not np.all(np.isfinite(a)) or np.any(a < 0) or not abs(a.sum() - 1.0) <= 1e-8:
        raise ValueError(f"{name} must be probabilities (>= 0) summing to 1.")
    return a


def _prob_matrix(v, k, name):
    a = np.asarray(v, dtype=float)
    if a.shape != (k, k):
        raise ValueError(f"{name} must have shape ({k}, {k}); got {a.shape}.")
    if not np.all(np.isfinite(a)) or np.any(a < 0) or not np.allclose(a.sum(axis=1), 1.0, rtol=0, atol=1e-8):
        raise ValueError(f"every row of {name} must be probabilities (>= 0) summing to 1.")
    return a


class _BaseHMM(LatentModel):
    _STRUCT_ATTRS = {"startprob": "startprob_", "transmat": "transmat_"}
    _FAMILY_INITS: dict = {}  # family parameter -> constructor keyword

    def _structure(self):
        return MarkovStructure(transmat_prior=self.transmat_prior)

    def _explicit_inits(self, k, d, fdata):
        sp = {}
        if self.startprob_init is not None:
            sp["startprob"] = _prob_vector(self.startprob_init, k, "startprob_init")
        if self.transmat_init is not None:
            sp["transmat"] = _prob_matrix(self.transmat_init, k, "transmat_init")
        given = {p: getattr(self, kw) for p, kw in self._FAMILY_INITS.items() if getattr(self, kw) is not None}
        fp = {}
        if given:
            fam = self._family()
            # validate the given ones against shapes (fill the others with placeholders first)
            fp = self._check_family_inits(given, k, d, fdata)
        complete = len(sp) == 2 and len(fp) == len(self._FAMILY_INITS)
        return sp, fp, complete

    def _check_family_inits(self, given, k, d, fdata):
        return dict(given)

    def _check_columns_said(self, X, k):
        """Constant and linearly dependent columns: said once before fitting (``column_notes_`` and a
        ``DataColumnWarning``, as ``GaussianMixture``), the fit goes on; ValueError for more states than
        time steps with an observed value (rows with every value missing are time steps without one)."""
        import warnings

        from .diagnostics import DataColumnWarning
        from .families._codes import CodedRows
        from ._markov_run import empty_rows
        from .hmm_notes import hmm_column_notes

        # the time steps without an observation: the degeneracy messages count a state's observed steps only
        self._empty_rows = empty_rows(X)
        if isinstance(X, CodedRows):  # compact symbol codes: read as they are (issue 16)
            self.column_notes_ = ()
            return
        notes, n_obs = hmm_column_notes(X, self._family().name, getattr(self, "covariance_type", None))
        if k > n_obs:
            raise ValueError(
                f"n_components={k} is more than the {n_obs:,} time step{'s' if n_obs != 1 else ''} with an observed value (of "
                f"{X.shape[0]:,} rows; a row with every value missing is a time step without one): choose at "
                f"most {n_obs:,} states.")
        self.column_notes_ = notes
        if notes:  # attributed to the caller of fit_iter (fit, or a script)
            warnings.warn(" ".join(notes), DataColumnWarning, stacklevel=3)

    def icl(self, X, lengths=None, kind="map"):
        """Integrated completed likelihood of X (lower is better): see :func:`hmm_icl`."""
        return hmm_icl(self, X, lengths, kind)


def hmm_icl(model, X, lengths=None, kind="map") -> float:
    """ICL of a fitted hidden Markov model on X, in the engine's sign convention (lower is better):
    BIC plus twice a classification term over the *state paths* (rows of an HMM are not classified one by
    one: the hidden classification is the whole path).

    ``kind="map"`` (default): ``-2 log p(X, s*) + p log n`` with ``s*`` the Viterbi path, i.e.
    ``BIC - 2 log p(s* | X)``: the complete-data likelihood at the most probable path, the ICL of Biernacki,
    Celeux & Govaert (2000) for HMMs as Celeux & Durand (2008), "Selecting hidden Markov model state number
    with cross-validated likelihood", Computational Statistics 23, 541-564, section 2.3, use it (and as
    mclust's ICL takes the MAP classification).
    ``kind="entropy"``: ``BIC + 2 H(S | X)``, the entropy of the posterior distribution of the state path,
    ``H = log p(X) - E[log p(X, S) | X]`` with the expectation from forward-backward (start and transition
    posteriors and state posteriors), the entropy form of the same paper.
    Both terms are >= 0, and the entropy one is the larger (``-log max_s p(s|X) <= H``).

    n is the number of rows (time steps), as in the HMM's BIC; p = ``model.n_parameters()``.
    Raises ValueError for an unknown kind or X the model gives probability 0.
    """
    import math

    from ._markov_run import markov_impossible
    from .criteria import check_icl_kind
    from .structures.markov_blocked import forward_backward_blocked, viterbi_blocked

    kind = check_icl_kind(kind)
    rows, sparams, lengths = model._markov_rows(X, lengths)
    n = rows.fdata.n
    bic_pen = model.n_parameters() * math.log(n)
    sp, tm = sparams["startprob"], sparams["transmat"]
    if kind == "map":
        # row blocks with checkpoints (structures/markov_blocked.py): the path is the only (n,) array
        log_joint, _ = viterbi_blocked(rows.logB, sp, tm, lengths)
        if not math.isfinite(log_joint):
            raise markov_impossible(rows, sparams, lengths)
        return float(-2.0 * log_joint + bic_pen)

    def expect(weights, logs):  # sum w log p with 0 log 0 = 0
        w = np.asarray(weights, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.sum(np.where(w > 0, w * np.where(w > 0, logs, 0.0), 0.0)))

    e_rows = [0.0]

    def consume(s, e, gamma):  # E[sum_t log b_t(S_t) | X], block by block
        e_rows[0] += expect(gamma, rows.logB(s, e))

    ll, xi, start = forward_backward_blocked(rows.logB, sp, tm, lengths, consume, want_xi=True)
    if not math.isfinite(ll):
        raise markov_impossible(rows, sparams, lengths)
    with np.errstate(divide="ignore"):
        e_joint = expect(start, np.log(sp)) + expect(xi, np.log(tm)) + e_rows[0]
    entropy = max(ll - e_joint, 0.0)
    return float(-2.0 * ll + bic_pen + 2.0 * entropy)


class GaussianHMM(_BaseHMM):
    """Hidden Markov model with Gaussian emissions (hmmlearn's ``GaussianHMM``).

    Parameters
    ----------
    n_components : int, number of states k.
    covariance_type : {"diag", "full", "tied", "spherical"}, default "diag" (as hmmlearn).
    reg_covar : float >= 0, default 1e-6, added to every variance in the M-step (user units).
    tol, max_iter, n_init, init_params, random_state : as ``GaussianMixture`` (``init_params``: the
        initial state responsibilities, from which starting means, covariances, start and
        transition probabilities are computed).
    startprob_init (k,), transmat_init (k, k), means_init (k, d), covars_init (covars_ setter shape:
        spherical (k,), diag (k, d), full (k, d, d), tied (d, d)): explicit starting values; when
        all four are given nothing is random.
    transmat_prior : None or Dirichlet concentrations (number or (k, k)); None = 1 = no prior.
    missing : {"error", "marginalize"}.

    Attributes (hmmlearn's): ``startprob_`` (k,), ``transmat_`` (k, k), ``means_`` (k, d),
    ``covars_`` (getter: (k, d, d) for every type, as hmmlearn's; setter: the type's shape),
    ``n_features_in_``; after fit also ``converged_``, ``n_iter_``, ``log_likelihood_`` (total),
    ``lower_bound_`` (per row), ``restart_parameters_``, ``restart_log_likelihoods_``,
    ``best_restart_``, ``degeneracies_``.

    Errors: ValueError for invalid arguments, data (NaN with missing="error", infinite values),
    ``lengths`` that do not sum to the number of rows or contain a length < 1.
    """

    _PARAMS = _COMMON + ("covariance_type", "reg_covar", "means_init", "covars_init")
    _FAMILY_INITS = {"means": "means_init", "covariances": "covars_init"}

    def __init__(self, n_components=1, *, covariance_type="diag", reg_covar=1e-6, tol=1e-3, max_iter=100,
                 n_init=1, init_params="kmeans++", random_state=None, startprob_init=None, transmat_init=None,
                 means_init=None, covars_init=None, transmat_prior=None, missing="error"):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.means_init = means_init
        self.covars_init = covars_init
        self.transmat_prior = transmat_prior
        self.missing = missing

    def _check_params(self):
        super()._check_params()
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}; "
                             f"got {self.covariance_type!r}.")
        r = self.reg_covar
        if isinstance(r, bool) or not isinstance(r, (int, float, np.floating, np.integer)) or not r >= 0:
            raise ValueError(f"reg_covar must be a number >= 0; got {r!r}.")

    def _family(self):
        return GaussianFamily(self.covariance_type, self.reg_covar, self.missing)

    def _check_family_inits(self, given, k, d, fdata):
        from . import _validation as V

        out = {}
        if "means" in given:
            out["means"] = V.check_means(given["means"], k, d)
        if "covariances" in given:
            out["covariances"] = V.check_covariances(given["covariances"], self.covariance_type, k, d)
        return out

    # hmmlearn's covars_: full matrices on reading, the type's shape on writing
    @property
    def covars_(self):
        c = self._covars_
        k, d = np.asarray(self.means_).shape
        return full_covariances(c, self.covariance_type, k, d)

    @covars_.setter
    def covars_(self, value):
        self._covars_ = np.array(value, dtype=float)

    def _get_family_params(self):
        return {"means": self.means_, "covariances": self._covars_}

    def _set_family_params(self, fparams):
        self.means_ = np.array(fparams["means"], dtype=float)
        self._covars_ = np.array(fparams["covariances"], dtype=float)

    def _family_attr_names(self):
        return ["means_", "covars_"]

    def _state(self):
        sparams, fparams = super()._state()
        if not hasattr(self, "n_features_in_") or self.n_features_in_ != np.asarray(self.means_).shape[1]:
            self.n_features_in_ = int(np.atleast_2d(np.asarray(self.means_)).shape[1])
        return sparams, fparams


class PoissonHMM(_BaseHMM):
    """Hidden Markov model with independent Poisson emissions per column (hmmlearn's ``PoissonHMM``).

    ``X`` holds counts (whole numbers >= 0; ValueError otherwise).  Parameters as
    :class:`GaussianHMM` without the covariance ones, plus ``lambdas_init`` (k, d).  Attributes:
    ``startprob_``, ``transmat_``, ``lambdas_`` (k, d) (the rates) and the fit attributes.
    """

    _PARAMS = _COMMON + ("lambdas_init",)
    _FAMILY_INITS = {"lambdas": "lambdas_init"}

    def __init__(self, n_components=1, *, tol=1e-3, max_iter=100, n_init=1, init_params="kmeans++",
                 random_state=None, startprob_init=None, transmat_init=None, lambdas_init=None,
                 transmat_prior=None, missing="error"):
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.lambdas_init = lambdas_init
        self.transmat_prior = transmat_prior
        self.missing = missing

    def _family(self):
        return PoissonFamily(self.missing)

    def _check_family_inits(self, given, k, d, fdata):
        return PoissonFamily().check_params(given, k, d)

    def _get_family_params(self):
        return {"lambdas": self.lambdas_}

    def _set_family_params(self, fparams):
        self.lambdas_ = np.array(fparams["lambdas"], dtype=float)

    def _state(self):
        sparams, fparams = super()._state()
        self.n_features_in_ = int(np.atleast_2d(np.asarray(self.lambdas_)).shape[1])
        return sparams, fparams


class CategoricalHMM(_BaseHMM):
    """Hidden Markov model with categorical emissions (hmmlearn's ``CategoricalHMM``).

    ``X`` is one column of integer symbols ``0 .. n_features - 1`` (ValueError otherwise).
    ``n_features`` (the number of symbols) defaults to ``max(X) + 1`` at fit, or the width of
    ``emissionprob_`` when it is set.  ``emissionprob_init`` (k, n_features); ``emissionprob_prior``
    (Dirichlet, optional).  Attributes: ``startprob_``, ``transmat_``, ``emissionprob_``.
    """

    _PARAMS = _COMMON + ("n_features", "emissionprob_init", "emissionprob_prior")
    _FAMILY_INITS = {"emissionprob": "emissionprob_init"}
    #: integer symbols (hmmlearn's input) are read as they are, one block at a time: no float64 copy
    #: of X (issue 16; CategoricalFamily converts each block)
    _integer_X_as_is = True

    def __init__(self, n_components=1, *, n_features=None, tol=1e-3, max_iter=100, n_init=1,
                 init_params="kmeans++", random_state=None, startprob_init=None, transmat_init=None,
                 emissionprob_init=None, emissionprob_prior=None, transmat_prior=None, missing="error"):
        self.n_components = n_components
        self.n_features = n_features
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.emissionprob_init = emissionprob_init
        self.emissionprob_prior = emissionprob_prior
        self.transmat_prior = transmat_prior
        self.missing = missing

    def _family(self):
        n_sym = self.n_features
        if n_sym is None and self.emissionprob_init is not None:
            n_sym = np.asarray(self.emissionprob_init).shape[1]
        if n_sym is None and hasattr(self, "emissionprob_"):
            n_sym = np.asarray(self.emissionprob_).shape[1]
        return CategoricalFamily(n_sym, self.missing, self.emissionprob_prior)

    def _check_family_inits(self, given, k, d, fdata):
        return CategoricalFamily().check_params(given, k, d)

    def _get_family_params(self):
        return {"emissionprob": self.emissionprob_}

    def _set_family_params(self, fparams):
        self.emissionprob_ = np.array(fparams["emissionprob"], dtype=float)

    def _state(self):
        sparams, fparams = super()._state()
        self.n_features_in_ = 1
        return sparams, fparams


_NAMED = {"gaussian": GaussianHMM, "poisson": PoissonHMM, "categorical": CategoricalHMM}


def model_from_snapshot(snap, **params):
    """The model of a structure x family snapshot (``Snapshot.to_model``): its parameters set as
    attributes of a new estimator with the same constructor keywords (overridden by ``params``)."""
    kw = dict(snap.model_params or {})
    kw.update(params)
    if "family" in kw:  # generic compositions
        cls = HiddenMarkovModel if snap.structure == "markov" else MixtureModel
        est = cls(**kw)
    else:
        est = _NAMED[snap.family](**kw)
    sparams = {"startprob": snap.startprob, "transmat": snap.transmat} if snap.structure == "markov" else {
        "weights": snap.weights}
    est._set_state({n: np.array(v) for n, v in sparams.items()}, {n: np.array(v) for n, v in snap.params.items()})
    est._state()  # validates and sets n_features_in_
    return est
