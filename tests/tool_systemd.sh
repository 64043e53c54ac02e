#!/usr/bin/env bash
# tool_systemd.sh BUILD_DIR SOURCE_DIR -- packaging/npiped.service and
# npiped.socket pass `systemd-analyze verify` (which needs no running
# systemd), with ExecStart pointing at the npiped just built.  Any message
# from systemd-analyze fails the test: it only warns about bad keys.
set -euo pipefail
build=$1 src=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze is not installed (Debian package: systemd)"
    exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|@NPIPED_PATH@|$build/bin/npiped|" "$src/packaging/npiped.service.in" > "$dir/npiped.service"
cp "$src/packaging/npiped.socket" "$dir/npiped.socket"
cd "$dir"
if ! out=$(systemd-analyze verify --man=no ./npiped.socket ./npiped.service 2>&1); then
    echo "$out"
    echo "systemd-analyze verify failed"
    exit 1
fi
if [ -n "$out" ]; then
    echo "$out"
    echo "systemd-analyze verify complained"
    exit 1
fi
# What the broker relies on being there.
grep -q '^ListenSequentialPacket=/run/npipe/broker$' npiped.socket
grep -q '^PassCredentials=yes$' npiped.socket
grep -q '^Type=notify$' npiped.service
grep -q -- "^ExecStart=$build/bin/npiped --system" npiped.service
echo "systemd units: ok"
