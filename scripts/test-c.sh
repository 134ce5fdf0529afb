#!/usr/bin/env bash
# The C ABI: builds the library, checks the committed header is what
# cbindgen generates, compiles the C programs of tests/c with -Wall -Wextra
# -Werror linked dynamically and statically, runs them against emulators
# (conformance scenarios, every error path, 8 threads on one client), runs
# each of them under valgrind too, compiles the header as C99 and
# C++, installs into a temporary prefix and builds the quickstart of
# docs/c-and-go.md through pkg-config.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
emulator_pids=()

cleanup() {
    for pid in "${emulator_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

# yajl: a small JSON parser that keeps numbers as their exact text.
if [ ! -f /usr/include/yajl/yajl_tree.h ]; then
    step "installing libyajl-dev"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq libyajl-dev >/dev/null
fi
command -v valgrind >/dev/null || { echo "valgrind is required" >&2; exit 1; }

step "building the emulator and the library"
cargo build --quiet -p qubit-experiences-cli
cargo build --quiet -p qubit-experiences-ffi --release
emulator_bin=$target/debug/qubit-experiences

step "Rust tests of the boundary, and the header is fresh"
cargo test --quiet -p qubit-experiences-ffi --release --lib
QUBIT_HEADER_OUT=$work/generated.h \
    cargo test --quiet -p qubit-experiences-ffi --release --test header
if ! diff -u include/qubit_experiences.h "$work/generated.h"; then
    echo "include/qubit_experiences.h is stale: run scripts/update-c-header.sh" >&2
    exit 1
fi
echo "include/qubit_experiences.h is fresh"

step "compiling with -Wall -Wextra -Werror"
cflags=(-std=c11 -g -O1 -Wall -Wextra -Werror -Iinclude)
static_libs=(-lpthread -ldl -lm -lrt -lutil)
for program in conformance errors threads; do
    gcc "${cflags[@]}" -pthread -o "$work/$program-dynamic" \
        "tests/c/$program.c" tests/c/harness.c \
        -L"$target/release" -lqubit_experiences -Wl,-rpath,"$target/release" -lyajl -lm
    gcc "${cflags[@]}" -pthread -o "$work/$program-static" \
        "tests/c/$program.c" tests/c/harness.c \
        "$target/release/libqubit_experiences.a" -lyajl "${static_libs[@]}"
done
ldd "$work/conformance-dynamic" | grep -q 'libqubit_experiences.so' \
    || { echo "the dynamic build does not load libqubit_experiences.so" >&2; exit 1; }
if ldd "$work/conformance-static" | grep -q 'libqubit_experiences.so'; then
    echo "the static build loads libqubit_experiences.so" >&2
    exit 1
fi
echo '#include "qubit_experiences.h"' \
    | gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -Iinclude -fsyntax-only -x c -
g++ -std=c++17 -Wall -Wextra -Werror -Iinclude -o "$work/header-compiles" \
    tests/c/header_compiles.cpp "$target/release/libqubit_experiences.a" "${static_libs[@]}"
"$work/header-compiles" >/dev/null
echo "all programs compiled; the header compiles as C99 and C++17"

# Starts an emulator for a fixture; sets emulator_url to its base URL.
start_emulator() {
    local fixture=$1 out="$work/emulator-$1.out"
    "$emulator_bin" emulator --fixture "emulator/fixtures/$fixture" --port 0 >"$out" 2>&1 &
    emulator_pids+=($!)
    for _ in $(seq 100); do
        if [ -s "$out" ] && head -n 1 "$out" | grep -q '^http://'; then
            emulator_url=$(head -n 1 "$out")
            return
        fi
        sleep 0.1
    done
    echo "the emulator for $fixture did not start:" >&2
    cat "$out" >&2
    exit 1
}

valgrind_cmd=(valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)

step "conformance scenarios, one emulator per fixture"
start_emulator retail.json
retail_url=$emulator_url
# Scenarios without a fixture (the cookie helpers) need no emulator; they
# run with the retail group.
mapfile -t without_fixture < <(grep -L '"fixture":' tests/conformance/*.json)
fixtures=$(sed -n 's/^ *"fixture": *"\([^"]*\)".*/\1/p' tests/conformance/*.json | sort -u)
for fixture in $fixtures; do
    url=$retail_url
    if [ "$fixture" != retail.json ]; then
        start_emulator "$fixture"
        url=$emulator_url
    fi
    mapfile -t scenarios < <(grep -l "\"fixture\": *\"$fixture\"" tests/conformance/*.json)
    [ "$fixture" = retail.json ] && scenarios+=("${without_fixture[@]}")
    echo "$fixture: ${#scenarios[@]} scenarios at $url"
    "$work/conformance-dynamic" "$url" "${scenarios[@]}"
    "$work/conformance-static" "$url" "${scenarios[@]}"
    "${valgrind_cmd[@]}" "$work/conformance-dynamic" "$url" "${scenarios[@]}"
    echo "valgrind: no invalid access, no leak"
done

step "every error path"
# The library never prints: a passing run writes nothing to stderr.
"$work/errors-dynamic" "$retail_url" 2>"$work/errors.stderr"
if [ -s "$work/errors.stderr" ]; then
    cat "$work/errors.stderr" >&2
    echo "something was printed to stderr" >&2
    exit 1
fi
"$work/errors-static" "$retail_url"
"${valgrind_cmd[@]}" "$work/errors-dynamic" "$retail_url"
echo "valgrind: no invalid access, no leak"

step "one client, 8 threads"
"$work/threads-dynamic" "$retail_url"
"$work/threads-static" "$retail_url"
"${valgrind_cmd[@]}" "$work/threads-dynamic" "$retail_url"
echo "valgrind: no invalid access, no leak"

step "install into a temporary prefix; the quickstart through pkg-config"
prefix=$work/prefix
QUBIT_SKIP_BUILD=1 scripts/install-c.sh "$prefix"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
gcc -Wall -Wextra -Werror -o "$work/quickstart" tests/c/quickstart.c \
    $(pkg-config --cflags --libs qubit_experiences) -Wl,-rpath,"$prefix/lib"
gcc -Wall -Wextra -Werror -o "$work/quickstart-static" tests/c/quickstart.c \
    $(pkg-config --cflags qubit_experiences) \
    "$(pkg-config --variable=libdir qubit_experiences)/libqubit_experiences.a" \
    -lpthread -ldl -lm -lrt -lutil
for quickstart in quickstart quickstart-static; do
    output=$("$work/$quickstart" "$retail_url" retail_shop visitor-1)
    grep -q '^experience 144119: {}$' <<<"$output" \
        || { echo "unexpected quickstart output: $output" >&2; exit 1; }
done
echo "quickstart ran (dynamic and static)"
scripts/check-doc-includes.sh docs/c-and-go.md

printf '\nC tests passed\n'
