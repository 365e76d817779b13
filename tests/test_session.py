"""The Qt-free session (issue 12): the state of a fit and its commands, driven headless."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emdesk.session import Session

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def csv_path(tmp_path):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal((0, 0), 0.5, (150, 2)), rng.normal((4, 3), 0.7, (150, 2))])
    lines = ["a,b,c,label"] + [f"{x:.5f},{y:.5f},{x + y:.5f},{'L' if i < 150 else 'R'}"
                               for i, (x, y) in enumerate(X)]
    lines[5] = "nan,1.0,2.0,L"  # one incomplete row
    p = tmp_path / "two.csv"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_session_imports_no_qt():
    code = ("import sys, emdesk.session; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'PyQt6', 'PyQt5', 'pyqtgraph', "
            "'shiboken6')]; print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_load_choose_fit_and_export(csv_path, tmp_path):
    from emdesk.io import load_fit

    s = Session()
    events = []
    s.subscribe(events.append)
    s.load(csv_path)
    assert s.columns == ["a", "b"]  # the first two numeric columns, as the Data panel ticks them
    assert s.X.shape == (300, 2) and s.n_incomplete == 1
    s.choose_columns(["a", "b"])
    s.set_options(n_components=2, random_state=0, max_iter=200)
    snaps = list(s.fit_iter())
    assert [x.iteration for x in snaps] == list(range(len(snaps)))
    assert snaps[-1].final and s.history == snaps
    assert s.model is not None and s.model.converged_
    np.testing.assert_allclose(np.sort(s.model.means_[:, 0]), [0, 4], atol=0.3)
    assert list(s.model.feature_names_in_) == ["a", "b"]
    assert events[0] == "data" and "fit-started" in events and events[-1] == "fit-ended"
    out = tmp_path / "fit.json"
    s.export_fit(out)
    assert isinstance(json.loads(out.read_text()), dict)
    np.testing.assert_allclose(load_fit(out).means_, s.model.means_)
    n = s.export_imputed(tmp_path / "imputed.csv")
    assert n == 1


def test_step_by_step_and_stop(csv_path):
    s = Session()
    s.load(csv_path)
    s.set_options(n_components=2, random_state=0, tol=0.0, max_iter=10_000)
    s.start()
    first = [s.step() for _ in range(4)]
    assert [x.iteration for x in first] == [0, 1, 2, 3]
    assert s.fitting and s.model is None
    s.stop()
    assert not s.fitting
    assert s.model is not None
    np.testing.assert_allclose(s.model.means_, first[-1].means)
    assert s.step() is None  # nothing more after a stop


def test_missing_treatment_and_columns(csv_path):
    s = Session()
    s.load(csv_path)
    assert s.X.shape[0] == 300
    s.set_missing("drop")
    assert s.X.shape[0] == 299 and s.n_dropped == 1
    s.set_missing("error")  # the engine's name for the same
    assert s.missing == "drop"
    with pytest.raises(ValueError, match="missing"):
        s.set_missing("zero")
    with pytest.raises(ValueError, match="label"):
        s.choose_columns(["a", "label"])
    s.choose_columns(["c"])  # the incomplete row misses only a value of a
    assert s.X.shape == (300, 1) and s.n_incomplete == 0
    assert s.engine_options()["missing"] == "error"


def test_restarts_and_other_models(csv_path):
    from emdesk.engine import GaussianMixture

    s = Session()
    s.load(csv_path)
    s.set_missing("drop")
    s.choose_columns(["a", "b"])
    s.fit(n_components=2, random_state=0, n_init=3, max_iter=200)
    fitted = s.model
    m1 = s.load_restart(1)
    assert s.model is m1 and s.fitted_model is fitted
    # the same components (realigned to the fit's labels when EM found them in another order)
    np.testing.assert_allclose(np.sort(m1.means_, axis=0), np.sort(fitted.restart_parameters_[1]["means"], axis=0))
    with pytest.raises(ValueError, match="restart"):
        s.load_restart(7)
    other = GaussianMixture(n_components=3, random_state=0).fit(s.X)
    s.use_model(other)
    assert s.model is other and len(s.history) == 1 and s.history[0].means.shape == (3, 2)
    with pytest.raises(ValueError, match="match"):
        s.use_model(GaussianMixture(n_components=2, random_state=0).fit(s.X[:, :1]))


def test_start_means_become_the_starting_state(csv_path):
    s = Session()
    s.load(csv_path)
    s.set_options(n_components=5, max_iter=1)
    s.set_start_means([[0.0, 0.0], [4.0, 3.0]])
    params = s.with_start_means(s.engine_options())
    assert params["n_components"] == 2 and params["n_init"] == 1
    assert params["weights_init"].shape == (2,) and params["covariances_init"].shape == (2, 2, 2)
    first = next(iter(s.fit_iter()))
    np.testing.assert_allclose(first.means, [[0.0, 0.0], [4.0, 3.0]])
    with pytest.raises(ValueError, match="shape"):
        s.set_start_means([[1.0, 2.0, 3.0]])


def test_bad_input_is_a_value_error_with_a_message(csv_path):
    s = Session()
    with pytest.raises(ValueError, match="Open a CSV"):
        s.fit()
    s.load(csv_path)
    with pytest.raises(ValueError, match="Unknown option"):
        s.set_options(n_clusters=3)
    with pytest.raises(ValueError, match="n_components"):
        s.fit(n_components=1000)
    assert not s.fitting
    with pytest.raises(ValueError, match="kind"):
        s.set_model_kind("tree")


@pytest.fixture
def regime_csv(tmp_path):
    """Two sequences of a two-state regime-switching series, rows shuffled, with a sequence id and a time."""
    rng = np.random.default_rng(5)
    rows = []
    for sid, T in (("s1", 300), ("s2", 200)):
        z = 0
        for t in range(T):
            if rng.random() < 0.05:
                z = 1 - z
            rows.append((sid, t, rng.normal(0.0 if z == 0 else 5.0, 0.7), rng.poisson(2 if z == 0 else 9)))
    order = rng.permutation(len(rows))
    p = tmp_path / "regimes.csv"
    p.write_text("id,t,value,count\n" + "".join(f"{rows[i][0]},{rows[i][1]},{rows[i][2]:.4f},{rows[i][3]}\n"
                                                 for i in order))
    return p, rows


def test_hmm_kind_orders_rows_into_sequences_and_fits(regime_csv):
    path, rows = regime_csv
    s = Session()
    s.load(path)
    s.set_model_kind("hmm", "gaussian")
    s.set_sequence("id", "t")
    s.choose_columns(["value"])
    assert s.sequence_names == ["s1", "s2"] or s.sequence_names == ["s2", "s1"]
    assert sorted(s.lengths.tolist()) == [200, 300] and s.X.shape == (500, 1)
    first = s.sequence_names[0]
    expected = [r[2] for r in rows if r[0] == first]
    np.testing.assert_allclose(s.X[: len(expected), 0], expected, atol=1e-4)  # in time order
    assert any("sorted by t" in n for n in s.notes)
    s.set_options(n_components=2, random_state=0, max_iter=100, covariance_type="full")
    snaps = list(s.fit_iter())
    assert snaps[0].transmat is not None and snaps[-1].final
    m = s.model
    assert m.transmat_.shape == (2, 2) and np.allclose(m.transmat_.sum(axis=1), 1)
    np.testing.assert_allclose(np.sort(m.means_[:, 0]), [0.0, 5.0], atol=0.3)
    # the count column with the Poisson family: covariance_type is not one of its keywords
    s.set_model_kind("hmm", "poisson")
    s.choose_columns(["count"])
    m = s.fit()
    np.testing.assert_allclose(np.sort(m.lambdas_[:, 0]), [2.0, 9.0], atol=0.8)
    with pytest.raises(ValueError, match="order column"):
        s.set_sequence("id", "id")


def test_a_loaded_restart_keeps_the_fits_labels(tmp_path):
    # Issue 14: a restart whose EM found the clusters in another order is realigned to the fit (minimum-cost
    # matching), and so are its snapshots on the timeline, so colours and order stay.
    from emdesk.engine.align import align

    rng = np.random.default_rng(5)
    centres = [(0, 0), (6, 0), (0, 6)]
    X = np.vstack([rng.normal(c, 0.6, (80, 2)) for c in centres])
    p = tmp_path / "three.csv"
    p.write_text("x,y\n" + "\n".join(f"{a:.5f},{b:.5f}" for a, b in X) + "\n")
    s = Session()
    s.load(p)
    s.choose_columns(["x", "y"])
    fitted = s.fit(n_components=3, random_state=0, n_init=6, init_params="kmeans++", max_iter=200)
    best_ll = fitted.restart_log_likelihoods_[fitted.best_restart_]
    switched = [i for i in range(6) if i != fitted.best_restart_
                and abs(fitted.restart_log_likelihoods_[i] - best_ll) < 1e-3
                and not align(GaussianMixture_from(fitted, i), fitted).is_identity]
    assert switched, "the test needs a restart whose labels came out in another order"
    i = switched[0]
    raw = fitted.restart_parameters_[i]
    perm = np.asarray(align(GaussianMixture_from(fitted, i), fitted).permutation)
    m = s.load_restart(i)
    np.testing.assert_allclose(m.means_, np.asarray(raw["means"])[perm])
    np.testing.assert_allclose(m.weights_, np.asarray(raw["weights"])[perm])
    # the same clusters as the fit: each row keeps its label
    assert np.mean(m.predict(s.X) == fitted.predict(s.X)) > 0.99
    # its final snapshot on the timeline is the aligned model (the window shows that state)
    final = [sn for sn in s.history if sn.restart == i and sn.final]
    np.testing.assert_allclose(final[-1].means, m.means_)
    first = [sn for sn in s.history if sn.restart == i][0]
    assert first.means.shape == (3, 2) and not first.means.flags.writeable
    # the kept restart is left as it is
    kept = s.load_restart(fitted.best_restart_)
    np.testing.assert_allclose(kept.means_, fitted.means_)


def GaussianMixture_from(fitted, i):
    from emdesk.session import restart_model

    return restart_model(fitted, i)


def test_a_sequence_column_with_missing_names_is_refused_as_emdesk_fit_does(tmp_path):
    # Found trying the window: rows with no sequence name (an empty cell, NaN, the NA token) were fitted as one
    # sequence named "" (numeric ids: all NaN rows together), where emdesk-fit refuses them.
    numeric = tmp_path / "ids.csv"
    numeric.write_text("id,t,x\n1,0,0.1\n1,1,0.2\n,2,0.3\n2,0,0.4\n,1,0.5\n")
    text = tmp_path / "names.csv"
    text.write_text("id,t,x\na,0,0.1\nNA,1,0.2\nb,2,0.3\n a ,3,0.4\n")
    for path, n, first in ((numeric, "2 missing values", 3), (text, "1 missing value", 2)):
        s = Session()
        s.load(path)
        s.set_model_kind("hmm", "gaussian")
        s.choose_columns(["x"])
        before = (s.X, s.lengths)
        for call in (lambda: s.set_sequence("id", "t"), lambda: s.planned([("set_sequence", ("id", None))])):
            with pytest.raises(ValueError, match=rf"sequence column id has {n} \(first on data row {first}\)"):
                call()
        assert s.sequence_column is None and s.X is before[0] and s.lengths is before[1]
    s.set_sequence("t")  # a column with every name: as before
    assert s.sequence_names == ["0", "1", "2", "3"]
