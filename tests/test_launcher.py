"""The launcher's check before Qt starts (issue 15): a missing system library is named with its Debian
package and the command that installs it, instead of Qt's abort (exit 134)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emdesk.gui import app as app_module
from emdesk.gui import platform_check as pc

ROOT = Path(__file__).resolve().parents[1]

# ldd's output on Debian 12 with libxcb-icccm4 and libxcb-keysyms1 not installed (the machine),
# shortened; the plugin lists libQt6XcbQpa's dependencies too, so a library appears twice.
LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007f6d6265c000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f6d6258e000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f6d6252b000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f6d62523000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-randr.so.0 => /lib/x86_64-linux-gnu/libxcb-randr.so.0 (0x00007f6d61962000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f6d6265e000)
"""

LDD_COMPLETE = "\n".join(line for line in LDD_MISSING.splitlines() if "not found" not in line)


def test_missing_libraries_are_read_from_ldd_once_each_in_order():
    assert pc.missing_libraries(LDD_MISSING) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert pc.missing_libraries(LDD_COMPLETE) == []


def test_packages_for_maps_sonames_to_debian_packages():
    packages, unknown = pc.packages_for(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0",
                                         "libglib-2.0.so.0", "libgthread-2.0.so.0", "libweird.so.9"])
    assert packages == ["libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "libglib2.0-0"]
    assert unknown == ["libweird.so.9"]


def test_message_names_the_packages_and_the_exact_command():
    message = pc.missing_message(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"], debian=True, root=False)
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in message
    assert "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1" in message
    assert "scripts/install-system-deps.sh" in message
    as_root = pc.missing_message(["libxcb-icccm.so.4"], debian=True, root=True)
    assert "\n  apt-get install -y libxcb-icccm4" in as_root and "sudo" not in as_root
    other = pc.missing_message(["libxcb-icccm.so.4"], debian=False)
    assert "apt-get" not in other and "libxcb-icccm4" in other


@pytest.mark.parametrize("environ, platform, expected", [
    ({"DISPLAY": ":0"}, "linux", True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland"}, "linux", False),
    ({}, "linux", False),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, "linux", False),
    ({"DISPLAY": ":0"}, "darwin", False),
    ({"DISPLAY": ":0"}, "win32", False),
])
def test_platform_will_be_xcb(environ, platform, expected):
    assert pc.platform_will_be_xcb(environ, platform) is expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin exists on Linux only")
def test_check_xcb_with_a_fake_ldd():
    assert pc.xcb_plugin_path() is not None and pc.xcb_plugin_path().endswith("libqxcb.so")
    seen = []

    def fake_ldd(path):
        seen.append(path)
        return LDD_MISSING

    message = pc.check_xcb({"DISPLAY": ":0"}, ldd=fake_ldd)
    assert seen == [pc.xcb_plugin_path()]
    assert "apt-get install -y libxcb-icccm4 libxcb-keysyms1" in message
    assert pc.check_xcb({"DISPLAY": ":0"}, ldd=lambda path: LDD_COMPLETE) is None
    assert pc.check_xcb({"DISPLAY": ":0"}, ldd=lambda path: None) is None  # no ldd: Qt decides
    assert pc.check_xcb({"QT_QPA_PLATFORM": "offscreen"}, ldd=fake_ldd) is None
    assert len(seen) == 1  # not probed when the platform is not xcb


def test_no_display_is_said_before_qt_aborts():
    message = pc.no_display_message({}, "linux")
    assert "no display" in message and "--smoke-test" in message
    assert pc.no_display_message({"DISPLAY": ":0"}, "linux") is None
    assert pc.no_display_message({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert pc.no_display_message({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert pc.no_display_message({}, "darwin") is None


def test_main_exits_with_the_message_before_any_qapplication(monkeypatch, capsys):
    from emdesk.gui import platform_check

    monkeypatch.setattr(platform_check, "check_xcb", lambda: pc.missing_message(["libxcb-icccm.so.4"]))
    monkeypatch.setattr(platform_check, "no_display_message", lambda: None)

    def no_qt(*args, **kwargs):
        raise AssertionError("a QApplication was made although the platform plugin cannot load")

    monkeypatch.setattr(app_module, "make_application", no_qt)
    monkeypatch.setattr(app_module, "smoke_test", no_qt)
    assert app_module.main([]) == app_module.EXIT_MISSING_LIBRARIES
    assert app_module.main(["--smoke-test"]) == app_module.EXIT_MISSING_LIBRARIES
    err = capsys.readouterr().err
    assert "apt-get install -y libxcb-icccm4" in err
    monkeypatch.setattr(platform_check, "check_xcb", lambda: None)
    monkeypatch.setattr(platform_check, "no_display_message", lambda: "no display")
    assert app_module.main([]) == app_module.EXIT_MISSING_LIBRARIES
    assert "no display" in capsys.readouterr().err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY/WAYLAND_DISPLAY are Linux's")
def test_without_a_display_the_launcher_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "emdesk"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == app_module.EXIT_MISSING_LIBRARIES
    assert "there is no display" in done.stderr


def test_install_script_installs_every_package_the_launcher_can_name():
    script = (ROOT / "scripts" / "install-system-deps.sh").read_text()
    pairs = dict(re.findall(r'^\s*"(\S+\.so\.\d+)\s+(\S+)"\s*$', script, flags=re.M))
    assert pairs == pc.DEBIAN_PACKAGES
    for package in ("libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "libxkbcommon-x11-0", "libegl1"):
        assert package in pairs.values()


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (apt-get install xvfb)")
def test_under_a_real_x_server_the_app_starts_or_names_what_is_missing(tmp_path):
    """Under Xvfb (a real X server): either the smoke test passes, or, when a library the xcb plugin needs
    is missing, the launcher exits 3 naming the package; never Qt's abort."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["HOME"] = str(tmp_path)  # no user settings touched
    done = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", sys.executable, "-m", "emdesk",
                           "--smoke-test"], capture_output=True, text=True, env=env, timeout=300)
    missing = pc.check_xcb({"DISPLAY": ":99"})
    if missing is None:
        assert done.returncode == 0, done.stderr
        assert "smoke test passed" in done.stdout
    else:
        assert done.returncode == app_module.EXIT_MISSING_LIBRARIES, done.stderr
        assert "apt-get install -y" in done.stderr
