"""``summary(model, X)``: the numbers a fit is read by, as one structured, immutable result.

What mclust prints for ``summary(fit, parameters = TRUE)`` (Scrucca et al. 2016, The R Journal 8/1): the model,
its log-likelihood, size, number of parameters and criteria, the clustering table (rows per component by the
MAP rule) and the parameters, here also as standard deviations and correlations per component; with a
bootstrap result, the standard errors beside the estimates.  ``to_text()`` for reading, ``to_tsv()`` for a
spreadsheet, ``tables()`` for a widget.

Only the public API of a fitted model is used (``weights_``, ``means_``, ``covariances_``,
``covariance_type``, ``predict``, ``score_samples``, ``n_parameters``, ``bic``/``aic``/``icl``).
Criteria follow the engine's sign convention (scikit-learn's: lower is better).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .align import full_covariances, has_component_axis

__all__ = ["Summary", "summary", "COVARIANCE_DESCRIPTIONS"]

# Celeux & Govaert (1995) names and mclust's wording; scikit-learn's four map onto VII, VVI, EEE, VVV.
COVARIANCE_DESCRIPTIONS = {
    "spherical": "VII: spherical, varying volume",
    "diag": "VVI: diagonal, varying volume and shape",
    "tied": "EEE: ellipsoidal, equal volume, shape and orientation",
    "full": "VVV: ellipsoidal, varying volume, shape and orientation",
    "E": "univariate, equal variance",
    "V": "univariate, unequal variance",
    "EII": "spherical, equal volume",
    "VII": "spherical, unequal volume",
    "EEI": "diagonal, equal volume and shape",
    "VEI": "diagonal, varying volume, equal shape",
    "EVI": "diagonal, equal volume, varying shape",
    "VVI": "diagonal, varying volume and shape",
    "EEE": "ellipsoidal, equal volume, shape and orientation",
    "VEE": "ellipsoidal, equal shape and orientation",
    "EVE": "ellipsoidal, equal volume and orientation",
    "VVE": "ellipsoidal, equal orientation",
    "EEV": "ellipsoidal, equal volume and equal shape",
    "VEV": "ellipsoidal, equal shape",
    "EVV": "ellipsoidal, equal volume",
    "VVV": "ellipsoidal, varying volume, shape, and orientation",
}


def _fmt(x, digits=6):
    if x is None:
        return ""
    x = float(x)
    if not math.isfinite(x):
        return "NA"
    return f"{x:.{digits}g}"


def _tsv_num(x):
    if x is None:
        return ""
    x = float(x)
    return repr(x) if math.isfinite(x) else ""


@dataclass(frozen=True)
class Summary:
    """The result of :func:`summary` (read-only arrays).

    kind, family : "mixture", "gaussian"
    covariance_type : the model's name ("full", "tied", "diag", "spherical" or mclust's)
    n_components, n_samples, n_features : k, n (rows with at least one observed value), d
    log_likelihood, n_parameters, bic, aic, icl : of X under the model (criteria lower is better)
    n_iter, converged : from the fit (None when the model was built from parameters)
    clustering : (k,) int, rows per component by the MAP rule
    weights (k,), means (k, d), covariances (the model's ``covariances_`` shape),
    full_covariances (k, d, d), standard_deviations (k, d), correlations (k, d, d)
    feature_names : d names
    standard_errors : None or a dict with the same keys as the parameters (``"weights"``, ``"means"``,
        ``"covariances"``, ``"standard_deviations"``, ``"correlations"``), each in the parameter's shape
    n_boot, bootstrap_method : of the bootstrap the standard errors come from
    prior, log_prior : mclust's conjugate prior the fit used (None: maximum likelihood) and its log density
    """

    kind: str
    family: str
    covariance_type: str
    n_components: int
    n_samples: int
    n_features: int
    log_likelihood: float
    n_parameters: int
    bic: float
    aic: float
    icl: float
    n_iter: int | None
    converged: bool | None
    clustering: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    full_covariances: np.ndarray
    standard_deviations: np.ndarray
    correlations: np.ndarray
    feature_names: tuple
    standard_errors: dict | None = None
    n_boot: int | None = None
    bootstrap_method: str | None = None
    extra: dict = field(default_factory=dict)
    #: the model's ``prior`` (None, "default" or a dict; :mod:`emdesk.engine.prior`) and the log prior density
    #: at the estimate (None without a prior); log_likelihood, BIC and ICL stay the likelihood's, as mclust's
    prior: object = None
    log_prior: float | None = None

    @property
    def shared_covariance(self) -> bool:
        """True when one covariance matrix is shared by every component (tied / EEE)."""
        return not has_component_axis(self.covariances, self.covariance_type, self.n_components,
                                      self.n_features)

    # ------------------------------------------------------------------ tables
    def model_table(self):
        """``(header, rows)`` of the model facts: one row of values."""
        header = ["model", "components", "n", "d", "log-likelihood", "parameters", "BIC", "AIC", "ICL",
                  "iterations", "converged"]
        row = [self.covariance_type, self.n_components, self.n_samples, self.n_features, self.log_likelihood,
               self.n_parameters, self.bic, self.aic, self.icl,
               "" if self.n_iter is None else self.n_iter,
               "" if self.converged is None else ("yes" if self.converged else "no")]
        return header, [row]

    def tables(self, standard_errors=True):
        """The result as a list of ``(title, header, rows)``; rows are lists of str/int/float (None for an
        empty cell).  With ``standard_errors`` and a bootstrap, each estimate column is followed by an
        ``SE`` column."""
        k, d = self.means.shape
        se = self.standard_errors if (standard_errors and self.standard_errors) else None
        comps = [f"component {j + 1}" for j in range(k)]
        out = []
        header, rows = self.model_table()
        out.append(("Model", header, rows))
        out.append(("Clustering table (rows per component by MAP)", comps, [list(map(int, self.clustering))]))

        def with_se(name, values_of_row):
            # header: "", comp1, [SE], comp2, [SE] ...
            hdr = [""]
            for c in comps:
                hdr.append(c)
                if se is not None:
                    hdr.append("SE")
            rows = []
            for label, vals, ses in values_of_row:
                r = [label]
                for j in range(k):
                    r.append(float(vals[j]))
                    if se is not None:
                        r.append(None if ses is None else float(ses[j]))
                rows.append(r)
            return (name, hdr, rows)

        g = lambda key: None if se is None else se.get(key)  # noqa: E731
        sw = g("weights")
        out.append(with_se("Mixing probabilities", [("weight", self.weights, sw)]))
        sm = g("means")
        out.append(with_se("Means", [(self.feature_names[i], self.means[:, i], None if sm is None else sm[:, i])
                                     for i in range(d)]))
        ss = g("standard_deviations")
        out.append(with_se("Standard deviations",
                           [(self.feature_names[i], self.standard_deviations[:, i],
                             None if ss is None else ss[:, i]) for i in range(d)]))
        if d > 1:
            sc = g("correlations")
            pairs = [(a, b) for a in range(d) for b in range(a + 1, d)]
            out.append(with_se("Correlations",
                               [(f"{self.feature_names[a]} ~ {self.feature_names[b]}", self.correlations[:, a, b],
                                 None if sc is None else sc[:, a, b]) for a, b in pairs]))
        sfc = g("full_covariances")
        shared = self.shared_covariance
        for j in range(1 if shared else k):
            hdr = [""] + list(self.feature_names)
            rows = []
            for a in range(d):
                r = [self.feature_names[a]] + [float(v) for v in self.full_covariances[j, a]]
                rows.append(r)
                if sfc is not None:
                    rows.append([f"  SE"] + [float(v) for v in sfc[j, a]])
            out.append(("Covariance matrix (shared)" if shared else f"Covariance matrix, component {j + 1}",
                        hdr, rows))
        return out

    def to_text(self, standard_errors=True) -> str:
        """Plain text in the spirit of mclust's ``summary(fit, parameters = TRUE)``; standard errors in
        parentheses after the estimates when a bootstrap was given."""
        k, d = self.means.shape
        se = self.standard_errors if (standard_errors and self.standard_errors) else None
        desc = COVARIANCE_DESCRIPTIONS.get(self.covariance_type, self.covariance_type)
        lines = []
        title = f"{self.family.capitalize()} finite {self.kind} model fitted by EM"
        lines += ["-" * len(title), title, "-" * len(title), ""]
        lines.append(f"Covariance model {self.covariance_type} ({desc}) with {k} component"
                     f"{'s' if k != 1 else ''}:")
        if self.prior is not None:
            from .prior import describe_prior

            lp = "" if self.log_prior is None else f"; log prior density {self.log_prior:.6g}"
            lines.append(f"Prior: {describe_prior(self.prior)} (Fraley & Raftery 2007): the MAP estimate; "
                         f"log-likelihood, BIC and ICL are the likelihood's at it, as mclust's{lp}.")
        lines.append("")
        hdr, rows = self.model_table()
        lines += _columns([hdr[1:]] + [[_cell(v) for v in rows[0][1:]]], first_left=False)
        lines += ["", "Clustering table:"]
        lines += _columns([[str(j + 1) for j in range(k)], [str(int(c)) for c in self.clustering]],
                          first_left=False)

        def est(v, s):
            return _fmt(v) if s is None else f"{_fmt(v)} ({_fmt(s, 3)})"

        def block(title, labels, values, ses):
            lines.append("")
            lines.append(title + ":")
            grid = [[""] + [f"[{j + 1}]" for j in range(k)]]
            for i, lab in enumerate(labels):
                grid.append([lab] + [est(values[i][j], None if ses is None else ses[i][j]) for j in range(k)])
            lines.extend(_columns(grid))

        g = lambda key: None if se is None else se.get(key)  # noqa: E731
        block("Mixing probabilities", ["weight"], [self.weights], None if g("weights") is None else [g("weights")])
        sm = g("means")
        block("Means", self.feature_names, self.means.T, None if sm is None else sm.T)
        ss = g("standard_deviations")
        block("Standard deviations", self.feature_names, self.standard_deviations.T, None if ss is None else ss.T)
        if d > 1:
            sc = g("correlations")
            pairs = [(a, b) for a in range(d) for b in range(a + 1, d)]
            block("Correlations", [f"{self.feature_names[a]} ~ {self.feature_names[b]}" for a, b in pairs],
                  [self.correlations[:, a, b] for a, b in pairs],
                  None if sc is None else [sc[:, a, b] for a, b in pairs])
        shared = self.shared_covariance
        lines += ["", "Covariance matrix (shared by every component):" if shared else "Covariance matrices:"]
        for j in range(1 if shared else k):
            if not shared:
                lines.append(f"[,,{j + 1}]")
            grid = [[""] + list(self.feature_names)]
            for a in range(d):
                grid.append([self.feature_names[a]] + [_fmt(v) for v in self.full_covariances[j, a]])
            lines.extend(_columns(grid))
        if se is not None and self.n_boot:
            lines += ["", f"Standard errors in parentheses: {self.bootstrap_method} bootstrap, "
                          f"{self.n_boot} replicates."]
        lines.append("Criteria: lower is better (BIC = -2 log L + p log n).")
        return "\n".join(lines) + "\n"

    def to_tsv(self, standard_errors=True) -> str:
        """Tab-separated tables (a title line, a header line, the rows; a blank line between tables) with
        numbers at full precision, for pasting into a spreadsheet."""
        blocks = []
        for title, header, rows in self.tables(standard_errors):
            lines = [title, "\t".join(map(str, header))]
            for r in rows:
                lines.append("\t".join(_tsv_cell(v) for v in r))
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks) + "\n"


def _cell(v):
    if isinstance(v, float):
        return _fmt(v, 8)
    return str(v)


def _tsv_cell(v):
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        return _tsv_num(v)
    return str(v).replace("\t", " ").replace("\n", " ")


def _columns(grid, first_left=True):
    """Right-aligned columns (the first left-aligned when ``first_left``)."""
    widths = [max(len(str(r[c])) for r in grid) for c in range(len(grid[0]))]
    out = []
    for r in grid:
        first = str(r[0]).ljust(widths[0]) if first_left else str(r[0]).rjust(widths[0])
        cells = [first] + [str(v).rjust(widths[c]) for c, v in enumerate(r) if c > 0]
        out.append("  ".join(cells).rstrip())
    return out


def sd_and_correlation(full):
    """Standard deviations (k, d) and correlation matrices (k, d, d) of (k, d, d) covariances."""
    sd = np.sqrt(np.clip(np.diagonal(full, axis1=1, axis2=2), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = full / (sd[:, :, None] * sd[:, None, :])
    corr = np.where(np.isfinite(corr), corr, 0.0)
    idx = np.arange(full.shape[1])
    corr[:, idx, idx] = 1.0
    return sd, corr


def _readonly(a):
    a = np.array(a, dtype=float, copy=True)
    a.flags.writeable = False
    return a


def _readonly_int(a):
    a = np.array(a, dtype=int, copy=True)
    a.flags.writeable = False
    return a


def _other_kind(model) -> bool:
    """A model :func:`emdesk.engine.summary_kinds.kind_summary` reads: an HMM, a mixture of another family
    (the structure x family estimators), or one without Gaussian means and covariances."""
    if hasattr(model, "transmat_") or hasattr(model, "_family"):
        return True
    return not (hasattr(model, "means_") and hasattr(model, "covariances_"))


def _scores(model, X):
    """``(n, log-likelihood, MAP labels (n,), ICL)`` of the rows of X with an observed value.

    Our GaussianMixture: from ONE E-step over X in row blocks (the log-densities, the responsibilities and
    their argmax), the same numbers as ``score_samples``, ``predict`` and ``icl`` (mclust's, ``kind="map"``)
    each computed in its own pass, as before. At 1,000,000 rows with missing cells those three passes took
    2-3.4 s in the window's background thread, right when a fit ends, competing with the GUI thread for
    the two cores and the interpreter lock (benchmarks/bench_gui_gap.py). Another model with the same
    public attributes: those three methods."""
    estep = getattr(model, "_estep", None)
    if estep is None or not hasattr(model, "_check_fitted"):
        keep = ~np.isnan(X).all(axis=1)
        Xk = X[keep]
        if Xk.shape[0] == 0:
            raise ValueError("X has no row with an observed value.")
        ll = float(np.sum(model.score_samples(Xk)))
        return int(Xk.shape[0]), ll, np.asarray(model.predict(Xk)), float(model.icl(Xk))
    from .criteria import classification_term

    if X.shape[0] == 0 or (np.isnan(X[:, 0]).all() and np.isnan(X).all()):
        raise ValueError("X has no row with an observed value.")
    ll_rows, resp, labels, all_missing = estep(X, want_ll=True, want_resp=True, want_labels=True)
    if all_missing is not None and all_missing.any():  # rows with every value missing are not counted
        keep = ~all_missing
        ll_rows, resp, labels = ll_rows[keep], resp[keep], labels[keep]
    n = int(ll_rows.shape[0])
    if n == 0:
        raise ValueError("X has no row with an observed value.")
    # the engine's definitions (GaussianMixture._criteria): BIC -2 log L + p log n, ICL BIC + 2 x the MAP term
    ll = float(ll_rows.sum())
    icl = -2.0 * ll + model.n_parameters() * math.log(float(n)) + 2.0 * classification_term(resp, "map")
    return n, ll, labels, float(icl)


def summary(model, X, bootstrap=None, feature_names=None, lengths=None, category_labels=None):
    """Summarise a fitted model on data X.

    A Gaussian mixture gives a :class:`Summary`; any other kind (HMMs, Student-t, Poisson, categorical,
    mixed and registered families' mixtures) a :class:`emdesk.engine.summary_kinds.KindSummary` with the
    same reading interface (``tables()``, ``to_text()``, ``to_tsv()``); ``lengths`` (an HMM's rows per
    sequence) and ``category_labels`` (column -> category labels) are for those.

    Parameters
    ----------
    model : fitted GaussianMixture (or a model with the same public attributes)
    X : (n, d) array, the data the model was fitted to (NaN allowed when the model marginalises missing
        values; rows with every value missing are not counted)
    bootstrap : optional :class:`emdesk.engine.bootstrap.BootstrapResult` of this model; its standard errors
        are shown beside the estimates (standard deviations and correlations get theirs from the replicates)
    feature_names : d names (default: the model's ``feature_names_in_``, else ``x1 .. xd``)

    Raises
    ------
    ValueError when the model is not fitted or X does not match it.
    """
    if _other_kind(model):
        from .summary_kinds import kind_summary

        if not (hasattr(model, "weights_") or hasattr(model, "transmat_")):
            raise ValueError("The model is not fitted: fit it before asking for a summary.")
        if not (hasattr(model, "weights_") or hasattr(model, "startprob_")) or not hasattr(model, "n_components"):
            raise ValueError(f"{type(model).__name__} has no weights_ or startprob_: the summary tables cover "
                             "mixtures and hidden Markov models.")
        return kind_summary(model, X, lengths=lengths, feature_names=feature_names,
                            category_labels=category_labels, bootstrap=bootstrap)
    if not hasattr(model, "weights_"):
        raise ValueError("The model is not fitted: fit it before asking for a summary.")
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    k, d = np.shape(model.means_)
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"X has shape {X.shape}; the model was fitted to {d} columns.")
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    if feature_names is None:
        feature_names = [f"x{i + 1}" for i in range(d)]
    feature_names = tuple(str(f) for f in feature_names)
    if len(feature_names) != d:
        raise ValueError(f"{len(feature_names)} feature names for {d} columns.")
    n_rows, ll, labels, icl = _scores(model, X)
    p = int(model.n_parameters())
    clustering = np.bincount(labels, minlength=k)
    ct = model.covariance_type
    full = full_covariances(model.covariances_, ct, k, d)
    sd, corr = sd_and_correlation(full)
    se = None
    n_boot = method = None
    if bootstrap is not None:
        se = dict(bootstrap.standard_errors)
        reps = getattr(bootstrap, "replicates", None)
        if reps is not None and "covariances" in reps and len(reps["covariances"]):
            fulls = np.stack([full_covariances(c, ct, k, d) for c in reps["covariances"]])
            sds, corrs = zip(*(sd_and_correlation(f) for f in fulls))
            se["full_covariances"] = np.std(fulls, axis=0, ddof=1) if len(fulls) > 1 else np.full_like(full, np.nan)
            se["standard_deviations"] = np.std(np.stack(sds), axis=0, ddof=1) if len(fulls) > 1 else np.full_like(sd, np.nan)
            se["correlations"] = np.std(np.stack(corrs), axis=0, ddof=1) if len(fulls) > 1 else np.full_like(corr, np.nan)
        n_boot = getattr(bootstrap, "n_boot", None)
        method = getattr(bootstrap, "method", None)
        se = {key: _readonly(v) for key, v in se.items()}
    n_iter = getattr(model, "n_iter_", None)
    converged = getattr(model, "converged_", None)
    if n_iter == 0 and converged is False and not math.isfinite(getattr(model, "log_likelihood_", math.nan)):
        n_iter = converged = None  # built from parameters, not fitted
    return Summary(
        kind="mixture", family="gaussian", covariance_type=str(ct), n_components=int(k),
        n_samples=n_rows, n_features=int(d), log_likelihood=ll,
        n_parameters=p, bic=-2.0 * ll + p * math.log(n_rows), aic=-2.0 * ll + 2.0 * p,
        icl=icl, n_iter=None if n_iter is None else int(n_iter),
        converged=None if converged is None else bool(converged),
        clustering=_readonly_int(clustering), weights=_readonly(model.weights_),
        means=_readonly(model.means_), covariances=_readonly(model.covariances_), full_covariances=_readonly(full),
        standard_deviations=_readonly(sd), correlations=_readonly(corr), feature_names=feature_names,
        standard_errors=se, n_boot=n_boot, bootstrap_method=method,
        prior=getattr(model, "prior", None),
        log_prior=(float(model.log_prior_) if getattr(model, "prior", None) is not None
                   and math.isfinite(getattr(model, "log_prior_", math.nan)) else None),
    )
