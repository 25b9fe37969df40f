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
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
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
bench_raise_nofile

mkdir -p bench/out
bench_init "$PWD/bench/out/handoff.XXXXXX"
TMP="$BENCH_TMP"

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
    PORT="$(bench_free_port)"
    # shellcheck disable=SC2086
    bench_start_loket "$LOKET_BIN" "$TMP/bot" "$TMP/loket.db" "$PORT" "$TMP/server.log" \
        ${THREADS:+--threads "$THREADS"}
    echo "== $SCENARIO: loket serve ($LOKET_BIN), pid $LOKET_PID, $(nproc) cores shared with the" \
         "Python client; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    BENCH_RC=0
    # shellcheck disable=SC2086
    python3 bench/handoff/bench_handoff.py "$SCENARIO" --port "$PORT" --pid "$LOKET_PID" \
        --db "$TMP/loket.db" $EXTRA || BENCH_RC=$?
    if [ "$BENCH_RC" -ne 0 ]; then
        echo "run.sh: bench_handoff.py $SCENARIO exited with $BENCH_RC" >&2
        RC="$BENCH_RC"
    fi
    if ! bench_check_loket "$TMP/server.log"; then
        RC=1
    fi
    bench_stop_loket 10
    bench_log_summary "$TMP/server.log" 'error|fout|warn|sanitizer' error/fout/warn/sanitizer
    echo
done
exit "$RC"
