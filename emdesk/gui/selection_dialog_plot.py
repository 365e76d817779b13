"""The model-selection dialog's criterion plot: one line per model (mclust's symbols and colours), degenerate
fits crossed, the best and the selected row marked, and the y-range focused on the competitive models.
A mixin of :class:`~emdesk.gui.selection_dialog.SelectionDialog` (the plot items are built in
``selection_dialog_layout``)."""


from __future__ import annotations

import math

import PySide6  # noqa: F401  (import the binding before pyqtgraph so pyqtgraph picks PySide6)
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from emdesk.gui.views import selection_models as SM

#: The y-range after a sweep shows the best value up to this far above it (criterion units; on Kass &
#: Raftery's (1995) scale a BIC difference above 10 is "very strong" evidence), and the top three models.
FOCUS_MIN = 50.0


class CriterionPlotMixin:
    """The criterion-against-components plot of the selection dialog (a mixin: ``self`` is the dialog)."""

    def _key_color(self, key) -> QtGui.QColor:
        color = SM.line_style(key, self._d)[0]
        return color.darker(200) if color.lightness() > 170 else color

    def _line_items(self, key):
        if key not in self._lines:
            color, pch, dashed = SM.line_style(key, self._d)
            pen = pg.mkPen(color, width=2, style=QtCore.Qt.PenStyle.DashLine if dashed else
                           QtCore.Qt.PenStyle.SolidLine)
            brush = pg.mkBrush(color) if SM.filled(pch) else pg.mkBrush(255, 255, 255)
            line = pg.PlotDataItem([], [], pen=pen, symbol=SM.symbol(pch), symbolSize=10,
                                   symbolPen=pg.mkPen(color, width=1.6), symbolBrush=brush)
            ok = pg.ScatterPlotItem(size=10, symbol=SM.symbol(pch), pen=pg.mkPen(color, width=1.6), brush=brush)
            ok.setOpacity(0.0)  # the line draws the symbols; this item is the click target with the row ids
            bad = pg.ScatterPlotItem(size=11, pen=pg.mkPen(color, width=2), brush=pg.mkBrush(None), symbol="x")
            for item in (ok, bad):
                item.sigClicked.connect(self._point_clicked)
                item.setZValue(5)
            self.plot.addItem(line)
            self.plot.addItem(ok)
            self.plot.addItem(bad)
            self._lines[key], self._ok_points[key], self._bad_points[key] = line, ok, bad
        return self._lines[key], self._ok_points[key], self._bad_points[key]

    def _update_axis_label(self) -> None:
        self.plot.setLabel("left", f"{self.criterion.currentText()} (lower is better)")

    def focus_range(self):
        """(low, high) of the criterion the plot focused on after the last sweep, or None."""
        return self._focus_range

    def _focus_y(self) -> None:
        """Focus the y-range on the competitive models: from the best value to FOCUS_MIN above it, or to the
        third best when that is further, never beyond the values drawn."""
        res = self._result
        self._focus_range = None
        if res is None:
            return
        crit = res.criterion
        drawn = [r.score(crit) for r in res.table if r.ok and math.isfinite(r.score(crit))]
        top = self.top_models(3)
        if not drawn or not top:
            return
        best = top[0].score(crit)
        span = max(FOCUS_MIN, top[-1].score(crit) - best)
        lo = min(drawn)  # a degenerate fit below the best stays in view
        hi = min(max(drawn), best + span)
        if hi <= lo:
            hi = lo + FOCUS_MIN
        # room below for the best model's star, a little above
        self._focus_range = (lo - 0.12 * (hi - lo), hi + 0.05 * (hi - lo))
        self._apply_focus()

    def _apply_focus(self, *_) -> None:
        if self._running:
            return
        if self.focus_box.isChecked() and self._focus_range is not None:
            self.plot.setYRange(*self._focus_range, padding=0)
        else:
            self.plot.enableAutoRange(axis="y")

    def _redraw_plot(self) -> None:
        res = self._result
        crit = self.criterion.currentData()
        keys = list(self._lines)
        if res is not None:
            for r in res.table:
                k = SM.line_key(r)
                if k not in keys:
                    self._line_items(k)
                    keys.append(k)
        for key in keys:
            rows = [] if res is None else sorted(
                (r for r in res.table if SM.line_key(r) == key and r.ok), key=lambda r: r.n_components
            )
            good = [r for r in rows if not r.degenerate]
            bad = [r for r in rows if r.degenerate]
            # The line joins the sound fits only: a degenerate fit's score is not comparable.
            xs, ys = [r.n_components for r in good], [r.score(crit) for r in good]
            self._lines[key].setData(xs, ys)
            self._ok_points[key].setData(xs, ys, data=[r.index for r in good])
            self._bad_points[key].setData(
                [r.n_components for r in bad], [r.score(crit) for r in bad], data=[r.index for r in bad]
            )
        swept = [k for k in keys if res is not None and any(SM.line_key(r) == k for r in res.table)]
        if not swept:
            swept = [k for k, b in self.type_boxes.items() if b.isChecked()]
        self._update_legend(tuple(swept), degenerate=res is not None and any(r.degenerate for r in res.table))
        best = None if res is None else res.best_row
        if best is not None:
            self._best_marker.setData([best.n_components], [best.score(crit)], data=[best.index])
        else:
            self._best_marker.setData([], [])
        self._mark_selected(self.selected_row())

    def _update_legend(self, keys, degenerate: bool) -> None:
        key = (tuple(keys), bool(degenerate))
        if key == self._legend_key:
            return
        self._legend_key = key
        self.legend.clear()
        self.legend.setColumnCount(1 if len(keys) <= 8 else 2)  # 14 models fit beside a 1280x720 plot
        for k in keys:
            if k not in self._lines:
                self._line_items(k)
            self.legend.addItem(self._lines[k], self.line_label(k))
        if degenerate:
            self.legend.addItem(self._legend_bad, "degenerate")
        self.legend.addItem(self._best_marker, "best")

    def _mark_selected(self, row) -> None:
        if row is None or not row.ok:
            self._selected_marker.setData([], [])
        else:
            self._selected_marker.setData([row.n_components], [row.score(self.criterion.currentData())])
