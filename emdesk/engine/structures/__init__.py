"""Latent structures: how state posteriors follow from the emission log-densities.

* :class:`MixtureStructure` - independent rows, log-sum-exp over components (mixing weights).
* :class:`MarkovStructure` - ordered rows in sequences, forward-backward and Viterbi
  (start and transition probabilities).

The contract (docs/INTERFACES.md, "Structures"): ``init_params(resp, seqs)``,
``e_step(logB, params, seqs, want_stats) -> (log_likelihood, posteriors (n, k), stats)``,
``m_step(stats, params, occupancy) -> (params, issues)``, ``n_parameters(k)``.
"""

from .markov import MarkovStructure, Sequences, check_lengths, forward_backward, viterbi
from .mixture import MixtureStructure

__all__ = ["MarkovStructure", "MixtureStructure", "Sequences", "check_lengths", "forward_backward", "viterbi"]
