"""Emission families: one component's (or state's) density.

* :class:`GaussianFamily` - multivariate normal, covariance types full / tied / diag / spherical.
* :class:`PoissonFamily` - independent Poisson counts per column.
* :class:`CategoricalFamily` - one column of integer symbols 0 .. n_symbols - 1.

The contract (docs/INTERFACES.md, "Emission families"): ``bind(X, k) -> data``,
``init_params(data, resp)``, ``prepare(data, params) -> prep`` (``FamilyFailure`` for unusable
parameters), ``log_prob(data, prep) -> (n, k)`` (missing cells marginalised),
``stats(data, prep, post)``, ``m_step(data, stats, params) -> (params, issues)``,
``n_parameters(params)``, ``sample(params, states, rng)``, ``init_matrix(data)``.
"""

from .base import FamilyFailure, state_floor
from .categorical import CategoricalFamily
from .gaussian import GaussianFamily
from .poisson import PoissonFamily

__all__ = ["FamilyFailure", "state_floor", "GaussianFamily", "PoissonFamily", "CategoricalFamily"]
