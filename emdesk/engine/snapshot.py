"""Immutable per-iteration state of an EM run (what ``GaussianMixture.fit_iter`` yields).

Arrays are copies marked read-only, so a GUI thread can draw a snapshot while the engine goes on
with the next M-step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Snapshot", "frozen_copy"]


def frozen_copy(a):
    """A read-only copy of an array (None stays None)."""
    if a is None:
        return None
    out = np.array(a, dtype=float, copy=True, order="C")
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class Snapshot:
    """State of one restart after ``iteration`` M-steps (0 = the initial parameters).

    ``log_likelihood`` is the total (sample-weighted) log-likelihood of the data under these
    parameters, ``lower_bound`` the same per unit of sample weight, ``change`` the change of
    ``lower_bound`` since the previous snapshot of the same restart (NaN at iteration 0).
    ``converged`` is True on the final snapshot of a restart that met ``tol``; ``final`` marks
    the last snapshot of a restart.  ``responsibilities`` ((n, k), rows in the order of the data
    given to ``fit_iter``) only when asked for.  ``issues`` is the degeneracy diagnosis
    (:func:`emdesk.engine.diagnostics.diagnose`) of these parameters, ``n_samples`` the total
    sample weight.  ``missing`` is the estimator's missing-data mode, so that :meth:`to_model`
    scores incomplete rows the same way the fit did.
    """

    restart: int
    n_init: int
    iteration: int
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str
    log_likelihood: float
    lower_bound: float
    change: float
    converged: bool
    final: bool
    responsibilities: np.ndarray | None = None
    issues: tuple = ()
    n_samples: float = 0.0
    missing: str = field(default="error")
    # Models composed of a structure and a family (emdesk.engine.models / hmm; optional, so the
    # mixture's snapshots are unchanged): "mixture" | "markov", "gaussian" | "poisson" |
    # "categorical" | ..., the Markov chain's start and transition probabilities, the family's
    # parameters by name (read-only arrays) and the estimator's constructor keywords.
    # For these, ``weights`` is the mixing weights (mixture) or the states' expected occupancy
    # fractions (markov), ``means`` the family's first parameter and ``covariances`` its second
    # (None for one-parameter families).
    structure: str = field(default="mixture")
    family: str = field(default="gaussian")
    startprob: np.ndarray | None = None
    transmat: np.ndarray | None = None
    params: dict | None = None
    model_params: dict | None = None
    # Markov: each state's expected number of time steps with an observed value (``weights`` x the
    # time steps counts those without one too): a state's points, as the degeneracy messages count them.
    observed_occupancy: np.ndarray | None = None

    @property
    def n_components(self) -> int:
        return int(self.weights.shape[0])

    def to_model(self, **params):
        """A fitted :class:`~emdesk.engine.GaussianMixture` with this snapshot's parameters."""
        if self.params is not None:
            if self.structure == "mixture" and self.family in ("student_t", "poisson", "latent_class", "product") \
                    and "family" not in (self.model_params or {}):
                from .mixtures import mixture_from_snapshot  # issue 13's named mixtures

                return mixture_from_snapshot(self, **params)
            from .hmm import model_from_snapshot

            return model_from_snapshot(self, **params)
        from .gaussian import GaussianMixture

        params.setdefault("missing", self.missing)
        return GaussianMixture.from_parameters(
            self.weights, self.means, self.covariances, self.covariance_type, **params
        )
