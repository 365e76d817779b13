"""Render the emdesk application icon from its SVG master into PNG, ICO and ICNS files.

    python resources/make_icons.py

Reads ``resources/emdesk.svg`` and writes (all committed, so builds need not run this):

* ``resources/png/emdesk-<N>.png`` for N in 16, 24, 32, 48, 64, 128, 256, 512, 1024;
* ``resources/emdesk.ico`` (Windows; PNG-compressed entries 16..256, supported since Windows Vista);
* ``resources/emdesk.icns`` (macOS; PNG entries 16..1024 including the @2x variants);
* ``emdesk/gui/resources/icons/`` the window icon shipped inside the package (SVG, 32 and 256 px).

Rendering uses Qt's QSvgRenderer (QtSvg is part of PySide6-Essentials, already an emdesk
dependency); the ICO and ICNS containers are written here byte by byte, no other dependency.
Formats: ICO = ICONDIR + ICONDIRENTRY per image, PNG data allowed for every entry
(https://learn.microsoft.com/en-us/windows/win32/menurc/about-icons);
ICNS = 'icns' + big-endian length, then (OSType, length, PNG data) entries
(https://en.wikipedia.org/wiki/Apple_Icon_Image_format lists the OSTypes used below).
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MASTER = HERE / "emdesk.svg"
PNG_DIR = HERE / "png"
PACKAGE_ICONS = ROOT / "emdesk" / "gui" / "resources" / "icons"

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS OSType -> pixel size of its PNG.
ICNS_TYPES = (
    ("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256), ("ic09", 512),
    ("ic10", 1024),  # 512@2x
    ("ic11", 32),    # 16@2x
    ("ic12", 64),    # 32@2x
    ("ic13", 256),   # 128@2x
    ("ic14", 512),   # 256@2x
)
PACKAGE_PNG_SIZES = (32, 256)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def render_png(size: int) -> bytes:
    """The master SVG rendered at ``size`` x ``size`` pixels, as PNG bytes (transparent corners)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(MASTER))
    if not renderer.isValid():
        raise ValueError(f"{MASTER} is not a valid SVG file; fix the drawing and run again.")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError(f"Qt could not encode the {size} px icon as PNG.")
    buffer.close()
    return bytes(data)


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding the given PNG images (size -> PNG bytes)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, image count
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        png = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICNS file with one PNG entry per OSType of ``ICNS_TYPES``."""
    body = b"".join(
        ostype.encode("ascii") + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
        for ostype, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - needed by QImage/QPainter
    pngs = {size: render_png(size) for size in PNG_SIZES}
    for size, png in pngs.items():
        _write_atomic(PNG_DIR / f"emdesk-{size}.png", png)
    _write_atomic(HERE / "emdesk.ico", ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    _write_atomic(HERE / "emdesk.icns", icns_bytes(pngs))
    PACKAGE_ICONS.mkdir(parents=True, exist_ok=True)
    tmp = PACKAGE_ICONS / "emdesk.svg.tmp"
    shutil.copyfile(MASTER, tmp)
    os.replace(tmp, PACKAGE_ICONS / "emdesk.svg")
    for size in PACKAGE_PNG_SIZES:
        _write_atomic(PACKAGE_ICONS / f"emdesk-{size}.png", pngs[size])
    print(f"wrote {len(pngs)} PNGs, emdesk.ico, emdesk.icns and the package icons from {MASTER.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
