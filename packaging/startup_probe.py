"""PyInstaller runtime hook: report when the first window paints, for ``build.py``'s startup figure.

Inactive unless the environment variable ``EMDESK_STARTUP_PROBE`` is set (``build.py`` sets it when
it runs the built app), so the shipped app behaves exactly as without it. When active, it prints one
line, ``emdesk-startup-probe: first window painted``, on the first paint of a top-level window;
``build.py`` takes the time from starting the process to reading that line. That covers the
bootloader, Python's start, every import, building the main window and its first paint. A windowed
Windows executable has no standard output, so there the figure is not available.
"""

import os

if os.environ.get("EMDESK_STARTUP_PROBE"):

    def _install_probe():
        import sys

        from PySide6 import QtCore, QtWidgets

        original_show = QtWidgets.QWidget.show
        state = {"filter": None}

        class _FirstPaint(QtCore.QObject):
            def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
                if (
                    event.type() == QtCore.QEvent.Type.Paint
                    and isinstance(obj, QtWidgets.QWidget)
                    and obj.isWindow()
                ):
                    if sys.stdout is not None:  # None in a windowed Windows executable
                        sys.stdout.write("emdesk-startup-probe: first window painted\n")
                        sys.stdout.flush()
                    QtWidgets.QApplication.instance().removeEventFilter(self)
                    QtWidgets.QWidget.show = original_show
                return False

        def show(self):
            original_show(self)
            app = QtWidgets.QApplication.instance()
            if state["filter"] is None and app is not None and self.isWindow():
                state["filter"] = _FirstPaint(app)
                app.installEventFilter(state["filter"])

        QtWidgets.QWidget.show = show

    _install_probe()
    del _install_probe
