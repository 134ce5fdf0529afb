//! Module-level functions and constants: cookies, context ids, callback
//! URLs, the version. None of them touches the network.

use napi::bindgen_prelude::{Env, Result, Unknown};
use napi_derive::napi;
use qubit_experiences::{callback_data, context_id, cookie};

use crate::arguments::{Arg, Checked};
use crate::client::RawJs;
use crate::errors::{self, guard};
use crate::json;

/// The version of the core library (and of this package).
#[napi]
#[allow(
    non_upper_case_globals,
    reason = "JavaScript's name for it is `version`"
)]
pub const version: &str = qubit_experiences::VERSION;

/// The cookie that holds the visitor's context id: `_qubitTracker`.
#[napi]
pub const COOKIE_NAME: &str = cookie::COOKIE_NAME;

/// Reads the context id from a `Cookie` request header (as in
/// `req.headers.cookie`): the first non-empty `_qubitTracker` value,
/// unquoted and percent-decoded. `null` when there is none (a new visitor),
/// or when the header is `undefined` or `null`.
#[napi(ts_return_type = "string | null")]
pub fn context_id_from_cookie_header(
    env: Env,
    #[napi(ts_arg_type = "string | undefined | null")] header: Option<Unknown>,
) -> Result<Option<String>> {
    guard(&env, || {
        let header = optional_string(header, "header").map_err(|err| err.into_napi(env.raw()))?;
        Ok(header.and_then(|header| cookie::context_id_from_cookie_header(&header)))
    })
}

/// Chooses the cookie's `Domain` for a request's `Host` header: the first
/// of the answer's `cookieDomains` that the host equals or is a subdomain
/// of (port, case and a leading dot ignored). `null` means a host-only
/// cookie.
#[napi(ts_return_type = "string | null")]
pub fn cookie_domain_for_host(
    env: Env,
    #[napi(ts_arg_type = "string | undefined | null")] host: Option<Unknown>,
    #[napi(ts_arg_type = "Array<string>")] cookie_domains: Unknown,
) -> Result<Option<String>> {
    guard(&env, || {
        let read = || -> Checked<_> {
            let host = optional_string(host, "host")?;
            let domains =
                Arg::required(Some(cookie_domains), "cookieDomains", "an array of strings")?
                    .strings()?;
            Ok((host, domains))
        };
        let (host, domains) = read().map_err(|err| err.into_napi(env.raw()))?;
        Ok(host.and_then(|host| cookie::cookie_domain_for_host(&host, &domains)))
    })
}

/// The `Set-Cookie` header value that stores `contextId` for a year:
/// `_qubitTracker=<id>; Domain=<domain>; Path=/; Max-Age=31536000;
/// SameSite=Lax`, plus `; Secure` when asked. The id is percent-encoded
/// where a cookie value could not hold it.
#[napi]
pub fn set_cookie_header(
    env: Env,
    #[napi(ts_arg_type = "string")] context_id: Unknown,
    #[napi(ts_arg_type = "SetCookieOptions")] options: Option<Unknown>,
) -> Result<String> {
    guard(&env, || {
        let read = || -> Checked<_> {
            let context_id = Arg::required(Some(context_id), "contextId", "a string")?.string()?;
            let (domain, secure) = match Arg::given(options, "options") {
                None => (None, false),
                Some(options) => {
                    let options = options.fields(&["domain", "secure"])?;
                    let domain = options.read("domain", Arg::string)?;
                    let secure = options.read("secure", Arg::boolean)?.unwrap_or(false);
                    (domain, secure)
                }
            };
            Ok((context_id, domain, secure))
        };
        let (context_id, domain, secure) = read().map_err(|err| err.into_napi(env.raw()))?;
        Ok(cookie::set_cookie_header(
            &context_id,
            domain.as_deref(),
            secure,
        ))
    })
}

/// A new context id in the hosted service's format
/// (`q8eltsc1e34-0k72y37kj-jaaa50x`), from the operating system's random
/// source. Throws a `QubitError` `INTERNAL` only if that source fails.
#[napi]
pub fn generate_context_id(env: Env) -> Result<String> {
    guard(&env, || {
        context_id::generate().map_err(|err| errors::core_error(env.raw(), &err))
    })
}

/// Decodes the bucketing decision inside a callback URL's `data`
/// parameter (ExperienceId, IterationId, VariationId, VariationMasterId,
/// IsControl, TrafficAllocation, Probability, TrackingId, ContextId). For
/// debugging: callback URLs are otherwise opaque.
///
/// Throws a `QubitError` `INVALID_ARGUMENT` (no `data` parameter) or
/// `DECODE`.
#[napi(ts_return_type = "Record<string, unknown>")]
pub fn decode_callback_url(
    env: Env,
    #[napi(ts_arg_type = "string")] url: Unknown,
) -> Result<RawJs> {
    guard(&env, || {
        let url = Arg::required(Some(url), "url", "a string")
            .and_then(|arg| arg.string())
            .map_err(|err| err.into_napi(env.raw()))?;
        let record =
            callback_data::decode_url(&url).map_err(|err| errors::core_error(env.raw(), &err))?;
        let text = serde_json::Value::Object(record).to_string();
        json_to_js(&env, &text, "the callback data")
    })
}

/// A test aid, not part of the API: the value a payload with this JSON
/// text becomes, read by the same reader as answers. Throws a `QubitError`
/// `DECODE` where an answer's payload would fail to convert.
#[napi(js_name = "__payloadForTests", ts_return_type = "unknown")]
pub fn payload_for_tests(env: Env, text: String) -> Result<RawJs> {
    guard(&env, || json_to_js(&env, &text, "the payload"))
}

/// JSON text as a JavaScript value; a `DECODE` error if it cannot be.
fn json_to_js(env: &Env, text: &str, what: &str) -> Result<RawJs> {
    json::to_js(env.raw(), text)
        .map(RawJs)
        .map_err(|err| errors::core_error(env.raw(), &errors::conversion_error(what, &err)))
}

/// A test aid, not part of the API: panics inside the binding so tests can
/// check that the panic becomes a `QubitError` `INTERNAL` rather than an
/// abort. `"sync"` panics on the calling thread; `"async"` panics on a pool
/// thread, `"settle"` while settling on the JavaScript thread, and both
/// return the rejected promise.
#[napi(js_name = "__panicForTests", ts_return_type = "never | Promise<never>")]
pub fn panic_for_tests(
    env: Env,
    #[napi(ts_arg_type = "'sync' | 'async' | 'settle'")] kind: String,
) -> Result<RawJs> {
    guard(&env, || match kind.as_str() {
        "async" => crate::client::run_for_tests(&env, true),
        "settle" => crate::client::run_for_tests(&env, false),
        _ => panic!("deliberate panic for a test"),
    })
}

/// A string argument that may be absent.
fn optional_string(value: Option<Unknown>, name: &str) -> Checked<Option<String>> {
    Arg::given(value, name).map(|arg| arg.string()).transpose()
}
