"""GaussianMixture on Dask data (issue 16, item 4): seconds per EM iteration and peak memory per
worker on a LocalCluster of 2 worker processes, with the in-memory fit beside it.

    PYTHONPATH=$PWD:/path/to/dask python benchmarks/bench_dask.py            # 1e8 rows x 2, k=5
    PYTHONPATH=$PWD:/path/to/dask python benchmarks/bench_dask.py --quick    # 1e7 rows

The rows are generated lazily, chunk by chunk, from a seeded 5-component mixture (every pass
regenerates them, as a pass over files re-reads them); the "generation alone" line is one
pass that only sums the generated chunks, i.e. the floor of any pass over this lazy array.
Peak memory per worker: the largest resident set size (psutil) of each worker process,
polled every 0.1 s during the fit, beside its size before the fit.  At the quick size the
array is also persisted in the workers' memory (EM passes without generation) and fitted in
memory with NumPy (X materialised) for comparison, all in the same run; at 1e8 a sample of
1e7 rows is fitted in memory instead.  Then (``--restarts-rows``, default 2e6 lazy rows) four
restarts with init_params="emEM" side by side: the passes over the data, against what
restarts run one after another would read, and the seconds per pass against one restart's.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np

import dask
import dask.array as da
import psutil
from distributed import Client, LocalCluster, wait

from emdesk.engine import GaussianMixture

K = 5
MEANS = np.array([[0.0, 0.0], [4.0, 1.0], [-3.0, 3.0], [1.0, -4.0], [6.0, 5.0]])
SDS = np.array([1.0, 0.6, 0.8, 0.5, 1.2])
WEIGHTS = np.array([0.3, 0.2, 0.2, 0.15, 0.15])


def _gen_block(idx, rows, seed):
    rng = np.random.default_rng([seed, int(idx[0])])
    lab = np.searchsorted(np.cumsum(WEIGHTS)[:-1], rng.random(rows), side="right")
    return MEANS[lab] + SDS[lab, None] * rng.standard_normal((rows, 2))


def lazy_mixture(n, chunk, seed=0):
    nb = n // chunk
    return da.arange(nb, chunks=1).map_blocks(_gen_block, chunk, seed, new_axis=1,
                                              chunks=((chunk,) * nb, (2,)), dtype=np.float64)


class PeakRSS:
    """Largest RSS of each pid, polled in a thread."""

    def __init__(self, pids, every=0.1):
        self.procs = {pid: psutil.Process(pid) for pid in pids}
        self.start = {pid: p.memory_info().rss for pid, p in self.procs.items()}
        self.peak = dict(self.start)
        self.every = every
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for pid, p in self.procs.items():
                try:
                    self.peak[pid] = max(self.peak[pid], p.memory_info().rss)
                except psutil.Error:
                    pass
            self._stop.wait(self.every)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()

    def text(self):
        return ", ".join(f"{self.peak[p] / 2**20:.0f} MB (before {self.start[p] / 2**20:.0f})"
                         for p in sorted(self.procs))


def timed_fit(X, n_iter, **kw):
    """(seconds to the first snapshot: pass 0 + initialisation + the first E-step; seconds per
    iteration after it; the model)."""
    gm = GaussianMixture(K, covariance_type="full", max_iter=n_iter, tol=0.0, random_state=0, **kw)
    t0 = time.perf_counter()
    stamps = []
    for _ in gm.fit_iter(X):
        stamps.append(time.perf_counter())
    return stamps[0] - t0, (stamps[-1] - stamps[0]) / (len(stamps) - 1), gm


def restarts_side_by_side(n, chunk):
    """n_init=4 with init_params="emEM" (exploration on the 50,000-row sample) on lazy rows: the
    passes over the data side by side and what restarts one after another would read, and the
    seconds per pass beside those of a single restart (same cluster, same data)."""
    X = lazy_mixture(n, chunk, seed=1)
    out = {}
    for n_init in (1, 4, 1, 4):  # interleaved, twice
        gm = GaussianMixture(K, covariance_type="full", n_init=n_init, init_params="emEM", tol="relative",
                             max_iter=200, random_state=0)
        t = time.perf_counter()
        gm.fit(X)
        dt = time.perf_counter() - t
        iters = [r["n_iter"] for r in gm.restart_parameters_]
        out.setdefault(n_init, []).append((dt / gm.n_data_passes_, gm.n_data_passes_, 1 + sum(i + 1 for i in iters),
                                           iters, dt))
    for n_init, runs in out.items():
        per = sorted(r[0] for r in runs)
        _, passes, seq, iters, dt = runs[-1]
        print(f"  n_init={n_init} emEM, {n:.0e} lazy rows: {passes} passes over the data "
              f"(restarts one after another would read {seq}); restarts' iterations {iters}; "
              f"s per pass best {per[0]:.2f} median {float(np.median(per)):.2f}; whole fit {dt:.1f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1e7 rows instead of 1e8")
    ap.add_argument("--rows", type=float, default=None)
    ap.add_argument("--chunk", type=int, default=1_000_000)
    ap.add_argument("--iters", type=int, default=None)
    ap.add_argument("--restarts-rows", type=float, default=2e6,
                    help="rows of the restarts-side-by-side measurement (0: skip it)")
    args = ap.parse_args()
    n = int(args.rows or (1e7 if args.quick else 1e8))
    n -= n % args.chunk
    iters = args.iters or (8 if n <= 1e7 else 4)
    print(f"n = {n:.0e} rows x 2, k = {K}, full covariances, chunks of {args.chunk:,} rows, "
          f"{iters} EM iterations (tol=0); machine: {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")
    X = lazy_mixture(n, args.chunk)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      memory_limit="4GB") as cluster, Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        t = time.perf_counter()
        s = float(X.sum().compute())
        gen = time.perf_counter() - t
        print(f"LocalCluster(2 processes x 1 thread): generation alone (one pass, sum) {gen:.2f} s  [{s:.3g}]")
        with PeakRSS(pids) as mem, PeakRSS([os.getpid()]) as own:
            t0, per_iter, gm = timed_fit(X, iters)
        print(f"  dask fit, lazy rows:      pass 0 + init + 1st E-step {t0:.2f} s, {per_iter:.2f} s/iteration "
              f"({per_iter / gen:.2f} x generation); peak RSS per worker: {mem.text()}; "
              f"this (client) process: {own.text()}")
        print(f"  means found:  {np.round(gm.means_[np.argsort(gm.means_[:, 0])], 2).tolist()}")
        if args.restarts_rows:
            rr = int(args.restarts_rows)
            restarts_side_by_side(rr - rr % (args.chunk // 4), args.chunk // 4)
        if n <= 2e7:
            Xp = X.persist()
            wait(Xp)
            with PeakRSS(pids) as mem:
                t0, per_iter_p, _ = timed_fit(Xp, iters)
            print(f"  dask fit, persisted rows: pass 0 + init + 1st E-step {t0:.2f} s, {per_iter_p:.2f} s/iteration; "
                  f"peak RSS per worker: {mem.text()}")
            del Xp
    if n > 2e7:
        # beside it: the in-memory fit of a sample that fits (the first 1e7 rows, materialised)
        m = int(min(n, 1e7))
        me = psutil.Process()
        before = me.memory_info().rss
        Xm = X[:m].compute(scheduler="threads")
        t0, per_iter_m, _ = timed_fit(Xm, iters)
        print(f"in-memory NumPy fit of a sample of {m:.0e} rows ({Xm.nbytes / 2**20:.0f} MB): {per_iter_m:.2f} "
              f"s/iteration (x {n / m:.0f} = {per_iter_m * n / m:.1f} s for {n:.0e} rows if they fitted); this "
              f"process grew by {(me.memory_info().rss - before) / 2**20:.0f} MB")
        del Xm
    if n <= 2e7:
        with dask.config.set(scheduler="threads"):
            t0, per_iter_t, _ = timed_fit(X, iters)
        print(f"threaded scheduler (this process), lazy rows: {per_iter_t:.2f} s/iteration")
        me = psutil.Process()
        before = me.memory_info().rss
        Xm = X.compute(scheduler="threads")
        t0, per_iter_m, _ = timed_fit(Xm, iters)
        print(f"in-memory NumPy fit (X materialised, {Xm.nbytes / 2**20:.0f} MB): {per_iter_m:.2f} s/iteration; "
              f"this process grew by {(me.memory_info().rss - before) / 2**20:.0f} MB")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
