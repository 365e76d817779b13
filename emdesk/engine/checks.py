"""Does the model fit?  Goodness-of-fit checks of a fitted Gaussian mixture, as data for plots, plus
plain-words hints.

* :func:`mahalanobis_qq` - per component, the squared Mahalanobis distances of the rows it claims (MAP rule)
  against the chi-square distribution with d degrees of freedom, which they follow when the component is
  Gaussian (a Q-Q plot; Gnanadesikan & Kettenring 1972).  The MAP rows of overlapping components are
  truncated, so mild departures in the upper tail are expected there; heavy tails show as many points far
  above the line.
* :func:`marginal_checks` - per column, the fitted marginal mixture density on a grid with the histogram of
  the column, and the probability integral transform ``u = F(x)`` of every value under the fitted marginal
  mixture CDF (flat when the model fits; Dawid 1984), summarised by the Kolmogorov-Smirnov distance to the
  uniform distribution and its p-value (``scipy.stats.kstest``).  The parameters are estimated from the
  same data, so that p-value is conservative (too large; Lilliefors 1967): read small values as a real misfit.
* :func:`classification_uncertainty` - ``1 - max_j tau_ij`` per row (mclust's ``uncertainty``) and the rows
  in order of decreasing uncertainty.
* :func:`check_model` - all of the above and :class:`Hint` s: heavy tails (Mardia's multivariate kurtosis of a
  component's rows; try a Student-t mixture), skewness (per component and column; try a transform) and a
  component that needs splitting (two components fit its rows far better by BIC).
* :func:`hmm_pseudo_residuals` - for hidden Markov models, the ordinary (or forecast) normal
  pseudo-residuals of every column (mid-pseudo-residuals for counts and symbols) with their Q-Q data and
  autocorrelation (Zucchini, MacDonald & Langrock 2016, ch. 6).

Only the public API of the model is used.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .align import full_covariances
from .diagnostics import DataColumnWarning, DegenerateSolutionWarning

__all__ = ["ComponentQQ", "MarginalCheck", "Uncertainty", "Hint", "ModelChecks", "mahalanobis_qq",
           "marginal_checks", "classification_uncertainty", "check_model", "PseudoResidualColumn",
           "PseudoResiduals", "hmm_pseudo_residuals"]


def _ro(a, dtype=float):
    a = np.array(a, dtype=dtype, copy=True)
    a.flags.writeable = False
    return a


def _check(model, X):
    if not hasattr(model, "weights_"):
        raise ValueError("The model is not fitted: fit it before checking it.")
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    k, d = np.shape(model.means_)
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"X has shape {X.shape}; the model was fitted to {d} columns.")
    return X, k, d


@dataclass(frozen=True)
class ComponentQQ:
    """Q-Q data of one component.

    component : 0-based index
    rows : (m,) indices into X of the complete rows whose MAP component this is
    distances : (m,) squared Mahalanobis distances of those rows, sorted ascending
    quantiles : (m,) chi-square(d) quantiles at ``(i - 0.5) / m`` (the x of a Q-Q plot; distances are the y)
    ks_statistic, p_value : Kolmogorov-Smirnov test of the distances against chi-square(d) (NaN when m < 2)
    kurtosis, kurtosis_z : Mardia's b_{2,d} = mean(D^4) and its z-score ``(b2 - d(d+2)) / sqrt(8 d (d+2) / m)``
    """

    component: int
    rows: np.ndarray
    distances: np.ndarray
    quantiles: np.ndarray
    ks_statistic: float
    p_value: float
    kurtosis: float
    kurtosis_z: float


def mahalanobis_qq(model, X, labels=None) -> tuple:
    """Per component, squared Mahalanobis distances of its MAP rows vs chi-square(d) quantiles.

    X : (n, d); rows with a missing value are left out.  ``labels`` (n,) overrides the MAP labels.
    Returns a tuple of :class:`ComponentQQ`, one per component.  Raises ValueError for an unfitted model or
    X that does not match it.
    """
    X, k, d = _check(model, X)
    complete = ~np.isnan(X).any(axis=1)
    if labels is None:
        labels = np.full(X.shape[0], -1)
        if complete.any():
            labels[complete] = model.predict(X[complete])
    labels = np.asarray(labels)
    full = full_covariances(model.covariances_, model.covariance_type, k, d)
    out = []
    for j in range(k):
        rows = np.flatnonzero((labels == j) & complete)
        diff = X[rows] - model.means_[j]
        try:
            L = np.linalg.cholesky(full[j])
        except np.linalg.LinAlgError:
            raise ValueError(f"The covariance of component {j + 1} is not positive definite: its distances "
                             "cannot be computed (refit with a larger reg_covar).") from None
        z = np.linalg.solve(L, diff.T) if rows.size else np.zeros((d, 0))
        d2 = np.sort(np.sum(z * z, axis=0))
        m = d2.size
        q = stats.chi2.ppf((np.arange(1, m + 1) - 0.5) / m, d) if m else np.zeros(0)
        if m >= 2:
            ks = stats.kstest(d2, stats.chi2(d).cdf)
            ks_stat, p = float(ks.statistic), float(ks.pvalue)
            b2 = float(np.mean(d2 ** 2))
            z_k = (b2 - d * (d + 2)) / math.sqrt(8.0 * d * (d + 2) / m)
        else:
            ks_stat = p = b2 = z_k = math.nan
        order = np.argsort(np.sum(z * z, axis=0), kind="stable")
        out.append(ComponentQQ(j, _ro(rows[order], int), _ro(d2), _ro(q), ks_stat, p, b2, z_k))
    return tuple(out)


@dataclass(frozen=True)
class MarginalCheck:
    """One column's fit.

    column, name : index and name
    grid : (g,) x values; density : (g,) fitted marginal mixture density; component_densities : (k, g)
        (weighted, so they sum to ``density``)
    hist_edges : (b+1,), hist_density : (b,) histogram of the observed values scaled to a density
    values : (m,) the observed values (NaN left out); pit : (m,) their probability integral transforms
    pit_edges, pit_density : histogram of the PIT values on [0, 1] scaled to a density (flat at 1 when the
        model fits)
    ks_statistic, p_value : Kolmogorov-Smirnov test of the PIT values against U(0, 1)
    """

    column: int
    name: str
    grid: np.ndarray
    density: np.ndarray
    component_densities: np.ndarray
    hist_edges: np.ndarray
    hist_density: np.ndarray
    values: np.ndarray
    pit: np.ndarray
    pit_edges: np.ndarray
    pit_density: np.ndarray
    ks_statistic: float
    p_value: float


def _bins(x, max_bins=60):
    m = x.size
    if m < 2:
        return 1
    # the larger of Freedman-Diaconis and Sturges (numpy's "auto" rule), capped
    sturges = math.ceil(math.log2(m)) + 1
    q75, q25 = np.percentile(x, [75, 25])
    width = 2.0 * (q75 - q25) / m ** (1.0 / 3.0)
    span = float(x.max() - x.min())
    fd = math.ceil(span / width) if width > 0 and span > 0 else 0
    return int(min(max_bins, max(5, sturges, fd)))


def marginal_checks(model, X, feature_names=None, n_grid=200) -> tuple:
    """Per column, the fitted marginal mixture density, the histogram, and the PIT of every value.

    The marginal of column i is ``sum_j w_j N(mu_ji, Sigma_j,ii)``.  Returns a tuple of
    :class:`MarginalCheck`, one per column.  Raises ValueError for an unfitted model or a mismatched X.
    """
    X, k, d = _check(model, X)
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    if feature_names is None:
        feature_names = [f"x{i + 1}" for i in range(d)]
    full = full_covariances(model.covariances_, model.covariance_type, k, d)
    w = np.asarray(model.weights_, dtype=float)
    out = []
    for i in range(d):
        x = X[:, i]
        x = x[~np.isnan(x)]
        mu = model.means_[:, i]
        sd = np.sqrt(full[:, i, i])
        lo = min(float(x.min()) if x.size else np.inf, float(np.min(mu - 3 * sd)))
        hi = max(float(x.max()) if x.size else -np.inf, float(np.max(mu + 3 * sd)))
        grid = np.linspace(lo, hi, n_grid)
        comp = w[:, None] * stats.norm.pdf(grid[None, :], mu[:, None], sd[:, None])
        dens = comp.sum(axis=0)
        counts, edges = np.histogram(x, bins=_bins(x), density=True) if x.size else (np.zeros(1), np.array([lo, hi]))
        pit = (w[:, None] * stats.norm.cdf(x[None, :], mu[:, None], sd[:, None])).sum(axis=0)
        pit = np.clip(pit, 0.0, 1.0)
        pit_counts, pit_edges = np.histogram(pit, bins=int(min(20, max(5, math.ceil(math.log2(max(pit.size, 2))) + 1))), range=(0.0, 1.0), density=True)
        if x.size >= 2:
            ks = stats.kstest(pit, "uniform")
            ks_stat, p = float(ks.statistic), float(ks.pvalue)
        else:
            ks_stat = p = math.nan
        out.append(MarginalCheck(i, str(feature_names[i]), _ro(grid), _ro(dens), _ro(comp), _ro(edges), _ro(counts),
                                 _ro(x), _ro(pit), _ro(pit_edges), _ro(pit_counts), ks_stat, p))
    return tuple(out)


@dataclass(frozen=True)
class Uncertainty:
    """Classification uncertainty ``1 - max_j tau_ij``.

    values : (n,) in [0, 1 - 1/k]; labels : (n,) MAP components; order : (n,) row indices, most uncertain
    first (ties keep row order)
    """

    values: np.ndarray
    labels: np.ndarray
    order: np.ndarray

    def most_uncertain(self, m=20) -> np.ndarray:
        """Indices of the ``m`` most uncertain rows."""
        return self.order[: int(m)]


def classification_uncertainty(model, X, lengths=None) -> Uncertainty:
    """mclust's ``uncertainty``: 1 - the largest posterior probability of every row (Gaussian mixtures: rows
    with every value missing get the mixing weights' uncertainty).

    Any fitted kind: a GaussianMixture, the other mixtures (Student-t, Poisson, latent class, mixed; ``X``
    as the model was fitted to it) through their ``predict_proba``, and hidden Markov models, whose
    posteriors are the smoothed state probabilities of forward-backward (``lengths``: rows per sequence).
    Raises ValueError for an unfitted model or an X that does not fit it.
    Source: mclust's ``uncertainty`` (Scrucca et al. 2016); for an HMM, Zucchini, MacDonald & Langrock
    (2016) s. 5.4.1, local decoding."""
    if hasattr(model, "transmat_") or hasattr(model, "_family"):
        if not (hasattr(model, "weights_") or hasattr(model, "startprob_")):
            raise ValueError("The model is not fitted: fit it before checking it.")
        try:
            resp = np.asarray(model.predict_proba(X, lengths) if hasattr(model, "transmat_")
                              else model.predict_proba(X), dtype=float)
        except (TypeError, IndexError) as exc:
            raise ValueError(f"X does not fit the model: {exc}") from None
    else:
        if lengths is not None:
            raise ValueError("lengths (rows per sequence) are for hidden Markov models.")
        X, k, d = _check(model, X)
        resp = np.asarray(model.predict_proba(X))
    if resp.ndim != 2 or not np.all(np.isfinite(resp)):
        raise ValueError("The posterior probabilities of some rows are not finite numbers.")
    u = 1.0 - resp.max(axis=1)
    u = np.clip(u, 0.0, 1.0)
    order = np.argsort(-u, kind="stable")
    return Uncertainty(_ro(u), _ro(resp.argmax(axis=1), int), _ro(order, int))


@dataclass(frozen=True)
class Hint:
    """A plain-words pointer from a check: ``kind`` in {"heavy_tails", "skewness", "split"}; ``component``
    and ``column`` (0-based, or None); ``message`` one or two sentences for a user; ``value`` the statistic
    behind it."""

    kind: str
    component: int | None
    column: int | None
    message: str
    value: float


@dataclass(frozen=True)
class ModelChecks:
    """The result of :func:`check_model`: ``qq``, ``marginals``, ``uncertainty``, ``hints``."""

    qq: tuple
    marginals: tuple
    uncertainty: Uncertainty
    hints: tuple


def _split_gain(model, Xj, seed):
    """BIC(1 component) - BIC(2 components) on a component's rows (positive: two fit better)."""
    params = {key: v for key, v in model.get_params().items()
              if key not in ("n_components", "weights_init", "means_init", "covariances_init", "precisions_init",
                             "random_state", "n_init", "missing")}
    params["covariance_type"] = "full"
    cls = type(model)
    try:
        # side fits of the checks: a degenerate one is handled below; its warning (printed on the terminal of
        # the app, about a model nobody fitted) is not the user's model's
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateSolutionWarning)
            warnings.simplefilter("ignore", DataColumnWarning)
            one = cls(1, **params).fit(Xj)
            two = cls(2, n_init=3, random_state=seed, **params).fit(Xj)
    except (ValueError, np.linalg.LinAlgError):
        return math.nan, None
    if getattr(two, "degeneracies_", ()):
        return math.nan, None
    return float(one.bic(Xj) - two.bic(Xj)), two


def _ashman_d(two):
    """Ashman's D of a two-component fit along the line through its means (Ashman, Bird & Zepf 1994):
    ``sqrt(2) |m1 - m2| / sqrt(s1^2 + s2^2)``; above 2 the two parts are separated, not one heavy-tailed or
    skewed group."""
    k, d = two.means_.shape
    full = full_covariances(two.covariances_, two.covariance_type, k, d)
    diff = two.means_[0] - two.means_[1]
    norm = float(np.linalg.norm(diff))
    if norm == 0:
        return 0.0
    v = diff / norm
    s2 = float(v @ full[0] @ v + v @ full[1] @ v)
    return math.sqrt(2.0) * norm / math.sqrt(s2) if s2 > 0 else math.inf


def _has_dip(two, depth=0.9):
    """Whether the two-component density dips between the two means (bimodal along that line) to below
    ``depth`` times the lower of its values at the means."""
    t = np.linspace(0.0, 1.0, 101)[:, None]
    line = two.means_[0] * (1 - t) + two.means_[1] * t
    logp = two.score_samples(line)
    return bool(np.min(logp[1:-1]) < min(logp[0], logp[-1]) + math.log(depth))


def check_model(model, X, feature_names=None, random_state=0, kurtosis_z=4.0, skew_threshold=0.5,
                split_bic=10.0) -> ModelChecks:
    """All checks and the hints they lead to.

    Hints (thresholds are arguments):
    * heavy tails: Mardia's kurtosis z-score of a component's rows above ``kurtosis_z`` (Mardia 1970);
    * skewness: a column's skewness within a component beyond ``skew_threshold`` with D'Agostino's test
      p < 0.001 (``scipy.stats.skewtest``; needs 8 rows);
    * split: two full-covariance Gaussians fit the component's rows better than one by more than
      ``split_bic`` BIC units (10: "very strong" evidence, Kass & Raftery 1995), with both parts holding
      at least 10% of the rows, separated (Ashman's D > 2 along the line through their means) and with a
      dip of their density between the means: two Gaussians also fit one heavy-tailed or skewed group, which
      is not a reason to split.
    Components with fewer than 20 complete rows are not judged.
    """
    X, k, d = _check(model, X)
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    if feature_names is None:
        feature_names = [f"x{i + 1}" for i in range(d)]
    feature_names = [str(f) for f in feature_names]
    unc = classification_uncertainty(model, X)
    complete = ~np.isnan(X).any(axis=1)
    labels = np.where(complete, unc.labels, -1)
    qq = mahalanobis_qq(model, X, labels=labels)
    marg = marginal_checks(model, X, feature_names)
    hints = []
    for c in qq:
        m = c.rows.size
        if m < 20:
            continue
        Xj = X[c.rows]
        if c.kurtosis_z > kurtosis_z:
            hints.append(Hint(
                "heavy_tails", c.component, None,
                f"Component {c.component + 1} has heavier tails than a Gaussian (Mardia kurtosis "
                f"{c.kurtosis:.3g}, expected {d * (d + 2)}): its far rows are more numerous than the model "
                "allows. Try a Student-t mixture, or more components.",
                float(c.kurtosis_z)))
        if m >= 8:
            for i in range(d):
                g = float(stats.skew(Xj[:, i]))
                if abs(g) > skew_threshold and stats.skewtest(Xj[:, i]).pvalue < 1e-3:
                    side = "right" if g > 0 else "left"
                    hints.append(Hint(
                        "skewness", c.component, i,
                        f"Column {feature_names[i]} is skewed to the {side} within component {c.component + 1} "
                        f"(skewness {g:.2f}). Try a transform of the column (log or Box-Cox"
                        f"{' of positive values' if g > 0 else ', after reflecting it'}), or more components.",
                        g))
        gain, two = _split_gain(model, Xj, random_state)
        if (two is not None and gain > split_bic and np.min(two.weights_) >= 0.1 and _ashman_d(two) > 2.0
                and _has_dip(two)):
            hints.append(Hint(
                "split", c.component, None,
                f"Component {c.component + 1} looks like two groups: two Gaussians fit its {m} rows better "
                f"by {gain:.1f} BIC units. Try one more component.",
                gain))
    return ModelChecks(qq, marg, unc, tuple(hints))


# ---------------------------------------------------------------------------------------------- HMMs
@dataclass(frozen=True)
class PseudoResidualColumn:
    """Normal pseudo-residuals of one column of an HMM's data.

    name : the column's name
    rows : (m,) indices into X of the time steps where the column is observed (in X's order)
    residuals : (m,) ``z_t = Phi^-1(u_t)`` (for discrete data the mid-pseudo-residual
        ``Phi^-1((u_t^- + u_t^+) / 2)``)
    lower, upper : (m,) ``Phi^-1(u_t^-)``, ``Phi^-1(u_t^+)`` (discrete data: the segment of the
        pseudo-residual; continuous data: both equal ``residuals``)
    uniform : (m,) ``u_t`` (discrete: the mid-point)
    theoretical : (m,) standard normal quantiles at the plotting positions ``(i - 0.5) / m`` and
        ``sorted_residuals`` (m,) : the Q-Q plot
    acf : (max_lag + 1,) sample autocorrelation of the residuals at lags 0..max_lag, pairs taken within
        sequences only; ``acf_band`` the approximate 95% band ``1.96 / sqrt(m)``
    mean, std, ks_statistic, p_value : of the residuals against N(0, 1) (``scipy.stats.kstest``; the
        parameters were estimated from the same data, so the p-value is conservative); for discrete data
        the KS test uses the mid-pseudo-residuals (approximate)
    """

    name: str
    rows: np.ndarray
    residuals: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    uniform: np.ndarray
    theoretical: np.ndarray
    sorted_residuals: np.ndarray
    acf: np.ndarray
    acf_band: float
    mean: float
    std: float
    ks_statistic: float
    p_value: float


@dataclass(frozen=True)
class PseudoResiduals:
    """The result of :func:`hmm_pseudo_residuals`: ``kind`` ("ordinary" | "forecast"), ``discrete``,
    ``columns`` (one :class:`PseudoResidualColumn` per column of X), ``hints`` (tuple of :class:`Hint`)."""

    kind: str
    discrete: bool
    columns: tuple
    hints: tuple
    note: str = ""


def _hmm_state_weights(logB, startprob, transmat, lengths):
    """Per time step, the distribution of the state given (a) all other observations of its sequence
    (``ordinary``) and (b) the observations before it (``forecast``): two (n, k) arrays.

    Scaled forward-backward (Zucchini, MacDonald & Langrock 2016, "Hidden Markov Models for Time Series",
    2nd ed., sections 5.4 and 6.2): with phi_t the filtered probabilities P(S_t | x_1..t) and
    beta_t the (scaled) backward probabilities, P(S_t = j | x^(-t)) is proportional to
    (phi_{t-1} Gamma)_j beta_t(j) and the one-step forecast P(S_t = j | x^(t-1)) is (phi_{t-1} Gamma)_j
    (delta, the start probabilities, at t = 1)."""
    n, k = logB.shape
    B = np.exp(logB - np.max(logB, axis=1, keepdims=True))  # per-row scaling cancels in normalised forms
    A = np.asarray(transmat, dtype=float)
    delta = np.asarray(startprob, dtype=float)
    pred = np.empty((n, k))
    beta = np.empty((n, k))
    start = 0
    for L in lengths:
        stop = start + int(L)
        phi = None
        for t in range(start, stop):  # forward: a sequential recursion by nature
            p = delta if phi is None else phi @ A
            pred[t] = p
            f = p * B[t]
            s = f.sum()
            phi = f / s if s > 0 else p
        b = np.ones(k)
        beta[stop - 1] = b
        for t in range(stop - 2, start - 1, -1):
            b = A @ (B[t + 1] * b)
            s = b.sum()
            b = b / s if s > 0 else np.ones(k)
            beta[t] = b
        start = stop
    ordinary = pred * beta
    tot = ordinary.sum(axis=1, keepdims=True)
    ordinary = np.where(tot > 0, ordinary / np.where(tot > 0, tot, 1.0), pred)
    return ordinary, pred


def _acf(z_full, observed, starts, max_lag):
    """Autocorrelation at lags 0..max_lag of a series with gaps (NaN), pairs within sequences only."""
    zc = np.where(observed, z_full - np.nanmean(np.where(observed, z_full, np.nan)), 0.0)
    denom = float(np.sum(zc[observed] ** 2))
    seq_id = np.cumsum(np.isin(np.arange(z_full.size), starts)) - 1
    out = np.zeros(max_lag + 1)
    out[0] = 1.0 if denom > 0 else 0.0
    for h in range(1, max_lag + 1):
        if h >= z_full.size:
            break
        same = (seq_id[h:] == seq_id[:-h]) & observed[h:] & observed[:-h]
        out[h] = float(np.sum(zc[h:][same] * zc[:-h][same]) / denom) if denom > 0 else 0.0
    return out


def hmm_pseudo_residuals(model, X, lengths=None, kind="forecast", feature_names=None, max_lag=20,
                         eps=1e-12) -> PseudoResiduals:
    """Normal pseudo-residuals of a fitted hidden Markov model, per column of X.

    ``kind="forecast"`` (default): u_t = P(X_t <= x_t | the observations before t), from the one-step-ahead
    forecast distribution; ``"ordinary"``: u_t = P(X_t <= x_t | all other observations of the sequence).
    z_t = Phi^-1(u_t) is standard normal when the model is right (Zucchini, MacDonald & Langrock 2016,
    "Hidden Markov Models for Time Series", 2nd ed., ch. 6); the forecast residuals are also independent,
    so their autocorrelation tests the dependence structure, while neighbouring ordinary residuals are
    correlated even under the right model (measured: lag-1 r = -0.2 on 600 rows of a 2-state HMM), so the
    autocorrelation hint is given for the forecast kind only.  For discrete emissions (Poisson counts, categorical symbols taken in their listed
    order) the mid-pseudo-residual Phi^-1((u_t^- + u_t^+) / 2) with u_t^- = P(X_t < x_t | ...) and
    u_t^+ = P(X_t <= x_t | ...) (section 6.2.2).  With several columns each column's residual uses its own
    marginal emission distribution given the state (the conditioning set is the other time steps, all columns).
    A missing cell has no residual (its row is left out of ``rows``); the state weights use the observed cells.

    Parameters
    ----------
    model : a fitted GaussianHMM, PoissonHMM or CategoricalHMM (or a HiddenMarkovModel with Gaussian,
        Poisson or categorical emissions)
    X : (n, d) the data in sequence order;  lengths : rows per sequence (None: one sequence)
    kind : "ordinary" | "forecast";  feature_names : d names;  max_lag : ACF lags (>= 1)
    eps : u is clipped to [eps, 1 - eps] so every residual is finite (|z| <= 7.03 for 1e-12)

    Returns :class:`PseudoResiduals`.  Raises ValueError for an unfitted model, other emission families, a
    mismatched X or bad arguments.
    """
    if not hasattr(model, "transmat_") or not hasattr(model, "startprob_"):
        raise ValueError("Pseudo-residuals are for fitted hidden Markov models (startprob_, transmat_).")
    if kind not in ("ordinary", "forecast"):
        raise ValueError(f"kind must be 'ordinary' or 'forecast'; got {kind!r}.")
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 1:
        raise ValueError(f"max_lag must be an integer >= 1; got {max_lag!r}.")
    fam = model._family()
    family = getattr(fam, "name", "")
    if family not in ("gaussian", "poisson", "categorical"):
        raise ValueError(f"Pseudo-residuals cover Gaussian, Poisson and categorical emissions; this model has "
                         f"{family or type(model).__name__} emissions.")
    logB, sparams, _seqs, lengths = model._score(X, lengths)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n, d = X.shape
    lengths = [n] if lengths is None else [int(v) for v in lengths]
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    names = [f"x{i + 1}" for i in range(d)] if feature_names is None else [str(v) for v in feature_names]
    if len(names) != d:
        raise ValueError(f"{len(names)} feature names for {d} columns.")
    ordinary, forecast = _hmm_state_weights(logB, sparams["startprob"], sparams["transmat"], lengths)
    W = ordinary if kind == "ordinary" else forecast
    params = model._get_family_params()
    discrete = family != "gaussian"
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int)
    columns = []
    hints = []
    for c in range(d):
        x = X[:, c]
        obs = np.isfinite(x)
        rows = np.flatnonzero(obs)
        xo = x[obs]
        Wo = W[obs]
        if family == "gaussian":
            mu = np.asarray(params["means"], float)[:, c]
            full = full_covariances(params["covariances"], getattr(fam, "covariance_type", "full"),
                                    mu.size, d)
            sd = np.sqrt(full[:, c, c])
            u_hi = np.sum(Wo * stats.norm.cdf((xo[:, None] - mu[None, :]) / sd[None, :]), axis=1)
            u_lo = u_hi
        elif family == "poisson":
            lam = np.asarray(params["lambdas"], float)[:, c]
            u_hi = np.sum(Wo * stats.poisson.cdf(xo[:, None], lam[None, :]), axis=1)
            u_lo = np.sum(Wo * stats.poisson.cdf(xo[:, None] - 1, lam[None, :]), axis=1)
        else:
            E = np.asarray(params["emissionprob"], float)  # (k, m): symbols in their listed order
            cdf = np.cumsum(E, axis=1)
            sym = xo.astype(int)
            hi = cdf[:, sym].T                        # (m_obs, k) P(X <= x | state)
            lo = np.where(sym[:, None] > 0, cdf[:, np.maximum(sym - 1, 0)].T, 0.0)
            u_hi = np.sum(Wo * hi, axis=1)
            u_lo = np.sum(Wo * lo, axis=1)
        u_hi = np.clip(u_hi, eps, 1.0 - eps)
        u_lo = np.clip(u_lo, eps, 1.0 - eps)
        u = 0.5 * (u_lo + u_hi) if discrete else u_hi
        z = stats.norm.ppf(u)
        lower, upper = (stats.norm.ppf(u_lo), stats.norm.ppf(u_hi)) if discrete else (z, z)
        m = z.size
        theo = stats.norm.ppf((np.arange(1, m + 1) - 0.5) / m) if m else np.zeros(0)
        z_full = np.full(n, np.nan)
        z_full[rows] = z
        acf = _acf(z_full, obs, starts, int(max_lag)) if m else np.zeros(int(max_lag) + 1)
        if m >= 2:
            ks = stats.kstest(z, "norm")
            ks_stat, p = float(ks.statistic), float(ks.pvalue)
        else:
            ks_stat, p = math.nan, math.nan
        band = 1.96 / math.sqrt(m) if m else math.inf
        col = PseudoResidualColumn(
            name=names[c], rows=_ro(rows, int), residuals=_ro(z), lower=_ro(lower), upper=_ro(upper),
            uniform=_ro(u), theoretical=_ro(theo), sorted_residuals=_ro(np.sort(z)), acf=_ro(acf),
            acf_band=float(band), mean=float(np.mean(z)) if m else math.nan,
            std=float(np.std(z, ddof=1)) if m > 1 else math.nan, ks_statistic=ks_stat, p_value=p)
        columns.append(col)
        if m >= 30 and p < 0.01:
            hints.append(Hint("distribution", None, c,
                              f"The pseudo-residuals of {names[c]} are not standard normal (KS {ks_stat:.3f}, "
                              f"p = {p:.2g}): the emission distribution or the number of states may be wrong.",
                              ks_stat))
        if kind == "forecast" and m >= 30 and acf.size > 1 and abs(acf[1]) > 2.0 * band:
            hints.append(Hint("autocorrelation", None, c,
                              f"The pseudo-residuals of {names[c]} are autocorrelated at lag 1 (r = {acf[1]:.2f}): "
                              "the model leaves dependence over time unexplained. Try more states.",
                              float(acf[1])))
    note = ("Mid-pseudo-residuals (discrete data; categorical symbols in their listed order)."
            if discrete else "")
    return PseudoResiduals(kind=kind, discrete=discrete, columns=tuple(columns), hints=tuple(hints), note=note)
