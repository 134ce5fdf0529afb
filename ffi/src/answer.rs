//! `qubit_answer` and `qubit_experience`: what a fetch returned.
//!
//! Every string is converted to a C string once, when the answer is
//! wrapped, so the getters only hand out pointers into the answer. A string
//! the service sent holding a NUL byte cannot be a C string: the answer is
//! then refused as `QUBIT_DECODE` rather than cut short.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use sdk::{Answer, AnswerSource, Error, Experience};

use crate::boundary::{c_string, lossy_c_string, read, release};
use crate::error::QubitError;

/// The experiences for one visitor, and what to do with the cookie.
///
/// Created by `qubit_client_get_experiences` (or its fail-open variant),
/// owned by the caller, released with `qubit_answer_free`; every string and
/// `qubit_experience` read from it lives until then. Immutable: any number
/// of threads may read it at once; free it once, after they are done.
pub struct QubitAnswer {
    answer: Answer,
    experiences: Vec<QubitExperience>,
    context_id: CString,
    cookie_domains: Vec<CString>,
    error: Option<QubitError>,
    json: OnceLock<CString>,
}

/// One experience the visitor is bucketed into. Borrowed from its
/// `qubit_answer`: never freed on its own, valid until the answer is freed.
/// Immutable and readable from any thread.
pub struct QubitExperience {
    pub(crate) experience: Experience,
    callback_url: CString,
    payload_json: CString,
}

impl QubitAnswer {
    /// Wraps an answer; [`Error::Decode`] when one of its strings holds a
    /// NUL byte.
    pub(crate) fn new(answer: Answer) -> Result<QubitAnswer, Error> {
        let decoded = |text: &str, what: &str| c_string(text, what, Error::Decode);
        let experiences = answer
            .iter()
            .map(|experience| {
                Ok(QubitExperience {
                    callback_url: decoded(&experience.callback_url, "a callback URL")?,
                    payload_json: decoded(experience.payload.as_json(), "a payload")?,
                    experience: experience.clone(),
                })
            })
            .collect::<Result<_, Error>>()?;

        Ok(QubitAnswer {
            experiences,
            context_id: decoded(answer.context_id(), "the context id")?,
            cookie_domains: answer
                .cookie_domains()
                .iter()
                .map(|domain| decoded(domain, "a cookie domain"))
                .collect::<Result<_, Error>>()?,
            error: answer.error().map(QubitError::new),
            json: OnceLock::new(),
            answer,
        })
    }
}

/// Reads a field of a handle that may be NULL, falling back to `absent`.
fn field<T, R>(handle: *const T, absent: R, get: impl FnOnce(&T) -> R) -> R
where
    R: Copy,
{
    // SAFETY: every caller's contract says `handle` is NULL or live.
    read(absent, || unsafe { handle.as_ref() }.map_or(absent, get))
}

/// How many experiences the answer holds (0 for NULL).
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_experience_count(answer: *const QubitAnswer) -> usize {
    field(answer, 0, |answer| answer.experiences.len())
}

/// The experience at `index` (in the service's order), borrowed from the
/// answer and valid until `qubit_answer_free`; NULL when `index` is out of
/// range or `answer` is NULL.
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_experience(
    answer: *const QubitAnswer,
    index: usize,
) -> *const QubitExperience {
    field(answer, std::ptr::null(), |answer| {
        answer
            .experiences
            .get(index)
            .map_or(std::ptr::null(), std::ptr::from_ref)
    })
}

/// The experience with this id, borrowed as by `qubit_answer_experience`;
/// NULL when the visitor does not have it or `answer` is NULL.
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_find_experience(
    answer: *const QubitAnswer,
    experience_id: u64,
) -> *const QubitExperience {
    field(answer, std::ptr::null(), |answer| {
        answer
            .experiences
            .iter()
            .find(|experience| experience.experience.id == experience_id)
            .map_or(std::ptr::null(), std::ptr::from_ref)
    })
}

/// The visitor's context id: the one asked for, or the generated one.
/// Owned by the answer, valid until `qubit_answer_free`; NULL for NULL.
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_context_id(answer: *const QubitAnswer) -> *const c_char {
    field(answer, std::ptr::null(), |answer| {
        answer.context_id.as_ptr()
    })
}

/// Whether the context id was generated for this answer, so the page
/// response must set the `_qubitTracker` cookie (false for NULL).
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_context_id_generated(answer: *const QubitAnswer) -> bool {
    field(answer, false, |answer| answer.answer.context_id_generated())
}

/// How many cookie domains the property has (0 for NULL).
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_cookie_domain_count(answer: *const QubitAnswer) -> usize {
    field(answer, 0, |answer| answer.cookie_domains.len())
}

/// The cookie domain at `index`, owned by the answer and valid until
/// `qubit_answer_free`; NULL when out of range or `answer` is NULL.
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_cookie_domain(
    answer: *const QubitAnswer,
    index: usize,
) -> *const c_char {
    field(answer, std::ptr::null(), |answer| {
        answer
            .cookie_domains
            .get(index)
            .map_or(std::ptr::null(), |domain| domain.as_ptr())
    })
}

/// In tolerant filtering, how many requested experience ids were not
/// served (0 for NULL).
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_missing_experience_id_count(
    answer: *const QubitAnswer,
) -> usize {
    field(answer, 0, |answer| {
        answer.answer.missing_experience_ids().len()
    })
}

/// The missing experience id at `index`, in the order asked for; 0 when
/// out of range or `answer` is NULL.
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_missing_experience_id(
    answer: *const QubitAnswer,
    index: usize,
) -> u64 {
    field(answer, 0, |answer| {
        answer
            .answer
            .missing_experience_ids()
            .get(index)
            .copied()
            .unwrap_or(0)
    })
}

/// Where the answer came from: `"service"`, `"cache"`, `"stale_cache"` or
/// `"fallback"`. A static string, never freed; NULL for NULL.
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_source(answer: *const QubitAnswer) -> *const c_char {
    field(answer, std::ptr::null(), |answer| {
        let name = match answer.answer.source() {
            AnswerSource::Service => c"service",
            AnswerSource::Cache => c"cache",
            AnswerSource::StaleCache => c"stale_cache",
            AnswerSource::Fallback => c"fallback",
        };
        name.as_ptr()
    })
}

/// For a fail-open answer (or a stale cached one), the error it stands in
/// for; NULL when there was none or `answer` is NULL. Borrowed from the
/// answer: valid until `qubit_answer_free`, never passed to
/// `qubit_error_free`.
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_error(answer: *const QubitAnswer) -> *const QubitError {
    field(answer, std::ptr::null(), |answer| {
        answer
            .error
            .as_ref()
            .map_or(std::ptr::null(), std::ptr::from_ref)
    })
}

/// The whole answer as JSON text: the service's field names plus
/// `contextIdGenerated`, `missingExperienceIds`, `source` and `error`;
/// payloads verbatim. Built on first use (thread-safe), owned by the answer
/// and valid until `qubit_answer_free`; NULL for NULL.
///
/// # Safety
/// `answer` is NULL or a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_json(answer: *const QubitAnswer) -> *const c_char {
    field(answer, std::ptr::null(), |answer| {
        answer
            .json
            // Serialised JSON escapes every NUL, so nothing is replaced.
            .get_or_init(|| lossy_c_string(&answer.answer.to_json()))
            .as_ptr()
    })
}

/// Releases an answer and every experience and string read from it. NULL
/// is accepted and ignored.
///
/// # Safety
/// `answer` is NULL or an answer not yet released, no longer read by any
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_answer_free(answer: *mut QubitAnswer) {
    // SAFETY: made by a fetch, released once.
    unsafe { release(answer) }
}

/// The experience id (0 for NULL).
///
/// # Safety
/// `experience` is NULL or borrowed from a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_experience_id(experience: *const QubitExperience) -> u64 {
    field(experience, 0, |experience| experience.experience.id)
}

/// The master id of the variation the visitor was bucketed into (0 for
/// NULL).
///
/// # Safety
/// `experience` is NULL or borrowed from a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_experience_variation_master_id(
    experience: *const QubitExperience,
) -> u64 {
    field(experience, 0, |experience| {
        experience.experience.variation_master_id
    })
}

/// Whether the variation is the control (false for NULL).
///
/// # Safety
/// `experience` is NULL or borrowed from a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_experience_is_control(experience: *const QubitExperience) -> bool {
    field(experience, false, |experience| {
        experience.experience.is_control
    })
}

/// The exposure callback URL (opaque: `qubit_client_shown` uses it). Owned
/// by the answer, valid until `qubit_answer_free`; NULL for NULL.
///
/// # Safety
/// `experience` is NULL or borrowed from a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_experience_callback_url(
    experience: *const QubitExperience,
) -> *const c_char {
    field(experience, std::ptr::null(), |experience| {
        experience.callback_url.as_ptr()
    })
}

/// The variation's payload as the exact JSON text the service sent (large
/// integers, key order and unicode intact). Owned by the answer, valid
/// until `qubit_answer_free`; NULL for NULL.
///
/// # Safety
/// `experience` is NULL or borrowed from a live answer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qubit_experience_payload_json(
    experience: *const QubitExperience,
) -> *const c_char {
    field(experience, std::ptr::null(), |experience| {
        experience.payload_json.as_ptr()
    })
}
