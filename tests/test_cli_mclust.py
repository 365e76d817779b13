"""emdesk-fit with mclust's 14 covariance models (issue 11): --select sweeps them by default and prints the
top three as mclust's summary(mclustBIC(X)) does; --covariance takes a model name."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emdesk.engine.covariance_models import MODEL_NAMES
from emdesk.io import load_fit

from tests.cli_run import run_in_process


def run(*args, cwd=None):
    """emdesk-fit ARGS: ``emdesk.cli.main`` in this process (tests/cli_run.py says why; the tests that start
    ``python -m emdesk.cli`` itself use ``run_subprocess``)."""
    return run_in_process(*args, cwd=cwd)


@pytest.fixture(scope="module")
def blobs_csv(tmp_path_factory):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal([0, 0], 1.0, (100, 2)), rng.normal([7, 7], [1.0, 2.0], (100, 2)),
                   rng.normal([-7, 7], 1.0, (100, 2))])
    path = tmp_path_factory.mktemp("mclust") / "blobs.csv"
    path.write_text("a,b\n" + "\n".join(f"{u!r},{v!r}" for u, v in X.tolist()) + "\n")
    return path


def test_select_sweeps_the_14_models_and_prints_mclusts_top_three(tmp_path, blobs_csv):
    out = run(blobs_csv, "--select", "--max-components", "3", "--seed", "0", "--selection-csv", tmp_path / "s.csv",
              "-o", tmp_path / "best.json")
    assert out.returncode == 0, out.stderr
    assert f"42 fits (1 to 3 components x mclust's models {', '.join(MODEL_NAMES)}" in out.stdout
    lines = out.stdout.splitlines()
    i = lines.index("Best BIC values (mclust's sign: higher is better):")
    heads = lines[i + 1].split()
    bic = lines[i + 2].split()
    diff = lines[i + 3].split()
    assert len(heads) == 3 and all(h.split(",")[0] in MODEL_NAMES for h in heads)
    assert bic[0] == "BIC" and diff[:2] == ["BIC", "diff"] and diff[2] == "0.000"
    values = [float(v) for v in bic[1:]]
    assert values == sorted(values, reverse=True)
    # the best printed is the model written, with its BIC in emdesk's sign
    best = load_fit(tmp_path / "best.json")
    assert f"{best.covariance_type},{best.n_components}" == heads[0]
    doc = json.loads((tmp_path / "best.json").read_text())
    assert -doc["fit"]["bic"] == pytest.approx(values[0], abs=1e-3)
    assert doc["model"]["covariance_type"] == best.covariance_type


def test_select_chosen_models_and_one_column(tmp_path, blobs_csv):
    out = run(blobs_csv, "--select", "--max-components", "2", "--covariance-types", "VEV,full,EII", "--seed", "0")
    assert out.returncode == 0, out.stderr
    assert "6 fits (1 to 2 components x VEV, full, EII;" in out.stdout
    one = tmp_path / "one.csv"
    one.write_text("x\n" + "\n".join(str(v) for v in np.random.default_rng(0).normal(size=60)) + "\n")
    out = run(one, "--select", "--max-components", "2", "--seed", "0")
    assert out.returncode == 0, out.stderr
    assert "4 fits (1 to 2 components x mclust's models E, V;" in out.stdout


def test_fit_with_a_model_name_and_usage_errors(tmp_path, blobs_csv):
    out = run(blobs_csv, "-k", "3", "--covariance", "VVE", "--seed", "0", "-o", tmp_path / "f.json")
    assert out.returncode == 0, out.stderr
    assert "VVE covariance" in out.stdout and load_fit(tmp_path / "f.json").covariance_type == "VVE"
    out = run(blobs_csv, "--model", "hmm", "--covariance", "VVE", cwd=tmp_path)
    assert out.returncode == 2 and "available for Gaussian mixtures" in out.stderr
    out = run(blobs_csv, "--select", "--covariance-types", "VVV,XYZ", cwd=tmp_path)
    assert out.returncode == 2 and "'XYZ' is not one of" in out.stderr
