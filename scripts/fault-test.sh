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
sync.deadline 5s, sync.backoff 1s..10s, sync.jitter 0.5 so that the accounts' runs spread out
instead of arriving in bursts) and waits until every account has synced once (cold sync).
Then, for S seconds, every Instagram and TikTok endpoint answers
  10 % HTTP 500 with the platform's error body,
   2 % HTTP 200 with the JSON cut in half,
   5 % timeouts: the simulator's latency applies to every answer of an endpoint, not to a
       fraction of them, so a controller redraws it every 10 ms: each platform is "slow" (6 s,
       beyond the daemon's 5 s sync deadline) in a random 5 % of the 10 ms slots, and a request
       arriving in a slow slot times out,
and rate-limit storms: --storm-first seconds into the faults and then every --storm-every
seconds, one platform (TikTok first, then alternating) answers every request with its rate-limit
error for --storm-length seconds (Meta code 80002 with X-Business-Use-Case-Usage at 100 % and
estimated_time_to_regain_access 1 minute, TikTok HTTP 429 rate_limit_exceeded). Each storm
silences the platform it hits for about a minute (the daemon honours the platforms' wait: TikTok's
whole endpoint for the daemon, Instagram per account), so storms are 50 s apart by default (each
platform every 100 s): at 20 s apart both platforms would stay silent for the whole fault window
and the 5xx, timeout and malformed faults would hardly be exercised.

During the faults the script checks every second that the daemon process is alive and that the
control socket answers GET /v1/status within 2 s. Afterwards it clears the faults and waits for
every account to finish a successful run after that moment (lastStatus "success", lastSyncAt
later than the moment the faults were cleared), within

    bound = 2 x sync.interval + sync.backoff.max + R

where R = what is left, when the faults stop, of the platforms' own "come back later": 60 s after
the last rate-limit storm ended (Meta says estimated_time_to_regain_access 1 minute, TikTok's
window is a minute, and the daemon honours both), or 0 when the last storm ended earlier.

Checks (each must hold): the daemon never exited or restarted; the control socket always
answered; every SyncLog line parses and seq goes up by one; every account reached success within
the bound; no account in needs_reauth or quarantined; zero TikTok requests beyond
600/min/endpoint (replayed from the simulator's request log: the simulator counts them but does
not expose the counter over HTTP); SIGTERM at the end exits 0.

Options:
  --accounts N         accounts (default 200; the issue's full run is 1000)
  --duration S         seconds of faults (default 60; the full run is 600)
  --interval S         sync.interval in seconds (default 10, or TikTok accounts x 60 / 400 when
                       that is more, so that the TikTok accounts' syncs need at most 400 of the
                       600 list calls a minute: 15 s for 200 accounts, 75 s for 1,000)
  --posts M            posts per account (default 30)
  --storm-first S      seconds from the start of the faults to the first storm (default 5)
  --storm-every S      seconds between rate-limit storms (default 50)
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
storm_first=5
storm_every=50
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

name=fault-test
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/lib/harness.sh"
require_prerequisites
sim_pid=""
daemon_pid=""
controller_pid=""
cleanup_pids="controller_pid daemon_pid sim_pid"
make_work_dir

RANDOM=$seed
start_simulator 600 --accounts "$accounts" --posts "$posts" --seed "$seed" --tiktok-requests-per-minute 600

write_config "  requests_per_minute: 600" <<YAML
sync:
  schedule: fixed   # the recovery bound is 2 x the fixed interval
  interval: ${interval}s
  jitter: 0.5
  max_concurrent: 16
  deadline: 5s
  backoff: {min: 1s, max: ${backoff_max}s}
YAML

import_accounts

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

# The fault phase. A controller drives the simulator's fault settings: every 10 ms each platform
# is "slow" (6 s latency, so beyond the 5 s sync deadline) with probability 5 %, so that about 5 %
# of requests time out whenever they arrive; storms as described in --help.
cat >"$work/faults.py" <<'PY'
import http.client, json, random, sys, time
host, port, duration, first, every, length, seed, work = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:8]), sys.argv[8]
rng = random.Random(seed)
conn = http.client.HTTPConnection(host, port, timeout=10)
log = open(work + "/faults.log", "a")

def send(method, platform, fault=None):
    body = json.dumps(fault) if fault is not None else None
    conn.request(method, f"/_sim/fault?endpoint={platform}.*", body=body, headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    answer.read()
    if answer.status != 200:
        raise SystemExit(f"faults: {method} {platform}.* answered {answer.status}")

SLOT, SLOW = 0.010, 0.05
start = time.time()
current, slow_since, slow_time = {}, {}, {"instagram": 0.0, "tiktok": 0.0}
storms, last_storm_end, changes, i = 0, 0.0, 0, 0
while True:
    t = start + i * SLOT
    elapsed = t - start
    if elapsed >= duration:
        break
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)
    storm = None
    if elapsed >= first:
        k = int((elapsed - first) // every)
        storm_start = first + k * every
        if elapsed - storm_start < length:
            storm = "tiktok" if k % 2 == 0 else "instagram"
            last_storm_end = start + min(storm_start + length, duration)
    for platform in ("instagram", "tiktok"):
        slow = rng.random() < SLOW
        fault = {"errorRate": 0.10, "malformedRate": 0.02, "rateLimitRate": 1.0 if storm == platform else 0,
                 "latencyMs": 6000 if slow else 0}
        previous = current.get(platform)
        if previous != fault:
            send("PUT", platform, fault)
            now = time.time()
            changes += 1
            if previous is not None and previous["rateLimitRate"] == 0 and fault["rateLimitRate"] == 1.0:
                storms += 1
            if previous is None and fault["rateLimitRate"] == 1.0:
                storms += 1
            if slow and platform not in slow_since:
                slow_since[platform] = now
            if not slow and platform in slow_since:
                slow_time[platform] += now - slow_since.pop(platform)
            log.write(f"{int(now * 1000)} {platform} {json.dumps(fault)}\n")
            current[platform] = fault
    i += 1
end = time.time()
for platform in ("instagram", "tiktok"):
    send("DELETE", platform)
    if platform in slow_since:
        slow_time[platform] += end - slow_since.pop(platform)
cleared = time.time()
log.write(f"{int(cleared * 1000)} cleared\n")
json.dump({"startMs": int(start * 1000), "clearedMs": int(cleared * 1000), "storms": storms,
           "lastStormEndMs": int(last_storm_end * 1000), "changes": changes,
           "slowShare": {p: slow_time[p] / max(end - start, 1e-9) for p in slow_time}},
          open(work + "/faults.json", "w"))
PY

python3 "$work/faults.py" 127.0.0.1 "$port" "$duration" "$storm_first" "$storm_every" "$storm_length" "$seed" "$work" &
controller_pid=$!
fault_start_ms="$(now_ms)"
second=0
while kill -0 "$controller_pid" 2>/dev/null; do
    rc=0; poll "$fault_start_ms" || rc=$?
    if [ "$rc" = 1 ]; then break; fi
    if [ "$rc" = 2 ]; then socket_misses=$((socket_misses + 1)); log "control socket did not answer within 2 s"; fi
    second=$((second + 1))
    if [ $((second % 30)) = 0 ]; then log "${second}/${duration} s of faults; accounts/pending/needs_reauth/max failures: $summary"; fi
    sleep_ms=$(( fault_start_ms + second * 1000 - $(now_ms) ))
    if [ "$sleep_ms" -gt 0 ]; then sleep "$(printf '%d.%03d' $((sleep_ms / 1000)) $((sleep_ms % 1000)))"; fi
done
controller_rc=0; { wait "$controller_pid"; } 2>/dev/null || controller_rc=$?
controller_pid=""
if [ "$controller_rc" != 0 ] || [ ! -s "$work/faults.json" ]; then
    log "the fault controller failed (rc $controller_rc); clearing the faults"
    for platform in instagram tiktok; do
        curl -sS -o /dev/null -X DELETE "$sim/_sim/fault?endpoint=$platform.*" || true
    done
    echo "{\"clearedMs\": $(now_ms), \"lastStormEndMs\": 0, \"storms\": 0, \"slowShare\": {}, \"failed\": true}" >"$work/faults.json"
fi

# Recovery.
read -r clear_ms last_storm_end_ms < <(python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))
print(f["clearedMs"], f["lastStormEndMs"])' "$work/faults.json")
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
if [ "$exits" = 0 ]; then stop_daemon; fi
daemon_pid=""
curl -sS --fail "$sim/_sim/requests" >"$work/requests.json"

run_checks "$work" "$accounts" "$duration" "$interval" "$daemon_start_ms" "${warm_ms:-}" "$fault_start_ms" "$clear_ms" \
    "${recovered_ms:-}" "$bound_ms" "$regain_ms" "$exits" "$restarts" "$socket_misses" "$max_failures" "$term_rc" \
    <<'PY'
import json, os, sqlite3, sys
from checks import over_limit, print_table, synclog_files, ts

(work, accounts, duration, interval, daemon_start, warm, fault_start, clear, recovered, bound, regain, exits, restarts,
 socket_misses, max_failures_polled, term_rc) = sys.argv[1:17]
faults = json.load(open(os.path.join(work, "faults.json")))
slow = faults.get("slowShare", {})
state = os.path.join(work, "state")

entries, unreadable = [], 0
for path in synclog_files(state):
    for line in open(path, "rb"):
        try:
            entries.append(json.loads(line))
        except ValueError:
            unreadable += 1
seqs = [e["seq"] for e in entries]
seq_ok = all(b == a + 1 for a, b in zip(seqs, seqs[1:]))

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
over = over_limit(requests)
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
    ("sync.interval / jitter / deadline / backoff", f"{interval} s / 0.5 / 5 s / 1-10 s", "", None),
    ("cold sync of every account (no faults)", cold, "", None),
    ("fault duration", f"{duration} s", "", None),
    ("rate-limit storms", faults.get("storms", 0), "", None),
    ("time slow (6 s latency): Instagram / TikTok",
     f"{slow.get('instagram', 0) * 100:.1f} % / {slow.get('tiktok', 0) * 100:.1f} %", "", None),
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
    ("unreadable SyncLog lines / seq breaks", f"{unreadable} / {0 if seq_ok else 'yes'}", "0 / 0",
     unreadable == 0 and seq_ok),
    ("daemon exits / restarts", f"{exits} / {restarts}", "0 / 0", exits == "0" and restarts == "0"),
    ("seconds the control socket did not answer", socket_misses, "0", socket_misses == "0"),
    ("SIGTERM exit code", term_rc, "0", term_rc == "0"),
]
failures = print_table(table, 52, 26, 10, rule=98)
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
