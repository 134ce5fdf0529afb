//! The native module of the `qubit_experiences` Python package.
//!
//! A thin translation of the core crate: every behaviour lives in the
//! core. This module adds Python's types and errors, releases the GIL
//! around every network call and wait, routes `log` records to Python's
//! `logging`, and guards every entry point so that no panic reaches Python.

mod answer;
mod args;
mod client;
mod errors;
mod guard;
mod json;
mod logging;

use pyo3::prelude::*;
use qubit_experiences::{callback_data, context_id, cookie};

use crate::guard::guarded;

/// Reads the visitor's context id from a `Cookie` request header; `None`
/// when there is no `_qubitTracker` cookie. No network.
#[pyfunction]
fn context_id_from_cookie_header(header: String) -> PyResult<Option<String>> {
    guarded(|| Ok(cookie::context_id_from_cookie_header(&header)))
}

/// The cookie's `Domain` for a request host: the first of `cookie_domains`
/// that the host equals or is a subdomain of; `None` for a host-only
/// cookie. No network.
#[pyfunction]
fn cookie_domain_for_host(
    host: String,
    cookie_domains: &Bound<'_, PyAny>,
) -> PyResult<Option<String>> {
    guarded(|| {
        let domains = args::texts("cookie_domains", cookie_domains)?;
        Ok(cookie::cookie_domain_for_host(&host, &domains))
    })
}

/// The `Set-Cookie` header value that stores `context_id` for a year.
#[pyfunction]
#[pyo3(signature = (context_id, domain = None, *, secure = false))]
fn set_cookie_header(context_id: String, domain: Option<String>, secure: bool) -> PyResult<String> {
    guarded(|| {
        Ok(cookie::set_cookie_header(
            &context_id,
            domain.as_deref(),
            secure,
        ))
    })
}

/// A new random context id in the `_qubitTracker` format.
#[pyfunction]
fn generate_context_id(py: Python<'_>) -> PyResult<String> {
    guarded(|| errors::check(py, context_id::generate()))
}

/// The bucketing decision inside a callback URL, as a `dict`. For
/// debugging: clients use callback URLs as given.
#[pyfunction]
fn decode_callback_url<'py>(py: Python<'py>, callback_url: String) -> PyResult<Bound<'py, PyAny>> {
    guarded(|| {
        let record = errors::check(py, callback_data::decode_url(&callback_url))?;
        let text = serde_json::Value::Object(record).to_string();
        json::to_python(py, &text)
    })
}

/// Panics on purpose, so the tests can check that a panic surfaces as
/// `InternalError`.
#[pyfunction]
fn _panic_for_tests() -> PyResult<()> {
    guarded(|| panic!("panic requested by a test"))
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    guard::install_panic_hook();
    logging::install();
    let py = module.py();

    module.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    module.add("CORE_VERSION", qubit_experiences::VERSION)?;
    module.add("COOKIE_NAME", cookie::COOKIE_NAME)?;
    module.add("ERROR_CODES", errors::code_table(py)?)?;
    module.add_class::<client::Client>()?;
    module.add_class::<answer::Answer>()?;
    module.add_class::<answer::Experience>()?;
    module.add_function(wrap_pyfunction!(client::close_all, module)?)?;
    module.add_function(wrap_pyfunction!(context_id_from_cookie_header, module)?)?;
    module.add_function(wrap_pyfunction!(cookie_domain_for_host, module)?)?;
    module.add_function(wrap_pyfunction!(set_cookie_header, module)?)?;
    module.add_function(wrap_pyfunction!(generate_context_id, module)?)?;
    module.add_function(wrap_pyfunction!(decode_callback_url, module)?)?;
    module.add_function(wrap_pyfunction!(_panic_for_tests, module)?)?;
    Ok(())
}
