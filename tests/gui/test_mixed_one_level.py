"""A categorical column with one category in a mixed (numeric and categorical) fit: the window names it, as
it does for a categorical mixture (it was silent: MixedMixture had no column_notes_)."""

from __future__ import annotations


def test_a_one_category_column_of_a_mixed_fit_is_named_in_the_window(qtbot, window, tmp_path):
    p = tmp_path / "mixed_onelevel.csv"
    p.write_text("x,c,d\n" + "".join(f"{(i % 5) + 10 * (i % 2)},a,{'xy'[i % 2]}\n" for i in range(40)))
    shown = []
    window.messageShown.connect(lambda level, text: shown.append((level, text)))
    window.open_csv(p)
    window.set_model_kind("mixture", "mixed")
    window.select_columns(["x", "c", "d"])
    window.set_options(n_components=2, random_state=0)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    assert shown and shown[-1][0] == "warning"
    assert "Column 2 (c) holds one category only" in shown[-1][1]
    assert "classes cannot differ" not in shown[-1][1] and "(d)" not in shown[-1][1]
