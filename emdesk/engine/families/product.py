"""Product of emission families over disjoint column blocks (conditional independence of the
blocks given the state): ``log f(x | j) = sum_b log f_b(x[:, cols_b] | j)``.

This is how mixed data are modelled (a Gaussian block for the numeric columns times a latent class
block for the categorical columns given the class, as LatentGOLD's and stepmix's mixed models;
Hunt & Jorgensen 2003, "Mixture model clustering for mixed data with missing information",
Comput. Stat. Data Anal. 41:429-440).  Every block is a family of the ordinary contract; the
product is one too, so it runs as a mixture or as an HMM's emissions without any change to the
driver or the structures.

Parameters: the union of the blocks' parameters by name (a name used by two blocks is prefixed
``b<i>_``).  The E-step sums the blocks' (n, k) log-densities; the M-step of each block uses the
same posteriors.

Missing values: a row whose values in a block are all missing, for a block that marginalises
(``missing="marginalize"``), is left out of that block (its log-density there is 0, the marginal
over no coordinates, and it adds nothing to the block's statistics), so a mixed row with only
categories observed, or only numbers, is fitted on what it has.
"""

from __future__ import annotations

import numpy as np

from ._blocks import (
    ColumnView,
    IndexRows,
    LazyRows,
    RowResp,
    as_rows,
    block_rows,
    reduce_stats,
    resp_block,
    row_ranges,
    subset_resp,
)
from ._codes import CodedRows

__all__ = ["ProductFamily"]


def _columns(X, cols, rows=None):
    """Some columns (and rows) of X read in place: a ColumnView, or for compact category codes the
    same codes (:meth:`CodedRows.select`: a block reads only its own columns)."""
    if isinstance(X, CodedRows):
        return X.select(cols, rows)
    return ColumnView(X, cols, rows)


class _PData:
    """Bound data: per block of columns its family's bound data (of a :class:`ColumnView` of X: no
    copy) and ``rows`` (None: every row; else the increasing row numbers with a value in the block:
    8 bytes per row), ``n``, ``d``, ``block`` (rows per block of the product's passes), ``held``
    (the blocks' data hold their per-row arrays: small data)."""

    __slots__ = ("blocks", "rows", "n", "d", "block", "held")


class ProductFamily:
    """``ProductFamily([(family, columns), ...])``: ``columns`` are 0-based column indices of X;
    blocks must not overlap and must cover every column (ValueError otherwise)."""

    name = "product"

    def __init__(self, blocks):
        blocks = [(fam, tuple(int(c) for c in cols)) for fam, cols in blocks]
        if not blocks:
            raise ValueError("a product family needs at least one block.")
        seen = []
        for _, cols in blocks:
            if not cols:
                raise ValueError("every block of a product family needs at least one column.")
            seen.extend(cols)
        if len(set(seen)) != len(seen):
            raise ValueError("the blocks of a product family must not share columns.")
        self.blocks = blocks
        self._keys = []  # per block: [(family name of the parameter, product name)]
        names = [p for fam, _ in blocks for p in fam.param_names]
        for b, (fam, _) in enumerate(blocks):
            self._keys.append([(p, p if names.count(p) == 1 else f"b{b}_{p}") for p in fam.param_names])
        self.param_names = tuple(q for keys in self._keys for _, q in keys)
        ct = [getattr(fam, "covariance_type", None) for fam, _ in blocks]
        self.covariance_type = next((c for c in ct if c is not None), "product")
        self.missing = "marginalize" if any(getattr(f, "missing", "error") == "marginalize" for f, _ in blocks) \
            else "error"

    def _split(self, params):
        return [{p: params[q] for p, q in keys} for keys in self._keys]

    def _join(self, parts):
        out = {}
        for keys, part in zip(self._keys, parts):
            for p, q in keys:
                out[q] = part[p]
        return out

    def bind(self, X, k=None):
        X = as_rows(X)
        d = X.shape[1]
        cols = sorted(c for _, cs in self.blocks for c in cs)
        if cols != list(range(d)):
            raise ValueError(f"the product family's blocks cover columns {[c + 1 for c in cols]} but X has {d} "
                             "columns: give every column to exactly one block.")
        n = X.shape[0]
        step = block_rows(n, k, 4 * d)
        data = _PData()
        data.blocks, data.rows = [], []
        for fam, cs in self.blocks:
            rows = None
            if getattr(fam, "missing", "error") == "marginalize":
                has = np.empty(n, dtype=bool)
                for s, e in row_ranges(n, step):
                    has[s:e] = ~np.isnan(_columns(X, cs)[s:e]).all(axis=1)
                if has.any() and not has.all():
                    rows = np.flatnonzero(has)
                del has
            data.blocks.append(fam.bind(_columns(X, cs, rows), k))
            data.rows.append(rows)
        data.n, data.d = n, d
        data.block = step
        data.held = n <= step
        return data

    def rows(self, data, s, e):
        """The bound data of rows s:e: each block's data of its rows among s:e (``rows`` then number
        them within s:e)."""
        if s == 0 and e == data.n:
            return data
        out = _PData()
        out.blocks, out.rows = [], []
        for (fam, _), bd, r in zip(self.blocks, data.blocks, data.rows):
            if r is None:
                out.blocks.append(fam.rows(bd, s, e))
                out.rows.append(None)
            else:
                a, z = int(np.searchsorted(r, s)), int(np.searchsorted(r, e))
                out.blocks.append(fam.rows(bd, a, z))
                out.rows.append(r[a:z] - s)
        out.n, out.d, out.block, out.held = e - s, data.d, data.block, True
        return out

    @staticmethod
    def _take(A, rows):
        return subset_resp(A, rows)

    @staticmethod
    def _spread(A, rows, n):
        if rows is None:
            return A
        out = np.zeros((n,) + A.shape[1:])
        out[rows] = A
        return out

    def init_matrix(self, data):
        """The blocks' starting matrices side by side (zeros for rows without a value in a block),
        made per block of rows when read."""
        mats = [fam.init_matrix(bd) for (fam, _), bd in zip(self.blocks, data.blocks)]
        widths = [m.shape[1] for m in mats]
        offs = np.concatenate([[0], np.cumsum(widths)]).astype(int)

        def make(idx):
            out = np.zeros((idx.size, int(offs[-1])))
            for b, (M, r) in enumerate(zip(mats, data.rows)):
                if r is None:
                    out[:, offs[b]:offs[b + 1]] = M[idx] if idx.size else 0.0
                    continue
                pos = np.minimum(np.searchsorted(r, idx), max(r.size - 1, 0))
                present = r[pos] == idx if r.size else np.zeros(idx.size, bool)
                if present.any():
                    out[present, offs[b]:offs[b + 1]] = M[pos[present]]
            return out

        return LazyRows(IndexRows(data.n), make, int(offs[-1]))

    def check_params(self, params, k, d):
        parts = self._split(params)
        return self._join([fam.check_params(p, k, len(cs)) for (fam, cs), p in zip(self.blocks, parts)])

    def init_params(self, data, resp):
        return self._join([fam.init_params(bd, self._take(resp, r))
                           for (fam, _), bd, r in zip(self.blocks, data.blocks, data.rows)])

    def prepare(self, data, params):
        return [fam.prepare(bd, p) for (fam, _), bd, p in zip(self.blocks, data.blocks, self._split(params))]

    def log_prob(self, data, prep):
        out = None
        for lp in self.block_log_probs(data, prep):
            out = lp.copy() if out is None else out + lp
        return out

    def block_log_probs(self, data, prep):
        """The blocks' (n, k) log-densities, one array per block (their sum is :meth:`log_prob`; 0 for a
        row with nothing observed in the block)."""
        return [self._spread(fam.log_prob(bd, pr), r, data.n)
                for (fam, _), bd, pr, r in zip(self.blocks, data.blocks, prep, data.rows)]

    def stats(self, data, prep, post):
        """One entry per block: its family's statistics of its rows (None for a block without rows
        here); sums over rows (:meth:`add_stats`)."""
        if not data.held or isinstance(post, RowResp):
            return reduce_stats(self, (self.stats(self.rows(data, s, e), prep, resp_block(post, s, e))
                                       for s, e in row_ranges(data.n, data.block)))
        return [fam.stats(bd, pr, self._take(post, r)) if (r is None or r.size) else None
                for (fam, _), bd, pr, r in zip(self.blocks, data.blocks, prep, data.rows)]

    def add_stats(self, a, b):
        """The statistics of the union of two disjoint row sets, block by block."""
        return [x if y is None else y if x is None else fam.add_stats(x, y)
                for (fam, _), x, y in zip(self.blocks, a, b)]

    def m_step(self, data, stats, params):
        parts = self._split(params) if params is not None else [None] * len(self.blocks)
        new, issues = [], []
        for (fam, _), bd, st, p in zip(self.blocks, data.blocks, stats, parts):
            np_, iss = fam.m_step(bd, st, p)
            new.append(np_)
            # one "empty_state" report per state is enough
            issues.extend(i for i in iss if getattr(i, "kind", None) != "empty_state"
                          or not any(getattr(j, "kind", None) == "empty_state" and j.component == i.component
                                     for j in issues))
        return self._join(new), issues

    def diagnose(self, data, params, occupancy, n_samples=None):
        out = []
        for (fam, _), bd, p in zip(self.blocks, data.blocks, self._split(params)):
            if hasattr(fam, "diagnose"):
                out.extend(fam.diagnose(bd, p, occupancy, n_samples=n_samples))
        return tuple(out)

    def n_parameters(self, params):
        return int(sum(fam.n_parameters(p) for (fam, _), p in zip(self.blocks, self._split(params))))

    def sample(self, params, states, rng):
        d = sum(len(cs) for _, cs in self.blocks)
        out = np.empty((len(states), d))
        for (fam, cs), p in zip(self.blocks, self._split(params)):
            out[:, list(cs)] = fam.sample(p, states, rng)
        return out
