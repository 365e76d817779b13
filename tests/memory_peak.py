"""The memory tests' measure: the peak of traced allocations while a call runs (tracemalloc sees NumPy's
allocations; measured, not timed)."""

from __future__ import annotations

import tracemalloc


def peak(fn, *args):
    """``(bytes allocated at the peak beyond those held at the start, fn(*args))``."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn(*args)
        return tracemalloc.get_traced_memory()[1] - base, out
    finally:
        tracemalloc.stop()
