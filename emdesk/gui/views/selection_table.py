"""The model-selection dialog's table: one row per fit of the sweep (components, model, status,
BIC/AIC/ICL, log-likelihood, ...), growing as fits finish, sortable by any column with a stable fallback to
the sweep order. The Status column says "best", "ok", "degenerate" or "failed" (the reasons in its tooltip),
so it stays narrow."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui

from emdesk.engine.covariance_models import MODEL_NAMES, MODEL_NAMES_1D
from emdesk.engine.selection import COVARIANCE_TYPES, CRITERIA

#: Sort order of the Model column: scikit-learn's names, then mclust's, then the other families.
_MODEL_ORDER = list(COVARIANCE_TYPES) + list(MODEL_NAMES) + list(MODEL_NAMES_1D)

COLUMNS = (
    ("Components", "n_components"),
    ("Model", "covariance_type"),
    ("Status", "status"),
    ("BIC", "bic"),
    ("AIC", "aic"),
    ("ICL", "icl"),
    ("Log-likelihood", "log_likelihood"),
    ("Parameters", "n_parameters"),
    ("Iterations", "n_iter"),
    ("Converged", "converged"),
    ("Time (s)", "seconds"),
)
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
ROW_ROLE = QtCore.Qt.ItemDataRole.UserRole + 2


class SelectionTableModel(QtCore.QAbstractTableModel):
    """Rows of a SelectionResult; grows as fits finish (rows are inserted, not reset)."""

    def __init__(self, parent=None, label=None, color=None):
        # label(key) -> the Model column's text of a row's covariance_type (line key); color(key) -> QColor
        super().__init__(parent)
        self._rows: list = []
        self._best = None
        self._label = label or (lambda key: key)
        self._color = color

    # -- content ---------------------------------------------------------------------------------
    def set_result(self, result) -> None:
        new_rows = [] if result is None else list(result.table)
        old_ids = [id(r) for r in self._rows]
        old_set = set(old_ids)
        if old_ids and [id(r) for r in new_rows if id(r) in old_set] == old_ids:
            # Same rows plus new ones: insert each new row at its position.
            present = set(old_ids)
            for pos, r in enumerate(new_rows):
                if id(r) not in present:
                    self.beginInsertRows(QtCore.QModelIndex(), pos, pos)
                    self._rows.insert(pos, r)
                    self.endInsertRows()
                    present.add(id(r))
        else:
            self.beginResetModel()
            self._rows = new_rows
            self.endResetModel()
        self._best = None if result is None else result.best_row
        if self._rows:
            # The best row (bold, "best") may have changed with every new fit.
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    def row_at(self, i: int):
        return self._rows[i]

    def position_of(self, row) -> int:
        for i, r in enumerate(self._rows):
            if r is row:
                return i
        return -1

    # -- Qt model --------------------------------------------------------------------------------
    def rowCount(self, parent=QtCore.QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if role == QtCore.Qt.ItemDataRole.DisplayRole and orientation == QtCore.Qt.Orientation.Horizontal:
            return COLUMNS[section][0]
        if role == QtCore.Qt.ItemDataRole.ToolTipRole and orientation == QtCore.Qt.Orientation.Horizontal:
            if COLUMNS[section][1] in CRITERIA:
                return "Lower is better"
        return None

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        key = COLUMNS[index.column()][1]
        R = QtCore.Qt.ItemDataRole
        if role == R.DisplayRole:
            return self._display(r, key)
        if role == SORT_ROLE:
            return self._sort_key(r, key)
        if role == ROW_ROLE:
            return r.index
        if role == R.ToolTipRole:
            if r.error:
                return f"This fit failed: {r.error}"
            if r.issues:
                kinds = dict.fromkeys(i.kind.replace("_", " ") for i in r.issues)
                return ("Degenerate (" + ", ".join(kinds) + "), never chosen:\n"
                        + "\n".join(i.message for i in r.issues))
            if r is self._best:
                return "The model the criterion prefers"
            return None
        if role == R.FontRole and r is self._best:
            f = QtGui.QFont()
            f.setBold(True)
            return f
        if role == R.ForegroundRole:
            if r.error:
                return QtGui.QBrush(QtGui.QColor(180, 30, 30))
            if r.degenerate:
                return QtGui.QBrush(QtGui.QColor(130, 130, 130))
            if key == "covariance_type" and self._color is not None:
                return QtGui.QBrush(self._color(r.covariance_type))
        if role == R.TextAlignmentRole and key not in ("covariance_type", "status"):
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, r, key):
        if key == "status":
            if r.error:
                return "failed"
            if r.degenerate:  # the kinds, components and reasons in the tooltip
                return "degenerate"
            return "best" if r is self._best else "ok"
        if key == "covariance_type":
            return self._label(r.covariance_type)
        if not r.ok and key not in ("n_components", "covariance_type", "seconds"):
            return ""
        v = getattr(r, key)
        if key == "converged":
            return "yes" if v else "no"
        if key == "seconds":
            return f"{v:.2f}"
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:.2f}"
        return str(v)

    def _sort_key(self, r, key):
        if key == "status":
            return 0 if r is self._best else (1 if r.eligible else (2 if r.ok else 3))
        if key == "covariance_type":
            t = r.covariance_type
            return _MODEL_ORDER.index(t) if t in _MODEL_ORDER else len(_MODEL_ORDER) + sum(map(ord, t))
        v = getattr(r, key)
        if isinstance(v, bool):
            return int(v)
        v = float(v)
        return math.inf if math.isnan(v) else v


class _SortProxy(QtCore.QSortFilterProxyModel):
    def lessThan(self, left, right) -> bool:
        a = left.data(SORT_ROLE)
        b = right.data(SORT_ROLE)
        if a == b:  # stable: fall back to the sweep order
            return left.data(ROW_ROLE) < right.data(ROW_ROLE)
        return a < b


