"""The ``emdesk-fit`` command: fit a Gaussian mixture to columns of a CSV file and write the results.

    emdesk-fit data.csv --columns a,b -k 3 --covariance full --n-init 5 --seed 0 -o fit.json \\
        [--assignments out.csv] [--parameters params.csv] [--imputed imputed.csv] [--missing drop]

Exit codes: 0 success, 1 a problem with the data or the fit, 2 a usage error. Errors are one line
(``emdesk-fit: error: ...``) on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

PROG = "emdesk-fit"

EPILOG = """\
examples:
  emdesk-fit data.csv -k 3 -o fit.json
  emdesk-fit data.csv --columns a,b -k 3 --covariance full --n-init 5 --seed 0 -o fit.json \\
      --assignments assignments.csv --parameters parameters.csv
  emdesk-fit data.csv --columns a,b,c -k 2 --missing marginalize --imputed imputed.csv

The fit file is JSON (format "emdesk-fit", version 1; see the README). Read it back in Python with
emdesk.io.load_fit(path). Exit status: 0 on success, 1 when the data or the fit fails, 2 on a usage error.
"""


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit code 2 (argparse prints the usage block otherwise)
        raise _UsageError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Fit a Gaussian mixture model by EM to numeric columns of a CSV file, print a short\n"
                    "summary and write the fit (JSON) and, optionally, CSV exports.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", help="the CSV file (delimiter, header, decimal comma and encoding are detected)")
    p.add_argument("--columns", metavar="A,B,...",
                   help="comma-separated names of the columns to fit (default: every numeric column)")
    p.add_argument("-k", "--n-components", type=_positive_int, default=2, metavar="K",
                   help="number of mixture components (default: 2)")
    p.add_argument("--covariance", choices=["full", "tied", "diag", "spherical"], default="full",
                   help="covariance type (default: full)")
    p.add_argument("--n-init", type=_positive_int, default=1, metavar="N",
                   help="number of EM restarts; the best log-likelihood is kept (default: 1)")
    p.add_argument("--max-iter", type=_positive_int, default=100, metavar="N",
                   help="maximum EM iterations per restart (default: 100)")
    p.add_argument("--tol", type=_positive_float, default=1e-3,
                   help="convergence threshold on the change of the mean log-likelihood (default: 1e-3)")
    p.add_argument("--reg-covar", type=_positive_float, default=1e-6, metavar="R",
                   help="added to the diagonal of every covariance (default: 1e-6)")
    p.add_argument("--init", choices=["kmeans++", "kmeans", "random", "random_from_data"], default="kmeans++",
                   help="how EM starts (default: kmeans++)")
    p.add_argument("--seed", type=_seed, default=None,
                   help="random seed, for reproducible fits (default: none, a different start each run)")
    p.add_argument("--missing", choices=["marginalize", "drop", "error"], default=None,
                   help="rows with missing values in the chosen columns: 'marginalize' fits them on their "
                        "observed values (the default when there are any), 'drop' leaves them out, "
                        "'error' stops")
    p.add_argument("-o", "--output", metavar="FIT.json",
                   help="write the fit as JSON (default: DATA with the extension .fit.json)")
    p.add_argument("--assignments", metavar="OUT.csv",
                   help="write the rows with one responsibility column per component and the most likely "
                        "component")
    p.add_argument("--parameters", metavar="OUT.csv",
                   help="write one row per component: weight, means, variances and covariances")
    p.add_argument("--imputed", metavar="OUT.csv",
                   help="write the rows with missing values of the chosen columns filled in by the fitted "
                        "mixture, and a column naming the imputed cells")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    from . import __version__

    p.add_argument("--version", action="version", version=f"{PROG} (emdesk) {__version__}")
    return p


def _fit_path(args) -> str:
    return args.output or os.path.splitext(args.data)[0] + ".fit.json"


def _check_outputs(args) -> None:
    """No output may replace the data file or another output (a typo such as ``-o data.csv`` would
    otherwise destroy the data), and every output's folder must exist (said before a long fit)."""
    outputs = [("-o", _fit_path(args)),
               ("--assignments", args.assignments), ("--parameters", args.parameters), ("--imputed", args.imputed)]
    seen = {os.path.realpath(args.data): None}
    for option, path in outputs:
        if not path:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise _UsageError(f"{option}: the folder {folder} does not exist; create it or choose another")
        key = os.path.realpath(path)
        if key in seen:
            if seen[key] is None:
                raise _UsageError(f"{option} {path} would replace the data file {args.data}; choose another name")
            raise _UsageError(f"{seen[key]} and {option} name the same file ({path}); choose another name")
        seen[key] = option


def _fail(message: str, code: int) -> int:
    message = " ".join(str(message).split())  # one line
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def _run(args) -> int:
    import numpy as np

    from .engine import GaussianMixture
    from .io import DataError, load_table, save_assignments_csv, save_fit, save_imputed_csv, save_parameters_csv

    say = (lambda *a: None) if args.quiet else print
    table = load_table(args.data)
    if args.columns is None:
        columns = table.numeric_column_names
        if not columns:
            raise DataError(f"{table.name} has no numeric column to fit.")
    else:
        columns = [c.strip() for c in args.columns.split(",") if c.strip()]
        if not columns:
            raise DataError("--columns is empty; give comma-separated column names.")
        if len(set(columns)) != len(columns):
            raise DataError(f"--columns names a column twice: {args.columns}.")
    X_all = table.to_array(columns)
    incomplete = np.isnan(X_all).any(axis=1)
    n_incomplete = int(incomplete.sum())
    missing = args.missing or ("marginalize" if n_incomplete else "error")
    if n_incomplete and missing == "error":
        raise DataError(f"{n_incomplete} of {table.n_rows} rows have missing values in {', '.join(columns)}; "
                        f"use --missing marginalize or --missing drop.")
    X = X_all[~incomplete] if missing == "drop" else X_all
    if X.shape[0] == 0:
        raise DataError(f"No complete rows are left in {', '.join(columns)} after dropping incomplete rows.")
    gm = GaussianMixture(
        n_components=args.n_components, covariance_type=args.covariance, tol=args.tol,
        reg_covar=args.reg_covar, max_iter=args.max_iter, n_init=args.n_init, init_params=args.init,
        random_state=args.seed, missing="marginalize" if missing == "marginalize" else "error",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm.fit(X)
    gm.feature_names_in_ = np.asarray(columns, dtype=object)
    output = _fit_path(args)
    doc = save_fit(output, gm, X, columns=columns, table=table)
    fit = doc["fit"]
    note = ""
    if n_incomplete:
        n_empty = int(np.isnan(X_all).all(axis=1).sum())
        if missing == "drop":
            how = " dropped"
        elif n_empty:  # the engine leaves rows with no value out
            n_used = n_incomplete - n_empty
            how = (f": {n_used} fitted on {'its' if n_used == 1 else 'their'} observed values, "
                   f"{n_empty} with no value left out")
        else:
            how = " fitted on their observed values"
        note = f"; {n_incomplete} rows with missing values{how}"
    say(f"{table.name}: {table.n_rows} rows, columns {', '.join(columns)}{note}")
    def num(value):
        return "n/a" if value is None else f"{value:.2f}"

    say(f"{args.n_components} component{'s' if args.n_components != 1 else ''}, {args.covariance} covariance: log-likelihood "
        f"{num(fit['log_likelihood'])}, BIC {num(fit['bic'])}, iterations {fit['n_iter']}, "
        f"converged {'yes' if fit['converged'] else 'no'}")
    for w in caught:
        print(f"{PROG}: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    say(f"wrote {output}")
    if args.parameters:
        save_parameters_csv(args.parameters, gm, columns)
        say(f"wrote {args.parameters}")
    if args.assignments:
        save_assignments_csv(args.assignments, table, gm, columns)
        say(f"wrote {args.assignments}")
    if args.imputed:
        n = save_imputed_csv(args.imputed, table, gm, columns)
        say(f"wrote {args.imputed} ({n} cells imputed)")
    return 0


def main(argv=None) -> int:
    """Entry point of ``emdesk-fit``; returns the exit status."""
    for stream in (sys.stdout, sys.stderr):
        # A console or pipe whose encoding cannot show a column name (cp1252 and a Chinese name) shows an
        # escape instead of failing a run whose files are already written.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _check_outputs(args)
    except _UsageError as exc:
        return _fail(f"{exc} (see {PROG} --help)", 2)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    try:
        return _run(args)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except (ValueError, OSError, ArithmeticError) as exc:  # DataError is a ValueError; engine errors too
        return _fail(str(exc) or type(exc).__name__, 1)
    except Exception as exc:  # never a traceback
        return _fail(f"unexpected {type(exc).__name__}: {exc}", 1)


if __name__ == "__main__":
    sys.exit(main())
