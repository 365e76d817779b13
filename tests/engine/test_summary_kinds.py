"""summary() of HMMs and the other families (engine.summary_kinds), against hand computations."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emdesk.engine import (CategoricalHMM, CategoricalMixture, GaussianHMM, PoissonHMM, PoissonMixture,
                           StudentTMixture)
from emdesk.engine.summary import summary
from emdesk.engine.summary_kinds import KindSummary, expected_durations, stationary_distribution


def test_durations_and_stationary_distribution_by_hand():
    A = np.array([[0.9, 0.1], [0.2, 0.8]])
    np.testing.assert_allclose(expected_durations(A), [10.0, 5.0])
    # pi A = pi: pi_1 * 0.1 = pi_2 * 0.2 -> (2/3, 1/3)
    np.testing.assert_allclose(stationary_distribution(A), [2 / 3, 1 / 3])
    assert expected_durations([[1.0, 0.0], [0.5, 0.5]])[0] == np.inf


def _tsv_numbers_parse(tsv):
    for line in tsv.splitlines():
        for cell in line.split("\t")[1:]:
            if cell and cell[0] in "-0123456789":
                float(cell)


def test_gaussian_hmm_summary():
    rng = np.random.default_rng(0)
    truth = GaussianHMM(2, covariance_type="full")
    truth.startprob_ = np.array([0.5, 0.5])
    truth.transmat_ = np.array([[0.95, 0.05], [0.1, 0.9]])
    truth.means_ = np.array([[0.0, 0.0], [4.0, 2.0]])
    truth.covars_ = np.array([np.eye(2), [[1.0, 0.5], [0.5, 1.0]]])
    truth.n_features_in_ = 2
    X, _ = truth.sample(400, random_state=rng)
    m = GaussianHMM(2, covariance_type="full", random_state=0).fit(X, lengths=[250, 150])
    s = summary(m, X, lengths=[250, 150], feature_names=["a", "b"])
    assert isinstance(s, KindSummary) and s.kind == "hmm" and s.unit == "state"
    # ICL: BIC - 2 log p(Viterbi path | X) = -2 log p(X, path) + p log n
    log_joint = m.decode(X, [250, 150])[0]
    assert s.icl == pytest.approx(-2 * log_joint + m.n_parameters() * np.log(400), rel=1e-12)
    assert s.icl >= s.bic
    assert s.log_likelihood == pytest.approx(m.score(X, [250, 150]))
    assert s.bic == pytest.approx(m.bic(X, [250, 150]))
    assert s.clustering.sum() == 400
    np.testing.assert_array_equal(s.clustering, np.bincount(m.predict(X, [250, 150]), minlength=2))
    np.testing.assert_allclose(s.parameters["expected_durations"], 1 / (1 - np.diag(m.transmat_)))
    titles = [t for t, _, _ in s.tables()]
    assert "Transition matrix (row: from, column: to)" in titles and "Correlations" in titles
    assert "Covariance matrix, state 2" in titles
    text = s.to_text()
    assert "expected duration" in text and "GaussianHMM" in text
    _tsv_numbers_parse(s.to_tsv())


def test_poisson_and_categorical_hmm_tables():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.poisson(1, 100), rng.poisson(8, 100)]).astype(float)[:, None]
    m = PoissonHMM(2, random_state=0).fit(X)
    s = summary(m, X, feature_names=["n"])
    rates = dict((t, rows) for t, _, rows in s.tables())["Rates (mean counts)"]
    assert rates[0][1:] == pytest.approx(list(m.lambdas_[:, 0]))
    C = rng.integers(0, 3, (150, 1)).astype(float)
    c = CategoricalHMM(2, random_state=0).fit(C)
    s = summary(c, C, feature_names=["weather"], category_labels={"weather": ["dry", "rain", "snow"]})
    rows = dict((t, r) for t, _, r in s.tables())["Emission probabilities P(weather = symbol | state)"]
    assert [r[0] for r in rows] == ["dry", "rain", "snow"]
    np.testing.assert_allclose(np.array([r[1:] for r in rows]).sum(axis=0), 1.0)


def test_mixture_families():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(0, 1, (150, 2)), rng.normal(6, 1, (150, 2)), [[40.0, -40.0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = StudentTMixture(2, random_state=0).fit(X)
    s = summary(t, X)
    tables = dict((title, rows) for title, _, rows in s.tables())
    assert tables["Degrees of freedom"][0][1:] == pytest.approx(list(t.dof_))
    out = [v for k, v in tables.items() if k.startswith("Rows with the smallest scale weight")][0]
    assert out[0][0] == 301  # the planted outlier (1-based row) first
    u = t.scale_weights(X)
    assert out[0][2] == pytest.approx(u.min())
    assert s.icl == pytest.approx(t.icl(X)) and s.n_samples == 301
    C = np.column_stack([rng.integers(0, 2, 200), rng.integers(0, 3, 200)]).astype(float)
    lc = CategoricalMixture(2, random_state=0).fit(C)
    s = summary(lc, C, feature_names=["sex", "grade"], category_labels=[["f", "m"], ["A", "B", "C"]])
    tables = dict((title, rows) for title, _, rows in s.tables())
    assert [r[0] for r in tables["P(grade = category | class)"]] == ["A", "B", "C"]
    assert s.unit == "class" and "2 classes" in s.headline()
    P = PoissonMixture(2, random_state=0).fit(np.abs(C))
    assert "Rates (mean counts)" in [t for t, _, _ in summary(P, np.abs(C)).tables()]
    with pytest.raises(ValueError, match="BootstrapResult"):
        summary(P, np.abs(C), bootstrap=object())
    from emdesk.engine import bootstrap

    boot = bootstrap(P, np.abs(C), n_boot=12, random_state=0, n_jobs=1)
    s = summary(P, np.abs(C), bootstrap=boot)
    title, header, rows = next(t for t in s.tables() if t[0] == "Rates (mean counts)")
    assert header[:3] == ["", "component 1", "SE"] and rows[0][2] == pytest.approx(boot.standard_errors["lambdas"][0, 0])
    assert "SE" not in next(t for t in s.tables(False) if t[0] == "Rates (mean counts)")[1]
    other = bootstrap(PoissonMixture(3, random_state=0).fit(np.abs(C)), np.abs(C), n_boot=3, random_state=0)
    with pytest.raises(ValueError, match="does not belong"):
        summary(P, np.abs(C), bootstrap=other)
    with pytest.raises(ValueError, match="columns"):
        summary(P, np.abs(C)[:, :1])


@pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")
def test_hmm_summary_with_bootstrap_standard_errors():
    from emdesk.engine import bootstrap

    rng = np.random.default_rng(4)
    truth = GaussianHMM(2, covariance_type="full")
    truth.startprob_ = np.array([0.5, 0.5])
    truth.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    truth.means_ = np.array([[0.0, 0.0], [3.0, 2.0]])
    truth.covars_ = np.array([np.eye(2), [[1.0, 0.4], [0.4, 1.0]]])
    truth.n_features_in_ = 2
    X, _ = truth.sample(300, random_state=rng)
    m = GaussianHMM(2, covariance_type="full", random_state=0).fit(X)
    boot = bootstrap(m, X, n_boot=8, method="parametric", random_state=1, n_jobs=1)
    s = summary(m, X, bootstrap=boot)
    tables = {t: (h, r) for t, h, r in s.tables()}
    header, rows = tables["Transition matrix (row: from, column: to)"]
    assert header == ["from \\ to", "state 1", "SE", "state 2", "SE"]
    np.testing.assert_allclose([rows[0][2], rows[0][4]], boot.standard_errors["transmat"][0])
    header, rows = tables["State durations and occupancy"]
    durations = 1 / (1 - np.diagonal(boot.replicates["transmat"], axis1=1, axis2=2))
    np.testing.assert_allclose([rows[0][2], rows[0][4]], np.std(durations, axis=0, ddof=1))
    assert rows[2][2] is None  # the Viterbi share has no SE
    header, rows = tables["Covariance matrix, state 2"]
    assert [r[0] for r in rows] == ["x1", "  SE", "x2", "  SE"]
    np.testing.assert_allclose(rows[1][1:], np.std(boot.replicates["covars"][:, 1, 0], axis=0, ddof=1))
    assert "SE" not in s.tables(False)[3][1] and "  SE" not in s.to_text(False)
