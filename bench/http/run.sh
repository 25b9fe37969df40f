#!/bin/sh
# run.sh - HTTP benchmark of `loket serve`: a release build with the demo bot on a temporary
# SQLite db, loaded by bench/http/loadgen (64 keep-alive connections, one message at a time per
# connection). Prints messages/s and latency, then the server's peak RSS and the number of turns
# stored in the db, so we know every acknowledged message was kept.
# Usage: bench/http/run.sh [seconds]   env: BUILD_DIR (default build-release), CONNECTIONS (64)
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
BUILD_DIR="${BUILD_DIR:-build-release}"
SECONDS_TO_RUN="${1:-10}"
CONNECTIONS="${CONNECTIONS:-64}"

bench_build "$BUILD_DIR" loket bench/loadgen

bench_init /tmp/loket-bench.XXXXXX
TMP="$BENCH_TMP"

PORT="$(bench_free_port)"
DB="$TMP/loket.db"
bench_start_loket "$BUILD_DIR/loket" bots/gemeente-demo "$DB" "$PORT" "$TMP/server.log"

echo "== loket serve ($BUILD_DIR, release), pid $LOKET_PID, $(nproc) cores"
"$BUILD_DIR/bench/loadgen" -p "$PORT" -c "$CONNECTIONS" -d "$SECONDS_TO_RUN" | tee "$TMP/loadgen.out"

echo "== server"
bench_check_loket "$TMP/server.log" || exit 1
bench_rss "$LOKET_PID"

bench_stop_loket 60

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
