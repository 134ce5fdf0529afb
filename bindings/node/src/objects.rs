//! The core's answers as plain JavaScript objects (their TypeScript shapes
//! are in `types.rs`). Integers stay exact: see `json.rs`.

use napi::{Result, sys};
use qubit_experiences::{Answer, Experience, Stats};

use crate::errors;
use crate::json::{self, raw};

/// An experience as a plain object.
pub(crate) fn experience(env: sys::napi_env, experience: &Experience) -> Result<sys::napi_value> {
    let object = raw::object(env)?;
    let payload_json = experience.payload.as_json();

    raw::set(env, object, c"id", raw::integer(env, experience.id)?)?;
    let variation = raw::integer(env, experience.variation_master_id)?;
    raw::set(env, object, c"variation", variation)?;
    raw::set(env, object, c"variationMasterId", variation)?;
    raw::set(
        env,
        object,
        c"isControl",
        raw::boolean(env, experience.is_control)?,
    )?;
    raw::set(
        env,
        object,
        c"callbackUrl",
        raw::string(env, &experience.callback_url)?,
    )?;
    raw::set(env, object, c"payload", json::to_js(env, payload_json)?)?;
    raw::set(env, object, c"payloadJson", raw::string(env, payload_json)?)?;
    Ok(object)
}

/// An answer as a plain object; its `error` is a `QubitError` or `null`.
pub(crate) fn answer(env: sys::napi_env, answer: &Answer) -> Result<sys::napi_value> {
    let error = match answer.error() {
        Some(error) => errors::qubit_error(env, error)?,
        None => raw::null(env)?,
    };
    let experiences = raw::array(env)?;
    for (index, item) in (0u32..).zip(answer.experiences()) {
        raw::set_index(env, experiences, index, experience(env, item)?)?;
    }

    let object = raw::object(env)?;
    raw::set(env, object, c"experiences", experiences)?;
    fill_visitor(
        env,
        object,
        answer.context_id(),
        answer.context_id_generated(),
    )?;
    raw::set(
        env,
        object,
        c"cookieDomains",
        raw::strings(env, answer.cookie_domains())?,
    )?;
    let missing = raw::integers(env, answer.missing_experience_ids())?;
    raw::set(env, object, c"missingExperienceIds", missing)?;
    raw::set(
        env,
        object,
        c"source",
        raw::string(env, answer.source().name())?,
    )?;
    raw::set(env, object, c"error", error)?;
    Ok(object)
}

/// The empty answer a fail-open call gives when the binding itself failed
/// (an unreadable query, a caught panic): no experiences, `source`
/// `"fallback"`, and `error` set to `error`.
pub(crate) fn fallback_answer(
    env: sys::napi_env,
    context_id: &str,
    context_id_generated: bool,
    error: sys::napi_value,
) -> Result<sys::napi_value> {
    let object = raw::object(env)?;
    raw::set(env, object, c"experiences", raw::array(env)?)?;
    fill_visitor(env, object, context_id, context_id_generated)?;
    raw::set(env, object, c"cookieDomains", raw::array(env)?)?;
    raw::set(env, object, c"missingExperienceIds", raw::array(env)?)?;
    raw::set(env, object, c"source", raw::string(env, "fallback")?)?;
    raw::set(env, object, c"error", error)?;
    Ok(object)
}

fn fill_visitor(
    env: sys::napi_env,
    object: sys::napi_value,
    context_id: &str,
    generated: bool,
) -> Result<()> {
    raw::set(env, object, c"contextId", raw::string(env, context_id)?)?;
    raw::set(
        env,
        object,
        c"contextIdGenerated",
        raw::boolean(env, generated)?,
    )
}

/// The counters as a plain object with camelCase keys; `errors` maps code
/// names to counts. Built from the core's JSON form, so a counter the core
/// adds appears without a change here.
pub(crate) fn stats(env: sys::napi_env, stats: &Stats) -> Result<sys::napi_value> {
    let value: serde_json::Value = serde_json::from_str(&stats.to_json())
        .map_err(|err| napi::Error::from_reason(format!("stats are not JSON: {err}")))?;
    let serde_json::Value::Object(fields) = value else {
        return Err(napi::Error::from_reason("stats are not a JSON object"));
    };

    let object = raw::object(env)?;
    for (key, value) in &fields {
        let value = json::to_js(env, &value.to_string())?;
        let name = raw::string(env, &camel_case(key))?;
        raw::define(env, object, name, value)?;
    }
    Ok(object)
}

/// `cache_hits` -> `cacheHits`.
fn camel_case(snake: &str) -> String {
    let mut camel = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        match (c, upper) {
            ('_', _) => upper = true,
            (c, true) => {
                camel.push(c.to_ascii_uppercase());
                upper = false;
            }
            (c, false) => camel.push(c),
        }
    }
    camel
}
