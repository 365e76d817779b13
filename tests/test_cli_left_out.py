"""emdesk-fit with the default columns names the columns it does not fit (text, no values), so that a column read as
text because of one stray word is not dropped silently."""
from __future__ import annotations

from tests.cli_run import run_in_process


def _write(p, header, rows):
    p.write_text(header + "\n" + "".join(rows))


def test_text_and_empty_columns_are_named(tmp_path):
    p = tmp_path / "mixed.csv"
    _write(p, "x;grp;y;blank", [f"{i % 7},5;g{i % 3};{(i * 3) % 11};\n" for i in range(40)])
    r = run_in_process(p, "-k", "2", "--n-init", "1")
    assert r.returncode == 0, r.stderr
    assert "mixed.csv: columns left out: grp (text), blank (no values); name the columns to fit with --columns" \
        in r.stdout
    assert "columns x, y" in r.stdout


def test_no_note_when_every_column_is_fitted_or_named(tmp_path):
    p = tmp_path / "plain.csv"
    _write(p, "x,y,grp", [f"{i % 7},{(i * 3) % 11},g{i % 2}\n" for i in range(40)])
    r = run_in_process(p, "-k", "2", "--n-init", "1", "--columns", "x,y")
    assert r.returncode == 0, r.stderr
    assert "left out" not in r.stdout
    r = run_in_process(tmp_path / "plain.csv", "-k", "2", "--n-init", "1")
    assert "plain.csv: columns left out: grp (text)" in r.stdout


def test_quiet_prints_nothing(tmp_path):
    p = tmp_path / "mixed.csv"
    _write(p, "x,grp,y", [f"{i % 7},g{i % 3},{(i * 3) % 11}\n" for i in range(40)])
    r = run_in_process(p, "-k", "2", "--n-init", "1", "-q")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""


def test_hmm_sequence_column_is_not_called_left_out(tmp_path):
    p = tmp_path / "seq.csv"
    _write(p, "seq,x,note", [f"s{i // 20},{(i * 7) % 13},n\n" for i in range(40)])
    r = run_in_process(p, "--model", "hmm", "-k", "2", "--n-init", "1", "--sequence-column", "seq")
    assert r.returncode == 0, r.stderr
    assert "seq.csv: columns left out: note (text);" in r.stdout
    assert "seq (" not in r.stdout


def test_a_stray_word_is_named_with_its_row(tmp_path):
    p = tmp_path / "stray.csv"
    rows = [f"{i % 7},{(i * 3) % 11}\n" for i in range(40)]
    rows[12] = "5,twelve\n"
    _write(p, "x,y", rows)
    r = run_in_process(p, "-k", "2", "--n-init", "1")
    assert r.returncode == 0, r.stderr
    assert "stray.csv: columns left out: y (text: 39 numbers and 1 other, row 13 holds 'twelve')" in r.stdout
