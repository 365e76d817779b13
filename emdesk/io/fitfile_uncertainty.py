"""The fit file's optional ``"uncertainty"`` block: bootstrap standard errors and percentile intervals of a
fitted model's parameters (issue 14), and the matching columns of a Gaussian mixture's parameters CSV.

The block is versioned on its own (``"version": 1``) so the fit file's format version does not change: a
file without it loads as before, and a reader that does not know the block ignores it (format version 2
readers never rejected unknown top-level keys).  A block with a newer version is skipped (the fit still
loads; ``fit_info_["uncertainty"]`` says why).  Layout::

    "uncertainty": {
      "version": 1, "source": "bootstrap", "method": "nonparametric", "n_boot": 999, "n_done": 999,
      "n_failed": 0, "n_not_converged": 0, "cancelled": false, "seed_entropy": "123...", "level": 0.95,
      "standard_errors": {"weights": [k], "means": [k][d], "covariances": <covariances_ shape>},
      "confidence_intervals": {"weights": {"lower": [k], "upper": [k]}, "means": {...}, "covariances": {...}}
    }

The other kinds (Student-t, Poisson, categorical and mixed mixtures, HMMs) list their own parameters under
``standard_errors`` and ``confidence_intervals``, by the model's attribute names without the trailing ``_``
(:func:`emdesk.engine.bootstrap_kinds.kind_parameters`: e.g. ``weights`` and ``lambdas``; ``startprob``,
``transmat``, ``means`` and ``covars`` (the covariance_type's shape) for a GaussianHMM).

Components are in the model's order (the replicates were aligned to it).  JSON has no NaN: a standard error
that could not be computed (fewer than 2 replicates) is ``null``, read back as NaN.

On loading, the model gets ``standard_errors_`` (dict parameter -> array) and ``confidence_intervals_``
(dict parameter -> ``(lower, upper)``); ``fit_info_["uncertainty"]`` keeps the block's facts.
No Qt; the engine only to name the parameters of the other kinds.
"""

from __future__ import annotations

import math

import numpy as np

from .table import DataError

__all__ = ["BLOCK_VERSION", "PARAMETERS", "uncertainty_block", "read_uncertainty", "parameter_uncertainty_columns",
           "attach_uncertainty"]

BLOCK_VERSION = 1
PARAMETERS = ("weights", "means", "covariances")


def _shapes(model) -> dict:
    """Parameter name -> shape, in the order the block lists them."""
    if hasattr(model, "_STRUCT_ATTRS") and hasattr(model, "_family"):  # the structure x family kinds
        from emdesk.engine.bootstrap_kinds import kind_parameters

        try:
            return {key: np.shape(v) for key, v in kind_parameters(model).items()}
        except ValueError as exc:
            raise DataError(f"The model's parameters are not valid: {exc}") from None
    return {"weights": np.shape(model.weights_), "means": np.shape(model.means_),
            "covariances": np.shape(model.covariances_)}


def uncertainty_block(bootstrap, model, level=0.95) -> dict:
    """The JSON block of a :class:`emdesk.engine.bootstrap.BootstrapResult` of ``model`` (any fitted kind).
    Raises DataError when the result does not belong to a model of this shape, or the level is
    not in (0, 1)."""
    if not 0.0 < float(level) < 1.0:
        raise DataError(f"The interval level must be between 0 and 1 (e.g. 0.95); got {level!r}.")
    shapes = _shapes(model)
    se = getattr(bootstrap, "standard_errors", None)
    if not isinstance(se, dict) or set(se) != set(shapes) or any(np.shape(se.get(key)) != shapes[key]
                                                                  for key in shapes):
        raise DataError("The bootstrap result does not match the model (another number of components or "
                        "columns): bootstrap the model being saved.")
    d = bootstrap.to_dict(float(level))
    block = {"version": BLOCK_VERSION, "source": "bootstrap"}
    for key in ("method", "n_boot", "n_done", "n_failed", "n_not_converged", "cancelled", "seed_entropy", "level"):
        block[key] = d.get(key)
    block["standard_errors"] = {key: d["standard_errors"][key] for key in shapes}
    if "confidence_intervals" in d:
        block["confidence_intervals"] = {key: d["confidence_intervals"][key] for key in shapes}
    return block


def _array(value, shape, what, invalid):
    """Nested lists of numbers or null (-> NaN) of exactly ``shape``; infinite values are refused."""

    def walk(v, depth):
        if depth == len(shape):
            if v is None:
                return math.nan
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise invalid(f"{what} must hold numbers or null, found {str(v)[:40]}")
            try:
                f = float(v)
            except OverflowError:
                raise invalid(f"{what} must be finite numbers") from None
            if not math.isfinite(f):
                raise invalid(f"{what} must be finite numbers")
            return f
        if not isinstance(v, list) or len(v) != shape[depth]:
            raise invalid(f"{what} must have shape {list(shape)}")
        return [walk(x, depth + 1) for x in v]

    return np.array(walk(value, 0), dtype=np.float64).reshape(shape)


def read_uncertainty(block, model, invalid=DataError):
    """``(standard_errors, confidence_intervals, facts)`` from a file's block for ``model`` (already built
    from the file), or ``(None, None, facts)`` when the block's version is newer than this emdesk reads.
    Raises ``invalid(message)`` for a malformed block."""
    if not isinstance(block, dict):
        raise invalid("uncertainty must be a JSON object")
    version = block.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise invalid("uncertainty.version must be a positive integer")
    facts = {key: block.get(key) for key in ("version", "source", "method", "n_boot", "n_done", "n_failed",
                                             "n_not_converged", "cancelled", "seed_entropy", "level")}
    if version > BLOCK_VERSION:
        facts["ignored"] = (f"written by a newer emdesk (uncertainty block version {version}; this one reads "
                            f"{BLOCK_VERSION}): the standard errors were not read")
        return None, None, facts
    for key, kind in (("method", str), ("seed_entropy", str)):
        if block.get(key) is not None and not isinstance(block[key], kind):
            raise invalid(f"uncertainty.{key} must be a string")
    for key in ("n_boot", "n_done", "n_failed", "n_not_converged"):
        v = block.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise invalid(f"uncertainty.{key} must be an integer >= 0")
    level = block.get("level")
    if level is not None and (isinstance(level, bool) or not isinstance(level, (int, float))
                              or not 0.0 < float(level) < 1.0):
        raise invalid("uncertainty.level must be a number between 0 and 1")
    shapes = _shapes(model)
    se_doc = block.get("standard_errors")
    if not isinstance(se_doc, dict):
        raise invalid("uncertainty.standard_errors must be a JSON object")
    se = {}
    for key in shapes:
        if key not in se_doc:
            raise invalid(f"uncertainty.standard_errors.{key} is missing")
        se[key] = _array(se_doc[key], shapes[key], f"uncertainty.standard_errors.{key}", invalid)
        if np.any(se[key] < 0):
            raise invalid(f"uncertainty.standard_errors.{key} must not be negative")
    ci = None
    ci_doc = block.get("confidence_intervals")
    if ci_doc is not None:
        if not isinstance(ci_doc, dict):
            raise invalid("uncertainty.confidence_intervals must be a JSON object")
        ci = {}
        for key in shapes:
            pair = ci_doc.get(key)
            if not isinstance(pair, dict) or "lower" not in pair or "upper" not in pair:
                raise invalid(f"uncertainty.confidence_intervals.{key} needs lower and upper")
            lo = _array(pair["lower"], shapes[key], f"uncertainty.confidence_intervals.{key}.lower", invalid)
            hi = _array(pair["upper"], shapes[key], f"uncertainty.confidence_intervals.{key}.upper", invalid)
            if np.any(lo > hi):
                raise invalid(f"uncertainty.confidence_intervals.{key}: a lower bound is above its upper bound")
            ci[key] = (lo, hi)
    for v in se.values():
        v.flags.writeable = False
    return se, ci, facts


def parameter_uncertainty_columns(model, bootstrap, level, full_of, pairs, d):
    """For the parameters CSV: ``(header, rows)`` of the extra columns per component - ``se_weight``,
    ``se_mean_<col>``, ``se_var_<col>``, ``se_cov_<a>_<b>`` and ``lower_``/``upper_`` of each at ``level``
    (when at least 2 replicates succeeded).  ``full_of(array in covariances_ shape) -> (k, d, d)``;
    ``pairs`` the (a, b) column pairs the CSV lists; header names are completed by the caller's columns."""
    se = bootstrap.standard_errors
    k = np.shape(model.weights_)[0]
    blocks = [("se", se["weights"], se["means"], full_of(se["covariances"]))]
    if bootstrap.n_done >= 2:
        ci = bootstrap.confidence_intervals(level)
        for name, idx in (("lower", 0), ("upper", 1)):
            blocks.append((name, ci["weights"][idx], ci["means"][idx], full_of(ci["covariances"][idx])))
    rows = [[] for _ in range(k)]
    header = []
    for name, w, m, full in blocks:
        header.append((name, "weight", None))
        header += [(name, "mean", i) for i in range(d)]
        header += [(name, "var", i) for i in range(d)]
        header += [(name, "cov", ab) for ab in pairs]
        for j in range(k):
            rows[j].append(float(w[j]))
            rows[j] += [float(m[j, i]) for i in range(d)]
            rows[j] += [float(full[j, i, i]) for i in range(d)]
            rows[j] += [float(full[j, a, b]) for a, b in pairs]
    return header, rows


def keyed_uncertainty_columns(header, cells, bootstrap, level, k, expand=None):
    """For the parameters CSV of the other kinds (Student-t, Poisson, latent class, mixed mixtures; HMMs): the
    extra ``se_<name>`` columns, then ``lower_<name>`` / ``upper_<name>`` (when at least 2 replicates
    succeeded), for every column of ``header`` whose value is a bootstrapped parameter.

    ``cells``: one entry per column of ``header``, ``None`` or ``(key, index_of)`` where ``key`` names the
    bootstrap's parameter (``standard_errors[key]``) and ``index_of(j)`` is the index of row ``j``'s value in
    that array (after ``expand[key]``, e.g. a covariance array to full ``(k, d, d)`` matrices).
    Returns ``(extra_header, rows)``: ``rows[j]`` the floats of row ``j`` (NaN where an SE could not be
    computed).  Raises DataError when the bootstrap lacks a parameter the CSV lists."""
    se = bootstrap.standard_errors
    expand = expand or {}
    keyed = [(name, c) for name, c in zip(header, cells) if c is not None]
    missing = sorted({key for _, (key, _) in keyed if key not in se})
    if missing:
        raise DataError(f"The bootstrap result has no {', '.join(missing)}: bootstrap the model being exported.")

    def full(arrays):
        return {key: np.asarray(expand[key](a) if key in expand else a, dtype=float) for key, a in arrays.items()}

    blocks = [("se", full(se))]
    if bootstrap.n_done >= 2:
        ci = bootstrap.confidence_intervals(level)
        blocks += [("lower", full({key: v[0] for key, v in ci.items()})),
                   ("upper", full({key: v[1] for key, v in ci.items()}))]
    extra_header = [f"{prefix}_{name}" for prefix, _ in blocks for name, _ in keyed]
    rows = []
    for j in range(k):
        row = []
        for _, arrays in blocks:
            for _, (key, index_of) in keyed:
                try:
                    row.append(float(arrays[key][index_of(j)]))
                except IndexError:
                    raise DataError("The bootstrap result does not match the model: bootstrap the model being "
                                    "exported.") from None
        rows.append(row)
    return extra_header, rows


def attach_uncertainty(model, doc, name, invalid):
    """On loading: the file's ``"uncertainty"`` block (when there is one) onto ``model`` (already built from
    the file) as ``standard_errors_`` and ``confidence_intervals_``, its facts in ``fit_info_["uncertainty"]``.
    Raises DataError naming the file for a malformed block."""
    if "uncertainty" not in doc:  # files without it load as before
        return model
    try:
        se, ci, facts = read_uncertainty(doc["uncertainty"], model, invalid=invalid)
    except invalid as exc:
        raise DataError(f"{name}: not a valid emdesk fit file: {exc}.") from None
    model.fit_info_["uncertainty"] = facts
    if se is not None:
        model.standard_errors_ = se
        model.confidence_intervals_ = ci
    return model
