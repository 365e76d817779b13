"""Issue 11, items 1-4: select_model's old defaults beside the new ones, on mclust's data sets.

    PYTHONPATH=. python3 benchmarks/bench_trust.py [--sets thyroid,faithful,wdbc] [--G 9] [--n-jobs 1]

old: init_params="kmeans++", tol=1e-3 (per row), reg_covar=1e-6 (user units), max_iter=100
new: init_params="emEM", tol="relative" (mclust's 1e-5, in the data's own units), reg_covar="relative",
     max_iter=1000 (select_model's defaults since issue 11)

Per data set and variant: the recommended model and its BIC on mclust's scale (2 logL - p log n,
higher is better), the sum of EM iterations over the sweep (long runs; emEM's short runs add
4 x 5 per restart after the first) and the wall time; wdbc also standardised (the recommendation
must not change with the units).  mclust's best (R 4, mclust 6.0.0, ``mclustBIC(X, G = 1:9,
modelNames = c("VII", "VVI", "EEE", "VVV"))``) is printed beside it: stated values, measured here
with Rscript when this script was written.  The machine is shared: times are rough.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from emdesk.engine import select_model

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
NAMES = {"spherical": "VII", "diag": "VVI", "tied": "EEE", "full": "VVV"}
# mclust 6.0.0, mclustBIC over G = 1:9 and the four models emdesk has (best: model, BIC)
MCLUST_BEST = {"thyroid": ("VVI,3", -4777.907), "faithful": ("EEE,3", -2314.316), "wdbc": ("VVV,5", 8549.295)}


def _load(name):
    if name == "thyroid":
        return np.loadtxt(ROOT / "tests/engine/data/thyroid.csv", delimiter=",", skiprows=1)
    if name == "wdbc":
        return np.loadtxt(ROOT / "tests/engine/data/wdbc_mean.csv", delimiter=",", skiprows=1)
    if name == "faithful":
        return np.loadtxt(ROOT / "benchmarks/data/faithful.csv", delimiter=",", skiprows=1, usecols=(-2, -1))
    raise SystemExit(f"unknown set {name}")


VARIANTS = {
    "old": dict(init_params="kmeans++", tol=1e-3, reg_covar=1e-6, max_iter=100),
    "new": dict(),  # select_model's defaults
}


def run(X, G, n_jobs, params):
    t = time.perf_counter()
    r = select_model(X, n_components=range(1, G + 1), random_state=0, n_jobs=n_jobs, **params)
    secs = time.perf_counter() - t
    iters = sum(row.n_iter for row in r.table if row.ok)
    flagged = sum(row.degenerate for row in r.table)
    b = r.best_row
    best = "none" if b is None else f"{NAMES[b.covariance_type]},{b.n_components} {-b.bic:.3f}"
    return best, iters, secs, flagged, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="thyroid,faithful,wdbc")
    ap.add_argument("--G", type=int, default=9)
    ap.add_argument("--n-jobs", type=int, default=1)
    args = ap.parse_args()
    print(f"{'data':<16}{'variant':<6}{'recommended (mclust BIC scale)':<34}{'iterations':>11}{'seconds':>9}"
          f"{'flagged':>9}   mclust's best")
    for name in args.sets.split(","):
        X = _load(name)
        cases = [(name, X)]
        if name == "wdbc":
            cases.append((name + " (std)", (X - X.mean(0)) / X.std(0)))
        for label, Y in cases:
            for variant, params in VARIANTS.items():
                best, iters, secs, flagged, _ = run(Y, args.G, args.n_jobs, params)
                ref = MCLUST_BEST.get(name, ("?", float("nan")))
                ref_text = f"{ref[0]} {ref[1]:.3f}" + (" (raw units)" if label.endswith("(std)") else "")
                print(f"{label:<16}{variant:<6}{best:<34}{iters:>11}{secs:>9.1f}{flagged:>9}   {ref_text}",
                      flush=True)


if __name__ == "__main__":
    main()
