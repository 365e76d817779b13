"""Issue 10, item 1: everything the engine produces is accepted by everything that reads it.

Covariances are symmetric by construction (the M-step symmetrises them), and there is one
validation of parameters with one tolerance (``emdesk.engine._validation.check_parameters``),
used by ``from_parameters``, ``Snapshot.to_model``, the initial covariances of a fit and
``emdesk.io.load_fit``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emdesk.engine import GaussianMixture
from emdesk.engine._validation import SYMMETRY_RTOL, check_parameters
from emdesk.io import DataError, load_fit, load_table, save_assignments_csv, save_fit

COV_TYPES = ("full", "tied", "diag", "spherical")


def _symmetric(cov, ct):
    if ct == "full":
        return np.array_equal(cov, np.swapaxes(cov, 1, 2))
    if ct == "tied":
        return np.array_equal(cov, cov.T)
    return True


def _round_trip_everything(X, gm, folder, ct):
    """Every reader of parameters accepts what this fit produced."""
    assert _symmetric(gm.covariances_, ct)
    # restarts
    for p in gm.restart_parameters_:
        assert _symmetric(p["covariances"], ct)
        m = GaussianMixture.from_parameters(p["weights"], p["means"], p["covariances"], ct)
        assert np.all(np.isfinite(m.score_samples(X)))
    # the fitted model itself
    m = GaussianMixture.from_parameters(gm.weights_, gm.means_, gm.covariances_, ct)
    np.testing.assert_array_equal(m.covariances_, gm.covariances_)
    # file round trip and the assignments export
    d = X.shape[1]
    cols = [f"c{j}" for j in range(d)]
    csv = folder / "data.csv"
    np.savetxt(csv, X, delimiter=",", header=",".join(cols), comments="", fmt="%.17g")
    table = load_table(csv)
    save_fit(folder / "fit.json", gm, X, columns=cols, table=table)
    loaded = load_fit(folder / "fit.json")
    np.testing.assert_array_equal(loaded.covariances_, gm.covariances_)
    save_assignments_csv(folder / "a.csv", table, loaded, cols)
    assert (folder / "a.csv").stat().st_size > 0


def test_issue_example_rounded_data_round_trips(tmp_path):
    X = np.random.default_rng(1).integers(0, 4, (1000, 2)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(4, random_state=0)
        snaps = list(gm.fit_iter(X))
    for s in snaps:  # the timeline's frames and the window's Stop both rebuild models from these
        assert _symmetric(s.covariances, "full")
        model = s.to_model()
        assert np.all(np.isfinite(model.predict_proba(X)))
    _round_trip_everything(X, gm, tmp_path, "full")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(20, 400),
    d=st.integers(1, 4),
    k=st.integers(1, 5),
    levels=st.integers(2, 6),
    ct=st.sampled_from(COV_TYPES),
    scale=st.sampled_from([1.0, 0.1, 1e3, 1e-4]),
    n_init=st.integers(1, 3),
)
def test_rounded_data_fits_round_trip(tmp_path_factory, seed, n, d, k, levels, ct, scale, n_init):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, levels, (n, d)).astype(float) * scale + rng.integers(-3, 3, d) * scale
    gm = GaussianMixture(k, covariance_type=ct, random_state=seed, n_init=n_init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            snaps = list(gm.fit_iter(X))
        except ValueError:
            return  # a fit may legitimately fail (singular); whatever succeeds must round-trip
    for s in snaps[-3:]:
        assert _symmetric(s.covariances, ct)
        s.to_model()
    _round_trip_everything(X, gm, tmp_path_factory.mktemp("rt"), ct)


def test_one_symmetry_tolerance_for_every_reader(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    gm = GaussianMixture(1).fit(X)
    c = gm.covariances_.copy()
    sd = np.sqrt(np.diag(c[0]))
    # within the tolerance (relative to sqrt(c_ii c_jj), not to the entry itself): accepted and
    # symmetrised, however small the off-diagonal entry is
    near = c.copy()
    near[0, 0, 1] = 1e-300
    near[0, 1, 0] = 1e-300 + 0.1 * SYMMETRY_RTOL * sd[0] * sd[1]
    m = GaussianMixture.from_parameters(gm.weights_, gm.means_, near)
    assert m.covariances_[0, 0, 1] == m.covariances_[0, 1, 0]
    # beyond it: refused by every reader with the same words
    far = c.copy()
    far[0, 0, 1] += 10 * SYMMETRY_RTOL * sd[0] * sd[1]
    with pytest.raises(ValueError, match="not symmetric"):
        GaussianMixture.from_parameters(gm.weights_, gm.means_, far)
    with pytest.raises(ValueError, match="not symmetric"):
        check_parameters(gm.weights_, gm.means_, far, "full")
    with pytest.raises(ValueError, match="not symmetric"):
        GaussianMixture(1, weights_init=gm.weights_, means_init=gm.means_, covariances_init=far).fit(X)
    # load_fit: the same rule through the file (a tampered entry)
    import json

    save_fit(tmp_path / "f.json", gm, X, columns=["a", "b"])
    doc = json.loads((tmp_path / "f.json").read_text())
    doc["model"]["covariances"] = far.tolist()
    (tmp_path / "g.json").write_text(json.dumps(doc))
    with pytest.raises(DataError, match="not symmetric"):
        load_fit(tmp_path / "g.json")
    doc["model"]["covariances"] = near.tolist()
    (tmp_path / "h.json").write_text(json.dumps(doc))
    assert load_fit(tmp_path / "h.json").covariances_[0, 0, 1] == load_fit(tmp_path / "h.json").covariances_[0, 1, 0]


def test_parameters_that_cannot_score_are_refused():
    # a variance so small its density overflows: accepted parameters must score finite
    with pytest.raises(ValueError, match="cannot be evaluated"):
        GaussianMixture.from_parameters([1.0], [[0.0]], [5e-324], "spherical")


@pytest.mark.parametrize("ct", COV_TYPES)
def test_missing_data_fits_round_trip(tmp_path, ct):
    rng = np.random.default_rng(1)
    X = rng.integers(0, 4, (600, 3)).astype(float)
    X[rng.random(X.shape) < 0.15] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(3, covariance_type=ct, random_state=0, missing="marginalize", n_init=2)
        snaps = list(gm.fit_iter(X))
    for s in snaps[-3:]:
        assert _symmetric(s.covariances, ct)
        s.to_model()
    for p in gm.restart_parameters_:
        GaussianMixture.from_parameters(p["weights"], p["means"], p["covariances"], ct, missing="marginalize")
    _round_trip_everything(np.nan_to_num(X, nan=1.0), gm, tmp_path, ct)
