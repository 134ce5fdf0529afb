//! Python arguments to core values, with Python's errors: `TypeError` for
//! a wrong type, `InvalidArgumentError` (a `ValueError`) for a value out of
//! range. Booleans are refused where a number is expected, so that a
//! misplaced flag is caught rather than read as 0 or 1.

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};

use crate::errors;

fn type_error(name: &str, expected: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let found = value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "?".to_owned());
    PyTypeError::new_err(format!("{name} must be {expected}, not {found}"))
}

/// A whole number in `0..=u64::MAX`: an experience id, a variation, a
/// count.
pub fn unsigned(name: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(type_error(name, "an int", value));
    }
    value.extract::<u64>().map_err(|_| {
        errors::invalid_argument(
            value.py(),
            format!("{name} must be between 0 and {}, not {value}", u64::MAX),
        )
    })
}

/// A count that must fit the platform's `usize`.
pub fn count(name: &str, value: &Bound<'_, PyAny>) -> PyResult<usize> {
    let number = unsigned(name, value)?;
    usize::try_from(number)
        .map_err(|_| errors::invalid_argument(value.py(), format!("{name} is too large")))
}

/// A duration in seconds (int or float), finite and above zero.
pub fn seconds(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    if value.is_instance_of::<PyBool>()
        || !(value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
    {
        return Err(type_error(name, "a number of seconds", value));
    }
    let seconds: f64 = value.extract()?;

    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(errors::invalid_argument(
            value.py(),
            format!("{name} must be a finite number of seconds above zero, not {seconds}"),
        )),
    }
}

/// A `str`.
pub fn text(name: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if !value.is_instance_of::<PyString>() {
        return Err(type_error(name, "a str", value));
    }
    value.extract()
}

/// An iterable of `str` (not one `str`, which would iterate its letters).
pub fn texts(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return Err(type_error(name, "an iterable of str", value));
    }
    value.try_iter()?.map(|item| text(name, &item?)).collect()
}

/// An iterable of experience ids.
pub fn ids(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return Err(type_error(name, "an iterable of int", value));
    }
    let items = value
        .try_iter()
        .map_err(|_| type_error(name, "an iterable of int", value))?;
    items.map(|item| unsigned(name, &item?)).collect()
}
