"""Write the hidden Markov model example the desktop app ships (emdesk/gui/resources/example_hmm_regimes.csv).

Run from the repository root:  python3 scripts/make_hmm_example.py
Deterministic (fixed seed): re-running it reproduces the committed file byte for byte. Only NumPy is used.

Two river gauges ("upper", "lower") read hourly for 600 hours; the river switches between three regimes
(low flow, normal, flood) with sticky transitions, and each regime has its own mean water level (Gaussian
noise) and its own rate of alarm events per hour (Poisson). Rows are written shuffled, so the "Order by"
picker has something to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "emdesk" / "gui" / "resources" / "example_hmm_regimes.csv"

TRANSMAT = np.array([[0.97, 0.03, 0.00],
                     [0.02, 0.96, 0.02],
                     [0.00, 0.06, 0.94]])
LEVEL_MEAN = np.array([1.2, 2.5, 4.4])   # metres
LEVEL_SD = np.array([0.25, 0.3, 0.45])
EVENT_RATE = np.array([0.2, 1.0, 4.0])   # alarms per hour


def make(seed: int = 2026, hours: int = 600) -> str:
    rng = np.random.default_rng(seed)
    rows = []
    for gauge in ("upper", "lower"):
        z = 0
        for t in range(hours):
            z = int(rng.choice(3, p=TRANSMAT[z])) if t else int(rng.integers(0, 2))
            level = rng.normal(LEVEL_MEAN[z], LEVEL_SD[z])
            events = int(rng.poisson(EVENT_RATE[z]))
            rows.append(f"{gauge},{t},{level:.3f},{events}\n")
    order = rng.permutation(len(rows))
    return "gauge,hour,level,alarms\n" + "".join(rows[i] for i in order)


if __name__ == "__main__":
    OUT.write_text(make(), encoding="utf-8", newline="")
    print(f"wrote {OUT}")
