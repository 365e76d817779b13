"""The classification term of ICL, in its two forms.

ICL (Biernacki, Celeux & Govaert 2000) adds to BIC (lower is better) twice a classification term
computed from the responsibilities ``r_ik``:

* ``kind="map"`` (the default, as mclust's ``icl()`` / ``mclustICL`` compute it): the hard
  classification's log-probabilities, ``-sum_i log r_{i, c_i}`` with ``c_i = argmax_k r_ik`` (mclust:
  ``BIC + 2 * sum(C * log(z))``, ``C`` the MAP classification matrix, in mclust's sign);
* ``kind="entropy"``: the soft classification entropy ``-sum_i sum_k r_ik log r_ik``.

Both are >= 0; the entropy term is the larger one (``-log max_k r_ik <= -sum_k r_ik log r_ik``), so
the soft ICL is never below the MAP one.
"""

from __future__ import annotations

import numpy as np

from ._blas import dot

ICL_KINDS = ("map", "entropy")


def check_icl_kind(kind) -> str:
    if kind is True:
        return "entropy"
    if kind not in ICL_KINDS:
        raise ValueError(f"kind must be one of {', '.join(repr(k) for k in ICL_KINDS)}; got {kind!r}.")
    return kind


def classification_term(resp, kind="map", w=None) -> float:
    """``-sum_i log r_{i, argmax}`` (``"map"``) or ``-sum_i sum_k r_ik log r_ik`` (``"entropy"``)
    of responsibilities ``resp`` (n, k), each row weighted by ``w`` (n,) when given."""
    kind = check_icl_kind(kind)
    R = np.asarray(resp, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "map":
            top = R.max(axis=1)
            per_row = -np.where(top > 0, np.log(np.where(top > 0, top, 1.0)), 0.0)
        else:
            per_row = -np.where(R > 0, R * np.log(np.where(R > 0, R, 1.0)), 0.0).sum(axis=1)
    return float(per_row.sum()) if w is None else dot(per_row, np.asarray(w, dtype=float))
