"""The session with the robust and discrete mixture families (issue 13): estimator per family, text columns
for the categorical families, codes and labels, and a refused non-count column for Poisson."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.io import load_table
from emdesk.session import Session


@pytest.fixture
def mixed_csv(tmp_path):
    rng = np.random.default_rng(5)
    n = 240
    z = np.repeat([0, 1], n // 2)
    x = np.where(z == 0, rng.normal(0, 1, n), rng.normal(6, 1, n))
    cnt = np.where(z == 0, rng.poisson(2, n), rng.poisson(12, n))
    col = np.where(rng.random(n) < 0.9, np.where(z == 0, "red", "blue"), np.where(z == 0, "blue", "red"))
    size = np.where(rng.random(n) < 0.85, np.where(z == 0, "small", "big"), "medium")
    lines = ["x,count,colour,size"]
    for i in range(n):
        c = "NA" if i == 7 else col[i]
        lines.append(f"{x[i]:.4f},{cnt[i]},{c},{size[i]}")
    p = tmp_path / "mixed.csv"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_each_family_builds_its_estimator_and_fits(mixed_csv):
    from emdesk.engine import CategoricalMixture, MixedMixture, PoissonMixture, StudentTMixture

    s = Session()
    s.set_table(load_table(mixed_csv), ["x", "count"])
    s.set_options(n_components=2, random_state=0, max_iter=50)
    for family, cls, cols in (("student_t", StudentTMixture, ["x", "count"]), ("poisson", PoissonMixture, ["count"])):
        s.set_model_kind("mixture", family)
        s.choose_columns(cols)
        assert s.estimator_class() is cls
        model = s.fit()
        assert isinstance(model, cls) and s.history and s.history[-1].family == {"student_t": "student_t",
                                                                                   "poisson": "poisson"}[family]
        assert type(s.history[-1].to_model()) is cls
    s.set_model_kind("mixture", "student_t")
    s.choose_columns(["x", "count"])
    s.set_options(dof_type="shared", fix_dof=True, dof_init=4.0)
    m = s.fit()
    assert np.allclose(m.dof_, 4.0)


def test_text_columns_fittable_only_by_categorical_families(mixed_csv):
    s = Session()
    s.set_table(load_table(mixed_csv), ["x"])
    with pytest.raises(ValueError, match="colour"):
        s.choose_columns(["x", "colour"])
    s.set_model_kind("mixture", "categorical")
    s.choose_columns(["colour", "size"])
    assert s.categories == {"colour": ["blue", "red"], "size": ["big", "medium", "small"]}
    assert np.isnan(s.X[7, 0]) and s.n_incomplete == 1  # the "NA" token is missing, not a category
    assert set(np.unique(s.X[np.isfinite(s.X[:, 0]), 0])) == {0.0, 1.0}
    s.set_options(n_components=2, random_state=0, n_init=2)
    model = s.fit()
    assert model.probs_.shape == (2, 2, 3)
    # the classes follow the generating groups: "small" and "big" go to different classes
    big = model.probs_[:, 1, 0]
    assert big.max() > 0.7 and big.min() < 0.2
    # mixed: the numeric column Gaussian, the text column categorical
    s.set_model_kind("mixture", "mixed")
    s.choose_columns(["x", "colour"])
    assert s.engine_options()["categorical_columns"] == (1,)
    model = s.fit()
    assert type(model).__name__ == "MixedMixture"
    assert sorted(np.round(model.means_[:, 0])) == [0.0, 6.0]
    # back to a numeric family: the text column is no longer chosen
    s.set_model_kind("mixture", "gaussian")
    assert s.columns == ["x"] and s.categories == {}


def test_poisson_refuses_non_count_column_with_the_engine_message(mixed_csv):
    s = Session()
    s.set_table(load_table(mixed_csv), ["x"])
    s.set_model_kind("mixture", "poisson")
    with pytest.raises(ValueError, match="(?i)count|integer|negative"):
        s.fit()
    assert not s.fitting


@pytest.mark.parametrize("family,cols", [("student_t", ["x"]), ("poisson", ["count"]),
                                         ("categorical", ["colour", "size"]), ("mixed", ["x", "colour"])])
def test_load_restart_of_each_family(mixed_csv, family, cols):
    s = Session()
    s.set_table(load_table(mixed_csv), ["x"])
    s.set_model_kind("mixture", family)
    s.choose_columns(cols)
    s.set_options(n_components=2, random_state=1, n_init=3, max_iter=60)
    fitted = s.fit()
    lls = fitted.restart_log_likelihoods_
    for i in range(3):
        m = s.load_restart(i)
        assert type(m) is type(fitted) and s.model is m
        # the restart's parameters reproduce its recorded log-likelihood on the fitted rows
        assert m.log_likelihood(s.X) == pytest.approx(lls[i], rel=1e-6, abs=1e-6)
    with pytest.raises(ValueError, match="restart"):
        s.load_restart(3)


@pytest.mark.parametrize("family,cols", [("categorical", ["colour", "size", "count"]),
                                         ("mixed", ["x", "colour", "size"])])
def test_export_of_categorical_and_mixed_fits_writes_the_labels(tmp_path, mixed_csv, family, cols):
    # The window fits text columns as codes; the export was refused. The files now carry the categories
    # (text, and for a numeric column fitted as categories its numbers), and score the file's rows the same.
    import csv
    import warnings

    from emdesk.io import load_fit

    text = mixed_csv.read_text().splitlines()
    text[4] = "," + text[4].split(",", 1)[1]  # row 4: x missing (mixed: fitted on its categories)
    mixed_csv.write_text("\n".join(text) + "\n")
    s = Session()
    s.set_table(load_table(mixed_csv), ["x"])
    s.set_model_kind("mixture", family)
    s.choose_columns(cols)
    s.set_options(n_components=2, random_state=0, n_init=2, max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = s.fit()
    s.export_fit(tmp_path / "f.json")
    s.export_fit(tmp_path / "p.csv", "parameters")
    s.export_fit(tmp_path / "a.csv", "assignments")
    back = load_fit(tmp_path / "f.json")
    assert type(back) is type(m)
    cats = [list(c) for c in back.categories_]
    assert ["blue", "red"] in cats and ["big", "medium", "small"] in cats
    if family == "categorical":
        assert cats[2][:3] == [0.0, 1.0, 2.0]  # the count column's numbers
    assert back.log_likelihood_ == pytest.approx(m.log_likelihood_, rel=1e-12)
    header = next(csv.reader(open(tmp_path / "p.csv")))
    assert "p_colour_blue" in header and "p_size_medium" in header
    assert not any(h.startswith("p_colour_0") for h in header)
    rows = list(csv.reader(open(tmp_path / "a.csv")))
    assert rows[0][-3:] == ["p_component_1", "p_component_2", "component"]
    resp = np.array([[float(v) for v in r[-3:-1]] for r in rows[1:]])
    np.testing.assert_allclose(resp, m.predict_proba(s.X), rtol=1e-9, atol=1e-300)  # every row fitted here
    assert rows[8][2] == "NA" and rows[8][-1] in ("1", "2")  # the missing token row: scored on the rest



def test_coded_model_inverts_labelled_model_and_names_an_unknown_category(mixed_csv, tmp_path):
    import warnings

    from emdesk.families_data import coded_model, labelled_model

    s = Session()
    s.set_table(load_table(mixed_csv), ["x"])
    s.set_model_kind("mixture", "categorical")
    s.choose_columns(["colour", "size", "count"])
    s.set_options(n_components=2, random_state=0, n_init=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = s.fit()
    lab, _ = labelled_model(s.table, s.columns, "categorical", m, s.X)
    back = coded_model(s.table, s.columns, "categorical", lab)
    np.testing.assert_allclose(back.probs_, m.probs_, rtol=0, atol=0)
    np.testing.assert_allclose(back.predict_proba(s.X), m.predict_proba(s.X), rtol=1e-12)
    # a table with a category the fit never saw: refused with its name
    text = mixed_csv.read_text().replace(",red,", ",green,", 1)
    (tmp_path / "other.csv").write_text(text)
    other = load_table(tmp_path / "other.csv")
    with pytest.raises(ValueError, match="colour holds the category 'green'"):
        coded_model(other, s.columns, "categorical", lab)
