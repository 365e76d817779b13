#!/usr/bin/env bash
# Installs the few system libraries Qt needs to run offscreen, only when they are missing
# (Debian/Ubuntu, run as root). Anywhere else it does nothing and says so.
set -u
need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libEGL.so.1'        || need+=(libegl1)
have_lib 'libGL.so.1'         || need+=(libgl1)
have_lib 'libxkbcommon.so.0'  || need+=(libxkbcommon0)
have_lib 'libfontconfig.so.1' || need+=(libfontconfig1)
have_lib 'libdbus-1.so.3'     || need+=(libdbus-1-3)
fc-list 2>/dev/null | grep -q . || need+=(fonts-dejavu-core)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system libraries for Qt: ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "note: Qt may need these system packages: ${need[*]} (install them with your package manager)" >&2
fi
exit 0
