"""Issue 11, items 1-4: select_model's old defaults beside the new ones, on mclust's data sets.

    PYTHONPATH=. python3 benchmarks/bench_trust.py [--sets thyroid,faithful,wdbc] [--G 9] [--n-jobs 1] [--repeats 3]

old: init_params="kmeans++", tol=1e-3 (per row), reg_covar=1e-6 (user units), max_iter=100
new: init_params="emEM", tol="relative" (mclust's 1e-5, in the data's own units), reg_covar="relative",
     max_iter=1000 (select_model's defaults since issue 11)
new (every snapshot diagnosed): the new defaults with the degeneracy diagnosis run on every EM
     iteration's snapshot, as the sweep did before the cost was cut (now only each restart's final
     snapshot is diagnosed in ``fit`` and ``select_model``; same results, less time)

The variants run interleaved (old, new, new-diagnosed, old, ...) ``--repeats`` times; the best and the
median wall time of each are printed with the load average before and after (the machine is shared).

Per data set and variant: the recommended model and its BIC on mclust's scale (2 logL - p log n,
higher is better), the sum of EM iterations over the sweep (long runs; emEM's short runs add
4 x 5 per restart after the first) and the wall time; wdbc also standardised (the recommendation
must not change with the units).  mclust's best (R 4, mclust 6.0.0, ``mclustBIC(X, G = 1:9,
modelNames = c("VII", "VVI", "EEE", "VVV"))``) is printed beside it: stated values, measured here
with Rscript when this script was written.  The machine is shared: times are rough.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

from emdesk.engine import gaussian, select_model

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
    "new (every snapshot diagnosed)": dict(),
}


@contextlib.contextmanager
def every_snapshot_diagnosed(on):
    """The sweep as it ran before the cost cut: every iteration's snapshot diagnosed (one process)."""
    if not on:
        yield
        return
    gaussian._MixtureRun.interim_issues = property(lambda self: True, lambda self, value: None)
    try:
        yield
    finally:
        del gaussian._MixtureRun.interim_issues


def run(X, G, n_jobs, params):
    t = time.perf_counter()
    r = select_model(X, n_components=range(1, G + 1), random_state=0, n_jobs=n_jobs, **params)
    secs = time.perf_counter() - t
    iters = sum(row.n_iter for row in r.table if row.ok)
    flagged = sum(row.degenerate for row in r.table)
    b = r.best_row
    best = "none" if b is None else f"{NAMES[b.covariance_type]},{b.n_components} {-b.bic:.3f}"
    return best, iters, secs, flagged, r


def _load_text():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="thyroid,faithful,wdbc")
    ap.add_argument("--G", type=int, default=9)
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, of: " + ", ".join(VARIANTS))
    args = ap.parse_args()
    variants = [v.strip() for v in args.variants.split(",")]
    if args.n_jobs != 1 and "new (every snapshot diagnosed)" in variants:
        raise SystemExit("the 'every snapshot diagnosed' variant runs in one process: use --n-jobs 1")
    print(f"load average at start: {_load_text()}; {args.repeats} repeats, interleaved; n_jobs={args.n_jobs}")
    print(f"{'data':<16}{'variant':<31}{'recommended (mclust BIC scale)':<30}{'iterations':>11}"
          f"{'best s':>8}{'median s':>9}{'flagged':>8}   mclust's best")
    for name in args.sets.split(","):
        X = _load(name)
        cases = [(name, X)]
        if name == "wdbc":
            cases.append((name + " (std)", (X - X.mean(0)) / X.std(0)))
        for label, Y in cases:
            times = {v: [] for v in variants}
            out = {}
            for _ in range(args.repeats):
                for variant in variants:
                    with every_snapshot_diagnosed(variant == "new (every snapshot diagnosed)"):
                        best, iters, secs, flagged, r = run(Y, args.G, args.n_jobs, VARIANTS[variant])
                    times[variant].append(secs)
                    table = [(row.n_components, row.covariance_type, row.n_iter, round(row.bic, 9), row.degenerate)
                             for row in r.table if row.ok]
                    if variant in out and out[variant][3] != table:
                        raise SystemExit(f"{label} {variant}: a repeat gave another table (not deterministic)")
                    out[variant] = (best, iters, flagged, table)
            if "new" in out and "new (every snapshot diagnosed)" in out:
                same = out["new"][3] == out["new (every snapshot diagnosed)"][3]
                print(f"{label}: the cost cut leaves the table {'unchanged' if same else 'CHANGED'}")
            ref = MCLUST_BEST.get(name, ("?", float("nan")))
            ref_text = f"{ref[0]} {ref[1]:.3f}" + (" (raw units)" if label.endswith("(std)") else "")
            for variant in variants:
                best, iters, flagged, _ = out[variant]
                ts = times[variant]
                print(f"{label:<16}{variant:<31}{best:<30}{iters:>11}{min(ts):>8.1f}{statistics.median(ts):>9.1f}"
                      f"{flagged:>8}   {ref_text}", flush=True)
    print(f"load average at end: {_load_text()}")


if __name__ == "__main__":
    main()
