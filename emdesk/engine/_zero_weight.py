"""Rows of ``sample_weight`` 0 do not count: they are left out where the weights enter (issue 16's item 4).

A weight of 0 means "this row does not count", so a fit with some weights 0 is the fit on the rows with
positive weight: the same random stream, the same checks (standardisation, constant columns, the number
of rows with data) and the same result.  Leaving the rows in and multiplying by 0 is not the same: a row
holding 1e200 squares to inf and 0 x inf is NaN, and every fit failed with a misleading message.

:func:`positive_rows` is called once at each entry that takes weights (``GaussianMixture.fit_iter`` and
its criteria, ``select_model``, ``bootstrap``); data without a zero weight pass through untouched (no
copy, the same bits as before).  With zero weights, the fit reads the positive rows in place through
:class:`PositiveRows` (one row number per positive row; each block of rows the fit asks for is gathered when
it is read): before the eighth session it read a copy of them (``n_positive x d`` floats beyond the fit's
own budget).  Since the ninth session the weighted criteria (:func:`scored_rows`, what ``select_model`` scores
each fit with) and ``bootstrap`` read them in place too, and a mixture's bootstrap resample is read through its
row numbers (:func:`take_rows`).  The zero-weight rows are never read, so whatever they hold (1e200, inf, NaN) cannot reach a
sum.  The zero-weight rows still get answers after the
fit: ``predict``/``predict_proba``/``score_samples`` score any row, and the snapshots' responsibilities
(``fit_iter(responsibilities=True)``) cover every row of X, the left-out rows scored by the snapshot's
parameters (:class:`LeftOutRows`)."""

from __future__ import annotations

import numpy as np

__all__ = ["positive_rows", "scored_rows", "take_rows", "row_numbers", "LeftOutRows", "PositiveRows", "nan_mask"]


def positive_rows(X, w):
    """``(X, w, left_out)``: the rows of checked ``X`` (n, d) with positive weight in checked ``w`` (n,)
    (``check_sample_weight``) and their weights; ``left_out`` is None when every weight is positive (``X``
    and ``w`` returned as given, no copy), else a :class:`LeftOutRows` of the caller's ``X``."""
    if w is None:
        return X, w, None
    keep = w > 0
    if keep.all():
        return X, w, None
    left_out = LeftOutRows(X, keep)
    return take_rows(X, left_out.kept), w[keep], left_out


def row_numbers(idx, n):
    """Row numbers ``idx`` of an array of ``n`` rows as 4-byte integers below 2^31 rows (else ``intp``)."""
    return np.asarray(idx).astype(np.int32 if n < 2 ** 31 else np.intp, copy=False)


def take_rows(X, idx):
    """``X[idx]`` read in place: a :class:`PositiveRows` of the (n, d) float array ``X`` (or of the array
    under ``X`` when ``X`` is one already: its row numbers composed, never a view of a view).  ``idx``: row
    numbers of ``X`` in any order, repeats allowed (a bootstrap resample)."""
    if isinstance(X, PositiveRows):
        return PositiveRows(X.X, X.rows[idx])
    return PositiveRows(X, row_numbers(idx, X.shape[0]))


def scored_rows(est, X, sample_weight):
    """``(X, w)`` for a fitted mixture's weighted criteria: ``X`` as given and None without weights, else
    the checked rows of positive weight and their weights (ValueError for bad weights or X)."""
    if sample_weight is None:
        return X, None
    from . import _validation as V

    est._check_fitted()
    X = V.check_array(X, est.missing, n_features=est.n_features_in_)
    w = V.check_sample_weight(sample_weight, X.shape[0])
    keep = w > 0
    if keep.all():
        return X, w
    return take_rows(X, np.flatnonzero(keep)), w[keep]  # read in place (ninth session: a copy before)


class PositiveRows:
    """The rows ``rows`` (row numbers: increasing for the positive rows, in any order and repeated for a
    bootstrap resample, :func:`take_rows`) of a 2-D float array ``X``, read in place: what the fit and the
    scorers read instead of ``X[rows]`` (no copy of the rows; issue 16).  ``P[a:b]``, ``P[idx]`` (integers
    or a boolean mask over these rows), ``P[a:b, cols]`` and ``P[:, j]`` give what the same key gives on
    ``X[rows]``: the rows asked for are gathered then (a block's copy).  ``np.asarray(P)`` makes the whole
    copy (only what still reads the data whole does that).  ``check_array`` takes it as it is."""

    ndim = 2

    def __init__(self, X, rows):
        self.X = X
        self.rows = rows
        self.dtype = X.dtype
        self.itemsize = X.itemsize
        self.shape = (int(rows.size), int(X.shape[1]))
        self.size = self.shape[0] * self.shape[1]
        self.nbytes = self.size * self.itemsize
        # as a C-ordered array's: readers that copy a column then gather it in row chunks
        self.strides = (self.shape[1] * self.itemsize, self.itemsize)

    def __len__(self):
        return self.shape[0]

    def sub(self, s, e):
        """The rows ``s:e`` of these rows, read in place too (a pass's shard: nothing gathered yet)."""
        return PositiveRows(self.X, self.rows[s:e])

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            # np.take: the same rows as X[rows[key]], gathered 5-7x faster (1e6 x 3 rows, 65,536 random row
            # numbers: 1.8 against 13.3 ms; fancy indexing's general loop per row)
            return np.take(self.X, self.rows[key], axis=0)
        if len(key) != 2:
            raise IndexError(f"PositiveRows takes [rows] or [rows, columns]; got {key!r}.")
        r, c = key
        idx = self.rows[r]
        if np.ndim(idx) == 0 or isinstance(c, slice) or np.ndim(c) == 0:
            return self.X[idx, c]
        if isinstance(r, slice):  # a slice of rows and a list of columns: every pair, as NumPy's outer indexing
            return self.X[idx][:, c]
        return self.X[idx, c]  # two index arrays: paired, as NumPy

    def __array__(self, dtype=None, copy=None):
        out = self.X[self.rows]
        return out if dtype is None else out.astype(dtype, copy=False)


def nan_mask(X, step=1 << 14):
    """``np.isnan(X)`` of an (n, d) array or :class:`PositiveRows`, made in row blocks (no float copy)."""
    out = np.empty(X.shape, dtype=bool)
    for s in range(0, X.shape[0], step):
        np.isnan(X[s:s + step], out=out[s:s + step])
    return out


class LeftOutRows:
    """The rows of weight 0 of the caller's ``X`` (held by reference) and where the fitted rows go."""

    def __init__(self, X, keep):
        self.X = X
        self.n = X.shape[0]
        # row numbers of 4 bytes below 2**31 rows (what PositiveRows reads the fit's rows through)
        kind = np.int32 if self.n < 2 ** 31 else np.intp
        self.kept = np.flatnonzero(keep).astype(kind, copy=False)
        self.left = np.flatnonzero(~keep).astype(kind, copy=False)

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
