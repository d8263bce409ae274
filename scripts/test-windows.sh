#!/usr/bin/env bash
# The Windows build of the core, server, CLI and shell test suites, run under Wine: the same
# tests as on Linux (those of Linux things are compiled out), with keys in Windows' Credential
# Manager.
# Usage: scripts/test-windows.sh [TEST FILTER...]   (after `make test-windows`'s set-up)
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-pc-windows-gnu
cargo=${CARGO:-cargo}
dir="target/$target/debug"

# The test binaries, as cargo lists them: the core's, the server's and the CLI's, and the
# shell's own (the commands through Tauri's mock runtime, the badge's pixels, the updater).
list() {
  "$cargo" test --locked --no-run --target "$target" --message-format=json "$@" 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("profile", {}).get("test") and message.get("executable"):
        print(message["executable"])'
}
mapfile -t binaries < <(list -p confab-core -p confab-server -p confab-cli; list -p confab --lib)
[ ${#binaries[@]} -gt 0 ] || { echo "test-windows: no test binaries were built" >&2; exit 1; }

# Wine 8.0 lacks ProcessPrng, which Rust's standard library imports: a stand-in sits beside
# every executable (the suites' and the binaries they start).
for at in "$dir" "$dir/deps"; do
  x86_64-w64-mingw32-gcc -O2 -shared -o "$at/bcryptprimitives.dll" scripts/windows/bcryptprimitives.c -ladvapi32
done
# The shell links WebView2's loader, which its crate ships; the mock runtime never asks it for
# a web view (there is no WebView2 runtime here), but the binary does not start without it.
loader=$(ls -t "$dir"/build/webview2-com-sys-*/out/x64/WebView2Loader.dll | head -n 1)
cp "$loader" "$dir/deps/"

# A Wine prefix of the project's own, made once.
export WINEPREFIX="$PWD/target/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "test-windows: making the Wine prefix (once)"
  wineboot --init >/dev/null 2>&1 || true
  wineserver --wait || true
fi

# The decoders' mutation test is the same code on every platform and runs its full 100,000
# cases on Linux; here a tenth keeps the run short (a debug build under Wine is slow).
export CONFAB_MUTATION_CASES="${CONFAB_MUTATION_CASES:-10000}"

failed=0
for binary in "${binaries[@]}"; do
  echo "== $(basename "$binary") (Windows, under Wine)"
  # One test at a time: the keyring and the servers' ports are shared, as on Linux.
  if ! wine "$binary" --test-threads=1 "$@"; then
    failed=1
  fi
done
wineserver --kill >/dev/null 2>&1 || true
exit $failed
