"""What goes into the emdesk desktop bundle and what stays out; read by ``emdesk.spec``.

Kept apart from the spec so tests can check it without running PyInstaller
(``tests/packaging/test_packaging_files.py``). Plain Python, no PyInstaller import.

Figures in the comments were measured on Linux x86-64 with PySide6-Essentials 6.12, NumPy 2.4,
SciPy 1.17, pyqtgraph 0.14 (``du`` of the built ``dist/emdesk/_internal``).
"""

from __future__ import annotations

import ast
import json
import os
import posixpath
import re
import shutil
import struct
import subprocess
import sys
from fnmatch import fnmatchcase
from pathlib import Path

APP_NAME = "emdesk"
BUNDLE_ID = "org.emdesk.emdesk"

# --- modules left out -----------------------------------------------------------------------------

# Other Qt bindings: PyInstaller aborts when it finds two, and pyqtgraph probes all four.
OTHER_QT_BINDINGS = ["PyQt5", "PyQt6", "PySide2", "shiboken2", "sip"]

# PySide6 modules emdesk does not use. emdesk needs QtCore, QtGui, QtWidgets; pyqtgraph 0.14 imports
# QtOpenGL and QtOpenGLWidgets unconditionally (graphicsItems/PlotCurveItem.py, Qt/OpenGLHelpers.py)
# and QtSvg for its SVG exporter, so those stay. QtTest is optional in pyqtgraph (try/except).
# A module that emdesk's own source imports is never excluded (see ``excludes``).
UNUSED_QT_MODULES = [
    "PySide6." + name
    for name in (
        "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
        "QtAxContainer", "QtBluetooth", "QtCanvasPainter", "QtCharts", "QtConcurrent",
        "QtDataVisualization", "QtDBus", "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp",
        "QtHttpServer", "QtLocation", "QtMultimedia", "QtMultimediaWidgets", "QtNetwork",
        "QtNetworkAuth", "QtNfc", "QtPdf", "QtPdfWidgets", "QtPositioning", "QtPrintSupport",
        "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets",
        "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio",
        "QtSql", "QtStateMachine", "QtSvgWidgets", "QtTest", "QtTextToSpeech", "QtUiTools",
        "QtWebChannel", "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets",
        "QtWebSockets", "QtWebView", "QtXml",
    )
]

# pyqtgraph parts emdesk does not use: 3-D items (need PyOpenGL), demos, Jupyter, console, flowchart.
UNUSED_PYQTGRAPH = [
    "pyqtgraph.examples", "pyqtgraph.opengl", "pyqtgraph.jupyter", "pyqtgraph.console",
    "pyqtgraph.flowchart", "pyqtgraph.canvas", "OpenGL", "jupyter_rfb", "numba", "cupy", "h5py",
    "colorcet",
]

# Present in a development Python (tests, notebooks, other science stacks) and reachable from
# optional imports of NumPy/SciPy/pyqtgraph, but never needed by emdesk. Each is imported by its
# users inside try/except ImportError (checked: numpy.f2py.crackfortran for charset_normalizer,
# scipy._lib._ccallback for cffi, numpy.__config__ for yaml, cmd/pdb/code for readline).
NOT_EMDESK = [
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "readline",
    "pytest", "_pytest", "pytestqt", "hypothesis", "pluggy",
    "sklearn", "pandas", "matplotlib", "IPython", "ipykernel", "jedi", "parso", "sympy", "PIL",
    "setuptools", "pkg_resources", "pip", "wheel",
    "yaml", "cffi", "pycparser", "charset_normalizer", "psutil",
    # No network: ssl (asyncio, http.client, urllib.request import it in try/except). With
    # _hashlib (OpenSSL's hashes) gone too, libcrypto (4.6 MB) stays out; hashlib.sha256 then uses
    # Python's own implementation (_sha256), which hashlib falls back to by design.
    "ssl", "_ssl", "_hashlib",
    "numpy.tests", "numpy.distutils", "scipy.tests", "unittest.test",
    # numpy.f2py (NumPy's Fortran wrapper generator, 0.24 MB) is NOT excluded: scipy.special's
    # array_api_compat clones the numpy module, touching numpy.f2py, and the engine's families import
    # scipy.special at start (a bundle without it failed its smoke test: No module named 'numpy.f2py').
]

STATIC_EXCLUDES = OTHER_QT_BINDINGS + UNUSED_QT_MODULES + UNUSED_PYQTGRAPH + NOT_EMDESK

# --- files left out -----------------------------------------------------------------------------------
# Matched (fnmatch) against the path inside the bundle, with forward slashes.
# PySide6 wheels put Qt's plugins, translations and QML in PySide6/Qt/... on Linux and macOS and in
# PySide6/... on Windows; the "PySide6/*plugins/" prefix matches both ("*" crosses "/" in fnmatch).
_PLUGINS = "PySide6/*plugins/"
DROP_PATTERNS = [
    # Qt translations (up to 14 MB of .qm files; emdesk's interface is English only).
    "PySide6/*translations/*",
    # QML and plugins for features emdesk does not use.
    "PySide6/*qml/*",
    *(_PLUGINS + kind + "/*" for kind in (
        "qmltooling", "scenegraph", "sqldrivers", "multimedia", "printsupport",
        "networkinformation", "tls", "position", "designer", "generic", "platforminputcontexts",
        "egldeviceintegrations",
    )),
    # Platform plugins: keep xcb + wayland (Linux desktops), offscreen (smoke test), cocoa, windows.
    *(_PLUGINS + "platforms/*" + name + "*" for name in (
        "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay", "direct2d",
    )),
    # The GTK3 platform theme loads the user's GTK, which then meets the glib/cairo/pango copies
    # PyInstaller would bundle for it (a known source of crashes); without it Qt uses its own
    # style and the XDG desktop portal. The GTK-stack libraries collected for it (cairo, pango,
    # gio, harfbuzz, ...: 8 MB) go with it, see ``prune_orphans``.
    _PLUGINS + "platformthemes/*gtk3*",
    # Image formats emdesk never reads (it shows PNG/SVG icons and exports PNG).
    *(_PLUGINS + "imageformats/*" + name + "*" for name in (
        "pdf", "tiff", "webp", "icns", "tga", "wbmp", "gif", "jpeg",
    )),
    # Qt libraries collected by PySide6's hooks that nothing left in the bundle links to
    # (checked with readelf -d on Linux): QtNetwork (an excluded module; .so, .dll or macOS
    # framework) and the EGLFS device integration (Linux).
    "PySide6/*Qt6Network*",
    "PySide6/*QtNetwork.framework/*",
    "PySide6/*Qt6EglFS*",
    "PySide6/*Qt6EglFs*",
    # pyqtgraph's examples data (its hook already skips most of it).
    "pyqtgraph/examples/*",
    # pyqtgraph's logo (0.95 MB of PNGs), used only by pyqtgraph.mkQApp as the window icon; emdesk
    # makes its own QApplication with its own icon.
    "pyqtgraph/icons/peegee/*",
    # NumPy's C test helpers (0.14 MB), used by NumPy's test suite only; NumPy's PyInstaller hook
    # lists it as a hidden import for that suite.
    "numpy/_core/_multiarray_tests*",
]


def dropped(dest: str) -> bool:
    """True when the file at ``dest`` (path inside the bundle) is left out of the bundle."""
    dest = dest.replace("\\", "/")
    return any(fnmatchcase(dest, pattern) for pattern in DROP_PATTERNS)


def prune_orphans(kept, dropped_entries, imports_of):
    """Drop the libraries that were collected only for dropped binaries.

    ``kept`` and ``dropped_entries``: PyInstaller binary TOC entries ``(dest, src, typecode)``;
    ``imports_of(src)``: the names of the shared libraries the file ``src`` links to (PyInstaller's
    ``bindepend.get_imports``). A library goes when a dropped binary needs it, directly or through
    other libraries, and no kept binary does; nothing that a kept file links to is ever removed.
    Returns ``(kept entries, sorted names removed)``.
    """
    by_name = {}
    for entry in list(kept) + list(dropped_entries):
        if entry[2] != "SYMLINK":
            by_name.setdefault(Path(entry[0]).name, entry)

    def closure(entries):
        names, stack = set(), [entry[1] for entry in entries if entry[2] != "SYMLINK"]
        while stack:
            for name in imports_of(stack.pop()):
                if name in by_name and name not in names:
                    names.add(name)
                    stack.append(by_name[name][1])
        return names

    only_for_dropped = closure(dropped_entries)
    roots = [entry for entry in kept if Path(entry[0]).name not in only_for_dropped]
    kept_names = {Path(entry[0]).name for entry in kept}
    orphans = (only_for_dropped & kept_names) - closure(roots) - {Path(e[0]).name for e in roots}
    return [entry for entry in kept if Path(entry[0]).name not in orphans], sorted(orphans)


def without_dangling_links(entries, present):
    """TOC entries minus the SYMLINK entries whose target is not in ``present`` (bundle paths).

    PyInstaller adds top-level links such as ``libQt6Network.so.6 -> PySide6/Qt/lib/...`` for the
    libraries it collects; once a library is dropped its link would dangle.
    """
    present = {name.replace("\\", "/") for name in present}
    kept = []
    for entry in entries:
        dest, src, typecode = entry
        if typecode == "SYMLINK":
            target = posixpath.normpath(posixpath.join(posixpath.dirname(dest.replace("\\", "/")),
                                                       src.replace("\\", "/")))
            if target not in present:
                continue
        kept.append(entry)
    return kept


# --- what emdesk imports ----------------------------------------------------------------------------


def _python_files(sources):
    for source in sources:
        source = Path(source)
        yield from sorted(source.rglob("*.py")) if source.is_dir() else [source]


def source_imports(sources) -> set[str]:
    """Absolute module names imported anywhere (top level or in functions) in ``sources``.

    ``sources``: Python files and folders (searched recursively for ``*.py``).
    """
    names: set[str] = set()
    for path in _python_files(sources):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
                # "from scipy import stats" imports the submodule scipy.stats.
                names.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def _is_or_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def scipy_subpackages() -> list[str]:
    """Public first-level SciPy subpackages installed (``scipy.linalg``, ``scipy.stats``, ...)."""
    import pkgutil

    import scipy

    return sorted(
        f"scipy.{info.name}"
        for info in pkgutil.iter_modules(scipy.__path__)
        if info.ispkg and not info.name.startswith("_") and info.name != "tests"
    )


_LOADED_SCIPY = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except ImportError:
        pass  # "from scipy.special import logsumexp" names a function, not a module
print(json.dumps(sorted({".".join(m.split(".")[:2]) for m in sys.modules if m.startswith("scipy.")})))
"""


def scipy_excludes(sources, python: str = sys.executable) -> list[str]:
    """SciPy subpackages neither emdesk nor what it imports from SciPy loads.

    ``import scipy`` makes PyInstaller collect every subpackage (SciPy names them all for its lazy
    loader), about 25 MB that emdesk never loads. Which ones emdesk needs is found here, not
    written down: every SciPy module emdesk's source imports (anywhere, also inside functions) is
    imported in a fresh interpreter, and every SciPy subpackage that this loads is kept. So a new
    ``from scipy.stats import chi2`` in emdesk keeps scipy.stats and all it pulls in, with no edit
    here. The bundle's smoke test checks the result.
    """
    wanted = sorted(n for n in source_imports(sources) if _is_or_under(n, "scipy") and n != "scipy")
    result = subprocess.run(
        [python, "-c", _LOADED_SCIPY, json.dumps(wanted)],
        check=True, capture_output=True, text=True,
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    return [name for name in scipy_subpackages() if name not in loaded]


# Optional extras that emdesk imports only on demand (inside functions, for the API and emdesk-fit) and
# that the desktop app does without: Dask (`emdesk[dask]`, data beyond one machine) and pyarrow
# (`emdesk[parquet]`; without it the app says Parquet/Feather need the extra). Installed in a
# development environment (the test extra has dask), they would otherwise add tens of MB to the bundle.
OPTIONAL_NOT_BUNDLED = ["dask", "distributed", "pyarrow", "toolz", "cloudpickle", "partd", "fsspec",
                        "tornado", "msgpack", "zict", "tblib", "sortedcontainers", "locket"]


def excludes(sources, python: str = sys.executable) -> list[str]:
    """The full ``excludes`` list for PyInstaller, never naming a module ``sources`` import at
    module level (those imported only on demand by an optional extra are in ``OPTIONAL_NOT_BUNDLED``).

    ``sources``: emdesk's package folder and the bundle's entry script.
    """
    used = source_imports(sources)
    candidates = STATIC_EXCLUDES + scipy_excludes(sources, python)
    kept = [name for name in candidates if not any(_is_or_under(u, name) for u in used)]
    return kept + [name for name in OPTIONAL_NOT_BUNDLED if name not in kept]


# --- Qt's ICU data replaced by an empty one (Linux) ------------------------------------------------------

ICU_STUB_SOURCE = Path(__file__).resolve().parent / "icu_stubdata.c"
# Set to keep Qt's real ICU data in the bundle (for comparing the two builds).
KEEP_ICU_ENV = "EMDESK_KEEP_ICU_DATA"
_ICU_DATA_NAME = re.compile(r"^libicudata\.so\.(\d+)$")


def c_compiler() -> str | None:
    """The machine's C compiler (``$CC``, else cc, gcc or clang on PATH), or None."""
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def build_icu_stub(version: str, out_dir: Path, compiler: str) -> Path:
    """Compiles ``icu_stubdata.c`` into ``out_dir/libicudata.so.<version>``; returns its path.

    The library has the real one's soname and exports the ICU data entry point
    ``icudt<version>_dat`` (an empty table of contents). Raises ``subprocess.CalledProcessError``
    when the compiler fails.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"libicudata.so.{version}"
    tmp = out_dir / f"libicudata.so.{version}.tmp"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O2", f"-DICU_DATA_ENTRY=icudt{version}_dat",
         f"-Wl,-soname,libicudata.so.{version}", "-o", str(tmp), str(ICU_STUB_SOURCE)],
        check=True, capture_output=True, text=True,
    )
    os.replace(tmp, target)
    return target


def replace_icu_data(binaries, workdir: Path, compiler: str | None = None):
    """Binary TOC entries with Qt's ICU data library (``libicudata.so.NN``, 30.6 MiB) replaced by
    an empty one built from ``icu_stubdata.c``; returns ``(entries, message)``.

    What emdesk gives up, measured with build.py's text probe (``text_probe.py``): QCollator
    compares by code point, not by the locale's rules (and its sort keys are empty); text codecs
    other than Qt's built-in UTF-8/16/32 and Latin-1 are unavailable to QStringDecoder; QTimeZone's
    localised display names are empty. Qt's own locale data (number and date formats), case
    mapping, IDN and all text rendering do not use ICU's data and are unchanged; emdesk uses none
    of the three features above (its files are read by Python's codecs).

    Linux only, and only with a C compiler; otherwise, or with ``EMDESK_KEEP_ICU_DATA`` set, or when
    compiling fails, the entries come back unchanged and the message says why.
    """
    binaries = list(binaries)
    if not sys.platform.startswith("linux"):
        return binaries, "ICU data: kept (the empty stand-in is built on Linux only)"
    if os.environ.get(KEEP_ICU_ENV):
        return binaries, f"ICU data: kept ({KEEP_ICU_ENV} is set)"
    found = [(i, _ICU_DATA_NAME.match(Path(dest).name)) for i, (dest, _src, kind) in enumerate(binaries)
             if kind != "SYMLINK"]
    found = [(i, m) for i, m in found if m]
    if not found:
        return binaries, "ICU data: not in the bundle, nothing replaced"
    compiler = compiler or c_compiler()
    if compiler is None:
        return binaries, "ICU data: kept (no C compiler found to build the empty stand-in; set CC)"
    out = list(binaries)
    for i, match in found:
        dest, src, kind = binaries[i]
        try:
            stub = build_icu_stub(match.group(1), Path(workdir) / "icu-stub", compiler)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            return binaries, f"ICU data: kept (building the stand-in failed: {detail.strip()[:300]})"
        out[i] = (dest, str(stub), kind)
    saved = sum(Path(binaries[i][1]).stat().st_size - Path(out[i][1]).stat().st_size for i, _m in found)
    return out, f"ICU data: replaced by an empty stand-in built with {compiler} ({saved / 2**20:.1f} MiB less)"


# --- symbol tables stripped (Linux) -------------------------------------------------------------------

# Libraries stripped besides Python's own (bundle paths, fnmatch): Qt's ICU code libraries, shipped
# with their symbol tables (libicui18n 4.3 -> 3.3 MiB, libicuuc 2.5 -> 2.1 MiB). Never NumPy's or
# SciPy's: see ``strip_python_binaries``.
STRIP_PATTERNS = [
    "PySide6/Qt/lib/libicuuc.so.*",
    "PySide6/Qt/lib/libicui18n.so.*",
]


def load_segments_aligned(path) -> bool:
    """True when every PT_LOAD segment of the ELF file ``path`` has ``p_offset`` congruent to
    ``p_vaddr`` modulo ``p_align``, as the dynamic linker requires (its "ELF load command
    address/offset not page-aligned" error). ``strip`` breaks this in libraries that patchelf has
    rewritten (auditwheel's NumPy/SciPy libraries: measured on libscipy_openblas64_). Only
    little-endian 64-bit ELF is checked; anything else is reported as not aligned.
    """
    with open(path, "rb") as f:
        ident = f.read(64)
        if len(ident) < 64 or ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1:
            return False
        (phoff,) = struct.unpack_from("<Q", ident, 32)
        phentsize, phnum = struct.unpack_from("<HH", ident, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    if len(table) < phentsize * phnum:
        return False
    for i in range(phnum):
        p_type, _flags, offset, vaddr, _paddr, _filesz, _memsz, align = struct.unpack_from(
            "<IIQQQQQQ", table, i * phentsize)
        if p_type == 1 and align > 1 and offset % align != vaddr % align:  # PT_LOAD
            return False
    return True


def strip_python_binaries(binaries, workdir: Path):
    """Binary TOC entries with the Python interpreter's own libraries, and those ``STRIP_PATTERNS``
    name, replaced by copies without symbol tables.

    Some Python builds (pyenv's, for one) ship libpython and lib-dynload with debug information and
    symbol tables: 23 MB + 12 MB here, 5.4 MB + 4.2 MB stripped. PyInstaller's global
    ``strip=True`` is not an option: stripping the auditwheel-patched libraries of NumPy/SciPy wheels
    breaks them ("ELF load command address/offset not page-aligned"), so only files under Python's own
    prefix (never site-packages) and the files ``STRIP_PATTERNS`` name are stripped, with
    ``strip --strip-unneeded`` (debug sections and the static symbol table; the dynamic symbols that
    linking uses stay). A stripped copy whose load segments are not aligned
    (``load_segments_aligned``) is not used: the original goes into the bundle. Linux only;
    elsewhere, or without ``strip``, the entries are returned unchanged.
    """
    strip = shutil.which("strip")
    if not sys.platform.startswith("linux") or strip is None:
        return list(binaries)
    prefix = Path(sys.base_prefix).resolve()
    out = []
    for dest, src, typecode in binaries:
        source = Path(src).resolve()
        own = prefix in source.parents and "site-packages" not in source.parts
        named = any(fnmatchcase(dest.replace("\\", "/"), pattern) for pattern in STRIP_PATTERNS)
        if (own or named) and typecode != "SYMLINK" and source.is_file():
            target = Path(workdir) / "stripped-symbols" / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
                tmp = target.with_name(target.name + ".tmp")
                shutil.copy2(source, tmp)
                subprocess.run([strip, "--strip-unneeded", str(tmp)], check=True)
                if not load_segments_aligned(tmp):
                    tmp.unlink()
                    out.append((dest, src, typecode))
                    continue
                os.replace(tmp, target)
            src = str(target)
        out.append((dest, src, typecode))
    return out
