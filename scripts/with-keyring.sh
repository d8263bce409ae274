#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring, so tests use a
# real Secret Service (the OS keyring on Linux) without touching the user's own.
set -euo pipefail
if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  echo "with-keyring: dbus-run-session and gnome-keyring-daemon are needed (apt: dbus, gnome-keyring)" >&2
  exit 1
fi
exec dbus-run-session -- bash -c '
  set -euo pipefail
  # A throwaway keyring in a throwaway home: nothing of the user is read or written.
  export XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
  echo -n confab-test | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
  exec "$@"
' with-keyring "$@"
