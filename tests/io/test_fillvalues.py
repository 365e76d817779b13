"""Fill values (-999, 9999, 1e20 ...) pointed out and turned into missing values (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.io import DataError, Table
from emdesk.io.fillvalues import FillValue, find_fill_values, looks_like_sentinel, replace_fill_values


def make(text=None, **cols):
    names = list(cols)
    X = np.column_stack([np.asarray(v, dtype=float) for v in cols.values()])
    text = text or {}
    return Table(path="m.csv", column_names=names + list(text), numeric=X, numeric_names=names, text=text)


rng = np.random.default_rng(7)


@pytest.mark.parametrize("fill, scale", [(-999, (50, 10)), (9999, (15, 8)), (1e20, (0.001, 0.0002)),
                                         (-9999.0, (1500, 800)), (9.96921e36, (3, 1)), (-99.9, (5, 1)),
                                         (-12345, (5, 1))])  # not a sentinel's spelling, but 1000 widths away
def test_true_positives(fill, scale):
    x = rng.normal(*scale, size=300)
    x[rng.choice(300, 12, replace=False)] = fill
    found = find_fill_values(make(v=x))
    assert [(f.column, f.value, f.count) for f in found] == [("v", fill, 12)]
    assert found[0].fraction == pytest.approx(12 / 300)
    assert "occurs 12 times" in found[0].message


def test_two_fill_values_in_one_column_and_missing_cells_ignored():
    x = rng.normal(0, 1, 300)
    x[:5] = -999
    x[5:9] = -9999
    x[9:20] = np.nan
    found = find_fill_values(make(v=x))
    assert sorted(f.value for f in found) == [-9999, -999]


@pytest.mark.parametrize("case", ["binary", "zero_inflated", "cap", "lognormal", "cluster", "single", "likert",
                                  "half", "constant", "few"])
def test_false_positives(case):
    x = {
        "binary": (rng.random(300) < 0.2).astype(float),
        "zero_inflated": np.where(rng.random(300) < 0.5, 0, rng.poisson(20, 300) + 5),
        "cap": np.minimum(rng.normal(50, 20, 300), 80),        # values repeated at the top of the range
        "lognormal": rng.lognormal(0, 2, 300),                  # far tail, but no repeated value
        "cluster": np.r_[rng.normal(0, 1, 280), np.full(20, 30.0)],  # a tight cluster 6 widths away
        "single": np.r_[rng.normal(0, 1, 299), -999],           # one -999 is an outlier, not a repeated fill
        "likert": np.r_[rng.integers(1, 6, 290), np.full(10, 9)],   # 9 = "no answer" but within a range's width
        "half": np.r_[rng.normal(0, 1, 150), np.full(150, -999)],   # half the column: not "the rest"
        "constant": np.full(300, 4.0),
        "few": np.array([1.0, 2, -999, -999]),
    }[case]
    assert find_fill_values(make(v=x)) == []


def test_survey_code_99_is_found():
    x = np.r_[rng.integers(1, 6, 280), np.full(20, 99)].astype(float)
    assert [f.value for f in find_fill_values(make(v=x))] == [99]


def test_looks_like_sentinel():
    for v in (99, -999, 9999.0, -99.9, 1e20, -1e30, 9.96921e36, 3.4028235e38):
        assert looks_like_sentinel(v), v
    for v in (0, 1, 100, 1000, -1, 98, 5e20, float("nan"), float("inf")):
        assert not looks_like_sentinel(v), v


def test_replace_gives_a_new_table_with_nan_and_keeps_the_rest():
    x = np.r_[rng.normal(0, 1, 100), [-999.0] * 5]
    y = np.r_[rng.normal(5, 1, 100), [-999.0, 1, 2, 3, 4]]
    table = make(text={"id": [f"r{i}" for i in range(105)]}, x=x, y=y)
    table.notes = ["kept"]
    found = find_fill_values(table)
    assert [f.column for f in found] == ["x"]
    out = replace_fill_values(table, found)
    assert out is not table and np.count_nonzero(table.to_array("x") == -999) == 5  # the original unchanged
    assert out.missing_counts == {"x": 5, "y": 0, "id": 0}  # only the flagged column
    assert out.column_names == table.column_names and out.text_column("id") == table.text_column("id")
    assert out.notes == ["kept"] and out.fill_values == {"x": [-999.0]}
    by_hand = replace_fill_values(table, {"y": [-999, 4]})
    assert by_hand.missing_counts["y"] == 2 and by_hand.missing_counts["x"] == 0
    with pytest.raises(DataError, match="holds text"):
        replace_fill_values(table, {"id": 1})
    with pytest.raises(DataError, match="has no column 'nope'"):
        replace_fill_values(table, {"nope": 1})


def test_only_named_columns_are_searched():
    x = np.r_[rng.normal(0, 1, 100), [-999.0] * 5]
    table = make(a=x, b=x.copy())
    assert [f.column for f in find_fill_values(table, ["b"])] == ["b"]
    assert isinstance(find_fill_values(table)[0], FillValue)


def test_fill_values_are_found_once_per_table_where_it_is_read(tmp_path):
    """The window asked on the GUI thread at every load (0.3-0.5 s at 1,000,000 rows); Table.warm() finds
    them in the reading thread and later calls give the same list."""
    from emdesk.io import load_table
    from emdesk.io.fillvalues import find_fill_values

    p = tmp_path / "f.csv"
    p.write_text("x,y\n" + "".join(f"{-999 if i % 10 == 0 else i % 7},{i}\n" for i in range(60)))
    t = load_table(p).warm()
    assert t._fill_values is not None and [f.value for f in t._fill_values] == [-999]
    first = find_fill_values(t)
    first.clear()  # the caller's list: the table's stays
    assert [(f.column, f.count) for f in find_fill_values(t)] == [("x", 6)]
