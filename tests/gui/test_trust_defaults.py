"""The app's defaults for a trustworthy model choice (issue 11): exploring restarts, converged answers and a
regularisation relative to the data; other model kinds get their own defaults."""

import numpy as np
import pytest

from emdesk.gui.guard_bar import propose_fixes
from emdesk.gui.params_panel import DEFAULTS, ParamsPanel


def test_the_model_panel_starts_with_the_scale_free_exploring_defaults(qtbot):
    panel = ParamsPanel()
    qtbot.addWidget(panel)
    opts = panel.options()
    assert (opts["init_params"], opts["tol"], opts["reg_covar"], opts["max_iter"]) == (
        "emEM", "relative", "relative", 1000)
    assert DEFAULTS["init_params"] == "emEM"
    panel.set_options(tol="relative:1e-4", reg_covar=1e-6)
    assert panel.options()["tol"] == "relative:1e-4" and panel.options()["reg_covar"] == 1e-6
    panel.reg_covar.setText("relative:abc")
    with pytest.raises(ValueError, match="reg_covar"):
        panel.options()
    with pytest.raises(ValueError, match="relative"):
        panel.set_options(tol="loose")


def test_raise_reg_covar_keeps_a_relative_setting_relative():
    fixes = propose_fixes({"reg_covar": "relative", "n_components": 3}, data_variances=np.array([1e-5, 1e4]))
    assert fixes["raise_reg_covar"][2] == {"reg_covar": "relative:0.0001"}
    fixes = propose_fixes({"reg_covar": "relative:0.001", "n_components": 3})
    assert fixes["raise_reg_covar"][2] == {"reg_covar": "relative:0.1"}
    # from relative:0.01 on the ridge is large for any data: lowered instead (test_guard)
    assert "raise_reg_covar" not in propose_fixes({"reg_covar": "relative:0.01", "n_components": 3})


def test_other_estimators_get_their_own_defaults_for_the_gaussian_mixture_only_values():
    from emdesk.engine import GaussianHMM, GaussianMixture, PoissonMixture
    from emdesk.engine.relative import own_defaults as _own_defaults

    opts = {"init_params": "emEM", "tol": "relative", "reg_covar": "relative", "n_init": 5}
    assert _own_defaults(GaussianMixture, opts) == opts
    hmm = _own_defaults(GaussianHMM, opts)
    assert hmm["init_params"] == "kmeans++" and hmm["tol"] == 1e-3 and hmm["reg_covar"] == 1e-6
    assert _own_defaults(PoissonMixture, {"init_params": "emEM"})["init_params"] == "kmeans++"
