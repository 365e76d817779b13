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
    collapsed = np.ravel(getattr(model, "restart_degenerate_", [False] * n_restarts))
    m.restart_degenerate_ = np.array([bool(collapsed[int(i)])])
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
                 "restart_log_likelihoods_", "restart_parameters_", "restart_degenerate_", "n_samples_",
                 "degeneracies_",
                 "numeric_columns_", "categorical_columns_"):
        if hasattr(model, name):
            setattr(out, name, getattr(model, name))
    out.feature_names_in_ = np.asarray(columns, dtype=object)
    return out, Xo


_SNAPSHOT_FAMILY = {"StudentTMixture": "student_t", "PoissonMixture": "poisson", "CategoricalMixture": "latent_class",
                    "MixedMixture": "product"}
#: session family of each of these estimators (File > Open Fit)
SESSION_FAMILY = {"StudentTMixture": "student_t", "PoissonMixture": "poisson", "CategoricalMixture": "categorical",
                  "MixedMixture": "mixed"}


def coded_model(table, columns, family: str, model):
    """The inverse of :func:`labelled_model`: ``model`` (a ``CategoricalMixture`` or ``MixedMixture`` whose
    categories are labels, e.g. from ``emdesk.io.load_fit``) as a model of the window's category codes of
    ``columns`` in ``table`` (:func:`family_rows`): each column's probabilities reordered to the table's
    categories (those the fit knows but the table lacks go after them). ValueError naming the column and
    category when the table has a category the fit does not know."""
    columns = list(columns)
    cat = categorical_indices(table, columns, family)
    numeric = set(table.numeric_column_names)
    params = model.get_fitted_params()
    probs = np.asarray(params["probs"], dtype=float)
    k = probs.shape[0]
    new_cats, blocks = [], []
    for i, j in enumerate(cat):
        name = columns[j]
        known = [v for v in params["categories"][i]]
        if name in numeric:
            v = table.to_array([name])[:, 0]
            data = [float(x) for x in np.unique(v[np.isfinite(v)])]
            text = column_categories(table, name)  # the same values as the file writes them
            index = {float(c): r for r, c in enumerate(known) if not isinstance(c, str)}
            index.update({str(c): r for r, c in enumerate(known) if isinstance(c, str)})
            pos = [index.get(x, index.get(text[t])) for t, x in enumerate(data)]
        else:
            data = list(column_categories(table, name))
            index = {str(c): r for r, c in enumerate(known)}
            pos = [index.get(x) for x in data]
        if any(p is None for p in pos):
            bad = data[[p is None for p in pos].index(True)]
            raise ValueError(f"column {name} holds the category {bad!r}, which the fit does not know "
                             f"(its categories: {', '.join(map(str, known[:20]))}).")
        order = pos + [r for r in range(len(known)) if r not in pos]
        blocks.append(probs[:, i, order])
        new_cats.append(list(range(len(order))))
    m = max(len(c) for c in new_cats)
    P = np.zeros((k, len(cat), m))
    for i, b in enumerate(blocks):
        P[:, i, :b.shape[1]] = b
    params["probs"] = P
    params["categories"] = new_cats
    out = type(model).from_fitted_params(params, **dict(model.get_params(), categories=new_cats))
    for name in ("converged_", "n_iter_", "log_likelihood_", "lower_bound_", "feature_names_in_", "fit_info_"):
        if hasattr(model, name):
            setattr(out, name, getattr(model, name))
    return out


def family_state_snapshot(model, n_samples: float):
    """A fitted Student-t, Poisson, latent class or mixed model as the one frozen state of a timeline
    (a model from a file), with the fields its own snapshots have, so ``Snapshot.to_model()`` rebuilds it."""
    from emdesk.engine.snapshot import Snapshot, frozen_copy

    fitted = model.get_fitted_params()
    fam = model._family()
    params = {n: frozen_copy(np.asarray(fitted[n])) for n in fam.param_names}
    first = params[fam.param_names[0]]
    second = params[fam.param_names[1]] if len(fam.param_names) > 1 and fam.param_names[1] == "covariances" else None
    model_params = model.get_params()
    if "categories" in fitted:
        model_params["categories"] = [list(c) for c in fitted["categories"]]
    return Snapshot(
        restart=0, n_init=1, iteration=int(getattr(model, "n_iter_", 0)),
        weights=frozen_copy(np.asarray(fitted["weights"])), means=first, covariances=second,
        covariance_type=getattr(model, "covariance_type", fam.name),
        log_likelihood=float(getattr(model, "log_likelihood_", np.nan)),
        lower_bound=float(getattr(model, "lower_bound_", np.nan)), change=np.nan,
        converged=bool(getattr(model, "converged_", False)), final=True, n_samples=float(n_samples),
        missing=getattr(model, "missing", "error"), structure="mixture", family=_SNAPSHOT_FAMILY[type(model).__name__],
        params=params, model_params=model_params,
    )
