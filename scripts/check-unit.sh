#!/usr/bin/env bash
# Checks systemd/postsync.service the way CI does: `systemd-analyze verify` (syntax, and that
# the ExecStart= binary exists) and `systemd-analyze security --offline=yes`, which fails when
# the exposure score is above the threshold. No running systemd is needed.
#
#   scripts/check-unit.sh [BINARY]      # BINARY replaces ExecStart='s binary (default /bin/true:
#                                       # verify only checks that it exists)
#
# POSTSYNC_EXPOSURE_MAX (default 1.5) is the highest acceptable exposure score.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    -h | --help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac
binary=${1:-/bin/true}
case "$binary" in
    /*) ;;
    *) binary="$PWD/$binary" ;;
esac
max=${POSTSYNC_EXPOSURE_MAX:-1.5}

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "check-unit: systemd-analyze is missing (Debian: apt-get install systemd)" >&2
    exit 1
fi

work=$(mktemp -d /tmp/postsync-unit.XXXXXX)
trap 'rm -rf "$work"' EXIT
unit="$work/postsync.service"
sed "s#^ExecStart=/usr/local/bin/postsync #ExecStart=$binary #" systemd/postsync.service >"$unit"

# verify prints problems (unknown keys, bad values, a missing binary) but may still exit 0 for
# some of them, so any output counts as a failure.
out=$(cd "$work" && systemd-analyze verify --man=no ./postsync.service 2>&1) || {
    printf '%s\n' "$out" >&2
    echo "check-unit: systemd-analyze verify failed" >&2
    exit 1
}
if [ -n "$out" ]; then
    printf '%s\n' "$out" >&2
    echo "check-unit: systemd-analyze verify reported problems" >&2
    exit 1
fi
echo "check-unit: systemd-analyze verify: ok"

# --threshold= counts tenths of the 0.0-10.0 score (its default, 100, is 10.0).
threshold=$(awk -v m="$max" 'BEGIN { printf "%d", m * 10 + 0.5 }')
report=$(cd "$work" && systemd-analyze security --offline=yes --threshold="$threshold" ./postsync.service 2>&1) && ok=1 || ok=0
printf '%s\n' "$report" | grep -E '^✗|Overall exposure' || true
if [ "$ok" -ne 1 ]; then
    echo "check-unit: exposure is above $max" >&2
    exit 1
fi
echo "check-unit: exposure within $max"
