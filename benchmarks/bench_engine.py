"""Seconds per EM iteration and peak extra memory of emdesk's engine (and scikit-learn's, when
installed) from the same starting values.

    python3 benchmarks/bench_engine.py            # default sizes
    python3 benchmarks/bench_engine.py --quick    # small sizes only
    python3 benchmarks/bench_engine.py --repeats 5

Per-iteration time: a fit with tol=0 runs exactly ``max_iter`` EM steps; the time of a run with
``LONG`` (22) steps minus one with ``SHORT`` (2) steps, divided by the difference, is the cost of one
iteration without the set-up (standardisation, feature cache, final scoring).  Each measurement is
repeated; the table shows the best and the median.  Peak extra memory is measured with
tracemalloc (NumPy reports its allocations to it) during one ``fit``, excluding the input array;
the last column divides it by n*k*8 bytes (one (n, k) float64 array).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc
import warnings

import numpy as np

from emdesk.engine import GaussianMixture

SHORT, LONG = 2, 22


def make_data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, size=(k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    w0 = np.full(k, 1.0 / k)
    m0 = centres + 0.5
    c0 = np.stack([np.eye(d) * 2.0] * k)
    return X, w0, m0, c0


def start(ct, c0):
    if ct == "full":
        return c0
    if ct == "tied":
        return c0[0]
    if ct == "diag":
        return np.diagonal(c0, axis1=1, axis2=2).copy()
    return np.diagonal(c0, axis1=1, axis2=2).mean(axis=1)


def emdesk_fit(X, w0, m0, c0, ct, steps):
    return GaussianMixture(len(w0), covariance_type=ct, tol=0, max_iter=steps, weights_init=w0,
                           means_init=m0, covariances_init=start(ct, c0)).fit(X)


def sklearn_fit(X, w0, m0, c0, ct, steps):
    from sklearn.mixture import GaussianMixture as SK

    c = start(ct, c0)
    prec = np.linalg.inv(c) if ct in ("full", "tied") else 1.0 / c
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SK(len(w0), covariance_type=ct, tol=0, max_iter=steps, weights_init=w0,
                  means_init=m0, precisions_init=prec).fit(X)


def per_iteration(fit, args, repeats):
    vals = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fit(*args, SHORT)
        t1 = time.perf_counter()
        fit(*args, LONG)
        t2 = time.perf_counter()
        vals.append(((t2 - t1) - (t1 - t0)) / (LONG - SHORT))
    vals = [v for v in vals if v > 0] or [float("nan")]  # a noisy repeat can come out <= 0
    return min(vals), statistics.median(vals)


def peak_memory(fit, args):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fit(*args, SHORT)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


# ------------------------------------------------------------------ high dimension (issue 16)
HD_CASES = [(100_000, 32, 16), (100_000, 64, 8)]
LOWD_CASES = [(500_000, 2, 5), (200_000, 8, 10)]


def make_data_sd(n, d, k, sd=3.0, seed=0):
    """Centres drawn with standard deviation ``sd``, unit noise (issue 16's data: sd 3)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, sd, size=(k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    return X, np.full(k, 1.0 / k), centres + 0.5, np.stack([np.eye(d) * 2.0] * k)


def floor_products(n, d, k, ct, rng):
    """A callable that runs only the matrix products one EM iteration cannot avoid, on arrays of
    the iteration's shapes, in row blocks of 4096 (in cache, BLAS at its best):

    * full: one (n, d) x (d, k d) product, 2 n k d^2 flops (issue 16's count: 3.3 GFLOP at
      100,000 x 32, k = 16; the whitening with triangular factors, n k d^2 multiply-adds, and the
      symmetric weighted Gram products, n k d^2 / 2 ... together about as much);
    * tied: the whitening (n, d) x (d, d), the cross products with the k whitened means (n, d) x
      (d, k) and one Gram product (d, n) x (n, d);
    * diag: (n, d) x (d, k) twice (z^2 and z against the precisions) and (k, n) x (n, d) twice
      (sum r z^2, sum r z);
    * spherical: (n, d) x (d, k) and (k, n) x (n, d) once each.
    The time of these products alone is the floor: everything else (exponentials, sums,
    Python) comes on top."""
    B = 4096
    Z = rng.normal(size=(B, d))
    R = rng.random((k, B))
    if ct == "full":
        W = rng.normal(size=(d, k * d))
        out = np.empty((B, k * d))
        ops = [lambda: np.matmul(Z, W, out=out)]
    elif ct == "tied":
        A, M = rng.normal(size=(d, d)), rng.normal(size=(d, k))
        o1, o2, o3 = np.empty((B, d)), np.empty((B, k)), np.empty((d, d))
        ops = [lambda: np.matmul(Z, A, out=o1), lambda: np.matmul(Z, M, out=o2),
               lambda: np.matmul(Z.T, Z, out=o3)]
    else:
        M = rng.normal(size=(d, k))
        o2, o4 = np.empty((B, k)), np.empty((k, d))
        reps = 2 if ct == "diag" else 1
        ops = [lambda: np.matmul(Z, M, out=o2), lambda: np.matmul(R, Z, out=o4)] * reps
    n_blocks = -(-n // B)  # whole blocks: the last one counted full (< 4 % more at n = 1e5)

    def blas_run():
        for _ in range(n_blocks):
            for f in ops:
                f()

    try:  # the better of BLAS's default threads and one thread (on a loaded machine one is faster)
        from threadpoolctl import threadpool_limits
    except ImportError:
        def run_plain():
            t0, c0 = time.perf_counter(), time.process_time()
            blas_run()
            return time.perf_counter() - t0, time.process_time() - c0
        return run_plain

    def run():
        """(wall seconds: the better of default threads and one, CPU seconds of one thread)"""
        t0 = time.perf_counter()
        blas_run()
        t1 = time.perf_counter()
        with threadpool_limits(1, user_api="blas"):
            c1 = time.process_time()
            blas_run()
            c2 = time.process_time()
        t2 = time.perf_counter()
        return min(t1 - t0, t2 - t1), c2 - c1

    return run


def timed(f, repeats):
    vals = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        vals.append(time.perf_counter() - t0)
    return vals


def hd_table(repeats, have_sk, short=2, long=7, types=("full", "tied", "diag", "spherical"), cases=None):
    """Per shape and covariance type: scikit-learn ms/iter, emdesk ms/iter, ratio, floor ms,
    emdesk/floor, in wall-clock time and in CPU time of the process (``time.process_time``: on
    a loaded shared machine the wall clock mostly measures the other jobs, CPU time what the
    computation itself costs; scikit-learn's BLAS may use both cores, so its CPU time counts
    both), and the load average before-after the row.  Every figure is measured in the same
    run, each repeat interleaving emdesk, scikit-learn and the floor (so a burst of load on
    the shared machine hits all three); best and median of the repeats."""
    rng = np.random.default_rng(1)
    head = ("| n x d, k | cov | sklearn ms/iter | emdesk ms/iter | emdesk/sklearn | floor ms | emdesk/floor "
            "| CPU: sklearn ms/iter | emdesk | emdesk/sklearn | floor | emdesk/floor | load |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))

    def bm(vals, scale=1e3, fmt=".1f"):
        return f"{min(vals) * scale:{fmt}} / {statistics.median(vals) * scale:{fmt}}"

    def ratio(a, b):
        return f"{min(a) / min(b):.2f} / {statistics.median(a) / statistics.median(b):.2f}"

    for n, d, k in (cases or HD_CASES + LOWD_CASES):
        X, w0, m0, c0 = make_data_sd(n, d, k)
        for ct in types:
            fa = (X, w0, m0, c0, ct)
            fl = floor_products(n, d, k, ct, rng)
            e, s, f = ([], []), ([], []), ([], [])
            load0 = os.getloadavg()[0]  # the 1-minute load average before and after the row
            for _ in range(repeats):
                for acc, v in zip(e, per_iteration_raw(emdesk_fit, fa, short, long)):
                    acc += v
                if have_sk:
                    for acc, v in zip(s, per_iteration_raw(sklearn_fit, fa, short, long)):
                        acc += v
                for acc, v in zip(f, fl()):
                    acc.append(v)
            nan = [float("nan")]  # every repeat of a figure came out <= 0 (noise): shown as nan
            e = tuple(v or nan for v in e)
            s = tuple(v or nan for v in s)
            cols = []
            for i in (0, 1):  # wall, CPU
                sk = bm(s[i], fmt=".0f") if have_sk else "-"
                cols += [sk, bm(e[i]), ratio(e[i], s[i]) if have_sk else "-", bm(f[i]),
                         f"{min(e[i]) / min(f[i]):.1f} / {statistics.median(e[i]) / statistics.median(f[i]):.1f}"]
            print(f"| {n:,} x {d}, {k} | {ct} | " + " | ".join(cols)
                  + f" | {load0:.1f}-{os.getloadavg()[0]:.1f} |", flush=True)


def per_iteration_raw(fit, args, short, long):
    """([wall seconds per iteration], [CPU seconds per iteration]); a figure that came out <= 0
    (noise) is left out."""
    t0, c0 = time.perf_counter(), time.process_time()
    fit(*args, short)
    t1, c1 = time.perf_counter(), time.process_time()
    fit(*args, long)
    t2, c2 = time.perf_counter(), time.process_time()
    v = ((t2 - t1) - (t1 - t0)) / (long - short)
    c = ((c2 - c1) - (c1 - c0)) / (long - short)
    return ([v] if v > 0 else []), ([c] if c > 0 else [])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-sklearn", action="store_true")
    ap.add_argument("--main", action="store_true",
                    help="only the target case: n=1,000,000, d=2, k=5, full")
    ap.add_argument("--hd", action="store_true",
                    help="issue 16's table: 100,000 x 32 (k=16) and 100,000 x 64 (k=8), plus 500,000 x 2 (k=5) and "
                         "200,000 x 8 (k=10), all four covariance types: sklearn and emdesk ms/iter, ratio, the "
                         "matrix-product floor and emdesk/floor (iterations: --long minus --short steps)")
    ap.add_argument("--short", type=int, default=2)
    ap.add_argument("--long", type=int, default=7)
    ap.add_argument("--types", default="full,tied,diag,spherical")
    ap.add_argument("--shapes", default=None, help="with --hd: n:d:k,... (default: the four above)")
    args = ap.parse_args(argv)
    try:
        import sklearn  # noqa: F401

        have_sk = not args.no_sklearn
    except ImportError:
        have_sk = False
    if args.hd:
        print(f"# emdesk bench_engine --hd: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"{platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, Python "
              f"{platform.python_version()}, NumPy {np.__version__}, repeats={args.repeats} (best / median), "
              f"{args.long - args.short} iterations per figure, OPENBLAS_NUM_THREADS="
              f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
        cases = None
        if args.shapes:
            cases = [tuple(int(v) for v in c.split(":")) for c in args.shapes.split(",")]
        hd_table(args.repeats, have_sk, args.short, args.long, tuple(args.types.split(",")), cases)
        return
    if args.main:
        cases = [(1_000_000, 2, 5, "full")]
    elif args.quick:
        cases = [(10_000, 2, 5, "full"), (100_000, 2, 5, "full")]
    else:
        cases = [
            (10_000, 2, 5, "full"),
            (100_000, 2, 5, "full"),
            (1_000_000, 2, 5, "full"),
            (1_000_000, 2, 5, "diag"),
            (1_000_000, 2, 5, "spherical"),
            (1_000_000, 2, 5, "tied"),
            (100_000, 5, 5, "full"),
            (100_000, 10, 8, "full"),
            (100_000, 20, 5, "full"),
        ]
    print(f"# emdesk bench_engine: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"NumPy {np.__version__}, repeats={args.repeats} (best / median), "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    head = "| n | d | k | cov | emdesk s/iter | sklearn s/iter | speed-up | emdesk peak MB | x n*k*8 | sklearn peak MB |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for n, d, k, ct in cases:
        X, w0, m0, c0 = make_data(n, d, k)
        fa = (X, w0, m0, c0, ct)
        e_best, e_med = per_iteration(emdesk_fit, fa, args.repeats)
        e_mem = peak_memory(emdesk_fit, fa)
        unit = n * k * 8
        if have_sk:
            s_best, s_med = per_iteration(sklearn_fit, fa, args.repeats)
            s_mem = peak_memory(sklearn_fit, fa)
            sk_cols = (f"{s_best:.4f} / {s_med:.4f}", f"{s_best / e_best:.1f}x / {s_med / e_med:.1f}x",
                       f"{s_mem / 1e6:.1f}")
        else:
            sk_cols = ("-", "-", "-")
        print(f"| {n:,} | {d} | {k} | {ct} | {e_best:.4f} / {e_med:.4f} | {sk_cols[0]} | {sk_cols[1]} | "
              f"{e_mem / 1e6:.1f} | {e_mem / unit:.2f} | {sk_cols[2]} |", flush=True)


if __name__ == "__main__":
    main()
