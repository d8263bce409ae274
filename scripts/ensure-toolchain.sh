#!/usr/bin/env bash
# Checks for the toolchains the build needs, and installs tauri-driver when asked and missing.
# Usage: scripts/ensure-toolchain.sh [tauri-driver] [windows]
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust is not installed: install it with rustup (https://rustup.rs) and run again." >&2
  exit 1
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  "$(dirname "$0")/ensure-system.sh" node 2>/dev/null || true
fi
if ! command -v node >/dev/null 2>&1; then
  echo "Node.js 20.19 or newer is needed for the UI build: install it and run again." >&2
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || {
  echo "Node.js $(node --version) is too old for the UI build: 20.19 or newer is needed." >&2
  exit 1
}

for tool in "$@"; do
  case "$tool" in
    tauri-driver)
      if ! command -v tauri-driver >/dev/null 2>&1; then
        echo "Installing tauri-driver (once)"
        cargo install tauri-driver --version '^2' --locked
      fi ;;
    windows)
      # The Windows target, to compile (clippy) the Windows code paths here; `ring` needs the
      # MinGW C compiler (apt) for it.
      if ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
        echo "Adding the x86_64-pc-windows-gnu target (once)"
        rustup target add x86_64-pc-windows-gnu
      fi
      "$(dirname "$0")/ensure-system.sh" windows ;;
    *) echo "ensure-toolchain: unknown tool '$tool'" >&2; exit 2 ;;
  esac
done
