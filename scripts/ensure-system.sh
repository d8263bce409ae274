#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages a make target needs, only those missing.
# Usage: scripts/ensure-system.sh GROUP...   (groups: build, ui, keyring, e2e, bench, node, windows, wine)
set -euo pipefail

packages=()
for group in "$@"; do
  case "$group" in
    build) packages+=(pkg-config build-essential curl file libwebkit2gtk-4.1-dev libssl-dev libxdo-dev
                      libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev) ;;
    windows) packages+=(gcc-mingw-w64-x86-64) ;;
    wine)  packages+=(wine wine64) ;;
    e2e)   packages+=(webkit2gtk-driver xvfb xauth x11-utils dbus dbus-x11 gnome-keyring at-spi2-core python3-pyatspi fonts-noto-color-emoji libfaketime) ;;
    keyring) packages+=(dbus gnome-keyring) ;;
    ui)    packages+=(chromium) ;;
    bench) packages+=(wrk python3 curl xdotool telegram-desktop nheko) ;;
    node)  packages+=(nodejs npm) ;;
    *) echo "ensure-system: unknown group '$group'" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "This system has no apt-get. Install these packages (or your system's equivalents) and run again:" >&2
  echo "  ${missing[*]}" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "Installing ${missing[*]} needs root, and sudo is not available." >&2; exit 1
  fi
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
