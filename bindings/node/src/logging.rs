//! Rust `log` records to a JavaScript handler (`setLogger`).
//!
//! The core logs through the `log` facade from any thread: the JavaScript
//! thread, the blocking pool, the callback workers. This bridge installs
//! one `log` logger per process, the first time a handler is set, and
//! hands each record at or above the handler's level to the JavaScript
//! thread through a thread-safe function:
//!
//! - unreferenced, so it never keeps the event loop alive;
//! - bounded ([`QUEUE_SIZE`] records) and called without blocking, so a
//!   thread that logs never waits for JavaScript: when the queue is full
//!   the record is dropped and counted;
//! - a handler that throws is caught and counted, never reported as an
//!   uncaught exception.
//!
//! Without a handler the `log` facade's maximum level is `Off`, so a
//! record costs the macro's level check and nothing else.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use log::{Level, LevelFilter, Log, Metadata, Record};
use napi::bindgen_prelude::{Env, Result, Unknown};
use napi::{JsValue, check_status, sys};
use napi_derive::napi;

use crate::arguments::{Arg, Checked};
use crate::errors::{self, ArgumentError, guard};
use crate::json::raw;

/// How many records may wait for the JavaScript thread; more are dropped.
const QUEUE_SIZE: usize = 1000;

/// The level names, most severe first, as JavaScript spells them.
const LEVELS: [(&str, LevelFilter); 6] = [
    ("off", LevelFilter::Off),
    ("error", LevelFilter::Error),
    ("warn", LevelFilter::Warn),
    ("info", LevelFilter::Info),
    ("debug", LevelFilter::Debug),
    ("trace", LevelFilter::Trace),
];

/// The process's bridge: the handler's thread-safe function and level.
struct Bridge {
    sink: Mutex<Sink>,
    dropped: AtomicU64,
    handler_errors: AtomicU64,
}

/// Where records go: nowhere (`tsfn` null) or to one handler.
struct Sink {
    tsfn: sys::napi_threadsafe_function,
    level: LevelFilter,
}

// SAFETY: a thread-safe function may be called from any thread; it is only
// released (on the JavaScript thread) under the same lock its callers
// hold, so no thread calls one that was released.
unsafe impl Send for Sink {}

static BRIDGE: Bridge = Bridge {
    sink: Mutex::new(Sink {
        tsfn: ptr::null_mut(),
        level: LevelFilter::Off,
    }),
    dropped: AtomicU64::new(0),
    handler_errors: AtomicU64::new(0),
};

/// Whether this addon's bridge owns the `log` facade: decided by the first
/// `setLogger` with a handler, once per process.
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// One record on its way to the JavaScript thread.
struct Entry {
    level: &'static str,
    target: String,
    message: String,
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warn => "warn",
        Level::Info => "info",
        Level::Debug => "debug",
        Level::Trace => "trace",
    }
}

impl Bridge {
    /// The sink, even if a thread panicked while holding it.
    fn sink(&self) -> MutexGuard<'_, Sink> {
        self.sink
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the handler (null: none), releasing the previous one's
    /// thread-safe function; records it had not delivered yet are dropped.
    fn replace(&self, tsfn: sys::napi_threadsafe_function, level: LevelFilter) {
        let mut sink = self.sink();
        let previous = std::mem::replace(&mut sink.tsfn, tsfn);
        sink.level = if tsfn.is_null() {
            LevelFilter::Off
        } else {
            level
        };
        log::set_max_level(sink.level);
        if !previous.is_null() {
            unsafe {
                sys::napi_release_threadsafe_function(
                    previous,
                    sys::ThreadsafeFunctionReleaseMode::abort,
                )
            };
        }
    }
}

impl Log for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Formatted before taking the lock, so that threads logging at once
        // do not wait for each other's formatting.
        let entry = Box::new(Entry {
            level: level_name(record.level()),
            target: record.target().to_owned(),
            message: record.args().to_string(),
        });
        let sink = self.sink();
        if sink.tsfn.is_null() || record.level() > sink.level {
            return;
        }
        let data = Box::into_raw(entry).cast::<c_void>();
        let status = unsafe {
            sys::napi_call_threadsafe_function(
                sink.tsfn,
                data,
                sys::ThreadsafeFunctionCallMode::nonblocking,
            )
        };
        drop(sink);
        if status != sys::Status::napi_ok {
            // Queue full or closing: the record never reaches JavaScript.
            drop(unsafe { Box::from_raw(data.cast::<Entry>()) });
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn flush(&self) {}
}

/// Delivers one record to the handler, on the JavaScript thread; `env` is
/// null when the thread-safe function is torn down with records queued.
unsafe extern "C" fn call_js(
    env: sys::napi_env,
    handler: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    let entry = unsafe { Box::from_raw(data.cast::<Entry>()) };
    if env.is_null() || handler.is_null() {
        // Torn down (replaced, or the environment exits) before delivery.
        BRIDGE.dropped.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let delivered = deliver(env, handler, &entry);
    if errors::take_exception(env).is_some() || delivered.is_err() {
        BRIDGE.handler_errors.fetch_add(1, Ordering::Relaxed);
    }
}

fn deliver(env: sys::napi_env, handler: sys::napi_value, entry: &Entry) -> Result<()> {
    let record = raw::object(env)?;
    raw::set(env, record, c"level", raw::string(env, entry.level)?)?;
    raw::set(env, record, c"target", raw::string(env, &entry.target)?)?;
    raw::set(env, record, c"message", raw::string(env, &entry.message)?)?;
    let this = raw::undefined(env)?;
    let mut result = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_call_function(env, this, handler, 1, [record].as_ptr(), &mut result)
    })
}

/// The thread-safe function that calls `handler`, unreferenced.
fn handler_tsfn(
    env: sys::napi_env,
    handler: sys::napi_value,
) -> Result<sys::napi_threadsafe_function> {
    let name = raw::string(env, "qubit-experiences logger")?;
    let mut tsfn = ptr::null_mut();
    // The finalizer needs the thread-safe function, which does not exist
    // before the call that creates it: it reads it from this cell.
    let cell: *mut sys::napi_threadsafe_function = Box::into_raw(Box::new(ptr::null_mut()));
    let created = check_status!(unsafe {
        sys::napi_create_threadsafe_function(
            env,
            handler,
            ptr::null_mut(),
            name,
            QUEUE_SIZE,
            1,
            cell.cast(),
            Some(finalize),
            ptr::null_mut(),
            Some(call_js),
            &mut tsfn,
        )
    });
    if let Err(err) = created {
        drop(unsafe { Box::from_raw(cell) });
        return Err(err);
    }
    unsafe { *cell = tsfn };
    check_status!(unsafe { sys::napi_unref_threadsafe_function(env, tsfn) })?;
    Ok(tsfn)
}

/// Runs when a handler's thread-safe function is gone: released by
/// `setLogger`, or closed because its Node environment (the main thread or
/// a worker) shuts down. In the second case it is still the current one,
/// and is removed before it is freed so that no thread calls it again.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let cell = unsafe { Box::from_raw(data.cast::<sys::napi_threadsafe_function>()) };
    let mut sink = BRIDGE.sink();
    if sink.tsfn == *cell {
        sink.tsfn = ptr::null_mut();
        sink.level = LevelFilter::Off;
        log::set_max_level(LevelFilter::Off);
    }
}

/// Installs the bridge as the process's `log` logger, once. `false` if
/// another logger was there first.
fn install() -> bool {
    *INSTALLED.get_or_init(|| {
        let installed = log::set_logger(&BRIDGE).is_ok();
        if installed {
            log::set_max_level(LevelFilter::Off);
        }
        installed
    })
}

/// Sends the library's log records to `handler`, or stops when it is
/// `null` (or `undefined`). The handler is called on the JavaScript thread,
/// asynchronously, with one `LogRecord` per record at or above
/// `options.level` (default `'warn'`; `'off'` sends none); records below it
/// are filtered before they are even formatted. One handler per process:
/// a new call replaces the previous handler, and records the previous one
/// had not received yet are dropped.
///
/// A handler never keeps the process alive, never slows the thread that
/// logs (when 1000 records wait for the JavaScript thread, further ones are
/// dropped) and never crashes the process (what it throws is ignored);
/// `loggingStats()` counts both. Throws an `Error` with code
/// `ERR_QUBIT_LOGGER_TAKEN` if another native module of the process
/// already installed Rust's `log` logger.
#[napi(ts_return_type = "void")]
pub fn set_logger(
    env: Env,
    #[napi(ts_arg_type = "((record: LogRecord) => void) | null")] handler: Option<Unknown>,
    #[napi(ts_arg_type = "LoggerOptions")] options: Option<Unknown>,
) -> Result<()> {
    guard(&env, || {
        let raw_env = env.raw();
        let read = || -> Checked<_> {
            let handler = Arg::given(handler, "handler")
                .map(|handler| handler.function())
                .transpose()?;
            let level = match Arg::given(options, "options") {
                None => None,
                Some(options) => options.fields(&["level"])?.read("level", level_filter)?,
            };
            Ok((handler, level.unwrap_or(LevelFilter::Warn)))
        };
        let (handler, level) = read().map_err(|err| err.into_napi(raw_env))?;
        let Some(handler) = handler else {
            BRIDGE.replace(ptr::null_mut(), LevelFilter::Off);
            return Ok(());
        };
        if !install() {
            return Err(logger_taken(raw_env));
        }
        let tsfn = handler_tsfn(raw_env, handler.raw())?;
        BRIDGE.replace(tsfn, level);
        Ok(())
    })
}

/// A level name.
fn level_filter(arg: &Arg<'_>) -> Checked<LevelFilter> {
    let name = arg.string()?;
    LEVELS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, level)| *level)
        .ok_or_else(|| {
            ArgumentError::Range(format!(
                "\"options.level\" must be 'error', 'warn', 'info', 'debug', 'trace' or 'off', got '{name}'"
            ))
        })
}

/// The error of `setLogger` when another logger owns the `log` facade.
fn logger_taken(env: sys::napi_env) -> napi::Error {
    let message = "another native module already installed the process's Rust `log` logger, \
                   so qubit-experiences cannot route its log records to JavaScript";
    let made = raw::string(env, "ERR_QUBIT_LOGGER_TAKEN").and_then(|code| {
        let text = raw::string(env, message)?;
        raw::make(|out| unsafe { sys::napi_create_error(env, code, text, out) })
    });
    match made {
        Ok(error) => errors::thrown(env, error),
        Err(_) => napi::Error::new(napi::Status::GenericFailure, message),
    }
}

/// What a handler has cost: records dropped because the JavaScript thread
/// was behind (1000 waiting), or because the handler was replaced before
/// they arrived, and records whose handler threw. Counted since the
/// process started.
#[napi(ts_return_type = "LoggingStats")]
pub fn logging_stats(env: Env) -> Result<LoggingStats> {
    guard(&env, || {
        Ok(LoggingStats {
            dropped: BRIDGE.dropped.load(Ordering::Relaxed) as f64,
            handler_errors: BRIDGE.handler_errors.load(Ordering::Relaxed) as f64,
        })
    })
}

/// The counters of `loggingStats()`.
#[napi(object)]
pub struct LoggingStats {
    /// Records that never reached the handler.
    pub dropped: f64,
    /// Calls of the handler that threw.
    pub handler_errors: f64,
}

/// One log record of the library, as `setLogger`'s handler receives it.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct LogRecord {
    /// How severe it is.
    #[napi(ts_type = "'error' | 'warn' | 'info' | 'debug' | 'trace'")]
    pub level: String,
    /// Where it comes from: a Rust module path, such as
    /// `qubit_experiences::client` (or one of the HTTP and TLS libraries
    /// the core uses, which speak at `debug` and `trace`).
    pub target: String,
    /// The message, such as `serving default content: ...`.
    pub message: String,
}

/// The options of `setLogger`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct LoggerOptions {
    /// The least severe level sent to the handler (default `'warn'`).
    #[napi(ts_type = "'error' | 'warn' | 'info' | 'debug' | 'trace' | 'off'")]
    pub level: Option<String>,
}

/// A test aid, not part of the API: installs a `log` logger of its own, as
/// another native module could, so that `setLogger` finds the facade
/// taken. `false` if a logger was installed already.
#[napi(js_name = "__takeLoggerForTests")]
pub fn take_logger_for_tests() -> bool {
    struct Other;
    impl Log for Other {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            false
        }
        fn log(&self, _: &Record<'_>) {}
        fn flush(&self) {}
    }
    log::set_logger(&Other).is_ok()
}

/// A test aid, not part of the API: logs `message` `count` times at
/// `level`, on the calling thread, as the core would.
#[napi(js_name = "__logForTests")]
pub fn log_for_tests(
    #[napi(ts_arg_type = "'error' | 'warn' | 'info' | 'debug' | 'trace'")] level: String,
    message: String,
    count: u32,
) {
    let level = match level.as_str() {
        "error" => Level::Error,
        "warn" => Level::Warn,
        "info" => Level::Info,
        "debug" => Level::Debug,
        _ => Level::Trace,
    };
    for _ in 0..count {
        log::log!(target: "qubit_experiences::tests", level, "{message}");
    }
}
