# lib.sh - what the bench scripts (bench/*/run.sh) share, sourced after they cd to the repository
# root: build what they need, a temporary directory removed on exit, a free loopback port,
# `loket serve` started in the background and waited for, processes stopped, the server's RSS
# and a summary of its log. POSIX sh; every name starts with bench_ (LOKET_PID, BENCH_TMP).
#   bench_build DIR TARGET...        meson setup DIR (release) unless set up; ninja those targets
#   bench_buildtype DIR              prints DIR's meson build type (empty when unknown)
#   bench_raise_nofile               as many descriptors as allowed (100000, or the hard limit)
#   bench_init TEMPLATE              mktemp -d TEMPLATE into BENCH_TMP; bench_cleanup on exit,
#                                    and SIGINT/SIGTERM exit (130/143); a script with more to stop
#                                    sets its own EXIT trap that ends with bench_cleanup
#   bench_cleanup                    stops LOKET_PID (60 s), removes BENCH_TMP (the trap's default)
#   bench_free_port                  prints a free TCP port on 127.0.0.1
#   bench_spawn_loket BIN BOT DB PORT LOG [ARGS...]   `BIN serve` on sqlite:DB in the
#                                    background, output to LOG; sets LOKET_PID
#   bench_wait_url URL PID TRIES LOG WHAT   polls URL every 0.1 s; exits 1 with WHAT and LOG
#                                    when PID dies or TRIES polls fail
#   bench_wait_loket PORT LOG        bench_wait_url on /healthz, 300 tries (30 s)
#   bench_start_loket ...            bench_spawn_loket, then bench_wait_loket
#   bench_stop_pid PID [SECONDS]     SIGTERM, SIGKILL (with a note) after SECONDS (default 60)
#   bench_stop_loket SECONDS         bench_stop_pid LOKET_PID SECONDS, then LOKET_PID=""
#   bench_check_loket LOG            true while LOKET_PID runs; else says so with LOG's end, false
#   bench_rss PID                    peak RSS (VmHWM), VmRSS and Threads from /proc/PID/status
#   bench_log_summary LOG PATTERN LABEL [HEAD]   "HEAD N lines, M mentioning LABEL" and the
#                                    five commonest lines matching PATTERN (ids as <id>)
# Messages start with the script's name ("run.sh: ...") and go to stderr.
# shellcheck shell=sh
# shellcheck disable=SC2317 # bench_cleanup runs from the trap

LOKET_PID=""
BENCH_TMP=""

bench_build() { # DIR TARGET...
    bench_dir="$1"
    shift
    if [ ! -f "$bench_dir/build.ninja" ]; then
        meson setup "$bench_dir" --buildtype=release >/dev/null
    fi
    ninja -C "$bench_dir" "$@" >/dev/null
}

bench_buildtype() { # DIR
    sed -n 's/.*"name": "buildtype", "value": "\([a-z]*\)".*/\1/p' \
        "$1/meson-info/intro-buildoptions.json" 2>/dev/null || true
}

# One descriptor per connection or stream on both sides. Root may raise the hard limit; otherwise
# take what the hard limit allows. dash and bash have -n/-H.
bench_raise_nofile() {
    # shellcheck disable=SC3045
    ulimit -n 100000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

bench_init() { # TEMPLATE
    BENCH_TMP="$(mktemp -d "$1")"
    trap bench_cleanup EXIT
    trap "exit 130" INT
    trap "exit 143" TERM
}

bench_cleanup() {
    bench_stop_loket 60
    if [ -n "$BENCH_TMP" ]; then
        rm -rf "$BENCH_TMP"
    fi
}

bench_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_spawn_loket() { # BIN BOT DB PORT LOG [ARGS...]
    bench_bin="$1"
    bench_bot="$2"
    bench_db="$3"
    bench_port="$4"
    bench_log="$5"
    shift 5
    "$bench_bin" serve --bot "$bench_bot" --listen "127.0.0.1:$bench_port" --db "sqlite:$bench_db" \
        "$@" >"$bench_log" 2>&1 &
    LOKET_PID=$!
}

bench_wait_url() { # URL PID TRIES LOG WHAT
    bench_tries=0
    until curl -fsS "$1" >/dev/null 2>&1; do
        bench_tries=$((bench_tries + 1))
        if [ "$bench_tries" -gt "$3" ] || ! kill -0 "$2" 2>/dev/null; then
            echo "${0##*/}: $5" >&2
            cat "$4" >&2
            exit 1
        fi
        sleep 0.1
    done
}

bench_wait_loket() { # PORT LOG
    bench_wait_url "http://127.0.0.1:$1/healthz" "$LOKET_PID" 300 "$2" \
        "loket serve did not start; its log:"
}

bench_start_loket() { # BIN BOT DB PORT LOG [ARGS...]
    bench_spawn_loket "$@"
    bench_wait_loket "$4" "$5"
}

bench_stop_pid() { # PID [SECONDS]
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null || true
        bench_n=0
        while kill -0 "$1" 2>/dev/null && [ "$bench_n" -lt "$((${2:-60} * 10))" ]; do
            sleep 0.1
            bench_n=$((bench_n + 1))
        done
        if kill -0 "$1" 2>/dev/null; then
            echo "${0##*/}: pid $1 did not stop in ${2:-60} s; killing it" >&2
            kill -9 "$1" 2>/dev/null || true
        fi
        wait "$1" 2>/dev/null || true
    fi
}

bench_stop_loket() { # SECONDS
    bench_stop_pid "$LOKET_PID" "$1"
    LOKET_PID=""
}

bench_check_loket() { # LOG
    if kill -0 "$LOKET_PID" 2>/dev/null; then
        return 0
    fi
    echo "${0##*/}: loket serve is no longer running; the end of its log:" >&2
    tail -n 20 "$1" >&2
    return 1
}

bench_rss() { # PID
    grep -E '^(VmHWM|VmRSS|Threads)' "/proc/$1/status" | sed 's/^VmHWM/peak RSS (VmHWM)/'
}

bench_log_summary() { # LOG PATTERN LABEL [HEAD]
    bench_errors="$(grep -ciE "$2" "$1" || true)"
    echo "${4:-server log:} $(wc -l <"$1") lines, $bench_errors mentioning $3"
    if [ "$bench_errors" -gt 0 ]; then
        grep -iE "$2" "$1" | sed 's/[0-9a-f]\{32,\}/<id>/g' | sort | uniq -c | sort -rn | head -n 5
    fi
}
