"""Write the example datasets the desktop app ships (emdesk/gui/resources/example_*.csv).

Run from the repository root:  python3 scripts/make_examples.py
The output is deterministic (fixed seed), so re-running it reproduces the committed files byte for byte.
Only NumPy is used: the examples do not depend on the engine they are meant to exercise.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "emdesk" / "gui" / "resources"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def two_d_three_clusters(rng: np.random.Generator) -> str:
    """600 rows, three elliptical clusters in (x, y), plus a text column naming the site."""
    specs = [  # (n, mean, covariance, site)
        (250, (1.0, 2.0), ((0.60, 0.35), (0.35, 0.45)), "north"),
        (200, (3.6, 3.3), ((0.35, -0.20), (-0.20, 0.50)), "east"),
        (150, (3.2, 1.2), ((0.90, 0.05), (0.05, 0.12)), "south"),
    ]
    rows = []
    for n, mean, cov, site in specs:
        pts = rng.multivariate_normal(mean, cov, size=n)
        rows.extend((x, y, site) for x, y in pts)
    order = rng.permutation(len(rows))
    lines = ["x,y,site"]
    lines += [f"{rows[i][0]:.4f},{rows[i][1]:.4f},{rows[i][2]}" for i in order]
    return "\n".join(lines) + "\n"


def one_d_bimodal(rng: np.random.Generator) -> str:
    """500 rows of one measurement from two overlapping groups (60 % / 40 %)."""
    a = rng.normal(12.0, 1.5, size=300)
    b = rng.normal(18.5, 2.2, size=200)
    values = rng.permutation(np.concatenate([a, b]))
    return "value\n" + "\n".join(f"{v:.3f}" for v in values) + "\n"


EXAMPLES = {
    "example_2d_three_clusters.csv": two_d_three_clusters,
    "example_1d_bimodal.csv": one_d_bimodal,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for i, (name, make) in enumerate(EXAMPLES.items()):
        rng = np.random.default_rng(20240 + i)
        _write_atomic(OUT / name, make(rng))
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
