"""Entry script of the PyInstaller bundle: start the emdesk desktop application.

PyInstaller needs a script file (not a module name); this is the smallest one that runs
``emdesk.gui.app.main()`` exactly as the installed ``emdesk`` entry point does (it reads ``sys.argv``).
"""

import os
import sys

# pyqtgraph tries PyQt6 before PySide6 when both are importable; the bundle only carries PySide6,
# but say so explicitly so pyqtgraph never probes for the others.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from emdesk.gui.app import main  # noqa: E402  (after the environment is set)

if __name__ == "__main__":
    sys.exit(main())
