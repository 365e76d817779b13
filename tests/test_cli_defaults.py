"""emdesk-fit's defaults are the app's (issue 11): emEM restarts, mclust's relative tolerance, a ridge relative
to the data and 1000 iterations for Gaussian mixtures, each other estimator's own where the Gaussian mixture's
do not apply (as the window's session maps them), and --prior default fits with mclust's conjugate prior.
The expected values are read from the app's Model panel, the session and select_model, never written here."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

from emdesk import cli
from emdesk.engine import GaussianMixture, select_model
from emdesk.engine.selection import iter_select_model
from emdesk.io import load_fit
from emdesk.session import Session

KEYS = ("init_params", "tol", "reg_covar", "max_iter")
KINDS = [("mixture", "gaussian", "gaussian", "mixture"), ("mixture", "student_t", "student-t", "mixture"),
         ("mixture", "poisson", "poisson", "mixture"), ("mixture", "categorical", "categorical", "mixture"),
         ("hmm", "gaussian", "gaussian", "hmm"), ("hmm", "poisson", "poisson", "hmm"),
         ("hmm", "categorical", "categorical", "hmm")]


def _panel_defaults() -> dict:
    from emdesk.gui.params_panel import DEFAULTS  # the Model panel's first-start values

    return DEFAULTS


def _cli_args(*argv):
    args = cli.build_parser().parse_args(["data.csv", *argv])
    cli._check_args(args)
    return args


@pytest.mark.parametrize("kind, family, cli_family, cli_model", KINDS)
def test_cli_defaults_are_the_sessions_for_every_model(kind, family, cli_family, cli_model):
    session = Session()
    session.set_options(**_panel_defaults())
    session.set_model_kind(kind, family)
    window = {k: v for k, v in session.engine_options().items() if k in KEYS}
    args = _cli_args("--model", cli_model, "--family", cli_family)
    cls = cli._estimator_class(args)
    assert cls is session.estimator_class()
    assert cli.app_defaults(cls) == window


def test_gaussian_defaults_match_select_model_and_the_panel():
    sig = inspect.signature(iter_select_model).parameters
    panel = _panel_defaults()
    gm = cli.app_defaults()
    assert gm == {k: sig[k].default for k in KEYS} == {k: panel[k] for k in KEYS}
    assert sig["prior"].default is None and panel["prior"] is None
    assert _cli_args().prior_value is None
    # restarts: emdesk-fit, the Model panel and select_model give every fit the same number
    assert _cli_args().n_init == panel["n_init"] == sig["n_init"].default == 5


def test_help_states_each_default():
    text = cli.build_parser().format_help()
    one_line = " ".join(text.split())
    gm = cli.app_defaults()
    for key in ("max_iter", "tol", "reg_covar", "init_params"):
        assert cli._defaults_help(key) in one_line
        assert f"default: {gm[key]}" in one_line
    assert "(default: none, as the app)" in one_line


@pytest.fixture(scope="module")
def faithful_csv(tmp_path_factory):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "engine"))
    from test_hierarchical import FAITHFUL

    path = tmp_path_factory.mktemp("defaults") / "faithful.csv"
    path.write_text("eruptions,waiting\n" + "\n".join(f"{a!r},{b!r}" for a, b in FAITHFUL.tolist()) + "\n")
    return path, FAITHFUL


def test_a_fit_uses_the_defaults_and_the_prior(tmp_path, faithful_csv, capsys):
    path, X = faithful_csv
    assert cli.main([str(path), "-k", "2", "--seed", "0", "-o", str(tmp_path / "ml.json"), "-q"]) == 0
    doc = json.loads((tmp_path / "ml.json").read_text())
    assert {k: doc["options"][k] for k in KEYS} == cli.app_defaults() and doc["options"]["prior"] is None
    assert cli.main([str(path), "-k", "2", "--seed", "0", "--prior", "default", "-o", str(tmp_path / "map.json")]) == 0
    out = capsys.readouterr().out
    assert "mclust's default prior (MAP estimate)" in out
    doc = json.loads((tmp_path / "map.json").read_text())
    assert doc["options"]["prior"] == "default" and doc["fit"]["log_prior"] < 0
    assert doc["options"]["n_init"] == 5
    ref = GaussianMixture(2, prior="default", random_state=0, n_init=5, **cli.app_defaults()).fit(X)
    assert doc["fit"]["bic"] == pytest.approx(ref.bic(X), rel=1e-9)
    assert load_fit(tmp_path / "map.json").get_params()["prior"] == "default"


def test_select_with_the_prior_sweeps_as_select_model(tmp_path, faithful_csv, capsys):
    path, X = faithful_csv
    assert cli.main([str(path), "--select", "--max-components", "2", "--prior", "default", "--seed", "0",
                     "--n-init", "1", "--selection-csv", str(tmp_path / "sel.csv")]) == 0
    out = capsys.readouterr().out
    assert "8 fits (1 to 2 components x mclust's models VII, VVI, EEE, VVV; 1 restart each; mclust's default prior)" in out
    ref = select_model(X, range(1, 3), "mclust", n_init=1, random_state=0, prior="default", **cli.app_defaults())
    rows = (tmp_path / "sel.csv").read_text().splitlines()[1:]
    bics = {(int(r.split(",")[0]), r.split(",")[1]): float(r.split(",")[4]) for r in rows}
    for r in ref.table:
        assert bics[r.n_components, r.covariance_type] == pytest.approx(r.bic, rel=1e-9)


@pytest.mark.parametrize("argv, message", [
    (("--family", "poisson", "--prior", "default"), "--prior (mclust's conjugate prior) is for Gaussian mixtures"),
    (("--model", "hmm", "--prior", "default"), "is for Gaussian mixtures"),
    (("--family", "categorical", "--columns", "a", "--reg-covar", "1e-3"), "--reg-covar belongs to Gaussian"),
])
def test_prior_usage_errors(argv, message, capsys):
    assert cli.main(["data.csv", *argv]) == 2
    assert message in capsys.readouterr().err


def test_tol_and_reg_covar_take_relative_settings():
    args = _cli_args("--tol", "relative:1e-4", "--reg-covar", "RELATIVE")
    assert args.tol == "relative:1e-4" and args.reg_covar == "relative"
    with pytest.raises(cli._UsageError, match="relative"):
        _cli_args("--tol", "relativ")
    assert np.isclose(_cli_args("--tol", "1e-4").tol, 1e-4)
