"""Cheap checks of the packaging files (always run): .desktop file, icons, the spec's configuration."""

from __future__ import annotations

import configparser
import json
import importlib.util
import re
import struct
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
PACKAGING = ROOT / "packaging"
PACKAGE_ICONS = ROOT / "emdesk" / "gui" / "resources" / "icons"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle_config():
    return load_module("emdesk_bundle_config", PACKAGING / "bundle_config.py")


@pytest.fixture(scope="module")
def emdesk_excludes(bundle_config):
    """``bundle_config.excludes`` of emdesk and the launcher (it parses emdesk's sources and imports SciPy's
    modules in a fresh interpreter: seconds), computed once for the two tests that check it."""
    return tuple(bundle_config.excludes([ROOT / "emdesk", PACKAGING / "launch.py"]))


@pytest.fixture(scope="module")
def make_icons():
    return load_module("emdesk_make_icons", RESOURCES / "make_icons.py")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk; fails on anything that is not a PNG."""
    assert data[:8] == PNG_SIGNATURE, "not PNG data"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height, depth, color_type = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and color_type == 6, "icons are 8-bit RGBA"
    return width, height


# --- .desktop file ----------------------------------------------------------------------------------


def test_desktop_file_opens_csv_files_with_emdesk():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in .desktop files
    parser.read(RESOURCES / "emdesk.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "emdesk"
    exec_words = entry["Exec"].split()
    assert exec_words[0] == "emdesk" and exec_words[1] in {"%f", "%F", "%u", "%U"}
    assert "text/csv" in entry["MimeType"].split(";")
    assert entry["MimeType"].endswith(";") and entry["Categories"].endswith(";")
    categories = set(entry["Categories"].split(";"))
    # One main category (two would list emdesk twice in menus, says desktop-file-validate).
    assert "Science" in categories and "Education" not in categories
    assert entry["Icon"] == "emdesk"
    assert entry["Terminal"] == "false"


def test_desktop_exec_is_the_installed_gui_command():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = pyproject.split("[project.gui-scripts]", 1)[1].split("\n[", 1)[0]
    assert re.search(r"^emdesk\s*=", section, re.M), "the .desktop file runs `emdesk`, the gui-scripts entry"


# --- icons ------------------------------------------------------------------------------------------


def test_master_svg_is_an_svg_drawing():
    text = (RESOURCES / "emdesk.svg").read_text(encoding="utf-8")
    assert "<svg" in text and 'viewBox="0 0 256 256"' in text


@pytest.mark.parametrize("size", [16, 24, 32, 48, 64, 128, 256, 512, 1024])
def test_png_icons_have_their_size(size):
    data = (RESOURCES / "png" / f"emdesk-{size}.png").read_bytes()
    assert png_size(data) == (size, size)


def test_png_icon_decodes_with_transparent_corners_and_opaque_centre(qapp):
    from PySide6.QtGui import QImage

    image = QImage(str(RESOURCES / "png" / "emdesk-256.png"))
    assert not image.isNull() and (image.width(), image.height()) == (256, 256)
    assert image.pixelColor(0, 0).alpha() == 0  # rounded square: corners stay transparent
    assert image.pixelColor(128, 128).alpha() == 255


def test_ico_holds_png_images_16_to_256():
    data = (RESOURCES / "emdesk.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for i in range(count):
        width, height, _colors, _res, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i: 22 + 16 * i])
        assert planes == 1 and bits == 32
        assert offset + length <= len(data)
        image = data[offset: offset + length]
        real = png_size(image)
        assert real == ((width or 256), (height or 256))  # 0 stands for 256
        sizes.append(real[0])
    assert sorted(sizes) == [16, 24, 32, 48, 64, 128, 256]


def test_icns_holds_png_images_16_to_1024():
    data = (RESOURCES / "emdesk.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    expected = {"icp4": 16, "icp5": 32, "icp6": 64, "ic07": 128, "ic08": 256, "ic09": 512,
                "ic10": 1024, "ic11": 32, "ic12": 64, "ic13": 256, "ic14": 512}
    found = {}
    pos = 8
    while pos < len(data):
        kind, length = struct.unpack(">4sI", data[pos: pos + 8])
        assert length > 8 and pos + length <= len(data)
        found[kind.decode("ascii")] = png_size(data[pos + 8: pos + length])[0]
        pos += length
    assert found == expected


def test_icon_containers_round_trip(make_icons):
    """The ICO/ICNS writers put each PNG back where a reader finds it."""
    fake = {size: PNG_SIGNATURE + bytes([size % 251]) * 7 for size in (16, 256)}
    ico = make_icons.ico_bytes(fake)
    assert struct.unpack("<HHH", ico[:6]) == (0, 1, 2)
    _w, _h, _c, _r, _p, _b, length, offset = struct.unpack("<BBBBHHII", ico[22:38])
    assert ico[offset: offset + length] == fake[256]
    assert ico[22] == 0  # 256 px is written as 0


def test_package_window_icons_match_the_resources():
    assert (PACKAGE_ICONS / "emdesk.svg").read_bytes() == (RESOURCES / "emdesk.svg").read_bytes()
    for size in (32, 256):
        assert (PACKAGE_ICONS / f"emdesk-{size}.png").read_bytes() == \
            (RESOURCES / "png" / f"emdesk-{size}.png").read_bytes()


# --- the spec's configuration -----------------------------------------------------------------------


def test_spec_is_one_folder_windowed_with_platform_icons_and_macos_bundle():
    spec = (PACKAGING / "emdesk.spec").read_text(encoding="utf-8")
    assert "exclude_binaries=True" in spec  # one-folder
    assert "console=False" in spec  # windowed
    assert "COLLECT(" in spec and "BUNDLE(" in spec and "bundle_identifier=BUNDLE_ID" in spec
    assert 'RESOURCES / "emdesk.ico"' in spec and 'RESOURCES / "emdesk.icns"' in spec
    assert 'collect_data_files("emdesk")' in spec and "copy_metadata(" in spec
    assert "excludes=EXCLUDES" in spec and "bundle_config.dropped" in spec


def test_excludes_cover_other_bindings_unused_qt_and_foreign_packages(bundle_config):
    excludes = set(bundle_config.STATIC_EXCLUDES)
    for name in ("PyQt5", "PyQt6", "PySide2", "PySide6.QtQml", "PySide6.QtQuick",
                 "PySide6.QtWebEngineCore", "PySide6.QtMultimedia", "tkinter", "pytest",
                 "hypothesis", "sklearn", "pandas", "matplotlib", "pyqtgraph.examples",
                 "pyqtgraph.opengl"):
        assert name in excludes, name
    # What the app and pyqtgraph need is never excluded.
    for name in ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg",
                 "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "numpy", "scipy", "pyqtgraph"):
        assert name not in excludes, name


def test_excludes_never_name_what_emdesk_imports(bundle_config, emdesk_excludes):
    sources = [ROOT / "emdesk", PACKAGING / "launch.py"]
    used = bundle_config.source_imports(sources)
    for name in emdesk_excludes:
        if name in bundle_config.OPTIONAL_NOT_BUNDLED:
            continue  # optional extras imported on demand only (checked below)
        clash = [u for u in used if u == name or u.startswith(name + ".")]
        assert not clash, f"{name} is excluded but emdesk imports {clash}"


def test_optional_extras_left_out_of_the_bundle_are_imported_on_demand_only(bundle_config, emdesk_excludes):
    """Dask and pyarrow stay out of the desktop bundle; emdesk must then import them only inside
    functions (an import at module level would make the frozen app fail to start)."""
    import ast

    excluded = set(emdesk_excludes)
    for name in ("dask", "distributed", "pyarrow"):
        assert name in excluded, name
    # emdesk/engine/_dask*.py (the entry point _dask.py and the modules it is split into) are the
    # modules built on Dask; they import each other, and anything else imports them on demand only.
    on_demand = set((ROOT / "emdesk" / "engine").glob("_dask*.py"))
    assert ROOT / "emdesk" / "engine" / "_dask.py" in on_demand
    for path in (ROOT / "emdesk").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                mods = [node.module]
            elif isinstance(node, ast.ImportFrom):
                mods = [f"emdesk.engine.{node.module or a.name}" for a in node.names]
            for m in mods:
                if path not in on_demand:
                    assert not m.rsplit(".", 1)[-1].startswith("_dask"), (path, m)
                    assert m.split(".")[0] not in bundle_config.OPTIONAL_NOT_BUNDLED, (path, m)


def test_scipy_subpackages_emdesk_imports_are_kept(bundle_config, tmp_path):
    (tmp_path / "uses_special.py").write_text("def f():\n    from scipy.special import logsumexp\n")
    excluded = bundle_config.scipy_excludes([tmp_path])
    assert "scipy.special" not in excluded
    assert "scipy.signal" in excluded
    (tmp_path / "uses_stats.py").write_text("import scipy.stats\n")
    excluded = set(bundle_config.scipy_excludes([tmp_path]))
    # scipy.stats imports scipy.optimize and scipy.integrate: they stay with it.
    assert not excluded & {"scipy.stats", "scipy.special", "scipy.optimize", "scipy.integrate"}


@pytest.mark.parametrize("dest, dropped", [
    ("PySide6/Qt/translations/qtbase_de.qm", True),
    ("PySide6/Qt/plugins/platforms/libqminimal.so", True),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", True),
    ("PySide6/Qt/lib/libQt6Network.so.6", True),
    ("PySide6\\translations\\qt_fr.qm", True),  # Windows layout
    ("PySide6/plugins/platforms/qminimal.dll", True),
    ("PySide6/plugins/imageformats/qgif.dll", True),
    ("PySide6/Qt6Network.dll", True),
    ("PySide6/Qt/lib/QtNetwork.framework/Versions/A/QtNetwork", True),
    ("PySide6/Qt/qml/QtQuick/qmldir", True),
    ("PySide6/QtNetwork.abi3.so", False),  # (excluded as a module, not by file pattern)
    ("PySide6/plugins/platforms/qwindows.dll", False),
    ("PySide6/plugins/platforms/qoffscreen.dll", False),
    ("PySide6/Qt6Core.dll", False),
    ("PySide6/Qt/lib/QtCore.framework/Versions/A/QtCore", False),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
    ("PySide6/Qt/plugins/platforms/libqwayland.so", False),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
    ("PySide6/Qt/plugins/platforms/qwindows.dll", False),
    ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", False),
    ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", False),
    ("PySide6/Qt/plugins/imageformats/libqsvg.so", False),
    ("PySide6/Qt/lib/libQt6Core.so.6", False),
    ("emdesk/gui/resources/example_2d_three_clusters.csv", False),
    ("pyqtgraph/icons/peegee/peegee_512px@2x.png", True),
    ("pyqtgraph/icons/auto.png", False),  # pyqtgraph's plot buttons
    ("pyqtgraph/colors/maps/viridis.csv", False),
    ("numpy/_core/_multiarray_tests.cpython-311-x86_64-linux-gnu.so", True),
    ("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so", False),
])
def test_dropped_files(bundle_config, dest, dropped):
    assert bundle_config.dropped(dest) is dropped


def test_stripping_leaves_wheel_libraries_alone(bundle_config, tmp_path):
    import numpy

    wheel_lib = next(Path(numpy.__file__).parent.rglob("*.so"), None) or Path(numpy.__file__)
    toc = [("numpy/x.so", str(wheel_lib), "EXTENSION")]
    assert bundle_config.strip_python_binaries(toc, tmp_path) == toc


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="stripping is done on Linux only")
def test_stripping_copies_pythons_own_libraries(bundle_config, tmp_path):
    import _json
    import shutil

    source = getattr(_json, "__file__", None)
    if source is None or shutil.which("strip") is None:
        pytest.skip("this Python has _json built in, or there is no strip tool")
    toc = [("python3/lib-dynload/_json.so", source, "EXTENSION")]
    (dest, src, kind), = bundle_config.strip_python_binaries(toc, tmp_path)
    assert (dest, kind) == toc[0][::2]
    stripped = Path(src)
    assert stripped.parent != Path(source).parent and stripped.is_file()
    assert stripped.read_bytes()[:4] == b"\x7fELF"
    assert stripped.stat().st_size <= Path(source).stat().st_size


def test_prune_orphans_removes_only_what_dropped_files_alone_needed(bundle_config):
    links = {
        "/x/QtWidgets.so": {"libQt6Gui.so.6"},
        "/x/libQt6Gui.so.6": {"libglib-2.0.so.0", "libz.so.1"},
        "/x/libglib-2.0.so.0": set(),
        "/x/libz.so.1": set(),
        "/x/libcairo.so.2": {"libpixman-1.so.0", "libz.so.1"},
        "/x/libpixman-1.so.0": set(),
        "/x/libqgtk3.so": {"libcairo.so.2", "libglib-2.0.so.0", "libgtk-3.so.0"},
    }
    kept = [(name, f"/x/{name}", "BINARY") for name in
            ("QtWidgets.so", "libQt6Gui.so.6", "libglib-2.0.so.0", "libz.so.1", "libcairo.so.2",
             "libpixman-1.so.0")]
    dropped = [("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/x/libqgtk3.so", "BINARY")]
    remaining, removed = bundle_config.prune_orphans(kept, dropped, lambda src: links[src])
    assert removed == ["libcairo.so.2", "libpixman-1.so.0"]
    assert [entry[0] for entry in remaining] == ["QtWidgets.so", "libQt6Gui.so.6", "libglib-2.0.so.0", "libz.so.1"]


# --- build.py's helpers -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def build_script():
    return load_module("emdesk_build_script", PACKAGING / "build.py")


def test_tree_size_counts_files_once_and_links_as_links(build_script, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "big").write_bytes(b"x" * 5000)
    (tmp_path / "small").write_bytes(b"y" * 10)
    if sys.platform != "win32":
        (tmp_path / "link").symlink_to(tmp_path / "a" / "big")
        link_size = (tmp_path / "link").lstat().st_size
    else:
        link_size = 0
    assert build_script.tree_size(tmp_path) == 5010 + link_size


def test_largest_parts_lists_the_biggest_entries_first(build_script, tmp_path):
    internal = tmp_path / "emdesk" / "_internal"
    (internal / "numpy").mkdir(parents=True)
    (internal / "numpy" / "core.so").write_bytes(b"x" * 3000)
    (internal / "libpython.so").write_bytes(b"x" * 2000)
    (internal / "PySide6" / "Qt" / "lib").mkdir(parents=True)
    (internal / "PySide6" / "Qt" / "lib" / "libQt6Core.so.6").write_bytes(b"x" * 4000)
    (internal / "PySide6" / "QtCore.abi3.so").write_bytes(b"x" * 1000)
    parts = build_script.largest_parts(tmp_path / "emdesk", count=3)
    assert parts == [(4000, "PySide6/Qt/lib/libQt6Core.so.6"), (3000, "numpy/"), (2000, "libpython.so")]


def test_missing_resources_names_package_files_the_bundle_lacks(build_script, tmp_path):
    bundle = tmp_path / "emdesk"
    frozen = bundle / "_internal" / "emdesk" / "gui" / "resources"
    source = ROOT / "emdesk" / "gui" / "resources"
    files = sorted(p.relative_to(source).as_posix() for p in source.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts)
    assert "icons/emdesk.svg" in files
    assert build_script.missing_resources(bundle) == files
    for name in files:
        (frozen / name).parent.mkdir(parents=True, exist_ok=True)
        (frozen / name).write_bytes(b"")
    assert build_script.missing_resources(bundle) == []


def test_links_to_dropped_files_go_too(bundle_config):
    entries = [
        ("PySide6/Qt/lib/libQt6Core.so.6", "/site/PySide6/Qt/lib/libQt6Core.so.6", "BINARY"),
        ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK"),
        ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"),
        ("PySide6/Qt/lib/libx.so", "../../../libQt6Core.so.6", "SYMLINK"),
    ]
    present = [e[0] for e in entries if e[2] != "SYMLINK"] + ["libQt6Core.so.6"]
    kept = bundle_config.without_dangling_links(entries, present)
    assert [e[0] for e in kept] == ["PySide6/Qt/lib/libQt6Core.so.6", "libQt6Core.so.6", "PySide6/Qt/lib/libx.so"]


# --- Qt's ICU data replaced by an empty library (Linux) ------------------------------------------

needs_linux_cc = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the empty ICU data library is built on Linux only")


@needs_linux_cc
def test_icu_stub_is_an_empty_icu_data_package(bundle_config, tmp_path):
    import ctypes

    compiler = bundle_config.c_compiler()
    if compiler is None:
        pytest.skip("no C compiler")
    lib = bundle_config.build_icu_stub("73", tmp_path, compiler)
    assert lib.name == "libicudata.so.73" and lib.stat().st_size < 100_000
    # The entry point ICU's libicuuc.so.73 looks up, with ICU's common-data header (udata.h).
    header = ctypes.string_at(ctypes.addressof(ctypes.c_char.in_dll(ctypes.CDLL(str(lib)), "icudt73_dat")), 48)
    header_size, magic1, magic2 = struct.unpack_from("<HBB", header, 0)
    info_size, _res, big_endian, charset, uchar_size = struct.unpack_from("<HHBBB", header, 4)
    assert (header_size, magic1, magic2) == (32, 0xDA, 0x27)
    assert (info_size, big_endian, charset, uchar_size) == (20, 0, 0, 2)
    assert header[12:16] == b"ToCP" and header[16] == 1  # table of contents of pointers, format 1
    assert struct.unpack_from("<I", header, 32)[0] == 0  # no entries
    # The soname the Qt libraries ask for.
    assert b"libicudata.so.73\x00" in lib.read_bytes()


def _toc(tmp_path):
    real = tmp_path / "libicudata.so.73"
    real.write_bytes(b"\x7fELF" + b"\0" * 4000)
    return [
        ("PySide6/Qt/lib/libQt6Core.so.6", "/site/PySide6/Qt/lib/libQt6Core.so.6", "BINARY"),
        ("PySide6/Qt/lib/libicudata.so.73", str(real), "BINARY"),
        ("libicudata.so.73", "PySide6/Qt/lib/libicudata.so.73", "SYMLINK"),
        ("PySide6/Qt/lib/libicuuc.so.73", "/site/PySide6/Qt/lib/libicuuc.so.73", "BINARY"),
    ]


@needs_linux_cc
def test_replace_icu_data_swaps_only_the_data_library(bundle_config, tmp_path, monkeypatch):
    monkeypatch.delenv(bundle_config.KEEP_ICU_ENV, raising=False)
    if bundle_config.c_compiler() is None:
        pytest.skip("no C compiler")
    toc = _toc(tmp_path)
    out, message = bundle_config.replace_icu_data(toc, tmp_path / "work")
    assert "replaced" in message
    assert [e for i, e in enumerate(out) if i != 1] == [e for i, e in enumerate(toc) if i != 1]
    dest, src, kind = out[1]
    assert (dest, kind) == ("PySide6/Qt/lib/libicudata.so.73", "BINARY")
    assert Path(src) == tmp_path / "work" / "icu-stub" / "libicudata.so.73" and Path(src).is_file()


def test_replace_icu_data_keeps_the_real_one_without_a_compiler_or_when_asked(bundle_config, tmp_path,
                                                                           monkeypatch):
    toc = _toc(tmp_path)
    monkeypatch.setattr(bundle_config, "c_compiler", lambda: None)
    monkeypatch.delenv(bundle_config.KEEP_ICU_ENV, raising=False)
    out, message = bundle_config.replace_icu_data(toc, tmp_path / "work")
    assert out == toc
    assert "kept" in message and ("compiler" in message or "Linux" in message)
    monkeypatch.setenv(bundle_config.KEEP_ICU_ENV, "1")
    out, message = bundle_config.replace_icu_data(toc, tmp_path / "work", compiler="/bin/false")
    assert out == toc and "kept" in message


@needs_linux_cc
def test_replace_icu_data_keeps_the_real_one_when_compiling_fails(bundle_config, tmp_path, monkeypatch):
    monkeypatch.delenv(bundle_config.KEEP_ICU_ENV, raising=False)
    toc = _toc(tmp_path)
    out, message = bundle_config.replace_icu_data(toc, tmp_path / "work", compiler="/bin/false")
    assert out == toc and "failed" in message


def test_text_probe_report_is_read_and_judged(build_script, tmp_path):
    ok, lines = build_script.read_text_probe(tmp_path)
    assert not ok and "no text probe report" in lines[0]
    report = {"checks": {"fonts found": {"ok": True, "value": "9 families"},
                         "label text renders": {"ok": False, "value": "0"}},
              "info": {"platform": "xcb"}}
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    ok, lines = build_script.read_text_probe(tmp_path)
    assert not ok
    assert "ok   fonts found: 9 families" in lines and "FAIL label text renders: 0" in lines
    report["checks"]["label text renders"]["ok"] = True
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    assert build_script.read_text_probe(tmp_path)[0]
    (tmp_path / "report.json").write_text(json.dumps({"error": "Traceback ...\nValueError: x"}), encoding="utf-8")
    ok, lines = build_script.read_text_probe(tmp_path)
    assert not ok and lines[-1] == "ValueError: x"


def _elf_with_load(offset, vaddr, align=0x1000):
    """A minimal little-endian ELF64 header with one PT_LOAD program header."""
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 32, 64)  # e_phoff
    struct.pack_into("<HH", header, 54, 56, 1)  # e_phentsize, e_phnum
    return bytes(header) + struct.pack("<IIQQQQQQ", 1, 4, offset, vaddr, vaddr, 16, 16, align)


def test_load_segment_alignment_check(bundle_config, tmp_path):
    good, bad = tmp_path / "good.so", tmp_path / "bad.so"
    good.write_bytes(_elf_with_load(0x1621000, 0x166B000))
    bad.write_bytes(_elf_with_load(0x1621098, 0x166B000))  # what strip made of NumPy's OpenBLAS
    assert bundle_config.load_segments_aligned(good)
    assert not bundle_config.load_segments_aligned(bad)
    (tmp_path / "text.so").write_bytes(b"not an ELF file at all" * 4)
    assert not bundle_config.load_segments_aligned(tmp_path / "text.so")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="stripping is done on Linux only")
def test_stripping_covers_qt_icu_code_libraries_with_aligned_result(bundle_config, tmp_path):
    import shutil

    import PySide6

    lib = next((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicuuc.so.*"), None)
    if lib is None or shutil.which("strip") is None:
        pytest.skip("no ICU library in this PySide6, or no strip tool")
    dest = f"PySide6/Qt/lib/{lib.name}"
    (out_dest, src, kind), = bundle_config.strip_python_binaries([(dest, str(lib), "BINARY")], tmp_path)
    assert (out_dest, kind) == (dest, "BINARY")
    assert Path(src) != lib and Path(src).stat().st_size < lib.stat().st_size
    assert bundle_config.load_segments_aligned(src)
    # The dynamic symbols other libraries link against are still there.
    assert f"ucnv_open_{lib.name.rsplit('.', 1)[-1]}".encode() in Path(src).read_bytes()
