// Package experiences is the Go client of Qubit's Server Experiences API:
// a server asks which experiences a visitor (a context id, usually the
// _qubitTracker cookie) is bucketed into, renders the page with each
// experience's payload, sets the cookie when the id was generated, and
// reports each experience it shows through its callback.
//
// It is the SDK's Rust core behind its C ABI, linked statically through
// cgo, so it behaves exactly like every other language's binding: same
// defaults, same error codes. Build the library first, from the
// repository root:
//
//	cargo build --release -p qubit-experiences-ffi
//
// A Client is safe for concurrent use; build one per process and share
// it. Network calls take a context.Context first, whose deadline bounds
// the call. Errors are *Error values with a stable Code and the HTTP
// Status, matched with errors.Is against ErrNotFound, ErrTimeout, ... or
// read with errors.As. Answers are copied into Go memory.
package experiences
