#!/bin/sh
# run.sh - size and speed of the chat widget (web/widget): JS and CSS gzipped (gzip -9, as a
# server would send them), and the time from a click on the launcher to the first frame that
# shows the panel in headless Chromium (bench/widget/first_paint.mjs, median of 20 runs).
# Needs node >= 20, Debian's chromium and tests/browser/node_modules (npm ci in tests/browser).
# Usage: bench/widget/run.sh [runs]   env: BUILD_DIR (default build-release), LOKET_BIN
set -eu
cd "$(dirname "$0")/../.."
RUNS="${1:-20}"
BUILD_DIR="${BUILD_DIR:-build-release}"

js_raw=$(wc -c <web/widget/loket.js)
css_raw=$(wc -c <web/widget/loket.css)
js_gz=$(gzip -9 -c web/widget/loket.js | wc -c)
css_gz=$(gzip -9 -c web/widget/loket.css | wc -c)
echo "loket.js   $js_raw bytes, $js_gz gzipped"
echo "loket.css  $css_raw bytes, $css_gz gzipped"
echo "together   $((js_raw + css_raw)) bytes, $((js_gz + css_gz)) gzipped (budget 51200)"
if [ $((js_gz + css_gz)) -gt 51200 ]; then
    echo "run.sh: the widget is over its 50 kB budget" >&2
    exit 1
fi

if [ -z "${LOKET_BIN:-}" ]; then
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        meson setup "$BUILD_DIR" --buildtype=release >/dev/null
    fi
    ninja -C "$BUILD_DIR" loket >/dev/null
    LOKET_BIN="$BUILD_DIR/loket"
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund)
fi

TMP="$(mktemp -d /tmp/loket-bench-widget.XXXXXX)"
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
"$LOKET_BIN" serve --bot bots/gemeente-demo --listen "127.0.0.1:$PORT" --db "sqlite:$TMP/loket.db" \
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
node bench/widget/first_paint.mjs "http://127.0.0.1:$PORT" "$RUNS"
