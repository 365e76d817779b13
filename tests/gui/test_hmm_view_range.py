"""The HMM view shows every step of the drawn sequence whole: the first and last steps' points away from the
axes and their posterior columns at full width, a one-step sequence too (newcomer, 1 Dec: the range was
0 to n - 1, so the end steps' columns were cut in half and a one-step sequence's only column was half drawn)."""

from __future__ import annotations


def test_the_series_range_holds_every_step_whole(qtbot, window, tmp_path):
    path = tmp_path / "seqs.csv"
    path.write_text("seq,t,x\n" + "".join(f"a,{t},{t % 3}\n" for t in range(5)) + "b,0,2\n")
    window.open_csv(path)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence("seq", "t")
    window.select_columns(["x"])
    views = window.views
    for i, steps in ((0, 5), (1, 1)):
        views.set_sequence(i)
        (x0, x1), _ = views.series.getViewBox().viewRange()
        # steps are numbered from 1, as data rows (test_hmm_steps.py): step i's column spans i - 0.5 .. i + 0.5
        assert x0 <= 0.5 + 1e-9 and x1 >= steps + 0.5 - 1e-9, (steps, x0, x1)
        assert x1 - x0 <= steps + 1e-9, (steps, x0, x1)  # no empty room beyond the steps' columns
        axis = views.posterior.getAxis("bottom")
        assert axis.autoSIPrefixScale == 1.0 and "x0.001" not in axis.labelString()  # steps, not milli-steps


def test_a_one_step_sequences_svg_has_no_empty_path(qtbot, window, tmp_path):
    """Its series line was a path of one move: an empty d="" in the SVG ('qt.svg: Invalid path data')."""
    path = tmp_path / "one.csv"
    path.write_text("seq,t,x\na,0,1\nb,0,2\nb,1,5\n")
    window.open_csv(path)
    window.set_model_kind("hmm", "gaussian")
    window.set_sequence("seq", "t")
    window.select_columns(["x"])
    window.views.set_sequence(0)
    svg = tmp_path / "one.svg"
    window.export_plot_image(svg)
    assert 'd=""' not in svg.read_text()
