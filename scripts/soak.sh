#!/usr/bin/env bash
# Soak test (issue 14): one `postsync serve` against the simulator for a long time, with a faster
# interval so that every account syncs many times and 2 % of the platform answers faulted.
# Samples the daemon's RSS, open file descriptors and threads every minute and prints the growth
# from the 10th minute (the first minutes are the cold sync and the allocator warming up) to the
# end. Targets: RSS growth < 5 %, file descriptors and threads flat (at most +2).
#
#   scripts/soak.sh                                # 10,000 accounts, 60 minutes
#   scripts/soak.sh --accounts 1000 --minutes 12   # a short look
#
# Options:
#   --accounts N   accounts, half Instagram, half TikTok (default 10000)
#   --minutes M    minutes to run (default 60; the baseline minute is min(10, M/2))
#   --interval S   sync.interval in seconds (default 120: 30 runs per account an hour)
#   --posts P      posts per account (default 10)
#   --bin PATH     postsync binary (default $POSTSYNC_BIN, else a release build)
#   --keep         keep the work directory
# Every minute a few posts are published and metrics changed, so runs store something.
# Needs python3 and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=10000
minutes=60
interval=120
posts=10
bin=${POSTSYNC_BIN:-}
keep=0
port=${SOAK_PORT:-18821}
while [ $# -gt 0 ]; do
    case "$1" in
        --accounts) accounts=${2:?--accounts needs a value}; shift 2 ;;
        --minutes) minutes=${2:?--minutes needs a value}; shift 2 ;;
        --interval) interval=${2:?--interval needs a value}; shift 2 ;;
        --posts) posts=${2:?--posts needs a value}; shift 2 ;;
        --bin) bin=${2:?--bin needs a value}; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
source scripts/lib/bench-common.sh
[ -n "$bin" ] || bin=$(release_binary postsync)

work=$(mktemp -d /tmp/postsync-soak.XXXXXX)
sim_pid=""; daemon_pid=""
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
    if [ "$keep" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

sim="http://127.0.0.1:$port"
start_simulator "$port" "$accounts" "$posts"
write_config "$work/config.yaml" "$port" "sync:" "  interval: ${interval}s" "  jitter: 0.5" "  deadline: 20s" \
    "  backoff:" "    min: 5s" "    max: 60s" "http:" '  listen: "off"'
state="$work/state"
"$bin" dev-import --simulator "$sim" --state-dir "$state" >/dev/null
# 2 % of every platform answer faulted: 1 % HTTP 500, 1 % truncated JSON.
for platform in instagram tiktok; do
    curl -sS -f -o /dev/null -X PUT -H 'Content-Type: application/json' \
        --data '{"errorRate":0.01,"malformedRate":0.01}' "$sim/_sim/fault?endpoint=$platform.*"
done
ids=$(curl -sS -f "$sim/_sim/accounts" | python3 -c '
import json, sys, random
accounts = json.load(sys.stdin)
accounts = accounts.get("accounts", accounts) if isinstance(accounts, dict) else accounts
random.seed(3)
print(" ".join(a["platform"] + ":" + a["externalId"] for a in random.sample(accounts, min(20, len(accounts)))))')

"$bin" serve --config "$work/config.yaml" --state-dir "$state" --log-level warning >"$work/serve.out" 2>&1 &
daemon_pid=$!
echo "soak: $accounts accounts x $posts posts, interval ${interval}s, 2 % faults, $minutes minutes (work: $work)" >&2
printf '%-7s %-10s %-6s %-8s %-10s\n' minute rss_kb fds threads syncs
baseline_minute=$(( minutes / 2 < 10 ? minutes / 2 : 10 ))
[ "$baseline_minute" -lt 1 ] && baseline_minute=1
samples="$work/samples.tsv"
# last_seq FILE...: the seq of the last line of the first of FILEs that has one (0: none).
last_seq() {
    python3 - "$@" <<'PY'
import json, os, sys
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 65536))
            lines = [l for l in f.read().split(b"\n") if l.strip()]
    except OSError:
        continue
    if lines:
        print(json.loads(lines[-1])["seq"])
        break
else:
    print(0)
PY
}
for minute in $(seq 1 "$minutes"); do
    sleep 60
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        echo "FAILED: the daemon exited in minute $minute" >&2
        tail -20 "$work/serve.out" >&2
        keep=1
        exit 1
    fi
    for id in $ids; do
        curl -sS -o /dev/null -X POST "$sim/_sim/publish?account=$id" || true
        curl -sS -o /dev/null -X POST "$sim/_sim/metrics?account=$id" || true
    done
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$daemon_pid/status")
    threads=$(awk '/Threads/ {print $2}' "/proc/$daemon_pid/status")
    fds=$(ls "/proc/$daemon_pid/fd" | wc -l)
    # The SyncLog rotates: the newest line's seq counts every entry so far.
    syncs=$(last_seq "$state/synclog.jsonl" "$state/synclog.jsonl.1")
    printf '%-7s %-10s %-6s %-8s %-10s\n' "$minute" "$rss" "$fds" "$threads" "$syncs"
    printf '%s\t%s\t%s\t%s\t%s\n' "$minute" "$rss" "$fds" "$threads" "$syncs" >>"$samples"
done
kill -TERM "$daemon_pid"
exit_rc=0
wait "$daemon_pid" || exit_rc=$?
daemon_pid=""

python3 - "$samples" "$baseline_minute" "$exit_rc" "$accounts" "$state"/synclog.jsonl* <<'PY'
import json, sys
rows = [list(map(int, line.split("\t"))) for line in open(sys.argv[1])]
base_minute, exit_rc, accounts = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
base = next(r for r in rows if r[0] == base_minute)
end = rows[-1]
statuses = {}  # of the SyncLog files still there (rotation drops the oldest)
for path in sys.argv[5:]:
    for line in open(path):
        e = json.loads(line)
        statuses[e["status"]] = statuses.get(e["status"], 0) + 1
growth = 100.0 * (end[1] - base[1]) / base[1]
checks = [
    (f"RSS growth, minute {base_minute} -> {end[0]}", f"{base[1]} -> {end[1]} KB ({growth:+.2f} %)", "< 5 %", growth < 5),
    ("open file descriptors", f"{base[2]} -> {end[2]}", "flat (+2)", end[2] <= base[2] + 2),
    ("threads", f"{base[3]} -> {end[3]}", "flat (+2)", end[3] <= base[3] + 2),
    ("RSS per account at the end", f"{end[1] / accounts:.2f} KB", "", True),
    ("syncs (SyncLog lines)", f"{end[4]} ({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))})",
     f">= {accounts * 2}", end[4] >= accounts * 2),
    ("exit status after SIGTERM", str(exit_rc), "0", exit_rc == 0),
]
print()
print(f"{'check':<36} {'value':<44} {'target':<10} verdict")
for name, value, target, ok in checks:
    print(f"{name:<36} {value:<44} {target:<10} {'ok' if ok else 'MISSED'}")
sys.exit(0 if all(ok for *_, ok in checks) else 1)
PY
