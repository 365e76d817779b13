"""The window's Order by list offers a time index t = 1, 2, ..., n that the reader takes as row labels (R's
write.csv(row.names = FALSE) of a series); it listed the numeric columns only (tests/io/test_order_row_labels.py)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.io import load_table


@pytest.fixture
def series_csv(tmp_path):
    level = np.r_[np.full(10, 1.0), np.full(8, 3.0)] + np.linspace(0, 0.1, 18)
    p = tmp_path / "series.csv"
    p.write_text('"t","level"\n' + "".join(f"{i + 1},{v:.4f}\n" for i, v in enumerate(level)))
    return p


def test_the_windows_order_by_list_offers_it(qtbot, series_csv):
    from emdesk.gui.data_panel import DataPanel

    panel = DataPanel()
    qtbot.addWidget(panel)
    panel.set_table(load_table(series_csv))
    offered = [panel.order_combo.itemText(i) for i in range(panel.order_combo.count())]
    assert offered == [DataPanel.FILE_ORDER, "t", "level"]
    panel.set_sequence_columns(None, "t")
    assert panel.sequence_columns() == (None, "t")
