#!/usr/bin/env bash
# tool_manpages.sh BUILD_DIR SOURCE_DIR -- man/npipe.1 and man/npiped.8
# format without a single groff warning, and document every subcommand and
# option the programs' --help texts mention.
set -euo pipefail
build=$1 src=$2
if ! command -v groff >/dev/null 2>&1; then
    echo "SKIP: groff is not installed (Debian package: groff-base)"
    exit 77
fi
for page in "$src/man/npipe.1" "$src/man/npiped.8"; do
    warnings=$(groff -man -ww -Tutf8 -z "$page" 2>&1)
    if [ -n "$warnings" ]; then
        echo "$warnings"
        echo "groff warns about $page"
        exit 1
    fi
done
text=$(groff -man -Tascii -P-cbou "$src/man/npipe.1" 2>/dev/null)
for cmd in list serve connect call monitor session demo; do
    grep -q "^ *$cmd " <<<"$text" || { echo "npipe.1 lacks '$cmd'"; exit 1; }
    for opt in $("$build/bin/npipe" "$cmd" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
        [ "$opt" = --help ] && continue
        grep -q -- "$opt" <<<"$text" || { echo "npipe.1 lacks $cmd $opt"; exit 1; }
    done
done
text=$(groff -man -Tascii -P-cbou "$src/man/npiped.8" 2>/dev/null)
for opt in $("$build/bin/npiped" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -q -- "$opt" <<<"$text" || { echo "npiped.8 lacks $opt"; exit 1; }
done
echo "man pages: ok"
