//! # qubit-experiences for Node.js
//!
//! A thin napi-rs layer over the `qubit-experiences` core: every behaviour
//! (query building, retries, cache, callback queue, cookies) lives in the
//! core; this crate only translates arguments from JavaScript, runs the
//! blocking calls off the JavaScript thread and translates answers and
//! errors back.
//!
//! Threading: a network call runs on the blocking thread pool of the Tokio
//! runtime napi-rs starts, never on the JavaScript thread nor on libuv's
//! four-thread pool (which `fs` and `dns` share). The pool grows with the
//! number of calls in flight, so 64 concurrent fetches do 64 fetches at once,
//! and idle threads retire after a few seconds. Only the conversion of a
//! finished answer into JavaScript objects runs on the JavaScript thread.
//!
//! Panics: every export runs inside [`errors::guard`] (or, for work on the
//! pool, [`errors::catch_panic`]), so a panic becomes a `QubitError` with
//! code `INTERNAL` instead of aborting Node.

mod arguments;
pub mod client;
mod errors;
pub mod functions;
mod json;
mod objects;
pub mod types;

use napi::bindgen_prelude::{Env, JsObjectValue, Object, Result};
use napi_derive::napi;

/// Sets up what the generated exports cannot express: the `QubitError`
/// class, the `errorCodes` table, and a panic hook that keeps panics quiet
/// (the library never prints; a caught panic's message goes into the
/// `INTERNAL` error instead).
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> Result<()> {
    errors::silence_panic_output();

    let class = errors::define_error_class(&env)?;
    exports.set_named_property("QubitError", class)?;
    exports.set_named_property("errorCodes", errors::error_code_table(&env)?)?;
    Ok(())
}
