"""Time the model-selection sweep serially and in parallel, in the same run (issue 16, target 3).

Two data sets: Old Faithful (272 x 2, benchmarks/data/faithful.csv; components 1-9 x 4 covariance
types x 10 restarts = 36 fits) and 100,000 rows of three 2-d Gaussians (1-9 x 4 x 2 restarts).
Variants, run round-robin so changing load from other work hits them alike:

* serial           ``select_model(..., n_jobs=1)``
* processes        ``select_model(..., n_jobs=J)`` (the default backend: J-1 worker processes plus
                   the calling process; workers started before the first timed round, as the app's
                   selection dialog does when it opens)
* threads          ``select_model(..., n_jobs=J, backend="threads")`` (the previous default)

Also printed: the first, cold sweep (worker start-up included), and CPU seconds per sweep (this
process plus the live workers, from /proc on Linux): parallel CPU close to serial CPU means the
parallel sweep does the same work, and serial CPU over the busiest runner's CPU is the speed-up
on cores free for this work (wall times on a machine shared with other sessions cannot show it:
Linux's autogroup scheduler gives a session one share of the cores however many processes it runs).

    python3 benchmarks/bench_selection.py [--repeats 5] [--jobs 2] [--rows 100000] [--skip-large]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from emdesk.engine import _workers
from emdesk.engine.diagnostics import DegenerateSolutionWarning
from emdesk.engine.selection import COVARIANCE_TYPES, select_model, start_workers

warnings.simplefilter("ignore", DegenerateSolutionWarning)
HERE = Path(__file__).resolve().parent


def make_data(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    means = [[0.0, 0.0], [6.0, 0.0], [3.0, 6.0]]
    covs = [[[1.0, 0.6], [0.6, 1.0]], [[1.0, -0.4], [-0.4, 0.6]], [[2.0, 0.0], [0.0, 0.4]]]
    sizes = [n * 4 // 10, n * 3 // 10]
    sizes.append(n - sum(sizes))
    return np.vstack([rng.multivariate_normal(m, c, size=s) for m, c, s in zip(means, covs, sizes)])


def worker_cpu_seconds() -> float:
    """User + system CPU of the live worker processes (Linux /proc; 0 elsewhere)."""
    pool = _workers._pool
    total = 0.0
    if pool is None:
        return total
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in list(getattr(pool, "_processes", {}) or {}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def cpu_now():
    """(CPU seconds of this process, CPU seconds of the live workers)."""
    return time.process_time(), worker_cpu_seconds()


def table_key(result):
    return [(r.n_components, r.covariance_type, r.bic, r.icl, r.n_iter) for r in result.table]


def bench(name, X, n_init, jobs, repeats):
    ks = range(1, 10)
    n_fits = len(ks) * len(COVARIANCE_TYPES)
    print(f"\n== {name}: {X.shape[0]} x {X.shape[1]}, components 1-9 x {len(COVARIANCE_TYPES)} types x "
          f"{n_init} restarts = {n_fits} fits; load average {os.getloadavg()[0]:.2f}")

    def run(n_jobs, backend="processes"):
        return lambda: select_model(X, ks, COVARIANCE_TYPES, n_init=n_init, random_state=0, n_jobs=n_jobs,
                                    backend=backend)

    variants = [("serial (n_jobs=1)", run(1)), (f"processes (n_jobs={jobs}, default)", run(jobs)),
                (f"threads (n_jobs={jobs})", run(jobs, "threads"))]
    times = {v: [] for v, _ in variants}
    cpus = {v: [] for v, _ in variants}
    spans = {v: [] for v, _ in variants}  # the busiest runner's CPU: this process or one worker
    keys = {}
    for _ in range(repeats):
        for v, fn in variants:
            (p0, w0), t0 = cpu_now(), time.perf_counter()
            res = fn()
            times[v].append(time.perf_counter() - t0)
            p1, w1 = cpu_now()
            cpus[v].append((p1 - p0) + (w1 - w0))
            spans[v].append(max(p1 - p0, (w1 - w0) / max(1, jobs - 1)))
            keys[v] = table_key(res)
    ref = keys[variants[0][0]]
    s_best, s_med = min(times[variants[0][0]]), float(np.median(times[variants[0][0]]))
    for v, _ in variants:
        ts = times[v]
        best, med = min(ts), float(np.median(ts))
        print(f"  {v:34s} best {best:6.2f} s  median {med:6.2f} s  speed-up best {s_best / best:4.2f}x "
              f"median {s_med / med:4.2f}x  cpu {float(np.median(cpus[v])):6.2f} s  "
              f"same table {keys[v] == ref}  (runs: {', '.join(f'{t:.2f}' for t in ts)})")
    # On a shared machine (Linux groups a session's processes for the scheduler: autogroup) a second
    # process of ours does not get a second share of the cores, so wall times cannot show the
    # parallel gain.  CPU time can: serial CPU over the busiest runner's CPU is the speed-up on
    # cores free for this work (it counts the workers' extra work: pickling, rebuilding models).
    pv = variants[1][0]
    est = float(np.median(cpus[variants[0][0]])) / float(np.median(spans[pv]))
    print(f"  CPU: serial {float(np.median(cpus[variants[0][0]])):.2f} s, parallel {float(np.median(cpus[pv])):.2f} s "
          f"in all, busiest runner {float(np.median(spans[pv])):.2f} s -> speed-up on free cores {est:.2f}x")
    return s_best / min(times[pv]), s_med / float(np.median(times[pv])), est


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--large-n-init", type=int, default=2)
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args(argv)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, cores {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f} (other work on the machine slows every variant; "
          "rounds are interleaved)")

    faithful = np.loadtxt(HERE / "data" / "faithful.csv", delimiter=",", skiprows=1)
    # The first sweep of a program starts the workers (NumPy, SciPy and engine imports in each).
    t0 = time.perf_counter()
    select_model(faithful, range(1, 10), COVARIANCE_TYPES, n_init=10, random_state=0, n_jobs=args.jobs)
    print(f"cold start: the first parallel Old Faithful sweep, workers starting meanwhile, "
          f"{time.perf_counter() - t0:.2f} s")
    start_workers(args.jobs)
    out = [("Old Faithful", bench("Old Faithful", faithful, 10, args.jobs, args.repeats))]
    if not args.skip_large:
        X = make_data(args.rows)
        out.append((f"{args.rows} rows", bench(f"{args.rows} rows", X, args.large_n_init, args.jobs,
                                              max(1, args.repeats // 2))))
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    for name, (b, m, e) in out:
        print(f"{name}: processes vs serial speed-up, wall best {b:.2f}x, median {m:.2f}x; from CPU time on "
              f"free cores {e:.2f}x (target 1.6x on 2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
