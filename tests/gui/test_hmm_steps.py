"""The HMM view numbers steps from 1, as the messages and the Data panel number data rows (issue 16, window
item 3: the step axis counted from 0). Hovering over a step names its data row (the file's, 1-based, with its
sequence and order values), the same words the messages use; the Results' uncertainty list names data rows and
the pseudo-residuals' time axis counts from 1."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

FIT_TIMEOUT = 60_000
pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning",
                                        "ignore::emdesk.engine.diagnostics.DataColumnWarning")


@pytest.fixture
def shuffled_csv(tmp_path):
    """Two sites of 12 days, the rows in reverse day order (so a step is not its data row); day 4 of north
    has no value (a time step without observation)."""
    rng = np.random.default_rng(2)
    lines = []
    for site in ("north", "south"):
        for day in range(11, -1, -1):
            v = "" if (site, day) == ("north", 4) else f"{(0.0 if day < 6 else 5.0) + rng.normal(0, 0.3):.3f}"
            lines.append(f"{site},{day},{v}")
    p = tmp_path / "shuffled.csv"
    p.write_text("site,day,level\n" + "\n".join(lines) + "\n")
    return p


def _open(window, path):
    window.open_csv(path)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence("site", "day")
    window.select_columns(["level"])


def test_the_step_axis_counts_from_one_and_hovering_names_the_data_row(qtbot, window, shuffled_csv):
    _open(window, shuffled_csv)
    views = window.views
    (x0, x1), _ = views.series.getViewBox().viewRange()
    assert x0 == pytest.approx(0.5) and x1 == pytest.approx(12.5)  # steps 1..12, each whole
    t, _ = views.line.getData()
    assert t[0] == 1 and t[-1] == 12
    # step 1 of north is day 0, the file's last north row: data row 12 (rows are counted from 1 under the header)
    assert views.step_text(1).startswith("Step 1: data row 12 (site north, day 0); level: ")
    assert views.step_text(8) == "Step 8: data row 5 (site north, day 7); level: " + \
        f"{float(window.session.table.to_array(['level'])[4, 0]):.6g}"
    assert "Step 5: data row 8 (site north, day 4); no observed value" == views.step_text(5)
    assert views.step_text(0) == "" and views.step_text(13) == ""
    # the same words as a message of the engine numbering its rows from 1 (session.name_rows)
    assert window.session.name_rows("Row 5 of X") == "Data row 8 (site north, day 4)"
    views.set_sequence(1)
    assert views.step_text(1).startswith("Step 1: data row 24 (site south, day 0)")
    # hovering over the series shows it (the view's tooltip)
    vb = views.series.getViewBox()
    views._mouse_moved(vb.mapViewToScene(QtCore.QPointF(3.0, float(np.mean(vb.viewRange()[1])))))
    assert views.graphics.toolTip().startswith("Step 3: data row 22 (site south, day 2)")


def test_after_a_fit_the_path_and_posteriors_sit_on_steps_from_one(qtbot, window, shuffled_csv):
    _open(window, shuffled_csv)
    views = window.views
    window.set_options(n_components=2, random_state=0, n_init=1, max_iter=30)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    tv, _ = views.viterbi.getData()
    assert tv[0] == 1 and tv[-1] == 12
    rect = views._post_image.mapRectToParent(views._post_image.boundingRect())
    assert rect.left() == pytest.approx(0.5) and rect.right() == pytest.approx(12.5)  # step i's column on i
    text = views.step_text(12)
    p = views.drawn_posteriors[11]
    assert text.endswith(f"; state {int(np.argmax(p)) + 1} (p {p.max():.2f})") and "data row 1 (site north" in text


def test_the_uncertainty_list_names_data_rows_and_the_residuals_count_steps_from_one(qtbot, window, shuffled_csv):
    _open(window, shuffled_csv)
    window.set_options(n_components=2, random_state=0, n_init=1, max_iter=30)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    window.results.show_dock("uncertainty")
    unc = window.results.uncertainty
    qtbot.waitUntil(lambda: bool(unc.listed_rows()), timeout=10_000)
    assert unc.table.horizontalHeaderItem(0).text() == "data row"
    rows = window.session.file_rows
    for r, i in enumerate(unc.listed_rows()[:5]):
        assert unc.table.item(r, 0).text() == str(int(rows[i]) + 1)
    # the pseudo-residuals over time: time steps from 1 too (the row of X + 1, sequences in turn; was the row)
    window.results.show_dock("checks")
    qtbot.waitUntil(lambda: window.results.checks.checks() is not None, timeout=10_000)
    res = window.results.checks.checks()
    t, _ = window.results.checks.residuals_view.time_points.getData()
    np.testing.assert_array_equal(t, res.columns[0].rows + 1)
    assert t.min() == 1 and t.max() == 24
