"""The fit file's optional bootstrap block (issue 14): standard errors and intervals written, read back, and
files without it (or with a newer block) still load; the parameters CSV's SE and interval columns."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from emdesk.engine import GaussianHMM, GaussianMixture
from emdesk.engine.bootstrap import bootstrap
from emdesk.io import DataError, load_fit, save_fit, save_parameters_csv


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal((0, 0), 1, (80, 2)), rng.normal((5, 3), 0.7, (80, 2))])
    gm = GaussianMixture(2, covariance_type="full", random_state=0).fit(X)
    boot = bootstrap(gm, X, n_boot=15, random_state=1, n_jobs=1)
    return gm, X, boot


def test_round_trip(tmp_path, fitted):
    gm, X, boot = fitted
    p = tmp_path / "fit.json"
    doc = save_fit(p, gm, X, columns=["a", "b"], bootstrap=boot, level=0.9)
    block = json.loads(p.read_text())["uncertainty"]
    assert block["version"] == 1 and block["method"] == "nonparametric" and block["n_done"] == 15
    assert block["level"] == 0.9 and doc["format_version"] == 2
    m = load_fit(p)
    for key in ("weights", "means", "covariances"):
        np.testing.assert_allclose(m.standard_errors_[key], boot.standard_errors[key], rtol=1e-12)
        lo, hi = boot.confidence_intervals(0.9)[key]
        np.testing.assert_allclose(m.confidence_intervals_[key][0], lo, rtol=1e-12)
        np.testing.assert_allclose(m.confidence_intervals_[key][1], hi, rtol=1e-12)
    assert m.fit_info_["uncertainty"]["n_boot"] == 15 and "standard_errors" not in m.fit_info_["uncertainty"]


def test_files_without_or_with_a_newer_block_load(tmp_path, fitted):
    gm, X, boot = fitted
    p = tmp_path / "plain.json"
    save_fit(p, gm, X, columns=["a", "b"])
    m = load_fit(p)
    assert not hasattr(m, "standard_errors_") and "uncertainty" not in m.fit_info_
    q = tmp_path / "newer.json"
    save_fit(q, gm, X, columns=["a", "b"], bootstrap=boot)
    doc = json.loads(q.read_text())
    doc["uncertainty"]["version"] = 7
    doc["uncertainty"]["standard_errors"] = "a layout from the future"
    q.write_text(json.dumps(doc))
    m = load_fit(q)
    assert not hasattr(m, "standard_errors_") and "newer" in m.fit_info_["uncertainty"]["ignored"]
    np.testing.assert_allclose(m.means_, gm.means_)


@pytest.mark.parametrize("change,match", [
    (lambda b: b["standard_errors"].__setitem__("means", [[1.0, 2.0]]), "shape"),
    (lambda b: b["standard_errors"].__setitem__("weights", [-1.0, 0.1]), "negative"),
    (lambda b: b["standard_errors"].__setitem__("weights", ["x", 0.1]), "numbers"),
    (lambda b: b.__setitem__("version", "1"), "version"),
    (lambda b: b["confidence_intervals"]["weights"].__setitem__("lower", [2.0, 2.0]), "lower bound"),
    (lambda b: b.__setitem__("level", 3), "level"),
])
def test_malformed_blocks_are_a_data_error(tmp_path, fitted, change, match):
    gm, X, boot = fitted
    p = tmp_path / "bad.json"
    save_fit(p, gm, X, columns=["a", "b"], bootstrap=boot)
    doc = json.loads(p.read_text())
    change(doc["uncertainty"])
    p.write_text(json.dumps(doc))
    with pytest.raises(DataError, match=match):
        load_fit(p)


def test_null_standard_errors_read_as_nan(tmp_path, fitted):
    gm, X, _ = fitted
    one = bootstrap(gm, X, n_boot=1, random_state=2, n_jobs=1)
    p = tmp_path / "one.json"
    save_fit(p, gm, X, columns=["a", "b"], bootstrap=one)
    text = p.read_text()
    assert "NaN" not in text and "confidence_intervals" not in json.loads(text)["uncertainty"]
    m = load_fit(p)
    assert np.isnan(m.standard_errors_["means"]).all() and m.confidence_intervals_ is None


def test_parameters_csv_carries_standard_errors_and_intervals(tmp_path, fitted):
    gm, X, boot = fitted
    p = tmp_path / "params.csv"
    save_parameters_csv(p, gm, ["a", "b"], bootstrap=boot)
    rows = list(csv.DictReader(p.open()))
    ci = boot.confidence_intervals(0.95)
    for j, row in enumerate(rows):
        assert float(row["se_weight"]) == pytest.approx(boot.standard_errors["weights"][j], rel=1e-9)
        assert float(row["se_mean_b"]) == pytest.approx(boot.standard_errors["means"][j, 1], rel=1e-9)
        assert float(row["se_var_a"]) == pytest.approx(boot.standard_errors["covariances"][j, 0, 0], rel=1e-9)
        assert float(row["se_cov_a_b"]) == pytest.approx(boot.standard_errors["covariances"][j, 0, 1], rel=1e-9)
        assert float(row["lower_mean_a"]) == pytest.approx(ci["means"][0][j, 0], rel=1e-9)
        assert float(row["upper_weight"]) == pytest.approx(ci["weights"][1][j], rel=1e-9)
        assert float(row["weight"]) == pytest.approx(gm.weights_[j])
    plain = tmp_path / "plain.csv"
    save_parameters_csv(plain, gm, ["a", "b"])
    assert "se_weight" not in plain.read_text()


def test_other_kinds_and_mismatches_refuse(tmp_path, fitted):
    gm, X, boot = fitted
    hmm = GaussianHMM(2, random_state=0).fit(X)
    with pytest.raises(DataError, match="does not match"):  # a Gaussian mixture's result on an HMM
        save_fit(tmp_path / "h.json", hmm, X, columns=["a", "b"], bootstrap=boot)
    with pytest.raises(DataError, match="has no covars, startprob, transmat"):  # the mixture's result has no chain
        save_parameters_csv(tmp_path / "h.csv", hmm, ["a", "b"], bootstrap=boot)
    assert not (tmp_path / "h.csv").exists()
    three = GaussianMixture(3, random_state=0).fit(X)
    with pytest.raises(DataError, match="does not match"):
        save_fit(tmp_path / "m.json", three, X, columns=["a", "b"], bootstrap=boot)


# ---------------------------------------------------------------------------------------------- other kinds
@pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")
def test_round_trip_of_an_hmm_and_a_poisson_mixture(tmp_path):
    from emdesk.engine.mixtures import PoissonMixture

    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, (60, 1)), rng.normal(4, 1, (60, 1)), rng.normal(0, 1, (60, 1))])
    hmm = GaussianHMM(2, covariance_type="diag", random_state=0).fit(X, [90, 90])
    boot = bootstrap(hmm, X, n_boot=6, method="parametric", lengths=[90, 90], random_state=1, n_jobs=1)
    p = tmp_path / "hmm.json"
    save_fit(p, hmm, X, columns=["y"], lengths=[90, 90], bootstrap=boot, level=0.9)
    block = json.loads(p.read_text())["uncertainty"]
    assert set(block["standard_errors"]) == {"startprob", "transmat", "means", "covars"}
    back = load_fit(p)
    for key in ("startprob", "transmat", "means", "covars"):
        np.testing.assert_allclose(back.standard_errors_[key], boot.standard_errors[key])
    lo, hi = boot.confidence_intervals(0.9)["transmat"]
    np.testing.assert_allclose(back.confidence_intervals_["transmat"][0], lo)
    assert back.fit_info_["uncertainty"]["method"] == "parametric"

    C = rng.poisson(np.repeat([2.0, 9.0], 50))[:, None].astype(float)
    pm = PoissonMixture(2, random_state=0).fit(C)
    pboot = bootstrap(pm, C, n_boot=5, random_state=2, n_jobs=1)
    q = tmp_path / "pois.json"
    save_fit(q, pm, C, columns=["count"], bootstrap=pboot)
    back = load_fit(q)
    np.testing.assert_allclose(back.standard_errors_["lambdas"], pboot.standard_errors["lambdas"])
    # a tampered block: the wrong shape is refused with the file's name
    doc = json.loads(q.read_text())
    doc["uncertainty"]["standard_errors"]["lambdas"] = [[0.1, 0.2]]
    q.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="pois.json.*lambdas must have shape"):
        load_fit(q)
    # another model's result is not saved with this one
    with pytest.raises(DataError, match="does not match"):
        save_fit(tmp_path / "x.json", pm, C, columns=["count"], bootstrap=boot)


@pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")
def test_parameters_csv_of_the_other_kinds_carries_their_standard_errors(tmp_path):
    """Every column of an HMM's and of the other mixtures' parameters CSV that holds a bootstrapped parameter
    gets se_/lower_/upper_ columns with the bootstrap's values (covariance cells from the full matrices)."""
    from emdesk.engine.mixtures import CategoricalMixture, PoissonMixture

    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(4, 1, (60, 2)), rng.normal(0, 1, (60, 2))])
    X[:, 1] += 0.5 * X[:, 0]
    hmm = GaussianHMM(2, covariance_type="tied", random_state=0).fit(X, [90, 90])
    boot = bootstrap(hmm, X, n_boot=5, method="parametric", lengths=[90, 90], random_state=1, n_jobs=1)
    p = tmp_path / "hmm.csv"
    save_parameters_csv(p, hmm, ["a", "b"], bootstrap=boot, level=0.9)
    rows = list(csv.DictReader(p.open()))
    se, (lo, hi) = boot.standard_errors, boot.confidence_intervals(0.9)["transmat"]
    for j, row in enumerate(rows):
        assert float(row["se_startprob"]) == pytest.approx(se["startprob"][j], rel=1e-9, abs=1e-15)
        assert float(row["se_to_state_2"]) == pytest.approx(se["transmat"][j, 1], rel=1e-9, abs=1e-15)
        assert float(row["lower_to_state_1"]) == pytest.approx(lo[j, 0], rel=1e-9)
        assert float(row["upper_to_state_1"]) == pytest.approx(hi[j, 0], rel=1e-9)
        assert float(row["se_mean_b"]) == pytest.approx(se["means"][j, 1], rel=1e-9)
        assert float(row["se_cov_a_b"]) == pytest.approx(se["covars"][0, 1], rel=1e-9)  # tied: one (d, d)
        assert float(row["se_var_b"]) == pytest.approx(se["covars"][1, 1], rel=1e-9)

    C = rng.poisson(np.repeat([2.0, 9.0], 50))[:, None].astype(float)
    pm = PoissonMixture(2, random_state=0).fit(C)
    pboot = bootstrap(pm, C, n_boot=5, random_state=2, n_jobs=1)
    q = tmp_path / "pois.csv"
    save_parameters_csv(q, pm, ["count"], bootstrap=pboot)
    rows = list(csv.DictReader(q.open()))
    assert [float(r["se_lambda_count"]) for r in rows] == pytest.approx(pboot.standard_errors["lambdas"][:, 0])
    assert [float(r["se_weight"]) for r in rows] == pytest.approx(pboot.standard_errors["weights"])

    T = np.array([[("a", "b")[i % 2], ("x", "y", "z")[(i // 2) % 3]] for i in range(120)], dtype=object)
    cm = CategoricalMixture(2, random_state=0).fit(T)
    cboot = bootstrap(cm, T, n_boot=4, method="parametric", random_state=3, n_jobs=1)
    r = tmp_path / "cat.csv"
    save_parameters_csv(r, cm, ["g", "h"], bootstrap=cboot)
    rows = list(csv.DictReader(r.open()))
    for j, row in enumerate(rows):
        assert float(row["se_p_h_z"]) == pytest.approx(cboot.standard_errors["probs"][j, 1, 2], rel=1e-9, abs=1e-15)
    # another kind's result is refused and writes nothing
    with pytest.raises(DataError, match="has no lambdas"):
        save_parameters_csv(tmp_path / "x.csv", pm, ["count"], bootstrap=cboot)
    assert not (tmp_path / "x.csv").exists()
