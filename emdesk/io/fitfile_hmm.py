"""Hidden Markov models in files: the fit file's HMM kinds, the parameters CSV and the assignments CSV.

``GaussianHMM``, ``PoissonHMM`` and ``CategoricalHMM`` (``emdesk.engine``) are written by
:func:`emdesk.io.save_fit` (format ``"emdesk-fit"``, version 2; schema in the README, section "Files")
with hmmlearn's names and shapes: ``startprob`` (k,), ``transmat`` (k, k), ``means`` (k, d) and
``covars`` in the covariance type's shape (what hmmlearn's ``covars_`` setter takes: spherical (k,),
diag (k, d), full (k, d, d), tied (d, d)), ``lambdas`` (k, d), ``emissionprob`` (k, n_features).
:func:`emdesk.io.load_fit` reads them back with the checks of the mixture files (only ``DataError``,
a finite scoring probe). Written against the estimators' public attributes only.
"""

from __future__ import annotations

import copy
import math
import re
import warnings

import numpy as np

from .fitfile_restarts import restart_record
from .table import DataError, Table, format_number, format_numbers, unique_name

__all__ = ["HMM_KINDS", "is_hmm", "hmm_document", "build_hmm", "save_hmm_parameters_csv",
           "save_hmm_assignments_csv", "model_symbols"]

#: fit-file ``model.kind`` -> emission family name
HMM_KINDS = {"GaussianHMM": "gaussian", "PoissonHMM": "poisson", "CategoricalHMM": "categorical"}
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
_INIT_METHODS = ("kmeans++", "kmeans", "random", "random_from_data")


def _classes():
    from ..engine import CategoricalHMM, GaussianHMM, PoissonHMM

    return {"GaussianHMM": GaussianHMM, "PoissonHMM": PoissonHMM, "CategoricalHMM": CategoricalHMM}


def is_hmm(model) -> bool:
    """True for the engine's ``GaussianHMM``, ``PoissonHMM`` and ``CategoricalHMM``."""
    return isinstance(model, tuple(_classes().values()))


def _kind(model) -> str:
    for name, cls in _classes().items():
        if isinstance(model, cls):
            return name
    raise DataError(f"{type(model).__name__} cannot be written as an emdesk HMM fit.")


def _check_fitted(model) -> None:
    family = HMM_KINDS[_kind(model)]
    attrs = {"gaussian": ("means_", "covars_"), "poisson": ("lambdas_",), "categorical": ("emissionprob_",)}[family]
    for attr in ("startprob_", "transmat_") + attrs:
        if not hasattr(model, attr):
            raise DataError("The model is not fitted yet: fit it before saving or exporting.")


def _type_shaped_covars(model) -> np.ndarray:
    """The covariances in the type's shape, from hmmlearn's (k, d, d) ``covars_`` getter (exact: the
    getter only broadcasts the stored values)."""
    full = np.asarray(model.covars_, dtype=np.float64)
    ct = model.covariance_type
    if ct == "full":
        return full
    if ct == "tied":
        return full[0]
    if ct == "diag":
        return np.stack([np.diag(c) for c in full])
    return full[:, 0, 0].copy()


def model_symbols(model) -> list[str]:
    """A categorical HMM's symbol labels: ``model.symbols_`` when set (by ``load_fit`` or the caller),
    else ``"0", "1", ...``."""
    m = np.asarray(model.emissionprob_).shape[1]
    symbols = getattr(model, "symbols_", None)
    if symbols is None:
        return [str(i) for i in range(m)]
    symbols = [str(s) for s in symbols]
    if len(symbols) != m or len(set(symbols)) != m:
        raise DataError(f"symbols_ must be {m} distinct labels, one per column of emissionprob_.")
    return symbols


def n_features(model) -> int:
    family = HMM_KINDS[_kind(model)]
    if family == "gaussian":
        return int(np.shape(model.means_)[1])
    if family == "poisson":
        return int(np.shape(model.lambdas_)[1])
    return int(np.shape(model.emissionprob_)[1])


def n_columns(model) -> int:
    return 1 if HMM_KINDS[_kind(model)] == "categorical" else n_features(model)


# ---------------------------------------------------------------------------------------------------
# save


def hmm_document(model, X, *, columns, table, lengths, sequence_column, order_column, jsonable, column_names):
    """The ``model``, ``columns``, ``data``, ``sequences``, ``fit`` and ``options`` blocks of an HMM fit
    file (the caller adds format, versions and time)."""
    _check_fitted(model)
    kind = _kind(model)
    family = HMM_KINDS[kind]
    d = n_columns(model)
    columns = column_names(model, columns, d)
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError("X must hold numbers (for a categorical HMM, the symbol codes 0, 1, ...; see "
                        "emdesk.io.sequences.encode_symbols).") from None
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != d:
        raise DataError(f"X must have {d} column{'s' if d != 1 else ''} (one per model feature), got shape {X.shape}.")
    lengths = None if lengths is None else [int(v) for v in np.asarray(lengths).ravel()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            log_likelihood = float(model.score(X, lengths))
            n_parameters = int(model.n_parameters())
        except ValueError as exc:
            raise DataError(f"Cannot evaluate the fit on its data: {exc}") from None
    n = int(X.shape[0])
    bic = -2.0 * log_likelihood + n_parameters * math.log(n)
    aic = -2.0 * log_likelihood + 2.0 * n_parameters
    k = int(np.shape(model.startprob_)[0])
    block = {"kind": kind, "n_components": k, "n_features": n_features(model),
             "startprob": jsonable(model.startprob_), "transmat": jsonable(model.transmat_)}
    if family == "gaussian":
        block["covariance_type"] = model.covariance_type
        block["means"] = jsonable(model.means_)
        block["covars"] = jsonable(_type_shaped_covars(model))
    elif family == "poisson":
        block["lambdas"] = jsonable(model.lambdas_)
    else:
        block["emissionprob"] = jsonable(model.emissionprob_)
        block["symbols"] = model_symbols(model)
    params = model.get_params()
    seed = params.get("random_state")
    return {
        "model": block,
        "columns": columns,
        "sequences": {"sequence_column": sequence_column, "order_column": order_column,
                      "n_sequences": 1 if lengths is None else len(lengths)},
        "data": {
            "file_name": None, "sha256": table.sha256 if table is not None else None,
            "n_rows": int(table.n_rows) if table is not None else n,
            "n_rows_fitted": n,
            "n_rows_observed": int(np.count_nonzero(np.isfinite(X).any(axis=1))),
            "n_missing_values": int(np.count_nonzero(np.isnan(X))),
        },
        "fit": {
            "log_likelihood": jsonable(log_likelihood),
            "mean_log_likelihood": jsonable(log_likelihood / n),
            "bic": jsonable(bic), "aic": jsonable(aic), "n_parameters": n_parameters,
            "n_iter": int(getattr(model, "n_iter_", 0)),
            "converged": bool(getattr(model, "converged_", False)),
            **restart_record(model, jsonable),  # best_restart, restart_log_likelihoods, restart_degenerate
        },
        "options": {key: jsonable(value) for key, value in params.items()},
        "random_seed": int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else None,
    }


# ---------------------------------------------------------------------------------------------------
# load


def _probabilities(arr: np.ndarray, what: str, invalid) -> np.ndarray:
    if np.any(arr < 0):
        raise invalid(f"{what} must not be negative")
    with np.errstate(over="ignore", invalid="ignore"):
        sums = arr.sum(axis=-1)
    if not np.all(np.abs(sums - 1.0) <= 1e-6):
        where = " (every row)" if arr.ndim == 2 else ""
        raise invalid(f"{what} must sum to 1{where}")
    return arr / sums[..., None] if arr.ndim == 2 else arr / sums


def _json_numbers(v) -> bool:
    """A JSON ``transmat_prior`` is null, a number or a list of lists of numbers (never true/false); its
    values and shape are the engine's rule (:func:`~emdesk.engine.structures.markov_init.check_transmat_prior`)."""
    def number(c):
        return isinstance(c, (int, float)) and not isinstance(c, bool)

    return v is None or number(v) or (isinstance(v, list) and all(
        isinstance(row, list) and all(number(c) for c in row) for row in v))


def _options(doc, kind, invalid, short) -> dict:
    """The scalar constructor options of the file that this kind takes, each checked."""
    options = doc.get("options", {})
    out = {}
    checks = {
        "tol": lambda v: isinstance(v, (int, float)) and math.isfinite(v) and v >= 0,
        "max_iter": lambda v: isinstance(v, int) and 0 <= v <= 10 ** 9,
        "n_init": lambda v: isinstance(v, int) and 1 <= v <= 10000,
        "init_params": lambda v: v in _INIT_METHODS,
        "random_state": lambda v: v is None or (isinstance(v, int) and 0 <= v < 2 ** 128),
        "missing": lambda v: v in ("error", "marginalize"),
    }
    if kind == "GaussianHMM":
        checks["reg_covar"] = lambda v: isinstance(v, (int, float)) and math.isfinite(v) and v >= 0
    for key, ok in checks.items():
        if key not in options:
            continue
        value = options[key]
        if isinstance(value, bool) or not ok(value):
            raise invalid(f"options.{key} has an invalid value {short(value)}")
        out[key] = value
    return out


def build_hmm(doc, *, invalid, require, integer, number_array, short):
    """Validate an HMM fit file's document and return ``(model, columns)``; ``invalid`` is raised for
    anything wrong (the caller turns it into a DataError). The probabilities, shapes and finiteness are
    checked here; covariances by the engine's own scoring; then a finite probe."""
    model_block = doc["model"]
    kind = model_block["kind"]
    family = HMM_KINDS[kind]
    k = integer(require(model_block, "n_components", "model"), "model.n_components")
    m = integer(require(model_block, "n_features", "model"), "model.n_features")
    startprob = _probabilities(number_array(require(model_block, "startprob", "model"), (k,), "model.startprob"),
                               "model.startprob", invalid)
    transmat = _probabilities(number_array(require(model_block, "transmat", "model"), (k, k), "model.transmat"),
                              "model.transmat", invalid)
    d = 1 if family == "categorical" else m
    columns = require(doc, "columns", "the file")
    if (not isinstance(columns, list) or len(columns) != d or not all(isinstance(c, str) for c in columns)
            or len(set(columns)) != d):
        raise invalid(f"columns must be a list of {d} distinct names")
    sequences = doc.get("sequences", {})
    if not isinstance(sequences, dict):
        raise invalid("sequences must be a JSON object")
    for key in ("sequence_column", "order_column"):
        if not (sequences.get(key) is None or isinstance(sequences.get(key), str)):
            raise invalid(f"sequences.{key} must be a column name or null")
    options = _options(doc, kind, invalid, short)
    if "transmat_prior" in doc.get("options", {}):
        from emdesk.engine.structures.markov_init import check_transmat_prior

        prior = doc["options"]["transmat_prior"]
        if not _json_numbers(prior):
            raise invalid(f"options.transmat_prior has an invalid value {short(prior)}")
        try:
            check_transmat_prior(prior, k)
        except (ValueError, OverflowError) as exc:
            raise invalid(f"options.transmat_prior: {str(exc).rstrip('.')}") from None
        options["transmat_prior"] = np.array(prior, dtype=float) if isinstance(prior, list) else prior
    cls = _classes()[kind]
    symbols = None
    if family == "gaussian":
        ct = require(model_block, "covariance_type", "model")
        if ct not in COVARIANCE_TYPES:
            raise invalid(f"model.covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, found {short(ct)}")
        means = number_array(require(model_block, "means", "model"), (k, d), "model.means")
        cov_shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[ct]
        covars = number_array(require(model_block, "covars", "model"), cov_shape, "model.covars")
        model = cls(k, covariance_type=ct, **options)
        model.means_ = means
        model.covars_ = covars
    elif family == "poisson":
        lambdas = number_array(require(model_block, "lambdas", "model"), (k, d), "model.lambdas")
        if np.any(lambdas <= 0):
            raise invalid("model.lambdas must be positive rates")
        model = cls(k, **options)
        model.lambdas_ = lambdas
    else:
        emissionprob = _probabilities(
            number_array(require(model_block, "emissionprob", "model"), (k, m), "model.emissionprob"),
            "model.emissionprob", invalid)
        symbols = require(model_block, "symbols", "model")
        if (not isinstance(symbols, list) or len(symbols) != m or not all(isinstance(s, str) for s in symbols)
                or len(set(symbols)) != m):
            raise invalid(f"model.symbols must be a list of {m} distinct labels")
        model = cls(k, n_features=m, **options)
        model.emissionprob_ = emissionprob
        model.symbols_ = np.asarray(symbols, dtype=object)
    model.startprob_ = startprob
    model.transmat_ = transmat
    model.n_features_in_ = d
    _probe(model, family, invalid)
    return model, columns


_FIELDS = {"gaussian": "model.means / model.covars", "poisson": "model.lambdas", "categorical": "model.emissionprob"}


def _check_covariances(model, invalid) -> None:
    """Each state's covariance (the shared one for "tied") must be a covariance one can compute with:
    variances > 0, symmetric, positive definite (the engine's scoring then checks it in its own scaled
    units: a variance of 5e-324 fails there). A fit never writes anything else, so a file that has one
    was edited: its parameters are invalid (named by field and state), which is not a fitting problem
    (no advice about reg_covar)."""
    ct = model.covariance_type
    full = np.asarray(model.covars_, dtype=np.float64)  # (k, d, d) for every type
    for j, c in enumerate(full[:1] if ct == "tied" else full):
        where = "model.covars (the shared covariance)" if ct == "tied" else f"model.covars of state {j + 1}"
        var = np.diag(c)
        if np.any(var <= 0):
            i = int(np.flatnonzero(var <= 0)[0])
            raise invalid(f"{where}: variance {i + 1} is {format_number(float(var[i]))}; a variance must be > 0")
        if ct == "full" and not np.allclose(c, c.T, rtol=1e-8, atol=0):
            raise invalid(f"{where} is not symmetric")
        with np.errstate(all="ignore"):
            try:
                ok = bool(np.all(np.isfinite(np.linalg.cholesky(c))))
            except np.linalg.LinAlgError:
                ok = False
        if not ok:
            raise invalid(f"{where} is not positive definite; a fit never writes this, so the file was edited "
                          f"or damaged")


def _probe(model, family, invalid) -> None:
    """Every state's emissions must score finite near their centre: each probe row is scored as a
    sequence of its own under uniform start probabilities (so zero start or transition probabilities,
    which are legitimate, cannot make a probe impossible); a state whose own probe rows do not score
    is named, with the field that holds its parameters. A damaged file's parameters are reported as
    invalid, never with advice about fitting (raising reg_covar)."""
    k = int(np.shape(model.startprob_)[0])
    if family == "gaussian":
        _check_covariances(model, invalid)
    owner = []  # the state each probe row was made from
    with np.errstate(all="ignore"):
        if family == "gaussian":
            means = np.asarray(model.means_, dtype=np.float64)
            sd = np.sqrt(np.stack([np.diag(c) for c in np.asarray(model.covars_, dtype=np.float64)]))
            probes = [means]
            for j in range(means.shape[1]):
                for sign in (1.0, -1.0):
                    moved = means.copy()
                    moved[:, j] += sign * sd[:, j]
                    probes.append(moved)
            X = np.vstack(probes)
            owner = np.tile(np.arange(k), len(probes))
            keep = np.isfinite(X).all(axis=1)
            X, owner = X[keep], owner[keep]
        elif family == "poisson":
            lam = np.asarray(model.lambdas_, dtype=np.float64)
            from emdesk.engine.families.poisson import MAX_COUNT

            big = np.argwhere(~(lam <= MAX_COUNT))
            if big.size:  # a rate no count can reach (the data's counts stop at 2^53)
                j, c = (int(v) for v in big[0])
                raise invalid(f"its parameters are invalid: model.lambdas of state {j + 1}, column {c + 1} is "
                              f"{lam[j, c]:g}, above 2^53, the largest count a Poisson model takes; a fit never "
                              f"writes this, so the file was edited or damaged")
            X = np.vstack([np.floor(lam), np.ceil(lam)])
            owner = np.tile(np.arange(k), 2)
        else:
            X = np.argmax(np.asarray(model.emissionprob_), axis=1).astype(np.float64)[:, None]
            owner = np.arange(k)
    probe = copy.copy(model)
    probe.startprob_ = np.full(k, 1.0 / k)
    field = _FIELDS[family]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            logB = probe._score(X, [1] * X.shape[0])[0]
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        if "has no parameters" in str(exc):
            raise
        # the engine's sentence up to its advice (which is for fitting, not for a file)
        what = re.sub(r" \([^)]*\)", "", str(exc).strip().split(". ", 1)[0]).rstrip(".")
        if family == "gaussian" and "covariance" in what:
            field = "model.covars"
        raise invalid(f"its parameters are invalid ({field}): {what}; a fit never writes this, so the file was "
                      f"edited or damaged") from None
    own = logB[np.arange(len(owner)), owner] if len(owner) else np.empty(0)
    bad = np.flatnonzero(~np.isfinite(own))
    if bad.size:
        j = int(owner[bad[0]])
        raise invalid(f"its parameters are invalid: {field} of state {j + 1} do not give finite densities at the "
                      f"state's own centre (values too large or too small to compute with); a fit never writes "
                      f"this, so the file was edited or damaged")
    if not np.all(np.isfinite(logB) | np.isneginf(logB)):
        j = int(np.flatnonzero(~(np.isfinite(logB) | np.isneginf(logB)).any(axis=0))[0])
        raise invalid(f"its parameters are invalid: {field} of state {j + 1} give densities that cannot be "
                      f"computed (NaN); the file was edited or damaged")


# ---------------------------------------------------------------------------------------------------
# CSV exports


def save_hmm_parameters_csv(path, model, columns, *, column_names, atomic_write, writer, bootstrap=None,
                            level=0.95) -> None:
    """One row per state: ``state`` (1-based), ``startprob``, ``to_state_1 ... to_state_k`` (the
    transition matrix's row), then the emissions: Gaussian ``mean_<col>``, ``var_<col>`` and, for full
    and tied covariances, ``cov_<a>_<b>``; Poisson ``lambda_<col>``; categorical ``p_<symbol>``.  With the
    model's ``bootstrap`` (:func:`emdesk.engine.bootstrap`), each of those columns also gets ``se_<name>`` and
    ``lower_<name>`` / ``upper_<name>`` (percentile interval at ``level``); an SE that could not be computed
    is left empty."""
    _check_fitted(model)
    family = HMM_KINDS[_kind(model)]
    d = n_columns(model)
    columns = column_names(model, columns, d)
    k = int(np.shape(model.startprob_)[0])
    startprob = np.asarray(model.startprob_, dtype=np.float64)
    transmat = np.asarray(model.transmat_, dtype=np.float64)
    taken: set[str] = set()
    header = [unique_name(h, taken) for h in ["state", "startprob"] + [f"to_state_{j + 1}" for j in range(k)]]
    cells = [None, ("startprob", lambda j: j)] + [("transmat", lambda j, t=t: (j, t)) for t in range(k)]
    expand = {}
    if family == "gaussian":
        full = np.asarray(model.covars_, dtype=np.float64)
        pairs = [(a, b) for a in range(d) for b in range(a + 1, d)] if model.covariance_type in ("full", "tied") else []
        header += [unique_name(f"mean_{c}", taken) for c in columns] + [unique_name(f"var_{c}", taken) for c in columns]
        header += [unique_name(f"cov_{columns[a]}_{columns[b]}", taken) for a, b in pairs]
        means = np.asarray(model.means_, dtype=np.float64)
        cells += [("means", lambda j, a=a: (j, a)) for a in range(d)]
        cells += [("covars", lambda j, a=a: (j, a, a)) for a in range(d)]
        cells += [("covars", lambda j, a=a, b=b: (j, a, b)) for a, b in pairs]
        from ..engine.align import full_covariances

        expand["covars"] = lambda c, ct=model.covariance_type: full_covariances(c, ct, k, d)

        def emission(j):
            return ([format_number(float(v)) for v in means[j]] + [format_number(float(full[j, a, a])) for a in range(d)]
                    + [format_number(float(full[j, a, b])) for a, b in pairs])
    elif family == "poisson":
        lam = np.asarray(model.lambdas_, dtype=np.float64)
        header += [unique_name(f"lambda_{c}", taken) for c in columns]
        cells += [("lambdas", lambda j, c=c: (j, c)) for c in range(d)]

        def emission(j):
            return [format_number(float(v)) for v in lam[j]]
    else:
        e = np.asarray(model.emissionprob_, dtype=np.float64)
        header += [unique_name(f"p_{s}", taken) for s in model_symbols(model)]
        cells += [("emissionprob", lambda j, r=r: (j, r)) for r in range(e.shape[1])]

        def emission(j):
            return [format_number(float(v)) for v in e[j]]
    extra = None
    if bootstrap is not None:
        from .fitfile_uncertainty import keyed_uncertainty_columns

        names, extra = keyed_uncertainty_columns(header, cells, bootstrap, level, k, expand)
        header += [unique_name(n, taken) for n in names]
    with atomic_write(path) as handle:
        w = writer(handle)
        w.writerow(header)
        for j in range(k):
            w.writerow([str(j + 1), format_number(float(startprob[j]))]
                       + [format_number(float(v)) for v in transmat[j]] + emission(j)
                       + ([] if extra is None else [format_number(v) if math.isfinite(v) else "" for v in extra[j]]))


def hmm_table_data(table: Table, model, columns) -> np.ndarray:
    """The model's columns of ``table`` as the model takes them ((n_rows, d), NaN where missing; a
    categorical model's column as its symbol codes)."""
    from .sequences import encode_symbols

    columns = [columns] if isinstance(columns, str) else list(columns)
    d = n_columns(model)
    if len(columns) != d:
        raise DataError(f"The model has {d} feature{'s' if d != 1 else ''} but {len(columns)} columns were given.")
    if HMM_KINDS[_kind(model)] == "categorical":
        codes, _ = encode_symbols(table, columns[0], model_symbols(model))
        return codes[:, None]
    return table.to_array(columns)


def _file_rows_named(message: str, layout) -> str:
    """An engine message's "Row 3 of X" / "Sequence 2 of X (rows 31 to 60)" (X: the rows in sequence order)
    as the file's "data row 17" / "sequence 'b'"."""
    import re

    def row(m):
        i = int(m.group(2)) - 1
        return (f"{'D' if m.group(1) == 'R' else 'd'}ata row {int(layout.rows[i]) + 1:,}"
                if 0 <= i < layout.rows.size else m.group(0))

    def sequence(m):
        j = int(m.group(1)) - 1
        return f"Sequence {layout.names[j]!r}" if 0 <= j < len(layout.names) else m.group(0)

    message = re.sub(r"\bSequence (\d+) of X \(rows \d+ to \d+\)", sequence, message)
    return re.sub(r"\b([Rr])ow (\d+) of X\b", row, message)


def save_hmm_assignments_csv(path, table: Table, model, columns, *, sequence_column=None, order_column=None,
                             write_rows) -> int:
    """The table's rows in the file's order plus ``p_state_1 ... p_state_k`` (state posteriors) and
    ``state`` (the Viterbi path, 1-based). The rows are put into sequences as for the fit (sorted within
    each sequence by ``order_column``); rows not fitted (no value, or a missing value when the model does
    not marginalise) are left blank. Returns the number of rows assigned."""
    from .sequences import sequence_layout

    _check_fitted(model)
    if not isinstance(table, Table):
        raise DataError("table must be an emdesk.io.Table (from load_table).")
    X = hmm_table_data(table, model, columns)
    missing = "marginalize" if getattr(model, "missing", "error") == "marginalize" else "drop"
    layout = sequence_layout(table, X, sequence_column=sequence_column, order_column=order_column, missing=missing)
    Xs = X[layout.rows]
    lengths = [int(v) for v in layout.lengths]
    k = int(np.shape(model.startprob_)[0])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, post = model.score_samples(Xs, lengths)
            states = model.predict(Xs, lengths)
    except ValueError as exc:
        raise DataError(f"Cannot compute the assignments: {_file_rows_named(str(exc), layout)}") from None
    resp = np.full((table.n_rows, k), np.nan)
    resp[layout.rows] = post
    label = np.zeros(table.n_rows, dtype=np.int64)
    label[layout.rows] = np.asarray(states, dtype=np.int64) + 1
    taken = set(table.column_names)
    header = [unique_name(f"p_state_{j + 1}", taken) for j in range(k)] + [unique_name("state", taken)]

    def extra(start, stop):
        cells = [format_numbers(resp[start:stop, j]) for j in range(k)]
        cells.append(["" if v == 0 else str(v) for v in label[start:stop].tolist()])
        return cells

    write_rows(path, table, header, extra)
    return int(layout.rows.size)
