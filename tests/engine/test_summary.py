"""summary(model, X): checked against an independent computation with scipy.stats."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emdesk.engine import GaussianMixture
from emdesk.engine.summary import summary

from engine_helpers import COVARIANCE_TYPES, full_cov, make_mixture


def _fit(ct, seed=4, d=2, k=3):
    rng = np.random.default_rng(seed)
    X, *_ = make_mixture(rng, n=400, d=d, k=k, spread=5.0)
    return GaussianMixture(k, covariance_type=ct, random_state=seed).fit(X), X


def _n_params(ct, k, d):
    cov = {"full": k * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": k * d, "spherical": k}[ct]
    return int(cov + k * d + k - 1)


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_summary_against_scipy(ct):
    gm, X = _fit(ct)
    k, d = gm.means_.shape
    full = full_cov(gm.covariances_, ct, k, d)
    dens = np.column_stack([gm.weights_[j] * multivariate_normal(gm.means_[j], full[j]).pdf(X) for j in range(k)])
    ll = np.log(dens.sum(axis=1)).sum()
    resp = dens / dens.sum(axis=1, keepdims=True)
    labels = resp.argmax(axis=1)
    p = _n_params(ct, k, d)
    n = X.shape[0]
    s = summary(gm, X)
    assert (s.kind, s.family, s.covariance_type) == ("mixture", "gaussian", ct)
    assert (s.n_components, s.n_samples, s.n_features) == (k, n, d)
    assert s.log_likelihood == pytest.approx(ll, rel=1e-9)
    assert s.n_parameters == p
    assert s.bic == pytest.approx(-2 * ll + p * math.log(n), rel=1e-9)
    assert s.aic == pytest.approx(-2 * ll + 2 * p, rel=1e-9)
    assert s.bic == pytest.approx(gm.bic(X), rel=1e-12) and s.aic == pytest.approx(gm.aic(X), rel=1e-12)
    assert s.icl >= s.bic - 1e-9
    np.testing.assert_array_equal(s.clustering, np.bincount(labels, minlength=k))
    np.testing.assert_allclose(s.weights, gm.weights_)
    np.testing.assert_allclose(s.full_covariances, full)
    sd = np.sqrt(np.array([np.diag(c) for c in full]))
    np.testing.assert_allclose(s.standard_deviations, sd)
    corr = np.array([np.corrcoef(multivariate_normal(gm.means_[j], full[j]).rvs(20000, random_state=1).T)
                     for j in range(k)])
    np.testing.assert_allclose(s.correlations, corr, atol=0.03)
    np.testing.assert_allclose(s.correlations[:, 0, 1], full[:, 0, 1] / (sd[:, 0] * sd[:, 1]))
    assert s.n_iter == gm.n_iter_ and s.converged == gm.converged_
    assert not s.weights.flags.writeable
    assert s.shared_covariance == (ct == "tied")


def test_text_and_tsv_carry_the_numbers():
    gm, X = _fit("full")
    gm.feature_names_in_ = ["alpha", "beta"]
    s = summary(gm, X)
    text = s.to_text()
    assert "alpha ~ beta" in text and "Clustering table" in text
    assert f"{s.means[0, 0]:.6g}" in text
    assert f"{s.log_likelihood:.8g}" in text
    tsv = s.to_tsv()
    blocks = {b.split("\n")[0]: [line.split("\t") for line in b.split("\n")[1:]] for b in tsv.strip().split("\n\n")}
    means = blocks["Means"]
    assert means[0] == ["", "component 1", "component 2", "component 3"]
    np.testing.assert_array_equal(np.array([r[1:] for r in means[1:]], dtype=float), s.means.T)
    model = blocks["Model"]
    assert float(model[1][model[0].index("BIC")]) == s.bic
    assert len(blocks) == 2 + 4 + 3  # model, clustering, 4 parameter tables, 3 covariance matrices


def test_tied_model_prints_the_shared_covariance_once():
    gm, X = _fit("tied")
    s = summary(gm, X)
    assert "shared by every component" in s.to_text()
    assert sum(1 for t, *_ in s.tables() if t.startswith("Covariance")) == 1


def test_standard_errors_beside_the_estimates():
    gm, X = _fit("diag", k=2)
    k, d = gm.means_.shape
    rng = np.random.default_rng(0)
    reps = {"weights": gm.weights_ + rng.normal(0, 0.01, (50, k)),
            "means": gm.means_ + rng.normal(0, 0.1, (50, k, d)),
            "covariances": gm.covariances_ * np.exp(rng.normal(0, 0.05, (50, k, d)))}
    se = {key: np.std(v, axis=0, ddof=1) for key, v in reps.items()}
    boot = SimpleNamespace(standard_errors=se, replicates=reps, n_boot=50, method="nonparametric")
    s = summary(gm, X, bootstrap=boot)
    np.testing.assert_allclose(s.standard_errors["means"], se["means"])
    sd_reps = np.sqrt(reps["covariances"])
    np.testing.assert_allclose(s.standard_errors["standard_deviations"], np.std(sd_reps, axis=0, ddof=1))
    text = s.to_text()
    assert f"({se['means'][0, 0]:.3g})" in text and "50 replicates" in text
    means = [t for t in s.tables() if t[0] == "Means"][0]
    assert means[1] == ["", "component 1", "SE", "component 2", "SE"]
    assert means[2][0][2] == pytest.approx(se["means"][0, 0])
    assert "SE" not in [t for t in s.tables(standard_errors=False) if t[0] == "Means"][0][1]


def test_missing_values_and_errors():
    gm, X = _fit("full")
    Xm = X.copy()
    Xm[0, 0] = np.nan
    Xm[1, :] = np.nan
    gm_m = GaussianMixture.from_parameters(gm.weights_, gm.means_, gm.covariances_, "full", missing="marginalize")
    s = summary(gm_m, Xm)
    assert s.n_samples == X.shape[0] - 1
    assert s.n_iter is None and s.converged is None  # built from parameters
    with pytest.raises(ValueError, match="not fitted"):
        summary(GaussianMixture(2), X)
    with pytest.raises(ValueError, match="columns"):
        summary(gm, X[:, :1])
    with pytest.raises(ValueError, match="names"):
        summary(gm, X, feature_names=["a"])


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_summary_one_pass_equals_the_three_methods(ct, monkeypatch):
    """The summary's log-likelihood, clustering and ICL come from one E-step over the rows; they equal
    score_samples, predict and icl computed each in its own pass (rows with NaN, rows with every value
    missing not counted, several row blocks), and X is scored once."""
    from emdesk.engine import _missing

    rng = np.random.default_rng(7)
    X = np.r_[rng.normal(size=(150, 3)), rng.normal(4.0, 1.0, size=(150, 3))]
    X[rng.random(X.shape) < 0.1] = np.nan
    X[[3, 40]] = np.nan
    gm = GaussianMixture(2, covariance_type=ct, missing="marginalize", random_state=0, max_iter=15).fit(X)
    monkeypatch.setattr(_missing, "incomplete_block_rows", lambda k, d: 64)  # several blocks of 300 rows
    calls = []
    estep = GaussianMixture._estep
    monkeypatch.setattr(GaussianMixture, "_estep", lambda self, *a, **kw: calls.append(1) or estep(self, *a, **kw))
    s = summary(gm, X)
    assert len(calls) == 1
    monkeypatch.setattr(GaussianMixture, "_estep", estep)
    Xk = X[~np.isnan(X).all(axis=1)]
    assert s.n_samples == Xk.shape[0] == 298
    assert s.log_likelihood == float(np.sum(gm.score_samples(Xk)))
    assert s.icl == gm.icl(Xk)
    assert s.bic == gm.bic(Xk)
    np.testing.assert_array_equal(s.clustering, np.bincount(gm.predict(Xk), minlength=2))
    with pytest.raises(ValueError, match="no row with an observed value"):
        summary(gm, np.full((4, 3), np.nan))
