package experiences

/*
#include <stddef.h>
#include <stdint.h>
#include "qubit_experiences.h"

// Exported by log_export.go.
extern void goQubitLog(uint32_t level, char *target, size_t target_len, char *message,
                       size_t message_len);

// The C callback: forwards each record to the Go function goQubitLog.
static void qubit_go_log(void *userdata, uint32_t level, const char *target,
                         size_t target_len, const char *message, size_t message_len)
{
    (void)userdata;
    goQubitLog(level, (char *)target, target_len, (char *)message, message_len);
}

static qubit_status qubit_go_set_log(uint32_t max_level, qubit_error **error)
{
    return qubit_log_set_callback(qubit_go_log, NULL, max_level, error);
}

static qubit_status qubit_go_remove_log(qubit_error **error)
{
    return qubit_log_set_callback(NULL, NULL, QUBIT_LOG_LEVEL_OFF, error);
}
*/
import "C"

import (
	"log/slog"
	"sync"
	"sync/atomic"
)

// LevelTrace is the slog level of the library's most detailed records,
// below slog.LevelDebug.
const LevelTrace = slog.LevelDebug - 4

// logSink is the logger set with SetLogger and the least severe level it
// receives.
type logSink struct {
	logger   *slog.Logger
	minLevel slog.Level
}

var (
	// currentLogSink is read by every record, on any thread: no lock.
	currentLogSink atomic.Pointer[logSink]
	// setLoggerMu serializes SetLogger calls (never taken by a record).
	setLoggerMu sync.Mutex
)

// SetLogger routes the library's log records (the Rust core logs, never
// prints) to logger, replacing any logger set before; nil removes it, and
// then nothing is logged (the default). Records less severe than minLevel
// are filtered out in the library, before reaching Go; each record then
// also goes through logger.Enabled. Records carry the message and a
// "target" attribute naming the part of the library that logged, such as
// "qubit_experiences::client"; the levels are slog.LevelError,
// slog.LevelWarn (e.g. "serving default content: ..." when
// GetExperiencesFailOpen falls back), slog.LevelInfo, slog.LevelDebug and
// LevelTrace.
//
// The logger's handler is called synchronously, on whichever thread
// logged: the goroutine calling the client or one of the library's
// background threads that deliver exposure callbacks, possibly several at
// once. It must be safe for concurrent use and return quickly, since the
// library's work waits for it: a handler that writes to a slow sink
// should buffer (say, through a channel) rather than block. It must not
// call SetLogger (that deadlocks). A panic in it drops the record.
//
// SetLogger waits until every running call of the previous logger has
// returned: once it returns, the previous logger is not called again. It
// fails with ErrInternal only when another Rust library in the process
// installed its own logger first.
func SetLogger(logger *slog.Logger, minLevel slog.Level) error {
	setLoggerMu.Lock()
	defer setLoggerMu.Unlock()

	var e *C.qubit_error
	if logger == nil {
		status := C.qubit_go_remove_log(&e)
		currentLogSink.Store(nil)
		return check(status, e)
	}
	currentLogSink.Store(&logSink{logger: logger, minLevel: minLevel})
	status := C.qubit_go_set_log(C.uint32_t(maxLevelFor(minLevel)), &e)
	if status != C.QUBIT_OK {
		currentLogSink.Store(nil)
	}
	return check(status, e)
}

// maxLevelFor is the C maximum level (a qubit_log_level) that lets through
// every record at least as severe as minLevel.
func maxLevelFor(minLevel slog.Level) uint32 {
	switch {
	case minLevel <= LevelTrace:
		return C.QUBIT_LOG_LEVEL_TRACE
	case minLevel <= slog.LevelDebug:
		return C.QUBIT_LOG_LEVEL_DEBUG
	case minLevel <= slog.LevelInfo:
		return C.QUBIT_LOG_LEVEL_INFO
	case minLevel <= slog.LevelWarn:
		return C.QUBIT_LOG_LEVEL_WARN
	case minLevel <= slog.LevelError:
		return C.QUBIT_LOG_LEVEL_ERROR
	default:
		return C.QUBIT_LOG_LEVEL_OFF
	}
}

// slogLevelOf is the slog level of a qubit_log_level.
func slogLevelOf(level uint32) slog.Level {
	switch level {
	case C.QUBIT_LOG_LEVEL_ERROR:
		return slog.LevelError
	case C.QUBIT_LOG_LEVEL_WARN:
		return slog.LevelWarn
	case C.QUBIT_LOG_LEVEL_INFO:
		return slog.LevelInfo
	case C.QUBIT_LOG_LEVEL_DEBUG:
		return slog.LevelDebug
	default:
		return LevelTrace
	}
}
