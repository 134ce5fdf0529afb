//! The core's errors as the Python exception classes of
//! `qubit_experiences.errors`, one per stable code.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};
use qubit_experiences::{Error, ErrorCode};

/// `qubit_experiences.errors.BY_CODE`: code name to exception class,
/// looked up once.
static CLASSES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

fn class_for<'py>(py: Python<'py>, code: ErrorCode) -> PyResult<Bound<'py, PyType>> {
    let classes = CLASSES.get_or_try_init(py, || -> PyResult<Py<PyDict>> {
        let module = py.import("qubit_experiences.errors")?;
        Ok(module.getattr("BY_CODE")?.cast_into::<PyDict>()?.unbind())
    })?;

    match classes.bind(py).get_item(code.name())? {
        Some(class) => Ok(class.cast_into::<PyType>()?),
        None => Err(PyTypeError::new_err(format!(
            "qubit_experiences.errors has no class for {}",
            code.name()
        ))),
    }
}

/// The exception instance for a core error, not raised: `Answer.error`
/// hands it out as a value.
pub fn exception<'py>(py: Python<'py>, error: &Error) -> PyResult<Bound<'py, PyAny>> {
    let class = class_for(py, error.code())?;
    let exception = class.call1((error.to_string(),))?;

    if let Some(status) = error.status() {
        exception.setattr("status", status)?;
    }
    if let Error::HttpStatus { body_excerpt, .. } = error {
        exception.setattr("body_excerpt", body_excerpt)?;
    }
    Ok(exception)
}

/// The Python exception to raise for a core error.
pub fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    match exception(py, error) {
        Ok(exception) => PyErr::from_value(exception),
        Err(failure) => failure,
    }
}

/// Converts a core result, raising the matching exception on failure.
pub fn check<T>(py: Python<'_>, result: Result<T, Error>) -> PyResult<T> {
    result.map_err(|error| to_py_err(py, &error))
}

/// `InvalidArgumentError` (also a `ValueError`) with this message.
pub fn invalid_argument(py: Python<'_>, what: impl Into<String>) -> PyErr {
    to_py_err(py, &Error::InvalidArgument(what.into()))
}

/// `InternalError` with this message: a bug, or a caught panic.
pub fn internal(py: Python<'_>, what: &str) -> PyErr {
    to_py_err(py, &Error::Internal(what.to_owned()))
}

/// The stable code table, name to number, in numeric order: the same in
/// every language binding.
pub fn code_table(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let table = PyDict::new(py);
    for code in ErrorCode::ALL {
        table.set_item(code.name(), code.number())?;
    }
    Ok(table)
}
