#!/bin/sh
# run.sh - intent classifier benchmark: Loket's classifier (src/nlu) and nlp.js
# on the same fixed train/test split of bench/nlu/utterances.jsonl plus the demo
# bot's knowledge-base questions (class "faq"): accuracy, macro-F1, per-intent
# recall, flows vs faq, calibration, then latency (p50/p99 over ITERS
# classifications, one core each), and the two side by side.
# Usage: bench/nlu/run.sh [ITERS]   (from anywhere; default 100000)
# env: BUILD_DIR (default build-bench-nlu, a release build). Needs node and npm
# (npm ci fetches nlp.js once into bench/nlu/node_modules).
# Files land in bench/out/nlu/: the split, nlp.js's predictions, both reports.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build=${BUILD_DIR:-build-bench-nlu}
iters=${1:-100000}
out=bench/out/nlu
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
mkdir -p "$out"

[ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release >/dev/null
ninja -C "$build" bench/bench_nlu >/dev/null
if [ ! -d bench/nlu/node_modules/@nlpjs/nlp ]; then
	(cd bench/nlu && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

echo "== Loket nlu (src/nlu)"
$pin "$build/bench/bench_nlu" bench/nlu/utterances.jsonl bots/gemeente-demo/kb \
	--iters "$iters" --dump-split "$out/split.jsonl" | tee "$out/loket.txt"
echo
echo "== nlp.js"
$pin node bench/nlu/nlpjs.mjs "$out/split.jsonl" "$out/nlpjs-pred.jsonl" "$iters" |
	tee "$out/nlpjs.txt"
"$build/bench/bench_nlu" --score "$out/nlpjs-pred.jsonl" nlp.js | tee -a "$out/nlpjs.txt"

echo
echo "== side by side (same split, same scoring code, one core each)"
awk '
	/^SUMMARY / {
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			v[FILENAME, kv[1]] = kv[2]
		}
	}
	END {
		n = split("accuracy macro_f1 flow_to_faq faq_to_flow ece unrelated_to_flow " \
			"train_ms p50_us p99_us", keys, " ")
		a = ARGV[1]; b = ARGV[2]
		printf "%-18s %12s %12s\n", "", "Loket nlu", "nlp.js"
		for (i = 1; i <= n; i++) {
			k = keys[i]
			printf "%-18s %12s %12s\n", k, ((a, k) in v ? v[a, k] : "-"),
				((b, k) in v ? v[b, k] : "-")
		}
		if ((b, "classify_p50_us") in v)
			printf "(nlp.js p50/p99 are for process(); classify() alone: " \
				"p50 %s us, p99 %s us)\n",
				v[b, "classify_p50_us"], v[b, "classify_p99_us"]
	}' "$out/loket.txt" "$out/nlpjs.txt"
