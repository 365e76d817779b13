"""emdesk.engine: the EM engine (NumPy/SciPy only; see docs/INTERFACES.md)."""

from .diagnostics import ComponentIssue, DegenerateSolutionWarning, diagnose
from .em import RestartFailed, run_em
from .families import CategoricalFamily, GaussianFamily, PoissonFamily
from .gaussian import GaussianMixture
from .hmm import CategoricalHMM, GaussianHMM, PoissonHMM
from .models import HiddenMarkovModel, MixtureModel
from .selection import SelectionResult, iter_select_model, select_model
from .snapshot import Snapshot

__all__ = [
    "GaussianMixture",
    "GaussianHMM",
    "PoissonHMM",
    "CategoricalHMM",
    "MixtureModel",
    "HiddenMarkovModel",
    "GaussianFamily",
    "PoissonFamily",
    "CategoricalFamily",
    "Snapshot",
    "select_model",
    "iter_select_model",
    "SelectionResult",
    "ComponentIssue",
    "DegenerateSolutionWarning",
    "diagnose",
    "RestartFailed",
    "run_em",
]
