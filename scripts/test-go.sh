#!/usr/bin/env bash
# The Go package (bindings/go): builds the emulator and the static C
# library it links, then gofmt, go vet and `go test -race` (conformance
# scenarios, error semantics, a many-goroutine stress test and the runnable
# net/http example of docs/c-and-go.md).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

echo "== building the emulator and the static library"
cargo build --quiet -p qubit-experiences-cli
cargo build --quiet -p qubit-experiences-ffi --release
if [ -n "${CARGO_TARGET_DIR:-}" ] && [ "$CARGO_TARGET_DIR" != "$root/target" ]; then
    # cgo links target/release under the repository, as the package says.
    echo "CARGO_TARGET_DIR must be unset or $root/target for the Go package" >&2
    exit 1
fi

cd bindings/go
echo "== gofmt and go vet"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
    echo "not gofmt-formatted: $unformatted" >&2
    exit 1
fi
CGO_ENABLED=1 go vet ./...

echo "== go test -race"
CGO_ENABLED=1 go test -race -count=1 ./...

cd "$root"
scripts/check-doc-includes.sh docs/c-and-go.md
echo "Go tests passed"
