#!/bin/sh
# run.sh - WhatsApp webhook throughput of `loket serve`. Starts tests/fake/fake_channels.py (the
# fake Graph API the replies go to), a copy of the demo bot with channels.whatsapp pointing at it
# (secrets in environment variables, as tests/e2e/test_channels.py does) and Loket (release
# build, temporary SQLite db); bench/bench_webhook posts signed text-message webhooks with unique
# ids from many users over keep-alive connections and prints POSTs/s and the latency of the
# acknowledgement. Then it waits for the asynchronous replies to stop flowing and counts what
# reached the fake and what Loket handled and stored, and measures the fake alone the way Loket's
# channel workers use it. A second pass does the same against a fast fake written in C
# (bench_webhook --serve-fake), to show which side limits the reply path. Timings are printed,
# never judged.
# Usage: bench/webhook/run.sh [seconds]   env: BUILD_DIR (default build), CONNECTIONS (64),
#        USERS (1000), DRAIN_MAX_S (300: longest wait for the replies), PROBE_S (5),
#        PASSES ("python c"; "python" alone skips the fast fake)
# shellcheck disable=SC2016 # calc takes awk expressions, in single quotes on purpose
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
BUILD_DIR="${BUILD_DIR:-build}"
SECONDS_TO_RUN="${1:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
USERS="${USERS:-1000}"
DRAIN_MAX_S="${DRAIN_MAX_S:-300}"
PROBE_S="${PROBE_S:-5}"
PASSES="${PASSES:-python c}"
PHONE_ID="106540352242922"

bench_build "$BUILD_DIR" loket bench/bench_webhook

mkdir -p bench/out
bench_init "$PWD/bench/out/webhook.XXXXXX"
TMP="$BENCH_TMP"
FAKE_PID=""
# shellcheck disable=SC2317 # cleanup runs from the trap
cleanup() {
    bench_stop_loket 5
    bench_stop_pid "$FAKE_PID" 5
    bench_cleanup
}
trap cleanup EXIT

cpu_s() { # user + system CPU seconds of a pid, from /proc/PID/stat
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}
metric() { # name{labels} from Loket's /metrics, 0 when absent
    curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
        awk -v want="$1" '$1 == want { v = $2 } END { print (v == "" ? 0 : v) }'
}
calc() { # awk expression over the arguments $1, $2, ...
    expr="$1"
    shift
    echo "$@" | awk "{ printf \"%.1f\", $expr }"
}

# Secrets as the bot reads them: from the environment.
export LOKET_BENCH_WA_SECRET="bench-app-secret-$$"
export LOKET_BENCH_WA_TOKEN="bench-access-token-$$"
export LOKET_BENCH_WA_VERIFY="bench-verify-$$"

BUILDTYPE="$(bench_buildtype "$BUILD_DIR")"
BENCH_RC=0

start_fake() { # python|c
    rm -f "$TMP/fake.port"
    if [ "$1" = python ]; then
        python3 tests/fake/fake_channels.py --port 0 --port-file "$TMP/fake.port" \
            --wa-token "$LOKET_BENCH_WA_TOKEN" --wa-phone-id "$PHONE_ID" >"$TMP/fake.log" 2>&1 &
    else
        "$BUILD_DIR/bench/bench_webhook" --serve-fake 0 --port-file "$TMP/fake.port" \
            >"$TMP/fake.log" 2>&1 &
    fi
    FAKE_PID=$!
    tries=0
    until [ -s "$TMP/fake.port" ]; do
        tries=$((tries + 1))
        if [ "$tries" -gt 150 ] || ! kill -0 "$FAKE_PID" 2>/dev/null; then
            echo "run.sh: the fake Graph API did not start:" >&2
            cat "$TMP/fake.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    FAKE_PORT="$(cat "$TMP/fake.port")"
}

start_loket() {
    rm -rf "$TMP/bot" "$TMP"/loket.db*
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
    PORT="$(bench_free_port)"
    bench_start_loket "$BUILD_DIR/loket" "$TMP/bot" "$TMP/loket.db" "$PORT" "$TMP/server.log"
}

run_pass() { # python|c
    KIND="$1"
    start_fake "$KIND"
    start_loket
    if [ "$KIND" = python ]; then
        FAKE_NAME="tests/fake/fake_channels.py"
    else
        FAKE_NAME="fast fake in C (bench_webhook --serve-fake)"
    fi
    echo "== pass '$KIND': loket serve ($BUILD_DIR, ${BUILDTYPE:-unknown build type}), pid $LOKET_PID," \
         "$(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg)); replies go to $FAKE_NAME, pid $FAKE_PID"

    L0="$(cpu_s "$LOKET_PID")"
    F0="$(cpu_s "$FAKE_PID")"
    T0="$(date +%s.%N)"
    rc=0
    "$BUILD_DIR/bench/bench_webhook" --loket "127.0.0.1:$PORT" -c "$CONNECTIONS" \
        -d "$SECONDS_TO_RUN" --users "$USERS" --phone-id "$PHONE_ID" | tee "$TMP/bench.$KIND.out" || rc=$?
    if [ "$rc" -ne 0 ]; then
        BENCH_RC="$rc"
    fi
    T1="$(date +%s.%N)"
    L1="$(cpu_s "$LOKET_PID")"
    F1="$(cpu_s "$FAKE_PID")"
    ACKED="$(sed -n 's/^result: .* ok=\([0-9]*\) .*/\1/p' "$TMP/bench.$KIND.out")"
    ACKED="${ACKED:-0}"
    SENDS_AT_END="$(metric 'loket_channel_sends_total{channel="whatsapp",result="ok"}')"
    echo "cpu during the load: loket $(calc '$1 - $2' "$L1" "$L0") s, fake $(calc '$1 - $2' "$F1" "$F0") s" \
         "in $(calc '$1 - $2' "$T1" "$T0") s; replies sent by the end of the load: $SENDS_AT_END"

    # The replies go out on Loket's channel workers after the acknowledgement: wait until the
    # number of replies sent (or failed) has not grown for 5 s.
    echo "-- reply path (asynchronous): waiting for the replies (at most $DRAIN_MAX_S s)"
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
            if [ "$same" -ge 5 ]; then
                break
            fi
        else
            same=0
            last="$now"
            last_change="$(date +%s.%N)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    L2="$(cpu_s "$LOKET_PID")"
    F2="$(cpu_s "$FAKE_PID")"
    if [ "$waited" -ge "$DRAIN_MAX_S" ]; then
        echo "run.sh: replies still flowing after $DRAIN_MAX_S s; counting what arrived so far" >&2
    fi
    ACCEPTED="$(metric 'loket_channel_events_total{channel="whatsapp",outcome="accepted"}')"
    DUPS="$(metric 'loket_channel_events_total{channel="whatsapp",outcome="duplicate"}')"
    REFUSED="$(metric 'loket_channel_events_total{channel="whatsapp",outcome="refused"}')"
    SENDS_OK="$(metric 'loket_channel_sends_total{channel="whatsapp",result="ok"}')"
    SENDS_FAILED="$(metric 'loket_channel_sends_total{channel="whatsapp",result="failed"}')"
    OUTSIDE="$(metric 'loket_channel_sends_total{channel="whatsapp",result="outside_window"}')"
    REPLY_S="$(calc '$1 - $2' "$last_change" "$T0")"
    DRAIN_RATE="$(calc '($3 > 0) ? ($1 - $2) / $3 : 0' "$SENDS_OK" "$SENDS_AT_END" \
        "$(calc '$1 - $2' "$last_change" "$T1")")"
    echo "webhook events:      $ACCEPTED accepted, $DUPS duplicates, $REFUSED refused" \
         "(bench: $ACKED acknowledged with 200)"
    echo "replies (loket):     $SENDS_OK sent and accepted by the fake, $SENDS_FAILED failed," \
         "$OUTSIDE outside the 24-hour window"
    echo "reply timing:        the last reply went out $(calc '$1 - $2' "$last_change" "$T1") s" \
         "after the load ended; $(calc '($2 > 0) ? $1 / $2 : 0' "$SENDS_OK" "$REPLY_S") replies/s" \
         "over load + drain ($REPLY_S s), $DRAIN_RATE/s during the drain"
    echo "cpu during the drain: loket $(calc '$1 - $2' "$L2" "$L1") s, fake $(calc '$1 - $2' "$F2" "$F1") s" \
         "in $(calc '$1 - $2' "$last_change" "$T1") s"

    if [ "$KIND" = python ]; then
        # The fake's own count (it keeps only its last 20,000 requests).
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
capped = " (it keeps only its last 20000; more arrived)" if len(reqs) >= 20000 else ""
print("replies (fake):      %d Graph API requests logged%s, status %s; %d recipients; types %s"
      % (len(reqs), capped, dict(status), users, dict(kinds)))
EOF
    fi

    # What Loket handled and stored (it finishes its queue before it exits).
    bench_stop_loket 60
    if sqlite3 "$TMP/loket.db" "select 1 from channel_inbox limit 0" >/dev/null 2>&1; then
        echo "inbox (db):          $(sqlite3 "$TMP/loket.db" "select count(*) || ' events, ' || coalesce(sum(done), 0) || ' handled' from channel_inbox")," \
             "$(sqlite3 "$TMP/loket.db" "select count(*) from conversations where channel = 'whatsapp'") WhatsApp conversations," \
             "$(sqlite3 "$TMP/loket.db" "select count(*) from turns where role = 'user'") user turns stored"
    fi
    bench_log_summary "$TMP/server.log" 'error|fout|warn|not delivered|not handled|sanitizer' \
        'error/warn/not delivered/not handled' 'server log:         '

    # The fake alone, used the way Loket's channel workers use it (4 lanes, a new connection for
    # every reply): if it takes replies about as fast as Loket sent them, the fake is the limit.
    if [ "$KIND" = python ]; then
        curl -fsS -X POST -H 'Content-Type: application/json' -d '{}' \
            "http://127.0.0.1:$FAKE_PORT/_reset" >/dev/null || true
        echo "-- the fake alone"
        "$BUILD_DIR/bench/bench_webhook" --probe-fake "127.0.0.1:$FAKE_PORT" -c 4 -d "$PROBE_S" \
            --phone-id "$PHONE_ID" | grep -v '^result:' | tee "$TMP/probe.out" || true
    fi
    bench_stop_pid "$FAKE_PID" 5
    FAKE_PID=""
    if [ "$KIND" = c ]; then
        grep -v '^result:' "$TMP/fake.log" | grep -v 'listening on' | sed 's/^/replies (fake):      /'
    fi
    echo "$KIND $(sed -n 's/^throughput: *\([0-9]*\) .*/\1/p' "$TMP/bench.$KIND.out")" \
         "$(sed -n 's/^latency: *\(.*\) (.*/\1/p' "$TMP/bench.$KIND.out")|$ACKED|$SENDS_OK|$DRAIN_RATE" \
         >>"$TMP/summary"
    echo
}

for pass in $PASSES; do
    case "$pass" in
    python | c) run_pass "$pass" ;;
    *) echo "run.sh: PASSES takes 'python' and 'c'" >&2; exit 2 ;;
    esac
done

echo "== summary ($(nproc) cores; bench, loket and the fake share them)"
while IFS='|' read -r head acked sent rate; do
    kind="${head%% *}"
    rest="${head#* }"
    echo "pass $kind: ${rest%% *} webhook POSTs/s acknowledged, latency ${rest#* };" \
         "$sent replies reached the fake for $acked messages (+1 AI notice per new user), $rate replies/s while draining"
done <"$TMP/summary"
if [ -f "$TMP/probe.out" ]; then
    echo "python fake alone: $(sed -n 's/^fake throughput: *//p' "$TMP/probe.out")" \
         "(4 lanes, a new connection per reply, like Loket's channel workers)"
fi
if [ "$BENCH_RC" -ne 0 ]; then
    echo "run.sh: bench_webhook exited with $BENCH_RC (3: non-200 answers or connection errors)" >&2
fi
exit "$BENCH_RC"
