package experiences

// The C library is linked statically, so a program using this package is
// one self-contained binary. Build it first, from the repository root:
//
//	cargo build --release -p qubit-experiences-ffi

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libqubit_experiences.a -lpthread -ldl -lm -lrt -lutil
#include <stdlib.h>
#include "qubit_experiences.h"
*/
import "C"

import (
	"strings"
	"time"
	"unsafe"
)

// cString copies s into C memory; the caller frees it with C.free. A NUL
// byte cannot cross into C, so it is refused as an invalid argument.
func cString(s, name string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, &Error{Code: CodeInvalidArgument, Message: "invalid argument: `" + name + "` holds a NUL byte"}
	}
	return C.CString(s), nil
}

// withCStrings runs body with C copies of values, freed afterwards.
func withCStrings(values []string, names []string, body func([]*C.char) error) error {
	copies := make([]*C.char, 0, len(values))
	defer func() {
		for _, copied := range copies {
			C.free(unsafe.Pointer(copied))
		}
	}()
	for i, value := range values {
		copied, err := cString(value, names[i])
		if err != nil {
			return err
		}
		copies = append(copies, copied)
	}
	return body(copies)
}

// goString copies a C string owned by a handle into Go memory; NULL is "".
func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// takeString copies a C string the caller owns into Go memory and frees it.
func takeString(s *C.char) (string, bool) {
	if s == nil {
		return "", false
	}
	defer C.qubit_string_free(s)
	return C.GoString(s), true
}

// milliseconds converts a duration for C, rounding up so that a positive
// duration never becomes 0 (which the core refuses).
func milliseconds(d time.Duration) C.uint64_t {
	if d <= 0 {
		return 0
	}
	return C.uint64_t((d + time.Millisecond - 1) / time.Millisecond)
}
