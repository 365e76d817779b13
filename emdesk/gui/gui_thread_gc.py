"""Python's cyclic garbage collector runs only in the GUI thread while emdesk's window is up.

Why: the collector runs in whichever thread happens to allocate when a generation's threshold is crossed.
When that is a worker thread (an EM fit, a bootstrap, a selection sweep) and the garbage holds the
Python wrapper of a Qt object (a closed dialog, a plot item in a reference cycle), the Qt object is
destroyed outside the thread it belongs to, and Qt crashes the process (a segmentation fault seen in CI:
"Garbage-collecting" in the bootstrap worker's thread). Reference counting still frees everything that
is not in a cycle at once, in any thread; only the cycle collector moves to the GUI thread.

How: pyqtgraph's ``GarbageCollector`` (pyqtgraph.util.garbage_collector) disables automatic collection and
collects, generation by generation with the interpreter's own thresholds, from a QTimer in the thread that
created it. One is installed per QApplication, from the GUI thread, before the first worker thread starts.

Cost (issue 16): a full collection walks every tracked object. The imported modules alone (PySide6, pyqtgraph,
NumPy, SciPy, emdesk: about 110,000 functions, classes, dicts ...) made each one take 60-110 ms of the GUI
thread, offscreen on the 2-core machine; the app therefore freezes them at start-up
(:func:`freeze_startup_objects`), and the table keeps text columns in NumPy arrays the collector does not
walk (``emdesk.io.table._text_cells``).
"""

from __future__ import annotations

import gc

from PySide6 import QtCore

INTERVAL_S = 0.5

_installed: dict[int, object] = {}


def collect_in_gui_thread() -> bool:
    """Installs the GUI-thread collector for the running QApplication (once; later calls do nothing).

    Call from the GUI thread. Returns True when a collector is (now or already) installed, False when no
    QCoreApplication exists yet or when called from another thread (then nothing changes).
    """
    app = QtCore.QCoreApplication.instance()
    if app is None or QtCore.QThread.currentThread() is not app.thread():
        return False
    key = id(app)
    if key not in _installed:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        collector = GarbageCollector(interval=INTERVAL_S)
        collector.timer.setParent(app)  # lives and stops with the application
        _installed.clear()  # a collector of an earlier, destroyed application is dead with its timer
        _installed[key] = collector
        app.aboutToQuit.connect(_restore)
    gc.disable()  # (GarbageCollector disabled it; a caller such as the table reader may have re-enabled it)
    return True


def freeze_startup_objects() -> int:
    """Moves every object alive now to the collector's permanent generation (``gc.freeze()``), so full
    collections no longer walk them: call once at start-up, after the imports and before the window exists
    (``emdesk.gui.app.main`` does). Returns how many objects are frozen.

    Sound because what exists then (modules, their functions, classes and constants) lives as long as the
    process; it is collected first, so no garbage is frozen. An object frozen that later became cyclic garbage
    would only stay in memory (``gc.unfreeze()`` gives them back). Measured offscreen on the 2-core machine:
    a full collection with the window open 60-140 ms before, 5-7 ms after (CPython's documentation suggests
    the same for long-lived start-up objects: https://docs.python.org/3/library/gc.html#gc.freeze)."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _restore() -> None:
    """At quit, collect once here and give automatic collection back to the interpreter."""
    for collector in _installed.values():
        collector.timer.stop()
    _installed.clear()
    gc.collect()
    gc.enable()


def collect_due() -> None:
    """Runs the collections that are due now (as the timer would); call from the GUI thread, for example
    between tests, where no event loop turns."""
    for collector in list(_installed.values()):
        collector.check()


def installed() -> bool:
    """True while a GUI-thread collector is installed for the running application."""
    app = QtCore.QCoreApplication.instance()
    return app is not None and id(app) in _installed and gc.isenabled() is False
