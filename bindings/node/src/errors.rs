//! Errors as JavaScript sees them, and the panic boundary.
//!
//! A core error becomes a `QubitError` (a subclass of `Error`) whose `code`
//! is the core's stable name (`"NOT_FOUND"`) and whose `status` is the HTTP
//! status when there is one. An argument of the wrong JavaScript type
//! becomes a `TypeError`, a number out of range a `RangeError`, following
//! Node's own `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE` codes. A panic
//! becomes a `QubitError` with code `INTERNAL`.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::Once;

use napi::bindgen_prelude::{Env, FromNapiValue, JsObjectValue, Object, Result, Unknown};
use napi::{Error, JsValue, Status, ValueType, check_status, sys};
use qubit_experiences::{Error as CoreError, ErrorCode};

use crate::json::raw;

/// The class every core error is an instance of. Written in JavaScript
/// because Node-API cannot declare a subclass of `Error`.
const ERROR_CLASS_SOURCE: &str = r#"(() => {
  class QubitError extends Error {
    constructor(message, code, status) {
      super(message);
      this.code = code;
      if (status !== undefined && status !== null) this.status = status;
    }
  }
  Object.defineProperty(QubitError.prototype, "name", {
    value: "QubitError", writable: true, configurable: true,
  });
  return QubitError;
})()"#;

/// Defines `QubitError` for this environment: the class, and a reference
/// that keeps it for [`qubit_error`].
pub(crate) fn define_error_class(env: &Env) -> Result<(Unknown<'_>, sys::napi_ref)> {
    let class: Unknown = env.run_script(ERROR_CLASS_SOURCE)?;
    let reference = raw::reference(env.raw(), class.raw())?;
    Ok((class, reference))
}

/// `{ INVALID_ARGUMENT: 1, NOT_FOUND: 2, ... }`, frozen: the core's table.
pub(crate) fn error_code_table(env: &Env) -> Result<Object<'_>> {
    let mut table = Object::new(env)?;
    for code in ErrorCode::ALL {
        table.set_named_property(code.name(), code.number())?;
    }
    table.freeze()?;
    Ok(table)
}

/// A new `QubitError` for a core error.
pub(crate) fn qubit_error(env: sys::napi_env, error: &CoreError) -> Result<sys::napi_value> {
    let class = raw::referenced(env, crate::env_state(env)?.error_class)?;

    let status = match error.status() {
        Some(status) => raw::number(env, f64::from(status))?,
        None => raw::undefined(env)?,
    };
    let args = [
        raw::string(env, &error.to_string())?,
        raw::string(env, error.code().name())?,
        status,
    ];
    let mut instance = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_new_instance(env, class, args.len(), args.as_ptr(), &mut instance)
    })?;
    if let CoreError::HttpStatus { body_excerpt, .. } = error {
        raw::set(
            env,
            instance,
            c"bodyExcerpt",
            raw::string(env, body_excerpt)?,
        )?;
    }
    Ok(instance)
}

/// Takes the exception a JavaScript getter, Proxy trap or `valueOf` threw
/// during a Node-API call, so that nothing stays pending: Node would
/// otherwise throw it as soon as the export returns, even one that returns
/// a promise.
pub(crate) fn take_exception(env: sys::napi_env) -> Option<sys::napi_value> {
    let mut pending = false;
    let status = unsafe { sys::napi_is_exception_pending(env, &mut pending) };
    if status != sys::Status::napi_ok || !pending {
        return None;
    }
    let mut exception = ptr::null_mut();
    let status = unsafe { sys::napi_get_and_clear_last_exception(env, &mut exception) };
    (status == sys::Status::napi_ok && !exception.is_null()).then_some(exception)
}

/// The message of a thrown value, read without running more JavaScript
/// than a `message` getter: an error's `message`, a thrown string itself.
fn message_of(env: sys::napi_env, thrown: sys::napi_value) -> Option<String> {
    let value = unsafe { Unknown::from_raw_unchecked(env, thrown) };
    let message = match value.get_type().ok()? {
        ValueType::String => value,
        ValueType::Object | ValueType::Function => {
            let object = unsafe { Object::from_napi_value(env, thrown) }.ok()?;
            let message = object.get_named_property::<Unknown>("message");
            take_exception(env);
            message.ok()?
        }
        _ => return None,
    };
    match message.get_type().ok()? {
        ValueType::String => unsafe { String::from_napi_value(env, message.raw()) }.ok(),
        _ => None,
    }
}

/// A napi error that rejects or throws with exactly this JavaScript value.
pub(crate) fn thrown(env: sys::napi_env, value: sys::napi_value) -> Error {
    Error::from(unsafe { Unknown::from_raw_unchecked(env, value) })
}

/// A core error, ready to be thrown or to reject a promise. Falls back to a
/// plain napi error only if the environment cannot build objects any more.
pub(crate) fn core_error(env: sys::napi_env, error: &CoreError) -> Error {
    match qubit_error(env, error) {
        Ok(value) => thrown(env, value),
        Err(_) => Error::new(Status::GenericFailure, error.to_string()),
    }
}

/// The `DECODE` error for JSON the binding could not turn into JavaScript
/// values (see `json.rs`), after the core had accepted it.
pub(crate) fn conversion_error(what: &str, error: &Error) -> CoreError {
    CoreError::Decode(format!("converting {what} to JavaScript: {}", error.reason))
}

/// An argument the binding cannot use, found before anything reaches the
/// core.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ArgumentError {
    /// Wrong JavaScript type: a `TypeError` (`ERR_INVALID_ARG_TYPE`).
    Type(String),
    /// Right type, impossible value: a `RangeError` (`ERR_OUT_OF_RANGE`).
    Range(String),
    /// Reading it threw (a getter, a Proxy trap): a `TypeError`
    /// (`ERR_INVALID_ARG_VALUE`) whose `cause` is what was thrown.
    Unreadable {
        /// Names the argument and repeats the thrown message.
        message: String,
        /// The thrown value, valid during the call that read the argument.
        cause: Option<sys::napi_value>,
    },
}

impl ArgumentError {
    /// The argument `name` could not be read because a Node-API call on it
    /// failed, most likely because JavaScript code it ran threw; the
    /// exception is taken so that it does not escape synchronously.
    pub(crate) fn unreadable(env: sys::napi_env, name: &str, error: &Error) -> ArgumentError {
        let cause = take_exception(env);
        let reason = cause
            .and_then(|thrown| message_of(env, thrown))
            .unwrap_or_else(|| error.reason.clone());
        ArgumentError::Unreadable {
            message: format!("\"{name}\" could not be read: {reason}"),
            cause,
        }
    }

    /// The `TypeError` or `RangeError` object.
    pub(crate) fn to_js(&self, env: sys::napi_env) -> Result<sys::napi_value> {
        let (code, message, create): (_, _, CreateError) = match self {
            ArgumentError::Type(message) => {
                ("ERR_INVALID_ARG_TYPE", message, sys::napi_create_type_error)
            }
            ArgumentError::Range(message) => {
                ("ERR_OUT_OF_RANGE", message, sys::napi_create_range_error)
            }
            ArgumentError::Unreadable { message, .. } => (
                "ERR_INVALID_ARG_VALUE",
                message,
                sys::napi_create_type_error,
            ),
        };
        let code = raw::string(env, code)?;
        let message = raw::string(env, message)?;

        let mut error = ptr::null_mut();
        check_status!(unsafe { create(env, code, message, &mut error) })?;
        if let ArgumentError::Unreadable {
            cause: Some(cause), ..
        } = self
        {
            raw::set(env, error, c"cause", *cause)?;
        }
        Ok(error)
    }

    /// The error, ready to be thrown or to reject a promise.
    pub(crate) fn into_napi(self, env: sys::napi_env) -> Error {
        match self.to_js(env) {
            Ok(value) => thrown(env, value),
            Err(_) => match self {
                ArgumentError::Type(message)
                | ArgumentError::Range(message)
                | ArgumentError::Unreadable { message, .. } => {
                    Error::new(Status::InvalidArg, message)
                }
            },
        }
    }
}

type CreateError = unsafe extern "C" fn(
    sys::napi_env,
    sys::napi_value,
    sys::napi_value,
    *mut sys::napi_value,
) -> sys::napi_status;

/// Runs an export's body on the JavaScript thread; a panic becomes an
/// `INTERNAL` `QubitError` instead of unwinding into Node (which aborts).
pub(crate) fn guard<T>(env: &Env, body: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => Err(core_error(env.raw(), &panic_error(payload))),
    }
}

/// Runs blocking work on a pool thread; a panic becomes the core's
/// `Internal` error.
pub(crate) fn catch_panic<T>(
    work: impl FnOnce() -> std::result::Result<T, CoreError>,
) -> std::result::Result<T, CoreError> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| Err(panic_error(payload)))
}

/// The `Internal` error standing for a caught panic.
pub(crate) fn panic_error(payload: Box<dyn Any + Send>) -> CoreError {
    let message = match (
        payload.downcast_ref::<&str>(),
        payload.downcast_ref::<String>(),
    ) {
        (Some(text), _) => (*text).to_owned(),
        (_, Some(text)) => text.clone(),
        _ => "unknown panic".to_owned(),
    };
    CoreError::Internal(format!("panic in the Node binding: {message}"))
}

/// Replaces the default panic hook, which prints to stderr, with one that
/// logs. The hook belongs to this addon's copy of the Rust runtime only.
pub(crate) fn silence_panic_output() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| log::error!("caught panic: {info}")));
    });
}
