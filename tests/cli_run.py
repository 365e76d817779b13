"""Run ``emdesk-fit`` inside the test process: ``emdesk.cli.main(argv)``, what ``python -m emdesk.cli ARGS`` runs
(``sys.exit(main())``), with its output captured, its working folder set and the warnings a fresh interpreter
would print added to its stderr.

A subprocess costs a fresh interpreter's imports of NumPy, SciPy (and pandas/Dask) on every call: about 1.2 s of
CPU each, which was most of the time of the CLI tests (about 31% of the whole suite in CI). The tests that check
the command itself as people start it (``python -m emdesk.cli``: the ``__main__`` block, its exit status, the
console's encoding) still run it as a subprocess (``run_subprocess``).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import warnings


def run_subprocess(*args, cwd=None, timeout=300, env=None) -> subprocess.CompletedProcess:
    """``python -m emdesk.cli ARGS`` in a fresh interpreter, the way people run it."""
    return subprocess.run([sys.executable, "-m", "emdesk.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, env=env)


def _python_default_warning_filters() -> None:
    """The filters a fresh interpreter starts with (no -W, no PYTHONWARNINGS; CPython's warnings docs,
    "Default Warning Filter"): a warning that would reach a user's console reaches the captured stderr."""
    warnings.resetwarnings()
    for category in (ResourceWarning, ImportWarning, PendingDeprecationWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")


def run_in_process(*args, cwd=None) -> subprocess.CompletedProcess:
    """``emdesk.cli.main([ARGS])`` in this process: returncode, stdout and stderr as ``run_subprocess`` gives."""
    from emdesk import cli

    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            _python_default_warning_filters()
            code = cli.main(argv)
    finally:
        os.chdir(here)
    for w in caught:  # a fresh interpreter prints them to stderr
        err.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))
    return subprocess.CompletedProcess([sys.executable, "-m", "emdesk.cli", *argv], int(code),
                                       out.getvalue(), err.getvalue())
