"""The model-selection dialog in the window (issues 11, 13, 14, 15): "Use this model" shows the chosen fit
and sets the Model panel (family too) for the current data only; the dialog's likelihood-ratio test reaches
the report."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.gui.main_window import example_path

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning")
TIMEOUT = 60_000


def _sweep(qtbot, window, **options):
    window.open_model_selection()
    dlg = window.selection.dialog
    dlg.set_options(n_init=1, **options)
    with qtbot.waitSignal(dlg.sweepFinished, timeout=TIMEOUT) as blocker:
        dlg.start()
    return dlg, blocker.args[0]


def test_use_this_model_sets_the_panel_for_the_current_data_only(qtbot, window, settings, csv_2d):
    window.open_csv(example_path())
    window.set_options(n_components=5, covariance_type="full", random_state=0)
    dlg, result = _sweep(qtbot, window, n_components=range(1, 5), covariance_types=("spherical", "tied"))
    row = result.row(2, "EEE")  # tied, by mclust's name
    dlg.select_row(row)
    assert window.model is None  # selecting previews only
    dlg.use_button.click()
    assert window.model is row.model
    opts = window.options()
    assert (opts["n_components"], opts["covariance_type"]) == (2, "EEE")
    # The settings kept for the next start are the user's own.
    window.save_settings()
    window.settings.sync()
    saved = window.settings.fit_options()
    assert (saved["n_components"], saved["covariance_type"]) == (5, "full")
    # Another file: the Model panel is back to the user's settings, and the status bar says so.
    dlg.close()
    window.open_csv(csv_2d)
    opts = window.options()
    assert (opts["n_components"], opts["covariance_type"]) == (5, "full")
    qtbot.waitUntil(lambda: "back to your settings" in window.status_state.text(), timeout=2000)


def test_a_field_changed_after_the_choice_is_kept_for_the_next_file(qtbot, window, csv_2d):
    window.open_csv(example_path())
    window.set_options(n_components=5, covariance_type="full", random_state=0)
    dlg, result = _sweep(qtbot, window, n_components=range(1, 4), covariance_types=("diag",))
    dlg.select_row(result.row(3, "VVI"))
    dlg.use_selected()
    window.set_options(n_components=4)  # the user's own change after the choice
    dlg.close()
    window.open_csv(csv_2d)
    opts = window.options()
    assert opts["n_components"] == 4 and opts["covariance_type"] == "full"


def test_use_this_model_sets_the_family_too(qtbot, window, tmp_path):
    from emdesk.engine import StudentTMixture

    rng = np.random.default_rng(0)
    X = np.vstack([rng.standard_t(2.5, size=(120, 2)), rng.standard_t(2.5, size=(120, 2)) + [8, 0]])
    p = tmp_path / "tails.csv"
    p.write_text("a,b\n" + "".join(f"{a:.5f},{b:.5f}\n" for a, b in X))
    window.open_csv(p)
    window.set_options(random_state=0)
    dlg, result = _sweep(qtbot, window, n_components=[1, 2, 3], covariance_types=("full",),
                         families=("gaussian", "student_t"))
    row = next(r for r in result.table if r.family == "student_t" and r.n_components == 2)
    dlg.select_row(row)
    dlg.use_selected()
    assert window.session.family == "student_t" and window.params_panel.model_kind() == ("mixture", "student_t")
    assert isinstance(window.model, StudentTMixture) and window.model is row.model
    assert window.options()["n_components"] == 2
    dlg.close()


def test_the_dialog_offers_the_families_the_data_allow(qtbot, window, tmp_path):
    rng = np.random.default_rng(2)
    p = tmp_path / "counts.csv"
    p.write_text("n\n" + "".join(f"{v}\n" for v in np.concatenate([rng.poisson(2, 100), rng.poisson(9, 80)])))
    window.open_csv(p)
    window.set_model_kind("mixture", "poisson")
    window.open_model_selection()
    dlg = window.selection.dialog
    assert set(dlg.family_boxes) == {"gaussian", "student_t", "poisson"} and dlg.families() == ("poisson",)
    dlg.close()
    window.set_model_kind("mixture", "gaussian")
    window.open_csv(example_path())
    window.open_model_selection()
    assert set(window.selection.dialog.family_boxes) == {"gaussian", "student_t"}
    window.selection.dialog.close()


def test_the_dialogs_likelihood_ratio_test_goes_into_the_report(qtbot, window, tmp_path):
    window.open_csv(example_path())
    window.set_options(n_components=3, random_state=0, max_iter=100)
    with qtbot.waitSignal(window.fitFinished, timeout=TIMEOUT):
        window.start_fit()
    dlg, result = _sweep(qtbot, window, n_components=range(1, 3), covariance_types=("spherical",))
    with qtbot.waitSignal(dlg.lrtFinished, timeout=120_000):
        dlg.run_lrt(max_components=1, n_boot=19, random_state=0)
    out = tmp_path / "report.html"
    window.results.export_report(out)
    assert "<h2>Bootstrap likelihood-ratio tests" in out.read_text(encoding="utf-8")
    dlg.close()


def test_a_poisson_model_chosen_in_the_dialog_is_shown_as_one(qtbot, window, tmp_path):
    from emdesk.engine import PoissonMixture

    rng = np.random.default_rng(2)
    p = tmp_path / "counts.csv"
    p.write_text("n\n" + "".join(f"{v}\n" for v in np.concatenate([rng.poisson(2, 100), rng.poisson(9, 80)])))
    window.open_csv(p)  # the Model panel says Gaussian
    window.set_options(random_state=0)
    dlg, result = _sweep(qtbot, window, n_components=[1, 2, 3], families=("poisson",))
    assert dlg.selected_row() is result.best_row and result.best_row.n_components == 2
    dlg.use_selected()
    assert window.session.family == "poisson"
    assert isinstance(window.model, PoissonMixture) and window.model is result.best_row.model
    snap = window.history[-1]
    assert snap.family == "poisson" and np.allclose(snap.means, window.model.lambdas_)
    assert window.last_message is None or window.last_message[0] != "error"
    dlg.close()


def test_a_latent_class_session_sweeps_its_number_of_classes(qtbot, window, tmp_path):
    from emdesk.engine import CategoricalMixture

    rng = np.random.default_rng(0)
    lines = []
    for i in range(240):
        c = i % 2
        lines.append(",".join([rng.choice(["a", "b", "c"], p=[.8, .1, .1] if c else [.1, .1, .8]),
                               rng.choice(["x", "y"], p=[.9, .1] if c else [.1, .9]),
                               rng.choice(["u", "v"], p=[.8, .2] if c else [.2, .8]), str(i)]))
    p = tmp_path / "answers.csv"
    p.write_text("p,q,r,id\n" + "\n".join(lines) + "\n")
    window.open_csv(p)
    window.set_model_kind("mixture", "categorical")
    window.select_columns(["p", "q", "r"])
    window.set_options(random_state=0)
    window.open_model_selection()
    dlg = window.selection.dialog
    assert dlg.families() == ("categorical",) and not dlg.type_boxes  # no Gaussian fit of category codes
    dlg, result = _sweep(qtbot, window, n_components=[1, 2, 3])
    assert [r.covariance_type for r in result.table] == ["categorical"] * 3
    best = result.best_row
    assert best.n_components >= 2 and best.bic == min(r.bic for r in result.table if r.eligible)
    assert dlg.selected_row() is best
    dlg.use_selected()
    assert isinstance(window.model, CategoricalMixture) and window.model is best.model
    dlg.close()
