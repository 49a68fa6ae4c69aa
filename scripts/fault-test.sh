#!/usr/bin/env bash
# Fault test: many accounts against a hostile simulator (5xx, timeouts, malformed JSON, rate-limit
# storms) for a while; the daemon must never exit, must recover every account once the faults
# stop, and must never exceed TikTok's request limit.
#
# Run `scripts/fault-test.sh --help` for the options. Needs a release build
# (`swift build -c release --product postsync`), curl and python3.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/fault-test.sh [--accounts N] [--duration S] [options]

Starts `postsync simulate` with N accounts (half Instagram, half TikTok; TikTok's 600 requests per
minute per endpoint enforced), imports them, runs `postsync serve` (sync.max_concurrent 16,
sync.deadline 5s, sync.backoff 1s..10s) and waits until every account has synced once (cold
sync). Then, for S seconds, every Instagram and TikTok endpoint answers
  10 % HTTP 500 with the platform's error body,
   2 % HTTP 200 with the JSON cut in half,
   5 % timeouts: each second, each platform has a 5 % chance of being a "slow second" whose
       requests are answered after 6 s, beyond the daemon's 5 s sync deadline (the simulator's
       latency applies to every answer of an endpoint, not to a fraction of them),
and rate-limit storms: --storm-first seconds into the faults and then every --storm-every
seconds, one platform (TikTok first, then alternating) answers every request with its rate-limit
error for --storm-length seconds (Meta code 80002 with X-Business-Use-Case-Usage at 100 % and
estimated_time_to_regain_access 1 minute, TikTok HTTP 429 rate_limit_exceeded). Each storm
silences the platform it hits for about a minute (the daemon honours the platforms' wait), so
storms are spaced 90 s apart by default: at 20 s apart both platforms would stay silent for the
whole fault window and the 5xx, timeout and malformed faults would hardly be exercised.

During the faults the script checks every second that the daemon process is alive and that the
control socket answers GET /v1/status within 2 s. Afterwards it clears the faults and waits for
every account to finish a successful run that started after that moment, within

    bound = 2 x sync.interval + sync.backoff.max + R

where R = what is left, when the faults stop, of the platforms' own "come back later": 60 s after
the last rate-limit storm ended (Meta says estimated_time_to_regain_access 1 minute, TikTok's
window is a minute, and the daemon honours both), or 0 when the last storm ended earlier.

Checks (each must hold): the daemon never exited or restarted; the control socket always
answered; every account reached success within the bound; no account in needs_reauth; zero
TikTok requests beyond 600/min/endpoint (replayed from the simulator's request log: the
simulator counts them but does not expose the counter over HTTP); SIGTERM at the end exits 0.

Options:
  --accounts N         accounts (default 200; the issue's full run is 1000)
  --duration S         seconds of faults (default 60; the full run is 600)
  --interval S         sync.interval in seconds (default: 10, or more when the TikTok accounts
                       would need over 400 of the 600 list calls per minute: TikTok accounts x 60 / 400)
  --posts M            posts per account (default 30)
  --storm-first S      seconds from the start of the faults to the first storm (default 15)
  --storm-every S      seconds between rate-limit storms (default 90)
  --storm-length S     seconds a storm lasts (default 5)
  --seed S             simulator seed and seed of the fault schedule (default 1)
  --bin PATH           postsync binary (default $POSTSYNC_BIN, else .build/release/postsync)
  --keep               keep the work directory (it is always kept when a check fails)
  -h, --help           this help
EOF
}

accounts=200
duration=60
interval=""
posts=30
storm_first=15
storm_every=90
storm_length=5
seed=1
keep=0
bin="${POSTSYNC_BIN:-}"
while [ $# -gt 0 ]; do
    case "$1" in
        --accounts) accounts="${2:?--accounts needs a value}"; shift 2 ;;
        --duration) duration="${2:?--duration needs a value}"; shift 2 ;;
        --interval) interval="${2:?--interval needs a value}"; shift 2 ;;
        --posts) posts="${2:?--posts needs a value}"; shift 2 ;;
        --storm-first) storm_first="${2:?--storm-first needs a value}"; shift 2 ;;
        --storm-every) storm_every="${2:?--storm-every needs a value}"; shift 2 ;;
        --storm-length) storm_length="${2:?--storm-length needs a value}"; shift 2 ;;
        --seed) seed="${2:?--seed needs a value}"; shift 2 ;;
        --bin) bin="${2:?--bin needs a value}"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "fault-test: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
for value in "$accounts" "$duration" "$posts" "$storm_first" "$storm_every" "$storm_length" "$seed" ${interval:+"$interval"}; do
    [[ "$value" =~ ^[0-9]+$ ]] || { echo "fault-test: not a non-negative integer: $value" >&2; exit 2; }
done
[ "$storm_every" -gt 0 ] || { echo "fault-test: --storm-every must be positive" >&2; exit 2; }
tiktok_accounts=$((accounts / 2))
if [ -z "$interval" ]; then
    interval=$(( (tiktok_accounts * 60 + 399) / 400 ))
    [ "$interval" -ge 10 ] || interval=10
fi
[ "$interval" -gt 0 ] || { echo "fault-test: --interval must be positive" >&2; exit 2; }
backoff_max=10

root="$(cd "$(dirname "$0")/.." && pwd)"
[ -n "$bin" ] || bin="$root/.build/release/postsync"
if [ ! -x "$bin" ]; then
    echo "fault-test: $bin not found; build it with: swift build -c release --product postsync" >&2
    exit 2
fi
for tool in curl python3; do
    command -v "$tool" >/dev/null || { echo "fault-test: $tool is required" >&2; exit 2; }
done

work="$(mktemp -d /tmp/postsync-fault.XXXXXX)"
state="$work/state"
sock="$state/control.sock"
sim_pid=""
daemon_pid=""
failed=1

stop_pid() { # pid: SIGTERM, then SIGKILL after 10 s
    local pid="$1" i
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    { wait "$pid"; } 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$daemon_pid"
    stop_pid "$sim_pid"
    if [ "$keep" = 1 ] || [ "$failed" != 0 ]; then
        echo "fault-test: work directory kept: $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ms() { date +%s%3N; }
log() { printf '[fault-test %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
sim="http://127.0.0.1:$port"
RANDOM=$seed

"$bin" simulate --listen "127.0.0.1:$port" --accounts "$accounts" --posts "$posts" --seed "$seed" \
    --tiktok-requests-per-minute 600 >"$work/simulate.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 600); do grep -q listening "$work/simulate.log" 2>/dev/null && break; sleep 0.1; done
grep -q listening "$work/simulate.log" || { log "the simulator did not start:"; cat "$work/simulate.log" >&2; exit 1; }

cat >"$work/postsync.yaml" <<YAML
instagram:
  graph_url: $sim
  facebook_graph_url: $sim
tiktok:
  api_url: $sim
  client_key: sim-client-key
  client_secret: sim-client-secret
  requests_per_minute: 600
http:
  listen: "off"
sync:
  interval: ${interval}s
  max_concurrent: 16
  deadline: 5s
  backoff: {min: 1s, max: ${backoff_max}s}
YAML

"$bin" dev-import --simulator "$sim" --state-dir "$state" >"$work/dev-import.log" 2>&1 \
    || { log "dev-import failed:"; cat "$work/dev-import.log" >&2; exit 1; }

# Summarises GET /v1/accounts (file) as: <accounts> <not yet successful since T> <needs_reauth> <max consecutiveFailures>
cat >"$work/summary.py" <<'PY'
import json, sys
from datetime import datetime
since = int(sys.argv[2]) / 1000
def at(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else 0
accounts = json.load(open(sys.argv[1]))
if isinstance(accounts, dict):
    accounts = accounts["accounts"]
pending = sum(1 for a in accounts if a["lastStatus"] != "success" or at(a["lastSyncAt"]) <= since)
reauth = sum(1 for a in accounts if a["state"] == "needs_reauth")
print(len(accounts), pending, reauth, max([a["consecutiveFailures"] for a in accounts] or [0]))
PY

"$bin" serve --config "$work/postsync.yaml" --state-dir "$state" --log-level notice \
    >"$work/serve.out" 2>"$work/serve.err" &
daemon_pid=$!
daemon_start_ms="$(now_ms)"
log "work dir $work, simulator $sim, $accounts accounts, interval ${interval}s, ${duration}s of faults"

exits=0           # the daemon process ended before the final SIGTERM
socket_misses=0   # seconds in which GET /v1/status did not answer within 2 s
max_failures=0    # highest consecutiveFailures seen in a poll
started_at=""     # /v1/status startedAt; a change means the daemon restarted
restarts=0
alive() {
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        if [ "$exits" = 0 ]; then
            rc=0; { wait "$daemon_pid"; } 2>/dev/null || rc=$?
            log "the daemon exited (rc $rc) during the test; see $work/serve.err"
        fi
        exits=1
        return 1
    fi
}
# One poll: liveness, control socket, summary of every account since $1 (epoch ms). Sets $summary.
summary="0 0 0 0"
poll() {
    alive || return 1
    if curl -sS --fail --max-time 2 --unix-socket "$sock" http://localhost/v1/status >"$work/status.json" 2>/dev/null; then
        local s
        s="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["startedAt"])' "$work/status.json")"
        if [ -z "$started_at" ]; then started_at="$s"; elif [ "$s" != "$started_at" ]; then restarts=$((restarts + 1)); started_at="$s"; fi
        summary="$(python3 "$work/summary.py" "$work/status.json" "$1")"
        local m; m="$(echo "$summary" | cut -d' ' -f4)"
        [ "$m" -le "$max_failures" ] || max_failures="$m"
        return 0
    fi
    return 2
}

# Cold sync, without faults.
warm_deadline=$(( $(date +%s) + 120 + tiktok_accounts * 3 * 60 / 600 ))
warm_ms=""
for _ in $(seq 1 100000); do
    [ "$(date +%s)" -lt "$warm_deadline" ] || break
    rc=0; poll "$daemon_start_ms" || rc=$?
    [ "$rc" != 1 ] || break
    if [ "$rc" = 0 ] && [ "$(echo "$summary" | cut -d' ' -f2)" = 0 ]; then warm_ms="$(now_ms)"; break; fi
    sleep 1
done
if [ -n "$warm_ms" ]; then
    log "cold sync of every account done in $(( (warm_ms - daemon_start_ms) / 1000 )) s; faults on"
else
    log "not every account finished its cold sync before the faults start ($summary); going on"
fi

# The fault phase: a controller tick every second.
fault_json() { # rateLimitRate latencyMs
    printf '{"errorRate":0.10,"malformedRate":0.02,"rateLimitRate":%s,"latencyMs":%s}' "$1" "$2"
}
declare -A current=()
set_platform() { # platform json
    if [ "${current[$1]:-}" != "$2" ]; then
        curl -sS --fail -o /dev/null -X PUT "$sim/_sim/fault?endpoint=$1.*" -H 'Content-Type: application/json' -d "$2"
        current[$1]="$2"
        echo "$(now_ms) $1 $2" >>"$work/faults.log"
    fi
}
fault_start_ms="$(now_ms)"
last_storm_end_ms=0
slow_seconds=0
storms=0
second=0
while [ "$second" -lt "$duration" ]; do
    storm_platform=""
    if [ "$second" -ge "$storm_first" ]; then
        k=$(( (second - storm_first) / storm_every ))
        storm_start=$(( storm_first + k * storm_every ))
        if [ $(( second - storm_start )) -lt "$storm_length" ]; then
            if [ $((k % 2)) = 0 ]; then storm_platform=tiktok; else storm_platform=instagram; fi
            [ "$second" != "$storm_start" ] || storms=$((storms + 1))
            last_storm_end_ms=$(( fault_start_ms + (storm_start + storm_length) * 1000 ))
            [ "$last_storm_end_ms" -le $(( fault_start_ms + duration * 1000 )) ] \
                || last_storm_end_ms=$(( fault_start_ms + duration * 1000 ))
        fi
    fi
    for platform in instagram tiktok; do
        rate=0; lat=0
        [ "$platform" != "$storm_platform" ] || rate=1.0
        if [ $((RANDOM % 100)) -lt 5 ]; then lat=6000; slow_seconds=$((slow_seconds + 1)); fi
        set_platform "$platform" "$(fault_json "$rate" "$lat")"
    done
    rc=0; poll "$fault_start_ms" || rc=$?
    if [ "$rc" = 1 ]; then break; fi
    if [ "$rc" = 2 ]; then socket_misses=$((socket_misses + 1)); log "control socket did not answer within 2 s"; fi
    second=$((second + 1))
    if [ $((second % 30)) = 0 ]; then log "${second}/${duration} s of faults; accounts/pending/needs_reauth/max failures: $summary"; fi
    sleep_ms=$(( fault_start_ms + second * 1000 - $(now_ms) ))
    if [ "$sleep_ms" -gt 0 ]; then sleep "$(printf '%d.%03d' $((sleep_ms / 1000)) $((sleep_ms % 1000)))"; fi
done

# Recovery.
for platform in instagram tiktok; do
    curl -sS --fail -o /dev/null -X DELETE "$sim/_sim/fault?endpoint=$platform.*"
done
clear_ms="$(now_ms)"
echo "$clear_ms cleared" >>"$work/faults.log"
regain_ms=0
if [ "$last_storm_end_ms" -gt 0 ]; then
    regain_ms=$(( last_storm_end_ms + 60000 - clear_ms ))
    [ "$regain_ms" -gt 0 ] || regain_ms=0
fi
bound_ms=$(( 2 * interval * 1000 + backoff_max * 1000 + regain_ms ))
log "faults cleared; waiting up to $(( bound_ms / 1000 )).$(( bound_ms % 1000 / 100 )) s (2 x ${interval} s + ${backoff_max} s + $(( regain_ms / 1000 )).$(( regain_ms % 1000 / 100 )) s) for every account to succeed"
recovered_ms=""
while [ "$exits" = 0 ]; do
    rc=0; poll "$clear_ms" || rc=$?
    [ "$rc" != 1 ] || break
    [ "$rc" != 2 ] || socket_misses=$((socket_misses + 1))
    if [ "$rc" = 0 ] && [ "$(echo "$summary" | cut -d' ' -f2)" = 0 ]; then recovered_ms="$(now_ms)"; break; fi
    # Keep watching a little past the bound, to report how late the stragglers were.
    [ "$(now_ms)" -lt $(( clear_ms + bound_ms + 60000 )) ] || break
    sleep 0.5
done
cp "$work/status.json" "$work/status-final.json" 2>/dev/null || true

term_rc="n/a"
if [ "$exits" = 0 ]; then
    kill -TERM "$daemon_pid"
    term_rc=0
    for _ in $(seq 1 700); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$daemon_pid" 2>/dev/null; then
        log "the daemon did not exit within 70 s of SIGTERM; killing it"
        { kill -KILL "$daemon_pid"; wait "$daemon_pid"; } 2>/dev/null || true
        term_rc="timeout"
    else
        { wait "$daemon_pid"; } 2>/dev/null || term_rc=$?
    fi
fi
daemon_pid=""
curl -sS --fail "$sim/_sim/requests" >"$work/requests.json"

set +e
python3 - "$work" "$accounts" "$duration" "$interval" "$daemon_start_ms" "${warm_ms:-}" "$fault_start_ms" "$clear_ms" \
    "${recovered_ms:-}" "$bound_ms" "$regain_ms" "$exits" "$restarts" "$socket_misses" "$max_failures" "$term_rc" \
    "$storms" "$slow_seconds" <<'PY'
import glob, json, os, re, sqlite3, sys
from datetime import datetime

(work, accounts, duration, interval, daemon_start, warm, fault_start, clear, recovered, bound, regain, exits, restarts,
 socket_misses, max_failures_polled, term_rc, storms, slow_seconds) = sys.argv[1:19]
state = os.path.join(work, "state")

def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

def order(path):
    m = re.search(r"\.jsonl\.(\d+)$", path)
    return -int(m.group(1)) if m else 1

entries = []
for path in sorted(glob.glob(os.path.join(state, "synclog.jsonl*")), key=order):
    for line in open(path, "rb"):
        try:
            entries.append(json.loads(line))
        except ValueError:
            pass

fault_t, clear_t = int(fault_start) / 1000, int(clear) / 1000
during = [e for e in entries if fault_t <= ts(e["startedAt"]) < clear_t]
def by_status(es):
    return " / ".join(str(sum(1 for e in es if e["status"] == s)) for s in ("success", "partial", "error"))
def kind(message):
    m = (message or "").lower()
    if "deadline" in m or "timed out" in m or "timeout" in m:
        return "timeout"
    if "rate" in m or "429" in m or "80002" in m or "budget" in m or "too many" in m:
        return "rate limit"
    if "malformed" in m or "decod" in m or "json" in m or "corrupt" in m:
        return "malformed"
    if ("500" in m or "internal" in m or "server" in m or "transient" in m or "unavailable" in m
            or "unexpected error" in m):
        return "5xx"
    return "other"
kinds = {}
for e in entries:
    if e["status"] == "error":
        k = kind(e["errorMessage"])
        kinds[k] = kinds.get(k, 0) + 1
others = sorted({e["errorMessage"] for e in entries if e["status"] == "error" and kind(e["errorMessage"]) == "other"})

# Longest run of consecutive error runs per account, from the SyncLog.
streak, longest = {}, 0
for e in entries:
    a = e["accountId"]
    streak[a] = streak.get(a, 0) + 1 if e["status"] == "error" else 0
    longest = max(longest, streak[a])

# TikTok requests beyond 600/min/endpoint: replay the simulator's sliding window over its log.
requests = json.load(open(os.path.join(work, "requests.json")))
limit, windows, over = 600, {}, 0
for r in requests:
    if r["endpoint"] not in ("tiktok.video.list", "tiktok.video.query", "tiktok.user.info"):
        continue
    t = ts(r["at"])
    w = [x for x in windows.get(r["endpoint"], []) if x > t - 60]
    if len(w) >= limit:
        over += 1
    else:
        w.append(t)
    windows[r["endpoint"]] = w
truncated = len(requests) >= 100_000
statuses = {}
for r in requests:
    statuses[r["status"]] = statuses.get(r["status"], 0) + 1

db = sqlite3.connect("file:" + os.path.join(state, "postsync.sqlite") + "?mode=ro", uri=True)
reauth = db.execute("SELECT id, last_error FROM accounts WHERE state = 'needs_reauth'").fetchall()
quarantined = db.execute("SELECT count(*) FROM accounts WHERE state = 'quarantined'").fetchone()[0]
pending = []
try:
    final = json.load(open(os.path.join(work, "status-final.json")))["accounts"]
    pending = [a for a in final if a["lastStatus"] != "success" or not a["lastSyncAt"] or ts(a["lastSyncAt"]) <= clear_t]
except (OSError, ValueError, KeyError):
    pass

cold = f"{(int(warm) - int(daemon_start)) / 1000:.1f} s" if warm else "not finished"
to_success = f"{(int(recovered) - int(clear)) / 1000:.1f} s" if recovered else "never"
recovered_ok = bool(recovered) and int(recovered) - int(clear) <= int(bound)
table = [
    ("accounts (Instagram / TikTok)", f"{accounts} ({int(accounts) - int(accounts) // 2} / {int(accounts) // 2})", "", None),
    ("sync.interval / deadline / backoff", f"{interval} s / 5 s / 1-10 s", "", None),
    ("cold sync of every account (no faults)", cold, "", None),
    ("fault duration", f"{duration} s", "", None),
    ("rate-limit storms / slow (6 s) platform-seconds", f"{storms} / {slow_seconds}", "", None),
    ("platform requests (HTTP 200 / 429 / 500 / other)",
     f"{len(requests)} ({statuses.get(200, 0)} / {statuses.get(429, 0)} / {statuses.get(500, 0)} / "
     f"{len(requests) - statuses.get(200, 0) - statuses.get(429, 0) - statuses.get(500, 0)})", "", None),
    ("runs total", len(entries), "", None),
    ("runs success / partial / error", by_status(entries), "", None),
    ("  of them during the faults", by_status(during), "", None),
    ("error runs: 5xx / timeout / malformed / rate / other",
     " / ".join(str(kinds.get(k, 0)) for k in ("5xx", "timeout", "malformed", "rate limit", "other")), "", None),
    ("max consecutive failures (SyncLog / polled)", f"{longest} / {max_failures_polled}", "", None),
    ("time to all-success after faults stopped", to_success, f"<= {int(bound) / 1000:.1f} s", recovered_ok),
    ("accounts not yet successful at the end", len(pending), "0", not pending),
    ("accounts in needs_reauth / quarantined", f"{len(reauth)} / {quarantined}", "0 / 0", not reauth and quarantined == 0),
    ("TikTok requests over 600/min/endpoint", over, "0", over == 0 and not truncated),
    ("daemon exits / restarts", f"{exits} / {restarts}", "0 / 0", exits == "0" and restarts == "0"),
    ("seconds the control socket did not answer", socket_misses, "0", socket_misses == "0"),
    ("SIGTERM exit code", term_rc, "0", term_rc == "0"),
]
print()
print(f"{'figure':<52} {'value':>26} {'expected':>10}  result")
print("-" * 98)
failures = 0
for name, value, expected, ok in table:
    result = "" if ok is None else ("ok" if ok else "FAIL")
    failures += ok is False
    print(f"{name:<52} {str(value):>26} {expected:>10}  {result}")
print("-" * 98)
print(f"bound = 2 x {interval} s + 10 s backoff max + {int(regain) / 1000:.1f} s left of the platforms' 60 s "
      "rate-limit wait after the last storm")
if truncated:
    print("the simulator's request log reached its 100,000-entry cap: the over-limit replay is incomplete")
for a in pending[:10]:
    print(f"not successful after the faults: {a['id']} state={a['state']} lastStatus={a['lastStatus']} "
          f"lastSyncAt={a['lastSyncAt']} nextSyncAt={a['nextSyncAt']} lastError={a['lastError']}")
for acc, error in reauth[:10]:
    print(f"needs_reauth: {acc}: {error}")
for message in others[:10]:
    print(f"other error: {message}")
print("fault-test: " + ("PASS" if failures == 0 else f"FAIL ({failures} check(s))"))
sys.exit(1 if failures else 0)
PY
check_rc=$?
set -e
if [ "$check_rc" -eq 0 ]; then failed=0; fi
exit "$check_rc"
