"""emdesk.engine: the EM engine (NumPy/SciPy only; see docs/INTERFACES.md)."""

from .diagnostics import ComponentIssue, DataColumnWarning, DegenerateSolutionWarning, diagnose
from .em import RestartFailed, run_em
from .families import (CategoricalFamily, GaussianFamily, LatentClassFamily, PoissonFamily, ProductFamily,
                       StudentTFamily)
from .gaussian import GaussianMixture
from .mixtures import CategoricalMixture, MixedMixture, PoissonMixture, StudentTMixture, encode_categories
from .hmm import CategoricalHMM, GaussianHMM, PoissonHMM
from .models import HiddenMarkovModel, MixtureModel
from .family_selection import FamilySelectionResult, select_family
from .selection import SelectionResult, iter_select_model, select_model
from .snapshot import Snapshot
from ._threads import get_num_threads, limit_threads, set_num_threads

# issue 14: reading a fit (the functions shadow their modules' names on purpose: emdesk.engine.bootstrap(...)
# as the issue asks; ``from emdesk.engine.bootstrap import BootstrapResult`` still imports from the module)
from .align import Alignment, align
from .bootstrap import BootstrapResult, LRTResult, bootstrap, bootstrap_lrt
from .checks import ModelChecks, check_model, classification_uncertainty
from .summary import Summary, summary

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
    "StudentTFamily",
    "LatentClassFamily",
    "ProductFamily",
    "StudentTMixture",
    "PoissonMixture",
    "CategoricalMixture",
    "MixedMixture",
    "encode_categories",
    "select_family",
    "FamilySelectionResult",
    "Snapshot",
    "set_num_threads",
    "get_num_threads",
    "limit_threads",
    "select_model",
    "iter_select_model",
    "SelectionResult",
    "ComponentIssue",
    "DegenerateSolutionWarning",
    "DataColumnWarning",
    "diagnose",
    "RestartFailed",
    "run_em",
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
