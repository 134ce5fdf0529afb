//! `qubit_client_options`: the settings a client is built from.
//!
//! Every setter checks its arguments only as far as C needs (NULL, UTF-8);
//! the values themselves are checked by `qubit_client_new`, as the core's
//! builder does.

use std::ffi::c_char;
use std::time::Duration;

use sdk::{CacheOptions, Client, ClientBuilder, Error};

use crate::boundary::{call, handle_mut, new_handle, output, release, text};
use crate::error::{QubitError, QubitStatus};

/// The settings of a client to build, each with a production default
/// (timeout 1 s, 2 retries, no cache, ...; see the Rust core's
/// `ClientBuilder`).
///
/// Created by `qubit_client_options_new`, released with
/// `qubit_client_options_free`. NOT thread-safe: configure it from one
/// thread at a time. It can build any number of clients.
pub struct QubitClientOptions {
    pub(crate) builder: ClientBuilder,
}

/// Applies one builder step to the options behind `options`.
fn configure(
    options: *mut QubitClientOptions,
    error: *mut *mut QubitError,
    step: impl FnOnce(ClientBuilder) -> Result<ClientBuilder, Error>,
) -> QubitStatus {
    call(error, || {
        // SAFETY: the caller passes NULL or live options used by one thread.
        let options = unsafe { handle_mut(options, "options") }?;
        options.builder = step(options.builder.clone())?;
        Ok(())
    })
}

/// Creates options for the property with this tracking id, every other
/// setting at its default. The User-Agent names the C binding.
///
/// On success writes a new options object to `*options_out` (release it
/// with `qubit_client_options_free`). No network. Fails with
/// `QUBIT_INVALID_ARGUMENT` for a NULL or non-UTF-8 argument; the tracking
/// id itself is checked by `qubit_client_new`.
///
/// # Safety
/// `tracking_id` is NULL or NUL-terminated; `options_out` is NULL or
/// writable; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_new(
    tracking_id: *const c_char,
    options_out: *mut *mut QubitClientOptions,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let tracking_id = unsafe { text(tracking_id, "tracking_id") }?;
        let out = output(options_out, "options_out")?;

        let builder = Client::builder(tracking_id).binding("c");
        out.write(new_handle(QubitClientOptions { builder }));
        Ok(())
    })
}

/// Sets the service's base URL (default `https://sse.qubit.com`).
///
/// # Safety
/// `options` is NULL or live; `base_url` is NULL or NUL-terminated;
/// `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_base_url(
    options: *mut QubitClientOptions,
    base_url: *const c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    // SAFETY: guaranteed by the caller.
    let base_url = unsafe { text(base_url, "base_url") };
    configure(options, error, |builder| Ok(builder.base_url(base_url?)))
}

/// Sets the deadline of a whole fetch or blocking callback, retries
/// included, in milliseconds (default 1000; 0 is refused by
/// `qubit_client_new`).
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_timeout_ms(
    options: *mut QubitClientOptions,
    timeout_ms: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    configure(options, error, |builder| {
        Ok(builder.timeout(Duration::from_millis(timeout_ms)))
    })
}

/// Sets the deadline of opening one connection, in milliseconds (default 500).
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_connect_timeout_ms(
    options: *mut QubitClientOptions,
    timeout_ms: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    configure(options, error, |builder| {
        Ok(builder.connect_timeout(Duration::from_millis(timeout_ms)))
    })
}

/// Sets how many times a connection error, 5xx or 429 is retried (default 2).
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_retries(
    options: *mut QubitClientOptions,
    retries: u32,
    error: *mut *mut QubitError,
) -> QubitStatus {
    configure(options, error, |builder| Ok(builder.retries(retries)))
}

/// Sets the first and the largest backoff step between retries, in
/// milliseconds (default 25 and 250).
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_backoff_ms(
    options: *mut QubitClientOptions,
    first_ms: u64,
    max_ms: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    configure(options, error, |builder| {
        Ok(builder.backoff(
            Duration::from_millis(first_ms),
            Duration::from_millis(max_ms),
        ))
    })
}

/// Sets the largest answer body read, in bytes (default 4 MiB); a larger
/// answer fails with `QUBIT_RESPONSE_TOO_LARGE`.
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_max_response_bytes(
    options: *mut QubitClientOptions,
    bytes: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    configure(options, error, |builder| {
        Ok(builder.max_response_bytes(bytes))
    })
}

/// Turns the answer cache on: answers live `ttl_ms`, at most `max_entries`
/// are kept, and when the service fails an expired answer may still be
/// served for `serve_stale_ms` (0: never serve stale answers).
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_cache(
    options: *mut QubitClientOptions,
    ttl_ms: u64,
    max_entries: usize,
    serve_stale_ms: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    let cache = CacheOptions {
        ttl: Duration::from_millis(ttl_ms),
        max_entries,
        serve_stale_for: (serve_stale_ms > 0).then(|| Duration::from_millis(serve_stale_ms)),
    };
    configure(options, error, |builder| Ok(builder.cache(cache)))
}

/// Allows callbacks to this host too, besides the API's own (https only).
/// May be called several times.
///
/// # Safety
/// `options` is NULL or live; `host` is NULL or NUL-terminated; `error` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_allow_callback_host(
    options: *mut QubitClientOptions,
    host: *const c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    // SAFETY: guaranteed by the caller.
    let host = unsafe { text(host, "host") };
    configure(options, error, |builder| {
        Ok(builder.allow_callback_host(host?))
    })
}

/// Sets the deadline of one queued callback, retries included, in
/// milliseconds (default 5000).
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_callback_timeout_ms(
    options: *mut QubitClientOptions,
    timeout_ms: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    configure(options, error, |builder| {
        Ok(builder.callback_timeout(Duration::from_millis(timeout_ms)))
    })
}

/// Sets how many callbacks may wait in the background queue (default 10000).
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_queue_capacity(
    options: *mut QubitClientOptions,
    capacity: usize,
    error: *mut *mut QubitError,
) -> QubitStatus {
    configure(options, error, |builder| {
        Ok(builder.queue_capacity(capacity))
    })
}

/// Sets how many threads send queued callbacks (default 2).
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_callback_workers(
    options: *mut QubitClientOptions,
    workers: usize,
    error: *mut *mut QubitError,
) -> QubitStatus {
    configure(options, error, |builder| {
        Ok(builder.callback_workers(workers))
    })
}

/// Sends one queued callback per (context id, experience, variation)
/// within `window_ms`, remembering at most `max_entries` exposures (off by
/// default).
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_deduplicate_callbacks(
    options: *mut QubitClientOptions,
    window_ms: u64,
    max_entries: usize,
    error: *mut *mut QubitError,
) -> QubitStatus {
    configure(options, error, |builder| {
        Ok(builder.deduplicate_callbacks(Duration::from_millis(window_ms), max_entries))
    })
}

/// Names the language binding in the User-Agent (default `"c"`), e.g.
/// `"go/go1.26.0"`. For bindings built on this library.
///
/// # Safety
/// `options` is NULL or live; `binding` is NULL or NUL-terminated; `error`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_binding(
    options: *mut QubitClientOptions,
    binding: *const c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    // SAFETY: guaranteed by the caller.
    let binding = unsafe { text(binding, "binding") };
    configure(options, error, |builder| Ok(builder.binding(binding?)))
}

/// Sends every request through this proxy (`http://`, `https://`,
/// `socks5://`). Without it the usual proxy environment variables are read.
///
/// # Safety
/// `options` is NULL or live; `proxy_url` is NULL or NUL-terminated;
/// `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_proxy(
    options: *mut QubitClientOptions,
    proxy_url: *const c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    // SAFETY: guaranteed by the caller.
    let proxy_url = unsafe { text(proxy_url, "proxy_url") };
    configure(options, error, |builder| Ok(builder.proxy(proxy_url?)))
}

/// Also trusts the certificates of this PEM file (a UTF-8 path).
///
/// # Safety
/// `options` is NULL or live; `path` is NULL or NUL-terminated; `error` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_extra_ca_file(
    options: *mut QubitClientOptions,
    path: *const c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    // SAFETY: guaranteed by the caller.
    let path = unsafe { text(path, "path") };
    configure(options, error, |builder| Ok(builder.extra_ca_file(path?)))
}

/// Sets how many idle connections are kept for reuse (default 64).
///
/// # Safety
/// `options` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_set_max_idle_connections(
    options: *mut QubitClientOptions,
    connections: usize,
    error: *mut *mut QubitError,
) -> QubitStatus {
    configure(options, error, |builder| {
        Ok(builder.max_idle_connections(connections))
    })
}

/// Releases options. NULL is accepted and ignored. Clients built from them
/// are not affected.
///
/// # Safety
/// `options` is NULL or options not yet released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_options_free(options: *mut QubitClientOptions) {
    // SAFETY: made by `qubit_client_options_new`, released once.
    unsafe { release(options) }
}
