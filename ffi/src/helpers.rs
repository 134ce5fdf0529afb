//! Functions without a handle: the `_qubitTracker` cookie, context ids,
//! callback URLs, the version, and releasing the strings they return.
//!
//! None of them touches the network; all are thread-safe.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use sdk::{Error, callback_data, context_id, cookie};

use crate::boundary::{
    call, collect, lossy_c_string, optional_text, output, owned_c_string, read, text,
};
use crate::error::{QubitError, QubitStatus};

/// Reads the context id from a `Cookie` request header (other cookies,
/// odd spacing, quotes and percent-encoding tolerated).
///
/// On success writes to `*context_id_out` a new string (release it with
/// `qubit_string_free`), or NULL when the header holds no `_qubitTracker`.
/// Fails with `QUBIT_INVALID_ARGUMENT` when the id decodes to text holding
/// a NUL byte (`%00`), which a C string cannot carry whole.
///
/// # Safety
/// `cookie_header` is NULL or NUL-terminated; `context_id_out` and `error`
/// are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_cookie_context_id(
    cookie_header: *const c_char,
    context_id_out: *mut *mut c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let header = unsafe { text(cookie_header, "cookie_header") }?;
        let out = output(context_id_out, "context_id_out")?;

        let context_id = match cookie::context_id_from_cookie_header(header) {
            Some(id) => owned_c_string(&id, "the cookie's context id", Error::InvalidArgument)?,
            None => std::ptr::null_mut(),
        };
        out.write(context_id);
        Ok(())
    })
}

/// Chooses the cookie's `Domain` for a request host: the first of the
/// `count` `cookie_domains` (e.g. from `qubit_answer_cookie_domain`) that
/// the host equals or is a subdomain of.
///
/// On success writes to `*domain_out` a new string (release it with
/// `qubit_string_free`), or NULL for a host-only cookie.
///
/// # Safety
/// `host` is NULL or NUL-terminated; `cookie_domains` is NULL (only with a
/// `count` of 0) or points to `count` NUL-terminated strings;
/// `domain_out` and `error` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_cookie_domain_for_host(
    host: *const c_char,
    cookie_domains: *const *const c_char,
    count: usize,
    domain_out: *mut *mut c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let host = unsafe { text(host, "host") }?;
        // SAFETY: guaranteed by the caller.
        let domains = unsafe {
            collect(cookie_domains, count, "cookie_domains", |&domain| {
                // SAFETY: each entry is NULL or NUL-terminated.
                text(domain, "cookie_domains[i]").map(str::to_owned)
            })
        }?;
        let out = output(domain_out, "domain_out")?;

        let domain = match cookie::cookie_domain_for_host(host, &domains) {
            Some(domain) => owned_c_string(&domain, "the cookie domain", Error::InvalidArgument)?,
            None => std::ptr::null_mut(),
        };
        out.write(domain);
        Ok(())
    })
}

/// Builds the `Set-Cookie` header value that stores `context_id` for a
/// year, with `Domain` when `domain` is not NULL and `Secure` when asked.
///
/// On success writes a new string to `*header_out`, released with
/// `qubit_string_free`.
///
/// # Safety
/// `context_id` is NULL or NUL-terminated; `domain` is NULL or
/// NUL-terminated; `header_out` and `error` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_cookie_set_header(
    context_id: *const c_char,
    domain: *const c_char,
    secure: bool,
    header_out: *mut *mut c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let (context_id, domain) = unsafe {
            (
                text(context_id, "context_id")?,
                optional_text(domain, "domain")?,
            )
        };
        let out = output(header_out, "header_out")?;

        let header = cookie::set_cookie_header(context_id, domain, secure);
        out.write(owned_c_string(
            &header,
            "the header",
            Error::InvalidArgument,
        )?);
        Ok(())
    })
}

/// The cookie's name, `"_qubitTracker"`: a static string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn qubit_cookie_name() -> *const c_char {
    static NAME: OnceLock<CString> = OnceLock::new();
    read(std::ptr::null(), || {
        NAME.get_or_init(|| lossy_c_string(cookie::COOKIE_NAME))
            .as_ptr()
    })
}

/// Generates a new context id from the operating system's random source.
///
/// On success writes a new string to `*context_id_out`, released with
/// `qubit_string_free`. Fails with `QUBIT_INTERNAL` when no randomness is
/// available.
///
/// # Safety
/// `context_id_out` and `error` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_context_id_generate(
    context_id_out: *mut *mut c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        let out = output(context_id_out, "context_id_out")?;
        let context_id = context_id::generate()?;
        out.write(owned_c_string(
            &context_id,
            "the context id",
            Error::Internal,
        )?);
        Ok(())
    })
}

/// Decodes the bucketing record in a callback URL's `data` parameter, for
/// debugging tools.
///
/// On success writes the record as a JSON object to `*record_json_out`, a
/// new string released with `qubit_string_free`. Fails with
/// `QUBIT_INVALID_ARGUMENT` (no `data`) or `QUBIT_DECODE`.
///
/// # Safety
/// `callback_url` is NULL or NUL-terminated; `record_json_out` and `error`
/// are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_callback_data_decode_url(
    callback_url: *const c_char,
    record_json_out: *mut *mut c_char,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        // SAFETY: guaranteed by the caller.
        let url = unsafe { text(callback_url, "callback_url") }?;
        let out = output(record_json_out, "record_json_out")?;

        let record = callback_data::decode_url(url)?;
        let record = serde_json::Value::Object(record).to_string();
        out.write(owned_c_string(&record, "the record", Error::Decode)?);
        Ok(())
    })
}

/// The library's version, e.g. `"0.1.0"`: a static string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn qubit_version() -> *const c_char {
    static VERSION: OnceLock<CString> = OnceLock::new();
    read(std::ptr::null(), || {
        VERSION
            .get_or_init(|| lossy_c_string(sdk::VERSION))
            .as_ptr()
    })
}

/// Releases a string that a function documented "released with
/// `qubit_string_free`" returned. NULL is accepted and ignored. Never pass
/// a string owned by a handle.
///
/// # Safety
/// `text` is NULL or such a string, not yet released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_string_free(text: *mut c_char) {
    if !text.is_null() {
        // SAFETY: made by `CString::into_raw` in `owned_c_string`, released once.
        read((), || drop(unsafe { CString::from_raw(text) }));
    }
}
