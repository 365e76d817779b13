"""emdesk-fit: its ``main`` in this process (tests/cli_run.py); ``python -m emdesk.cli`` itself, the way people
run it, in a subprocess where the command is what is tested (help, a console that cannot show a name)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from emdesk.io import load_fit, load_table

from tests.cli_run import run_in_process, run_subprocess


def run(*args, cwd=None):
    """emdesk-fit ARGS: ``emdesk.cli.main`` in this process (tests/cli_run.py says why; the tests that start
    ``python -m emdesk.cli`` itself use ``run_subprocess``)."""
    return run_in_process(*args, cwd=cwd)


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal([0, 0, 0], 1.0, (120, 3)), rng.normal([5, 5, -5], 0.7, (120, 3)),
                   rng.normal([-5, 6, 2], 0.5, (120, 3))])
    path = tmp_path_factory.mktemp("cli") / "data.csv"
    with open(path, "w") as f:
        f.write("a;b;c;name\n")  # European file: semicolons and decimal commas
        for i, row in enumerate(X):
            f.write(";".join(repr(float(v)).replace(".", ",") for v in row) + f";row {i}\n")
    return path


def test_help_documents_every_option():
    out = run_subprocess("--help")  # the command as people start it
    assert out.returncode == 0
    for option in ("--columns", "-k", "--covariance", "--n-init", "--seed", "-o", "--assignments",
                   "--parameters", "--imputed", "--missing", "--max-iter", "--tol", "--reg-covar", "--init"):
        assert option in out.stdout


def test_full_run_writes_every_file(tmp_path, data_csv):
    out = run(data_csv, "--columns", "a,b", "-k", "3", "--covariance", "full", "--n-init", "2", "--seed", "0",
              "-o", tmp_path / "fit.json", "--assignments", tmp_path / "as.csv", "--parameters",
              tmp_path / "par.csv")
    assert out.returncode == 0, out.stderr
    assert "log-likelihood" in out.stdout and "BIC" in out.stdout
    assert "iterations" in out.stdout and "converged" in out.stdout
    assert "3 components, full covariance" in out.stdout
    doc = json.loads((tmp_path / "fit.json").read_text())
    assert doc["columns"] == ["a", "b"] and doc["model"]["n_components"] == 3
    assert doc["options"]["n_init"] == 2 and doc["random_seed"] == 0
    assert doc["data"]["file_name"] == "data.csv" and doc["data"]["n_rows"] == 360
    assert doc["data"]["sha256"] == load_table(data_csv).sha256
    model = load_fit(tmp_path / "fit.json")
    X = load_table(data_csv).to_array(["a", "b"])
    with open(tmp_path / "as.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["a", "b", "c", "name", "p_component_1", "p_component_2", "p_component_3", "component"]
    assert [int(r[-1]) for r in rows[1:]] == list(model.predict(X) + 1)
    with open(tmp_path / "par.csv", newline="") as f:
        assert len(list(csv.reader(f))) == 4
    # same seed, same fit
    again = run(data_csv, "--columns", "a,b", "-k", "3", "--n-init", "2", "--seed", "0", "-o", tmp_path / "f2.json")
    assert again.returncode == 0
    doc2 = json.loads((tmp_path / "f2.json").read_text())
    assert doc2["model"]["means"] == doc["model"]["means"]


def test_one_component_is_singular_in_the_summary(tmp_path, data_csv):
    out = run(data_csv, "--columns", "a", "-k", "1", "-o", tmp_path / "fit.json")
    assert out.returncode == 0, out.stderr
    assert "1 component, full covariance" in out.stdout


def test_missing_values_marginalize_drop_and_imputed(tmp_path):
    pytest.importorskip("emdesk.engine._missing")  # the engine's missing-value support (issue 5)
    path = tmp_path / "holes.csv"
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(6, 1, (80, 2))])
    lines = ["x,y"] + [f"{a!r},{b!r}" for a, b in X.tolist()]
    lines[5] = "NA," + lines[5].split(",")[1]
    lines[9] = lines[9].split(",")[0] + ","
    path.write_text("\n".join(lines) + "\n")
    out = run(path, "-k", "2", "--seed", "0", "-o", tmp_path / "m.json", "--imputed", tmp_path / "imp.csv")
    assert out.returncode == 0, out.stderr
    assert "2 rows with missing values" in out.stdout
    assert json.loads((tmp_path / "m.json").read_text())["options"]["missing"] == "marginalize"
    with open(tmp_path / "imp.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["x", "y", "imputed"]
    assert rows[5][2] == "x" and rows[9][2] == "y" and rows[1][2] == ""
    assert all(r[0] and r[1] for r in rows[1:])
    out = run(path, "-k", "2", "--seed", "0", "--missing", "drop", "-o", tmp_path / "d.json")
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "d.json").read_text())["data"]["n_rows_fitted"] == 158
    out = run(path, "-k", "2", "--missing", "error", "-o", tmp_path / "e.json")
    assert out.returncode == 1
    assert "missing values" in out.stderr and "--missing" in out.stderr


def test_a_console_that_cannot_show_a_column_name_does_not_fail_the_run(tmp_path):
    """A Windows console or pipe in cp1252 cannot show every name; the fit is still a success."""
    import os

    path = tmp_path / "eu.csv"
    path.write_text("L\u00e4nge;\u5bbd\n1,5;2\n2,5;3\n3,5;1\n4;4\n", encoding="utf-8")
    env = dict(os.environ, PYTHONIOENCODING="ascii")
    out = subprocess.run([sys.executable, "-m", "emdesk.cli", str(path), "-k", "1", "-o", str(tmp_path / "f.json")],
                         capture_output=True, text=True, env=env, timeout=120, encoding="ascii",
                         errors="strict")
    assert out.returncode == 0, out.stderr
    assert "columns L\\xe4nge, \\u5bbd" in out.stdout and "wrote" in out.stdout


def test_rows_with_no_value_are_reported_as_left_out(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("a,b\n1,2\n,\n3,\n5,6\n7,9\n2,2\nNA,NA\n")
    out = run(path, "-k", "1", "-o", tmp_path / "f.json")
    assert out.returncode == 0, out.stderr
    assert ("3 rows with missing values: 1 fitted on its observed values, 2 with no value left out"
            in out.stdout), out.stdout
    out = run(path, "-k", "1", "--missing", "drop", "-o", tmp_path / "d.json")
    assert out.returncode == 0, out.stderr
    assert "3 rows with missing values dropped" in out.stdout


def test_an_output_never_replaces_the_data_file_or_another_output(tmp_path, data_csv):
    data = tmp_path / "data.csv"
    data.write_bytes(data_csv.read_bytes())
    out = run(data, "--columns", "a,b", "-o", data, cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "would replace the data file" in out.stderr
    out = run("data.csv", "--columns", "a,b", "--assignments", "./data.csv", cwd=tmp_path)
    assert out.returncode == 2 and "would replace the data file" in out.stderr
    assert data.read_bytes() == data_csv.read_bytes()
    out = run(data, "--columns", "a,b", "-o", tmp_path / "f.json", "--assignments", tmp_path / "x.csv",
              "--parameters", tmp_path / "x.csv")
    assert out.returncode == 2 and "--assignments and --parameters name the same file" in out.stderr
    assert not (tmp_path / "f.json").exists()
    # a folder that does not exist: said before fitting, not after the fit file was written
    out = run(data, "--columns", "a,b", "-o", tmp_path / "f.json", "--assignments", tmp_path / "no" / "a.csv")
    assert out.returncode == 2 and "--assignments: the folder" in out.stderr and "does not exist" in out.stderr
    assert not (tmp_path / "f.json").exists()


@pytest.mark.parametrize("args,code,message", [
    (["nothere.csv"], 1, "no such file"),
    (["{data}", "--columns", "a,zz"], 1, "no column 'zz'"),
    (["{data}", "--columns", "name"], 1, "holds text"),
    (["{data}", "-k", "0"], 2, "-k"),
    (["{data}", "--covariance", "round"], 2, "--covariance"),
    (["{data}", "--bogus"], 2, "unrecognized arguments"),
    (["{data}", "-k", "400", "--columns", "a"], 1, "choose at most 360 components"),
    (["{bad}"], 1, "line 3: expected 2 fields"),
])
def test_bad_input_gives_one_line_and_exit_code(tmp_path, data_csv, args, code, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n1,2,3\n")
    args = [str(a).format(data=data_csv, bad=bad) for a in args]
    out = run(*args, "-o", tmp_path / "x.json", cwd=tmp_path)
    assert out.returncode == code
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("emdesk-fit: error: ")
    assert message in lines[0]
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "x.json").exists()


# -- bounds and outputs (issue 10, item 8) ---------------------------------------------------------------


@pytest.mark.parametrize("option, value, message", [
    ("--n-init", "10000000000000000000000", "restarts must be from 1 to 1000"),
    ("-k", "10000000000000000000000", "components must be from 1 to 1000"),
    ("--max-iter", "10000000000000000000000", "iterations must be from 1 to 1,000,000|iterations must be from 1 to 1000000"),
    ("--n-init", "1001", "restarts must be from 1 to 1000, got 1001"),
    ("--max-iter", "9" * 5000, "5000-digit number"),
    ("--seed", "9" * 5000, "seed must be from 0"),
    ("--seed", str(2 ** 64), "seed must be from 0"),
    ("--n-init", "x" * 5000, "expected a whole number"),
    ("--tol", "x" * 5000, "expected a number"),
])
def test_absurd_counts_are_usage_errors(tmp_path, data_csv, option, value, message):
    out = run(data_csv, option, value, "-o", tmp_path / "x.json")
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and len(out.stderr) < 300, out.stderr
    assert option in out.stderr
    import re
    assert re.search(message, out.stderr), out.stderr
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("option", ["-o", "--assignments", "--parameters", "--imputed"])
def test_an_empty_output_name_is_a_usage_error(tmp_path, data_csv, option):
    out = run(data_csv, "--columns", "a,b", option, "", cwd=tmp_path)
    assert out.returncode == 2 and "expected a file name, got an empty one" in out.stderr, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_every_output_is_checked_before_the_fit(tmp_path, data_csv):
    (tmp_path / "a.csv").mkdir()  # a folder where a file is asked for
    out = run(data_csv, "--columns", "a,b", "-o", tmp_path / "f.json", "--parameters", tmp_path / "p.csv",
              "--assignments", tmp_path / "a.csv")
    assert out.returncode == 2 and "--assignments: Cannot write a.csv: it is a folder" in out.stderr, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def _cli_in_process(capsys, *args):
    from emdesk import cli

    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("failing", ["save_parameters_csv", "save_assignments_csv", "save_imputed_csv"])
def test_a_failed_output_leaves_none_written(tmp_path, data_csv, capsys, monkeypatch, failing):
    """A write that fails after others succeeded (a full disk, say): none of the outputs is left and the
    message names the one that failed; files that existed keep their content."""
    import emdesk.io as io_module

    (tmp_path / "f.json").write_text("previous fit")
    real = getattr(io_module, failing)

    def full_disk(path, *a, **k):
        from emdesk.io._atomic import atomic_write

        with atomic_write(path) as handle:
            handle.write("partial")
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(io_module, failing, full_disk)
    option = {"save_parameters_csv": "--parameters", "save_assignments_csv": "--assignments",
              "save_imputed_csv": "--imputed"}[failing]
    code, out, err = _cli_in_process(capsys, data_csv, "--columns", "a,b", "-k", "2", "--seed", "0",
                                     "-o", tmp_path / "f.json", "--parameters", tmp_path / "p.csv",
                                     "--assignments", tmp_path / "a.csv", "--imputed", tmp_path / "i.csv")
    assert code == 1, err
    assert f"{option} {tmp_path / {'--parameters': 'p.csv', '--assignments': 'a.csv', '--imputed': 'i.csv'}[option]}" in err
    assert "No space left on device" in err and "No output was written" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]
    assert (tmp_path / "f.json").read_text() == "previous fit"
    assert "wrote" not in out
    monkeypatch.setattr(io_module, failing, real)


def test_a_failure_while_moving_outputs_into_place_restores_the_previous_files(tmp_path, data_csv, capsys,
                                                                               monkeypatch):
    import emdesk.io._atomic as atomic

    (tmp_path / "f.json").write_text("previous fit")
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith("a.csv"):
            raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    code, out, err = _cli_in_process(capsys, data_csv, "--columns", "a,b", "-k", "2", "--seed", "0",
                                     "-o", tmp_path / "f.json", "--parameters", tmp_path / "p.csv",
                                     "--assignments", tmp_path / "a.csv")
    assert code == 1
    assert "Cannot write a.csv: Input/output error" in err and "None of the files was written" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]
    assert (tmp_path / "f.json").read_text() == "previous fit"


def test_outputs_are_written_together_when_all_succeed(tmp_path, data_csv, capsys):
    code, out, err = _cli_in_process(capsys, data_csv, "--columns", "a,b", "-k", "2", "--seed", "0",
                                     "-o", tmp_path / "f.json", "--parameters", tmp_path / "p.csv",
                                     "--assignments", tmp_path / "a.csv")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "f.json", "p.csv"]
    assert out.count("wrote ") == 3


def test_r_row_names_are_not_fitted_by_default(tmp_path):
    rng = np.random.default_rng(2)
    lines = ['"","eruptions","waiting"'] + [f'"{i + 1}",{rng.normal(3, 1)!r},{rng.normal(70, 10)!r}'
                                             for i in range(100)]
    (tmp_path / "faithful.csv").write_text("\n".join(lines) + "\n")
    out = run(tmp_path / "faithful.csv", "-k", "2", "--seed", "0", "-o", tmp_path / "f.json")
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "f.json").read_text())["columns"] == ["eruptions", "waiting"]
