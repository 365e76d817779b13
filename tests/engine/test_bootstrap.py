"""Bootstrap standard errors, intervals and the bootstrap LRT (emdesk.engine.bootstrap)."""

import json

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.engine.bootstrap import bootstrap, bootstrap_lrt

from engine_helpers import make_mixture

# k+1-component fits on bootstrap samples may collapse a component (the LRT then prefers a sound fit); the
# engine warns about each, which is expected here
pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


@pytest.fixture(scope="module")
def one_gaussian():
    rng = np.random.default_rng(11)
    X = rng.normal([3.0, -1.0], [2.0, 0.5], size=(300, 2))
    return GaussianMixture(1, covariance_type="diag", reg_covar=1e-6).fit(X), X


@pytest.mark.parametrize("method", ["nonparametric", "parametric", "weighted"])
def test_se_of_a_mean_agrees_with_sd_over_sqrt_n(one_gaussian, method):
    gm, X = one_gaussian
    n = X.shape[0]
    r = bootstrap(gm, X, n_boot=200, method=method, random_state=3, n_jobs=1)
    assert r.n_done == 200 and not r.cancelled and r.n_failed == 0
    analytic = np.sqrt(gm.covariances_[0]) / np.sqrt(n)  # ML sd / sqrt(n), per column
    # Monte Carlo relative error of a standard deviation from B replicates is about 1/sqrt(2B) = 5 %.
    np.testing.assert_allclose(r.standard_errors["means"][0], analytic, rtol=0.2)
    # SE of a variance of a normal sample: sigma^2 sqrt(2/n)
    np.testing.assert_allclose(r.standard_errors["covariances"][0], gm.covariances_[0] * np.sqrt(2.0 / n), rtol=0.25)
    assert r.standard_errors["weights"][0] == pytest.approx(0.0, abs=1e-12)
    assert r.standard_errors["means"].shape == (1, 2)
    assert r.standard_errors["covariances"].shape == gm.covariances_.shape
    lo, hi = r.confidence_intervals(0.95)["means"]
    assert np.all(lo < gm.means_) and np.all(gm.means_ < hi)
    # A normal-theory interval and the percentile one have about the same width.
    np.testing.assert_allclose(hi - lo, 2 * 1.96 * analytic[None], rtol=0.3)


def test_intervals_are_the_percentiles_of_the_replicates(one_gaussian):
    gm, X = one_gaussian
    r = bootstrap(gm, X, n_boot=40, random_state=0, n_jobs=1)
    lo, hi = r.confidence_intervals(0.9)["covariances"]
    np.testing.assert_allclose(lo, np.quantile(r.replicates["covariances"], 0.05, axis=0))
    np.testing.assert_allclose(hi, np.quantile(r.replicates["covariances"], 0.95, axis=0))
    np.testing.assert_allclose(r.standard_errors["means"], r.replicates["means"].std(axis=0, ddof=1))
    with pytest.raises(ValueError, match="level"):
        r.confidence_intervals(95)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["n_done"] == 40 and d["method"] == "nonparametric"
    assert np.allclose(d["confidence_intervals"]["means"]["lower"], r.confidence_intervals()["means"][0])


@pytest.fixture(scope="module")
def three_clusters():
    rng = np.random.default_rng(5)
    X, *_ = make_mixture(rng, n=300, k=3, spread=6.0)
    return GaussianMixture(3, covariance_type="full", random_state=0, n_init=2, reg_covar=1e-6).fit(X), X


@pytest.mark.parametrize("method", ["nonparametric", "parametric", "weighted"])
def test_same_seed_same_result_for_one_or_two_threads(three_clusters, method):
    gm, X = three_clusters
    a = bootstrap(gm, X, n_boot=12, method=method, random_state=7, n_jobs=1)
    b = bootstrap(gm, X, n_boot=12, method=method, random_state=7, n_jobs=2)
    for key in ("weights", "means", "covariances"):
        np.testing.assert_array_equal(a.replicates[key], b.replicates[key])
    c = bootstrap(gm, X, n_boot=12, method=method, random_state=8, n_jobs=1)
    assert not np.array_equal(a.replicates["means"], c.replicates["means"])
    again = bootstrap(gm, X, n_boot=12, method=method, random_state=np.random.SeedSequence(a.seed_entropy), n_jobs=1)
    np.testing.assert_array_equal(a.replicates["means"], again.replicates["means"])


class _SwitchingMixture(GaussianMixture):
    """Fits as usual, then hands back its components in reverse order (label switching on purpose)."""

    def fit(self, X, sample_weight=None):
        super().fit(X, sample_weight)
        p = {k: v for k, v in self.get_params().items()
             if k not in ("n_components", "covariance_type", "weights_init", "means_init", "covariances_init")}
        rev = GaussianMixture.from_parameters(self.weights_[::-1], self.means_[::-1], self.covariances_[::-1],
                                              self.covariance_type, **p)
        self.__dict__.update({k: v for k, v in rev.__dict__.items() if k.endswith("_")})
        return self


def test_replicates_with_switched_labels_are_aligned_to_the_fit(three_clusters):
    gm, X = three_clusters
    switching = _SwitchingMixture.from_parameters(gm.weights_, gm.means_, gm.covariances_, "full")
    plain = bootstrap(gm, X, n_boot=10, random_state=2, n_jobs=1)
    sw = bootstrap(switching, X, n_boot=10, random_state=2, n_jobs=1)
    assert plain.n_label_switches == 0
    assert sw.n_label_switches == 10
    np.testing.assert_array_equal(sw.permutations, np.tile([2, 1, 0], (10, 1)))
    np.testing.assert_allclose(sw.replicates["means"], plain.replicates["means"])
    # without alignment the SE of a mean would be the spread between clusters (several units)
    assert np.all(sw.standard_errors["means"] < 0.5)


def test_progress_and_cancel_give_a_partial_result(three_clusters):
    gm, X = three_clusters
    calls = []
    full = bootstrap(gm, X, n_boot=10, random_state=4, n_jobs=1)
    part = bootstrap(gm, X, n_boot=10, random_state=4, n_jobs=1, progress=lambda d, t: calls.append((d, t)),
                     should_stop=lambda: len(calls) >= 4)
    assert part.cancelled and part.n_done == 4
    assert calls == [(1, 10), (2, 10), (3, 10), (4, 10)]
    # the replicates done (in a rolling batch, not necessarily the first four), each as in the full run
    for row in part.replicates["means"]:
        assert any(np.array_equal(row, other) for other in full.replicates["means"])
    calls2 = []
    part2 = bootstrap(gm, X, n_boot=30, random_state=4, n_jobs=2, progress=lambda d, t: calls2.append(d),
                      should_stop=lambda: len(calls2) >= 3)
    assert part2.cancelled and 3 <= part2.n_done < 30
    assert calls2 == sorted(calls2)


def test_missing_values_keep_their_pattern(three_clusters):
    gm, X = three_clusters
    Xm = X.copy()
    Xm[::10, 1] = np.nan
    gmm = GaussianMixture(3, random_state=0, missing="marginalize").fit(Xm)
    for method in ("nonparametric", "parametric", "weighted"):
        r = bootstrap(gmm, Xm, n_boot=5, method=method, random_state=1, n_jobs=1)
        assert r.n_done == 5 and np.all(np.isfinite(r.standard_errors["means"]))


def test_bad_arguments(three_clusters):
    gm, X = three_clusters
    with pytest.raises(ValueError, match="method"):
        bootstrap(gm, X, method="jackknife")
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap(gm, X, n_boot=0)
    with pytest.raises(ValueError, match="not fitted"):
        bootstrap(GaussianMixture(2), X)
    with pytest.raises(ValueError, match="columns"):
        bootstrap(gm, X[:, :1])
    with pytest.raises(ValueError, match="n_jobs"):
        bootstrap(gm, X, n_jobs=0)
    with pytest.raises(ValueError, match="random_state"):
        bootstrap(gm, X, random_state="seed")
    with pytest.raises(ValueError, match="progress"):
        bootstrap(gm, X, progress=3)


def test_lrt_rejects_one_component_for_two_clusters():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(5, 1, (80, 2))])
    res = bootstrap_lrt(X, "full", max_components=2, n_boot=19, random_state=1, n_jobs=1, sequential=False,
                        n_init=2, tol=1e-4)
    (h1, h2) = res.rows
    assert h1.n_components == 1 and h1.statistic > 50
    assert h1.p_value == pytest.approx(1 / 20)  # no replicate reaches the observed statistic
    assert h2.p_value > 0.05  # two clusters are enough
    assert res.selected_n_components == 2
    header, rows = res.table()
    assert rows[0][0] == "1 vs 2" and "LRTS" in header
    assert "1 vs 2" in res.to_text()


def test_lrt_keeps_one_component_for_one_gaussian():
    rng = np.random.default_rng(2)
    X = rng.normal(0, 1, (150, 2))
    res = bootstrap_lrt(X, "full", max_components=3, n_boot=19, random_state=3, n_jobs=2, n_init=2, tol=1e-4)
    assert len(res.rows) == 1  # sequential: stops at the first non-significant test
    r = res.rows[0]
    assert r.p_value > 0.05  # (uniform under the null: with this seed 0.2)
    # the observed statistic and the replicates are on the same scale (chi-square-like, a few units)
    assert 0 <= r.statistic < 20 and np.median(r.replicates) < 20
    assert res.selected_n_components == 1


def test_lrt_bad_arguments():
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match="max_components"):
        bootstrap_lrt(X, max_components=0)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="missing"):
        bootstrap_lrt(Xn)
    with pytest.raises(ValueError, match="level"):
        bootstrap_lrt(X, level=5)


def test_iterations_are_recorded_and_json_has_no_nan():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    gm = GaussianMixture(1, reg_covar=1e-6).fit(X)
    r = bootstrap(gm, X, n_boot=1, random_state=0, n_jobs=1)
    assert r.n_iter.shape == (1,) and r.converged.shape == (1,) and r.n_iter[0] >= 1
    d = r.to_dict()
    assert d["standard_errors"]["means"] == [[None, None]]  # one replicate: no standard error
    assert "confidence_intervals" not in d
    json.dumps(d, allow_nan=False)


def test_replicates_are_refitted_to_a_tight_tolerance(three_clusters):
    from emdesk.engine.bootstrap import replicate_tolerances

    gm, X = three_clusters
    assert replicate_tolerances(gm) == (1e-6, 1000)  # the fit's own tol=1e-3 would stop replicates early
    assert replicate_tolerances(gm, tol=1e-3, max_iter=5) == (1e-3, 5)
    loose = bootstrap(gm, X, n_boot=4, random_state=0, n_jobs=1, tol=1e-3, max_iter=5)
    tight = bootstrap(gm, X, n_boot=4, random_state=0, n_jobs=1)
    assert loose.n_iter.max() <= 5 and tight.n_iter.max() <= 1000
    assert np.all(tight.n_iter >= loose.n_iter)
    with pytest.raises(ValueError, match="tol"):
        bootstrap(gm, X, n_boot=2, tol=-1.0)


def test_missing_values_need_a_marginalizing_model_and_weights_follow_rows(three_clusters):
    gm, X = three_clusters
    Xm = X.copy()
    Xm[0, 0] = np.nan
    with pytest.raises(ValueError, match="missing='error'"):
        bootstrap(gm, Xm, n_boot=2)
    Xe = X.copy()
    Xe[5] = np.nan  # a row with no value is left out, and so is its weight
    gmm = GaussianMixture.from_parameters(gm.weights_, gm.means_, gm.covariances_, "full", missing="marginalize")
    w = np.ones(len(X))
    r = bootstrap(gmm, Xe, n_boot=3, method="weighted", random_state=0, n_jobs=1, sample_weight=w)
    assert r.n_done == 3
    with pytest.raises(ValueError, match="sample_weight"):
        bootstrap(gmm, Xe, n_boot=3, sample_weight=w[:-1])


def test_lrt_refuses_too_few_replicates_for_the_level():
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match="at least 19 replicates"):
        bootstrap_lrt(X, n_boot=9)
    with pytest.raises(ValueError, match="at least 99 replicates"):
        bootstrap_lrt(X, n_boot=50, level=0.01)


# ---------------------------------------------------------------------------------------------- the lean path
def _engine_only(monkeypatch):
    import importlib

    mod = importlib.import_module("emdesk.engine.bootstrap")
    monkeypatch.setattr(mod, "_lean_applies", lambda *a, **k: False)


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("method", ["nonparametric", "parametric", "weighted"])
def test_lean_replicates_equal_the_engines(monkeypatch, ct, method):
    # the rolling-batch EM (engine._bootstrap_em) against a refit of every replicate by GaussianMixture.fit:
    # the same iterations and the same parameters (to rounding)
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal((0, 50), (1, 3), (60, 2)), rng.normal((6, 40), (1.5, 1), (60, 2))])
    gm = GaussianMixture(2, covariance_type=ct, random_state=0, reg_covar=1e-6).fit(X)
    lean = bootstrap(gm, X, n_boot=10, method=method, random_state=5, n_jobs=2)
    _engine_only(monkeypatch)
    engine = bootstrap(gm, X, n_boot=10, method=method, random_state=5, n_jobs=1)
    np.testing.assert_array_equal(lean.n_iter, engine.n_iter)
    for key in ("weights", "means", "covariances"):
        np.testing.assert_allclose(lean.replicates[key], engine.replicates[key], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lean.log_likelihoods, engine.log_likelihoods, rtol=1e-10)


def test_lean_path_far_from_the_origin_and_narrow(monkeypatch):
    # a narrow component far from the origin: the expanded quadratic form would lose digits, so the direct
    # form is used (DIRECT_TOL); still the engine's answer
    import importlib

    em = importlib.import_module("emdesk.engine._bootstrap_em")
    direct = []
    real = em._estep_batch
    monkeypatch.setattr(em, "_estep_batch", lambda *a, **k: direct.append(1) or real(*a, **k))
    rng = np.random.default_rng(8)
    X = np.vstack([rng.normal(1e4, 1e-5, (50, 2)), rng.normal(1e4 + 10, 0.5, (50, 2))])
    gm = GaussianMixture(2, covariance_type="full", random_state=0, reg_covar=1e-14).fit(X)
    lean = bootstrap(gm, X, n_boot=6, random_state=1, n_jobs=1)
    assert direct  # the direct form was needed
    _engine_only(monkeypatch)
    engine = bootstrap(gm, X, n_boot=6, random_state=1, n_jobs=1)
    np.testing.assert_array_equal(lean.n_iter, engine.n_iter)
    scale = np.abs(engine.replicates["covariances"]).max(axis=(2, 3), keepdims=True)
    assert np.max(np.abs(lean.replicates["covariances"] - engine.replicates["covariances"]) / scale) < 1e-9
    np.testing.assert_allclose(lean.replicates["means"], engine.replicates["means"], rtol=1e-12)


def test_a_replicate_the_lean_loop_gives_up_is_refitted_by_the_engine(monkeypatch, three_clusters):
    import importlib

    gm, X = three_clusters
    em = importlib.import_module("emdesk.engine._bootstrap_em")
    real = em.run_stream

    def flaky(pull, emit, *args, **kw):
        def emit_none_for_two(key, result):
            emit(key, None if key == 2 else result)
        return real(pull, emit_none_for_two, *args, **kw)

    full = bootstrap(gm, X, n_boot=5, random_state=9, n_jobs=1)
    monkeypatch.setattr(em, "run_stream", flaky)
    mixed = bootstrap(gm, X, n_boot=5, random_state=9, n_jobs=1)
    assert mixed.n_done == 5
    np.testing.assert_allclose(mixed.replicates["means"], full.replicates["means"], rtol=1e-9)


def test_the_rolling_batch_narrows_for_large_data_and_leaves_huge_data_to_the_engine():
    from emdesk.engine._bootstrap_em import MAX_WIDTH, replicate_bytes, stream_width

    assert stream_width(272, 2, 3) == MAX_WIDTH
    w = stream_width(50_000, 2, 3)
    assert 1 <= w < MAX_WIDTH and w * replicate_bytes(50_000, 2, 3) <= 64 << 20
    assert stream_width(100_000, 2, 3) == 0  # one replicate alone would take 22 MB: the engine's row blocks


def test_lean_path_takes_unset_options_and_leaves_set_ones_to_the_engine(monkeypatch, three_clusters):
    # an option the lean loop does not know (e.g. a prior) keeps the engine's way when it is set, and does not
    # matter when it is None (plain maximum likelihood)
    import importlib

    mod = importlib.import_module("emdesk.engine.bootstrap")
    gm, X = three_clusters
    base = gm.get_params()
    assert mod._lean_applies(gm, None, X.shape[0])
    monkeypatch.setattr(type(gm), "get_params", lambda self, deep=True: dict(base, prior=None))
    assert mod._lean_applies(gm, None, X.shape[0])
    monkeypatch.setattr(type(gm), "get_params", lambda self, deep=True: dict(base, prior="default"))
    assert not mod._lean_applies(gm, None, X.shape[0])
    assert not mod._lean_applies(gm, np.zeros_like(X, dtype=bool), X.shape[0])
    # reg_covar="relative" (the engine's default): the lean loop takes each replicate's own ridge
    monkeypatch.setattr(type(gm), "get_params", lambda self, deep=True: dict(base, reg_covar="relative:1e-4"))
    assert mod._lean_applies(gm, None, X.shape[0])
    monkeypatch.setattr(type(gm), "get_params", lambda self, deep=True: dict(base, reg_covar="relative:x"))
    assert not mod._lean_applies(gm, None, X.shape[0])


@pytest.mark.parametrize("ct", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("method", ["nonparametric", "parametric", "weighted"])
def test_lean_path_with_a_relative_ridge_equals_the_engines(monkeypatch, ct, method):
    # reg_covar="relative" (the app's default): every replicate's ridge is a fraction of its own data's
    # covariance, as GaussianMixture.fit computes it; a large fraction so that the ridge matters (at 1e-6 a
    # wrong ridge would hide below the tolerance).  Lean and engine agree to 1e-8.
    import importlib

    rng = np.random.default_rng(21)
    X = np.vstack([rng.normal((0, 50), (1, 3), (60, 2)), rng.normal((6, 40), (1.5, 1), (60, 2))]) @ [[1, 0.4], [0, 1]]
    gm = GaussianMixture(2, covariance_type=ct, random_state=0, reg_covar="relative:0.05").fit(X)
    mod = importlib.import_module("emdesk.engine.bootstrap")
    calls = []
    real = mod.relative_ridge
    monkeypatch.setattr(mod, "relative_ridge", lambda *a: calls.append(1) or real(*a))
    lean = bootstrap(gm, X, n_boot=8, method=method, random_state=5, n_jobs=2)
    assert len(calls) == 8  # every replicate went through the lean loop with its own ridge
    _engine_only(monkeypatch)
    engine = bootstrap(gm, X, n_boot=8, method=method, random_state=5, n_jobs=1)
    np.testing.assert_array_equal(lean.n_iter, engine.n_iter)
    for key in ("weights", "means", "covariances"):
        np.testing.assert_allclose(lean.replicates[key], engine.replicates[key], rtol=1e-8, atol=1e-12)
    # the fixed ridge (the fit's, from all rows) would not do: it gives other replicates
    fixed = mod.relative_ridge(X, None, ct, "relative:0.05")
    Xb = X[np.random.default_rng(1).integers(0, len(X), len(X))]
    assert not np.allclose(mod.relative_ridge(Xb, None, ct, "relative:0.05"), fixed, rtol=1e-3)


def test_relative_ridge_leaves_a_constant_column_to_the_engine():
    from emdesk.engine.bootstrap import relative_ridge

    X = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    assert relative_ridge(X, None, "full", "relative") is None
    assert relative_ridge(X, None, "diag", "relative") is None
    np.testing.assert_allclose(relative_ridge(X[:, :1], None, "diag", "relative"), [1e-6 * np.var(X[:, 0])])


def test_weighted_bootstrap_of_a_fit_with_the_prior_is_refused_with_the_reason(three_clusters):
    _, X = three_clusters
    gm = GaussianMixture(3, covariance_type="full", prior="default", random_state=0).fit(X)
    with pytest.raises(ValueError, match="prior.*nonparametric"):
        bootstrap(gm, X, n_boot=5, method="weighted", random_state=0)
    # the other methods refit it (the prior carried into every replicate)
    b = bootstrap(gm, X, n_boot=5, method="parametric", random_state=0)
    assert np.all(np.isfinite(b.standard_errors["means"]))
