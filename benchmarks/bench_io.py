"""Load time and peak memory of ``emdesk.io.load_table``, and its ratio to ``pandas.read_csv``.

    python3 benchmarks/bench_io.py [--rows 10000,100000,1000000] [--repeat 3] [--kind clean|missing|messy]

For each size a CSV with 5 numeric columns (a header row, ~45 bytes a row) is written to a temporary
folder; both readers load it ``--repeat`` times, interleaved, and the best time of each is reported (the
target: emdesk within 3x pandas on 10^6 rows). Peak memory is measured in a separate run with
``tracemalloc`` (NumPy reports its buffers to it), next to the size of the result (rows x 5 x 8 bytes).
``--kind missing`` leaves 1 % of the cells empty (still NumPy's parser); ``--kind messy`` adds a quoted
text column and ``NA`` tokens, which take the careful path (csv module + vectorised conversion).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from emdesk.io import load_table  # noqa: E402

try:
    import pandas as pd
except ImportError:  # pandas is not a dependency of emdesk
    pd = None


def write_file(path: str, n_rows: int, kind: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 5)) * [1.0, 10.0, 100.0, 0.1, 1000.0]
    with open(path, "w", encoding="utf-8", newline="") as f:
        if kind == "clean":
            f.write("a,b,c,d,e\n")
            np.savetxt(f, X, delimiter=",", fmt="%.6g")
            return
        if kind == "missing":
            f.write("a,b,c,d,e\n")
            text = np.char.mod("%.6g", X)
            text[rng.random(X.shape) < 0.01] = ""
            f.write("\n".join(",".join(row) for row in text.tolist()) + "\n")
            return
        f.write('a,b,c,d,e,label\n')
        labels = np.array(['"red, dark"', "blue", "green", '"say ""hi"""'])
        text = np.char.mod("%.6g", X)
        text[rng.random(X.shape) < 0.02] = "NA"
        lab = labels[rng.integers(0, len(labels), n_rows)]
        for row, label in zip(text.tolist(), lab.tolist()):
            f.write(",".join(row) + "," + label + "\n")


def best_time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def peak_memory(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kind", choices=["clean", "missing", "messy"], default="clean")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.rows.split(",")]
    print(f"numpy {np.__version__}, pandas {pd.__version__ if pd else 'not installed'}, "
          f"{args.kind} files, best of {args.repeat}")
    print(f"{'rows':>9} {'MB':>7} {'emdesk s':>9} {'pandas s':>9} {'ratio':>6} {'peak MB':>8} "
          f"{'result MB':>9} {'progress calls':>14}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = os.path.join(tmp, f"data_{n}.csv")
            write_file(path, n, args.kind)
            mb = os.path.getsize(path) / 1e6
            times = {"emdesk": float("inf"), "pandas": float("inf")}
            for _ in range(args.repeat):  # interleaved, so both see the same machine load
                times["emdesk"] = min(times["emdesk"], best_time(lambda: load_table(path), 1))
                if pd is not None:
                    times["pandas"] = min(times["pandas"], best_time(lambda: pd.read_csv(path), 1))
            calls = []
            table = load_table(path, progress=calls.append)
            result_mb = table.n_rows * len(table.numeric_column_names) * 8 / 1e6
            del table
            peak = peak_memory(lambda: load_table(path)) / 1e6
            ratio = times["emdesk"] / times["pandas"] if pd is not None else float("nan")
            pandas_s = f"{times['pandas']:9.3f}" if pd is not None else f"{'-':>9}"
            print(f"{n:>9} {mb:7.1f} {times['emdesk']:9.3f} {pandas_s} {ratio:6.2f} {peak:8.1f} "
                  f"{result_mb:9.1f} {len(calls):>14}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
