"""The base of the non-Gaussian mixtures (:mod:`emdesk.engine.mixtures` and
:mod:`emdesk.engine.mixtures_categorical`): scoring, criteria and fitted-parameter round trips shared by every
family, written once against the mixture structure and the family contract (``log_prob`` / ``m_step``)."""

from __future__ import annotations

import math

import numpy as np

from . import _validation as V
from .criteria import check_icl_kind, classification_term
from .models import LatentModel
from .structures.mixture import MixtureStructure

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

    # -- scikit-learn style scoring, in row blocks (issue 16): peak = the result + one block
    #: Budget of one scoring block's temporaries (bytes).
    SCORE_BLOCK_BYTES = 16 << 20

    def _joint_blocks(self, X):
        """``(n, blocks)``: ``blocks`` yields ``(s, e, L, keep)`` per block of rows: ``L`` (e - s, k) =
        log w_j + log f_j(x_i), ``keep`` the rows with at least one observed value.  X is validated
        and bound (a reference) before the first block."""
        logB_prep = self._score_prepare(X)
        fam, data, prep, sparams, Xc = logB_prep
        k = self.n_components
        with np.errstate(divide="ignore"):
            logw = np.log(sparams["weights"])[None, :]
        step = max(1, min(getattr(data, "block", None) or data.n, self.SCORE_BLOCK_BYTES // (8 * (3 * k + 2))))

        def blocks():
            if not hasattr(fam, "rows"):  # a family of the plain contract: all rows at once
                L = fam.log_prob(data, prep)
                L += logw
                yield 0, data.n, L, ~np.isnan(Xc).all(axis=1)
                return
            for s in range(0, data.n, step):
                e = min(s + step, data.n)
                L = fam.log_prob(fam.rows(data, s, e), prep)
                L += logw
                yield s, e, L, ~np.isnan(Xc[s:e]).all(axis=1)

        return data.n, blocks()

    def _score_prepare(self, X):
        fam, data, prep, sparams, Xc, _ = self._bound(X, None)
        return fam, data, prep, sparams, Xc

    def _log_joint(self, X):
        """``(L (n, k) = log w_j + log f_j(x_i), rows with at least one observed value (n,))``."""
        n, blocks = self._joint_blocks(X)
        L = np.empty((n, self.n_components))
        keep = np.empty(n, dtype=bool)
        for s, e, Lb, kb in blocks:
            L[s:e], keep[s:e] = Lb, kb
        return L, keep

    def _observed_rows(self, X):
        """Rows of X with at least one observed value (n,) bool, read in row blocks."""
        Xc, _ = self._check_X(X, None, fitted=True)
        out = np.empty(Xc.shape[0], dtype=bool)
        for s in range(0, Xc.shape[0], 1 << 16):
            out[s:s + (1 << 16)] = ~np.isnan(Xc[s:s + (1 << 16)]).all(axis=1)
        return out

    def score_samples(self, X):
        """Log-density of each row under the mixture, (n,) (scikit-learn's ``score_samples``;
        missing cells marginalised).  ValueError for data the model cannot take.  Row blocks: peak
        memory the result plus one block (:attr:`SCORE_BLOCK_BYTES`)."""
        n, blocks = self._joint_blocks(X)
        out = np.empty(n)
        for s, e, L, _ in blocks:
            out[s:e] = _logsumexp_rows(L)
        return out

    def score(self, X):
        """Mean log-likelihood per row (rows with every value missing are not counted)."""
        n, ll, _ = self._criteria(X, entropy=False)
        return ll / n

    def _posterior_blocks(self, X):
        n, blocks = self._joint_blocks(X)

        def gen():
            for s, e, L, _ in blocks:
                lse = _logsumexp_rows(L)
                if not np.all(np.isfinite(lse)):
                    i = s + int(np.flatnonzero(~np.isfinite(lse))[0])
                    raise ValueError(f"Row {i + 1} of X is impossible under the model (a value no component can "
                                     "emit).")
                L -= lse[:, None]
                np.exp(L, out=L)
                yield s, e, L

        return n, gen()

    def predict_proba(self, X):
        """Posterior component probabilities (n, k) (row blocks: the result plus one block)."""
        n, blocks = self._posterior_blocks(X)
        out = np.empty((n, self.n_components))
        for s, e, P in blocks:
            out[s:e] = P
        return out

    def predict(self, X):
        """The most probable component of each row (n,) (row blocks: the result plus one block)."""
        n, blocks = self._posterior_blocks(X)
        out = np.empty(n, dtype=np.intp)
        for s, e, P in blocks:
            out[s:e] = np.argmax(P, axis=1)
        return out

    def fit_predict(self, X):
        return self.fit(X).predict(X)

    def _criteria(self, X, entropy="map"):
        n, blocks = self._joint_blocks(X)
        n_keep, ll, ent = 0, 0.0, 0.0
        for s, e, L, keep in blocks:
            if not keep.all():
                L = L[keep]
            lse = _logsumexp_rows(L)
            n_keep += int(keep.sum())
            ll += float(lse.sum())
            if entropy and L.shape[0]:  # "map" (mclust's ICL) or "entropy" / True (soft), emdesk.engine.criteria
                ent += classification_term(np.exp(L - lse[:, None]), entropy)
        if not n_keep:
            raise ValueError("X has no row with an observed value: give rows with data.")
        return float(n_keep), ll, ent

    def _summary_pass(self, X, scale_weights=False):
        """``(n, log-likelihood, labels (n,), MAP classification term, u (n,) or None)`` from ONE pass over X
        in row blocks: the same numbers, bit for bit, as :meth:`log_likelihood`, :meth:`predict`, the term of
        ``icl(kind="map")`` and (``scale_weights``, a Student-t) ``scale_weights(X, "map")``, each of which
        reads X and computes its log-densities once more (the Results summary took 3 passes, a Student-t
        one 5; issue 16). ``n`` counts the rows with an observed value. ValueError as :meth:`predict`
        for a row impossible under the model."""
        fam, data, prep, sparams, Xc = self._score_prepare(X)
        k = self.n_components
        with np.errstate(divide="ignore"):
            logw = np.log(sparams["weights"])[None, :]
        blocked = hasattr(fam, "rows")
        step = max(1, min(getattr(data, "block", None) or data.n, self.SCORE_BLOCK_BYTES // (8 * (3 * k + 2))))
        labels = np.empty(data.n, dtype=np.intp)
        u = np.empty(data.n) if scale_weights else None
        n_keep, ll, ent = 0, 0.0, 0.0
        for s in range(0, data.n, step) if blocked else [0]:
            e = min(s + step, data.n) if blocked else data.n
            db = fam.rows(data, s, e) if blocked else data
            L = fam.log_prob(db, prep)
            L += logw
            keep = ~np.isnan(Xc[s:e]).all(axis=1)
            Lk = L if keep.all() else L[keep]  # as _criteria: the rows with data
            lse_k = _logsumexp_rows(Lk)
            n_keep += int(keep.sum())
            ll += float(lse_k.sum())
            if Lk.shape[0]:
                ent += classification_term(np.exp(Lk - lse_k[:, None]), "map")
            lse = lse_k if Lk is L else _logsumexp_rows(L)  # as predict: every row
            if not np.all(np.isfinite(lse)):
                i = s + int(np.flatnonzero(~np.isfinite(lse))[0])
                raise ValueError(f"Row {i + 1} of X is impossible under the model (a value no component can "
                                 "emit).")
            labels[s:e] = np.argmax(np.exp(L - lse[:, None]), axis=1)
            if u is not None:  # as scale_weights(X, "map"): the weight under argmax of the joint
                U = fam.scale_weights(db, prep)
                u[s:e] = U[np.arange(U.shape[0]), np.argmax(L, axis=1)]
        if not n_keep:
            raise ValueError("X has no row with an observed value: give rows with data.")
        return float(n_keep), ll, labels, ent, u

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
        est.n_features_in_ = est._n_features_from(fparams)
        fam.check_params(fparams, k, est.n_features_in_)
        return est

    def _load_extra(self, params):
        pass

    def _n_features_from(self, fparams):
        return int(np.atleast_2d(np.asarray(fparams[self._family().param_names[0]])).shape[1])

