"""The mixture families a session can fit and the rows each one needs (no Qt).

Gaussian, Student-t and Poisson mixtures fit numeric columns. A latent class model (``CategoricalMixture``)
treats every chosen column as categorical (text or numbers); a mixed model (``MixedMixture``) treats the text
columns as categorical and the numeric ones as Gaussian. For these two the session's ``X`` stays a float array:
a categorical column holds category codes 0, 1, ... (NaN where missing: an empty cell or a missing token such
as ``NA``, see ``emdesk.io.table.MISSING_TOKENS``), and ``categories`` keeps each column's labels (sorted, as
``emdesk.engine.encode_categories`` sorts them). The estimator gets the codes' categories explicitly, so a
category seen only in dropped rows keeps its code.
"""

from __future__ import annotations

import numpy as np

# (label in the window, session family name); the engine's estimators are in session._estimators
MIXTURE_FAMILIES = [("Gaussian", "gaussian"), ("Student-t (outliers)", "student_t"), ("Poisson (counts)", "poisson"),
                    ("Categorical (latent class)", "categorical"), ("Mixed (numbers + categories)", "mixed")]
TEXT_FAMILIES = ("categorical", "mixed")  # families that fit text columns


def categorical_indices(table, columns, family: str) -> list[int]:
    """Indices (in ``columns``) of the columns a family treats as categorical."""
    if family == "categorical":
        return list(range(len(columns)))
    if family == "mixed":
        numeric = set(table.numeric_column_names)
        return [i for i, c in enumerate(columns) if c not in numeric]
    return []


def column_categories(table, name: str) -> list[str]:
    """The sorted distinct non-missing values of a column (numbers formatted as the file has them)."""
    from emdesk.io.table import MISSING_TOKENS

    if name in table.numeric_column_names:
        v = table.to_array([name])[:, 0]
        u = np.unique(v[np.isfinite(v)])
        from emdesk.io.table import format_numbers

        return format_numbers(u)
    cells = table.text_column(name)
    return sorted({c.strip() for c in cells if c.strip() not in MISSING_TOKENS})


def family_rows(table, columns, family: str):
    """``(X_all (n, d) float, categories: {column: [labels]})`` for the chosen columns under ``family``.

    Categorical columns hold codes into their labels (NaN where missing); other columns their numbers."""
    columns = list(columns)
    cat = categorical_indices(table, columns, family)
    if not cat:
        return table.to_array(columns), {}
    from emdesk.io.table import MISSING_TOKENS

    n = int(table.n_rows)
    X = np.empty((n, len(columns)))
    categories = {}
    numeric = set(table.numeric_column_names)
    for j, name in enumerate(columns):
        if j not in cat:
            X[:, j] = table.to_array([name])[:, 0]
            continue
        labels = column_categories(table, name)
        categories[name] = labels
        if name in numeric:
            v = table.to_array([name])[:, 0]
            u = np.unique(v[np.isfinite(v)])
            codes = np.full(n, np.nan)
            ok = np.isfinite(v)
            codes[ok] = np.searchsorted(u, v[ok])
        else:
            index = {lab: float(i) for i, lab in enumerate(labels)}
            codes = np.array([np.nan if c.strip() in MISSING_TOKENS else index[c.strip()]
                              for c in table.text_column(name)], dtype=float)
        X[:, j] = codes
    return X, categories


def family_options(table, columns, family: str, categories: dict) -> dict:
    """Engine keywords a family needs from the data: the categorical columns' categories (as codes) and,
    for a mixed model, which columns are categorical."""
    if family not in TEXT_FAMILIES or table is None:
        return {}
    cat = categorical_indices(table, columns, family)
    cats = [list(range(len(categories.get(columns[j], [])))) for j in cat]
    if family == "categorical":
        return {"categories": cats}
    return {"categorical_columns": tuple(cat), "categories": cats}


def family_restart_model(model, i: int):
    """Restart ``i`` of a fitted Student-t, Poisson, latent class or mixed model as a fitted estimator of
    the same class (``from_fitted_params`` with the restart's parameters and the same constructor keywords),
    with that restart's log-likelihood, iterations and convergence flag. ValueError for a restart that does
    not exist."""
    n_restarts = len(model.restart_parameters_)
    if not 0 <= int(i) < n_restarts:
        raise ValueError(f"restart must be between 0 and {n_restarts - 1}; got {i}.")
    p = dict(model.restart_parameters_[int(i)])
    fitted = model.get_fitted_params()
    for key, value in fitted.items():  # categories, n_features_in: what the restart record leaves out
        p.setdefault(key, value)
    m = type(model).from_fitted_params(p, **model.get_params())
    ll = float(p.get("log_likelihood", np.nan))
    m.log_likelihood_ = ll
    n = getattr(model, "n_samples_", None)
    m.lower_bound_ = float(p.get("lower_bound", ll / n if n else np.nan))
    m.n_iter_ = int(p.get("n_iter", 0))
    m.converged_ = bool(p.get("converged", False))
    m.restart_log_likelihoods_ = np.array([ll])
    m.restart_parameters_ = [dict(model.restart_parameters_[int(i)])]
    m.best_restart_ = 0
    if n is not None:
        m.n_samples_ = n
    return m


def first_parameter(model):
    """The family's first parameter of a fitted model, as its snapshots' ``means`` hold it (means; Poisson:
    lambdas; latent class: probs)."""
    for name in ("means_", "lambdas_", "probs_"):
        if hasattr(model, name):
            return getattr(model, name)
    return None


def labelled_model(table, columns, family: str, model, X):
    """``(model, X)`` with the category codes the window fitted replaced by the categories themselves, for
    the files: a copy of ``model`` (a ``CategoricalMixture`` or ``MixedMixture`` fitted on codes) whose
    categories are each column's labels (text columns: their text; numeric columns fitted as categories:
    their numbers), and ``X`` (the fitted rows, codes) as an object array of those labels (None where
    missing) with the numeric columns' numbers. The parameters and fit statistics are unchanged (the same
    categories in the same order), so the written log-likelihood is the fitted one."""
    columns = list(columns)
    cat = categorical_indices(table, columns, family)
    numeric = set(table.numeric_column_names)
    labels = []
    for j in cat:
        name = columns[j]
        if name in numeric:
            v = table.to_array([name])[:, 0]
            labels.append([float(x) for x in np.unique(v[np.isfinite(v)])])
        else:
            labels.append(list(column_categories(table, name)))
    X = np.asarray(X, dtype=float)
    Xo = np.empty(X.shape, dtype=object)
    for j in range(X.shape[1]):
        if j in cat:
            lab = labels[cat.index(j)]
            Xo[:, j] = [None if not np.isfinite(c) else lab[int(c)] for c in X[:, j].tolist()]
        else:
            Xo[:, j] = X[:, j].tolist()
    params = model.get_fitted_params()
    params["categories"] = labels
    keywords = dict(model.get_params(), categories=labels)
    out = type(model).from_fitted_params(params, **keywords)
    for name in ("converged_", "n_iter_", "log_likelihood_", "lower_bound_", "best_restart_",
                 "restart_log_likelihoods_", "restart_parameters_", "n_samples_", "degeneracies_",
                 "numeric_columns_", "categorical_columns_"):
        if hasattr(model, name):
            setattr(out, name, getattr(model, name))
    out.feature_names_in_ = np.asarray(columns, dtype=object)
    return out, Xo
