"""Every fit of a sweep gets a seed the window's seed field holds (0 ... 2**31 - 1, a Qt spin box): the chosen
fit's random_state is kept in its fit file (emdesk-fit --select -o, Model Selection's Export), and Open Fit
could not set a larger one ("not set: seed (random_state must be a whole number from 0 to 2147483647, got
3241444873)"), so Run refitted with another seed. The seeds were drawn from 32 bits."""

from __future__ import annotations

import numpy as np

from emdesk.engine.family_sweep import iter_select_families
from emdesk.engine.hmm_selection import iter_select_hmm
from emdesk.engine.selection import SEED_MAX, _seeds, iter_select_model

FIT = dict(n_init=1, max_iter=5)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(5, 1, (30, 2))])


def _last(gen):
    step = None
    for step in gen:
        pass
    return step.result


def test_seeds_of_a_sweep_fit_the_windows_seed_field():
    for random_state in (0, 1, np.random.default_rng(3)):
        seeds = _seeds(random_state, 64)
        assert min(seeds) >= 0 and max(seeds) <= SEED_MAX == 2**31 - 1
        assert len(set(seeds)) == 64  # still independent draws


def test_every_sweeps_fits_record_a_seed_the_window_takes():
    X = _data()
    mixtures = _last(iter_select_model(X, [1, 2, 3], ["diag", "full"], random_state=0, n_jobs=1, **FIT))
    hmms = _last(iter_select_hmm(X[:, :1], None, [1, 2, 3], ["diag", "tied"], random_state=0, **FIT))
    families = _last(iter_select_families(np.abs(np.round(X)), ("poisson",), [1, 2, 3, 4], random_state=0, **FIT))
    for result in (mixtures, hmms, families):
        states = [row.model.random_state for row in result.table if row.model is not None]
        assert len(states) >= 4
        assert all(0 <= s <= SEED_MAX for s in states), states
