#!/usr/bin/env bash
# Installs a Confab .deb and starts the installed app under Xvfb until its window shows; then
# removes the package again. Usage: scripts/test-package.sh PATH.deb
# It installs into this machine's root: run it on a throwaway machine (CI) or say yes.
set -euo pipefail

deb="${1:?usage: scripts/test-package.sh PATH.deb}"
[ -f "$deb" ] || { echo "test-package: no such file: $deb" >&2; exit 1; }
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
if [ "${CI:-}" != "true" ] && [ -t 0 ]; then
  read -r -p "Install $(basename "$deb") on this machine to test it? [y/N] " answer
  [ "$answer" = y ] || exit 0
fi

echo "== the package's metadata"
dpkg-deb --field "$deb" Package Version Depends Recommends Section Description | sed 's/^/   /'
dpkg-deb --contents "$deb" | grep -E 'usr/bin/confab$|\.desktop$|hicolor/128x128/apps' >/dev/null \
  || { echo "test-package: the binary, the .desktop file or the icons are missing" >&2; exit 1; }

echo "== installing (dependencies from apt)"
"${sudo[@]}" apt-get install -y -q --no-install-recommends "$(realpath "$deb")" >/dev/null
trap '"${sudo[@]}" apt-get remove -y -q confab >/dev/null 2>&1 || true' EXIT
command -v confab >/dev/null || { echo "test-package: confab is not on PATH after installing" >&2; exit 1; }
grep -q '^Exec=confab' /usr/share/applications/Confab.desktop \
  || { echo "test-package: the desktop entry does not start confab" >&2; exit 1; }

echo "== starting the installed app under Xvfb"
data="$(mktemp -d)"
xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" bash -c '
  dbus-run-session -- bash -c "
    confab --demo --data-dir \"$0\" >\"$0/app.log\" 2>&1 &
    app=\$!
    for _ in \$(seq 1 150); do
      if xwininfo -root -tree 2>/dev/null | grep -q \"\\\"Confab\"; then
        echo \"   the window shows: \$(xwininfo -root -tree | grep -o \"\\\"Confab[^\\\"]*\\\"\" | head -1)\"
        kill \$app; wait \$app 2>/dev/null || true
        exit 0
      fi
      if ! kill -0 \$app 2>/dev/null; then echo \"test-package: the app exited\" >&2; cat \"$0/app.log\" >&2; exit 1; fi
      sleep 0.2
    done
    echo \"test-package: no window within 30 s\" >&2; cat \"$0/app.log\" >&2; kill \$app; exit 1
  " "$0"
' "$data"
rm -rf "$data"
echo "== ok"
