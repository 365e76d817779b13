"""Estimators composed of a latent structure and an emission family, run by the one EM driver.

``LatentModel`` is written once against the contracts of :mod:`emdesk.engine.structures` and
:mod:`emdesk.engine.families` (docs/INTERFACES.md): restarts, ``fit_iter`` snapshots, the
degeneracy guard, scoring, decoding, sampling and the information criteria.  Two generic public
compositions:

* :class:`MixtureModel` (family, n_components, ...) - a finite mixture of any family;
* :class:`HiddenMarkovModel` (family, n_components, ...) - an HMM with any family's emissions.

``GaussianMixture`` keeps its own fused fast path (:mod:`emdesk.engine.gaussian`, the same driver);
the named HMMs (``GaussianHMM``, ``PoissonHMM``, ``CategoricalHMM``) are in
:mod:`emdesk.engine.hmm`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._validation import check_columns
from .diagnostics import ComponentIssue, DegenerateSolutionWarning, is_collapse
from .em import RestartFailed, run_em
from .families.base import FamilyFailure
from .families._blocks import ColumnView, RowResp, TakenRows, prepared_blocks
from .families._codes import CodedRows
from . import _resample
from .init import INIT_METHODS, initial_assignment, initial_responsibilities
from .snapshot import Snapshot, frozen_copy
from .structures.markov import MarkovStructure, SequenceLengths, Sequences, check_lengths
from .structures.markov_init import check_transmat_prior
from .structures.mixture import MixtureStructure

__all__ = ["LatentModel", "MixtureModel", "HiddenMarkovModel"]


def _issues(raw):
    out = []
    for item in raw:
        out.append(item if isinstance(item, ComponentIssue) else ComponentIssue(item[1], item[0], item[2]))
    return tuple(out)


def state_words(text: str) -> str:
    """``text`` about a mixture's components in an HMM's words: "Component 2" -> "State 2", "components" ->
    "states"."""
    import re

    return re.sub(r"\b([Cc])omponent(s?)\b", lambda m: ("S" if m.group(1) == "C" else "s") + "tate" + m.group(2),
                  text)


def _blocked_family(fam):
    """Whether the family has the row-block API (``rows``, ``add_stats``); a family of the plain
    contract runs on all rows at once."""
    return hasattr(fam, "rows") and hasattr(fam, "add_stats")


def _check_observed_columns(X, step=65536):
    """ValueError (GaussianMixture's wording) when a column of X has no observed value: there is nothing
    to estimate its parameters from (the families gave made-up values: a mean 0 and variance at the floor,
    a rate 1e-10).  Rows with every value missing are fitted (density 1: an HMM's time step without an
    observation; a mixture row whose posterior is the weights).  Read in row blocks."""
    if isinstance(X, CodedRows):  # compact codes: read as they are, not as float rows
        seen = X.observed_columns()
    else:
        seen = np.zeros(X.shape[1], dtype=bool)
        for s in range(0, X.shape[0], step):
            seen |= ~np.isnan(X[s:s + step]).all(axis=0)
            if seen.all():
                break
    if seen.all():
        return
    empty = np.flatnonzero(~seen)
    cols = ", ".join(str(j + 1) for j in empty)
    which = f"column {cols} has" if empty.size == 1 else f"columns {cols} have"
    raise ValueError(f"X {which} no observed value (every cell is NaN), so there is nothing to estimate "
                     "its parameters from: leave such columns out.")


class _Run:
    """The model context of structure x family for :func:`emdesk.engine.em.run_em`."""

    def __init__(self, est, fdata, seqs, inits):
        self.est, self.fdata, self.seqs, self.inits = est, fdata, seqs, inits
        self.W = float(fdata.n)
        self.post = None
        self.occupancy = None  # (k,) summed over the blocks of the last E-step (mixtures, Markov)
        self.observed = None  # (k,) Markov: the occupancy of the time steps with an observed value
        self.want_resp = False  # keep the (n, k) posteriors (fit_iter(responsibilities=True))
        self._plan = None  # the Markov E-steps' row blocks (structures.markov_blocked.BlockPlan)
        self.m_issues = ()

    def initial_params(self, rng, interrupt):
        est = self.est
        sp0, fp0, complete = self.inits
        k = est.n_components
        if complete:
            return dict(sp0), dict(fp0)
        fam, struct = est._family(), est._structure()
        start = getattr(fam, "initial_state", None)
        mixture = struct.name == "mixture" and _blocked_family(fam)
        if start is not None and not sp0 and not fp0:
            # a family's own start (the Student-t's outlier-robust candidates); not when the user gave
            # some of the starting values
            resp, fparams = start(self.fdata, est.init_params, k, rng, interrupt)
        elif _blocked_family(fam):
            # one label per row (or regenerated random numbers), read per block by the family and the
            # structure: never (n, k) (issue 16); the same numbers and random stream as the (n, k) array
            resp = RowResp.of(initial_assignment(est.init_params, fam.init_matrix(self.fdata), k, None, rng,
                                                 interrupt))
            fparams = fam.init_params(self.fdata, resp)
        else:  # a family of the plain contract reads all rows at once
            resp = initial_responsibilities(est.init_params, fam.init_matrix(self.fdata), k, None, rng, interrupt)
            fparams = fam.init_params(self.fdata, resp)
        if mixture:
            sparams = struct.init_params_from_occupancy(resp.sum(axis=0))
        elif struct.name == "markov":
            sparams = struct.init_params(resp, self.seqs)  # per row block (RowResp or (n, k))
        else:
            sparams = struct.init_params(resp.to_array() if isinstance(resp, RowResp) else resp, self.seqs)
        if sp0:
            sparams.update(sp0)
        if fp0:
            fparams.update(fp0)
        return sparams, fparams

    def prepare(self, params, where):
        sparams, fparams = params
        try:
            return sparams, self.est._family().prepare(self.fdata, fparams)
        except FamilyFailure as exc:
            raise RestartFailed(f"EM cannot continue{where}: {exc}") from None

    def e_step(self, prep, want_stats):
        if self.est._structure().name == "mixture" and _blocked_family(self.est._family()):
            return self._e_step_mixture_blocked(prep, want_stats)
        if self.seqs is not None:
            return self._e_step_markov_blocked(prep, want_stats)
        sparams, fprep = prep
        logB = self.est._family().log_prob(self.fdata, fprep)
        ll, post, sstats = self.est._structure().e_step(logB, sparams, self.seqs, want_stats)
        if not np.isfinite(ll):
            return ll, None
        self.post = post
        self._fprep = fprep
        if not want_stats:
            return ll, None
        return ll, (sstats, self.est._family().stats(self.fdata, fprep, post), post.sum(axis=0), sparams)

    #: Budget of the (b, k) block temporaries of a mixture's E-step (bytes); the families' own per-row
    #: arrays of a block are within ``families._blocks.FAMILY_BLOCK_BYTES``.
    E_STEP_BLOCK_BYTES = 16 << 20

    def _e_step_mixture_blocked(self, prep, want_stats):
        """The mixture's E-step over row blocks: per block the family's log-densities, the posteriors
        (log-sum-exp over components), the family's statistics, summed with ``add_stats``; the
        occupancy summed.  The (n, k) posteriors are kept only when ``want_resp`` (the snapshots'
        responsibilities).  Peak: one block's temporaries (about :attr:`E_STEP_BLOCK_BYTES`)."""
        sparams, fprep = prep
        fam, struct, data = self.est._family(), self.est._structure(), self.fdata
        n, k = data.n, self.est.n_components
        step = getattr(data, "block", None) or n
        step = max(1, min(step, self.E_STEP_BLOCK_BYTES // (8 * 4 * k)))
        post_all = np.empty((n, k)) if self.want_resp else None
        total = 0.0
        occupancy = np.zeros(k)
        fstats = None
        for s in range(0, n, step):
            e = min(s + step, n)
            db = fam.rows(data, s, e)
            ll, post, nk = struct.e_step(fam.log_prob(db, fprep), sparams, None, want_stats)
            if post is None or not np.isfinite(ll):
                return -math.inf, None
            total += ll
            occupancy += nk
            if want_stats:
                st = fam.stats(db, fprep, post)
                fstats = st if fstats is None else fam.add_stats(fstats, st)
            if post_all is not None:
                post_all[s:e] = post
        self.post = post_all
        self.occupancy = occupancy
        self._fprep = fprep
        if not want_stats:
            return total, None
        return total, (occupancy.copy(), fstats, occupancy, sparams)
    def _e_step_markov_blocked(self, prep, want_stats):
        """The Markov structure's E-step in row blocks (:mod:`emdesk.engine._markov_run`): the (n, k)
        posteriors are kept only for ``fit_iter(..., responsibilities=True)`` (or a family without the
        row-block API); the snapshot's occupancy is summed block by block."""
        from ._markov_run import markov_e_step
        from .structures.markov_blocked import BlockPlan, block_rows_for

        sparams, fprep = prep
        if self._plan is None:  # the blocks and their layouts, for every E-step
            self._plan = BlockPlan(self.seqs.lengths, block_rows_for(self.est.n_components))
        ll, post, occ, seen, sstats, fstats = markov_e_step(self.est._family(), self.fdata, fprep, sparams,
                                                            self.seqs.lengths, want_stats, self.want_resp,
                                                            self._plan, getattr(self.est, "_empty_rows", None))
        if not np.isfinite(ll):
            return ll, None
        self.post, self.occupancy, self.observed = post, occ, seen
        self._fprep = fprep
        if not want_stats:
            return ll, None
        return ll, (sstats, fstats, occ, sparams)

    def m_step(self, stats):
        sstats, fstats, occupancy, sparams = stats
        sp, s_issues = self.est._structure().m_step(sstats, sparams, occupancy)
        fp, f_issues = self.est._family().m_step(self.fdata, fstats, self._last_fparams)
        self.m_issues = _issues(list(f_issues) + list(s_issues))
        return sp, fp

    def nonfinite_message(self, ll, t, where0):
        return (f"The log-likelihood became {ll} at iteration {t}{where0}: some rows are impossible under the "
                "current parameters (a symbol or count a state never emits, or a forbidden transition).")

    def snapshot(self, params, *, want_resp, **fields):
        sparams, fparams = params
        self._last_fparams = fparams
        est = self.est
        occupancy = self.occupancy if self.occupancy is not None else self.post.sum(axis=0)
        issues = self.m_issues if fields["iteration"] > 0 else ()
        fam = est._family()
        if hasattr(fam, "diagnose"):  # an HMM's states: by their observed time steps, "State 2 has collapsed"
            from ._markov_run import observed_diagnosis

            issues = tuple(issues) + observed_diagnosis(fam, self.fdata, fparams, occupancy, self.observed)
        first = fparams[fam.param_names[0]]
        second = fparams[fam.param_names[1]] if len(fam.param_names) > 1 else None
        return Snapshot(
            weights=frozen_copy(sparams["weights"] if "weights" in sparams else occupancy / occupancy.sum()),
            means=frozen_copy(first),
            covariances=frozen_copy(second) if second is not None else None,
            covariance_type=getattr(fam, "covariance_type", fam.name),
            responsibilities=frozen_copy(self.post) if want_resp and self.post is not None else None,
            issues=issues,
            n_samples=self.W,
            missing=getattr(fam, "missing", "error"),
            structure=est._structure().name,
            family=fam.name,
            startprob=frozen_copy(sparams.get("startprob")),
            transmat=frozen_copy(sparams.get("transmat")),
            observed_occupancy=frozen_copy(self.observed),
            params={name: frozen_copy(v) for name, v in fparams.items()},
            model_params=est.get_params(),
            **fields,
        )

    def result(self, params, snap):
        sparams, fparams = params
        out = {name: np.array(v, copy=True) for name, v in sparams.items()}
        out.update({name: np.array(v, copy=True) for name, v in fparams.items()})
        return out


class LatentModel:
    """Common machinery of the structure x family estimators (not used directly).

    Subclasses define ``_PARAMS`` (constructor keywords), ``_structure()``, ``_family()``,
    ``_STRUCT_ATTRS`` (structure parameter -> attribute, e.g. ``startprob`` -> ``startprob_``) and
    ``_get_family_params()`` / ``_set_family_params(dict)`` (family parameters <-> attributes).
    """

    _PARAMS: tuple = ()
    _STRUCT_ATTRS: dict = {}

    # ---------------------------------------------------------------------- parameters
    def get_params(self, deep=True):
        """The constructor keywords as a dict."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params):
        for name, value in params.items():
            if name not in self._PARAMS:
                raise ValueError(f"Unknown parameter {name!r}; valid parameters are {', '.join(self._PARAMS)}.")
            setattr(self, name, value)
        return self

    def __repr__(self):
        parts = [f"{n}={getattr(self, n)!r}" for n in self._PARAMS
                 if not isinstance(getattr(self, n), np.ndarray) and getattr(self, n) is not None]
        return f"{type(self).__name__}({', '.join(parts)})"

    def _check_params(self):
        k = self.n_components
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_components must be an integer >= 1; got {k!r}.")
        for name, lo in (("max_iter", 0), ("n_init", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}; got {v!r}.")
        if self.n_init > 10000:
            raise ValueError(f"n_init must be at most 10000; got {self.n_init}.")
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating, np.integer)) or not tol >= 0:
            raise ValueError(f"tol must be a number >= 0; got {tol!r}.")
        if self.init_params not in INIT_METHODS:
            raise ValueError(f"init_params must be one of {', '.join(INIT_METHODS)}; got {self.init_params!r}.")
        if getattr(self, "missing", "error") not in ("error", "marginalize"):
            raise ValueError(f"missing must be 'error' or 'marginalize'; got {self.missing!r}.")
        check_transmat_prior(getattr(self, "transmat_prior", None), k)  # HMMs: a number or (k, k)

    # ---------------------------------------------------------------------- data
    def _check_X(self, X, lengths=None, fitted=False):
        integer = (getattr(self, "_integer_X_as_is", False) and isinstance(X, (np.ndarray, TakenRows))
                   and X.dtype.kind in "iu")  # a family that reads integer symbols per block (issue 16)
        if not (integer or isinstance(X, (CodedRows, ColumnView))):  # codes, rows read in place (issue 16)
            try:
                X = np.asarray(X, dtype=float)
            except (TypeError, ValueError):
                raise ValueError("X must be a numeric array (rows x columns of numbers).") from None
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        if X.ndim != 2:
            raise ValueError(f"X must be 1-D (n,) or 2-D (n, d); got shape {X.shape}.")
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"X is empty (shape {X.shape}): give at least one row and one column.")
        if (X.any_infinite() if isinstance(X, CodedRows) else not integer and any(
                np.isinf(X[s:s + 65536]).any() for s in range(0, X.shape[0], 65536))):  # row blocks
            raise ValueError("X contains infinite values: remove or replace them.")
        if fitted and hasattr(self, "n_features_in_") and X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} columns but the model has {self.n_features_in_}: give the same "
                             "columns in the same order.")
        lengths = check_lengths(lengths, X.shape[0])
        return X, lengths

    def _seqs(self, lengths):
        return SequenceLengths(lengths) if self._structure().name == "markov" else None

    # ---------------------------------------------------------------------- fitting
    def fit(self, X, lengths=None):
        """Fit by EM (``n_init`` restarts, the best kept); returns self."""
        for _ in self.fit_iter(X, lengths):
            pass
        return self

    def fit_iter(self, X, lengths=None, responsibilities=False, interrupt=None):
        """Validate, then return a generator of :class:`~emdesk.engine.Snapshot` (one per iteration,
        every restart in turn); when it is exhausted the estimator holds the best restart.
        ``interrupt`` as for ``GaussianMixture.fit_iter``."""
        if interrupt is not None and not callable(interrupt):
            raise ValueError("interrupt must be a callable returning True to stop, or None.")
        self._check_params()
        X, lengths = self._check_X(X, lengths)
        k = self.n_components
        if k > X.shape[0]:
            what = "states" if self._structure().name == "markov" else "components"
            raise ValueError(f"n_components={k} is more than the {X.shape[0]:,} rows (each {what[:-1]} needs at "
                             f"least one): choose at most {X.shape[0]:,} {what}.")
        family = self._family()
        if getattr(family, "checks_column_ranges", False):
            # Overflowing or too-wide columns: GaussianMixture's ValueError naming the column, before any
            # arithmetic (a value of 1e200 raised OverflowError in the k-means++ start). Fitting only:
            # scoring far points must still give -inf, not an error.
            check_columns(X)
        _check_observed_columns(X)
        self._check_columns_said(X, k)
        fdata = family.bind(X, k)
        inits = self._explicit_inits(k, X.shape[1], fdata)
        seqs = self._seqs(lengths)
        run = _Run(self, fdata, seqs, inits)
        run.want_resp = bool(responsibilities)
        run._last_fparams = None
        rng = np.random.default_rng(self.random_state)
        return run_em(run, n_init=self.n_init, max_iter=self.max_iter, tol=self.tol, rng=rng,
                      want_resp=bool(responsibilities), interrupt=interrupt,
                      finish=lambda results, best: self._set_fitted(results, best, fdata, X.shape[1]))

    def _explicit_inits(self, k, d, fdata):
        """``(structure inits, family inits, complete)`` from the ``*_init`` keywords (validated)."""
        return {}, {}, False

    def _check_columns_said(self, X, k):
        """Notes on the columns, and refusals the data's observed rows call for (HMMs); nothing here."""

    def _set_fitted(self, results, best, fdata, d):
        b = results[best]
        fam = self._family()
        self._set_state({n: b[n] for n in self._STRUCT_ATTRS}, {n: b[n] for n in fam.param_names})
        self.n_features_in_ = int(d)
        self.converged_ = b["converged"]
        self.n_iter_ = b["n_iter"]
        self.log_likelihood_ = b["log_likelihood"]
        self.lower_bound_ = b["lower_bound"]
        self.best_restart_ = int(best)
        self.log_likelihood_fall_ = float(b.get("log_likelihood_fall", 0.0))  # emdesk.engine.likelihood_fall
        self.restart_log_likelihoods_ = np.array([r["log_likelihood"] for r in results])
        #: per restart, True when its final parameters collapsed (emdesk.engine.em.kept_restart keeps a sound one)
        self.restart_degenerate_ = np.array([is_collapse(r["issues"]) for r in results], dtype=bool)
        self.restart_parameters_ = [dict(r) for r in results]
        self.n_samples_ = float(fdata.n)
        self.degeneracies_ = tuple(b["issues"])
        if self.degeneracies_:
            warnings.warn(
                f"The fitted {type(self).__name__} is degenerate ("
                + "; ".join(i.message for i in self.degeneracies_) + "); see degeneracies_.",
                DegenerateSolutionWarning, stacklevel=5)

    def restart_model(self, i):
        """A new estimator (same constructor keywords) holding restart ``i``'s final parameters, with
        that restart's ``log_likelihood_``, ``n_iter_``, ``converged_`` and ``degeneracies_`` (for the
        restarts view: load any restart as the current model).  ValueError for an index out of range,
        or for a failed restart whose parameters are unusable (the message gives its reason)."""
        params = getattr(self, "restart_parameters_", None)
        if not params:
            raise ValueError(f"This {type(self).__name__} has no restarts: fit it first.")
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < len(params):
            raise ValueError(f"restart must be between 0 and {len(params) - 1}; got {i!r}.")
        p = params[int(i)]
        est = type(self)(**self.get_params())
        fam = est._family()
        est._set_state({n: np.array(p[n]) for n in self._STRUCT_ATTRS}, {n: np.array(p[n]) for n in fam.param_names})
        try:
            est._state()
            k = est.n_components
            checked = fam.check_params(est._get_family_params(), k, self.n_features_in_)
            est._set_family_params(checked)
            if "covariances" in checked:  # usable covariances: positive definite
                from ._core import full_covariances

                try:
                    np.linalg.cholesky(full_covariances(checked["covariances"], fam.covariance_type, k,
                                                        self.n_features_in_))
                except np.linalg.LinAlgError:
                    raise ValueError("a covariance is not positive definite") from None
        except ValueError as exc:
            why = f" (it failed: {p['failed']})" if p.get("failed") else ""
            raise ValueError(f"Restart {int(i) + 1} cannot be loaded{why}: {exc}") from None
        est.n_features_in_ = self.n_features_in_
        est.log_likelihood_ = float(p["log_likelihood"])
        est.lower_bound_ = float(p.get("lower_bound", np.nan))
        est.n_iter_ = int(p.get("n_iter", 0))
        est.converged_ = bool(p.get("converged", False))
        est.restart_parameters_ = [dict(p)]
        est.restart_log_likelihoods_ = np.array([est.log_likelihood_])
        est.restart_degenerate_ = np.array([is_collapse(p.get("issues", ()))])
        est.best_restart_ = 0
        est.n_samples_ = getattr(self, "n_samples_", None)
        est.degeneracies_ = tuple(p.get("issues", ()))
        return est

    def _set_state(self, sparams, fparams):
        for name, attr in self._STRUCT_ATTRS.items():
            setattr(self, attr, np.array(sparams[name], dtype=float))
        self._set_family_params(fparams)

    # ---------------------------------------------------------------------- using a model
    def _state(self):
        """(structure params, family params) from the attributes, validated; ValueError if unset."""
        missing = [a for a in self._STRUCT_ATTRS.values() if not hasattr(self, a)]
        try:
            fparams = self._get_family_params()
        except AttributeError:
            fparams = None
        if missing or fparams is None:
            raise ValueError(f"This {type(self).__name__} has no parameters yet: call fit(X) or set "
                             f"{', '.join(list(self._STRUCT_ATTRS.values()) + self._family_attr_names())} first.")
        k = self.n_components
        sparams = {}
        for name, attr in self._STRUCT_ATTRS.items():
            v = np.asarray(getattr(self, attr), dtype=float)
            want = (k,) if name in ("startprob", "weights") else (k, k)
            if v.shape != want:
                raise ValueError(f"{attr} must have shape {want}; got {v.shape}.")
            if not np.all(np.isfinite(v)) or np.any(v < 0):
                raise ValueError(f"{attr} must hold probabilities (finite, >= 0).")
            sums = v.sum(axis=-1)
            if not np.allclose(sums, 1.0, rtol=0, atol=1e-8):
                raise ValueError(f"{attr} must sum to 1{' along each row' if v.ndim == 2 else ''}; "
                                 f"got sums {np.round(sums, 6)}.")
            sparams[name] = v
        return sparams, fparams

    def _family_attr_names(self):
        return [p + "_" for p in self._family().param_names]

    def _bound(self, X, lengths):
        """(family, bound data, prepared parameters, structure params, checked X, lengths) for scoring X
        with the fitted parameters; a parameter the family cannot use is a ValueError."""
        sparams, fparams = self._state()
        X, lengths = self._check_X(X, lengths, fitted=True)
        fam = self._family()
        fdata = fam.bind(X, self.n_components)
        fparams = fam.check_params(fparams, self.n_components, X.shape[1])
        try:
            prep = fam.prepare(fdata, fparams)
        except FamilyFailure as exc:
            raise ValueError(str(exc)) from None
        return fam, fdata, prep, sparams, X, lengths

    def _score(self, X, lengths, posteriors=True):
        fam, fdata, prep, sparams, X, lengths = self._bound(X, lengths)
        logB = fam.log_prob(fdata, prep)
        seqs = self._seqs(lengths)
        return logB, sparams, seqs, lengths

    # Impossible data (a row with probability 0 under every state, e.g. a categorical symbol no state
    # emits, a positive count under rates that are all 0, a Gaussian density that underflows to 0; or
    # for an HMM a sequence no state path can produce under startprob_ and transmat_):
    # ``score`` returns -inf, the log of probability 0 (as hmmlearn's score); the methods that need
    # posteriors or a path (score_samples, predict_proba, decode, predict) have none to give and raise
    # one ValueError naming the first impossible row (1-based, in X's order) or sequence. Invalid
    # values (not counts, symbols out of range, NaN with missing="error") are a ValueError everywhere.
    def _impossible(self, logB, sparams, seqs, lengths) -> ValueError:
        """The ValueError for X with log-likelihood -inf under the model."""
        dead = np.flatnonzero(np.all(~(logB > -np.inf), axis=1)) if logB.size else np.empty(0, int)  # NaN too
        what = "component" if self._structure().name != "markov" else "state"
        if dead.size:
            i = int(dead[0])
            more = f" (and {dead.size - 1:,} more row{'s' if dead.size > 2 else ''})" if dead.size > 1 else ""
            return ValueError(f"Row {i + 1} of X{more} is impossible under the model: it has probability 0 under "
                              f"every {what} (a value no {what} can emit), so X has no posteriors or {what} "
                              f"path; score(X) is -inf.")
        if seqs is not None:
            for j, (a, n) in enumerate(zip(seqs.starts.tolist(), seqs.lengths.tolist())):
                if n and not np.isfinite(self._structure().e_step(
                        logB[a:a + n], sparams, Sequences(np.array([n])), False)[0]):
                    return ValueError(f"Sequence {j + 1} of X (rows {a + 1} to {a + n}) is impossible under the "
                                      f"model: no state path has probability > 0 under startprob_ and transmat_ "
                                      f"(each row alone is possible), so it has no posteriors or state path; "
                                      f"score(X) is -inf.")
        return ValueError("X is impossible under the model (log-likelihood -inf); score(X) is -inf.")

    def _markov_rows(self, X, lengths):
        """(FamilyRows, structure params, lengths) for scoring an HMM in row blocks."""
        from ._markov_run import FamilyRows

        fam, fdata, prep, sparams, _, lengths = self._bound(X, lengths)
        return FamilyRows(fam, fdata, prep), sparams, lengths

    def score_samples(self, X, lengths=None):
        """``(log_prob, posteriors)`` as hmmlearn: the total log-likelihood of X and the state
        posteriors (n, k).  For a mixture, ``log_prob`` is the total too.  ValueError naming the
        first impossible row (probability 0 under every state) or sequence when X is impossible."""
        if self._structure().name == "markov":
            from ._markov_run import markov_impossible, markov_posteriors

            rows, sparams, lengths = self._markov_rows(X, lengths)
            ll, post = markov_posteriors(rows, sparams, lengths)
            if post is None:
                raise markov_impossible(rows, sparams, lengths)
            return ll, post
        logB, sparams, seqs, lengths = self._score(X, lengths)
        ll, post, _ = self._structure().e_step(logB, sparams, seqs, False)
        if post is None or not np.isfinite(ll):
            raise self._impossible(logB, sparams, seqs, lengths)
        return ll, post

    def score(self, X, lengths=None):
        """Total log-likelihood of X (as hmmlearn's ``score``); ``-inf`` when X is impossible (the only
        scoring method that answers then: the others raise ValueError naming the row)."""
        if self._structure().name == "mixture" and _blocked_family(self._family()):
            return self._score_mixture_blocked(X, lengths)
        if self._structure().name == "markov":
            from ._markov_run import markov_score

            return markov_score(*self._markov_rows(X, lengths))
        logB, sparams, seqs, _ = self._score(X, lengths)
        return float(self._structure().e_step(logB, sparams, seqs, False)[0])

    def _score_mixture_blocked(self, X, lengths):
        """:meth:`score` of a mixture in row blocks (issue 16): one block's (b, k) log-densities at a
        time (``_Run.E_STEP_BLOCK_BYTES``), never the (n, k) array."""
        sparams, fparams = self._state()
        X, lengths = self._check_X(X, lengths, fitted=True)
        struct = self._structure()
        fam, data, prep, step = prepared_blocks(self, X, fparams, _Run.E_STEP_BLOCK_BYTES, 4)
        total = 0.0
        for s in range(0, data.n, step):
            ll = struct.e_step(fam.log_prob(fam.rows(data, s, min(s + step, data.n)), prep), sparams, None,
                               False)[0]
            if not np.isfinite(ll):
                return float(ll)
            total += ll
        return float(total)

    def predict_proba(self, X, lengths=None):
        """State posteriors (n, k)."""
        return self.score_samples(X, lengths)[1]

    def decode(self, X, lengths=None, algorithm="viterbi"):
        """``(log_prob, states (n,))``.  ``"viterbi"``: the most likely path and its joint
        log-probability (summed over sequences); ``"map"``: each row's most probable state and the
        sum of the logs of those posteriors (hmmlearn sums the probabilities themselves)."""
        if algorithm not in ("viterbi", "map"):
            raise ValueError(f"algorithm must be 'viterbi' or 'map'; got {algorithm!r}.")
        if self._structure().name == "markov":
            from ._markov_run import markov_decode, markov_impossible

            rows, sparams, lengths = self._markov_rows(X, lengths)
            log_prob, states = markov_decode(rows, sparams, lengths, algorithm)
            if states is None:
                raise markov_impossible(rows, sparams, lengths)
            return log_prob, states
        if algorithm == "map" or self._structure().name != "markov":
            ll, post = self.score_samples(X, lengths)
            states = np.argmax(post, axis=1)
            with np.errstate(divide="ignore"):
                return float(np.log(post[np.arange(len(states)), states]).sum()), states

    def predict(self, X, lengths=None):
        """The Viterbi path for an HMM (hmmlearn's default), the most probable component for a mixture."""
        return self.decode(X, lengths)[1]

    def n_parameters(self):
        """Free parameters: structure (k - 1 start, k (k - 1) transitions, or k - 1 weights) plus emissions."""
        sparams, fparams = self._state()
        return int(self._structure().n_parameters(self.n_components) + self._family().n_parameters(fparams))

    def bic(self, X, lengths=None):
        """Bayesian information criterion ``-2 log L + p log n`` (lower is better)."""
        return -2.0 * self.score(X, lengths) + self.n_parameters() * math.log(np.asarray(X).shape[0])

    def aic(self, X, lengths=None):
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
        return -2.0 * self.score(X, lengths) + 2.0 * self.n_parameters()

    def sample(self, n_samples=1, random_state=None):
        """``(X (n, d), states (n,))``: one sequence for an HMM (a Markov chain from ``startprob_``),
        independent draws for a mixture.  ``random_state`` defaults to the estimator's."""
        sparams, fparams = self._state()
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}.")
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        k = self.n_components
        if "transmat" in sparams:
            cum = np.cumsum(sparams["transmat"], axis=1)
            states = np.empty(n_samples, dtype=np.int64)
            u = rng.random(n_samples)
            s = min(int((u[0] > np.cumsum(sparams["startprob"])).sum()), k - 1)
            states[0] = s
            for t in range(1, n_samples):  # sampling a chain is sequential by nature
                s = min(int((u[t] > cum[s]).sum()), k - 1)
                states[t] = s
        else:
            states = _resample.choice(rng, k, n_samples, sparams["weights"])  # rng.choice's, drawn in blocks
        return self._family().sample(fparams, states, rng), states


class _GenericMixin:
    def _get_family_params(self):
        return {p: getattr(self, p + "_") for p in self.family.param_names}

    def _set_family_params(self, fparams):
        for p, v in fparams.items():
            setattr(self, p + "_", np.array(v, dtype=float))

    def _family(self):
        return self.family


class MixtureModel(_GenericMixin, LatentModel):
    """A finite mixture of any emission family (``family`` an object of
    :mod:`emdesk.engine.families` or one following the same contract).  Fitted attributes:
    ``weights_`` and ``<param>_`` for each of the family's ``param_names``."""

    _PARAMS = ("family", "n_components", "tol", "max_iter", "n_init", "init_params", "random_state")
    _STRUCT_ATTRS = {"weights": "weights_"}

    def __init__(self, family, n_components=1, *, tol=1e-3, max_iter=100, n_init=1, init_params="kmeans++",
                 random_state=None):
        self.family = family
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state

    def _structure(self):
        return MixtureStructure()


class HiddenMarkovModel(_GenericMixin, LatentModel):
    """A hidden Markov model with any emission family's emissions.  Fitted attributes:
    ``startprob_`` (k,), ``transmat_`` (k, k) and ``<param>_`` for the family's ``param_names``."""

    _PARAMS = ("family", "n_components", "tol", "max_iter", "n_init", "init_params", "random_state",
               "transmat_prior")
    _STRUCT_ATTRS = {"startprob": "startprob_", "transmat": "transmat_"}

    def __init__(self, family, n_components=1, *, tol=1e-3, max_iter=100, n_init=1, init_params="kmeans++",
                 random_state=None, transmat_prior=None):
        self.family = family
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.transmat_prior = transmat_prior

    def _structure(self):
        return MarkovStructure(transmat_prior=self.transmat_prior)
