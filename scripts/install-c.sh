#!/usr/bin/env bash
# Installs the C library under a prefix:
#
#     scripts/install-c.sh PREFIX
#
# builds the release library and copies PREFIX/include/qubit_experiences.h,
# PREFIX/lib/libqubit_experiences.{so,a} and
# PREFIX/lib/pkgconfig/qubit_experiences.pc. Set QUBIT_SKIP_BUILD=1 to
# install what target/release already holds.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=$(realpath -m "$1")
target=${CARGO_TARGET_DIR:-$root/target}

if [ "${QUBIT_SKIP_BUILD:-0}" != 1 ]; then
    (cd "$root" && cargo build --quiet -p qubit-experiences-ffi --release)
fi
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)

install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 "$root/include/qubit_experiences.h" "$prefix/include/"
install -m 755 "$target/release/libqubit_experiences.so" "$prefix/lib/"
install -m 644 "$target/release/libqubit_experiences.a" "$prefix/lib/"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" \
    "$root/ffi/qubit_experiences.pc.in" > "$prefix/lib/pkgconfig/qubit_experiences.pc"
echo "installed qubit_experiences $version under $prefix"
