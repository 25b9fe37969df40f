#!/bin/sh
# run.sh - builds every tests/fuzz/fuzz_*.c libFuzzer target and runs each for
# $1 seconds (default 30) on its corpus, tests/fuzz/corpus/<name>/ (<name> is
# the file name without "fuzz_" and ".c"). Each target names the sources it
# needs on a "// fuzz-sources:" or " * fuzz-sources:" line near its top.
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET-NAME...]; run from anywhere.
# Findings (crash-*, leak-*, timeout-*) land in build-fuzz/<name>/.
set -eu

cd "$(dirname "$0")/../.."
secs=${1:-30}
[ $# -gt 0 ] && shift
cc=${CC:-clang}
out=build-fuzz
libs=$(pkg-config --cflags --libs jansson libxml-2.0 libutf8proc libcrypto libpcre2-8 sqlite3 yaml-0.1 libmicrohttpd libcurl libargon2)
mkdir -p "$out"

status=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	sources=$(sed -n 's/^[ /*]*fuzz-sources:[ ]*//p' "$src" | head -n 1)
	if [ -z "$sources" ]; then
		echo "run.sh: $src has no fuzz-sources line" >&2
		status=1
		continue
	fi
	mkdir -p "$out/$name" "tests/fuzz/corpus/$name"
	echo "== building $name"
	# shellcheck disable=SC2086 # the source list and flags are word lists
	$cc -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -std=gnu17 -Isrc -o "$out/$name/fuzz" "$src" $sources $libs -lstemmer -lm
	echo "== running $name for ${secs}s"
	# New inputs go to a scratch dir so the checked-in corpus stays small.
	mkdir -p "$out/$name/corpus"
	if ! (cd "$out/$name" && ./fuzz -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 corpus "../../tests/fuzz/corpus/$name" >fuzz.log 2>&1); then
		echo "run.sh: $name found a problem; see $out/$name/fuzz.log" >&2
		tail -n 30 "$out/$name/fuzz.log" >&2
		status=1
	else
		tail -n 12 "$out/$name/fuzz.log"
	fi
done
exit $status
