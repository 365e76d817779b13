"""Peak memory and time of scoring new data (predict, predict_proba, score_samples) with emdesk
and scikit-learn's GaussianMixture, the same parameters, in the same run.

    python benchmarks/bench_scoring.py                 # 1,000,000 x 8, k=10, full
    python benchmarks/bench_scoring.py --n 200000 --covariance-type diag

Peak memory is the extra memory seen by tracemalloc (NumPy reports its allocations to it) during
one call, the input excluded, beside the size of the call's result.  emdesk scores in row blocks:
its peak should stay within the result plus emdesk.engine._core.SCORE_BLOCK_BYTES (16 MiB) and a
few arrays of n booleans or integers from the input checks.
"""

from __future__ import annotations

import argparse
import platform
import time
import tracemalloc
import warnings

import numpy as np

from emdesk.engine import GaussianMixture
try:
    from emdesk.engine._core import SCORE_BLOCK_BYTES
except ImportError:  # an emdesk from before blocked scoring
    SCORE_BLOCK_BYTES = 0


def make_model(d, k, ct, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(k) * 5)
    m = rng.normal(0, 4, (k, d))
    if ct == "full":
        A = rng.normal(size=(k, d, d)) * 0.3
        c = A @ np.swapaxes(A, 1, 2) + np.eye(d)[None]
    elif ct == "tied":
        A = rng.normal(size=(d, d)) * 0.3
        c = A @ A.T + np.eye(d)
    elif ct == "diag":
        c = rng.uniform(0.5, 2, (k, d))
    else:
        c = rng.uniform(0.5, 2, k)
    return w, m, c


def sklearn_model(w, m, c, ct):
    from sklearn.mixture import GaussianMixture as SK
    from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

    sk = SK(len(w), covariance_type=ct)
    sk.weights_, sk.means_, sk.covariances_ = w, m, c
    sk.precisions_cholesky_ = _compute_precision_cholesky(c, ct)
    if ct == "full":
        sk.precisions_ = np.einsum("kij,klj->kil", sk.precisions_cholesky_, sk.precisions_cholesky_)
    elif ct == "tied":
        sk.precisions_ = sk.precisions_cholesky_ @ sk.precisions_cholesky_.T
    else:
        sk.precisions_ = sk.precisions_cholesky_ ** 2
    sk.converged_ = True
    sk.n_iter_ = 0
    sk.lower_bound_ = 0.0
    sk.n_features_in_ = m.shape[1]
    return sk


def measure(fn, X):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    out = fn(X)
    t = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return t, peak, out.nbytes


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--covariance-type", default="full", choices=("full", "tied", "diag", "spherical"))
    ap.add_argument("--no-sklearn", action="store_true")
    args = ap.parse_args(argv)
    w, m, c = make_model(args.d, args.k, args.covariance_type)
    rng = np.random.default_rng(1)
    X = m[rng.choice(args.k, size=args.n, p=w)] + rng.normal(size=(args.n, args.d))
    em = GaussianMixture.from_parameters(w, m, c, args.covariance_type)
    models = [("emdesk", em)]
    if not args.no_sklearn:
        try:
            models.append(("scikit-learn", sklearn_model(w, m, c, args.covariance_type)))
        except ImportError:
            pass
    print(f"# emdesk bench_scoring: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.machine()}, NumPy {np.__version__}; n={args.n:,}, d={args.d}, k={args.k}, "
          f"{args.covariance_type}; emdesk block budget {SCORE_BLOCK_BYTES / 2**20:.0f} MiB")
    print("| method | library | seconds | peak MB | result MB | peak - result MB |")
    print("|---|---|---|---|---|---|")
    ref = {}
    for method in ("predict", "predict_proba", "score_samples"):
        for name, model in models:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t, peak, res = measure(getattr(model, method), X)
            print(f"| {method} | {name} | {t:.3f} | {peak / 1e6:.1f} | {res / 1e6:.1f} | "
                  f"{(peak - res) / 1e6:.1f} |", flush=True)
            ref.setdefault(method, []).append(getattr(model, method)(X[:1000]))
    if len(models) == 2:
        same = np.array_equal(ref["predict"][0], ref["predict"][1])
        dif = float(np.max(np.abs(ref["score_samples"][0] - ref["score_samples"][1])))
        print(f"# agreement on 1000 rows: same labels {same}, max |score_samples difference| {dif:.2e}")


if __name__ == "__main__":
    main()
