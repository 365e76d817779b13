"""emdesk.engine: the EM engine (NumPy/SciPy only; see docs/INTERFACES.md)."""

from .diagnostics import ComponentIssue, DataColumnWarning, DegenerateSolutionWarning, diagnose
from .gaussian import GaussianMixture
from .selection import SelectionResult, iter_select_model, select_model
from .snapshot import Snapshot

__all__ = [
    "GaussianMixture",
    "Snapshot",
    "select_model",
    "iter_select_model",
    "SelectionResult",
    "ComponentIssue",
    "DegenerateSolutionWarning",
    "DataColumnWarning",
    "diagnose",
]
