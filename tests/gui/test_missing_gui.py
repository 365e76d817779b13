"""Missing values in the window (issue 5): the data panel's count and choice, the fit on all rows or on
complete rows, imputed markers on the plot, File > Export Imputed Data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

FIT_TIMEOUT = 60_000
N = 300


def _data(seed=5):
    """300 rows of two clusters in (a, b, c); about 20 % of the a/b cells missing, 4 rows with a and b
    both missing (c observed), 3 rows with a, b and c all missing."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.multivariate_normal((0, 0, 0), [[1, .8, 0], [.8, 1, 0], [0, 0, 1]], N // 2),
                   rng.multivariate_normal((5, 4, 2), [[1, -.5, 0], [-.5, 1, 0], [0, 0, 1]], N // 2)])
    full = X.copy()
    drop = rng.random((N, 2)) < 0.2
    drop[drop.all(axis=1)] = [True, False]  # rows with a and b missing only where placed below
    X[:, :2][drop] = np.nan
    X[10:14, :2] = np.nan          # a, b missing, c observed
    X[20:23, :] = np.nan           # every value missing
    return X, full


@pytest.fixture
def csv_missing(tmp_path):
    X, full = _data()
    p = tmp_path / "holes.csv"
    lines = ["a,b,c,label"]
    for i, row in enumerate(X):
        cells = ["" if math.isnan(v) else f"{v:.6f}" for v in row]
        lines.append(",".join(cells) + f",{'L' if i < N // 2 else 'R'}")
    p.write_text("\n".join(lines) + "\n")
    return p, X, full


def _fit(qtbot, window, **options):
    window.set_options(**options)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()


def _counts(X):
    sub = X[:, :2]
    incomplete = int(np.isnan(sub).any(axis=1).sum())
    empty = int(np.isnan(sub).all(axis=1).sum())
    return incomplete, empty


def test_data_panel_counts_incomplete_rows_and_offers_the_choice(window, csv_missing):
    path, X, _ = csv_missing
    window.open_csv(path)
    assert window.data_panel.selected_columns() == ["a", "b"]
    incomplete, empty = _counts(X)
    assert empty == 7 and incomplete > 60
    text = window.data_panel.missing_text()
    assert f"{incomplete:,} of {N:,} rows have missing values in the ticked columns" in text
    assert f"{empty:,} of them have no value at all" in text and "left out" in text
    assert window.data_panel.missing_box.isVisible()
    assert window.data_panel.missing_marginalize.isChecked() and window.data_panel.missing_marginalize.isEnabled()
    assert window.missing_mode() == "marginalize"
    assert window.options()["missing"] == "marginalize"

    # Ticking a column without holes hides the choice.
    window.select_columns(["c"])
    inc_c = int(np.isnan(X[:, 2]).sum())
    assert inc_c == 3
    assert "3 of 300 rows have missing values in the ticked column." in window.data_panel.missing_text()
    assert "left out" in window.data_panel.missing_text()
    assert not window.data_panel.missing_drop.isEnabled()  # nothing to choose: those rows have no value


def test_no_missing_cells_no_choice(window, csv_2d):
    window.open_csv(csv_2d)
    assert window.data_panel.missing_text() == ""
    assert not window.data_panel.missing_box.isVisible()


def test_default_fit_uses_every_row_with_a_value(qtbot, window, csv_missing):
    path, X, _ = csv_missing
    window.open_csv(path)
    incomplete, empty = _counts(X)
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=300)
    last = window.history[-1]
    assert last.n_samples == pytest.approx(N - empty)  # incomplete rows are fitted, empty rows left out
    assert last.missing == "marginalize"
    assert window.model.missing == "marginalize"
    assert window.model.n_features_in_ == 2
    # The worker was handed the incomplete rows.
    assert np.isnan(window._X).any(axis=1).sum() == incomplete - empty
    means = window.model.means_[np.argsort(window.model.means_[:, 0])]
    np.testing.assert_allclose(means, [[0, 0], [5, 4]], atol=0.45)


def test_drop_choice_fits_complete_rows_only(qtbot, window, csv_missing, settings):
    path, X, _ = csv_missing
    window.open_csv(path)
    incomplete, _ = _counts(X)
    window.set_options(missing="drop")
    assert window.data_panel.missing_drop.isChecked()
    assert window.options()["missing"] == "error"  # the engine never sees a missing value
    assert f"Dropping the incomplete rows fits {N - incomplete:,} rows" in window.data_panel.missing_text()
    _fit(qtbot, window, n_components=2, random_state=0)
    assert window.history[-1].n_samples == pytest.approx(N - incomplete)
    assert not np.isnan(window._X).any()
    assert window.plot_2d.imputed.pointCount() == 0

    # Back to the default from the panel's radio button: the fit is forgotten and all rows are used.
    window.data_panel.missing_marginalize.click()
    assert window.model is None and window.missing_mode() == "marginalize"
    _fit(qtbot, window)
    assert window.history[-1].n_samples == pytest.approx(N - 7)


def test_missing_choice_is_persisted_and_validated(qtbot, window, csv_missing, settings):
    from emdesk.gui.main_window import MainWindow

    window.set_missing_mode("drop")
    with pytest.raises(ValueError, match="marginalize, drop"):
        window.set_options(n_components=4, missing="sometimes")
    assert window.options()["n_components"] != 4  # nothing applied from a rejected call
    with pytest.raises(ValueError):
        window.set_missing_mode("error-ish")
    window.close()
    w2 = MainWindow(settings=settings)
    qtbot.addWidget(w2)
    try:
        assert w2.missing_mode() == "drop"
        assert w2.data_panel.missing_drop.isChecked()
        w2.set_options(**w2.options())  # round trip of the engine keywords keeps the choice
        assert w2.missing_mode() == "drop"
    finally:
        w2.close()


def test_imputed_rows_are_drawn_at_their_imputed_position(qtbot, window, csv_missing):
    path, X, _ = csv_missing
    window.open_csv(path)
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=300)
    plot = window.plot_2d
    shown = window._X_display
    hollow = ~np.isfinite(shown[:, :2]).all(axis=1)
    n_hollow = int(hollow.sum())
    assert n_hollow > 50
    pos = plot.imputed_positions()
    assert pos.shape == (n_hollow, 2) and np.isfinite(pos).all()
    expected = window.model.impute(shown[hollow])
    np.testing.assert_allclose(pos, expected, rtol=1e-9, atol=1e-9)
    # Complete rows stay round dots, incomplete ones are not drawn twice.
    assert plot.points.pointCount() == shown.shape[0] - n_hollow
    assert f"{n_hollow:,} imputed (x or y missing)" in plot.missing_label.text()
    # Listed once, however many frames were drawn.
    assert [label.text for _, label in plot.legend.items].count("imputed") == 1
    # Crosses take the responsibility colours of their rows (not all the neutral grey).
    assert len(np.unique(plot.imputed._ids)) > 1

    # The timeline moves the crosses: at iteration 0 they sit at the initial parameters' imputation.
    window.timeline.set_index(0)
    qtbot.waitUntil(lambda: window._shown_index == 0, timeout=5000)
    first = window.history[0].to_model().impute(shown[hollow])
    np.testing.assert_allclose(plot.imputed_positions(), first, rtol=1e-9, atol=1e-9)
    assert not np.allclose(first, expected)
    assert 0 in window._imputed_cache
    assert [label.text for _, label in plot.legend.items].count("imputed") == 1


def test_one_column_plot_says_how_many_values_are_missing(qtbot, window, csv_missing):
    path, X, _ = csv_missing
    window.open_csv(path)
    window.select_columns(["a"])
    n_missing = int(np.isnan(X[:, 0]).sum())
    assert f"{n_missing:,} of {N:,} rows missing this value" in window.plot_1d.missing_label.text()
    _fit(qtbot, window, n_components=2, random_state=0)
    assert window.history[-1].n_samples == pytest.approx(N - n_missing)


def test_export_imputed_data(qtbot, window, csv_missing, tmp_path, monkeypatch):
    from emdesk.io import load_table

    path, X, _ = csv_missing
    window.open_csv(path)
    assert not window.act_export_imputed.isEnabled()
    with pytest.raises(ValueError, match="run a fit first"):
        window.export_imputed(tmp_path / "none.csv")
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=300)
    assert window.act_export_imputed.isEnabled()

    out = tmp_path / "filled.csv"
    n_cells = window.export_imputed(out)
    assert n_cells == int(np.isnan(X[:, :2]).sum())
    t = load_table(out)
    assert t.n_rows == N and t.column_names[:4] == ["a", "b", "c", "label"]
    filled = t.to_array(["a", "b"])
    assert not np.isnan(filled).any()
    observed = ~np.isnan(X[:, :2])
    np.testing.assert_allclose(filled[observed], X[:, :2][observed], rtol=1e-6, atol=1e-6)
    flags = t.text_column("imputed") if "imputed" in t.text_column_names else None
    assert flags is not None
    for i in range(N):
        expect = ";".join(name for j, name in enumerate(("a", "b")) if np.isnan(X[i, j]))
        assert flags[i] == expect
    # c was not fitted: its holes stay holes.
    assert np.isnan(t.to_array(["c"])).sum() == 3

    # Through the menu, with the file dialog answered.
    target = tmp_path / "via-menu"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "CSV files (*.csv)")))
    window.act_export_imputed.trigger()
    assert (tmp_path / "via-menu.csv").is_file()
    assert load_table(tmp_path / "via-menu.csv").n_rows == N

    # A failure is a message, not a traceback.
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "no-such-dir" / "x.csv"), "")))
    window.act_export_imputed.trigger()
    assert window.last_message[0] == "error" and "Could not export the imputed data" in window.last_message[1]


def test_export_imputed_disabled_when_nothing_to_impute(qtbot, window, csv_2d, tmp_path):
    window.open_csv(csv_2d)
    _fit(qtbot, window, n_components=2, random_state=0)
    assert window.act_export.isEnabled()
    assert not window.act_export_imputed.isEnabled()
    with pytest.raises(ValueError, match="nothing to impute"):
        window.export_imputed(tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_model_selection_gets_the_missing_choice(qtbot, window, csv_missing):
    path, X, _ = csv_missing
    window.open_csv(path)
    window.open_model_selection()
    dlg = window._selection_dialog
    assert dlg._missing == "marginalize" and np.isnan(dlg._X).any()
    window.set_missing_mode("drop")
    window.open_model_selection()
    dlg = window._selection_dialog
    assert dlg._missing == "error" and not np.isnan(dlg._X).any()
    dlg.close()


def test_imputed_markers_follow_the_displayed_axes(qtbot, window, csv_missing):
    path, X, _ = csv_missing
    window.open_csv(path)
    window.select_columns(["a", "b", "c"])
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=300)
    plot = window.plot_2d
    shown = window._X_display
    assert shown.shape[0] == N - 3  # rows with every value missing are not drawn
    filled = window.model.impute(shown)
    for ix, iy in ((0, 1), (2, 1), (0, 2)):
        plot.x_combo.setCurrentIndex(ix)
        plot.y_combo.setCurrentIndex(iy)
        hollow = np.isnan(shown[:, ix]) | np.isnan(shown[:, iy])
        pos = plot.imputed_positions()
        assert pos.shape == (int(hollow.sum()), 2)
        np.testing.assert_allclose(pos, filled[hollow][:, [ix, iy]], rtol=1e-9, atol=1e-9)
        assert plot.points.pointCount() == shown.shape[0] - int(hollow.sum())


def test_plot_note_counts_rows_left_out(qtbot, window, csv_missing):
    path, X, _ = csv_missing
    window.open_csv(path)
    incomplete, empty = _counts(X)
    assert f"{empty:,} rows with no value left out" in window.plot_2d.missing_label.text()
    window.set_missing_mode("drop")
    note = window.plot_2d.missing_label.text()
    assert f"{incomplete:,} incomplete rows dropped" in note and "x or y missing" not in note
    _fit(qtbot, window, n_components=2, random_state=0)
    assert not any(label.text == "imputed" for _, label in window.plot_2d.legend.items)


def test_settings_missing_mode_falls_back_to_the_default(settings):
    from emdesk.gui.settings import Settings

    s = Settings(settings)
    assert s.missing_mode() == "marginalize"
    s.set_missing_mode("drop")
    assert s.missing_mode() == "drop"
    settings.setValue("fit/missing", "hand-edited nonsense")
    assert s.missing_mode() == "marginalize"


def test_live_frames_get_imputed_positions_from_the_worker(qtbot, window, csv_missing, monkeypatch):
    # Imputing the displayed incomplete rows is most of a live frame's GUI time with missing values: the
    # worker does it with the colours, the GUI thread only draws (scrubbing to an old iteration may compute).
    import threading

    from emdesk.engine import GaussianMixture

    path, X, _ = csv_missing
    window.open_csv(path)
    on_gui_thread = []
    real_impute = GaussianMixture.impute

    def impute(self, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            on_gui_thread.append(True)
        return real_impute(self, *args, **kwargs)

    monkeypatch.setattr(GaussianMixture, "impute", impute)
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=300)
    qtbot.waitUntil(lambda: window._shown_index == len(window.history) - 1)
    assert on_gui_thread == []
    shown = window.plot_2d.imputed_positions()
    expected = window.model.impute(window._X_display[window._display_inc_rows])
    hollow = window.plot_2d._hollow_in_inc
    assert shown.shape[0] == hollow.size > 0
    np.testing.assert_allclose(shown, expected[hollow][:, [0, 1]])


def test_the_workers_imputed_values_are_kept_for_the_batch_that_follows(qtbot, window, csv_missing):
    path, X, _ = csv_missing
    window.open_csv(path)
    _fit(qtbot, window, n_components=2, random_state=0, max_iter=5)
    ctrl = window.fit
    batch = [window.history[-1]]
    values = np.full((3, 2), 7.0)
    ctrl._on_imputed(ctrl.run_id, values)  # the worker sends them just before their batch
    ctrl._on_snapshots(ctrl.run_id, batch, None)
    assert window._imputed_cache[len(window.history) - 1] is values
    ctrl._on_imputed(ctrl.run_id + 1, values)  # another run's values are not kept
    ctrl._on_snapshots(ctrl.run_id, batch, None)
    assert len(window.history) - 1 not in window._imputed_cache
