"""File > Open Fit of a fit file edited by hand or written without a ``fit`` block: the window never shows
"nan" for a value the file does not give (the status bar said "log-likelihood nan")."""

from __future__ import annotations

import json

import numpy as np

from emdesk.engine import GaussianMixture
from emdesk.io import load_table, save_fit


def _files(tmp_path):
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(5, 1, (40, 2))])
    csv = tmp_path / "d.csv"
    csv.write_text("a,b\n" + "".join(f"{x:.17g},{y:.17g}\n" for x, y in X))
    gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    save_fit(tmp_path / "f.json", gm, X, columns=["a", "b"], table=load_table(csv))
    doc = json.loads((tmp_path / "f.json").read_text())
    del doc["fit"]
    (tmp_path / "nofit.json").write_text(json.dumps(doc))
    return csv, gm


def test_a_fit_file_without_its_log_likelihood_shows_none_not_nan(qtbot, window, tmp_path):
    csv, gm = _files(tmp_path)
    window.open_csv(csv)
    window.select_columns(["a", "b"])
    window.open_fit(tmp_path / "f.json")
    assert window.status_ll.text() == f"log-likelihood {gm.log_likelihood_:,.2f}"
    window.open_fit(tmp_path / "nofit.json")
    assert window.model is not None and np.allclose(window.model.means_, gm.means_)
    assert window.status_ll.text() == "log-likelihood -"


def test_a_fit_shown_on_other_data_does_not_show_the_saved_log_likelihood(qtbot, window, tmp_path):
    # the warning says the log-likelihood is of these rows; the status bar showed the file's (of other rows)
    csv, gm = _files(tmp_path)
    rows = csv.read_text().splitlines()
    csv.write_text("\n".join(rows[:41]) + "\n")  # the file edited since: 40 of its 80 rows
    window.open_csv(csv)
    window.select_columns(["a", "b"])
    window.open_fit(tmp_path / "f.json")
    assert "These are not the data the fit was saved from" in window.message_bar.label.text()
    assert window.status_ll.text() == "log-likelihood -"
    assert np.allclose(window.model.means_, gm.means_)
    summary = window.results.panel.text()
    assert f"{gm.log_likelihood_:.3f}" not in summary  # the Results panel gives these rows' own
