"""The restarts' record in a fit file's ``fit`` block: ``best_restart`` (0-based), ``restart_log_likelihoods``
(one per restart, null for a failed one) and, since this change, ``restart_degenerate`` (one true/false per
restart: its final solution had a collapsed component, the model's ``restart_degenerate_``), so an opened fit
can still say that the restart with the highest log-likelihood collapsed and the best sound one was kept
(:func:`emdesk.engine.em.kept_restart_note`).

Format version 2 is unchanged: the key is optional. A file without it (written before) loads with
``fit_info_["fit"]["restart_degenerate"]`` None; older emdesk versions ignore the key. On reading, the three
values are checked together (DataError through the loader's ``invalid``): numbers, an index of a restart,
true/false values as many as the log-likelihoods.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

#: More restarts than any fit file holds (n_init is at most a few hundred in practice).
MAX_RESTARTS = 100_000


def restart_record(model, jsonable) -> dict:
    """The ``fit`` block's restart keys for ``model`` (``restart_degenerate`` null when the model has none
    of the log-likelihoods' length).  A model opened from a fit file (:func:`emdesk.io.load_fit`) and not
    fitted since has no restarts of its own: its file's record of all the restarts is written again
    (:func:`saved_restarts`), so exporting an opened fit keeps it."""
    own = getattr(model, "restart_log_likelihoods_", None)  # None, or load_fit's stand-in: not fitted since
    saved = saved_restarts(model) if own is getattr(model, "_opened_restarts", None) else None
    if saved is not None:
        model = saved
    lls = np.ravel(np.asarray(getattr(model, "restart_log_likelihoods_", []), dtype=float))
    bad = getattr(model, "restart_degenerate_", None)
    bad = None if bad is None else np.ravel(np.asarray(bad, dtype=bool))
    return {
        "best_restart": int(getattr(model, "best_restart_", 0)),
        "restart_log_likelihoods": jsonable(lls),
        "restart_degenerate": [bool(b) for b in bad] if bad is not None and bad.shape == lls.shape else None,
    }


def read_restart_record(fit: dict, invalid, short) -> dict:
    """The checked restart keys of a file's ``fit`` block: ``restart_log_likelihoods`` a list of floats (None
    for null) or None, ``best_restart`` an int or None, ``restart_degenerate`` a list of bools or None
    (absent). Raises ``invalid(message)`` for anything else."""
    lls = fit.get("restart_log_likelihoods")
    if lls is not None:
        if (not isinstance(lls, list) or not lls or len(lls) > MAX_RESTARTS
                or any(isinstance(v, bool) or not (v is None or isinstance(v, (int, float))) for v in lls)):
            raise invalid(f"fit.restart_log_likelihoods must be a list of numbers (null for a failed restart), "
                          f"found {short(lls)}")
        lls = [None if v is None else float(v) for v in lls]
        if any(v is not None and not math.isfinite(v) for v in lls):
            raise invalid("fit.restart_log_likelihoods must be finite numbers or null")
    best = fit.get("best_restart")
    if best is not None:
        if isinstance(best, bool) or not isinstance(best, int) or best < 0 or (lls is not None and best >= len(lls)):
            n = f" below {len(lls)} (the number of restarts)" if lls is not None else ""
            raise invalid(f"fit.best_restart must be an integer from 0{n}, found {short(best)}")
        if lls is not None and lls[best] is None:  # the kept restart has a solution (the file's model)
            raise invalid(f"fit.best_restart is {best}, a restart whose log-likelihood is null (failed)")
    bad = fit.get("restart_degenerate")
    if bad is not None:
        if not isinstance(bad, list) or not all(isinstance(v, bool) for v in bad):
            raise invalid(f"fit.restart_degenerate must be a list of true/false values, one per restart, "
                          f"found {short(bad) if not isinstance(bad, list) else 'other values'}")
        if lls is None or len(bad) != len(lls):
            have = "no fit.restart_log_likelihoods" if lls is None else f"{len(lls)} restart log-likelihoods"
            raise invalid(f"fit.restart_degenerate has {len(bad)} values for {have}")
    return {"best_restart": best, "restart_log_likelihoods": lls, "restart_degenerate": bad}


#: The fit block's scalars: numbers (null where a value was not finite) and the fit's counts.
FIT_NUMBERS = ("log_likelihood", "mean_log_likelihood", "log_prior", "bic", "aic", "icl")
MAX_ITERATIONS = 2**31 - 1


def read_fit_scalars(fit: dict, invalid, short) -> None:
    """Check the ``fit`` block's scalars as emdesk writes them (each may be absent or null): the statistics in
    :data:`FIT_NUMBERS` numbers, ``n_iter`` and ``n_parameters`` whole numbers >= 0, ``converged`` true/false.
    A file edited by hand with ``"n_iter": "2"``, ``"converged": "no"`` or ``"n_iter": 1e30`` was opened and
    showed nothing, the string's truth or a traceback in the window. Raises ``invalid(message)``."""
    for key in FIT_NUMBERS:
        v = fit.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):  # 1e999: kept as none
            raise invalid(f"fit.{key} must be a number (or null), found {short(v)}")
    for key, top in (("n_iter", MAX_ITERATIONS), ("n_parameters", None)):
        v = fit.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0
                              or (top is not None and v > top)):
            below = f" up to {top:,}" if top is not None else ""
            raise invalid(f"fit.{key} must be a whole number from 0{below} (or null), found {short(v)}")
    v = fit.get("converged")
    if v is not None and not isinstance(v, bool):
        raise invalid(f"fit.converged must be true or false (or null), found {short(v)}")


def saved_restarts(model):
    """The restarts a fit file recorded, read from ``model.fit_info_["fit"]`` (as :func:`emdesk.io.load_fit`
    checked it), as an object with the fitted model's names (``restart_log_likelihoods_`` with -inf for a
    failed restart, ``restart_degenerate_`` or None when the file did not say, ``best_restart_``), or None
    when the model was not opened from a file or the file names no restarts."""
    fit = (getattr(model, "fit_info_", None) or {}).get("fit") or {}
    lls = fit.get("restart_log_likelihoods")
    if not isinstance(lls, list) or not lls:
        return None
    values = np.array([-math.inf if v is None else float(v) for v in lls])
    best = fit.get("best_restart")
    bad = fit.get("restart_degenerate")
    return SimpleNamespace(
        restart_log_likelihoods_=values,
        restart_degenerate_=None if bad is None else np.array(bad, dtype=bool),
        best_restart_=int(best) if isinstance(best, int) and 0 <= best < values.size else int(np.argmax(values)),
        converged_=fit.get("converged"), n_iter_=fit.get("n_iter"))
