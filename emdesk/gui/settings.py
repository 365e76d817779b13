"""Persistent settings (QSettings): recent files, last folder, window geometry and dock state, fit options.

The application sets the organisation and application names (see app.py), so ``Settings()`` uses the
platform's native store; tests pass a QSettings on a temporary INI file instead.
"""

from __future__ import annotations

import json
import os

from PySide6 import QtCore

MAX_RECENT = 10


class Settings:
    def __init__(self, qsettings: QtCore.QSettings | None = None):
        self.q = qsettings if qsettings is not None else QtCore.QSettings()

    # -- recent files -------------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        raw = self.q.value("recentFiles", "[]")
        try:
            items = json.loads(raw) if isinstance(raw, str) else list(raw or [])
        except (ValueError, TypeError):
            items = []
        return [str(p) for p in items if isinstance(p, str)][:MAX_RECENT]

    def add_recent_file(self, path: str) -> list[str]:
        path = os.path.abspath(path)
        items = [p for p in self.recent_files() if p != path]
        items.insert(0, path)
        items = items[:MAX_RECENT]
        self.q.setValue("recentFiles", json.dumps(items))
        self.set_last_folder(os.path.dirname(path))
        return items

    def clear_recent_files(self) -> None:
        self.q.setValue("recentFiles", "[]")

    # -- folders ------------------------------------------------------------------------------------
    def last_folder(self) -> str:
        value = self.q.value("lastFolder", "")
        return str(value) if value and os.path.isdir(str(value)) else os.path.expanduser("~")

    def set_last_folder(self, folder: str) -> None:
        self.q.setValue("lastFolder", folder)

    # -- window -------------------------------------------------------------------------------------
    def window_geometry(self) -> QtCore.QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QtCore.QByteArray) else None

    def window_state(self) -> QtCore.QByteArray | None:
        value = self.q.value("window/state")
        return value if isinstance(value, QtCore.QByteArray) else None

    def set_window(self, geometry: QtCore.QByteArray, state: QtCore.QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    # -- fit options --------------------------------------------------------------------------------
    def fit_options(self) -> dict:
        raw = self.q.value("fit/options", "{}")
        try:
            value = json.loads(raw) if isinstance(raw, str) else {}
        except ValueError:
            value = {}
        return value if isinstance(value, dict) else {}

    def set_fit_options(self, options: dict) -> None:
        self.q.setValue("fit/options", json.dumps(options))

    def missing_mode(self) -> str:
        """How the window treats rows with missing values in the ticked columns: "marginalize" (fit them
        with exact EM, the default) or "drop" (fit complete rows only)."""
        value = self.q.value("fit/missing", "marginalize")
        return value if value in ("marginalize", "drop") else "marginalize"

    def set_missing_mode(self, mode: str) -> None:
        self.q.setValue("fit/missing", str(mode))

    def animation_delay(self) -> float:
        try:
            return float(self.q.value("fit/animationDelay", 0.0))
        except (TypeError, ValueError):
            return 0.0

    def set_animation_delay(self, seconds: float) -> None:
        self.q.setValue("fit/animationDelay", float(seconds))

    def sync(self) -> None:
        self.q.sync()
