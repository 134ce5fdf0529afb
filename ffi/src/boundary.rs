//! The language boundary: every export runs its body through [`call`] (or
//! [`read`] for getters that cannot fail), which turns a core error into a
//! status code and an optional error object, and a panic into
//! `QUBIT_INTERNAL`, so that no panic ever unwinds into C.
//!
//! The helpers below turn C arguments into Rust values: a NULL pointer or a
//! string that is not UTF-8 becomes `QUBIT_INVALID_ARGUMENT`, never a crash.

use std::cell::Cell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use sdk::Error;

use crate::error::{QubitError, QubitStatus};

thread_local! {
    /// How many guarded calls are running on this thread; a panic inside one
    /// is caught and reported, so the panic hook must not print it.
    static GUARDED_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Runs a fallible export body. On failure writes a new error object to
/// `*error_out` (when `error_out` is not NULL) and returns the error's code;
/// on success returns `QUBIT_OK` and leaves `*error_out` untouched.
pub(crate) fn call(
    error_out: *mut *mut QubitError,
    body: impl FnOnce() -> Result<(), Error>,
) -> QubitStatus {
    match guarded(body) {
        Ok(()) => QubitStatus::QUBIT_OK,
        Err(error) => {
            let status = QubitStatus::from(error.code());
            if !error_out.is_null() {
                let object = new_handle(QubitError::new(&error));
                // SAFETY: the caller passes either NULL (checked above) or a
                // pointer to a writable `qubit_error *`.
                unsafe { error_out.write(object) };
            }
            status
        }
    }
}

/// Runs a getter that cannot fail; a caught panic gives `fallback`.
pub(crate) fn read<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    guarded(|| Ok(body())).unwrap_or(fallback)
}

/// Runs `body`, catching a panic as [`Error::Internal`] without printing it.
fn guarded<T>(body: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    install_quiet_panic_hook();

    GUARDED_DEPTH.with(|depth| depth.set(depth.get() + 1));
    let outcome = panic::catch_unwind(AssertUnwindSafe(body));
    GUARDED_DEPTH.with(|depth| depth.set(depth.get() - 1));

    outcome.unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(Error::Internal(format!("caught a panic: {what}")))
    })
}

/// The library never prints: the default hook would write a caught panic
/// to stderr, so ours stays silent inside guarded calls and defers to the
/// previous hook everywhere else in the process.
fn install_quiet_panic_hook() {
    static INSTALL: Once = Once::new();

    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED_DEPTH.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
}

/// Borrows a handle argument; NULL is an invalid argument.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that outlives the call.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Error> {
    // SAFETY: guaranteed by the caller.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(name))
}

/// Borrows a handle argument mutably; NULL is an invalid argument.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that no one else uses during the call.
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Error> {
    // SAFETY: guaranteed by the caller.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(name))
}

/// Checks an output pointer before any work is done, so that a NULL one
/// fails without side effects; the result is written only on success.
pub(crate) fn output<T>(ptr: *mut T, name: &str) -> Result<Output<T>, Error> {
    match ptr.is_null() {
        true => Err(null(name)),
        false => Ok(Output(ptr)),
    }
}

/// A checked, not-yet-written output pointer.
pub(crate) struct Output<T>(*mut T);

impl<T> Output<T> {
    /// Writes the result.
    pub(crate) fn write(self, value: T) {
        // SAFETY: checked non-NULL by `output`; the caller promised a
        // writable location.
        unsafe { self.0.write(value) }
    }
}

/// Reads a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn text<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    // SAFETY: guaranteed by the caller.
    unsafe { optional_text(ptr, name) }?.ok_or_else(|| null(name))
}

/// Reads an optional string argument: NULL is `None`.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn optional_text<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }

    // SAFETY: non-NULL and NUL-terminated, as the caller guarantees.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes
        .to_str()
        .map(Some)
        .map_err(|_| Error::InvalidArgument(format!("`{name}` is not valid UTF-8")))
}

/// Converts the `count` items at `ptr` into a new vector, one `convert`
/// call each; NULL is allowed only when `count` is 0. A count that no
/// memory could hold is an invalid argument, refused before anything is
/// read or allocated (never a failed allocation or a panic).
///
/// # Safety
/// `ptr` is NULL or points to `count` readable items.
pub(crate) unsafe fn collect<T, U>(
    ptr: *const T,
    count: usize,
    name: &str,
    mut convert: impl FnMut(&T) -> Result<U, Error>,
) -> Result<Vec<U>, Error> {
    let too_many = || Error::InvalidArgument(format!("`{name}` count {count} is too large"));
    let fits_in_memory = count
        .checked_mul(std::mem::size_of::<T>().max(std::mem::size_of::<U>()))
        .is_some_and(|bytes| bytes <= isize::MAX as usize);
    if !fits_in_memory {
        return Err(too_many());
    }
    let items: &[T] = match (ptr.is_null(), count) {
        (_, 0) => &[],
        (true, _) => return Err(null(name)),
        // SAFETY: guaranteed by the caller; the size was checked above.
        (false, _) => unsafe { std::slice::from_raw_parts(ptr, count) },
    };

    let mut converted = Vec::new();
    converted
        .try_reserve_exact(items.len())
        .map_err(|_| too_many())?;
    for item in items {
        converted.push(convert(item)?);
    }
    Ok(converted)
}

/// Copies text for C. A C string ends at its first NUL byte, so text
/// holding one cannot be handed out whole: it fails with `fail` (an
/// invalid argument for what the caller passed in, a decode error for what
/// the service sent) rather than being cut short.
pub(crate) fn c_string(
    text: &str,
    what: &str,
    fail: fn(String) -> Error,
) -> Result<CString, Error> {
    CString::new(text)
        .map_err(|_| fail(format!("{what} holds a NUL byte, which C cannot represent")))
}

/// Copies text that cannot fail to reach C, such as an error's message: a
/// NUL byte in it becomes U+FFFD, so the text is never cut short.
pub(crate) fn lossy_c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// Hands a new string to C, to be released with `qubit_string_free`; fails
/// as [`c_string`].
pub(crate) fn owned_c_string(
    text: &str,
    what: &str,
    fail: fn(String) -> Error,
) -> Result<*mut c_char, Error> {
    c_string(text, what, fail).map(CString::into_raw)
}

/// Hands a new handle to C; C releases it with the matching `_free`.
pub(crate) fn new_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Releases a handle made by [`new_handle`]; NULL is ignored.
///
/// # Safety
/// `ptr` is NULL or came from [`new_handle`] and was not released yet.
pub(crate) unsafe fn release<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: guaranteed by the caller.
        read((), || drop(unsafe { Box::from_raw(ptr) }));
    }
}

fn null(name: &str) -> Error {
    Error::InvalidArgument(format!("`{name}` is NULL"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::qubit_error_free;

    #[test]
    fn a_panic_becomes_an_internal_error_with_its_message() {
        let mut error: *mut QubitError = std::ptr::null_mut();

        let status = call(&mut error, || panic!("boom"));

        assert_eq!(status, QubitStatus::QUBIT_INTERNAL);
        // SAFETY: `call` wrote a live error object.
        let object = unsafe { &*error };
        assert_eq!(
            object.message.to_str(),
            Ok("internal error: caught a panic: boom")
        );
        // SAFETY: released once.
        unsafe { qubit_error_free(error) };
    }

    #[test]
    fn a_panicking_getter_gives_its_fallback() {
        assert_eq!(read(7, || panic!("boom")), 7);
    }

    #[test]
    fn null_and_non_utf8_strings_are_invalid_arguments() {
        let not_utf8 = [0xffu8, 0xfe, 0];

        // SAFETY: both pointers are NULL or NUL-terminated.
        let null_error = unsafe { text(std::ptr::null(), "host") }.unwrap_err();
        let utf8_error = unsafe { text(not_utf8.as_ptr().cast(), "host") }.unwrap_err();

        assert_eq!(null_error.to_string(), "invalid argument: `host` is NULL");
        assert_eq!(
            utf8_error.to_string(),
            "invalid argument: `host` is not valid UTF-8"
        );
    }

    #[test]
    fn text_with_a_nul_is_refused_never_cut() {
        let refused = c_string("ab\0cd", "the context id", Error::Decode).unwrap_err();

        assert_eq!(
            refused.to_string(),
            "could not decode the answer: the context id holds a NUL byte, which C cannot represent"
        );
        assert_eq!(
            c_string("abcd", "x", Error::Decode).unwrap().as_bytes(),
            b"abcd"
        );
        assert_eq!(lossy_c_string("ab\0cd").to_str(), Ok("ab\u{FFFD}cd"));
    }
}
