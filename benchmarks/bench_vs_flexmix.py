"""Agreement with R's flexmix and mixtools on their own examples (issue 13), when ``Rscript`` and the
packages are installed (Debian: ``apt-get install r-cran-flexmix r-cran-mixtools``); otherwise it
says what is missing and exits 0.

    python benchmarks/bench_vs_flexmix.py

Cases (each fitted with many restarts on both sides, tight tolerances; the maximised
log-likelihoods are compared, then the parameters sorted by the first one):

1. flexmix, Poisson mixture: ``data("fabricfault")``, ``Faults ~ 1`` with ``FLXMRglm(family =
   "poisson")``, k = 2 (the data of flexmix's Poisson-regression examples, without the regressor)
   vs :class:`emdesk.engine.PoissonMixture`.
2. flexmix, multivariate Poisson: ``FLXMCmvpois`` on two count columns simulated here, k = 3.
3. flexmix, latent class model for binary items: ``FLXMCmvbinary`` on four binary columns
   simulated here, k = 2, vs :class:`emdesk.engine.CategoricalMixture`.
4. mixtools, ``normalmixEM(faithful$waiting, k = 2)`` (mixtools' own example) vs
   :class:`emdesk.engine.GaussianMixture` (1-D, full).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from emdesk.engine import CategoricalMixture, GaussianMixture, PoissonMixture

R_SCRIPT = r"""
suppressPackageStartupMessages({library(flexmix); library(mixtools)})
args <- commandArgs(TRUE); dir <- args[1]
set.seed(1)
data("fabricfault")
write.csv(fabricfault[, "Faults", drop = FALSE], file.path(dir, "faults.csv"), row.names = FALSE)
t0 <- proc.time()[3]
m <- stepFlexmix(Faults ~ 1, data = fabricfault, k = 2, nrep = 20, model = FLXMRglm(family = "poisson"),
                 control = list(tolerance = 1e-12, iter.max = 5000), verbose = FALSE)
cat("poisson_seconds", proc.time()[3] - t0, "\n")
cat("poisson_loglik", sprintf("%.10f", as.numeric(logLik(m))), "\n")
cat("poisson_lambda", exp(unlist(parameters(m))), "\n")
cat("poisson_prior", prior(m), "\n")
y <- as.matrix(read.csv(file.path(dir, "mvpois.csv")))
t0 <- proc.time()[3]
m <- stepFlexmix(y ~ 1, k = 3, nrep = 20, model = FLXMCmvpois(), control = list(tolerance = 1e-12, iter.max = 5000),
                 verbose = FALSE)
cat("mvpois_seconds", proc.time()[3] - t0, "\n")
cat("mvpois_loglik", sprintf("%.10f", as.numeric(logLik(m))), "\n")
cat("mvpois_lambda", as.vector(parameters(m)), "\n")
cat("mvpois_prior", prior(m), "\n")
b <- as.matrix(read.csv(file.path(dir, "binary.csv")))
t0 <- proc.time()[3]
m <- stepFlexmix(b ~ 1, k = 2, nrep = 20, model = FLXMCmvbinary(), control = list(tolerance = 1e-12, iter.max = 5000),
                 verbose = FALSE)
cat("binary_seconds", proc.time()[3] - t0, "\n")
cat("binary_loglik", sprintf("%.10f", as.numeric(logLik(m))), "\n")
cat("binary_center", as.vector(parameters(m)), "\n")
cat("binary_prior", prior(m), "\n")
t0 <- proc.time()[3]
best <- -Inf
for (i in 1:20) {
  f <- normalmixEM(faithful$waiting, k = 2, epsilon = 1e-12, maxit = 5000)
  if (f$loglik > best) { best <- f$loglik; keep <- f }
}
cat("normal_seconds", proc.time()[3] - t0, "\n")
cat("normal_loglik", sprintf("%.10f", keep$loglik), "\n")
cat("normal_mu", keep$mu, "\n"); cat("normal_sigma", keep$sigma, "\n"); cat("normal_lambda", keep$lambda, "\n")
write.csv(data.frame(waiting = faithful$waiting), file.path(dir, "waiting.csv"), row.names = FALSE)
"""


def _check_r():
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (Debian: apt-get install r-base-core r-cran-flexmix r-cran-mixtools)"
    out = subprocess.run(["Rscript", "-e", 'cat(requireNamespace("flexmix", quietly=TRUE), '
                          'requireNamespace("mixtools", quietly=TRUE))'], capture_output=True, text=True)
    if out.stdout.split() != ["TRUE", "TRUE"]:
        return "R packages flexmix and mixtools are needed (Debian: apt-get install r-cran-flexmix r-cran-mixtools)"
    return None


def _read_csv(path):
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def main():
    why = _check_r()
    if why:
        print(f"skipped: {why}")
        return 0
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as d:
        z = rng.integers(0, 3, 500)
        Y = rng.poisson(np.array([[2.0, 8.0], [7.0, 3.0], [15.0, 12.0]])[z])
        np.savetxt(os.path.join(d, "mvpois.csv"), Y, delimiter=",", header="a,b", comments="", fmt="%d")
        zb = rng.integers(0, 2, 400)
        B = (rng.random((400, 4)) < np.array([[0.9, 0.8, 0.7, 0.2], [0.2, 0.3, 0.4, 0.7]])[zb]).astype(int)
        np.savetxt(os.path.join(d, "binary.csv"), B, delimiter=",", header="i1,i2,i3,i4", comments="", fmt="%d")
        proc = subprocess.run(["Rscript", "-e", R_SCRIPT, d], capture_output=True, text=True)
        if proc.returncode != 0:
            print("R failed:\n" + proc.stderr[-2000:])
            return 1
        r = {}
        for line in proc.stdout.splitlines():
            parts = line.split()
            if parts and parts[0].split("_")[0] in ("poisson", "mvpois", "binary", "normal"):
                r[parts[0]] = np.array([float(v) for v in parts[1:]])
        faults = _read_csv(os.path.join(d, "faults.csv"))
        waiting = _read_csv(os.path.join(d, "waiting.csv"))

    def line(name, ours, theirs, t_ours, t_r, extra=""):
        print(f"{name:<34} logLik emdesk {ours:12.5f}  R {theirs:12.5f}  diff {ours - theirs:+.2e}   "
              f"time emdesk {t_ours:6.2f} s  R {t_r:6.2f} s (20 restarts each){extra}")

    print("case                               (higher logLik is better; both sides 20 restarts)")
    t0 = time.perf_counter()
    pm = PoissonMixture(2, n_init=20, tol=1e-12, max_iter=5000, random_state=0).fit(faults)
    t = time.perf_counter() - t0
    o = np.argsort(pm.lambdas_[:, 0])
    ro = np.argsort(r["poisson_lambda"])
    line("flexmix Poisson, fabricfault k=2", pm.log_likelihood_, r["poisson_loglik"][0], t, r["poisson_seconds"][0])
    print(f"    lambdas emdesk {np.round(pm.lambdas_[o, 0], 4)} R {np.round(r['poisson_lambda'][ro], 4)}; "
          f"weights emdesk {np.round(pm.weights_[o], 4)} R {np.round(r['poisson_prior'][ro], 4)}")

    t0 = time.perf_counter()
    pm = PoissonMixture(3, n_init=20, tol=1e-12, max_iter=5000, random_state=0).fit(Y.astype(float))
    t = time.perf_counter() - t0
    lam_r = r["mvpois_lambda"].reshape(3, 2)  # flexmix: a (2, k) matrix, column-major
    lam_r = r["mvpois_lambda"].reshape(2, 3, order="F").T if lam_r.shape else lam_r
    line("flexmix mvpois, simulated k=3", pm.log_likelihood_, r["mvpois_loglik"][0], t, r["mvpois_seconds"][0])
    print(f"    lambdas emdesk {np.round(pm.lambdas_[np.argsort(pm.lambdas_[:, 0])], 3).tolist()} "
          f"R {np.round(lam_r[np.argsort(lam_r[:, 0])], 3).tolist()}")

    t0 = time.perf_counter()
    cm = CategoricalMixture(2, n_init=20, tol=1e-12, max_iter=5000, random_state=0,
                            categories=[[0, 1]] * 4).fit(B)
    t = time.perf_counter() - t0
    line("flexmix mvbinary (LCA), simulated k=2", cm.log_likelihood_, r["binary_loglik"][0], t,
         r["binary_seconds"][0])
    p1 = cm.probs_[:, :, 1]
    c_r = r["binary_center"].reshape(4, 2, order="F").T
    print(f"    P(item=1) emdesk {np.round(p1[np.argsort(p1[:, 0])], 4).tolist()} "
          f"R {np.round(c_r[np.argsort(c_r[:, 0])], 4).tolist()}")

    t0 = time.perf_counter()
    gm = GaussianMixture(2, n_init=20, tol=1e-12, max_iter=5000, reg_covar=0.0, random_state=0).fit(waiting)
    t = time.perf_counter() - t0
    line("mixtools normalmixEM, faithful k=2", gm.log_likelihood_, r["normal_loglik"][0], t, r["normal_seconds"][0])
    o = np.argsort(gm.means_[:, 0])
    print(f"    means emdesk {np.round(gm.means_[o, 0], 4)} R {np.round(np.sort(r['normal_mu']), 4)}; "
          f"sd emdesk {np.round(np.sqrt(gm.covariances_[o, 0, 0]), 4)} "
          f"R {np.round(r['normal_sigma'][np.argsort(r['normal_mu'])], 4)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
