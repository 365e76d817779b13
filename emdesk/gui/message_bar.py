"""The window's message strip: errors, warnings and notices, non-modal, dismissable."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

#: the strip shows at most this many lines of text and scrolls the rest: a long message (a fit of 40 columns
#: naming 13 constant or dependent groups: 24 lines) took 360 of a 1280x720 window's pixels and left the plot
#: 80 px high
MAX_LINES = 5


class MessageBar(QtWidgets.QFrame):
    """A non-modal message strip at the top of the window (errors, notices); a long message scrolls."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidget(self.label)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        close = QtWidgets.QToolButton()
        close.setText("\u2715")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.addWidget(self.scroll, 1)
        lay.addWidget(close, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_text(self, text: str, level: str) -> None:
        colors = {"error": ("#fdecea", "#c62828", "#611a15"), "warning": ("#fff4e5", "#ef8d00", "#663c00"),
                  "info": ("#e8f4fd", "#1976d2", "#0d3c61")}
        bg, border, fg = colors.get(level, colors["info"])
        self.setStyleSheet(f"MessageBar {{ background: {bg}; border: 1px solid {border}; border-radius: 4px; }}"
                           f"QLabel {{ color: {fg}; background: transparent; }}"
                           "QScrollArea, QScrollArea > QWidget { background: transparent; border: none; }")
        self.label.setText(text)
        # the height first: showing a child lays its parent out at once (Qt activates the parent's layout),
        # which with the scroll area's unfixed size hint gave the bar 84 px for one line, then 35 px a moment
        # later: two layouts and two paints of every plot at the end of a fit that did not converge
        self._fit_height()
        self.show()

    def text_height_cap(self) -> int:
        """The most pixels the text takes (``MAX_LINES`` lines); the rest scrolls."""
        return self.label.fontMetrics().lineSpacing() * MAX_LINES + 4

    def _text_width(self) -> int:
        """The scroll area's width once laid out. A bar just shown has not been laid out yet (its scroll area
        has the width it had when hidden, or Qt's default): the strip takes the width of the layout it sits
        in, less its frame, margins, spacing and close button. Before, the text's height was first computed
        for that stale width (5 lines for a 1-line message), the window laid out and painted with it, and
        then again with the real height when the bar's resize came: at the end of a fit that did not converge,
        two layouts and two paints of every plot (issue 16, the end-of-fit repaint)."""
        parent = self.parentWidget()
        outer = parent.layout() if parent is not None else None
        if outer is None or outer.indexOf(self) < 0 or outer.contentsRect().width() <= 0:
            return self.scroll.width()
        lay = self.layout()
        m = lay.contentsMargins()
        close = lay.itemAt(1).widget()
        return (outer.contentsRect().width() - 2 * self.frameWidth() - m.left() - m.right() - lay.spacing()
                - close.sizeHint().width())

    def _fit_height(self) -> None:
        bar = self.scroll.verticalScrollBar()
        width = max(self._text_width() - (bar.sizeHint().width() if bar.isVisible() else 0), 80)
        need = self.label.heightForWidth(width)
        if need <= 0:
            need = self.label.sizeHint().height()
        self.scroll.setFixedHeight(min(need + 2, self.text_height_cap()))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.isVisible():
            self._fit_height()
