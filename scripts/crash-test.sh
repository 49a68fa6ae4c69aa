#!/usr/bin/env bash
# Crash test: `kill -9` the daemon N times at random moments while syncs are in flight, restart it
# on the same state directory each time, then check that nothing was lost or corrupted.
#
# Run `scripts/crash-test.sh --help` for the options. Needs a release build
# (`swift build -c release --product postsync`), curl and python3 (and psql with --postgres).
# Exits 0 only when every check is 0; prints a table of figures either way.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/crash-test.sh [-n N] [--accounts A] [--postgres] [--token-key] [options]

Runs `postsync simulate` with 50-200 ms of latency on every endpoint, imports its accounts with
`postsync dev-import`, runs `postsync serve` (sync.interval 2s, jitter 0.5, backoff 1s..5s,
tiktok.refresh_before 3h so that every TikTok sync refreshes and rotates its refresh token,
a 32 KiB SyncLog rotation size so that kills also land around rotations) and N times: sleeps
0.2-1.5 s, kill -9s the daemon and starts it again on the same state directory (the stale control
socket is left for the daemon to handle), sometimes publishing a new post in the simulator.
Then it clears the latency, waits until every account has synced successfully after the last
restart, stops the daemon with SIGTERM (it must exit 0) and checks:

  lost posts              posts in the simulator that are not in the database
  phantom posts           posts in the database that the simulator does not have
  duplicate posts         (platform, post_id) twice, or one post id under two accounts
  unreadable SyncLog      lines of synclog.jsonl* that are not JSON with exactly the 15 keys of
                          CONTRACT section 6 (valid status, trigger, RFC 3339 ms timestamps),
                          including a torn last line (the final stop is graceful)
  seq regressions/dups    across all SyncLog files, oldest first (also duplicate ids)
  seq gaps                seq jumping by more than 1 (none are expected: see below)
  TikTok lockouts         accounts in needs_reauth, or whose stored refresh token is not the
                          simulator's current one (a lost rotated refresh token), at the end
  rotations lost by the daemon
                          after every kill the database's refresh tokens are compared with the
                          simulator's; a rotation the daemon lost is attributed with the
                          simulator's request log (timestamped by a marker request every ~5 ms):
                            in flight      the kill came before the platform's answer could
                                           arrive (it is delayed by the injected latency)
                            before commit  the answer may have arrived, but less than
                                           --commit-allowance-ms before the kill, and the new
                                           access token was never used
                            USED           the daemon called the API with the new access token,
                                           then lost the refresh token (commit after use: a bug)
                            HELD           the daemon had the answer for longer than the
                                           allowance and did not commit it (a bug)
                          With strict rotation (TikTok's newest docs) nobody can keep a refresh
                          token whose answer a kill -9 destroyed, so "in flight" and "before
                          commit" losses are reported, then repaired as an operator would
                          (the simulator's current pair is written to the database while the
                          daemon is down) so that the account keeps exercising rotation; USED and
                          HELD losses are not repaired and fail the test.
  unexpected exits        daemon processes that died without being killed
  over-limit requests     TikTok requests the simulator refused for exceeding 600/min/endpoint
  sync_log and JSONL disagree (--postgres)
                          missing: entries of the SyncLog files that are not in sync_log with
                          the same seq and id; extra: sync_log rows that are in no SyncLog file;
                          differ: same seq and id, other fields (one daemon and one state
                          directory: the table and the files must hold the same entries)
  tokens not sealed with exactly one known key (--token-key)
                          inspections (after every kill, after the wrong-key start, at the end)
                          that found tokens under two key ids, under an id that is neither the
                          old nor the new key's, or a token that does not open with its key
                          (AES-GCM tag, the account id as associated data)
  plaintext tokens (--token-key)
                          access or refresh tokens without the enc:v1: prefix, summed over the
                          inspections
  answered rekeys not in the database (--token-key)
                          a `tokens rekey` that got the daemon's answer, yet the tokens the
                          kill left are under the old key (the answer comes after the commit)
  wrong-key start did not name the key (--token-key)
                          1 unless the one start with a wrong key file exits 1 with a message
                          naming the key id the tokens need (and leaves the tokens as they were)

Every checked figure must be 0; the counts of rotations lost in flight or before commit are
information. A kill -9 cannot create a seq gap: seq is assigned in memory and the next start
continues after the last complete line (a torn line is cut off), so gaps fail the test too.
With --postgres, seq comes from sync_log's sequence, and a number taken by an insert that never
completed (a kill, a failed statement) is not reused: gaps are then information, and the
agreement of sync_log with the files is what is checked.

With --token-key the daemon encrypts the tokens (CONTRACT section 13) with a key file made by
`postsync tokens generate-key` (dev-import seals the imported tokens with it). Every 3rd kill
comes 0-60 ms after a `postsync tokens rekey --new-key-file <fresh key>` started in the
background (a rekey takes about 30 ms, so kills land before the daemon gets it, around its
commit and after its answer). After every kill the tokens are read from the database: they must
all carry one key id, the old key's or the new one's, and the daemon is restarted with that key
file (what an operator does after a rekey, or after reading the daemon's wrong-key message).
Once, on purpose, the daemon is started with a wrong key file: the old one right after the first
rekey that committed (the config not yet pointed at the new file), else a never-used key after
the last kill. No check is replaced: the refresh-token comparisons (lockouts, rotations lost by the
daemon) decrypt the stored tokens with the key they name (scripts/lib/checks.py has an AES-GCM of
its own), and the operator's repair is sealed with the key in use, as the daemon would store it.

Options:
  -n N                 kills (default 50)
  --accounts A         simulator accounts, half Instagram, half TikTok (default 20)
  --posts M            posts per account (default 30)
  --seed S             simulator seed and seed of the kill timings (default 1)
  --settle S           seconds allowed for all accounts to succeed after the last restart (default 60)
  --no-repair          leave lost rotations as they are: shows how many TikTok accounts a run of
                       kills locks out when nobody re-authorizes them (the lockout check then fails)
  --commit-allowance-ms MS
                       how long after the answer's arrival a kill may still find the new refresh
                       token uncommitted without counting as a daemon bug (default 1000)
  --postgres           the daemon on PostgreSQL (CONTRACT section 9): the same kills and
                       checks, posts and accounts read from the database with psql, the
                       operator's repair written there, and the sync_log check. Uses
                       $POSTSYNC_TEST_DATABASE_URL (schema crash_test_<pid>, dropped at the end;
                       dumped into the work directory first when a check fails); without it the
                       script runs itself inside scripts/with-postgres.sh (a throwaway server)
  --token-key          tokens encrypted at rest, rekeys during the kills, a wrong-key start
                       and the token checks above (combines with --postgres)
  --bin PATH           postsync binary (default $POSTSYNC_BIN, else .build/release/postsync)
  --keep               keep the work directory (it is always kept when a check fails)
  -h, --help           this help
EOF
}

kills=50
accounts=20
posts=30
seed=1
settle=60
allowance=1000
repair=1
keep=0
postgres=0
token_key=0
bin="${POSTSYNC_BIN:-}"
args=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
        -n) kills="${2:?-n needs a value}"; shift 2 ;;
        --accounts) accounts="${2:?--accounts needs a value}"; shift 2 ;;
        --posts) posts="${2:?--posts needs a value}"; shift 2 ;;
        --seed) seed="${2:?--seed needs a value}"; shift 2 ;;
        --settle) settle="${2:?--settle needs a value}"; shift 2 ;;
        --commit-allowance-ms) allowance="${2:?--commit-allowance-ms needs a value}"; shift 2 ;;
        --bin) bin="${2:?--bin needs a value}"; shift 2 ;;
        --keep) keep=1; shift ;;
        --no-repair) repair=0; shift ;;
        --postgres) postgres=1; shift ;;
        --token-key) token_key=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "crash-test: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
for value in "$kills" "$accounts" "$posts" "$seed" "$settle" "$allowance"; do
    [[ "$value" =~ ^[0-9]+$ ]] || { echo "crash-test: not a non-negative integer: $value" >&2; exit 2; }
done

name=crash-test
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "$postgres" = 1 ] && [ -z "${POSTSYNC_TEST_DATABASE_URL:-}" ]; then
    exec "$root/scripts/with-postgres.sh" "$root/scripts/crash-test.sh" "${args[@]}"
fi
source "$root/scripts/lib/harness.sh"
require_prerequisites
if [ "$postgres" = 1 ]; then
    command -v psql >/dev/null || { echo "$name: --postgres needs psql (Debian: postgresql-client)" >&2; exit 2; }
    # The checks and the repairs (scripts/lib/checks.py open_store) read these. A schema of our
    # own: the server may be someone else's.
    export CHECK_DATABASE_URL="$POSTSYNC_TEST_DATABASE_URL" CHECK_DATABASE_SCHEMA="crash_test_$$"
    psql -X -q -v ON_ERROR_STOP=1 "$CHECK_DATABASE_URL" -c "DROP SCHEMA IF EXISTS $CHECK_DATABASE_SCHEMA CASCADE" >/dev/null
    # At exit (harness cleanup): a failed run's tables go into the work directory, which is kept,
    # because the server may not outlive the script; then the schema goes.
    cleanup_hook() {
        if [ "$keep" = 1 ] || [ "$failed" != 0 ]; then
            pg_dump --no-owner --schema="$CHECK_DATABASE_SCHEMA" -f "$work/postgres-dump.sql" "$CHECK_DATABASE_URL" \
                2>/dev/null && echo "$name: the database is dumped in $work/postgres-dump.sql" >&2
        fi
        psql -X -q "$CHECK_DATABASE_URL" -c "DROP SCHEMA IF EXISTS $CHECK_DATABASE_SCHEMA CASCADE" >/dev/null 2>&1 || true
    }
fi
sim_pid=""
marker_pid=""
daemon_pid=""
rekey_pid=""
wrong_key_pid=""
cleanup_pids="daemon_pid rekey_pid wrong_key_pid marker_pid sim_pid"
make_work_dir

# Python with scripts/lib importable (checks.py), and no bytecode cache (it would land there).
lib_python() { PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$root/scripts/lib" python3 "$@"; }

# ---------------------------------------------------------------------------------------------
# Python helpers.

# A request every ~5 ms to a path the simulator does not serve: the request log has whole-second
# timestamps, and these entries (path /_marker/<epoch ms>) put milliseconds between its lines.
cat >"$work/marker.py" <<'PY'
import http.client, sys, time
host, port = sys.argv[1], int(sys.argv[2])
conn = None
while True:
    try:
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("POST", "/_marker/%d" % int(time.time() * 1000), body=b"")
        conn.getresponse().read()
    except Exception:
        try:
            conn.close()
        except Exception:
            pass
        conn = None
        time.sleep(0.05)
    time.sleep(0.004)
PY

# Run after every kill, while no daemon runs: finds TikTok rotations the daemon lost, attributes
# them (see --help) and repairs the inevitable ones. With --token-key (a 6th argument: the key
# file the tokens are sealed with) it compares the decrypted tokens and seals its repairs.
cat >"$work/lost_rotations.py" <<'PY'
import json, os, sys, time, urllib.request
from datetime import datetime
from checks import TokenKey, open_store

work, sim, allowance_ms, kill_no, repair = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
key = TokenKey(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6] else None

def get(path):
    with urllib.request.urlopen(sim + path, timeout=60) as r:
        return json.load(r)

def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

def db_time(text):  # the daemon stores RFC 3339 with milliseconds
    return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%S.000Z") if text else None

current = {a["platform"] + ":" + a["externalId"]: a for a in get("/_sim/accounts") if a["platform"] == "tiktok"}
db = open_store(os.path.join(work, "state"))
rows = []
for acc, token, st in db.rows("SELECT id, refresh_token, state FROM accounts WHERE platform = 'tiktok'"):
    if key is not None and token is not None:
        token = key.open(token, acc)
        if token is None:
            # The token check (token_keys.py) has failed the run already; there is nothing to compare.
            print(f"kill {kill_no}: {acc}: the stored refresh token does not open with key {key.id}; not compared",
                  file=sys.stderr)
            continue
    rows.append((acc, token, st))
# Losses already recorded and left unrepaired are not counted again at the next kill.
known_path = os.path.join(work, "unrepaired.json")
known = json.load(open(known_path)) if os.path.exists(known_path) else {}
lost = [(acc, st) for acc, token, st in rows
        if acc in current and token != current[acc]["refreshToken"] and known.get(acc) != current[acc]["refreshToken"]]
if not lost:
    sys.exit(0)

events = [line.split() for line in open(os.path.join(work, "events.txt"))]
ends = [int(e[0]) / 1000 for e in events if e[1] in ("kill", "exited")]
kill_at = ends[-1] if ends else time.time()
latencies = [(int(e[0]) / 1000, int(e[4])) for e in events if e[1] == "latency"]
requests = get("/_sim/requests")
markers = [(i, int(r["path"].rsplit("/", 1)[1]) / 1000) for i, r in enumerate(requests)
           if r["endpoint"] == "unknown" and r["path"].startswith("/_marker/")]
data_endpoints = ("tiktok.video.list", "tiktok.video.query", "tiktok.user.info")
out = open(os.path.join(work, "lost-rotations.jsonl"), "a")
for acc, st in lost:
    grants = [i for i, r in enumerate(requests)
              if r["endpoint"] == "tiktok.oauth.token" and r.get("accountId") == acc and r["status"] == 200]
    record = {"kill": kill_no, "account": acc, "stateAfterKill": st}
    if not grants:
        record["category"] = "UNEXPLAINED"
    else:
        j = grants[-1]
        before = [t for i, t in markers if i < j]
        after = [t for i, t in markers if i > j]
        t_lo = before[-1] if before else ts(requests[j]["at"])
        t_hi = after[0] if after else time.time()
        latency = [l for at, l in latencies if at <= t_lo]
        latency_ms = latency[-1] if latency else 0
        arrival = t_hi + latency_ms / 1000          # latest moment the answer can have arrived
        used = any(r.get("accountId") == acc and r["endpoint"] in data_endpoints and r["status"] == 200
                   for r in requests[j + 1:])
        margin_ms = round((kill_at - arrival) * 1000)
        if used:
            category = "USED"
        elif margin_ms < 0:
            category = "in flight"
        elif margin_ms <= allowance_ms:
            category = "before commit"
        else:
            category = "HELD"
        record.update(category=category, latencyMs=latency_ms, killAfterAnswerMs=margin_ms,
                      rotationWindowMs=round((t_hi - t_lo) * 1000))
    if repair and record["category"] in ("in flight", "before commit"):
        a = current[acc]
        # Sealed as the daemon stores it when the tokens are encrypted: a plaintext row would be
        # sealed by the next start, but a kill before that would find it plaintext.
        seal = (lambda token: key.seal(token, acc)) if key is not None else (lambda token: token)
        db.execute(
            "UPDATE accounts SET access_token = ?, refresh_token = ?, token_expires_at = ?, refresh_expires_at = ?,"
            " token_refreshed_at = ? WHERE id = ?",
            (seal(a["accessToken"]), seal(a["refreshToken"]), db_time(a["expiresAt"]), db_time(a.get("refreshExpiresAt")),
             db_time(a.get("issuedAt")), acc))
        record["repaired"] = True
    else:
        known[acc] = current[acc]["refreshToken"]
    out.write(json.dumps(record) + "\n")
    print(f"kill {kill_no}: {acc}: rotation lost ({record['category']}"
          + (f", answer due {-record['killAfterAnswerMs']} ms after the kill" if record.get("killAfterAnswerMs", 1) < 0 else
             f", kill {record['killAfterAnswerMs']} ms after the answer" if "killAfterAnswerMs" in record else "")
          + (")" + ("; repaired" if record.get("repaired") else "; NOT repaired")), file=sys.stderr)
json.dump(known, open(known_path, "w"))
PY

# --token-key, run after every kill (and after the wrong-key start, and at the end) while no
# daemon runs: which key are the tokens sealed with? Arguments: the work directory, a label, the
# key file the daemon ran with, the new key file of a rekey started before the kill (or ""), and
# whether that rekey got the daemon's answer. Appends a record to token-keys.jsonl and prints the
# key file to start the next daemon with (the old one when the tokens are under no known key:
# that start then fails, visibly).
cat >"$work/token_keys.py" <<'PY'
import json, os, sys
from collections import Counter
from checks import TokenKey, open_store, sealed_key_id

work, label, old_path, new_path, answered = sys.argv[1:6]
old = TokenKey(old_path)
new = TokenKey(new_path) if new_path else None
keys = {k.id: k for k in (old, new) if k is not None}
found, plaintext, unopened = Counter(), 0, []
for acc, access, refresh in open_store(os.path.join(work, "state")).rows("SELECT id, access_token, refresh_token FROM accounts"):
    for stored in (access, refresh):
        if stored is None:  # Instagram accounts have no refresh token
            continue
        kid = sealed_key_id(stored)
        if kid is None:
            plaintext += 1
        else:
            found[kid] += 1
            # Opening it (tag and associated data) tells a sealed token from one that only looks sealed.
            if kid in keys and keys[kid].open(stored, acc) is None:
                unopened.append(acc)
ok = not plaintext and not unopened and len(found) <= 1 and set(found) <= set(keys)
in_use = keys[next(iter(found))] if len(found) == 1 and set(found) <= set(keys) else old
record = {"at": label, "oldKey": old.id, "newKey": new.id if new else None, "found": dict(found),
          "plaintext": plaintext, "unopened": unopened, "ok": ok,
          "rekeyAnswered": answered == "1" if new else None, "committed": new is not None and in_use is new}
with open(os.path.join(work, "token-keys.jsonl"), "a") as out:
    out.write(json.dumps(record) + "\n")
if not ok:
    print(f"{label}: tokens not under one known key (old {old.id}, new {new.id if new else '-'}): "
          f"key ids {dict(found)}, {plaintext} plaintext, does not open: {unopened}", file=sys.stderr)
if record["rekeyAnswered"] and not record["committed"]:
    print(f"{label}: the rekey to {new.id} was answered, but the tokens are under {old.id}", file=sys.stderr)
print(in_use.path)
PY

# ---------------------------------------------------------------------------------------------
# Simulator, marker, accounts, configuration.

RANDOM=$seed
start_simulator 300 --accounts "$accounts" --posts "$posts" --seed "$seed"
python3 "$work/marker.py" 127.0.0.1 "$port" &
marker_pid=$!

sim_fault() { # endpoint json
    curl -sS --fail -o /dev/null -X PUT "$sim/_sim/fault?endpoint=$1" -H 'Content-Type: application/json' -d "$2"
}
# Latency on every platform endpoint, 50-200 ms, redrawn after every kill. Set per platform (and
# separately for the TikTok token endpoint), never with "*", so the marker requests stay instant.
set_latency() {
    local ig=$((50 + RANDOM % 151)) tt=$((50 + RANDOM % 151)) oauth=$((50 + RANDOM % 151))
    sim_fault 'instagram.*' "{\"latencyMs\":$ig}"
    sim_fault 'tiktok.*' "{\"latencyMs\":$tt}"
    sim_fault 'tiktok.oauth.token' "{\"latencyMs\":$oauth}"
    echo "$(now_ms) latency $ig $tt $oauth" >>"$work/events.txt"
}
set_latency

# write_daemon_config [TOKEN_KEY_FILE]: $work/postsync.yaml, naming the key file when one is given.
write_daemon_config() {
    local database_yaml=""
    if [ "$postgres" = 1 ]; then
        database_yaml="database:
  url: $CHECK_DATABASE_URL
  schema: $CHECK_DATABASE_SCHEMA
  tls: disable
  max_connections: 8"
    fi
    if [ -n "${1:-}" ]; then
        # The key belongs to the database section with either store (SQLite needs no url there).
        database_yaml="${database_yaml:-database:}
  token_key_file: $1"
    fi
    write_config "  refresh_before: 3h" <<YAML
sync:
  schedule: fixed   # the checks are bounded by the fixed interval
  interval: 2s
  jitter: 0.5
  backoff: {min: 1s, max: 5s}
synclog: {max_bytes: 32KiB, keep: 100000}
$database_yaml
YAML
}

# --token-key: $key_file is the key the tokens are sealed with, so the one the next daemon starts
# with; key-0 is the first, key-<kill> the new key of the rekey before that kill. The work
# directory is mode 0700 (mktemp -d), like the key files' proper home.
key_file=""
if [ "$token_key" = 1 ]; then
    mkdir "$work/keys"
    key_file="$work/keys/key-0"
    "$bin" tokens generate-key >"$key_file"
fi
# dev-import reads the config: with a key, the tokens are sealed from the start, so the first
# inspection already finds no plaintext.
write_daemon_config "$key_file"

import_accounts
mapfile -t account_ids < <(curl -sS --fail "$sim/_sim/accounts" | python3 -c '
import json, sys
for a in json.load(sys.stdin): print(a["platform"] + ":" + a["externalId"])')

incarnation=0
start_daemon() {
    incarnation=$((incarnation + 1))
    # The operator's part after a rekey or a wrong-key message: the config names the key file the
    # tokens are sealed with.
    if [ "$token_key" = 1 ]; then write_daemon_config "$key_file"; fi
    "$bin" serve --config "$work/postsync.yaml" --state-dir "$state" --log-level info \
        >>"$work/serve.out" 2>"$work/serve-$incarnation.err" &
    daemon_pid=$!
    echo "$(now_ms) start $incarnation $daemon_pid" >>"$work/events.txt"
}

# key_id KEY_FILE: the id the daemon gives that key (first 8 hex characters of its SHA-256).
key_id() { lib_python -c 'import sys; from checks import TokenKey; print(TokenKey(sys.argv[1]).id)' "$1"; }

# inspect_tokens LABEL [NEW_KEY_FILE ANSWERED]: while no daemon runs, token_keys.py checks the
# stored tokens against $key_file (and the new key of a rekey started before the kill) and sets
# $key_file to the key they are sealed with.
inspect_tokens() {
    key_file="$(lib_python "$work/token_keys.py" "$work" "$1" "$key_file" "${2:-}" "${3:-0}")"
}

# finish_rekey: after the kill, waits for the background `tokens rekey` (its daemon is gone, so it
# ends by itself: with the answer, a refused connection or a reset; stopped after 10 s) and sets
# $rekey_answered to 1 when it got the daemon's answer (exit 0).
finish_rekey() {
    local rc=0
    for _ in $(seq 1 100); do kill -0 "$rekey_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$rekey_pid" 2>/dev/null; then
        log "tokens rekey still runs 10 s after the kill; stopping it (output: $work/rekey-$i.out)"
        stop_pid "$rekey_pid"
        rc=timeout
    else
        { wait "$rekey_pid"; } 2>/dev/null || rc=$?
    fi
    echo "$(now_ms) rekey-exit $rekey_pid rc=$rc" >>"$work/events.txt"
    rekey_pid=""
    rekey_answered=0
    if [ "$rc" = 0 ]; then rekey_answered=1; fi
}

# wrong_key_start WRONG_KEY_FILE: a start with that key file while the tokens are sealed with
# $key_file. It must exit 1 naming $key_file's id (and change nothing: inspected again after);
# the result goes to wrong-key.json for the checks. Not an incarnation: it must not sync.
wrong_key_done=0
wrong_key_start() {
    local given needed rc=0 named=false
    given="$(key_id "$1")"
    needed="$(key_id "$key_file")"
    write_daemon_config "$1"
    "$bin" serve --config "$work/postsync.yaml" --state-dir "$state" --log-level info \
        >"$work/wrong-key.out" 2>"$work/wrong-key.err" &
    wrong_key_pid=$!
    echo "$(now_ms) wrong-key-start $wrong_key_pid $given $needed" >>"$work/events.txt"
    for _ in $(seq 1 600); do kill -0 "$wrong_key_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$wrong_key_pid" 2>/dev/null; then
        log "the daemon with the wrong key file still runs after 60 s; stopping it"
        stop_pid "$wrong_key_pid"
        rc=running
    else
        { wait "$wrong_key_pid"; } 2>/dev/null || rc=$?
    fi
    wrong_key_pid=""
    echo "$(now_ms) wrong-key-exit rc=$rc" >>"$work/events.txt"
    write_daemon_config "$key_file"
    # What the operator must read: the id of the key file to give.
    if grep -qF "tokens are sealed with key $needed" "$work/wrong-key.err" \
        && grep -qF "give the key file whose id is $needed" "$work/wrong-key.err"; then
        named=true
    fi
    printf '{"given": "%s", "needed": "%s", "rc": "%s", "named": %s}\n' "$given" "$needed" "$rc" "$named" \
        >"$work/wrong-key.json"
    log "wrong-key start: key $given given, tokens under $needed: exit $rc, key named: $named"
    wrong_key_done=1
    inspect_tokens "after the wrong-key start"
}

# ---------------------------------------------------------------------------------------------
# The kills.

unexpected_exits=0
published=0
log "work dir $work, simulator $sim, $accounts accounts, $kills kills"
start_daemon
for i in $(seq 1 "$kills"); do
    key_before="$key_file"
    rekey_key=""
    rekey_started=""
    if [ "$token_key" = 1 ] && [ $((i % 3)) -eq 0 ]; then
        # Made before the pause: a process start would otherwise delay the kill.
        rekey_key="$work/keys/key-$i"
        "$bin" tokens generate-key >"$rekey_key"
        rekey_delay_ms=$((RANDOM % 61))
    fi
    pause_ms=$((200 + RANDOM % 1301))
    sleep "$(printf '%d.%03d' $((pause_ms / 1000)) $((pause_ms % 1000)))"
    if kill -0 "$daemon_pid" 2>/dev/null; then
        if [ -n "$rekey_key" ]; then
            # 0-60 ms between the rekey's start and the kill: a rekey takes about 30 ms from the
            # client's start to its answer, so the kill lands before it reaches the daemon, around
            # its commit or after its answer.
            "$bin" tokens rekey --config "$work/postsync.yaml" --state-dir "$state" --new-key-file "$rekey_key" \
                >"$work/rekey-$i.out" 2>&1 &
            rekey_pid=$!
            rekey_started="$rekey_key"
            echo "$(now_ms) rekey $i $rekey_pid $rekey_delay_ms" >>"$work/events.txt"
            sleep "0.$(printf '%03d' "$rekey_delay_ms")"
        fi
        kill_ms="$(now_ms)"
        # One redirected group: bash reports a job killed by a signal ("Killed") when it reaps it.
        { kill -KILL "$daemon_pid"; wait "$daemon_pid"; } 2>/dev/null || true
        echo "$kill_ms kill $incarnation $daemon_pid" >>"$work/events.txt"
    else
        rc=0; { wait "$daemon_pid"; } 2>/dev/null || rc=$?
        unexpected_exits=$((unexpected_exits + 1))
        echo "$(now_ms) exited $incarnation $daemon_pid rc=$rc" >>"$work/events.txt"
        log "daemon incarnation $incarnation exited by itself (rc $rc); stderr: $work/serve-$incarnation.err"
    fi
    rekey_answered=0
    if [ -n "$rekey_pid" ]; then finish_rekey; fi
    if [ "$token_key" = 1 ]; then inspect_tokens "kill $i" "$rekey_started" "$rekey_answered"; fi
    lib_python "$work/lost_rotations.py" "$work" "$sim" "$allowance" "$i" "$repair" "$key_file"
    if [ "$token_key" = 1 ] && [ "$wrong_key_done" = 0 ]; then
        if [ "$key_file" != "$key_before" ]; then
            # A rekey committed: the likely slip is a start before the config names the new file.
            wrong_key_start "$key_before"
        elif [ "$i" = "$kills" ]; then
            "$bin" tokens generate-key >"$work/keys/never-used"
            wrong_key_start "$work/keys/never-used"
        fi
    fi
    set_latency
    if [ $((RANDOM % 3)) -eq 0 ] && [ "${#account_ids[@]}" -gt 0 ]; then
        target="${account_ids[$((RANDOM % ${#account_ids[@]}))]}"
        curl -sS --fail -o /dev/null -X POST "$sim/_sim/publish?account=$target"
        published=$((published + 1))
    fi
    start_daemon
    if [ $((i % 10)) -eq 0 ]; then log "$i/$kills kills"; fi
done

# ---------------------------------------------------------------------------------------------
# Catch up without latency, then a graceful stop.

for endpoint in 'instagram.*' 'tiktok.*' 'tiktok.oauth.token'; do
    curl -sS --fail -o /dev/null -X DELETE "$sim/_sim/fault?endpoint=$endpoint"
done
final_start_ms="$(sed -n '/ start /s/ start .*//p' "$work/events.txt" | tail -n 1)"
log "last restart done; waiting up to ${settle}s for every account to succeed"
settle_deadline=$(( $(date +%s) + settle ))
settled_ms=""
pending="?"
while [ "$(date +%s)" -lt "$settle_deadline" ]; do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        rc=0; { wait "$daemon_pid"; } 2>/dev/null || rc=$?
        unexpected_exits=$((unexpected_exits + 1))
        echo "$(now_ms) exited $incarnation $daemon_pid rc=$rc" >>"$work/events.txt"
        log "the final daemon exited by itself (rc $rc)"
        daemon_pid=""
        break
    fi
    if curl -sS --fail --max-time 5 --unix-socket "$sock" http://localhost/v1/accounts >"$work/accounts.json" 2>/dev/null; then
        # Done when every account succeeded after the last restart; an account in needs_reauth
        # never will, and the checks below report it.
        pending="$(python3 - "$work/accounts.json" "$final_start_ms" <<'PY'
import json, sys
from datetime import datetime
since = int(sys.argv[2]) / 1000
def at(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else 0
accounts = json.load(open(sys.argv[1]))
print(sum(1 for a in accounts
          if a["state"] != "needs_reauth" and (a["lastStatus"] != "success" or at(a["lastSyncAt"]) <= since)))
PY
)"
        if [ "$pending" = 0 ]; then settled_ms="$(now_ms)"; break; fi
    fi
    sleep 0.5
done
[ -n "$settled_ms" ] || log "not every account succeeded within ${settle}s ($pending pending); see $work/accounts.json"

term_rc="n/a"
if [ -n "$daemon_pid" ]; then stop_daemon; fi
stop_pid "$marker_pid"; marker_pid=""
curl -sS --fail "$sim/_sim/requests" >"$work/requests.json"
curl -sS --fail "$sim/_sim/accounts" >"$work/sim-accounts.json"
touch "$work/lost-rotations.jsonl"
# What the graceful stop left: still one key, the one the last daemon ran with.
if [ "$token_key" = 1 ]; then inspect_tokens "end"; fi

# ---------------------------------------------------------------------------------------------
# The checks.

run_checks "$work" "$sim" "$kills" "$unexpected_exits" "$published" "$term_rc" "$final_start_ms" "${settled_ms:-}" \
    "$settle" "$accounts" "$allowance" "$postgres" "$token_key" "$key_file" <<'PY'
import json, os, re, sys, urllib.parse, urllib.request
from checks import TokenKey, open_store, over_limit, print_table, synclog_files, ts

work, sim, kills, unexpected, published, term_rc, final_start, settled, settle, n_accounts, allowance = sys.argv[1:12]
postgres = sys.argv[12] == "1"
token_key = sys.argv[13] == "1"
# --token-key: the key the tokens are sealed with after the final stop (the end inspection says so).
final_key = TokenKey(sys.argv[14]) if token_key else None
state = os.path.join(work, "state")
KEYS = {"seq", "id", "accountId", "platform", "trigger", "postsFound", "postsSynced", "status", "errorMessage",
        "duration", "createdAt", "startedAt", "apiCalls", "tokenRefreshed", "attempt"}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

def get(path):
    with urllib.request.urlopen(sim + path, timeout=30) as r:
        return json.load(r)

sim_accounts = json.load(open(os.path.join(work, "sim-accounts.json")))
db = open_store(state)

# Posts: simulator vs database.
lost, phantom = [], []
sim_total = 0
stored = {}
for account, post in db.rows("SELECT account_id, post_id FROM posts"):
    stored.setdefault(account, set()).add(post)
for a in sim_accounts:
    key = a["platform"] + ":" + a["externalId"]
    sim_ids = {p["id"] for p in get("/_sim/posts?account=" + urllib.parse.quote(key))}
    sim_total += len(sim_ids)
    db_ids = stored.get(key, set())
    lost += [(key, p) for p in sorted(sim_ids - db_ids)]
    phantom += [(key, p) for p in sorted(db_ids - sim_ids)]
# Posts under an account the simulator does not have are phantoms too.
sim_keys = {a["platform"] + ":" + a["externalId"] for a in sim_accounts}
phantom += [(key, p) for key in sorted(set(stored) - sim_keys) for p in sorted(stored[key])]
db_total = int(db.rows("SELECT count(*) FROM posts")[0][0])
dup_pk = int(db.rows("SELECT count(*) FROM (SELECT 1 FROM posts GROUP BY platform, post_id HAVING count(*) > 1) AS d")[0][0])
dup_owner = int(db.rows(
    "SELECT count(*) FROM (SELECT 1 FROM posts GROUP BY post_id HAVING count(DISTINCT account_id) > 1) AS d")[0][0])

# SyncLog: every file, oldest first.
files = synclog_files(state)
unreadable, regressions, dup_seq, gaps, gap_total, dup_ids = 0, 0, 0, 0, 0, 0
ids, seen, prev, entries, notes = set(), set(), None, [], []
for path in files:
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        unreadable += 1
        notes.append(f"{os.path.basename(path)}: the last line is torn (no newline)")
        data = data[: data.rfind(b"\n") + 1]
    for raw in data.split(b"\n")[:-1]:
        try:
            e = json.loads(raw)
            ok = (isinstance(e, dict) and set(e) == KEYS and isinstance(e["seq"], int)
                  and e["status"] in ("success", "partial", "error")
                  and e["trigger"] in ("schedule", "webhook", "manual", "cron")
                  and all(isinstance(e[k], str) and STAMP.match(e[k]) for k in ("createdAt", "startedAt")))
        except ValueError:
            ok = False
        if not ok:
            unreadable += 1
            if len(notes) < 10:
                notes.append(f"{os.path.basename(path)}: unreadable line {raw[:120]!r}")
            continue
        entries.append(e)
        seq = e["seq"]
        if seq in seen:
            dup_seq += 1
            notes.append(f"{os.path.basename(path)}: seq {seq} again")
        elif prev is not None and seq < prev:
            regressions += 1
            notes.append(f"{os.path.basename(path)}: seq {seq} after {prev}")
        elif prev is not None and seq > prev + 1:
            gaps += 1
            gap_total += seq - prev - 1
            notes.append(f"{os.path.basename(path)}: seq gap {prev} -> {seq}")
        seen.add(seq)
        prev = seq if prev is None else max(prev, seq)
        dup_ids += e["id"] in ids
        ids.add(e["id"])
if entries and entries[0]["seq"] != 1:
    gaps += 1
    gap_total += entries[0]["seq"] - 1
    notes.append(f"the oldest SyncLog record has seq {entries[0]['seq']}, not 1")

# Lockouts at the end, and the rotations lost along the way.
sim_refresh = {a["platform"] + ":" + a["externalId"]: a.get("refreshToken") for a in sim_accounts}
rows = db.rows("SELECT id, platform, state, refresh_token, last_error FROM accounts")
if final_key is not None:
    # The simulator's refresh token against the decrypted one (one that does not open is a lockout).
    rows = [(r[0], r[1], r[2], final_key.open(r[3], r[0]) if r[3] is not None else None, r[4]) for r in rows]
reauth = [(r[0], r[4]) for r in rows if r[2] == "needs_reauth"]
lockouts = [r[0] for r in rows if r[1] == "tiktok" and (r[2] == "needs_reauth" or r[3] != sim_refresh.get(r[0]))]
tiktok_accounts = sum(1 for r in rows if r[1] == "tiktok")
lost_rotations = [json.loads(l) for l in open(os.path.join(work, "lost-rotations.jsonl"))]
def count(*categories):
    return sum(1 for r in lost_rotations if r["category"] in categories)
inevitable = count("in flight", "before commit")
daemon_lost = count("USED", "HELD", "UNEXPLAINED")

# TikTok requests beyond 600/min/endpoint: replay the simulator's sliding window over its request
# log (same whole-second clock, same order). No rate-limit fault is injected, so every TikTok 429
# must be one of these.
requests = json.load(open(os.path.join(work, "requests.json")))
over = over_limit(requests)
tiktok_429 = sum(1 for r in requests if r["status"] == 429 and r["endpoint"].startswith("tiktok."))
rotations = sum(1 for r in requests if r["endpoint"] == "tiktok.oauth.token" and r["status"] == 200)

# sync_log against the files (--postgres): the same entries, seq for seq, field for field.
table_only, file_only, differ, table_notes = [], [], [], []
if postgres:
    def ms(text):
        return round(ts(text) * 1000)
    logged = {}
    for r in db.rows(
            "SELECT seq, id, account_id, platform, trigger, posts_found, posts_synced, status, error_message,"
            " duration_ms, (extract(epoch FROM created_at) * 1000)::bigint, (extract(epoch FROM started_at) * 1000)::bigint,"
            " api_calls, token_refreshed, attempt FROM sync_log"):
        logged[int(r[0])] = (r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), r[7], r[8], int(r[9]), int(r[10]), int(r[11]),
                            int(r[12]), r[13] == "t", int(r[14]))
    in_files = set()
    for e in entries:
        in_files.add(e["seq"])
        row = logged.get(e["seq"])
        mine = (e["id"], e["accountId"], e["platform"], e["trigger"], e["postsFound"], e["postsSynced"], e["status"],
                e["errorMessage"], e["duration"], ms(e["createdAt"]), ms(e["startedAt"]), e["apiCalls"],
                e["tokenRefreshed"], e["attempt"])
        if row is None or row[0] != e["id"]:
            file_only.append(e["seq"])
        elif row != mine:
            differ.append(e["seq"])
    table_only = sorted(set(logged) - in_files)
    for seq in file_only[:5]:
        table_notes.append(f"seq {seq} (id {next(e['id'] for e in entries if e['seq'] == seq)}) is in the files, not in sync_log")
    for seq in table_only[:5]:
        table_notes.append(f"seq {seq} (id {logged[seq][0]}) is in no SyncLog file")
    for seq in differ[:5]:
        table_notes.append(f"seq {seq}: the file and the table disagree: {logged[seq]}")

# --token-key: the inspections of token_keys.py, the rekeys among them, the wrong-key start.
inspections, wrong_key = [], None
if token_key:
    inspections = [json.loads(l) for l in open(os.path.join(work, "token-keys.jsonl"))]
    wrong_key_path = os.path.join(work, "wrong-key.json")
    wrong_key = json.load(open(wrong_key_path)) if os.path.exists(wrong_key_path) else None
not_one_key = [r for r in inspections if not r["ok"]]
plaintext_tokens = sum(r["plaintext"] for r in inspections)
rekeys = [r for r in inspections if r["newKey"]]
rekeys_answered = sum(1 for r in rekeys if r["rekeyAnswered"])
rekeys_committed = sum(1 for r in rekeys if r["committed"])
answered_lost = [r for r in rekeys if r["rekeyAnswered"] and not r["committed"]]
wrong_key_ok = wrong_key is not None and wrong_key["rc"] == "1" and wrong_key["named"]

runs = len(entries)
by_status = {s: sum(1 for e in entries if e["status"] == s) for s in ("success", "partial", "error")}
settle_text = f"{(int(settled) - int(final_start)) / 1000:.1f} s" if settled else f"> {settle} s"

table = [
    ("kills (kill -9)", kills, "", None),
    ("accounts (of them TikTok)", f"{n_accounts} ({tiktok_accounts})", "", None),
    ("posts published during the run", published, "", None),
    ("posts in simulator / in database", f"{sim_total} / {db_total}", "", None),
    ("SyncLog files / records", f"{len(files)} / {runs}", "", None),
    ("runs success / partial / error", f"{by_status['success']} / {by_status['partial']} / {by_status['error']}", "", None),
    ("TikTok refresh-token rotations", rotations, "", None),
    ("rotations lost in flight / before commit", f"{count('in flight')} / {count('before commit')}", "info", None),
    ("all accounts success after last restart", settle_text, f"<= {settle} s", bool(settled)),
    ("SIGTERM exit code", term_rc, "0", term_rc == "0"),
    ("unexpected daemon exits", unexpected, "0", unexpected == "0"),
    ("lost posts", len(lost), "0", not lost),
    ("phantom posts", len(phantom), "0", not phantom),
    ("duplicate posts (same PK / id under 2 accounts)", f"{dup_pk} / {dup_owner}", "0 / 0", dup_pk == 0 and dup_owner == 0),
    ("unreadable SyncLog lines", unreadable, "0", unreadable == 0),
    ("seq regressions / duplicate seqs / dup ids", f"{regressions} / {dup_seq} / {dup_ids}", "0 / 0 / 0",
     regressions == 0 and dup_seq == 0 and dup_ids == 0),
    ("seq gaps (missing seqs)", f"{gaps} ({gap_total})", "info" if postgres else "0 (0)", None if postgres else gaps == 0),
    ("rotations lost by the daemon (USED/HELD/?)", daemon_lost, "0", daemon_lost == 0),
    ("TikTok accounts locked out at the end", len(lockouts), "0", not lockouts),
    ("accounts in needs_reauth at the end", len(reauth), "0", not reauth),
    ("TikTok requests over 600/min (all TikTok 429s)", f"{over} ({tiktok_429})", "0 (0)", over == 0 and tiktok_429 == 0),
]
if postgres:
    table.append(("sync_log vs files (missing / extra / differ)",
                  f"{len(file_only)} / {len(table_only)} / {len(differ)}", "0 / 0 / 0",
                  not file_only and not table_only and not differ))
if token_key:
    table += [
        ("token rekeys started / answered / committed", f"{len(rekeys)} / {rekeys_answered} / {rekeys_committed}",
         "info", None),
        ("token inspections (kills, wrong key, end)", len(inspections), "", None),
        ("tokens not sealed with exactly one known key", len(not_one_key), "0", not not_one_key),
        ("plaintext tokens", plaintext_tokens, "0", plaintext_tokens == 0),
        ("answered rekeys not in the database", len(answered_lost), "0", not answered_lost),
        ("wrong-key start did not name the key", 0 if wrong_key_ok else 1, "0", wrong_key_ok),
    ]
failures = print_table(table, 48, 20, 12, rule=92)
for key, post in lost[:10]:
    print(f"lost post: {key} {post}")
for key, post in phantom[:10]:
    print(f"phantom post: {key} {post}")
for note in notes[:10]:
    print("synclog: " + note)
for note in table_notes:
    print("sync_log: " + note)
for r in lost_rotations:
    if r["category"] not in ("in flight", "before commit"):
        print(f"rotation lost by the daemon: {json.dumps(r)}")
for acc in lockouts:
    print(f"locked out: {acc}")
for r in not_one_key + answered_lost:
    print(f"tokens: {json.dumps(r)}")
if token_key and not wrong_key_ok:
    print("wrong-key start: " + (json.dumps(wrong_key) + f"; stderr in {work}/wrong-key.err" if wrong_key else "not run"))
for acc, error in reauth:
    print(f"needs_reauth: {acc}: {error}")
print("crash-test: " + ("PASS" if failures == 0 else f"FAIL ({failures} check(s))"))
sys.exit(1 if failures else 0)
PY
