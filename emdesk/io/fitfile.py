"""Writing fits for other tools, and reading them back.

* :func:`save_fit` / :func:`load_fit`: the versioned JSON fit file (format ``"emdesk-fit"``, version 2:
  Gaussian mixtures as in version 1, which is still read, and the HMMs of :mod:`emdesk.io.fitfile_hmm`;
  the schema is described in the README, section "Files"). Loading validates everything (shapes, finite
  numbers, weights summing to 1, positive-definite covariances) and never executes anything from the file.
* :func:`save_parameters_csv`: one row per component, for spreadsheets.
* :func:`save_assignments_csv`: the original rows plus responsibilities and the most likely component.
* :func:`save_imputed_csv`: the original rows with missing cells of the fitted columns filled in by the
  mixture (conditional expectations) and a column naming the imputed cells.

All writes are atomic (:mod:`emdesk.io._atomic`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import warnings
from typing import Any, Sequence

import numpy as np

from .. import __version__
from ._atomic import atomic_write
from .fitfile_uncertainty import attach_uncertainty
from .fitfile_restarts import read_fit_scalars, read_restart_record, restart_record
from .table import DataError, Table

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "save_fit", "load_fit", "save_parameters_csv",
           "save_assignments_csv", "save_imputed_csv", "write_selection_csv"]

FORMAT_NAME = "emdesk-fit"
FORMAT_VERSION = 2  # 2: hidden Markov models (model.kind GaussianHMM / PoissonHMM / CategoricalHMM)
READ_VERSIONS = (1, 2)
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
_MAX_FIT_FILE_BYTES = 256 * 1024 * 1024

# Options stored as plain values and passed back to the constructor on load (the starting values
# weights_init/means_init/covariances_init are stored too, but only kept in ``fit_info_``).
_SCALAR_OPTIONS = {"tol": (int, float, str), "reg_covar": (int, float, str), "max_iter": (int,), "n_init": (int,),
                   "init_params": (str,), "random_state": (int, type(None)), "missing": (str,),
                   "prior": (str, type(None), dict)}  # None, "default" or priorControl's overrides


# ---------------------------------------------------------------------------------------------------
# helpers


def _name(path) -> str:
    return os.path.basename(os.fspath(path)) or os.fspath(path)


def _jsonable(value: Any) -> Any:
    """Plain JSON values: arrays as nested lists, NaN/inf as null, NumPy scalars as Python numbers."""
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return None  # e.g. a numpy Generator as random_state: not reproducible from a file


def _column_names(model, columns, d: int) -> list[str]:
    if columns is None:
        columns = getattr(model, "feature_names_in_", None)
    if columns is None:
        return [f"x{j + 1}" for j in range(d)]
    columns = [columns] if isinstance(columns, str) else [str(c) for c in columns]
    if len(columns) != d:
        raise DataError(f"{len(columns)} column names given for a model of {d} features.")
    twice = next((c for i, c in enumerate(columns) if c in columns[:i]), None)
    if twice is not None:
        raise DataError(f"The column name {twice!r} is given twice: give each column a name of its own.")
    return columns


def _check_fitted(model) -> None:
    for attr in ("weights_", "means_", "covariances_", "covariance_type"):
        if not hasattr(model, attr):
            raise DataError("The model is not fitted yet: fit it before saving or exporting.")


# ---------------------------------------------------------------------------------------------------
# save_fit


def save_fit(path, model, X, *, columns: Sequence[str], table: Table | None = None, lengths=None,
             sequence_column: str | None = None, order_column: str | None = None,
             data_files: Sequence[str] | None = None, bootstrap=None, level: float = 0.95) -> dict:
    """Write the fitted ``model`` as a JSON fit file; returns the document written.

    ``model``: a fitted ``GaussianMixture``, ``GaussianHMM``, ``PoissonHMM`` or ``CategoricalHMM``.
    ``X`` is the data that was fitted (for log-likelihood, BIC, AIC, ICL; for an HMM in fit order, a
    categorical HMM's as symbol codes), ``columns`` its column names, ``table`` the table it came from
    (for the data file's name, row count and SHA-256); ``data_files``: the files (or glob patterns) a
    Dask fit read, recorded as ``data.files`` (``X`` may then be the Dask DataFrame or array: it is
    scored in passes on the active scheduler, never materialised). HMMs only: ``lengths`` (rows per sequence, as
    given to ``fit``), and the names of the ``sequence_column`` and ``order_column`` used (recorded so
    the assignments can be recomputed in the same order); a categorical HMM's symbol labels are taken
    from ``model.symbols_`` when set. ``bootstrap``: the model's (any kind)
    :class:`~emdesk.engine.bootstrap.BootstrapResult`, written as the optional ``"uncertainty"`` block
    (standard errors and ``level`` percentile intervals; :mod:`emdesk.io.fitfile_uncertainty`).
    Raises :class:`DataError`.
    """
    from .fitfile_families import family_document, is_family_mixture
    from .fitfile_hmm import hmm_document, is_hmm

    if is_family_mixture(model) and lengths is None and sequence_column is None and order_column is None:
        body = family_document(model, X, columns=columns, table=table, jsonable=_jsonable, column_names=_column_names)
    elif is_hmm(model):
        body = hmm_document(model, X, columns=columns, table=table, lengths=lengths, sequence_column=sequence_column,
                            order_column=order_column, jsonable=_jsonable, column_names=_column_names)
    else:
        body = None
    if body is not None and bootstrap is not None:
        from .fitfile_uncertainty import uncertainty_block

        body["uncertainty"] = uncertainty_block(bootstrap, model, level)
    if body is not None:
        body["data"]["file_name"] = _name(table.path) if table is not None and table.path else None
        document = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "emdesk_version": __version__,
                    "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), **body}
        text = json.dumps(document, indent=1, allow_nan=False, ensure_ascii=False)
        with atomic_write(path) as handle:
            handle.write(text + "\n")
        return document
    if lengths is not None or sequence_column is not None or order_column is not None:
        raise DataError("lengths, sequence_column and order_column belong to hidden Markov models; "
                        "a mixture's rows are independent.")
    _check_fitted(model)
    k, d = np.shape(model.means_)
    columns = _column_names(model, columns, d)
    lazy = callable(getattr(X, "__dask_graph__", None))  # Dask data (emdesk-fit --dask): never materialised
    if lazy:
        try:
            from ..engine import _dask

            n_rows, n_missing = _dask.data_counts(X)  # one pass, on the active Dask scheduler
        except (ImportError, ValueError) as exc:
            raise DataError(f"Cannot count the rows of the Dask data: {exc}") from None
        if len(X.columns if hasattr(X, "columns") else range(X.shape[1])) != d:
            raise DataError(f"X must have {d} columns (one per model feature).")
    else:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1 and d == 1:  # one feature as a vector, as the engine takes it
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != d:
            raise DataError(f"X must have {d} columns (one per model feature), got shape {X.shape}.")
        n_rows, n_missing = int(X.shape[0]), int(np.count_nonzero(np.isnan(X)))
    try:
        scores = model._scores(X)  # log-likelihood, BIC, AIC and ICL from one E-step (one Dask pass)
        n_parameters = int(model.n_parameters())
    except ValueError as exc:
        raise DataError(f"Cannot evaluate the fit on its data: {exc}") from None
    n_used = int(scores["n"])
    log_likelihood, bic, aic, icl = scores["log_likelihood"], scores["bic"], scores["aic"], scores["icl"]
    params = model.get_params()
    seed = params.get("random_state")
    options = {key: _jsonable(value) for key, value in params.items()}
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "emdesk_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "model": {
            "kind": "GaussianMixture",
            "covariance_type": model.covariance_type,
            "n_components": int(k),
            "n_features": int(d),
            "weights": _jsonable(model.weights_),
            "means": _jsonable(model.means_),
            "covariances": _jsonable(model.covariances_),
        },
        "columns": columns,
        "data": {
            "file_name": _name(table.path) if table is not None and table.path else None,
            "sha256": table.sha256 if table is not None else None,
            "n_rows": int(table.n_rows) if table is not None else n_rows,
            "n_rows_fitted": n_rows,
            "n_rows_observed": n_used,
            "n_missing_values": n_missing,
        },
        "fit": {
            "log_likelihood": _jsonable(log_likelihood),
            "mean_log_likelihood": _jsonable(log_likelihood / n_used if n_used else math.nan),
            "bic": _jsonable(bic),
            "aic": _jsonable(aic),
            "icl": _jsonable(icl),
            "n_parameters": n_parameters,
            "n_iter": int(getattr(model, "n_iter_", 0)),
            "converged": bool(getattr(model, "converged_", False)),
            **restart_record(model, _jsonable),  # best_restart, restart_log_likelihoods, restart_degenerate
        },
        "options": options,
        "random_seed": int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else None,
    }
    if params.get("prior") is not None:  # the MAP fit's log prior density (log_likelihood stays the likelihood's)
        document["fit"]["log_prior"] = _jsonable(getattr(model, "log_prior_", None))
    if bootstrap is not None:
        from .fitfile_uncertainty import uncertainty_block

        document["uncertainty"] = uncertainty_block(bootstrap, model, level)
    if data_files is not None:
        files = [os.fspath(f) for f in ([data_files] if isinstance(data_files, str) else data_files)]
        document["data"]["files"] = files
        if document["data"]["file_name"] is None and len(files) == 1:
            document["data"]["file_name"] = _name(files[0])
    text = json.dumps(document, indent=1, allow_nan=False, ensure_ascii=False)
    with atomic_write(path) as handle:
        handle.write(text + "\n")
    return document


# ---------------------------------------------------------------------------------------------------
# load_fit


class _Invalid(Exception):
    pass


# Limits of a fit file's JSON: no value emdesk writes comes near them, and past them a tampered file
# would make Python itself fail (int("1" * 4301) is a ValueError since Python 3.11, float(10**400) an
# OverflowError, nesting past ~1000 levels a RecursionError) or make messages echo megabytes.
_MAX_INT_DIGITS = 64
_MAX_DEPTH = 32
_MAX_MESSAGE = 300


def _short(value, limit: int = 40) -> str:
    """A few characters describing a JSON value for a message, without recursing into it."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if value.bit_length() > 64:  # (str() of a huge int is slow, and refused past 4,300 digits)
            return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value[:limit]) + ("..." if len(value) > limit else "")
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a JSON object"
    return type(value).__name__


def _clip(message: str) -> str:
    """At most ``_MAX_MESSAGE`` characters (a message never echoes a huge value whole)."""
    return message if len(message) <= _MAX_MESSAGE else message[:_MAX_MESSAGE - 3] + "..."


def _reject_constant(token):
    raise _Invalid(f"it contains {token}, which is not a JSON number (missing values are written as null)")


def _parse_int(text: str):
    digits = len(text) - text.startswith("-")
    if digits > _MAX_INT_DIGITS:
        raise _Invalid(f"it contains an integer of {digits} digits, more than any fit file holds")
    return int(text)


def _parse_float(text: str):
    if len(text) > 400:  # repr() of any float is at most 24 characters
        raise _Invalid(f"it contains a number written with {len(text)} characters, more than any fit file holds")
    return float(text)


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise _Invalid(f"the key {_short(key)} appears twice in one object")
        obj[key] = value
    return obj


def _check_depth(doc) -> None:
    """Nesting deeper than ``_MAX_DEPTH`` is refused (iteratively: deep values must not exhaust the stack
    of the code that reads them later)."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise _Invalid(f"it is nested more than {_MAX_DEPTH} levels deep")
        if isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (list, dict)))
        elif isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (list, dict)))


def _number_array(value, shape: tuple[int, ...], what: str) -> np.ndarray:
    """Strictly: nested lists of JSON numbers (no bool, no string, no null) of exactly ``shape``."""

    def walk(v, depth):
        if depth == len(shape):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise _Invalid(f"{what} must hold numbers, found {_short(v)}")
            try:
                return float(v)
            except OverflowError:
                raise _Invalid(f"{what} must be finite numbers, found {_short(v)}") from None
        if not isinstance(v, list) or len(v) != shape[depth]:
            raise _Invalid(f"{what} must have shape {list(shape)}; at depth {depth + 1} expected a list of "
                           f"{shape[depth]}, found {_short(v)}")
        return [walk(x, depth + 1) for x in v]

    arr = np.array(walk(value, 0), dtype=np.float64).reshape(shape)
    if not np.all(np.isfinite(arr)):
        raise _Invalid(f"{what} must be finite numbers")
    return arr


def _require(obj: dict, key: str, where: str):
    if not isinstance(obj, dict):
        raise _Invalid(f"{where} must be a JSON object")
    if key not in obj:
        raise _Invalid(f"the key {key!r} is missing from {where}")
    return obj[key]


def _int(value, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _Invalid(f"{what} must be an integer >= {minimum}, found {_short(value)}")
    return value


def _validate(doc) -> dict:
    """The model's parameters, checked for types, shapes and finiteness; the mathematical checks
    (symmetric, positive definite, positive variances) are the engine's own
    (``GaussianMixture.from_parameters``), with its tolerance, so that a file is accepted exactly when the
    engine accepts its parameters."""
    if not isinstance(doc, dict):
        raise _Invalid("the file holds a JSON value that is not an object")
    _check_depth(doc)
    fmt = _require(doc, "format", "the file")
    if fmt != FORMAT_NAME:
        raise _Invalid(f"its format is {_short(fmt, 60)}, not {FORMAT_NAME!r}")
    version = _require(doc, "format_version", "the file")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _Invalid(f"format_version must be a positive integer, found {_short(version)}")
    if version > FORMAT_VERSION:
        raise _Invalid(f"it was written by a newer emdesk (format version {_short(version)}; this emdesk reads "
                       f"versions 1 to {FORMAT_VERSION}). Update emdesk to open it")
    model = _require(doc, "model", "the file")
    kind = _require(model, "kind", "model")
    from .fitfile_families import FAMILY_KINDS
    from .fitfile_hmm import HMM_KINDS

    if isinstance(kind, str) and (kind in HMM_KINDS or kind in FAMILY_KINDS) and version >= 2:
        for section in ("data", "fit", "options"):
            if not isinstance(doc.get(section, {}), dict):
                raise _Invalid(f"{section} must be a JSON object")
        return {"hmm" if kind in HMM_KINDS else "family": kind}
    if kind != "GaussianMixture":
        kinds = ", ".join(["GaussianMixture"] + list(HMM_KINDS) + list(FAMILY_KINDS))
        raise _Invalid(f"model.kind must be one of {kinds} (hidden Markov models from format version 2), "
                       f"found {_short(kind)}")
    from ..engine._validation import ALL_COVARIANCE_TYPES, covariance_layout

    ct = _require(model, "covariance_type", "model")
    if not isinstance(ct, str) or ct not in ALL_COVARIANCE_TYPES:
        raise _Invalid(f"model.covariance_type must be one of {', '.join(COVARIANCE_TYPES)} or one of "
                       f"mclust's model names, found {_short(ct)}")
    k = _int(_require(model, "n_components", "model"), "model.n_components")
    d = _int(_require(model, "n_features", "model"), "model.n_features")
    try:
        layout = covariance_layout(ct, d)  # mclust's names are stored in one of scikit-learn's layouts
    except ValueError as exc:
        raise _Invalid(f"model.covariance_type {ct!r} does not fit {d} features: {exc}") from None
    weights = _number_array(_require(model, "weights", "model"), (k,), "model.weights")
    if np.any(weights < 0):
        raise _Invalid("model.weights must not be negative")
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(weights.sum())
    if not abs(total - 1.0) <= 1e-6:
        raise _Invalid(f"model.weights must sum to 1, they sum to {total:.9g}")
    means = _number_array(_require(model, "means", "model"), (k, d), "model.means")
    cov_shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[layout]
    cov = _number_array(_require(model, "covariances", "model"), cov_shape, "model.covariances")
    columns = _require(doc, "columns", "the file")
    if (not isinstance(columns, list) or len(columns) != d or not all(isinstance(c, str) for c in columns)
            or len(set(columns)) != d):
        raise _Invalid(f"columns must be a list of {d} distinct names")
    for section in ("data", "fit", "options"):
        if not isinstance(doc.get(section, {}), dict):
            raise _Invalid(f"{section} must be a JSON object")
    options = {}
    for key, value in doc.get("options", {}).items():
        if key in _SCALAR_OPTIONS:
            if isinstance(value, bool) or not isinstance(value, _SCALAR_OPTIONS[key]):
                raise _Invalid(f"options.{key} has an invalid value {_short(value)}")
            if isinstance(value, str) and key in ("tol", "reg_covar"):  # "relative[:r]" only
                from emdesk.engine.relative import relative_amount
                try:
                    relative_amount(value, key)
                except ValueError:
                    raise _Invalid(f"options.{key} has an invalid value {_short(value)}") from None
            if key == "prior":  # emdesk.engine.prior.check_prior: "default" or a dict of its overrides
                from emdesk.engine.prior import check_prior
                try:
                    check_prior(value)
                except ValueError as exc:
                    raise _Invalid(f"options.prior: {exc}") from None
            options[key] = value
    return {"covariance_type": ct, "weights": weights / total, "means": means, "covariances": cov,
            "columns": columns, "options": options}


def _layout(model, d) -> str:
    """scikit-learn's layout of ``model.covariances_`` (mclust's model names are stored in one)."""
    from ..engine._validation import covariance_layout

    return covariance_layout(model.covariance_type, d)


def _probe(model) -> None:
    """An accepted file must score finite: the log-densities at the means and one standard deviation from
    them along each axis (a variance of 5e-324 passes every shape and sign check, yet its density
    overflows)."""
    means = np.asarray(model.means_, dtype=np.float64)
    k, d = means.shape
    ct = _layout(model, d)
    cov = np.asarray(model.covariances_, dtype=np.float64)
    var = {"full": lambda: np.stack([np.diag(c) for c in cov]), "tied": lambda: np.tile(np.diag(cov), (k, 1)),
           "diag": lambda: cov, "spherical": lambda: np.repeat(cov[:, None], d, axis=1)}[ct]()
    with np.errstate(all="ignore"):
        step = np.sqrt(var)
        probes = [means]
        for j in range(d):
            for sign in (1.0, -1.0):
                moved = means.copy()
                moved[:, j] += sign * step[:, j]
                probes.append(moved)
        X = np.vstack(probes)
        X = X[np.isfinite(X).all(axis=1)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                scores = np.asarray(model.score_samples(X), dtype=np.float64)
            except ValueError:  # the probe rows are finite and of the model's width: the parameters fail
                scores = np.array([np.nan])
    if not np.all(np.isfinite(scores)):
        raise _Invalid("its parameters do not give finite densities (a covariance too close to singular, "
                       "e.g. a variance of 5e-324, or values too large to compute with)")


def load_fit(path):
    """Read a fit file written by :func:`save_fit`: a fitted ``GaussianMixture``, or (format version 2)
    ``GaussianHMM``, ``PoissonHMM`` or ``CategoricalHMM`` (a categorical one with ``symbols_``, its
    symbols' labels).

    The model's ``feature_names_in_`` are the fitted columns and ``fit_info_`` holds the rest of the file
    (data, fit statistics, options, versions, ``path``). Anything malformed raises :class:`DataError`, and
    only that, with a short message (a tampered file may hold huge numbers, deep nesting, long strings):
    the parameters are checked by ``GaussianMixture.from_parameters``, and a model is returned only when
    its log-densities near its means are finite.
    """
    name = _name(path)
    try:
        return _load_fit(path, name)
    except DataError as exc:
        raise DataError(_clip(str(exc))) from None
    except (_Invalid, ValueError, TypeError, ArithmeticError, RecursionError, np.linalg.LinAlgError) as exc:
        # A safety net: whatever the file holds, the caller gets a DataError (the fuzz tests look for
        # this message: none of the cases they try should reach it).
        raise DataError(_clip(f"{name}: not a valid emdesk fit file ({type(exc).__name__}: {exc}).")) from None


def _load_fit(path, name: str):
    from ..engine import GaussianMixture

    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_FIT_FILE_BYTES + 1)
    except FileNotFoundError:
        raise DataError(f"{name}: no such file ({os.fspath(path)}).") from None
    except IsADirectoryError:
        raise DataError(f"{name}: this is a folder, not a fit file.") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read the file ({exc.strerror or exc}).") from None
    if len(raw) > _MAX_FIT_FILE_BYTES:
        raise DataError(f"{name}: too large to be an emdesk fit file.")
    if not raw.strip():
        raise DataError(f"{name}: the file is empty; it is not an emdesk fit file.")
    try:
        text = raw.decode("utf-8-sig")
        doc = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float,
                         object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise DataError(f"{name}: not an emdesk fit file (it is not UTF-8 text).") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{name}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}). "
                        f"Was the file truncated or edited by hand?") from None
    except _Invalid as exc:
        raise DataError(f"{name}: not a valid emdesk fit file: {exc}.") from None
    except RecursionError:
        raise DataError(f"{name}: not a valid emdesk fit file: it is nested too deeply.") from None
    try:
        valid = _validate(doc)
        if isinstance(doc.get("fit", {}), dict):  # the restarts' record, checked, on fit_info_["fit"]
            read_fit_scalars(doc.get("fit", {}), _Invalid, _short)  # numbers, counts and true/false
            doc["fit"] = dict(doc.get("fit", {}), **read_restart_record(doc.get("fit", {}), _Invalid, _short))
        if "hmm" in valid:
            from .fitfile_hmm import build_hmm

            with np.errstate(all="ignore"):
                model, columns = build_hmm(doc, invalid=_Invalid, require=_require, integer=_int,
                                           number_array=_number_array, short=_short)
            return attach_uncertainty(_finish(model, doc, columns, path, (
                "startprob", "transmat", "means", "covars", "lambdas", "emissionprob")), doc, name, _Invalid)
        if "family" in valid:
            from .fitfile_families import build_family_mixture

            with np.errstate(all="ignore"):
                model, columns = build_family_mixture(doc, invalid=_Invalid, require=_require, integer=_int,
                                                      number_array=_number_array, short=_short)
            return attach_uncertainty(_finish(model, doc, columns, path, (
                "weights", "means", "covariances", "dof", "lambdas", "probs", "categories")), doc, name, _Invalid)
    except _Invalid as exc:
        raise DataError(f"{name}: not a valid emdesk fit file: {exc}.") from None
    try:
        with np.errstate(all="ignore"):
            model = GaussianMixture.from_parameters(valid["weights"], valid["means"], valid["covariances"],
                                                    covariance_type=valid["covariance_type"], **valid["options"])
    except (ValueError, TypeError, ArithmeticError, np.linalg.LinAlgError) as exc:
        raise DataError(f"{name}: not a valid emdesk fit file: {exc}") from None
    try:
        _probe(model)
    except (ValueError, _Invalid) as exc:  # the engine's refusal to score, or _Invalid
        raise DataError(f"{name}: not a valid emdesk fit file: {exc}") from None
    model = _finish(model, doc, valid["columns"], path, ("weights", "means", "covariances"))
    return attach_uncertainty(model, doc, name, _Invalid)  # the optional bootstrap block (issue 14)


def _finish(model, doc, columns, path, arrays):
    """The file's fit statistics and the rest of its content on the loaded model."""
    fit = doc.get("fit", {})
    if isinstance(fit.get("converged"), bool):
        model.converged_ = fit["converged"]
    if isinstance(fit.get("n_iter"), int) and not isinstance(fit.get("n_iter"), bool) and fit["n_iter"] >= 0:
        model.n_iter_ = fit["n_iter"]
    for key, attr in (("log_likelihood", "log_likelihood_"), ("mean_log_likelihood", "lower_bound_")):
        value = fit.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value)  # (at most 64 digits: no overflow)
            if math.isfinite(value):
                setattr(model, attr, value)
    model.feature_names_in_ = np.asarray(columns, dtype=object)
    info = {key: value for key, value in doc.items() if key != "model"}
    info["model"] = {key: value for key, value in doc["model"].items() if key not in arrays}
    info["path"] = os.path.abspath(os.fspath(path))
    model.fit_info_ = info
    # the one-restart stand-in the model got from its parameters: saving the model again writes the file's
    # record of all its restarts instead, until a new fit replaces it (fitfile_restarts.restart_record)
    model._opened_restarts = getattr(model, "restart_log_likelihoods_", None)
    return model


# ---------------------------------------------------------------------------------------------------
# CSV exports


# The CSV exports (parameters, assignments, imputed data): emdesk.io.fitfile_csv, re-exported here.
from .fitfile_csv import (  # noqa: E402,F401
    _check_columns, _marginalizing, _write_rows, _writer, save_assignments_csv, save_imputed_csv,
    save_parameters_csv)
from .exports import write_selection_csv  # noqa: E402,F401  (moved; still importable from here)
