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


def floor_products(n, d, k, ct, rng, threads=1):
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
    Python) comes on top.

    Returns ``run() -> (wall seconds, CPU seconds)``: the wall clock of the blocks shared out over
    ``threads`` Python threads (each its own arrays, BLAS on one thread per call: the way emdesk's
    shards use the cores) or, when that is faster, of BLAS's own threads; the CPU time of one thread
    doing all blocks."""
    from concurrent.futures import ThreadPoolExecutor

    B = 4096

    def make_ops():
        Z = rng.normal(size=(B, d))
        R = rng.random((k, B))
        if ct == "full":
            W = rng.normal(size=(d, k * d))
            out = np.empty((B, k * d))
            return [lambda: np.matmul(Z, W, out=out)]
        if ct == "tied":
            A, M = rng.normal(size=(d, d)), rng.normal(size=(d, k))
            o1, o2, o3 = np.empty((B, d)), np.empty((B, k)), np.empty((d, d))
            return [lambda: np.matmul(Z, A, out=o1), lambda: np.matmul(Z, M, out=o2),
                    lambda: np.matmul(Z.T, Z, out=o3)]
        M = rng.normal(size=(d, k))
        o2, o4 = np.empty((B, k)), np.empty((k, d))
        reps = 2 if ct == "diag" else 1
        return [lambda: np.matmul(Z, M, out=o2), lambda: np.matmul(R, Z, out=o4)] * reps

    n_blocks = -(-n // B)  # whole blocks: the last one counted full (< 4 % more at n = 1e5)
    op_sets = [make_ops() for _ in range(max(threads, 1))]

    def blocks(ops, count):
        for _ in range(count):
            for f in ops:
                f()

    shares = [n_blocks // threads + (1 if i < n_blocks % threads else 0) for i in range(threads)]
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None

    def shared_run():
        if pool is None:
            blocks(op_sets[0], n_blocks)
            return
        list(pool.map(lambda i: blocks(op_sets[i], shares[i]), range(threads)))

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        def run_plain():
            t0, c0 = time.perf_counter(), time.process_time()
            blocks(op_sets[0], n_blocks)
            t1, c1 = time.perf_counter(), time.process_time()
            shared_run()
            return min(t1 - t0, time.perf_counter() - t1), c1 - c0
        return run_plain

    def run():
        t0 = time.perf_counter()
        blocks(op_sets[0], n_blocks)  # BLAS's default threads
        t1 = time.perf_counter()
        with threadpool_limits(1, user_api="blas"):
            c1 = time.process_time()
            blocks(op_sets[0], n_blocks)
            c2 = time.process_time()
            t2 = time.perf_counter()
            shared_run()
            t3 = time.perf_counter()
        return min(t1 - t0, t3 - t2), c2 - c1

    return run


def timed(f, repeats):
    vals = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        vals.append(time.perf_counter() - t0)
    return vals


def blas_threads():
    """Threads scikit-learn's BLAS uses by default (threadpoolctl), or '?' without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "?"
    return ",".join(str(i.get("num_threads")) for i in threadpool_info() if i.get("user_api") == "blas") or "?"


_PASS_CPU = {}  # counted by emdesk_one_thread: CPU seconds in the passes, first pass start, last pass end


def emdesk_one_thread(*args):
    """emdesk_fit with its passes on one thread, counting in _PASS_CPU the CPU time of the passes (the
    part the threads share out) and the CPU clock at the first pass's start and the last one's end."""
    from emdesk.engine import _mixture_context, limit_threads

    inner = _mixture_context.em_pass

    def counted(*a, **kw):
        c0 = time.process_time()
        _PASS_CPU.setdefault("first", c0)
        try:
            return inner(*a, **kw)
        finally:
            c1 = time.process_time()
            _PASS_CPU["in"] = _PASS_CPU.get("in", 0.0) + c1 - c0
            _PASS_CPU["last"] = c1

    _mixture_context.em_pass = counted
    try:
        with limit_threads(1):
            return emdesk_fit(*args)
    finally:
        _mixture_context.em_pass = inner


def pass_share(fa, short, long):
    """The share ``p`` of one thread's CPU time spent in the passes between the first pass's start and
    the last pass's end of a ``long``-step fit (the rest, M-step, factorisations, checks, runs on the
    caller's thread).  On T free cores an iteration would take about ``1 - p + p / T`` of its one-thread
    time (Amdahl; an estimate, not a measurement)."""
    _PASS_CPU.clear()
    emdesk_one_thread(*fa, long)
    span = _PASS_CPU["last"] - _PASS_CPU["first"]
    return _PASS_CPU["in"] / span if span > 0 else float("nan")


def hd_table(repeats, have_sk, short=2, long=7, types=("full", "tied", "diag", "spherical"), cases=None):
    """Per shape and covariance type, in wall-clock time and in CPU time of the process
    (``time.process_time``, all threads): scikit-learn ms/iter (its BLAS with its default threads),
    emdesk ms/iter with ``emdesk.engine.get_num_threads()`` threads (T) and with one, emdesk(T) /
    scikit-learn, the matrix-product floor (wall: T threads; CPU: one thread) and emdesk/floor, and
    the load average before-after the row.  Every figure is measured in the same run, each repeat
    interleaving emdesk (T), emdesk (1), scikit-learn and the floor (so a burst of load on the
    shared machine hits all of them); best and median of the repeats."""
    from emdesk.engine import get_num_threads

    T = get_num_threads()
    rng = np.random.default_rng(1)
    print(f"# emdesk threads T = {T}; scikit-learn's BLAS threads: {blas_threads()}")
    head = ("| n x d, k | cov | wall: sklearn ms/iter | emdesk T | emdesk 1 | emdesk T/sklearn | floor T | "
            "emdesk T/floor | CPU: sklearn | emdesk T | emdesk 1 | emdesk T/sklearn | floor 1 | emdesk T/floor "
            "| pass share p | est. T free cores / 1 | load |")
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
            fl = floor_products(n, d, k, ct, rng, T)
            e, e1, s, f = ([], []), ([], []), ([], []), ([], [])
            shares = []
            load0 = os.getloadavg()[0]  # the 1-minute load average before and after the row
            for _ in range(repeats):
                for acc, v in zip(e, per_iteration_raw(emdesk_fit, fa, short, long)):
                    acc += v
                for acc, v in zip(e1, per_iteration_raw(emdesk_one_thread, fa, short, long)):
                    acc += v
                if have_sk:
                    for acc, v in zip(s, per_iteration_raw(sklearn_fit, fa, short, long)):
                        acc += v
                for acc, v in zip(f, fl()):
                    acc.append(v)
                shares.append(pass_share(fa, short, long))
            nan = [float("nan")]  # every repeat of a figure came out <= 0 (noise): shown as nan
            e, e1 = tuple(v or nan for v in e), tuple(v or nan for v in e1)
            s = tuple(v or nan for v in s)
            cols = []
            for i in (0, 1):  # wall, CPU
                sk = bm(s[i], fmt=".0f") if have_sk else "-"
                cols += [sk, bm(e[i]), bm(e1[i]), ratio(e[i], s[i]) if have_sk else "-", bm(f[i]),
                         f"{min(e[i]) / min(f[i]):.1f} / {statistics.median(e[i]) / statistics.median(f[i]):.1f}"]
            p = statistics.median(shares)
            print(f"| {n:,} x {d}, {k} | {ct} | " + " | ".join(cols)
                  + f" | {p:.2f} | {1 - p + p / T:.2f} | {load0:.1f}-{os.getloadavg()[0]:.1f} |", flush=True)


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
    ap.add_argument("--threads", type=int, default=None,
                    help="emdesk.engine.set_num_threads(T) for the 'T' columns (default: the engine's default)")
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
    if args.threads is not None:
        from emdesk.engine import set_num_threads

        set_num_threads(args.threads)
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
    from emdesk.engine import get_num_threads

    print(f"# emdesk bench_engine: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"NumPy {np.__version__}, repeats={args.repeats} (best / median, interleaved), "
          f"emdesk threads T = {get_num_threads()}, scikit-learn's BLAS threads {blas_threads()}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    head = ("| n | d | k | cov | emdesk T s/iter | emdesk 1 thread | sklearn s/iter | speed-up (T) | CPU ms/iter: "
            "emdesk T | emdesk 1 | sklearn | emdesk peak MB | x n*k*8 | sklearn peak MB | load |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))

    def bm(v, scale=1.0, fmt=".4f"):
        return f"{min(v) * scale:{fmt}} / {statistics.median(v) * scale:{fmt}}" if v else "nan"

    for n, d, k, ct in cases:
        X, w0, m0, c0 = make_data(n, d, k)
        fa = (X, w0, m0, c0, ct)
        load0 = os.getloadavg()[0]
        e, e1, s = ([], []), ([], []), ([], [])
        for _ in range(args.repeats):
            for acc, v in zip(e, per_iteration_raw(emdesk_fit, fa, SHORT, LONG)):
                acc += v
            for acc, v in zip(e1, per_iteration_raw(emdesk_one_thread, fa, SHORT, LONG)):
                acc += v
            if have_sk:
                for acc, v in zip(s, per_iteration_raw(sklearn_fit, fa, SHORT, LONG)):
                    acc += v
        e_mem = peak_memory(emdesk_fit, fa)
        unit = n * k * 8
        if have_sk and s[0] and e[0]:
            s_mem = peak_memory(sklearn_fit, fa)
            sk_cols = (bm(s[0]), f"{min(s[0]) / min(e[0]):.1f}x / {statistics.median(s[0]) / statistics.median(e[0]):.1f}x",
                       bm(s[1], 1e3, ".1f"), f"{s_mem / 1e6:.1f}")
        else:
            sk_cols = ("-", "-", "-", "-")
        print(f"| {n:,} | {d} | {k} | {ct} | {bm(e[0])} | {bm(e1[0])} | {sk_cols[0]} | {sk_cols[1]} | "
              f"{bm(e[1], 1e3, '.1f')} | {bm(e1[1], 1e3, '.1f')} | {sk_cols[2]} | "
              f"{e_mem / 1e6:.1f} | {e_mem / unit:.2f} | {sk_cols[3]} | {load0:.1f}-{os.getloadavg()[0]:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
