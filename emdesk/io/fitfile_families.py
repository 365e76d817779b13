"""Student-t, Poisson and latent class mixtures in files (issue 13): the fit file's kinds
``StudentTMixture``, ``PoissonMixture`` and ``CategoricalMixture``, their parameters CSV and assignments CSV.

Written against the estimators' serialisation hooks (``get_fitted_params()`` and the classmethod
``from_fitted_params(params, **constructor_keywords)``) and public methods only. Schema (format version 2,
README section "Files"): ``model`` holds ``kind``, ``n_components`` (k), ``n_features`` (d) and the
parameters by their names: ``weights`` [k] and Student-t ``covariance_type``, ``means`` [k][d],
``covariances`` (scale matrices, scikit-learn's shape of the type), ``dof`` [k]; Poisson ``lambdas`` [k][d];
latent class ``probs`` [k][d][m] (P(column c = category r | class j), zero-padded to m = the most categories
of a column) and ``categories`` [d][...] (each column's categories in order); mixed (``MixedMixture``)
``covariance_type``, ``categorical_columns`` (0-based indices of its categorical columns), ``means``
[k][d_num] and ``covariances`` over the numeric columns, ``probs`` [k][d_cat][m] and ``categories``
[d_cat][...] over the categorical ones. Loading checks shapes,
finiteness and probabilities here, the rest by ``from_fitted_params``, then a finite scoring probe.
"""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np

from .fitfile_restarts import restart_record
from .table import DataError, Table, format_number, format_numbers, unique_name

__all__ = ["FAMILY_KINDS", "is_family_mixture", "family_document", "build_family_mixture",
           "save_family_parameters_csv", "save_family_assignments_csv", "family_table_data",
           "categorical_table_data"]

FAMILY_KINDS = ("StudentTMixture", "PoissonMixture", "CategoricalMixture", "MixedMixture")
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
_INIT_METHODS = ("kmeans++", "kmeans", "random", "random_from_data")


def _classes() -> dict:
    from .. import engine

    return {name: getattr(engine, name) for name in FAMILY_KINDS if hasattr(engine, name)}


def is_family_mixture(model) -> bool:
    """True for the engine's ``StudentTMixture``, ``PoissonMixture``, ``CategoricalMixture`` and
    ``MixedMixture``."""
    classes = tuple(_classes().values())
    return bool(classes) and isinstance(model, classes)


def _kind(model) -> str:
    for name, cls in _classes().items():
        if isinstance(model, cls):
            return name
    raise DataError(f"{type(model).__name__} cannot be written as an emdesk fit.")


def _fitted(model) -> dict:
    try:
        return model.get_fitted_params()
    except (ValueError, AttributeError):
        raise DataError("The model is not fitted yet: fit it before saving or exporting.") from None


def n_columns(model) -> int:
    params = _fitted(model)
    if "n_features_in" in params:
        return int(params["n_features_in"])
    if "probs" in params:
        return int(np.shape(params["probs"])[1])
    first = params["means"] if "means" in params else params["lambdas"]
    return int(np.shape(first)[1])


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _category_cells(table: Table, name: str, cats) -> np.ndarray:
    """One categorical column as the model takes it (object array, None where missing): the column's
    numbers when the model's categories are numbers and the column is numeric, else the cells' text
    (stripped; an empty cell or a missing token such as ``NA`` is missing unless the model lists it)."""
    from .table import MISSING_TOKENS

    cats = [] if cats is None else list(np.asarray(cats, dtype=object).tolist())
    out = np.empty(table.n_rows, dtype=object)
    if cats and all(_is_number(v) for v in cats) and name in table.numeric_column_names:
        v = table.to_array([name])[:, 0]
        out[:] = [float(x) if math.isfinite(x) else None for x in v.tolist()]
        return out
    known = {str(c) for c in cats}
    for i, raw in enumerate(table.text_column(name)):
        if raw in known:
            out[i] = raw
            continue
        text = raw.strip()
        out[i] = None if text == "" or (text in MISSING_TOKENS and text not in known) else text
    return out


def categorical_table_data(table: Table, columns) -> np.ndarray:
    """Columns of ``table`` read as categories to fit (object array, None where missing): a numeric
    column's numbers, a text column's stripped text; an empty cell or a missing token such as ``NA`` is
    missing, as the window reads them (emdesk-fit --family categorical)."""
    columns = [columns] if isinstance(columns, str) else list(columns)
    X = np.empty((table.n_rows, len(columns)), dtype=object)
    numeric = set(table.numeric_column_names)
    for j, name in enumerate(columns):
        X[:, j] = _category_cells(table, name, [0.0] if name in numeric else None)
    return X


def family_table_data(table: Table, model, columns) -> np.ndarray:
    """The model's columns of ``table`` as it takes them: numbers (NaN where missing); for a latent class
    model an object array of each column's categories (:func:`_category_cells`: text, or numbers when the
    model's categories are numbers; None where missing); for a mixed model numbers in its numeric columns
    and categories in its categorical ones."""
    columns = [columns] if isinstance(columns, str) else list(columns)
    kind = _kind(model)
    if kind not in ("CategoricalMixture", "MixedMixture"):
        return table.to_array(columns)
    cats = [list(c) for c in _fitted(model)["categories"]]
    cat_idx = list(range(len(columns))) if kind == "CategoricalMixture" else [int(c) for c in model.categorical_columns]
    X = np.empty((table.n_rows, len(columns)), dtype=object)
    for j, name in enumerate(columns):
        if j in cat_idx and cat_idx.index(j) < len(cats):
            X[:, j] = _category_cells(table, name, cats[cat_idx.index(j)])
        else:
            X[:, j] = table.to_array([name])[:, 0].tolist()
    return X


def _present(v) -> bool:
    return v is not None and v == v and v != ""


def _observed_rows(X) -> np.ndarray:
    if X.dtype == object:
        return np.array([any(_present(v) for v in row) for row in X], dtype=bool)
    return np.isfinite(X).any(axis=1)


# ---------------------------------------------------------------------------------------------------
# save


def family_document(model, X, *, columns, table, jsonable, column_names) -> dict:
    """The ``model``, ``columns``, ``data``, ``fit`` and ``options`` blocks of the fit file."""
    kind = _kind(model)
    params = _fitted(model)
    d = n_columns(model)
    columns = column_names(model, columns, d)
    X = np.asarray(X, dtype=object if kind in ("CategoricalMixture", "MixedMixture") else np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != d:
        raise DataError(f"X must have {d} column{'s' if d != 1 else ''} (one per model feature), got shape {X.shape}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            log_likelihood = float(model.log_likelihood(X))
            bic, aic, icl = float(model.bic(X)), float(model.aic(X)), float(model.icl(X))
            n_parameters = int(model.n_parameters())
        except ValueError as exc:
            raise DataError(f"Cannot evaluate the fit on its data: {exc}") from None
    n_used = int(np.count_nonzero(_observed_rows(X)))
    block = {"kind": kind, "n_components": int(np.shape(params["weights"])[0]), "n_features": d}
    if kind in ("StudentTMixture", "MixedMixture"):
        block["covariance_type"] = model.covariance_type
    if kind == "MixedMixture":
        block["categorical_columns"] = [int(c) for c in model.categorical_columns]
    for key, value in params.items():
        if key != "n_features_in":
            block[key] = jsonable(value)
    if X.dtype == object:
        n_missing = int(sum(1 for v in X.ravel() if not _present(v)))
    else:
        n_missing = int(np.count_nonzero(np.isnan(X)))
    options = {key: jsonable(value) for key, value in model.get_params().items()}
    seed = model.get_params().get("random_state")
    return {
        "model": block,
        "columns": columns,
        "data": {"file_name": None, "sha256": table.sha256 if table is not None else None,
                 "n_rows": int(table.n_rows) if table is not None else int(X.shape[0]),
                 "n_rows_fitted": int(X.shape[0]), "n_rows_observed": n_used, "n_missing_values": n_missing},
        "fit": {
            "log_likelihood": jsonable(log_likelihood),
            "mean_log_likelihood": jsonable(log_likelihood / n_used if n_used else math.nan),
            "bic": jsonable(bic), "aic": jsonable(aic), "icl": jsonable(icl), "n_parameters": n_parameters,
            "n_iter": int(getattr(model, "n_iter_", 0)), "converged": bool(getattr(model, "converged_", False)),
            **restart_record(model, jsonable),  # best_restart, restart_log_likelihoods, restart_degenerate
        },
        "options": options,
        "random_seed": int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else None,
    }


# ---------------------------------------------------------------------------------------------------
# load


def _options(doc, kind, invalid, short) -> dict:
    options = doc.get("options", {})
    number = lambda v: isinstance(v, (int, float)) and math.isfinite(v) and v >= 0  # noqa: E731
    checks = {
        "tol": number,
        "max_iter": lambda v: isinstance(v, int) and 0 <= v <= 10 ** 9,
        "n_init": lambda v: isinstance(v, int) and 1 <= v <= 10000,
        "init_params": lambda v: v in _INIT_METHODS,
        "random_state": lambda v: v is None or (isinstance(v, int) and 0 <= v < 2 ** 128),
        "missing": lambda v: v in ("error", "marginalize"),
    }
    if kind == "StudentTMixture":
        checks.update(reg_covar=number, dof_type=lambda v: v in ("component", "shared"),
                      fix_dof=lambda v: isinstance(v, bool))
    if kind == "CategoricalMixture":
        checks["alpha"] = number
    if kind == "MixedMixture":
        checks.update(reg_covar=number, alpha=number)
    out = {}
    for key, ok in checks.items():
        if key not in options:
            continue
        value = options[key]
        if (isinstance(value, bool) and key != "fix_dof") or not ok(value):
            raise invalid(f"options.{key} has an invalid value {short(value)}")
        out[key] = value
    return out


def _categories(value, d, invalid, short) -> list:
    if not isinstance(value, list) or len(value) != d:
        raise invalid(f"model.categories must be a list of {d} lists (one per column)")
    out = []
    for c, cats in enumerate(value):
        if not isinstance(cats, list) or not cats:
            raise invalid(f"model.categories[{c}] must be a non-empty list")
        for v in cats:
            ok = isinstance(v, str) or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
            if not ok:
                raise invalid(f"model.categories[{c}] must hold text or numbers, found {short(v)}")
        if len({(type(v) is str, v) for v in cats}) != len(cats):
            raise invalid(f"model.categories[{c}] lists a category twice")
        out.append(cats)
    return out


def _probs(block, k, cats, number_array, require, invalid) -> np.ndarray:
    """``model.probs`` (k, d_cat, m): probabilities per class and column, zero past a column's categories."""
    m = max(len(c) for c in cats)
    probs = number_array(require(block, "probs", "model"), (k, len(cats), m), "model.probs")
    for c, cc in enumerate(cats):
        p = probs[:, c, :len(cc)]
        if np.any(probs < 0) or np.any(probs[:, c, len(cc):] != 0):
            raise invalid(f"model.probs of column {c + 1} must be probabilities, zero past its categories")
        if not np.all(np.abs(p.sum(axis=1) - 1.0) <= 1e-6):
            raise invalid(f"model.probs of column {c + 1} must sum to 1 for every class")
        probs[:, c, :len(cc)] = p / p.sum(axis=1, keepdims=True)
    return probs


def build_family_mixture(doc, *, invalid, require, integer, number_array, short):
    """Validate a Student-t, Poisson or latent class mixture's document; ``(model, columns)``."""
    block = doc["model"]
    kind = block["kind"]
    classes = _classes()
    if kind not in classes:
        raise invalid(f"this emdesk has no {kind} (the file needs a newer emdesk)")
    k = integer(require(block, "n_components", "model"), "model.n_components")
    d = integer(require(block, "n_features", "model"), "model.n_features")
    weights = number_array(require(block, "weights", "model"), (k,), "model.weights")
    if np.any(weights < 0):
        raise invalid("model.weights must not be negative")
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(weights.sum())
    if not abs(total - 1.0) <= 1e-6:
        raise invalid(f"model.weights must sum to 1, they sum to {total:.9g}")
    params = {"weights": weights / total}
    columns = require(doc, "columns", "the file")
    if (not isinstance(columns, list) or len(columns) != d or not all(isinstance(c, str) for c in columns)
            or len(set(columns)) != d):
        raise invalid(f"columns must be a list of {d} distinct names")
    options = _options(doc, kind, invalid, short)
    if kind == "StudentTMixture":
        ct = require(block, "covariance_type", "model")
        if ct not in COVARIANCE_TYPES:
            raise invalid(f"model.covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, found {short(ct)}")
        params["means"] = number_array(require(block, "means", "model"), (k, d), "model.means")
        shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[ct]
        params["covariances"] = number_array(require(block, "covariances", "model"), shape, "model.covariances")
        params["dof"] = number_array(require(block, "dof", "model"), (k,), "model.dof")
        if np.any(params["dof"] <= 0):
            raise invalid("model.dof must be positive")
        options["covariance_type"] = ct
    elif kind == "PoissonMixture":
        params["lambdas"] = number_array(require(block, "lambdas", "model"), (k, d), "model.lambdas")
        if np.any(params["lambdas"] <= 0):
            raise invalid("model.lambdas must be positive rates")
    elif kind == "MixedMixture":
        ct = require(block, "covariance_type", "model")
        if ct not in COVARIANCE_TYPES:
            raise invalid(f"model.covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, found {short(ct)}")
        cat = require(block, "categorical_columns", "model")
        if (not isinstance(cat, list) or not cat or len(set(map(str, cat))) != len(cat)
                or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < d for c in cat)
                or len(cat) >= d):
            raise invalid(f"model.categorical_columns must list distinct column indices 0 .. {d - 1}, leaving at "
                          "least one numeric column")
        d_num = d - len(cat)
        params["means"] = number_array(require(block, "means", "model"), (k, d_num), "model.means")
        shape = {"full": (k, d_num, d_num), "tied": (d_num, d_num), "diag": (k, d_num), "spherical": (k,)}[ct]
        params["covariances"] = number_array(require(block, "covariances", "model"), shape, "model.covariances")
        cats = _categories(require(block, "categories", "model"), len(cat), invalid, short)
        params["probs"] = _probs(block, k, cats, number_array, require, invalid)
        params["categories"] = cats
        params["n_features_in"] = d
        options["covariance_type"] = ct
        options["categorical_columns"] = tuple(cat)
    else:
        cats = _categories(require(block, "categories", "model"), d, invalid, short)
        params["probs"] = _probs(block, k, cats, number_array, require, invalid)
        params["categories"] = cats
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = classes[kind].from_fitted_params(params, **options)
    except (ValueError, TypeError, KeyError) as exc:
        raise invalid(f"its parameters are not usable: {str(exc).rstrip('.')}") from None
    _probe(model, kind, params, invalid)
    return model, columns


def _probe(model, kind, params, invalid) -> None:
    """Each component must score finite near its centre."""
    with np.errstate(all="ignore"):
        if kind == "StudentTMixture":
            means = params["means"]
            k, d = means.shape
            cov = params["covariances"]
            var = {"full": lambda: np.stack([np.diag(c) for c in cov]), "tied": lambda: np.tile(np.diag(cov), (k, 1)),
                   "diag": lambda: cov, "spherical": lambda: np.repeat(cov[:, None], d, axis=1)}[model.covariance_type]()
            sd = np.sqrt(var)
            probes = [means] + [means + sign * sd * (np.arange(d) == j) for j in range(d) for sign in (1.0, -1.0)]
            X = np.vstack(probes)
            X = X[np.isfinite(X).all(axis=1)]
        elif kind == "PoissonMixture":
            X = np.vstack([np.floor(params["lambdas"]), np.ceil(params["lambdas"])])
        else:
            cats = params["categories"]
            probs = params["probs"]
            k = probs.shape[0]
            cat_cols = list(range(len(cats))) if kind == "CategoricalMixture" else list(model.categorical_columns)
            d = len(cats) if kind == "CategoricalMixture" else int(params["n_features_in"])
            X = np.empty((k, d), dtype=object)
            num = [c for c in range(d) if c not in cat_cols]
            for i, c in enumerate(num):
                X[:, c] = params["means"][:, i]
            for i, c in enumerate(cat_cols):
                cc = cats[i]
                for j in range(k):
                    X[j, c] = cc[int(np.argmax(probs[j, i, :len(cc)]))]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = np.asarray(model.score_samples(X), dtype=np.float64)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        raise invalid(f"its parameters are not usable: {str(exc).rstrip('.')}") from None
    if not np.all(np.isfinite(scores)):
        raise invalid("its parameters do not give finite densities (a scale matrix too close to singular, or "
                      "values too large to compute with)")


# ---------------------------------------------------------------------------------------------------
# CSV exports


def _label(v) -> str:
    return format_number(float(v)) if _is_number(v) else str(v)


def save_family_parameters_csv(path, model, columns, *, column_names, atomic_write, writer, bootstrap=None,
                               level=0.95) -> None:
    """One row per component: ``component``, ``weight``, then Student-t ``mean_<col>``, ``var_<col>``
    (scale matrix diagonal), ``cov_<a>_<b>`` (full and tied) and ``dof``; Poisson ``lambda_<col>``;
    latent class ``p_<col>_<category>`` for every column's categories; mixed: ``mean_``, ``var_``, ``cov_``
    of its numeric columns, then ``p_<col>_<category>`` of its categorical ones.  With the model's
    ``bootstrap`` (:func:`emdesk.engine.bootstrap`), each of those columns also gets ``se_<name>`` and
    ``lower_<name>`` / ``upper_<name>`` (percentile interval at ``level``); an SE that could not be computed is
    left empty."""
    kind = _kind(model)
    params = _fitted(model)
    d = n_columns(model)
    columns = column_names(model, columns, d)
    k = int(np.shape(params["weights"])[0])
    taken: set[str] = set()
    header = [unique_name("component", taken), unique_name("weight", taken)]
    cells = [None, ("weights", lambda j: j)]  # per column: the bootstrapped parameter and its index
    expand = {}
    parts = []
    if kind in ("StudentTMixture", "MixedMixture"):
        cat_idx = [int(c) for c in model.categorical_columns] if kind == "MixedMixture" else []
        num_cols = [c for i, c in enumerate(columns) if i not in cat_idx]
        dn = len(num_cols)
        cov = np.asarray(params["covariances"], dtype=np.float64)
        full = {"full": lambda: cov, "tied": lambda: np.broadcast_to(cov, (k, dn, dn)),
                "diag": lambda: np.stack([np.diag(c) for c in cov]),
                "spherical": lambda: np.stack([np.eye(dn) * c for c in cov])}[model.covariance_type]()
        pairs = ([(a, b) for a in range(dn) for b in range(a + 1, dn)]
                 if model.covariance_type in ("full", "tied") else [])
        header += [unique_name(f"mean_{c}", taken) for c in num_cols]
        header += [unique_name(f"var_{c}", taken) for c in num_cols]
        header += [unique_name(f"cov_{num_cols[a]}_{num_cols[b]}", taken) for a, b in pairs]
        cells += [("means", lambda j, a=a: (j, a)) for a in range(dn)]
        cells += [("covariances", lambda j, a=a: (j, a, a)) for a in range(dn)]
        cells += [("covariances", lambda j, a=a, b=b: (j, a, b)) for a, b in pairs]
        from ..engine.align import full_covariances

        ct = model.covariance_type
        expand["covariances"] = lambda c, ct=ct, dn=dn: full_covariances(c, ct, k, dn)
        parts.append(lambda j: ([params["means"][j, a] for a in range(dn)] + [full[j, a, a] for a in range(dn)]
                                + [full[j, a, b] for a, b in pairs]))
        if kind == "StudentTMixture":
            header.append(unique_name("dof", taken))
            cells.append(("dof", lambda j: j))
            parts.append(lambda j: [params["dof"][j]])
    elif kind == "PoissonMixture":
        header += [unique_name(f"lambda_{c}", taken) for c in columns]
        cells += [("lambdas", lambda j, c=c: (j, c)) for c in range(len(columns))]
        parts.append(lambda j: list(params["lambdas"][j]))
    if kind in ("CategoricalMixture", "MixedMixture"):
        cats = params["categories"]
        names = columns if kind == "CategoricalMixture" else [columns[int(c)] for c in model.categorical_columns]
        header += [unique_name(f"p_{names[c]}_{_label(v)}", taken) for c, cc in enumerate(cats) for v in cc]
        cells += [("probs", lambda j, c=c, r=r: (j, c, r)) for c, cc in enumerate(cats) for r in range(len(cc))]
        parts.append(lambda j: [params["probs"][j, c, r] for c, cc in enumerate(cats) for r in range(len(cc))])
    extra = None
    if bootstrap is not None:
        from .fitfile_uncertainty import keyed_uncertainty_columns

        names, extra = keyed_uncertainty_columns(header, cells, bootstrap, level, k, expand)
        header += [unique_name(n, taken) for n in names]
    with atomic_write(path) as handle:
        w = writer(handle)
        w.writerow(header)
        for j in range(k):
            w.writerow([str(j + 1), format_number(float(params["weights"][j]))]
                       + [format_number(float(v)) for part in parts for v in part(j)]
                       + ([] if extra is None else [format_number(v) if math.isfinite(v) else "" for v in extra[j]]))


def save_family_assignments_csv(path, table: Table, model, columns, *, write_rows) -> None:
    """The table's rows plus ``p_component_1 ... p_component_k`` and ``component`` (1-based); a Student-t
    mixture adds ``scale_weight`` (the expected scale weight under the row's component: about 1 for a
    typical row, near 0 for an outlier). Rows with missing cells are scored on their observed ones; rows
    with none are left blank."""
    kind = _kind(model)
    if not isinstance(table, Table):
        raise DataError("table must be an emdesk.io.Table (from load_table).")
    columns = [columns] if isinstance(columns, str) else list(columns)
    d = n_columns(model)
    if len(columns) != d:
        raise DataError(f"The model has {d} feature{'s' if d != 1 else ''} but {len(columns)} columns were given.")
    X = family_table_data(table, model, columns)
    rows = _observed_rows(X)
    scorer = model
    if getattr(model, "missing", "error") != "marginalize":
        scorer = copy.copy(model)
        scorer.missing = "marginalize"
    k = int(np.shape(_fitted(model)["weights"])[0])
    resp = np.full((table.n_rows, k), np.nan)
    scale = np.full(table.n_rows, np.nan)
    if rows.any():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                resp[rows] = scorer.predict_proba(X[rows])
                if kind == "StudentTMixture":
                    scale[rows] = scorer.scale_weights(X[rows], component="map")
        except ValueError as exc:
            raise DataError(f"Cannot compute the assignments: {exc}") from None
    label = np.where(rows, np.argmax(np.nan_to_num(resp, nan=-1.0), axis=1) + 1, 0)
    taken = set(table.column_names)
    header = [unique_name(f"p_component_{j + 1}", taken) for j in range(k)] + [unique_name("component", taken)]
    if kind == "StudentTMixture":
        header.append(unique_name("scale_weight", taken))

    def extra(start, stop):
        out = [format_numbers(resp[start:stop, j]) for j in range(k)]
        out.append(["" if v == 0 else str(v) for v in label[start:stop].tolist()])
        if kind == "StudentTMixture":
            out.append(format_numbers(scale[start:stop]))
        return out

    write_rows(path, table, header, extra)
