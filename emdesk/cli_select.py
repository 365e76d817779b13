"""emdesk-fit's model selection (``--select``): the options, their checks and the two sweeps, Gaussian
mixtures (:func:`emdesk.engine.select_model`, 1..K components x mclust's models) and hidden Markov models
(``--model hmm``: :func:`emdesk.engine.hmm_selection.iter_select_hmm`, 1..K states x full/tied/diag/spherical
for Gaussian emissions, as the window's Model Selection; Poisson and categorical HMMs sweep the states only).
Both print the top three by the criterion and write the table (``--selection-csv``) and the chosen model
(``-o``, ``--parameters``, ``--assignments``) on request. :mod:`emdesk.cli` builds the parser and calls
these."""

from __future__ import annotations

import argparse
import re
import sys
import warnings

from .cli import (COVARIANCE_TYPES, MAX_COMPONENTS, MCLUST_NAMES, _count, _file_name, _missing_note, _mixture_rows,
                  _mixture_writers, _show, _write_outputs)


def covariance_types_arg(text: str) -> list[str]:
    types = [t.strip() for t in text.split(",") if t.strip()]
    if not types:
        raise argparse.ArgumentTypeError("expected comma-separated covariance types, got none")
    for t in types:
        if t not in COVARIANCE_TYPES + MCLUST_NAMES + ("mclust",):
            raise argparse.ArgumentTypeError(f"{_show(t)} is not one of {', '.join(COVARIANCE_TYPES)}, mclust's "
                                             f"model names ({', '.join(MCLUST_NAMES)}) or 'mclust'")
    if len(set(types)) != len(types):
        raise argparse.ArgumentTypeError(f"a covariance type is named twice in {_show(text, 60)}")
    return types


def add_select_arguments(p) -> None:
    """The "model selection" option group of ``p``."""
    s = p.add_argument_group("model selection (--select)")
    s.add_argument("--select", action="store_true",
                   help="fit 1..--max-components components for each covariance model (mclust's 14 by "
                        "default) and print the top three, as mclust's summary(mclustBIC(X)); with --model hmm "
                        "1..--max-components states (x full, tied, diag, spherical for Gaussian emissions)")
    s.add_argument("--max-components", type=_count(MAX_COMPONENTS, "the largest number of components"), default=None,
                   metavar="K", help="the largest number of components (or states) tried (default: 9; HMMs: 5)")
    s.add_argument("--covariance-types", metavar="T,T,...", type=covariance_types_arg, default=None,
                   help="comma-separated covariance models to try: mclust's names (EII,...,VVV; E,V for one "
                        "column), scikit-learn's (full,tied,diag,spherical), or 'mclust' for all 14 "
                        "(default: mclust; Gaussian HMMs: full,tied,diag,spherical)")
    s.add_argument("--criterion", choices=["bic", "aic", "icl"], default=None,
                   help="how the models are ranked, lower is better (default: bic)")
    s.add_argument("--selection-csv", metavar="OUT.csv", type=_file_name,
                   help="write one row per fit (log-likelihood, parameters, BIC, AIC, ICL, status)")


def check_select_args(args, hmm: bool, usage_error) -> None:
    """Raise ``usage_error`` (emdesk.cli's own class, passed in: under ``python -m emdesk.cli`` that module
    is ``__main__`` and a class imported from ``emdesk.cli`` would be another one) for a misuse of --select
    and its options (before anything is read)."""
    if not args.select:
        for option, value in (("--max-components", args.max_components), ("--covariance-types", args.covariance_types),
                              ("--criterion", args.criterion), ("--selection-csv", args.selection_csv)):
            if value is not None:
                raise usage_error(f"{option} belongs to model selection; add --select")
        return
    if not hmm and args.family != "gaussian":
        raise usage_error("--select compares Gaussian mixtures or HMMs (--model hmm); leave out --family for "
                          "mixtures")
    if args.n_components is not None or args.covariance is not None:
        raise usage_error("--select tries every number of components and covariance type: use "
                          "--max-components and --covariance-types instead of -k and --covariance")
    if hmm:
        types = args.covariance_types or []
        if types and args.family != "gaussian":
            raise usage_error(f"--covariance-types belongs to Gaussian HMMs; a --family {args.family} HMM sweeps "
                              f"the number of states only")
        odd = [t for t in types if t not in COVARIANCE_TYPES]
        if odd:
            raise usage_error(f"--covariance-types {odd[0]} (mclust's models) is for Gaussian mixtures; HMMs take "
                              f"{', '.join(COVARIANCE_TYPES)}")
        from .cli_runs import prior_states

        m = prior_states(args.transmat_prior)
        k_max = args.max_components or 5
        if m is not None and (m, k_max) != (1, 1):
            raise usage_error(f"--transmat-prior is a {m} x {m} matrix, a prior for {m} states only; --select tries "
                              f"1 to {k_max} states: give a number (the same prior for every number of states)")


def _mclust_summary(top, criterion) -> list[str]:
    """The top rows as mclust's ``summary(mclustBIC(X))`` prints them: ``Best BIC values:`` with columns
    ``MODEL,G``, the criterion in mclust's sign (``2 log L - p log n``, higher is better) and its
    difference to the best."""
    if not top:
        return []
    name = criterion.upper()
    vals = [-row.score(criterion) for row in top]
    heads = [f"{row.covariance_type},{row.n_components}" for row in top]
    cells = [[f"{v:.3f}" for v in vals], [f"{v - vals[0]:.3f}" for v in vals]]
    width = max(len(c) for c in heads + cells[0] + cells[1]) + 1
    label = max(len(name) + 5, 9)
    lines = [f"Best {name} values (mclust's sign: higher is better):",
             " " * label + "".join(h.rjust(width) for h in heads)]
    for first, row in ((name, cells[0]), (f"{name} diff", cells[1])):
        lines.append(first.ljust(label) + "".join(c.rjust(width) for c in row))
    return lines


def _sweep_with_progress(stream, X, n_components, types, **kwargs):
    """``select_model``'s result; on a terminal (``stream.isatty()``) one line that counts the fits as they
    finish ("fitting models: 37 of 126, 12 s"), erased at the end. A sweep of mclust's 14 models takes 45 s on
    faithful and minutes with missing values: before, the terminal stayed silent until the end."""
    import time

    from .engine import select_model
    from .engine.selection import iter_select_model

    if stream is None or not getattr(stream, "isatty", lambda: False)():
        return select_model(X, n_components, types, **kwargs)
    t0 = time.perf_counter()
    last = None
    width = 0
    for last in iter_select_model(X, n_components, types, **kwargs):
        line = f"fitting models: {last.done} of {last.total}, {time.perf_counter() - t0:.0f} s"
        stream.write("\r" + line.ljust(width))
        stream.flush()
        width = len(line)
    stream.write("\r" + " " * width + "\r")
    stream.flush()
    if last is None or last.done < last.total:  # (the sweep is never cancelled here)
        return select_model(X, n_components, types, **kwargs)
    return last.result


def _run_select(args, table, columns) -> int:
    import numpy as np

    if args.model == "hmm":
        return _run_select_hmm(args, table, columns)

    from . import io
    from .io import DataError

    say = (lambda *a: None) if args.quiet else print
    X_all, X, missing, n_incomplete = _mixture_rows(args, table, columns)
    k_max = args.max_components or 9
    types = args.covariance_types or ["mclust"]
    criterion = args.criterion or "bic"
    n_used = int(np.count_nonzero(np.isfinite(X).any(axis=1)))
    if k_max > n_used:
        raise DataError(f"--max-components {k_max} is more than the {n_used} rows with values: choose at most {n_used}.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _sweep_with_progress(
            None if args.quiet else sys.stderr, X, range(1, k_max + 1), types, n_init=args.n_init,
            criterion=criterion, random_state=args.seed, tol=args.tol, reg_covar=args.reg_covar,
            max_iter=args.max_iter, init_params=args.init,
            missing="marginalize" if missing == "marginalize" else "error", prior=args.prior_value)
    eligible = sorted((r for r in result.table if r.eligible), key=lambda r: (r.score(criterion), r.index))
    best = result.best
    if best is None and (args.output or args.assignments or args.parameters or args.imputed):
        raise DataError(f"No model can be written: {result.reason} No output was written.")
    writers = {"--selection-csv": lambda path: (io.write_selection_csv(result, path), path)[1]}
    holder = {}
    if best is not None:
        best.feature_names_in_ = np.asarray(columns, dtype=object)
        writers.update(_mixture_writers(best, X, table, columns, holder))
    written = _write_outputs(args, writers)
    say(f"{table.name}: {table.n_rows} rows, columns {', '.join(columns)}{_missing_note(X_all, missing, n_incomplete)}")
    swept = list(dict.fromkeys(r.covariance_type for r in result.table))
    names = "mclust's models " + ", ".join(swept) if "mclust" in types else ", ".join(swept)
    prior = "; mclust's default prior" if args.prior_value else ""
    _say_ranking(say, result, eligible, criterion,
                 f"{len(result.table)} fit{'s' if len(result.table) != 1 else ''} ({_span(k_max, 'component')} x {names}; {args.n_init} restart"
                 f"{'s' if args.n_init != 1 else ''} each{prior})")
    for line in _mclust_summary(eligible[:3], criterion):
        say(line)
    del caught  # degenerate fits are counted above; their warnings would repeat it per fit
    for what in written:
        say(f"wrote {what}")
    return 0


def _say_ranking(say, result, eligible, criterion, header, words=lambda text: text) -> None:
    """A sweep's summary lines, for mixtures and HMMs alike: ``header`` with the time and the degenerate and
    failed fits counted, the top three by ``criterion`` and the engine's reason for its choice (each label
    and the reason passed through ``words``: :func:`_states` for HMMs)."""
    n_failed = sum(1 for r in result.table if not r.ok)
    n_degenerate = sum(1 for r in result.table if r.ok and r.degenerate)
    say(f"{header} in {result.seconds:.1f} s" + (f"; {n_degenerate} degenerate" if n_degenerate else "")
        + (f"; {n_failed} failed" if n_failed else ""))
    say(f"top {min(3, len(eligible))} by {criterion.upper()} (lower is better):")
    for rank, row in enumerate(eligible[:3], 1):
        delta = row.score(criterion) - eligible[0].score(criterion)
        say(f"  {rank}. {words(row.label())}: {criterion.upper()} {row.score(criterion):.2f}"
            + (f" (+{delta:.2f})" if rank > 1 else "") + f", log-likelihood {row.log_likelihood:.2f}")
    say(words(" ".join(result.reason.split())))


def _span(k_max: int, noun: str) -> str:
    """The numbers a sweep tried, '1 to 5 states' ('1 state' when only one)."""
    return f"1 {noun}" if k_max == 1 else f"1 to {k_max} {noun}s"


def _states(text: str) -> str:
    """The engine's sweep wording ("2 components, full") for HMMs ("2 states, full")."""
    return re.sub(r"\bcomponent(s?)\b", r"state\1", text)


def _run_select_hmm(args, table, columns) -> int:
    """``--select --model hmm``: :func:`~emdesk.engine.hmm_selection.iter_select_hmm` over 1..K states (x the
    covariance types, Gaussian emissions) on the sequences a single HMM fit would use, with its options
    (--transmat-prior, --missing, --tol, ...); prints the top three, writes the table and the chosen HMM."""
    import time

    import numpy as np

    from . import io
    from .cli_runs import hmm_data, hmm_rows_line, hmm_writers, n_observed_steps, prior_text
    from .engine.hmm_selection import iter_select_hmm
    from .io import DataError

    say = (lambda *a: None) if args.quiet else print
    X, lengths, layout, symbols = hmm_data(args, table, columns)
    k_max = args.max_components or 5
    family = args.family
    types = (args.covariance_types or list(COVARIANCE_TYPES)) if family == "gaussian" else [family]
    one_column_note = None
    if family == "gaussian" and args.covariance_types is None and X.shape[1] == 1:
        # one column: full, diag and spherical are one model (a variance per state), tied shares one variance
        types = ["diag", "tied"]
        one_column_note = ("one column: full, diag and spherical are the same model (a variance per state), so "
                           "diag (a variance per state) and tied (one variance shared by the states) are tried")
    criterion = args.criterion or "bic"
    n_observed = n_observed_steps(X)
    if k_max > n_observed:
        raise DataError(f"--max-components {k_max} is more than the {n_observed} time step{'s' if n_observed != 1 else ''} with an observed value: "
                        f"choose at most {n_observed}.")
    kwargs = dict(family=family, tol=args.tol, max_iter=args.max_iter, init_params=args.init,
                  missing="marginalize" if args.missing_mode == "marginalize" else "error",
                  transmat_prior=args.transmat_prior)
    if family == "gaussian":
        kwargs["reg_covar"] = args.reg_covar
    stream = None if args.quiet else sys.stderr
    tty = stream is not None and getattr(stream, "isatty", lambda: False)()
    t0, width, last = time.perf_counter(), 0, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for last in iter_select_hmm(X, lengths, range(1, k_max + 1), types, n_init=args.n_init, criterion=criterion,
                                    random_state=args.seed, **kwargs):
            if tty:  # one line counting the fits, erased at the end (as the mixtures' sweep)
                line = f"fitting models: {last.done} of {last.total}, {time.perf_counter() - t0:.0f} s"
                stream.write("\r" + line.ljust(width))
                stream.flush()
                width = len(line)
    if tty:
        stream.write("\r" + " " * width + "\r")
        stream.flush()
    result = last.result
    eligible = sorted((r for r in result.table if r.eligible), key=lambda r: (r.score(criterion), r.index))
    best = result.best
    if best is None and (args.output or args.assignments or args.parameters):
        raise DataError(f"No model can be written: {_states(result.reason)} No output was written.")
    writers = {"--selection-csv": lambda path: (io.write_selection_csv(result, path), path)[1]}
    holder = {}
    if best is not None:
        best.feature_names_in_ = np.asarray(columns, dtype=object)
        if symbols is not None:
            best.symbols_ = np.asarray(symbols, dtype=object)
        writers.update(hmm_writers(args, best, X, table, columns, lengths, holder))
    written = _write_outputs(args, writers)
    say(hmm_rows_line(args, table, columns, X, lengths))
    for note in layout.notes:
        say(f"note: {note}")
    if one_column_note:
        say(f"note: {one_column_note}")
    what = ", ".join(types) if family == "gaussian" else f"{family} emissions"
    prior = f"; {prior_text(args.transmat_prior)}" if args.transmat_prior is not None else ""
    _say_ranking(say, result, eligible, criterion,
                 f"{len(result.table)} HMM fit{'s' if len(result.table) != 1 else ''} ({_span(k_max, 'state')} x {what}; {args.n_init} restart"
                 f"{'s' if args.n_init != 1 else ''} each{prior})", _states)
    del caught  # degenerate and failed fits are counted above; their warnings would repeat it per fit
    for what in written:
        say(f"wrote {what}")
    return 0
