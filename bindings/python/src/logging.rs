//! Rust `log` records to Python's `logging`, under the `qubit_experiences`
//! logger: the core's records keep their module path
//! (`qubit_experiences.client`), records of the libraries it uses are
//! placed below it (`qubit_experiences.ureq...`).

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

const ROOT: &str = "qubit_experiences";

struct PythonLogging;

impl PythonLogging {
    /// The SDK's own debug records are rare (retries, a new process);
    /// other libraries only speak up from warnings, so a fetch never pays
    /// for their chatter.
    fn threshold(target: &str) -> Level {
        match target.starts_with(ROOT) {
            true => Level::Debug,
            false => Level::Warn,
        }
    }
}

fn logger_name(target: &str) -> String {
    let dotted = target.replace("::", ".");
    match dotted.starts_with(ROOT) {
        true => dotted,
        false => format!("{ROOT}.{dotted}"),
    }
}

fn python_level(level: Level) -> u32 {
    match level {
        Level::Error => 40,
        Level::Warn => 30,
        Level::Info => 20,
        Level::Debug => 10,
        Level::Trace => 5,
    }
}

impl Log for PythonLogging {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= PythonLogging::threshold(metadata.target())
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let name = logger_name(record.target());
        let level = python_level(record.level());
        let message = record.args().to_string();

        // `try_attach` gives up while the interpreter shuts down, when a
        // background callback worker can no longer log.
        Python::try_attach(|py| {
            let pending = PyErr::take(py);
            let logged = py
                .import("logging")
                .and_then(|logging| logging.call_method1("getLogger", (name,)))
                .and_then(|logger| logger.call_method1("log", (level, message)));
            // A failing handler must not break the SDK's call.
            drop(logged);
            if let Some(pending) = pending {
                pending.restore(py);
            }
        });
    }

    fn flush(&self) {}
}

/// Installs the bridge, once per process. If another native module already
/// owns the `log` facade, its logger stays.
pub fn install() {
    if log::set_logger(&PythonLogging).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}
