"""A categorical HMM fits a text column in the window, as emdesk-fit does (issue 15's newcomer test found
text columns refused in the window while the CLI accepted them); the views show the symbols' labels, and
the saved fit carries them."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")


@pytest.fixture
def weather_csv(tmp_path):
    rng = np.random.default_rng(5)
    rows, z = [], 0
    for t in range(300):
        if rng.random() < 0.08:
            z = 1 - z
        p = [0.7, 0.2, 0.1] if z == 0 else [0.1, 0.3, 0.6]
        rows.append((t, ["cloudy", "rain", "sun"][rng.choice(3, p=p)]))
    order = rng.permutation(len(rows))
    path = tmp_path / "weather.csv"
    path.write_text("day,sky\n" + "".join(f"{rows[i][0]},{rows[i][1]}\n" for i in order))
    return path


def test_text_column_fits_as_categorical_hmm_with_labels(qtbot, window, weather_csv, tmp_path):
    from emdesk.engine import CategoricalHMM
    from emdesk.io import load_fit

    window.open_csv(weather_csv)
    window.set_model_kind("hmm", "categorical")
    window.set_sequence(None, "day")
    window.select_columns(["sky"])  # a text column: accepted for a categorical HMM
    assert window.session.columns == ["sky"]
    window.set_options(n_components=2, random_state=0, max_iter=200)
    with qtbot.waitSignal(window.fitFinished, timeout=60_000):
        window.start_fit()
    model = window.model
    assert isinstance(model, CategoricalHMM) and model.emissionprob_.shape == (2, 3)
    assert list(model.symbols_) == ["cloudy", "rain", "sun"]
    views = window.views
    ticks = views.emissions.plot.getAxis("bottom")._tickLevels
    assert ticks and [lab for _, lab in ticks[0]] == ["cloudy", "rain", "sun"]
    assert [lab for _, lab in views.series.getAxis("left")._tickLevels[0]] == ["cloudy", "rain", "sun"]
    out = tmp_path / "fit.json"
    window.export_fit(out)
    back = load_fit(out)
    assert list(back.symbols_) == ["cloudy", "rain", "sun"]
    np.testing.assert_allclose(back.emissionprob_, model.emissionprob_)


def test_text_columns_stay_greyed_for_numeric_hmm_families(window, weather_csv):
    window.open_csv(weather_csv)
    window.set_model_kind("hmm", "gaussian")
    assert not window.data_panel.text_fittable
    with pytest.raises(ValueError):
        window.select_columns(["sky"])
    window.set_model_kind("hmm", "categorical")
    assert window.data_panel.text_fittable
