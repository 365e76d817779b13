"""Scale-free settings: ``reg_covar`` and ``tol`` stated relative to the data (issue 11).

A number keeps scikit-learn's meaning (``reg_covar``: a variance in the user's units added to
every covariance's diagonal; ``tol``: a change of the mean log-likelihood per row).  The string
``"relative"`` (or ``"relative:<r>"``, e.g. ``"relative:1e-4"``) states the setting relative to
the data instead, so that a fit does not change when the user changes units:

``reg_covar="relative"``
    ``r`` (default :data:`RELATIVE_REG_COVAR`, 1e-6) times the data's own covariance is added
    to every covariance: for full and tied covariances the data's covariance matrix (so the
    regularised fit is equivariant under every invertible linear map of the data, not only
    under rescaling each feature), for diag each feature's variance, for spherical the mean
    per-feature variance.  A direction in which the data have no variance at all (a constant
    column, exactly linearly dependent columns) gets ``r`` times the variance of one
    standardised unit there (a constant column: ``r`` in its own units, as a numeric
    ``reg_covar=r`` gives), so covariances stay positive definite.  With missing values (exact
    EM, ``missing="marginalize"``) full and tied fits use each feature's variance (the diagonal).
``tol="relative"``
    mclust's criterion: EM stops when the change of the total log-likelihood ``l`` satisfies
    ``|l_t - l_(t-1)| <= r (1 + |l_t + o|)``, ``r`` default :data:`RELATIVE_TOL` = 1e-5
    (mclust's ``emControl()$tol[1]``; mclust 6.0.0's ``emControl`` documentation).  mclust uses
    ``o = 0``; but a log-likelihood of continuous data depends on the units (it changes by
    ``n log|det M|`` for ``X @ M``), so the criterion would stop at other iterations in other
    units.  Here ``o = n/2 log det(Sigma)``, ``Sigma`` the data's covariance (its diagonal for
    diag, spherical and missing-value fits): ``l + o`` is the log-likelihood in the data's own
    standardised units (about ``-1.42 n d`` for one Gaussian), the same in every unit system.  For
    faithful (272 rows, 2 columns) this stops when the log-likelihood changes by less than about
    0.008 (the per-row default 1e-3 of scikit-learn stopped faithful's EEE,3 0.1 short, issue 11).
"""

from __future__ import annotations

import math
import numbers

__all__ = ["RELATIVE_REG_COVAR", "RELATIVE_TOL", "relative_amount", "check_setting", "describe",
           "absolute_reg_covar", "own_defaults", "APP_DEFAULTS", "APP_N_INIT"]

#: ``reg_covar="relative"``: this fraction of the data's covariance.
RELATIVE_REG_COVAR = 1e-6
#: ``tol="relative"``: mclust's relative change of the log-likelihood (emControl()$tol[1]).
RELATIVE_TOL = 1e-5

_DEFAULTS = {"reg_covar": RELATIVE_REG_COVAR, "tol": RELATIVE_TOL}

#: The settings the app (Model panel), ``select_model`` and ``emdesk-fit`` use for a Gaussian mixture
#: (issue 11): emEM restarts, mclust's relative tolerance, a ridge relative to the data, 1000 iterations.
#: Other estimators get their own defaults for the first three (:func:`own_defaults`).  The engine's
#: ``GaussianMixture()`` keeps scikit-learn's (kmeans++, tol=1e-3, max_iter=100).
APP_DEFAULTS = {"init_params": "emEM", "tol": "relative", "reg_covar": "relative", "max_iter": 1000}
#: Restarts per fit in the app's Model panel, ``select_model`` and ``emdesk-fit`` (every model kind).
APP_N_INIT = 5


def _bad(name, value):
    return ValueError(
        f"{name} must be a finite number >= 0 (scikit-learn's meaning) or \"relative\" / "
        f"\"relative:<number>\" (relative to the data, e.g. \"relative:1e-4\"); got {value!r}.")


def relative_amount(value, name):
    """``r`` of a relative setting (``"relative"`` -> the default of ``name``), None for a number.
    ValueError for anything else (names the keyword)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "relative":
            return _DEFAULTS[name]
        if text.startswith("relative:"):
            try:
                r = float(text.split(":", 1)[1])
            except ValueError:
                raise _bad(name, value) from None
            if not (math.isfinite(r) and r >= 0):
                raise _bad(name, value)
            return r
        raise _bad(name, value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise _bad(name, value)
    return None


def check_setting(value, name):
    """Validate ``reg_covar`` / ``tol`` (a number >= 0 or a relative string); returns the value."""
    relative_amount(value, name)
    return value


def absolute_reg_covar(value, data_variances):
    """The variance added per feature in the user's units, ``(d,)``: a number as it is, a relative
    setting ``r`` times each feature's variance (a feature without variance: ``r``)."""
    import numpy as np

    dv = np.asarray(data_variances, dtype=float).reshape(-1)
    r = relative_amount(value, "reg_covar")
    if r is None:
        return np.full(dv.shape, float(value))
    return r * np.where(np.isfinite(dv) & (dv > 0), dv, 1.0)


def describe(value, name):
    """For messages: ``"1e-06"`` or ``"relative (1e-06 x the data's covariance)"``."""
    r = relative_amount(value, name)
    if r is None:
        return f"{float(value):g}"
    what = "the data's covariance" if name == "reg_covar" else "(1 + |log-likelihood|)"
    return f"relative ({r:g} x {what})"


def own_defaults(cls, keywords: dict) -> dict:
    """``keywords`` for the estimator ``cls``: the Gaussian mixture's settings ``init_params="emEM"``,
    ``tol``/``reg_covar`` ``"relative"`` (the app's and select_model's defaults, issue 11) are
    GaussianMixture's; for any other estimator each such keyword gets that estimator's own default (or is
    left out when it has none).  Other keywords are returned as given."""
    import inspect

    from .gaussian import GaussianMixture

    if isinstance(cls, type) and issubclass(cls, GaussianMixture):
        return dict(keywords)
    params = inspect.signature(cls.__init__).parameters
    out = dict(keywords)
    for key in ("init_params", "tol", "reg_covar"):
        value = out.get(key)
        if isinstance(value, str) and (value == "emEM" or value.strip().lower().startswith("relative")):
            default = params[key].default if key in params else inspect.Parameter.empty
            if default is inspect.Parameter.empty:
                out.pop(key)
            else:
                out[key] = default
    return out
