"""Categorical data in mixtures (issue 13): :func:`encode_categories` (labels -> integer codes, missing ->
-1), :class:`CategoricalMixture` (latent class analysis, poLCA-like) and :class:`MixedMixture` (numeric and
categorical columns in one model). Both take raw labels (strings or numbers, ``None``/``""``/NaN missing) and
encode them with the categories they were fitted on; see :mod:`emdesk.engine.mixtures` for the shared API."""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np

from ._core import COVARIANCE_TYPES
from .families._codes import CodedRows, code_dtype, missing_code
from .families.categorical import LatentClassFamily
from .families.gaussian import GaussianFamily
from .families.product import ProductFamily
from ._family_mixture import _COMMON, _FamilyMixture
from .models import LatentModel

__all__ = ["CategoricalMixture", "MixedMixture", "encode_categories"]


_MISSING_TEXT = ("",)


def _is_missing(v):
    if v is None:
        return True
    if isinstance(v, (float, np.floating)) and math.isnan(v):
        return True
    if isinstance(v, str) and v.strip() in _MISSING_TEXT:
        return True
    return False


def _column_values(col):
    """(mask of missing, non-missing values as a 1-D array of numbers or strings)."""
    if col.dtype.kind in "fiub":
        c = col.astype(float)
        miss = np.isnan(c)
        return miss, c[~miss]
    miss = np.fromiter((_is_missing(v) for v in col), dtype=bool, count=col.shape[0])
    vals = col[~miss]
    if all(isinstance(v, (numbers.Real, np.number)) and not isinstance(v, bool) for v in vals):
        return miss, vals.astype(float)
    return miss, np.array([str(v).strip() if isinstance(v, str) else str(v) for v in vals], dtype=object)


def _fmt(v):
    """A category for a message: numbers as ``%g``, text quoted."""
    if isinstance(v, (numbers.Real, np.number)) and not isinstance(v, (bool, np.bool_)):
        return f"{float(v):g}"
    return repr(str(v))


def _as_object_rows(X):
    Xo = np.asarray(X, dtype=object) if not isinstance(X, np.ndarray) else X
    if Xo.ndim == 1:
        Xo = Xo.reshape(-1, 1)
    if Xo.ndim != 2:
        raise ValueError(f"X must be 1-D (n,) or 2-D (n, d); got shape {Xo.shape}.")
    return Xo


def encode_categories(X, categories=None, columns_label=None):
    """Category codes of categorical columns.

    ``X``: (n, d) or (n,) array-like of integer codes, numbers or strings; missing = None, NaN or
    an empty string.  ``categories``: None (learn: the sorted distinct values of each column) or a
    list of d sequences (the categories of each column in order; a value not listed ->
    ValueError naming the column and row).  ``columns_label``: optional list of d column names
    for messages.

    Returns ``(codes (n, d) float with NaN where missing, categories: list of d 1-D arrays)``.
    (The estimators hold the codes compactly instead: :func:`_coded_rows`.)
    """
    Xo = _as_object_rows(X)
    n, d = Xo.shape
    if categories is not None and len(categories) != d:
        raise ValueError(f"categories has {len(categories)} entries but X has {d} columns.")
    rows = _coded_rows(Xo, range(d), categories, columns_label)
    codes = np.empty((n, d))
    for c in range(d):
        codes[:, c] = rows.column(c)
    return codes, rows.categories


def _coded_rows(Xo, cols, categories, columns_label):
    """The columns ``cols`` of ``Xo`` as :class:`CodedRows` of compact codes (issue 16: 1 byte per cell
    up to 254 categories instead of a float64 copy); ``.categories`` holds the categories of each."""
    n = Xo.shape[0]
    specs = []
    cats_out = []
    for i, c in enumerate(cols):
        name = f"column {i + 1}" if columns_label is None else f"column {columns_label[i]}"
        given = None if categories is None else categories[i]
        codes, cats = _encode_column(Xo[:, c], given, name)
        specs.append(("codes", codes))
        cats_out.append(cats)
    rows = CodedRows(n, specs)
    rows.categories = cats_out
    return rows


def _encode_column(col, given, name):
    """``(codes (n,) compact unsigned integers, missing = missing_code; categories (1-D array))`` of
    one column: numeric columns in row blocks (issue 16: no temporary of the column's size beyond the
    codes), text columns whole."""
    if col.dtype.kind in "fiub":
        return _encode_numeric(col, given, name)
    miss, vals = _column_values(col)
    _refuse_infinite(vals, miss, name, 0)
    if given is None:
        cats = np.unique(vals) if vals.size else np.array([], dtype=float)
        if cats.dtype == object:
            cats = np.array(sorted(set(cats.tolist())), dtype=object)
    else:
        cats = np.asarray(list(given), dtype=object if vals.dtype == object else float)
        if vals.dtype != object and cats.dtype == object:
            cats = cats.astype(float)
    got = _codes_of(vals, cats)
    _check_known(got, vals, cats, miss, name, 0)
    dt = code_dtype(len(cats))
    codes = np.full(col.shape[0], missing_code(dt), dtype=dt)
    codes[~miss] = got
    return codes, cats


def _codes_of(vals, cats):
    """Index of each value in ``cats`` (-1 when it is not there)."""
    if vals.dtype == object or cats.dtype == object:
        index = {str(v): i for i, v in enumerate(cats.tolist())}
        return np.array([index.get(str(v), -1) for v in vals.tolist()], dtype=np.int64)
    if not len(cats):
        return np.full(vals.shape, -1)
    order = np.argsort(cats, kind="stable")
    pos = np.minimum(np.searchsorted(cats[order], vals), len(cats) - 1)
    got = order[pos]
    return np.where(cats[got] == vals, got, -1)


def _refuse_infinite(vals, miss, name, offset):
    """A ValueError naming the first infinite number among ``vals`` (the non-missing values of a
    column's rows ``offset ...``): an infinite number is a bad value, not a category."""
    if vals.dtype != object:
        bad = np.isinf(vals)
        if bad.any():
            i_val = int(np.flatnonzero(bad)[0])
            row = offset + int(np.flatnonzero(~miss)[i_val])
            raise ValueError(f"{name}, row {row + 1}: {_fmt(vals[i_val])} is not a category (an infinite "
                             "number): remove or replace it, or mark the cell missing.")


def _check_known(got, vals, cats, miss, name, offset):
    if np.any(got < 0):
        i_val = int(np.flatnonzero(got < 0)[0])
        row = offset + int(np.flatnonzero(~miss)[i_val])
        raise ValueError(f"{name}, row {row + 1}: {_fmt(vals[i_val])} is not one of the categories "
                         f"{', '.join(_fmt(c) for c in cats.tolist()[:20])}{' ...' if len(cats) > 20 else ''}.")


_ENCODE_BLOCK = 1 << 14


def _encode_numeric(col, given, name):
    """A numeric column's compact codes (n,), in row blocks, and its categories (learned: the sorted
    distinct values, merged over the blocks)."""
    n = col.shape[0]
    if given is None:
        cats = np.array([], dtype=float)
        for s in range(0, n, _ENCODE_BLOCK):
            v = col[s:s + _ENCODE_BLOCK].astype(float)
            miss = np.isnan(v)
            _refuse_infinite(v[~miss], miss, name, s)
            cats = np.union1d(cats, np.unique(v[~miss]))
    else:
        cats = np.asarray(list(given), dtype=float)
    dt = code_dtype(len(cats))
    codes = np.full(n, missing_code(dt), dtype=dt)
    for s in range(0, n, _ENCODE_BLOCK):
        v = col[s:s + _ENCODE_BLOCK].astype(float)
        miss = np.isnan(v)
        vals = v[~miss]
        _refuse_infinite(vals, miss, name, s)
        got = _codes_of(vals, cats)
        _check_known(got, vals, cats, miss, name, s)
        ob = codes[s:s + _ENCODE_BLOCK]
        ob[~miss] = got
    return codes, cats


class _CategoricalInput:
    """Encoding of text/number categories for the categorical estimators."""

    def _encode_for_fit(self, X):
        raise NotImplementedError

    def fit_iter(self, X, lengths=None, responsibilities=False, interrupt=None):
        """As :meth:`LatentModel.fit_iter`; X may hold text.  The snapshots' ``model_params`` carry
        ``categories`` (the categories learned), so ``Snapshot.to_model()`` scores text the same way."""
        codes, cats = self._encode_for_fit(X)
        self._pending_categories = cats
        gen = LatentModel.fit_iter(self, codes, lengths, responsibilities, interrupt)
        plain = [list(np.asarray(c).tolist()) for c in cats]

        def wrapped():
            for s in gen:
                mp = dict(s.model_params or {})
                mp["categories"] = plain
                yield dataclasses.replace(s, model_params=mp)

        return wrapped()

    def _set_fitted(self, results, best, fdata, d):
        self.categories_ = [np.asarray(c) for c in self._pending_categories]
        super()._set_fitted(results, best, fdata, d)


def one_category_notes(categories, columns=None, numeric=False) -> tuple:
    """Sentences for the columns (1-based "Column j") that hold one category only: every class gives it
    probability 1, so it cannot tell classes apart; with no column of two categories the classes cannot
    differ at all and their sizes are arbitrary (found by the newcomer test: the window said only that
    EM stopped early from its random start).  ``columns``: the 0-based column of X of each entry of
    ``categories`` (default 0, 1, ...); ``numeric``: the model has numeric columns too (MixedMixture),
    which can still tell classes apart, so only the one-category columns are noted."""
    cols = list(range(len(categories))) if columns is None else [int(c) for c in columns]
    one = [j for j, c in enumerate(categories) if len(c) < 2]
    notes = [f"Column {cols[j] + 1} holds one category only (the same value in every row): it cannot tell "
             "classes apart. Leave it out of the fit." for j in one]
    if one and len(one) == len(categories) and not numeric:
        notes.append("No chosen column has two categories, so the classes cannot differ: their sizes are "
                     "arbitrary. Choose columns with at least two categories.")
    return tuple(notes)


class CategoricalMixture(_CategoricalInput, _FamilyMixture):
    """Latent class analysis: per class, independent categorical distributions over each column
    (Lazarsfeld & Henry 1968; Goodman 1974; as R's poLCA, Linzer & Lewis 2011, J. Stat. Softw. 42(10)).

    ``X`` (n, d): integer codes, numbers or text per column; None, NaN or "" = missing (left out
    of the likelihood, as poLCA with ``na.rm=FALSE``).  Categories are the sorted distinct values of
    each column (``categories_``), or ``categories`` (a list of d sequences) when given.

    Parameters: ``n_components`` (classes), ``alpha`` (>= 0; Dirichlet smoothing pseudo-count added
    to every category count in the M-step, so no probability is exactly 0 or 1 when > 0; 0 = ML as
    poLCA), ``tol``, ``max_iter``, ``n_init`` (poLCA's ``nrep``), ``init_params`` (default "random":
    random starting responsibilities, as poLCA draws random starting probabilities), ``random_state``,
    ``weights_init`` (k,), ``probs_init`` (k, d, m), ``categories``, ``missing`` (default
    "marginalize").

    Fitted attributes: ``weights_`` (k,) (class sizes), ``probs_`` (k, d, m): P(column c =
    category r | class j), zero-padded to m = the largest number of categories;
    ``categories_`` (list of d arrays), ``n_categories_`` (d,), and the fit attributes.
    :meth:`item_probabilities` gives them per column without padding.  ``n_parameters()`` is
    poLCA's ``(k - 1) + k sum_c (R_c - 1)``.
    """

    _PARAMS = _COMMON + ("alpha", "probs_init", "categories")
    _FAMILY_INITS = {"probs": "probs_init"}

    def __init__(self, n_components=1, *, alpha=0.0, tol=1e-6, max_iter=1000, n_init=1, init_params="random",
                 random_state=None, weights_init=None, probs_init=None, categories=None, missing="marginalize"):
        self.n_components = n_components
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.weights_init = weights_init
        self.probs_init = probs_init
        self.categories = categories
        self.missing = missing

    def _cats(self):
        if getattr(self, "_fitting", False) or not hasattr(self, "categories_"):
            return getattr(self, "_pending_categories", None)
        return self.categories_

    def _family(self):
        cats = self._cats()
        R = None if cats is None else [max(len(c), 1) for c in cats]
        return LatentClassFamily(R, self.missing, self.alpha)

    def _check_params(self):
        super()._check_params()
        a = self.alpha
        if isinstance(a, bool) or not isinstance(a, numbers.Real) or not (a >= 0 and math.isfinite(a)):
            raise ValueError(f"alpha must be a finite number >= 0; got {a!r}.")

    def _encode(self, X, categories):
        if isinstance(X, CodedRows) and _codes_of_categories(X, categories, range(X.shape[1])):
            return X, [np.asarray(list(c), dtype=float) for c in categories]
        Xo = _as_object_rows(X)
        if categories is not None and len(categories) != Xo.shape[1]:
            raise ValueError(f"categories has {len(categories)} entries but X has {Xo.shape[1]} columns.")
        rows = _coded_rows(Xo, range(Xo.shape[1]), categories, None)
        return rows, rows.categories

    def _encode_for_fit(self, X):
        codes, cats = self._encode(X, self.categories)
        self._fitting = True
        return codes, cats

    def _set_fitted(self, results, best, fdata, d):
        self._fitting = False
        super()._set_fitted(results, best, fdata, d)
        self.n_categories_ = np.array([len(c) for c in self.categories_])
        #: sentences about columns with one category (they cannot tell classes apart; the window shows them)
        self.column_notes_ = one_category_notes(self.categories_)

    def _check_X(self, X, lengths=None, fitted=False):
        if fitted:
            if not hasattr(self, "categories_"):
                raise ValueError("This CategoricalMixture has no categories yet: call fit(X) first.")
            X = self._encode(X, self.categories_)[0]
        return LatentModel._check_X(self, X, lengths, fitted)

    def _check_family_inits(self, given, k, d, fdata):
        return LatentClassFamily().check_params(given, k, d)

    def item_probabilities(self):
        """List of d arrays (k, R_c): the class-conditional category probabilities of each column."""
        self._state()
        return [self.probs_[:, c, :len(cats)].copy() for c, cats in enumerate(self.categories_)]

    def _state(self):
        sparams, fparams = super()._state()
        self.n_features_in_ = int(np.asarray(self.probs_).shape[1])
        return sparams, fparams

    def _extra_fitted(self):
        return {"categories": [list(np.asarray(c).tolist()) for c in self.categories_]}

    def _load_extra(self, params):
        self.categories_ = [np.asarray(c) for c in params["categories"]]
        self.n_categories_ = np.array([len(c) for c in self.categories_])


# ======================================================================================
class MixedMixture(_CategoricalInput, _FamilyMixture):
    """Mixture for mixed data: numeric columns (a Gaussian block, any covariance type) times
    categorical columns (independent categoricals, a latent class block) given the component
    (conditional independence of the blocks; Hunt & Jorgensen 2003, Comput. Stat. Data Anal.
    41:429-440; the "mixed" models of LatentGOLD and stepmix).  One composition of families
    (:class:`emdesk.engine.families.product.ProductFamily`).

    ``X`` (n, d) array-like (object arrays and lists of rows may mix numbers and text);
    ``categorical_columns``: 0-based indices of the categorical columns (the others are numeric:
    numbers, NaN/None = missing).  The log-likelihood is the sum of the two blocks' log-densities
    (:meth:`block_log_likelihoods`).

    Parameters: ``n_components``, ``categorical_columns``, ``covariance_type`` (default "diag"),
    ``reg_covar``, ``alpha`` (categorical smoothing), ``tol``, ``max_iter``, ``n_init``,
    ``init_params``, ``random_state``, ``weights_init``, ``categories`` (for the categorical
    columns, in their order), ``missing`` ("error" | "marginalize"; a missing categorical cell
    is always left out of the likelihood; with "marginalize" numeric NaN cells are marginalised,
    each row needs at least one observed numeric value).

    Fitted attributes: ``weights_`` (k,), ``means_`` (k, d_num), ``covariances_`` (the type's
    shape over the numeric columns), ``probs_`` (k, d_cat, m), ``categories_``,
    ``numeric_columns_``, ``categorical_columns_``, ``column_notes_`` (tuple of str: the categorical
    columns of one category, "Column j" 1-based in X), and the fit attributes.
    """

    _PARAMS = ("n_components", "categorical_columns", "covariance_type", "reg_covar", "alpha", "tol", "max_iter",
               "n_init", "init_params", "random_state", "weights_init", "categories", "missing")

    def __init__(self, n_components=1, *, categorical_columns=(), covariance_type="diag", reg_covar=1e-6,
                 alpha=0.0, tol=1e-3, max_iter=100, n_init=1, init_params="kmeans++", random_state=None,
                 weights_init=None, categories=None, missing="error"):
        self.n_components = n_components
        self.categorical_columns = categorical_columns
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.weights_init = weights_init
        self.categories = categories
        self.missing = missing

    def _split_columns(self, d):
        cat = [int(c) for c in self.categorical_columns]
        if any(c < 0 or c >= d for c in cat) or len(set(cat)) != len(cat):
            raise ValueError(f"categorical_columns must be distinct column indices 0 .. {d - 1}; got {cat}.")
        num = [c for c in range(d) if c not in cat]
        if not cat or not num:
            raise ValueError("MixedMixture needs at least one numeric and one categorical column; use "
                             "GaussianMixture or CategoricalMixture otherwise.")
        return num, cat

    def _to_codes(self, X, categories):
        """``(CodedRows of X: the numeric columns read from X itself when it is a numeric array, else
        from one float array of them; the categorical columns as compact codes), categories)``.  CodedRows
        whose codes index ``categories`` (a bootstrap's resample of the fit's codes) are taken as they are."""
        if isinstance(X, CodedRows) and X.ndim == 2 and _codes_of_categories(X, categories,
                                                                            self._split_columns(X.shape[1])[1]):
            return X, [np.asarray(list(c), dtype=float) for c in categories]
        Xo = np.asarray(X, dtype=object) if not isinstance(X, np.ndarray) else X
        if Xo.ndim != 2:
            raise ValueError(f"X must be 2-D (n, d); got shape {Xo.shape}.")
        n, d = Xo.shape
        num, cat = self._split_columns(d)
        specs = [None] * d
        if Xo.dtype.kind in "fiub":
            for c in num:
                specs[c] = ("number", Xo, c)
        else:
            F = np.empty((n, len(num)))
            for i, c in enumerate(num):
                col = Xo[:, c]
                try:
                    F[:, i] = col if col.dtype.kind in "fiub" else np.array(
                        [np.nan if _is_missing(v) else float(v) for v in col])
                except (TypeError, ValueError):
                    bad = next(i for i, v in enumerate(col) if not _is_missing(v) and not _is_number(v))
                    raise ValueError(f"column {c + 1} is numeric but row {bad + 1} holds {col[bad]!r}; list it "
                                     "in categorical_columns or fix the value.") from None
                specs[c] = ("number", F, i)
        if categories is not None and len(categories) != len(cat):
            raise ValueError(f"categories has {len(categories)} entries but X has {len(cat)} columns.")
        coded = _coded_rows(Xo, cat, categories, [c + 1 for c in cat])
        for i, c in enumerate(cat):
            specs[c] = coded._cols[i]
        return CodedRows(n, specs), coded.categories

    def _encode_for_fit(self, X):
        codes, cats = self._to_codes(X, self.categories)
        self._fitting = True
        return codes, cats

    def _cats(self):
        if getattr(self, "_fitting", False) or not hasattr(self, "categories_"):
            return getattr(self, "_pending_categories", None)
        return self.categories_

    def _family(self):
        cats = self._cats()
        d = None
        if hasattr(self, "n_features_in_"):
            d = self.n_features_in_
        elif getattr(self, "_d", None) is not None:
            d = self._d
        num, cat = self._split_columns(d)
        R = None if cats is None else [max(len(c), 1) for c in cats]
        return ProductFamily([
            (GaussianFamily(self.covariance_type, self.reg_covar, self.missing), num),
            (LatentClassFamily(R, "marginalize", self.alpha), cat),
        ])

    def _check_params(self):
        super()._check_params()
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}; "
                             f"got {self.covariance_type!r}.")

    def _check_X(self, X, lengths=None, fitted=False):
        if fitted:
            if not hasattr(self, "categories_"):
                raise ValueError("This MixedMixture has no categories yet: call fit(X) first.")
            X = self._to_codes(X, self.categories_)[0]
        Xc, lengths = LatentModel._check_X(self, X, lengths, fitted)
        if not fitted:
            self._d = Xc.shape[1]
        return Xc, lengths

    def fit_iter(self, X, lengths=None, responsibilities=False, interrupt=None):
        if hasattr(self, "n_features_in_"):
            del self.n_features_in_
        return super().fit_iter(X, lengths, responsibilities, interrupt)

    def _set_fitted(self, results, best, fdata, d):
        self._fitting = False
        super()._set_fitted(results, best, fdata, d)
        num, cat = self._split_columns(d)
        self.numeric_columns_ = np.array(num)
        self.categorical_columns_ = np.array(cat)
        #: sentences about categorical columns with one category (as CategoricalMixture; the window shows them)
        self.column_notes_ = one_category_notes(self.categories_, cat, numeric=True)

    def block_log_likelihoods(self, X):
        """The two blocks' log-densities under every component: ``{"gaussian": (n, k),
        "latent_class": (n, k)}``; ``log f(x_i | j)`` is their sum (numeric NaN cells marginalised,
        missing categories left out)."""
        sparams, fparams = self._state()
        Xc, _ = self._check_X(X, None, fitted=True)
        fam = self._family()
        data = fam.bind(Xc, self.n_components)
        prep = fam.prepare(data, fam.check_params(fparams, self.n_components, Xc.shape[1]))
        g, c = fam.block_log_probs(data, prep)
        return {"gaussian": g, "latent_class": c}

    def _state(self):
        sparams, fparams = super()._state()
        return sparams, fparams

    def _extra_fitted(self):
        return {"categories": [list(np.asarray(c).tolist()) for c in self.categories_],
                "n_features_in": int(self.n_features_in_)}

    def _load_extra(self, params):
        self.categories_ = [np.asarray(c) for c in params["categories"]]
        self.n_features_in_ = int(params["n_features_in"])

    def _n_features_from(self, fparams):
        return int(self.n_features_in_)


def _codes_of_categories(X, categories, cat_cols) -> bool:
    """Whether CodedRows ``X`` holds, at exactly the columns ``cat_cols``, codes indexing ``categories`` (a
    list of numeric category lists ``0 .. R - 1``, as the bootstrap's replicates are given): then the codes
    are what encoding their float values would give, and they are used without a float copy (issue 16)."""
    if categories is None:
        return False
    cat_cols = list(cat_cols)
    if [j for j, c in enumerate(X._cols) if c[0] == "codes"] != cat_cols or len(categories) != len(cat_cols):
        return False
    try:
        plain = all(np.array_equal(np.asarray(list(c), dtype=float), np.arange(len(c))) for c in categories)
    except (TypeError, ValueError):
        return False
    return plain and X.codes_match([len(c) for c in categories])


def _is_number(v):
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False
