"""Emission families: one component's (or state's) density.

* :class:`GaussianFamily` - multivariate normal, covariance types full / tied / diag / spherical.
* :class:`PoissonFamily` - independent Poisson counts per column.
* :class:`CategoricalFamily` - one column of integer symbols 0 .. n_symbols - 1.
* :class:`StudentTFamily` - multivariate t (robust), ECM with estimated or fixed degrees of freedom.
* :class:`LatentClassFamily` - independent categoricals over several columns (latent class analysis).
* :class:`ProductFamily` - blocks of columns with their own families, independent given the state.

The contract (docs/INTERFACES.md, "Emission families"): ``bind(X, k) -> data``,
``init_params(data, resp)``, ``prepare(data, params) -> prep`` (``FamilyFailure`` for unusable
parameters), ``log_prob(data, prep) -> (n, k)`` (missing cells marginalised),
``stats(data, prep, post)``, ``m_step(data, stats, params) -> (params, issues)``,
``n_parameters(params)``, ``sample(params, states, rng)``, ``init_matrix(data)``.
"""

from .base import FamilyFailure, state_floor
from .categorical import CategoricalFamily, LatentClassFamily
from .gaussian import GaussianFamily
from .poisson import PoissonFamily
from .product import ProductFamily
from .student_t import StudentTFamily

__all__ = ["FamilyFailure", "state_floor", "GaussianFamily", "PoissonFamily", "CategoricalFamily", "LatentClassFamily",
           "ProductFamily", "StudentTFamily"]
