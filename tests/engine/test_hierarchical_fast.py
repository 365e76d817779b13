"""The VVV pair costs of mclust's hierarchical start at high dimension (issue 16): merged scatters
built in bounded blocks and factorised by batched Cholesky give the same merges as the plain
construction with slogdet (kept here as the reference), and non positive definite blocks fall back
to slogdet."""

import numpy as np
import pytest

from emdesk.engine import hierarchical as hc


def _reference_costs(self, a, others):
    """The costs as first written: whole (m, d, d) stacks, divided by n, slogdet."""
    na, nb = self.cnt[a], self.cnt[others]
    n = na + nb
    diff = self.mean[others] - self.mean[a]
    f = na * nb / n
    tr = self.tr[a] + self.tr[others] + f * np.einsum("ij,ij->i", diff, diff)
    out = np.log((tr + self.alpha) / n)
    big = n > self.d
    if np.any(big):
        ob, db, fb = others[big], diff[big], f[big]
        W = self.W[a] + self.W[ob] + fb[:, None, None] * db[:, :, None] * db[:, None, :]
        out[big] = np.logaddexp(hc._logdet(W / n[big, None, None]), out[big])
    return n * out - self.term[a] - self.term[others]


def _data(n, d, seed):
    rng = np.random.default_rng(seed)
    k = 4
    centres = rng.normal(0.0, 2.0, size=(k, d))
    A = rng.normal(size=(d, d)) / np.sqrt(d) + np.eye(d)
    return centres[rng.integers(0, k, size=n)] + rng.normal(size=(n, d)) @ A


@pytest.mark.parametrize("n,d,seed", [(150, 3, 0), (160, 20, 1), (200, 40, 2), (240, 64, 3)])
def test_fast_costs_give_the_reference_merges(monkeypatch, n, d, seed):
    X = _data(n, d, seed)
    Z = hc.svd_transform(X)
    groups = np.arange(n)
    fast = hc._build_tree(Z, groups, "VVV")
    monkeypatch.setattr(hc._Agglomerator, "costs", _reference_costs)
    ref = hc._build_tree(Z, groups, "VVV")
    assert fast == ref
    assert len(fast) == n - 1


def test_fast_costs_match_reference_values_across_blocks(monkeypatch):
    # more candidate pairs than one block: the blocked values equal the plain ones to rounding
    monkeypatch.setattr(hc, "COST_BLOCK", 7)
    d = 12
    Z = hc.svd_transform(_data(120, d, 5))
    ag = hc._Agglomerator(Z, np.arange(120) // 8, "VVV")  # 15 groups of 8 rows: merged 16 > d rows
    others = np.arange(1, 15)
    np.testing.assert_allclose(ag.costs(0, others), _reference_costs(ag, 0, others), rtol=1e-12, atol=1e-9)


def test_cholesky_failure_falls_back_to_slogdet():
    rng = np.random.default_rng(0)
    B = rng.normal(size=(5, 6, 6))
    S = B @ B.transpose(0, 2, 1)
    S[2] = np.diag([1.0, 1.0, 1.0, 1.0, 1.0, 0.0])  # singular: log det -inf
    S[3] = np.diag([1.0, -1.0, 1.0, 1.0, 1.0, 1.0])  # negative determinant: -inf as slogdet's sign says
    got = hc._chol_logdet(S)
    np.testing.assert_array_equal(got, hc._logdet(S))
    assert got[2] == -np.inf and got[3] == -np.inf and np.all(np.isfinite(got[[0, 1, 4]]))
    good = S[[0, 1, 4]]
    np.testing.assert_allclose(hc._chol_logdet(good), np.linalg.slogdet(good)[1], rtol=1e-12)


def test_degenerate_rows_build_a_tree_without_nan():
    # rows in a 2-dimensional subspace of 8 columns, clustered on the raw columns: every merged
    # scatter of more than 8 rows is singular (Cholesky fails or gives -inf): the tree still builds
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2)) @ rng.normal(size=(2, 8))
    tree = hc.hierarchical_tree(X, model="VVV", use="VARS")
    assert len(tree.merges) == 59
    lab = tree.labels(3)
    assert sorted(np.unique(lab)) == [0, 1, 2]


def test_single_rows_merged_into_a_big_cluster_by_the_determinant_lemma():
    # slot 0 holds 40 rows (> d = 20), the other slots one row each: their costs go by the
    # matrix determinant lemma and equal the plain merged-scatter costs
    d = 20
    assert d >= hc.RANK_ONE_MIN_D
    Z = hc.svd_transform(_data(100, d, 7))
    groups = np.concatenate([np.zeros(40, dtype=int), np.arange(1, 61)])
    ag = hc._Agglomerator(Z, groups, "VVV")
    others = np.arange(1, 61)
    np.testing.assert_allclose(ag.costs(0, others), _reference_costs(ag, 0, others), rtol=1e-10, atol=1e-8)
    # and with a scatter Cholesky rejects (slot 0 degenerate) the plain path still gives them
    ag.W[0] = np.zeros((d, d))
    ag.W[0][:3, :3] = np.eye(3)
    np.testing.assert_array_equal(ag.costs(0, others), _reference_costs(ag, 0, others))
