#!/usr/bin/env bash
# Builds the Python package into a fresh virtual environment and runs its
# suite (pytest against emulators started through the CLI, then mypy
# --strict on the typed usage examples, then stubtest comparing the
# installed package's stubs with its runtime). Exits non-zero on any failure.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python="${PYTHON:-python3}"
export CARGO_TARGET_DIR="$repo/target"

echo "== building the CLI (the tests start emulators through it)"
cargo build -p qubit-experiences-cli
export QUBIT_EXPERIENCES_CLI="$repo/target/debug/qubit-experiences"

venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
echo "== installing bindings/python into a fresh venv at $venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
# mypy is pinned: stubtest's checks change between releases, and a new one
# must not fail the suite without a change of ours.
"$venv/bin/python" -m pip install --quiet ./bindings/python "pytest>=8,<10" "mypy==2.4.1"

echo "== pytest"
cd bindings/python
status=0
# Run from the tests' own directory so the installed package, not the
# source tree, is imported.
"$venv/bin/python" -m pytest -p no:cacheprovider -q tests || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests" >&2
    exit 1
elif [ "$status" -ne 0 ]; then
    exit "$status"
fi

echo "== mypy --strict on the typed usage examples"
"$venv/bin/python" -m mypy --strict --no-incremental tests/typing_examples.py

echo "== stubtest: the stubs against the installed runtime"
# stubtest ships with mypy. It imports the installed package (there is no
# qubit_experiences directory here to shadow it), so stub drift fails here.
"$venv/bin/python" -m mypy.stubtest qubit_experiences
echo "== python: all green"
