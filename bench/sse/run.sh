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
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
BUILD_DIR="${BUILD_DIR:-build}"
POSTERS="${POSTERS:-64}"
TEXT="${TEXT:-hallo}"
ONE_BY_ONE="${ONE_BY_ONE:-1000}"
if [ "$#" -eq 0 ]; then
    set -- 1000 10000
fi

bench_build "$BUILD_DIR" loket bench/bench_sse

# One descriptor per stream on both sides (bench_sse says so when the hard limit is too low).
bench_raise_nofile

mkdir -p bench/out
bench_init "$PWD/bench/out/sse.XXXXXX"
TMP="$BENCH_TMP"

BUILDTYPE="$(bench_buildtype "$BUILD_DIR")"
RC=0
for N in "$@"; do
    PORT="$(bench_free_port)"
    rm -f "$TMP/loket.db" "$TMP/loket.db-wal" "$TMP/loket.db-shm"
    bench_start_loket "$BUILD_DIR/loket" bots/gemeente-demo "$TMP/loket.db" "$PORT" "$TMP/server.log"
    # shellcheck disable=SC3045
    echo "== loket serve ($BUILD_DIR, ${BUILDTYPE:-unknown build type}), pid $LOKET_PID," \
         "descriptors: loket $(sed -n 's/^Max open files *\([0-9]*\).*/\1/p' "/proc/$LOKET_PID/limits")," \
         "bench $(ulimit -n); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    BENCH_RC=0
    "$BUILD_DIR/bench/bench_sse" --loket "127.0.0.1:$PORT" --pid "$LOKET_PID" -n "$N" \
        --posters "$POSTERS" --text "$TEXT" --one-by-one "$ONE_BY_ONE" | tee "$TMP/bench.$N.out" || BENCH_RC=$?
    if [ "$BENCH_RC" -ne 0 ]; then
        echo "run.sh: bench_sse exited with $BENCH_RC for N=$N" >&2
        RC="$BENCH_RC"
    fi
    if ! bench_check_loket "$TMP/server.log"; then
        RC=1
    fi
    bench_stop_loket 60
    bench_log_summary "$TMP/server.log" 'error|fout|warn|sanitizer' error/fout/warn/sanitizer
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
