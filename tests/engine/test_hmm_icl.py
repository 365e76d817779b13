"""ICL of hidden Markov models (emdesk.engine.hmm.hmm_icl) against brute force over every state path."""

import itertools
import math

import numpy as np
import pytest
from scipy.stats import norm

from emdesk.engine.hmm import GaussianHMM, PoissonHMM, hmm_icl
from emdesk.engine.models import HiddenMarkovModel


def _tiny_hmm():
    h = GaussianHMM(2, covariance_type="diag")
    h.startprob_ = np.array([0.6, 0.4])
    h.transmat_ = np.array([[0.7, 0.3], [0.25, 0.75]])
    h.means_ = np.array([[0.0], [1.5]])
    h.covars_ = np.array([[1.0], [0.5]])
    return h


def _brute_force(h, x):
    """log p(X, s) for all 2^T state paths, directly from the definition of the chain."""
    sd = np.sqrt(np.asarray(h.covars_)[:, 0, 0])
    mu = h.means_[:, 0]
    out = {}
    for path in itertools.product(range(2), repeat=len(x)):
        lp = math.log(h.startprob_[path[0]]) + norm.logpdf(x[0], mu[path[0]], sd[path[0]])
        for t in range(1, len(x)):
            lp += math.log(h.transmat_[path[t - 1], path[t]]) + norm.logpdf(x[t], mu[path[t]], sd[path[t]])
        out[path] = lp
    return out


def test_icl_of_a_tiny_hmm_equals_brute_force_over_all_paths():
    h = _tiny_hmm()
    x = np.array([0.1, 1.2, 0.8, -0.3, 1.9])
    joint = _brute_force(h, x)
    lj = np.array(list(joint.values()))
    log_px = float(np.logaddexp.reduce(lj))
    post = np.exp(lj - log_px)
    p = h.n_parameters()
    assert p == 1 + 2 + 2 + 2  # start, transitions, means, variances
    bic = -2 * log_px + p * math.log(5)
    icl_map = -2 * lj.max() + p * math.log(5)
    icl_ent = bic + 2 * float(-(post * np.log(post)).sum())
    assert h.bic(x[:, None]) == pytest.approx(bic, rel=1e-12)
    assert h.icl(x[:, None]) == pytest.approx(icl_map, rel=1e-12)
    assert hmm_icl(h, x[:, None], kind="entropy") == pytest.approx(icl_ent, rel=1e-10)
    assert bic < icl_map < icl_ent  # the path's uncertainty costs; the entropy term is the larger
    # two sequences: the terms add up
    xx = np.r_[x, x[::-1]][:, None]
    assert h.icl(xx, [5, 5]) - p * math.log(10) == pytest.approx(
        -2 * lj.max() - 2 * max(_brute_force(h, x[::-1]).values()), rel=1e-12)


def test_icl_for_every_hmm_and_bad_kind():
    rng = np.random.default_rng(0)
    X = rng.poisson(np.repeat([1.0, 8.0, 1.0], 40))[:, None].astype(float)
    ph = PoissonHMM(2, random_state=0).fit(X)
    assert ph.icl(X) >= ph.bic(X)
    from emdesk.engine.families.poisson import PoissonFamily

    gh = HiddenMarkovModel(PoissonFamily(), 2, random_state=0).fit(X)
    assert hmm_icl(gh, X) == pytest.approx(ph.icl(X), rel=1e-6)
    with pytest.raises(ValueError, match="kind"):
        ph.icl(X, kind="soft")
