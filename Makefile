# The two commands a newcomer needs: `make demo` and `make test`.
# Every target installs or builds what it needs on a fresh machine that has
# the toolchains (Rust, Python 3, Node, Go, a C compiler) and the package
# registries.

CARGO ?= cargo
RUST_CRATES := -p qubit-experiences -p qubit-experiences-emulator -p qubit-experiences-cli

.PHONY: demo test test-rust test-readme test-c test-go test-python test-node lint

## Run the SDK's main job against a local emulator (no network needed).
demo:
	$(CARGO) run --quiet -p qubit-experiences-cli -- demo

## Run every test of every language.
test: test-rust test-c test-go test-python test-node
	@echo "all test suites passed"

## Formatting, lints, unit, integration and conformance tests of the Rust crates.
test-rust: lint
	$(CARGO) test $(RUST_CRATES)
	python3 tests/conformance/tools/expected.py --check tests/conformance
	$(MAKE) --no-print-directory demo > /dev/null

lint:
	bash scripts/check-doc-includes.sh README.md
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps -p qubit-experiences -p qubit-experiences-emulator

## The C ABI: header freshness, C and C++ programs, valgrind.
test-c:
	bash scripts/test-c.sh

## The Go package through cgo, with the race detector.
test-go:
	bash scripts/test-go.sh

## The Python package in a fresh virtual environment.
test-python:
	bash scripts/test-python.sh

## The Node package, built by npm install.
test-node:
	bash scripts/test-node.sh
