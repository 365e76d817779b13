"""The Model panel offers mclust's 14 covariance models for Gaussian mixtures (E and V with one column), and a
fit with one of them runs in the window and is drawn (issue 11)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from emdesk.engine.covariance_models import MODEL_NAMES

FIT_TIMEOUT = 60_000


def test_model_panel_offers_the_14_models_and_e_v_for_one_column(qtbot, window, csv_2d):
    window.open_csv(csv_2d)
    panel = window.params_panel
    combo = panel.covariance_type
    assert panel.covariance_choices() == ["full", "tied", "diag", "spherical", *MODEL_NAMES]
    # three headings (spherical, diagonal, ellipsoidal), not choosable; every model names its geometry
    headings = [combo.itemText(i) for i in range(combo.count())
                if not combo.model().item(i).isEnabled()]
    assert headings == ["mclust, spherical", "mclust, diagonal", "mclust, ellipsoidal"]
    tip = combo.itemData(combo.findText("VEV"), QtCore.Qt.ItemDataRole.ToolTipRole)
    assert tip == "VEV: ellipsoidal: varying volume, equal shape, varying orientation"
    window.set_options(covariance_type="EVE")
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    m = window.model
    assert m.covariance_type == "EVE" and m.covariances_.shape == (3, 2, 2)
    assert window.history[-1].covariance_type == "EVE"
    # one column: E and V only; the 3-letter choice becomes its volume letter
    window.select_columns(["a"])
    assert panel.covariance_choices() == ["full", "tied", "diag", "spherical", "E", "V"]
    assert panel.options()["covariance_type"] == "E"
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        window.set_options(covariance_type="VVV")
    window.select_columns(["a", "b"])
    assert panel.options()["covariance_type"] == "EEE"
    # other model kinds offer scikit-learn's four only
    window.set_model_kind("hmm", "gaussian")
    assert panel.covariance_choices() == ["full", "tied", "diag", "spherical"]
    assert panel.options()["covariance_type"] == "full"
