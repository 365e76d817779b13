"""The HMM notes of the Session (what the window shows above the plot) read as emdesk-fit's."""
import pytest


@pytest.mark.parametrize("dups, expected", [
    (1, "1 row repeats the t value of the row before in its sequence; it stays in the file's order."),
    (2, "2 rows repeat the t value of the row before in their sequence; they stay in the file's order."),
])
def test_session_note_on_repeated_order_values_reads_right(tmp_path, dups, expected):
    from emdesk.session import Session
    rows = ["id,t,x"] + [f"A,{t},{t * 0.7 % 1:.3f}" for t in range(10)] + [f"A,3,0.5"] * dups
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows) + "\n")
    s = Session()
    s.load(path)
    s.set_model_kind("hmm", "gaussian")
    s.set_sequence("id", "t")
    s.choose_columns(["x"])
    s.set_options(n_components=2, random_state=0)
    s.fit()
    assert expected in s.notes
