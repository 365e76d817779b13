"""emdesk beside mclust (R): BIC over G = 1-9 and the 14 covariance models on nine public data sets.

    python3 benchmarks/bench_vs_mclust.py [--sets faithful,iris,...] [--G 9] [--n-init 5] [--quick]

Needs ``Rscript`` with mclust (Debian: ``apt-get install r-base-core r-cran-mclust
r-cran-mass``); without it the script says so and exits 0.  For R's ``faithful`` and ``iris``
and mclust's ``acidity``, ``diabetes``, ``thyroid``, ``banknote`` and ``wdbc`` (its ten
``*_mean`` columns) it runs ``mclustBIC(X, G = 1:9)`` in R and, on the same rows:

* ``select_model`` (the engine's sweep, its defaults, ``random_state=0``; ``--init`` chooses
  ``init_params``, e.g. ``hierarchical`` for mclust's start) over mclust's 14 models (E and V in
  1-D), all accepted as ``covariance_type``;
* ``blocks``: a plain EM written here from the new engine modules, mclust's procedure for every
  model: the hierarchical start of :mod:`emdesk.engine.hierarchical` (qclass in 1-D), EM with the
  M-step of :mod:`emdesk.engine.covariance_models`, stopped when the relative change of the
  log-likelihood is below 1e-5 (mclust's ``emControl()$tol[1]``).  It shows whether the
  building blocks reach mclust's values before they are wired into the estimator.

Each cell where ``select_model`` is worse is then refitted alone (the sweep's seed for it): its
restarts' BICs (restart 1 is mclust's hierarchical start) and mclust's own parameters for it
(``Mclust(X, G, model)``) scored and diagnosed by emdesk, so a cell where mclust's optimum is one
emdesk calls degenerate is counted apart (``--no-explain`` skips this).  The load average is printed
at the start and the end.

BIC is reported on mclust's scale (``2 logL - p log n``, higher is better; emdesk's ``bic``
is its negative).  Per data set it prints the cells (G, model) within 0.5 of mclust, better,
worse, flagged (degenerate, never chosen) and failed, the best model of each side and the times,
all measured in this run.
"""

from __future__ import annotations

import argparse
import inspect
import io
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from emdesk.engine import covariance_models as cm
from emdesk.engine.hierarchical import hierarchical_tree, quantile_labels

try:
    from emdesk.engine.diagnostics import DegenerateSolutionWarning

    warnings.simplefilter("ignore", DegenerateSolutionWarning)
except ImportError:  # pragma: no cover
    pass

SETS = ("faithful", "iris", "acidity", "diabetes", "thyroid", "banknote", "wdbc")
DATA_R = {
    "faithful": "as.matrix(faithful)",
    "iris": "as.matrix(iris[, 1:4])",
    "acidity": "as.matrix(acidity)",
    "diabetes": "as.matrix(diabetes[, -1])",
    "thyroid": "as.matrix(thyroid[, -1])",
    "banknote": "as.matrix(banknote[, -1])",
    "wdbc": "as.matrix(wdbc[, grep('_mean$', names(wdbc))])",
}
LOG_2PI = math.log(2 * math.pi)


def run_r(name: str, G: int, workdir: Path, cache: Path | None = None):
    """Data, mclust's BIC table (G x models, NaN where mclust has none) and R's time.  With ``cache``
    (a folder) R's results are kept there and reused by a later run with the same G."""
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        workdir = cache
    data_csv = workdir / f"{name}_G{G}.csv"
    bic_csv = workdir / f"{name}_G{G}_bic.csv"
    meta = workdir / f"{name}_G{G}_meta.txt"
    if cache is not None and data_csv.exists() and bic_csv.exists() and meta.exists():
        t_r, version = meta.read_text().split()
        return (np.loadtxt(data_csv, delimiter=",", ndmin=2), *_read_bic(bic_csv), float(t_r),
                version + " (cached)")
    code = f"""
suppressMessages(library(mclust))
data(list = "{name}", package = if ("{name}" %in% c("faithful", "iris")) "datasets" else "mclust")
X <- {DATA_R[name]}
write.table(X, "{data_csv}", sep = ",", row.names = FALSE, col.names = FALSE)
t <- system.time(b <- mclustBIC(X, G = 1:{G}, verbose = FALSE))[["elapsed"]]
write.csv(as.data.frame(unclass(b)[, , drop = FALSE]), "{bic_csv}")
cat(t, as.character(packageVersion("mclust")), "\\n")
"""
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    t_r, version = out.stdout.split()[-2:]
    meta.write_text(f"{t_r} {version}\n")
    X = np.loadtxt(data_csv, delimiter=",", ndmin=2)
    return (X, *_read_bic(bic_csv), float(t_r), version)


def _read_bic(bic_csv):
    lines = bic_csv.read_text().splitlines()
    models = [m.strip('"') for m in lines[0].split(",")[1:]]
    table = {}
    for line in lines[1:]:
        parts = line.split(",")
        g = int(parts[0].strip('"'))
        for m, v in zip(models, parts[1:]):
            table[(g, m)] = float("nan") if v in ("NA", '"NA"') else float(v)
    return models, table


# ------------------------------------------------------------------ plain EM ("blocks")

def _log_dens(X, weights, means, covs):
    n, k = X.shape[0], len(weights)
    L = np.empty((n, k))
    for j in range(k):
        C = np.linalg.cholesky(covs[j])
        y = np.linalg.solve(C, (X - means[j]).T)
        L[:, j] = (math.log(weights[j]) - np.sum(np.log(np.diag(C))) - 0.5 * X.shape[1] * LOG_2PI
                   - 0.5 * np.sum(y * y, axis=0))
    return L


def blocks_em(X, model, k, labels, tol=1e-5, max_iter=2000):
    """mclust's EM for one (model, k) from hard labels; returns (loglik, n_params) or None."""
    n, d = X.shape
    R = np.eye(k)[labels]
    ll_old = -np.inf
    init = None
    for _ in range(max_iter):
        try:
            nk, means, W = cm.scatter_matrices(X, R)
            res = cm.mstep_covariances(model, nk, W, init=init)
            init = res.decomposition if model in cm.ITERATIVE_MODELS else None
            L = _log_dens(X, nk / nk.sum(), means, res.covariances)
        except (ValueError, np.linalg.LinAlgError):
            return None
        mx = L.max(axis=1, keepdims=True)
        lse = mx[:, 0] + np.log(np.exp(L - mx).sum(axis=1))
        ll = float(lse.sum())
        R = np.exp(L - lse[:, None])
        if not math.isfinite(ll):
            return None
        if abs(ll - ll_old) <= tol * (1 + abs(ll)):
            break
        ll_old = ll
    return ll, cm.n_parameters(model, d, k)


def run_blocks(X, models, G):
    n, d = X.shape
    out = {}
    t0 = time.perf_counter()
    tree = hierarchical_tree(X) if d > 1 else None
    for g in range(1, G + 1):
        try:
            labels = tree.labels(g) if d > 1 else quantile_labels(X[:, 0], g)
        except ValueError:
            continue
        for m in models:
            r = blocks_em(X, m, g, labels)
            if r is not None:
                ll, p = r
                out[(g, m)] = 2 * ll - p * math.log(n)
    return out, time.perf_counter() - t0


# ------------------------------------------------------------------ select_model

def wired_names(models, X):
    """model -> covariance_type string select_model is given (None: not wired)."""
    from emdesk.engine import GaussianMixture

    names = {}
    for m in models:
        for ct in (m, {"VII": "spherical", "VVI": "diag", "EEE": "tied", "VVV": "full",
                       "V": "full", "E": "tied"}.get(m)):
            if ct is None:
                continue
            try:
                GaussianMixture(1, covariance_type=ct, max_iter=2).fit(X[: max(10, X.shape[1] + 2)])
            except ValueError as exc:
                if "covariance_type" in str(exc) or "covariance" in str(exc):
                    continue
            names[m] = ct
            break
        else:
            names[m] = None
    return names


def run_select(X, names, G, n_init, init_params=None, tol=None, reg_covar=None):
    from emdesk.engine.selection import select_model

    cts = sorted({ct for ct in names.values() if ct is not None})
    if not cts:
        return {}, {}, None, 0.0
    t0 = time.perf_counter()
    extra = {} if init_params is None else {"init_params": init_params}
    if tol is not None:
        extra["tol"] = tol
    if reg_covar is not None:
        extra["reg_covar"] = reg_covar
    res = select_model(X, n_components=range(1, G + 1), covariance_types=cts, n_init=n_init, random_state=0,
                       **extra)
    elapsed = time.perf_counter() - t0
    by_ct = {}
    for row in res.table:
        by_ct[(row.n_components, row.covariance_type)] = row
    table, flags = {}, {}
    for m, ct in names.items():
        for g in range(1, G + 1):
            row = by_ct.get((g, ct))
            if row is None or not row.ok or not math.isfinite(row.bic):
                continue
            table[(g, m)] = -row.bic
            flags[(g, m)] = row.degenerate
    best = res.best_row
    best_desc = None
    if best is not None:
        inv = [m for m, ct in names.items() if ct == best.covariance_type]
        best_desc = (f"{inv[0] if inv else best.covariance_type},{best.n_components}", -best.bic)
    return table, flags, best_desc, elapsed


def compare(ref, ours, flags=None):
    flags = flags or {}
    within = better = worse = flagged = failed = 0
    for key, r in ref.items():
        if not math.isfinite(r):
            continue
        o = ours.get(key)
        if o is None:
            failed += 1
            continue
        if flags.get(key):
            flagged += 1
        if abs(o - r) <= 0.5:
            within += 1
        elif o > r:
            better += 1
        else:
            worse += 1
    return within, better, worse, flagged, failed


def best_of(table):
    items = [(v, k) for k, v in table.items() if math.isfinite(v)]
    if not items:
        return None
    v, (g, m) = max(items)
    return f"{m},{g}", v


# ------------------------------------------------------------------ worse cells, one by one

def mclust_parameters(X, cells, workdir: Path):
    """mclust's fitted parameters of each (G, model) in ``cells``: ``Mclust(X, G, model)`` (the start
    and EM of ``mclustBIC``).  Returns {(G, model): (loglik, weights (G,), means (G, d), covs (G, d, d))}."""
    data_csv = workdir / "cells_data.csv"
    np.savetxt(data_csv, X, delimiter=",", fmt="%.17g")
    outs = {}
    lines = ["suppressMessages(library(mclust))",
             f'X <- as.matrix(read.csv("{data_csv}", header = FALSE))']
    for i, (g, m) in enumerate(cells):
        f = workdir / f"cell{i}.txt"
        outs[(g, m)] = f
        lines += [f'm <- Mclust(X, G = {g}, modelNames = "{m}", verbose = FALSE)',
                  f'if (!is.null(m)) {{ s <- array(m$parameters$variance$sigma, c(ncol(X), ncol(X), {g})); '
                  f'writeLines(sprintf("%.17g", c(m$loglik, m$parameters$pro, m$parameters$mean, s)), "{f}") }}']
    subprocess.run(["Rscript", "-e", "\n".join(lines)], capture_output=True, text=True, check=True)
    n, d = X.shape
    res = {}
    for key, f in outs.items():
        if not f.exists():
            continue
        v = np.loadtxt(f)
        g = key[0]
        ll, pro = v[0], v[1:1 + g]
        means = v[1 + g:1 + g + d * g].reshape(g, d)  # R's d x G matrix, column-major
        sig = v[1 + g + d * g:].reshape(g, d, d)  # d x d x G, column-major
        res[key] = (float(ll), pro, means, sig)
    return res


def explain_worse(X, names, G, n_init, cells, ref, workdir: Path, extra):
    """Per worse cell: emdesk's restarts (refitted with the sweep's seed for that cell), the
    hierarchical restart's end, and mclust's own answer scored and diagnosed by emdesk (is mclust's
    optimum one emdesk calls degenerate?).  Returns {cell: "sound" | "emdesk flagged" | "mclust's flagged"}."""
    from emdesk.engine import GaussianMixture
    from emdesk.engine import _validation as V
    from emdesk.engine.diagnostics import diagnose
    from emdesk.engine.selection import _plan, _seeds, iter_select_model

    n, d = X.shape
    cts = sorted({ct for ct in names.values() if ct is not None})
    plan = _plan(range(1, G + 1), cts, d)
    seeds = _seeds(0, len(plan))
    theirs = mclust_parameters(X, cells, workdir)
    kinds = {}
    for g, m in cells:
        ct = names[m]
        seed = seeds[plan.index((g, ct))]
        params = {k: v.default for k, v in inspect.signature(iter_select_model).parameters.items()
                  if k in ("init_params", "tol", "reg_covar", "max_iter")}  # select_model's own defaults
        params.update({k: v for k, v in extra.items() if v is not None})
        gm = GaussianMixture(g, covariance_type=ct, n_init=n_init, random_state=seed, **params).fit(X)
        p = gm.n_parameters()
        bics = [2 * ll - p * math.log(n) for ll in gm.restart_log_likelihoods_]
        ours_flag = bool(gm.degeneracies_)
        line = (f"     {m},{g}: mclust {ref[(g, m)]:.2f}; emdesk restarts {' '.join(f'{b:.2f}' for b in bics)} "
                f"(kept {gm.best_restart_ + 1}; restart 1 = mclust's hierarchical start){' flagged' if ours_flag else ''}")
        kind = "emdesk flagged" if ours_flag else "sound"
        t = theirs.get((g, m))
        if t is not None:
            ll, pro, means, sig = t
            layout = V.covariance_layout(ct, d)
            cov = {"full": sig, "tied": sig[0], "diag": np.diagonal(sig, axis1=1, axis2=2),
                   "spherical": sig[:, 0, 0]}[layout]
            issues = diagnose(pro, cov, layout, n, np.cov(X.T, ddof=0).reshape(d, d) if layout in ("full", "tied")
                              else X.var(axis=0), np.zeros(d))
            try:
                ll_ours = float(GaussianMixture.from_parameters(pro, means, cov, layout).score(X) * n)
            except ValueError:
                ll_ours = float("nan")
            line += (f"; mclust's parameters: logL {ll:.3f} (emdesk scores them {ll_ours:.3f})"
                     f"{', flagged by emdesk: ' + '; '.join(sorted({i.kind for i in issues})) if issues else ', sound'}")
            if issues:
                kind = "mclust's flagged"
        kinds[(g, m)] = kind
        print(line, flush=True)
    return kinds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--G", type=int, default=9)
    ap.add_argument("--n-init", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="G = 1-4, faithful and iris only")
    ap.add_argument("--init", default=None, help="select_model's init_params (default: the engine's)")
    ap.add_argument("--tol", type=float, default=None, help="select_model's tol (default: the engine's)")
    ap.add_argument("--reg-covar", type=float, default=None, help="select_model's reg_covar (default: the engine's)")
    ap.add_argument("--r-cache", type=Path, default=None, help="a folder keeping R's results between runs")
    ap.add_argument("--no-select", action="store_true", help="skip select_model (blocks only)")
    ap.add_argument("--no-blocks", action="store_true", help="skip the plain EM from the blocks "
                    "(its EVE/VVE M-steps take minutes on wdbc)")
    ap.add_argument("--no-explain", action="store_true", help="do not refit the worse cells one by one")
    args = ap.parse_args(argv)
    if shutil.which("Rscript") is None:
        print("bench_vs_mclust: Rscript not found; install r-base-core r-cran-mclust to run it. Skipped.")
        return 0
    sets = args.sets.split(",")
    G = args.G
    if args.quick:
        sets, G = ["faithful", "iris"], 4
    totals = {"blocks": np.zeros(5, int), "select": np.zeros(5, int)}
    worse_kinds = {}
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in sets:
            X, models, ref, t_r, version = run_r(name, G, Path(tmp), args.r_cache)
            n, d = X.shape
            print(f"\n== {name}: n = {n}, d = {d}; mclust {version} mclustBIC G = 1-{G}: {t_r:.2f} s")
            rb = best_of(ref)
            print(f"   mclust best: {rb[0]} BIC {rb[1]:.2f}")
            blk, t_b = ({}, 0.0) if args.no_blocks else run_blocks(X, models, G)
            c = compare(ref, blk)
            if not args.no_blocks:
                totals["blocks"] += c
            bb = best_of(blk) or ("-", float("nan"))
            if not args.no_blocks:
                print(f"   blocks (hc start + EM, all {len(models)} models): {t_b:.2f} s; within 0.5: {c[0]}, "
                  f"better: {c[1]}, worse: {c[2]}, failed: {c[4]}; best {bb[0]} BIC {bb[1]:.2f} "
                  f"({bb[1] - rb[1]:+.2f} vs mclust)")
            worse_cells = [] if args.no_blocks else sorted(((blk[k] - ref[k], k) for k in ref if k in blk and blk[k] < ref[k] - 0.5))
            if worse_cells:
                print("     worst blocks cells: " + ", ".join(f"{m},{g} {dv:+.1f}" for dv, (g, m) in worse_cells[:5]))
            if args.no_select:
                continue
            names = wired_names(models, X)
            wired = {m: ct for m, ct in names.items() if ct is not None}
            sel, flags, best, t_s = run_select(X, names, G, args.n_init, args.init, args.tol, args.reg_covar)
            refw = {k: v for k, v in ref.items() if k[1] in wired}
            c = compare(refw, sel, flags)
            totals["select"] += c
            missing = [m for m, ct in names.items() if ct is None]
            print(f"   select_model ({len(wired)} wired: {', '.join(f'{m}={ct}' if ct != m else m for m, ct in wired.items())}"
                  f"{'; not wired: ' + ' '.join(missing) if missing else ''}; n_init={args.n_init}"
                  f"{', init_params=' + args.init if args.init else ''}{f', tol={args.tol:g}' if args.tol else ''}"
                  f"{f', reg_covar={args.reg_covar:g}' if args.reg_covar is not None else ''})"
                  f": {t_s:.2f} s")
            worse_sel = sorted((sel[k] - ref[k], k) for k in refw if k in sel and sel[k] < ref[k] - 0.5)
            if worse_sel:
                print("     worst select cells: " + ", ".join(f"{m},{g} {dv:+.1f}" for dv, (g, m) in worse_sel[:6]))
            if worse_sel and not args.no_explain:
                kinds = explain_worse(X, names, G, args.n_init, [k for _, k in worse_sel], ref, Path(tmp),
                                      {"init_params": args.init, "tol": args.tol, "reg_covar": args.reg_covar})
                for key, kind in kinds.items():
                    worse_kinds.setdefault(kind, []).append(f"{name} {key[1]},{key[0]}")
            rbw = best_of(refw)
            print(f"     within 0.5: {c[0]}, better: {c[1]}, worse: {c[2]}, flagged: {c[3]}, failed: {c[4]}; "
                  f"recommended {best[0] if best else None} BIC {best[1] if best else float('nan'):.2f}; "
                  f"mclust best among these models {rbw[0]} {rbw[1]:.2f}")
    for key, c in totals.items():
        cells = c[0] + c[1] + c[2] + c[4]
        if cells:
            print(f"\nTOTAL {key}: {cells} cells; within 0.5: {c[0]}, better: {c[1]}, worse: {c[2]} "
                  f"({100.0 * c[2] / cells:.1f} %), flagged: {c[3]}, failed: {c[4]}")
    for kind, where in sorted(worse_kinds.items()):
        print(f"  worse cells, {kind}: {len(where)} ({', '.join(where)})")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
