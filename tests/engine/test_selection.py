"""Tests for the model-selection sweep (emdesk.engine.selection, issue 7)."""

import csv
import math
import os
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emdesk.engine import selection as sel
from emdesk.engine.diagnostics import ComponentIssue
from emdesk.engine.selection import (
    SelectionResult,
    SelectionRow,
    SelectionStep,
    iter_select_model,
    select_model,
)

# Sweeps fit many degenerate models on purpose; their issues are asserted on the rows.
pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


def three_full_components(n_per=200, seed=0):
    """Three well-separated 2-d Gaussians with different orientations (only 'full' fits them)."""
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0], [12.0, 0.0], [6.0, 12.0]])
    covs = np.array(
        [
            [[4.0, 3.2], [3.2, 4.0]],  # correlation +0.8
            [[4.0, -3.2], [-3.2, 4.0]],  # correlation -0.8
            [[1.0, 0.0], [0.0, 6.0]],  # axis-aligned, elongated
        ]
    )
    X = np.vstack([rng.multivariate_normal(m, c, size=n_per) for m, c in zip(means, covs)])
    return X


@pytest.fixture(scope="module")
def truth_result():
    X = three_full_components()
    return X, select_model(X, n_components=range(1, 6), n_init=2, random_state=0)


def no_sweep_threads():
    return not any(t.name.startswith("emdesk-select") for t in threading.enumerate())


def test_bic_picks_the_true_number_of_components_and_covariance_family(truth_result):
    X, result = truth_result
    assert isinstance(result, SelectionResult)
    assert result.complete and not result.cancelled
    assert result.best_row.n_components == 3
    assert result.best_row.covariance_type == "full"
    assert result.best is result.best_row.model
    assert result.best.n_components == 3 and result.best.covariance_type == "full"
    assert "3 components, full" in result.reason


def test_table_holds_one_sound_row_per_fit_in_sweep_order(truth_result):
    X, result = truth_result
    n, d = X.shape
    assert len(result.table) == 5 * 4 == result.n_planned
    assert [(r.n_components, r.covariance_type) for r in result.table] == [
        (k, t) for k in range(1, 6) for t in ("full", "tied", "diag", "spherical")
    ]
    assert [r.index for r in result.table] == list(range(20))
    for r in result.table:
        assert isinstance(r, SelectionRow)
        assert r.ok and r.error is None and r.model is not None
        assert r.model.n_components == r.n_components and r.model.covariance_type == r.covariance_type
        assert r.log_likelihood == pytest.approx(r.model.log_likelihood_)
        assert r.n_parameters == r.model.n_parameters()
        assert r.bic == pytest.approx(-2 * r.log_likelihood + r.n_parameters * math.log(n), rel=1e-6)
        assert r.aic == pytest.approx(-2 * r.log_likelihood + 2 * r.n_parameters, rel=1e-6)
        assert r.icl >= r.bic - 1e-6  # ICL adds a non-negative entropy term
        assert r.n_iter >= 1 and isinstance(r.converged, bool)
        assert r.degenerate == bool(r.issues)
    full3 = result.row(3, "full")
    assert full3.n_parameters == 3 * (2 + 3) + 2
    assert result.row(7, "full") is None
    # The chosen row has the lowest BIC among the eligible ones.
    assert full3 is result.best_row
    assert all(r.bic >= full3.bic for r in result.table if r.eligible)


def test_other_criteria_and_curves(truth_result):
    X, result = truth_result
    curves = result.curves()
    assert set(curves) == {"full", "tied", "diag", "spherical"}
    ks, vals = curves["full"]
    assert list(ks) == [1, 2, 3, 4, 5]
    assert vals[2] == pytest.approx(result.row(3, "full").bic)
    ks_aic, vals_aic = result.curves("aic")["diag"]
    assert vals_aic[0] == pytest.approx(result.row(1, "diag").aic)
    with pytest.raises(ValueError, match="criterion"):
        result.curves("bogus")


def test_csv_export_is_complete_and_atomic(truth_result, tmp_path):
    X, result = truth_result
    path = tmp_path / "sweep.csv"
    path.write_text("old content")
    result.to_csv(path)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(sel.CSV_COLUMNS)
    assert len(rows) == len(result.table)
    best = [r for r in rows if r["best"] == "true"]
    assert len(best) == 1 and best[0]["n_components"] == "3" and best[0]["covariance_type"] == "full"
    assert float(best[0]["bic"]) == pytest.approx(result.best_row.bic)
    assert os.listdir(tmp_path) == ["sweep.csv"]  # no temporary file left behind
    dicts = result.rows_as_dicts()
    assert dicts[0]["n_components"] == 1 and dicts[0]["error"] == ""


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_csv_export_gets_the_permissions_of_a_normal_file(truth_result, tmp_path):
    """Like every other export (emdesk.io): not the 0600 of a temporary file."""
    import stat

    X, result = truth_result
    mask = os.umask(0o022)
    try:
        result.to_csv(tmp_path / "new.csv")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.csv").st_mode) == 0o644
    old = tmp_path / "old.csv"
    old.write_text("x")
    os.chmod(old, 0o640)
    result.to_csv(old)
    assert stat.S_IMODE(os.stat(old).st_mode) == 0o640  # a replaced file keeps its permissions


def rounded_data(seed=1):
    """Geyser-like data: integer waiting times, durations to one decimal, and a quarter of the
    durations only noted as "short" or "long" (recorded as exactly 2.0 or 4.0 minutes, as in the
    night-time records of the Old Faithful geyser data set in R's MASS::geyser)."""
    rng = np.random.default_rng(seed)
    a = rng.multivariate_normal([2.0, 55.0], [[0.22**2, 0.0], [0.0, 36.0]], size=120)
    b = rng.multivariate_normal([4.3, 80.0], [[0.33**2, 0.0], [0.0, 36.0]], size=180)
    X = np.vstack([a, b])
    X[:, 0] = np.round(X[:, 0], 1)
    X[:, 1] = np.round(X[:, 1])
    coarse = rng.random(len(X)) < 0.25
    X[coarse, 0] = np.where(X[coarse, 0] < 3.0, 2.0, 4.0)
    return X


def test_rounded_data_naive_sweep_picks_a_collapsed_model_but_best_does_not():
    X = rounded_data()
    result = select_model(
        X, n_components=range(1, 7), covariance_types=("full", "diag"), n_init=3, random_state=1
    )
    ok_rows = [r for r in result.table if r.ok]
    naive = min(ok_rows, key=lambda r: r.bic)
    # What a sweep without the guard would choose: a model with collapsed components.
    assert naive.degenerate
    kinds = {i.kind for i in naive.issues}
    assert "variance_floor" in kinds
    assert naive.model.degeneracies_ == naive.issues
    assert all(isinstance(i, ComponentIssue) for i in naive.issues)
    # The guard: the chosen model is sound, and the reason says degenerate fits were skipped.
    assert result.best_row is not None and not result.best_row.degenerate
    assert result.best_row.n_components == 2  # the two clusters the data were drawn from
    assert result.best_row.bic > naive.bic
    assert "degenerate" in result.reason
    csv_rows = result.rows_as_dicts()
    flagged = [d for d in csv_rows if d["degenerate"]]
    assert flagged and all("variance floor" in d["issues"] or "too few" in d["issues"] for d in flagged)


def test_failed_fits_are_recorded_and_do_not_stop_the_sweep():
    X = np.array([[0.0, 0.0], [1.0, 0.2], [0.3, 1.0], [5.0, 5.0], [5.5, 4.8]])
    result = select_model(X, n_components=[1, 2, 8], covariance_types=("spherical",), n_init=1, random_state=0)
    assert len(result.table) == 3
    failed = result.row(8, "spherical")
    assert not failed.ok and failed.model is None and failed.error
    assert "8" in failed.error  # the engine's message names the problem
    assert math.isnan(failed.bic) and failed.status == "failed"
    assert result.best_row is not None and result.best_row.ok
    assert "1 fit failed" in result.reason


def test_an_exception_inside_a_fit_becomes_a_row(monkeypatch):
    from emdesk.engine import gaussian

    original = gaussian.GaussianMixture.fit_iter

    def fit_iter(self, X, *args, **kwargs):
        if self.n_components == 2 and self.covariance_type == "tied":
            raise np.linalg.LinAlgError("the tied covariance is singular")
        return original(self, X, *args, **kwargs)

    monkeypatch.setattr(gaussian.GaussianMixture, "fit_iter", fit_iter)
    X = three_full_components(n_per=40)
    # In this process (the patch does not reach worker processes).
    result = select_model(X, n_components=[1, 2], covariance_types=("full", "tied"), n_init=1, random_state=0,
                          backend="threads")
    row = result.row(2, "tied")
    assert row.error == "the tied covariance is singular"
    assert sum(r.ok for r in result.table) == 3
    rows = result.rows_as_dicts()
    assert [d["error"] for d in rows if d["error"]] == ["the tied covariance is singular"]


def test_all_degenerate_or_failed_means_no_best_with_a_reason():
    def row(i, k, degenerate, error=None, bic=100.0):
        issue = (ComponentIssue(0, "variance_floor", "collapsed"),) if degenerate else ()
        return SelectionRow(i, k, "full", -40.0, 5, bic, bic, bic, 3, True, degenerate, issue, error,
                            None if error else object(), 0.01)

    rows = [row(0, 1, True, bic=50.0), row(1, 2, True, bic=20.0), row(2, 3, False, error="singular")]
    result = sel._make_result(rows, "bic", 3, False, 1.0)
    assert result.best is None and result.best_row is None
    assert "No model can be recommended" in result.reason and "2 components, full" in result.reason
    all_failed = sel._make_result([row(0, 1, False, error="x")], "bic", 1, False, 1.0)
    assert all_failed.best is None and "failed" in all_failed.reason
    # Ties: fewer parameters win.
    a = SelectionRow(0, 2, "full", 0.0, 11, 10.0, 10.0, 10.0, 1, True, False, (), None, object(), 0.0)
    b = SelectionRow(1, 2, "diag", 0.0, 9, 10.0, 10.0, 10.0, 1, True, False, (), None, object(), 0.0)
    assert sel._make_result([a, b], "bic", 2, False, 0.0).best_row is b


def test_results_do_not_depend_on_threads():
    X = three_full_components(n_per=60, seed=5)
    kw = dict(n_components=[1, 2, 3], covariance_types=("full", "spherical"), n_init=2, random_state=42)
    serial = select_model(X, n_jobs=1, **kw)
    threaded = select_model(X, n_jobs=2, **kw)
    assert [r.bic for r in serial.table] == pytest.approx([r.bic for r in threaded.table])
    assert no_sweep_threads()


def test_generator_yields_progress_and_closing_it_cancels():
    X = three_full_components(n_per=60)
    gen = iter_select_model(X, n_components=range(1, 7), n_init=2, random_state=0, n_jobs=2)
    first = next(gen)
    assert isinstance(first, SelectionStep)
    assert first.done == 1 and first.total == 24 and first.elapsed >= 0
    assert first.result.table == [first.row] and not first.result.complete
    second = next(gen)
    assert second.done == 2 and len(second.result.table) == 2
    gen.close()  # cancel between fits
    assert no_sweep_threads()


def test_should_stop_cancels_running_fits_and_select_model_reports_it():
    X = three_full_components(n_per=60)
    seen = []
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > 40  # after a few EM iterations

    result = select_model(X, n_components=range(1, 10), n_init=3, random_state=0, n_jobs=2,
                          should_stop=should_stop)
    assert result.cancelled and not result.complete
    assert len(result.table) < result.n_planned == 36
    assert result.reason.startswith("Cancelled after")
    assert no_sweep_threads()
    # Serial too.
    gen = iter_select_model(X, n_components=range(1, 4), n_init=1, n_jobs=1, should_stop=lambda: bool(seen))
    for step in gen:
        seen.append(step)
    assert len(seen) == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(criterion="likelihood"), "criterion"),
        (dict(n_components=[]), "n_components"),
        (dict(n_components=[0, 1]), "at least 1"),
        (dict(n_components="many"), "n_components"),
        (dict(covariance_types=("full", "banded")), "banded"),
        (dict(n_init=0), "n_init"),
        (dict(random_state="seed"), "random_state"),
        (dict(reg_covar=-1.0), "reg_covar must be a finite number >= 0"),
        (dict(tol="x"), "tol must be a finite number"),
        (dict(max_iter=2.5), "max_iter must be an integer"),
        (dict(init_params="magic"), "init_params must be one of"),
        (dict(missing="ignore"), "missing must be one of"),
    ],
)
def test_bad_arguments_raise_value_errors(kwargs, match):
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=match):
        select_model(X, **kwargs)


def _with_inf(X):
    X[2, 0] = np.inf
    return X


@pytest.mark.parametrize(
    "change, kwargs, match",
    [
        (_with_inf, dict(missing="marginalize"), "infinite value"),
        (lambda X: X.astype(str).astype(object), {}, None),  # numbers as text are fine
        (lambda X: np.array([["a", "b"]] * 20), {}, "numeric array"),
        (lambda X: X, dict(sample_weight=[np.nan] + [1.0] * 19), "sample_weight contains NaN"),
        (lambda X: X, dict(sample_weight=[-1.0] + [1.0] * 19), "negative"),
        (lambda X: X, dict(sample_weight=[0.0] * 20), "sums to 0"),
    ],
)
def test_bad_data_is_an_error_before_any_fit(change, kwargs, match):
    """Bad data is the caller's to fix, not a row of failed fits each repeating the reason."""
    X = change(np.random.default_rng(0).normal(size=(20, 2)))
    if match is None:
        assert select_model(X, n_components=[1], n_init=1, **kwargs).best is not None
        return
    with pytest.raises(ValueError, match=match):
        select_model(X, n_components=[1], n_init=1, **kwargs)


def test_missing_values_are_rejected_unless_marginalised():
    X = np.random.default_rng(0).normal(size=(20, 2))
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="missing"):
        select_model(X, n_components=[1])


def test_with_criterion_rejudges_the_same_fits(truth_result):
    X, result = truth_result
    aic = result.with_criterion("aic")
    assert aic.table == result.table and aic.criterion == "aic"
    assert aic.best_row is min((r for r in result.table if r.eligible), key=lambda r: (r.aic, r.n_parameters))
    assert "AIC prefers" in aic.reason
    assert result.with_criterion("BIC") is result



def test_sweep_with_missing_values_marginalised():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(6, 1, (100, 2))])
    X[rng.random(X.shape) < 0.1] = np.nan
    result = select_model(X, n_components=[1, 2, 3], covariance_types=("diag",), n_init=2,
                          missing="marginalize", random_state=0)
    assert all(r.ok for r in result.table)
    assert result.best_row.n_components == 2

_row_specs = st.lists(
    st.tuples(
        st.integers(1, 6),  # n_components
        st.sampled_from(["full", "tied", "diag", "spherical"]),
        st.floats(-1e4, 1e4, allow_nan=False),  # bic
        st.integers(1, 40),  # n_parameters
        st.sampled_from(["ok", "degenerate", "failed"]),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(specs=_row_specs, criterion=st.sampled_from(["bic", "aic", "icl"]))
def test_best_is_the_lowest_eligible_row_and_csv_round_trips(specs, criterion, tmp_path_factory):
    rows = []
    for i, (k, t, score, p, status) in enumerate(specs):
        failed = status == "failed"
        issues = (ComponentIssue(0, "too_few_points", "tiny"),) if status == "degenerate" else ()
        v = math.nan if failed else score
        rows.append(SelectionRow(i, k, t, math.nan if failed else -score / 2, 0 if failed else p, v, v + 1, v + 2,
                                 0 if failed else 5, not failed, bool(issues), issues,
                                 "boom, with a comma" if failed else None, None if failed else object(), 0.1))
    result = sel._make_result(list(reversed(rows)), criterion, len(rows), False, 1.0)
    assert [r.index for r in result.table] == list(range(len(rows)))
    eligible = [r for r in rows if r.eligible]
    if eligible:
        best = result.best_row
        assert best.eligible
        assert best.score(criterion) == min(r.score(criterion) for r in eligible)
        ties = [r for r in eligible if r.score(criterion) == best.score(criterion)]
        assert best.n_parameters == min(r.n_parameters for r in ties)
    else:
        assert result.best is None and result.best_row is None
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    result.to_csv(path)
    with open(path, newline="") as fh:
        back = list(csv.DictReader(fh))
    assert len(back) == len(rows)
    for d, r in zip(back, result.table):
        assert d["error"] == (r.error or "")
        assert d["best"] == ("true" if r is result.best_row else "false")
        assert (d["bic"] == "") == (not r.ok)
        if r.ok:
            assert float(d["bic"]) == r.bic


def test_weighted_sweep_scores_equal_those_of_duplicated_rows():
    """A weight of 2 means a duplicated row, in the criteria too; rows with every value missing count
    for nothing, with or without weights."""
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(6, 1, (40, 2))])
    X[rng.random(X.shape) < 0.1] = np.nan
    X[[3, 50]] = np.nan
    counts = rng.integers(1, 4, size=len(X))
    kw = dict(n_components=[1, 2], covariance_types=("diag",), n_init=1, missing="marginalize", n_jobs=1)
    weighted = select_model(X, sample_weight=counts.astype(float), random_state=0, **kw)
    ones = select_model(X, sample_weight=np.ones(len(X)), random_state=0, **kw)
    plain = select_model(X, random_state=0, **kw)
    for a, b in zip(ones.table, plain.table):
        assert (a.bic, a.aic, a.icl) == pytest.approx((b.bic, b.aic, b.icl), rel=1e-12)
    Xdup = np.repeat(X, counts, axis=0)
    for row in weighted.table:
        gm = row.model
        assert row.bic == pytest.approx(gm.bic(Xdup), rel=1e-12)
        assert row.aic == pytest.approx(gm.aic(Xdup), rel=1e-12)
        assert row.icl == pytest.approx(gm.icl(Xdup), rel=1e-12)


def test_csv_export_to_a_missing_folder_names_the_chosen_file(truth_result, tmp_path):
    _, result = truth_result
    target = tmp_path / "no such folder" / "table.csv"
    with pytest.raises(OSError) as info:
        result.to_csv(target)
    assert str(target) in str(info.value) and ".tmp" not in str(info.value)
