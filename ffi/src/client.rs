//! `qubit_client`: fetches experiences and reports exposures.

use std::ffi::{CString, c_char};
use std::time::Duration;

use sdk::{Answer, Client, Error};

use crate::answer::{QubitAnswer, QubitExperience};
use crate::boundary::{
    call, handle, lossy_c_string, new_handle, output, owned_c_string, read, release, text,
};
use crate::error::{QubitError, QubitStatus};
use crate::options::QubitClientOptions;
use crate::query::QubitQuery;

/// A client of the Server Experiences API: one connection pool, cache,
/// callback queue and set of counters.
///
/// Created by `qubit_client_new`, released with `qubit_client_free`.
/// Thread-safe: one client may be shared by any number of threads, and
/// every function taking a `const qubit_client *` may run concurrently;
/// only `qubit_client_free` must wait until no other thread uses it. Build
/// one per process (per tracking id) and share it.
pub struct QubitClient {
    client: Client,
    tracking_id: CString,
}

/// Runs a fallible call on the client behind `client`.
fn with_client(
    client: *const QubitClient,
    error: *mut *mut QubitError,
    body: impl FnOnce(&Client) -> Result<(), Error>,
) -> QubitStatus {
    call(error, || {
        // SAFETY: every caller's contract says `client` is NULL or live.
        let client = unsafe { handle(client, "client") }?;
        body(&client.client)
    })
}

/// Builds a client from `options` (which stay the caller's, and may be
/// freed right after). No network.
///
/// On success writes a new client to `*client_out` (release it with
/// `qubit_client_free`). Fails with `QUBIT_INVALID_ARGUMENT` for a NULL
/// argument or an unusable setting (tracking id, base URL, proxy, CA file,
/// zero timeout); `*error` then says which.
///
/// # Safety
/// `options` is NULL or live; `client_out` is NULL or writable; `error` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_new(
    options: *const QubitClientOptions,
    client_out: *mut *mut QubitClient,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let options = unsafe { handle(options, "options") }?;
        let out = output(client_out, "client_out")?;

        let client = options.builder.clone().build()?;
        out.write(new_handle(QubitClient {
            // It came in as a C string, so it holds no NUL.
            tracking_id: lossy_c_string(client.tracking_id()),
            client,
        }));
        Ok(())
    })
}

/// Fetches the experiences for one visitor. Blocking: network, bounded by
/// the query's timeout if set, else the client's.
///
/// On success writes a new answer to `*answer_out` (release it with
/// `qubit_answer_free`). Fails with `QUBIT_INVALID_ARGUMENT`,
/// `QUBIT_NOT_FOUND`, `QUBIT_HTTP_STATUS`, `QUBIT_TIMEOUT`,
/// `QUBIT_CONNECTION`, `QUBIT_DECODE` (also when a string in the answer
/// holds a NUL byte, which C cannot represent), `QUBIT_RESPONSE_TOO_LARGE`
/// or `QUBIT_CLOSED`. Thread-safe.
///
/// # Safety
/// `client` and `query` are NULL or live; `answer_out` and `error` are NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_get_experiences(
    client: *const QubitClient,
    query: *const QubitQuery,
    answer_out: *mut *mut QubitAnswer,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let (client, query) = unsafe { (handle(client, "client")?, handle(query, "query")?) };
        let out = output(answer_out, "answer_out")?;

        let answer = client.client.get_experiences(&query.query)?;
        out.write(new_handle(QubitAnswer::new(answer)?));
        Ok(())
    })
}

/// Fetches like `qubit_client_get_experiences`, but a failed fetch still
/// gives an answer: no experiences, `qubit_answer_source` `"fallback"`,
/// `qubit_answer_error` saying why, and a locally generated context id when
/// the query had none. Blocking, thread-safe.
///
/// On success writes a new answer to `*answer_out`, released with
/// `qubit_answer_free`. Fails only with `QUBIT_INVALID_ARGUMENT` for a
/// NULL argument. A service answer holding a string with a NUL byte, which
/// C cannot represent, also gives the fallback answer, with a
/// `QUBIT_DECODE` error.
///
/// # Safety
/// As `qubit_client_get_experiences`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_get_experiences_fail_open(
    client: *const QubitClient,
    query: *const QubitQuery,
    answer_out: *mut *mut QubitAnswer,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let (client, query) = unsafe { (handle(client, "client")?, handle(query, "query")?) };
        let out = output(answer_out, "answer_out")?;

        let answer = client.client.get_experiences_fail_open(&query.query);
        let answer = QubitAnswer::new(answer)
            .or_else(|err| QubitAnswer::new(Answer::fallback_for(&query.query, err)))?;
        out.write(new_handle(answer));
        Ok(())
    })
}

/// Reports that `experience` was shown to the visitor `context_id`: POSTs
/// its callback and waits for the answer. Blocking: network, retried within
/// the client's timeout. Thread-safe.
///
/// Fails with `QUBIT_CALLBACK_REFUSED` (nothing sent) when the URL breaks
/// the callback host policy, `QUBIT_CLOSED`, or a transport error.
///
/// # Safety
/// `client` is NULL or live; `experience` is NULL or borrowed from a live
/// answer; `context_id` is NULL or NUL-terminated; `error` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_shown(
    client: *const QubitClient,
    experience: *const QubitExperience,
    context_id: *const c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let (client, experience, context_id) = unsafe {
            (
                handle(client, "client")?,
                handle(experience, "experience")?,
                text(context_id, "context_id")?,
            )
        };

        client.client.shown(&experience.experience, context_id)
    })
}

/// Sends the exposure callback of a callback URL kept from an earlier
/// answer, as `qubit_client_shown` does. Blocking, thread-safe.
///
/// # Safety
/// `client` is NULL or live; `callback_url` and `context_id` are NULL or
/// NUL-terminated; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_send_callback(
    client: *const QubitClient,
    callback_url: *const c_char,
    context_id: *const c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let (client, callback_url, context_id) =
            unsafe { callback_arguments(client, callback_url, context_id)? };

        client.client.send_callback(callback_url, context_id)
    })
}

/// Sends the exposure callback of a callback URL as
/// `qubit_client_send_callback` does, within this call's own deadline of
/// `timeout_ms` milliseconds instead of the client's timeout (for callers
/// that carry their own, such as a Go context). Blocking, thread-safe.
/// Fails with `QUBIT_INVALID_ARGUMENT` for a zero timeout.
///
/// # Safety
/// As `qubit_client_send_callback`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_send_callback_within(
    client: *const QubitClient,
    callback_url: *const c_char,
    context_id: *const c_char,
    timeout_ms: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let (client, callback_url, context_id) =
            unsafe { callback_arguments(client, callback_url, context_id)? };

        let timeout = Duration::from_millis(timeout_ms);
        client
            .client
            .send_callback_within(callback_url, context_id, timeout)
    })
}

/// Queues the exposure callback of `experience` for background delivery
/// and returns at once: never blocks on the network. Thread-safe.
///
/// On success writes to `*queued_out` (when not NULL) true, or false when
/// de-duplication skipped it as already sent. Fails with `QUBIT_CALLBACK_REFUSED`,
/// `QUBIT_QUEUE_FULL` (dropped, and counted) or `QUBIT_CLOSED`.
///
/// # Safety
/// As `qubit_client_shown`; `queued_out` is NULL (not wanted) or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_shown_later(
    client: *const QubitClient,
    experience: *const QubitExperience,
    context_id: *const c_char,
    queued_out: *mut bool,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let (client, experience, context_id) = unsafe {
            (
                handle(client, "client")?,
                handle(experience, "experience")?,
                text(context_id, "context_id")?,
            )
        };
        let queued = client
            .client
            .shown_later(&experience.experience, context_id)?;
        report_queued(queued, queued_out);
        Ok(())
    })
}

/// Queues the exposure callback of a callback URL kept from an earlier
/// answer, as `qubit_client_shown_later` does; `experience_id` and
/// `variation_master_id` identify the exposure for de-duplication. For
/// bindings that copy an answer out and free it. Never blocks on the
/// network; thread-safe.
///
/// # Safety
/// `client` is NULL or live; `callback_url` and `context_id` are NULL or
/// NUL-terminated; `queued_out` is NULL (not wanted) or writable; `error`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_send_callback_later(
    client: *const QubitClient,
    callback_url: *const c_char,
    context_id: *const c_char,
    experience_id: u64,
    variation_master_id: u64,
    queued_out: *mut bool,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let (client, callback_url, context_id) =
            unsafe { callback_arguments(client, callback_url, context_id)? };

        let queued = client.client.send_callback_later(
            callback_url,
            context_id,
            experience_id,
            variation_master_id,
        )?;
        report_queued(queued, queued_out);
        Ok(())
    })
}

/// Reads the arguments every callback-URL export takes.
///
/// # Safety
/// `client` is NULL or live; `callback_url` and `context_id` are NULL or
/// NUL-terminated, and outlive the returned borrows.
unsafe fn callback_arguments<'a>(
    client: *const QubitClient,
    callback_url: *const c_char,
    context_id: *const c_char,
) -> Result<(&'a QubitClient, &'a str, &'a str), Error> {
    // SAFETY: guaranteed by the caller.
    unsafe {
        Ok((
            handle(client, "client")?,
            text(callback_url, "callback_url")?,
            text(context_id, "context_id")?,
        ))
    }
}

/// Writes whether an exposure was queued, when the caller asked.
fn report_queued(queued: bool, queued_out: *mut bool) {
    if let Ok(out) = output(queued_out, "queued_out") {
        out.write(queued);
    }
}

/// Waits until every callback queued so far is delivered or has failed for
/// good. Blocking, thread-safe. Fails with `QUBIT_TIMEOUT` after
/// `timeout_ms` milliseconds.
///
/// # Safety
/// `client` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_flush(
    client: *const QubitClient,
    timeout_ms: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    with_client(client, error, |client| {
        client.flush(Duration::from_millis(timeout_ms))
    })
}

/// Closes the client: later calls fail with `QUBIT_CLOSED`, queued
/// callbacks are delivered and the workers joined, waiting at most
/// `timeout_ms` milliseconds (`QUBIT_TIMEOUT` past it, the workers
/// finishing on their own). Calling it again is harmless. Blocking,
/// thread-safe. The client must still be released with `qubit_client_free`.
///
/// # Safety
/// `client` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_close(
    client: *const QubitClient,
    timeout_ms: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    with_client(client, error, |client| {
        client.close(Duration::from_millis(timeout_ms))
    })
}

/// Whether `qubit_client_close` was called (false for NULL). Thread-safe.
///
/// # Safety
/// `client` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_is_closed(client: *const QubitClient) -> bool {
    // SAFETY: guaranteed by the caller.
    read(false, || {
        unsafe { client.as_ref() }.is_some_and(|c| c.client.is_closed())
    })
}

/// The tracking id the client was built for. Owned by the client, valid
/// until `qubit_client_free`; NULL for NULL. Thread-safe.
///
/// # Safety
/// `client` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_tracking_id(client: *const QubitClient) -> *const c_char {
    read(std::ptr::null(), || {
        // SAFETY: guaranteed by the caller.
        unsafe { client.as_ref() }.map_or(std::ptr::null(), |c| c.tracking_id.as_ptr())
    })
}

/// A snapshot of the client's counters as a JSON object (fetches,
/// requests, retries, errors by code name, cache and callback counts,
/// latency percentiles in µs). No network, thread-safe.
///
/// On success writes a new string to `*json_out`, owned by the caller and
/// released with `qubit_string_free`.
///
/// # Safety
/// `client` is NULL or live; `json_out` and `error` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_stats_json(
    client: *const QubitClient,
    json_out: *mut *mut c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    with_client(client, error, |client| {
        let out = output(json_out, "json_out")?;
        let stats = client.stats().to_json();
        out.write(owned_c_string(&stats, "the stats", Error::Internal)?);
        Ok(())
    })
}

/// Releases the client. NULL is accepted and ignored. Does not wait for
/// queued callbacks: call `qubit_client_close` first to deliver them.
/// No other thread may use the client during or after this call.
///
/// # Safety
/// `client` is NULL or a client not yet released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_client_free(client: *mut QubitClient) {
    // SAFETY: made by `qubit_client_new`, released once.
    unsafe { release(client) }
}
