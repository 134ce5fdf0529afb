//! # qubit-experiences for Node.js
//!
//! A thin napi-rs layer over the `qubit-experiences` core: every behaviour
//! (query building, retries, cache, callback queue, cookies) lives in the
//! core; this crate only translates arguments from JavaScript, runs the
//! blocking calls off the JavaScript thread and translates answers and
//! errors back.
//!
//! Threading: a network call runs on the blocking thread pool of the Tokio
//! runtime this crate gives napi-rs, never on the JavaScript thread nor on
//! libuv's four-thread pool (which `fs` and `dns` share). The pool grows
//! with the number of calls in flight, so 64 concurrent fetches do 64
//! fetches at once, and idle threads retire after a few seconds. Finished
//! calls are settled in batches (see `completions.rs`); only the conversion
//! of a finished answer into JavaScript objects runs on the JavaScript
//! thread.
//!
//! Logging: the core's `log` records reach JavaScript only through
//! `setLogger` (see `logging.rs`).
//!
//! Panics: every export runs inside [`errors::guard`] (or, for work on the
//! pool, [`errors::catch_panic`]), so a panic becomes a `QubitError` with
//! code `INTERNAL` instead of aborting Node.

mod arguments;
pub mod client;
mod completions;
mod errors;
pub mod functions;
mod json;
pub mod logging;
mod objects;
pub mod types;

use std::sync::Arc;

use napi::bindgen_prelude::{Env, JsObjectValue, Object, Result, Unknown};
use napi::{Error, JsValue, Status, sys};
use napi_derive::napi;

use crate::completions::Completions;

/// What the binding keeps per Node environment (the main thread, or each
/// worker thread), as the environment's instance data.
pub(crate) struct EnvState {
    /// The `QubitError` class.
    pub(crate) error_class: sys::napi_ref,
    /// The `Client` class, to tell `new Client()` from a plain call.
    pub(crate) client_class: sys::napi_ref,
    /// Where finished calls wait to settle their promises.
    pub(crate) completions: Arc<Completions>,
}

/// The state of the environment `env`.
pub(crate) fn env_state(env: sys::napi_env) -> Result<&'static EnvState> {
    Env::from_raw(env)
        .get_instance_data::<EnvState>()?
        .map(|state| &*state)
        .ok_or_else(|| Error::new(Status::GenericFailure, "the addon was not initialised"))
}

/// Gives napi-rs a Tokio runtime whose threads run below the JavaScript
/// thread's priority. Its blocking pool does every network call; each
/// thread mostly waits on a socket, and when the machine's cores are all
/// busy the JavaScript thread (which runs the application and settles the
/// answers) should get the CPU first. Its one async worker thread is idle:
/// the binding runs no futures.
#[napi_derive::module_init]
fn init_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("qubit-experiences")
        .on_thread_start(lower_thread_priority)
        .build();
    if let Ok(runtime) = runtime {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

/// Raises the calling thread's nice value by 5 (Linux: per thread).
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    unsafe {
        let thread = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, thread, 5);
    }
}

/// Sets up what the generated exports cannot express: the `QubitError`
/// class, the `errorCodes` table, and a panic hook that keeps panics quiet
/// (the library never prints; a caught panic's message goes into the
/// `INTERNAL` error instead).
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> Result<()> {
    errors::silence_panic_output();

    let (class, error_class) = errors::define_error_class(&env)?;
    let client: Unknown = exports.get_named_property("Client")?;
    let client_class = json::raw::reference(env.raw(), client.raw())?;
    let completions = Completions::new(&env)?;
    env.set_instance_data(
        EnvState {
            error_class,
            client_class,
            completions,
        },
        (),
        |_| {},
    )?;

    exports.set_named_property("QubitError", class)?;
    exports.set_named_property("errorCodes", errors::error_code_table(&env)?)?;
    Ok(())
}
