#!/bin/sh
# Runs every test of Loket: unit tests (cmocka) in a normal and an
# ASan+UBSan build, end-to-end tests against the real binary of both builds,
# the browser test, and a short fuzzing pass. Ends with one summary line.
# Usage: tests/run_all.sh [BUILD_DIR] [ASAN_BUILD_DIR]
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ASAN=${2:-build-asan}
passed=0
failed=0
failures=""

note() { printf '\n=== %s ===\n' "$*"; }
count() { # count PASSED FAILED NAME
	passed=$((passed + $1)); failed=$((failed + $2))
	[ "$2" -gt 0 ] && failures="$failures $3"
	return 0
}

# Unit tests: counts from meson's summary ("Ok: N", "Fail: N").
meson_suite() { # meson_suite BUILDDIR NAME
	log=$(mktemp)
	meson test -C "$1" --suite unit --print-errorlogs >"$log" 2>&1
	cat "$log"
	ok=$(awk '/^Ok:/ {print $2}' "$log"); bad=$(awk '/^Fail:/ {print $2}' "$log")
	to=$(awk '/^Timeout:/ {print $2}' "$log")
	count "${ok:-0}" "$(( ${bad:-1} + ${to:-0} ))" "$2"
	rm -f "$log"
}

# Python unittest: "Ran N tests" and "FAILED (failures=a, errors=b)".
e2e_suite() { # e2e_suite BINARY NAME
	log=$(mktemp)
	LOKET_BIN="$1" sh tests/e2e/run.sh >"$log" 2>&1
	rc=$?
	cat "$log"
	ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\}.*/\1/p' "$log" | tail -1)
	bad=$(sed -n 's/.*FAILED (\(.*\))/\1/p' "$log" | tr ',' '\n' | sed 's/[^0-9]//g' | awk '{s+=$1} END {print s+0}')
	ran=${ran:-0}
	[ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
	count "$((ran - bad))" "$bad" "$2"
	rm -f "$log"
}

note "build (release, -Werror)"
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release -Dwerror=true || exit 1
ninja -C "$BUILD" || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

note "build (ASan + UBSan)"
[ -f "$ASAN/build.ninja" ] || meson setup "$ASAN" --buildtype=debugoptimized -Dwerror=true \
	-Db_sanitize=address,undefined -Db_lundef=false || exit 1
ninja -C "$ASAN" || { echo "ASan build failed"; echo "0 passed, 1 failed"; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

note "unit tests (release)"
meson_suite "$BUILD" unit-release
note "unit tests (ASan + UBSan)"
meson_suite "$ASAN" unit-asan

note "end-to-end tests (release binary)"
e2e_suite "$BUILD/loket" e2e-release
note "end-to-end tests (ASan + UBSan binary)"
e2e_suite "$ASAN/loket" e2e-asan

# Conversation scripts (tests/conversations): "conversation scripts: N passed, M failed".
conv_suite() { # conv_suite BINARY NAME
	log=$(mktemp)
	"$1" test --bot bots/gemeente-demo tests/conversations/*.yaml >"$log" 2>&1
	rc=$?
	cat "$log"
	ok=$(sed -n 's/^conversation scripts: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | tail -1)
	bad=$(sed -n 's/^conversation scripts: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | tail -1)
	[ -z "$ok" ] && { ok=0; bad=1; } # no summary: the runner itself failed
	[ "$rc" -ne 0 ] && [ "${bad:-0}" -eq 0 ] && bad=1
	count "$ok" "${bad:-0}" "$2"
	rm -f "$log"
}

note "conversation scripts (release binary)"
conv_suite "$BUILD/loket" conversations-release
note "conversation scripts (ASan + UBSan binary)"
conv_suite "$ASAN/loket" conversations-asan

if [ -f tests/browser/run.sh ]; then
	note "browser tests (Chromium)"
	if LOKET_BIN="$BUILD/loket" sh tests/browser/run.sh; then count 1 0 browser; else count 0 1 browser; fi
fi

if [ -f tests/fuzz/run.sh ]; then
	note "fuzzing smoke run (10 s per target)"
	if sh tests/fuzz/run.sh 10; then count 1 0 fuzz; else count 0 1 fuzz; fi
fi

echo
[ -n "$failures" ] && echo "failed suites:$failures"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
