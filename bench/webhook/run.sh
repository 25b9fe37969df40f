#!/bin/sh
# run.sh - WhatsApp webhook throughput of `loket serve`. Starts tests/fake/fake_channels.py (the
# fake Graph API the replies go to), a copy of the demo bot with channels.whatsapp pointing at it
# (secrets in environment variables, as tests/e2e/test_channels.py does) and Loket (release
# build, temporary SQLite db); bench/bench_webhook posts signed text-message webhooks with unique
# ids from many users over keep-alive connections and prints POSTs/s and the latency of the
# acknowledgement. Then it waits for the asynchronous replies to stop flowing, counts what
# reached the fake, what Loket handled and stored, and measures the fake alone (the way Loket's
# channel workers use it) to tell which side limits the reply path. Timings are printed, never
# judged.
# Usage: bench/webhook/run.sh [seconds]   env: BUILD_DIR (default build), CONNECTIONS (64),
#        USERS (1000), DRAIN_MAX_S (300: longest wait for the replies), PROBE_S (5)
set -eu
cd "$(dirname "$0")/../.."
BUILD_DIR="${BUILD_DIR:-build}"
SECONDS_TO_RUN="${1:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
USERS="${USERS:-1000}"
DRAIN_MAX_S="${DRAIN_MAX_S:-300}"
PROBE_S="${PROBE_S:-5}"
PHONE_ID="106540352242922"

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    meson setup "$BUILD_DIR" --buildtype=release >/dev/null
fi
ninja -C "$BUILD_DIR" loket bench/bench_webhook >/dev/null

mkdir -p bench/out
TMP="$(mktemp -d "$PWD/bench/out/webhook.XXXXXX")"
SERVER_PID=""
FAKE_PID=""
stop_pid() { # pid, seconds to wait before SIGKILL
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null || true
        n=0
        while kill -0 "$1" 2>/dev/null && [ "$n" -lt "$(($2 * 10))" ]; do
            sleep 0.1
            n=$((n + 1))
        done
        if kill -0 "$1" 2>/dev/null; then
            echo "run.sh: pid $1 did not stop in $2 s; killing it" >&2
            kill -9 "$1" 2>/dev/null || true
        fi
        wait "$1" 2>/dev/null || true
    fi
}
cleanup() {
    stop_pid "$SERVER_PID" 5
    stop_pid "$FAKE_PID" 5
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
cpu_s() { # user + system CPU seconds of a pid, from /proc/PID/stat
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}
metric() { # name{labels} from Loket's /metrics, 0 when absent
    curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
        awk -v want="$1" '$1 == want { v = $2 } END { print (v == "" ? 0 : v) }'
}

# Secrets as the bot reads them: from the environment.
export LOKET_BENCH_WA_SECRET="bench-app-secret-$$"
export LOKET_BENCH_WA_TOKEN="bench-access-token-$$"
export LOKET_BENCH_WA_VERIFY="bench-verify-$$"

python3 tests/fake/fake_channels.py --port 0 --port-file "$TMP/fake.port" \
    --wa-token "$LOKET_BENCH_WA_TOKEN" --wa-phone-id "$PHONE_ID" >"$TMP/fake.log" 2>&1 &
FAKE_PID=$!
tries=0
until [ -s "$TMP/fake.port" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 150 ] || ! kill -0 "$FAKE_PID" 2>/dev/null; then
        echo "run.sh: fake_channels.py did not start:" >&2
        cat "$TMP/fake.log" >&2
        exit 1
    fi
    sleep 0.1
done
FAKE_PORT="$(cat "$TMP/fake.port")"

cp -R bots/gemeente-demo "$TMP/bot"
cat >>"$TMP/bot/bot.yaml" <<EOF

channels:
  whatsapp:
    phone_number_id: "$PHONE_ID"
    api_base: http://127.0.0.1:$FAKE_PORT/v21.0
    access_token_env: LOKET_BENCH_WA_TOKEN
    app_secret_env: LOKET_BENCH_WA_SECRET
    verify_token_env: LOKET_BENCH_WA_VERIFY
EOF

PORT="$(free_port)"
"$BUILD_DIR/loket" serve --bot "$TMP/bot" --listen "127.0.0.1:$PORT" --db "sqlite:$TMP/loket.db" \
    >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
tries=0
until curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 300 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "run.sh: loket serve did not start; its log:" >&2
        cat "$TMP/server.log" >&2
        exit 1
    fi
    sleep 0.1
done

BUILDTYPE="$(sed -n 's/.*"name": "buildtype", "value": "\([a-z]*\)".*/\1/p' \
    "$BUILD_DIR/meson-info/intro-buildoptions.json" 2>/dev/null || true)"
echo "== loket serve ($BUILD_DIR, ${BUILDTYPE:-unknown build type}), pid $SERVER_PID, $(nproc) cores;" \
     "fake Graph API (tests/fake/fake_channels.py) pid $FAKE_PID on port $FAKE_PORT"

L0="$(cpu_s "$SERVER_PID")"
F0="$(cpu_s "$FAKE_PID")"
T0="$(date +%s.%N)"
BENCH_RC=0
"$BUILD_DIR/bench/bench_webhook" --loket "127.0.0.1:$PORT" -c "$CONNECTIONS" -d "$SECONDS_TO_RUN" \
    --users "$USERS" --phone-id "$PHONE_ID" | tee "$TMP/bench.out" || BENCH_RC=$?
T1="$(date +%s.%N)"
L1="$(cpu_s "$SERVER_PID")"
F1="$(cpu_s "$FAKE_PID")"
SENT_OK="$(sed -n 's/^result: .* ok=\([0-9]*\) .*/\1/p' "$TMP/bench.out")"
SENT_OK="${SENT_OK:-0}"
SENDS_AT_END="$(metric 'loket_channel_sends_total{channel="whatsapp",result="ok"}')"
echo "cpu during the load: loket $(echo "$L1 $L0" | awk '{printf "%.1f", $1 - $2}') s," \
     "fake $(echo "$F1 $F0" | awk '{printf "%.1f", $1 - $2}') s" \
     "in $(echo "$T1 $T0" | awk '{printf "%.1f", $1 - $2}') s;" \
     "replies sent by then: $SENDS_AT_END"

# The replies go out on Loket's channel workers, after the acknowledgement: wait until the number
# of replies sent (or failed) stops growing for 5 s.
echo "== reply path (asynchronous): waiting for the replies (at most $DRAIN_MAX_S s)"
last=-1
same=0
waited=0
last_change="$T1"
while [ "$waited" -lt "$DRAIN_MAX_S" ]; do
    ok="$(metric 'loket_channel_sends_total{channel="whatsapp",result="ok"}')"
    bad="$(metric 'loket_channel_sends_total{channel="whatsapp",result="failed"}')"
    now=$((ok + bad))
    if [ "$now" -eq "$last" ]; then
        same=$((same + 1))
        [ "$same" -ge 5 ] && break
    else
        same=0
        last="$now"
        last_change="$(date +%s.%N)"
    fi
    sleep 1
    waited=$((waited + 1))
done
L2="$(cpu_s "$SERVER_PID")"
F2="$(cpu_s "$FAKE_PID")"
DRAIN_S="$(echo "$last_change $T1" | awk '{printf "%.1f", $1 - $2}')"
REPLY_S="$(echo "$last_change $T0" | awk '{printf "%.1f", $1 - $2}')"
if [ "$waited" -ge "$DRAIN_MAX_S" ]; then
    echo "run.sh: replies still flowing after $DRAIN_MAX_S s; counting what arrived so far" >&2
fi
ACCEPTED="$(metric 'loket_channel_events_total{channel="whatsapp",outcome="accepted"}')"
DUPS="$(metric 'loket_channel_events_total{channel="whatsapp",outcome="duplicate"}')"
REFUSED="$(metric 'loket_channel_events_total{channel="whatsapp",outcome="refused"}')"
SENDS_OK="$(metric 'loket_channel_sends_total{channel="whatsapp",result="ok"}')"
SENDS_FAILED="$(metric 'loket_channel_sends_total{channel="whatsapp",result="failed"}')"
OUTSIDE="$(metric 'loket_channel_sends_total{channel="whatsapp",result="outside_window"}')"
echo "webhook events:      $ACCEPTED accepted, $DUPS duplicates, $REFUSED refused" \
     "(bench: $SENT_OK acknowledged with 200)"
echo "replies (loket):     $SENDS_OK sent and accepted by the fake, $SENDS_FAILED failed," \
     "$OUTSIDE outside the 24-hour window"
echo "reply timing:        the last reply went out $DRAIN_S s after the load ended;" \
     "$(echo "$SENDS_OK $REPLY_S" | awk '{ if ($2 > 0) printf "%.0f", $1 / $2; else print 0 }') replies/s" \
     "over $REPLY_S s (load + drain)"
echo "cpu during the drain: loket $(echo "$L2 $L1" | awk '{printf "%.1f", $1 - $2}') s," \
     "fake $(echo "$F2 $F1" | awk '{printf "%.1f", $1 - $2}') s" \
     "in $(echo "$last_change $T1" | awk '{printf "%.1f", $1 - $2}') s"

# The fake's own count (it keeps its last 20,000 requests).
curl -fsS "http://127.0.0.1:$FAKE_PORT/_requests?api=whatsapp" -o "$TMP/requests.json" || true
python3 - "$TMP/requests.json" <<'EOF' || true
import collections, json, sys
try:
    reqs = json.load(open(sys.argv[1]))["requests"]
except (OSError, ValueError, KeyError):
    print("replies (fake):      could not read the fake's request log")
    sys.exit(0)
status = collections.Counter(str(r.get("status")) for r in reqs)
users = len({(r.get("body") or {}).get("to") for r in reqs})
kinds = collections.Counter((r.get("body") or {}).get("type") for r in reqs)
capped = " (the fake keeps only its last 20000: more arrived)" if len(reqs) >= 20000 else ""
print("replies (fake):      %d Graph API requests logged%s, status %s; %d recipients; types %s"
      % (len(reqs), capped, dict(status), users, dict(kinds)))
EOF

# What Loket handled and stored (after it stopped: it finishes its queue first).
stop_pid "$SERVER_PID" 60
SERVER_PID=""
if sqlite3 "$TMP/loket.db" "select 1 from channel_inbox limit 0" >/dev/null 2>&1; then
    echo "inbox (db):          $(sqlite3 "$TMP/loket.db" "select count(*) || ' events, ' || coalesce(sum(done), 0) || ' handled' from channel_inbox")," \
         "$(sqlite3 "$TMP/loket.db" "select count(*) from conversations where channel = 'whatsapp'" 2>/dev/null || echo '?') WhatsApp conversations," \
         "$(sqlite3 "$TMP/loket.db" "select count(*) from turns where role = 'user'" 2>/dev/null || echo '?') user turns stored"
fi
ERRORS="$(grep -ciE 'error|fout|warn|not delivered|not handled|sanitizer' "$TMP/server.log" || true)"
echo "server log:          $(wc -l <"$TMP/server.log") lines, $ERRORS mentioning error/warn/not delivered/not handled"
if [ "$ERRORS" -gt 0 ]; then
    grep -iE 'error|fout|warn|not delivered|not handled|sanitizer' "$TMP/server.log" |
        sed 's/[0-9a-f]\{32,\}/<id>/g' | sort | uniq -c | sort -rn | head -n 5
fi

# The fake alone, used the way Loket's channel workers use it (4 lanes, a new connection for
# every reply): if it takes replies about as fast as Loket sent them, the fake is the limit.
curl -fsS -X POST -H 'Content-Type: application/json' -d '{}' \
    "http://127.0.0.1:$FAKE_PORT/_reset" >/dev/null || true
echo "== the fake Graph API alone"
"$BUILD_DIR/bench/bench_webhook" --probe-fake "127.0.0.1:$FAKE_PORT" -c 4 -d "$PROBE_S" \
    --phone-id "$PHONE_ID" | grep -v '^result:' || true
stop_pid "$FAKE_PID" 5
FAKE_PID=""

if [ "$BENCH_RC" -ne 0 ]; then
    echo "run.sh: bench_webhook exited with $BENCH_RC (3: non-200 answers or connection errors)" >&2
fi
exit "$BENCH_RC"
