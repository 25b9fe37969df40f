#!/bin/sh
# run.sh - many open event streams on one `loket serve`: for each N (default 1000, then 10000) a
# fresh server (release build, demo bot, temporary SQLite db) and bench/bench_sse, which creates
# N conversations, opens N event streams and keeps them open, reads Loket's RSS before and with
# them open, then posts "hallo" to every conversation (POSTERS connections at once) and times the
# reply's `event: message` on each stream; then, with that load gone, a second message to
# ONE_BY_ONE of the conversations one at a time (the latency without queueing). Prints the
# figures of each run and a summary. Timings are printed, never judged. The load generator and
# Loket share this machine's cores.
# Usage: bench/sse/run.sh [N ...]   env: BUILD_DIR (default build), POSTERS (64), TEXT (hallo),
#        ONE_BY_ONE (1000)
# shellcheck disable=SC2317 # cleanup runs from the trap
set -eu
cd "$(dirname "$0")/../.."
BUILD_DIR="${BUILD_DIR:-build}"
POSTERS="${POSTERS:-64}"
TEXT="${TEXT:-hallo}"
ONE_BY_ONE="${ONE_BY_ONE:-1000}"
if [ "$#" -eq 0 ]; then
    set -- 1000 10000
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    meson setup "$BUILD_DIR" --buildtype=release >/dev/null
fi
ninja -C "$BUILD_DIR" loket bench/bench_sse >/dev/null

# One descriptor per stream on both sides. Root may raise the hard limit; otherwise take what
# the hard limit allows (bench_sse says so when it is too low). dash and bash have -n/-H.
# shellcheck disable=SC3045
ulimit -n 100000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

mkdir -p bench/out
TMP="$(mktemp -d "$PWD/bench/out/sse.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

BUILDTYPE="$(sed -n 's/.*"name": "buildtype", "value": "\([a-z]*\)".*/\1/p' \
    "$BUILD_DIR/meson-info/intro-buildoptions.json" 2>/dev/null || true)"
RC=0
for N in "$@"; do
    PORT="$(free_port)"
    rm -f "$TMP/loket.db" "$TMP/loket.db-wal" "$TMP/loket.db-shm"
    "$BUILD_DIR/loket" serve --bot bots/gemeente-demo --listen "127.0.0.1:$PORT" \
        --db "sqlite:$TMP/loket.db" >"$TMP/server.log" 2>&1 &
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
    # shellcheck disable=SC3045
    echo "== loket serve ($BUILD_DIR, ${BUILDTYPE:-unknown build type}), pid $SERVER_PID," \
         "descriptors: loket $(sed -n 's/^Max open files *\([0-9]*\).*/\1/p' "/proc/$SERVER_PID/limits")," \
         "bench $(ulimit -n); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    BENCH_RC=0
    "$BUILD_DIR/bench/bench_sse" --loket "127.0.0.1:$PORT" --pid "$SERVER_PID" -n "$N" \
        --posters "$POSTERS" --text "$TEXT" --one-by-one "$ONE_BY_ONE" | tee "$TMP/bench.$N.out" || BENCH_RC=$?
    if [ "$BENCH_RC" -ne 0 ]; then
        echo "run.sh: bench_sse exited with $BENCH_RC for N=$N" >&2
        RC="$BENCH_RC"
    fi
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    else
        echo "run.sh: loket serve is no longer running; the end of its log:" >&2
        tail -n 20 "$TMP/server.log" >&2
        RC=1
    fi
    SERVER_PID=""
    ERRORS="$(grep -ciE 'error|fout|warn|sanitizer' "$TMP/server.log" || true)"
    echo "server log: $(wc -l <"$TMP/server.log") lines, $ERRORS mentioning error/fout/warn/sanitizer"
    if [ "$ERRORS" -gt 0 ]; then
        grep -iE 'error|fout|warn|sanitizer' "$TMP/server.log" | sort | uniq -c | sort -rn | head -n 5
    fi
    echo
done

echo "== summary ($(nproc) cores, load generator and loket on the same machine)"
for N in "$@"; do
    f="$TMP/bench.$N.out"
    [ -f "$f" ] || continue
    echo "N=$N"
    grep -E '^(opened|loket RSS|delivered|delivery latency|1-by-1 delivery latency):' "$f" |
        sed 's/^/  /'
done
exit "$RC"
