//! Status codes and the error object.

use std::ffi::{CString, c_char};

use sdk::{Error, ErrorCode};

use crate::boundary::{lossy_c_string, read, release};

/// The result of every fallible function: `QUBIT_OK`, or the code of the
/// core's error model. The numbers are stable and never reused; they equal
/// the core's `ErrorCode` numbers and the codes of every other binding.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum QubitStatus {
    /// Success; every output was written.
    QUBIT_OK = 0,
    /// An argument was NULL, not UTF-8, empty, malformed or out of range;
    /// nothing was sent.
    QUBIT_INVALID_ARGUMENT = 1,
    /// The service answered 404: unknown tracking id, or an unknown or
    /// archived experience id in a strict query.
    QUBIT_NOT_FOUND = 2,
    /// The service answered another non-2xx status (see `qubit_error_status`).
    QUBIT_HTTP_STATUS = 3,
    /// The call's deadline passed before an answer was complete.
    QUBIT_TIMEOUT = 4,
    /// No connection could be made or kept (DNS, refused, reset, TLS, proxy).
    QUBIT_CONNECTION = 5,
    /// The answer was not the JSON the protocol describes.
    QUBIT_DECODE = 6,
    /// The answer's body was larger than the configured cap.
    QUBIT_RESPONSE_TOO_LARGE = 7,
    /// A callback URL was refused by the callback host policy; nothing was sent.
    QUBIT_CALLBACK_REFUSED = 8,
    /// The client was closed; no new work is accepted.
    QUBIT_CLOSED = 9,
    /// The background callback queue was full; the callback was dropped.
    QUBIT_QUEUE_FULL = 10,
    /// A bug, an exhausted resource, or a caught panic.
    QUBIT_INTERNAL = 11,
}

impl From<ErrorCode> for QubitStatus {
    fn from(code: ErrorCode) -> QubitStatus {
        match code {
            ErrorCode::InvalidArgument => QubitStatus::QUBIT_INVALID_ARGUMENT,
            ErrorCode::NotFound => QubitStatus::QUBIT_NOT_FOUND,
            ErrorCode::HttpStatus => QubitStatus::QUBIT_HTTP_STATUS,
            ErrorCode::Timeout => QubitStatus::QUBIT_TIMEOUT,
            ErrorCode::Connection => QubitStatus::QUBIT_CONNECTION,
            ErrorCode::Decode => QubitStatus::QUBIT_DECODE,
            ErrorCode::ResponseTooLarge => QubitStatus::QUBIT_RESPONSE_TOO_LARGE,
            ErrorCode::CallbackRefused => QubitStatus::QUBIT_CALLBACK_REFUSED,
            ErrorCode::Closed => QubitStatus::QUBIT_CLOSED,
            ErrorCode::QueueFull => QubitStatus::QUBIT_QUEUE_FULL,
            ErrorCode::Internal => QubitStatus::QUBIT_INTERNAL,
            // A code added to the core later reads as internal until this
            // enum gains it.
            _ => QubitStatus::QUBIT_INTERNAL,
        }
    }
}

/// Names of the statuses, NUL-terminated, indexed by number.
const STATUS_NAMES: [&std::ffi::CStr; 12] = [
    c"OK",
    c"INVALID_ARGUMENT",
    c"NOT_FOUND",
    c"HTTP_STATUS",
    c"TIMEOUT",
    c"CONNECTION",
    c"DECODE",
    c"RESPONSE_TOO_LARGE",
    c"CALLBACK_REFUSED",
    c"CLOSED",
    c"QUEUE_FULL",
    c"INTERNAL",
];

/// The stable name of a status number: `"OK"`, `"INVALID_ARGUMENT"`, ...,
/// `"INTERNAL"`; `"UNKNOWN"` for a number that is not a status.
///
/// Returns a static string: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn qubit_status_name(status: u32) -> *const c_char {
    read(c"UNKNOWN".as_ptr(), || {
        let index = usize::try_from(status).unwrap_or(usize::MAX);
        STATUS_NAMES
            .get(index)
            .copied()
            .unwrap_or(c"UNKNOWN")
            .as_ptr()
    })
}

/// What went wrong in a failed call: its status code, a message for people
/// and, when the service answered one, the HTTP status and an excerpt of
/// the body.
///
/// Created by a failing function when its `error` out-parameter is not
/// NULL; owned by the caller, released with `qubit_error_free`. Immutable:
/// may be read from several threads at once.
pub struct QubitError {
    pub(crate) status: QubitStatus,
    pub(crate) message: CString,
    pub(crate) http_status: u16,
    pub(crate) body_excerpt: Option<CString>,
    pub(crate) retryable: bool,
}

impl QubitError {
    pub(crate) fn new(error: &Error) -> QubitError {
        QubitError {
            status: QubitStatus::from(error.code()),
            message: lossy_c_string(&error.to_string()),
            http_status: error.status().unwrap_or(0),
            body_excerpt: match error {
                Error::HttpStatus { body_excerpt, .. } => Some(lossy_c_string(body_excerpt)),
                _ => None,
            },
            retryable: error.is_retryable(),
        }
    }
}

/// The error's status code (never `QUBIT_OK`); `QUBIT_INVALID_ARGUMENT`
/// when `error` is NULL. No allocation, thread-safe.
///
/// # Safety
/// `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_error_code(error: *const QubitError) -> QubitStatus {
    // SAFETY: guaranteed by the caller.
    read(QubitStatus::QUBIT_INTERNAL, || {
        match unsafe { error.as_ref() } {
            Some(error) => error.status,
            None => QubitStatus::QUBIT_INVALID_ARGUMENT,
        }
    })
}

/// The error's message, UTF-8. The string is owned by the error object and
/// lives until `qubit_error_free`. NULL when `error` is NULL. A NUL byte in
/// the text (say, from the service's body) is replaced by U+FFFD, so the
/// message is never cut short. Thread-safe.
///
/// # Safety
/// `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_error_message(error: *const QubitError) -> *const c_char {
    // SAFETY: guaranteed by the caller.
    read(std::ptr::null(), || match unsafe { error.as_ref() } {
        Some(error) => error.message.as_ptr(),
        None => std::ptr::null(),
    })
}

/// The HTTP status the service answered (e.g. 404, 503), or 0 when the
/// error did not come from an answer, or `error` is NULL. Thread-safe.
///
/// # Safety
/// `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_error_status(error: *const QubitError) -> u16 {
    // SAFETY: guaranteed by the caller.
    read(0, || {
        unsafe { error.as_ref() }.map_or(0, |error| error.http_status)
    })
}

/// For a `QUBIT_HTTP_STATUS` error, the start of the body the service
/// answered (at most 512 bytes, lossily decoded as UTF-8, a NUL byte
/// replaced by U+FFFD), possibly empty; NULL for any other error or when
/// `error` is NULL. Owned by the error object: valid until
/// `qubit_error_free`. Thread-safe.
///
/// # Safety
/// `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_error_body_excerpt(error: *const QubitError) -> *const c_char {
    // SAFETY: guaranteed by the caller.
    read(std::ptr::null(), || {
        unsafe { error.as_ref() }
            .and_then(|error| error.body_excerpt.as_ref())
            .map_or(std::ptr::null(), |excerpt| excerpt.as_ptr())
    })
}

/// Whether another attempt could succeed (a connection failure, a 5xx or a
/// 429); false for NULL. Thread-safe.
///
/// # Safety
/// `error` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_error_retryable(error: *const QubitError) -> bool {
    // SAFETY: guaranteed by the caller.
    read(false, || {
        unsafe { error.as_ref() }.is_some_and(|error| error.retryable)
    })
}

/// Releases an error object. NULL is accepted and ignored.
///
/// Do not use `error`, or any string read from it, afterwards.
///
/// # Safety
/// `error` is NULL or an error object not yet released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_error_free(error: *mut QubitError) {
    // SAFETY: made by the boundary, released once as the contract says.
    unsafe { release(error) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn statuses_have_the_core_numbers_and_names() {
        for code in ErrorCode::ALL {
            let status = QubitStatus::from(code);

            // SAFETY: `qubit_status_name` returns a static C string.
            let name = unsafe { CStr::from_ptr(qubit_status_name(status as u32)) };

            assert_eq!(status as u32, code.number());
            assert_eq!(name.to_str(), Ok(code.name()));
        }
        assert_eq!(QubitStatus::QUBIT_OK as u32, 0);
        assert_eq!(QubitStatus::QUBIT_INTERNAL as u32, 11);
    }

    #[test]
    fn unknown_status_numbers_are_named_unknown() {
        // SAFETY: static C strings.
        let names = unsafe {
            [
                CStr::from_ptr(qubit_status_name(0)),
                CStr::from_ptr(qubit_status_name(12)),
                CStr::from_ptr(qubit_status_name(u32::MAX)),
            ]
        };

        assert_eq!(
            names.map(|name| name.to_str().unwrap()),
            ["OK", "UNKNOWN", "UNKNOWN"]
        );
    }

    #[test]
    fn error_objects_carry_code_message_and_http_status() {
        let error = QubitError::new(&Error::NotFound);

        assert_eq!(error.status, QubitStatus::QUBIT_NOT_FOUND);
        assert_eq!(error.http_status, 404);
        assert!(!error.retryable);
        assert!(
            error
                .message
                .to_str()
                .unwrap()
                .starts_with("not found (404)")
        );
    }
}
