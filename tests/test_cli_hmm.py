"""emdesk-fit --model hmm (issue 12) and --select (issue 11), its ``main`` in this process (tests/cli_run.py);
one HMM fit runs ``python -m emdesk.cli`` in a subprocess, the way people run it."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from emdesk.engine import CategoricalHMM, GaussianHMM, GaussianMixture, PoissonHMM
from emdesk.io import load_fit, load_table
from emdesk.io.sequences import sequence_layout

from tests.cli_run import run_in_process, run_subprocess


def run(*args, cwd=None):
    """emdesk-fit ARGS: ``emdesk.cli.main`` in this process (tests/cli_run.py says why; the tests that start
    ``python -m emdesk.cli`` itself use ``run_subprocess``)."""
    return run_in_process(*args, cwd=cwd)


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def long_csv(tmp_path_factory):
    """Two sequences (ids a, b) of a two-regime series, rows shuffled: x, y (Gaussian), n (counts),
    sky (text symbols)."""
    rng = np.random.default_rng(0)
    rows = []
    for sid, n in (("a", 80), ("b", 60)):
        st = (np.arange(n) // 15) % 2
        x = rng.normal(0, 1, (n, 2)) + np.array([[0, 0], [5, 5]])[st]
        c = rng.poisson(np.array([1.0, 9.0])[st])
        sky = np.where(st == 0, rng.choice(["sun", "cloud"], n, p=[0.8, 0.2]),
                       rng.choice(["rain", "cloud"], n, p=[0.7, 0.3]))
        for t in range(n):
            rows.append((sid, t, float(x[t, 0]), float(x[t, 1]), int(c[t]), str(sky[t])))
    path = tmp_path_factory.mktemp("hmm") / "long.csv"
    with open(path, "w") as f:
        f.write("id,t,x,y,n,sky\n")
        for i in rng.permutation(len(rows)):
            f.write("%s,%d,%r,%r,%d,%s\n" % rows[i])
    return path


@pytest.mark.parametrize("family, columns, cls", [
    ("gaussian", "x,y", GaussianHMM), ("poisson", "n", PoissonHMM), ("categorical", "sky", CategoricalHMM)])
def test_hmm_on_a_long_table_writes_every_file(tmp_path, long_csv, family, columns, cls):
    out = run(long_csv, "--model", "hmm", "--family", family, "--columns", columns, "--sequence-column", "id",
              "--order-column", "t", "-k", "2", "--seed", "0", "--n-init", "2", "-o", tmp_path / "f.json",
              "--assignments", tmp_path / "as.csv", "--parameters", tmp_path / "par.csv")
    assert out.returncode == 0, out.stderr
    assert "2 sequences by id, ordered by t; 140 rows fitted" in out.stdout
    assert "note: Rows were sorted by t within each sequence." in out.stdout
    assert "2 states" in out.stdout and "log-likelihood" in out.stdout and "BIC" in out.stdout
    model = load_fit(tmp_path / "f.json")
    assert isinstance(model, cls)
    doc = json.loads((tmp_path / "f.json").read_text())
    assert doc["sequences"] == {"sequence_column": "id", "order_column": "t", "n_sequences": 2}
    assert doc["data"]["n_rows"] == 140 and doc["options"]["n_init"] == 2 and doc["random_seed"] == 0
    # the assignments are the model's posteriors and Viterbi path, in the file's row order
    table = load_table(long_csv)
    cols = columns.split(",")
    if family == "categorical":
        from emdesk.io.sequences import encode_symbols

        X = encode_symbols(table, "sky", list(model.symbols_))[0][:, None]
        assert list(model.symbols_) == ["cloud", "rain", "sun"]
    else:
        X = table.to_array(cols)
    layout = sequence_layout(table, X, sequence_column="id", order_column="t")
    lengths = layout.lengths.tolist()
    rows = _rows(tmp_path / "as.csv")
    assert rows[0] == ["id", "t", "x", "y", "n", "sky", "p_state_1", "p_state_2", "state"]
    assert [r[:6] for r in rows[1:]] == [r for r in _rows(long_csv)[1:]]
    post = np.array([[float(v) for v in r[6:8]] for r in rows[1:]])
    state = np.array([int(r[8]) for r in rows[1:]])
    np.testing.assert_allclose(post[layout.rows], model.predict_proba(X[layout.rows], lengths), atol=1e-12)
    np.testing.assert_array_equal(state[layout.rows], model.predict(X[layout.rows], lengths) + 1)
    # the regimes are recovered: state agrees with the generating regime (x > 2.5) up to relabelling
    regime = (table.to_array(["x"])[:, 0] + table.to_array(["y"])[:, 0] > 5).astype(int) + 1
    if family == "gaussian":
        agree = max(np.mean(state == regime), np.mean(state == 3 - regime))
        assert agree > 0.95
    par = _rows(tmp_path / "par.csv")
    assert par[0][:4] == ["state", "startprob", "to_state_1", "to_state_2"] and len(par) == 3


def test_hmm_in_file_order_without_sequence_columns(tmp_path):
    path = tmp_path / "series.csv"
    rng = np.random.default_rng(4)
    st = (np.arange(120) // 20) % 2
    x = rng.normal(0, 1, 120) + 6 * st
    path.write_text("value\n" + "\n".join(repr(float(v)) for v in x) + "\n")
    # in a fresh interpreter: the HMM path imports what it needs by itself
    out = run_subprocess(path, "--model", "hmm", "-k", "2", "--seed", "1", "--covariance", "spherical",
                         "-o", tmp_path / "f.json", "--assignments", tmp_path / "as.csv")
    assert out.returncode == 0, out.stderr
    assert "1 sequence; 120 rows fitted" in out.stdout and "spherical covariance" in out.stdout
    model = load_fit(tmp_path / "f.json")
    assert model.covariance_type == "spherical"
    states = np.array([int(r[-1]) for r in _rows(tmp_path / "as.csv")[1:]])
    np.testing.assert_array_equal(states, model.predict(x[:, None]) + 1)
    assert max(np.mean(states - 1 == st), np.mean(states - 1 != st)) > 0.95


def test_hmm_gaps_single_rows_and_repeated_times_are_reported(tmp_path):
    path = tmp_path / "gaps.csv"
    lines = ["id,t,c"]
    rng = np.random.default_rng(2)
    for sid in ("p", "q"):
        for t in range(30):
            lines.append(f"{sid},{t},{rng.poisson(3 if t < 15 else 12)}")
    lines += ["r,1,", "s,4,7", "p,29,5", "q,3,"]
    path.write_text("\n".join(lines) + "\n")
    out = run(path, "--model", "hmm", "--family", "poisson", "--columns", "c", "--sequence-column", "id",
              "--order-column", "t", "-k", "2", "--seed", "0", "-o", tmp_path / "f.json", "--assignments",
              tmp_path / "as.csv")
    assert out.returncode == 0, out.stderr
    # q's row with no value stays a time step without observation (as the engine takes it: leaving it out would
    # join q's steps 2 and 4); r, whose one row has no value, has nothing observed and is left out
    assert "3 sequences by id" in out.stdout and "63 rows fitted" in out.stdout
    assert "note: 1 row has no observed value; it is kept as a time step without observation." in out.stdout
    assert "note: 1 sequence had no observed value and was left out." in out.stdout
    assert "note: 1 sequence has a single row" in out.stdout
    assert "note: 2 rows repeat the t value" in out.stdout  # p's 29 and q's 3 (its empty row is a step now)
    rows = _rows(tmp_path / "as.csv")
    assert rows[61] == ["r", "1", "", "", "", ""] and rows[64][:3] == ["q", "3", ""]
    assert rows[64][5] in ("1", "2") and abs(float(rows[64][3]) + float(rows[64][4]) - 1) < 1e-9
    assert rows[62][5] in ("1", "2")
    assert json.loads((tmp_path / "f.json").read_text())["data"]["n_rows_fitted"] == 63
    # the exported states are the model's Viterbi path over q's steps, the empty step among them
    from emdesk.io import load_fit

    model = load_fit(tmp_path / "f.json")
    q = np.array([float(r[2]) if r[2] else np.nan for r in rows[31:61]] + [np.nan])
    t = np.array([int(r[1]) for r in rows[31:61]] + [3])
    order = np.argsort(t, kind="stable")
    want = model.predict(q[order][:, None]) + 1
    got = np.array([int(r[5]) for r in rows[31:61]] + [int(rows[64][5])])[order]
    np.testing.assert_array_equal(got, want)
    out = run(path, "--model", "hmm", "--family", "poisson", "--columns", "c", "--sequence-column", "id",
              "--order-column", "t", "-k", "2", "--seed", "0", "--missing", "drop")
    assert "62 rows fitted" in out.stdout and "note: 2 rows with no value in the fitted columns were left out." \
        in out.stdout and "1 sequence had no row left to fit" in out.stdout


def test_hmm_missing_values_marginalize_and_drop(tmp_path):
    path = tmp_path / "holes.csv"
    rng = np.random.default_rng(8)
    X = rng.normal(0, 1, (90, 2)) + 5 * ((np.arange(90) // 15) % 2)[:, None]
    lines = ["a,b"] + [f"{u!r},{v!r}" for u, v in X.tolist()]
    lines[4] = "," + lines[4].split(",")[1]
    path.write_text("\n".join(lines) + "\n")
    out = run(path, "--model", "hmm", "-k", "2", "--seed", "0", "-o", tmp_path / "m.json")
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["options"]["missing"] == "marginalize" and doc["data"]["n_missing_values"] == 1
    out = run(path, "--model", "hmm", "-k", "2", "--seed", "0", "--missing", "drop", "-o", tmp_path / "d.json",
              "--assignments", tmp_path / "as.csv")
    assert out.returncode == 0, out.stderr
    assert "note: 1 row with a missing value was dropped." in out.stdout
    assert json.loads((tmp_path / "d.json").read_text())["data"]["n_rows_fitted"] == 89
    assert _rows(tmp_path / "as.csv")[4][2:] == ["", "", ""]
    out = run(path, "--model", "hmm", "-k", "2", "--missing", "error", "-o", tmp_path / "e.json")
    assert out.returncode == 1 and "--missing" in out.stderr and not (tmp_path / "e.json").exists()


@pytest.mark.parametrize("text, args, code, message", [
    ("id,t,c\na,1,2\na,2,2.5\n", ["--family", "poisson", "--columns", "c"], 1,
     "c, data row 2: 2.5 is not a count"),
    ("id,t,c\na,1,2\na,2,-1\n", ["--family", "poisson", "--columns", "c"], 1, "is not a count"),
    ("id,t,c,d\na,1,2,1\na,2,3,1\n", ["--family", "categorical", "--columns", "c,d"], 1, "one column of symbols"),
    ("id,t,c\na,1,2\na,2,3\n", ["--family", "categorical"], 1, "Name the column of symbols"),
    ("id,t,c\na,1,2\n,2,3\n", ["--sequence-column", "id", "--columns", "c"], 1,
     "sequence column id has 1 empty cell (first on data row 2)"),
    ("id,t,c\na,1,2\na,,3\n", ["--order-column", "t", "--columns", "c"], 1, "order column t has 1 missing value"),
    ("id,t,c\na,x,2\na,y,3\n", ["--order-column", "t", "--columns", "c"], 1, "must hold numbers"),
    ("id,t,c\na,1,2\na,2,3\n", ["--order-column", "time", "--columns", "c"], 1, "'time' is not a column"),
    ("id,t,c\na,1,2\na,2,3\n", ["--sequence-column", "id", "--columns", "t,c", "--order-column", "t"], 1,
     "cannot also be fitted"),
    ("id,t,c\na,1,2\na,2,3\n", ["--columns", "c", "-k", "3"], 1, "choose at most 2 states"),
    ("id,t,c\na,1,2\na,2,3\n", ["--family", "student-t"], 2, "--family student-t is available for mixtures"),
    ("id,t,c\na,1,2\na,2,3\n", ["--imputed", "i.csv"], 2, "--imputed is available for Gaussian mixtures"),
    ("id,t,c\na,1,2\na,2,3\n", ["--family", "poisson", "--covariance", "full"], 2, "--covariance belongs"),
    ("id,t,c\na,1,2\na,2,3\n", ["--select", "--covariance-types", "VVV"], 2, "is for Gaussian mixtures; HMMs take"),
])
def test_hmm_bad_input_gives_one_line(tmp_path, text, args, code, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    out = run(path, "--model", "hmm", *args, "-o", tmp_path / "x.json", cwd=tmp_path)
    assert out.returncode == code, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("emdesk-fit: error: ") and message in lines[0], out.stderr
    assert not (tmp_path / "x.json").exists()


def test_sequence_options_need_model_hmm(tmp_path, long_csv):
    out = run(long_csv, "--columns", "x,y", "--sequence-column", "id", "-o", tmp_path / "x.json")
    assert out.returncode == 2 and "add --model hmm" in out.stderr


def test_hmm_outputs_are_written_together(tmp_path, long_csv, capsys, monkeypatch):
    import emdesk.io as io_module
    from emdesk import cli

    (tmp_path / "f.json").write_text("previous fit")

    def full_disk(path, *a, **k):
        from emdesk.io._atomic import atomic_write

        with atomic_write(path) as handle:
            handle.write("partial")
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(io_module, "save_assignments_csv", full_disk)
    code = cli.main([str(long_csv), "--model", "hmm", "--columns", "x,y", "--sequence-column", "id",
                     "--order-column", "t", "-k", "2", "--seed", "0", "-o", str(tmp_path / "f.json"),
                     "--parameters", str(tmp_path / "p.csv"), "--assignments", str(tmp_path / "a.csv")])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "No output was written" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]
    assert (tmp_path / "f.json").read_text() == "previous fit"


# -- --select (issue 11) ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blobs_csv(tmp_path_factory):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal([0, 0], 1.0, (100, 2)), rng.normal([7, 7], 1.0, (100, 2)),
                   rng.normal([-7, 7], 1.0, (100, 2))])
    path = tmp_path_factory.mktemp("select") / "blobs.csv"
    path.write_text("a,b\n" + "\n".join(f"{u!r},{v!r}" for u, v in X.tolist()) + "\n")
    return path


def test_select_prints_the_top_three_and_writes_the_table_and_best_model(tmp_path, blobs_csv):
    out = run(blobs_csv, "--select", "--max-components", "4", "--covariance-types", "full,spherical",
              "--n-init", "2", "--seed", "0", "--selection-csv", tmp_path / "sel.csv", "-o", tmp_path / "best.json",
              "--assignments", tmp_path / "as.csv")
    assert out.returncode == 0, out.stderr
    assert "8 fits (1 to 4 components x full, spherical; 2 restarts each)" in out.stdout
    assert "top 3 by BIC (lower is better):" in out.stdout
    top = [line for line in out.stdout.splitlines() if line.startswith("  1. ")]
    assert top and "3 components" in top[0]
    rows = _rows(tmp_path / "sel.csv")
    assert rows[0][:3] == ["n_components", "covariance_type", "log_likelihood"] and len(rows) == 9
    best_rows = [r for r in rows[1:] if r[rows[0].index("best")] == "true"]
    assert len(best_rows) == 1 and best_rows[0][0] == "3"
    model = load_fit(tmp_path / "best.json")
    assert isinstance(model, GaussianMixture) and model.n_components == 3
    assert model.covariance_type == best_rows[0][1]
    assert float(best_rows[0][rows[0].index("bic")]) == pytest.approx(
        json.loads((tmp_path / "best.json").read_text())["fit"]["bic"], rel=1e-9)
    assert len(_rows(tmp_path / "as.csv")) == 301
    # the ranking by another criterion; nothing is written unless asked for
    out = run(blobs_csv, "--select", "--max-components", "3", "--covariance-types", "diag", "--criterion", "aic",
              "--seed", "0", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "top 3 by AIC" in out.stdout and sorted(p.name for p in tmp_path.iterdir()) == [
        "as.csv", "best.json", "sel.csv"]


@pytest.mark.parametrize("args, message", [
    (["--select", "-k", "3"], "use --max-components and --covariance-types"),
    (["--select", "--covariance", "full"], "use --max-components"),
    (["--select", "--covariance-types", "full,round"], "'round' is not one of"),
    (["--select", "--covariance-types", "full,full"], "named twice"),
    (["--select", "--max-components", "0"], "--max-components"),
    (["--select", "--max-components", "1001"], "from 1 to 1000"),
    (["--criterion", "bic"], "add --select"),
    (["--selection-csv", "s.csv"], "add --select"),
    (["--select", "--criterion", "likelihood"], "--criterion"),
])
def test_select_usage_errors(tmp_path, blobs_csv, args, message):
    out = run(blobs_csv, *args, cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr and out.stderr.count("\n") == 1, out.stderr
    assert list(tmp_path.iterdir()) == []


def test_select_more_components_than_rows(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("a\n1\n2\n3\n")
    out = run(path, "--select", "--max-components", "5", "--selection-csv", tmp_path / "s.csv")
    assert out.returncode == 1 and "choose at most 3" in out.stderr and not (tmp_path / "s.csv").exists()


def test_help_documents_the_new_options():
    out = run("--help")
    assert out.returncode == 0
    for option in ("--model", "--family", "--sequence-column", "--order-column", "--select", "--max-components",
                   "--covariance-types", "--criterion", "--selection-csv"):
        assert option in out.stdout


# -- --family for mixtures (issue 13) and --dask (issue 16) ------------------------------------------


def test_family_mixtures_from_the_command_line(tmp_path):
    from emdesk import engine

    if not hasattr(engine, "StudentTMixture"):
        pytest.skip("this engine has no Student-t/Poisson/latent class mixtures")
    rng = np.random.default_rng(9)
    path = tmp_path / "mixed.csv"
    with open(path, "w") as f:
        f.write("a,b,n,answer\n")
        for i in range(200):
            g = i % 2
            a, b = (float(v) for v in rng.standard_t(3, 2) + 8 * g)
            f.write(f"{a!r},{b!r},{rng.poisson(2 + 10 * g)},{rng.choice(['yes', 'no'], p=[0.85, 0.15] if g else [0.15, 0.85])}\n")
    out = run(path, "--family", "student-t", "--columns", "a,b", "-k", "2", "--seed", "0", "-o", tmp_path / "t.json",
              "--assignments", tmp_path / "t.csv", "--parameters", tmp_path / "tp.csv")
    assert out.returncode == 0, out.stderr
    assert "Student-t mixture, full scale matrices" in out.stdout and "degrees of freedom" in out.stdout
    assert type(load_fit(tmp_path / "t.json")).__name__ == "StudentTMixture"
    assert _rows(tmp_path / "t.csv")[0][-1] == "scale_weight"
    out = run(path, "--family", "poisson", "--columns", "n", "-k", "2", "--seed", "0", "-o", tmp_path / "p.json")
    assert out.returncode == 0 and "Poisson mixture" in out.stdout, out.stderr
    out = run(path, "--family", "categorical", "--columns", "answer", "-k", "1", "--seed", "0",
              "-o", tmp_path / "c.json", "--parameters", tmp_path / "cp.csv")
    assert out.returncode == 0 and "latent class model" in out.stdout, out.stderr
    assert _rows(tmp_path / "cp.csv")[0] == ["component", "weight", "p_answer_no", "p_answer_yes"]
    out = run(path, "--family", "poisson", "--columns", "a", "-o", tmp_path / "x.json")
    assert out.returncode == 1 and "is not a count" in out.stderr and not (tmp_path / "x.json").exists()
    out = run(path, "--family", "categorical", "-o", tmp_path / "x.json")
    assert out.returncode == 1 and "Name the categorical columns" in out.stderr


def test_dask_fits_files_and_writes_the_fit_file(tmp_path):
    pytest.importorskip("dask.dataframe")
    pytest.importorskip("emdesk.engine._dask")

    rng = np.random.default_rng(12)
    X = np.vstack([rng.normal(0, 1, (150, 2)), rng.normal(6, 1, (150, 2))])
    for i in range(3):
        rows = X[i * 100:(i + 1) * 100]
        (tmp_path / f"part{i}.csv").write_text("a,b\n" + "\n".join(f"{u!r},{v!r}" for u, v in rows.tolist()) + "\n")
    out = run("--dask", "synchronous", str(tmp_path / "part*.csv"), "-k", "2", "--seed", "0",
              "-o", tmp_path / "f.json", "--parameters", tmp_path / "p.csv")
    assert out.returncode == 0, out.stderr
    assert "on Dask (synchronous): 300 rows, columns a, b" in out.stdout
    doc = json.loads((tmp_path / "f.json").read_text())
    assert doc["data"]["n_rows_fitted"] == 300 and doc["data"]["files"] == [str(tmp_path / "part*.csv")]
    model = load_fit(tmp_path / "f.json")
    ref = GaussianMixture(2, random_state=0).fit(X)
    np.testing.assert_allclose(np.sort(model.means_, axis=0), np.sort(ref.means_, axis=0), atol=1e-8)
    assert doc["fit"]["log_likelihood"] == pytest.approx(ref.score(X) * 300, abs=1e-6)
    assert len(_rows(tmp_path / "p.csv")) == 3
    # the app's defaults (emEM on a sample, relative tol and ridge, 5 restarts) and mclust's prior work on Dask
    assert doc["options"]["init_params"] == "emEM" and doc["options"]["n_init"] == 5
    out = run("--dask", "synchronous", str(tmp_path / "part*.csv"), "-k", "2", "--seed", "0", "--prior", "default",
              "--covariance", "VVV", "-o", tmp_path / "map.json")
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "map.json").read_text())
    from emdesk import cli

    ref = GaussianMixture(2, covariance_type="VVV", prior="default", random_state=0, n_init=5,
                          **cli.app_defaults()).fit(X)
    assert doc["options"]["prior"] == "default"
    assert doc["fit"]["log_likelihood"] == pytest.approx(ref.score(X) * 300, abs=1e-4)


@pytest.mark.parametrize("args, message", [
    (["--dask", "threads", "{d}/a.csv", "--model", "hmm"], "--model hmm is not available"),
    (["--dask", "threads", "{d}/a.csv", "--assignments", "{d}/x.csv"], "--assignments is not available"),
    (["--dask", "threads", "{d}/*.csv"], "name the fit file with -o"),
    (["{d}/a.csv", "{d}/b.csv"], "several files or glob patterns go with --dask"),
])
def test_dask_usage_errors(tmp_path, args, message):
    out = run(*[a.format(d=tmp_path) for a in args])
    assert out.returncode == 2 and message in out.stderr, out.stderr
