"""Text columns are held where Python's cycle collector does not walk them (issue 16: the window runs full
collections in its GUI thread, and a list of 1,000,000 cells made each one 10-50 ms longer)."""

from __future__ import annotations

import gc

import numpy as np

from emdesk.io import Table, load_table


def _walked_from(obj):
    """Every container the cycle collector traverses when it reaches ``obj`` (tracked objects only, as it does)."""
    seen, todo, out = set(), [obj], []
    while todo:
        o = todo.pop()
        if id(o) in seen or not gc.is_tracked(o) or isinstance(o, type):  # (not into the class and its module)
            continue
        seen.add(id(o))
        out.append(o)
        todo.extend(gc.get_referents(o))
    return out


def test_a_text_column_is_not_walked_cell_by_cell(tmp_path):
    n = 3000
    labels = ["alpha", "beta", "gamma"]
    path = tmp_path / "t.csv"
    path.write_text("x,label,id\n" + "".join(f"{i * 0.5},{labels[i % 3]},r{i}\n" for i in range(n)))
    table = load_table(path)
    assert table.text_column_names == ["label", "id"]
    walked = _walked_from(table)
    assert max(len(o) for o in walked if isinstance(o, (list, tuple, dict, set))) < n
    # the cells read back as before, as lists of str
    assert table.text_column("label")[:4] == ["alpha", "beta", "gamma", "alpha"]
    assert isinstance(table.text_column("id"), list) and table.text_column("id")[-1] == f"r{n - 1}"
    assert table._cells("label", 2, 4) == ["gamma", "alpha"]
    assert table.missing_counts["label"] == 0 and table.empty_column_names == []


def test_row_labels_and_empty_text_columns_keep_their_behaviour():
    t = Table(path=None, column_names=["name", "x", "blank"], numeric=np.array([[1.0], [2.0]]),
              numeric_names=["x"], text={"name": ["a", "b"], "blank": ["", "NA"]}, row_label_column="name")
    assert t.row_labels == ["a", "b"] and t.column_kind("name") == "row label"
    assert t.empty_column_names == ["blank"] and t.missing_counts["blank"] == 2
    copied = Table(path=None, column_names=t.column_names, numeric=t.to_array(["x"]), numeric_names=["x"],
                   text={c: t.text_column(c) for c in t.text_column_names})
    assert copied.text_column("name") == ["a", "b"]
