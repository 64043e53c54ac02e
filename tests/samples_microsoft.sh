#!/usr/bin/env bash
# samples_microsoft.sh BUILD_DIR [CFLAGS] — builds Microsoft's documented
# named-pipe samples UNCHANGED against an installed npipe, with
# `pkg-config --cflags --libs npipe`, and runs them as the documentation
# describes: each server with the client and the transaction client, and
# the anonymous-pipe parent with its child.  Every program is built twice,
# as an ANSI and as a UNICODE (-DUNICODE -D_UNICODE) program.
#
# The samples are Microsoft's, not npipe's, and are not in this
# repository.  Save them from Microsoft Learn ("Named Pipe Server Using
# ..." etc.) into one directory under these names and point
# NPIPE_MS_SAMPLES_DIR at it:
#
#   multithreaded_server.c        Multithreaded Pipe Server
#   overlapped_server.c           Named Pipe Server Using Overlapped I/O
#   completion_routine_server.c   Named Pipe Server Using Completion Routines
#   client.c                      Named Pipe Client
#   transaction_client.c          Transactions on Named Pipes (the client)
#   parent.c, child.c             Creating a Child Process with Redirected
#                                 Input and Output
#
# Without NPIPE_MS_SAMPLES_DIR the test is skipped (exit 77).  Files that
# are missing are reported and their runs skipped; with none at all the
# test fails.  Compiler warnings are shown but do not fail the build: the
# samples are compiled exactly as they are.
set -uo pipefail
build=$1 extra=${2:-}

if [ -z "${NPIPE_MS_SAMPLES_DIR:-}" ]; then
    echo "SKIP: NPIPE_MS_SAMPLES_DIR is not set. Save Microsoft's named-pipe samples"
    echo "      there (names in tests/samples_microsoft.sh) to build and run them."
    exit 77
fi
src=$NPIPE_MS_SAMPLES_DIR
[ -d "$src" ] || { echo "FAIL: NPIPE_MS_SAMPLES_DIR=$src is not a directory"; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
failures=0
ran=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# Install, then build as a user would.
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null || { echo "FAIL: cmake --install"; exit 1; }
pc=$(find "$prefix" -name npipe.pc | head -n1)
export PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --define-variable=prefix="$prefix" --cflags --libs npipe)
libdir=$(pkg-config --define-variable=prefix="$prefix" --variable=libdir npipe)
export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export NPIPE_NPIPED=$prefix/bin/npiped
export NPIPE_BROKER=$work/run/broker
# parent.c opens its input file with CreateFile.
export NPIPE_LOCAL_FILES=1

samples="multithreaded_server overlapped_server completion_routine_server client
         transaction_client parent child"
for s in $samples; do
    [ -f "$src/$s.c" ] || echo "missing: $src/$s.c (its runs are skipped)"
done

for mode in ansi wide; do
    defs=""
    [ "$mode" = wide ] && defs="-DUNICODE -D_UNICODE"
    mkdir -p "$work/$mode"
    for s in $samples; do
        [ -f "$src/$s.c" ] || continue
        # shellcheck disable=SC2086
        if ! cc $extra $defs "$src/$s.c" $flags -o "$work/$mode/$s" 2>"$work/$mode/$s.log"; then
            fail "$mode: $s.c does not compile:"
            sed 's/^/    | /' "$work/$mode/$s.log"
        elif [ -s "$work/$mode/$s.log" ]; then
            echo "note: $mode: $s.c compiled with warnings (not an error):"
            grep -c 'warning:' "$work/$mode/$s.log" | sed 's/^/    warnings: /'
        fi
    done
done

have() { [ -x "$1" ]; }

# A server and its clients.  The samples use \\.\pipe\mynamedpipe and
# serve forever: the server is stopped when its clients are done.
run_server() {
    local mode=$1 server=$2 bin=$work/$1
    have "$bin/$server" || return 0
    # The servers print with stdio and are stopped by a signal, so their
    # output is line-buffered (stdbuf) to be seen; without stdbuf it is lost
    # and only the clients' side is checked.
    local linebuf=()
    command -v stdbuf >/dev/null && linebuf=(stdbuf -oL)
    timeout 120 ${linebuf[@]+"${linebuf[@]}"} "$bin/$server" >"$work/$mode.$server.out" 2>&1 </dev/null &
    local spid=$!
    pids+=("$spid")
    sleep 0.5 # the samples print nothing machine-readable when ready
    local c
    for c in client transaction_client; do
        have "$bin/$c" || continue
        ran=$((ran + 1))
        local out=$work/$mode.$server.$c.out
        # The clients end with _getch(): their input is empty.
        if ! timeout 30 "$bin/$c" </dev/null >"$out" 2>&1; then
            fail "$mode: $c with $server exited with $?"
            sed 's/^/    | /' "$out"
        elif ! grep -qi "answer" "$out"; then
            fail "$mode: $c got no answer from $server"
            sed 's/^/    | /' "$out"
        else
            echo "ok: $mode: $c with $server"
        fi
    done
    kill "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
    # Each server prints the requests it got; the client sends
    # "Default message from client." (the transaction client omits the dot).
    if [ "${#linebuf[@]}" != 0 ] && have "$bin/client" &&
        ! grep -qF "Default message from client." "$work/$mode.$server.out"; then
        fail "$mode: $server did not print the client's request"
        sed 's/^/    | /' "$work/$mode.$server.out"
    fi
}

run_parent() {
    local mode=$1 bin=$work/$1
    have "$bin/parent" && have "$bin/child" || return 0
    ran=$((ran + 1))
    printf 'first line of the input\nsecond line\n' >"$work/input.txt"
    local out=$work/$mode.parent.out
    # The parent starts "child", which Windows finds next to it.
    if ! (cd "$work" && timeout 30 "$bin/parent" "$work/input.txt" </dev/null >"$out" 2>&1); then
        fail "$mode: parent exited with $?"
        sed 's/^/    | /' "$out"
        return
    fi
    for want in "Start of parent execution" "This is a message from the child process" \
                "first line of the input" "second line" "End of parent execution"; do
        grep -qF "$want" "$out" || { fail "$mode: parent's output lacks \"$want\""; sed 's/^/    | /' "$out"; return; }
    done
    echo "ok: $mode: parent and child"
}

for mode in ansi wide; do
    for server in multithreaded_server overlapped_server completion_routine_server; do
        run_server "$mode" "$server"
    done
    run_parent "$mode"
done

if [ "$ran" = 0 ] && [ "$failures" = 0 ]; then
    echo "FAIL: nothing to run in $src (see the names above)"
    exit 1
fi
if [ "$failures" != 0 ]; then
    echo "samples_microsoft: $failures failures"
    exit 1
fi
echo "samples_microsoft: all samples built and behaved ($ran runs)"
