#!/bin/bash
# bench_smoke.sh BENCH_BINARY — the benchmark runs and produces every row.
#
# Runs `npipe-bench --quick --json` and checks that it exits with 0 and that
# every row of the table is in the JSON with a figure for npipe and for raw
# sockets, unpinned and pinned — or a note saying why the machine cannot
# measure it (raw SEQPACKET cannot carry 1 MiB messages for a non-root user
# when net.core.wmem_max is small).  It judges no figure: timing
# assertions have no place in tests (docs/performance.md).
set -u

bench=${1:?usage: bench_smoke.sh BENCH_BINARY}
out=$(mktemp "${TMPDIR:-/tmp}/bench_smoke.XXXXXX")
err=$(mktemp "${TMPDIR:-/tmp}/bench_smoke.XXXXXX")
trap 'rm -f "$out" "$err"' EXIT

rows="rtt_p50 rtt_p99 rtt_p999 byte_4k byte_64k byte_1m msg_4k msg_64k msg_1m
transact connect scale_1 scale_16 scale_256 idle_memory cpu_rtt cpu_transact
cpu_msg_64k cpu_connect"

"$bench" --quick --json >"$out" 2>"$err"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "bench_smoke: $bench --quick --json exited with $rc" >&2
    cat "$err" >&2
    exit 1
fi

if command -v python3 >/dev/null 2>&1; then
    python3 - "$out" $rows <<'EOF'
import json, sys
path, wanted = sys.argv[1], sys.argv[2:]
with open(path) as f:
    doc = json.load(f)
for key in ("machine", "parameters", "rows", "runs", "broker"):
    if key not in doc:
        sys.exit(f"bench_smoke: no '{key}' in the JSON")
for key in ("nproc", "cpu_model", "release"):
    if key not in doc["machine"]:
        sys.exit(f"bench_smoke: no machine.{key}")
rows = {r["id"]: r for r in doc["rows"]}
bad = []
for rid in wanted:
    r = rows.get(rid)
    if r is None:
        bad.append(f"{rid}: missing")
        continue
    for phase in ("unpinned", "pinned"):
        cell = r.get(phase, {})
        for side in ("npipe", "raw", "ratio"):
            v = cell.get(side)
            if isinstance(v, (int, float)):
                continue
            if cell.get("note"):
                print(f"bench_smoke: {rid} {phase} {side}: not measured: {cell['note']}")
            else:
                bad.append(f"{rid}: no {phase} {side} figure")
if bad:
    sys.exit("bench_smoke:\n  " + "\n  ".join(bad))
print(f"bench_smoke: all {len(wanted)} rows present, unpinned and pinned")
EOF
    exit $?
fi

# Without python3: every row id is there and no row carries a null.
status=0
for id in $rows; do
    line=$(grep -F "{\"id\": \"$id\", \"label\":" "$out")
    if [ -z "$line" ]; then
        echo "bench_smoke: row $id missing" >&2
        status=1
    elif printf '%s\n' "$line" | grep -q null &&
         ! printf '%s\n' "$line" | grep -q '"note"'; then
        echo "bench_smoke: row $id has a missing figure: $line" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "bench_smoke: every row present (checked with grep)"
exit "$status"
