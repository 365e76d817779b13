"""Application entry point (filled in by the desktop-app work)."""

import sys


def main(argv=None) -> int:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv if argv is None else ["emdesk", *argv])
    window = QMainWindow()
    window.setWindowTitle("emdesk")
    window.show()
    return app.exec()
