#!/usr/bin/env bash
# Regenerates include/qubit_experiences.h from ffi/ with cbindgen (run as a
# library by ffi/tests/header.rs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
QUBIT_HEADER_OUT=$root/include/qubit_experiences.h \
    cargo test --quiet -p qubit-experiences-ffi --release --test header
echo "include/qubit_experiences.h regenerated"
