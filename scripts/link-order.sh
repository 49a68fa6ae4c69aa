#!/usr/bin/env bash
# Writes scripts/link-order.txt: the functions `postsync serve` runs, hottest first, which the
# release link places side by side (lld's --symbol-ordering-file; Package.swift, releaseLinking).
#
# Why: the kernel maps 64 KB around each code page a process touches, and the functions the
# daemon runs were spread through 32 MB of machine code, so 21 MB of it was resident in every
# daemon. Laid out together they fill a few MB. The list is a layout hint only: a function missing
# from it (new, renamed) still links and runs, placed after the listed ones; regenerate the list
# when the code has moved on (a release binary's RSS says when: README, "Where the memory went").
#
# How: callgrind (valgrind, Debian: valgrind) counts the instructions of every function the release
# daemon runs in a scripted hour in miniature, against the simulator (its own process, not
# counted): `serve --once` (start-up, migrations, a cold sync of both platforms), then `serve` with
# the HTTP listener for a while: scheduled syncs, signed webhooks of both platforms (the simulator
# delivers them when it publishes), /healthz, /metrics, and the control socket (status, logs,
# posts, sync, autosync), then SIGTERM.
#
#   scripts/link-order.sh                  # builds the release binary, writes scripts/link-order.txt
#   POSTSYNC_BIN=path scripts/link-order.sh
#   scripts/link-order.sh --check BIN      # fails when under half the listed functions are in BIN
#                                          # (the list is stale: regenerate it) or when BIN was not
#                                          # linked in the list's order; CI runs this
set -euo pipefail
cd "$(dirname "$0")/.."

# functions BINARY: "address<TAB>name" of every function the binary defines (a name may hold
# spaces), from its symbol table.
functions() {
    nm --defined-only "$1" | python3 -c '
import sys
for line in sys.stdin:
    fields = line.rstrip("\n").split(None, 2)  # address, type, name
    if len(fields) == 3 and fields[1] in "tTwW": print(fields[0] + "\t" + fields[2])'
}

case "${1:-}" in
    -h | --help) sed -n '2,23s/^# \{0,1\}//p' "$0"; exit 0 ;;
    --check)
        [ -f "${2:-}" ] || { echo "link-order: --check needs a binary (none at ${2:-<nothing>})" >&2; exit 2; }
        python3 - "$2" scripts/link-order.txt <(functions "$2") <<'PY'
import sys
binary, listing, defined = sys.argv[1], sys.argv[2], sys.argv[3]
address = {}
for line in open(defined):
    at, name = line.rstrip("\n").split("\t", 1)
    address.setdefault(name, int(at, 16))
names = open(listing).read().splitlines()
found = [address[name] for name in names if name in address]
print(f"link-order: {len(found)} of the {len(names)} functions in {listing} are in {binary}")
if len(found) * 2 < len(names):
    sys.exit("link-order: the list is stale; regenerate it with scripts/link-order.sh")
# Linked in the list's order, each listed function lies after the one before it, except where
# several share one section (moved whole); linked without it, about half do.
rising = sum(b > a for a, b in zip(found, found[1:])) / max(1, len(found) - 1)
print(f"link-order: {rising:.0%} of them follow the one listed before")
if rising < 0.7:
    sys.exit("link-order: the binary was not linked in the list's order (lld and --symbol-ordering-file: Package.swift)")
PY
        exit ;;
esac
command -v valgrind >/dev/null || { echo "link-order: valgrind is missing (Debian: apt-get install valgrind)" >&2; exit 1; }

source scripts/lib/bench-common.sh
work=$(mktemp -d /tmp/postsync-link-order.XXXXXX)
sim_pid=""; daemon_pid=""
cleanup() {
    for pid in $daemon_pid $sim_pid; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    if [ "${LINK_ORDER_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
built=${POSTSYNC_BIN:-$(release_binary postsync)}
# Valgrind 3.19 (Debian 12) cannot read the toolchain's DWARF 5: it runs a copy without debug
# information, which keeps the symbol table the list is made of.
bin="$work/postsync"
strip --strip-debug -o "$bin" "$built"

sim_port=$(free_port); http_port=$(free_port)
start_simulator "$sim_port" 6 60 --webhook-url "http://127.0.0.1:$http_port"
state="$work/state"; socket="$work/control.sock"
write_config "$work/config.yaml" "$sim_port" \
    "  app_secret: sim-app-secret" \
    "control:" "  socket: $socket" \
    "http:" "  listen: 127.0.0.1:$http_port" \
    "sync:" "  interval: 20s" "  jitter: 0.1"
# The simulator's app secret belongs to the instagram section of the config.
python3 - "$work/config.yaml" <<'PY'
import sys
path = sys.argv[1]
lines = open(path).read().splitlines()
secret = lines.pop(lines.index("  app_secret: sim-app-secret"))
lines.insert(lines.index("instagram:") + 1, secret)
open(path, "w").write("\n".join(lines) + "\n")
PY
"$bin" dev-import --simulator "http://127.0.0.1:$sim_port" --state-dir "$state" >/dev/null

grind=(valgrind --tool=callgrind --demangle=no)
args=(--config "$work/config.yaml" --state-dir "$state" --log-level info)
echo "link-order: serve --once under callgrind ..." >&2
"${grind[@]}" --callgrind-out-file="$work/once.out" "$bin" serve --once "${args[@]}" >"$work/once.log" 2>&1 ||
    { echo "link-order: serve --once failed: $(grep -v '^==' "$work/once.log" | tail -n 5)" >&2; exit 1; }

echo "link-order: serve under callgrind ..." >&2
"${grind[@]}" --callgrind-out-file="$work/serve.out" "$bin" serve "${args[@]}" >"$work/serve.log" 2>&1 &
daemon_pid=$!
wait_for "the daemon" 300 sh -c "kill -0 $daemon_pid || exit 0; curl -sf http://127.0.0.1:$http_port/healthz"
kill -0 "$daemon_pid" 2>/dev/null || { echo "link-order: serve exited: $(grep -v '^==' "$work/serve.log" | tail -n 5)" >&2; exit 1; }
ctl() { "$bin" "$@" --socket "$socket" >/dev/null 2>&1 || true; }
# The first account of each platform.
read -r ig tt < <(curl -sf "http://127.0.0.1:$sim_port/_sim/accounts" | python3 -c '
import json, sys
accounts = json.load(sys.stdin)
print(*(next(a["externalId"] for a in accounts if a["platform"] == p) for p in ("instagram", "tiktok")))')
for round in 1 2 3; do
    curl -sf -X POST "http://127.0.0.1:$sim_port/_sim/publish?account=instagram:$ig" >/dev/null
    curl -sf -X POST "http://127.0.0.1:$sim_port/_sim/publish?account=tiktok:$tt" >/dev/null
    curl -sf "http://127.0.0.1:$http_port/healthz" >/dev/null
    curl -sf "http://127.0.0.1:$http_port/metrics" >/dev/null
    ctl status
    ctl logs -n 5
    ctl posts --account "instagram:$ig" --limit 3
    ctl sync "tiktok:$tt"
    [ "$round" = 2 ] && { ctl autosync off "instagram:$ig"; ctl autosync on "instagram:$ig"; }
    sleep 15
done
# Scheduled runs of every account (the interval is 20 s).
sleep 30
kill -TERM "$daemon_pid"
wait "$daemon_pid" || { echo "link-order: serve did not exit cleanly: $(tail -n 5 "$work/serve.log")" >&2; exit 1; }
daemon_pid=""

# Every function of the binary either run executed, by instructions of its own (both runs summed),
# hottest first. (The C libraries' functions are not the binary's to place.)
functions "$bin" | cut -f 2- >"$work/defined.txt"
python3 - "$work/defined.txt" "$work/once.out" "$work/serve.out" >"$work/link-order.txt" <<'PY'
import collections, re, sys
defined = set(open(sys.argv[1]).read().splitlines())
cost = collections.Counter()
for path in sys.argv[2:]:
    names, current, call = {}, None, False
    for line in open(path, errors="replace"):
        if line.startswith(("fn=", "cfn=")):
            m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
            if m.group(2): names[m.group(1)] = m.group(2)
            if line.startswith("fn="): current = names.get(m.group(1))
        elif line.startswith("calls="):
            call = True  # the next cost line is the call's inclusive cost, not the caller's own
        elif current and (line[:1].isdigit() or line[:1] in "+-*"):
            parts = line.split()
            if not call and len(parts) >= 2 and parts[1].isdigit(): cost[current] += int(parts[1])
            call = False
# Callgrind tells apart functions of one name by a suffix ('2); the linker knows the name.
merged = collections.Counter()
for name, instructions in cost.items():
    merged[re.sub(r"'\d+$", "", name)] += instructions
for name, _ in sorted(merged.items(), key=lambda item: (-item[1], item[0])):
    if name in defined: print(name)
PY
[ -s "$work/link-order.txt" ] || { echo "link-order: no function was counted" >&2; exit 1; }
mv "$work/link-order.txt" scripts/link-order.txt
echo "link-order: $(wc -l <scripts/link-order.txt) functions in scripts/link-order.txt" >&2
