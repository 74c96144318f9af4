#!/usr/bin/env bash
# Installs the command-line tools Engram's checks use that the machine may lack:
#   - promtool (for `promtool check metrics`), which Debian ships only inside the `prometheus`
#     package. The package is installed for that binary alone: its service is kept from starting
#     (with or without systemd) and is never left running.
#   - chromium (Debian's package, at /usr/bin/chromium), which the console's browser tests drive
#     through playwright-core; no browser is ever downloaded.
# Idempotent; one line of output per step. Installing needs root.
set -euo pipefail

step() { printf '[setup-tools] %s\n' "$*"; }
die() { printf '[setup-tools] ERROR: %s\n' "$*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive

log=$(mktemp /tmp/engram-setup-tools.XXXXXX.log)
policy_rc=/usr/sbin/policy-rc.d
own_policy=
cleanup() {
  [ -z "$own_policy" ] || rm -f "$policy_rc"
  rm -f "$log"
}
trap cleanup EXIT

# Updates the package lists once, only when `package` has no install candidate yet.
ensure_candidate() {
  local policy
  policy=$(apt-cache policy "$1" 2>/dev/null || true)
  if [[ $policy != *"Candidate: "[0-9]* ]]; then
    apt-get update >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "apt-get update failed"; }
    step "apt: updated the package lists"
  fi
}

install_chromium() {
  if [ -x /usr/bin/chromium ]; then
    step "chromium: already installed ($(/usr/bin/chromium --version 2>/dev/null | head -n 1))"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "chromium is missing and installing it needs root (apt-get install chromium)"
  ensure_candidate chromium
  apt-get install -y chromium >"$log" 2>&1 \
    || { tail -n 40 "$log" >&2; die "apt-get install chromium failed"; }
  [ -x /usr/bin/chromium ] || die "chromium installed but /usr/bin/chromium is missing"
  step "chromium: installed from Debian's chromium package ($(/usr/bin/chromium --version 2>/dev/null | head -n 1))"
}
install_chromium

if command -v promtool >/dev/null; then
  step "promtool: already installed ($(promtool --version 2>&1 | head -n 1))"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "promtool is missing and installing it needs root (apt-get install prometheus)"

# Keep the package's maintainer scripts from starting the service: invoke-rc.d (sysvinit) and
# deb-systemd-invoke both obey policy-rc.d; exit 101 means "action forbidden".
if [ ! -e "$policy_rc" ]; then
  printf '#!/bin/sh\n# temporary, from Engram scripts/setup-tools.sh\nexit 101\n' >"$policy_rc"
  chmod 755 "$policy_rc"
  own_policy=1
fi

before=$(pgrep -x prometheus || true)
ensure_candidate prometheus
apt-get install -y --no-install-recommends prometheus >"$log" 2>&1 \
  || { tail -n 40 "$log" >&2; die "apt-get install prometheus failed"; }
command -v promtool >/dev/null || die "prometheus installed but no promtool on PATH"
step "promtool: installed from Debian's prometheus package ($(promtool --version 2>&1 | head -n 1))"

# The service itself is not wanted: stop and disable it wherever it could have been started.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemctl disable --now prometheus.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/prometheus ]; then
  update-rc.d prometheus disable >/dev/null 2>&1 || true   # no start at a sysvinit boot either
fi
for pid in $(pgrep -x prometheus || true); do
  grep -qx "$pid" <<<"$before" && continue   # was running before we started: not ours
  kill "$pid" 2>/dev/null || true
  step "prometheus: stopped the service the package started (pid $pid)"
done
step "prometheus: service not running (only promtool is used)"
