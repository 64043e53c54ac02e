#!/usr/bin/env bash
# install_check.sh BUILD_DIR SOURCE_DIR [CFLAGS] — `cmake --install` puts headers,
# library, npiped and npipe.pc in a prefix, and a Windows-style program that
# says `#include <windows.h>` builds unchanged with pkg-config and runs.
set -euo pipefail
build=$1 src=$2 extra=${3:-}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/npipe/windows.h include/npipe/ntifs.h bin/npiped bin/npipe \
         share/man/man1/npipe.1 share/man/man8/npiped.8 \
         lib/systemd/system/npiped.service lib/systemd/system/npiped.socket; do
    [ -e "$prefix/$f" ] || { echo "missing after install: $f"; exit 1; }
done
pc=$(find "$prefix" -name npipe.pc | head -n1)
[ -n "$pc" ] || { echo "npipe.pc not installed"; exit 1; }
# The .pc file names the configured prefix; point pkg-config at ours.
export PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --define-variable=prefix="$prefix" --cflags --libs npipe)
libdir=$(pkg-config --define-variable=prefix="$prefix" --variable=libdir npipe)
cc $extra "$src/examples/pipe_echo.c" $flags -o "$prefix/pipe_echo"
export NPIPE_BROKER="$prefix/run/broker" NPIPE_NPIPED="$prefix/bin/npiped"
LD_LIBRARY_PATH="$libdir" "$prefix/pipe_echo"
echo "install check: ok"
