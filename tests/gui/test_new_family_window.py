"""Issue 12, the window half: a family defined only in this test (an exponential mixture) is registered
with ``emdesk.session.register_family`` and the window lists it, fits it through its worker, draws it and
keeps its timeline - with no change to the EM loop or the window's core."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine import MixtureModel
from emdesk.session import register_family, unregister_family
from tests.engine.test_em_new_family import ExponentialFamily

FIT_TIMEOUT = 20_000
LABEL = "Exponential (waiting times)"


class ExponentialMixture(MixtureModel):
    """A mixture of independent exponentials per column, written here and nowhere in emdesk."""

    def __init__(self, n_components=1, *, n_init=1, max_iter=100, tol=1e-3, random_state=None):
        super().__init__(ExponentialFamily(), n_components, n_init=n_init, max_iter=max_iter, tol=tol,
                         random_state=random_state)


@pytest.fixture
def exponential_family():
    register_family("mixture", "exponential", ExponentialMixture, label=LABEL,
                    panel_fields=("n_components", "n_init", "max_iter", "tol", "random_state"))
    try:
        yield ExponentialMixture
    finally:
        unregister_family("mixture", "exponential")


@pytest.fixture
def waits_csv(tmp_path):
    rng = np.random.default_rng(11)
    n = 400
    z = rng.random(n) < 0.4
    a = np.where(z, rng.exponential(1 / 0.5, n), rng.exponential(1 / 6.0, n))
    b = np.where(z, rng.exponential(1 / 0.3, n), rng.exponential(1 / 4.0, n))
    p = tmp_path / "waits.csv"
    p.write_text("a,b\n" + "".join(f"{x:.6f},{y:.6f}\n" for x, y in zip(a, b)))
    return p


def test_registered_family_in_the_window(qtbot, exponential_family, window, waits_csv):
    window.open_csv(waits_csv)
    pp = window.params_panel
    window.set_model_kind("mixture", "gaussian")
    labels = [pp.family.itemText(i) for i in range(pp.family.count())]
    assert labels[0] == "Gaussian" and labels[-1] == LABEL  # the combo lists the registered family
    pp.family.setCurrentIndex(len(labels) - 1)  # the user picks it
    assert (window.session.kind, window.session.family) == ("mixture", "exponential")
    assert not pp.covariance_type.isVisible() and not pp.reg_covar.isVisible() and pp.n_init.isVisible()
    window.select_columns(["a", "b"])
    window.set_options(n_components=2, random_state=0, max_iter=200, n_init=2, tol=1e-8)
    with qtbot.waitSignal(window.fitFinished, timeout=FIT_TIMEOUT):
        window.start_fit()
    m = window.model
    assert isinstance(m, ExponentialMixture)
    ref = ExponentialMixture(2, random_state=0, max_iter=200, n_init=2, tol=1e-8).fit(window.session.X)
    assert m.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-10)
    hist = window.history
    assert len(hist) > 2 and hist[-1].final
    # the log-likelihood trace: every snapshot of every restart
    traced = sum(len(c.getData()[0]) for c in window.trace._curves)
    assert traced == len(hist)
    # the points coloured by the fitted model's responsibilities (no ellipses: the family has none)
    from emdesk.gui.geometry import responsibility_color_ids

    view = window.views.plot_2d
    assert window.plot_stack.currentWidget() is view
    want = responsibility_color_ids(m.predict_proba(window.session.X_display), 2)
    np.testing.assert_array_equal(view.points._ids, want)
    assert len(set(want.tolist())) > 1
    # an earlier iteration is drawn from its snapshot
    window.timeline.set_index(0)
    qtbot.waitUntil(lambda: window._shown_index == 0, timeout=5000)
    window.timeline.set_index(len(hist) - 1)
    qtbot.waitUntil(lambda: window._shown_index == len(hist) - 1, timeout=5000)
