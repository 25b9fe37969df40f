#!/bin/sh
# run.sh - retrieval benchmark: builds Loket (release), prints Loket's
# hit@1/hit@3/MRR@10 on the eval set, index build time and query latency
# (dev set and a generated 100,000-passage knowledge base), then the peer
# engines (SQLite FTS5, Xapian, PostgreSQL FTS) on the same eval set.
# Usage: bench/retrieval/run.sh [PASSAGES]   (from anywhere; default 100000)
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
if [ -d ../shared/data/eval ]; then
	eval_dir=$(cd ../shared/data/eval && pwd)
else
	eval_dir=/work/shared/data/eval
fi
kb="$eval_dir/vac-answers.kb.jsonl"
queries="$eval_dir/vac-answers.queries.jsonl"
build="build-bench-retrieval"

[ -d "$build" ] || meson setup "$build" --buildtype=release >/dev/null
ninja -C "$build" bench/bench_retrieval >/dev/null

echo "== Loket (quality on $kb; latency: one thread)"
taskset -c 0 "$build/bench/bench_retrieval" "$kb" "$queries" "${1:-100000}"

echo "== peer engines, same run"
/usr/bin/python3 bench/retrieval/retrieval_anchors.py "$kb" "$queries" --pg
