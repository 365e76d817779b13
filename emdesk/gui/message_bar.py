"""The window's message strip: errors, warnings and notices, non-modal, dismissable."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class MessageBar(QtWidgets.QFrame):
    """A non-modal message strip at the top of the window (errors, notices)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QtWidgets.QToolButton()
        close.setText("\u2715")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.addWidget(self.label, 1)
        lay.addWidget(close)
        self.hide()

    def show_text(self, text: str, level: str) -> None:
        colors = {"error": ("#fdecea", "#c62828", "#611a15"), "warning": ("#fff4e5", "#ef8d00", "#663c00"),
                  "info": ("#e8f4fd", "#1976d2", "#0d3c61")}
        bg, border, fg = colors.get(level, colors["info"])
        self.setStyleSheet(f"MessageBar {{ background: {bg}; border: 1px solid {border}; border-radius: 4px; }}"
                           f"QLabel {{ color: {fg}; }}")
        self.label.setText(text)
        self.show()
