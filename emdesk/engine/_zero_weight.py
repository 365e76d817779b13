"""Rows of ``sample_weight`` 0 do not count: they are left out where the weights enter (issue 16's item 4).

A weight of 0 means "this row does not count", so a fit with some weights 0 is the fit on the rows with
positive weight: the same random stream, the same checks (standardisation, constant columns, the number
of rows with data) and the same result.  Leaving the rows in and multiplying by 0 is not the same: a row
holding 1e200 squares to inf and 0 x inf is NaN, and every fit failed with a misleading message.

:func:`positive_rows` is called once at each entry that takes weights (``GaussianMixture.fit_iter`` and
its criteria, ``select_model``, ``bootstrap``); data without a zero weight pass through untouched (no
copy, the same bits as before).  With zero weights, the fit reads a copy of the positive rows (memory:
``n_positive x d`` floats beyond the fit's own budget).  The zero-weight rows still get answers after the
fit: ``predict``/``predict_proba``/``score_samples`` score any row, and the snapshots' responsibilities
(``fit_iter(responsibilities=True)``) cover every row of X, the left-out rows scored by the snapshot's
parameters (:class:`LeftOutRows`)."""

from __future__ import annotations

import numpy as np

__all__ = ["positive_rows", "scored_rows", "LeftOutRows"]


def positive_rows(X, w):
    """``(X, w, left_out)``: the rows of checked ``X`` (n, d) with positive weight in checked ``w`` (n,)
    (``check_sample_weight``) and their weights; ``left_out`` is None when every weight is positive (``X``
    and ``w`` returned as given, no copy), else a :class:`LeftOutRows` of the caller's ``X``."""
    if w is None:
        return X, w, None
    keep = w > 0
    if keep.all():
        return X, w, None
    return X[keep], w[keep], LeftOutRows(X, keep)


def scored_rows(est, X, sample_weight):
    """``(X, w)`` for a fitted mixture's weighted criteria: ``X`` as given and None without weights, else
    the checked rows of positive weight and their weights (ValueError for bad weights or X)."""
    if sample_weight is None:
        return X, None
    from . import _validation as V

    est._check_fitted()
    X = V.check_array(X, est.missing, n_features=est.n_features_in_)
    X, w, _ = positive_rows(X, V.check_sample_weight(sample_weight, X.shape[0]))
    return X, w


class LeftOutRows:
    """The rows of weight 0 of the caller's ``X`` (held by reference) and where the fitted rows go."""

    def __init__(self, X, keep):
        self.X = X
        self.n = X.shape[0]
        self.kept = np.flatnonzero(keep)
        self.left = np.flatnonzero(~keep)

    def responsibilities(self, resp, weights, means, covariances, covariance_type, missing):
        """``(n, k)`` read-only responsibilities of every row of X: ``resp`` (the fitted rows') in
        place, the left-out rows' from the parameters (user units, ``covariance_type`` their layout:
        full, tied, diag or spherical) as ``predict_proba`` gives them; the mixing weights where those
        parameters cannot be scored (a restart's failing start)."""
        from .gaussian import GaussianMixture

        out = np.empty((self.n, resp.shape[1]))
        out[self.kept] = resp
        try:
            model = GaussianMixture.from_parameters(weights, means, covariances, covariance_type, missing=missing)
            with np.errstate(all="ignore"):  # a far row's densities underflow; predict_proba handles it
                out[self.left] = model.predict_proba(self.X[self.left])
        except ValueError:
            out[self.left] = weights
        out.flags.writeable = False
        return out
