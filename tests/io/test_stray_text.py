"""A column of numbers with a stray word is read as text; find_stray_text names it and its first text cell,
stray_text_as_missing makes it numeric with that cell missing (emdesk.io.stray_text)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.io import DataError, load_table
from emdesk.io.stray_text import find_stray_text, stray_text_as_missing


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_names_the_column_and_its_first_text_cell(tmp_path):
    rows = [f"{i},{i * 0.5:.1f},w{i % 3}" for i in range(30)]
    rows[12] = "12,twelve,w0"
    rows[20] = "20,NA,w2"  # a missing token is not text
    t = load_table(_write(tmp_path, "d.csv", "a,b,word\n" + "\n".join(rows) + "\n"))
    assert t.column_kind("b") == "text"
    found = find_stray_text(t)
    assert [f.column for f in found] == ["b"]  # 'word' is all text: not named
    f = found[0]
    assert (f.n_numbers, f.n_text, f.first_text, f.first_row) == (28, 1, "twelve", 13)
    assert "'twelve'" in f.message and "row 13" in f.message


def test_treat_as_missing_makes_the_column_numeric(tmp_path):
    rows = [f"{i};{i},5" for i in range(12)]
    rows[3] = "3;n.d."
    t = load_table(_write(tmp_path, "eu.csv", "a;b\n" + "\n".join(rows) + "\n"))
    assert t.decimal == "," and t.column_kind("b") == "text"
    new = stray_text_as_missing(t, [f.column for f in find_stray_text(t)])
    assert new.numeric_column_names == ["a", "b"] and t.column_kind("b") == "text"  # the old table unchanged
    b = new.to_array(["b"])[:, 0]
    assert np.isnan(b[3]) and b[4] == pytest.approx(4.5) and new.missing_counts["b"] == 1
    with pytest.raises(DataError):
        stray_text_as_missing(new, ["a"])  # not a text column


def test_mostly_words_and_row_labels_are_not_named(tmp_path):
    rows = [f'"{i + 1}",{i},{"7" if i < 5 else "x" + str(i)}' for i in range(20)]  # R's row names
    t = load_table(_write(tmp_path, "r.csv", '"",a,c\n' + "\n".join(rows) + "\n"))
    assert t.row_label_column is not None
    assert find_stray_text(t) == []
