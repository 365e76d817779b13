"""The desktop application (PySide6 + pyqtgraph)."""
