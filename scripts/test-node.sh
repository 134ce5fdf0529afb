#!/usr/bin/env bash
# The Node package's tests, from a clean checkout: builds the CLI (which
# serves the emulator), installs the package (its install script builds the
# native addon in release), checks that the committed index.js and index.d.ts
# are what the build generates from the Rust sources, and runs node --test.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

cargo build -p qubit-experiences-cli
export QUBIT_EXPERIENCES_CLI="${CARGO_TARGET_DIR:-$root/target}/debug/qubit-experiences"

cd bindings/node
committed="$(mktemp -d)"
app="$(mktemp -d)"
trap 'rm -rf "$committed" "$app"' EXIT
cp index.js index.d.ts "$committed/"

npm install --no-audit --no-fund

for generated in index.js index.d.ts; do
  if ! diff -u "$committed/$generated" "$generated"; then
    echo "bindings/node/$generated is stale: the build regenerated it (diff above); commit the new one" >&2
    exit 1
  fi
done

node --test test/*.test.js

# As the README says: once built, an application installs the package from
# the checkout and loads it from both module systems.
(
  cd "$app"
  npm init -y > /dev/null
  npm install --no-audit --no-fund "$root/bindings/node" 2>&1 | grep -v 'install-scripts' || true
  node -e "const q = require('qubit-experiences'); if (q.version !== '0.1.0') process.exit(1)"
  node --input-type=module -e "import { Client } from 'qubit-experiences'; if (typeof Client !== 'function') process.exit(1)"
)
echo "node: the package installs into an application"
