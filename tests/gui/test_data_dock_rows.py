"""At 1280x680 (a 1280x720 screen less its taskbar), with the Results docks shown, the Data dock's column
list shows at least six whole rows in every model kind (it showed five of a 12-column file, fewer with a
desktop font: the style's 30 px rows and a four-row minimum)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")

AVAILABLE = (1280, 680)


@pytest.fixture
def wide_csv(tmp_path):
    rng = np.random.default_rng(0)
    p = tmp_path / "wide.csv"
    names = ["a", "b", "count", "colour"] + [f"e{i}" for i in range(1, 9)]
    lines = [",".join(names)]
    for i in range(120):
        c = i % 3
        a = "" if i % 17 == 0 else f"{rng.normal(3 * c, 1):.3f}"  # missing cells: the missing-values box shows
        lines.append(f"{a},{rng.normal(c, 1):.3f},{rng.poisson(2 + 4 * c)},{['red', 'green', 'blue'][c]},"
                     + ",".join(f"{rng.normal():.2f}" for _ in range(8)))
    p.write_text("\n".join(lines) + "\n")
    return p


def whole_rows_visible(window) -> int:
    """Rows of the column list whole inside its own viewport and inside the Data dock's scroll area."""
    table = window.data_panel.columns
    area = window.data_dock.widget()
    n = 0
    for r in range(table.rowCount()):
        top, h = table.rowViewportPosition(r), table.rowHeight(r)
        if top < 0 or top + h > table.viewport().height():
            continue
        y = table.viewport().mapTo(area.viewport(), QtCore.QPoint(0, top)).y()
        if y >= 0 and y + h <= area.viewport().height():
            n += 1
    return n


@pytest.mark.parametrize("mode", ["gaussian", "categorical", "student_t", "hmm", "hmm_poisson"])
def test_the_column_list_shows_six_rows_beside_the_results_docks(qtbot, window, wide_csv, mode):
    window.resize(*AVAILABLE)
    window.show()
    window.results.show_dock("results")
    window.open_csv(wide_csv)
    kind, family, cols = {"gaussian": ("mixture", "gaussian", ["a", "b"]),
                          "categorical": ("mixture", "categorical", ["colour"]),
                          "student_t": ("mixture", "student_t", ["a", "b"]),
                          "hmm": ("hmm", "gaussian", ["a", "b"]),
                          "hmm_poisson": ("hmm", "poisson", ["count"])}[mode]
    window.set_model_kind(kind, family)
    window.select_columns(cols)
    qtbot.wait(50)
    assert (window.width(), window.height()) == AVAILABLE
    assert window.data_panel.missing_box.isVisible() == (cols == ["a", "b"])
    assert window.results.docks["results"].isVisible()
    qtbot.waitUntil(lambda: whole_rows_visible(window) >= 6, timeout=3000)
    # the Model and Results docks keep a usable height
    assert window.params_dock.height() >= 150
    assert window.results.docks["results"].height() >= 400
