#!/usr/bin/env bash
# ops:systemd_unit — ops/systemd/spillway.service passes `systemd-analyze verify`, keeps its hardening, and
# stops slower than spillway's own Kafka shutdown.
#   usage: systemd_unit_test.sh <source dir> <spillway binary>
#
# verify needs the ExecStart= binary to exist, and /usr/bin/spillway exists only once the package is
# installed (tests/ops/package_test.sh verifies the installed unit as it is). Here the unit is checked with
# its /usr/bin/spillway paths pointed at the freshly built binary; nothing else changes. verify works without
# a running systemd (this runs in containers): it loads the unit into an offline manager. --man=no: the
# unit's Documentation= is not a man page, and containers often have no man at all. verify exits 0 on
# unknown keys and unparsable values (it only prints them), so any output at all is a failure here.
set -euo pipefail
source_dir=$1
binary=$2
unit="$source_dir/ops/systemd/spillway.service"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (apt-get install systemd)"
sed "s#/usr/bin/spillway#$binary#g" "$unit" > "$work/spillway.service"

# 1. verify, on the unit and on a control copy with a mistake planted (which must be reported).
if ! systemd-analyze verify --man=no "$work/spillway.service" > "$work/verify.log" 2>&1 || [ -s "$work/verify.log" ]; then
  cat "$work/verify.log" >&2
  fail "systemd-analyze verify reports problems in $unit"
fi
mkdir "$work/control"
sed 's/^RestartPreventExitStatus=2 3$/RestartPreventExitStatus=two three/' "$work/spillway.service" > "$work/control/spillway.service"
systemd-analyze verify --man=no "$work/control/spillway.service" > "$work/control.log" 2>&1 || true
grep -q "RestartPreventExitStatus\|Failed to parse" "$work/control.log" \
  || fail "control: verify did not report a planted bad value, so its silence proves nothing"
echo "ok: systemd-analyze verify is silent on the unit and reports a planted mistake"

# 2. The directives issue 11 asks for, each exactly.
require() { grep -qxF "$1" "$unit" || fail "$unit has no line '$1'"; }
require "ExecStartPre=/usr/bin/spillway config check /etc/spillway/spillway.toml"
require "ExecStart=/usr/bin/spillway run --config /etc/spillway/spillway.toml"
require "Restart=on-failure"
require "RestartPreventExitStatus=2 3"
require "ProtectSystem=strict"
require "ReadWritePaths=/var/lib/spillway"
require "NoNewPrivileges=yes"
require "PrivateTmp=yes"
require "CapabilityBoundingSet="
# Allowed back after @resources is denied: without it the threads behind a buffer stay at the reader's priority.
require "SystemCallFilter=setpriority"
require "User=spillway"
require "LoadCredential=x_bearer_token:/etc/spillway/x_bearer_token"
require "Environment=SPILLWAY_AUTH__BEARER_TOKEN_FILE=%d/x_bearer_token"
# The variable must be the real override of auth.bearer_token_file.
"$binary" config options > "$work/options.txt"
grep -qF "Environment: SPILLWAY_AUTH__BEARER_TOKEN_FILE" "$work/options.txt" \
  || fail "spillway config options does not list SPILLWAY_AUTH__BEARER_TOKEN_FILE"
echo "ok: hardening, restart policy and credential lines present"

# 3. systemd's own exposure score (0 safest .. 10): 2.0 or lower, so hardening cannot quietly erode.
systemd-analyze security --offline=yes --no-pager --threshold=20 "$work/spillway.service" > "$work/security.log" 2>&1 \
  || { tail -40 "$work/security.log" >&2; fail "systemd-analyze security: exposure above 2.0"; }
grep "Overall exposure level" "$work/security.log"

# 4. TimeoutStopSec above the default sinks.kafka.shutdown_timeout (what spillway waits for delivery reports).
to_seconds() {  # "30s", "2min", "1m", "1500ms", "10" -> whole seconds (rounded up)
  local v=$1
  case "$v" in
    *ms) echo $(( (${v%ms} + 999) / 1000 )) ;;
    *min) echo $(( ${v%min} * 60 )) ;;
    *m) echo $(( ${v%m} * 60 )) ;;
    *h) echo $(( ${v%h} * 3600 )) ;;
    *s) echo "${v%s}" ;;
    *) echo "$v" ;;
  esac
}
stop=$(sed -n 's/^TimeoutStopSec=//p' "$unit")
[ -n "$stop" ] || fail "$unit sets no TimeoutStopSec="
: > "$work/empty.toml"
"$binary" config check "$work/empty.toml" > "$work/check.txt"
shutdown=$(sed -n 's/^shutdown_timeout = "\(.*\)"$/\1/p' "$work/check.txt")
[ -n "$shutdown" ] || fail "could not read the default sinks.kafka.shutdown_timeout from spillway config check"
[ "$(to_seconds "$stop")" -gt "$(to_seconds "$shutdown")" ] \
  || fail "TimeoutStopSec=$stop is not above the default sinks.kafka.shutdown_timeout ($shutdown)"
echo "ok: TimeoutStopSec=$stop > default sinks.kafka.shutdown_timeout $shutdown"
