"""Atomic file writes: a temporary file in the target's folder, flushed to disk, then ``os.replace``.

A crash, a full disk or an exception while writing leaves the previous file (if any) untouched and no
half-written file behind: the temporary file is removed and the error is raised as a
:class:`~emdesk.io.table.DataError` that names the file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from .table import DataError


def _target_mode(path: str) -> int:
    """Permissions for the new file: those of the file it replaces, else 0o666 minus the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        pass
    # Reading the umask needs setting it; do it once per write (cheap, and the value is restored at once).
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_write(path, *, encoding: str = "utf-8", newline: str | None = ""):
    """Open a text file for writing that replaces ``path`` only when the ``with`` block succeeds."""
    path = os.fspath(path)
    name = os.path.basename(path) or path
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise DataError(f"Cannot write {name}: it is a folder. Choose a file name.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise DataError(f"Cannot write {name} in {folder}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _target_mode(path))
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise DataError(f"Cannot write {name}: {exc.strerror or exc}. The previous file, if any, "
                            f"is unchanged.") from None
        raise
