//! `Answer` and `Experience`: the core's answer as typed Python objects.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyIterator, PyList, PyTuple};
use qubit_experiences as core;

use crate::guard::guarded;
use crate::{errors, json};

/// One experience the visitor is bucketed into. Immutable.
#[pyclass(frozen, module = "qubit_experiences")]
pub struct Experience {
    pub(crate) inner: core::Experience,
    /// The payload as Python objects, built on first use.
    payload: PyOnceLock<Py<PyAny>>,
}

impl Experience {
    pub fn new(inner: core::Experience) -> Experience {
        Experience {
            inner,
            payload: PyOnceLock::new(),
        }
    }
}

#[pymethods]
impl Experience {
    /// The experience id.
    #[getter]
    fn id(&self) -> u64 {
        self.inner.id
    }

    /// The master id of the variation the visitor was bucketed into.
    #[getter]
    fn variation(&self) -> u64 {
        self.inner.variation_master_id
    }

    /// Same as `variation`, under the core's name.
    #[getter]
    fn variation_master_id(&self) -> u64 {
        self.inner.variation_master_id
    }

    /// Whether that variation is the control.
    #[getter]
    fn is_control(&self) -> bool {
        self.inner.is_control
    }

    /// The exposure callback URL; opaque.
    #[getter]
    fn callback_url(&self) -> &str {
        &self.inner.callback_url
    }

    /// The payload as a `dict` (integers exact at any size). The same
    /// object is returned on every access.
    #[getter]
    fn payload(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guarded(|| {
            let payload = self.payload.get_or_try_init(py, || {
                json::to_python(py, self.inner.payload.as_json()).map(Bound::unbind)
            })?;
            Ok(payload.clone_ref(py))
        })
    }

    /// The payload's exact JSON text, as the service sent it.
    #[getter]
    fn payload_json(&self) -> &str {
        self.inner.payload.as_json()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Experience>() {
            Ok(other) => other.get().inner == self.inner,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        self.inner.id ^ self.inner.variation_master_id.rotate_left(32)
    }

    fn __repr__(&self) -> String {
        format!(
            "Experience(id={}, variation={}, is_control={})",
            self.inner.id,
            self.inner.variation_master_id,
            if self.inner.is_control {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// The experiences for one visitor, and what to do with its cookie.
/// Iterable over its `Experience`s; immutable.
#[pyclass(frozen, sequence, module = "qubit_experiences")]
pub struct Answer {
    inner: core::Answer,
    experiences: Vec<Py<Experience>>,
}

impl Answer {
    /// Wraps a core answer, one `Experience` object per experience.
    pub fn new(py: Python<'_>, answer: core::Answer) -> PyResult<Answer> {
        let experiences = answer
            .iter()
            .map(|experience| Py::new(py, Experience::new(experience.clone())))
            .collect::<PyResult<_>>()?;

        Ok(Answer {
            inner: answer,
            experiences,
        })
    }
}

#[pymethods]
impl Answer {
    /// The experiences, in the service's order (a new list each time).
    #[getter]
    fn experiences<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.experiences.iter().map(|e| e.clone_ref(py)))
    }

    /// The visitor's context id: the one asked for, or the one generated.
    #[getter]
    fn context_id(&self) -> &str {
        self.inner.context_id()
    }

    /// Whether the context id was generated for this answer, so the page
    /// response must set the `_qubitTracker` cookie.
    #[getter]
    fn context_id_generated(&self) -> bool {
        self.inner.context_id_generated()
    }

    /// The property's cookie domains, for choosing the cookie's `Domain`.
    #[getter]
    fn cookie_domains<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.cookie_domains())
    }

    /// In tolerant filtering, the requested ids the visitor was not served.
    #[getter]
    fn missing_experience_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.missing_experience_ids())
    }

    /// Where the answer came from: `service`, `cache`, `stale_cache` or
    /// `fallback`.
    #[getter]
    fn source(&self) -> &'static str {
        self.inner.source().name()
    }

    /// For a fail-open or stale answer, the error it stands in for (a
    /// `QubitError` instance, not raised); otherwise `None`.
    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        guarded(|| {
            self.inner
                .error()
                .map(|error| errors::exception(py, error))
                .transpose()
        })
    }

    /// The experience with this id, or `None`.
    fn get(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<Option<Py<Experience>>> {
        guarded(|| {
            let id = crate::args::unsigned("id", id)?;
            Ok(self
                .experiences
                .iter()
                .find(|experience| experience.get().inner.id == id)
                .map(|experience| experience.clone_ref(py)))
        })
    }

    /// The whole answer as JSON text (service field names plus
    /// `contextIdGenerated`, `missingExperienceIds`, `source`, `error`).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __len__(&self) -> usize {
        self.experiences.len()
    }

    fn __getitem__(&self, py: Python<'_>, index: isize) -> PyResult<Py<Experience>> {
        let length = self.experiences.len() as isize;
        let position = if index < 0 { index + length } else { index };
        match usize::try_from(position)
            .ok()
            .and_then(|at| self.experiences.get(at))
        {
            Some(experience) => Ok(experience.clone_ref(py)),
            None => Err(pyo3::exceptions::PyIndexError::new_err(
                "answer index out of range",
            )),
        }
    }

    /// Iterates the experiences in order, so that an `Answer` is an
    /// `Iterable` as its stub says; the same items as iterating by index.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        self.experiences(py)?.try_iter()
    }

    fn __bool__(&self) -> bool {
        !self.experiences.is_empty()
    }

    fn __repr__(&self) -> String {
        format!(
            "Answer(context_id={:?}, experiences={}, source={:?})",
            self.inner.context_id(),
            self.experiences.len(),
            self.inner.source().name()
        )
    }
}
