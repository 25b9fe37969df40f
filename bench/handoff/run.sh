#!/bin/sh
# run.sh - the human handoff under load (bench/handoff/bench_handoff.py does the work). For each
# scenario a fresh `loket serve` on a copy of the demo bot (every team open around the clock,
# agent_timeout_s 3600 so nothing times out mid-run) and a temporary SQLite db, with one admin
# account added by `loket agent add`; the bench adds the agents through the admin API.
#   deliver  500 conversations in handoff, each with its citizen event stream open; 10 agents
#            holding 50 each send 5 messages to each (2,500 sends): POST -> event latency, lost.
#   claim    200 agents and 5,000 waiting conversations; all agents claim-next at once until the
#            queue is empty: claim latency, claims/s, double assignments (read back three ways).
# Builds nothing: uses $LOKET_BIN (default $BUILD_DIR/loket; BUILD_DIR default build). Prints
# figures, never judges timings.
# Usage: bench/handoff/run.sh [deliver] [claim]   env: LOKET_BIN, DELIVER_CONVS (500),
#        DELIVER_AGENTS (10), ROUNDS (5), CLAIM_CONVS (5000), CLAIM_AGENTS (200), THREADS
#        (loket serve --threads; default: loket's own)
# shellcheck disable=SC2317 # cleanup runs from the trap
set -eu
cd "$(dirname "$0")/../.."
LOKET_BIN="${LOKET_BIN:-${BUILD_DIR:-build}/loket}"
DELIVER_CONVS="${DELIVER_CONVS:-500}"
DELIVER_AGENTS="${DELIVER_AGENTS:-10}"
ROUNDS="${ROUNDS:-5}"
CLAIM_CONVS="${CLAIM_CONVS:-5000}"
CLAIM_AGENTS="${CLAIM_AGENTS:-200}"
if [ "$#" -eq 0 ]; then
    set -- deliver claim
fi
if [ ! -x "$LOKET_BIN" ]; then
    echo "run.sh: $LOKET_BIN not found; build first (ninja -C build) or set LOKET_BIN" >&2
    exit 2
fi
# shellcheck disable=SC3045
ulimit -n 100000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

mkdir -p bench/out
TMP="$(mktemp -d "$PWD/bench/out/handoff.XXXXXX")"
SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        n=0
        while kill -0 "$SERVER_PID" 2>/dev/null && [ "$n" -lt 100 ]; do
            sleep 0.1
            n=$((n + 1))
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() {
    stop_server
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

ADMIN_PW="bench-admin-password-$$"
export LOKET_BENCH_ADMIN_PASSWORD="$ADMIN_PW"
RC=0
for SCENARIO in "$@"; do
    case "$SCENARIO" in
    deliver) EXTRA="--agents $DELIVER_AGENTS --convs $DELIVER_CONVS --rounds $ROUNDS" ;;
    claim) EXTRA="--agents $CLAIM_AGENTS --convs $CLAIM_CONVS" ;;
    *) echo "run.sh: scenarios are 'deliver' and 'claim'" >&2; exit 2 ;;
    esac
    rm -rf "$TMP/bot" "$TMP"/loket.db*
    python3 - "$TMP" <<'EOF'
import sys
sys.path.insert(0, "tests/e2e")
from harness import OPEN_HOURS, make_bot
make_bot(sys.argv[1], hours=OPEN_HOURS, agent_timeout_s=3600, fallbacks=2)
EOF
    LOKET_AGENT_PASSWORD="$ADMIN_PW" "$LOKET_BIN" agent add --bot "$TMP/bot" --db "sqlite:$TMP/loket.db" \
        --username admin --name "Bench Admin" --role admin --teams burgerzaken >"$TMP/agent-add.log" 2>&1 || {
        echo "run.sh: loket agent add failed:" >&2
        cat "$TMP/agent-add.log" >&2
        exit 1
    }
    PORT="$(free_port)"
    # shellcheck disable=SC2086
    "$LOKET_BIN" serve --bot "$TMP/bot" --listen "127.0.0.1:$PORT" --db "sqlite:$TMP/loket.db" \
        ${THREADS:+--threads "$THREADS"} >"$TMP/server.log" 2>&1 &
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
    echo "== $SCENARIO: loket serve ($LOKET_BIN), pid $SERVER_PID, $(nproc) cores shared with the" \
         "Python client; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    BENCH_RC=0
    # shellcheck disable=SC2086
    python3 bench/handoff/bench_handoff.py "$SCENARIO" --port "$PORT" --pid "$SERVER_PID" \
        --db "$TMP/loket.db" $EXTRA || BENCH_RC=$?
    if [ "$BENCH_RC" -ne 0 ]; then
        echo "run.sh: bench_handoff.py $SCENARIO exited with $BENCH_RC" >&2
        RC="$BENCH_RC"
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "run.sh: loket serve is no longer running; the end of its log:" >&2
        tail -n 20 "$TMP/server.log" >&2
        RC=1
    fi
    stop_server
    ERRORS="$(grep -ciE 'error|fout|warn|sanitizer' "$TMP/server.log" || true)"
    echo "server log: $(wc -l <"$TMP/server.log") lines, $ERRORS mentioning error/fout/warn/sanitizer"
    if [ "$ERRORS" -gt 0 ]; then
        grep -iE 'error|fout|warn|sanitizer' "$TMP/server.log" | sed 's/[0-9a-f]\{32,\}/<id>/g' |
            sort | uniq -c | sort -rn | head -n 5
    fi
    echo
done
exit "$RC"
