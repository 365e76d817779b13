"""Seconds per EM iteration of each mixture family (issue 13) at 1e5 and 1e6 rows, beside
GaussianMixture measured in the same run as the reference.

    python benchmarks/bench_families.py            # n = 1e5 and 1e6
    python benchmarks/bench_families.py --quick    # n = 1e5 only

Per-iteration time: the median time between consecutive ``fit_iter`` snapshots (one E-step and
one M-step each; tol 0, ``ITERS`` iterations, fixed random_state), so validation and initialisation
do not count; the best median of ``REPEATS`` fits is shown (the machine may be shared).  Data: k = 3 components; Gaussian / Student-t d = 2 (full); Poisson d = 2 count
columns; categorical 4 columns with 3 categories; mixed 2 numeric (diag) + 2 categorical columns.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np

from emdesk.engine import CategoricalMixture, GaussianMixture, MixedMixture, PoissonMixture, StudentTMixture

ITERS, REPEATS = 8, 2
K = 3


def make(family, n, rng):
    z = rng.integers(0, K, n)
    if family in ("gaussian", "student_t"):
        means = np.array([[0.0, 0.0], [4.0, 1.0], [1.0, 5.0]])
        noise = rng.normal(size=(n, 2))
        if family == "student_t":
            noise /= np.sqrt(rng.gamma(2.0, 0.5, n))[:, None]
        return means[z] + noise
    if family == "poisson":
        lam = np.array([[1.0, 5.0], [6.0, 2.0], [12.0, 9.0]])
        return rng.poisson(lam[z]).astype(float)
    if family == "categorical":
        return ((z[:, None] + rng.integers(0, 2, (n, 4))) % 3).astype(float)
    X = np.empty((n, 4))
    X[:, :2] = np.array([[0.0, 0.0], [3.0, 1.0], [1.0, 3.0]])[z] + rng.normal(size=(n, 2))
    X[:, 2:] = (z[:, None] + rng.integers(0, 2, (n, 2))) % 3
    return X


def estimator(family, iters):
    kw = dict(tol=0, max_iter=iters, random_state=0, init_params="random_from_data")
    if family == "gaussian":
        return GaussianMixture(K, **kw)
    if family == "student_t":
        return StudentTMixture(K, **kw)
    if family == "poisson":
        return PoissonMixture(K, **kw)
    if family == "categorical":
        return CategoricalMixture(K, **kw)
    return MixedMixture(K, categorical_columns=[2, 3], **kw)


def per_iteration(family, X):
    """Median time between consecutive snapshots of ``fit_iter`` (one E-step + M-step each),
    iterations 1 .. ITERS; the best median of ``REPEATS`` fits."""
    best = np.inf
    for _ in range(REPEATS):
        est = estimator(family, ITERS)
        stamps = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _snap in est.fit_iter(X):
                stamps.append(time.perf_counter())
        best = min(best, float(np.median(np.diff(stamps[1:]))))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 1e5 only")
    args = ap.parse_args()
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}; k = {K}; seconds per EM iteration (median over {ITERS}, best of {REPEATS})")
    print(f"{'family':<12} {'n':>9} {'s/iter':>9} {'x Gaussian':>11}")
    rng = np.random.default_rng(0)
    for n in sizes:
        ref = None
        for family in ("gaussian", "student_t", "poisson", "categorical", "mixed"):
            X = make(family, n, rng)
            s = per_iteration(family, X)
            if family == "gaussian":
                ref = s
            print(f"{family:<12} {n:>9.0e} {s:>9.4f} {s / ref if ref else float('nan'):>11.1f}", flush=True)


if __name__ == "__main__":
    main()
