"""emdesk-fit's error for an engine message that numbers X's columns names the file's column too."""
from __future__ import annotations

import pytest

from tests.cli_run import run_in_process


@pytest.mark.parametrize("extra", [[], ["--model", "hmm"]])
def test_overflowing_column_is_named(tmp_path, extra):
    p = tmp_path / "huge.csv"
    p.write_text("level;flow\n" + "".join(f"{i % 7},5;{i % 5}\n" for i in range(30)) + "2;1e308\n")
    r = run_in_process(p, "-k", "2", "-o", tmp_path / "f.json", *extra)
    assert r.returncode == 1, r.stderr
    assert "Column 2 (flow) holds values as far as 1e+308" in r.stderr
    assert not (tmp_path / "f.json").exists()


def test_name_columns_leaves_other_text_alone():
    from emdesk.engine._validation import name_columns

    assert name_columns("Column 1 holds; column 3 is far; X has 2 columns", ["a", "b"]) == \
        "Column 1 (a) holds; column 3 is far; X has 2 columns"
    assert name_columns("Column 1 (a) holds", ["a"]) == "Column 1 (a) holds"
    assert name_columns("Column 1 holds", None) == "Column 1 holds"


def test_covariance_type_is_scikit_learns_name_for_covariance(tmp_path):
    # argparse took --covariance-type for an abbreviation of --covariance-types: "--covariance-types belongs to
    # model selection; add --select", for a user who asked for one diag fit
    p = tmp_path / "d.csv"
    p.write_text("x,y\n" + "".join(f"{i % 7}.5,{(i * 3) % 11}\n" for i in range(40)))
    r = run_in_process(p, "-k", "2", "--covariance-type", "diag", "--seed", "0", "-o", tmp_path / "f.json")
    assert r.returncode == 0, r.stderr
    assert "diag covariance" in r.stdout
    s = run_in_process(p, "--select", "--covariance-type", "diag", "-o", tmp_path / "s.json")
    assert s.returncode == 2 and "use --max-components and --covariance-types instead" in s.stderr
