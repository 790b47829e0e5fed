#!/usr/bin/env bash
# The test suite drives Debian's chromium (browser example), runs the shell example with curl, jq and python3,
# and starts Debian's redis-server and postgresql for the Redis and PostgreSQL stores (postgresql's binaries live
# in /usr/lib/postgresql/<version>/bin, off the PATH), and loads `aac completion` scripts in zsh and fish; aac doctor's
# check of a creds.json tracked by git runs git. Packing a workspace package takes a lock with flock (util-linux).
# Install whichever is missing when we can (root with apt-get, as on CI and these dev machines);
# otherwise say exactly what to install, and fail: a missing tool must never turn into a skipped test.
set -euo pipefail
need=()
for tool in chromium curl jq python3 redis-server zsh fish git; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
# The keychain store's tests run GNOME Keyring on a private D-Bus session bus, and look at it with secret-tool.
{ command -v dbus-daemon && command -v dbus-send; } >/dev/null 2>&1 || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
command -v secret-tool >/dev/null 2>&1 || need+=(libsecret-tools)
command -v flock >/dev/null 2>&1 || need+=(util-linux)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${need[*]} for the tests (Debian packages)…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  exit 0
fi
echo "The tests need ${need[*]}: install them (Debian/Ubuntu: sudo apt-get install -y ${need[*]}) and run again." >&2
exit 1
