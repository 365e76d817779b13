"""The ``emdesk-fit`` command: fit a Gaussian mixture (or a hidden Markov model) to columns of a CSV file
and write the results.

    emdesk-fit data.csv --columns a,b -k 3 --covariance full --n-init 5 --seed 0 -o fit.json \\
        [--assignments out.csv] [--parameters params.csv] [--imputed imputed.csv] [--missing drop]
    emdesk-fit long.csv --model hmm --family poisson --columns count --sequence-column id --order-column t -k 2
    emdesk-fit data.csv --select [--max-components 9] [--covariance-types full,diag] [--criterion bic] \\
        [--selection-csv selection.csv] [-o best.json]
    emdesk-fit long.csv --model hmm --columns x --sequence-column id --select --max-components 4 [-o best.json]

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
  emdesk-fit series.csv --model hmm --columns x,y -k 3 --covariance diag --sequence-column id --order-column t \\
      -o hmm.json --assignments states.csv --parameters hmm-parameters.csv
  emdesk-fit counts.csv --model hmm --family poisson --columns n -k 2
  emdesk-fit weather.csv --model hmm --family categorical --columns sky -k 2
  emdesk-fit data.csv --columns a,b --select --max-components 6 --selection-csv selection.csv -o best.json
  emdesk-fit series.csv --model hmm --columns x,y --sequence-column id --select --max-components 4 \\
      --transmat-prior 2 --selection-csv selection.csv -o best-hmm.json

Hidden Markov models (--model hmm): rows are time steps. --sequence-column names each row's sequence (a long
table of several series), --order-column (numbers) orders the rows within a sequence; without them the file's
rows are one sequence in the file's order. The assignments file keeps the file's row order.

--select fits 1..--max-components components for each covariance model (Gaussian mixtures; mclust's 14 by
default, or --covariance-types), prints the top three by --criterion (also as mclust's summary) and writes the
table with --selection-csv; -o, --assignments, --parameters and --imputed then write the best model (nothing is
written unless asked for). With --model hmm it fits 1..--max-components states (default 5; Gaussian emissions x
full, tied, diag, spherical or --covariance-types) on the same sequences and with the same options as one HMM
fit, --transmat-prior included (a number: a k x k prior holds for k states only).

The fit file is JSON (format "emdesk-fit", version 2; see the README). Read it back in Python with
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


def _setting(name: str):
    """``--tol`` / ``--reg-covar``: a positive number (scikit-learn's meaning) or "relative" / "relative:R"
    (stated relative to the data, emdesk.engine.relative)."""
    def parse(text: str):
        if text.strip().lower().startswith("relative"):
            from .engine.relative import check_setting

            try:
                return check_setting(text.strip().lower(), name)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected \"relative\", \"relative:R\" or a number, got "
                                                 f"{_show(text)}") from None
        try:
            return _positive_float(text)
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(f"{exc} (a positive number, \"relative\" or \"relative:R\")") from None

    parse.__name__ = name
    return parse


def app_defaults(estimator=None) -> dict:
    """The defaults emdesk-fit gives ``estimator`` (a class; None: GaussianMixture): the app's Model panel's
    and select_model's settings (:data:`emdesk.engine.relative.APP_DEFAULTS`: init_params, tol, reg_covar,
    max_iter), mapped by :func:`emdesk.engine.relative.own_defaults` to the estimator's own where it has not
    the Gaussian mixture's (a keyword it does not have is left out)."""
    from .engine import GaussianMixture
    from .engine.relative import APP_DEFAULTS, own_defaults

    return own_defaults(estimator or GaussianMixture, APP_DEFAULTS)


def _defaults_help(key: str) -> str:
    """"relative for Gaussian mixtures (as the app); Student-t mixtures, HMMs ...: 0.001" for --help."""
    from . import engine

    gm = app_defaults()[key]
    others: dict = {}
    for label, name in (("Student-t", "StudentTMixture"), ("Poisson", "PoissonMixture"),
                        ("latent class", "CategoricalMixture"), ("Gaussian HMMs", "GaussianHMM"),
                        ("Poisson HMMs", "PoissonHMM"), ("categorical HMMs", "CategoricalHMM")):
        cls = getattr(engine, name, None)
        if cls is None:
            continue
        value = app_defaults(cls).get(key)
        if value is not None and value != gm:
            others.setdefault(f"{value:g}" if isinstance(value, float) else str(value), []).append(label)
    text = f"{gm:g}" if isinstance(gm, float) else str(gm)
    tail = "; ".join(f"{', '.join(labels)}: {v}" for v, labels in others.items())
    if not tail:
        return f"default: {text}, as the app"
    return f"default: {text} for Gaussian mixtures, as the app; {tail}"


def _seed(text: str) -> int:
    return _whole_number(text, 0, MAX_SEED, "the seed")


def _file_name(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file name, got an empty one")
    return text


def build_parser() -> argparse.ArgumentParser:
    from .engine.relative import APP_N_INIT

    p = _Parser(
        prog=PROG,
        description="Fit a Gaussian mixture model (or a hidden Markov model) by EM to columns of a CSV file,\n"
                    "print a short summary and write the fit (JSON) and, optionally, CSV exports.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", nargs="+", metavar="DATA",
                   help="the CSV file (delimiter, header, decimal comma and encoding are detected); with --dask, "
                        "Parquet or CSV files or glob patterns")
    p.add_argument("--columns", metavar="A,B,...",
                   help="comma-separated names of the columns to fit (default: every numeric column)")
    p.add_argument("--decimal", choices=["auto", ".", ","], default="auto",
                   help="the CSV file's decimal mark (default: auto, detected; a column whose numbers need the "
                        "other mark, such as 1.234,5, is read with it and noted)")
    p.add_argument("--thousands", choices=["auto", "none", ".", ",", "space", "'"], default="auto",
                   help="the CSV file's thousands separator: none, '.', ',', space (also no-break, narrow "
                        "no-break and thin spaces) or \"'\" (also U+2019) (default: auto, detected per column; "
                        "a guess is noted)")
    from .cli_runs import encoding_arg, transmat_prior_arg

    p.add_argument("--encoding", default=None, metavar="NAME", type=encoding_arg,
                   help="with --dask: every CSV file's encoding (e.g. cp1252), where a file is UTF-8 at its start "
                        "only (without --dask each file's encoding is found over the whole file)")
    p.add_argument("--model", choices=["mixture", "hmm"], default="mixture",
                   help="'mixture' (independent rows; default) or 'hmm' (a hidden Markov model: rows are time "
                        "steps of one or more sequences)")
    p.add_argument("--family", choices=list(FAMILIES), default="gaussian",
                   help="the components' (or states') distribution: gaussian (default); for --model hmm also "
                        "poisson (counts) or categorical (one column of symbols); for mixtures also "
                        "student-t, poisson (counts) and categorical (a latent class model of one or more "
                        "columns, text too)")
    p.add_argument("-k", "--n-components", type=_count(MAX_COMPONENTS, "the number of components"), default=None,
                   metavar="K", help=f"number of mixture components or HMM states, 1 to {MAX_COMPONENTS} (default: 2)")
    # (--covariance-type, scikit-learn's name: argparse took it for an abbreviation of --covariance-types and said
    # "--covariance-types belongs to model selection; add --select")
    p.add_argument("--covariance", "--covariance-type", choices=list(COVARIANCE_TYPES + MCLUST_NAMES), default=None,
                   metavar="TYPE",
                   help="covariance type: full, tied, diag, spherical, or for Gaussian mixtures one of mclust's "
                        "models EII VII EEI VEI EVI VVI EEE VEE EVE VVE EEV VEV EVV VVV (E or V for one column) "
                        "(default: full for mixtures, diag for HMMs, as scikit-learn and hmmlearn)")
    p.add_argument("--n-init", type=_count(MAX_INIT, "the number of restarts"), default=APP_N_INIT, metavar="N",
                   help=f"number of EM restarts, 1 to {MAX_INIT}; the best log-likelihood is kept (default: "
                        f"{APP_N_INIT}, as the app)")
    p.add_argument("--max-iter", type=_count(MAX_ITER, "the number of iterations"), default=None, metavar="N",
                   help=f"maximum EM iterations per restart, 1 to {MAX_ITER:,} ({_defaults_help('max_iter')})")
    p.add_argument("--tol", type=_setting("tol"), default=None, metavar="TOL",
                   help="when EM stops: 'relative' (mclust's criterion: the log-likelihood changes by less than "
                        "1e-5 x (1 + |log-likelihood|); 'relative:R' for another R) or a number (the change of the "
                        f"mean log-likelihood per row, scikit-learn's) ({_defaults_help('tol')})")
    p.add_argument("--reg-covar", type=_setting("reg_covar"), default=None, metavar="R",
                   help="keeps covariances positive definite: 'relative' (1e-6 x the data's own covariance is "
                        "added, so the fit does not depend on the units; 'relative:R' for another R) or a number "
                        "added to the diagonal of every covariance in the data's units (scikit-learn's) "
                        f"({_defaults_help('reg_covar')}; Poisson and categorical models have none)")
    p.add_argument("--init", choices=["emEM", "hierarchical", "kmeans++", "kmeans", "random", "random_from_data"],
                   default=None,
                   help="how EM starts: emEM (restart 1 from mclust's hierarchical clustering, the others the "
                        "best of short runs from k-means++ and random rows; Gaussian mixtures), hierarchical "
                        f"(mclust's start), ... ({_defaults_help('init_params')}; with --dask the start is found "
                        "on a sample of the rows)")
    p.add_argument("--prior", choices=["none", "default"], default=None,
                   help="Gaussian mixtures: 'default' fits with mclust's conjugate prior (Fraley & Raftery 2007, "
                        "priorControl()) for data where maximum likelihood collapses: the MAP estimate, with "
                        "log-likelihood and BIC at it as mclust reports them; covariance full/tied/diag/spherical "
                        "(VVV, EEE, VVI, VII; E, V for one column) (default: none, as the app)")
    p.add_argument("--seed", type=_seed, default=None,
                   help="random seed from 0 to 2**64-1, for reproducible fits (default: none, a different start each run)")
    p.add_argument("--missing", choices=["marginalize", "drop", "error"], default=None,
                   help="rows with missing values in the chosen columns: 'marginalize' fits them on their "
                        "observed values (the default when there are any), 'drop' leaves them out, "
                        "'error' stops")
    h = p.add_argument_group("hidden Markov models (--model hmm)")
    h.add_argument("--sequence-column", metavar="ID",
                   help="the column naming each row's sequence (default: all rows are one sequence)")
    h.add_argument("--order-column", metavar="T",
                   help="the numeric column (a time or an index) that orders the rows within a sequence "
                        "(default: the file's order)")
    h.add_argument("--transmat-prior", type=transmat_prior_arg, default=None, metavar="P",
                   help="Dirichlet prior on each transition row (hmmlearn's transmat_prior, the window's "
                        "Transition prior): a number, or k x k by rows ('5,1;1,5'); 1 = none, below 1 favours "
                        "rare transitions (default: none)")
    p.add_argument("--dask", metavar="SCHEDULER",
                   help="fit a Gaussian mixture to Parquet or CSV files that need not fit in memory, with Dask "
                        "(pip install 'emdesk[dask]') on SCHEDULER: threads, processes, synchronous, local or "
                        "local:N (a local cluster of N worker processes), or a scheduler's address "
                        "(tcp://host:port); writes the fit file (-o) and --parameters")
    from .cli_select import add_select_arguments

    add_select_arguments(p)
    p.add_argument("-o", "--output", metavar="FIT.json", type=_file_name,
                   help="write the fit as JSON (default: DATA with the extension .fit.json; with --select, "
                        "the best model, only when given)")
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


#: --family -> the name used in messages
FAMILIES = {"gaussian": "Gaussian", "poisson": "Poisson", "categorical": "categorical", "student-t": "Student-t"}
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: mclust's model names (Celeux & Govaert 1995), for Gaussian mixtures; E and V for one column
MCLUST_NAMES = ("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV",
                "E", "V")


def _check_args(args) -> None:
    """Options that only make sense together (usage errors, before anything is read)."""
    args.data_files = list(args.data)
    args.data = args.data[0]
    if args.dask is None and len(args.data_files) > 1:
        raise _UsageError(f"one data file is fitted at a time (got {len(args.data_files)}); several files or "
                          f"glob patterns go with --dask SCHEDULER")
    if args.dask is not None:
        if not args.dask.strip():
            raise _UsageError("--dask: expected a scheduler (threads, processes, local:N or an address)")
        for option, given in (("--model hmm", args.model == "hmm"), ("--family", args.family != "gaussian"),
                              ("--select", args.select), ("--assignments", args.assignments),
                              ("--imputed", args.imputed), ("--decimal", args.decimal != "auto")):
            if given:
                raise _UsageError(f"--dask fits a Gaussian mixture and writes the fit file and --parameters; "
                                  f"{option} is not available with it")
        if args.output is None and any(ch in args.data for ch in "*?["):
            raise _UsageError("--dask with a glob pattern: name the fit file with -o")
    elif args.encoding is not None:
        raise _UsageError("--encoding goes with --dask: without it each file's encoding is found over the whole file")
    if args.thousands in (".", ",") and args.thousands == args.decimal:
        raise _UsageError(f"--thousands {args.thousands} is also the --decimal mark; choose two different marks")
    hmm = args.model == "hmm"
    if not hmm:
        for option, value in (("--sequence-column", args.sequence_column), ("--order-column", args.order_column)):
            if value is not None:
                raise _UsageError(f"{option} orders the rows of a hidden Markov model; add --model hmm")
    if hmm and args.family == "student-t":
        raise _UsageError("--family student-t is available for mixtures; HMMs take gaussian, poisson or categorical")
    if args.imputed and (hmm or args.family != "gaussian"):
        raise _UsageError("--imputed is available for Gaussian mixtures only")
    if args.family != "gaussian" and args.covariance is not None and args.family != "student-t":
        raise _UsageError(f"--covariance belongs to Gaussian (and Student-t) models, not --family {args.family}")
    if args.covariance in MCLUST_NAMES and (hmm or args.family != "gaussian"):
        raise _UsageError(f"--covariance {args.covariance} (mclust's models) is available for Gaussian mixtures; "
                          "use full, tied, diag or spherical")
    args.prior_value = None if args.prior in (None, "none") else args.prior
    if args.prior_value is not None and (hmm or args.family != "gaussian"):
        raise _UsageError("--prior (mclust's conjugate prior) is for Gaussian mixtures; leave out --model hmm and "
                          "--family")
    if args.reg_covar is not None and args.family in ("poisson", "categorical"):
        raise _UsageError(f"--reg-covar belongs to Gaussian (and Student-t) models, not --family {args.family}")
    if args.transmat_prior is not None and not hmm:
        raise _UsageError("--transmat-prior is a hidden Markov model's transition prior; add --model hmm")
    from .cli_runs import prior_states
    from .cli_select import check_select_args

    m = prior_states(args.transmat_prior)
    if m is not None and not args.select and m != (args.n_components or 2):
        raise _UsageError(f"--transmat-prior is a {m} x {m} matrix, a prior for {m} states; the fit has "
                          f"{args.n_components or 2} (-k)")
    check_select_args(args, hmm, _UsageError)
    if args.family in ("poisson", "categorical", "student-t") and not hmm:
        from . import engine

        wanted = {"poisson": "PoissonMixture", "categorical": "CategoricalMixture", "student-t": "StudentTMixture"}
        if not hasattr(engine, wanted[args.family]):
            raise _UsageError(f"--family {args.family} mixtures are not available in this emdesk "
                              f"(no {wanted[args.family]}); use --model hmm --family {args.family} or a Gaussian "
                              f"mixture")


def _fit_path(args) -> str | None:
    if args.select:
        return args.output
    return args.output or os.path.splitext(args.data)[0] + ".fit.json"


def _outputs(args) -> list[tuple[str, str]]:
    """(option, path) of every file the command will write."""
    outputs = [("-o", _fit_path(args)), ("--assignments", args.assignments), ("--parameters", args.parameters),
               ("--imputed", args.imputed), ("--selection-csv", args.selection_csv)]
    return [(option, path) for option, path in outputs if path]


def _check_outputs(args) -> None:
    """Before a long fit: no output may replace the data file or another output (a typo such as
    ``-o data.csv`` would otherwise destroy the data), and every output must be writable now (its folder
    exists and takes a new file)."""
    from .io import DataError
    from .io._atomic import check_writable

    seen = {os.path.realpath(path): None for path in args.data_files}
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


def _columns(args, table) -> list[str]:
    from .io import DataError

    if args.columns is None:
        if args.model == "hmm" and args.family == "categorical":
            raise DataError("Name the column of symbols with --columns (a categorical HMM fits one column).")
        columns = table.numeric_column_names
        if not columns:
            raise DataError(f"{table.name} has no numeric column to fit.")
        if args.model == "hmm":  # the sequence and order columns are not data
            columns = [c for c in columns if c not in (args.sequence_column, args.order_column)]
            if not columns:
                raise DataError(f"{table.name} has no numeric column to fit besides the sequence and order columns.")
        return columns
    columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    if not columns:
        raise DataError("--columns is empty; give comma-separated column names.")
    if len(set(columns)) != len(columns):
        raise DataError(f"--columns names a column twice: {args.columns}.")
    empty = [c for c in columns if c in table.empty_column_names]
    if empty:  # whatever the model or family: there is nothing to fit in them
        from .io.table import empty_columns_message

        raise DataError(empty_columns_message(table, empty))
    return columns


def _left_out_note(table, columns, args) -> str:
    """With the default columns: one line naming the columns not fitted and why (text, no values), so that
    a column read as text (a stray word in a column of numbers) is not lost silently; "" when none."""
    from .io.stray_text import find_stray_text

    skip = {args.sequence_column, args.order_column} if args.model == "hmm" else set()
    empty = set(table.empty_column_names)
    stray = {f.column: f for f in find_stray_text(table)}  # numbers with a stray word: name the word
    parts = []
    for name in table.column_names:
        if name in columns or name in skip or table.column_kind(name) == "row label":
            continue
        if name in stray:
            f = stray[name]
            parts.append(f"{name} (text: {f.n_numbers:,} numbers and {f.n_text:,} other, row {f.first_row:,} holds "
                         f"{f.first_text!r})")
            continue
        parts.append(f"{name} (no values)" if name in empty else f"{name} (text)")
    if not parts:
        return ""
    return f"{table.name}: columns left out: {', '.join(parts)}; name the columns to fit with --columns"


def _write_outputs(args, writers) -> list[str]:
    """Run ``writers`` ({option: function(path) -> text for the summary}) for every output asked for,
    together: all are written, or none (files that existed keep their content)."""
    from .io import DataError
    from .io._atomic import write_together

    written = []
    try:
        with write_together():
            for option, path in _outputs(args):
                try:
                    written.append(writers[option](path))
                except ValueError as exc:  # DataError, or the engine's ValueError
                    raise DataError(f"{option} {path}: {exc}") from None
    except DataError as exc:
        raise DataError(f"{exc} No output was written.") from None
    return written


def _num(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _warn(caught, columns=None, symbols=None) -> None:
    """Print the caught warnings once each; ``columns``: the fitted columns' names, put after the engine's
    "Column 2" ("Column 2 (level)"); ``symbols``: a categorical HMM's symbol labels, for its "(code 1)"."""
    from .engine._validation import name_columns
    from .io.sequences import name_symbol_codes

    seen = set()
    for w in caught:
        text = " ".join(str(w.message).split())
        if columns:
            text = name_symbol_codes(name_columns(text, columns), symbols)
        if text not in seen:
            seen.add(text)
            print(f"{PROG}: warning: {text}", file=sys.stderr)


def _say_fall(model, columns=None, say=print) -> None:
    """A fit whose log-likelihood fell (emdesk.engine.likelihood_fall): its sentence, reason and fix, as a
    warning, so "converged yes" is never printed over a falling trace without a word.  And, as a note
    (``say``), when a restart with a higher log-likelihood collapsed and the best sound one is kept."""
    from .engine._validation import name_columns
    from .engine.em import kept_restart_note
    from .engine.likelihood_fall import fall_message, map_prior

    if kept_restart_note(model):
        say(f"note: {kept_restart_note(model)}")
    text = fall_message(model)
    if text and map_prior(model):  # expected with a prior: a note, not a warning
        say(f"note: {text}")
    elif text:
        print(f"{PROG}: warning: {name_columns(text, columns) if columns else text}", file=sys.stderr)


def _run(args) -> int:
    from .io import load_table

    # the app's defaults for this estimator (Gaussian mixtures: emEM, relative tol and reg_covar, 1000
    # iterations; the other models their own for the first three), where the command line gave none
    defaults = app_defaults(_estimator_class(args))
    for key, name in (("tol", "tol"), ("max_iter", "max_iter"), ("init", "init_params"), ("reg_covar", "reg_covar")):
        if getattr(args, key) is None and name in defaults:
            setattr(args, key, defaults[name])
    from .cli_runs import _load_with_marks, _run_dask, _run_family_mixture, _run_hmm
    from .cli_select import _run_select

    if args.dask is not None:
        return _run_dask(args)
    table = load_table(args.data) if args.decimal == args.thousands == "auto" else _load_with_marks(args)
    from .io import decimal_marks, thousands
    # 10.691 read as 10691; 1.234,5 late: said, with the option that reads it otherwise (not the window's menu)
    notes = thousands.notes(table, cli=True) + thousands.spaced_notes(table, cli=True)  # 12 345 lines: one column
    for note in notes + decimal_marks.notes(table, cli=True):
        print(f"{PROG}: note: {note}", file=sys.stderr)
    columns = _columns(args, table)
    args.fitted_columns = columns
    if args.columns is None and not args.quiet:
        left = _left_out_note(table, columns, args)
        if left:
            print(left)
    if args.family != "gaussian" and args.model == "mixture":
        return _run_family_mixture(args, table, columns)
    if args.select:
        return _run_select(args, table, columns)
    if args.model == "hmm":
        return _run_hmm(args, table, columns)
    return _run_mixture(args, table, columns)


def _estimator_class(args):
    """The engine's estimator class the arguments fit."""
    from . import engine

    if args.model == "hmm":
        return {"gaussian": engine.GaussianHMM, "poisson": engine.PoissonHMM,
                "categorical": engine.CategoricalHMM}[args.family]
    return {"gaussian": engine.GaussianMixture, "student-t": getattr(engine, "StudentTMixture", None),
            "poisson": getattr(engine, "PoissonMixture", None),
            "categorical": getattr(engine, "CategoricalMixture", None)}[args.family] or engine.GaussianMixture


def _mixture_rows(args, table, columns):
    """``(X_all, X, missing, n_incomplete)``: the columns, the rows fitted and the missing-value mode."""
    import numpy as np

    from .io import DataError

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
    return X_all, X, missing, n_incomplete


def _missing_note(X_all, missing, n_incomplete) -> str:
    import numpy as np

    if not n_incomplete:
        return ""
    n_empty = int(np.isnan(X_all).all(axis=1).sum())
    if missing == "drop":
        how = " dropped"
    elif n_empty:  # the engine leaves rows with no value out
        n_used = n_incomplete - n_empty
        how = (f": {n_used} fitted on {'its' if n_used == 1 else 'their'} observed values, "
               f"{n_empty} with no value left out")
    else:
        how = f" fitted on {'its' if n_incomplete == 1 else 'their'} observed values"
    return f"; {n_incomplete} {'row' if n_incomplete == 1 else 'rows'} with missing values{how}"


def _mixture_writers(gm, X, table, columns, holder):
    from . import io

    def fit_file(path):
        holder["doc"] = io.save_fit(path, gm, X, columns=columns, table=table)
        return path

    def parameters(path):
        io.save_parameters_csv(path, gm, columns)
        return path

    def assignments(path):
        io.save_assignments_csv(path, table, gm, columns)
        return path

    def imputed(path):
        return f"{path} ({io.save_imputed_csv(path, table, gm, columns)} cells imputed)"

    return {"-o": fit_file, "--parameters": parameters, "--assignments": assignments, "--imputed": imputed}


def _run_mixture(args, table, columns) -> int:
    import numpy as np

    from .engine import GaussianMixture

    say = (lambda *a: None) if args.quiet else print
    X_all, X, missing, n_incomplete = _mixture_rows(args, table, columns)
    k = args.n_components or 2
    covariance = args.covariance or "full"
    gm = GaussianMixture(
        n_components=k, covariance_type=covariance, tol=args.tol,
        reg_covar=args.reg_covar, max_iter=args.max_iter, n_init=args.n_init, init_params=args.init,
        random_state=args.seed, missing="marginalize" if missing == "marginalize" else "error",
        prior=args.prior_value,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm.fit(X)
    gm.feature_names_in_ = np.asarray(columns, dtype=object)
    # Every output is written to its temporary file first; they replace their targets together at the
    # end, so a failure (a full disk, a file that cannot be computed) leaves none of them written.
    holder = {}
    written = _write_outputs(args, _mixture_writers(gm, X, table, columns, holder))
    fit = holder["doc"]["fit"]
    say(f"{table.name}: {table.n_rows} rows, columns {', '.join(columns)}{_missing_note(X_all, missing, n_incomplete)}")
    say(f"{k} component{'s' if k != 1 else ''}, {covariance} covariance{_prior_note(args)}: log-likelihood "
        f"{_num(fit['log_likelihood'])}, BIC {_num(fit['bic'])}, iterations {fit['n_iter']}, "
        f"converged {'yes' if fit['converged'] else 'no'}")
    _warn(caught)
    _say_fall(gm, columns, say)
    for what in written:
        say(f"wrote {what}")
    return 0


def _prior_note(args) -> str:
    """", mclust's default prior (MAP estimate)" when --prior default was given."""
    return ", mclust's default prior (MAP estimate)" if getattr(args, "prior_value", None) else ""


def _check_counts(table, columns, X_all) -> None:
    """Poisson data: whole numbers >= 0, or a message naming the column and the file's row."""
    import numpy as np

    from .io import DataError

    with np.errstate(invalid="ignore"):
        bad = np.isfinite(X_all) & ((X_all < 0) | (X_all != np.round(X_all)) | (X_all > 2.0 ** 53))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(f"{columns[j]}, data row {i + 1}: {X_all[i, j]:g} is not a count (a whole number from 0 to 2^53); "
                        f"a Poisson model needs counts in {', '.join(columns)}.")


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
        _check_args(args)
        _check_outputs(args)
    except _UsageError as exc:
        return _fail(f"{exc} (see {PROG} --help)", 2)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    from .io.dask_files import SchedulerError  # (no Dask import)

    try:
        return _run(args)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except SchedulerError as exc:  # --dask names a scheduler that cannot be used: a usage error
        return _fail(f"--dask: {exc}", 2)
    except (ValueError, OSError, ArithmeticError) as exc:  # DataError is a ValueError; engine errors too
        from .engine._validation import name_columns
        from .io import DataError

        message = str(exc) or type(exc).__name__
        if not isinstance(exc, DataError):  # the engine numbers X's columns: add the names
            message = name_columns(message, getattr(args, "fitted_columns", None))
        return _fail(message, 1)
    except Exception as exc:  # never a traceback
        return _fail(f"unexpected {type(exc).__name__}: {exc}", 1)


if __name__ == "__main__":
    sys.exit(main())
