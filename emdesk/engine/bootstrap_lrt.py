"""The bootstrap likelihood-ratio test for the number of mixture components (McLachlan 1987; mclust's
``mclustBootstrapLRT``): ``LRTS = 2 (log L(k+1) - log L(k))`` under the null of k components, the k-component
fit generating ``n_boot`` samples, each fitted with k and k+1 components, and
``p = (1 + #{LRTS_b >= LRTS_obs}) / (n_boot + 1)``.  Public through :mod:`emdesk.engine.bootstrap`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._bootstrap_common import _check_callable, _fit_params, _n_jobs, _refit, _run, _seed_sequence
from .align import as_parameters, full_covariances, has_component_axis

__all__ = ["LRTResult", "LRTRow", "bootstrap_lrt"]


@dataclass(frozen=True)
class LRTRow:
    """One test of ``n_components`` against ``n_components + 1``: the observed statistic
    ``LRTS = 2 (log L(k+1) - log L(k))``, its bootstrap replicates and the p-value."""

    n_components: int
    statistic: float
    p_value: float
    log_likelihood_null: float
    log_likelihood_alternative: float
    replicates: np.ndarray
    n_failed: int


@dataclass(frozen=True)
class LRTResult:
    """The result of :func:`bootstrap_lrt`: ``rows`` (one :class:`LRTRow` per test, k = 1, 2, ...),
    the covariance type, n_boot, level, whether it was cancelled and the seed entropy."""

    covariance_type: str
    n_boot: int
    level: float
    rows: tuple
    cancelled: bool
    seed_entropy: int

    def table(self):
        """``(header, rows)`` for display: one row per test."""
        header = ["test", "LRTS", "bootstrap p-value", "replicates"]
        rows = [[f"{r.n_components} vs {r.n_components + 1}", r.statistic, r.p_value, int(r.replicates.size)]
                for r in self.rows]
        return header, rows

    def to_text(self) -> str:
        lines = [f"Bootstrap sequential LRT for the number of mixture components ({self.covariance_type}, "
                 f"{self.n_boot} replicates)", f"{'test':>10} {'LRTS':>12} {'p-value':>10}"]
        for r in self.rows:
            lines.append(f"{r.n_components:>4} vs {r.n_components + 1:<3} {r.statistic:>12.4f} {r.p_value:>10.4g}")
        if self.cancelled:
            lines.append("(stopped before the end)")
        return "\n".join(lines) + "\n"

    @property
    def selected_n_components(self):
        """The first k whose test against k+1 is not significant at ``level`` (None when every test done
        was significant)."""
        for r in self.rows:
            if r.p_value > self.level:
                return r.n_components
        return None


def _split_start(model):
    """Starting parameters for k+1 components: the heaviest component split in two along its first
    principal axis (means +- one standard deviation / 2, half the weight each), covariances copied."""
    p = as_parameters(model)
    k, d = p["means"].shape
    ct = p["covariance_type"]
    full = full_covariances(p["covariances"], ct, k, d)
    j = int(np.argmax(p["weights"]))
    vals, vecs = np.linalg.eigh(full[j])
    step = 0.5 * math.sqrt(max(vals[-1], 0.0)) * vecs[:, -1]
    means = np.vstack([p["means"], p["means"][j] + step])
    means[j] = p["means"][j] - step
    weights = np.append(p["weights"], p["weights"][j] / 2.0)
    weights[j] /= 2.0
    cov = p["covariances"]
    if has_component_axis(cov, ct, k, d):
        cov = np.concatenate([cov, cov[j:j + 1]], axis=0)
    return weights, means, cov


def _best_fit(template, X, k, rng, n_init, start=None):
    """``(model, log-likelihood, sound)``: the best of ``n_init`` random starts (and the given start) with k
    components, preferring fits without a degenerate component; None when all fail."""
    params = _fit_params(template)
    params.update(n_components=k, n_init=n_init, random_state=int(rng.integers(2**31)))
    best = None
    tries = [params]
    if start is not None:
        p2 = dict(params, n_init=1, weights_init=start[0], means_init=start[1], covariances_init=start[2])
        tries.append(p2)
    for p in tries:
        est = type(template)(**p)
        try:
            est.fit(X)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            continue
        ll = float(np.sum(est.score_samples(X)))
        # a fit with a collapsed component (degeneracies_) only counts when no other fit is sound: its
        # likelihood is inflated by the variance floor
        sound = not getattr(est, "degeneracies_", ())
        if math.isfinite(ll) and (best is None or (sound, ll) > (best[2], best[1])):
            best = (est, ll, sound)
    return best


def bootstrap_lrt(X, covariance_type="full", max_components=3, n_boot=999, level=0.05, random_state=None,
                  progress=None, n_jobs=None, should_stop=None, n_init=3, sequential=True,
                  model_class=None, **params) -> LRTResult:
    """Bootstrap likelihood-ratio tests of k against k+1 components, k = 1 .. ``max_components``.

    Parameters
    ----------
    X : (n, d) data (no NaN)
    covariance_type : of every model compared
    max_components : the largest k tested (against k+1)
    n_boot : bootstrap samples per test (mclust's default 999)
    level : significance level; with ``sequential`` (mclust's behaviour) testing stops at the first k whose
        p-value exceeds it
    random_state, progress ``(done, total)``, n_jobs, should_stop : as for :func:`bootstrap`
    n_init : random restarts of every fit (each fit with k+1 components also tries the k-component fit with
        its heaviest component split, and keeps the better)
    model_class : the estimator (default GaussianMixture); ``params`` go to its constructor (reg_covar, ...;
        ``tol`` defaults to 1e-5 per row and ``max_iter`` to 1000 here, so that both fits converge)

    Returns
    -------
    LRTResult; ``table()`` gives test, LRTS and p-value per row.

    Raises ValueError for bad arguments, or when the fit with k components fails on X.

    Reference: McLachlan (1987), "On bootstrapping the likelihood ratio test statistic for the number of
    components in a normal mixture", Applied Statistics 36, 318-324; mclust's ``mclustBootstrapLRT``
    (p-value ``(1 + #{LRTS_b >= LRTS_obs}) / (B + 1)``).
    """
    if model_class is None:
        from .gaussian import GaussianMixture as model_class
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] < 3:
        raise ValueError(f"X must be a 2-D array with at least 3 rows; got shape {X.shape}.")
    if np.isnan(X).any():
        raise ValueError("The bootstrap LRT needs complete rows: X has missing values (drop those rows first).")
    for name, v, low in (("max_components", max_components, 1), ("n_boot", n_boot, 1), ("n_init", n_init, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {v!r}.")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1; got {level!r}.")
    if 1.0 / (n_boot + 1.0) > level * (1 + 1e-12):
        need = math.ceil(1.0 / level - 1.0 - 1e-9)
        raise ValueError(f"With n_boot={n_boot} the smallest p-value is {1.0 / (n_boot + 1.0):.3g}, so no test can be "
                         f"significant at level {level:g}: use at least {need} replicates.")
    _check_callable(progress, "progress")
    _check_callable(should_stop, "should_stop")
    jobs = _n_jobs(n_jobs)
    n = X.shape[0]
    if max_components + 1 > n:
        raise ValueError(f"max_components={max_components} needs more than {max_components + 1} rows; X has {n}.")
    # converged fits on both sides of the ratio (the engine's default tol=1e-3 per row stops EM early, which
    # biases the statistic); mclust refits with a relative tolerance of 1e-5
    params.setdefault("tol", 1e-5)
    params.setdefault("max_iter", 1000)
    template = model_class(1, covariance_type=covariance_type, **params)
    ss = _seed_sequence(random_state)
    test_seeds = ss.spawn(max_components)
    total = n_boot * max_components
    rows = []
    cancelled = False
    rng0 = np.random.default_rng(ss.spawn(1)[0])
    null = _best_fit(template, X, 1, rng0, n_init)
    if null is None:
        raise ValueError("The one-component model cannot be fitted to X (a constant column?).")
    for t, k in enumerate(range(1, max_components + 1)):
        alt = _best_fit(template, X, k + 1, rng0, n_init, start=_split_start(null[0]))
        if alt is None:
            break
        null_model, ll0 = null[0], null[1]
        stat = 2.0 * (alt[1] - ll0)

        def task(i, seed, null_model=null_model, k=k):
            rng = np.random.default_rng(seed)
            Xb, _ = null_model.sample(n, random_state=rng)
            h0 = _refit(null_model, Xb, None, int(rng.integers(2**31)))
            if h0 is None:
                return None
            l0 = float(np.sum(h0.score_samples(Xb)))
            h1 = _best_fit(template, Xb, k + 1, rng, n_init, start=_split_start(h0))
            if h1 is None:
                return None
            return 2.0 * (h1[1] - l0)

        seeds = test_seeds[t].spawn(int(n_boot))
        res, cancelled = _run(task, seeds, jobs, progress, should_stop, offset=t * n_boot, total=total)
        boot = np.array([res[i] for i in sorted(res) if res[i] is not None])
        n_failed = sum(1 for v in res.values() if v is None)
        if boot.size:
            p = (1.0 + np.sum(boot >= stat)) / (boot.size + 1.0)
            boot.flags.writeable = False
            rows.append(LRTRow(k, float(stat), float(p), float(ll0), float(alt[1]), boot, n_failed))
        if cancelled or (sequential and (not rows or rows[-1].p_value > level)):
            break
        null = alt
    return LRTResult(covariance_type=covariance_type, n_boot=int(n_boot), level=float(level), rows=tuple(rows),
                     cancelled=cancelled, seed_entropy=int(ss.entropy))
