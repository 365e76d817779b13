"""The window speaks the user's language: engine keywords in a message (``missing='marginalize'``,
``covariance_type='diag'``, ``n_init`` ...) become what to choose or click in the window. The engine's
and the CLI's messages keep the keywords (they are its API); only text shown in the window passes here."""

from __future__ import annotations

import re

# (pattern, replacement), applied in order; the panels' labels are those of emdesk.gui.params_panel and
# emdesk.gui.data_panel.
_RULES = [
    (r"replace it by NaN \(missing='marginalize'\)",
     "treat it as missing (the Data panel's \"Treat as missing\", or clear those cells)"),
    (r"(?:use |with )?missing='marginalize'", "\"Fit with missing values\" in the Data panel"),
    (r"(?:fitted )?with missing='error'", "fitted without missing values"),
    (r"missing='error'", "\"Drop incomplete rows\" in the Data panel"),
    (r"\bmissing=\"?'?(\w+)'?\"?", "the Data panel's missing-values choice"),
    (r"covariance_type='(\w+)'", r'Covariance "\1" in the Model panel'),
    (r"a constrained covariance_type", "a constrained Covariance in the Model panel"),
    (r"\bcovariance_type\b", "Covariance (Model panel)"),
    (r"\bn_components=(\d+) is\b", r"\1 components are"),
    (r"\bn_components=(\d+)", r"\1 components"),
    (r"\bn_components\b", "the number of components"),
    (r"\bn_init=(\d+)", r"Restarts \1"),
    (r"\bn_init\b", "Restarts"),
    (r"\bmax_iter\b", "Max iterations"),
    (r"\brandom_state\b", "Random seed"),
    (r"\binit_params\b", "Initialisation"),
    (r"\btol\b", "Tolerance"),
    (r"\bRow (\d+) of X\b", r"Row \1"),
    (r"\brow (\d+) of X\b", r"row \1"),
]
_COMPILED = [(re.compile(p), r) for p, r in _RULES]


def for_window(text: str, kind: str = "mixture") -> str:
    """``text`` with the engine's keywords replaced by the window's words (``kind`` "hmm": states)."""
    out = str(text)
    for pattern, repl in _COMPILED:
        out = pattern.sub(repl, out)
    if kind == "hmm":
        out = out.replace("the number of components", "the number of states").replace(" components", " states")
    return out
