"""Does the engine wake OpenBLAS's sleeping threads?  (emdesk/engine/_blas.py, issue 16.)

OpenBLAS runs a product above fixed sizes on all its threads; between calls they sleep, and on a
loaded machine every wake-up costs milliseconds.  For each case below this prints the wake-ups of
OpenBLAS's threads during the case (their context switches, from Linux's /proc: the threads that exist
before the engine starts any of its own; the engine runs on one thread here) and the case's wall time, beside
the same case in a fresh process with ``OPENBLAS_NUM_THREADS=1`` (the reference, measured in the same
run).  ``--lines`` also names the engine lines after which the wake-ups happened (sys.settrace; slow).

    python3 benchmarks/bench_blas_wakeups.py            # all cases, 100,000 rows
    python3 benchmarks/bench_blas_wakeups.py --rows 30000 --cases setup,student
    python3 benchmarks/bench_blas_wakeups.py --lines --cases bootstrap
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import threading
import time
import warnings

import numpy as np

CASES = {
    "setup": "GaussianMixture(3, covariance_type='diag', max_iter=1, random_state=0).fit(H, sample_weight=w)",
    "diag-2d": "GaussianMixture(3, covariance_type='diag', max_iter=20, tol=0, random_state=0).fit(X)",
    "weighted-2d": "GaussianMixture(3, max_iter=20, tol=0, random_state=0).fit(X, sample_weight=w)",
    "full-24d": "GaussianMixture(3, covariance_type='full', max_iter=5, tol=0, random_state=0).fit(H)",
    "missing-24d": "GaussianMixture(3, covariance_type='full', max_iter=3, tol=0, random_state=0, missing='marginalize').fit(Hm)",
    "student": "StudentTMixture(3, max_iter=5, tol=0, random_state=0).fit(H)",
    "hierarchical": "GaussianMixture(3, max_iter=1, random_state=0, init_params='hierarchical').fit(H)",
    "bootstrap": "bootstrap(g, X[:3000], n_boot=20, random_state=0)",
    "sample": "gh.sample(200000)",
}

SETUP = """
import numpy as np, warnings
warnings.simplefilter('ignore')
from emdesk.engine import GaussianMixture, StudentTMixture, bootstrap, set_num_threads
set_num_threads(1)
rng = np.random.default_rng(0)
n = {rows}
X = np.vstack([rng.normal(size=(n // 2, 2)), rng.normal(size=(n // 2, 2)) + 3])
H = rng.normal(size=(n, 24)) + rng.integers(0, 3, size=(n, 1)) * 2.0
Hm = np.where(rng.random(H.shape) < 0.03, np.nan, H)
w = rng.uniform(0.5, 2.0, size=n)
g = GaussianMixture(2, max_iter=5, random_state=0).fit(X[:3000])
gh = GaussianMixture(3, covariance_type='full', max_iter=2, random_state=0).fit(H[:5000])
"""


def _blas_threads(main):
    """The threads other than ``main`` that exist now (call before the engine starts any thread of its
    own: then they are OpenBLAS's)."""
    return frozenset(int(t) for t in os.listdir("/proc/self/task") if int(t) != main)


def _others_switches(threads):
    tot = 0
    for t in threads:
        try:
            with open(f"/proc/self/task/{t}/status") as f:
                for line in f:
                    if "ctxt_switches" in line:
                        tot += int(line.split()[1])
        except FileNotFoundError:
            pass
    return tot


def _quiet(blas):
    a = _others_switches(blas)
    for _ in range(50):
        time.sleep(0.2)
        b = _others_switches(blas)
        if a == b:
            return
        a = b


def run_cases(names, rows, lines):
    """In this process: {case: (wake-ups, seconds, top lines or [])}."""
    np.ones((400, 400)) @ np.ones((400, 400))  # OpenBLAS starts its threads
    blas = _blas_threads(threading.get_native_id())  # OpenBLAS's threads (counted; the bootstrap's are not)
    g = {}
    exec(SETUP.format(rows=rows), g)
    out = {}
    for name in names:
        hits = collections.Counter()
        state = {"last": None}

        def tracer(frame, event, arg):
            fn = frame.f_code.co_filename
            if "emdesk" in fn and event in ("line", "return"):
                c = _others_switches(blas)
                if state["last"] and c != state["count"]:
                    hits[state["last"]] += c - state["count"]
                state["count"] = c
                state["last"] = f"{fn.split('emdesk' + os.sep)[-1]}:{frame.f_lineno}"
            return tracer

        _quiet(blas)
        a = _others_switches(blas)
        state["count"] = a
        t0 = time.perf_counter()
        if lines:
            sys.settrace(tracer)
        try:
            exec(CASES[name], g)
        finally:
            sys.settrace(None)
        dt = time.perf_counter() - t0
        out[name] = (_others_switches(blas) - a, dt, hits.most_common(8))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--lines", action="store_true", help="name the engine lines after the wake-ups (slow)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    names = [c for c in a.cases.split(",") if c]
    bad = [c for c in names if c not in CASES]
    if bad:
        p.error(f"unknown case(s) {bad}; known: {', '.join(CASES)}")
    if not os.path.isdir("/proc/self/task"):
        print("needs Linux /proc; nothing measured")
        return 0
    warnings.simplefilter("ignore")
    res = run_cases(names, a.rows, a.lines and not a.child)
    if a.child:
        print(json.dumps({k: v[1] for k, v in res.items()}))
        return 0
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "--rows", str(a.rows), "--cases",
                        ",".join(names)], capture_output=True, text=True, env=env)
    ref = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {}
    print(f"rows {a.rows}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
          f"{' (wall times include tracing)' if a.lines else ''}")
    print(f"{'case':14s} {'BLAS wake-ups':>14s} {'seconds':>9s} {'1 BLAS thread':>14s}")
    for name in names:
        wk, dt, top = res[name]
        print(f"{name:14s} {wk:14d} {dt:9.3f} {ref.get(name, float('nan')):14.3f}")
        for where, c in top:
            print(f"{'':16s}{c:5d}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
