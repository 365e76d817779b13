"""Cycles are collected in the GUI thread only once a worker thread exists (a Qt wrapper collected in a
worker's thread crashed CI with a segmentation fault inside the bootstrap worker)."""

from __future__ import annotations

import gc
import threading
import weakref

from emdesk.gui import gui_thread_gc
from emdesk.gui.worker import WorkerThread


class _Cycle:
    def __init__(self):
        self.me = self


def test_worker_thread_moves_cycle_collection_to_the_gui_thread(qtbot):
    thread = WorkerThread("gc-test")
    assert gui_thread_gc.installed()
    assert not gc.isenabled()

    collected_in: list[str] = []
    kept: list = []  # (freed allocations lower the collector's generation-0 count again)

    def make_garbage_and_allocate():
        # A reference cycle becomes garbage in a non-GUI thread, then the thread allocates far past the
        # interpreter's generation-0 threshold, where automatic collection would have run right here.
        obj = _Cycle()
        weakref.finalize(obj, lambda: collected_in.append(threading.current_thread().name))
        del obj
        kept.append([[i] for i in range(50 * gc.get_threshold()[0])])

    t = threading.Thread(target=make_garbage_and_allocate, name="not-the-gui-thread")
    t.start()
    t.join()
    assert collected_in == []  # the worker did not collect it
    qtbot.waitUntil(lambda: bool(collected_in), timeout=5000)  # the GUI thread's timer did
    assert collected_in == [threading.main_thread().name]
    del thread


def test_install_from_another_thread_changes_nothing(qapp):
    results = []
    t = threading.Thread(target=lambda: results.append(gui_thread_gc.collect_in_gui_thread()))
    t.start()
    t.join()
    assert results == [False]


def test_freezing_the_start_up_objects_takes_them_out_of_full_collections():
    from emdesk.gui.gui_thread_gc import freeze_startup_objects

    class Kept:
        pass

    before = Kept()
    try:
        frozen = freeze_startup_objects()
        assert frozen == gc.get_freeze_count() > 1000
        assert not any(o is before for o in gc.get_objects())  # frozen: no generation walks it any more
        after = Kept()
        assert any(o is after for o in gc.get_objects())  # what is made later is collected as before
    finally:
        gc.unfreeze()
    assert any(o is before for o in gc.get_objects())
