"""A fit whose log-likelihood fell: the one plain sentence the window and ``emdesk-fit`` show.

EM never lowers the log-likelihood (Dempster, Laird & Rubin 1977), save where ``reg_covar``
holds a variance up: the M-step then adds the ridge to the variance that maximises the
likelihood, so the step can go down (README, "Monotone ECM" and the degeneracy section).  A
constant column is not such a case: its variance stays at ``reg_covar``, with missing cells too
(the ridge goes where the data were observed, :mod:`emdesk.engine._missing`; before 1 Dec 2026 it
was added twice to the missing cells, the column settled at ``reg_covar / (1 - f)`` and the
log-likelihood fell by about ``n_obs / 2 log(1 / (1 - f))``, which this module then named).  The
fit records how far its final log-likelihood is below the highest of the kept restart as
``log_likelihood_fall_`` (total, >= 0; :func:`emdesk.engine.em.run_em`); :func:`fall_message`
turns it into a sentence with the reason and the fix, so that "Converged" is never said over a
falling trace without a word.
"""

from __future__ import annotations

import math

__all__ = ["FALL_RELATIVE", "fell", "fall_message", "map_prior"]

#: A fall counts when it is above this fraction of (1 + |log-likelihood|): rounding of the sums
#: over rows moves a converged log-likelihood by about 1e-15 relative, far below.
FALL_RELATIVE = 1e-9


def fell(model) -> float:
    """The fitted ``model``'s fall of the total log-likelihood (0.0 when it did not fall, or
    when the model carries no record of it, e.g. loaded from a file)."""
    fall = float(getattr(model, "log_likelihood_fall_", 0.0) or 0.0)
    ll = float(getattr(model, "log_likelihood_", 0.0) or 0.0)
    if not math.isfinite(fall) or not math.isfinite(ll) or fall <= FALL_RELATIVE * (1.0 + abs(ll)):
        return 0.0
    return fall


def map_prior(model) -> bool:
    """Whether ``model`` is an HMM fitted with a Dirichlet prior other than 1 (``transmat_prior`` or
    ``startprob_prior``): its EM raises the log-likelihood plus the prior's log density (hmmlearn's MAP
    update), not the log-likelihood alone, which may then fall (measured: prior 40 on a two-regime series,
    a fall of 0.028; a 2 x 2 prior 5,1;1,5, 2e-6 to 5e-5)."""
    import numpy as np

    for name in ("transmat_prior", "startprob_prior"):
        prior = getattr(model, name, None) if hasattr(model, "transmat_") else None
        if prior is not None:
            try:
                if not np.all(np.asarray(prior, dtype=float) == 1.0):
                    return True
            except (TypeError, ValueError):
                return True
    return False


def fall_message(model) -> str | None:
    """One sentence saying that the fitted ``model``'s log-likelihood fell, why and what to do,
    or None when it did not fall: the components (HMM: states) that ``reg_covar`` holds at the
    variance floor (``degeneracies_``) when there are any, else the general sentence."""
    fall = fell(model)
    if not fall:
        return None
    n = float(getattr(model, "n_samples_", 0.0) or 0.0)
    per_row = f" ({fall / n:.3g} per row)" if n > 0 else ""
    head = f"The log-likelihood fell by {fall:.4g}{per_row} over the fit"
    floors = sorted({int(i.component) for i in getattr(model, "degeneracies_", None) or ()
                     if getattr(i, "kind", "") == "variance_floor"})
    if floors:  # components at the floor: the ridge is what holds them up
        what = "states" if hasattr(model, "transmat_") else "components"
        listed = ", ".join(str(c + 1) for c in floors)
        return (f"{head} because reg_covar holds the variance of {what[:-1] if len(floors) == 1 else what} "
                f"{listed} up (at its floor): either {'it has' if len(floors) == 1 else 'they have'} collapsed (fit "
                f"fewer {what}, or use the fixes offered for the collapse) or reg_covar is large for these data "
                f"(lower it).")
    if map_prior(model):  # expected: the prior's update does not raise the log-likelihood alone
        return (f"{head}: with a transition prior EM raises the log-likelihood plus the prior's log density "
                "(a MAP estimate), not the log-likelihood alone, so it may fall; a prior of 1 fits by maximum "
                "likelihood.")
    return (f"{head}, which EM does not do unless reg_covar holds a variance up; lower reg_covar and run "
            "again, and report the data if it still falls.")
