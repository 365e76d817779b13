"""Shared pieces of the emission families."""

from __future__ import annotations

import numpy as np

from ..diagnostics import ComponentIssue

__all__ = ["FamilyFailure", "state_floor", "empty_state_issues"]


class FamilyFailure(ValueError):
    """Parameters a family cannot use (a singular covariance); the message says why."""


def state_floor(total):
    """Expected occupancy below which a state's parameters cannot be estimated (they keep their
    previous values): 1e-8 of the data's total weight, at least 1e-10."""
    return max(1e-8 * float(total), 1e-10)


def empty_state_issues(nk, total, what="state"):
    floor = state_floor(total)
    return [
        ComponentIssue(int(j), "empty_state",
                       f"{what} {j + 1} has almost no expected occupancy ({nk[j]:.3g} rows); its emission "
                       "parameters keep their previous values. Try fewer states.")
        for j in np.flatnonzero(nk < floor)
    ]
