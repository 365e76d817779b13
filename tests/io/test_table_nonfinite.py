"""Infinite numbers in a file (inf, -inf, or a number beyond a double's range such as 1e309, which Python's
float() reads as inf) are refused when the file is read, per column with the line of the first one, as the
other bad cells are; before, 1e309 was read as inf and refused only when fitting."""

from __future__ import annotations

import pytest

from emdesk.io import load_table
from emdesk.io.import_options import ImportOptions, load_with_options, preview, table_from_text
from emdesk.io.table import DataError


def _message(path, **kw):
    with pytest.raises(DataError) as info:
        load_table(path, **kw)
    return str(info.value)


def test_overflowing_number_is_refused_with_column_and_line(tmp_path):
    p = tmp_path / "big.csv"
    p.write_text("a,b\n1,2\n3,1e309\n4,5\n")  # the fast (NumPy) path: a clean numeric file
    msg = _message(p)
    assert msg.startswith("big.csv: ")
    assert "column 'b', line 3 ('1e309' is beyond the largest number a double holds" in msg
    assert "column 'a'" not in msg


def test_every_column_is_named_with_its_first_line_and_count(tmp_path):
    p = tmp_path / "many.csv"
    p.write_text("# a comment line\nx,y,name\n1,2,p\n\n3,inf,q\n-inf,5,r\n6,-1e400,s\n")  # text column: slow path
    msg = _message(p)
    assert "column 'x', line 6 ('-inf')" in msg
    assert "column 'y', line 5 ('inf') and 1 more cell." in msg
    assert "clear the cells" in msg


def test_decimal_comma_and_later_chunks(tmp_path):
    p = tmp_path / "eu.csv"
    p.write_text("a;b\n1,5;2\n3;1e309\n")
    assert "column 'b', line 3 ('1e309'" in _message(p)
    # a bad value far down a file read in several chunks: the line is the file's line
    rows = [f"{i},{i * 0.5}" for i in range(40000)]
    rows[31234] = "7,1e999"
    q = tmp_path / "long.csv"
    q.write_text("u,v\n" + "\n".join(rows) + "\n")
    assert "column 'v', line 31236 ('1e999'" in _message(q)


def test_finite_extremes_still_load(tmp_path):
    p = tmp_path / "ok.csv"
    p.write_text("a,b\n1.7e308,-1.7e308\n1e-320,NA\n")
    t = load_table(p)
    assert t.to_array(["a"])[0, 0] == 1.7e308


def test_import_options_paste_and_preview_say_the_same(tmp_path):
    p = tmp_path / "opts.csv"
    p.write_text("title line\na,b\n1,2\n3,1e309\n")
    with pytest.raises(DataError, match=r"column 'b', line 4 \('1e309'"):
        load_with_options(p, ImportOptions(skip_rows=1))
    result = preview(p, ImportOptions(skip_rows=1))
    assert result.table is None and "column 'b', line 4" in result.error
    with pytest.raises(DataError, match=r"pasted data: .*column 'y', line 2 \('inf'\)"):
        table_from_text("x\ty\n1\tinf\n2\t3\n")
