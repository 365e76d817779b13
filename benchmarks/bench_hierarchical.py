"""mclust's hierarchical start (VVV criterion) at high dimension (issue 16): the tree of 1,000 rows
at d = 40 and 64, and the app's emEM-start fit of 20,000 x 40 (diag, 6 components, APP_DEFAULTS),
against the pair costs as first written (whole (m, d, d) stacks, slogdet) as the reference measured
in the same run, interleaved.  Prints wall and CPU seconds, best and median of the repeats, the
load average, and whether the merges are identical.

    PYTHONPATH=. python benchmarks/bench_hierarchical.py [--repeats 3] [--no-fit] [--no-trees]
"""

import argparse
import contextlib
import os
import statistics
import time

import numpy as np

from emdesk.engine import GaussianMixture
from emdesk.engine import hierarchical as hc
from emdesk.engine import restarts
from emdesk.engine.relative import APP_DEFAULTS, APP_N_INIT


def _reference_costs(self, a, others):
    """The VVV pair costs as first written (before issue 16's blocked Cholesky costs)."""
    na, nb = self.cnt[a], self.cnt[others]
    n = na + nb
    diff = self.mean[others] - self.mean[a]
    f = na * nb / n
    tr = self.tr[a] + self.tr[others] + f * np.einsum("ij,ij->i", diff, diff)
    if self.model != "VVV":
        return _FAST(self, a, others)
    out = np.log((tr + self.alpha) / n)
    big = n > self.d
    if np.any(big):
        ob, db, fb = others[big], diff[big], f[big]
        W = self.W[a] + self.W[ob] + fb[:, None, None] * db[:, :, None] * db[:, None, :]
        out[big] = np.logaddexp(hc._logdet(W / n[big, None, None]), out[big])
    return n * out - self.term[a] - self.term[others]


_FAST = hc._Agglomerator.costs


@contextlib.contextmanager
def _variant(name):
    hc._Agglomerator.costs = _FAST if name == "new (lemma + blocked Cholesky)" else _reference_costs
    try:
        yield
    finally:
        hc._Agglomerator.costs = _FAST


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def _data(n, d, k=6, seed=1):
    rng = np.random.default_rng(seed)
    C = rng.normal(0, 3, (k, d))
    return C[rng.integers(0, k, n)] + rng.standard_normal((n, d))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-fit", action="store_true")
    ap.add_argument("--no-trees", action="store_true")
    args = ap.parse_args()
    cases = []
    for d in () if args.no_trees else (40, 64):
        Z = hc.svd_transform(_data(1000, d))
        cases.append((f"tree 1,000 x {d}", lambda Z=Z: hc._build_tree(Z, np.arange(len(Z)), "VVV")))
    if not args.no_fit:
        X = _data(20000, 40)
        cases.append(("fit 20,000 x 40 diag k=6 (emEM start)", lambda X=X: GaussianMixture(
            6, covariance_type="diag", n_init=APP_N_INIT, random_state=0, **APP_DEFAULTS).fit(X).lower_bound_))
    variants = ("plain slogdet (reference)", "new (lemma + blocked Cholesky)")
    for label, fn in cases:
        res = {v: [] for v in variants}
        outs = {}
        for _ in range(args.repeats):
            for v in variants:  # interleaved
                restarts._hc_cache.clear()  # the fit builds its tree every time (it is cached per data set)
                with _variant(v):
                    w, c, outs[v] = _timed(fn)
                res[v].append((w, c))
        same = outs[variants[0]] == outs[variants[1]]
        print(f"{label}  (load average {os.getloadavg()[0]:.2f}; results identical: {same})")
        for v in variants:
            ws, cs = [r[0] for r in res[v]], [r[1] for r in res[v]]
            print(f"  {v:31s} wall best {min(ws):6.2f} s median {statistics.median(ws):6.2f} s | "
                  f"CPU best {min(cs):6.2f} s median {statistics.median(cs):6.2f} s")


if __name__ == "__main__":
    main()
