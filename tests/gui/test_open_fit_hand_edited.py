"""File > Open Fit of a fit file edited by hand or written without a ``fit`` block: the window never shows
"nan" for a value the file does not give (the status bar said "log-likelihood nan")."""

from __future__ import annotations

import json

import numpy as np

from emdesk.engine import GaussianMixture
from emdesk.io import save_fit


def _files(tmp_path):
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(5, 1, (40, 2))])
    csv = tmp_path / "d.csv"
    csv.write_text("a,b\n" + "".join(f"{x:.17g},{y:.17g}\n" for x, y in X))
    gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    save_fit(tmp_path / "f.json", gm, X, columns=["a", "b"])
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
