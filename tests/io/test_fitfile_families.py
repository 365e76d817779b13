"""Student-t, Poisson and latent class mixtures in files (issue 13): fit file, parameters and assignments CSV."""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest

from emdesk import engine

if not hasattr(engine, "StudentTMixture"):  # (issue 13's estimators, from the r2-families branch)
    pytest.skip("this engine has no Student-t/Poisson/latent class mixtures", allow_module_level=True)

from emdesk.engine import CategoricalMixture, PoissonMixture, StudentTMixture  # noqa: E402
from emdesk.io import DataError, load_fit, load_table, save_assignments_csv, save_fit, save_imputed_csv, \
    save_parameters_csv


def _fit(model, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X)


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(21)
    X = np.vstack([rng.standard_t(4, (80, 2)), rng.standard_t(4, (80, 2)) + [8, 8]])
    C = np.vstack([rng.poisson([2, 5], (80, 2)), rng.poisson([12, 1], (80, 2))]).astype(float)
    S = np.empty((160, 2), dtype=object)
    S[:80, 0] = rng.choice(["yes", "no"], 80, p=[0.9, 0.1])
    S[80:, 0] = rng.choice(["yes", "no"], 80, p=[0.2, 0.8])
    S[:80, 1] = rng.choice(["a", "b", "c"], 80, p=[0.7, 0.2, 0.1])
    S[80:, 1] = rng.choice(["a", "b", "c"], 80, p=[0.1, 0.2, 0.7])
    return X, C, S


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
def test_student_t_round_trip(tmp_path, data, ct):
    X = data[0]
    m = _fit(StudentTMixture(2, covariance_type=ct, random_state=0), X)
    doc = save_fit(tmp_path / "t.json", m, X, columns=["a", "b"])
    assert doc["model"]["kind"] == "StudentTMixture" and doc["model"]["covariance_type"] == ct
    assert len(doc["model"]["dof"]) == 2
    assert doc["fit"]["log_likelihood"] == pytest.approx(m.log_likelihood(X), abs=1e-9)
    back = load_fit(tmp_path / "t.json")
    assert isinstance(back, StudentTMixture) and back.covariance_type == ct
    np.testing.assert_allclose(back.score_samples(X), m.score_samples(X), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(back.dof_, m.dof_)
    assert list(back.feature_names_in_) == ["a", "b"]


def test_poisson_and_latent_class_round_trip(tmp_path, data):
    _, C, S = data
    p = _fit(PoissonMixture(2, random_state=0), C)
    save_fit(tmp_path / "p.json", p, C, columns=["x", "y"])
    back = load_fit(tmp_path / "p.json")
    assert isinstance(back, PoissonMixture)
    np.testing.assert_allclose(back.score_samples(C), p.score_samples(C), rtol=0, atol=1e-9)
    c = _fit(CategoricalMixture(2, random_state=0, n_init=3), S)
    doc = save_fit(tmp_path / "c.json", c, S, columns=["answer", "grade"])
    assert doc["model"]["categories"] == [["no", "yes"], ["a", "b", "c"]]
    assert np.shape(doc["model"]["probs"]) == (2, 2, 3)
    back = load_fit(tmp_path / "c.json")
    assert isinstance(back, CategoricalMixture)
    np.testing.assert_allclose(back.predict_proba(S), c.predict_proba(S), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind, change, message", [
    ("t", lambda d: d["model"].__setitem__("dof", [-1.0, 3.0]), "dof must be positive"),
    ("t", lambda d: d["model"]["covariances"][0].__setitem__(0, [5e-324, 0.0]), "not a valid emdesk fit file"),
    ("t", lambda d: d["options"].__setitem__("dof_type", "each"), "options.dof_type"),
    ("p", lambda d: d["model"]["lambdas"][0].__setitem__(0, 0.0), "lambdas must be positive"),
    ("p", lambda d: d["model"].__setitem__("weights", [0.9, 0.9]), "weights must sum to 1"),
    ("c", lambda d: d["model"]["categories"].__setitem__(1, ["a", "a", "c"]), "lists a category twice"),
    ("c", lambda d: d["model"]["probs"][0][0].__setitem__(0, 0.7), "must sum to 1"),
    ("c", lambda d: d["model"]["probs"][0][0].__setitem__(2, 0.1), "zero past its categories"),
    ("c", lambda d: d["model"].__setitem__("categories", [["no", "yes"]]), "list of 2 lists"),
])
def test_tampered_family_files_give_data_error(tmp_path, data, kind, change, message):
    X, C, S = data
    model, Y, cols = {"t": (StudentTMixture(2, covariance_type="full", random_state=0), X, ["a", "b"]),
                      "p": (PoissonMixture(2, random_state=0), C, ["x", "y"]),
                      "c": (CategoricalMixture(2, random_state=0), S, ["u", "v"])}[kind]
    _fit(model, Y)
    doc = save_fit(tmp_path / "f.json", model, Y, columns=cols)
    doc = json.loads(json.dumps(doc))
    change(doc)
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(DataError, match=message) as info:
        load_fit(tmp_path / "bad.json")
    assert len(str(info.value)) <= 300


def test_parameters_and_assignments_csv(tmp_path, data):
    X, C, S = data
    path = tmp_path / "d.csv"
    with open(path, "w") as f:
        f.write("a,b,x,y,u,v\n")
        for i in range(160):
            f.write(f"{float(X[i, 0])!r},{float(X[i, 1])!r},{int(C[i, 0])},{int(C[i, 1])},{S[i, 0]},{S[i, 1]}\n")
    table = load_table(path)
    t = _fit(StudentTMixture(2, covariance_type="full", random_state=0), X)
    save_parameters_csv(tmp_path / "tp.csv", t, ["a", "b"])
    rows = _rows(tmp_path / "tp.csv")
    assert rows[0] == ["component", "weight", "mean_a", "mean_b", "var_a", "var_b", "cov_a_b", "dof"]
    assert float(rows[1][-1]) == t.dof_[0] and float(rows[2][2]) == t.means_[1, 0]
    save_assignments_csv(tmp_path / "ta.csv", table, t, ["a", "b"])
    rows = _rows(tmp_path / "ta.csv")
    assert rows[0][-4:] == ["p_component_1", "p_component_2", "component", "scale_weight"]
    np.testing.assert_allclose([float(r[-1]) for r in rows[1:]], t.scale_weights(X), rtol=1e-15)
    np.testing.assert_array_equal([int(r[-2]) for r in rows[1:]], t.predict(X) + 1)
    c = _fit(CategoricalMixture(2, random_state=0), S)
    save_parameters_csv(tmp_path / "cp.csv", c, ["u", "v"])
    assert _rows(tmp_path / "cp.csv")[0] == ["component", "weight", "p_u_no", "p_u_yes", "p_v_a", "p_v_b", "p_v_c"]
    save_assignments_csv(tmp_path / "ca.csv", table, c, ["u", "v"])
    rows = _rows(tmp_path / "ca.csv")
    np.testing.assert_array_equal([int(r[-1]) for r in rows[1:]], c.predict(S) + 1)
    p = _fit(PoissonMixture(2, random_state=0), C)
    save_parameters_csv(tmp_path / "pp.csv", p, ["x", "y"])
    assert _rows(tmp_path / "pp.csv")[0] == ["component", "weight", "lambda_x", "lambda_y"]
    with pytest.raises(DataError, match="Imputing"):
        save_imputed_csv(tmp_path / "i.csv", table, p, ["x", "y"])


def test_tampered_family_files_raise_only_data_error(tmp_path):
    import importlib.util
    import os

    spec = importlib.util.spec_from_file_location(
        "_emdesk_fuzz_fitfile", os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "fuzz_fitfile.py"))
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    result = fuzz.run(5000, seed=20261202, folder=str(tmp_path), kinds="families")
    outcomes = result["outcomes"]
    assert set(outcomes) <= {"accepted", "DataError"}, (outcomes, result["examples"])
    assert outcomes["DataError"] > 2500 and outcomes.get("accepted", 0) > 100
    assert result["longest_message"] <= fuzz.MAX_MESSAGE


def _mixed_rows(data):
    X, _, S = data
    R = np.empty((160, 3), dtype=object)
    R[:, 0] = X[:, 0]
    R[:, 1:] = S
    R[3, 0] = None           # numeric cell missing: the row is fitted on its categories
    R[5, 1] = None           # a missing category
    return R


@pytest.mark.parametrize("ct", ["full", "diag"])
def test_mixed_round_trip_parameters_and_assignments(tmp_path, data, ct):
    from emdesk.engine import MixedMixture

    R = _mixed_rows(data)
    m = _fit(MixedMixture(2, categorical_columns=[1, 2], covariance_type=ct, missing="marginalize", random_state=0,
                          n_init=2), R)
    doc = save_fit(tmp_path / "m.json", m, R, columns=["a", "u", "v"])
    blk = doc["model"]
    assert blk["kind"] == "MixedMixture" and blk["categorical_columns"] == [1, 2] and blk["n_features"] == 3
    assert blk["categories"] == [["no", "yes"], ["a", "b", "c"]] and np.shape(blk["means"]) == (2, 1)
    assert doc["data"]["n_missing_values"] == 2
    assert doc["fit"]["log_likelihood"] == pytest.approx(m.log_likelihood_, rel=1e-12)
    back = load_fit(tmp_path / "m.json")
    assert isinstance(back, MixedMixture) and back.covariance_type == ct
    np.testing.assert_allclose(back.score_samples(R), m.score_samples(R), rtol=0, atol=1e-9)
    # parameters CSV: the Gaussian block over the numeric column, then the categories
    save_parameters_csv(tmp_path / "mp.csv", m, ["a", "u", "v"])
    rows = _rows(tmp_path / "mp.csv")
    assert rows[0] == ["component", "weight", "mean_a", "var_a", "p_u_no", "p_u_yes", "p_v_a", "p_v_b", "p_v_c"]
    assert float(rows[1][2]) == m.means_[0, 0] and float(rows[2][-1]) == m.probs_[1, 1, 2]
    # assignments from the table (text cells, "NA" a missing token, the empty numeric cell)
    path = tmp_path / "md.csv"
    with open(path, "w") as f:
        f.write("a,u,v\n")
        for i in range(160):
            a = "" if R[i, 0] is None else repr(float(R[i, 0]))
            f.write(f"{a},{'NA' if R[i, 1] is None else R[i, 1]},{R[i, 2]}\n")
    save_assignments_csv(tmp_path / "ma.csv", load_table(path), m, ["a", "u", "v"])
    rows = _rows(tmp_path / "ma.csv")
    np.testing.assert_allclose([[float(v) for v in r[3:5]] for r in rows[1:]], m.predict_proba(R), rtol=1e-12,
                               atol=1e-300)
    np.testing.assert_array_equal([int(r[5]) for r in rows[1:]], m.predict(R) + 1)


def test_latent_class_numeric_categories_and_missing_tokens_in_assignments(tmp_path):
    # a numeric column fitted as categories (numbers as categories) and a text column with "NA"
    path = tmp_path / "n.csv"
    rng = np.random.default_rng(3)
    g = rng.integers(1, 4, 60)
    t = rng.choice(["lo", "hi"], 60)
    t[4] = "NA"
    path.write_text("grade,level\n" + "".join(f"{g[i]},{t[i]}\n" for i in range(60)))
    table = load_table(path)
    R = np.empty((60, 2), dtype=object)
    R[:, 0] = g.astype(float)
    R[:, 1] = [None if v == "NA" else v for v in t]
    c = _fit(CategoricalMixture(2, random_state=0, n_init=2), R)
    assert list(c.categories_[0]) == [1.0, 2.0, 3.0]
    save_parameters_csv(tmp_path / "np.csv", c, ["grade", "level"])
    assert _rows(tmp_path / "np.csv")[0][2:] == ["p_grade_1", "p_grade_2", "p_grade_3", "p_level_hi", "p_level_lo"]
    save_assignments_csv(tmp_path / "na.csv", table, c, ["grade", "level"])
    rows = _rows(tmp_path / "na.csv")
    np.testing.assert_allclose([[float(v) for v in r[2:4]] for r in rows[1:]], c.predict_proba(R), rtol=1e-12)


def test_cli_categorical_reads_missing_tokens_and_numbers_as_the_window_does(tmp_path):
    # emdesk-fit --family categorical fitted "NA" as a category and a numeric column's cells as text
    import subprocess
    import sys

    path = tmp_path / "s.csv"
    rng = np.random.default_rng(2)
    lines = ["answer,grade"]
    for i in range(80):
        g = i % 2
        a = "NA" if i in (3, 9) else rng.choice(["yes", "no"], p=[0.85, 0.15] if g else [0.15, 0.85])
        lines.append(f"{a},{rng.integers(1, 3) + 2 * g}")
    path.write_text("\n".join(lines) + "\n")
    out = subprocess.run([sys.executable, "-m", "emdesk.cli", str(path), "--family", "categorical", "--columns",
                          "answer,grade", "-k", "2", "--seed", "0", "-o", str(tmp_path / "c.json"), "--assignments",
                          str(tmp_path / "a.csv")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    back = load_fit(tmp_path / "c.json")
    assert list(back.categories_[0]) == ["no", "yes"]            # "NA" is a missing value, not a category
    assert [float(v) for v in back.categories_[1]] == [1.0, 2.0, 3.0, 4.0]
    rows = _rows(tmp_path / "a.csv")
    assert rows[4][0] == "NA" and rows[4][-1] in ("1", "2")       # scored on its grade
