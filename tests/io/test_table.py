"""emdesk.io.load_table: formats people bring, missing values, errors, progress."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emdesk.io import DataError, LoadCancelled, Table, load_table


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode(encoding))
    return path


# -- formats ---------------------------------------------------------------------------------------


def test_comma_with_header(tmp_path):
    t = load_table(write(tmp_path, "a,b,c\n1,2,3\n4.5,-5e-1,6\n"))
    assert isinstance(t, Table)
    assert t.column_names == ["a", "b", "c"]
    assert t.numeric_column_names == ["a", "b", "c"]
    assert t.text_column_names == []
    assert t.n_rows == 2
    np.testing.assert_array_equal(t.to_array(["a", "b", "c"]), [[1, 2, 3], [4.5, -0.5, 6]])
    np.testing.assert_array_equal(t.to_array(["c", "a"]), [[3, 1], [6, 4.5]])
    assert t.to_array(["a"]).dtype == np.float64
    assert (t.delimiter, t.decimal, t.encoding, t.has_header) == (",", ".", "utf-8", True)
    assert t.path.endswith("data.csv")


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_delimiters(tmp_path, sep):
    text = sep.join(["x", "y"]) + "\n" + "\n".join(sep.join([str(i), str(i * 2.5)]) for i in range(5)) + "\n"
    t = load_table(write(tmp_path, text))
    assert t.delimiter == sep
    assert t.column_names == ["x", "y"]
    np.testing.assert_array_equal(t.to_array(["y"])[:, 0], [0, 2.5, 5, 7.5, 10])


def test_r_write_table_output(tmp_path):
    """R's write.table defaults: space-separated, strings quoted, row names with no header field."""
    text = '"x" "y" "name"\n"1" 0.5 2 "p q"\n"2" 1.5 NA "r"\n"3" -2 4e-1 ""\n'
    t = load_table(write(tmp_path, text, "r.txt"))
    assert t.column_names == ["col1", "x", "y", "name"]
    assert t.numeric_column_names == ["x", "y"]  # the row names label the rows: never fitted (issue 10)
    assert t.row_label_column == "col1" and t.row_labels == ["1", "2", "3"]
    np.testing.assert_array_equal(t.to_array(["x", "y"]), [[0.5, 2.0], [1.5, np.nan], [-2.0, 0.4]])
    assert t.text_column("name") == ["p q", "r", ""]
    # the same with commas (write.csv writes "" above the row names; write.table(sep=",") writes nothing)
    t = load_table(write(tmp_path, 'a,b\nr1,1,2\nr2,3,4\n', "rows.csv"))
    assert t.column_names == ["col1", "a", "b"] and t.text_column("col1") == ["r1", "r2"]
    assert t.row_label_column == "col1"


def test_space_separated_values_in_double_quotes(tmp_path):
    t = load_table(write(tmp_path, '"a b" "c" "d"\n1  2 "x y"\n  3 4 z  \n', "plain.txt"))
    assert t.column_names == ["a b", "c", "d"] and t.to_array().tolist() == [[1, 2], [3, 4]]
    assert t.text_column("d") == ["x y", "z"]


def test_runs_of_spaces_and_no_header(tmp_path):
    t = load_table(write(tmp_path, "  1.0   2.0  3\n4    5.5 6\n\n7 8 9   \n"))
    assert t.delimiter == " "
    assert t.has_header is False
    assert t.column_names == ["col1", "col2", "col3"]
    np.testing.assert_array_equal(t.to_array(["col1", "col2", "col3"]), [[1, 2, 3], [4, 5.5, 6], [7, 8, 9]])


def test_no_header_comma(tmp_path):
    t = load_table(write(tmp_path, "1,2\n3,4\n"))
    assert t.column_names == ["col1", "col2"]
    assert t.n_rows == 2


def test_european_format(tmp_path):
    t = load_table(write(tmp_path, "Länge;Breite;Name\n1,5;2,25;a\n-3,0;1e3;b\n;7,5;c\n"))
    assert (t.delimiter, t.decimal) == (";", ",")
    assert t.numeric_column_names == ["Länge", "Breite"]
    assert t.text_column_names == ["Name"]
    X = t.to_array(["Länge", "Breite"])
    np.testing.assert_array_equal(X[:2], [[1.5, 2.25], [-3.0, 1000.0]])
    assert math.isnan(X[2, 0]) and X[2, 1] == 7.5
    assert t.text_column("Name") == ["a", "b", "c"]


def test_decimal_commas_first_seen_after_the_sniffed_sample(tmp_path):
    """Whole numbers only in the first 64 KB of a semicolon file leave the decimal mark open: a later
    2,5 is a number, not a reason to read the column as text."""
    rows = ["Alter;Gewicht;Name"] + [f"{i % 90};{60 + i % 30};n{i}" for i in range(20000)]
    rows += ["41;72,5;x", "50;;y", "33;1,25e1;z"]
    t = load_table(write(tmp_path, "\n".join(rows) + "\n"))
    assert t.decimal == "," and t.numeric_column_names == ["Alter", "Gewicht"]
    X = t.to_array(["Gewicht"])[:, 0]
    assert X[-3] == 72.5 and math.isnan(X[-2]) and X[-1] == 12.5 and X[0] == 60
    # a dot decimal in the sample settles it: a later comma is then text, as before
    rows[1] = "0;60.5;n0"
    t = load_table(write(tmp_path, "\n".join(rows) + "\n", "dot.csv"))
    assert t.decimal == "." and t.numeric_column_names == ["Alter"]


def test_one_column_with_decimal_commas(tmp_path):
    """A European one-column file (a 1-D data set) has no separator: its commas are decimal commas."""
    t = load_table(write(tmp_path, "Wert\n1,5\n2,25\n3\n\n-0,5\nNA\n" + "4,75\n" * 3000))
    assert t.column_names == ["Wert"] and t.decimal == "," and t.n_rows == 3005
    X = t.to_array(["Wert"])
    np.testing.assert_array_equal(X[:4, 0], [1.5, 2.25, 3.0, -0.5])
    assert math.isnan(X[4, 0]) and np.all(X[5:, 0] == 4.75)
    t = load_table(write(tmp_path, "1,5\n2\n-3,25\n", "noheader.csv"))
    assert t.column_names == ["col1"] and t.to_array(["col1"])[:, 0].tolist() == [1.5, 2.0, -3.25]
    # every line with one comma and no header: two columns, as before
    t = load_table(write(tmp_path, "1,5\n2,25\n", "pairs.csv"))
    assert t.column_names == ["col1", "col2"] and t.to_array().tolist() == [[1, 5], [2, 25]]


def test_quotes_bom_crlf_blank_lines(tmp_path):
    raw = ('\ufeff"id","label","v"\r\n'
           '1,"red, dark",0.5\r\n'
           '\r\n'
           '2,"say ""hi""",1.5\r\n'
           '3,"two\r\nlines",2.5\r\n')
    t = load_table(write(tmp_path, raw))
    assert t.column_names == ["id", "label", "v"]
    assert t.text_column("label") == ["red, dark", 'say "hi"', "two\r\nlines"]
    np.testing.assert_array_equal(t.to_array(["id", "v"]), [[1, 0.5], [2, 1.5], [3, 2.5]])
    assert t.encoding == "utf-8-sig"


def test_latin1_file_opens(tmp_path):
    text = "Temp\u00e9rature;Ma\u00df\n1,5;2\n3;4\n"
    t = load_table(write(tmp_path, text, encoding="latin-1"))
    assert t.column_names == ["Temp\u00e9rature", "Ma\u00df"]
    assert t.encoding in ("cp1252", "latin-1")
    np.testing.assert_array_equal(t.to_array(t.column_names), [[1.5, 2], [3, 4]])


def test_latin1_byte_after_the_sniffed_sample(tmp_path):
    body = "".join(f"{i},{i}.5,plain\n" for i in range(20000))
    raw = ("a,b,name\n" + body).encode() + "9,9.5,caf\u00e9\n".encode("latin-1")
    t = load_table(write(tmp_path, raw))
    assert t.n_rows == 20001
    assert t.text_column("name")[-1] == "caf\u00e9"


def test_duplicate_and_empty_names_are_made_unique(tmp_path):
    t = load_table(write(tmp_path, "a,a,,b,a\n1,2,3,4,5\n"))
    assert t.column_names == ["a", "a_2", "col3", "b", "a_3"]
    assert len(set(t.column_names)) == 5


def test_missing_tokens_and_text_columns(tmp_path):
    text = "x,y,name,empty\n1,NA,alice,\n,2,bob,\nnan,null,?,\n-,3.5,NaN,\n4,N/A,eve,\n"
    t = load_table(write(tmp_path, text))
    assert t.numeric_column_names == ["x", "y"]
    assert t.text_column_names == ["name", "empty"]  # an all-empty column holds nothing to fit
    X = t.to_array(["x", "y"])
    np.testing.assert_array_equal(np.isnan(X), [[0, 1], [1, 0], [1, 1], [1, 0], [0, 1]])
    assert X[0, 0] == 1 and X[4, 0] == 4 and X[3, 1] == 3.5
    assert t.missing_counts == {"x": 3, "y": 3, "name": 2, "empty": 5}
    assert t.text_column("x") == ["1", "", "", "", "4"]


def test_underscores_are_not_digit_separators(tmp_path):
    """Python's float() reads "1_2" as 12: identifiers such as plate wells must stay text, as NumPy's
    parser (the fast path) and spreadsheets read them."""
    t = load_table(write(tmp_path, "well,v,w\n1_1,2,1\n1_2,4,\n2_1,5,1_000\n"))
    assert t.numeric_column_names == ["v"]
    assert t.text_column("well") == ["1_1", "1_2", "2_1"] and t.text_column("w") == ["1", "", "1_000"]
    late = load_table(write(tmp_path, "a,b\n" + "1,2\n" * 5000 + "3,4_5\n", "late.csv"))
    assert late.numeric_column_names == ["a"] and late.text_column("b")[-1] == "4_5"


def test_text_cell_late_in_a_numeric_column(tmp_path):
    rows = [f"{i},{i * 0.5}" for i in range(30000)]
    rows[25000] = "25000,oops"
    t = load_table(write(tmp_path, "n,v\n" + "\n".join(rows) + "\n"))
    assert t.numeric_column_names == ["n"]
    assert t.text_column_names == ["v"]
    assert t.text_column("v")[25000] == "oops"
    assert t.text_column("v")[3] == "1.5"


def test_numbers_late_in_a_column_empty_in_the_sample(tmp_path):
    rows = [f"{i}," for i in range(30000)] + ["1,2.5"]
    t = load_table(write(tmp_path, "a,b\n" + "\n".join(rows) + "\n"))
    assert t.numeric_column_names == ["a", "b"]
    assert t.missing_counts["b"] == 30000
    assert t.to_array(["b"])[-1, 0] == 2.5


def test_fast_and_careful_paths_agree(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5000, 3)) * [1, 1e-3, 1e6]
    clean = "a,b,c\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in X) + "\n"
    quoted = clean.replace("a,b,c", '"a","b","c"') + '"1","2","3"\n'
    t1, t2 = load_table(write(tmp_path, clean, "c.csv")), load_table(write(tmp_path, quoted, "q.csv"))
    np.testing.assert_array_equal(t1.to_array(["a", "b", "c"]), X)
    np.testing.assert_array_equal(t2.to_array(["a", "b", "c"])[:-1], X)


def test_trailing_empty_fields_are_tolerated(tmp_path):
    t = load_table(write(tmp_path, "a,b\n1,2,\n3,4,,\n"))
    assert t.column_names == ["a", "b"]
    np.testing.assert_array_equal(t.to_array(["a", "b"]), [[1, 2], [3, 4]])
    # every row with one trailing empty field: still not a row-name column
    t = load_table(write(tmp_path, "a,b\n1,2,\n3,4,\n", "every.csv"))
    assert t.column_names == ["a", "b"] and t.to_array().tolist() == [[1, 2], [3, 4]]
    # a trailing separator after the header's last name only
    for text in ("a,b,\n1,2\n3,4\n", "a;b;;\n1,5;2\n3;4\n"):
        t = load_table(write(tmp_path, text, "header.csv"))
        assert t.column_names == ["a", "b"] and t.to_array().tolist()[1] == [3, 4]


def test_sha256_of_the_bytes(tmp_path):
    raw = ("a,b\n" + "".join(f"{i},{i}\n" for i in range(200000))).encode()
    path = write(tmp_path, raw)
    assert load_table(path).sha256 == hashlib.sha256(raw).hexdigest()
    small = write(tmp_path, b"a\n1\n", "s.csv")
    assert load_table(small).sha256 == hashlib.sha256(b"a\n1\n").hexdigest()


def test_to_array_errors(tmp_path):
    t = load_table(write(tmp_path, "a,name\n1,x\n"))
    with pytest.raises(DataError, match="no column 'zz'"):
        t.to_array(["zz"])
    with pytest.raises(DataError, match="holds text"):
        t.to_array(["name"])


def test_to_array_of_a_column_with_no_values_says_so(tmp_path):
    t = load_table(write(tmp_path, "a,b,c\n1,,x\n2,NA,y\n"))
    with pytest.raises(DataError, match=r"Column 'b' of data.csv has no values \(every cell is empty or "
                                        r"missing\); choose columns with numbers: a\.") as info:
        t.to_array(["a", "b"])
    assert "holds text" not in str(info.value)


# -- progress and cancel ---------------------------------------------------------------------------


def test_progress_reports_fractions_and_can_cancel(tmp_path):
    path = write(tmp_path, "a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(300000)))
    seen = []
    load_table(path, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(b >= a for a, b in zip(seen, seen[1:]))
    assert max(b - a for a, b in zip(seen, seen[1:])) <= 0.1  # a progress bar moves smoothly
    calls = []

    def cancel(fraction):
        calls.append(fraction)
        return fraction < 0.3

    with pytest.raises(LoadCancelled) as info:
        load_table(path, progress=cancel)
    assert not isinstance(info.value, DataError)
    assert calls[-1] >= 0.3 and calls[-1] < 1.0


# -- errors ----------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="nothere.csv: no such file"):
        load_table(tmp_path / "nothere.csv")


def test_folder(tmp_path):
    with pytest.raises(DataError, match="folder"):
        load_table(tmp_path)


@pytest.mark.parametrize("raw", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, raw):
    with pytest.raises(DataError, match="data.csv: the file is empty|only blank"):
        load_table(write(tmp_path, raw))


def test_header_without_rows(tmp_path):
    with pytest.raises(DataError, match=r"data.csv: the file has a header row \(a, b\) but no data rows"):
        load_table(write(tmp_path, "a,b\n\n"))


@pytest.mark.parametrize("raw,what", [(b"PK\x03\x04\x14\x00\x06\x00" + bytes(100), "Excel"),
                                      (b"a,b\n1,2\x00\x00\x01\n", "binary"),
                                      (bytes(range(256)) * 4, "binary")])
def test_binary_file(tmp_path, raw, what):
    with pytest.raises(DataError, match=what):
        load_table(write(tmp_path, raw, "book.xlsx"))


def test_wrong_field_count_names_file_and_line(tmp_path):
    lines = ["a,b,c,d,e"] + ["1,2,3,4,5"] * 12 + ["1,2,3,4,5,6"]
    with pytest.raises(DataError) as info:
        load_table(write(tmp_path, "\n".join(lines) + "\n"))
    msg = str(info.value)
    assert msg.startswith("data.csv, line 14: expected 5 fields (as in the header) but found 6.")
    assert "unquoted comma" in msg
    lines[-1] = "1,2,3"
    with pytest.raises(DataError, match="line 14: expected 5 fields .* but found 3"):
        load_table(write(tmp_path, "\n".join(lines) + "\n"))


def test_wrong_field_count_in_a_space_separated_file_gives_a_hint_that_fits(tmp_path):
    with pytest.raises(DataError) as info:
        load_table(write(tmp_path, "a b c\n1 2 3\n4 5\n"))
    msg = str(info.value)
    assert msg.startswith("data.csv, line 3: expected 3 fields (as in the header) but found 2.")
    assert "spacess" not in msg and "between two" not in msg  # runs of spaces are one separator
    assert "NA" in msg
    with pytest.raises(DataError) as info:
        load_table(write(tmp_path, "a b\n1 2\n4 5 6\n"))
    assert "unquoted spaces" not in str(info.value) and "space inside a value" in str(info.value)


def test_wrong_field_count_late_in_a_big_file(tmp_path):
    rows = ["1,2"] * 100000
    rows[90000] = "1,2,3"
    with pytest.raises(DataError, match="line 90002: expected 2 fields"):
        load_table(write(tmp_path, "a,b\n" + "\n".join(rows) + "\n"))


def test_utf16_is_explained(tmp_path):
    with pytest.raises(DataError, match="UTF-16"):
        load_table(write(tmp_path, "a,b\n1,2\n".encode("utf-16")))


# -- no other exception escapes, whatever the bytes -------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _load_only_data_errors(path):
    try:
        table = load_table(path)
    except DataError as exc:
        assert "unexpected problem" not in str(exc), str(exc)  # the safety net must not be what caught it
        assert str(exc).startswith(path.name)
        return None
    assert table.n_rows >= 1
    for name in table.numeric_column_names:
        assert table.to_array([name]).shape == (table.n_rows, 1)
    for name in table.text_column_names:
        assert len(table.text_column(name)) == table.n_rows
    return table


@FUZZ
@given(raw=st.binary(max_size=400))
def test_random_bytes_raise_only_data_error(tmp_path, raw):
    _load_only_data_errors(write(tmp_path, raw))


_cell = st.one_of(st.sampled_from(["", "NA", "1", "-2.5", "1e3", "nan", "?", "-", '"', '""', "x", " ", "1,5",
                                   "\u00e9", ";", "\t", "|", "\r", "\n", '"a,b"', '"a""b"']),
                  st.floats(allow_nan=False).map(repr), st.text(max_size=4))
_line = st.lists(_cell, min_size=0, max_size=5).flatmap(
    lambda cells: st.sampled_from([",", ";", "\t", "|", " "]).map(lambda sep: sep.join(cells)))


@FUZZ
@given(lines=st.lists(_line, min_size=0, max_size=8), newline=st.sampled_from(["\n", "\r\n"]),
       encoding=st.sampled_from(["utf-8", "latin-1", "utf-8-sig"]))
def test_random_csv_like_text_raises_only_data_error(tmp_path, lines, newline, encoding):
    raw = newline.join(lines).encode(encoding, errors="replace")
    _load_only_data_errors(write(tmp_path, raw))


def test_classic_mac_line_ends(tmp_path):
    t = load_table(write(tmp_path, b"a,b\r1,2\r3,4\r"))
    assert t.column_names == ["a", "b"]
    np.testing.assert_array_equal(t.to_array(["a", "b"]), [[1, 2], [3, 4]])


def test_a_huge_cell_is_text_not_a_memory_error(tmp_path):
    t = load_table(write(tmp_path, 'a,b\n1,"2"\n3,"' + "x" * 200000 + '"\n'))
    assert t.text_column_names == ["b"]
    assert len(t.text_column("b")[1]) == 200000


def test_error_line_counts_blank_lines_and_crlf(tmp_path):
    rows = ["1,2"] * 100000
    for i in range(0, 100000, 1000):
        rows[i] = ""
    rows[95000] = "1,2,3"
    with pytest.raises(DataError, match="line 95002: expected 2 fields"):
        load_table(write(tmp_path, "a,b\r\n" + "\r\n".join(rows) + "\r\n"))


@pytest.mark.parametrize("reader", ["none", "other-signature"])
def test_public_numpy_fallback_reads_the_same(tmp_path, monkeypatch, reader):
    import emdesk.io.table_bytes as table_module  # NumPy's C reader and its fallback live there

    def other_signature(*args, **kwargs):
        raise TypeError("unexpected keyword argument")

    text = "a;b\n" + "".join(f"{i},5;{-i}\n" for i in range(3000)) + "\n1;2\n"
    expected = load_table(write(tmp_path, text, "a.csv")).to_array(["a", "b"])
    monkeypatch.setattr(table_module, "_np_reader", None if reader == "none" else other_signature)
    got = load_table(write(tmp_path, text, "b.csv")).to_array(["a", "b"])
    np.testing.assert_array_equal(got, expected)
    assert table_module._np_reader is None
    assert got[1].tolist() == [1.5, -1.0] and got.shape == (3001, 2)


def test_missing_cells_in_a_big_numeric_file_read_like_the_careful_path(tmp_path):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(20000, 4))
    cells = np.char.mod("%.6g", X).astype(object)
    tokens = np.array(["", "NA", "null", "?", "N/A", "#N/A", " NA ", "None", "-"], dtype=object)
    holes = rng.random(X.shape) < 0.03
    holes[0, 0] = True
    cells[holes] = tokens[rng.integers(0, len(tokens), holes.sum())]
    cells[0, 0] = ""  # an empty first cell of the first data line
    lines = [",".join(row) for row in cells.tolist()]
    plain = "a,b,c,d\n" + "\n".join(lines) + "\n"
    quoted = "a,b,c,d\n" + "\n".join(f'"{line}"'.replace(",", '","') for line in lines) + "\n"
    fast = load_table(write(tmp_path, plain, "plain.csv")).to_array(["a", "b", "c", "d"])
    careful = load_table(write(tmp_path, quoted, "quoted.csv")).to_array(["a", "b", "c", "d"])
    np.testing.assert_array_equal(np.isnan(fast), holes)
    np.testing.assert_array_equal(fast, careful)
    np.testing.assert_array_equal(fast[~holes], np.char.mod("%.6g", X)[~holes].astype(float))


def test_unclosed_quote_names_line_and_column(tmp_path):
    with pytest.raises(DataError, match=r'^data.csv, line 3, column 3: a quoted value starts here but its '
                                        r'closing double quote is missing'):
        load_table(write(tmp_path, 'a,b\n1,2\n3,"4\n5,6\n7,8\n'))


def test_a_literal_quote_inside_an_unquoted_value_is_fine(tmp_path):
    t = load_table(write(tmp_path, 'size,n\n12",3\n4,5\n'))
    assert t.text_column("size") == ['12"', "4"]


def test_a_literal_quote_early_in_a_big_file_does_not_stall_the_reader(tmp_path):
    """An inch mark (5'11") leaves an odd number of quotes before every later line: the reader must still
    cut its chunks at line ends (counting quotes from the start for every candidate line was quadratic:
    minutes for a few MB)."""
    rows = ["h,w,note"] + [f"{i},{i % 50},ok" for i in range(100)] + ['5,6,5\'11" tall']
    rows += [f"{i},{i % 50},ok" for i in range(60000)] + ['7,8,"quoted, with comma"', "9,10,end"]
    t = load_table(write(tmp_path, "\n".join(rows) + "\n"))
    assert t.n_rows == 60103
    notes = t.text_column("note")
    assert notes[100] == "5'11\" tall" and notes[-2] == "quoted, with comma" and notes[-1] == "end"
    assert t.to_array(["w"])[-1, 0] == 10


def test_a_literal_quote_in_the_header_does_not_swallow_rows(tmp_path):
    """The header ends at its line end: a literal quote (w in") made it run on to the end of the first
    chunk, and those data rows were lost without a word."""
    rows = ['h,w in",note'] + [f"{i},{i % 50},ok" for i in range(30000)]
    t = load_table(write(tmp_path, "\n".join(rows) + "\n"))
    assert t.column_names == ["h", 'w in"', "note"] and t.n_rows == 30000
    assert t.to_array(["h"])[:3, 0].tolist() == [0, 1, 2]
    # a quoted header name with a line break inside still spans its lines
    t = load_table(write(tmp_path, 'a,"b\nc",d\n1,2,3\n4,5,6\n', "multi.csv"))
    assert t.column_names == ["a", "b\nc", "d"] and t.n_rows == 2
    # a quoted header name that is never closed: said at the header, not thousands of lines later
    with pytest.raises(DataError, match=r"^open.csv, line 1, column 3: a quoted name in the header starts here"):
        load_table(write(tmp_path, 'a,"b,c\n' + "1,2,3\n" * 30000, "open.csv"))


@pytest.mark.parametrize("buf, cut", [
    (b"a,b\n1,2\n", 7),
    (b'1,"x\ny"\n2,3', 7),                # a newline inside a quoted field is not a record end
    (b'1\n2,"x\ny\n2,3', 1),               # an unclosed quoted field: cut before it
    (b"1,5'11\"\n2,3\n4,5", 11),         # a literal quote counts for nothing
    (b'1,"say ""hi""\nthere"\n2', 20),   # doubled quotes inside a quoted field
    (b'1,"a"\n2,"b\n', 5),
    (b'"x\ny"', -1),
    (b"no newline", -1),
])
def test_record_cut(buf, cut):
    from emdesk.io.table_text import _record_cut

    assert _record_cut(buf, b",") == cut


def test_unclosed_quote_after_a_doubled_quote(tmp_path):
    with pytest.raises(DataError, match=r"line 2, column 3: a quoted value starts here"):
        load_table(write(tmp_path, 'a,b\n1,"say ""hi"" \n2,3\n'))


def test_single_column_file(tmp_path):
    t = load_table(write(tmp_path, "x\n" + "".join(f"{i}.5\n" for i in range(50000)) + "\n\n"))
    assert t.column_names == ["x"] and t.n_rows == 50000
    assert t.to_array(["x"])[-1, 0] == 49999.5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.lists(st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False)), min_size=3,
                                 max_size=3), min_size=2, max_size=40),
       dialect=st.sampled_from([(",", ".", False), (";", ",", False), ("\t", ".", True), ("|", ".", False),
                                (";", ".", True), (" ", ".", False)]),
       newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_round_trip_of_written_tables(tmp_path, values, dialect, newline, bom):
    sep, decimal, quote = dialect
    values[0] = [1.5, 0.25, -3.5]  # every column has a number; the decimal separator shows in the sample
    for row in values:  # columns of runs of spaces cannot hold empty cells
        if sep == " ":
            row[:] = [0.0 if v is None else v for v in row]
    def cell(v):
        text = "" if v is None else repr(v).replace(".", decimal)
        return f'"{text}"' if quote else text
    lines = [sep.join(["alpha", "beta", "gamma"])] + [sep.join(cell(v) for v in row) for row in values]
    raw = ("\ufeff" if bom else "") + newline.join(lines) + newline
    t = load_table(write(tmp_path, raw))
    assert t.column_names == ["alpha", "beta", "gamma"]
    expected = np.array([[np.nan if v is None else v for v in row] for row in values])
    np.testing.assert_array_equal(t.to_array(["alpha", "beta", "gamma"]), expected)


def test_leading_comment_lines_are_skipped(tmp_path):
    t = load_table(write(tmp_path, "# instrument X-100\n# 2026-11-24\nx;y\n1,5;2\n3;4\n"))
    assert t.column_names == ["x", "y"] and t.decimal == ","
    np.testing.assert_array_equal(t.to_array(["x", "y"]), [[1.5, 2], [3, 4]])
    with pytest.raises(DataError, match="line 5: expected 2 fields"):
        load_table(write(tmp_path, "# a\n# b\nx,y\n1,2\n1,2,3\n"))


def test_numpy_savetxt_header_names_the_columns(tmp_path):
    path = tmp_path / "saved.csv"
    np.savetxt(path, np.arange(12.0).reshape(4, 3), delimiter=",", header="a,b,c")
    t = load_table(path)
    assert t.column_names == ["a", "b", "c"] and t.has_header
    np.testing.assert_array_equal(t.to_array(["a", "b", "c"]), np.arange(12.0).reshape(4, 3))
    t = load_table(write(tmp_path, "# just a note\n1 2\n3 4\n"))
    assert t.column_names == ["col1", "col2"] and not t.has_header
    with pytest.raises(DataError, match="only blank or comment lines"):
        load_table(write(tmp_path, "# nothing\n# here\n"))


# -- delimiter detection respects quotes (issue 10, item 10) ----------------------------------------------


@pytest.mark.parametrize("sep", [",", "\t", ";", "|"])
@pytest.mark.parametrize("n_rows", [50, 49, 51, 400])
def test_quoted_values_with_line_breaks_and_spaces(tmp_path, sep, n_rows):
    """The sniffed first 100 lines end inside a quoted value (50 rows of two lines each, and a header):
    that cut once made runs of spaces the delimiter (2 text columns), and the tab version was refused."""
    rows = [sep.join(["id", "note", "value"])]
    rows += [sep.join([str(i), '"red car\nblue sky"', repr(i * 1.5)]) for i in range(1, n_rows + 1)]
    t = load_table(write(tmp_path, "\n".join(rows) + "\n"))
    assert t.delimiter == sep
    assert t.column_names == ["id", "note", "value"] and t.n_rows == n_rows
    assert t.text_column("note") == ["red car\nblue sky"] * n_rows
    np.testing.assert_array_equal(t.to_array(["value"])[:, 0], np.arange(1, n_rows + 1) * 1.5)


def test_a_long_quoted_value_across_the_end_of_the_sniffed_sample(tmp_path):
    """Quoted notes with line breaks and spaces whose 64 KB sample ends inside one of them."""
    note = '"' + "word " * 30 + "\n" + "more words here " * 10 + '"'
    rows = ["id,note,value"] + [f"{i},{note},{i * 0.5}" for i in range(1, 601)]
    t = load_table(write(tmp_path, "\n".join(rows) + "\n"))
    assert t.delimiter == "," and t.column_names == ["id", "note", "value"] and t.n_rows == 600
    assert t.to_array(["value"])[-1, 0] == 300.0


# -- row-label columns (issue 10, item 11) ----------------------------------------------------------------


def _faithful_like(n=272):
    rng = np.random.default_rng(7)
    return rng.uniform(1.6, 5.1, n).round(3), rng.integers(43, 96, n)


@pytest.mark.parametrize("quoted", [True, False])
def test_r_write_csv_row_names_are_labels_not_a_variable(tmp_path, quoted):
    """R's write.csv: header "","eruptions","waiting" and the row names 1..n first. The row numbers were
    a numeric column ticked for fitting (the fit plotted row index against a variable)."""
    eruptions, waiting = _faithful_like()
    label = (lambda i: f'"{i}"') if quoted else str
    lines = ['"","eruptions","waiting"'] + [f"{label(i + 1)},{e!r},{w}" for i, (e, w) in
                                             enumerate(zip(eruptions.tolist(), waiting.tolist()))]
    t = load_table(write(tmp_path, "\n".join(lines) + "\n", "faithful.csv"))
    assert t.column_names == ["col1", "eruptions", "waiting"]
    assert t.numeric_column_names == ["eruptions", "waiting"]
    assert t.row_label_column == "col1" and t.row_labels[:3] == ["1", "2", "3"] and len(t.row_labels) == 272
    np.testing.assert_array_equal(t.to_array(), np.column_stack([eruptions, waiting]))
    with pytest.raises(DataError, match="labels the rows"):
        t.to_array(["col1", "eruptions"])
    assert t.text_column("col1")[-1] == "272"


@pytest.mark.parametrize("text, label", [
    # pandas' to_csv: nothing above the index, which counts from 0
    (",a,b\n" + "".join(f"{i},{i * 0.5},{i % 3}\n" for i in range(12)), "col1"),
    # R row names of a subset (rows 3, 7, 12, ... kept): not 1..n, but the header name is empty
    ('"","x","y"\n' + "".join(f'"{i}",{i * 0.1},{i % 4}\n' for i in (3, 7, 12, 20, 21, 30)), "col1"),
    # a named column holding exactly 1..n in order in a file of 10 rows or more: row numbers
    ("id,x,y\n" + "".join(f"{i},{i * i % 7},{i % 3}\n" for i in range(1, 13)), "id"),
    ("".join(f"{i};{i * i % 7};{i % 3}\n" for i in range(1, 13)), "col1"),  # no header at all
    # not labels: a short file (1, 2, 3 may be dose levels), a named column not 1..n, a lone column,
    # an empty name above a column with a missing value or repeated values
    ("dose,y\n1,0.5\n2,0.7\n3,0.2\n", None),
    ("id,x,y\n" + "".join(f"{i},{i * i % 7},{i % 3}\n" for i in range(2, 14)), None),
    ("n\n" + "".join(f"{i}\n" for i in range(1, 30)), None),
    (",a\n1,2\nNA,3\n3,4\n", None),
    (",a\n1,2\n1,3\n3,4\n", None),
])
def test_row_label_columns(tmp_path, text, label):
    t = load_table(write(tmp_path, text))
    assert t.row_label_column == label
    if label is not None:
        assert label not in t.numeric_column_names and t.column_names[0] == label
    else:
        assert t.row_labels is None and t.column_names[0] in t.numeric_column_names


def test_row_labels_are_kept_in_exports(tmp_path):
    from emdesk.engine import GaussianMixture
    from emdesk.io import save_assignments_csv

    eruptions, waiting = _faithful_like(60)
    lines = ['"","eruptions","waiting"'] + [f'"{i + 1}",{e!r},{w}' for i, (e, w) in
                                             enumerate(zip(eruptions.tolist(), waiting.tolist()))]
    t = load_table(write(tmp_path, "\n".join(lines) + "\n", "f.csv"))
    gm = GaussianMixture(2, random_state=0).fit(t.to_array())
    save_assignments_csv(tmp_path / "a.csv", t, gm, t.numeric_column_names)
    back = load_table(tmp_path / "a.csv")
    assert back.text_column("col1")[:2] == ["1", "2"]
    assert back.row_label_column == "col1"  # 1..n in order: still the row numbers


# -- trailing separators, progress, bare CRs (issue 10, item 12) ------------------------------------------


@pytest.mark.parametrize("text, names, values", [
    ("1,2,\n3,4,\n", ["col1", "col2"], [[1, 2], [3, 4]]),  # gained an empty third column
    ("1;2;\r\n3;4;\r\n", ["col1", "col2"], [[1, 2], [3, 4]]),
    ("1\t2\t\t\n3\t4\t\t\n", ["col1", "col2"], [[1, 2], [3, 4]]),
    ("a,b\n1,2,\n3,4,\n", ["a", "b"], [[1, 2], [3, 4]]),  # with a header, as before
    ("1,2,\n3,4,5\n", ["col1", "col2", "col3"], [[1, 2, np.nan], [3, 4, 5]]),  # a real third column
])
def test_rows_ending_with_a_separator_gain_no_empty_column(tmp_path, text, names, values):
    t = load_table(write(tmp_path, text))
    assert t.column_names == names and t.text_column_names == []
    np.testing.assert_array_equal(t.to_array(), values)


def test_rows_ending_with_a_separator_past_the_sniffed_sample(tmp_path):
    text = "".join(f"{i},{i * 0.5},\n" for i in range(20000))
    t = load_table(write(tmp_path, text))
    assert t.column_names == ["col1", "col2"] and t.n_rows == 20000


@pytest.mark.parametrize("late", [b"text", b"7,25", b"caf\xe9"])
def test_progress_never_decreases_when_the_reader_starts_again(tmp_path, late):
    """A surprise after the sniffed sample (a text cell, a decimal comma, a Latin-1 byte) makes the reader
    read again; the progress went back to 0 then."""
    sep = b";" if late == b"7,25" else b","
    rows = [b"a" + sep + b"b"] + [str(i).encode() + sep + b"1" for i in range(60000)]
    rows[50000] = late + sep + b"1"
    path = write(tmp_path, b"\n".join(rows) + b"\n")
    seen = []
    load_table(path, progress=lambda f: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) > 10
    assert all(b >= a for a, b in zip(seen, seen[1:])), seen


@pytest.mark.parametrize("raw", [
    b'# x y"\rz\n1 2\n3 4\n',  # reached the "unexpected problem, please report it" net
    b'# x y"\rz\r\n1 2\r\n3 4\r\n',
    b'x "y\rz" w\n1 2 3\n4 5 6\n',
    b'1 "a\rb" 2\n3 "c" 4\n',
    b'"a b"\x0bc\n1 2\n',
])
def test_bare_carriage_returns_inside_a_line_are_read_or_refused_clearly(tmp_path, raw):
    try:
        t = load_table(write(tmp_path, raw))
    except DataError as exc:
        assert "Please report it" not in str(exc)
    else:
        assert t.n_rows == 2


def test_a_comment_with_a_quote_and_a_bare_cr_is_skipped(tmp_path):
    t = load_table(write(tmp_path, b'# x y"\rz\n1 2\n3 4\n'))
    assert t.column_names == ["col1", "col2"] and t.to_array().tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("text,names", [
    ("a,b,\n1,2,\n3,4,\n", ["a", "b"]),            # header and rows end with a separator: no empty 3rd column
    ("1,2,\n3,4,\n", ["col1", "col2"]),            # no header (issue 10 item 12)
    ("a,b,c\n1,2,\n3,4,\n", ["a", "b", "c"]),      # a column the header names stays, even when empty
    ("a,b,\n1,2,x\n3,4,\n", ["a", "b", "col3"]),   # an unnamed column that holds a value stays
])
def test_unnamed_empty_trailing_column_is_not_a_column(tmp_path, text, names):
    p = tmp_path / "t.csv"
    p.write_text(text)
    assert load_table(p).column_names == names
