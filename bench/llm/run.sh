#!/bin/sh
# run.sh - LLM streaming benchmark of `loket serve`: the latency Loket adds around the model and
# 500 concurrent streaming conversations. Starts bench/bench_llm (an embedded fake
# OpenAI-compatible server plus streaming clients, one process, one clock), a copy of the demo bot
# whose bot.yaml gets an llm: section pointing at the fake, and `loket serve` on a temporary
# SQLite db; runs 200 conversations one at a time (latency, quiet machine) and then 500 at once,
# and prints the figures and Loket's RSS. Timings are printed, never judged.
# Usage: bench/llm/run.sh   env: BUILD_DIR (default build), SEQUENTIAL (200), CONCURRENT (500),
#        TOKEN_DELAY_MS (10), TOKENS (0: one sentence of source 1, then tag and [1]),
#        QUESTION ("Hoe vraag ik een paspoort aan?"), TIMEOUT_S (60 per conversation)
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
BUILD_DIR="${BUILD_DIR:-build}"
SEQUENTIAL="${SEQUENTIAL:-200}"
CONCURRENT="${CONCURRENT:-500}"
TOKEN_DELAY_MS="${TOKEN_DELAY_MS:-10}"
TOKENS="${TOKENS:-0}"
QUESTION="${QUESTION:-Hoe vraag ik een paspoort aan?}"
TIMEOUT_S="${TIMEOUT_S:-60}"

bench_build "$BUILD_DIR" loket bench/bench_llm

# 500 streams need about 1,500 descriptors in Loket and in the bench.
bench_raise_nofile

mkdir -p bench/out
bench_init "$PWD/bench/out/llm.XXXXXX"
TMP="$BENCH_TMP"
BENCH_PID=""
# shellcheck disable=SC2317 # cleanup runs from the trap
cleanup() {
    bench_stop_pid "$BENCH_PID"
    bench_cleanup
}
trap cleanup EXIT

FAKE_PORT="$(bench_free_port)"
PORT="$(bench_free_port)"

cp -R bots/gemeente-demo "$TMP/bot"
cat >>"$TMP/bot/bot.yaml" <<EOF

llm:
  base_url: http://127.0.0.1:$FAKE_PORT/v1
  model: fake-model
  timeout_ms: 8000
  max_tokens: 300
  temperature: 0.2
EOF

"$BUILD_DIR/bench/bench_llm" --fake-port "$FAKE_PORT" --loket "127.0.0.1:$PORT" \
    --loket-pid-file "$TMP/loket.pid" --wait-s 60 --timeout-s "$TIMEOUT_S" \
    --conversations "$SEQUENTIAL,$CONCURRENT" --concurrency "1,$CONCURRENT" \
    --tokens "$TOKENS" --token-delay-ms "$TOKEN_DELAY_MS" --question "$QUESTION" \
    >"$TMP/bench.out" 2>"$TMP/bench.err" &
BENCH_PID=$!

bench_wait_url "http://127.0.0.1:$FAKE_PORT/v1/models" "$BENCH_PID" 100 "$TMP/bench.err" \
    "the fake LLM server did not start:"

bench_spawn_loket "$BUILD_DIR/loket" "$TMP/bot" "$TMP/loket.db" "$PORT" "$TMP/server.log"
echo "$LOKET_PID" >"$TMP/loket.pid.tmp"
mv "$TMP/loket.pid.tmp" "$TMP/loket.pid"

bench_wait_loket "$PORT" "$TMP/server.log"

BUILDTYPE="$(bench_buildtype "$BUILD_DIR")"
echo "== loket serve ($BUILD_DIR, ${BUILDTYPE:-unknown build type}), pid $LOKET_PID, $(nproc) cores;" \
     "fake LLM on port $FAKE_PORT"
BENCH_RC=0
wait "$BENCH_PID" || BENCH_RC=$?
BENCH_PID=""
cat "$TMP/bench.out"
if [ -s "$TMP/bench.err" ]; then
    echo "== bench_llm stderr"
    head -n 20 "$TMP/bench.err"
fi

echo "== server"
GONE=0
if kill -0 "$LOKET_PID" 2>/dev/null; then
    bench_rss "$LOKET_PID"
else
    GONE=1
    echo "loket serve is no longer running; the end of its log:"
    tail -n 20 "$TMP/server.log"
fi
bench_log_summary "$TMP/server.log" 'error|fout|warn' error/fout/warn

echo "== summary"
sed -n '/^== phase 1:/,/^== phase 2:/s/^llm added latency (ms): \(.*\)/llm added latency (ms): \1/p' \
    "$TMP/bench.out"
grep -E '^[0-9]+ concurrent streams:' "$TMP/bench.out" || true
grep -E '^loket RSS:' "$TMP/bench.out" | tail -n 1

bench_stop_loket 60
# Sanitizer builds report leaks and errors when the server stops.
if grep -qE 'Sanitizer|runtime error' "$TMP/server.log"; then
    echo "== loket serve's log after it stopped: sanitizer reports"
    grep -E 'Sanitizer|runtime error|SUMMARY' "$TMP/server.log" | head -n 20
fi
if [ "$BENCH_RC" -ne 0 ]; then
    echo "run.sh: bench_llm exited with $BENCH_RC (3: lost, mixed or unstreamed conversations)" >&2
fi
if [ "$BENCH_RC" -eq 0 ] && [ "$GONE" -ne 0 ]; then
    exit 1
fi
exit "$BENCH_RC"
