#!/bin/sh
# run_cite.sh - the citation check (llm_cite) on the dev set with a fake model that echoes the
# top passage: builds bench/bench_cite if needed and runs it on the eval set. Prints how many
# valid answers pass and how many invented citations of each kind are refused, the time per
# check, and a FAIL line (query, answer, the check's verdict) for each one that went wrong.
# A measurement: figures are printed, never judged.
# Usage: bench/llm/run_cite.sh [KB.jsonl QUERIES.jsonl]   env: BUILD_DIR (default build)
set -eu
cd "$(dirname "$0")/../.."
BUILD_DIR="${BUILD_DIR:-build}"

if [ -d ../shared/data/eval ]; then
	eval_dir=$(cd ../shared/data/eval && pwd)
else
	eval_dir=/work/shared/data/eval
fi
kb="${1:-$eval_dir/vac-answers.kb.jsonl}"
queries="${2:-$eval_dir/vac-answers.queries.jsonl}"

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
	meson setup "$BUILD_DIR" --buildtype=release >/dev/null
fi
ninja -C "$BUILD_DIR" bench/bench_cite >/dev/null

echo "== citation check on $kb (fake model: first two sentences of passage 1, then [1])"
"$BUILD_DIR/bench/bench_cite" "$kb" "$queries"
