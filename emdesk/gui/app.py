"""Application entry point: ``emdesk [file.csv] [--smoke-test]``.

With no file the window opens on a bundled example and fits it, so a first start shows EM at work.
``--smoke-test`` opens the real window, loads the bundled example, fits it through the worker thread,
exports the fit to a temporary file, reads it back and exits 0 (non-zero with a message on failure).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

ORGANIZATION = "emdesk"
APPLICATION = "emdesk"


def _parse(argv):
    parser = argparse.ArgumentParser(prog="emdesk", description="Watch EM fit Gaussian mixtures to a CSV.")
    parser.add_argument("file", nargs="?", help="a CSV file to open")
    parser.add_argument("--smoke-test", action="store_true",
                        help="open the window, fit the bundled example, export and check it, then exit")
    return parser.parse_args(argv)


def make_application(argv=None):
    import PySide6  # noqa: F401  (before pyqtgraph)
    from PySide6 import QtCore, QtWidgets

    QtCore.QCoreApplication.setOrganizationName(ORGANIZATION)
    QtCore.QCoreApplication.setApplicationName(APPLICATION)
    app = QtWidgets.QApplication.instance()
    if app is None:
        from emdesk.gui.window_size import use_exact_dpi_scaling
        use_exact_dpi_scaling()
        app = QtWidgets.QApplication(["emdesk", *(argv or [])])
    app.setApplicationDisplayName("emdesk")
    from emdesk.gui.gui_thread_gc import collect_in_gui_thread

    collect_in_gui_thread()  # cycles collected in the GUI thread only, never in a worker's
    from emdesk.gui.main_window import app_icon

    icon = app_icon()
    if icon is not None:
        app.setWindowIcon(icon)
    return app


def smoke_test(timeout_s: float = 120.0) -> int:
    """Returns 0 when the bundled example fits and exports through the real window, else 1."""
    from PySide6 import QtCore

    app = make_application()
    from emdesk.gui.main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="emdesk-smoke-") as tmp:
        # The smoke test never touches the user's settings.
        settings = QtCore.QSettings(os.path.join(tmp, "settings.ini"), QtCore.QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        window.show()
        outcome: dict = {}
        loop = QtCore.QEventLoop()

        def finished():
            outcome["ok"] = True
            loop.quit()

        def failed(message):
            outcome["error"] = message
            loop.quit()

        window.fitFinished.connect(finished)
        window.fitFailed.connect(failed)
        try:
            window.open_example(fit=False)
            window.set_options(n_components=3, random_state=0, max_iter=200)
            window.start_fit()
            QtCore.QTimer.singleShot(int(timeout_s * 1000), loop.quit)
            if "ok" not in outcome and "error" not in outcome:
                loop.exec()
            if "error" in outcome:
                raise RuntimeError(f"the fit failed: {outcome['error']}")
            if "ok" not in outcome:
                raise RuntimeError(f"the fit did not finish within {timeout_s:.0f} s")
            out = os.path.join(tmp, "fit.json")
            window.export_fit(out)
            from emdesk.io import load_fit

            model = load_fit(out)
            if model.means_.shape != (3, 2):
                raise RuntimeError(f"exported fit has means of shape {model.means_.shape}, expected (3, 2)")
            n_snap = len(window.history)
            sweep = _smoke_test_sweep(model, timeout_s)
            print(f"emdesk smoke test passed: {n_snap} snapshots, log-likelihood "
                  f"{window.model.log_likelihood_:.3f}, export {os.path.getsize(out)} bytes; {sweep}")
            code = 0
        except Exception as exc:  # report, never a traceback dump only
            print(f"emdesk smoke test FAILED: {exc}", file=sys.stderr)
            code = 1
        finally:
            window.close()
            app.processEvents()
    return code


def _smoke_test_sweep(model, timeout_s: float) -> str:
    """A model-selection sweep in worker processes (spawned from this executable: in the bundle,
    ``multiprocessing.freeze_support()`` in the entry script runs them) gives the serial table."""
    from emdesk.engine import _workers, select_model

    pid = _workers.start(1)[0].result(timeout=timeout_s)
    if pid == os.getpid():
        raise RuntimeError("the selection worker ran in the application's own process")
    X, _ = model.sample(300)
    kw = dict(n_components=range(1, 4), covariance_types=("full", "diag"), n_init=2, random_state=0)
    parallel = select_model(X, n_jobs=2, **kw)
    serial = select_model(X, n_jobs=1, **kw)
    if [r.bic for r in parallel.table] != [r.bic for r in serial.table]:
        raise RuntimeError("the model-selection sweep in worker processes differs from the serial one")
    return f"model selection in a worker process (pid {pid}) matches the serial sweep"


def install_file_open_handler(app, window):
    """Open files the desktop hands to the running application (macOS Finder's Open With, a CSV
    dropped on the Dock icon, or double-clicked with emdesk as its default application): Qt delivers
    them as ``QEvent.FileOpen`` to the application object, not on the command line. Returns the
    handler (keep a reference); its ``opened`` list records the paths it passed to the window.
    """
    from PySide6 import QtCore

    class FileOpenHandler(QtCore.QObject):
        def __init__(self, parent=None):
            super().__init__(parent)
            self.opened: list[str] = []

        def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
            if event.type() == QtCore.QEvent.Type.FileOpen:
                path = event.file() or event.url().toLocalFile()
                if path:
                    self.opened.append(path)
                    try:
                        # as a file chosen in the Open dialog: a workbook's sheet picker, the import options
                        # remembered for it, the import preview when detection is unsure
                        window.importer.open_path(path)
                    except Exception as exc:  # shown in the window already for data errors
                        window.show_message(str(exc), "error")
                    return True
            return False

    handler = FileOpenHandler(window)
    app.installEventFilter(handler)
    return handler


#: Exit status when a system library Qt needs is missing (Qt itself would abort with 134).
EXIT_MISSING_LIBRARIES = 3


def check_platform() -> int:
    """0 when Qt can start; else prints what is missing (a system library and how to install it, or a
    display) to stderr and returns :data:`EXIT_MISSING_LIBRARIES`. Runs before any QApplication exists
    (see gui/platform_check.py)."""
    from emdesk.gui.platform_check import check_xcb, no_display_message

    message = no_display_message() or check_xcb()
    if message is None:
        return 0
    print(message, file=sys.stderr)
    return EXIT_MISSING_LIBRARIES


def main(argv=None) -> int:
    args = _parse(sys.argv[1:] if argv is None else list(argv))
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    if args.smoke_test:
        headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                             or os.environ.get("WAYLAND_DISPLAY"))
        if headless:  # a build machine or CI without a display: the window renders offscreen
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    code = check_platform()
    if code:
        return code
    if args.smoke_test:
        return smoke_test()
    app = make_application()
    from emdesk.gui.gui_thread_gc import freeze_startup_objects
    from emdesk.gui.main_window import MainWindow

    freeze_startup_objects()  # the imported modules are never walked by the GUI thread's full collections
    window = MainWindow()
    file_open = install_file_open_handler(app, window)
    window.show()

    def first_file():
        try:
            if args.file:  # as File > Open (a workbook of several sheets asks which one)
                window.importer.open_path(args.file)
            elif not file_open.opened:  # started by the desktop to open a file: no example
                window.open_example(fit=True)
        except Exception as exc:  # shown in the window already for data errors
            window.show_message(str(exc), "error")

    from PySide6 import QtCore

    QtCore.QTimer.singleShot(0, first_file)
    return app.exec()
