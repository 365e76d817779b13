"""GaussianMixture: fitted attributes, iteration semantics, snapshots, scoring, criteria."""

import math

import numpy as np
import pytest
from engine_helpers import COVARIANCE_TYPES, full_cov, make_mixture, start_values
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm

from emdesk.engine import GaussianMixture, Snapshot

SHAPES = {"full": lambda k, d: (k, d, d), "tied": lambda k, d: (d, d),
          "diag": lambda k, d: (k, d), "spherical": lambda k, d: (k,)}


def scipy_logpdf(X, weights, means, cov, ct):
    k, d = means.shape
    fc = full_cov(cov, ct, k, d)
    comp = np.stack([np.log(weights[j]) + multivariate_normal(means[j], fc[j]).logpdf(X).reshape(-1)
                     for j in range(k)], axis=1)
    return logsumexp(comp, axis=1), comp


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_fitted_attributes_and_shapes(ct):
    rng = np.random.default_rng(1)
    X, *_ = make_mixture(rng, n=400, d=3, k=3)
    gm = GaussianMixture(3, covariance_type=ct, random_state=0, n_init=2).fit(X)
    assert gm.weights_.shape == (3,)
    assert np.isclose(gm.weights_.sum(), 1.0)
    assert gm.means_.shape == (3, 3)
    assert gm.covariances_.shape == SHAPES[ct](3, 3)
    assert gm.precisions_cholesky_.shape == SHAPES[ct](3, 3)
    assert gm.n_features_in_ == 3
    assert isinstance(gm.converged_, bool) and gm.converged_
    assert 1 <= gm.n_iter_ <= gm.max_iter
    assert gm.restart_log_likelihoods_.shape == (2,)
    assert len(gm.restart_parameters_) == 2
    assert gm.best_restart_ == int(np.argmax(gm.restart_log_likelihoods_))
    assert gm.log_likelihood_ == pytest.approx(gm.restart_log_likelihoods_.max())
    assert gm.lower_bound_ == pytest.approx(gm.log_likelihood_ / len(X))
    # lower_bound_ describes exactly the returned parameters
    assert gm.score(X) == pytest.approx(gm.lower_bound_, rel=1e-12, abs=1e-12)
    assert gm.data_variances_ == pytest.approx(X.var(axis=0))
    for key in ("weights", "means", "covariances", "log_likelihood", "n_iter", "converged"):
        assert key in gm.restart_parameters_[0]
    # precisions_cholesky_ as scikit-learn defines it: P = U U'
    fc = full_cov(gm.covariances_, ct, 3, 3)
    pc = gm.precisions_cholesky_
    if ct == "full":
        prec = np.einsum("kij,klj->kil", pc, pc)
    elif ct == "tied":
        prec = np.stack([pc @ pc.T] * 3)
    elif ct == "diag":
        prec = np.stack([np.diag(p ** 2) for p in pc])
    else:
        prec = np.stack([p ** 2 * np.eye(3) for p in pc])
    for j in range(3):
        assert np.allclose(prec[j] @ fc[j], np.eye(3), atol=1e-8)


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_score_samples_match_scipy_stats(ct):
    """Independent check: mixture log-density computed with scipy.stats."""
    rng = np.random.default_rng(2)
    X, *_ = make_mixture(rng, n=200, d=2, k=3)
    gm = GaussianMixture(3, covariance_type=ct, random_state=1).fit(X)
    want, comp = scipy_logpdf(X, gm.weights_, gm.means_, gm.covariances_, ct)
    assert np.allclose(gm.score_samples(X), want, rtol=0, atol=1e-10)
    proba = np.exp(comp - want[:, None])
    assert np.allclose(gm.predict_proba(X), proba, atol=1e-10)
    assert gm.log_likelihood_ == pytest.approx(want.sum(), rel=1e-12)


def test_score_samples_match_scipy_far_from_origin():
    """Offsets of 1e6 and tiny spreads: the internal standardisation keeps every digit."""
    rng = np.random.default_rng(3)
    X, *_ = make_mixture(rng, n=300, d=2, k=2)
    X = X * [1e-2, 1e2] + [1.7e6, -4e6]
    gm = GaussianMixture(2, random_state=0).fit(X)
    want, _ = scipy_logpdf(X, gm.weights_, gm.means_, gm.covariances_, "full")
    assert np.allclose(gm.score_samples(X), want, rtol=0, atol=1e-8)


def test_one_dimensional_input_as_vector_or_column():
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(-3, 1, 300), rng.normal(4, 0.5, 200)])
    a = GaussianMixture(2, random_state=0).fit(x)
    b = GaussianMixture(2, random_state=0).fit(x[:, None])
    assert a.means_.shape == (2, 1) and a.covariances_.shape == (2, 1, 1)
    assert np.array_equal(a.means_, b.means_)
    want = logsumexp(np.stack([np.log(a.weights_[j]) + norm(a.means_[j, 0], np.sqrt(a.covariances_[j, 0, 0])).logpdf(x)
                               for j in range(2)]), axis=0)
    assert np.allclose(a.score_samples(x), want, atol=1e-10)
    assert sorted(np.round(a.means_[:, 0])) == [-3.0, 4.0]


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_recovers_well_separated_mixture(ct):
    rng = np.random.default_rng(5)
    k, d = 3, 2
    means = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    sd = np.array([1.0, 0.7, 1.3])
    if ct == "tied":
        sd[:] = 1.0
    n = 6000
    true_w = np.array([0.5, 0.3, 0.2])
    labels = rng.choice(k, size=n, p=true_w)
    X = means[labels] + rng.normal(size=(n, d)) * sd[labels, None]
    gm = GaussianMixture(k, covariance_type=ct, random_state=0, n_init=2).fit(X)
    order = np.argsort(gm.means_[:, 0] + 2 * gm.means_[:, 1])
    assert np.allclose(gm.means_[order], means, atol=0.1)
    assert np.allclose(gm.weights_[order], true_w, atol=0.02)
    fc = full_cov(gm.covariances_, ct, k, d)[order]
    for j in range(k):
        assert np.allclose(fc[j], sd[j] ** 2 * np.eye(d), atol=0.12 * sd[j] ** 2 + 0.02)
    assert (gm.predict(X) == order.argsort()[labels]).mean() > 0.99


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_tol_zero_runs_exactly_max_iter_and_snapshots(ct):
    rng = np.random.default_rng(6)
    X, *_ = make_mixture(rng, n=300, d=2, k=3)
    w, m, c = start_values(X, 3, ct, rng)
    gm = GaussianMixture(3, covariance_type=ct, tol=0, max_iter=7, weights_init=w, means_init=m,
                         covariances_init=c)
    snaps = list(gm.fit_iter(X, responsibilities=True))
    assert [s.iteration for s in snaps] == list(range(8))
    assert gm.n_iter_ == 7 and not gm.converged_
    assert snaps[-1].final and not any(s.final for s in snaps[:-1])
    assert not any(s.converged for s in snaps)
    s0 = snaps[0]
    assert isinstance(s0, Snapshot) and s0.restart == 0 and s0.n_init == 1
    assert math.isnan(s0.change)
    assert np.allclose(s0.weights, w) and np.allclose(s0.means, m) and np.allclose(s0.covariances, c)
    for a, b in zip(snaps, snaps[1:]):
        assert b.change == pytest.approx(b.lower_bound - a.lower_bound, abs=1e-12)
    last = snaps[-1]
    assert np.array_equal(last.means, gm.means_) and np.array_equal(last.covariances, gm.covariances_)
    assert last.log_likelihood == gm.log_likelihood_
    # each snapshot's log-likelihood is that of its own parameters
    for s in (snaps[0], snaps[3], last):
        want, comp = scipy_logpdf(X, s.weights, s.means, s.covariances, ct)
        assert s.log_likelihood == pytest.approx(want.sum(), rel=1e-12)
        assert s.lower_bound == pytest.approx(want.mean(), rel=1e-12)
        assert np.allclose(s.responsibilities, np.exp(comp - want[:, None]), atol=1e-10)
        assert s.n_samples == len(X)
    # the same fit without fit_iter gives the same result
    gm2 = GaussianMixture(3, covariance_type=ct, tol=0, max_iter=7, weights_init=w, means_init=m,
                          covariances_init=c).fit(X)
    assert np.array_equal(gm2.means_, gm.means_)


def test_snapshots_are_immutable_copies():
    rng = np.random.default_rng(7)
    X, *_ = make_mixture(rng, n=200)
    snaps = list(GaussianMixture(3, random_state=0, max_iter=5, tol=0).fit_iter(X, responsibilities=True))
    s = snaps[1]
    for arr in (s.weights, s.means, s.covariances, s.responsibilities):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[...] = 0
    with pytest.raises(AttributeError):
        s.iteration = 5
    assert not np.array_equal(snaps[1].means, snaps[2].means)  # not views of one buffer
    assert snaps[0].responsibilities is not None
    assert all(x.responsibilities is None for x in GaussianMixture(3, random_state=0, max_iter=2).fit_iter(X))
    model = s.to_model()
    assert isinstance(model, GaussianMixture)
    assert np.allclose(model.predict_proba(X), s.responsibilities, atol=1e-10)
    assert model.score(X) == pytest.approx(s.lower_bound, rel=1e-12)


def test_convergence_follows_scikit_learn_rule():
    """Stop after the M-step following an E-step whose change is below tol."""
    rng = np.random.default_rng(8)
    X, *_ = make_mixture(rng, n=500)
    tol = 1e-4
    snaps = list(GaussianMixture(3, tol=tol, random_state=0, max_iter=500).fit_iter(X))
    last = snaps[-1]
    assert last.final and last.converged
    assert abs(snaps[-2].change) < tol
    assert all(abs(s.change) >= tol for s in snaps[1:-2])


def test_restarts_are_yielded_in_turn_and_best_is_kept():
    rng = np.random.default_rng(9)
    X, *_ = make_mixture(rng, n=300, k=4)
    gm = GaussianMixture(4, n_init=3, random_state=3, init_params="random", max_iter=30)
    snaps = list(gm.fit_iter(X))
    restarts = [s.restart for s in snaps]
    assert restarts == sorted(restarts) and set(restarts) == {0, 1, 2}
    finals = [s for s in snaps if s.final]
    assert [s.restart for s in finals] == [0, 1, 2]
    lls = np.array([s.log_likelihood for s in finals])
    assert np.array_equal(gm.restart_log_likelihoods_, lls)
    best = int(np.argmax(lls))
    assert gm.best_restart_ == best
    assert np.array_equal(gm.means_, finals[best].means)
    assert [p["n_iter"] for p in gm.restart_parameters_] == [s.iteration for s in finals]


def test_random_state_reproducible_for_every_init():
    rng = np.random.default_rng(10)
    X, *_ = make_mixture(rng, n=300)
    for init in ("kmeans++", "kmeans", "random", "random_from_data"):
        a = GaussianMixture(3, init_params=init, random_state=5).fit(X)
        b = GaussianMixture(3, init_params=init, random_state=5).fit(X)
        assert np.array_equal(a.means_, b.means_), init
        assert np.all(np.isfinite(a.covariances_))


def test_sample_weight_equals_duplicated_rows():
    rng = np.random.default_rng(11)
    X, *_ = make_mixture(rng, n=200)
    counts = rng.integers(0, 4, size=len(X))
    Xdup = np.repeat(X, counts, axis=0)
    for ct in COVARIANCE_TYPES:
        w, m, c = start_values(X, 3, ct, rng)
        kw = dict(covariance_type=ct, tol=0, max_iter=20, weights_init=w, means_init=m, covariances_init=c)
        a = GaussianMixture(3, **kw).fit(X, sample_weight=counts.astype(float))
        b = GaussianMixture(3, **kw).fit(Xdup)
        assert np.allclose(a.means_, b.means_, rtol=1e-9, atol=1e-9)
        assert np.allclose(a.covariances_, b.covariances_, rtol=1e-9, atol=1e-9)
        assert np.allclose(a.weights_, b.weights_, rtol=1e-9, atol=1e-12)
        assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-10)
        assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=1e-10)


def test_criteria_and_parameter_count():
    rng = np.random.default_rng(12)
    X, *_ = make_mixture(rng, n=300, d=3)
    n = len(X)
    expect = {"full": 3 * 6 + 9 + 2, "tied": 6 + 9 + 2, "diag": 9 + 9 + 2, "spherical": 3 + 9 + 2}
    for ct in COVARIANCE_TYPES:
        gm = GaussianMixture(3, covariance_type=ct, random_state=0).fit(X)
        p = gm.n_parameters()
        assert p == expect[ct]
        ll = gm.score_samples(X).sum()
        assert gm.bic(X) == pytest.approx(-2 * ll + p * np.log(n))
        assert gm.aic(X) == pytest.approx(-2 * ll + 2 * p)
        r = gm.predict_proba(X)
        ent = -np.sum(r * np.log(np.clip(r, 1e-300, None)))
        assert gm.icl(X, kind="entropy") == pytest.approx(gm.bic(X) + 2 * ent)
        # mclust's ICL (the default): the MAP classification's log-probabilities
        hard = -np.sum(np.log(r.max(axis=1)))
        assert gm.icl(X) == pytest.approx(gm.bic(X) + 2 * hard)
        assert gm.bic(X) <= gm.icl(X) <= gm.icl(X, kind="entropy")
        assert np.allclose(r.sum(axis=1), 1.0)
        assert np.array_equal(gm.predict(X), r.argmax(axis=1))


def test_sample_draws_from_the_model():
    gm = GaussianMixture.from_parameters([0.25, 0.75], [[0.0, 0.0], [5.0, 5.0]],
                                         [np.eye(2), [[2.0, 0.5], [0.5, 1.0]]], random_state=0)
    X, labels = gm.sample(20000)
    assert X.shape == (20000, 2) and labels.shape == (20000,)
    assert abs((labels == 0).mean() - 0.25) < 0.02
    assert np.allclose(X[labels == 1].mean(axis=0), [5, 5], atol=0.05)
    assert np.allclose(np.cov(X[labels == 1].T), [[2.0, 0.5], [0.5, 1.0]], atol=0.1)


def test_from_parameters_and_get_params():
    gm = GaussianMixture(2, covariance_type="diag", tol=1e-5, reg_covar=1e-4, random_state=3)
    params = gm.get_params()
    assert params["n_components"] == 2 and params["covariance_type"] == "diag"
    assert params["tol"] == 1e-5 and params["reg_covar"] == 1e-4 and params["missing"] == "error"
    assert set(params) >= {"n_components", "covariance_type", "tol", "reg_covar", "max_iter", "n_init",
                           "init_params", "random_state", "weights_init", "means_init",
                           "covariances_init", "missing"}
    assert GaussianMixture(**params).get_params() == params
    model = GaussianMixture.from_parameters([0.3, 0.7], [[0.0], [3.0]], [[1.0], [0.5]], "diag", reg_covar=1e-4)
    assert model.n_components == 2 and model.covariance_type == "diag" and model.reg_covar == 1e-4
    x = np.array([[0.5], [2.5]])
    want = logsumexp([np.log(0.3) + norm(0, 1).logpdf(x[:, 0]), np.log(0.7) + norm(3, np.sqrt(0.5)).logpdf(x[:, 0])], axis=0)
    assert np.allclose(model.score_samples(x), want, atol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        GaussianMixture.from_parameters([0.5, 0.5], [[0.0], [1.0]], np.ones((2, 2, 2)), "diag")


def test_many_features_use_direct_form():
    """d above the expansion limit: the direct per-component form, still exact."""
    rng = np.random.default_rng(13)
    X, *_ = make_mixture(rng, n=300, d=18, k=2)
    gm = GaussianMixture(2, random_state=0, max_iter=20).fit(X)
    want, _ = scipy_logpdf(X, gm.weights_, gm.means_, gm.covariances_, "full")
    assert np.allclose(gm.score_samples(X), want, atol=1e-9)
    assert gm.score(X) == pytest.approx(gm.lower_bound_, rel=1e-12)


def test_unfitted_model_says_so():
    with pytest.raises(ValueError, match="not fitted"):
        GaussianMixture(2).predict(np.zeros((3, 2)))


def test_interrupt_ends_a_long_initialisation_without_fitting():
    X = np.random.default_rng(0).normal(size=(2000, 2))
    asked = []

    def interrupt():
        asked.append(1)
        return len(asked) >= 2

    gm = GaussianMixture(3, init_params="kmeans", random_state=0)
    assert list(gm.fit_iter(X, interrupt=interrupt)) == []
    assert len(asked) == 2 and not hasattr(gm, "weights_")
    # an interrupt that never fires changes nothing
    a = GaussianMixture(3, init_params="kmeans", random_state=0).fit(X)
    b = GaussianMixture(3, init_params="kmeans", random_state=0)
    for _ in b.fit_iter(X, interrupt=lambda: False):
        pass
    np.testing.assert_array_equal(a.means_, b.means_)
    with pytest.raises(ValueError, match="interrupt must be a callable"):
        GaussianMixture(2).fit_iter(X, interrupt=True)
