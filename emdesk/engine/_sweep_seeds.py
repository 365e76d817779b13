"""Seeds of the fits of a sweep (Model Selection, ``emdesk-fit --select``, the families' sweep): one independent
seed per fit, so results do not depend on the order fits finish in, each 0 ... 2**31 - 1."""

from __future__ import annotations

import numpy as np

#: The largest seed a sweep gives a fit: the window's seed field (a Qt spin box) holds 0 ... 2**31 - 1, so a
#: chosen fit's random_state, kept in its fit file, is one Open Fit can set and Run refits with.
SEED_MAX = 2**31 - 1


def _seeds(random_state, n: int) -> list:
    """One independent integer seed per fit (0 ... SEED_MAX), so results do not depend on the order fits
    finish in."""
    if isinstance(random_state, np.random.Generator):
        return [int(s) & SEED_MAX for s in random_state.integers(0, 2**32 - 1, size=n, dtype=np.int64)]
    if random_state is not None and not isinstance(random_state, (int, np.integer)):
        raise ValueError(f"random_state must be None, an integer or a numpy Generator; got {random_state!r}.")
    ss = np.random.SeedSequence(None if random_state is None else int(random_state))
    return spawned_seeds(ss, n)


def spawned_seeds(ss: np.random.SeedSequence, n: int) -> list:
    """``n`` independent seeds 0 ... SEED_MAX from ``ss``'s children (32 random bits, the top one dropped)."""
    return [int(child.generate_state(1, dtype=np.uint32)[0]) & SEED_MAX for child in ss.spawn(n)]
