#!/usr/bin/env bash
# The package test CI runs: builds the .deb from an already built release binary
# (scripts/package.sh --binary), unpacks it into a scratch root with `dpkg-deb -x`, checks the
# files and the maintainer scripts' syntax, runs the installed binary's --version and
# `serve --once` against `postsync simulate` (accounts imported with `postsync dev-import`), and
# runs `systemd-analyze verify` and the exposure check on the installed unit. Every process it
# starts is stopped at exit; the work directory is removed unless a check failed or --keep.
#
#   scripts/package-test.sh [--bin PATH] [--keep]
#
#   --bin PATH   the release binary (default $POSTSYNC_BIN, else the one at
#                `swift build -c release --static-swift-stdlib --show-bin-path`); it is not built
#   --keep       keep the work directory
set -euo pipefail
name=package-test
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${POSTSYNC_BIN:-}"
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin="${2:?--bin needs a value}"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "$name: unknown argument: $1" >&2; exit 2 ;;
    esac
done
if [ -z "$bin" ]; then
    bin="$(cd "$root" && swift build -c release --static-swift-stdlib --show-bin-path)/postsync"
fi
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac

sim_pid=""
cleanup_pids="sim_pid"
source "$root/scripts/lib/harness.sh"
# The harness' helpers run $bin: first the build's binary (to package), then the installed one.
require_prerequisites
for tool in dpkg-deb systemd-analyze sqlite3 readelf; do
    command -v "$tool" >/dev/null || { echo "$name: $tool is required" >&2; exit 2; }
done
make_work_dir

check() { # check DESCRIPTION COMMAND...: runs COMMAND, fails the test with DESCRIPTION.
    local what=$1
    shift
    if "$@"; then log "ok: $what"; else log "FAILED: $what"; exit 1; fi
}

log "packaging $bin"
"$root/scripts/package.sh" --binary "$bin" --output "$work/out" >"$work/package.log" 2>&1 \
    || { log "scripts/package.sh failed:"; cat "$work/package.log" >&2; exit 1; }
grep -E '^package: (binary|dynamically|built|lintian)' "$work/package.log" >&2
deb=$(tail -n 1 "$work/package.log")
check "the package is named postsync_<version>_<arch>.deb" \
    test "$(basename "$deb")" = "postsync_$("$bin" --version)_$(dpkg --print-architecture).deb"

scratch="$work/root"
dpkg-deb -x "$deb" "$scratch"
dpkg-deb -e "$deb" "$work/DEBIAN"
for file in usr/bin/postsync usr/lib/systemd/system/postsync.service etc/postsync/postsync.yaml \
    usr/share/bash-completion/completions/postsync usr/share/zsh/vendor-completions/_postsync \
    usr/share/man/man1/postsync.1.gz usr/share/doc/postsync/copyright usr/share/doc/postsync/changelog.gz; do
    [ -s "$scratch/$file" ] || { log "FAILED: $file is missing from the package"; exit 1; }
done
log "ok: binary, unit, config, completions, man page, copyright and changelog are in the package"
check "the config is a conffile" grep -qx /etc/postsync/postsync.yaml "$work/DEBIAN/conffiles"
check "the config is 0640" test "$(stat -c %a "$scratch/etc/postsync/postsync.yaml")" = 640
for script in postinst prerm postrm; do sh -n "$work/DEBIAN/$script" || { log "FAILED: $script does not parse"; exit 1; }; done
check "the installed binary is stripped" sh -c "! readelf -S '$scratch/usr/bin/postsync' | grep -q '\.symtab'"
check "no Swift runtime library is linked dynamically" sh -c "! ldd '$scratch/usr/bin/postsync' | grep -q libswift"

# From here on the helpers run the installed binary.
bin="$scratch/usr/bin/postsync"
version=$("$bin" --version)
check "the installed binary's --version ($version)" test -n "$version"

accounts=4
start_simulator 100 --accounts "$accounts" --posts 10
write_config </dev/null
import_accounts
rc=0
"$bin" serve --once --config "$work/postsync.yaml" --state-dir "$state" --log-level notice >"$work/serve.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { log "FAILED: serve --once exited $rc:"; cat "$work/serve.log" >&2; exit 1; }
runs=$(grep -c '"status":"success"' "$state/synclog.jsonl" || true)
posts=$(sqlite3 "$state/postsync.sqlite" 'SELECT count(*) FROM posts')
check "serve --once: $runs of $accounts runs succeeded, $posts posts stored" test "$runs" -eq "$accounts" -a "$posts" -eq 40
stop_pid "$sim_pid"
sim_pid=""

# The installed unit, as installed, with ExecStart= pointed into the scratch root (verify checks
# that the binary exists); verify prints problems but may still exit 0, so output is a failure.
installed="$scratch/usr/lib/systemd/system/postsync.service"
check "the installed unit runs /usr/bin/postsync" grep -q '^ExecStart=/usr/bin/postsync serve ' "$installed"
mkdir "$work/unit"
sed "s#^ExecStart=/usr/bin/postsync #ExecStart=$bin #" "$installed" >"$work/unit/postsync.service"
out=$(cd "$work/unit" && systemd-analyze verify --man=no ./postsync.service 2>&1) || { printf '%s\n' "$out" >&2; out="${out:-failed}"; }
[ -z "$out" ] || { printf '%s\n' "$out" >&2; log "FAILED: systemd-analyze verify of the installed unit"; exit 1; }
log "ok: systemd-analyze verify of the installed unit"
report=$(cd "$work/unit" && systemd-analyze security --offline=yes --threshold=15 ./postsync.service 2>&1) \
    || { printf '%s\n' "$report" >&2; log "FAILED: exposure of the installed unit above 1.5"; exit 1; }
log "ok: $(printf '%s\n' "$report" | grep 'Overall exposure' | sed 's/^→ //')"

failed=0
log "passed"
