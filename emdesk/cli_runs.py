"""emdesk-fit's runs for the other model kinds: hidden Markov models (``--model hmm``), the Student-t,
Poisson and latent class mixtures (``--family``), Dask data (``--dask``) and the HMM helpers model selection shares
(:mod:`emdesk.cli_select`). The argument checks, the Gaussian-mixture run and the shared helpers are in :mod:`emdesk.cli`, which calls
these from its ``_run``."""

from __future__ import annotations

import warnings

from .cli import FAMILIES, _check_counts, _num, _say_fall, _warn, _write_outputs


def encoding_arg(text: str) -> str:
    """``--encoding``'s value: an encoding Python knows (argparse's type: a one-line usage error otherwise)."""
    import argparse
    import codecs

    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an encoding Python knows (e.g. cp1252, latin-1, "
                                         "utf-8)") from None
    return text


def _load_with_marks(args):
    """The data file read with the decimal mark and thousands separator of ``--decimal`` / ``--thousands``
    (``auto`` still detects that one) by ``emdesk.io.load_with_options``."""
    from .io.import_options import ImportOptions, load_with_options

    thousands = {"auto": None, "none": "", "space": " "}.get(args.thousands, args.thousands)
    decimal = None if args.decimal == "auto" else args.decimal
    return load_with_options(args.data, ImportOptions(decimal=decimal, thousands=thousands))


def transmat_prior_arg(text: str):
    """``--transmat-prior``: a number (the same Dirichlet concentration for every transition) or a square
    matrix written by rows, ``"5,1;1,5"`` (rows by ';', entries by ','); every value finite and >= 0
    (1 = no prior; below 1 it favours rare transitions). ArgumentTypeError otherwise."""
    import argparse
    import math

    from .cli import _show

    rows = [r for r in text.split(";")]
    try:
        values = [[float(v) for v in r.split(",")] for r in rows]
    except ValueError:
        values = None
    if values is None or not all(math.isfinite(v) and v >= 0 for r in values for v in r):
        raise argparse.ArgumentTypeError(f"expected a number >= 0 or a k x k matrix of numbers >= 0 by rows "
                                         f"('5,1;1,5'), got {_show(text)}")
    if len(values) == 1 and len(values[0]) == 1:
        return values[0][0]
    if any(len(r) != len(values) for r in values):
        raise argparse.ArgumentTypeError(f"a matrix prior is square, k rows of k numbers ('5,1;1,5' for 2 "
                                         f"states), got {_show(text)}: {len(values)} rows of "
                                         f"{', '.join(str(len(r)) for r in values)}")
    return values


def prior_states(prior) -> int | None:
    """k of a k x k ``--transmat-prior`` (None for a number or no prior)."""
    return len(prior) if isinstance(prior, list) else None


def prior_text(prior) -> str:
    """The prior as the summary names it: ``"transition prior 2"`` or ``"a 2 x 2 transition prior"``."""
    if prior is None:
        return ""
    k = prior_states(prior)
    return f"transition prior {prior:g}" if k is None else f"a {k} x {k} transition prior"


def hmm_data(args, table, columns):
    """``(X, lengths, layout, symbols)``: an HMM's rows in fit order, the rows per sequence, the
    :class:`~emdesk.io.sequences.SequenceLayout` (its notes) and a categorical HMM's symbols (None)."""
    import numpy as np

    from .io import DataError
    from .io.sequences import encode_symbols, sequence_layout

    family = args.family
    symbols = None
    for name in (args.sequence_column, args.order_column):
        if name is not None and name in columns:
            raise DataError(f"{name} is the sequence or order column; it cannot also be fitted.")
    if family == "categorical":
        if len(columns) != 1:
            raise DataError(f"A categorical HMM fits one column of symbols; --columns names {len(columns)}.")
        codes, symbols = encode_symbols(table, columns[0])
        X_all = codes[:, None]
    else:
        X_all = table.to_array(columns)
        if family == "poisson":
            _check_counts(table, columns, X_all)
    n_incomplete = int(np.count_nonzero(np.isnan(X_all).any(axis=1)))
    args.missing_mode = missing = args.missing or ("marginalize" if n_incomplete else "error")
    if n_incomplete and missing == "error":
        raise DataError(f"{n_incomplete} of {table.n_rows} rows have missing values in {', '.join(columns)}; "
                        f"use --missing marginalize or --missing drop.")
    layout = sequence_layout(table, X_all, sequence_column=args.sequence_column, order_column=args.order_column,
                             missing=missing)
    return X_all[layout.rows], [int(v) for v in layout.lengths], layout, symbols


def n_observed_steps(X) -> int:
    """Rows with an observed value (a row with none is a time step without one)."""
    import numpy as np

    return int(np.count_nonzero(~np.isnan(X).all(axis=1)))


def hmm_writers(args, model, X, table, columns, lengths, holder) -> dict:
    """The -o, --parameters and --assignments writers of a fitted HMM (``holder["doc"]``: the fit file)."""
    from . import io

    def fit_file(path):
        holder["doc"] = io.save_fit(path, model, X, columns=columns, table=table, lengths=lengths,
                                    sequence_column=args.sequence_column, order_column=args.order_column)
        return path

    def parameters(path):
        io.save_parameters_csv(path, model, columns)
        return path

    def assignments(path):
        io.save_assignments_csv(path, table, model, columns, sequence_column=args.sequence_column,
                                order_column=args.order_column)
        return path

    return {"-o": fit_file, "--parameters": parameters, "--assignments": assignments}


def hmm_rows_line(args, table, columns, X, lengths) -> str:
    """"long.csv: 140 rows, columns x, y; 2 sequences by id, ordered by t; 140 rows fitted"."""
    n_seq = len(lengths)
    what = f"{n_seq} sequence{'s' if n_seq != 1 else ''}" + (f" by {args.sequence_column}" if args.sequence_column else "")
    if args.order_column:
        what += f", ordered by {args.order_column}"
    return f"{table.name}: {table.n_rows} rows, columns {', '.join(columns)}; {what}; {X.shape[0]} rows fitted"


def _run_hmm(args, table, columns) -> int:
    import numpy as np

    from .engine import CategoricalHMM, GaussianHMM, PoissonHMM
    from .io import DataError

    say = (lambda *a: None) if args.quiet else print
    family = args.family
    X, lengths, layout, symbols = hmm_data(args, table, columns)
    missing = args.missing_mode
    k = args.n_components or 2
    n_observed = n_observed_steps(X)
    if k > n_observed:
        kept = X.shape[0] - n_observed
        raise DataError(f"{k} states for {n_observed} time step{'s' if n_observed != 1 else ''} with an observed "
                        f"value" + (f" (and {kept} without)" if kept else "") + f": choose at most {n_observed} "
                        f"state{'s' if n_observed != 1 else ''}.")
    common = dict(tol=args.tol, max_iter=args.max_iter, n_init=args.n_init, init_params=args.init,
                  random_state=args.seed, missing="marginalize" if missing == "marginalize" else "error",
                  transmat_prior=args.transmat_prior)
    covariance = args.covariance or "diag"
    if family == "gaussian":
        model = GaussianHMM(k, covariance_type=covariance, reg_covar=args.reg_covar, **common)
    elif family == "poisson":
        model = PoissonHMM(k, **common)
    else:
        model = CategoricalHMM(k, n_features=len(symbols), **common)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, lengths)
    model.feature_names_in_ = np.asarray(columns, dtype=object)
    if symbols is not None:
        model.symbols_ = np.asarray(symbols, dtype=object)
    holder = {}
    written = _write_outputs(args, hmm_writers(args, model, X, table, columns, lengths, holder))
    fit = holder["doc"]["fit"]
    say(hmm_rows_line(args, table, columns, X, lengths))
    for note in layout.notes:
        say(f"note: {note}")
    kind = f"{FAMILIES[family]} HMM" + (f", {covariance} covariance" if family == "gaussian" else "")
    if symbols is not None:
        kind += f", {len(symbols)} symbol{'s' if len(symbols) != 1 else ''}"
    if args.transmat_prior is not None:
        kind += f", {prior_text(args.transmat_prior)}"
    say(f"{k} state{'s' if k != 1 else ''}, {kind}: log-likelihood {_num(fit['log_likelihood'])}, "
        f"BIC {_num(fit['bic'])}, iterations {fit['n_iter']}, converged {'yes' if fit['converged'] else 'no'}")
    _warn(caught, columns, symbols)  # constant or linearly dependent columns (the engine's notes), by name
    _say_fall(model, columns, say)
    for what in written:
        say(f"wrote {what}")
    return 0


def _run_family_mixture(args, table, columns) -> int:
    """Student-t, Poisson and latent class (categorical) mixtures (the engine's StudentTMixture,
    PoissonMixture, CategoricalMixture)."""
    import numpy as np

    from . import engine, io
    from .io import DataError

    say = (lambda *a: None) if args.quiet else print
    family = args.family
    k = args.n_components or 2
    if family == "categorical":
        if args.columns is None:
            raise DataError("Name the categorical columns with --columns (text columns are fitted too).")
        from .io.fitfile_families import categorical_table_data

        # numbers as categories for numeric columns; empty cells and missing tokens (NA, ...) missing, as
        # the window reads them
        X_all = categorical_table_data(table, columns)
        observed = X_all != None  # noqa: E711 (element-wise)
    else:
        X_all = table.to_array(columns)
        if family == "poisson":
            _check_counts(table, columns, X_all)
        observed = np.isfinite(X_all)
    incomplete = ~observed.all(axis=1)
    n_incomplete = int(incomplete.sum())
    missing = args.missing or ("marginalize" if n_incomplete else "error")
    if n_incomplete and missing == "error":
        raise DataError(f"{n_incomplete} of {table.n_rows} rows have missing values in {', '.join(columns)}; "
                        f"use --missing marginalize or --missing drop.")
    keep = ~incomplete if missing == "drop" else observed.any(axis=1)
    X = X_all[keep]
    if X.shape[0] == 0:
        raise DataError(f"No rows with values are left in {', '.join(columns)}.")
    if k > X.shape[0]:
        raise DataError(f"{k} components for {X.shape[0]} rows: choose at most {X.shape[0]} components.")
    options = dict(n_init=args.n_init, random_state=args.seed,
                   missing="marginalize" if missing == "marginalize" else "error")
    for key, value in (("tol", args.tol), ("max_iter", args.max_iter), ("init_params", args.init)):
        if value is not None:  # else the estimator's own default (a latent class model's differ)
            options[key] = value
    covariance = args.covariance or "full"
    if family == "student-t":
        model = engine.StudentTMixture(k, covariance_type=covariance, reg_covar=args.reg_covar, **options)
    elif family == "poisson":
        model = engine.PoissonMixture(k, **options)
    else:
        model = engine.CategoricalMixture(k, **options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X)
    model.feature_names_in_ = np.asarray(columns, dtype=object)
    holder = {}

    def fit_file(path):
        holder["doc"] = io.save_fit(path, model, X, columns=columns, table=table)
        return path

    def parameters(path):
        io.save_parameters_csv(path, model, columns)
        return path

    def assignments(path):
        io.save_assignments_csv(path, table, model, columns)
        return path

    written = _write_outputs(args, {"-o": fit_file, "--parameters": parameters, "--assignments": assignments})
    fit = holder["doc"]["fit"]
    n_left = int(table.n_rows - X.shape[0])
    note = (f"; {n_left} {'row' if n_left == 1 else 'rows'} left out "
            f"(no value{', or a missing value' if missing == 'drop' else ''})") if n_left else ""
    if missing == "marginalize" and n_incomplete - n_left > 0:
        n_fit = n_incomplete - n_left
        note += f"; {n_fit} {'row' if n_fit == 1 else 'rows'} fitted on {'its' if n_fit == 1 else 'their'} observed values"
    say(f"{table.name}: {table.n_rows} rows, columns {', '.join(columns)}{note}")
    kind = {"student-t": f"Student-t mixture, {covariance} scale matrices", "poisson": "Poisson mixture",
            "categorical": "latent class model"}[family]
    extra = ""
    if family == "student-t":
        extra = ", degrees of freedom " + " ".join(f"{v:.3g}" for v in np.ravel(model.dof_))
    say(f"{k} component{'s' if k != 1 else ''}, {kind}: log-likelihood {_num(fit['log_likelihood'])}, "
        f"BIC {_num(fit['bic'])}, iterations {fit['n_iter']}, converged {'yes' if fit['converged'] else 'no'}{extra}")
    _warn(caught)
    _say_fall(model, columns, say)
    for what in written:
        say(f"wrote {what}")
    return 0


def _run_dask(args) -> int:
    """A Gaussian mixture fitted with Dask to files that need not fit in memory (issue 16)."""
    import numpy as np

    from . import io
    from .engine import GaussianMixture
    from .io import DataError

    say = (lambda *a: None) if args.quiet else print
    try:
        from .engine import _dask  # (Dask installed?)
        from .io import dask_files
    except ImportError:
        raise DataError("--dask needs Dask: pip install 'emdesk[dask]' (dask and dask.distributed).") from None
    columns = None
    if args.columns is not None:
        columns = [c.strip() for c in args.columns.split(",") if c.strip()]
        if not columns or len(set(columns)) != len(columns):
            raise DataError("--columns must name distinct columns, comma-separated.")
    missing = args.missing or "marginalize"
    k = args.n_components or 2
    covariance = args.covariance or "full"
    gm = GaussianMixture(n_components=k, covariance_type=covariance, tol=args.tol, reg_covar=args.reg_covar,
                         max_iter=args.max_iter, n_init=args.n_init, init_params=args.init, random_state=args.seed,
                         missing="marginalize" if missing == "marginalize" else "error", prior=args.prior_value)
    holder = {}
    thousands = {"auto": None, "none": "", "space": " "}.get(args.thousands, args.thousands)
    with dask_files.open_scheduler(args.dask):
        try:
            df = dask_files.read_files(args.data_files, columns, encoding=args.encoding, thousands=thousands)
        except (FileNotFoundError, OSError) as exc:
            raise DataError(f"cannot read the data files: {exc}") from None
        except UnicodeDecodeError as exc:  # a file UTF-8 at its start only: one line naming it
            raise dask_files.explain_encoding(exc, args.data_files) from None
        if args.thousands == "auto":  # 10.691 read as 10691: said, as the in-memory run says it
            import sys

            from .cli import PROG

            for note in dask_files.thousands_notes(args.data_files, args.encoding):
                print(f"{PROG}: note: {note}", file=sys.stderr)
        if columns is None:
            kinds = dict(df.dtypes.items())
            df = _dask.numeric_columns(df)
            columns = [str(c) for c in df.columns]
            if not columns:
                raise DataError("The data files have no numeric column to fit.")
            left = [f"{c} ({'text' if t.kind in 'OSU' or str(t).startswith('string') else t})"
                    for c, t in kinds.items() if c not in df.columns]
            if left:  # named as the in-memory run names them (cli._left_out_note), not left out silently
                say(f"{', '.join(args.data_files)}: columns left out: {', '.join(left)}; name the columns to fit "
                    "with --columns")
        if missing == "drop":
            df = df.dropna()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                gm.fit(df)
            except UnicodeDecodeError as exc:
                raise dask_files.explain_encoding(exc, args.data_files) from None
            except ValueError as exc:
                raise dask_files.explain_text_in_numbers(exc, args.data_files, args.encoding, thousands) from None
        gm.feature_names_in_ = np.asarray(columns, dtype=object)

        def fit_file(path):
            holder["doc"] = io.save_fit(path, gm, df, columns=columns, data_files=args.data_files)
            return path

        def parameters(path):
            io.save_parameters_csv(path, gm, columns)
            return path

        written = _write_outputs(args, {"-o": fit_file, "--parameters": parameters})
    fit = holder["doc"]["fit"]
    data = holder["doc"]["data"]
    say(f"{len(args.data_files)} data path{'s' if len(args.data_files) != 1 else ''} on Dask ({args.dask}): "
        f"{data['n_rows_fitted']} rows, columns {', '.join(columns)}"
        + (f"; {data['n_missing_values']} missing values" if data["n_missing_values"] else ""))
    say(f"{k} component{'s' if k != 1 else ''}, {covariance} covariance: log-likelihood "
        f"{_num(fit['log_likelihood'])}, BIC {_num(fit['bic'])}, iterations {fit['n_iter']}, "
        f"converged {'yes' if fit['converged'] else 'no'}")
    _warn(caught)
    for what in written:
        say(f"wrote {what}")
    return 0
