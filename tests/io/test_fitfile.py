"""emdesk.io fit files and CSV exports: round trips, validation of tampered files, atomic writes."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.io import (DataError, load_fit, load_table, save_assignments_csv, save_fit, save_imputed_csv,
                       save_parameters_csv)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal([0, 0], 1.0, (150, 2)), rng.normal([6, 3], [1.0, 0.5], (150, 2))])


@pytest.fixture(scope="module")
def fits(data):
    return {ct: GaussianMixture(2, covariance_type=ct, random_state=0, n_init=2).fit(data)
            for ct in ("full", "tied", "diag", "spherical")}


@pytest.fixture
def table(tmp_path, data):
    path = tmp_path / "points.csv"
    with open(path, "w") as f:
        f.write("x,y,label\n")
        for i, (a, b) in enumerate(data):
            f.write(f"{float(a)!r},{float(b)!r},p{i}\n")
    return load_table(path)


def _csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
def test_round_trip_predicts_the_same(tmp_path, fits, data, table, ct):
    gm = fits[ct]
    path = tmp_path / "fit.json"
    save_fit(path, gm, data, columns=["x", "y"], table=table)
    doc = json.loads(path.read_text())
    assert doc["format"] == "emdesk-fit" and doc["format_version"] == 2
    assert doc["model"]["covariance_type"] == ct
    assert np.shape(doc["model"]["covariances"]) == np.shape(gm.covariances_)
    assert doc["columns"] == ["x", "y"]
    assert doc["data"]["file_name"] == "points.csv"
    assert doc["data"]["sha256"] == table.sha256 and doc["data"]["n_rows"] == 300
    assert doc["fit"]["bic"] == pytest.approx(gm.bic(data))
    assert doc["fit"]["aic"] == pytest.approx(gm.aic(data))
    assert doc["fit"]["icl"] == pytest.approx(gm.icl(data))
    assert doc["fit"]["log_likelihood"] == pytest.approx(gm.score(data) * 300)
    assert doc["fit"]["n_iter"] == gm.n_iter_ and doc["fit"]["converged"] == gm.converged_
    assert doc["options"]["n_init"] == 2 and doc["random_seed"] == 0
    assert doc["emdesk_version"] and doc["created"].endswith("+00:00")
    loaded = load_fit(path)
    assert isinstance(loaded, GaussianMixture)
    assert list(loaded.feature_names_in_) == ["x", "y"]
    assert loaded.covariance_type == ct and loaded.n_init == 2 and loaded.random_state == 0
    np.testing.assert_allclose(loaded.predict_proba(data), gm.predict_proba(data), atol=1e-12)
    np.testing.assert_array_equal(loaded.predict(data), gm.predict(data))
    assert loaded.fit_info_["fit"]["bic"] == doc["fit"]["bic"]
    assert loaded.fit_info_["data"]["sha256"] == table.sha256
    assert "weights" not in loaded.fit_info_["model"]


def test_fit_file_rebuilds_a_scikit_learn_model(tmp_path, fits, data):
    sk = pytest.importorskip("sklearn.mixture")
    from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

    save_fit(tmp_path / "fit.json", fits["full"], data, columns=["x", "y"])
    doc = json.loads((tmp_path / "fit.json").read_text())
    m = doc["model"]
    gm = sk.GaussianMixture(m["n_components"], covariance_type=m["covariance_type"])
    gm.weights_, gm.means_ = np.array(m["weights"]), np.array(m["means"])
    gm.covariances_ = np.array(m["covariances"])
    gm.precisions_cholesky_ = _compute_precision_cholesky(gm.covariances_, m["covariance_type"])
    np.testing.assert_allclose(gm.predict_proba(data), fits["full"].predict_proba(data), atol=1e-9)


def _tamper(tmp_path, fits, data, change):
    path = tmp_path / "fit.json"
    save_fit(path, fits["full"], data, columns=["x", "y"])
    doc = json.loads(path.read_text())
    result = change(doc)
    path.write_text(result if isinstance(result, str) else json.dumps(doc))
    return path


def _set(keys, value):
    def change(doc):
        obj = doc
        for key in keys[:-1]:
            obj = obj[key]
        obj[keys[-1]] = value
    return change


def _delete(keys):
    def change(doc):
        obj = doc
        for key in keys[:-1]:
            obj = obj[key]
        del obj[keys[-1]]
    return change


@pytest.mark.parametrize("change,message", [
    (lambda doc: "{not json", "not valid JSON"),
    (lambda doc: json.dumps(doc)[:-40], "not valid JSON"),
    (lambda doc: json.dumps(doc).replace('"log_likelihood": ', '"log_likelihood": NaN, "x": ', 1), "NaN"),
    (lambda doc: "[1, 2]", "not an object"),
    (_set(["format"], "other-format"), "format is"),
    (_set(["format_version"], 3), "newer emdesk"),
    (_set(["format_version"], "1"), "format_version"),
    (_delete(["model"]), "'model' is missing"),
    (_delete(["model", "means"]), "'means' is missing"),
    (_delete(["columns"]), "'columns' is missing"),
    (_set(["model", "covariance_type"], "banana"), "covariance_type"),
    (_set(["model", "weights"], [0.5, 0.25, 0.25]), "shape"),
    (_set(["model", "means"], [[0.0, 1.0]]), "shape"),
    (_set(["model", "covariances"], [[1.0, 0.0], [0.0, 1.0]]), "shape"),
    (_set(["model", "weights"], [1.5, -0.5]), "negative"),
    (_set(["model", "weights"], [0.5, 0.6]), "sum to 1"),
    (_set(["model", "weights"], [None, 1.0]), "numbers"),
    (lambda doc: json.dumps(doc).replace('"weights": [', '"weights": [Infinity, ', 1), "Infinity"),
    (lambda doc: json.dumps(doc).replace('"weights": [', '"weights": [1e999, 0.0], "old": [', 1), "finite"),
    (_set(["model", "weights"], ["0.5", 0.5]), "numbers"),
    (_set(["model", "weights"], [True, 0.0]), "numbers"),
    (_set(["model", "covariances"], [[[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]), "positive definite"),
    (_set(["model", "covariances"], [[[1.0, 0.5], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]), "symmetric"),
    (_set(["model", "covariances"], [[[1e309, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]), "Infinity|finite"),
    (_set(["columns"], ["x"]), "columns"),
    (_set(["columns"], ["x", "x"]), "columns"),
    (_set(["options", "max_iter"], "__import__('os')"), "max_iter"),
    (_set(["model", "n_components"], 0), "n_components"),
])
def test_load_fit_rejects_bad_files(tmp_path, fits, data, change, message):
    path = _tamper(tmp_path, fits, data, change)
    with pytest.raises(DataError, match=message) as info:
        load_fit(path)
    assert "fit.json" in str(info.value)


def test_load_fit_rejects_diag_with_non_positive_variance(tmp_path, fits, data):
    path = tmp_path / "d.json"
    save_fit(path, fits["diag"], data, columns=["x", "y"])
    doc = json.loads(path.read_text())
    doc["model"]["covariances"][1][0] = -1.0
    path.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="variances must be (positive|> 0)"):
        load_fit(path)


@pytest.mark.parametrize("raw, message", [(b"", "the file is empty"), (b"\xff\xfe\x00garbage", "not UTF-8 text"),
                                          (b"x" * 10, "line 1, column 1: not valid JSON")])
def test_load_fit_rejects_non_json(tmp_path, raw, message):
    path = tmp_path / "f.json"
    path.write_bytes(raw)
    with pytest.raises(DataError, match=f"^f.json(: |, ).*{message}"):
        load_fit(path)


def test_load_fit_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_fit(tmp_path / "nope.json")


def test_parameters_csv(tmp_path, fits):
    save_parameters_csv(tmp_path / "p.csv", fits["full"], ["x", "y"])
    rows = _csv(tmp_path / "p.csv")
    assert rows[0] == ["component", "weight", "mean_x", "mean_y", "var_x", "var_y", "cov_x_y"]
    gm = fits["full"]
    for j, row in enumerate(rows[1:]):
        assert row[0] == str(j + 1)
        values = [float(v) for v in row[1:]]
        assert values[0] == gm.weights_[j]
        assert values[1:3] == list(gm.means_[j])
        assert values[3:5] == [gm.covariances_[j, 0, 0], gm.covariances_[j, 1, 1]]
        assert values[5] == gm.covariances_[j, 0, 1]
    save_parameters_csv(tmp_path / "s.csv", fits["spherical"], ["x", "y"])
    rows = _csv(tmp_path / "s.csv")
    assert rows[0] == ["component", "weight", "mean_x", "mean_y", "var_x", "var_y"]
    assert float(rows[1][4]) == float(rows[1][5]) == fits["spherical"].covariances_[0]


def test_assignments_csv(tmp_path, fits, data, table):
    gm = fits["full"]
    save_assignments_csv(tmp_path / "a.csv", table, gm, ["x", "y"])
    rows = _csv(tmp_path / "a.csv")
    assert rows[0] == ["x", "y", "label", "p_component_1", "p_component_2", "component"]
    assert len(rows) == 301
    resp = gm.predict_proba(data)
    got = np.array([[float(r[3]), float(r[4])] for r in rows[1:]])
    np.testing.assert_allclose(got, resp, atol=1e-15)
    assert [int(r[5]) for r in rows[1:]] == list(gm.predict(data) + 1)
    assert [float(r[0]) for r in rows[1:]] == list(data[:, 0])  # the original values, exactly
    assert rows[1][2] == "p0"


def test_assignments_and_imputed_with_missing_values(tmp_path, fits):
    pytest.importorskip("emdesk.engine._missing")  # the engine's missing-value support (issue 5)
    path = tmp_path / "m.csv"
    path.write_text("x,y,note\n0.1,0.2,a\n,3.1,b\n6.2,,c\n,,d\n")
    t = load_table(path)
    gm = fits["full"]
    save_assignments_csv(tmp_path / "a.csv", t, gm, ["x", "y"])
    rows = _csv(tmp_path / "a.csv")
    assert rows[1][5] == "1" or rows[1][5] == "2"
    assert rows[2][3] != "" and rows[3][3] != ""  # incomplete rows scored on their observed value
    assert rows[4][3:] == ["", "", ""]  # nothing observed: left blank
    n = save_imputed_csv(tmp_path / "i.csv", t, gm, ["x", "y"])
    assert n == 4
    rows = _csv(tmp_path / "i.csv")
    assert rows[0] == ["x", "y", "note", "imputed"]
    assert [r[3] for r in rows[1:]] == ["", "x", "y", "x;y"]
    assert rows[1][:2] == ["0.1", "0.2"]
    assert all(r[0] and r[1] for r in rows[1:])
    X = np.array([[float(r[0]), float(r[1])] for r in rows[1:]])
    np.testing.assert_allclose(X, gm.impute(t.to_array(["x", "y"])))
    assert X[1, 1] == 3.1 and X[2, 0] == 6.2


def test_writes_are_atomic(tmp_path, fits, data, monkeypatch):
    path = tmp_path / "fit.json"
    path.write_text("old content")
    import emdesk.io.fitfile as fitfile

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fitfile.json, "dumps", lambda *a, **k: "x" * 100)
    real_write = None

    class Full:
        def __init__(self, inner):
            self.inner = inner

        def __enter__(self):
            handle = self.inner.__enter__()
            nonlocal real_write
            real_write = handle.write
            handle.write = boom
            return handle

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

    original = fitfile.atomic_write
    monkeypatch.setattr(fitfile, "atomic_write", lambda p: Full(original(p)))
    with pytest.raises(DataError, match="No space left on device"):
        save_fit(path, fits["full"], data, columns=["x", "y"])
    assert path.read_text() == "old content"
    assert os.listdir(tmp_path) == ["fit.json"]  # no temporary file left behind


def test_write_into_missing_folder(tmp_path, fits):
    with pytest.raises(DataError, match="Cannot write"):
        save_parameters_csv(tmp_path / "no" / "p.csv", fits["full"])


def test_unfitted_model(tmp_path, data):
    with pytest.raises(DataError, match="not fitted"):
        save_fit(tmp_path / "f.json", GaussianMixture(2), data, columns=["x", "y"])


def test_save_fit_refuses_what_load_fit_would_reject(tmp_path, fits, data):
    """Column names written twice would make a file that load_fit rejects: say so when saving."""
    path = tmp_path / "f.json"
    with pytest.raises(DataError, match="column name 'x' is given twice"):
        save_fit(path, fits["full"], data, columns=["x", "x"])
    assert not path.exists()


def test_one_dimensional_fit_saves_from_a_vector(tmp_path):
    x = np.concatenate([np.random.default_rng(1).normal(0, 1, 100), np.random.default_rng(2).normal(5, 1, 100)])
    gm = GaussianMixture(2, random_state=0).fit(x)  # the engine takes (n,) as one feature
    doc = save_fit(tmp_path / "f.json", gm, x, columns=["v"])
    assert doc["fit"]["bic"] == pytest.approx(gm.bic(x))
    np.testing.assert_array_equal(load_fit(tmp_path / "f.json").predict(x), gm.predict(x))


def test_one_column_name_may_be_given_as_a_string(tmp_path):
    """As the table exports take columns="v": not five names v, a, l, u, e."""
    x = np.random.default_rng(3).normal(size=60)
    gm = GaussianMixture(1).fit(x)
    assert save_fit(tmp_path / "f.json", gm, x, columns="value")["columns"] == ["value"]
    save_parameters_csv(tmp_path / "p.csv", gm, "value")
    assert _csv(tmp_path / "p.csv")[0] == ["component", "weight", "mean_value", "var_value"]


# -- tampered files: DataError and nothing else, with short messages (issue 10, item 7) -----------------


def _tampered_text(tmp_path, fits, data, ct, edit):
    path = tmp_path / "fit.json"
    save_fit(path, fits[ct], data, columns=["x", "y"])
    path.write_text(edit(path.read_text()), encoding="utf-8")
    return path


def _replace_value(key, raw):
    """Put the raw JSON text ``raw`` as the value of the first ``"key":`` of the file."""
    def edit(text):
        doc = json.loads(text)
        placeholder = "@@RAW@@"
        node = doc
        for part in key[:-1]:
            node = node[part]
        node[key[-1]] = placeholder
        return json.dumps(doc).replace(json.dumps(placeholder), raw)
    return edit


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("key, raw, message", [
    (("model", "weights"), "[" + "9" * 400 + ", 0.5]", "integer of 400 digits"),  # was OverflowError
    (("format_version",), "1" * 4301, "integer of 4301 digits"),  # was ValueError (int limit)
    (("fit", "bic"), "1" * 4301, "integer of 4301 digits"),
    (("fit", "bic"), "9" * 400, "integer of 400 digits"),  # float(int) overflowed when read
    (("model", "weights"), "[" * 990 + "0.5" + "]" * 990, "nested (too deeply|more than 32 levels)"),  # RecursionError
    (("model", "weights"), "[0.5, " + "[" * 990 + "0.5" + "]" * 990 + "]", "nested (too deeply|more than 32)"),
    (("fit", "n_iter"), "[" * 990 + "]" * 990, "nested (too deeply|more than 32)"),
    (("fit", "n_iter"), "[" * 40 + "]" * 40, "nested more than 32 levels"),
    (("model", "n_components"), "2" * 4300, "integer of 4300 digits"),  # echoed whole in 4,463 characters
    (("model", "kind"), json.dumps("x" * 5000), "model.kind must be"),
    (("format",), json.dumps("y" * 5000), "its format is"),
    (("options", "init_params"), json.dumps("z" * 5000), "init_params"),  # the engine echoes it
    (("model", "weights"), "[1." + "0" * 5000 + ", 0]", "written with 5002 characters"),
])
def test_tampered_files_give_a_short_data_error(tmp_path, fits, data, ct, key, raw, message):
    path = _tampered_text(tmp_path, fits, data, ct, _replace_value(key, raw))
    with pytest.raises(DataError, match=message) as info:
        load_fit(path)
    assert type(info.value) is DataError
    assert len(str(info.value)) <= 300
    assert str(info.value).startswith("fit.json: ")


@pytest.mark.parametrize("ct, covariances", [
    ("diag", [[5e-324, 5e-324], [1.0, 1.0]]),
    ("spherical", [5e-324, 1.0]),
    ("full", [[[5e-324, 0.0], [0.0, 5e-324]], [[1.0, 0.0], [0.0, 1.0]]]),
    ("tied", [[5e-324, 0.0], [0.0, 5e-324]]),
])
def test_tiny_variances_are_refused(tmp_path, fits, data, ct, covariances):
    """A variance of 5e-324 passes every sign and shape check but every score was NaN: a file is
    accepted only when its model scores finite."""
    path = _tampered_text(tmp_path, fits, data, ct, _replace_value(("model", "covariances"),
                                                                     json.dumps(covariances)))
    with pytest.raises(DataError, match="finite densities|positive definite|> 0"):
        load_fit(path)


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
def test_accepted_extreme_but_valid_files_score_finite(tmp_path, fits, data, ct):
    """Small but usable variances (1e-200) and large ones are still accepted, and then score finite."""
    def scale(text, factor):
        doc = json.loads(text)
        doc["model"]["covariances"] = (np.asarray(doc["model"]["covariances"]) * factor).tolist()
        doc["model"]["means"] = (np.asarray(doc["model"]["means"]) * np.sqrt(factor)).tolist()
        return json.dumps(doc)

    for factor in (1e-200, 1e200):
        path = _tampered_text(tmp_path, fits, data, ct, lambda text: scale(text, factor))
        model = load_fit(path)
        assert np.all(np.isfinite(model.score_samples(model.means_)))


def test_huge_fit_statistics_are_not_kept_as_infinite(tmp_path, fits, data):
    path = _tampered_text(tmp_path, fits, data, "full", _replace_value(("fit", "log_likelihood"), "1e999"))
    model = load_fit(path)
    assert not hasattr(model, "log_likelihood_") or np.isnan(model.log_likelihood_)


# -- stale temporary files (issue 10, item 9) ------------------------------------------------------------


def test_a_killed_export_leaves_a_temporary_file_that_the_next_write_removes(tmp_path, fits):
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "params.csv"
    script = ("import os, signal, sys\n"
              "from emdesk.io._atomic import atomic_write\n"
              "with atomic_write(sys.argv[1]) as handle:\n"
              "    handle.write('half of an export' * 1000)\n"
              "    handle.flush()\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)],
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert proc.wait(timeout=60) == -signal.SIGKILL
    left = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    assert len(left) == 1 and left[0].startswith(f".params.csv.{proc.pid}.")
    old = time.time() - 120  # the killed process wrote it two minutes ago
    os.utime(tmp_path / left[0], (old, old))
    # other files that look alike but are not ours, or belong to another target, stay
    keep = [".params.csv.notours.tmp", ".other.csv.1.abcdefgh.tmp", "params.csv.1.abcdefgh.tmp",
            ".params.csv.1.abcdefgh.tmp.bak"]
    for name in keep:
        (tmp_path / name).write_text("x")
        os.utime(tmp_path / name, (old, old))
    save_parameters_csv(target, fits["full"])
    assert sorted(os.listdir(tmp_path)) == sorted(keep + ["params.csv"])


def test_only_stale_temporary_files_are_removed(tmp_path, fits, monkeypatch):
    import subprocess
    import sys
    import time

    import emdesk.io._atomic as atomic

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, timeout=60)
    dead_pid = int(dead.stdout)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        now = time.time()
        files = {  # name: (age in seconds, removed?)
            f".p.csv.{dead_pid}.aaaaaaaa.tmp": (120, True),  # its process is gone
            f".p.csv.{dead_pid}.bbbbbbbb.tmp": (5, False),  # gone, but written to a moment ago
            f".p.csv.{alive.pid}.cccccccc.tmp": (3600, False),  # a running writer
            f".p.csv.{alive.pid}.dddddddd.tmp": (2 * 86400, True),  # running id, untouched for 2 days
            f".p.csv.{os.getpid()}.eeeeeeee.tmp": (3600, False),  # ours (another thread may be writing)
            ".p.csv.ffffffff.tmp": (3600, True),  # no process id (older emdesk), an hour old
            ".p.csv.gggggggg.tmp": (60, False),  # no process id, recent
        }
        for name, (age, _) in files.items():
            (tmp_path / name).write_text("partial")
            os.utime(tmp_path / name, (now - age, now - age))
        removed = atomic.remove_stale_temporaries(tmp_path / "p.csv", now=now)
        assert sorted(os.path.basename(p) for p in removed) == sorted(n for n, (_, r) in files.items() if r)
        assert sorted(os.listdir(tmp_path)) == sorted(n for n, (_, r) in files.items() if not r)
        # where a process cannot be asked (Windows), the age decides
        monkeypatch.setattr(atomic, "_process_running", lambda pid: None)
        removed = atomic.remove_stale_temporaries(tmp_path / "p.csv", now=now + 0)
        assert sorted(os.path.basename(p) for p in removed) == [f".p.csv.{alive.pid}.cccccccc.tmp"]
    finally:
        alive.kill()
        alive.wait()


def test_write_selection_csv_writes_what_the_engine_writes(tmp_path, data):
    from emdesk.engine import select_model
    from emdesk.io import write_selection_csv

    result = select_model(data, n_components=range(1, 4), covariance_types=("full", "diag"), random_state=0)
    result.to_csv(tmp_path / "engine.csv")
    write_selection_csv(result, tmp_path / "io.csv")
    assert (tmp_path / "io.csv").read_bytes() == (tmp_path / "engine.csv").read_bytes()
    with pytest.raises(DataError, match="Cannot write s.csv"):
        write_selection_csv(result, tmp_path / "missing" / "s.csv")
