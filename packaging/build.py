"""Build the emdesk desktop bundle with PyInstaller, then run its smoke test.

    python packaging/build.py            # fresh venv in packaging/build/venv, pip install ., build, test
    python packaging/build.py --no-venv  # use the running Python (emdesk and PyInstaller installed)
    python packaging/build.py --clean    # also drop PyInstaller's cache and the previous output

Steps: (1) with ``--venv`` (the default) make a fresh virtual environment and ``pip install`` this
checkout and PyInstaller into it; (2) run PyInstaller on ``packaging/emdesk.spec``; (3) run the built
executable with ``--smoke-test`` (``QT_QPA_PLATFORM=offscreen``, or the real display with
``--display``; it opens the real window, fits the bundled example through the worker thread, exports
the fit and checks it); (4) print the bundle's size, its largest parts, and the time from starting
the executable to its first window paint.
Exits non-zero when any step fails.

Output: ``packaging/dist/emdesk/`` (the executable is ``emdesk`` or ``emdesk.exe`` inside it) and on
macOS ``packaging/dist/emdesk.app``. ``--archive`` also writes a zip of the bundle beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "emdesk.spec"
APP_NAME = "emdesk"
PROBE_LINE = "emdesk-startup-probe: first window painted"


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def run(cmd, **kwargs) -> None:
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def venv_python(venv_dir: Path) -> Path:
    if sys.platform == "win32":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def make_venv(venv_dir: Path) -> Path:
    """A fresh virtual environment with this checkout and PyInstaller installed; its Python."""
    if venv_dir.exists():
        shutil.rmtree(venv_dir)
    log(f"creating a fresh virtual environment in {venv_dir}")
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    python = venv_python(venv_dir)
    run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    # A regular (not editable) install: the bundle gets what a user's pip install would get.
    run([python, "-m", "pip", "install", "--quiet", str(ROOT), "pyinstaller>=6.0"])
    return python


def executable(dist: Path) -> Path:
    """The built program to run: inside the .app on macOS, else in the one-folder bundle."""
    if sys.platform == "darwin":
        return dist / f"{APP_NAME}.app" / "Contents" / "MacOS" / APP_NAME
    return dist / APP_NAME / (APP_NAME + (".exe" if sys.platform == "win32" else ""))


def tree_size(path: Path) -> int:
    """Bytes of the files under ``path`` (symbolic links count as links, as ``du`` does)."""
    total = 0
    for root, dirs, files in os.walk(path):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            total += os.lstat(os.path.join(root, name)).st_size
    return total


def largest_parts(bundle: Path, count: int = 12) -> list[tuple[int, str]]:
    """The biggest entries of the bundle's ``_internal`` folder (its first level, PySide6's second)."""
    internal = bundle / "_internal"
    if not internal.is_dir():
        internal = bundle
    parts = []
    for entry in internal.iterdir():
        if entry.name == "PySide6" and entry.is_dir():
            for sub in (entry / "Qt" / "lib").glob("*") if (entry / "Qt" / "lib").is_dir() else []:
                parts.append((tree_size(sub) if sub.is_dir() else sub.lstat().st_size, f"PySide6/Qt/lib/{sub.name}"))
            for sub in entry.iterdir():
                if sub.name != "Qt":
                    parts.append((tree_size(sub) if sub.is_dir() else sub.lstat().st_size, f"PySide6/{sub.name}"))
            parts.append((tree_size(entry / "Qt") - tree_size(entry / "Qt" / "lib"), "PySide6/Qt (rest: plugins)"))
        elif entry.is_dir() and not entry.is_symlink():
            parts.append((tree_size(entry), entry.name + "/"))
        else:
            parts.append((entry.lstat().st_size, entry.name))
    return sorted(parts, reverse=True)[:count]


def missing_resources(bundle: Path) -> list[str]:
    """Files of the checkout's ``emdesk/gui/resources`` that the bundle does not carry."""
    source = ROOT / "emdesk" / "gui" / "resources"
    internal = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    frozen = internal / "emdesk" / "gui" / "resources"
    return sorted(
        path.relative_to(source).as_posix()
        for path in source.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and not (frozen / path.relative_to(source)).is_file()
    )


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def smoke_test(exe: Path, timeout: float, display: bool = False,
               probe_dir: Path | None = None) -> tuple[int, float | None, float, str]:
    """Runs ``exe --smoke-test``: (exit code, seconds to first paint or None, total seconds, output).

    Offscreen unless ``display``: then on the desktop's own platform (xcb/wayland, windows, cocoa).
    With ``probe_dir`` the bundle's text probe (``text_probe.py``) writes its report and a
    screenshot of the window there.
    """
    env = dict(os.environ, EMDESK_STARTUP_PROBE="1")
    if probe_dir is not None:
        env["EMDESK_TEXT_PROBE"] = str(probe_dir)
    if display:
        env.pop("QT_QPA_PLATFORM", None)
        log(f"$ {exe} --smoke-test   (on the display)")
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
        log(f"$ {exe} --smoke-test   (QT_QPA_PLATFORM=offscreen)")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), "--smoke-test"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, errors="replace",
    )
    painted: list[float] = []
    lines: list[str] = []

    def reader():
        for line in proc.stdout:
            if PROBE_LINE in line and not painted:
                painted.append(time.perf_counter() - start)
                continue
            lines.append(line)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        thread.join(5)
        return -1, None, time.perf_counter() - start, "".join(lines) + f"\n(killed after {timeout:.0f} s)"
    total = time.perf_counter() - start
    thread.join(5)
    return code, (painted[0] if painted else None), total, "".join(lines)


def read_text_probe(probe_dir: Path) -> tuple[bool, list[str]]:
    """The text probe's verdict and report lines: (all checks passed, lines to print)."""
    path = probe_dir / "report.json"
    if not path.is_file():
        return False, [f"no text probe report in {probe_dir} (the main window never closed?)"]
    report = json.loads(path.read_text(encoding="utf-8"))
    if "error" in report:
        return False, ["the text probe failed:", *report["error"].rstrip().splitlines()]
    lines, ok = [], True
    for name, result in report["checks"].items():
        ok = ok and result["ok"]
        lines.append(f"{'ok  ' if result['ok'] else 'FAIL'} {name}: {result['value']}")
    lines += [f"info {name}: {value}" for name, value in report["info"].items()]
    lines.append(f"screenshot: {probe_dir / 'window.png'}")
    return ok, lines


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", dest="venv", action="store_true", default=True,
                        help="build from a fresh virtual environment (default)")
    parser.add_argument("--no-venv", dest="venv", action="store_false",
                        help="build with the running Python (emdesk and PyInstaller must be installed)")
    parser.add_argument("--venv-dir", type=Path, default=HERE / "build" / "venv",
                        help="where the fresh virtual environment goes (default: packaging/build/venv)")
    parser.add_argument("--clean", action="store_true",
                        help="remove the previous output and PyInstaller's cache before building")
    parser.add_argument("--dist", type=Path, default=HERE / "dist", help="output folder (default: packaging/dist)")
    parser.add_argument("--work", type=Path, default=HERE / "build" / "work",
                        help="PyInstaller's work folder (default: packaging/build/work)")
    parser.add_argument("--no-smoke-test", dest="smoke", action="store_false",
                        help="build only; do not run the built app")
    parser.add_argument("--display", action="store_true",
                        help="run the smoke test on the real display instead of offscreen")
    parser.add_argument("--timeout", type=float, default=300.0, help="smoke test time limit in seconds")
    parser.add_argument("--archive", action="store_true", help="also write a zip of the bundle into --dist")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    if args.clean:
        for folder in (dist / APP_NAME, dist / f"{APP_NAME}.app", work):
            if folder.exists():
                log(f"removing {folder}")
                shutil.rmtree(folder)

    t0 = time.perf_counter()
    python = make_venv(args.venv_dir.resolve()) if args.venv else Path(sys.executable)
    t1 = time.perf_counter()

    cmd = [python, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", dist, "--workpath", work, SPEC]
    if args.clean:
        cmd.insert(3, "--clean")
    # Run from an empty folder: `python -m` puts the working directory first on sys.path, so from the
    # checkout it would freeze the checkout's emdesk instead of the installed one, and from the work
    # folder PyInstaller's own "emdesk" subfolder would shadow the package.
    neutral = work / "cwd"
    neutral.mkdir(parents=True, exist_ok=True)
    try:
        run(cmd, cwd=neutral)
    except subprocess.CalledProcessError as exc:
        log(f"FAILED: PyInstaller exited with {exc.returncode}")
        return 1
    t2 = time.perf_counter()

    bundle = dist / APP_NAME
    exe = executable(dist)
    if not exe.is_file():
        log(f"FAILED: the build did not produce {exe}")
        return 1
    missing = missing_resources(bundle)
    if missing:
        log("WARNING: files of emdesk/gui/resources/ missing from the bundle (the installed emdesk lacks "
            "them: are they in pyproject.toml's package-data?): " + ", ".join(missing))
    size = tree_size(bundle)
    log(f"bundle: {bundle}  ({mib(size)}, {size:,} bytes; {platform.system()} {platform.machine()})")
    if sys.platform == "darwin":
        log(f"app bundle: {dist / (APP_NAME + '.app')}  ({mib(tree_size(dist / (APP_NAME + '.app')))})")
    log("largest parts:")
    for nbytes, name in largest_parts(bundle):
        log(f"  {mib(nbytes):>10}  {name}")
    if args.archive:
        base = dist / f"{APP_NAME}-{platform.system().lower()}-{platform.machine().lower()}"
        archive = Path(shutil.make_archive(str(base), "zip", root_dir=dist, base_dir=APP_NAME))
        log(f"archive: {archive}  ({mib(archive.stat().st_size)})")
    log(f"times: environment {t1 - t0:.0f} s, PyInstaller {t2 - t1:.0f} s")

    if not args.smoke:
        return 0
    probe_dir = work / ("text-probe-display" if args.display else "text-probe-offscreen")
    if probe_dir.exists():
        shutil.rmtree(probe_dir)
    code, painted, total, output = smoke_test(exe, args.timeout, display=args.display, probe_dir=probe_dir)
    for line in output.rstrip().splitlines():
        log(f"  | {line}")
    probe_ok, probe_lines = read_text_probe(probe_dir)
    log("text probe (in the built app):")
    for line in probe_lines:
        log(f"  {line}")
    if painted is not None:
        log(f"startup: first window paint {painted:.2f} s after starting the executable")
    else:
        log("startup: no first-paint report from the app (the window never painted)")
    if code != 0:
        log(f"FAILED: the smoke test exited with {code} after {total:.1f} s")
        return 1
    if not probe_ok:
        log("FAILED: the text probe found text or locale handling broken in the built app")
        return 1
    log(f"smoke test passed in {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
