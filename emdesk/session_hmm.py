"""Qt-free helpers of the session for hidden Markov models (issue 12): a fitted HMM as the one frozen
state of a timeline, and the width of the rows a model scores. Kept apart from ``session.py`` so that the
mixture's code paths stay as they are."""

from __future__ import annotations

import numpy as np


def is_hmm(model) -> bool:
    return hasattr(model, "transmat_") and hasattr(model, "_get_family_params")


def model_width(model) -> int:
    """Number of data columns ``model`` scores (mixtures: ``means_``'s second axis, or ``n_features_in_``
    for the families without means; HMMs: their ``n_features_in_``, 1 for a categorical HMM's one column of
    symbols)."""
    if is_hmm(model):
        sparams, fparams = model._state()  # validates, sets n_features_in_
        return 1 if type(model).__name__ == "CategoricalHMM" else int(model.n_features_in_)
    if not hasattr(model, "means_") and hasattr(model, "n_features_in_"):  # Poisson, latent class mixtures
        return int(model.n_features_in_)
    return int(np.asarray(model.means_).shape[1])


def first_parameter(model):
    """The array a snapshot keeps in ``means`` for ``model`` (an HMM family's first parameter)."""
    if is_hmm(model):
        fam = model._family()
        return np.asarray(model._get_family_params()[fam.param_names[0]])
    from emdesk.families_data import first_parameter as mixture_first_parameter

    first = mixture_first_parameter(model)  # means; Poisson: lambdas; latent class: probs
    return None if first is None else np.asarray(first)


def hmm_state_snapshot(model, X, lengths):
    """A fitted HMM as a final :class:`~emdesk.engine.Snapshot` (structure "markov"): its start and
    transition probabilities, family parameters and, as ``weights``, the states' expected occupancy
    fractions on ``X`` (posteriors summed over the rows, as the engine's own snapshots have them).
    ``X``: (n, d) rows in fit order; ``lengths``: rows per sequence or None."""
    from emdesk.engine.snapshot import Snapshot, frozen_copy

    sparams, fparams = model._state()
    fam = model._family()
    post = np.asarray(model.predict_proba(X, lengths))
    occ = post.sum(axis=0)
    weights = occ / occ.sum() if occ.sum() > 0 else np.full(len(occ), 1.0 / len(occ))
    from emdesk.engine._markov_run import empty_rows

    # each state's time steps with an observed value: its points, as the engine's snapshots count them
    seen = occ - post[empty_rows(X)].sum(axis=0)
    names = fam.param_names
    ll = float(getattr(model, "log_likelihood_", np.nan))
    n = float(X.shape[0])
    return Snapshot(
        restart=0, n_init=1, iteration=int(getattr(model, "n_iter_", 0)), weights=frozen_copy(weights),
        means=frozen_copy(fparams[names[0]]),
        covariances=frozen_copy(fparams[names[1]]) if len(names) > 1 else None,
        covariance_type=getattr(fam, "covariance_type", fam.name), log_likelihood=ll,
        lower_bound=ll / n if n else np.nan, change=np.nan, converged=bool(getattr(model, "converged_", False)),
        final=True, issues=tuple(getattr(model, "degeneracies_", ())), n_samples=n,
        missing=getattr(model, "missing", "error"), structure="markov", family=fam.name,
        startprob=frozen_copy(sparams["startprob"]), transmat=frozen_copy(sparams["transmat"]),
        params={k: frozen_copy(v) for k, v in fparams.items()}, model_params=model.get_params(),
        observed_occupancy=frozen_copy(np.maximum(seen, 0.0)),
    )


def family_state_snapshot(model, n_samples: float):
    """A fitted Student-t, Poisson, latent class or mixed mixture (a structure x family model) as the one
    final :class:`~emdesk.engine.Snapshot` of a timeline, as the engine's own snapshots of such a fit hold it
    (``means``/``covariances`` the family's first and second parameters, ``params`` all of them), so the
    views draw it and ``to_model`` rebuilds it (e.g. a model chosen in model selection)."""
    from emdesk.engine.snapshot import Snapshot, frozen_copy

    sparams, fparams = model._state()
    fam = model._family()
    names = fam.param_names
    ll = float(getattr(model, "log_likelihood_", np.nan))
    n = float(n_samples)
    return Snapshot(
        restart=0, n_init=1, iteration=int(getattr(model, "n_iter_", 0)), weights=frozen_copy(sparams["weights"]),
        means=frozen_copy(fparams[names[0]]),
        covariances=frozen_copy(fparams[names[1]]) if len(names) > 1 else None,
        covariance_type=getattr(fam, "covariance_type", fam.name), log_likelihood=ll,
        lower_bound=ll / n if n else np.nan, change=np.nan, converged=bool(getattr(model, "converged_", False)),
        final=True, issues=tuple(getattr(model, "degeneracies_", ())), n_samples=n,
        missing=getattr(model, "missing", "error"), structure="mixture", family=fam.name,
        params={k: frozen_copy(v) for k, v in fparams.items()}, model_params=model.get_params(),
    )
