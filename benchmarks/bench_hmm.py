"""Seconds per EM iteration of emdesk's GaussianHMM against hmmlearn's (C extension), same data and
same starting parameters.

    python benchmarks/bench_hmm.py            # T = 1e3, 1e5, 1e6 and 1,000 x 100; k = 2, 5, 10
    python benchmarks/bench_hmm.py --quick    # T = 1e3, 1e5 and 1,000 x 100; k = 2, 5
    python benchmarks/bench_hmm.py --family poisson

Per-iteration time: a fit that runs exactly ``LONG`` EM iterations (tol disabled, no random
initialisation) minus one that runs ``SHORT``, divided by the difference, so set-up costs
(validation, feature caches, final scoring) cancel; each fit is repeated, and the best (and the
median) long-fit time minus the best (median) short-fit time is shown.  Data: d = 2 diagonal-covariance Gaussian emissions (or 2 Poisson count
columns) sampled from a sticky k-state chain; the start is the truth perturbed.  hmmlearn is run
with its default log-space implementation and its priors set to maximum likelihood (as emdesk).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np

from emdesk.engine import GaussianHMM, PoissonHMM


def make_case(family, T, n_seq, k, seed=0):
    rng = np.random.default_rng(seed)
    n = T * n_seq
    tm = np.full((k, k), 0.05 / max(k - 1, 1)) + np.eye(k) * (0.95 - 0.05 / max(k - 1, 1))
    tm /= tm.sum(axis=1, keepdims=True)
    sp = np.full(k, 1.0 / k)
    # a chain per sequence, vectorised over sequences
    z = np.empty((n_seq, T), dtype=np.int64)
    z[:, 0] = rng.integers(k, size=n_seq)
    u = rng.random((n_seq, T))
    cum = np.cumsum(tm, axis=1)
    for t in range(1, T):  # data generation only
        z[:, t] = np.minimum((u[:, t, None] > cum[z[:, t - 1]]).sum(axis=1), k - 1)
    z = z.reshape(-1)
    if family == "gaussian":
        means = np.stack([np.arange(k) * 3.0, np.arange(k)[::-1] * 2.0], axis=1)
        X = means[z] + rng.normal(size=(n, 2))
        start = dict(means=means + rng.normal(0, 0.3, means.shape), covars=np.full((k, 2), 1.5))
    else:
        lam = np.stack([1.0 + np.arange(k) * 4.0, 2.0 + np.arange(k) * 3.0], axis=1)
        X = rng.poisson(lam[z]).astype(float)
        start = dict(lambdas=lam * rng.uniform(0.8, 1.2, lam.shape))
    lengths = [T] * n_seq
    sp0 = rng.dirichlet(np.full(k, 5.0))
    tm0 = 0.8 * tm + 0.2 * rng.dirichlet(np.ones(k), size=k)
    return X, lengths, sp0, tm0, start


def emdesk_fit(family, X, lengths, sp, tm, start, iters):
    if family == "gaussian":
        m = GaussianHMM(len(sp), covariance_type="diag", reg_covar=0.0, tol=0, max_iter=iters, startprob_init=sp,
                        transmat_init=tm, means_init=start["means"], covars_init=start["covars"])
    else:
        m = PoissonHMM(len(sp), tol=0, max_iter=iters, startprob_init=sp, transmat_init=tm,
                       lambdas_init=start["lambdas"])
    return m.fit(X, lengths)


def hmmlearn_fit(family, X, lengths, sp, tm, start, iters):
    from hmmlearn import hmm

    if family == "gaussian":
        m = hmm.GaussianHMM(len(sp), covariance_type="diag", n_iter=iters, tol=-np.inf, init_params="",
                            covars_prior=0, covars_weight=0, means_prior=0, means_weight=0)
        m.means_, m.covars_ = start["means"], start["covars"]
    else:
        m = hmm.PoissonHMM(len(sp), n_iter=iters, tol=-np.inf, init_params="")
        m.lambdas_ = start["lambdas"]
    m.startprob_, m.transmat_ = sp, tm
    return m.fit(X, lengths)


def per_iter(fit, args, short, long, repeats):
    """(best, median) seconds per iteration: the best (resp. median) time of the long fit minus that of
    the short fit, over the repeats (robust to a machine shared with other jobs)."""
    ts, tl = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fit(*args, short)
        t1 = time.perf_counter()
        fit(*args, long)
        t2 = time.perf_counter()
        ts.append(t1 - t0)
        tl.append(t2 - t1)
    d = long - short
    return max(min(tl) - min(ts), 0.0) / d, max(statistics.median(tl) - statistics.median(ts), 0.0) / d


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="T = 1e3, 1e5 and 1,000 x 100 with k = 2, 5 only")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--family", choices=["gaussian", "poisson"], default="gaussian")
    ap.add_argument("--no-hmmlearn", action="store_true")
    ap.add_argument("--shapes", help="comma-separated TxSEQUENCES, e.g. 1000x1,100x1000 (default: all)")
    ap.add_argument("--k", help="comma-separated numbers of states (default 2,5,10; --quick 2,5)")
    args = ap.parse_args(argv)
    shapes = [(1000, 1), (100_000, 1), (100, 1000)] + ([] if args.quick else [(1_000_000, 1)])
    if args.shapes:
        shapes = [tuple(int(v) for v in item.split("x")) for item in args.shapes.split(",")]
    ks = (2, 5) if args.quick else (2, 5, 10)
    if args.k:
        ks = tuple(int(v) for v in args.k.split(","))
    try:
        import hmmlearn

        hv = hmmlearn.__version__
    except ImportError:
        hv = None
    have_ref = hv is not None and not args.no_hmmlearn
    print(f"# emdesk bench_hmm ({args.family}): {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.machine()} {os.cpu_count()} cores, NumPy {np.__version__}, hmmlearn {hv}, "
          f"repeats={args.repeats} (best / median)")
    print("| sequences x T | k | emdesk s/iter | hmmlearn s/iter | speed-up (best) |")
    print("|---|---|---|---|---|")
    warnings.simplefilter("ignore")
    for T, n_seq in shapes:
        n = T * n_seq
        # small problems: many iterations, so that the difference is well above timer noise
        short, long = (1, 3) if n >= 1_000_000 else ((2, 6) if n >= 100_000 else (2, 52))
        reps = 1 if n >= 1_000_000 else args.repeats
        for k in ks:
            X, lengths, sp, tm, start = make_case(args.family, T, n_seq, k)
            a = (args.family, X, lengths, sp, tm, start)
            ours = per_iter(emdesk_fit, a, short, long, reps)
            ref = per_iter(hmmlearn_fit, a, short, long, reps) if have_ref else None
            shape = f"{n_seq:,} x {T:,}"
            if ref:
                print(f"| {shape} | {k} | {ours[0]:.4f} / {ours[1]:.4f} | {ref[0]:.4f} / {ref[1]:.4f} | "
                      f"{ref[0] / max(ours[0], 1e-12):.1f}x |", flush=True)
            else:
                print(f"| {shape} | {k} | {ours[0]:.4f} / {ours[1]:.4f} | - | - |", flush=True)


if __name__ == "__main__":
    main()
