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
from emdesk.session_rows import MAX_DISPLAY_POINTS  # noqa: F401 (rows drawn; public here before)


# models of a fit other than its best (restarts, a model aligned to another, a one-state snapshot) and the
# starting parameters of hand-placed means: emdesk.session_models (re-exported here)
from emdesk.session_models import (  # noqa: E402,F401
    START_SAMPLE, _n_samples, aligned_model, aligned_model_and_permutation, relabel_snapshot, restart_issues,
    restart_model, single_state_snapshot, start_parameters)

# the families a session can fit (built-in and added by register_family): emdesk.session_registry
from emdesk.session_registry import (  # noqa: E402,F401
    _REGISTERED, _builtin_estimators, _estimators, _keywords, register_family, registered_families,
    unregister_family)



def _check_sequence_names(table, column) -> None:
    """ValueError when ``column`` (an HMM's sequence column) has missing cells (counted where the file was
    read): the window used to put every row without a name into one sequence named "", where emdesk-fit
    refuses them (``emdesk.io.sequences``)."""
    n_missing = int(table.missing_counts.get(column, 0))
    if not n_missing:
        return
    if table.is_numeric(column):
        first = int(np.flatnonzero(np.isnan(table.to_array([column])[:, 0]))[0])
    else:
        from emdesk.io import MISSING_TOKENS

        first = next(i for i, v in enumerate(table.text_column(column)) if v.strip() in MISSING_TOKENS)
    raise ValueError(f"The sequence column {column} has {n_missing:,} missing value{'s' if n_missing != 1 else ''} "
                     f"(first on data row {first + 1}): every row needs the name of its sequence. Choose another "
                     "column or fill them.")

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
        self._seq_ids = None                # hmm: each row's sequence number, in the order of X
        self._plan_only = False             # a plan of ``planned``: commands check and set, prepare nothing
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

    def set_table(self, table, columns=None, prepared=None) -> None:
        """Use ``table``; ``columns`` the columns to fit (default: its first two numeric columns, as the
        window's Data panel ticks them). ``prepared``: their rows computed already (see ``_prepare``)."""
        self._forget_fit()
        self.table = table
        self.sequence_column = self.order_column = None  # the pickers start afresh for a new file
        cols = list(table.numeric_column_names[:2]) if columns is None else list(columns)
        if columns is None and not cols and self.family == "categorical":
            # a file of text columns only, for a latent class model or a categorical HMM (one column)
            cols = list(table.column_names[:1 if self.kind == "hmm" else 2])
        self._check_columns(cols)
        self.columns = cols
        self._prepare(prepared)

    def choose_columns(self, names, prepared=None) -> None:
        """Fit these numeric columns (ValueError for unknown or text columns); forgets the current fit.
        ``prepared``: their rows, computed already by ``emdesk.session_rows.prepare_rows`` (used when they
        match)."""
        names = list(names)
        self._check_columns(names)
        self._forget_fit()
        self.columns = names
        self._prepare(prepared)

    def check_columns(self, names) -> None:
        """ValueError when ``names`` cannot be fitted (unknown, empty or text columns), as ``choose_columns``."""
        self._check_columns(list(names))

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

    def set_missing(self, mode: str, prepared=None) -> None:
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
            self._prepare(prepared)

    def engine_missing(self) -> str:
        return "marginalize" if self.missing == "marginalize" else "error"

    def _prepare(self, prepared=None) -> None:
        """The rows to fit and to draw for the current table, columns, model kind, missing-value treatment and
        (HMM) sequence and order columns; ``prepared``: those rows computed already
        (``emdesk.session_rows.prepare_rows``, in the window's background job for big data), used when they are
        of the current ``rows_spec()``. (A plan of ``planned`` prepares nothing.)"""
        if self._plan_only:
            self._plan_changes = True
            return
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
        from emdesk import session_rows

        spec = self.rows_spec()
        p = prepared if prepared is not None and spec.same(prepared.spec) else session_rows.prepare_rows(spec)
        self.categories, self.n_rows = p.categories, p.n_rows
        self.X, self.file_rows, self.X_display = p.X, p.file_rows, p.X_display
        self.n_incomplete, self.n_empty = p.n_incomplete, p.n_empty
        self.n_dropped = p.n_rows - int(p.X.shape[0])
        self.display_incomplete_rows = p.display_incomplete_rows
        self.lengths, self.sequence_names, self.notes = p.lengths, list(p.sequence_names), list(p.notes)
        self._seq_ids = p.seq_ids
        self._notify("data")

    def rows_spec(self):
        """What the rows depend on now (``emdesk.session_rows.RowSpec``)."""
        from emdesk.session_rows import RowSpec

        return RowSpec(self.table, tuple(self.columns), self.kind, self.family, self.missing,
                       self.sequence_column, self.order_column)

    def planned(self, commands, base=None):
        """``(spec, changes)``: the ``RowSpec`` the session would have after ``commands`` (``[(name, args),
        ...]`` of ``set_table``, ``choose_columns``, ``set_missing``, ``set_model_kind``, ``set_sequence``),
        starting from ``base`` (a RowSpec; default: now), without doing them or preparing any row, and whether
        they would prepare the rows again (False: nothing to do, e.g. the same missing-value choice). Raises the
        ValueError a command raises. The window prepares that spec's rows in the background
        (``emdesk.session_rows.prepare_rows``) and hands them to :meth:`use_rows`."""
        plan = Session()
        plan._plan_only, plan._plan_changes = True, False
        spec = self.rows_spec() if base is None else base
        plan.table, plan.columns, plan.kind, plan.family = spec.table, list(spec.columns), spec.kind, spec.family
        plan.missing, plan.sequence_column, plan.order_column = spec.missing, spec.sequence_column, spec.order_column
        for name, args in commands:
            if name not in ("set_table", "choose_columns", "set_missing", "set_model_kind", "set_sequence"):
                raise ValueError(f"{name} does not change the rows.")
            getattr(plan, name)(*args)
        return plan.rows_spec(), plan._plan_changes

    def use_rows(self, spec, prepared=None) -> None:
        """Take the table, columns, model kind, missing-value treatment and sequence columns of ``spec`` (a
        RowSpec from :meth:`planned`) at once, with its rows ``prepared`` (computed here when None or of
        another spec); the events of the commands that lead there ("options" when the kind changed, "data").
        Forgets the current fit."""
        kind_changed = (spec.kind, spec.family) != (self.kind, self.family)
        self._forget_fit()
        self.table, self.columns, self.missing = spec.table, list(spec.columns), spec.missing
        self.kind, self.family = spec.kind, spec.family
        self.sequence_column, self.order_column = spec.sequence_column, spec.order_column
        if kind_changed:
            self._notify("options")
        self._prepare(prepared)

    # ------------------------------------------------------------------------------ model specification
    def set_model_kind(self, kind: str, family: str = "gaussian", prepared=None) -> None:
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
            self._prepare(prepared)

    def set_sequence(self, sequence_column=None, order_column=None, prepared=None) -> None:
        """HMM data layout: the column naming each row's sequence (None: one sequence) and the numeric
        column giving the order within a sequence (None: the file's order). Forgets the current fit."""
        if self.table is not None:
            from emdesk.io.sequences import order_columns, order_values

            names = set(self.table.column_names)
            for c in (sequence_column, order_column):
                if c is not None and c not in names:
                    raise ValueError(f"{c!r} is not a column of {self.table.path}.")
            if order_column is not None and order_column not in order_columns(self.table):
                raise ValueError(f"The order column must hold numbers (a time or an index); {order_column!r} "
                                 "is text.")
            if sequence_column is not None:
                _check_sequence_names(self.table, sequence_column)
            if order_column is not None:
                n_missing = int(np.count_nonzero(~np.isfinite(order_values(self.table, order_column))))
                if n_missing:
                    raise ValueError(f"The order column {order_column} has {n_missing:,} missing value"
                                     f"{'s' if n_missing != 1 else ''}: every row needs a time or index to be "
                                     "placed in its sequence. Choose another column or fill them.")
        self.sequence_column, self.order_column = sequence_column, order_column
        if self.table is not None:
            self._forget_fit()
            self._prepare(prepared)

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

        def sequence(m):  # "Sequence 2 of X (rows 31 to 60)": X's sorted rows mean nothing to the user
            j = int(m.group(1)) - 1
            names = self.sequence_names
            if self.kind != "hmm" or not 0 <= j < len(names):
                return m.group(0)
            steps = int(m.group(3)) - int(m.group(2)) + 1
            return f"The sequence {names[j]!r} ({steps:,} step{'s' if steps != 1 else ''})"

        message = re.sub(r"\bSequence (\d+) of X \(rows (\d+) to (\d+)\)", sequence, message)
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

    def use_model(self, model, keep_fit: bool = False, state=None) -> None:
        """A fitted model of the chosen columns (e.g. from model selection) as the current fit: its one
        state becomes the history. ``keep_fit``: the last completed fit stays (its restarts can still be
        loaded). ``state``: that state, when already computed by :meth:`model_state` (the window computes an
        HMM's over every row off the GUI thread). ValueError when it does not match the chosen columns."""
        if state is None:
            state = self.model_state(model)
        self._forget_fit()
        self._named(model)
        self.model = model
        if not keep_fit:
            self.fitted_model = model if getattr(model, "restart_parameters_", None) else None
        self.history = [state]
        self._notify("model")

    def check_model(self, model) -> None:
        """ValueError when ``model`` does not match the chosen columns, model kind and family (cheap)."""
        from emdesk.session_hmm import is_hmm, model_width

        from emdesk.families_data import SESSION_FAMILY

        family = SESSION_FAMILY.get(type(model).__name__)
        width = (int(getattr(model, "n_features_in_", -1)) if family is not None
                 else model_width(model) if self.X is not None else -1)
        if (self.X is None or is_hmm(model) != (self.kind == "hmm") or width != len(self.columns)
                or (self.kind == "mixture" and (family or "gaussian") != self.family)):
            raise ValueError("That model does not match the chosen columns; it was not loaded.")

    def model_state(self, model):
        """The one final Snapshot of ``model`` on the current rows (changes nothing; an HMM's needs its state
        posteriors over every row: 9 s at 1,000,000 rows). ValueError when it does not match the chosen
        columns."""
        from emdesk.session_hmm import hmm_state_snapshot, is_hmm

        from emdesk.families_data import SESSION_FAMILY, family_state_snapshot

        self.check_model(model)
        family = SESSION_FAMILY.get(type(model).__name__)
        if is_hmm(model):
            return hmm_state_snapshot(model, self.X, self.fit_arguments()["lengths"])
        if family is not None:
            return family_state_snapshot(model, self.X.shape[0])
        return single_state_snapshot(model, self.X.shape[0])

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
