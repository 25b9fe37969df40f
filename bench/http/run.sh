#!/bin/sh
# run.sh - HTTP benchmark of `loket serve`: a release build with the demo bot on a temporary
# SQLite db, loaded by bench/http/loadgen (64 keep-alive connections, one message at a time per
# connection). Prints messages/s and latency, then the server's peak RSS and the number of turns
# stored in the db, so we know every acknowledged message was kept.
# Usage: bench/http/run.sh [seconds]   env: BUILD_DIR (default build-release), CONNECTIONS (64)
set -eu
cd "$(dirname "$0")/../.."
BUILD_DIR="${BUILD_DIR:-build-release}"
SECONDS_TO_RUN="${1:-10}"
CONNECTIONS="${CONNECTIONS:-64}"

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    meson setup "$BUILD_DIR" --buildtype=release >/dev/null
fi
ninja -C "$BUILD_DIR" loket bench/loadgen >/dev/null

TMP="$(mktemp -d /tmp/loket-bench.XXXXXX)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
DB="$TMP/loket.db"
"$BUILD_DIR/loket" serve --bot bots/gemeente-demo --listen "127.0.0.1:$PORT" --db "sqlite:$DB" \
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

echo "== loket serve ($BUILD_DIR, release), pid $SERVER_PID, $(nproc) cores"
"$BUILD_DIR/bench/loadgen" -p "$PORT" -c "$CONNECTIONS" -d "$SECONDS_TO_RUN" | tee "$TMP/loadgen.out"

echo "== server"
grep -E '^(VmHWM|VmRSS|Threads)' "/proc/$SERVER_PID/status" | sed 's/^VmHWM/peak RSS (VmHWM)/'

kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

echo "== store"
MESSAGES="$(sed -n 's/^messages: *\([0-9]*\) in.*/\1/p' "$TMP/loadgen.out")"
NON_200="$(sed -n 's/^non-200: *\([0-9]*\).*/\1/p' "$TMP/loadgen.out")"
ACKED=$((MESSAGES - NON_200))
if sqlite3 "$DB" "select 1 from turns limit 0" >/dev/null 2>&1; then
    echo "turns stored:       $(sqlite3 "$DB" 'select count(*) from turns')"
    if USERS="$(sqlite3 "$DB" "select count(*) from turns where role = 'user'" 2>/dev/null)"; then
        echo "user turns stored:  $USERS (messages acknowledged with 200: $ACKED)"
        if [ "$USERS" -lt "$ACKED" ]; then
            echo "run.sh: FEWER user turns stored than messages acknowledged" >&2
            exit 1
        fi
    fi
else
    echo "turns stored:       (no 'turns' table in $DB; cannot check)"
fi
