package experiences

/*
#include "qubit_experiences.h"
*/
import "C"

import "fmt"

// Code is the stable number of a kind of failure: the same numbers and
// names as the Rust core, the C status enum and every other binding.
type Code uint32

// The codes, numbered once and never reused.
const (
	CodeInvalidArgument  Code = 1
	CodeNotFound         Code = 2
	CodeHTTPStatus       Code = 3
	CodeTimeout          Code = 4
	CodeConnection       Code = 5
	CodeDecode           Code = 6
	CodeResponseTooLarge Code = 7
	CodeCallbackRefused  Code = 8
	CodeClosed           Code = 9
	CodeQueueFull        Code = 10
	CodeInternal         Code = 11
)

var codeNames = map[Code]string{
	CodeInvalidArgument:  "INVALID_ARGUMENT",
	CodeNotFound:         "NOT_FOUND",
	CodeHTTPStatus:       "HTTP_STATUS",
	CodeTimeout:          "TIMEOUT",
	CodeConnection:       "CONNECTION",
	CodeDecode:           "DECODE",
	CodeResponseTooLarge: "RESPONSE_TOO_LARGE",
	CodeCallbackRefused:  "CALLBACK_REFUSED",
	CodeClosed:           "CLOSED",
	CodeQueueFull:        "QUEUE_FULL",
	CodeInternal:         "INTERNAL",
}

// String is the code's stable name, e.g. "NOT_FOUND".
func (c Code) String() string {
	if name, ok := codeNames[c]; ok {
		return name
	}
	return fmt.Sprintf("Code(%d)", uint32(c))
}

// sentinel is the type of the Err* values: a code standing for every error
// with that code.
type sentinel Code

func (s sentinel) Error() string { return "experiences: " + Code(s).String() }

// Sentinels for errors.Is: errors.Is(err, ErrNotFound) holds for every
// *Error whose Code is CodeNotFound.
var (
	ErrInvalidArgument  error = sentinel(CodeInvalidArgument)
	ErrNotFound         error = sentinel(CodeNotFound)
	ErrHTTPStatus       error = sentinel(CodeHTTPStatus)
	ErrTimeout          error = sentinel(CodeTimeout)
	ErrConnection       error = sentinel(CodeConnection)
	ErrDecode           error = sentinel(CodeDecode)
	ErrResponseTooLarge error = sentinel(CodeResponseTooLarge)
	ErrCallbackRefused  error = sentinel(CodeCallbackRefused)
	ErrClosed           error = sentinel(CodeClosed)
	ErrQueueFull        error = sentinel(CodeQueueFull)
	ErrInternal         error = sentinel(CodeInternal)
)

// Error is every failure of the SDK; use errors.As to read it.
type Error struct {
	// Code says what kind of failure it is.
	Code Code
	// Status is the HTTP status the service answered, or 0.
	Status int
	// Message says what went wrong, for people.
	Message string
	// BodyExcerpt is, for CodeHTTPStatus, the start of the body the
	// service answered (at most 512 bytes, possibly empty); "" otherwise.
	BodyExcerpt string
	// Retryable says whether another attempt could succeed: a connection
	// failure, a 5xx or a 429.
	Retryable bool
}

func (e *Error) Error() string { return "experiences: " + e.Message }

// Is makes errors.Is(err, ErrX) hold when err's code is X's.
func (e *Error) Is(target error) bool {
	code, ok := target.(sentinel)
	return ok && Code(code) == e.Code
}

// errorFrom copies a C error object into Go memory; it does not free it.
func errorFrom(e *C.qubit_error) *Error {
	return &Error{
		Code:        Code(C.qubit_error_code(e)),
		Status:      int(C.qubit_error_status(e)),
		Message:     goString(C.qubit_error_message(e)),
		BodyExcerpt: goString(C.qubit_error_body_excerpt(e)),
		Retryable:   bool(C.qubit_error_retryable(e)),
	}
}

// check turns a C status and its error object into a Go error, freeing the
// object.
func check(status C.qubit_status, e *C.qubit_error) error {
	if status == C.QUBIT_OK {
		return nil
	}
	defer C.qubit_error_free(e)
	if e == nil {
		return &Error{Code: Code(status), Message: C.GoString(C.qubit_status_name(C.uint32_t(status)))}
	}
	return errorFrom(e)
}
