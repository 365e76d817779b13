"""GUI test fixtures: settings in a temporary INI file, no blocking dialogs, no thread left running."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtCore, QtWidgets  # noqa: E402  (after tests/conftest.py set the offscreen platform)

import emdesk.gui.worker as worker_mod  # noqa: E402
from emdesk.gui.gui_thread_gc import collect_due  # noqa: E402


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path, monkeypatch):
    """Any default-constructed QSettings lands in a temporary folder under a test organisation."""
    QtCore.QCoreApplication.setOrganizationName("emdesk-tests")
    QtCore.QCoreApplication.setApplicationName("emdesk-tests")
    for fmt in (QtCore.QSettings.Format.NativeFormat, QtCore.QSettings.Format.IniFormat):
        for scope in (QtCore.QSettings.Scope.UserScope, QtCore.QSettings.Scope.SystemScope):
            QtCore.QSettings.setPath(fmt, scope, str(tmp_path / "qsettings"))
    yield


@pytest.fixture(autouse=True)
def _no_modal_dialogs(monkeypatch):
    """A modal dialog would block an offscreen test forever: record calls and fail loudly instead."""
    calls = []

    def fake(*args, **kwargs):
        calls.append(args)
        return QtWidgets.QMessageBox.StandardButton.Ok

    for name in ("critical", "warning", "information", "question", "about"):
        monkeypatch.setattr(QtWidgets.QMessageBox, name, staticmethod(fake))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    # "A fit is running on ... Stop it and open ...?" (emdesk.gui.controllers.open_guard): Stop and open
    import emdesk.gui.controllers.open_guard as open_guard

    monkeypatch.setattr(open_guard, "ask_stop_fit", lambda *a, **k: True)
    yield calls


@pytest.fixture(autouse=True)
def _no_thread_left_running(qapp):
    """Fail any test that leaves one of the app's QThreads running."""
    yield
    # pytest-qt closes widgets registered with qtbot before fixture teardown; give queued events a pass.
    qapp.processEvents()
    alive = worker_mod.running_threads()
    if alive:
        names = ", ".join(t.objectName() for t in alive)
        for t in alive:  # do not leak into the next test
            t.quit()
            t.wait(5000)
        pytest.fail(f"test left QThread(s) running: {names}")
    # Cycles are collected in the GUI thread only (emdesk.gui.gui_thread_gc); no event loop turns between
    # tests, so run the collections that are due here, in the GUI thread.
    collect_due()


@pytest.fixture
def settings(tmp_path):
    return QtCore.QSettings(str(tmp_path / "emdesk.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    from emdesk.gui.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    # The app's default is 5 restarts (issue 15); these tests follow one restart's iterations unless they
    # ask for more (test_seed_and_examples checks the default on a window of its own).
    w.set_options(n_init=1)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


@pytest.fixture
def csv_2d(tmp_path):
    import numpy as np

    rng = np.random.default_rng(3)
    a = rng.normal((0, 0), 0.5, (150, 2))
    b = rng.normal((4, 3), 0.7, (150, 2))
    X = np.vstack([a, b])
    p = tmp_path / "two.csv"
    lines = ["a,b,label"] + [f"{x:.5f},{y:.5f},{'L' if i < 150 else 'R'}" for i, (x, y) in enumerate(X)]
    p.write_text("\n".join(lines) + "\n")
    return p


@pytest.fixture
def two_clusters(tmp_path):
    """x,y: 150 rows around (0, 0) and 150 around (6, 6), unit spread (a two-component CSV)."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (150, 2)), rng.normal(6, 1, (150, 2))]
    p = tmp_path / "two.csv"
    np.savetxt(p, X, delimiter=",", header="x,y", comments="", fmt="%.5f")
    return p


@pytest.fixture
def rgb_pixels():
    """``count(widget, rgb, tol=40)``: how many pixels of the widget's rendering are within ``tol`` (sum of
    channel differences) of the colour ``rgb``."""
    import numpy as np
    from PySide6 import QtGui

    def count(widget, rgb, tol=40) -> int:
        img = widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
        arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
        arr = arr.reshape(img.height(), img.bytesPerLine())[:, : img.width() * 4]
        arr = arr.reshape(img.height(), img.width(), 4)
        d = np.abs(arr[:, :, :3].astype(int) - np.array(rgb[::-1])[None, None, :]).sum(axis=2)  # BGRA
        return int((d < tol).sum())

    return count


@pytest.fixture
def saved_hmm_fit(qtbot):
    """A callable ``(window, csv_path, max_iter) -> path``: opens the CSV (columns site, day, level), fits a
    2-state Gaussian HMM of ``level`` with sequences ``site`` ordered by ``day``, saves it as ``hmm-fit.json``
    beside the CSV and waits for the Results summary."""

    def fit_and_save(window, csv_path, max_iter):
        window.open_csv(csv_path)
        window.set_model_kind("hmm", "gaussian")
        window.set_sequence("site", "day")
        window.select_columns(["level"])
        window.set_options(n_components=2, random_state=0, max_iter=max_iter)
        with qtbot.waitSignal(window.fitFinished, timeout=60_000):
            window.start_fit()
        out = csv_path.parent / "hmm-fit.json"
        window.export_fit(out)
        qtbot.waitUntil(lambda: not window.results.summary_pending(), timeout=30_000)
        return out

    return fit_and_save
