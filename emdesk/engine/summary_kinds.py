"""The summary of the other model kinds: hidden Markov models (Gaussian, Poisson, categorical and any
family's emissions), Student-t, Poisson, categorical (latent class) and mixed mixtures, and any family's
mixture (``emdesk.session.register_family``).

:func:`emdesk.engine.summary.summary` hands every model that is not a ``GaussianMixture`` to
:func:`kind_summary`; the result, :class:`KindSummary`, has the same reading interface as
:class:`~emdesk.engine.summary.Summary` (``tables()``, ``to_text()``, ``to_tsv()``, ``model_table()``, the
model facts) so the Results panel and the HTML report show either.

What each kind shows (the numbers their own packages print):

* HMM (hmmlearn's names): start probabilities ``startprob_``, the transition matrix ``transmat_`` (row =
  from), the expected duration of a visit to each state ``1 / (1 - a_jj)`` time steps (the mean of the
  geometric sojourn distribution; Rabiner 1989, eq. 5), the stationary distribution (left eigenvector of
  the transition matrix for eigenvalue 1), the rows per state on the Viterbi path, and the emission
  parameters per state (Gaussian: means, standard deviations, correlations, covariance matrices;
  Poisson: rates; categorical: symbol probabilities with the symbols' labels).
* Student-t mixture (McLachlan & Peel 2000, ch. 7): weights, locations, scale standard deviations and
  correlations, degrees of freedom, the covariance ``nu / (nu - 2) * scale`` where nu > 2, and the rows
  with the smallest expected scale weight ``u`` (the outlier score, near 0 for an outlier).
* Poisson mixture: weights and rates.
* Categorical mixture (latent class analysis, as poLCA prints ``probs``): class sizes and, per column,
  P(category | class) with the categories' labels.
* Mixed: the Gaussian block's means and standard deviations and the categorical block's probabilities.
* Other families: the weights and every parameter of shape (k,) or (k, d) by its name.

Criteria follow the engine's convention (lower is better); an HMM's ICL is BIC - 2 log p(Viterbi path | X)
(:func:`emdesk.engine.hmm.hmm_icl`, Celeux & Durand 2008).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .align import full_covariances

__all__ = ["KindSummary", "kind_summary", "expected_durations", "stationary_distribution"]

N_OUTLIERS = 10  # Student-t: rows listed with the smallest scale weight


def expected_durations(transmat) -> np.ndarray:
    """``1 / (1 - a_jj)`` per state (k,): the mean number of consecutive time steps spent in state j
    (geometric sojourn times; Rabiner 1989, eq. 5).  ``inf`` for an absorbing state (a_jj = 1)."""
    a = np.clip(np.diagonal(np.asarray(transmat, dtype=float)), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return np.where(a < 1.0, 1.0 / (1.0 - a), np.inf)


def stationary_distribution(transmat) -> np.ndarray:
    """The stationary distribution pi = pi A (k,) of a transition matrix: the left eigenvector for the
    eigenvalue closest to 1, normalised to sum to 1 (for a reducible chain, one of the stationary
    distributions)."""
    A = np.asarray(transmat, dtype=float)
    vals, vecs = np.linalg.eig(A.T)
    v = np.real(vecs[:, int(np.argmin(np.abs(vals - 1.0)))])
    v = np.abs(v) if np.all(v <= 0) or np.all(v >= 0) else np.clip(v, 0.0, None)
    s = v.sum()
    return v / s if s > 0 else np.full(A.shape[0], 1.0 / A.shape[0])


def _fmt(x, digits=6):
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    x = float(x)
    if math.isinf(x):
        return "inf"
    if not math.isfinite(x):
        return "NA"
    return f"{x:.{digits}g}"


def _ro(a, dtype=float):
    a = np.array(a, dtype=dtype, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class KindSummary:
    """A fitted model's facts and parameter tables (see the module docstring); read-only arrays.

    kind : "mixture" | "hmm";  family : "gaussian", "student_t", "poisson", "categorical",
    "latent_class", "product" or a registered family's name;  model_name : the estimator's class name;
    covariance_type : the covariance model when the family has one, else the family name;
    unit : "component" | "state" | "class";  n_components, n_samples, n_features, log_likelihood,
    n_parameters, bic, aic, icl (an HMM's: :func:`emdesk.engine.hmm.hmm_icl`), n_iter, converged;  clustering (k,) rows per
    component by the MAP rule (mixtures) or on the Viterbi path (HMMs);  parameters : dict name ->
    array (the fitted parameters by their engine names, plus ``expected_durations`` and
    ``stationary`` for an HMM);  blocks : tuple of ``(title, header, rows)`` parameter tables;
    notes : sentences shown under the tables;  feature_names : d names.
    ``standard_errors``: None, or a bootstrap's standard errors by parameter name (plus the derived
    ``standard_deviations``, ``correlations``, ``expected_durations`` and ``stationary``), shown in an ``SE``
    column beside every estimate they belong to (``block_ses``: per block, an (rows, k) array or None).
    """

    kind: str
    family: str
    model_name: str
    covariance_type: str
    unit: str
    n_components: int
    n_samples: int
    n_features: int
    log_likelihood: float
    n_parameters: int
    bic: float
    aic: float
    icl: float | None
    n_iter: int | None
    converged: bool | None
    clustering: np.ndarray
    parameters: dict
    blocks: tuple
    notes: tuple
    feature_names: tuple
    standard_errors: dict | None = None
    n_boot: int | None = None
    bootstrap_method: str | None = None
    extra: dict = field(default_factory=dict)
    block_ses: tuple = ()

    FAMILY_LABELS = {"gaussian": "Gaussian", "student_t": "Student-t", "poisson": "Poisson",
                     "categorical": "categorical", "latent_class": "categorical (latent class)",
                     "product": "mixed (Gaussian + categorical)"}

    def family_label(self) -> str:
        return self.FAMILY_LABELS.get(self.family, self.family)

    def headline(self) -> str:
        """One line naming the model (for the Results panel's title)."""
        k = self.n_components
        what = "hidden Markov model" if self.kind == "hmm" else "mixture"
        cov = f", covariance model {self.covariance_type}" if self.covariance_type not in (self.family, "") else ""
        label = self.family_label()
        return (f"{label[:1].upper() + label[1:]} {what} ({self.model_name}){cov}, {k} "
                f"{self.unit if k == 1 else self.units_word}, n = {self.n_samples}, d = {self.n_features}")

    @property
    def units_word(self) -> str:
        return "classes" if self.unit == "class" else self.unit + "s"

    def model_table(self):
        header = ["model", self.units_word, "n", "d", "log-likelihood", "parameters", "BIC", "AIC", "ICL",
                  "iterations", "converged"]
        row = [self.model_name if self.covariance_type in (self.family, "") else
               f"{self.model_name} ({self.covariance_type})", self.n_components, self.n_samples, self.n_features,
               self.log_likelihood, self.n_parameters, self.bic, self.aic, self.icl,
               "" if self.n_iter is None else self.n_iter,
               "" if self.converged is None else ("yes" if self.converged else "no")]
        return header, [row]

    def tables(self, standard_errors=True):
        """The result as a list of ``(title, header, rows)`` (rows of str/int/float, None for an empty
        cell): the model facts, the rows per component/state, then the parameter tables.  With
        ``standard_errors`` and a bootstrap, each component/state column of a parameter table is followed by
        an ``SE`` column."""
        header, rows = self.model_table()
        units = [f"{self.unit} {j + 1}" for j in range(self.n_components)]
        how = "on the Viterbi path" if self.kind == "hmm" else "by MAP"
        out = [("Model", header, rows),
               (f"Rows per {self.unit} ({how})", units, [list(map(int, self.clustering))])]
        show = standard_errors and bool(self.standard_errors)
        ses = self.block_ses if show and len(self.block_ses) == len(self.blocks) else (None,) * len(self.blocks)
        for block, se in zip(self.blocks, ses):
            if se is None:
                out.append(block)
            elif isinstance(se, tuple):  # a covariance/scale matrix: an "SE" row under each row, as Summary
                title, header, rows = block
                grid = []
                for r, srow in zip(rows, se[1]):
                    grid += [r, ["  SE"] + [float(v) for v in srow]]
                out.append((title, header, grid))
            else:
                out.append(_with_se(block, se, self.n_components))
        return out

    def to_text(self, standard_errors=True) -> str:
        """Plain text: the model facts and every table, columns aligned."""
        title = f"{self.family_label().capitalize()} " + \
            ("hidden Markov model" if self.kind == "hmm" else "finite mixture model") + " fitted by EM"
        lines = ["-" * len(title), title, "-" * len(title), "", self.headline() + ":", ""]
        header, rows = self.model_table()
        lines += _columns([header[1:], [_fmt(v, 8) if isinstance(v, float) else "" if v is None else str(v)
                                        for v in rows[0][1:]]], first_left=False)
        for t, hdr, rws in self.tables(standard_errors)[1:]:
            lines += ["", t + ":"]
            grid = [[str(h) for h in hdr]] + [[_fmt(v) if not isinstance(v, (str, int, np.integer))
                                               or isinstance(v, bool) else str(v) for v in r] for r in rws]
            lines += _columns(grid)
        for note in self.notes:
            lines += ["", note]
        lines.append("Criteria: lower is better (BIC = -2 log L + p log n).")
        return "\n".join(lines) + "\n"

    def to_tsv(self, standard_errors=True) -> str:
        """Tab-separated tables (title line, header line, rows; a blank line between), numbers at full
        precision."""
        from .summary import _tsv_cell

        blocks = []
        for title, header, rows in self.tables(standard_errors):
            lines = [title, "\t".join(map(str, header))]
            lines += ["\t".join(_tsv_cell(v) for v in r) for r in rows]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks) + "\n"


def _with_se(block, se, k):
    """A ``(title, header, rows)`` table with one column per component/state (after the label column) and an
    ``SE`` column after each: ``se`` (rows, k), a row of None where a row has no standard error."""
    title, header, rows = block
    hdr = [header[0]]
    for u in header[1:1 + k]:
        hdr += [u, "SE"]
    out = []
    for i, r in enumerate(rows):
        row = [r[0]]
        srow = se[i] if i < len(se) else None
        for j in range(k):
            row.append(r[1 + j])
            row.append(None if srow is None else float(srow[j]))
        out.append(row)
    return (title, hdr, out)


def _derived_ses(reps, cov_key, ct, k, hmm):
    """Standard errors of quantities derived from the parameters, from the bootstrap's replicates: the
    standard deviations and correlations (from the covariances), an HMM's expected durations and stationary
    distribution (from the transition matrices)."""
    from .summary import sd_and_correlation

    out = {}
    if len(next(iter(reps.values()))) < 2:
        return out
    if cov_key in reps and "means" in reps:
        d = reps["means"].shape[2]
        fulls = np.stack([full_covariances(c, ct, k, d) for c in reps[cov_key]])
        sds, corrs = zip(*(sd_and_correlation(f) for f in fulls))
        out["full_covariances"] = np.std(fulls, axis=0, ddof=1)
        out["standard_deviations"] = np.std(np.stack(sds), axis=0, ddof=1)
        out["correlations"] = np.std(np.stack(corrs), axis=0, ddof=1)
    if hmm and "transmat" in reps:
        with np.errstate(invalid="ignore"):
            out["expected_durations"] = np.std(np.stack([expected_durations(A) for A in reps["transmat"]]), axis=0,
                                               ddof=1)
        out["stationary"] = np.std(np.stack([stationary_distribution(A) for A in reps["transmat"]]), axis=0, ddof=1)
    return out


def _block_ses(blocks, se, family):
    """Per block, the (rows, k) standard errors of its cells (None for a table without them), by the
    block's title (the titles are this module's own)."""
    out = []
    probs_col = 0
    for title, header, rows in blocks:
        v = None
        t = title
        if t in ("Mixing probabilities", "Class sizes (mixing probabilities)") and "weights" in se:
            v = se["weights"][None, :]
        elif t == "Start probabilities" and "startprob" in se:
            v = se["startprob"][None, :]
        elif t.startswith("Transition matrix") and "transmat" in se:
            v = se["transmat"]
        elif t == "State durations and occupancy" and "expected_durations" in se:
            v = [se["expected_durations"], se["stationary"], None]
        elif t == "Means" and "means" in se:
            v = se["means"].T
        elif t in ("Standard deviations", "Scale standard deviations") and "standard_deviations" in se:
            v = se["standard_deviations"].T
        elif t == "Correlations" and "correlations" in se:
            d = se["correlations"].shape[1]
            v = [se["correlations"][:, a, b] for a in range(d) for b in range(a + 1, d)]
        elif t == "Degrees of freedom" and "dof" in se:
            v = se["dof"][None, :]
        elif t == "Rates (mean counts)" and "lambdas" in se:
            v = se["lambdas"].T
        elif t.startswith("Emission probabilities") and "emissionprob" in se:
            v = se["emissionprob"].T
        elif t.startswith("P(") and "probs" in se:
            m = len(rows)
            v = se["probs"][:, probs_col, :m].T
            probs_col += 1
        elif (t.startswith("Covariance matrix") or t.startswith("Scale matrix")) and "full_covariances" in se:
            j = 0 if t.endswith("(shared)") else int(t.rsplit(" ", 1)[-1]) - 1
            out.append(("matrix", np.asarray(se["full_covariances"][j], dtype=float)))
            continue
        elif t in se and family not in ("student_t", "poisson", "latent_class", "product"):
            a = np.asarray(se[t], dtype=float)
            v = a[None, :] if a.ndim == 1 else a.T if a.ndim == 2 else None
        out.append(None if v is None else [None if r is None else np.asarray(r, dtype=float) for r in v])
    return tuple(out)


def _columns(grid, first_left=True):
    width = max(len(r) for r in grid)
    grid = [list(r) + [""] * (width - len(r)) for r in grid]
    widths = [max(len(str(r[c])) for r in grid) for c in range(width)]
    out = []
    for r in grid:
        first = str(r[0]).ljust(widths[0]) if first_left else str(r[0]).rjust(widths[0])
        out.append("  ".join([first] + [str(v).rjust(widths[c]) for c, v in enumerate(r) if c > 0]).rstrip())
    return out


# ---------------------------------------------------------------------------------------------- blocks
def _per_unit(title, units, labels, values):
    """A table with one row per label and one column per component/state: ``values`` (rows, k)."""
    values = np.asarray(values, dtype=float)
    return (title, [""] + units, [[lab] + [float(v) for v in values[i]] for i, lab in enumerate(labels)])


def _gaussian_blocks(means, covariances, covariance_type, units, names, scale_word="Standard deviations",
                     matrix_word="Covariance matrix"):
    k, d = means.shape
    from .summary import sd_and_correlation

    full = full_covariances(covariances, covariance_type, k, d)
    sd, corr = sd_and_correlation(full)
    out = [_per_unit("Means", units, names, means.T), _per_unit(scale_word, units, names, sd.T)]
    if d > 1 and covariance_type in ("full", "tied"):  # diagonal models have none
        pairs = [(a, b) for a in range(d) for b in range(a + 1, d)]
        out.append(_per_unit("Correlations", units, [f"{names[a]} ~ {names[b]}" for a, b in pairs],
                             [corr[:, a, b] for a, b in pairs]))
        shared = covariance_type == "tied"
        for j in range(1 if shared else k):
            rows = [[names[a]] + [float(v) for v in full[j, a]] for a in range(d)]
            out.append((f"{matrix_word} (shared)" if shared else f"{matrix_word}, {units[j]}",
                        [""] + list(names), rows))
    return out, full


def _labels_for(column_index, n, labels, model_categories):
    if labels is not None and column_index < len(labels) and labels[column_index] is not None \
            and len(labels[column_index]) >= n:
        return [str(v) for v in list(labels[column_index])[:n]]
    if model_categories is not None and column_index < len(model_categories):
        cats = list(np.asarray(model_categories[column_index]).tolist())
        if len(cats) >= n:
            return [_category_text(v) for v in cats[:n]]
    return [f"category {r + 1}" for r in range(n)]


def _category_text(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _category_blocks(probs, n_categories, units, names, labels, model_categories, word="P"):
    out = []
    probs = np.asarray(probs, dtype=float)
    for c, name in enumerate(names):
        m = int(n_categories[c])
        labs = _labels_for(c, m, labels, model_categories)
        out.append(_per_unit(f"{word}({name} = category | {units[0].split()[0]})", units, labs, probs[:, c, :m].T))
    return out


def _generic_blocks(params, units, names, k, d):
    out = []
    for key, v in params.items():
        a = np.asarray(v, dtype=float)
        if a.shape == (k,):
            out.append(_per_unit(key, units, [key], a[None, :]))
        elif a.ndim == 2 and a.shape[0] == k:
            labs = list(names) if a.shape[1] == len(names) else [f"{key}[{i + 1}]" for i in range(a.shape[1])]
            out.append(_per_unit(key, units, labs, a.T))
    return out


# ---------------------------------------------------------------------------------------------- main
def _normalise_labels(category_labels, feature_names):
    if category_labels is None:
        return None
    if isinstance(category_labels, dict):
        return [category_labels.get(n) for n in feature_names]
    return list(category_labels)


def _hmm_scores(model, X, lengths, p):
    """``(log-likelihood, Viterbi path (n,), Viterbi-path ICL)`` of an HMM: the forward sweep and ONE Viterbi
    pass over the rows bound once, the same numbers as ``score``, ``predict`` and :func:`emdesk.engine.hmm.hmm_icl`
    (``kind="map"``: ``-2 log p(X, s*) + p log n``, Celeux & Durand 2008), which bound X three times and ran
    Viterbi twice (issue 16). A model without the engine's row blocks: those three methods."""
    from .hmm import hmm_icl

    if not callable(getattr(model, "_markov_rows", None)):
        return (float(model.score(X, lengths)), np.asarray(model.predict(X, lengths)),
                float(hmm_icl(model, X, lengths)))
    from ._markov_run import markov_impossible, markov_score
    from .structures.markov_blocked import viterbi_blocked

    rows, sparams, lengths = model._markov_rows(X, lengths)
    ll = float(markov_score(rows, sparams, lengths))
    log_joint, states = viterbi_blocked(rows.logB, sparams["startprob"], sparams["transmat"], lengths)
    if states is None or not math.isfinite(log_joint):
        raise markov_impossible(rows, sparams, lengths)
    return ll, np.asarray(states), float(-2.0 * log_joint + p * math.log(rows.fdata.n))


def kind_summary(model, X, lengths=None, feature_names=None, category_labels=None, bootstrap=None) -> KindSummary:
    """Summarise a fitted HMM or non-Gaussian mixture on its data.

    Parameters
    ----------
    model : a fitted ``GaussianHMM``/``PoissonHMM``/``CategoricalHMM``/``HiddenMarkovModel`` or
        ``StudentTMixture``/``PoissonMixture``/``CategoricalMixture``/``MixedMixture``/``MixtureModel``
        (or a registered family's estimator with ``weights_`` and its family's parameters)
    X : (n, d) the data it was fitted to (for an HMM in sequence order; categorical columns as the model
        takes them: codes or labels)
    lengths : an HMM's rows per sequence (None: one sequence)
    feature_names : d names (default the model's ``feature_names_in_``, else x1 .. xd)
    category_labels : labels of the categories of the categorical columns, as a dict column -> labels or
        a list (one per column; None for a numeric one); default the model's ``categories_`` /
        ``symbols_``
    bootstrap : optional :class:`emdesk.engine.bootstrap.BootstrapResult` of this model
        (:func:`emdesk.engine.bootstrap`); its standard errors are shown beside the estimates

    Raises
    ------
    ValueError when the model is not fitted or X does not fit it.
    """
    hmm = hasattr(model, "transmat_")
    if not hasattr(model, "weights_") and not hmm:
        raise ValueError("The model is not fitted: fit it before asking for a summary.")
    family_obj = model._family() if hasattr(model, "_family") else None
    family = getattr(family_obj, "name", None) or type(model).__name__
    Xa = np.asarray(X)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    d_model = getattr(model, "n_features_in_", Xa.shape[1])
    if Xa.ndim != 2 or Xa.shape[1] != d_model:
        raise ValueError(f"X has shape {Xa.shape}; the model was fitted to {d_model} columns.")
    d = Xa.shape[1]
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    if feature_names is None:
        feature_names = [f"x{i + 1}" for i in range(d)]
    names = tuple(str(f) for f in feature_names)
    if len(names) != d:
        raise ValueError(f"{len(names)} feature names for {d} columns.")
    labels = _normalise_labels(category_labels, names)
    k = int(model.n_components)
    unit = "state" if hmm else ("class" if family == "latent_class" else "component")
    units = [f"{unit} {j + 1}" for j in range(k)]
    try:
        Xnum = np.asarray(Xa, dtype=float)
        observed = ~np.isnan(Xnum).all(axis=1)
    except (TypeError, ValueError):  # text categories
        Xnum = None
        observed = np.array([not all(v is None or (isinstance(v, float) and math.isnan(v)) or v == ""
                                     for v in row) for row in Xa])
    n = int(observed.sum())
    if n == 0:
        raise ValueError("X has no row with an observed value.")
    p = int(model.n_parameters())
    params = {}
    blocks = []
    notes = []
    if hmm:
        ll, states, icl = _hmm_scores(model, Xa, lengths, p)
        bic = -2.0 * ll + p * math.log(Xa.shape[0])
        aic = -2.0 * ll + 2.0 * p
        sp, A = np.asarray(model.startprob_, float), np.asarray(model.transmat_, float)
        dur, stat = expected_durations(A), stationary_distribution(A)
        params.update(startprob=sp, transmat=A, expected_durations=dur, stationary=stat)
        blocks.append(_per_unit("Start probabilities", units, ["start"], sp[None, :]))
        blocks.append(("Transition matrix (row: from, column: to)", ["from \\ to"] + units,
                       [[units[i]] + [float(v) for v in A[i]] for i in range(k)]))
        blocks.append(("State durations and occupancy", [""] + units,
                       [["expected duration (time steps)"] + [float(v) for v in dur],
                        ["stationary probability"] + [float(v) for v in stat],
                        ["share of rows on the Viterbi path"]
                        + [float(c) / max(len(states), 1) for c in np.bincount(states, minlength=k)]]))
        counts = np.bincount(states, minlength=k)
        longest = int(np.max(lengths)) if lengths is not None and len(lengths) else int(Xa.shape[0])
        for j in np.flatnonzero(dur > longest):  # 1 / (1 - a_jj) beyond the data: "rarely left", not a duration
            what = f"{dur[j]:,.0f} time steps" if np.isfinite(dur[j]) else "unbounded (it is never left)"
            notes.append(f"{units[j][:1].upper()}{units[j][1:]}'s expected duration, {what}, is longer than the "
                         f"longest sequence ({longest:,} steps): the data show that it is rarely left, not how long a "
                         "visit lasts.")
        if family == "gaussian" and hasattr(model, "means_"):
            means = np.asarray(model.means_, float)
            cov = getattr(model, "_covars_", None)
            ct = getattr(model, "covariance_type", "full")
            if cov is None:
                cov, ct = np.asarray(model.covars_), "full"
            b, _full = _gaussian_blocks(means, cov, ct, units, names)
            blocks += b
            params.update(means=means, covariances=np.asarray(cov, float))
        elif family == "poisson" and hasattr(model, "lambdas_"):
            lam = np.asarray(model.lambdas_, float)
            blocks.append(_per_unit("Rates (mean counts)", units, names, lam.T))
            params["lambdas"] = lam
        elif family == "categorical" and hasattr(model, "emissionprob_"):
            B = np.asarray(model.emissionprob_, float)
            sym = _labels_for(0, B.shape[1], labels, [getattr(model, "symbols_", None)]
                              if getattr(model, "symbols_", None) is not None else None)
            blocks.append(_per_unit(f"Emission probabilities P({names[0]} = symbol | state)", units, sym, B.T))
            params["emissionprob"] = B
        else:
            fp = model._get_family_params() if hasattr(model, "_get_family_params") else {}
            params.update({key: np.asarray(v, float) for key, v in fp.items()})
            if family == "student_t":
                b, _full = _gaussian_blocks(np.asarray(fp["means"], float), fp["covariances"],
                                            getattr(family_obj, "covariance_type", "full"), units, names,
                                            "Scale standard deviations", "Scale matrix")
                blocks += b + [_per_unit("Degrees of freedom", units, ["nu"], np.asarray(fp["dof"], float)[None])]
            else:
                blocks += _generic_blocks(fp, units, names, k, d)
    else:
        one_pass = callable(getattr(model, "_summary_pass", None))
        u = lab = None
        if one_pass:  # StudentT-, Poisson-, Categorical- and MixedMixture: one pass over X, the same numbers
            n_keep, ll, lab, ent, u = model._summary_pass(Xa, scale_weights=family == "student_t")
            icl = float(-2.0 * ll + p * math.log(n_keep) + 2.0 * ent)  # as their icl(kind="map")
        elif callable(getattr(model, "log_likelihood", None)):
            ll = float(model.log_likelihood(Xa))
        else:  # the generic MixtureModel: score() is the total log-likelihood (as for the HMMs)
            ll = float(model.score(Xa))
        if not one_pass:
            lab = np.asarray(model.predict(Xa))
            icl = float(model.icl(Xa)) if hasattr(model, "icl") else None
        counts = np.bincount(lab[observed], minlength=k)
        bic = -2.0 * ll + p * math.log(n)
        aic = -2.0 * ll + 2.0 * p
        w = np.asarray(model.weights_, float)
        params["weights"] = w
        blocks.append(_per_unit("Class sizes (mixing probabilities)" if unit == "class" else "Mixing probabilities",
                                units, ["weight"], w[None, :]))
        if family == "student_t":
            means, cov, dof = (np.asarray(model.means_, float), np.asarray(model.covariances_, float),
                               np.asarray(model.dof_, float))
            ct = model.covariance_type
            b, full = _gaussian_blocks(means, cov, ct, units, names, "Scale standard deviations", "Scale matrix")
            blocks += b
            blocks.append(_per_unit("Degrees of freedom", units, ["nu"], dof[None, :]))
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(dof > 2, dof / (dof - 2.0), np.nan)
            sd_cov = np.sqrt(np.clip(np.diagonal(full, axis1=1, axis2=2), 0, None)) * np.sqrt(factor)[:, None]
            blocks.append(_per_unit("Standard deviations (of the t: sqrt(nu / (nu - 2)) x scale; NA for nu <= 2)",
                                    units, names, sd_cov.T))
            params.update(means=means, covariances=cov, dof=dof)
            if u is None:
                u = np.asarray(model.scale_weights(Xa, component="map"), float)
            order = [i for i in np.argsort(u, kind="stable") if observed[i]][:N_OUTLIERS]
            rows = [[int(i) + 1, int(lab[i]) + 1, float(u[i])] + [float(v) for v in Xnum[i]] for i in order]
            blocks.append((f"Rows with the smallest scale weight u (outlier score; about 1 typical, near 0 "
                           f"outlying), {len(rows)} of {n}", ["row", unit, "u"] + list(names), rows))
            n_out = int(np.sum(u[observed] < 0.5))
            notes.append(f"{n_out} row{'s' if n_out != 1 else ''} with u < 0.5 (weighted less than half in the "
                         "fit).")
        elif family == "poisson":
            lam = np.asarray(model.lambdas_, float)
            blocks.append(_per_unit("Rates (mean counts)", units, names, lam.T))
            params["lambdas"] = lam
        elif family == "latent_class":
            probs = np.asarray(model.probs_, float)
            ncat = getattr(model, "n_categories_", [probs.shape[2]] * d)
            blocks += _category_blocks(probs, ncat, units, names, labels, getattr(model, "categories_", None))
            params["probs"] = probs
        elif family == "product" and hasattr(model, "numeric_columns_"):
            num = [int(i) for i in model.numeric_columns_]
            cat = [int(i) for i in model.categorical_columns_]
            means = np.asarray(model.means_, float)
            cov = np.asarray(model.covariances_, float)
            if num:
                b, _ = _gaussian_blocks(means, cov, model.covariance_type, units, [names[i] for i in num])
                blocks += b
            probs = np.asarray(model.probs_, float)
            ncat = getattr(model, "n_categories_", [probs.shape[2]] * len(cat))
            cat_labels = None if labels is None else [labels[i] for i in cat]
            blocks += _category_blocks(probs, ncat, units, [names[i] for i in cat], cat_labels,
                                       getattr(model, "categories_", None))
            params.update(means=means, covariances=cov, probs=probs)
        else:
            fp = model._get_family_params() if hasattr(model, "_get_family_params") else {}
            params.update({key: np.asarray(v, float) for key, v in fp.items()})
            blocks += _generic_blocks(fp, units, names, k, d)
            if not blocks[1:]:
                notes.append("This family's parameters have no table here (only parameters of shape (k,) or "
                             "(k, d) are listed).")
    n_iter = getattr(model, "n_iter_", None)
    converged = getattr(model, "converged_", None)
    ct = getattr(model, "covariance_type", None)
    if ct is None and family_obj is not None:
        ct = getattr(family_obj, "covariance_type", None)
    se = None
    block_ses = ()
    n_boot = method = None
    if bootstrap is not None:
        if not isinstance(getattr(bootstrap, "standard_errors", None), dict) or \
                not isinstance(getattr(bootstrap, "replicates", None), dict):
            raise ValueError(f"bootstrap must be the BootstrapResult of emdesk.engine.bootstrap(model, X); got "
                             f"{type(bootstrap).__name__}.")
        se = {key: np.asarray(v, dtype=float) for key, v in bootstrap.standard_errors.items()}
        ok_shapes = all(key not in params or np.shape(params[key]) == np.shape(v) for key, v in se.items()
                        if key not in ("covariances", "covars"))
        if se.get("weights", se.get("startprob")) is None or not ok_shapes or \
                np.shape(se.get("weights", se.get("startprob")))[0] != k:
            raise ValueError("The bootstrap result does not belong to this model (other parameters or another "
                             "number of components): bootstrap the model shown.")
        cov_key = "covars" if "covars" in se else "covariances"
        se.update(_derived_ses(bootstrap.replicates, cov_key, ct or "full", k, hmm))
        block_ses = _block_ses(blocks, se, family)
        se = {key: _ro(v) for key, v in se.items()}
        n_boot, method = bootstrap.n_boot, bootstrap.method
    return KindSummary(
        kind="hmm" if hmm else "mixture", family=str(family), model_name=type(model).__name__,
        covariance_type=str(ct) if ct is not None and family in ("gaussian", "student_t", "product") else str(family),
        unit=unit, n_components=k, n_samples=n if not hmm else int(Xa.shape[0]), n_features=d,
        log_likelihood=ll, n_parameters=p, bic=float(bic), aic=float(aic), icl=icl,
        n_iter=None if n_iter is None else int(n_iter), converged=None if converged is None else bool(converged),
        clustering=_ro(counts, int), parameters={key: _ro(v) for key, v in params.items()},
        blocks=tuple(blocks), notes=tuple(notes), feature_names=names,
        standard_errors=se, n_boot=n_boot, bootstrap_method=method, block_ses=block_ses,
    )
