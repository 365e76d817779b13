"""The desktop application (PySide6 + pyqtgraph).

Importing this package first protects the interpreter's singletons on CPython < 3.12 (see below).
"""

import sys


def _protect_singletons() -> None:
    """Give None, True and False an effectively infinite reference count on CPython < 3.12.

    PySide6/shiboken6 6.12 returns ``None`` (and the bools) from wrapped C++ calls without taking a new
    reference, which is correct only where these objects are immortal (PEP 683, CPython 3.12+). On 3.11
    every ``void`` Qt call then drops one reference to None, and after a few thousand calls (seconds of a
    live plot) CPython aborts with "Fatal Python error: none_dealloc: deallocating None". Measured here:
    ``sys.getrefcount(None)`` fell by exactly one per ``QLabel.setText`` call. Raising the counts by 2**40
    emulates immortality: at a million lost references a second it would last twelve days. On 3.12+ the
    objects are immortal already and nothing is done.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    if hasattr(sys, "getobjects"):  # a Py_TRACE_REFS debug build: PyObject_HEAD has two more fields first
        return
    import ctypes

    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object (Include/object.h, PyObject_HEAD).
        before = sys.getrefcount(obj)
        cell = ctypes.c_ssize_t.from_address(id(obj))
        if abs(cell.value - before) > 16:  # not the layout we expect: leave the object alone
            continue
        cell.value += 1 << 40


_protect_singletons()
