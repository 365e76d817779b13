"""Starting partitions that gross outliers do not capture (the Student-t family's default start).

k-means++ draws each new seed with probability proportional to the squared distance D^2 to the
nearest seed so far (Arthur & Vassilvitskii 2007), so a few gross outliers far from the clusters
attract the seeds: on two clusters with 5 % of the rows spread uniformly over a square eight times
wider, only about a fifth of k-means++ starts of a t mixture reached the clusters' optimum
(tests/engine/test_student_t.py).  Two trimmed variants, after trimmed k-means (Cuesta-Albertos,
Gordaliza & Matran 1997, "Trimmed k-means: an attempt to robustify quantizers", Ann. Statist.
25(2):553-576): the fraction ``trim`` of rows farthest from their nearest centre takes no part:

* :func:`trimmed_kmeans_plusplus` - the first seed is drawn uniformly from the rows outside the
  farthest ``trim`` from the coordinate-wise median; each further seed from the D^2 distribution
  restricted to the rows outside the farthest ``trim``, the best of ``2 + log k`` candidates by the
  trimmed potential (the sum of the smallest ``(1 - trim) n`` squared distances);
* :func:`trimmed_kmeans_labels` - Lloyd iterations from that seeding whose centres are the means of
  the untrimmed members.

Every row (trimmed or not) is then labelled by its nearest centre.  A genuine small cluster far from
the rest looks like outliers to these starts, so the t family runs both a trimmed and an untrimmed
candidate for a few ECM iterations and keeps the one with the higher likelihood
(:meth:`emdesk.engine.families.student_t.StudentTFamily.initial_state`; short exploratory runs as
the "small EM" start of Biernacki, Celeux & Govaert 2003, "Choosing starting values for the EM
algorithm for getting the highest likelihood in multivariate Gaussian mixture models", Comput.
Statist. Data Anal. 41:561-575).
"""

from __future__ import annotations

import numpy as np

from ..init import KMEANS_MAX_ITER, _check, _choice, _nearest, _sq_dist_to

__all__ = ["TRIM", "trimmed_kmeans_plusplus", "trimmed_kmeans_labels", "labels_from_seeds"]

#: Fraction of rows left out of the seeding and of the centres (trimmed k-means' alpha).
TRIM = 0.1


def _kept(n, trim):
    return max(1, n - int(trim * n))


def trimmed_kmeans_plusplus(Z, k, rng, trim=TRIM, interrupt=None):
    """Indices (k,) of seed rows of ``Z`` (n, d), drawn as k-means++ with the farthest ``trim``
    fraction of rows excluded at every step (see the module docstring).  ``interrupt`` as for
    :func:`emdesk.engine.init.kmeans_plusplus`."""
    n = Z.shape[0]
    m = _kept(n, trim)
    d0 = _sq_dist_to(Z, np.median(Z, axis=0)[None, :])[:, 0]
    cut0 = np.partition(d0, m - 1)[m - 1]
    core = np.flatnonzero(d0 <= cut0)
    idx = [int(core[rng.integers(len(core))])]
    closest = _sq_dist_to(Z, Z[idx])[:, 0]
    n_trials = 2 + int(np.log(k))
    for _ in range(1, k):
        _check(interrupt)
        cut = np.partition(closest, m - 1)[m - 1]
        pot = np.where(closest <= cut, closest, 0.0)
        cands = [_choice(rng, pot) for _ in range(n_trials)]
        dist = _sq_dist_to(Z, Z[cands])
        np.minimum(dist, closest[:, None], out=dist)
        scores = np.partition(dist, m - 1, axis=0)[:m].sum(axis=0)
        best = int(np.argmin(scores))
        idx.append(cands[best])
        closest = dist[:, best].copy()
    return np.asarray(idx)


def labels_from_seeds(Z, seeds):
    """Every row's nearest seed (n,); each seed keeps itself when duplicated rows tie."""
    labels = _nearest(Z, Z[seeds])
    labels[seeds] = np.arange(len(seeds))
    return labels


def trimmed_kmeans_labels(Z, k, rng, trim=TRIM, max_iter=KMEANS_MAX_ITER, interrupt=None):
    """Labels (n,) of every row by its nearest centre after trimmed Lloyd iterations (centres: means
    of the members outside the farthest ``trim`` fraction) from :func:`trimmed_kmeans_plusplus`."""
    n = Z.shape[0]
    m = _kept(n, trim)
    centres = Z[trimmed_kmeans_plusplus(Z, k, rng, trim, interrupt)].copy()
    labels = None
    for _ in range(max_iter):
        _check(interrupt)
        dist = _sq_dist_to(Z, centres)
        new = np.argmin(dist, axis=1)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        dmin = dist[np.arange(n), labels]
        keep = dmin <= np.partition(dmin, m - 1)[m - 1]
        cnt = np.bincount(labels[keep], minlength=k)
        for j in range(Z.shape[1]):
            col = np.bincount(labels[keep], weights=Z[keep, j], minlength=k)
            centres[cnt > 0, j] = col[cnt > 0] / cnt[cnt > 0]
    return labels
