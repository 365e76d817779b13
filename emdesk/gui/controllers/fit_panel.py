"""File > Open Fit sets the Model panel to the fit's options, so that Run (F5) fits that model again: the
components (states) and covariance model from the file's model block, and from its options block every field the
panel has for the fit's kind and family (initialisation, restarts, max iterations, tolerance, reg_covar, the
prior, an HMM's transition prior, the Student-t's degrees of freedom, the categorical families' alpha, the seed).
A field the file does not record keeps its value; a recorded value the panel cannot hold (a k x k transition
prior, mclust prior overrides, a seed above 2**31 - 1) is left as it is and named. The kind, family, sequence
pickers and columns are set by Open Fit itself (``ExportController.open_fit``)."""

from __future__ import annotations

from emdesk.gui.family_fields import FIELDS as FAMILY_FIELDS

#: The Model panel's fields a fit file can set, in the order they are set and named (the prior after the
#: covariance model: whether it applies depends on it), with the words the status bar uses.
LABELS = {
    "n_components": "components", "covariance_type": "covariance", "init_params": "initialisation",
    "n_init": "restarts", "max_iter": "max iterations", "tol": "tolerance", "reg_covar": "reg_covar",
    "transmat_prior": "transition prior", "dof_type": "degrees of freedom", "fix_dof": "dof fixed",
    "dof_init": "dof", "alpha": "alpha", "random_state": "seed", "prior": "prior",
}


def recorded_options(model) -> dict:
    """The Model panel's options a loaded fit (``emdesk.io.load_fit``) records: ``n_components`` and
    ``covariance_type`` from the model itself, the others as its file's options block has them (only the keys
    it has). Values are as in the file (a transition prior may be a list of lists)."""
    info = getattr(model, "fit_info_", None) or {}
    options = info.get("options") if isinstance(info.get("options"), dict) else {}
    out = {"n_components": int(model.n_components)}
    ct = getattr(model, "covariance_type", None)
    if isinstance(ct, str):
        out["covariance_type"] = ct
    for key in LABELS:
        if key not in out and key in options:
            out[key] = options[key]
    return out


def recorded_missing(model) -> str | None:
    """The Data panel's missing-value choice a loaded fit was made with, or None when the file does not tell
    (no ``missing`` option) or the choice changed nothing (``missing="error"`` and every row fitted: its columns
    had no incomplete row). ``"marginalize"`` is the file's option; ``"error"`` with fewer rows fitted than its
    data had is ``"drop"`` (the window fits complete rows only with the engine's ``"error"``)."""
    info = getattr(model, "fit_info_", None) or {}
    options = info.get("options") if isinstance(info.get("options"), dict) else {}
    mode = options.get("missing")
    if mode == "marginalize":
        return mode
    if mode in ("error", "drop"):
        data = info.get("data") if isinstance(info.get("data"), dict) else {}
        n_rows, fitted = data.get("n_rows"), data.get("n_rows_fitted")
        if isinstance(n_rows, int) and isinstance(fitted, int) and fitted < n_rows:
            return "drop"
    return None


def _shown(window, kind: str, family: str) -> set:
    """The fields the panel shows for the kind and family (a field of another kind is not set)."""
    from emdesk.gui.kinds import KINDS

    names = set(KINDS[kind].fields(family)) | set(FAMILY_FIELDS.get(family, ()))
    if kind == "mixture" and family == "gaussian":
        names.add("prior")
    return names


def _words(key: str, value, hmm: bool) -> str:
    label = "states" if key == "n_components" and hmm else LABELS[key]
    if key == "random_state":
        return f"seed {'random' if value is None else value}"
    if key == "prior":
        return f"prior {'none' if value is None else value}"
    if key == "transmat_prior" and value is None:  # no prior: the field shows 1, hmmlearn's "no prior"
        return "transition prior 1 (none)"
    if key == "fix_dof":
        return "dof fixed" if value else "dof estimated"
    if key == "n_components":
        return f"{value} {label}"
    if isinstance(value, float):
        value = f"{value:g}"
    return f"{label} {value}"


def set_panel_from_fit(window, model, kind: str, family: str) -> tuple[list[str], list[str]]:
    """Set the Model panel's fields to the options ``model`` (a loaded fit) records. Returns ``(set, left)``:
    what was set ("3 components", "covariance full", ...) and what the file records that the panel cannot
    hold, with why; the panel's other fields keep their values."""
    panel = window.params_panel
    shown = _shown(window, kind, family)
    done, left = [], []
    for key, value in recorded_options(model).items():
        if key not in shown:
            continue
        if key == "transmat_prior" and isinstance(value, list):
            left.append("transition prior (a matrix; the field takes one number)")
            continue
        if key == "prior" and isinstance(value, dict):
            left.append("prior (mclust's overrides; the field offers none or default)")
            continue
        try:
            panel.set_options(**{key: value})
        except (ValueError, TypeError) as exc:  # e.g. a seed above 2**31 - 1, components fixed by placed means
            left.append(f"{LABELS[key]} ({str(exc).rstrip('.')})")
            continue
        done.append(_words(key, value, kind == "hmm"))
    return done, left


def panel_note(done: list[str], left: list[str]) -> str:
    """The status bar's words on what Open Fit set in the Model panel."""
    text = ("Model panel set to the fit: " + ", ".join(done)) if done else "The fit records no Model panel field"
    if left:
        text += "; not set: " + "; ".join(left)
    return text
