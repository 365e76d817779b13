"""Before Qt starts: can its X11 (xcb) platform plugin load? (no Qt imported here)

Qt aborts the process (SIGABRT, exit status 134) when the platform plugin it needs cannot be loaded, and
its message often names the wrong library (issue 15: ``libxcb-cursor0`` was reported while
``libxcb-icccm4`` and ``libxcb-keysyms1`` were missing). :func:`check_xcb` runs ``ldd`` on PySide6's
``libqxcb.so`` (whose dependencies include ``libQt6XcbQpa``'s) and turns every ``not found`` library into
the Debian/Ubuntu package that provides it, so the launcher can say what to install and exit cleanly.

The library -> package table was made from ``ldd`` on PySide6 6.x's ``plugins/platforms/libqxcb.so`` and
``lib/libQt6XcbQpa.so.6`` on Debian 12, with the package names from packages.debian.org (bookworm) and
packages.ubuntu.com (jammy/noble); ``scripts/install-system-deps.sh`` installs the same set.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

__all__ = ["DEBIAN_PACKAGES", "no_display_message", "platform_will_be_xcb", "xcb_plugin_path", "missing_libraries",
           "packages_for", "missing_message", "check_xcb"]

#: Shared library (soname) -> Debian/Ubuntu package that installs it, for every library Qt's xcb plugin
#: links to outside the PySide6 wheel (the ones a desktop may lack first).
DEBIAN_PACKAGES = {
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libGLdispatch.so.0": "libglvnd0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found\s*$")


def platform_will_be_xcb(environ=None, platform: str | None = None) -> bool:
    """Whether Qt will load its xcb plugin: Linux, ``DISPLAY`` set, ``QT_QPA_PLATFORM`` unset or ``xcb``
    (Qt 6 picks Wayland first in a Wayland session, so that case is left to Qt)."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return False
    qpa = environ.get("QT_QPA_PLATFORM", "").strip()
    if qpa:
        return qpa.split(":", 1)[0] == "xcb"
    if not environ.get("DISPLAY"):
        return False
    wayland = environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE", "").lower() == "wayland"
    return not wayland


def no_display_message(environ=None, platform: str | None = None) -> str | None:
    """The message for starting the window on Linux with no display at all (Qt would abort with "could not
    connect to display"), else None. ``QT_QPA_PLATFORM`` set means the user chose a platform: no message."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM", "").strip():
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return ("emdesk cannot open its window: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
            "Start it from a desktop session (or with ssh -X); emdesk --smoke-test checks an installation "
            "without a display, and emdesk-fit fits a file from the command line.")


def xcb_plugin_path() -> str | None:
    """PySide6's ``Qt/plugins/platforms/libqxcb.so``, or None when it is not there."""
    try:
        import PySide6  # the package only: no Qt library is loaded by this import
    except ImportError:
        return None
    base = os.path.dirname(os.path.abspath(PySide6.__file__))
    for candidate in (os.path.join(base, "Qt", "plugins", "platforms", "libqxcb.so"),
                      os.path.join(base, "plugins", "platforms", "libqxcb.so")):
        if os.path.isfile(candidate):
            return candidate
    return None


def missing_libraries(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` reports as ``not found``, each once, in order."""
    seen: list[str] = []
    for line in ldd_output.splitlines():
        m = _NOT_FOUND.match(line)
        if m and m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def packages_for(libraries) -> tuple[list[str], list[str]]:
    """(Debian packages that provide ``libraries``, each once; libraries with no known package)."""
    packages: list[str] = []
    unknown: list[str] = []
    for lib in libraries:
        package = DEBIAN_PACKAGES.get(lib)
        if package is None:
            unknown.append(lib)
        elif package not in packages:
            packages.append(package)
    return packages, unknown


def _is_debian_like() -> bool:
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            text = handle.read().lower()
    except OSError:
        return shutil.which("apt-get") is not None
    ids = " ".join(line.split("=", 1)[1] for line in text.splitlines()
                   if line.startswith(("id=", "id_like=")))
    return "debian" in ids or "ubuntu" in ids


def missing_message(libraries, *, debian: bool = True, root: bool = False) -> str:
    """The message printed instead of Qt's abort: what is missing and the command that installs it."""
    packages, unknown = packages_for(libraries)
    lines = ["emdesk cannot start: Qt's X11 platform plugin (xcb) needs system libraries that are not "
             "installed:", "  " + ", ".join(libraries)]
    if debian and packages:
        sudo = "" if root else "sudo "
        lines += ["", f"Missing Debian/Ubuntu package{'s' if len(packages) > 1 else ''}: {', '.join(packages)}.",
                  "Install with:", f"  {sudo}apt-get install -y {' '.join(packages)}",
                  "(scripts/install-system-deps.sh in the emdesk sources installs the whole desktop set.)"]
        if unknown:
            lines.append(f"Also install the package(s) that provide: {', '.join(unknown)}.")
    elif packages:
        lines += ["", "Install your distribution's packages that provide these libraries (on Debian/Ubuntu: "
                  f"{' '.join(packages)})."]
    else:
        lines += ["", "Install your distribution's packages that provide these libraries."]
    return "\n".join(lines)


def run_ldd(path: str) -> str | None:
    """``ldd path``'s output, or None when ldd is not available or fails."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        done = subprocess.run([ldd, path], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def check_xcb(environ=None, *, ldd=run_ldd) -> str | None:
    """The message to print when Qt is about to load an xcb plugin that cannot load, else None.

    ``ldd(path) -> str | None`` is the probe (replaceable in tests). None whenever the check does not
    apply (not xcb, no PySide6 plugin found, no ldd) so that Qt decides as usual.
    """
    if not platform_will_be_xcb(environ):
        return None
    plugin = xcb_plugin_path()
    if plugin is None:
        return None
    output = ldd(plugin)
    if not output:
        return None
    libraries = missing_libraries(output)
    if not libraries:
        return None
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    return missing_message(libraries, debian=_is_debian_like(), root=root)
