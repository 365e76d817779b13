"""CategoricalMixture (latent class analysis, issue 13) against an EM written out plainly here
(ML and Dirichlet-smoothed), the likelihood against scipy.stats.multinomial, text categories and
missing cells, poLCA's parameter count and criteria, restarts, snapshots."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from emdesk.engine import CategoricalMixture, encode_categories

R = [2, 3, 2]


def _data(seed=0, n=60, missing=0.1):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, n)
    probs = [np.array([[0.8, 0.2], [0.3, 0.7]]), np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]]),
              np.array([[0.9, 0.1], [0.5, 0.5]])]
    X = np.column_stack([[rng.choice(len(p[0]), p=p[zi]) for zi in z] for p in probs]).astype(float)
    X[rng.random(X.shape) < missing] = np.nan
    return X, z


def _start():
    w = np.array([0.45, 0.55])
    p = np.zeros((2, 3, 3))
    p[:, 0, :2] = [[0.6, 0.4], [0.4, 0.6]]
    p[:, 1, :3] = [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]]
    p[:, 2, :2] = [[0.7, 0.3], [0.4, 0.6]]
    return w, p


def _plain_em(X, w, p, n_steps, alpha=0.0):
    """Latent class EM, one row and one cell at a time (independent of the engine's code)."""
    w, p = w.copy(), [p[:, c, :R[c]].copy() for c in range(len(R))]
    n, d = X.shape
    k = len(w)
    for _ in range(n_steps):
        post = np.zeros((n, k))
        for i in range(n):
            for j in range(k):
                v = w[j]
                for c in range(d):
                    if not np.isnan(X[i, c]):
                        v *= p[c][j, int(X[i, c])]
                post[i, j] = v
            post[i] /= post[i].sum()
        w = post.sum(axis=0) / n
        for c in range(d):
            for j in range(k):
                cnt = np.full(R[c], alpha)
                for i in range(n):
                    if not np.isnan(X[i, c]):
                        cnt[int(X[i, c])] += post[i, j]
                p[c][j] = cnt / cnt.sum()
    return w, p


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_em_equals_plain_computation(alpha):
    X, _ = _data(0)
    w0, p0 = _start()
    m = CategoricalMixture(2, weights_init=w0, probs_init=p0, max_iter=7, tol=0, alpha=alpha,
                           categories=[[0, 1], [0, 1, 2], [0, 1]]).fit(X)
    w, p = _plain_em(X, w0, p0, 7, alpha)
    np.testing.assert_allclose(m.weights_, w, rtol=1e-12)
    for c in range(3):
        np.testing.assert_allclose(m.item_probabilities()[c], p[c], rtol=1e-12)
    assert m.n_iter_ == 7


def test_log_likelihood_equals_scipy_multinomial():
    X, _ = _data(1)
    m = CategoricalMixture(2, n_init=3, random_state=0).fit(X)
    ip = m.item_probabilities()
    total = 0.0
    for i in range(len(X)):
        comp = []
        for j in range(2):
            v = np.log(m.weights_[j])
            for c in range(3):
                if not np.isnan(X[i, c]):
                    onehot = np.eye(R[c])[int(X[i, c])]
                    v += stats.multinomial.logpmf(onehot, 1, ip[c][j])
            comp.append(v)
        total += logsumexp(comp)
    assert m.log_likelihood_ == pytest.approx(total, rel=1e-10)
    assert m.score_samples(X).sum() == pytest.approx(total, rel=1e-10)
    # poLCA's count: (k - 1) + k * sum (R_c - 1) = 1 + 2 * 4; BIC with the rows that hold data
    assert m.n_parameters() == 9
    n_rows = int((~np.isnan(X).all(axis=1)).sum())
    assert m.bic(X) == pytest.approx(-2 * total + 9 * np.log(n_rows), rel=1e-10)
    assert m.aic(X) == pytest.approx(-2 * total + 18, rel=1e-10)
    post = m.predict_proba(X)[~np.isnan(X).all(axis=1)]
    ent = -np.sum(post * np.log(post))
    assert m.icl(X, kind="entropy") == pytest.approx(m.bic(X) + 2 * ent, rel=1e-10)
    assert m.icl(X) == pytest.approx(m.bic(X) - 2 * np.sum(np.log(post.max(axis=1))), rel=1e-10)
    # restarts (poLCA's nrep): the best is kept
    assert m.log_likelihood_ == pytest.approx(np.max(m.restart_log_likelihoods_))


def test_text_categories_missing_and_smoothing():
    rng = np.random.default_rng(2)
    z = rng.integers(0, 2, 300)
    colour = np.where(rng.random(300) < 0.9, np.where(z == 1, "red", "blue"), "green").astype(object)
    size = np.where(z == 1, "big", "small").astype(object)
    colour[::17] = None
    size[::13] = ""
    num = np.where(z == 1, 3, 1).astype(object)
    num[::11] = np.nan
    X = np.column_stack([colour, size, num])
    m = CategoricalMixture(2, n_init=3, random_state=0, alpha=1.0).fit(X)
    assert [list(c) for c in m.categories_] == [["blue", "green", "red"], ["big", "small"], [1.0, 3.0]]
    np.testing.assert_array_equal(m.n_categories_, [3, 2, 2])
    lab = m.predict(X)
    assert max(np.mean(lab == z), np.mean(lab != z)) > 0.99
    ip = m.item_probabilities()
    assert all(np.all((q > 0) & (q < 1)) for q in ip)  # smoothing: no probability is 0 or 1
    assert m.probs_.shape == (2, 3, 3) and np.all(m.probs_[:, 1:, 2] == 0)  # padding
    with pytest.raises(ValueError, match=r"column 1, row 2: 'purple' is not one of the categories"):
        m.predict(np.array([["red", "big", 1], ["purple", "big", 1]], dtype=object))
    # a row of missing cells only (row 1 already is one) does not count in the criteria
    Xe = np.vstack([X, np.array([[None, "", np.nan]], dtype=object)])
    assert m._criteria(Xe)[0] == m._criteria(X)[0] == len(X) - 1
    assert m.bic(Xe) == pytest.approx(m.bic(X), rel=1e-12)


def test_encode_categories_and_errors():
    codes, cats = encode_categories([["b", 2], ["a", 1], [None, 2], ["b", np.nan]])
    np.testing.assert_array_equal(codes[:, 0], [1, 0, np.nan, 1])
    np.testing.assert_array_equal(codes[:, 1], [1, 0, 1, np.nan])
    with pytest.raises(ValueError, match="column 2, row 1"):
        encode_categories([["b", 7]], categories=[["a", "b"], [1, 2]])
    with pytest.raises(ValueError, match="alpha"):
        CategoricalMixture(2, alpha=-1).fit(np.array([[0, 1], [1, 0]]))
    with pytest.raises(ValueError, match="no categories yet|no parameters yet"):
        CategoricalMixture(2).predict(np.array([[0, 1]]))


def test_snapshots_to_model_and_fitted_params_keep_categories():
    X = np.array([["x", "p"], ["y", "q"], ["x", "p"], ["y", "q"], ["x", "q"]] * 10, dtype=object)
    m = CategoricalMixture(2, random_state=0, n_init=2)
    snaps = list(m.fit_iter(X))
    ll = [s.log_likelihood for s in snaps if s.restart == 0]
    assert all(b >= a - 1e-9 for a, b in zip(ll, ll[1:]))
    s = snaps[-1]
    assert s.family == "latent_class" and s.params["probs"].shape == (2, 2, 2)
    back = s.to_model()
    assert isinstance(back, CategoricalMixture)
    assert back.score(X) == pytest.approx(CategoricalMixture.from_fitted_params(
        {"weights": s.weights, "probs": s.params["probs"], "categories": [["x", "y"], ["p", "q"]]}).score(X))
    p = m.get_fitted_params()
    assert p["categories"] == [["x", "y"], ["p", "q"]]
    again = CategoricalMixture.from_fitted_params(p)
    np.testing.assert_allclose(again.score_samples(X), m.score_samples(X))


@pytest.mark.parametrize("dtype", [float, object])
def test_infinite_number_is_not_a_category(dtype):
    """An infinite number in a categorical column was learned as a category (inf, -inf) by
    CategoricalMixture, MixedMixture and encode_categories: a ValueError names the cell, as the
    other families refuse infinite values (found by probing)."""
    col = np.array([0.0, 1.0, 2.0, 1.0, 0.0, np.inf, 2.0, 1.0] * 5, dtype=dtype).reshape(-1, 1)
    with pytest.raises(ValueError, match=r"column 1, row 6: inf is not a category"):
        encode_categories(col)
    with pytest.raises(ValueError, match=r"column 1, row 6: inf is not a category"):
        CategoricalMixture(2, random_state=0).fit(col)
    neg = col.copy()
    neg[5, 0] = -np.inf
    with pytest.raises(ValueError, match=r"row 6: -inf is not a category"):
        CategoricalMixture(2, random_state=0).fit(neg)
    from emdesk.engine import MixedMixture
    X = np.column_stack([np.linspace(0, 1, col.shape[0]), col.astype(float)])
    with pytest.raises(ValueError, match=r"column 2, row 6: inf is not a category"):
        MixedMixture(2, categorical_columns=[1], random_state=0).fit(X)
    m = CategoricalMixture(2, random_state=0).fit(np.where(np.isinf(col.astype(float)), 1.0, col.astype(float)))
    with pytest.raises(ValueError, match=r"row 2: inf is not a category"):
        m.predict(np.array([[1.0], [np.inf]]))
