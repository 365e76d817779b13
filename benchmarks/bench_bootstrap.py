"""Time emdesk.engine.bootstrap: 999 replicates on Old Faithful (EEE = tied, 3 components) and replicates
on 100,000 two-dimensional rows, serial (n_jobs=1) and on 2 threads (n_jobs=2).

    python3 benchmarks/bench_bootstrap.py [--boot 999] [--big-boot 20] [--rows 100000] [--quick] [--mclust]
                                          [--vvv-only] [--engine-boot 100]

The VVV section times 999 nonparametric replicates on Old Faithful (k = 3) beside mclust's
``MclustBootstrap(Mclust(faithful, G = 3, modelNames = "VVV"), nboot = 999)`` run by ``Rscript`` in the same
run (skipped without Rscript), and the per-replicate engine refit the lean rolling-batch EM replaced.

``--mclust`` (needs ``Rscript`` with the mclust package) also runs mclust's ``MclustBootstrap`` ("bs" and
"pb"; its "wlbs" takes minutes) on the same fit and prints its standard errors beside emdesk's, which are
computed twice: with emdesk's default replicate tolerance (1e-6 per row) and with mclust's (a relative
1e-5 of the log-likelihood, about 4e-5 per row here).

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
import shutil
import subprocess
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


#: the window's fit settings (emdesk/gui/params_panel.py DEFAULTS): emEM starts, 5 restarts, mclust's relative
#: tolerance and the relative ridge (issue 11)
APP = {"init_params": "emEM", "n_init": 5, "max_iter": 1000, "tol": "relative", "reg_covar": "relative"}


def _engine_only(f):
    """Run ``f()`` with the lean path switched off (the per-replicate engine refit: the reference)."""
    import importlib

    bmod = importlib.import_module("emdesk.engine.bootstrap")
    orig = bmod._lean_applies
    bmod._lean_applies = lambda *a, **k: False
    try:
        return f()
    finally:
        bmod._lean_applies = orig


def run(name, X, ct, k, n_boot, methods, extrapolate_to=None, repeats=1, engine_boot=None):
    """The bootstrap of the app's fit (APP settings) on 1 and 2 threads; with ``engine_boot`` the
    per-replicate engine refit (no lean path) is timed on that many replicates in the same repeat, interleaved
    (a reference measured beside the figure), and extrapolated to ``n_boot``.  Best and median of ``repeats``."""
    t_fit, gm = timed(lambda: GaussianMixture(k, covariance_type=ct, random_state=0, **APP).fit(X))
    t_one, _ = timed(lambda: GaussianMixture(k, covariance_type=ct, random_state=1, **dict(APP, n_init=1)).fit(X))
    print(f"\n{name}: n={X.shape[0]}, d={X.shape[1]}, {ct}, k={k}, the app's settings {APP}; "
          f"log-likelihood {gm.log_likelihood_:.3f}; one fit (emEM, 1 restart) {t_one:.3f} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    results = {}
    for method in methods:
        times = {1: [], 2: [], "engine": []}
        for _ in range(repeats):
            for jobs in (1, 2):
                t, r = timed(lambda: bootstrap(gm, X, n_boot=n_boot, method=method, random_state=0, n_jobs=jobs))
                results[(method, jobs)] = r
                times[jobs].append(t)
            if engine_boot:
                t, _ = timed(lambda: _engine_only(lambda: bootstrap(gm, X, n_boot=engine_boot, method=method,
                                                                     random_state=0, n_jobs=2)))
                times["engine"].append(t * n_boot / engine_boot)
        same = all(np.array_equal(results[(method, 1)].replicates[key], results[(method, 2)].replicates[key])
                   for key in ("weights", "means", "covariances"))

        def fig(ts):
            ts = sorted(ts)
            extra = f" -> {ts[0] * extrapolate_to / n_boot:.1f} s for {extrapolate_to}" if extrapolate_to else ""
            return (f"best {ts[0]:7.2f} s, median {float(np.median(ts)):7.2f} s "
                    f"({1000 * ts[0] / n_boot:6.1f} ms/replicate){extra}")

        r1 = results[(method, 1)]
        print(f"  {method:13s} {n_boot} replicates, {repeats} repeat(s), load average {os.getloadavg()[0]:.1f}")
        print(f"    n_jobs=1: {fig(times[1])}")
        print(f"    n_jobs=2: {fig(times[2])}")
        if times["engine"]:
            print(f"    engine refit per replicate (before: the lean path skipped reg_covar='relative'), n_jobs=2, "
                  f"{engine_boot} replicates extrapolated to {n_boot}: best {min(times['engine']):7.2f} s, median "
                  f"{float(np.median(times['engine'])):7.2f} s")
        print(f"    identical replicates on 1 and 2 threads: {same}; failed: {r1.n_failed}; EM iterations per "
              f"replicate: median {np.median(r1.n_iter):.0f}, not converged {int(np.sum(~r1.converged))}")
    return gm, results


def run_kinds(n_boot):
    """The other kinds (issue 14, second round): a Poisson mixture and a Gaussian HMM, 2 threads."""
    from emdesk.engine import GaussianHMM, PoissonMixture

    rng = np.random.default_rng(0)
    C = np.r_[rng.poisson(3.0, 600), rng.poisson(12.0, 400)].astype(float)[:, None]
    pm = PoissonMixture(2, random_state=0, n_init=5).fit(C)
    t, r = timed(lambda: bootstrap(pm, C, n_boot=n_boot, random_state=0, n_jobs=2))
    print(f"\nPoissonMixture, 1000 rows, k=2, nonparametric, {n_boot} replicates: {t:.2f} s "
          f"({1000 * t / n_boot:.1f} ms/replicate; load average {os.getloadavg()[0]:.1f}); SE of the rates "
          + np.array2string(r.standard_errors["lambdas"].ravel(), precision=4))
    truth = GaussianHMM(2)
    truth.startprob_, truth.transmat_ = np.array([0.5, 0.5]), np.array([[0.95, 0.05], [0.1, 0.9]])
    truth.means_, truth.covars_ = np.array([[0.0], [3.0]]), np.array([[1.0], [0.5]])
    y, _ = truth.sample(1000, random_state=1)
    hm = GaussianHMM(2, random_state=0, n_init=3).fit(y)
    nb = max(n_boot // 5, 10)
    t, r = timed(lambda: bootstrap(hm, y, n_boot=nb, method="parametric", random_state=0, n_jobs=2))
    print(f"GaussianHMM, {len(y)} time steps, k=2, parametric (simulated from the fitted chain), {nb} replicates: "
          f"{t:.2f} s ({1000 * t / nb:.0f} ms/replicate); SE of the transition matrix "
          + np.array2string(r.standard_errors["transmat"].ravel(), precision=4))


_R = r"""
suppressMessages(library(mclust))
X <- read.csv("%s")
mod <- Mclust(X, G = 3, modelNames = "EEE", verbose = FALSE)
set.seed(1)
cat("LOGLIK", mod$loglik, "\n")
cat("MEANS", as.vector(mod$parameters$mean), "\n")
for (ty in c("bs", "pb")) {
  t0 <- Sys.time()
  b <- MclustBootstrap(mod, nboot = %d, type = ty, verbose = FALSE)
  s <- summary(b, what = "se")
  cat("TYPE", ty, as.numeric(difftime(Sys.time(), t0, units = "secs")), "\n")
  cat("PRO", s$pro, "\n")
  cat("MEAN", as.vector(s$mean), "\n")
}
"""


def compare_with_mclust(n_boot):
    from emdesk.engine.align import align

    if shutil.which("Rscript") is None:
        print("\n--mclust: Rscript not found; skipped")
        return
    out = subprocess.run(["Rscript", "-e", _R % (os.path.join(HERE, "data", "faithful.csv"), n_boot)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print("\n--mclust: R failed:", out.stderr.strip()[-300:])
        return
    lines = [line.split() for line in out.stdout.splitlines() if line.strip()]
    means = np.array([float(v) for v in lines[1][1:]]).reshape(3, 2)  # mclust's (d, G) column-major
    r = {}
    for i in range(2, len(lines), 3):
        ty, secs = lines[i][1], float(lines[i][2])
        r[ty] = (secs, np.array([float(v) for v in lines[i + 1][1:]]),
                 np.array([float(v) for v in lines[i + 2][1:]]).reshape(3, 2))
    X = faithful()
    gm = GaussianMixture(3, covariance_type="tied", n_init=5, random_state=0, tol=1e-8, max_iter=5000).fit(X)
    ref = {"weights": np.full(3, 1 / 3), "means": means, "covariances": np.eye(2), "covariance_type": "tied"}
    p = align(gm, ref, "mahalanobis").permutation
    gm = GaussianMixture.from_parameters(gm.weights_[p], gm.means_[p], gm.covariances_, "tied")
    print(f"\nmclust MclustBootstrap vs emdesk, Old Faithful EEE,3, {n_boot} replicates, mclust's component "
          f"order (mclust log-likelihood {lines[0][1]}, emdesk {gm.score(X) * len(X):.3f})")
    for ty, method in (("bs", "nonparametric"), ("pb", "parametric")):
        secs, pro, mean = r[ty]
        fmt = lambda a: np.array2string(np.ravel(a), precision=4, max_line_width=200)  # noqa: E731
        print(f"  {method}:")
        print(f"    mclust ({secs:.1f} s):  SE weights {fmt(pro)}  SE means {fmt(mean)}")
        for tol, label in ((None, "emdesk, tol 1e-6 per row"), (4e-5, "emdesk, mclust's tol")):
            t, b = timed(lambda: bootstrap(gm, X, n_boot=n_boot, method=method, random_state=1, tol=tol))
            print(f"    {label} ({t:.1f} s):  SE weights {fmt(b.standard_errors['weights'])}  "
                  f"SE means {fmt(b.standard_errors['means'])}")


_R_VVV = r"""
suppressMessages(library(mclust))
X <- read.csv("%s")
t0 <- Sys.time()
mod <- Mclust(X, G = 3, modelNames = "VVV", verbose = FALSE)
t1 <- Sys.time()
set.seed(1)
p1 <- proc.time()
b <- MclustBootstrap(mod, nboot = %d, type = "bs", verbose = FALSE)
p2 <- proc.time()
t2 <- Sys.time()
s <- summary(b, what = "se")
cat("FIT", as.numeric(difftime(t1, t0, units = "secs")), "\n")
cat("BOOT", as.numeric(difftime(t2, t1, units = "secs")), "\n")
cat("CPU", sum((p2 - p1)[c(1, 2)]), "\n")
cat("FITMEAN", as.vector(mod$parameters$mean), "\n")
cat("PRO", mod$parameters$pro, "\n")
cat("SIGMA", as.vector(mod$parameters$variance$sigma), "\n")
cat("LOGLIK", mod$loglik, "\n")
cat("SEPRO", s$pro, "\n")
cat("MEAN", as.vector(s$mean), "\n")
"""


def _mclust_vvv(n_boot):
    """mclust's fit and MclustBootstrap timing (None without Rscript or when R fails)."""
    if shutil.which("Rscript") is None:
        print("  mclust: Rscript not found; skipped (emdesk bootstraps its own fit)")
        return None
    out = subprocess.run(["Rscript", "-e", _R_VVV % (os.path.join(HERE, "data", "faithful.csv"), n_boot)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print("  mclust: R failed:", out.stderr.strip()[-300:])
        return None
    return {line.split()[0]: [float(v) for v in line.split()[1:]] for line in out.stdout.splitlines() if line.strip()}


def vvv_against_mclust(n_boot, engine_boot):
    """Old Faithful, VVV (full), k = 3, nonparametric: mclust's MclustBootstrap (Rscript, same run), then
    emdesk's bootstrap of the same solution (mclust's fit, refitted to emdesk's convergence from there, in
    mclust's component order): the lean rolling-batch EM on 1 and 2 threads, and the per-replicate engine
    refit it replaced (on ``engine_boot`` replicates, extrapolated)."""
    import importlib

    bmod = importlib.import_module("emdesk.engine.bootstrap")
    X = faithful()
    print(f"\nOld Faithful, VVV (full), k=3, nonparametric, {n_boot} replicates (load average "
          f"{os.getloadavg()[0]:.1f}; wall clock and CPU time; other work on the same cores inflates wall time)")
    r_out = _mclust_vvv(n_boot)
    if r_out is not None:
        d, k = 2, 3
        means = np.array(r_out["FITMEAN"]).reshape(k, d)              # (d, G) column-major = (G, d) rows
        sigma = np.array(r_out["SIGMA"]).reshape(k, d, d)             # (d, d, G) column-major
        start = GaussianMixture.from_parameters(np.array(r_out["PRO"]), means, sigma, "full")
        gm = GaussianMixture(3, covariance_type="full", weights_init=start.weights_, means_init=start.means_,
                             covariances_init=start.covariances_, tol=1e-8, max_iter=5000).fit(X)
        print(f"  mclust MclustBootstrap(Mclust(faithful, G=3, modelNames='VVV'), nboot={n_boot}): "
              f"{r_out['BOOT'][0]:6.2f} s wall, {r_out['CPU'][0]:6.2f} s CPU (Mclust fit {r_out['FIT'][0]:.2f} s; "
              f"log-likelihood {r_out['LOGLIK'][0]:.3f}, emdesk's refit from it {gm.log_likelihood_:.3f})")
        print("  mclust SE of the means:", np.array2string(np.array(r_out["MEAN"]).reshape(k, d).ravel(),
                                                             precision=4, max_line_width=200))
    else:
        gm = GaussianMixture(3, covariance_type="full", n_init=5, random_state=0).fit(X)
    for jobs in (1, 2):
        c = time.process_time()
        t, r = timed(lambda: bootstrap(gm, X, n_boot=n_boot, random_state=0, n_jobs=jobs))
        cpu = time.process_time() - c
        print(f"  emdesk, n_jobs={jobs}: {t:6.2f} s wall, {cpu:6.2f} s CPU ({1000 * t / n_boot:5.1f} ms/replicate); "
              f"EM iterations median {np.median(r.n_iter):.0f}, mean {np.mean(r.n_iter):.1f}; failed {r.n_failed}")
    print("  emdesk SE of the means:", np.array2string(r.standard_errors["means"].ravel(), precision=4,
                                                       max_line_width=200))
    c = time.process_time()
    t, r4 = timed(lambda: bootstrap(gm, X, n_boot=n_boot, random_state=0, n_jobs=2, tol=4e-5))
    print(f"  emdesk with mclust's tolerance (4e-5 per row), n_jobs=2: {t:6.2f} s wall, "
          f"{time.process_time() - c:6.2f} s CPU; EM iterations median {np.median(r4.n_iter):.0f}; SE of the means "
          + np.array2string(r4.standard_errors["means"].ravel(), precision=4, max_line_width=200))
    orig = bmod._lean_applies
    bmod._lean_applies = lambda *a, **k: False
    try:
        c = time.process_time()
        t, r_old = timed(lambda: bootstrap(gm, X, n_boot=engine_boot, random_state=0, n_jobs=2))
        cpu = time.process_time() - c
    finally:
        bmod._lean_applies = orig
    print(f"  emdesk, per-replicate engine refit (before), n_jobs=2: {t:6.2f} s wall, {cpu:6.2f} s CPU for "
          f"{engine_boot} -> {t * n_boot / engine_boot:6.1f} s wall, {cpu * n_boot / engine_boot:6.1f} s CPU for "
          f"{n_boot} (extrapolated)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--boot", type=int, default=999)
    ap.add_argument("--big-boot", type=int, default=20)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3, help="repeats of the Old Faithful timings (best, median)")
    ap.add_argument("--quick", action="store_true", help="99 replicates on faithful, 4 on 20,000 rows")
    ap.add_argument("--mclust", action="store_true", help="compare with mclust's MclustBootstrap (needs R)")
    ap.add_argument("--vvv-only", action="store_true", help="only the VVV timing beside mclust's")
    ap.add_argument("--engine-boot", type=int, default=100, help="replicates for the per-replicate engine refit")
    a = ap.parse_args()
    if a.vvv_only:
        vvv_against_mclust(a.boot, a.engine_boot)
        return
    if a.quick:
        a.boot, a.big_boot, a.rows, a.repeats, a.engine_boot = 99, 4, 20_000, 1, 20
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    gm, res = run("Old Faithful", faithful(), "tied", 3, a.boot, ("nonparametric", "parametric", "weighted"),
                  repeats=a.repeats, engine_boot=a.engine_boot)
    r = res[("nonparametric", 1)]
    print("  nonparametric standard errors (components in the fit's order):")
    print("    weights ", np.array2string(r.standard_errors["weights"], precision=4))
    print("    means   ", np.array2string(r.standard_errors["means"], precision=4).replace("\n", "\n             "))
    print("    means of the fit", np.array2string(gm.means_, precision=3).replace("\n", " "))
    if a.mclust or shutil.which("Rscript") is not None:
        compare_with_mclust(a.boot)
    run(f"{a.rows} rows", big(a.rows), "tied", 3, a.big_boot, ("nonparametric", "weighted"), extrapolate_to=999)
    run_kinds(a.boot)
    if a.mclust:
        vvv_against_mclust(a.boot, a.engine_boot)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
