"""Builds the desktop bundle with PyInstaller and runs its smoke test, so a broken spec cannot land.

Uses ``packaging/build.py --no-venv`` (the running Python, which has emdesk and PyInstaller
installed: a fresh virtual environment would download PySide6 on every run). About 30 s on two cores.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.packaging


def test_bundle_builds_and_passes_its_smoke_test(tmp_path):
    pytest.importorskip("PyInstaller")
    dist, work = tmp_path / "dist", tmp_path / "work"
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"), "--no-venv",
         "--dist", str(dist), "--work", str(work), "--timeout", "240"],
        capture_output=True, text=True, errors="replace", timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]

    bundle = dist / "emdesk"
    name = "emdesk.exe" if sys.platform == "win32" else "emdesk"
    assert (bundle / name).is_file()
    if sys.platform == "darwin":
        assert (dist / "emdesk.app" / "Contents" / "Info.plist").is_file()
    internal = bundle / "_internal"
    # The package's data and metadata made it in; other Qt bindings and test packages did not.
    assert any((internal / "emdesk" / "gui" / "resources").glob("*.csv"))
    assert any(internal.glob("emdesk-*.dist-info"))
    for absent in ("PyQt5", "PyQt6", "PySide2", "tkinter", "pytest", "hypothesis", "sklearn", "pandas"):
        assert not (internal / absent).exists(), absent
    assert not (internal / "PySide6" / "Qt" / "translations").exists()
    dangling = [p for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert not dangling, dangling
    assert "emdesk smoke test passed" in output
    # The text probe ran in the built app (build.py fails when one of its checks fails).
    assert "ok   label text renders" in output and "ok   QCollator compares (no crash)" in output
    if sys.platform.startswith("linux") and "ICU data: replaced" in output:
        # Qt's 30.6 MiB ICU data is the empty stand-in, and the app loaded that one.
        icu_data = next((internal / "PySide6" / "Qt" / "lib").glob("libicudata.so.*"))
        assert icu_data.stat().st_size < 100_000
        assert f"{icu_data.name} ({icu_data.stat().st_size} bytes)" in output
    # ~300 MB of build output: do not leave it in pytest's kept temporary folders.
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(dist, ignore_errors=True)
