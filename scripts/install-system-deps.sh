#!/usr/bin/env bash
# Installs the system libraries Qt needs on Debian/Ubuntu, only those missing: the desktop set (Qt's X11
# "xcb" platform plugin, so `emdesk` opens its window on a desktop) which includes the offscreen set the
# tests use. Run as root (or it prints the apt-get command to run). Elsewhere it does nothing and says so.
#
# The list comes from `ldd` on PySide6's Qt/plugins/platforms/libqxcb.so and Qt/lib/libQt6XcbQpa.so.6
# (PySide6 6.x, Debian 12); emdesk/gui/platform_check.py holds the same library -> package table, which the
# launcher uses to name a missing package instead of letting Qt abort (tests/test_launcher.py checks that
# both lists agree).
set -u
# library (soname)          Debian/Ubuntu package
LIBS=(
  "libxcb-icccm.so.4        libxcb-icccm4"
  "libxcb-keysyms.so.1      libxcb-keysyms1"
  "libxcb-cursor.so.0       libxcb-cursor0"
  "libxcb-image.so.0        libxcb-image0"
  "libxcb-render-util.so.0  libxcb-render-util0"
  "libxcb-util.so.1         libxcb-util1"
  "libxcb-randr.so.0        libxcb-randr0"
  "libxcb-shape.so.0        libxcb-shape0"
  "libxcb-shm.so.0          libxcb-shm0"
  "libxcb-sync.so.1         libxcb-sync1"
  "libxcb-xfixes.so.0       libxcb-xfixes0"
  "libxcb-render.so.0       libxcb-render0"
  "libxcb-xkb.so.1          libxcb-xkb1"
  "libxcb-xinerama.so.0     libxcb-xinerama0"
  "libxcb-xinput.so.0       libxcb-xinput0"
  "libxcb.so.1              libxcb1"
  "libX11-xcb.so.1          libx11-xcb1"
  "libX11.so.6              libx11-6"
  "libXau.so.6              libxau6"
  "libXdmcp.so.6            libxdmcp6"
  "libxkbcommon.so.0        libxkbcommon0"
  "libxkbcommon-x11.so.0    libxkbcommon-x11-0"
  "libGL.so.1               libgl1"
  "libEGL.so.1              libegl1"
  "libGLX.so.0              libglx0"
  "libOpenGL.so.0           libopengl0"
  "libGLdispatch.so.0       libglvnd0"
  "libfontconfig.so.1       libfontconfig1"
  "libfreetype.so.6         libfreetype6"
  "libdbus-1.so.3           libdbus-1-3"
  "libglib-2.0.so.0         libglib2.0-0"
  "libgthread-2.0.so.0      libglib2.0-0"
)
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: not a Debian/Ubuntu system (no apt-get); install your distribution's" \
       "packages for Qt 6's xcb platform plugin (xcb-util-cursor, xcb-util-wm, xcb-util-keysyms, ...)." >&2
  exit 0
fi
have_lib() { ldconfig -p 2>/dev/null | grep -q "[[:space:]]$1 "; }
need=()
for entry in "${LIBS[@]}"; do
  read -r lib pkg <<<"$entry"
  if ! have_lib "$lib"; then
    case " ${need[*]-} " in *" $pkg "*) ;; *) need+=("$pkg") ;; esac
  fi
done
fc-list 2>/dev/null | grep -q . || need+=(fonts-dejavu-core)
if [ ${#need[@]} -eq 0 ]; then
  echo "install-system-deps: Qt's system libraries are all installed (desktop and offscreen)."
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  echo "install-system-deps: installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  exit $?
fi
echo "install-system-deps: Qt needs these system packages; install them with:" >&2
echo "  sudo apt-get install -y ${need[*]}" >&2
exit 0
