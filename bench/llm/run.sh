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
BUILD_DIR="${BUILD_DIR:-build}"
SEQUENTIAL="${SEQUENTIAL:-200}"
CONCURRENT="${CONCURRENT:-500}"
TOKEN_DELAY_MS="${TOKEN_DELAY_MS:-10}"
TOKENS="${TOKENS:-0}"
QUESTION="${QUESTION:-Hoe vraag ik een paspoort aan?}"
TIMEOUT_S="${TIMEOUT_S:-60}"

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    meson setup "$BUILD_DIR" --buildtype=release >/dev/null
fi
ninja -C "$BUILD_DIR" loket bench/bench_llm >/dev/null

# 500 streams need about 1,500 descriptors in Loket and in the bench. dash and bash have -n/-H.
# shellcheck disable=SC3045
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

mkdir -p bench/out
TMP="$(mktemp -d "$PWD/bench/out/llm.XXXXXX")"
SERVER_PID=""
BENCH_PID=""
cleanup() {
    for pid in $BENCH_PID $SERVER_PID; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
FAKE_PORT="$(free_port)"
PORT="$(free_port)"

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

tries=0
until curl -fsS "http://127.0.0.1:$FAKE_PORT/v1/models" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ] || ! kill -0 "$BENCH_PID" 2>/dev/null; then
        echo "run.sh: the fake LLM server did not start:" >&2
        cat "$TMP/bench.err" >&2
        exit 1
    fi
    sleep 0.1
done

"$BUILD_DIR/loket" serve --bot "$TMP/bot" --listen "127.0.0.1:$PORT" --db "sqlite:$TMP/loket.db" \
    >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
echo "$SERVER_PID" >"$TMP/loket.pid.tmp"
mv "$TMP/loket.pid.tmp" "$TMP/loket.pid"

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
if kill -0 "$SERVER_PID" 2>/dev/null; then
    grep -E '^(VmHWM|VmRSS|Threads)' "/proc/$SERVER_PID/status" | sed 's/^VmHWM/peak RSS (VmHWM)/'
else
    echo "loket serve is no longer running; the end of its log:"
    tail -n 20 "$TMP/server.log"
fi
ERRORS="$(grep -ciE 'error|fout|warn' "$TMP/server.log" || true)"
echo "server log: $(wc -l <"$TMP/server.log") lines, $ERRORS mentioning error/fout/warn"
if [ "$ERRORS" -gt 0 ]; then
    grep -iE 'error|fout|warn' "$TMP/server.log" | sort | uniq -c | sort -rn | head -n 5
fi

echo "== summary"
sed -n '/^== phase 1:/,/^== phase 2:/s/^llm added latency (ms): \(.*\)/llm added latency (ms): \1/p' \
    "$TMP/bench.out"
grep -E '^[0-9]+ concurrent streams:' "$TMP/bench.out" || true
grep -E '^loket RSS:' "$TMP/bench.out" | tail -n 1

kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
# Sanitizer builds report leaks and errors when the server stops.
if grep -qE 'Sanitizer|runtime error' "$TMP/server.log"; then
    echo "== loket serve's log after it stopped: sanitizer reports"
    grep -E 'Sanitizer|runtime error|SUMMARY' "$TMP/server.log" | head -n 20
fi
if [ "$BENCH_RC" -ne 0 ]; then
    echo "run.sh: bench_llm exited with $BENCH_RC (3: lost, mixed or unstreamed conversations)" >&2
fi
exit "$BENCH_RC"
