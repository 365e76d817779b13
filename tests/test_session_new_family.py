"""Issue 12: a family defined only in a test reaches the session by ``register_family`` - no change to the
EM loop or to the session's core (the window half is tests/gui/test_new_family_window.py)."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine import MixtureModel
from emdesk.session import Session, _estimators, register_family, registered_families, unregister_family
from tests.engine.test_em_new_family import ExponentialFamily


class ExponentialMixture(MixtureModel):
    """A mixture of independent exponentials per column, written here and nowhere in emdesk."""

    def __init__(self, n_components=1, *, n_init=1, max_iter=100, tol=1e-3, random_state=None):
        super().__init__(ExponentialFamily(), n_components, n_init=n_init, max_iter=max_iter, tol=tol,
                         random_state=random_state)


@pytest.fixture
def exponential_family():
    register_family("mixture", "exponential", ExponentialMixture, label="Exponential (waiting times)",
                    panel_fields=("n_components", "n_init", "max_iter", "tol", "random_state"))
    try:
        yield ExponentialMixture
    finally:
        unregister_family("mixture", "exponential")


def waiting_times_csv(tmp_path, seed=5, n=400):
    rng = np.random.default_rng(seed)
    z = rng.random(n) < 0.4
    w = np.where(z, rng.exponential(1 / 0.5, n), rng.exponential(1 / 6.0, n))
    p = tmp_path / "waits.csv"
    p.write_text("wait,other\n" + "".join(f"{v:.6f},{i % 7}\n" for i, v in enumerate(w)))
    return p, w[:, None]


def test_registered_family_fits_through_the_session(tmp_path, exponential_family):
    path, _ = waiting_times_csv(tmp_path)
    s = Session()
    s.load(path)
    s.choose_columns(["wait"])
    s.set_model_kind("mixture", "exponential")
    s.set_options(n_components=2, random_state=0, max_iter=300, n_init=2, tol=1e-8)
    snaps = list(s.fit_iter())
    assert isinstance(s.model, ExponentialMixture) and snaps[-1].final
    ref = ExponentialMixture(2, random_state=0, max_iter=300, n_init=2, tol=1e-8).fit(s.X)  # the file's values
    assert s.model.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-10)
    np.testing.assert_allclose(np.sort(s.model.rates_[:, 0]), [0.5, 6.0], rtol=0.3)
    assert len(s.history) == len(snaps) > 2


def test_unregistered_family_is_refused_and_builtins_protected(exponential_family):
    assert ("mixture", "exponential") in _estimators()
    assert [f for _, f, _ in registered_families("mixture")] == ["exponential"]
    with pytest.raises(ValueError, match="built-in"):
        register_family("mixture", "gaussian", ExponentialMixture)
    with pytest.raises(ValueError, match="kind"):
        register_family("tree", "exponential", ExponentialMixture)
    with pytest.raises(ValueError, match="fit_iter"):
        register_family("mixture", "other", object)
    unregister_family("mixture", "exponential")
    assert ("mixture", "exponential") not in _estimators()
    with pytest.raises(ValueError, match="Unknown model kind"):
        Session().set_model_kind("mixture", "exponential")
