"""emdesk-fit --select --model hmm (issue 16's list): the HMM sweep of the engine and the window
(emdesk.engine.hmm_selection.iter_select_hmm) from the command line, with the options of one HMM fit
(--sequence-column, --order-column, --family, --transmat-prior ...): the table, the top three and the chosen fit
file the app opens; bad input is one line with exit code 2."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import runpy
import sys

import numpy as np
import pytest

from emdesk.engine import GaussianHMM, PoissonHMM
from emdesk.io import load_fit

from tests.cli_run import run_in_process as run


@pytest.fixture(scope="module")
def series_csv(tmp_path_factory):
    """Two sequences (ids a, b) of a two-regime series, rows shuffled: x, y (Gaussian), n (counts)."""
    rng = np.random.default_rng(0)
    rows = []
    for sid, n in (("a", 50), ("b", 40)):
        st = (np.arange(n) // 10) % 2
        x = rng.normal(0, 1, (n, 2)) + np.array([[0, 0], [5, 5]])[st]
        c = rng.poisson(np.array([1.0, 9.0])[st])
        rows += [(sid, t, round(float(x[t, 0]), 4), round(float(x[t, 1]), 4), int(c[t])) for t in range(n)]
    path = tmp_path_factory.mktemp("hmmsel") / "series.csv"
    with open(path, "w") as f:
        f.write("id,t,x,y,n\n")
        for i in rng.permutation(len(rows)):
            f.write("%s,%d,%r,%r,%d\n" % rows[i])
    return path


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_hmm_sweep_writes_the_table_and_the_chosen_fit(tmp_path, series_csv):
    out = run(series_csv, "--model", "hmm", "--columns", "x,y", "--sequence-column", "id", "--order-column", "t",
              "--select", "--max-components", "3", "--covariance-types", "diag,full", "--n-init", "1", "--seed", "0",
              "--transmat-prior", "2", "--selection-csv", tmp_path / "sel.csv", "-o", tmp_path / "best.json",
              "--assignments", tmp_path / "states.csv")
    assert out.returncode == 0, out.stderr
    assert "series.csv: 90 rows, columns x, y; 2 sequences by id, ordered by t; 90 rows fitted" in out.stdout
    assert ("6 HMM fits (1 to 3 states x diag, full; 1 restart each; transition prior 2)" in out.stdout), out.stdout
    top = [line for line in out.stdout.splitlines() if line.startswith("  1. ")]
    assert top and top[0].startswith("  1. 2 states, "), out.stdout
    assert "component" not in out.stdout  # the engine's sweep wording, said in states
    rows = _rows(tmp_path / "sel.csv")
    head = rows[0]
    assert len(rows) == 7 and [r[:2] for r in rows[1:]] == [["1", "diag"], ["1", "full"], ["2", "diag"],
                                                            ["2", "full"], ["3", "diag"], ["3", "full"]]
    best = [r for r in rows[1:] if r[head.index("best")] == "true"]
    assert len(best) == 1 and best[0][0] == "2"
    model = load_fit(tmp_path / "best.json")  # the file the app opens
    assert isinstance(model, GaussianHMM) and model.n_components == 2 and model.covariance_type == best[0][1]
    doc = json.loads((tmp_path / "best.json").read_text())
    assert doc["options"]["transmat_prior"] == 2.0 and doc["sequences"]["sequence_column"] == "id"
    assert float(best[0][head.index("bic")]) == pytest.approx(doc["fit"]["bic"], rel=1e-9)
    assert len(_rows(tmp_path / "states.csv")) == 91


def test_poisson_hmm_sweep_is_over_the_states(tmp_path, series_csv):
    out = run(series_csv, "--model", "hmm", "--family", "poisson", "--columns", "n", "--sequence-column", "id",
              "--select", "--max-components", "3", "--n-init", "1", "--seed", "0", "--criterion", "aic",
              "-o", tmp_path / "p.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "3 HMM fits (1 to 3 states x poisson emissions; 1 restart each)" in out.stdout
    assert "top 3 by AIC" in out.stdout
    assert isinstance(load_fit(tmp_path / "p.json"), PoissonHMM)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]  # nothing else unless asked for


def test_a_single_hmm_fit_takes_a_matrix_prior(tmp_path, series_csv):
    out = run(series_csv, "--model", "hmm", "--columns", "x", "--sequence-column", "id", "-k", "2", "--n-init", "1",
              "--seed", "0", "--transmat-prior", "5,1;1,5", "-o", tmp_path / "f.json")
    assert out.returncode == 0, out.stderr
    assert "a 2 x 2 transition prior" in out.stdout
    doc = json.loads((tmp_path / "f.json").read_text())
    assert doc["options"]["transmat_prior"] == [[5.0, 1.0], [1.0, 5.0]]
    np.testing.assert_array_equal(load_fit(tmp_path / "f.json").transmat_prior, [[5.0, 1.0], [1.0, 5.0]])


HMM = ["--model", "hmm", "--columns", "x,y", "--sequence-column", "id"]


@pytest.mark.parametrize("args, message", [
    (HMM + ["--select", "--max-components", "3", "--transmat-prior", "5,1;1,5"],
     "--transmat-prior is a 2 x 2 matrix, a prior for 2 states only; --select tries 1 to 3 states: give a number"),
    (HMM + ["--select", "--transmat-prior", "5,1;1,5"], "--select tries 1 to 5 states"),
    (HMM + ["-k", "3", "--transmat-prior", "5,1;1,5"], "a prior for 2 states; the fit has 3 (-k)"),
    (HMM + ["--transmat-prior", "5,1;1"], "a matrix prior is square"),
    (HMM + ["--transmat-prior", "-1"], "expected a number >= 0"),
    (HMM + ["--transmat-prior", "nan"], "expected a number >= 0"),
    (["--columns", "x,y", "--transmat-prior", "2"], "add --model hmm"),
    (HMM + ["--select", "--covariance-types", "full,VVV"], "--covariance-types VVV (mclust's models) is for Gaussian "
                                                           "mixtures; HMMs take full, tied, diag, spherical"),
    (HMM + ["--select", "--covariance-types", "mclust"], "HMMs take full, tied, diag, spherical"),
    (["--model", "hmm", "--family", "poisson", "--columns", "n", "--select", "--covariance-types", "full"],
     "a --family poisson HMM sweeps the number of states only"),
    (HMM + ["--select", "-k", "2"], "use --max-components and --covariance-types"),
    (["--family", "poisson", "--columns", "n", "--select"], "leave out --family for mixtures"),
])
def test_hmm_select_usage_errors(tmp_path, series_csv, args, message):
    out = run(series_csv, *args, "-o", tmp_path / "x.json", cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("emdesk-fit: error: ") and message in out.stderr, \
        out.stderr
    assert list(tmp_path.iterdir()) == []


def test_hmm_select_data_errors_are_one_line(tmp_path, series_csv):
    out = run(series_csv, *HMM[:4], "--sequence-column", "site", "--select", "-o", tmp_path / "x.json")
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "'site' is not a column" in out.stderr
    few = tmp_path / "few.csv"
    few.write_text("x\n1\n2\n3\n")
    out = run(few, "--model", "hmm", "--select", "--max-components", "4", "--selection-csv", tmp_path / "s.csv")
    assert out.returncode == 1 and "choose at most 3" in out.stderr and not (tmp_path / "s.csv").exists()


@pytest.mark.filterwarnings("ignore:'emdesk.cli' found in sys.modules:RuntimeWarning")
def test_usage_errors_of_the_select_module_under_python_m(tmp_path, series_csv, monkeypatch):
    """``python -m emdesk.cli`` runs the module as ``__main__``: cli_select's checks raise that module's usage
    error (a class imported from emdesk.cli was another one, and the error came out as a traceback)."""
    import emdesk.cli  # noqa: F401  (as the select module imports it: two module objects, as under -m)

    monkeypatch.setattr(sys, "argv", ["emdesk-fit", str(series_csv), *HMM, "--select", "--covariance-types", "VVV"])
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exc:
        runpy.run_module("emdesk.cli", run_name="__main__")
    assert exc.value.code == 2 and err.getvalue().startswith("emdesk-fit: error: --covariance-types VVV"), err.getvalue()


def test_one_column_sweeps_the_two_distinct_gaussian_models(tmp_path, series_csv):
    """With one column full, diag and spherical are one model (a variance per state): the default sweep tries
    diag and tied once each and says why, instead of ranking three copies of the same fit (1 Dec 2026: the top
    three were '3 states, diag / spherical / full', +0.00 apart); named types are swept as given."""
    out = run(series_csv, "--model", "hmm", "--columns", "x", "--sequence-column", "id", "--order-column", "t",
              "--select", "--max-components", "2", "--n-init", "1", "--seed", "0",
              "--selection-csv", tmp_path / "sel.csv")
    assert out.returncode == 0, out.stderr
    assert "4 HMM fits (1 to 2 states x diag, tied; 1 restart each)" in out.stdout, out.stdout
    assert "note: one column: full, diag and spherical are the same model" in out.stdout
    assert sorted({r[1] for r in _rows(tmp_path / "sel.csv")[1:]}) == ["diag", "tied"]
    named = run(series_csv, "--model", "hmm", "--columns", "x", "--sequence-column", "id", "--order-column", "t",
                "--select", "--max-components", "1", "--covariance-types", "full,spherical", "--n-init", "1")
    assert named.returncode == 0, named.stderr
    assert "x full, spherical;" in named.stdout and "one column" not in named.stdout


def test_a_sweep_of_one_number_says_it_in_the_singular(tmp_path, series_csv):
    """--max-components 1: '1 state' / '1 component', not '1 to 1 states' (the newcomer's and breaker's wording)."""
    out = run(series_csv, "--model", "hmm", "--columns", "x,y", "--sequence-column", "id", "--select",
              "--max-components", "1", "--covariance-types", "diag", "--n-init", "1")
    assert out.returncode == 0, out.stderr
    assert "1 HMM fit (1 state x diag; 1 restart each)" in out.stdout, out.stdout
    mix = run(series_csv, "--columns", "x,y", "--select", "--max-components", "1", "--n-init", "1")
    assert mix.returncode == 0, mix.stderr
    assert " fits (1 component x mclust's models " in mix.stdout, mix.stdout
