#!/bin/bash
# profile-broker.sh BINDIR [callgrind|perf] [WORKLOAD] [SECONDS]
#
# Where npiped's time goes: starts BINDIR/npiped on a private socket,
# pinned to CPU 0, under callgrind (user-space instructions, exact) or perf
# (cpu-clock samples, kernel included; only when perf can sample here), then
# runs BINDIR/npipe-bench --broker against it for one pinned run of WORKLOAD
# (default rtt: the 64-byte ping-pong), stops the broker and prints the top
# of the profile.  The profile data stays in the directory printed at the
# end.  See docs/performance.md for what came out on the reference machine.
set -eu

bindir=${1:?usage: profile-broker.sh BINDIR [callgrind|perf] [WORKLOAD] [SECONDS]}
tool=${2:-callgrind}
only=${3:-rtt}
secs=${4:-2}
npiped=$bindir/npiped
bench=$bindir/npipe-bench
[ -x "$npiped" ] && [ -x "$bench" ] || { echo "no npiped/npipe-bench in $bindir" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/npipe-profile.XXXXXX")
sock=$dir/broker

case $tool in
callgrind)
    taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
        "$npiped" --socket "$sock" --idle-exit 0 >"$dir/tool.log" 2>&1 &
    ;;
perf)
    taskset -c 0 perf record -e cpu-clock -F 10000 -g -o "$dir/perf.data" -- \
        "$npiped" --socket "$sock" --idle-exit 0 >"$dir/tool.log" 2>&1 &
    ;;
*)
    echo "tool: callgrind or perf" >&2
    exit 2
    ;;
esac
toolpid=$!

# Wait for the broker to answer (valgrind takes a few seconds to start).
for _ in $(seq 1 300); do
    [ -S "$sock" ] && break
    sleep 0.1
done
sleep 0.5

"$bench" --broker "$sock" --phase pinned --only "$only" --reps 1 \
    --duration "$secs" --json >"$dir/bench.json" 2>"$dir/bench.log" || true

# The broker itself: the tool's child for perf, the tool's own pid for valgrind.
if [ "$tool" = perf ]; then
    brokerpid=$(pgrep -P "$toolpid" || true)
else
    brokerpid=$toolpid
fi
[ -n "$brokerpid" ] && kill -TERM "$brokerpid"
wait "$toolpid" || true

python3 - "$dir/bench.json" <<'EOF' || true
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["runs"]:
    if r["transport"] == "npipe":
        ops = r["client_ops"]
        print(f"npipe {r['job']}: {ops} operations measured, value {r['value']:.2f} {r['unit']}, "
              f"npiped CPU {r['cpu_broker_s']:.3f} s "
              f"({r['cpu_broker_s'] / ops * 1e6:.1f} us per operation, warm-up included in the CPU)")
EOF

if [ "$tool" = callgrind ]; then
    callgrind_annotate "$dir/callgrind.out" 2>/dev/null | sed -n '1,/^$/p;/PROGRAM TOTALS/,+40p'
    echo
    echo "inclusive:"
    callgrind_annotate --inclusive=yes "$dir/callgrind.out" 2>/dev/null | grep -A30 'file:function' | head -32
else
    perf report -i "$dir/perf.data" --no-children --sort dso,sym 2>/dev/null |
        grep -v '^#' | grep '%' | grep -v -- '--' | head -40
fi
echo "profile data: $dir"
