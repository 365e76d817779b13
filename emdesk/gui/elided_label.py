"""A one-line label that elides its text ("Converged after 4 iterations in 0.…") when it is narrower than the
text, with the whole text in its tooltip, instead of clipping it mid-word ("Converged after 4 iterations in :"
was seen in the status bar at 1280x720). Its minimum width is small, so a long text never widens a window or
pushes a dock: ``text()`` is always the whole text."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


class ElidedLabel(QtWidgets.QLabel):
    """``QLabel`` for one line of plain text, elided at the right end when it does not fit.

    ``setToolTip`` sets the label's own explanation; while the text is elided the tooltip shows the whole
    text (above that explanation, when there is one).
    """

    def __init__(self, text: str = "", parent=None, min_chars: int = 8):
        super().__init__(text, parent)
        self.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self._tip = ""
        self._min_chars = min_chars
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self._update_tip()

    def minimumSizeHint(self) -> QtCore.QSize:
        hint = super().minimumSizeHint()
        return QtCore.QSize(min(hint.width(), self.fontMetrics().averageCharWidth() * self._min_chars), hint.height())

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self._update_tip()
        self.update()

    def setToolTip(self, tip: str) -> None:  # noqa: N802
        self._tip = tip or ""
        self._update_tip()

    def elided(self) -> bool:
        """Whether the text on screen is cut (with an ellipsis)."""
        return self._shown_text() != self.text()

    def shown_text(self) -> str:
        """The text drawn: the whole text, or its start and "…"."""
        return self._shown_text()

    def _room(self) -> int:
        return max(0, self.contentsRect().width() - 2 * self.margin())

    def _shown_text(self) -> str:
        text = self.text()
        return self.fontMetrics().elidedText(text, QtCore.Qt.TextElideMode.ElideRight, self._room())

    def _update_tip(self) -> None:
        tip = self._tip
        if self.text() and self.elided():
            tip = self.text() + ("\n\n" + self._tip if self._tip else "")
        super().setToolTip(tip)

    def toolTip(self) -> str:  # noqa: N802
        self._update_tip()
        return super().toolTip()

    def event(self, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.ToolTip:  # the text or the width may have changed since
            self._update_tip()
        return super().event(event)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802
        if not self.elided():
            super().paintEvent(event)
            return
        p = QtGui.QPainter(self)
        self.style().drawItemText(p, self.contentsRect().adjusted(self.margin(), self.margin(), -self.margin(),
                                                                  -self.margin()),
                                  int(self.alignment()), self.palette(), self.isEnabled(), self._shown_text(),
                                  self.foregroundRole())
        p.end()
