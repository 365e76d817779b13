"""Test-wide setup: no display, PySide6 as pyqtgraph's binding, no real user settings."""

import os

# Before any QApplication exists (pytest-qt creates it lazily): run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# pyqtgraph tries PyQt6 before PySide6 when both are importable.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# pytest-qt must use the same binding.
os.environ.setdefault("PYTEST_QT_API", "pyside6")

# CI (CI=true) runs the same hypothesis examples on every submission, so a result is reproducible and a
# failure points at the change, not at the draw; locally the examples stay random and explore more.
if os.environ.get("CI"):
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
    _hypothesis_settings.load_profile("ci")


import os as _os
import sys as _sys

import pytest as _pytest


@_pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """Run the tests in one process per CPU this process may use, at most 8 (pytest-xdist, from the test
    extra): two workers on CI's 2 cores; one CPU: this process. Each worker is its own Python process with its own QApplication and temporary
    folders; a file's tests run in one worker (``--dist loadfile``), so a module-scoped fixture is built once.
    ``-n 0`` (or ``-p no:xdist``) runs in this process, as ``--collect-only`` does; without pytest-xdist
    installed, nothing changes."""
    if (config.pluginmanager.hasplugin("xdist") and getattr(config.option, "numprocesses", 0) is None
            and not hasattr(config, "workerinput") and not config.option.collectonly):
        try:
            cpus = len(_os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = _os.cpu_count() or 1
        if cpus > 1:
            config.option.numprocesses = min(cpus, 8)  # each worker holds its own Qt and NumPy: at most 8
            if config.option.dist == "no":
                config.option.dist = "loadfile"


@_pytest.fixture(autouse=True)
def _collect_cycles_in_this_thread():
    """Once a GUI test has moved cycle collection to the GUI thread (emdesk.gui.gui_thread_gc), the tests
    that follow turn no event loop: run the collections that are due after each test, in this thread."""
    yield
    module = _sys.modules.get("emdesk.gui.gui_thread_gc")
    if module is not None:
        module.collect_due()
