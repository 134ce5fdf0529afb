//! The one error model of the SDK.
//!
//! Every failure is an [`Error`]; every error has an [`ErrorCode`] whose
//! number and name are stable and shared by every binding: the C status
//! enum, the Python exception classes, the Node `err.code` strings and the
//! Go sentinels all come from this table.

use std::fmt;
use std::time::Duration;

/// Longest excerpt of an error response body kept on [`Error::HttpStatus`].
pub const BODY_EXCERPT_LIMIT: usize = 512;

/// Stable numeric codes for every kind of failure.
///
/// Numbers are never reused or renumbered. `0` is left for "ok" in the C
/// layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum ErrorCode {
    /// An argument was empty, malformed or out of range; nothing was sent.
    InvalidArgument = 1,
    /// The service answered 404: unknown tracking id, or an unknown or
    /// archived experience id in a strict query.
    NotFound = 2,
    /// The service answered another non-2xx status.
    HttpStatus = 3,
    /// The call's deadline passed before an answer was complete.
    Timeout = 4,
    /// No connection could be made or kept (DNS, refused, reset, TLS, proxy).
    Connection = 5,
    /// The answer was not the JSON the protocol describes.
    Decode = 6,
    /// The answer's body was larger than the configured cap.
    ResponseTooLarge = 7,
    /// A callback URL was refused by the callback host policy; nothing was
    /// sent.
    CallbackRefused = 8,
    /// The client was closed; no new work is accepted.
    Closed = 9,
    /// The background callback queue was full; the callback was dropped and
    /// counted.
    QueueFull = 10,
    /// A bug or an exhausted operating system resource; a binding also uses
    /// it for a caught panic.
    Internal = 11,
}

impl ErrorCode {
    /// Every code, in numeric order.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::InvalidArgument,
        ErrorCode::NotFound,
        ErrorCode::HttpStatus,
        ErrorCode::Timeout,
        ErrorCode::Connection,
        ErrorCode::Decode,
        ErrorCode::ResponseTooLarge,
        ErrorCode::CallbackRefused,
        ErrorCode::Closed,
        ErrorCode::QueueFull,
        ErrorCode::Internal,
    ];

    /// The stable name every binding uses, e.g. `"NOT_FOUND"`.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::HttpStatus => "HTTP_STATUS",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Connection => "CONNECTION",
            ErrorCode::Decode => "DECODE",
            ErrorCode::ResponseTooLarge => "RESPONSE_TOO_LARGE",
            ErrorCode::CallbackRefused => "CALLBACK_REFUSED",
            ErrorCode::Closed => "CLOSED",
            ErrorCode::QueueFull => "QUEUE_FULL",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The stable number, as the C layer returns it.
    pub const fn number(self) -> u32 {
        self as u32
    }

    /// The code with this stable name, if any.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|code| code.name() == name)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that can go wrong in the SDK.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before anything was sent; the text says
    /// which and why.
    InvalidArgument(String),
    /// The service answered 404.
    NotFound,
    /// The service answered a non-2xx status other than 404.
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// The first [`BODY_EXCERPT_LIMIT`] bytes of the body, lossily
        /// decoded, to help diagnose the failure.
        body_excerpt: String,
    },
    /// The call's deadline passed.
    Timeout {
        /// The deadline the call was given.
        deadline: Duration,
    },
    /// The connection failed; the text is the transport's reason.
    Connection(String),
    /// The answer could not be decoded; the text names what was wrong.
    Decode(String),
    /// The answer's body was larger than the cap.
    ResponseTooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// A callback URL was refused by the callback host policy.
    CallbackRefused {
        /// Why it was refused.
        reason: String,
    },
    /// The client was closed.
    Closed,
    /// The callback queue was full.
    QueueFull {
        /// The queue's capacity.
        capacity: usize,
    },
    /// An internal failure (or, in a binding, a caught panic).
    Internal(String),
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Error::NotFound => ErrorCode::NotFound,
            Error::HttpStatus { .. } => ErrorCode::HttpStatus,
            Error::Timeout { .. } => ErrorCode::Timeout,
            Error::Connection(_) => ErrorCode::Connection,
            Error::Decode(_) => ErrorCode::Decode,
            Error::ResponseTooLarge { .. } => ErrorCode::ResponseTooLarge,
            Error::CallbackRefused { .. } => ErrorCode::CallbackRefused,
            Error::Closed => ErrorCode::Closed,
            Error::QueueFull { .. } => ErrorCode::QueueFull,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status behind this error, when the service answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::NotFound => Some(404),
            Error::HttpStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether another attempt could succeed: connection failures, 5xx and 429.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connection(_) => true,
            Error::HttpStatus { status, .. } => *status == 429 || (500..600).contains(status),
            _ => false,
        }
    }

    /// Builds the error for a non-2xx answer, keeping a bounded body excerpt.
    pub(crate) fn from_status(status: u16, body: &[u8]) -> Error {
        if status == 404 {
            return Error::NotFound;
        }

        let excerpt = &body[..body.len().min(BODY_EXCERPT_LIMIT)];
        Error::HttpStatus {
            status,
            body_excerpt: String::from_utf8_lossy(excerpt).into_owned(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            Error::NotFound => f.write_str(
                "not found (404): check the tracking id, and that every requested \
                 experience id exists and is not archived",
            ),
            Error::HttpStatus {
                status,
                body_excerpt,
            } if body_excerpt.is_empty() => {
                write!(f, "the service answered HTTP {status} with an empty body")
            }
            Error::HttpStatus {
                status,
                body_excerpt,
            } => write!(f, "the service answered HTTP {status}: {body_excerpt}"),
            Error::Timeout { deadline } => write!(
                f,
                "no complete answer within the {} ms deadline: check the service's \
                 reachability, or raise the timeout",
                deadline.as_millis()
            ),
            Error::Connection(reason) => write!(
                f,
                "connection failed: {reason}: check the base URL, DNS, proxy and TLS settings"
            ),
            Error::Decode(what) => write!(f, "could not decode the answer: {what}"),
            Error::ResponseTooLarge { limit } => write!(
                f,
                "the answer is larger than the {limit}-byte cap; raise max_response_bytes \
                 if that is expected"
            ),
            Error::CallbackRefused { reason } => write!(f, "callback refused: {reason}"),
            Error::Closed => f.write_str("the client is closed"),
            Error::QueueFull { capacity } => write!(
                f,
                "the callback queue is full ({capacity} waiting); the callback was dropped"
            ),
            Error::Internal(what) => write!(f, "internal error: {what}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_numbered_once_and_named_once() {
        let numbers: Vec<u32> = ErrorCode::ALL.iter().map(|c| c.number()).collect();
        assert_eq!(numbers, (1..=11).collect::<Vec<u32>>());

        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_name(code.name()), Some(code));
        }
        assert_eq!(ErrorCode::from_name("nope"), None);
    }

    #[test]
    fn status_errors_keep_a_bounded_excerpt() {
        let body = vec![b'x'; 2000];

        let err = Error::from_status(503, &body);

        assert_eq!(err.code(), ErrorCode::HttpStatus);
        assert_eq!(err.status(), Some(503));
        match err {
            Error::HttpStatus { body_excerpt, .. } => assert_eq!(body_excerpt.len(), 512),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_404_is_not_found() {
        let err = Error::from_status(404, b"nope");

        assert_eq!(err, Error::NotFound);
        assert_eq!(err.status(), Some(404));
    }

    #[test]
    fn only_connection_5xx_and_429_are_retryable() {
        assert!(Error::Connection("reset".into()).is_retryable());
        assert!(Error::from_status(500, b"").is_retryable());
        assert!(Error::from_status(429, b"").is_retryable());
        assert!(!Error::from_status(400, b"").is_retryable());
        assert!(!Error::from_status(600, b"").is_retryable());
        assert!(!Error::NotFound.is_retryable());
        assert!(!Error::Decode("x".into()).is_retryable());
    }
}
