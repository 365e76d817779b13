"""emdesk.engine: the EM engine (NumPy/SciPy only; see docs/INTERFACES.md)."""

from .diagnostics import ComponentIssue, DegenerateSolutionWarning, diagnose
from .gaussian import GaussianMixture
from .selection import SelectionResult, iter_select_model, select_model
from .snapshot import Snapshot

# issue 14: reading a fit (the functions shadow their modules' names on purpose: emdesk.engine.bootstrap(...)
# as the issue asks; ``from emdesk.engine.bootstrap import BootstrapResult`` still imports from the module)
from .align import Alignment, align
from .bootstrap import BootstrapResult, LRTResult, bootstrap, bootstrap_lrt
from .checks import ModelChecks, check_model, classification_uncertainty
from .summary import Summary, summary

__all__ = [
    "GaussianMixture",
    "Snapshot",
    "select_model",
    "iter_select_model",
    "SelectionResult",
    "ComponentIssue",
    "DegenerateSolutionWarning",
    "diagnose",
    "align",
    "Alignment",
    "bootstrap",
    "bootstrap_lrt",
    "BootstrapResult",
    "LRTResult",
    "check_model",
    "classification_uncertainty",
    "ModelChecks",
    "summary",
    "Summary",
]
