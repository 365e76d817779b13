"""Helpers shared by the engine tests: small synthetic mixtures and explicit starting values."""

import numpy as np

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def make_mixture(rng, n=600, d=2, k=3, spread=6.0):
    """Rows from k well-separated Gaussian clusters; returns X, labels, means, covariances."""
    means = rng.normal(0.0, spread, size=(k, d))
    covs = []
    for _ in range(k):
        a = rng.normal(size=(d, d)) * 0.5
        covs.append(a @ a.T + 0.3 * np.eye(d))
    covs = np.array(covs)
    labels = rng.integers(k, size=n)
    X = np.empty((n, d))
    for j in range(k):
        idx = labels == j
        X[idx] = rng.multivariate_normal(means[j], covs[j], size=idx.sum())
    return X, labels, means, covs


def full_cov(cov, covariance_type, k, d):
    """Covariances of any type as a (k, d, d) stack."""
    if covariance_type == "full":
        return cov
    if covariance_type == "tied":
        return np.stack([cov] * k)
    if covariance_type == "diag":
        return np.stack([np.diag(c) for c in cov])
    return np.stack([c * np.eye(d) for c in cov])


def start_values(X, k, covariance_type, rng):
    """Explicit starting values (weights, means, covariances in covariances_ shape)."""
    d = X.shape[1]
    w = np.full(k, 1.0 / k)
    m = X[rng.choice(len(X), size=k, replace=False)] + 0.1
    base = np.cov(X.T).reshape(d, d) + 1e-3 * np.eye(d)
    full = np.stack([base * (0.5 + j) for j in range(k)])
    cov = {
        "full": full,
        "tied": base,
        "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
        "spherical": np.diagonal(full, axis1=1, axis2=2).mean(axis=1),
    }[covariance_type]
    return w, m, cov


def precisions_of(cov, covariance_type):
    """scikit-learn's precisions_init from covariances."""
    if covariance_type == "full":
        return np.linalg.inv(cov)
    if covariance_type == "tied":
        return np.linalg.inv(cov)
    return 1.0 / cov


def reference_em(X, weights, means, cov, covariance_type, n_steps, reg_covar=1e-6, sample_weight=None):
    """A deliberately plain EM (direct log-densities, two-pass covariances, no standardisation)
    to compare the engine with.  Returns (weights, means, covariances) after n_steps M-steps."""
    from scipy.special import logsumexp

    X = np.asarray(X, float)
    n, d = X.shape
    k = len(weights)
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    w, m, c = np.array(weights, float), np.array(means, float), np.array(cov, float)
    for _ in range(n_steps):
        fc = full_cov(c, covariance_type, k, d)
        logp = np.empty((n, k))
        for j in range(k):
            L = np.linalg.cholesky(fc[j])
            y = np.linalg.solve(L, (X - m[j]).T)
            logp[:, j] = (np.log(w[j]) - 0.5 * np.sum(y * y, axis=0) - np.log(np.diag(L)).sum()
                          - 0.5 * d * np.log(2 * np.pi))
        r = np.exp(logp - logsumexp(logp, axis=1, keepdims=True)) * sw[:, None]
        nk = r.sum(axis=0) + 10 * np.finfo(float).eps
        w = nk / nk.sum()
        m = (r.T @ X) / nk[:, None]
        scat = np.stack([((X - m[j]) * r[:, j:j + 1]).T @ (X - m[j]) / nk[j] for j in range(k)])
        if covariance_type == "full":
            c = scat + reg_covar * np.eye(d)
        elif covariance_type == "tied":
            c = np.einsum("k,kij->ij", nk, scat) / nk.sum() + reg_covar * np.eye(d)
        elif covariance_type == "diag":
            c = np.diagonal(scat, axis1=1, axis2=2) + reg_covar
        else:
            c = np.diagonal(scat, axis1=1, axis2=2).mean(axis=1) + reg_covar
    return w, m, c
