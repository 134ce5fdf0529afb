//! The panic boundary: no Rust panic reaches Python.
//!
//! PyO3 turns a panic into `PanicException`, which derives from
//! `BaseException` and so escapes `except Exception`. Every entry point of
//! the module runs inside [`guarded`] instead, which turns a panic into the
//! SDK's `InternalError`.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::prelude::*;

use crate::errors;

/// Runs `body`, turning a panic into `InternalError`.
pub fn guarded<T>(body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let what = panic_message(panic.as_ref());
        Python::attach(|py| Err(errors::internal(py, &format!("a bug in the SDK: {what}"))))
    })
}

/// The message a panic was raised with, when it carries one.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<&str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "a panic without a message"
    }
}

/// Routes panic reports to the log instead of standard error: the library
/// never prints. The hook belongs to this module's copy of the Rust
/// runtime, so other native modules in the process keep theirs.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        log::error!(target: "qubit_experiences", "panic: {info}");
    }));
}
