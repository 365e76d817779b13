"""PyInstaller runtime hook: check text and locale handling inside the built app, for ``build.py``.

Inactive unless the environment variable ``EMDESK_TEXT_PROBE`` names a folder (``build.py`` sets it
when it runs the bundle's smoke test), so the shipped app behaves exactly as without it.

When active, the hook watches the first main window. When the window closes (the smoke test closes
it after fitting and exporting), while it still shows its data, the hook

* saves a screenshot of it, ``window.png``, in that folder;
* renders a label into an image and counts the pixels the glyphs changed (text really renders);
* calls the Qt functions that use ICU or might: QCollator, QLocale's case mapping and number and date
  formats, QTimeZone, QStringDecoder, QUrl's IDN conversion;
* writes ``report.json`` there: ``checks`` (name -> {"ok": bool, "value": str}) that must pass in
  any build, and ``info`` (name -> str): results that differ with the empty ICU data, recorded so
  the difference is measured rather than assumed, plus which ICU data library was loaded.

A failure of the probe itself is written to the report (``error``), never raised into the app.
"""

import os

if os.environ.get("EMDESK_TEXT_PROBE"):

    def _install_text_probe():
        import json
        import traceback

        from PySide6 import QtCore, QtGui, QtWidgets

        out_dir = os.environ["EMDESK_TEXT_PROBE"]
        state = {"done": False, "filter": None}

        def loaded_icu_data():
            try:
                with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
                    paths = {line.split()[-1] for line in maps if "libicudata" in line}
            except OSError:
                return "unknown (no /proc/self/maps)"
            return "; ".join(f"{p} ({os.path.getsize(p)} bytes)" for p in sorted(paths) if os.path.exists(p)) \
                or "not loaded"

        def glyph_pixels(text):
            label = QtWidgets.QLabel(text)
            label.setStyleSheet("background: white; color: black;")
            label.adjustSize()
            image = QtGui.QImage(label.size(), QtGui.QImage.Format.Format_RGB32)
            image.fill(QtGui.QColor("white"))
            label.render(image)
            white = QtGui.QColor("white").rgb()
            return sum(1 for y in range(image.height()) for x in range(image.width())
                       if image.pixel(x, y) != white)

        def decode(data, encoding):
            buffer = QtCore.QByteArray(data)  # kept alive while the stream reads it
            stream = QtCore.QTextStream(buffer)
            stream.setEncoding(encoding)
            text = stream.readAll()
            del stream
            return text

        def run(window):
            checks, info = {}, {}

            def check(name, ok, value):
                checks[name] = {"ok": bool(ok), "value": str(value)}

            pixmap = window.grab()
            shot = os.path.join(out_dir, "window.png")
            saved = pixmap.save(shot, "PNG")
            image = pixmap.toImage()
            colours = {image.pixel(x, y) for y in range(0, image.height(), 4) for x in range(0, image.width(), 4)}
            check("window screenshot saved, not blank", saved and len(colours) > 10,
                  f"{pixmap.width()}x{pixmap.height()}, {len(colours)} colours sampled")
            texts = sorted({w.text() for w in window.findChildren(QtWidgets.QLabel)
                            if w.isVisible() and w.text().strip()})
            buttons = sorted({w.text() for w in window.findChildren(QtWidgets.QAbstractButton)
                              if w.isVisible() and w.text().strip()})
            check("window has visible labels and buttons", texts and buttons,
                  f"{len(texts)} labels, {len(buttons)} buttons, e.g. {(texts + buttons)[:8]}")
            families = QtGui.QFontDatabase.families()
            check("fonts found", families, f"{len(families)} families, default {QtGui.QFont().family()!r}")
            pixels = glyph_pixels("emdesk 0123 Gaussian mixture \u00e4\u00df\u00e9")
            check("label text renders (glyph pixels)", pixels > 100, pixels)

            german = QtCore.QLocale("de_DE")
            value = german.toString(1234.5, "f", 2)
            check("QLocale number format (de_DE)", value == "1.234,50", value)
            value = german.toString(QtCore.QDate(2024, 3, 5), QtCore.QLocale.FormatType.LongFormat)
            check("QLocale date format (de_DE)", "2024" in value and "M\u00e4rz" in value, value)
            value = QtCore.QLocale("tr_TR").toUpper("istanbul")
            check("QLocale case mapping (tr_TR)", value == "\u0130STANBUL", value)
            value = bytes(QtCore.QUrl.toAce("b\u00fccher.de")).decode("ascii")
            check("QUrl IDN (toAce)", value == "xn--bcher-kva.de", value)
            # Qt's own codecs (UTF-8/16/32, Latin-1) do not use ICU.
            value = decode("\u00e9t\u00e9".encode("utf-8"), QtCore.QStringConverter.Encoding.Utf8)
            check("Qt decodes UTF-8", value == "\u00e9t\u00e9", value)
            value = decode(b"\xe9", QtCore.QStringConverter.Encoding.Latin1)
            check("Qt decodes Latin-1", value == "\u00e9", value)
            collator = QtCore.QCollator(german)
            order = sorted(["b", "a", "\u00e4", "z", "B"], key=lambda s: _Key(collator, s))
            check("QCollator compares (no crash)", collator.compare("a", "b") < 0, order)
            zone = QtCore.QTimeZone(b"Europe/Berlin")
            offset = zone.offsetFromUtc(QtCore.QDateTime(QtCore.QDate(2024, 1, 15), QtCore.QTime(12, 0)))
            check("QTimeZone offset (Europe/Berlin, January)", zone.isValid() and offset == 3600, offset)

            info["QCollator order of b a \u00e4 z B (de_DE)"] = " ".join(order)
            info["QCollator sort keys differ (abc, abd)"] = str(
                collator.sortKey("abc").compare(collator.sortKey("abd")) != 0)
            info["QTimeZone display name (Europe/Berlin, de_DE)"] = repr(zone.displayName(
                QtCore.QTimeZone.TimeType.StandardTime, QtCore.QTimeZone.NameType.LongName, german))
            info["QStringDecoder Shift_JIS available"] = str(QtCore.QStringDecoder("Shift_JIS").isValid())
            info["QStringDecoder ISO-8859-15 available"] = str(QtCore.QStringDecoder("ISO-8859-15").isValid())
            info["QStringConverter.availableCodecs count"] = str(len(QtCore.QStringConverter.availableCodecs()))
            info["ICU data library loaded"] = loaded_icu_data()
            info["platform"] = QtGui.QGuiApplication.platformName()
            return {"checks": checks, "info": info}

        class _Key:
            """Sort key from QCollator.compare (its sortKey is empty without ICU data)."""

            def __init__(self, collator, text):
                self.collator, self.text = collator, text

            def __lt__(self, other):
                return self.collator.compare(self.text, other.text) < 0

        def write(report):
            os.makedirs(out_dir, exist_ok=True)
            path = os.path.join(out_dir, "report.json")
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=1, ensure_ascii=False)
            os.replace(tmp, path)

        class _OnClose(QtCore.QObject):
            def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
                if (not state["done"] and event.type() == QtCore.QEvent.Type.Close
                        and isinstance(obj, QtWidgets.QMainWindow)):
                    state["done"] = True
                    try:
                        os.makedirs(out_dir, exist_ok=True)
                        report = run(obj)
                    except Exception:  # noqa: BLE001 - the probe reports, never breaks the app
                        report = {"error": traceback.format_exc()}
                    write(report)
                return False

        original_show = QtWidgets.QWidget.show

        def show(self):
            original_show(self)
            app = QtWidgets.QApplication.instance()
            if state["filter"] is None and app is not None and isinstance(self, QtWidgets.QMainWindow):
                state["filter"] = _OnClose(app)
                app.installEventFilter(state["filter"])

        QtWidgets.QWidget.show = show

    _install_text_probe()
    del _install_text_probe
