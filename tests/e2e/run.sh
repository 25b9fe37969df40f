#!/bin/sh
# run.sh - runs the end-to-end tests against the real `loket serve`.
# Usage: tests/e2e/run.sh   (LOKET_BIN=path/to/loket, default build/loket; relative to the repo root)
# The exit code is the test result.
set -eu
cd "$(dirname "$0")/../.."
LOKET_BIN="${LOKET_BIN:-build/loket}"
export LOKET_BIN
if [ ! -x "$LOKET_BIN" ]; then
    echo "run.sh: $LOKET_BIN not found or not executable; build first (ninja -C build) or set LOKET_BIN" >&2
    exit 2
fi
exec python3 -m unittest discover -s tests/e2e -p 'test_*.py' -v "$@"
