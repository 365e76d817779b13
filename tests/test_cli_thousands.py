"""emdesk-fit says when a thousands separator was a guess (10.691 in a decimal-comma file read as 10691), and
--thousands / --decimal choose them."""

import json

import pytest

from tests.cli_run import run_in_process


def test_cli_notes_a_guessed_thousands_separator(tmp_path):
    p = tmp_path / "orte.csv"
    p.write_text("Einwohner;Fläche\n" + "".join(f"{i + 10}.{i * 37 % 1000:03d};{i % 5},5\n" for i in range(20)),
                 encoding="utf-8")
    r = run_in_process(p, "-k", "1", "--n-init", "1", "--columns", "Einwohner")
    assert r.returncode == 0, r.stderr
    assert "note: Column 'Einwohner' holds numbers such as '10.000', read as 10000" in r.stderr
    # the command line's option, not the window's menu (it said "... in File > Import with Options")
    assert "give --thousands none." in r.stderr and "File > Import" not in r.stderr


def _mean(tmp_path, *options):
    p = tmp_path / "orte.csv"
    out = tmp_path / "fit.json"
    r = run_in_process(p, "-k", "1", "--n-init", "1", "--columns", "Einwohner", "-o", out, "-q", *options)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())["model"]["means"][0][0], r.stderr


@pytest.mark.parametrize("thousands, mean", [("auto", 10500.0), (".", 10500.0), ("none", 10.5)])
def test_cli_thousands_option_chooses(tmp_path, thousands, mean):
    (tmp_path / "orte.csv").write_text("Einwohner;Fläche\n10.000;1,5\n11.000;2,5\n", encoding="utf-8")
    got, stderr = _mean(tmp_path, "--thousands", thousands)
    assert got == pytest.approx(mean)
    assert ("note: Column 'Einwohner'" in stderr) == (thousands == "auto")  # a choice is not a guess


@pytest.mark.parametrize("text, options, mean", [
    ("Einwohner;x\n1 234,5;1\n2 345,5;2\n", (), 1790.0),            # spaces: detected
    ("Einwohner;x\n1 234,5;1\n2 345,5;2\n", ("--thousands", "space"), 1790.0),
    ("Einwohner,x\n1'234.5,1\n2'345.5,2\n", ("--thousands", "'"), 1790.0),
    ("Einwohner;x\n1,5;1\n2,5;2\n", ("--decimal", ","), 2.0),
    ("Einwohner;x\n1.234;1\n2.234;2\n", ("--decimal", ","), 1734.0),  # then the point groups thousands
    ("Einwohner;x\n1.234;1\n2.234;2\n", ("--decimal", ".", "--thousands", "none"), 1.734),
])
def test_cli_marks(tmp_path, text, options, mean):
    (tmp_path / "orte.csv").write_text(text, encoding="utf-8")
    assert _mean(tmp_path, *options)[0] == pytest.approx(mean)


def test_cli_marks_refused(tmp_path):
    p = tmp_path / "orte.csv"
    p.write_text("Einwohner;x\n1,5;1\n2,5;2\n", encoding="utf-8")
    r = run_in_process(p, "-k", "1", "--decimal", ",", "--thousands", ",")
    assert r.returncode == 2 and "--thousands , is also the --decimal mark" in r.stderr
    r = run_in_process(p, "-k", "1", "--thousands", "x")
    assert r.returncode == 2 and "--thousands" in r.stderr
    r = run_in_process(p, "-k", "1", "--help")
    assert r.returncode == 0 and "--thousands {auto,none,.,,,space,'}" in r.stdout and "--decimal" in r.stdout


def test_cli_notes_a_column_read_with_the_other_decimal_mark(tmp_path):
    (tmp_path / "orte.csv").write_text("Einwohner;x\n1;1.5\n2;2.5\n3,5;3.5\n", encoding="utf-8")
    mean, stderr = _mean(tmp_path)
    assert mean == pytest.approx(6.5 / 3)
    assert "note: Column 'Einwohner' is read with a decimal comma" in stderr and "'3,5'" in stderr
    assert "To read it otherwise, give --decimal . on the command line." in stderr and "File > Import" not in stderr
