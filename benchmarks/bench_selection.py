"""Time the model-selection sweep: components 1-9 x 4 covariance types x 5 restarts on
10,000 two-dimensional rows, serial, in threads (what emdesk.engine.select_model does) and
in processes (for comparison: workers return plain arrays, the parent rebuilds the models).

    python3 benchmarks/bench_selection.py [--repeats 3] [--rows 10000] [--jobs 2] [--quick]

Prints wall times; the machine's load average is printed too, because other work on the
same cores changes the figures.  BLAS threads are reported (and, with threadpoolctl
installed, the threaded sweep is also timed with BLAS limited to one thread per process).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from emdesk.engine.diagnostics import DegenerateSolutionWarning
from emdesk.engine.selection import COVARIANCE_TYPES, select_model

warnings.simplefilter("ignore", DegenerateSolutionWarning)


def make_data(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    means = [[0.0, 0.0], [6.0, 0.0], [3.0, 6.0]]
    covs = [[[1.0, 0.6], [0.6, 1.0]], [[1.0, -0.4], [-0.4, 0.6]], [[2.0, 0.0], [0.0, 0.4]]]
    sizes = [n * 4 // 10, n * 3 // 10]
    sizes.append(n - sum(sizes))
    return np.vstack([rng.multivariate_normal(m, c, size=s) for m, c, s in zip(means, covs, sizes)])


# ---------------------------------------------------------------- process variant
_X = None


def _init_worker(X, blas_threads=None):
    global _X
    warnings.simplefilter("ignore", DegenerateSolutionWarning)
    _X = X
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=blas_threads, user_api="blas")  # for the worker's lifetime


def _fit_in_process(k, cov_type, n_init, seed):
    from emdesk.engine import GaussianMixture

    try:
        m = GaussianMixture(n_components=k, covariance_type=cov_type, n_init=n_init, random_state=seed).fit(_X)
        return dict(
            k=k, t=cov_type, weights=m.weights_, means=m.means_, covariances=m.covariances_,
            ll=m.log_likelihood_, bic=m.bic(_X), aic=m.aic(_X), icl=m.icl(_X), n_iter=m.n_iter_,
            converged=m.converged_, issues=[(i.component, i.kind, i.message) for i in m.degeneracies_],
            error=None,
        )
    except Exception as err:  # recorded like the sweep does
        return dict(k=k, t=cov_type, error=str(err))


def sweep_processes(X, ks, types, n_init, jobs, method, blas_threads=None):
    from emdesk.engine import GaussianMixture

    from emdesk.engine.selection import _seeds

    plan = [(k, t) for k in ks for t in types]
    seeds = _seeds(0, len(plan))  # the seeds select_model(random_state=0) gives each fit: same work
    order = sorted(range(len(plan)), key=lambda i: (-plan[i][0], i))
    ctx = mp.get_context(method)
    rows = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(X, blas_threads)) as pool:
        futs = [pool.submit(_fit_in_process, plan[i][0], plan[i][1], n_init, seeds[i]) for i in order]
        for f in futs:
            r = f.result()
            if r["error"] is None:  # rebuild the fitted model in the parent, as the app would need
                r["model"] = GaussianMixture.from_parameters(r["weights"], r["means"], r["covariances"], r["t"])
            rows.append(r)
    return rows


# ---------------------------------------------------------------- main
def cpu_seconds() -> float:
    import resource

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed; OPENBLAS_NUM_THREADS=" + os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    return ", ".join(f"{i['internal_api']} {i.get('version')} num_threads={i['num_threads']}" for i in threadpool_info())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--n-init", type=int, default=5)
    ap.add_argument("--max-components", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="threads only (the configuration the app uses)")
    args = ap.parse_args(argv)

    X = make_data(args.rows)
    ks = range(1, args.max_components + 1)
    n_fits = len(ks) * len(COVARIANCE_TYPES)
    print(f"sweep: components 1-{args.max_components} x {len(COVARIANCE_TYPES)} covariance types x "
          f"{args.n_init} restarts = {n_fits} fits on {X.shape[0]} x {X.shape[1]} rows")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, cores {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"BLAS: {blas_info()}")

    def run_threads(jobs):
        return lambda: select_model(X, ks, COVARIANCE_TYPES, n_init=args.n_init, random_state=0, n_jobs=jobs)

    results = {}
    variants = [(f"threads (n_jobs={args.jobs}, select_model default)", run_threads(args.jobs))]
    if not args.quick:
        variants.insert(0, ("serial (n_jobs=1)", run_threads(1)))
        for method in ("spawn", "fork"):
            variants.append((
                f"processes ({method}, {args.jobs} workers)",
                lambda m=method: sweep_processes(X, ks, COVARIANCE_TYPES, args.n_init, args.jobs, m),
            ))
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            threadpool_limits = None
        if threadpool_limits is not None:
            def limited(jobs):
                def run():
                    with threadpool_limits(limits=1, user_api="blas"):
                        run_threads(jobs)()
                return run
            variants.append(("serial, BLAS limited to 1 thread", limited(1)))
            variants.append((f"threads (n_jobs={args.jobs}), BLAS limited to 1 thread", limited(args.jobs)))
            variants.append((
                f"processes (fork, {args.jobs} workers), BLAS 1 thread each",
                lambda: sweep_processes(X, ks, COVARIANCE_TYPES, args.n_init, args.jobs, "fork", 1),
            ))

    # Interleave the variants (round-robin) so that changing load from other work on the
    # machine affects them alike; report the best and the median of each.
    # CPU time (this process and its finished children, user + system) over wall time shows how
    # much of the work ran in parallel: about 1 for serial work, up to the number of cores.
    times = {name: [] for name, _ in variants}
    cpus = {name: [] for name, _ in variants}
    for _ in range(args.repeats):
        for name, fn in variants:
            c0 = cpu_seconds()
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
            cpus[name].append(cpu_seconds() - c0)
    for name, _ in variants:
        ts = times[name]
        results[name] = min(ts)
        ratio = float(np.median(np.array(cpus[name]) / np.array(ts)))
        print(f"{name:52s} best {min(ts):5.2f} s  median {float(np.median(ts)):5.2f} s  cpu/wall {ratio:4.2f}"
              f"  (runs: {', '.join(f'{t:.2f}' for t in ts)})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")

    res = select_model(X, ks, COVARIANCE_TYPES, n_init=args.n_init, random_state=0)
    print(f"chosen: {res.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
