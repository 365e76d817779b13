"""Peak memory of each operation beside the size of its result (issue 16, target 2).

For n = 1e6 and 1e7 rows of d = 3 columns (20 % of the cells missing, so the missing-value paths
run), k = 3 components: fit (one EM pass on the complete rows), score_samples, predict_proba,
predict, impute (conditional means), finding and replacing fill values, and the assignments and
imputed-data CSV exports.  Peak = tracemalloc's peak above what was allocated before the call
(NumPy reports its allocations to tracemalloc); the process's peak RSS is printed at the end.
The budget each should stay within is "result + SCORE_BLOCK_BYTES (16 MiB) + one byte per row"
(fit: its result is the parameters; the data's standardised copy is part of fitting).

    python3 benchmarks/bench_memory.py [--rows 1000000 10000000] [--skip-csv]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np

from emdesk.engine import GaussianMixture
from emdesk.engine._core import SCORE_BLOCK_BYTES
from emdesk.io import Table, save_assignments_csv, save_imputed_csv
from emdesk.io.fillvalues import find_fill_values, replace_fill_values

MB = 1e6


def peak_of(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, out, seconds


def nbytes(out) -> int:
    if isinstance(out, np.ndarray):
        return out.nbytes
    if isinstance(out, Table):
        return out.to_array(out.numeric_column_names, 0, 0).itemsize * out.n_rows * len(out.numeric_column_names)
    return 0


def run(n: int, skip_csv: bool):
    rng = np.random.default_rng(0)
    d, k = 3, 3
    X = rng.normal(size=(n, d))
    X[: n // 3] += 6
    X[n // 3: 2 * n // 3] -= 6
    X[rng.random((n, d)) < 0.2] = np.nan
    X[::1000, 0] = -999.0  # a fill value for the fill-value search
    gm = GaussianMixture.from_parameters(np.full(k, 1 / k), np.array([[6.0] * d, [-6.0] * d, [0.0] * d]),
                                         np.ones((k, d)), "diag", missing="marginalize")
    complete = X[~np.isnan(X).any(axis=1)]
    budget = SCORE_BLOCK_BYTES + n
    print(f"\n== n = {n:,} x d = {d}, k = {k}; data {X.nbytes / MB:.0f} MB; budget = result + "
          f"{SCORE_BLOCK_BYTES / MB:.1f} MB + n bytes ({n / MB:.1f} MB)")
    print(f"  {'operation':44s} {'peak MB':>9s} {'result MB':>10s} {'peak-result':>12s} {'within':>7s} {'s':>6s}")
    names = [f"x{j}" for j in range(d)]
    table = Table(path="big.csv", column_names=names, numeric=X, numeric_names=names, text={})
    ops = [
        ("fit, 1 EM iteration, complete rows (diag)",
         lambda: GaussianMixture(k, covariance_type="diag", max_iter=1, random_state=0,
                                 init_params="random_from_data").fit(complete), 0),
        ("score_samples", lambda: gm.score_samples(X), None),
        ("predict_proba", lambda: gm.predict_proba(X), None),
        ("predict", lambda: gm.predict(X), None),
        ("impute (conditional means)", lambda: gm.impute(X), None),
        ("find_fill_values", lambda: find_fill_values(table), 0),
        ("replace_fill_values", lambda: replace_fill_values(table, {"x0": -999.0}), None),
    ]
    tmp = tempfile.mkdtemp(prefix="emdesk-bench-memory-")
    if not skip_csv:
        ops += [
            ("save_assignments_csv", lambda: save_assignments_csv(os.path.join(tmp, "a.csv"), table, gm, names), 0),
            ("save_imputed_csv", lambda: save_imputed_csv(os.path.join(tmp, "i.csv"), table, gm, names), 0),
        ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn, result in ops:
            peak, out, seconds = peak_of(fn)
            size = nbytes(out) if result is None else result
            extra = peak - size
            print(f"  {name:44s} {peak / MB:9.1f} {size / MB:10.1f} {extra / MB:12.1f} "
                  f"{'yes' if extra <= budget else 'NO':>7s} {seconds:6.1f}")
            del out
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--skip-csv", action="store_true", help="leave out the CSV exports (slow at 1e7 rows)")
    args = ap.parse_args(argv)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}; peaks by tracemalloc")
    for n in args.rows:
        run(n, args.skip_csv)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"\nprocess peak RSS {rss:.0f} MB (includes the data, the complete-row copy and the tracemalloc overhead)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
