"""Time emdesk.engine.bootstrap: 999 replicates on Old Faithful (EEE = tied, 3 components) and replicates
on 100,000 two-dimensional rows, serial (n_jobs=1) and on 2 threads (n_jobs=2).

    python3 benchmarks/bench_bootstrap.py [--boot 999] [--big-boot 20] [--rows 100000] [--quick]

Beside each figure: the time of one fit of the same model on the same data, measured in the same run
(the bootstrap refits from the fitted parameters, so a replicate costs less than a fit from scratch).
For the large data the time for 999 replicates is extrapolated linearly from ``--big-boot`` replicates
(every replicate does the same work).  The load average is printed because other work on the same cores
changes the figures.  The standard errors on Old Faithful are printed for comparison with mclust's
``MclustBootstrap(Mclust(faithful, G = 3, modelNames = "EEE"), nboot = 999)`` (run it in R when present).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from emdesk.engine import GaussianMixture
from emdesk.engine.bootstrap import bootstrap
from emdesk.engine.diagnostics import DegenerateSolutionWarning

warnings.simplefilter("ignore", DegenerateSolutionWarning)
HERE = os.path.dirname(os.path.abspath(__file__))


def faithful():
    return np.loadtxt(os.path.join(HERE, "data", "faithful.csv"), delimiter=",", skiprows=1)


def big(n, seed=0):
    rng = np.random.default_rng(seed)
    means = [[0.0, 0.0], [6.0, 0.0], [3.0, 6.0]]
    covs = [[[1.0, 0.6], [0.6, 1.0]], [[1.0, -0.4], [-0.4, 0.6]], [[2.0, 0.0], [0.0, 0.4]]]
    sizes = [n * 4 // 10, n * 3 // 10]
    sizes.append(n - sum(sizes))
    return np.vstack([rng.multivariate_normal(m, c, size=s) for m, c, s in zip(means, covs, sizes)])


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def run(name, X, ct, k, n_boot, methods, extrapolate_to=None):
    # the model bootstrapped: 5 restarts, the engine's default tol (1e-3 per row), as the app fits it
    t_fit, gm = timed(lambda: GaussianMixture(k, covariance_type=ct, n_init=5, random_state=0).fit(X))
    t_one, _ = timed(lambda: GaussianMixture(k, covariance_type=ct, random_state=1).fit(X))
    print(f"\n{name}: n={X.shape[0]}, d={X.shape[1]}, {ct}, k={k}; log-likelihood {gm.log_likelihood_:.3f}; "
          f"one fit from scratch (k-means++ start, tol 1e-3) {t_one:.3f} s")
    results = {}
    for method in methods:
        row = []
        for jobs in (1, 2):
            t, r = timed(lambda: bootstrap(gm, X, n_boot=n_boot, method=method, random_state=0, n_jobs=jobs))
            results[(method, jobs)] = r
            extra = ""
            if extrapolate_to:
                extra = f" -> {t * extrapolate_to / n_boot:7.1f} s for {extrapolate_to} (extrapolated)"
            row.append(f"n_jobs={jobs}: {t:7.2f} s ({1000 * t / n_boot:6.1f} ms/replicate){extra}")
        same = all(np.array_equal(results[(method, 1)].replicates[key], results[(method, 2)].replicates[key])
                   for key in ("weights", "means", "covariances"))
        t1 = float(row[0].split(":")[1].split("s")[0])
        t2 = float(row[1].split(":")[1].split("s")[0])
        print(f"  {method:13s} {n_boot} replicates  " + "   ".join(row)
              + f"   speed-up {t1 / t2:4.2f}x; identical replicates: {same}; failed: {results[(method, 1)].n_failed}; "
              f"EM iterations per replicate: median {np.median(results[(method, 1)].n_iter):.0f}, "
              f"not converged {int(np.sum(~results[(method, 1)].converged))}")
    return gm, results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--boot", type=int, default=999)
    ap.add_argument("--big-boot", type=int, default=20)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="99 replicates on faithful, 4 on 20,000 rows")
    a = ap.parse_args()
    if a.quick:
        a.boot, a.big_boot, a.rows = 99, 4, 20_000
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    gm, res = run("Old Faithful", faithful(), "tied", 3, a.boot, ("nonparametric", "parametric", "weighted"))
    r = res[("nonparametric", 1)]
    print("  nonparametric standard errors (components in the fit's order):")
    print("    weights ", np.array2string(r.standard_errors["weights"], precision=4))
    print("    means   ", np.array2string(r.standard_errors["means"], precision=4).replace("\n", "\n             "))
    print("    means of the fit", np.array2string(gm.means_, precision=3).replace("\n", " "))
    run(f"{a.rows} rows", big(a.rows), "tied", 3, a.big_boot, ("nonparametric", "weighted"), extrapolate_to=999)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
