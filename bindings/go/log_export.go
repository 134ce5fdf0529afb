package experiences

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"context"
	"log/slog"
)

// goQubitLog receives each log record of the library from the C trampoline
// qubit_go_log (log.go), on the thread that logged, and hands it to the
// logger set with SetLogger. The texts are copied: they are valid only
// during the call.
//
//export goQubitLog
func goQubitLog(level C.uint32_t, target *C.char, targetLen C.size_t, message *C.char, messageLen C.size_t) {
	sink := currentLogSink.Load()
	if sink == nil {
		return
	}
	slogLevel := slogLevelOf(uint32(level))
	if slogLevel < sink.minLevel {
		return
	}
	// A panicking handler must not unwind into the library (that would
	// abort the process): the record is dropped instead.
	defer func() { _ = recover() }()
	ctx := context.Background()
	if !sink.logger.Enabled(ctx, slogLevel) {
		return
	}
	sink.logger.LogAttrs(ctx, slogLevel, goStringN(message, messageLen),
		slog.String("target", goStringN(target, targetLen)))
}

// goStringN copies length bytes at s into Go memory.
func goStringN(s *C.char, length C.size_t) string {
	if s == nil || length == 0 {
		return ""
	}
	const maxLength = 1 << 30
	if length > maxLength {
		length = maxLength
	}
	return C.GoStringN(s, C.int(length))
}
