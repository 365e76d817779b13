"""The engine and the file layer are pure NumPy/SciPy: importing them loads no Qt and no GUI code."""

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "emdesk.gui")


@pytest.mark.parametrize("module", ["emdesk.engine", "emdesk.io", "emdesk.cli", "emdesk.cli_runs", "emdesk.cli_select"])
def test_module_imports_no_qt(module):
    code = (
        "import json, sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == [], f"{module} imports {bad}"
