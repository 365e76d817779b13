"""Model selection for hidden Markov models in the window (issue 12): the model-selection dialog runs
``emdesk.engine.hmm_selection.iter_select_hmm`` on the session's sequences instead of the mixtures'
sweep; for a Poisson or categorical HMM the one "type" is the family. The Model panel's Transition prior
(``transmat_prior``) is every candidate's prior, and the dialog's title names it."""

from __future__ import annotations

import functools

from emdesk.engine.selection import COVARIANCE_TYPES


def hmm_sweep(session, options=None) -> dict:
    """The dialog's ``sweep``/``types`` keywords for the session's kind ({} for mixtures); ``options`` (the
    window's engine options) give the ``transmat_prior`` every candidate is fitted with."""
    if session.kind != "hmm":
        return {}
    from emdesk.engine.hmm_selection import iter_select_hmm

    lengths = session.fit_arguments()["lengths"]
    prior = (options or {}).get("transmat_prior")
    sweep = functools.partial(_hmm_sweep, iter_select_hmm, lengths=lengths, family=session.family,
                              transmat_prior=prior)
    return {"sweep": sweep, "types": COVARIANCE_TYPES if session.family == "gaussian" else (session.family,)}


def _hmm_sweep(iter_select_hmm, *args, **kwargs):
    """``iter_select_hmm`` with the app's GaussianMixture-only defaults (``init_params="emEM"``,
    ``tol``/``reg_covar="relative"``, issue 11) replaced by the HMM sweep's own defaults."""
    for key in ("init_params", "tol", "reg_covar"):
        value = kwargs.get(key)
        if isinstance(value, str) and (value == "emEM" or value.strip().lower().startswith("relative")):
            kwargs.pop(key)
    return iter_select_hmm(*args, **kwargs)


def prior_title(dlg, options) -> None:
    """Name the Transition prior in the dialog's title when one is set (every candidate is fitted with it)."""
    prior = (options or {}).get("transmat_prior")
    if prior is not None:
        text = f"{prior:g}" if isinstance(prior, (int, float)) else "per pair of states"
        dlg.setWindowTitle(f"{dlg.windowTitle()} \u2014 Transition prior: {text}")
