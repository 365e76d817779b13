"""Read-only tables that format their cells when Qt asks (issue 16: the window stays responsive).

``QTableWidget`` keeps one ``QTableWidgetItem`` (a C++ object and its Python wrapper) per cell: filling the
Results panel's tables of a 40-column fit (about 11,000 cells) took 0.4-0.6 s of the GUI thread, most of it
creating items, setting their roles and ``resizeColumnsToContents`` asking the delegate for every cell's size.
Here the cells stay Python values in a :class:`CellTableModel` (a ``QAbstractTableModel``) and ``data()``
formats a cell when the view paints it (only the cells on screen); column widths come from the texts' font
metrics (:meth:`CellTableView.fit_columns`), not from the delegate.

``CellTableView`` reads like the widget it replaces, for scripts and tests: ``rowCount()``, ``columnCount()``,
``item(row, column)`` and ``horizontalHeaderItem(column)`` give a :class:`Cell` (``text()``, ``data(role)``,
``font()``, ``foreground()``, ``toolTip()``, ``textAlignment()``, ``flags()``), or None outside the table.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import PySide6  # noqa: F401  (the binding first, for pyqtgraph elsewhere)
import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from emdesk.io.report import format_value

__all__ = ["Cell", "CellTableModel", "CellTableView", "cell_text"]

_Role = QtCore.Qt.ItemDataRole
_RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
_DIGITS_TO_ZERO = str.maketrans("123456789", "000000000")


def cell_text(v) -> str:
    """A value as the tables show it: None as "", booleans as yes/no, integers whole, floats to 6
    significant digits (``%.6g``), a non-finite float as "NA", anything else ``str(v)``."""
    return format_value(v)  # the HTML report's cells read the same (emdesk.io.report)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


class CellTableModel(QtCore.QAbstractTableModel):
    """Rows of Python values shown read-only.

    ``set_rows(header, rows, style=None, text=cell_text)``: ``rows`` a list of row sequences (all of the
    header's length); ``text(value)`` formats a cell when it is first shown (then kept); numbers are
    right-aligned and carry their value as ``float`` under ``UserRole``. ``style(row, column, role)``,
    when given, answers the other roles (``ForegroundRole``, ``FontRole``, ``ToolTipRole``, ...; None for
    the default). ``header_tooltips`` (a list, optional) are the header sections' tooltips.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._header: list[str] = []
        self._rows: list[Sequence] = []
        self._texts: list[list | None] = []
        self._text: Callable = cell_text
        self._style: Callable | None = None
        self._header_tips: list | None = None

    def set_rows(self, header, rows, style=None, text=cell_text, header_tooltips=None) -> None:
        self.beginResetModel()
        self._header = [str(h) for h in header]
        self._rows = list(rows)
        self._texts = [None] * len(self._rows)
        self._text = text
        self._style = style
        self._header_tips = None if header_tooltips is None else list(header_tooltips)
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([], [])

    # -- reading ---------------------------------------------------------------------------------
    def value(self, row: int, column: int):
        return self._rows[row][column]

    def text(self, row: int, column: int) -> str:
        """The cell's text, formatted once per row when first asked."""
        texts = self._texts[row]
        if texts is None:
            texts = self._texts[row] = [self._text(v) for v in self._rows[row]]
        return texts[column]

    def column_texts(self, column: int) -> list:
        return [self.text(r, column) for r in range(len(self._rows))]

    def columns_of_texts(self) -> list:
        """Every cell's text, column by column (formats the rows not formatted yet)."""
        for r in range(len(self._rows)):
            if self._texts[r] is None:
                self._texts[r] = [self._text(v) for v in self._rows[r]]
        return [list(col) for col in zip(*self._texts)] if self._rows else [[] for _ in self._header]

    def header_text(self, column: int) -> str:
        return self._header[column]

    # -- QAbstractTableModel ---------------------------------------------------------------------
    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._header)

    def data(self, index, role=_Role.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == _Role.DisplayRole:
            return self.text(r, c)
        if role == _Role.TextAlignmentRole:
            if self._style is not None:
                got = self._style(r, c, role)
                if got is not None:
                    return got
            return _RIGHT if _is_number(self._rows[r][c]) else _LEFT
        if role == _Role.UserRole:
            v = self._rows[r][c]
            return float(v) if _is_number(v) else None
        if self._style is not None and role in (_Role.ForegroundRole, _Role.FontRole, _Role.ToolTipRole,
                                                _Role.BackgroundRole):
            return self._style(r, c, role)
        return None

    def headerData(self, section, orientation, role=_Role.DisplayRole):  # noqa: N802
        if orientation == QtCore.Qt.Orientation.Horizontal and 0 <= section < len(self._header):
            if role == _Role.DisplayRole:
                return self._header[section]
            if role == _Role.ToolTipRole and self._header_tips is not None:
                return self._header_tips[section]
            return None
        if orientation == QtCore.Qt.Orientation.Vertical and role == _Role.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index):
        if not index.isValid():
            return QtCore.Qt.ItemFlag.NoItemFlags
        return QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsSelectable


class Cell:
    """One cell (or header section) of a :class:`CellTableView` as the model gives it now (a reading, not a
    handle: it does not follow later changes)."""

    def __init__(self, model, index=None, section=None):
        self._model, self._index, self._section = model, index, section

    def data(self, role):
        if self._index is not None:
            return self._model.data(self._index, role)
        return self._model.headerData(self._section, QtCore.Qt.Orientation.Horizontal, role)

    def text(self) -> str:
        v = self.data(_Role.DisplayRole)
        return "" if v is None else str(v)

    def toolTip(self) -> str:  # noqa: N802 (the QTableWidgetItem name)
        v = self.data(_Role.ToolTipRole)
        return "" if v is None else str(v)

    def font(self) -> QtGui.QFont:
        v = self.data(_Role.FontRole)
        return QtGui.QFont(v) if v is not None else QtGui.QFont()

    def foreground(self) -> QtGui.QBrush:
        v = self.data(_Role.ForegroundRole)
        return QtGui.QBrush(v) if v is not None else QtGui.QBrush()

    def textAlignment(self) -> int:  # noqa: N802
        v = self.data(_Role.TextAlignmentRole)
        return 0 if v is None else int(v)

    def flags(self):
        return self._model.flags(self._index) if self._index is not None else QtCore.Qt.ItemFlag.ItemIsEnabled


class CellTableView(QtWidgets.QTableView):
    """A read-only ``QTableView`` over its own :class:`CellTableModel` (``model()``); see the module notes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cells = CellTableModel(self)
        self.setModel(self._cells)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)

    def cells(self) -> CellTableModel:
        return self._cells

    def rowCount(self) -> int:  # noqa: N802 (QTableWidget's names, for scripts and tests)
        return self._cells.rowCount()

    def columnCount(self) -> int:  # noqa: N802
        return self._cells.columnCount()

    def item(self, row: int, column: int) -> Cell | None:
        if not (0 <= row < self.rowCount() and 0 <= column < self.columnCount()):
            return None
        return Cell(self._cells, index=self._cells.index(row, column))

    def horizontalHeaderItem(self, column: int) -> Cell | None:  # noqa: N802
        if not 0 <= column < self.columnCount():
            return None
        return Cell(self._cells, section=column)

    def fit_columns(self, max_width: int | None = None) -> list:
        """Sets every column's width to its widest text (cells measured with the view's font metrics, the
        header by the header's own size hint), as ``resizeColumnsToContents`` would, without asking the
        delegate for each cell; ``max_width`` caps a column. Returns the widths."""
        fm = QtGui.QFontMetricsF(self.font())  # (fractional widths, rounded up: an integer advance can be
        # a pixel short of the laid-out text, and the delegate then elides it)
        # QCommonStyle pads an item view's text by (PM_FocusFrameHMargin + 1) on each side; a shown grid
        # adds 1 px (QTableView::sizeHintForColumn)
        pad = 2 * (self.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1)
        pad += 1 if self.showGrid() else 0
        header = self.horizontalHeader()
        widths = []
        advance = fm.horizontalAdvance
        # When every digit has the same advance (tabular figures, as in the usual UI fonts), texts that differ
        # only in their digits are equally wide: one measurement per shape ("-0.00000e-00") instead of per cell
        same = fm.horizontalAdvance("0")
        tabular = all(fm.horizontalAdvance(d) == same for d in "123456789")
        # A header section's size hint is its text's width (the widest line) plus margins that do not depend on
        # the text: asked of Qt for the first section, the others are measured with the header's font
        bold = QtGui.QFont(header.font())
        bold.setBold(True)  # (QHeaderView::sectionSizeFromContents measures with the bold font)
        hfm = QtGui.QFontMetricsF(bold)
        header_pad = None
        for c, texts in enumerate(self._cells.columns_of_texts()):
            texts = set(texts)
            if tabular:
                texts = {t.translate(_DIGITS_TO_ZERO) for t in texts}
            w = math.ceil(max((advance(t) for t in texts), default=0.0)) + pad
            title = self._cells.header_text(c)
            if not header.isHidden() and title:
                text_w = math.ceil(max(hfm.horizontalAdvance(line) for line in title.split("\n")))
                if header_pad is None:
                    header_pad = header.sectionSizeHint(c) - text_w
                w = max(w, text_w + header_pad)
            if not header.isHidden():
                w = max(w, header.minimumSectionSize())
            if max_width is not None:
                w = min(w, max_width)
            self.setColumnWidth(c, w)
            widths.append(w)
        return widths
