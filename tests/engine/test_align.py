"""Label alignment by minimum-cost matching (emdesk.engine.align)."""

import itertools

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.engine.align import align, cost_matrix, full_covariances, permute, as_parameters

from engine_helpers import COVARIANCE_TYPES, full_cov, make_mixture


def _fitted(ct, seed=0, k=3):
    rng = np.random.default_rng(seed)
    X, *_ = make_mixture(rng, n=500, k=k, spread=8.0)
    return GaussianMixture(k, covariance_type=ct, random_state=seed, n_init=2).fit(X), X


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_full_covariances_matches_helper(ct):
    gm, _ = _fitted(ct)
    k, d = gm.means_.shape
    np.testing.assert_allclose(full_covariances(gm.covariances_, ct, k, d), full_cov(gm.covariances_, ct, k, d))


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
@pytest.mark.parametrize("method", ["kl", "mahalanobis", "labels"])
def test_every_permutation_is_undone(ct, method):
    gm, X = _fitted(ct)
    k = gm.n_components
    ref = as_parameters(gm)
    for perm in itertools.permutations(range(k)):
        p = permute(ref, perm)
        shuffled = GaussianMixture.from_parameters(p["weights"], p["means"], p["covariances"], ct)
        a = align(shuffled, gm, method=method, X=X)
        # new j = shuffled[perm_a[j]] = original[perm[perm_a[j]]] must be original j
        np.testing.assert_array_equal(np.asarray(perm)[a.permutation], np.arange(k))
        np.testing.assert_allclose(a.weights, gm.weights_)
        np.testing.assert_allclose(a.means, gm.means_)
        np.testing.assert_allclose(a.covariances, gm.covariances_)
        np.testing.assert_array_equal(a.matched, np.arange(k))
        assert a.covariance_type == ct


def test_kl_cost_against_direct_formula():
    rng = np.random.default_rng(3)
    d = 3
    A = rng.normal(size=(d, d)); SA = A @ A.T + np.eye(d)
    B = rng.normal(size=(d, d)); SB = B @ B.T + np.eye(d)
    mA, mB = rng.normal(size=d), rng.normal(size=d)

    def kl(m0, S0, m1, S1):  # KL(N0 || N1), textbook form with log-determinants
        P1 = np.linalg.inv(S1)
        return 0.5 * (np.trace(P1 @ S0) + (m1 - m0) @ P1 @ (m1 - m0) - d
                      + np.log(np.linalg.det(S1) / np.linalg.det(S0)))

    pa = {"weights": [1.0], "means": mA[None], "covariances": SA[None], "covariance_type": "full"}
    pb = {"weights": [1.0], "means": mB[None], "covariances": SB[None], "covariance_type": "full"}
    C = cost_matrix(pa, pb, "kl")
    assert C[0, 0] == pytest.approx(kl(mA, SA, mB, SB) + kl(mB, SB, mA, SA))


def test_more_components_than_reference_puts_the_unmatched_last():
    ref = {"weights": [0.5, 0.5], "means": [[0.0], [10.0]], "covariances": [1.0, 1.0],
           "covariance_type": "spherical"}
    model = {"weights": [0.2, 0.3, 0.5], "means": [[5.0], [10.2], [-0.1]], "covariances": [1.0, 1.0, 1.0],
             "covariance_type": "spherical"}
    a = align(model, ref)
    np.testing.assert_array_equal(a.permutation, [2, 1, 0])
    np.testing.assert_array_equal(a.matched, [0, 1, -1])
    np.testing.assert_allclose(a.means[:, 0], [-0.1, 10.2, 5.0])


def test_fewer_components_than_reference_keeps_reference_order():
    ref = {"weights": [0.3, 0.3, 0.4], "means": [[0.0], [10.0], [20.0]], "covariances": [1.0, 1.0, 1.0],
           "covariance_type": "spherical"}
    model = {"weights": [0.5, 0.5], "means": [[19.0], [0.5]], "covariances": [1.0, 1.0],
             "covariance_type": "spherical"}
    a = align(model, ref)
    np.testing.assert_array_equal(a.permutation, [1, 0])
    np.testing.assert_array_equal(a.matched, [0, 2])


def test_shared_covariance_is_not_permuted_even_when_k_equals_d():
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    p = {"weights": [0.5, 0.5], "means": [[0.0, 0.0], [5.0, 5.0]], "covariances": cov, "covariance_type": "tied"}
    out = permute(as_parameters(p), [1, 0])
    np.testing.assert_array_equal(out["covariances"], cov)
    np.testing.assert_array_equal(out["means"], [[5.0, 5.0], [0.0, 0.0]])


def test_errors():
    gm, X = _fitted("full")
    with pytest.raises(ValueError, match="method"):
        align(gm, gm, method="nearest")
    with pytest.raises(ValueError, match="needs the data"):
        align(gm, gm, method="labels")
    with pytest.raises(ValueError, match="not fitted"):
        align(GaussianMixture(2), gm)
    other = {"weights": [1.0], "means": [[0.0, 0.0, 0.0]], "covariances": [1.0], "covariance_type": "spherical"}
    with pytest.raises(ValueError, match="dimensions"):
        align(other, gm)
    singular = {"weights": [1.0], "means": [[0.0, 0.0]], "covariances": np.zeros((1, 2, 2)), "covariance_type": "full"}
    with pytest.raises(ValueError, match="singular|finite"):
        align(singular, gm)
