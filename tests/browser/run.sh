#!/bin/sh
# run.sh - runs the browser tests: the chat page (chat.test.mjs), the embeddable widget
# (widget.test.mjs) and a whole handoff with the agent console (handoff.test.mjs), with axe-core
# for WCAG 2.1 AA.
# Needs node >= 18 and Debian's chromium at /usr/bin/chromium (apt-get install -y chromium).
# Usage: tests/browser/run.sh   (LOKET_BIN=path/to/loket, default build/loket)
set -eu
cd "$(dirname "$0")/../.."
LOKET_BIN="${LOKET_BIN:-build/loket}"
export LOKET_BIN
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund)
fi
exec node --test tests/browser/
