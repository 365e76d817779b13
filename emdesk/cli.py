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


#: Upper bounds of the counts: far above any useful value, far below "runs for ever" (an absurd value such
#: as 10**22 restarts is a typo, refused at once instead of accepted).
MAX_COMPONENTS = 1000
MAX_INIT = 1000
MAX_ITER = 1_000_000
MAX_SEED = 2 ** 64 - 1  # NumPy's SeedSequence takes any size; 64 bits are plenty and fit every tool


def _show(text: str, limit: int = 30) -> str:
    """The user's text for a message, shortened (never echo a huge argument whole)."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def _whole_number(text: str, low: int, high: int, what: str) -> int:
    stripped = text.strip().lstrip("+-")
    if not stripped.isdigit() or not stripped.isascii():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {_show(text)}")
    if len(stripped) > len(str(high)) + 1:  # (and int() refuses more than 4,300 digits)
        raise argparse.ArgumentTypeError(f"{what} must be from {low} to {high}, got a {len(stripped)}-digit number")
    value = int(text)
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{what} must be from {low} to {high}, got {value}")
    return value


def _count(high: int, what: str):
    def parse(text: str) -> int:
        return _whole_number(text, 1, high, what)

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {_show(text)}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {_show(text)}")
    return value


def _seed(text: str) -> int:
    return _whole_number(text, 0, MAX_SEED, "the seed")


def _file_name(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file name, got an empty one")
    return text


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
    p.add_argument("-k", "--n-components", type=_count(MAX_COMPONENTS, "the number of components"), default=2, metavar="K",
                   help=f"number of mixture components, 1 to {MAX_COMPONENTS} (default: 2)")
    p.add_argument("--covariance", choices=["full", "tied", "diag", "spherical"], default="full",
                   help="covariance type (default: full)")
    p.add_argument("--n-init", type=_count(MAX_INIT, "the number of restarts"), default=1, metavar="N",
                   help=f"number of EM restarts, 1 to {MAX_INIT}; the best log-likelihood is kept (default: 1)")
    p.add_argument("--max-iter", type=_count(MAX_ITER, "the number of iterations"), default=100, metavar="N",
                   help=f"maximum EM iterations per restart, 1 to {MAX_ITER:,} (default: 100)")
    p.add_argument("--tol", type=_positive_float, default=1e-3,
                   help="convergence threshold on the change of the mean log-likelihood (default: 1e-3)")
    p.add_argument("--reg-covar", type=_positive_float, default=1e-6, metavar="R",
                   help="added to the diagonal of every covariance (default: 1e-6)")
    p.add_argument("--init", choices=["kmeans++", "kmeans", "random", "random_from_data"], default="kmeans++",
                   help="how EM starts (default: kmeans++)")
    p.add_argument("--seed", type=_seed, default=None,
                   help="random seed from 0 to 2**64-1, for reproducible fits (default: none, a different start each run)")
    p.add_argument("--missing", choices=["marginalize", "drop", "error"], default=None,
                   help="rows with missing values in the chosen columns: 'marginalize' fits them on their "
                        "observed values (the default when there are any), 'drop' leaves them out, "
                        "'error' stops")
    p.add_argument("-o", "--output", metavar="FIT.json", type=_file_name,
                   help="write the fit as JSON (default: DATA with the extension .fit.json)")
    p.add_argument("--assignments", metavar="OUT.csv", type=_file_name,
                   help="write the rows with one responsibility column per component and the most likely "
                        "component")
    p.add_argument("--parameters", metavar="OUT.csv", type=_file_name,
                   help="write one row per component: weight, means, variances and covariances")
    p.add_argument("--imputed", metavar="OUT.csv", type=_file_name,
                   help="write the rows with missing values of the chosen columns filled in by the fitted "
                        "mixture, and a column naming the imputed cells")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    from . import __version__

    p.add_argument("--version", action="version", version=f"{PROG} (emdesk) {__version__}")
    return p


def _fit_path(args) -> str:
    return args.output or os.path.splitext(args.data)[0] + ".fit.json"


def _outputs(args) -> list[tuple[str, str]]:
    """(option, path) of every file the command will write."""
    outputs = [("-o", _fit_path(args)), ("--assignments", args.assignments), ("--parameters", args.parameters),
               ("--imputed", args.imputed)]
    return [(option, path) for option, path in outputs if path]


def _check_outputs(args) -> None:
    """Before a long fit: no output may replace the data file or another output (a typo such as
    ``-o data.csv`` would otherwise destroy the data), and every output must be writable now (its folder
    exists and takes a new file)."""
    from .io import DataError
    from .io._atomic import check_writable

    seen = {os.path.realpath(args.data): None}
    outputs = _outputs(args)
    for option, path in outputs:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise _UsageError(f"{option}: the folder {folder} does not exist; create it or choose another")
        key = os.path.realpath(path)
        if key in seen:
            if seen[key] is None:
                raise _UsageError(f"{option} {path} would replace the data file {args.data}; choose another name")
            raise _UsageError(f"{seen[key]} and {option} name the same file ({path}); choose another name")
        seen[key] = option
    for option, path in outputs:
        try:
            check_writable(path)
        except DataError as exc:
            raise _UsageError(f"{option}: {exc} Nothing was fitted or written") from None


def _fail(message: str, code: int) -> int:
    message = " ".join(str(message).split())  # one line
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def _run(args) -> int:
    import numpy as np

    from .engine import GaussianMixture
    from .io import DataError, load_table, save_assignments_csv, save_fit, save_imputed_csv, save_parameters_csv
    from .io._atomic import write_together

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
    # Every output is written to its temporary file first; they replace their targets together at the
    # end, so a failure (a full disk, a file that cannot be computed) leaves none of them written.
    written = []
    doc = None
    try:
        with write_together():
            for option, path in _outputs(args):
                try:
                    if option == "-o":
                        doc = save_fit(path, gm, X, columns=columns, table=table)
                        written.append(path)
                    elif option == "--parameters":
                        save_parameters_csv(path, gm, columns)
                        written.append(path)
                    elif option == "--assignments":
                        save_assignments_csv(path, table, gm, columns)
                        written.append(path)
                    else:
                        n_imputed = save_imputed_csv(path, table, gm, columns)
                        written.append(f"{path} ({n_imputed} cells imputed)")
                except ValueError as exc:  # DataError, or the engine's ValueError
                    raise DataError(f"{option} {path}: {exc}") from None
    except DataError as exc:
        raise DataError(f"{exc} No output was written.") from None
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
    for what in written:
        say(f"wrote {what}")
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
