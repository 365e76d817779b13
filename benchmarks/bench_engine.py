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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-sklearn", action="store_true")
    ap.add_argument("--main", action="store_true",
                    help="only the target case: n=1,000,000, d=2, k=5, full")
    args = ap.parse_args(argv)
    try:
        import sklearn  # noqa: F401

        have_sk = not args.no_sklearn
    except ImportError:
        have_sk = False
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
