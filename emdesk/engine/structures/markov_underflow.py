"""What the scaled forward-backward's values below the normal range of doubles can cost: a bound on the
change of any posterior (and of the log-likelihood), used by :func:`.markov._fb_checked` to send the data
to the log-space recursions of :mod:`.markov_logspace` where the bound is not small.  NumPy only.

Why.  Rabiner's scaling (1989, section V.A) keeps every row's shares in [0, 1], but the unnormalised
values of one step, ``f_t(j) = (alpha_hat_{t-1} A)_j b_t(j)`` (forward), ``g_t(i) = sum_l A_il b_{t+1}(l)
beta_{t+1}(l)`` (backward) and the products ``b_t(j) beta_t(j)`` and ``alpha_t(j) beta_t(j)`` that
the expected transitions and the posteriors are made of, can fall below the least normal double
(2.2e-308).  There they keep only a few digits (an absolute error of up to 2^-1075 each), and a
normalisation by a small row total then makes that error large: found by hypothesis (1 Dec 2026,
tests/engine/test_hmm_subnormal_xi.py), a state whose emission was 732 below the row's largest
(``b = e^-732``, subnormal, 3e-6 relative error) and whose rival's predicted share was 1.5e-224, so
that the state's share became 5e-95 with 3e-6 relative error and then carried every path at the next
row: expected transitions 2e-7 relative off, log-likelihood 3e-6 off.  A normal ``f``, ``g`` or
product is exact to a few ulps (its terms are at most 1, so their subnormal parts add at most
``k 2^-1075``), so only the values below the normal range need a bound.

The bound.  A relative error ``delta`` in the forward value of state j at row t is the same as
multiplying ``b_t(j)`` by ``1 + delta`` for the rows after it (the backward variables do not read it),
which changes the probability of any event (a posterior ``gamma_s(i)``, a transition ``xi_s(i, l)``)
by at most ``delta gamma_t(j)`` and the log-likelihood by at most that too.  With ``f = alpha_t(j)
c_t`` (``c_t`` the row's scale, ``alpha`` and ``beta`` rows normalised) and ``gamma_t(j) = alpha_t(j)
beta_t(j) / <alpha_t, beta_t>``:

* forward: ``delta gamma_t(j) <= (k + 2) 2^-1074 beta_t(j) / (c_t <alpha_t, beta_t>)``;
* backward, likewise with ``g = beta_t(i) s_t`` (``s_t`` the backward row total):
  ``(k + 2) 2^-1074 alpha_t(i) / (s_t <alpha_t, beta_t>)``;
* the expected transitions' own products ``u = b_t(j) beta_t(j)`` (one rounding): ``xi_t(., j)`` sums
  to ``gamma_t(j)``, so ``2 * 2^-1074 alpha_t(j) / (b_t(j) <alpha_t, beta_t>)``; and the row's divisor
  ``c_t <alpha_t, beta_t>`` below the normal range: ``2 * 2^-1074 / (c_t <alpha_t, beta_t>)``;
* the posteriors' own products ``alpha_t(j) beta_t(j)`` and their sum: ``(k + 1) 2^-1074 / <alpha_t,
  beta_t>``.

These are summed over all rows (the first-order bound of all the errors together): a posterior moves by
at most the sum, an expected-transition total ``xi_sum[i, j]`` by at most the sum times the number of
transitions (relative to that total count, the sum again).  Values exactly 0 where a state is reachable
(a loss, not only a few digits) are bounded by the same forward/backward terms.  In ordinary data every
term is about 1e-320, so nothing is sent to the log-space recursions (tests: the common cases stay on
the scaled path).
"""

from __future__ import annotations

import numpy as np

#: The least normal double: a value below it keeps an absolute error of up to :data:`SUB_ULP`.
TINY = float(np.finfo(float).tiny)
#: The least subnormal double (2^-1074), the spacing of the subnormal range.
SUB_ULP = 2.0 ** -1074
#: The largest sum of the bounds of :func:`underflow_harm` accepted on the scaled path.
UNDERFLOW_HARM = 1e-10


def forward_below_normal(alpha, cscale, sup):
    """(n, k) bool: reachable states (``sup``) whose unnormalised forward value ``alpha_t(j) c_t`` is
    below the normal range (0 included)."""
    with np.errstate(divide="ignore", under="ignore", invalid="ignore"):
        return sup & ~(alpha >= (TINY / cscale)[:, None])


def _rows(mask):
    """Indices of the rows of a (n, k) bool array with a True (the flat test first: NumPy's
    ``any(axis=1)`` over a short last axis is slow, and the mask is almost always all False)."""
    if not mask.any():
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(mask.any(axis=1))


def underflow_harm(alpha, beta, b, cscale, bscale, gsum, fsub, gsub, nonstart, want_xi):
    """The sum over rows of the bounds of the module docstring: how much any posterior (or the
    log-likelihood) can be off because of values below the normal range.

    ``alpha``, ``beta`` (n, k) the normalised forward and backward variables, ``b`` (n, k) the scaled
    emissions ``exp(logB - row max)``, ``cscale`` (n,) the forward row scales, ``bscale`` (n,) the
    backward row totals before normalising (1 where the row was not normalised), ``gsum`` (n,)
    ``<alpha_t, beta_t>``, ``fsub``/``gsub`` (n, k) the reachable states whose unnormalised forward /
    backward value was below the normal range, ``nonstart`` (n,) rows that are not a sequence's first
    (the rows with a transition into them).  Returns a float (``inf`` when a bound is not finite).
    Costs a few passes over (n, k) when nothing is below the normal range (the usual case)."""
    n, k = alpha.shape
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        # the posteriors' own products: (k + 1) 2^-1074 / gsum per row, summed (bounded by the least
        # gsum first: one pass)
        gmin = float(gsum.min()) if n else 1.0
        total = 0.0
        if not (n * (k + 1) * SUB_ULP / gmin <= 1e-3 * UNDERFLOW_HARM):
            total += float(np.sum((k + 1) * SUB_ULP / gsum))
        rows = _rows(fsub)
        if rows.size:
            top = np.where(fsub[rows], beta[rows], 0.0).max(axis=1)
            total += float(np.sum((k + 2) * SUB_ULP * top / cscale[rows] / gsum[rows]))
        rows = _rows(gsub)
        if rows.size:
            top = np.where(gsub[rows], alpha[rows], 0.0).max(axis=1)
            total += float(np.sum((k + 2) * SUB_ULP * top / bscale[rows] / gsum[rows]))
        if want_xi:
            u = b * beta
            rows = _rows(u < TINY)
            if rows.size:
                small = (u[rows] < TINY) & (b[rows] > 0) & nonstart[rows, None]
                r = np.where(small, alpha[rows] / b[rows], 0.0).max(axis=1)
                total += float(np.sum(2.0 * SUB_ULP * r / gsum[rows]))
            cg = cscale * gsum
            rows = np.flatnonzero(~(cg >= TINY) & nonstart)
            if rows.size:
                total += float(np.sum(2.0 * SUB_ULP / cscale[rows] / gsum[rows]))
    return total if np.isfinite(total) else float("inf")
