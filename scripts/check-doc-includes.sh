#!/usr/bin/env bash
# Checks that every code block a doc marks with
#
#     <!-- include: path/from/repo/root -->
#     ```lang
#     ...
#     ```
#
# holds exactly that file, so the docs show code the tests compile and run.
#
#     scripts/check-doc-includes.sh docs/c-and-go.md
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
doc=$1
status=0
count=0

while IFS= read -r path; do
    count=$((count + 1))
    block=$(awk -v marker="<!-- include: $path -->" '
        $0 == marker { found = 1; next }
        found == 1 && /^```/ { found = 2; next }
        found == 2 && /^```$/ { exit }
        found == 2 { print }
    ' "$root/$doc")
    if [ "$block" != "$(cat "$root/$path")" ]; then
        echo "$doc: the block marked with $path differs from the file" >&2
        status=1
    fi
done < <(sed -n 's/^<!-- include: \(.*\) -->$/\1/p' "$root/$doc")

if [ "$count" -eq 0 ]; then
    echo "$doc: no included blocks" >&2
    exit 1
fi
[ "$status" -eq 0 ] && echo "$doc: $count included blocks match their files"
exit "$status"
