"""Atomic file writes: a temporary file in the target's folder, flushed to disk, then ``os.replace``.

A crash, a full disk or an exception while writing leaves the previous file (if any) untouched and no
half-written file behind: the temporary file is removed and the error is raised as a
:class:`~emdesk.io.table.DataError` that names the file.

Temporary files are named ``.<target name>.<process id>.<random>.tmp``. A process killed while writing
cannot remove its own, so every write first removes the *stale* temporary files of that same target: those
of our naming pattern whose process is no longer running (and that nobody has written to for a minute), or
that nobody has written to for
:data:`STALE_SECONDS` where the process cannot be asked (Windows, another machine's share, a name without a
process id) or :data:`STALE_SECONDS_RUNNING` when its process id is running (a reused id). Nothing else in
the folder is touched.

:func:`write_together` groups several writes: each is written to its temporary file, and only when all of
them succeeded are they moved into place; if one fails, none of the targets is changed (a target replaced
before a late failure gets its previous content back) and the error names the file that failed.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import secrets
import shutil
import stat
import tempfile
import time

from .table import DataError

__all__ = ["atomic_write", "check_writable", "write_together", "remove_stale_temporaries", "STALE_SECONDS"]

#: A temporary file whose owner cannot be asked (another host, Windows, an older emdesk's name without a
#: process id) is stale when it has not been written to for this long.
STALE_SECONDS = 15 * 60
#: ... and one whose process id belongs to a running process (ours, or a reused id) after this long.
STALE_SECONDS_RUNNING = 24 * 3600
#: ... and one whose process is not running here after this long (a writer on another machine sharing the
#: folder has an id this machine does not know, but it keeps writing: its file stays fresh).
STALE_SECONDS_DEAD = 60

_group: contextvars.ContextVar["_Group | None"] = contextvars.ContextVar("emdesk_atomic_group", default=None)


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


def _temporary_pattern(name: str) -> re.Pattern:
    # ".<name>.<pid>.<8 random chars>.tmp" (ours), or ".<name>.<8 random chars>.tmp" (emdesk before the
    # process id was part of the name); mkstemp's random part is 8 characters of [a-z0-9_].
    return re.compile(r"\A\." + re.escape(name) + r"\.(?:(\d{1,10})\.)?[a-z0-9_]{8}\.tmp\Z")


def _process_running(pid: int) -> bool | None:
    """Whether process ``pid`` runs on this machine; None when that cannot be asked safely."""
    if os.name != "posix":
        return None  # os.kill(pid, 0) would terminate the process on Windows
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except OSError:
        return None
    return True


def remove_stale_temporaries(path, *, now: float | None = None) -> list[str]:
    """Remove the stale temporary files that writes to ``path`` left behind (see the module notes);
    returns their paths. Errors (a file removed meanwhile, no permission) are ignored."""
    path = os.fspath(path)
    name = os.path.basename(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not name:
        return []
    pattern = _temporary_pattern(name)
    now = time.time() if now is None else now
    removed = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(f".{name}.") and e.name.endswith(".tmp")]
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        age = now - info.st_mtime
        pid = int(match.group(1)) if match.group(1) else None
        running = None if pid is None else True if pid == os.getpid() else _process_running(pid)
        if running is None:
            stale = age > STALE_SECONDS
        elif running:  # may be writing it right now (ours: in another thread); or a dead writer's reused id
            stale = age > STALE_SECONDS_RUNNING
        else:
            stale = age > STALE_SECONDS_DEAD
        if stale:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.path)
    return removed


def _os_error(name: str, exc: OSError) -> DataError:
    return DataError(f"Cannot write {name}: {exc.strerror or exc}. The previous file, if any, is unchanged.")


def _open_temporary(path: str):
    """(fd, temporary path) beside ``path``, after removing stale temporaries of the same target."""
    name = os.path.basename(path) or path
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise DataError(f"Cannot write {name}: it is a folder. Choose a file name.")
    remove_stale_temporaries(path)
    try:
        return tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise DataError(f"Cannot write {name} in {folder}: {exc.strerror or exc}.") from None


@contextlib.contextmanager
def atomic_write(path, *, encoding: str = "utf-8", newline: str | None = ""):
    """Open a text file for writing that replaces ``path`` only when the ``with`` block succeeds (inside
    :func:`write_together`, only when every write of the group succeeded)."""
    path = os.fspath(path)
    name = os.path.basename(path) or path
    fd, tmp = _open_temporary(path)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _target_mode(path))
        group = _group.get()
        if group is not None:
            group.staged.append((path, tmp))
        else:
            os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _os_error(name, exc) from None
        raise


class _Group:
    def __init__(self):
        self.staged: list[tuple[str, str]] = []


def check_writable(path) -> None:
    """Raise :class:`DataError` unless a file can be written at ``path`` now: its folder exists and takes
    a new file (tried: a temporary file is created and removed), and ``path`` is not a folder."""
    path = os.fspath(path)
    if not path:
        raise DataError("An empty file name was given.")
    name = os.path.basename(path) or path
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise DataError(f"Cannot write {name}: the folder {folder} does not exist.")
    fd, tmp = _open_temporary(path)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)


@contextlib.contextmanager
def write_together():
    """Group the atomic writes made inside the ``with`` block (in this thread or task): all targets are
    replaced at the end, or none.

    When a write fails (or the block raises), the temporary files written so far are removed and no
    target changes. Moving the files into place happens last; if one of those moves fails, the targets
    already replaced get their previous content back (or are removed when they did not exist) and a
    :class:`DataError` names the file that failed.
    """
    group = _Group()
    token = _group.set(group)
    try:
        yield group
    except BaseException:
        for _, tmp in group.staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    finally:
        _group.reset(token)
    _commit(group.staged)


def _backup(path: str) -> str:
    """A copy of ``path``'s current content under a temporary name of our pattern (a hard link where the
    file system has them, else a copy); the target itself stays in place."""
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    for _ in range(100):
        backup = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            os.link(path, backup)
            return backup
        except FileExistsError:
            continue
        except OSError:
            break
    fd, backup = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        shutil.copy2(path, backup)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(backup)
        raise
    return backup


def _commit(staged: list[tuple[str, str]]) -> None:
    done: list[tuple[str, str | None]] = []  # (target, backup of its previous content or None)
    failed = None
    try:
        for path, tmp in staged:
            failed = path
            # The previous content is kept until every target is in place: a crash in between leaves it
            # under a temporary name for the next write's stale clean-up, never in place of a target.
            backup = _backup(path) if os.path.lexists(path) else None
            try:
                os.replace(tmp, path)
            except OSError:
                if backup is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(backup)
                raise
            done.append((path, backup))
    except OSError as exc:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                else:
                    os.unlink(target)
        for _, tmp in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        name = os.path.basename(failed) or failed
        raise DataError(f"Cannot write {name}: {exc.strerror or exc}. None of the files was written "
                        f"(the previous ones, if any, are unchanged).") from None
    for _, backup in done:
        if backup is not None:
            with contextlib.suppress(OSError):
                os.unlink(backup)
