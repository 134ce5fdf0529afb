//! # qubit-experiences C ABI
//!
//! The core client of Qubit's Server Experiences API, for C, C++ and any
//! language with a C FFI (the Go package is built on it). The header
//! `include/qubit_experiences.h` is generated from this crate by cbindgen.
//!
//! Conventions, the same for every function:
//!
//! - One prefix, `qubit_`, and `type_verb` names.
//! - Opaque handles: `qubit_client_options`, `qubit_client`, `qubit_query`,
//!   `qubit_answer` (which owns its `qubit_experience`s) and `qubit_error`.
//!   Each type's comment says who owns it, which call frees it and whether
//!   threads may share it. Every `_free` accepts NULL.
//! - Fallible functions return a `qubit_status` (`QUBIT_OK` or the core's
//!   error code, same numbers and names in every binding); inputs come
//!   first, outputs last, and outputs are written only on success. The last
//!   parameter, `qubit_error **error`, may be NULL; when not NULL it
//!   receives an error object on failure only (there is no thread-local
//!   "last error").
//! - Strings in are NUL-terminated UTF-8: NULL or invalid UTF-8 gives
//!   `QUBIT_INVALID_ARGUMENT`, never a crash. Strings out are owned by the
//!   handle that returned them, for as long as the comment says, or are
//!   released with `qubit_string_free` where the comment says so.
//! - Getters that cannot fail return their value directly: 0, false or
//!   NULL for a NULL handle.
//! - No panic unwinds into C (a caught one is `QUBIT_INTERNAL`) and nothing
//!   is printed: the core's log records go to the callback set with
//!   `qubit_log_set_callback`, if any.

mod answer;
mod boundary;
mod client;
mod error;
mod helpers;
mod logging;
mod options;
mod query;

pub use answer::{QubitAnswer, QubitExperience};
pub use client::QubitClient;
pub use error::{QubitError, QubitStatus};
pub use logging::{QubitLogCallback, QubitLogLevel};
pub use options::QubitClientOptions;
pub use query::{QubitFilter, QubitQuery};
