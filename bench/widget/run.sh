#!/bin/sh
# run.sh - size and speed of the chat widget (web/widget): JS and CSS gzipped (gzip -9, as a
# server would send them), and the time from a click on the launcher to the first frame that
# shows the panel in headless Chromium (bench/widget/first_paint.mjs, median of 20 runs).
# Needs node >= 20, Debian's chromium and tests/browser/node_modules (npm ci in tests/browser).
# Usage: bench/widget/run.sh [runs]   env: BUILD_DIR (default build-release), LOKET_BIN
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
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
    bench_build "$BUILD_DIR" loket
    LOKET_BIN="$BUILD_DIR/loket"
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund)
fi

bench_init /tmp/loket-bench-widget.XXXXXX
PORT="$(bench_free_port)"
bench_start_loket "$LOKET_BIN" bots/gemeente-demo "$BENCH_TMP/loket.db" "$PORT" "$BENCH_TMP/server.log"
node bench/widget/first_paint.mjs "http://127.0.0.1:$PORT" "$RUNS"
