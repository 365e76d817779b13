"""Entry script of the PyInstaller bundle: start the emdesk desktop application.

PyInstaller needs a script file (not a module name); this is the smallest one that runs
``emdesk.gui.app.main()`` exactly as the installed ``emdesk`` entry point does (it reads ``sys.argv``).
"""

import multiprocessing
import os
import sys

# First of all: a worker process of the model-selection sweep (emdesk.engine._workers) starts this
# same executable with --multiprocessing-fork arguments; freeze_support() runs the worker and exits
# there, before anything imports Qt (PyInstaller's runtime hook makes it work on every platform).
multiprocessing.freeze_support()

# pyqtgraph tries PyQt6 before PySide6 when both are importable; the bundle only carries PySide6,
# but say so explicitly so pyqtgraph never probes for the others.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from emdesk.gui.app import main  # noqa: E402  (after the environment is set)

if __name__ == "__main__":
    sys.exit(main())
