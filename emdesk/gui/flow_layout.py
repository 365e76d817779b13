"""A layout that places its widgets left to right and wraps them onto further rows when the width runs out
(the guard bar's fix buttons): its minimum width is its widest widget, not the sum of them, so a row of buttons
never widens the window or pushes a dock (the guard bar's one row of four buttons needed 771-813 px and
crushed the Results dock to 123-156 px at 1280x720). The height follows the width (``heightForWidth``).

Written for emdesk after Qt's "Flow Layout" example (https://doc.qt.io/qt-6/qtwidgets-layouts-flowlayout-example.html).
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class FlowLayout(QtWidgets.QLayout):
    """Left-to-right rows of widgets, wrapping at the layout's width; ``spacing`` px between widgets and rows.
    Hidden widgets take no room. Items keep their size hints (never stretched)."""

    def __init__(self, parent=None, spacing: int = 6):
        super().__init__(parent)
        self._items: list[QtWidgets.QLayoutItem] = []
        self._gap = spacing
        self._rows: list[list[QtWidgets.QWidget]] = []  # the widgets by row as last placed
        self.setContentsMargins(0, 0, 0, 0)

    # --------------------------------------------------------------------------------------- QLayout API
    def addItem(self, item) -> None:  # noqa: N802 (Qt's name)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):  # noqa: N802
        return QtCore.Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._place(QtCore.QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QtCore.QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._place(rect, move=True)

    def minimumSize(self) -> QtCore.QSize:  # noqa: N802
        """The widest (shown) widget's minimum, and one row's height."""
        size = QtCore.QSize()
        for item in self._shown():
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QtCore.QSize(m.left() + m.right(), m.top() + m.bottom())

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802
        """All shown widgets in one row (the layout wraps them when it is given less)."""
        w = h = 0
        shown = self._shown()
        for item in shown:
            hint = item.sizeHint()
            w += hint.width()
            h = max(h, hint.height())
        m = self.contentsMargins()
        return QtCore.QSize(w + self._gap * max(0, len(shown) - 1) + m.left() + m.right(), h + m.top() + m.bottom())

    # ------------------------------------------------------------------------------------------ placing
    def rows(self) -> list[list[QtWidgets.QWidget]]:
        """The shown widgets by row, as last placed (tests read it)."""
        return [list(row) for row in self._rows]

    def _shown(self) -> list:
        return [item for item in self._items if not item.isEmpty()]

    def _place(self, rect: QtCore.QRect, move: bool) -> int:
        """Lay the items out in ``rect`` (``move``: set their geometry, each centred in its row's height);
        return the height used."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        rows: list[list] = [[]]
        x = area.x()
        for item in self._shown():
            hint = item.sizeHint().boundedTo(item.maximumSize()).expandedTo(item.minimumSize())
            width = min(hint.width(), max(1, area.width()))
            if rows[-1] and x + width > area.right() + 1:  # no room left in this row: the next one
                rows.append([])
                x = area.x()
            rows[-1].append((item, x, width, hint.height()))
            x += width + self._gap
        if move:
            self._rows = [[item.widget() for item, *_ in r if item.widget() is not None] for r in rows if r]
        y = area.y()
        for row in rows:
            row_h = max((h for *_, h in row), default=0)
            if move:
                for item, x, width, h in row:
                    item.setGeometry(QtCore.QRect(x, y + (row_h - h) // 2, width, h))
            y += row_h + self._gap
        return max(0, y - self._gap - rect.y()) + m.bottom()
