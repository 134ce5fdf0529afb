//! `qubit_query`: what one fetch asks for.

use std::ffi::c_char;
use std::time::Duration;

use sdk::{Error, ExperienceFilter, Query};

use crate::boundary::{call, collect, handle_mut, new_handle, read, release, text};
use crate::error::{QubitError, QubitStatus};

/// How a query's experience ids are applied (pass it as a `uint32_t`).
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum QubitFilter {
    /// Filtered client side after fetching every experience; ids that were
    /// not served are listed by `qubit_answer_missing_experience_id`. The
    /// default.
    QUBIT_FILTER_TOLERANT = 0,
    /// Sent to the service: an unknown or archived id fails the whole call
    /// with `QUBIT_NOT_FOUND`.
    QUBIT_FILTER_STRICT = 1,
}

/// One fetch's parameters: a new visitor, every experience, nothing forced,
/// until set otherwise.
///
/// Created by `qubit_query_new`, released with `qubit_query_free`. NOT
/// thread-safe for writes: set it from one thread; once set, any number of
/// threads may fetch with it at once as long as no one changes it.
pub struct QubitQuery {
    pub(crate) query: Query,
}

/// Applies one change to the query behind `query`.
fn change(
    query: *mut QubitQuery,
    error: *mut *mut QubitError,
    step: impl FnOnce(&mut Query) -> Result<(), Error>,
) -> QubitStatus {
    call(error, || {
        // SAFETY: the caller passes NULL or a live query used by one thread.
        let query = unsafe { handle_mut(query, "query") }?;
        step(&mut query.query)
    })
}

/// Creates an empty query. Owned by the caller, released with
/// `qubit_query_free`. Returns NULL only if memory ran out.
#[unsafe(no_mangle)]
pub extern "C" fn qubit_query_new() -> *mut QubitQuery {
    read(std::ptr::null_mut(), || {
        new_handle(QubitQuery {
            query: Query::new(),
        })
    })
}

/// Sets the visitor's context id (usually the `_qubitTracker` cookie). The
/// string is copied. An empty id is refused by the fetch.
///
/// # Safety
/// `query` is NULL or live; `context_id` is NULL or NUL-terminated; `error`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_query_set_context_id(
    query: *mut QubitQuery,
    context_id: *const c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    // SAFETY: guaranteed by the caller.
    let context_id = unsafe { text(context_id, "context_id") };
    change(query, error, |query| {
        query.context_id = Some(context_id?.to_owned());
        Ok(())
    })
}

/// Removes the context id: the service generates one.
///
/// # Safety
/// `query` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_query_clear_context_id(
    query: *mut QubitQuery,
    error: *mut *mut QubitError,
) -> QubitStatus {
    change(query, error, |query| {
        query.context_id = None;
        Ok(())
    })
}

/// Restricts the answer to these `count` experience ids (copied); a count
/// of 0 (with `ids` possibly NULL) means every experience. A count too
/// large for memory is `QUBIT_INVALID_ARGUMENT`, refused before anything
/// is read.
///
/// # Safety
/// `query` is NULL or live; `ids` is NULL or points to `count` ids; `error`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_query_set_experience_ids(
    query: *mut QubitQuery,
    ids: *const u64,
    count: usize,
    error: *mut *mut QubitError,
) -> QubitStatus {
    change(query, error, |query| {
        // SAFETY: guaranteed by the caller.
        query.experience_ids = unsafe { collect(ids, count, "ids", |&id| Ok(id)) }?;
        Ok(())
    })
}

/// Chooses how experience ids are applied: a `qubit_filter` value. Any
/// other number is `QUBIT_INVALID_ARGUMENT`.
///
/// # Safety
/// `query` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_query_set_filter(
    query: *mut QubitQuery,
    filter: u32,
    error: *mut *mut QubitError,
) -> QubitStatus {
    change(query, error, |query| {
        query.filter = match filter {
            0 => ExperienceFilter::Tolerant,
            1 => ExperienceFilter::Strict,
            other => {
                return Err(Error::InvalidArgument(format!(
                    "filter {other} is neither QUBIT_FILTER_TOLERANT (0) nor QUBIT_FILTER_STRICT (1)"
                )));
            }
        };
        Ok(())
    })
}

/// Turns preview on or off: serve each experience's latest unpublished
/// iteration (never cached).
///
/// # Safety
/// `query` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_query_set_preview(
    query: *mut QubitQuery,
    preview: bool,
    error: *mut *mut QubitError,
) -> QubitStatus {
    change(query, error, |query| {
        query.preview = preview;
        Ok(())
    })
}

/// Forces the variation with this master id (never cached).
///
/// # Safety
/// `query` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_query_set_variation(
    query: *mut QubitQuery,
    variation_master_id: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    change(query, error, |query| {
        query.variation = Some(variation_master_id);
        Ok(())
    })
}

/// Stops forcing a variation.
///
/// # Safety
/// `query` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_query_clear_variation(
    query: *mut QubitQuery,
    error: *mut *mut QubitError,
) -> QubitStatus {
    change(query, error, |query| {
        query.variation = None;
        Ok(())
    })
}

/// Serves experiences whatever their segment targeting says (never cached).
///
/// # Safety
/// `query` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_query_set_ignore_segments(
    query: *mut QubitQuery,
    ignore_segments: bool,
    error: *mut *mut QubitError,
) -> QubitStatus {
    change(query, error, |query| {
        query.ignore_segments = ignore_segments;
        Ok(())
    })
}

/// Gives fetches with this query their own deadline, in milliseconds,
/// instead of the client's timeout; 0 is refused by the fetch.
///
/// # Safety
/// `query` is NULL or live; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_query_set_timeout_ms(
    query: *mut QubitQuery,
    timeout_ms: u64,
    error: *mut *mut QubitError,
) -> QubitStatus {
    change(query, error, |query| {
        query.timeout = Some(Duration::from_millis(timeout_ms));
        Ok(())
    })
}

/// Releases a query. NULL is accepted and ignored. Answers fetched with it
/// are not affected.
///
/// # Safety
/// `query` is NULL or a query not yet released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_query_free(query: *mut QubitQuery) {
    // SAFETY: made by `qubit_query_new`, released once.
    unsafe { release(query) }
}
