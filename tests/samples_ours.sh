#!/usr/bin/env bash
# samples_ours.sh EXAMPLES_DIR — runs npipe's own programs of the shapes of
# Microsoft's named-pipe samples (examples/win32) the way the samples are
# meant to be used: each server with several clients (message clients and a
# transaction client, some at once), and the anonymous-pipe parent with its
# child and with plain Linux filters.  EXAMPLES_DIR holds an "ansi" and a
# "wide" (UNICODE, wmain) build of every program; both are run.
#
# ctest sets $NPIPE_BROKER to a private socket; the library starts npiped.
set -uo pipefail
dir=$1
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect FILE TEXT: FILE contains TEXT (a fixed string).
expect() {
    grep -qF -- "$2" "$1" || { fail "$1 lacks \"$2\""; sed 's/^/    | /' "$1"; }
}

# run_server MODE SERVER: a server and five clients, three of them at once.
run_server() {
    local mode=$1 server=$2 bin=$dir/$1
    local name="\\\\.\\pipe\\npipe-samples-$server-$mode-$$"
    local out=$work/$server-$mode
    timeout 60 "$bin/$server" "$name" 5 >"$out.server" 2>&1 &
    local spid=$!
    pids+=("$spid")
    timeout 30 "$bin/client" "first hello" "$name" 1 >"$out.c1" 2>&1 || fail "$server/$mode: client 1"
    timeout 30 "$bin/client" $'w\xc3\xa9 two' "$name" 3 >"$out.c2" 2>&1 &
    local c2=$!
    timeout 30 "$bin/client" "third" "$name" 2 >"$out.c3" 2>&1 &
    local c3=$!
    timeout 30 "$bin/transact_client" "a transaction with a long request" "$name" \
        >"$out.t" 2>&1 &
    local t=$!
    wait "$c2" || fail "$server/$mode: client 2"
    wait "$c3" || fail "$server/$mode: client 3"
    wait "$t" || fail "$server/$mode: transaction client"
    timeout 30 "$bin/client" "last one" "$name" 1 >"$out.c4" 2>&1 || fail "$server/$mode: client 4"
    wait "$spid" || fail "$server/$mode: the server ended with $?"
    expect "$out.c1" 'client: answer "answer to: first hello"'
    expect "$out.c2" $'client: answer "answer to: w\xc3\xa9 two"'
    [ "$(grep -c 'answer to: w' "$out.c2")" = 3 ] || fail "$server/$mode: client 2 got $(grep -c 'answer to' "$out.c2") answers"
    expect "$out.c3" 'client: answer "answer to: third"'
    expect "$out.t" 'client: answer "answer to: a transaction with a long request"'
    expect "$out.c4" 'client: answer "answer to: last one"'
    expect "$out.server" 'request "first hello"'
    expect "$out.server" 'request "a transaction with a long request"'
}

run_parent() {
    local mode=$1 bin=$dir/$1 out=$work/parent-$mode
    printf 'line one\nline two, w\xc3\xa9\n' >"$work/input.txt"
    # Small enough for the pipes' buffers: the parent writes all of its
    # input before it reads (as Microsoft's sample does), so a large file
    # would fill both pipes and stop both processes, on Windows too.
    head -c 1500 /dev/urandom | base64 >>"$work/input.txt"
    # The example child, found next to the parent as on Windows.
    NPIPE_LOCAL_FILES=1 timeout 30 "$bin/parent" "$work/input.txt" >"$out.1" 2>&1 ||
        fail "parent/$mode with child: $?"
    expect "$out.1" "->Start of parent execution."
    expect "$out.1" "** This is a message from the child process. **"
    expect "$out.1" "->End of parent execution (child exit code 0)."
    # Everything came through, in order.
    grep -v -e '->' -e '\*\*' "$out.1" | grep -v '^$' >"$out.1.body"
    diff -q "$out.1.body" "$work/input.txt" >/dev/null || fail "parent/$mode: the child's copy differs"
    # Plain Linux programs as the child.
    NPIPE_LOCAL_FILES=1 timeout 30 "$bin/parent" "$work/input.txt" "/bin/cat" >"$out.2" 2>&1 ||
        fail "parent/$mode with /bin/cat: $?"
    grep -v -e '->' "$out.2" | grep -v '^$' >"$out.2.body"
    diff -q "$out.2.body" "$work/input.txt" >/dev/null || fail "parent/$mode: cat's copy differs"
    NPIPE_LOCAL_FILES=1 timeout 30 "$bin/parent" "$work/input.txt" "tr a-z A-Z" >"$out.3" 2>&1 ||
        fail "parent/$mode with tr: $?"
    expect "$out.3" "LINE ONE"
    NPIPE_LOCAL_FILES=1 timeout 30 "$bin/parent" "$work/input.txt" "/bin/sh -c \"exit 7\"" \
        >"$out.4" 2>&1
    [ $? = 7 ] || fail "parent/$mode: the child's exit code did not come back"
    expect "$out.4" "(child exit code 7)"
    # No input file: ErrorExit's message, and exit code 1.
    NPIPE_LOCAL_FILES=1 timeout 30 "$bin/parent" "$work/missing.txt" >"$out.5" 2>&1
    [ $? = 1 ] || fail "parent/$mode: a missing input file should end it with 1"
    expect "$out.5" "CreateFile failed with error 2: The system cannot find the file specified."
}

for mode in ansi wide; do
    for server in mt_server overlapped_server routine_server; do
        run_server "$mode" "$server"
    done
    run_parent "$mode"
done

if [ "$failures" != 0 ]; then
    echo "samples_ours: $failures failures"
    exit 1
fi
echo "samples_ours: all programs behaved"
