#!/bin/sh
# run.sh - runs the browser test of the chat page (tests/browser/chat.test.mjs).
# Needs node >= 18 and Debian's chromium at /usr/bin/chromium (apt-get install -y chromium).
# Usage: tests/browser/run.sh   (LOKET_BIN=path/to/loket, default build/loket)
set -eu
cd "$(dirname "$0")/../.."
LOKET_BIN="${LOKET_BIN:-build/loket}"
export LOKET_BIN
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund)
fi
exec node --test tests/browser/
