"""Load time of a plain 200,000 x 4 CSV file, with this tree's reader and, interleaved, another tree's (the
code before a change), to check that a change to the reader's guesses does not slow plain files.

    python3 benchmarks/bench_decimal_guess.py [--before /path/to/old/tree] [--rows 200000] [--repeat 5]

Each load runs in a fresh interpreter (``load_table`` on the file, timed inside it), alternating between the
trees; the best and the median of ``--repeat`` loads of each are printed beside the load average. Also
prints the time of a file whose last row has a decimal comma (``1.234,5``) in a column of whole numbers,
after 7 MB of decimal points in the other columns, which this tree reads with the other mark (``emdesk.io.decimal_marks``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CHILD = """
import sys, time
from emdesk.io import load_table
t0 = time.perf_counter()
table = load_table(sys.argv[1])
print(time.perf_counter() - t0, table.n_rows, ",".join(table.numeric_column_names))
"""


def write_files(folder: str, n_rows: int) -> tuple[str, str]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 4)) * [1.0, 10.0, 100.0, 0.1]
    plain = os.path.join(folder, "plain.csv")
    with open(plain, "w", encoding="utf-8", newline="") as f:
        f.write("a,b,c,d\n")
        np.savetxt(f, X, delimiter=",", fmt="%.6g")
    late = os.path.join(folder, "late.csv")
    with open(late, "w", encoding="utf-8", newline="") as f:
        f.write("a;b;c;d\n")  # d: whole numbers, then one number with a decimal comma on the last line
        np.savetxt(f, np.column_stack([X[:, :3], np.abs(X[:, 3] * 5000).round()]), delimiter=";",
                   fmt=["%.6g"] * 3 + ["%d"])
        f.write("1.5;2.5;3.5;1.234,5\n")
    return plain, late


def load_once(tree: str, path: str) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=tree)
    # (cwd: the file's folder, since ``python -c`` puts the working folder before PYTHONPATH on sys.path)
    out = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True, env=env, check=True,
                         cwd=os.path.dirname(path))
    seconds, rows, numeric = out.stdout.split()
    return float(seconds), f"{rows} rows, numeric {numeric}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", help="a tree holding the old emdesk package (e.g. from git archive)")
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    trees = {"this tree": os.path.abspath(HERE)}
    if args.before:
        trees = {"before": args.before, **trees}
    with tempfile.TemporaryDirectory() as folder:
        plain, late = write_files(folder, args.rows)
        for label, path in ((f"plain {args.rows:,} x 4 ({os.path.getsize(plain) / 1e6:.1f} MB)", plain),
                            ("late 1.234,5 in column d", late)):
            times = {name: [] for name in trees}
            shape = {}
            for _ in range(args.repeat):
                for name, tree in trees.items():
                    seconds, shape[name] = load_once(tree, path)
                    times[name].append(seconds)
            print(f"{label}: load average {os.getloadavg()[0]:.2f}")
            for name, ts in times.items():
                print(f"  {name:10s} best {min(ts):.3f} s, median {statistics.median(ts):.3f} s ({shape[name]})")


if __name__ == "__main__":
    main()
