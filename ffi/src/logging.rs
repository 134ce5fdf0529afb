//! Log routing: the core logs through the `log` facade; this module installs
//! one `log` logger per process that hands each record to a C callback.
//!
//! The callback sits behind a read-write lock: every record is delivered
//! while holding the read side, and `qubit_log_set_callback` takes the
//! write side, so it waits until every running call of the old callback
//! has returned. Once the setter returns, the old callback is never called
//! again and its `userdata` may be freed.

use std::ffi::{c_char, c_void};
use std::sync::{OnceLock, PoisonError, RwLock};

use sdk::Error;

use crate::boundary::{call, read};
use crate::error::{QubitError, QubitStatus};

/// How much the library logs (pass it as a `uint32_t`); the callback gets
/// one of `QUBIT_LOG_LEVEL_ERROR` to `QUBIT_LOG_LEVEL_TRACE`. A level lets
/// through itself and every more severe one.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum QubitLogLevel {
    /// Nothing at all (as a maximum level only).
    QUBIT_LOG_LEVEL_OFF = 0,
    /// Something failed that nobody will be told about otherwise, such as
    /// an exposure callback that could not be delivered.
    QUBIT_LOG_LEVEL_ERROR = 1,
    /// A degraded result, such as a fail-open fetch serving default content.
    QUBIT_LOG_LEVEL_WARN = 2,
    /// Notable events.
    QUBIT_LOG_LEVEL_INFO = 3,
    /// Retries and other details.
    QUBIT_LOG_LEVEL_DEBUG = 4,
    /// Everything.
    QUBIT_LOG_LEVEL_TRACE = 5,
}

/// Receives one log record. `level` is a `qubit_log_level` from
/// `QUBIT_LOG_LEVEL_ERROR` (1) to `QUBIT_LOG_LEVEL_TRACE` (5); `target`
/// names the part of the library that logged (e.g.
/// `"qubit_experiences::client"`) and `message` is the text, both UTF-8
/// given as a pointer and a length in bytes, not NUL-terminated (print
/// them with `"%.*s"`). Both are valid only during the call: copy what you
/// keep. `userdata` is the pointer given to `qubit_log_set_callback`.
///
/// Called on whichever thread logged, possibly several at once, including
/// the library's background threads: it must be thread-safe, should
/// return quickly (the library's work waits for it), and must not call
/// any `qubit_` function.
pub type QubitLogCallback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: u32,
        target: *const c_char,
        target_len: usize,
        message: *const c_char,
        message_len: usize,
    ),
>;

/// The installed callback and what it lets through.
struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, u32, *const c_char, usize, *const c_char, usize),
    userdata: *mut c_void,
    max_level: log::LevelFilter,
}

// SAFETY: `qubit_log_set_callback`'s contract makes the callback and its
// `userdata` usable from any thread, at once.
unsafe impl Send for Sink {}
// SAFETY: as above.
unsafe impl Sync for Sink {}

/// The current callback; `None` when none is set.
static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// The `log` logger of this library, installed once per process.
struct CallbackLogger;

static LOGGER: CallbackLogger = CallbackLogger;

impl log::Log for CallbackLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        let sink = SINK.read().unwrap_or_else(PoisonError::into_inner);
        sink.as_ref()
            .is_some_and(|sink| metadata.level() <= sink.max_level)
    }

    fn log(&self, record: &log::Record<'_>) {
        // A panic (say, in formatting the message) must not unwind into
        // the core's caller nor into C; it drops the record.
        read((), || {
            let sink = SINK.read().unwrap_or_else(PoisonError::into_inner);
            let Some(sink) = sink.as_ref() else { return };
            if record.level() > sink.max_level {
                return;
            }
            let message = match record.args().as_str() {
                Some(text) => std::borrow::Cow::Borrowed(text),
                None => std::borrow::Cow::Owned(record.args().to_string()),
            };
            let target = record.target();
            // SAFETY: the caller of `qubit_log_set_callback` promised a
            // callback that may run now, on this thread; the read lock
            // keeps it installed (and `userdata` alive) until it returns.
            unsafe {
                (sink.callback)(
                    sink.userdata,
                    level_number(record.level()),
                    target.as_ptr().cast(),
                    target.len(),
                    message.as_ptr().cast(),
                    message.len(),
                );
            }
        });
    }

    fn flush(&self) {}
}

fn level_number(level: log::Level) -> u32 {
    let level = match level {
        log::Level::Error => QubitLogLevel::QUBIT_LOG_LEVEL_ERROR,
        log::Level::Warn => QubitLogLevel::QUBIT_LOG_LEVEL_WARN,
        log::Level::Info => QubitLogLevel::QUBIT_LOG_LEVEL_INFO,
        log::Level::Debug => QubitLogLevel::QUBIT_LOG_LEVEL_DEBUG,
        log::Level::Trace => QubitLogLevel::QUBIT_LOG_LEVEL_TRACE,
    };
    level as u32
}

fn level_filter(max_level: u32) -> Result<log::LevelFilter, Error> {
    Ok(match max_level {
        0 => log::LevelFilter::Off,
        1 => log::LevelFilter::Error,
        2 => log::LevelFilter::Warn,
        3 => log::LevelFilter::Info,
        4 => log::LevelFilter::Debug,
        5 => log::LevelFilter::Trace,
        other => {
            return Err(Error::InvalidArgument(format!(
                "log level {other} is not a qubit_log_level (0 to 5)"
            )));
        }
    })
}

/// Installs this library's `log` logger, once per process; fails when
/// another `log` logger was installed first.
fn install_logger() -> Result<(), Error> {
    static INSTALLED: OnceLock<bool> = OnceLock::new();

    let installed = *INSTALLED.get_or_init(|| log::set_logger(&LOGGER).is_ok());
    match installed {
        true => Ok(()),
        false => Err(Error::Internal(
            "another `log` logger is already installed in this process; \
             no log record can be routed to the callback"
                .to_owned(),
        )),
    }
}

/// Routes the library's log records to `callback`, replacing any callback
/// set before; a NULL `callback` removes it (the library then logs
/// nothing, the default). `max_level` is a `qubit_log_level`: records less
/// severe are filtered out before the callback is called (and cost almost
/// nothing). Thread-safe.
///
/// Threads and lifetime: the callback may be called on any thread, at any
/// time, by several threads at once (fetching threads and the library's
/// background callback workers); see `qubit_log_callback`. This function
/// waits until every running call of the previous callback has returned:
/// once it returns, the previous callback is never called again, so its
/// `userdata` may be freed. Hence it must not be called from inside a
/// callback (that deadlocks), and a callback that blocks delays it.
///
/// Fails with `QUBIT_INVALID_ARGUMENT` for a `max_level` above
/// `QUBIT_LOG_LEVEL_TRACE`, and with `QUBIT_INTERNAL` when the process
/// already has another `log` logger (another Rust library in the same
/// process installed one first): nothing is routed then.
///
/// # Safety
/// `callback` is NULL or a function that may be called as the comment of
/// `qubit_log_callback` says, with `userdata`, until this function is
/// called again; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_log_set_callback(
    callback: QubitLogCallback,
    userdata: *mut c_void,
    max_level: u32,
    error: *mut *mut QubitError,
) -> QubitStatus {
    call(error, || {
        let max_level = level_filter(max_level)?;
        install_logger()?;

        let sink = callback.map(|callback| Sink {
            callback,
            userdata,
            max_level,
        });
        let global_max = sink
            .as_ref()
            .map_or(log::LevelFilter::Off, |sink| sink.max_level);
        // Taking the write side waits for every running callback.
        let mut current = SINK.write().unwrap_or_else(PoisonError::into_inner);
        *current = sink;
        log::set_max_level(global_max);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// The logger is process-wide: the tests of this module take turns.
    static TURN: Mutex<()> = Mutex::new(());

    struct Seen {
        records: Mutex<Vec<(u32, String, String)>>,
    }

    unsafe extern "C" fn remember(
        userdata: *mut c_void,
        level: u32,
        target: *const c_char,
        target_len: usize,
        message: *const c_char,
        message_len: usize,
    ) {
        // SAFETY: the tests pass a live `Seen`; the texts are valid for the
        // call.
        let (seen, target, message) = unsafe {
            (
                &*userdata.cast::<Seen>(),
                std::slice::from_raw_parts(target.cast::<u8>(), target_len),
                std::slice::from_raw_parts(message.cast::<u8>(), message_len),
            )
        };
        seen.records.lock().unwrap().push((
            level,
            String::from_utf8_lossy(target).into_owned(),
            String::from_utf8_lossy(message).into_owned(),
        ));
    }

    fn set(callback: QubitLogCallback, userdata: *mut c_void, max_level: u32) -> QubitStatus {
        // SAFETY: `remember` is thread-safe and the userdata outlives it.
        unsafe { qubit_log_set_callback(callback, userdata, max_level, std::ptr::null_mut()) }
    }

    #[test]
    fn records_reach_the_callback_filtered_by_level_until_removed() {
        let _turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);
        let seen = Seen {
            records: Mutex::new(Vec::new()),
        };
        let userdata = std::ptr::from_ref(&seen).cast_mut().cast();

        assert_eq!(set(Some(remember), userdata, 2), QubitStatus::QUBIT_OK);
        log::warn!(target: "test::target", "careful: {}", 42);
        log::info!("filtered out");
        assert_eq!(set(None, std::ptr::null_mut(), 5), QubitStatus::QUBIT_OK);
        log::error!("nobody listens");

        assert_eq!(
            *seen.records.lock().unwrap(),
            [(2, "test::target".to_owned(), "careful: 42".to_owned())]
        );
    }

    #[test]
    fn an_unknown_level_is_an_invalid_argument() {
        let _turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);

        assert_eq!(
            set(None, std::ptr::null_mut(), 6),
            QubitStatus::QUBIT_INVALID_ARGUMENT
        );
    }

    #[test]
    fn the_setter_waits_for_running_callbacks() {
        let _turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);
        static INSIDE: AtomicBool = AtomicBool::new(false);
        static CALLS_AFTER_REMOVAL: AtomicUsize = AtomicUsize::new(0);
        static REMOVED: AtomicBool = AtomicBool::new(false);

        unsafe extern "C" fn slow(
            _: *mut c_void,
            _: u32,
            _: *const c_char,
            _: usize,
            _: *const c_char,
            _: usize,
        ) {
            if REMOVED.load(Ordering::SeqCst) {
                CALLS_AFTER_REMOVAL.fetch_add(1, Ordering::SeqCst);
            }
            INSIDE.store(true, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(50));
            INSIDE.store(false, Ordering::SeqCst);
        }

        assert_eq!(
            set(Some(slow), std::ptr::null_mut(), 5),
            QubitStatus::QUBIT_OK
        );
        let logging = std::thread::spawn(|| {
            for _ in 0..5 {
                log::info!("working");
            }
        });
        while !INSIDE.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        assert_eq!(set(None, std::ptr::null_mut(), 5), QubitStatus::QUBIT_OK);
        REMOVED.store(true, Ordering::SeqCst);

        assert!(!INSIDE.load(Ordering::SeqCst));
        logging.join().unwrap();
        assert_eq!(CALLS_AFTER_REMOVAL.load(Ordering::SeqCst), 0);
    }
}
