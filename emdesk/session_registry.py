"""The model kinds a :class:`emdesk.session.Session` can fit: the built-in estimators and the families
:func:`register_family` adds (offered by the window's Model panel).  Split from :mod:`emdesk.session`, which
re-exports these names."""

from __future__ import annotations

_REGISTERED: dict = {}  # (kind, family) -> {"estimator", "label", "panel_fields"}: register_family's entries


def register_family(kind: str, family: str, estimator_class, *, label: str | None = None,
                    panel_fields=None) -> None:
    """Make a new emission family fittable by a session and offered by the window's Model panel.

    ``kind`` is "mixture" or "hmm"; ``family`` the name the session uses (``set_model_kind(kind, family)``);
    ``estimator_class`` an estimator with the engine's interface (``fit_iter(X, **fit_arguments)`` yielding
    Snapshots, fitted ``log_likelihood_``; usually a subclass of ``emdesk.engine.MixtureModel`` or
    ``HiddenMarkovModel`` built on a family object, see docs/INTERFACES.md); its keywords are the options a
    fit can pass. ``label`` is the family combo's text (default: ``family``); ``panel_fields`` the Model panel
    fields it uses (``emdesk.gui.kinds`` names; default: the common ones without covariance fields).
    ValueError for an unknown kind or a family name a built-in family already uses."""
    if kind not in ("mixture", "hmm"):
        raise ValueError(f"Unknown model kind {kind!r}: 'mixture' or 'hmm'.")
    if (kind, family) in _builtin_estimators():
        raise ValueError(f"{kind}/{family} is a built-in family; register the new one under another name.")
    if not callable(getattr(estimator_class, "fit_iter", None)):
        raise ValueError(f"{estimator_class!r} has no fit_iter: it is not an engine estimator.")
    _REGISTERED[(kind, family)] = {"estimator": estimator_class, "label": label or family,
                                   "panel_fields": None if panel_fields is None else tuple(panel_fields)}


def unregister_family(kind: str, family: str) -> None:
    """Remove a family ``register_family`` added (nothing happens when it is not registered)."""
    _REGISTERED.pop((kind, family), None)


def registered_families(kind: str) -> list:
    """[(label, family, panel_fields or None)] of the families ``register_family`` added for ``kind``."""
    return [(v["label"], f, v["panel_fields"]) for (k, f), v in _REGISTERED.items() if k == kind]


def _builtin_estimators() -> dict:
    from emdesk.engine import (CategoricalHMM, CategoricalMixture, GaussianHMM, GaussianMixture, MixedMixture,
                               PoissonHMM, PoissonMixture, StudentTMixture)

    return {("mixture", "gaussian"): GaussianMixture, ("hmm", "gaussian"): GaussianHMM,
            ("hmm", "poisson"): PoissonHMM, ("hmm", "categorical"): CategoricalHMM,
            ("mixture", "student_t"): StudentTMixture, ("mixture", "poisson"): PoissonMixture,
            ("mixture", "categorical"): CategoricalMixture, ("mixture", "mixed"): MixedMixture}


def _estimators() -> dict:
    """(kind, family) -> estimator class: the model kinds a session can fit (built-in and registered)."""
    return _builtin_estimators() | {key: v["estimator"] for key, v in _REGISTERED.items()}


def _keywords(cls) -> set:
    import inspect

    return {n for n, p in inspect.signature(cls.__init__).parameters.items() if n != "self"}
