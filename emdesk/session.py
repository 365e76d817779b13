"""The state of one fit, without Qt: what the window shows and what a script drives.

A :class:`Session` holds the table, the chosen columns, the treatment of missing cells, the model
specification (kind, family, engine options, starting means placed by hand), the history of snapshots of the
current fit, the current model (the fitted one, a stopped fit's last state, a loaded restart or a model chosen
in model selection) and the last completed fit with all its restarts. Its commands are the window's menu
actions without the widgets::

    from emdesk.session import Session

    s = Session()
    s.load("data.csv")                       # emdesk.io.load_table; numeric columns ticked
    s.choose_columns(["x", "y"])
    s.set_options(n_components=3, random_state=0)
    for snap in s.fit_iter():                # the engine's fit_iter, one snapshot per EM iteration
        print(snap.iteration, snap.log_likelihood)
    s.model.means_                           # the fitted model
    s.load_restart(0)                        # any restart of the last fit as the current model
    s.export_fit("fit.json")                 # emdesk.io.save_fit

Step by step: ``s.start()`` prepares a fit, ``s.step()`` computes one more iteration (returns its snapshot,
None when the fit has ended), ``s.stop()`` ends it with the last state as the current model.

The window observes a session: ``subscribe(callback)`` registers ``callback(event: str)`` for the events
``"data"`` (table, columns or missing-value treatment changed: the rows to fit are new), ``"options"``,
``"start-means"``, ``"fit-started"``, ``"snapshots"``, ``"fit-ended"`` and ``"model"`` (the current model
changed outside a fit). Commands run on one thread (the window's: its fit worker only computes snapshots and
hands them to ``add_snapshots``).

No Qt here (a test checks it); files go through ``emdesk.io``, fits through ``emdesk.engine``.
"""

from __future__ import annotations

import math

import numpy as np

MISSING_MODES = ("marginalize", "drop")
MAX_DISPLAY_POINTS = 50_000   # rows drawn (a fixed random subset when the fit has more)
START_SAMPLE = 100_000        # rows used for the starting covariances of hand-placed means (a random subset)


_REGISTERED: dict = {}  # (kind, family) -> {"estimator", "label", "panel_fields"}: register_family's entries


def register_family(kind: str, family: str, estimator_class, *, label: str | None = None,
                    panel_fields=None) -> None:
    """Make a new emission family fittable by a session and offered by the window's Model panel.

    ``kind`` is "mixture" or "hmm"; ``family`` the name the session uses (``set_model_kind(kind, family)``);
    ``estimator_class`` an estimator with the engine's interface (``fit_iter(X, **fit_arguments)`` yielding
    Snapshots, fitted ``log_likelihood_``; usually a subclass of ``emdesk.engine.MixtureModel`` or
    ``HiddenMarkovModel`` built on a family object, see docs/INTERFACES.md); its keywords are the options a
    fit can pass. ``label`` is the family combo's text (default: ``family``); ``panel_fields`` the Model panel
    fields it uses (``emdesk.gui.kinds`` names; default: the common ones without covariance fields).
    ValueError for an unknown kind or a family name a built-in family already uses."""
    if kind not in ("mixture", "hmm"):
        raise ValueError(f"Unknown model kind {kind!r}: 'mixture' or 'hmm'.")
    if (kind, family) in _builtin_estimators():
        raise ValueError(f"{kind}/{family} is a built-in family; register the new one under another name.")
    if not callable(getattr(estimator_class, "fit_iter", None)):
        raise ValueError(f"{estimator_class!r} has no fit_iter: it is not an engine estimator.")
    _REGISTERED[(kind, family)] = {"estimator": estimator_class, "label": label or family,
                                   "panel_fields": None if panel_fields is None else tuple(panel_fields)}


def unregister_family(kind: str, family: str) -> None:
    """Remove a family ``register_family`` added (nothing happens when it is not registered)."""
    _REGISTERED.pop((kind, family), None)


def registered_families(kind: str) -> list:
    """[(label, family, panel_fields or None)] of the families ``register_family`` added for ``kind``."""
    return [(v["label"], f, v["panel_fields"]) for (k, f), v in _REGISTERED.items() if k == kind]


def _builtin_estimators() -> dict:
    from emdesk.engine import (CategoricalHMM, CategoricalMixture, GaussianHMM, GaussianMixture, MixedMixture,
                               PoissonHMM, PoissonMixture, StudentTMixture)

    return {("mixture", "gaussian"): GaussianMixture, ("hmm", "gaussian"): GaussianHMM,
            ("hmm", "poisson"): PoissonHMM, ("hmm", "categorical"): CategoricalHMM,
            ("mixture", "student_t"): StudentTMixture, ("mixture", "poisson"): PoissonMixture,
            ("mixture", "categorical"): CategoricalMixture, ("mixture", "mixed"): MixedMixture}


def _estimators() -> dict:
    """(kind, family) -> estimator class: the model kinds a session can fit (built-in and registered)."""
    return _builtin_estimators() | {key: v["estimator"] for key, v in _REGISTERED.items()}


def _keywords(cls) -> set:
    import inspect

    return {n for n, p in inspect.signature(cls.__init__).parameters.items() if n != "self"}


# ==================================================================================== pure helpers
def start_parameters(X: np.ndarray, means: np.ndarray, covariance_type: str, reg_covar: float):
    """Starting weights and covariances (scikit-learn shapes) for the placed ``means`` (k, d).

    Each complete row goes to its nearest placed mean (distance in units of each column's standard
    deviation); a component's covariance is that of its rows about its placed mean, shrunk towards the
    data's per-column variances with d + 1 pseudo-rows (so a mean placed where there are no rows still gets
    a sensible, positive-definite covariance), plus ``reg_covar``; weights are (rows + 1) / (n + k). The
    iteration-0 ellipses thus surround the placed means, and EM moves from there. On more than
    ``START_SAMPLE`` complete rows a fixed random subset of that size is used.
    Returns ``(weights, covariances)``, or ``(None, None)`` when there is no complete row.
    """
    X = np.asarray(X, dtype=float)
    M = np.asarray(means, dtype=float)
    k, d = M.shape
    Xc = X[np.all(np.isfinite(X), axis=1)]
    n = Xc.shape[0]
    if n == 0:
        return None, None
    if n > START_SAMPLE:  # starting values need no more rows than this; keeps Run instant on large data
        Xc = Xc[np.sort(np.random.default_rng(0).choice(n, START_SAMPLE, replace=False))]
        n = START_SAMPLE
    var = Xc.var(axis=0)
    from emdesk.engine.relative import absolute_reg_covar

    reg = absolute_reg_covar(reg_covar, var)  # (d,); reg_covar may be "relative" (emdesk.engine.relative)
    tiny = max(float(reg.max()) if reg.size else 0.0, 1e-12 * max(float(var.max()), 1.0), 1e-300)
    var = np.where(var > 0, var, tiny)
    sd = np.sqrt(var)
    step = max(1, 2_000_000 // max(k * d, 1))  # rows per chunk: bounded memory for many components
    lab = np.concatenate([
        (((Xc[i:i + step, None, :] - M[None]) / sd) ** 2).sum(axis=2).argmin(axis=1) for i in range(0, n, step)])
    m0 = d + 1.0
    prior = np.diag(var)
    counts = np.bincount(lab, minlength=k).astype(float)
    covs = np.empty((k, d, d))
    for i in range(k):
        R = Xc[lab == i] - M[i]
        S = R.T @ R  # scatter about the placed mean
        covs[i] = (S + m0 * prior) / (counts[i] + m0)
    covs += np.diag(reg)[None]
    weights = (counts + 1.0) / (n + k)
    if covariance_type not in ("full", "tied", "diag", "spherical"):  # mclust's names: their layout
        from emdesk.engine._validation import covariance_layout

        covariance_type = covariance_layout(covariance_type, d)
    if covariance_type == "full":
        out = covs
    elif covariance_type == "tied":
        out = np.einsum("i,ijk->jk", weights, covs)
    elif covariance_type == "diag":
        out = np.diagonal(covs, axis1=1, axis2=2).copy()
    elif covariance_type == "spherical":
        out = np.diagonal(covs, axis1=1, axis2=2).mean(axis=1)
    else:
        raise ValueError(f"Unknown covariance_type {covariance_type!r}.")
    return weights, out


_NOT_COPIED = ("n_components", "covariance_type", "weights_init", "means_init", "covariances_init")


def _n_samples(model):
    n = getattr(model, "n_samples_", None)
    if n is None or not np.isfinite(n) or n <= 0:
        return None
    return float(n)


def restart_issues(model, i: int):
    """The degeneracy diagnosis of restart ``i`` of a fitted model (empty if it cannot be made)."""
    from emdesk.engine.diagnostics import diagnose

    p = model.restart_parameters_[i]
    if "issues" in p:  # structure x family models (HMMs) keep each restart's diagnosis
        return tuple(p["issues"] or ())
    dv = getattr(model, "data_variances_", None)
    n = _n_samples(model)
    if dv is None or n is None or "covariances" not in p or not hasattr(model, "covariance_type"):
        return ()
    try:
        from emdesk.engine.relative import absolute_reg_covar

        layout = model._layout() if hasattr(model, "_layout") else model.covariance_type  # mclust's names
        reg = getattr(model, "reg_covar_", None)  # what the fit added (reg_covar may be "relative")
        if reg is None:
            reg = absolute_reg_covar(model.reg_covar, dv)
        dc = getattr(model, "data_covariance_", None)  # full/tied: judged against the data's covariance
        return diagnose(p["weights"], p["covariances"], layout, n, dv if dc is None else dc, reg)
    except ValueError:
        return ()


def restart_model(model, i: int):
    """A fitted ``GaussianMixture`` holding restart ``i``'s final parameters (built with
    ``GaussianMixture.from_parameters``; the same engine options, its own log-likelihood,
    iterations, convergence flag and degeneracy diagnosis, and the column names). ValueError for a
    restart that does not exist or parameters the model layer refuses."""
    from emdesk.engine import GaussianMixture

    n_restarts = len(model.restart_parameters_)
    if not 0 <= int(i) < n_restarts:
        raise ValueError(f"restart must be between 0 and {n_restarts - 1}; got {i}.")
    i = int(i)
    p = model.restart_parameters_[i]
    params = {k: v for k, v in model.get_params().items() if k not in _NOT_COPIED}
    m = GaussianMixture.from_parameters(p["weights"], p["means"], p["covariances"], model.covariance_type, **params)
    ll = float(p.get("log_likelihood", math.nan))
    n = _n_samples(model)
    m.log_likelihood_ = ll
    m.lower_bound_ = ll / n if n else math.nan
    m.n_iter_ = int(p.get("n_iter", 0))
    m.converged_ = bool(p.get("converged", False))
    m.restart_log_likelihoods_ = np.array([ll])
    m.restart_parameters_ = [dict(p)]
    m.best_restart_ = 0
    if getattr(model, "data_variances_", None) is not None:
        m.data_variances_ = np.array(model.data_variances_, copy=True)
    if n is not None:
        m.n_samples_ = n
    m.degeneracies_ = restart_issues(model, i)
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        m.feature_names_in_ = names
    return m


def single_state_snapshot(model, n_samples: float):
    """A fitted model as the one frozen state of a timeline (a model from model selection or a file)."""
    from emdesk.engine.snapshot import Snapshot, frozen_copy

    if hasattr(model, "_family") and hasattr(model, "_state"):  # Student-t, Poisson, latent class (issue 13)
        from emdesk.session_hmm import family_state_snapshot

        return family_state_snapshot(model, n_samples)

    return Snapshot(
        restart=0, n_init=1, iteration=int(getattr(model, "n_iter_", 0)),
        weights=frozen_copy(model.weights_), means=frozen_copy(model.means_),
        covariances=frozen_copy(model.covariances_), covariance_type=model.covariance_type,
        log_likelihood=float(getattr(model, "log_likelihood_", np.nan)),
        lower_bound=float(getattr(model, "lower_bound_", np.nan)), change=np.nan,
        converged=bool(getattr(model, "converged_", False)), final=True,
        n_samples=float(n_samples), missing=getattr(model, "missing", "error"),
    )


# ==================================================================================== the session
class Session:
    """The state of one fit and the commands that change it (see the module docstring)."""

    def __init__(self):
        self.table = None
        self.columns: list[str] = []
        self.missing = "marginalize"       # "marginalize" (exact EM for missing cells) or "drop"
        self.kind = "mixture"                # "mixture" | "hmm"
        self.family = "gaussian"             # "gaussian" | "poisson" | "categorical" (hmm)
        self.sequence_column = None          # hmm: the column naming each row's sequence (None: one)
        self.order_column = None             # hmm: the column rows are sorted by within a sequence
        self.lengths = None                  # hmm: rows per sequence, in the order of X
        self.sequence_names: list[str] = []  # hmm: the sequences' names, in the order of X
        self.notes: list[str] = []           # what was done to the rows (sorted, duplicates), for the user
        self.options: dict = {}             # engine keywords for the next fit (missing apart)
        self.X = None                       # rows the fit uses, (n, d) float, NaN where missing
        self.file_rows = None               # the table row (0-based) of each row of X
        self.X_display = None               # rows drawn: X or a fixed random subset of it
        self.display_incomplete_rows = None  # indices into X_display of rows with a missing value
        self.n_rows = 0                     # rows of the table
        self.n_incomplete = 0               # rows with a missing value in the chosen columns
        self.n_empty = 0                    # ... with every chosen value missing
        self.n_dropped = 0                  # rows of the table not in X
        self.start_means = np.zeros((0, 0))  # means placed by hand, (k, d); k = 0: none
        self.categories: dict = {}          # categorical columns' labels (emdesk.families_data); X holds codes
        self._seq_ids = None
        self._seq_labels: list[str] = []
        self.history: list = []             # every snapshot of the current fit
        self.model = None                   # the current model (fitted, stopped state, restart, chosen)
        self.fitted_model = None            # the last completed fit, with all its restarts
        self.fit_params: dict = {}          # the engine keywords of the current (or last) fit
        self.fitting = False
        self._iterator = None
        self._estimator = None
        self._listeners: list = []

    # ------------------------------------------------------------------------------ observers
    def subscribe(self, callback) -> None:
        """``callback(event: str)`` after every change (events in the module docstring)."""
        self._listeners.append(callback)

    def unsubscribe(self, callback) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _notify(self, event: str) -> None:
        for cb in list(self._listeners):
            cb(event)

    # ------------------------------------------------------------------------------ data
    def load(self, path, progress=None):
        """Read a CSV (``emdesk.io.load_table``; DataError for a file that cannot be used) and use it."""
        from emdesk.io import DataError, load_table

        table = load_table(path, progress=progress)
        if not table.numeric_column_names and self.family != "categorical":  # latent class: text only is fine
            from emdesk.io.table import no_numbers_message

            raise DataError(no_numbers_message(table))
        self.set_table(table)
        return table

    def set_table(self, table, columns=None) -> None:
        """Use ``table``; ``columns`` the columns to fit (default: its first two numeric columns, as the
        window's Data panel ticks them)."""
        self._forget_fit()
        self.table = table
        self.sequence_column = self.order_column = None  # the pickers start afresh for a new file
        cols = list(table.numeric_column_names[:2]) if columns is None else list(columns)
        if columns is None and not cols and self.family == "categorical":
            # a file of text columns only, for a latent class model or a categorical HMM (one column)
            cols = list(table.column_names[:1 if self.kind == "hmm" else 2])
        self._check_columns(cols)
        self.columns = cols
        self._prepare()

    def choose_columns(self, names) -> None:
        """Fit these numeric columns (ValueError for unknown or text columns); forgets the current fit."""
        names = list(names)
        self._check_columns(names)
        self._forget_fit()
        self.columns = names
        self._prepare()

    def _check_columns(self, names) -> None:
        if self.table is None:
            if names:
                raise ValueError("Open a CSV file before choosing columns.")
            return
        from emdesk.families_data import TEXT_FAMILIES

        empty = [n for n in names if n in self.table.empty_column_names]
        if empty:
            from emdesk.io.table import empty_columns_message

            raise ValueError(empty_columns_message(self.table, empty))
        numeric = set(self.table.column_names if self.family in TEXT_FAMILIES else self.table.numeric_column_names)
        bad = [n for n in names if n not in numeric]
        if bad:
            raise ValueError(f"Not numeric columns of {self.table.path}: {', '.join(map(str, bad))}; "
                             f"numeric columns: {', '.join(self.table.numeric_column_names)}.")

    def set_missing(self, mode: str) -> None:
        """"marginalize": every row with a value is fitted (exact EM for missing cells); "drop": complete
        rows only (the engine's "error" means the same). Forgets the current fit when it changes."""
        if mode == "error":
            mode = "drop"
        if mode not in MISSING_MODES:
            raise ValueError(f"missing must be one of {', '.join(MISSING_MODES)} (fit with missing values, or "
                             f"drop incomplete rows); got {mode!r}.")
        if mode == self.missing:
            return
        self.missing = mode
        if self.table is not None:
            self._forget_fit()
            self._prepare()

    def engine_missing(self) -> str:
        return "marginalize" if self.missing == "marginalize" else "error"

    def _prepare(self) -> None:
        """The rows to fit and to draw for the current table, columns and missing-value treatment."""
        self.history = []
        self.model = None
        self.fitted_model = None
        self.display_incomplete_rows = None
        cols = self.columns
        self.start_means = np.zeros((0, len(cols)))
        if self.table is None or not cols:
            self.X = self.X_display = None
            self.file_rows = None
            self.n_incomplete = self.n_empty = self.n_dropped = 0
            self.n_rows = 0 if self.table is None else int(self.table.n_rows)
            self._notify("data")
            return
        from emdesk.families_data import family_rows

        X_all, self.categories = family_rows(self.table, cols, self.family)
        self.n_rows = int(X_all.shape[0])
        self.lengths, self.sequence_names, self.notes = None, [], []
        file_rows = np.arange(self.n_rows)
        if self.kind == "hmm":
            order = self._sequence_order()
            X_all = X_all[order]
            file_rows = file_rows[order]
        observed = np.isfinite(X_all)
        complete = observed.all(axis=1)
        self.n_incomplete = int(X_all.shape[0] - np.count_nonzero(complete))
        if self.n_incomplete == 0:
            self.n_empty = 0
            X = X_all
        else:
            if not np.array_equal(~observed, np.isnan(X_all)):  # infinities count as missing, like NaN
                X_all = np.where(observed, X_all, np.nan)
            has_value = observed.any(axis=1)
            self.n_empty = int(X_all.shape[0] - np.count_nonzero(has_value))
            keep = complete if self.missing == "drop" else has_value
            X = X_all[keep]
            file_rows = file_rows[keep]
            if self.kind == "hmm" and self._seq_ids is not None:
                self._seq_ids = self._seq_ids[keep]
        self.X = np.ascontiguousarray(X)
        self.file_rows = file_rows  # the table row (0-based) of each row of X, for messages
        if self.kind == "hmm":
            self._set_lengths()
        self.n_dropped = int(X_all.shape[0] - self.X.shape[0])
        n = self.X.shape[0]
        if n > MAX_DISPLAY_POINTS and self.kind != "hmm":  # an HMM's view draws runs of its sequences
            rng = np.random.default_rng(12345)
            self.X_display = self.X[np.sort(rng.choice(n, MAX_DISPLAY_POINTS, replace=False))]
        else:
            self.X_display = self.X
        if self.n_incomplete and self.X_display.shape[0]:
            self.display_incomplete_rows = np.flatnonzero(np.isnan(self.X_display).any(axis=1))
        self._notify("data")

    def _sequence_order(self) -> np.ndarray:
        """Row order for an HMM: by sequence (first appearance), then by the order column (stable, so rows
        with equal order values keep the file's order, and that is said in ``notes``)."""
        n = int(self.table.n_rows)
        if self.sequence_column is not None:
            if self.sequence_column in self.table.numeric_column_names:
                raw = [("" if not np.isfinite(v) else f"{v:g}") for v in self.table.to_array([self.sequence_column])[:, 0]]
            else:
                raw = list(self.table.text_column(self.sequence_column))
            names, ids = np.unique(np.asarray(raw, dtype=object).astype(str), return_inverse=True)
            first = np.full(len(names), n)
            np.minimum.at(first, ids, np.arange(n))
            rank = np.empty(len(names), dtype=np.int64)
            rank[np.argsort(first, kind="stable")] = np.arange(len(names))
            seq = rank[ids]
            self._seq_labels = [str(names[i]) for i in np.argsort(first, kind="stable")]
        else:
            seq = np.zeros(n, dtype=np.int64)
            self._seq_labels = ["all rows"]
        if self.order_column is not None:
            t = self.table.to_array([self.order_column])[:, 0]  # no missing value (set_sequence checks)
            order = np.lexsort((np.arange(n), t, seq))
            ts, ss = t[order], seq[order]
            same = (ss[1:] == ss[:-1])
            if np.any(same & (np.diff(np.arange(n)[order]) < 0)):
                self.notes.append(f"Rows were sorted by {self.order_column} within each sequence.")
            dup = int(np.count_nonzero(same & (ts[1:] == ts[:-1])))
            if dup:
                one = dup == 1  # the wording of emdesk-fit's note (emdesk.io.sequences)
                self.notes.append(f"{dup:,} {'row repeats' if one else 'rows repeat'} the {self.order_column} "
                                  f"value of the row before in {'its' if one else 'their'} sequence; "
                                  f"{'it stays' if one else 'they stay'} in the file's order.")
        else:
            order = np.argsort(seq, kind="stable")
        self._seq_ids = seq[order]
        return order

    def _set_lengths(self) -> None:
        ids = self._seq_ids
        if ids is None or not len(ids):
            self.lengths, self.sequence_names = None, []
            return
        present, counts = np.unique(ids, return_counts=True)  # ids are sorted: runs in order
        self.lengths = counts.astype(np.int64)
        self.sequence_names = [self._seq_labels[i] for i in present]
        dropped = len(self._seq_labels) - len(present)
        if dropped:
            self.notes.append(f"{dropped} sequence{'s' if dropped != 1 else ''} had no row with a value and "
                              f"{'were' if dropped != 1 else 'was'} left out.")
        short = int(np.count_nonzero(self.lengths == 1))
        if short:
            self.notes.append(f"{short} sequence{'s have' if short != 1 else ' has'} a single row (no "
                              "transition to learn from).")

    # ------------------------------------------------------------------------------ model specification
    def set_model_kind(self, kind: str, family: str = "gaussian") -> None:
        """"mixture" (independent rows) or "hmm" (ordered rows in sequences); ``family`` the emission family
        ("gaussian"; for hmm also "poisson" or "categorical"). Forgets the current fit."""
        if (kind, family) not in _estimators():
            known = ", ".join(f"{k}/{f}" for k, f in _estimators())
            raise ValueError(f"Unknown model kind {kind}/{family}; known: {known}.")
        if (kind, family) == (self.kind, self.family):
            return
        self.kind, self.family = kind, family
        self._notify("options")
        if self.table is not None:
            from emdesk.families_data import TEXT_FAMILIES

            if family not in TEXT_FAMILIES:  # text columns are fitted by the categorical families only
                self.columns = [c for c in self.columns if c in self.table.numeric_column_names]
            self._forget_fit()
            self._prepare()

    def set_sequence(self, sequence_column=None, order_column=None) -> None:
        """HMM data layout: the column naming each row's sequence (None: one sequence) and the numeric
        column giving the order within a sequence (None: the file's order). Forgets the current fit."""
        if self.table is not None:
            names = set(self.table.column_names)
            for c in (sequence_column, order_column):
                if c is not None and c not in names:
                    raise ValueError(f"{c!r} is not a column of {self.table.path}.")
            if order_column is not None and order_column not in self.table.numeric_column_names:
                raise ValueError(f"The order column must hold numbers (a time or an index); {order_column!r} "
                                 "is text.")
            if order_column is not None:
                n_missing = int(np.count_nonzero(~np.isfinite(self.table.to_array([order_column])[:, 0])))
                if n_missing:
                    raise ValueError(f"The order column {order_column} has {n_missing:,} missing value"
                                     f"{'s' if n_missing != 1 else ''}: every row needs a time or index to be "
                                     "placed in its sequence. Choose another column or fill them.")
        self.sequence_column, self.order_column = sequence_column, order_column
        if self.table is not None:
            self._forget_fit()
            self._prepare()

    def estimator_class(self):
        return _estimators()[(self.kind, self.family)]

    def set_options(self, **options) -> None:
        """Engine keywords of the next fit (``missing`` as ``set_missing``). TypeError -> ValueError for a
        keyword the estimator does not have; values are checked by the engine when the fit starts."""
        missing = options.pop("missing", None)
        merged = dict(self.options, **options)
        known = set().union(*(_keywords(c) for c in _estimators().values()))
        unknown = sorted(set(merged) - known)
        if unknown:
            raise ValueError(f"Unknown option: {', '.join(unknown)}.")
        self.options = merged
        if missing is not None:
            self.set_missing(missing)
        self._notify("options")

    def engine_options(self) -> dict:
        """The keywords the next fit passes to the estimator (``missing`` included; options the kind's
        estimator does not have, e.g. covariance_type for a Poisson HMM, are left out)."""
        from emdesk.families_data import family_options

        cls = self.estimator_class()
        keys = _keywords(cls)
        opts = dict(self.options, missing=self.engine_missing(),
                    **family_options(self.table, self.columns, self.family, self.categories))
        if self.kind == "hmm" and self.family == "categorical" and self.columns and self.categories:
            labels = self.categories.get(self.columns[0])
            if labels:  # every symbol of the column has a code, also one seen only in rows left out
                opts["n_features"] = len(labels)
        from emdesk.engine.relative import own_defaults

        return own_defaults(cls, {k: v for k, v in opts.items() if k in keys})

    def fit_arguments(self) -> dict:
        """Keyword arguments of ``fit_iter`` besides X (an HMM's ``lengths``)."""
        return {"lengths": None if self.lengths is None else list(map(int, self.lengths))} if self.kind == "hmm" else {}

    def set_start_means(self, means) -> None:
        """Starting means placed by hand, (k, d) for the d chosen columns; k = 0 clears them."""
        d = len(self.columns)
        m = np.asarray(means, dtype=float)
        if m.size == 0:
            m = np.zeros((0, d))
        if m.ndim != 2 or m.shape[1] != d:
            raise ValueError(f"Starting means must have shape (k, {d}) for the {d} chosen columns; got {m.shape}.")
        if not np.all(np.isfinite(m)):
            raise ValueError("Starting means must be finite numbers.")
        self.start_means = np.array(m, dtype=float)
        self._notify("start-means")

    def with_start_means(self, params: dict) -> dict:
        """``params`` with the starting state of the placed means (none placed: unchanged)."""
        m = self.start_means
        if m.shape[0] == 0 or m.shape[1] != len(self.columns) or self.X is None or self.kind != "mixture":
            return params
        params = dict(params, n_components=int(m.shape[0]), n_init=1, means_init=m.copy())
        try:
            w, c = start_parameters(self.X, m, params.get("covariance_type", "full"), params.get("reg_covar", "relative"))
        except (ValueError, np.linalg.LinAlgError):
            w = c = None
        if w is not None:
            params.update(weights_init=w, covariances_init=c)
        return params

    def column_means(self) -> np.ndarray:
        with np.errstate(all="ignore"):
            mu = np.nanmean(self.X, axis=0) if self.X is not None and self.X.shape[0] else None
        if mu is None:
            return np.zeros(len(self.columns))
        return np.where(np.isfinite(mu), mu, 0.0)

    # ------------------------------------------------------------------------------ fitting
    def begin_fit(self, params: dict | None = None):
        """A new fit: the history is cleared and an unfitted estimator returned (``params``: the engine
        keywords, default ``engine_options()`` with the placed means). ValueError when there is nothing to
        fit. The caller iterates ``estimator.fit_iter(session.X)`` (here or in a worker thread) and hands
        the snapshots to ``add_snapshots``, then calls ``end_fit``."""
        if self.table is None or self.X is None:
            raise ValueError("Open a CSV file and choose at least one numeric column before running a fit.")
        if self.X.shape[0] == 0:
            raise ValueError("No complete rows in the chosen columns: choose other columns, or fit with missing "
                             "values." if self.missing == "drop" and self.n_incomplete > self.n_empty else
                             "Every row is empty in the chosen columns: choose other columns.")
        self._close_iterator()
        if params is None:
            params = self.with_start_means(self.engine_options())
        cls = self.estimator_class()
        keys = _keywords(cls)
        params = {k: v for k, v in params.items() if k in keys}
        estimator = cls(**params)
        self.fit_params = dict(params)
        self.history = []
        self.model = None
        self.fitted_model = None
        self.fitting = True
        self._notify("fit-started")
        return estimator

    def add_snapshots(self, batch) -> None:
        self.history.extend(batch)
        self._notify("snapshots")

    def end_fit(self, model=None) -> None:
        """The fit ended: ``model`` the fitted estimator, or None for a stopped (or failed) fit, whose last
        snapshot becomes the current model. Raises what ``Snapshot.to_model`` raises for a state the model
        layer refuses (the session is then idle, with no current model)."""
        self.fitting = False
        self._iterator = self._estimator = None
        try:
            if model is not None:
                self.fitted_model = model
                self.model = self._named(model)
            elif self.history:
                self.model = None
                self.model = self._named(self.history[-1].to_model())
        finally:
            self._notify("fit-ended")

    def name_columns(self, message: str) -> str:
        """An engine message with the chosen columns' names after their numbers ("Column 1 (level)")."""
        from .engine._validation import name_columns

        return name_columns(message, self.columns)

    def name_rows(self, message: str) -> str:
        """An engine message's "row N" (1-based, a row of X: sorted by sequence and order for an HMM, without
        the rows left out) as the file's data row, with the row's sequence and order values for an HMM:
        "data row 17 (gauge upper, hour 479)"."""
        import re

        from emdesk.io.table import format_number

        rows = getattr(self, "file_rows", None)
        if rows is None or self.X is None or self.table is None:
            return message

        def where(m):
            i = int(m.group(2)) - 1
            if not 0 <= i < len(rows):
                return m.group(0)
            r = int(rows[i])
            text = f"{'D' if m.group(1) == 'R' else 'd'}ata row {r + 1:,}"
            if self.kind == "hmm":
                parts = []
                for col in (self.sequence_column, self.order_column):
                    if col is None:
                        continue
                    try:
                        value = (self.table.text_column(col)[r] if col in self.table.text_column_names
                                 else format_number(float(self.table.to_array([col])[r, 0])))
                    except (KeyError, ValueError, IndexError):
                        continue
                    parts.append(f"{col} {value}")
                if parts:
                    text += f" ({', '.join(parts)})"
            return text

        return re.sub(r"\b([Rr])ow (\d+)(?: of X)?\b", where, message)

    def _named(self, model):
        try:
            model.feature_names_in_ = np.asarray(self.columns, dtype=object)
        except AttributeError:
            pass
        if self.kind == "hmm" and self.family == "categorical" and self.columns:
            labels = (self.categories or {}).get(self.columns[0])
            m = np.shape(getattr(model, "emissionprob_", np.zeros((0, 0))))[-1]
            if labels and len(labels) == m:  # the symbols' labels, as emdesk-fit and load_fit set them
                model.symbols_ = np.asarray(labels, dtype=object)
        return model

    def fit_iter(self, **options):
        """Fit now, yielding every snapshot (the engine's ``fit_iter``); the model is set at the end."""
        if options:
            self.set_options(**options)
        self.start()
        while True:
            snap = self.step()
            if snap is None:
                return
            yield snap

    def fit(self, **options):
        """Fit to the end; returns the fitted model."""
        for _ in self.fit_iter(**options):
            pass
        return self.model

    def start(self) -> None:
        """Prepare a fit to be computed step by step (``step``)."""
        self._estimator = self.begin_fit()
        try:
            self._iterator = self._estimator.fit_iter(self.X, **self.fit_arguments())
        except Exception:  # options the engine refuses: idle again, and the caller hears why
            self._estimator = None
            self.fitting = False
            self._notify("fit-ended")
            raise

    def step(self):
        """One more EM iteration of the fit ``start`` prepared: its snapshot, or None when the fit has ended
        (then ``model`` is the fitted model)."""
        if self._iterator is None:
            return None
        try:
            snap = next(self._iterator)
        except StopIteration:
            est = self._estimator
            self.end_fit(est if hasattr(est, "weights_") or hasattr(est, "transmat_") else None)
            return None
        except Exception:
            self._close_iterator()
            self.fitting = False
            self._notify("fit-ended")
            raise
        self.add_snapshots([snap])
        return snap

    def stop(self) -> None:
        """End a step-by-step fit now: the last state becomes the current model."""
        if self._iterator is None:
            return
        self._close_iterator()
        self.end_fit(None)

    def _close_iterator(self) -> None:
        it, self._iterator = self._iterator, None
        if it is not None and hasattr(it, "close"):
            it.close()

    def _forget_fit(self) -> None:
        self._close_iterator()
        self.fitting = False

    # ------------------------------------------------------------------------------ other models
    def load_restart(self, i: int):
        """Restart ``i`` of the last fit (its final state) as the current model; returns it."""
        if self.fitted_model is None:
            raise ValueError("There is no completed fit whose restarts could be loaded.")
        fm = self.fitted_model
        p = fm.restart_parameters_[int(i)] if 0 <= int(i) < len(fm.restart_parameters_) else {}
        if p.get("failed"):
            raise ValueError(f"Restart {int(i) + 1} failed ({p['failed']}); it has no solution to load.")
        if self.kind != "mixture":
            model = self._named(fm.restart_model(int(i)))
        elif self.family != "gaussian":
            from emdesk.families_data import family_restart_model

            model = self._named(family_restart_model(fm, int(i)))
        else:
            model = self._named(restart_model(fm, int(i)))
            # the fit's labels: the restart's components take the colours and order of the kept solution
            # (issue 14), and so do its snapshots on the timeline
            aligned, perm = aligned_model_and_permutation(model, fm)
            if perm is not None:
                model = aligned
                self.history[:] = [relabel_snapshot(sn, perm) if sn.restart == int(i) else sn
                                   for sn in self.history]
        self.model = model
        self._notify("model")
        return model

    def use_model(self, model, keep_fit: bool = False) -> None:
        """A fitted model of the chosen columns (e.g. from model selection) as the current fit: its one
        state becomes the history. ``keep_fit``: the last completed fit stays (its restarts can still be
        loaded). ValueError when it does not match the chosen columns."""
        from emdesk.session_hmm import hmm_state_snapshot, is_hmm, model_width

        from emdesk.families_data import SESSION_FAMILY, family_state_snapshot

        family = SESSION_FAMILY.get(type(model).__name__)
        width = (int(getattr(model, "n_features_in_", -1)) if family is not None
                 else model_width(model) if self.X is not None else -1)
        if (self.X is None or is_hmm(model) != (self.kind == "hmm") or width != len(self.columns)
                or (self.kind == "mixture" and (family or "gaussian") != self.family)):
            raise ValueError("That model does not match the chosen columns; it was not loaded.")
        self._forget_fit()
        self._named(model)
        self.model = model
        if not keep_fit:
            self.fitted_model = model if getattr(model, "restart_parameters_", None) else None
        if is_hmm(model):
            state = hmm_state_snapshot(model, self.X, self.fit_arguments()["lengths"])
        elif family is not None:
            state = family_state_snapshot(model, self.X.shape[0])
        else:
            state = single_state_snapshot(model, self.X.shape[0])
        self.history = [state]
        self._notify("model")

    # ------------------------------------------------------------------------------ files
    def export_fit(self, path, kind: str | None = None, bootstrap=None) -> None:
        """Write the current model: ``kind`` "json" (default; ``emdesk.io.save_fit``), "parameters" or
        "assignments" (CSV). ``bootstrap``: a BootstrapResult of the current model; the fit file (any kind)
        and the parameters CSV then carry its standard errors and 95% intervals."""
        if self.model is None:
            raise ValueError("There is no fit to export yet: run a fit first (F5).")
        from emdesk.io import save_assignments_csv, save_fit, save_parameters_csv

        kind = kind or "json"
        model, X = self.model, self.X
        if self.kind == "mixture" and self.family in ("categorical", "mixed"):
            # The window fits text columns as category codes: the files get the categories themselves
            from emdesk.families_data import labelled_model

            model, X = labelled_model(self.table, self.columns, self.family, self.model, self.X)
        path = str(path)
        hmm = self.kind == "hmm"
        seq = {"sequence_column": self.sequence_column, "order_column": self.order_column} if hmm else {}
        boot = {"bootstrap": bootstrap} if bootstrap is not None else {}
        if kind == "json":
            save_fit(path, model, X, columns=list(self.columns), table=self.table,
                     **(dict(seq, lengths=self.fit_arguments()["lengths"]) if hmm else {}), **boot)
        elif kind == "parameters":  # with the bootstrap: se_/lower_/upper_ columns for every kind
            save_parameters_csv(path, model, columns=list(self.columns), **boot)
        elif kind == "assignments":
            save_assignments_csv(path, self.table, model, list(self.columns), **seq)
        else:
            raise ValueError(f"Unknown export kind {kind!r}: use json, parameters or assignments.")

    def export_imputed(self, path) -> int:
        """The table with the missing cells of the fitted columns filled by the current model (conditional
        expectations) and a column flagging them (``emdesk.io.save_imputed_csv``). Returns the number of
        cells filled; ValueError when there is no fit or nothing to fill."""
        if self.model is None:
            raise ValueError("There is no fit to impute from yet: run a fit first (F5).")
        if self.kind != "mixture":
            raise ValueError("Filling missing cells from a hidden Markov model is not available; Export Fit "
                             "writes the rows with their state posteriors.")
        if not self.n_incomplete:
            raise ValueError("The fitted columns have no missing cells, so there is nothing to impute. "
                             "Export Fit (Ctrl+E) writes the rows with their assignments.")
        from emdesk.io import save_imputed_csv

        return save_imputed_csv(str(path), self.table, self.model, list(self.columns))


def aligned_model_and_permutation(model, reference):
    """``(aligned_model(model, reference), permutation)``; the permutation (new component j = old
    ``permutation[j]``) is None when the model was left as it is."""
    m = aligned_model(model, reference)
    if m is model:
        return model, None
    from emdesk.engine.align import align

    return m, np.asarray(align(model, reference).permutation, dtype=int)


def relabel_snapshot(snap, permutation):
    """A Gaussian mixture snapshot with its components reordered (new j = old ``permutation[j]``): weights,
    means, covariances (when they have a component axis), responsibilities and the components named by its
    degeneracy issues (their numbers in the messages too)."""
    import dataclasses
    import re

    from emdesk.engine.align import has_component_axis
    from emdesk.engine.snapshot import frozen_copy

    perm = np.asarray(permutation, dtype=int)
    k, d = np.shape(snap.means)
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size)
    cov = np.asarray(snap.covariances)
    if has_component_axis(cov, snap.covariance_type, k, d):
        cov = cov[perm]
    resp = snap.responsibilities
    issues = []
    for issue in snap.issues or ():
        c = getattr(issue, "component", None)
        if isinstance(c, (int, np.integer)) and 0 <= c < k:
            new = int(inverse[c])
            message = re.sub(rf"^Component {c + 1}\b", f"Component {new + 1}", issue.message)
            issue = dataclasses.replace(issue, component=new, message=message)
        issues.append(issue)
    return dataclasses.replace(
        snap, weights=frozen_copy(np.asarray(snap.weights)[perm]), means=frozen_copy(np.asarray(snap.means)[perm]),
        covariances=frozen_copy(cov), responsibilities=None if resp is None else frozen_copy(np.asarray(resp)[:, perm]),
        issues=tuple(issues))


def aligned_model(model, reference):
    """``model`` with its components reordered to match ``reference`` (``emdesk.engine.align``: minimum-cost
    matching on the symmetrised Kullback-Leibler divergence), so a model loaded in place of another keeps
    each cluster's colour and position. Returns ``model`` itself when the order already matches, when
    either is not a fitted mixture of the same columns, or when the components cannot be compared; else a
    model rebuilt (``from_parameters``) with its components in the new order and its fit statistics copied
    (its ``restart_parameters_`` keep the order EM found)."""
    import copy

    from emdesk.engine.align import align

    if reference is None or model is reference or getattr(model, "degeneracies_", ()):
        return model
    try:
        a = align(model, reference)
    except (ValueError, AttributeError, TypeError, KeyError):
        return model
    if a.is_identity:
        return model
    if np.asarray(a.permutation).size != np.shape(model.means_)[0]:
        return model
    cls = type(model)
    if not hasattr(cls, "from_parameters"):
        return model
    params = {key: v for key, v in model.get_params().items() if key not in _NOT_COPIED}
    try:  # rebuilt from its parameters: every derived array (precisions, caches) follows the new order
        m = cls.from_parameters(a.weights, a.means, a.covariances, model.covariance_type, **params)
    except (ValueError, TypeError):
        return model
    for name in ("log_likelihood_", "lower_bound_", "n_iter_", "converged_", "n_samples_", "data_variances_",
                 "feature_names_in_", "restart_log_likelihoods_", "restart_parameters_", "best_restart_",
                 "n_rows_all_missing_", "column_notes_"):
        if hasattr(model, name):
            setattr(m, name, copy.deepcopy(getattr(model, name)))
    return m
