"""Hidden Markov models in files (issue 12): fit file version 2, parameters and assignments CSV, long
tables as sequences; version-1 mixture files still load."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import warnings

import numpy as np
import pytest

from emdesk.engine import CategoricalHMM, GaussianHMM, GaussianMixture, PoissonHMM
from emdesk.io import (FORMAT_VERSION, DataError, load_fit, load_table, save_assignments_csv, save_fit,
                       save_imputed_csv, save_parameters_csv)
from emdesk.io.sequences import encode_symbols, sequence_layout

DATA = os.path.join(os.path.dirname(__file__), "data")


def _fit(model, X, lengths=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, lengths)


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(11)
    states = np.repeat([0, 1, 0, 1], 40)
    X = rng.normal(0, 1, (160, 2)) + np.array([[0, 0], [5, -3]])[states]
    C = rng.poisson(np.array([2.0, 12.0])[states][:, None], (160, 2)).astype(float)
    S = np.where(states == 0, rng.integers(0, 2, 160), rng.integers(1, 3, 160)).astype(float)[:, None]
    return X, C, S


def _read(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_format_version_is_two():
    assert FORMAT_VERSION == 2


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
def test_gaussian_hmm_round_trip(tmp_path, series, ct):
    X = series[0]
    m = _fit(GaussianHMM(2, covariance_type=ct, random_state=0, n_init=2), X, [100, 60])
    doc = save_fit(tmp_path / "f.json", m, X, columns=["a", "b"], lengths=[100, 60], sequence_column="id",
                   order_column="t")
    assert doc["format_version"] == 2 and doc["model"]["kind"] == "GaussianHMM"
    shape = {"full": [2, 2, 2], "tied": [2, 2], "diag": [2, 2], "spherical": [2]}[ct]
    assert list(np.shape(doc["model"]["covars"])) == shape  # hmmlearn's setter shape
    assert doc["sequences"] == {"sequence_column": "id", "order_column": "t", "n_sequences": 2}
    assert doc["fit"]["log_likelihood"] == pytest.approx(m.score(X, [100, 60]), abs=1e-9)
    assert doc["fit"]["bic"] == pytest.approx(m.bic(X, [100, 60]), abs=1e-9)
    back = load_fit(tmp_path / "f.json")
    assert isinstance(back, GaussianHMM) and back.covariance_type == ct
    np.testing.assert_array_equal(back.startprob_, m.startprob_ / m.startprob_.sum())
    np.testing.assert_allclose(back.transmat_, m.transmat_, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(back.means_, m.means_)
    np.testing.assert_array_equal(back.covars_, m.covars_)
    assert back.score(X, [100, 60]) == pytest.approx(m.score(X, [100, 60]), abs=1e-9)
    np.testing.assert_array_equal(back.predict(X, [100, 60]), m.predict(X, [100, 60]))
    assert list(back.feature_names_in_) == ["a", "b"]
    assert back.fit_info_["sequences"]["order_column"] == "t"
    assert back.get_params()["random_state"] == 0 and back.n_iter_ == m.n_iter_


def test_poisson_and_categorical_round_trip(tmp_path, series):
    _, C, S = series
    p = _fit(PoissonHMM(2, random_state=0), C)
    save_fit(tmp_path / "p.json", p, C, columns=["x", "y"])
    back = load_fit(tmp_path / "p.json")
    assert isinstance(back, PoissonHMM)
    np.testing.assert_array_equal(back.lambdas_, p.lambdas_)
    assert back.score(C) == pytest.approx(p.score(C), abs=1e-9)
    c = _fit(CategoricalHMM(2, random_state=0), S)
    c.symbols_ = ["low", "mid", "high"]
    doc = save_fit(tmp_path / "c.json", c, S, columns=["level"])
    assert doc["model"]["n_features"] == 3 and doc["model"]["symbols"] == ["low", "mid", "high"]
    back = load_fit(tmp_path / "c.json")
    assert isinstance(back, CategoricalHMM) and list(back.symbols_) == ["low", "mid", "high"]
    np.testing.assert_array_equal(back.emissionprob_, c.emissionprob_ / c.emissionprob_.sum(axis=1, keepdims=True))
    assert back.score(S) == pytest.approx(c.score(S), abs=1e-9)


def test_version_one_file_written_by_the_previous_code_still_loads():
    # tests/io/data/fit_v1_full.json was written by emdesk's save_fit before version 2 (main, 30 Nov 2026)
    with open(os.path.join(DATA, "fit_v1_full.json")) as f:
        assert json.load(f)["format_version"] == 1
    gm = load_fit(os.path.join(DATA, "fit_v1_full.json"))
    assert isinstance(gm, GaussianMixture)
    X = load_table(os.path.join(DATA, "fit_v1_data.csv")).to_array(["a", "b"])
    assert gm.score(X) == pytest.approx(-2.6078251624424014, abs=1e-12)  # as printed when it was written


def test_hmm_kind_in_a_version_one_file_is_refused(tmp_path, series):
    X = series[0]
    m = _fit(GaussianHMM(2, random_state=0), X)
    doc = save_fit(tmp_path / "f.json", m, X, columns=["a", "b"])
    doc["format_version"] = 1
    (tmp_path / "f.json").write_text(json.dumps(doc))
    with pytest.raises(DataError, match="from format version 2"):
        load_fit(tmp_path / "f.json")


def _tamper(tmp_path, doc, change):
    doc = json.loads(json.dumps(doc))
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("change, message", [
    (lambda d: d["model"].__setitem__("startprob", [0.7, 0.7]), "startprob must sum to 1"),
    (lambda d: d["model"].__setitem__("transmat", [[1.0, 0.0], [-0.5, 1.5]]), "must not be negative"),
    (lambda d: d["model"].__setitem__("transmat", [[1.0, 0.0]]), "transmat must have shape"),
    (lambda d: d["model"]["covars"][0].__setitem__(0, 5e-324), "not positive definite|finite densities"),
    (lambda d: d["model"]["covars"][0].__setitem__(0, -1.0), "not a valid emdesk fit file"),
    (lambda d: d["model"].pop("means"), "'means' is missing"),
    (lambda d: d["model"].__setitem__("covariance_type", "round"), "covariance_type must be one of"),
    (lambda d: d["options"].__setitem__("init_params", "magic"), "options.init_params"),
    (lambda d: d.__setitem__("sequences", [1]), "sequences must be a JSON object"),
    (lambda d: d["model"].__setitem__("kind", "HMM"), "model.kind must be one of"),
])
def test_tampered_gaussian_hmm_files_give_data_error(tmp_path, series, change, message):
    X = series[0]
    m = _fit(GaussianHMM(2, covariance_type="diag", random_state=0), X)
    doc = save_fit(tmp_path / "f.json", m, X, columns=["a", "b"])
    with pytest.raises(DataError, match=message) as info:
        load_fit(_tamper(tmp_path, doc, change))
    assert len(str(info.value)) <= 300 and "not a valid emdesk fit file (" not in str(info.value)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["model"].__setitem__("symbols", ["a", "a", "b"]), "3 distinct labels"),
    (lambda d: d["model"].__setitem__("emissionprob", [[0.5, 0.5, 0.5], [0.2, 0.3, 0.5]]), "must sum to 1"),
    (lambda d: d["model"].__setitem__("n_features", 4), "emissionprob must have shape"),
    (lambda d: d.__setitem__("columns", ["a", "b"]), "columns must be a list of 1"),
])
def test_tampered_categorical_hmm_files_give_data_error(tmp_path, series, change, message):
    S = series[2]
    m = _fit(CategoricalHMM(2, random_state=0), S)
    doc = save_fit(tmp_path / "f.json", m, S, columns=["s"])
    with pytest.raises(DataError, match=message):
        load_fit(_tamper(tmp_path, doc, change))


def test_poisson_rates_must_be_positive(tmp_path, series):
    C = series[1]
    m = _fit(PoissonHMM(2, random_state=0), C)
    doc = save_fit(tmp_path / "f.json", m, C, columns=["x", "y"])
    with pytest.raises(DataError, match="lambdas must be positive"):
        load_fit(_tamper(tmp_path, doc, lambda d: d["model"]["lambdas"][0].__setitem__(0, 0.0)))
    with pytest.raises(DataError, match=r"lambdas of state 1, column 1 is 1e\+308, above 2\^53"):
        load_fit(_tamper(tmp_path, doc, lambda d: d["model"]["lambdas"][0].__setitem__(0, 1e308)))


def test_zero_transition_probabilities_are_accepted(tmp_path, series):
    X = series[0]
    m = _fit(GaussianHMM(2, random_state=0), X)
    m.startprob_ = np.array([1.0, 0.0])
    m.transmat_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    save_fit(tmp_path / "f.json", m, X, columns=["a", "b"])
    back = load_fit(tmp_path / "f.json")
    np.testing.assert_array_equal(back.transmat_, np.eye(2))


def test_parameters_csv_per_state(tmp_path, series):
    X, C, S = series
    g = _fit(GaussianHMM(2, covariance_type="full", random_state=0), X)
    save_parameters_csv(tmp_path / "g.csv", g, ["a", "b"])
    rows = _read(tmp_path / "g.csv")
    assert rows[0] == ["state", "startprob", "to_state_1", "to_state_2", "mean_a", "mean_b", "var_a", "var_b",
                       "cov_a_b"]
    for j in range(2):
        values = [float(v) for v in rows[j + 1]]
        assert values[0] == j + 1 and values[1] == g.startprob_[j]
        assert values[2:4] == list(g.transmat_[j])
        assert values[4:6] == list(g.means_[j])
        assert values[6:9] == [g.covars_[j][0, 0], g.covars_[j][1, 1], g.covars_[j][0, 1]]
    p = _fit(PoissonHMM(2, random_state=0), C)
    save_parameters_csv(tmp_path / "p.csv", p, ["x", "y"])
    rows = _read(tmp_path / "p.csv")
    assert rows[0][-2:] == ["lambda_x", "lambda_y"] and float(rows[2][-1]) == p.lambdas_[1, 1]
    c = _fit(CategoricalHMM(2, random_state=0), S)
    c.symbols_ = ["low", "mid", "high"]
    save_parameters_csv(tmp_path / "c.csv", c, ["s"])
    rows = _read(tmp_path / "c.csv")
    assert rows[0][-3:] == ["p_low", "p_mid", "p_high"] and float(rows[1][-3]) == c.emissionprob_[0, 0]


def _long_table(tmp_path, rng, shuffle=True):
    """Two sequences of a two-state series in long form (id, t, x, y), rows shuffled."""
    rows = []
    for sid, n in (("s1", 70), ("s2", 50)):
        states = (np.arange(n) // 10) % 2
        X = rng.normal(0, 1, (n, 2)) + np.array([[0, 0], [6, 6]])[states]
        for t in range(n):
            rows.append((sid, t * 2.5, float(X[t, 0]), float(X[t, 1])))
    order = rng.permutation(len(rows)) if shuffle else np.arange(len(rows))
    path = tmp_path / "long.csv"
    with open(path, "w") as f:
        f.write("id,t,x,y\n")
        for i in order:
            sid, t, x, y = rows[i]
            f.write(f"{sid},{t:g},{x!r},{y!r}\n")
    return path


def test_sequence_layout_sorts_within_sequences(tmp_path):
    rng = np.random.default_rng(5)
    table = load_table(_long_table(tmp_path, rng))
    X = table.to_array(["x", "y"])
    layout = sequence_layout(table, X, sequence_column="id", order_column="t")
    ids = table.text_column("id")
    t = table.to_array(["t"])[:, 0]
    assert sorted(layout.lengths.tolist()) == [50, 70]
    start = 0
    for length, name in zip(layout.lengths, layout.names):
        rows = layout.rows[start:start + length]
        assert {ids[i] for i in rows} == {name}
        assert np.all(np.diff(t[rows]) > 0)
        start += length
    assert any("sorted by t" in note for note in layout.notes)


def test_assignments_csv_in_file_order_for_a_long_table(tmp_path):
    rng = np.random.default_rng(6)
    path = _long_table(tmp_path, rng)
    table = load_table(path)
    X = table.to_array(["x", "y"])
    layout = sequence_layout(table, X, sequence_column="id", order_column="t")
    lengths = layout.lengths.tolist()
    m = _fit(GaussianHMM(2, random_state=0, n_init=2), X[layout.rows], lengths)
    save_fit(tmp_path / "f.json", m, X[layout.rows], columns=["x", "y"], table=table, lengths=lengths,
             sequence_column="id", order_column="t")
    loaded = load_fit(tmp_path / "f.json")
    save_assignments_csv(tmp_path / "as.csv", table, loaded, ["x", "y"])  # sequence columns from the file
    rows = _read(tmp_path / "as.csv")
    assert rows[0] == ["id", "t", "x", "y", "p_state_1", "p_state_2", "state"]
    with open(path) as f:
        original = [line.rstrip("\n").split(",") for line in f]
    assert [r[:4] for r in rows[1:]] == original[1:]  # the file's rows, in the file's order
    post = m.predict_proba(X[layout.rows], lengths)
    viterbi = m.predict(X[layout.rows], lengths)
    got_p = np.array([[float(v) for v in r[4:6]] for r in rows[1:]])
    got_s = np.array([int(r[6]) for r in rows[1:]])
    np.testing.assert_array_equal(got_p[layout.rows], post)
    np.testing.assert_array_equal(got_s[layout.rows], viterbi + 1)
    # the two regimes are found: within the file's order the states follow x
    x = X[:, 0]
    assert abs(np.corrcoef(got_s, x)[0, 1]) > 0.9


def test_assignments_leave_unfitted_rows_blank(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("id,t,c\na,1,3\na,2,\na,3,9\nb,1,1\nb,2,0\nc,1,\n")
    table = load_table(path)
    X = table.to_array(["c"])
    layout = sequence_layout(table, X, sequence_column="id", order_column="t")
    # a's row with no value is a time step without observation (kept: leaving it out would join a's steps 1
    # and 3); c has no observed value at all and is left out
    assert layout.lengths.tolist() == [3, 2] and layout.names == ["a", "b"] and layout.n_left_out == 1
    assert any("1 sequence had no observed value" in n for n in layout.notes)
    assert "1 row has no observed value; it is kept as a time step without observation." in layout.notes
    m = _fit(PoissonHMM(2, random_state=0, missing="marginalize"), X[layout.rows], layout.lengths.tolist())
    save_assignments_csv(tmp_path / "as.csv", table, m, ["c"], sequence_column="id", order_column="t")
    rows = _read(tmp_path / "as.csv")
    assert rows[6][3:] == ["", "", ""] and rows[2][5] in ("1", "2")
    np.testing.assert_allclose([[float(v) for v in r[3:5]] for r in rows[1:6]],
                               m.predict_proba(X[layout.rows], layout.lengths.tolist()), atol=1e-12)
    assert rows[1][5] in ("1", "2")
    # dropping incomplete rows leaves it out (and says so)
    layout = sequence_layout(table, X, sequence_column="id", order_column="t", missing="drop")
    assert layout.lengths.tolist() == [2, 2] and layout.n_left_out == 2
    assert any("2 rows with no value" in n for n in layout.notes)


@pytest.mark.parametrize("text, kwargs, message", [
    ("id,t,x\na,1,1\n,2,2\n", {"sequence_column": "id"}, "sequence column id has 1 empty cell"),
    ("id,t,x\na,1,1\na,,2\n", {"order_column": "t"}, "order column t has 1 missing value"),
    ("id,t,x\na,b,1\na,c,2\n", {"order_column": "t"}, "must hold numbers"),
    ("id,t,x\na,1,1\na,2,2\n", {"order_column": "time"}, "'time' is not a column"),
    ("id,t,x\na,1,\na,2,\n", {"X": np.full((2, 1), np.nan)}, "No row is left"),
])
def test_sequence_layout_refuses_bad_layouts(tmp_path, text, kwargs, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    table = load_table(path)
    X = kwargs.pop("X", None)
    with pytest.raises(DataError, match=message):
        sequence_layout(table, table.to_array(["x"]) if X is None else X, **kwargs)


def test_sequence_layout_reports_repeated_order_values_and_single_rows(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,t,x\na,1,1\na,1,2\na,2,3\nb,5,4\n")
    table = load_table(path)
    layout = sequence_layout(table, table.to_array(["x"]), sequence_column="id", order_column="t")
    assert layout.rows.tolist() == [0, 1, 2, 3]
    assert any("1 row repeats the t value" in n for n in layout.notes)
    assert any("1 sequence has a single row" in n for n in layout.notes)
    with pytest.raises(DataError, match="missing values"):
        path.write_text("id,t,x,y\na,1,1,\na,2,3,4\n")
        t2 = load_table(path)
        sequence_layout(t2, t2.to_array(["x", "y"]), missing="error")


def test_encode_symbols(tmp_path):
    path = tmp_path / "sym.csv"
    path.write_text("w,n\nsun,10\nrain,2\n,2\nsun,10\n")
    table = load_table(path)
    codes, symbols = encode_symbols(table, "w")
    assert symbols == ["rain", "sun"] and codes[[0, 1, 3]].tolist() == [1, 0, 1] and np.isnan(codes[2])
    codes, symbols = encode_symbols(table, "n")
    assert symbols == ["2", "10"] and codes.tolist() == [1, 0, 0, 1]  # numeric labels sorted as numbers
    with pytest.raises(DataError, match="'fog' is not one of the model's 2 symbols"):
        path.write_text("w\nsun\nfog\n")
        encode_symbols(load_table(path), "w", ["rain", "sun"])


def test_imputation_and_mixture_options_are_refused_for_the_other_kind(tmp_path, series):
    X = series[0]
    m = _fit(GaussianHMM(2, random_state=0), X)
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(DataError, match="Imputing"):
        save_imputed_csv(tmp_path / "i.csv", load_table(path), m, ["a", "b"])
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(DataError, match="hidden Markov"):
        save_fit(tmp_path / "g.json", gm, X, columns=["a", "b"], lengths=[160])


def test_unfitted_hmm_is_refused(tmp_path, series):
    with pytest.raises(DataError, match="not fitted"):
        save_fit(tmp_path / "f.json", GaussianHMM(2), series[0], columns=["a", "b"])


def test_tampered_hmm_files_raise_only_data_error(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "_emdesk_fuzz_fitfile", os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "fuzz_fitfile.py"))
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    result = fuzz.run(5000, seed=20261201, folder=str(tmp_path), kinds="hmm")
    outcomes = result["outcomes"]
    assert set(outcomes) <= {"accepted", "DataError"}, (outcomes, result["examples"])
    assert sum(outcomes.values()) == 5000
    assert outcomes["DataError"] > 2500 and outcomes.get("accepted", 0) > 100
    assert result["longest_message"] <= fuzz.MAX_MESSAGE


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
def test_hmmlearn_rebuilt_from_the_file_scores_the_same(tmp_path, series, ct):
    hmm = pytest.importorskip("hmmlearn.hmm")
    X, C, S = series
    lengths = [100, 60]
    fits = [(GaussianHMM(2, covariance_type=ct, random_state=0), X),
            (PoissonHMM(2, random_state=0), C), (CategoricalHMM(2, random_state=0), S)]
    for model, data in fits:
        _fit(model, data, lengths)
        save_fit(tmp_path / "f.json", model, data, columns=[f"c{j}" for j in range(data.shape[1])], lengths=lengths)
        m = json.loads((tmp_path / "f.json").read_text())["model"]
        if m["kind"] == "GaussianHMM":
            h = hmm.GaussianHMM(m["n_components"], covariance_type=m["covariance_type"])
            h.means_, h.covars_ = np.array(m["means"]), np.array(m["covars"])
        elif m["kind"] == "PoissonHMM":
            h = hmm.PoissonHMM(m["n_components"])
            h.lambdas_ = np.array(m["lambdas"])
        else:
            h = hmm.CategoricalHMM(m["n_components"], n_features=m["n_features"])
            h.emissionprob_ = np.array(m["emissionprob"])
        h.startprob_, h.transmat_ = np.array(m["startprob"]), np.array(m["transmat"])
        ll = h.score(data.astype(int) if m["kind"] != "GaussianHMM" else data, lengths)
        assert ll == pytest.approx(model.score(data, lengths), abs=1e-8)


@pytest.mark.parametrize("ct", ["full", "diag", "spherical", "tied"])
def test_tampered_tiny_variance_names_the_field_and_state_not_fitting_advice(tmp_path, series, ct):
    """A variance no fit writes (5e-324; 0; a non-symmetric matrix) is the file's fault: load_fit names the
    field and the state and gives no advice about fitting (reg_covar, fewer states)."""
    X = series[0]
    m = _fit(GaussianHMM(2, covariance_type=ct, random_state=0), X)
    doc = save_fit(tmp_path / "f.json", m, X, columns=["a", "b"])
    tiny = {"full": lambda d: d["model"]["covars"].__setitem__(1, [[5e-324, 0.0], [0.0, 5e-324]]),
            "diag": lambda d: d["model"]["covars"].__setitem__(1, [5e-324, 1.0]),
            "spherical": lambda d: d["model"]["covars"].__setitem__(1, 5e-324),
            "tied": lambda d: d["model"].__setitem__("covars", [[5e-324, 0.0], [0.0, 1.0]])}[ct]
    with pytest.raises(DataError) as info:
        load_fit(_tamper(tmp_path, doc, tiny))
    msg = str(info.value)
    assert "model.covars" in msg and "edited or damaged" in msg
    assert ("shared" in msg) if ct == "tied" else ("state 2" in msg)
    assert "reg_covar" not in msg and "fewer states" not in msg
    if ct == "diag":
        zero = lambda d: d["model"]["covars"].__setitem__(1, [0.0, 1.0])  # noqa: E731
        with pytest.raises(DataError, match=r"model.covars of state 2: variance 1 is 0; a variance must be > 0"):
            load_fit(_tamper(tmp_path, doc, zero))
    if ct == "full":
        skew = lambda d: d["model"]["covars"].__setitem__(0, [[1.0, 0.5], [0.2, 1.0]])  # noqa: E731
        with pytest.raises(DataError, match=r"model.covars of state 1 is not symmetric"):
            load_fit(_tamper(tmp_path, doc, skew))
