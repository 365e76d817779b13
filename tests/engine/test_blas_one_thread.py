"""The engine's BLAS calls stay under OpenBLAS's one-thread sizes (emdesk/engine/_blas.py): a fit wakes
none of OpenBLAS's sleeping threads.  On a loaded machine each wake-up waited milliseconds (a
100,000-row, 32-column fit spent 1.8 s of its setup in 64 threaded dot products).

Counted in a fresh process (Linux /proc): the context switches of OpenBLAS's threads (the threads that
exist after the first product, before the engine starts any of its own; the fits run with one engine
thread).  Skipped where there is no /proc or OpenBLAS has one thread."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")

SCRIPT = r"""
import json, os, threading, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from emdesk.engine import GaussianMixture, StudentTMixture, set_num_threads
set_num_threads(1)
np.ones((400, 400)) @ np.ones((400, 400))  # OpenBLAS starts its threads: the only ones besides the main one now
me = threading.get_native_id()
blas = [int(t) for t in os.listdir("/proc/self/task") if int(t) != me]
def switches():
    tot = 0
    for t in blas:
        for line in open(f"/proc/self/task/{t}/status"):
            if "ctxt_switches" in line:
                tot += int(line.split()[1])
    return tot
workers = len(blas)
rng = np.random.default_rng(0)
n = 12000  # above OpenBLAS's one-thread sizes: a 10,000-element dot, 2**18 multiply-adds
X = np.vstack([rng.normal(size=(n // 2, 3)), rng.normal(size=(n // 2, 3)) + 3])
H = rng.normal(size=(n, 24)) + rng.integers(0, 3, size=(n, 1)) * 2.0
w = rng.uniform(0.5, 2.0, size=n)
cases = {
    "standardisation (weighted)": lambda: GaussianMixture(2, covariance_type="diag", max_iter=2, random_state=0).fit(X, sample_weight=w),
    "standardisation": lambda: StudentTMixture(2, max_iter=2, random_state=0).fit(X),
    "k-means++ start, 24 columns": lambda: GaussianMixture(3, covariance_type="diag", max_iter=1, random_state=0).fit(H),
    "k-means++ start, weighted": lambda: GaussianMixture(3, covariance_type="diag", max_iter=1, random_state=0).fit(H, sample_weight=w),
}
def quiet():  # until OpenBLAS's threads are back asleep after their spin (at most 10 s)
    a = switches()
    for _ in range(50):
        time.sleep(0.2)
        b = switches()
        if b == a:
            return
        a = b
out = {}
for name, run in cases.items():
    quiet()
    a = switches()
    run()
    out[name] = switches() - a
print(json.dumps({"workers": workers, "wakeups": out}))
"""


def test_fits_wake_no_blas_thread():
    env = dict(os.environ)
    env.pop("OPENBLAS_NUM_THREADS", None)
    env.pop("OMP_NUM_THREADS", None)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    if res["workers"] < 1:
        pytest.skip("OpenBLAS runs on one thread here")
    assert res["wakeups"] == {name: 0 for name in res["wakeups"]}
