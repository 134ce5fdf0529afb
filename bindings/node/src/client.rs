//! The `Client` class: the core client, with every blocking call run on a
//! pool thread and awaited as a promise.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::time::Duration;

use napi::bindgen_prelude::{Env, Result, This, ToNapiValue, Unknown};
use napi::{JsValue, check_status, sys};
use napi_derive::napi;
use qubit_experiences::{
    Answer, CacheOptions, Error as CoreError, ExperienceFilter, Query, context_id,
};

use crate::arguments::{Arg, Checked, Fields};
use crate::completions::Settlement;
use crate::errors::{self, ArgumentError, catch_panic, guard};
use crate::json::raw;
use crate::objects;

/// How long `flush` and `close` wait when no timeout is given.
const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// The option keys `new Client` reads; any other key is a `TypeError`.
const CLIENT_OPTIONS: &[&str] = &[
    "baseUrl",
    "timeoutMs",
    "connectTimeoutMs",
    "retries",
    "backoff",
    "maxResponseBytes",
    "cache",
    "allowedCallbackHosts",
    "callbackTimeoutMs",
    "queueCapacity",
    "callbackWorkers",
    "dedupeWindowMs",
    "dedupeMaxEntries",
    "proxy",
    "extraCaFile",
    "maxIdleConnections",
];

const CACHE_SETTINGS: &[&str] = &["ttlMs", "maxEntries", "serveStaleForMs"];

const QUERY_FIELDS: &[&str] = &[
    "contextId",
    "experienceIds",
    "preview",
    "variation",
    "ignoreSegments",
    "strict",
    "timeoutMs",
];

/// A JavaScript value made by hand, returned as is.
pub struct RawJs(pub(crate) sys::napi_value);

impl ToNapiValue for RawJs {
    unsafe fn to_napi_value(_env: sys::napi_env, value: RawJs) -> Result<sys::napi_value> {
        Ok(value.0)
    }
}

/// A client of the Server Experiences API for one tracking id.
///
/// Build one per process and share it. Network calls return promises and
/// run on a Rust thread pool, never on the JavaScript thread nor on libuv's
/// thread pool. Errors are `QubitError`s with a stable `code`; arguments of
/// the wrong type throw (or reject with) a `TypeError`.
#[napi]
pub struct Client {
    core: qubit_experiences::Client,
}

#[napi]
impl Client {
    /// Builds a client. No network; reads the system's certificate store
    /// once per process.
    ///
    /// Throws a `QubitError` `INVALID_ARGUMENT` for an unusable tracking id,
    /// base URL, proxy, CA file or a zero timeout; a `TypeError` or
    /// `RangeError` for options of the wrong type or range, or unknown keys,
    /// and a `TypeError` when called without `new`.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        this: This<Unknown>,
        #[napi(ts_arg_type = "string")] tracking_id: Unknown,
        #[napi(ts_arg_type = "ClientOptions")] options: Option<Unknown>,
    ) -> Result<Client> {
        guard(&env, || {
            if !constructed(env.raw(), this.raw())? {
                let error = ArgumentError::Type(
                    "Class constructor Client cannot be invoked without 'new'".to_owned(),
                );
                return Err(error.into_napi(env.raw()));
            }
            let builder = client_builder(&env, tracking_id, options)
                .map_err(|err| err.into_napi(env.raw()))?;
            let core = builder
                .build()
                .map_err(|err| errors::core_error(env.raw(), &err))?;
            Ok(Client { core })
        })
    }

    /// The tracking id the client was built for.
    #[napi(getter)]
    pub fn tracking_id(&self, env: Env) -> Result<String> {
        guard(&env, || Ok(self.core.tracking_id().to_owned()))
    }

    /// Whether `close` was called.
    #[napi(getter)]
    pub fn is_closed(&self, env: Env) -> Result<bool> {
        guard(&env, || Ok(self.core.is_closed()))
    }

    /// Fetches the experiences for one visitor. One network round trip per
    /// attempt, never past `timeoutMs`; answers may come from the cache.
    ///
    /// Rejects with a `QubitError` whose `code` is `INVALID_ARGUMENT`,
    /// `NOT_FOUND`, `HTTP_STATUS`, `TIMEOUT`, `CONNECTION`, `DECODE`,
    /// `RESPONSE_TOO_LARGE` or `CLOSED`; with a `TypeError` or `RangeError`
    /// for a query it cannot read.
    #[napi(ts_return_type = "Promise<Answer>")]
    pub fn get_experiences(
        &self,
        env: Env,
        #[napi(ts_arg_type = "ExperienceQuery")] query: Option<Unknown>,
    ) -> Result<RawJs> {
        promise(&env, || {
            let core = self.core.clone();
            run_with(
                &env,
                read_query(query),
                move |query| core.get_experiences(&query),
                |env, answer| {
                    answer_to_js(env, &answer).map_err(|err| errors::core_error(env, &err))
                },
            )
        })
    }

    /// Fetches like `getExperiences` but never rejects for a failure of the
    /// service or of the answer: it then answers no experiences, with
    /// `source` `"fallback"`, `error` set, and the query's context id (or
    /// a locally generated one when the query had none), so the page still
    /// renders its default content and the visitor keeps or gets a cookie.
    ///
    /// A query it cannot read is a programmer's error, not a failure of the
    /// service: it rejects with a `TypeError` or `RangeError`, as
    /// `getExperiences` does.
    #[napi(ts_return_type = "Promise<Answer>")]
    pub fn get_experiences_fail_open(
        &self,
        env: Env,
        #[napi(ts_arg_type = "ExperienceQuery")] query: Option<Unknown>,
    ) -> Result<RawJs> {
        promise(&env, || {
            let query = read_query(query).map_err(|err| err.into_napi(env.raw()))?;
            let core = self.core.clone();
            let context_id = query.context_id.clone();
            crate::env_state(env.raw())?.completions.spawn(
                &env,
                move || catch_panic(|| Ok(core.get_experiences_fail_open(&query))),
                move |env, outcome| {
                    let answer = match outcome {
                        Ok(answer) => answer_to_js(env, &answer).or_else(|error| {
                            fallback(
                                env,
                                answer.context_id(),
                                answer.context_id_generated(),
                                &error,
                            )
                        })?,
                        Err(panic) => local_fallback(env, context_id.as_deref(), &panic)?,
                    };
                    Ok(Settlement::Resolve(answer))
                },
            )
        })
    }

    /// Reports that `experience` was shown to the visitor: POSTs
    /// `{"id": contextId}` to its callback URL and resolves once the
    /// service answered, retrying like a fetch, within `timeoutMs`.
    ///
    /// Rejects with a `QubitError` `CALLBACK_REFUSED` (nothing sent) when
    /// the URL breaks the callback host policy, `CLOSED`, or a transport
    /// error; with a `TypeError` for arguments it cannot read.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shown(
        &self,
        env: Env,
        #[napi(ts_arg_type = "Experience")] experience: Unknown,
        #[napi(ts_arg_type = "string")] context_id: Unknown,
    ) -> Result<RawJs> {
        promise(&env, || {
            let core = self.core.clone();
            run_with(
                &env,
                read_exposure(experience, context_id),
                move |exposure| core.send_callback(&exposure.callback_url, &exposure.context_id),
                undefined,
            )
        })
    }

    /// Queues the exposure callback for background delivery and returns at
    /// once: no network, no promise. The queue's threads never keep the
    /// process alive; `close` (or `flush`) waits for them.
    ///
    /// Returns `false` when de-duplication skipped it as already sent.
    /// Throws a `QubitError` `CALLBACK_REFUSED`, `QUEUE_FULL` (dropped and
    /// counted) or `CLOSED`; a `TypeError` for arguments it cannot read,
    /// also when reading them throws (a getter), naming the argument.
    #[napi]
    pub fn shown_later(
        &self,
        env: Env,
        #[napi(ts_arg_type = "Experience")] experience: Unknown,
        #[napi(ts_arg_type = "string")] context_id: Unknown,
    ) -> Result<bool> {
        guard(&env, || {
            let exposure =
                read_exposure(experience, context_id).map_err(|err| err.into_napi(env.raw()))?;
            self.core
                .send_callback_later(
                    &exposure.callback_url,
                    &exposure.context_id,
                    exposure.experience_id,
                    exposure.variation_master_id,
                )
                .map_err(|err| errors::core_error(env.raw(), &err))
        })
    }

    /// Resolves once every callback queued so far is delivered or has
    /// failed for good. Rejects with a `QubitError` `TIMEOUT` if that takes
    /// over `timeoutMs` (default 5000).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn flush(
        &self,
        env: Env,
        #[napi(ts_arg_type = "number")] timeout_ms: Option<Unknown>,
    ) -> Result<RawJs> {
        promise(&env, || {
            let core = self.core.clone();
            run_with(
                &env,
                read_wait(timeout_ms),
                move |timeout| core.flush(timeout),
                undefined,
            )
        })
    }

    /// Closes the client: new calls fail with `CLOSED`, queued callbacks
    /// are delivered and the queue's threads end, waiting at most
    /// `timeoutMs` (default 5000; past it, rejects with `TIMEOUT` and the
    /// threads finish on their own). Calling it again is harmless.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(
        &self,
        env: Env,
        #[napi(ts_arg_type = "number")] timeout_ms: Option<Unknown>,
    ) -> Result<RawJs> {
        promise(&env, || {
            let core = self.core.clone();
            run_with(
                &env,
                read_wait(timeout_ms),
                move |timeout| core.close(timeout),
                undefined,
            )
        })
    }

    /// A snapshot of the counters. No network; cheap.
    #[napi(ts_return_type = "Stats")]
    pub fn stats(&self, env: Env) -> Result<RawJs> {
        guard(&env, || {
            objects::stats(env.raw(), &self.core.stats()).map(RawJs)
        })
    }
}

/// Runs blocking `work` on a pool thread (see `completions.rs`) and
/// settles a promise on the JavaScript thread: resolved with `to_js` of the
/// value, or rejected with a `QubitError`. A panic in `work` rejects with
/// `INTERNAL`.
fn run<T: Send + 'static>(
    env: &Env,
    work: impl FnOnce() -> std::result::Result<T, CoreError> + Send + 'static,
    to_js: impl FnOnce(sys::napi_env, T) -> Result<sys::napi_value> + Send + 'static,
) -> Result<RawJs> {
    crate::env_state(env.raw())?.completions.spawn(
        env,
        move || catch_panic(work),
        move |env, outcome| match outcome {
            Ok(value) => to_js(env, value).map(Settlement::Resolve),
            Err(error) => errors::qubit_error(env, &error).map(Settlement::Reject),
        },
    )
}

/// Like [`run`], for work on arguments read first. Arguments that cannot be
/// read are an error here, which [`promise`] turns into a rejection.
fn run_with<A: Send + 'static, T: Send + 'static>(
    env: &Env,
    arguments: Checked<A>,
    work: impl FnOnce(A) -> std::result::Result<T, CoreError> + Send + 'static,
    to_js: impl FnOnce(sys::napi_env, T) -> Result<sys::napi_value> + Send + 'static,
) -> Result<RawJs> {
    match arguments {
        Ok(arguments) => run(env, move || work(arguments), to_js),
        Err(err) => Err(err.into_napi(env.raw())),
    }
}

/// Resolves a promise of nothing.
fn undefined(env: sys::napi_env, (): ()) -> Result<sys::napi_value> {
    raw::undefined(env)
}

/// A promise rejected at once with `reason`.
fn rejected(env: &Env, reason: sys::napi_value) -> Result<RawJs> {
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) })?;
    check_status!(unsafe { sys::napi_reject_deferred(env.raw(), deferred, reason) })?;
    Ok(RawJs(promise))
}

/// Runs the body of a promise-returning method: whatever goes wrong in it
/// (a panic, an exception thrown by JavaScript it ran, a failed Node-API
/// call) rejects the promise instead of throwing.
fn promise(env: &Env, body: impl FnOnce() -> Result<RawJs>) -> Result<RawJs> {
    let error = match guard(env, body) {
        Ok(promise) => return Ok(promise),
        Err(error) => error,
    };
    let reason = match errors::take_exception(env.raw()) {
        Some(thrown) => thrown,
        None => unsafe { ToNapiValue::to_napi_value(env.raw(), error)? },
    };
    rejected(env, reason)
}

/// An answer as a JavaScript object. Failing to build it (a payload nested
/// too deep for the reader, a string too long for JavaScript, a panic) is
/// a `DECODE` error, or `INTERNAL` for a panic.
fn answer_to_js(
    env: sys::napi_env,
    answer: &Answer,
) -> std::result::Result<sys::napi_value, CoreError> {
    let built = catch_unwind(AssertUnwindSafe(|| objects::answer(env, answer)));
    let outcome = match built {
        Ok(built) => built.map_err(|err| errors::conversion_error("the answer", &err)),
        Err(payload) => Err(errors::panic_error(payload)),
    };
    if outcome.is_err() {
        // Whatever a failed call left pending must not escape.
        errors::take_exception(env);
    }
    outcome
}

/// The fallback answer standing for `error`, with this context id.
fn fallback(
    env: sys::napi_env,
    context_id: &str,
    generated: bool,
    error: &CoreError,
) -> Result<sys::napi_value> {
    let error = errors::qubit_error(env, error)?;
    objects::fallback_answer(env, context_id, generated, error)
}

/// The fallback answer for a failure of the binding itself, with the
/// query's context id or a newly generated one.
fn local_fallback(
    env: sys::napi_env,
    context_id: Option<&str>,
    error: &CoreError,
) -> Result<sys::napi_value> {
    match context_id {
        Some(id) => fallback(env, id, false, error),
        None => fallback(
            env,
            &context_id::generate().unwrap_or_default(),
            true,
            error,
        ),
    }
}

/// Whether `this` is an object `new Client` is constructing, rather than
/// the receiver of a plain call (`Client('shop')` would otherwise turn the
/// global object into a client).
fn constructed(env: sys::napi_env, this: sys::napi_value) -> Result<bool> {
    let class = raw::referenced(env, crate::env_state(env)?.client_class)?;
    let mut result = false;
    check_status!(unsafe { sys::napi_instanceof(env, this, class, &mut result) })?;
    Ok(result)
}

/// Reads the constructor's arguments into a core builder.
fn client_builder(
    env: &Env,
    tracking_id: Unknown,
    options: Option<Unknown>,
) -> Checked<qubit_experiences::ClientBuilder> {
    let tracking_id = Arg::required(Some(tracking_id), "trackingId", "a string")?.string()?;
    let runtime = match env.get_node_version() {
        Ok(version) => format!("node/{}.{}.{}", version.major, version.minor, version.patch),
        Err(_) => "node".to_owned(),
    };
    let mut builder = qubit_experiences::Client::builder(tracking_id).binding(runtime);

    let Some(options) = Arg::given(options, "options") else {
        return Ok(builder);
    };
    let options = options.fields(CLIENT_OPTIONS)?;

    if let Some(url) = options.read("baseUrl", Arg::string)? {
        builder = builder.base_url(url);
    }
    if let Some(timeout) = options.read("timeoutMs", Arg::millis)? {
        builder = builder.timeout(timeout);
    }
    if let Some(timeout) = options.read("connectTimeoutMs", Arg::millis)? {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(retries) = options.read("retries", Arg::small_count)? {
        builder = builder.retries(retries);
    }
    if let Some(backoff) = options.read("backoff", |arg| arg.fields(&["firstMs", "maxMs"]))? {
        let first = required_field(&backoff, "firstMs", Arg::millis)?;
        let max = required_field(&backoff, "maxMs", Arg::millis)?;
        builder = builder.backoff(first, max);
    }
    if let Some(bytes) = options.read("maxResponseBytes", Arg::count)? {
        builder = builder.max_response_bytes(bytes);
    }
    if let Some(cache) = options.read("cache", |arg| arg.fields(CACHE_SETTINGS))? {
        builder = builder.cache(cache_options(&cache)?);
    }
    for host in options
        .read("allowedCallbackHosts", Arg::strings)?
        .unwrap_or_default()
    {
        builder = builder.allow_callback_host(host);
    }
    if let Some(timeout) = options.read("callbackTimeoutMs", Arg::millis)? {
        builder = builder.callback_timeout(timeout);
    }
    if let Some(capacity) = options.read("queueCapacity", Arg::size)? {
        builder = builder.queue_capacity(capacity);
    }
    if let Some(workers) = options.read("callbackWorkers", Arg::size)? {
        builder = builder.callback_workers(workers);
    }
    let dedupe_max = options.read("dedupeMaxEntries", Arg::size)?;
    if let Some(window) = options.read("dedupeWindowMs", Arg::millis)? {
        builder = builder.deduplicate_callbacks(
            window,
            dedupe_max.unwrap_or(qubit_experiences::DEFAULT_DEDUP_MAX_ENTRIES),
        );
    }
    if let Some(proxy) = options.read("proxy", Arg::string)? {
        builder = builder.proxy(proxy);
    }
    if let Some(path) = options.read("extraCaFile", Arg::string)? {
        builder = builder.extra_ca_file(path);
    }
    if let Some(connections) = options.read("maxIdleConnections", Arg::size)? {
        builder = builder.max_idle_connections(connections);
    }
    Ok(builder)
}

/// A field an object must have.
fn required_field<'env, T>(
    fields: &Fields<'env>,
    key: &str,
    read: impl FnOnce(&Arg<'env>) -> Checked<T>,
) -> Checked<T> {
    fields
        .read(key, read)?
        .ok_or_else(|| ArgumentError::Type(format!("\"{key}\" is required, got nothing")))
}

/// The cache settings, starting from the core's defaults.
fn cache_options(cache: &Fields) -> Checked<CacheOptions> {
    let mut options = CacheOptions::default();
    if let Some(ttl) = cache.read("ttlMs", Arg::millis)? {
        options.ttl = ttl;
    }
    if let Some(entries) = cache.read("maxEntries", Arg::size)? {
        options.max_entries = entries;
    }
    options.serve_stale_for = cache.read("serveStaleForMs", Arg::millis)?;
    Ok(options)
}

/// Reads a query object; nothing given is the empty query.
fn read_query(query: Option<Unknown>) -> Checked<Query> {
    let mut result = Query::new();
    let Some(query) = Arg::given(query, "query") else {
        return Ok(result);
    };
    let query = query.fields(QUERY_FIELDS)?;

    result.context_id = query.read("contextId", Arg::string)?;
    result.experience_ids = query.read("experienceIds", Arg::ids)?.unwrap_or_default();
    result.preview = query.read("preview", Arg::boolean)?.unwrap_or(false);
    result.variation = query.read("variation", Arg::id)?;
    result.ignore_segments = query.read("ignoreSegments", Arg::boolean)?.unwrap_or(false);
    if query.read("strict", Arg::boolean)?.unwrap_or(false) {
        result.filter = ExperienceFilter::Strict;
    }
    result.timeout = query.read("timeoutMs", Arg::millis)?;
    Ok(result)
}

/// What a callback needs of an experience the page showed.
struct Exposure {
    experience_id: u64,
    variation_master_id: u64,
    callback_url: String,
    context_id: String,
}

/// Reads the exposure of an experience object and a context id. Only the
/// fields a callback needs are read; any others (the payload) are ignored.
fn read_exposure(experience: Unknown, context_id: Unknown) -> Checked<Exposure> {
    let fields = Arg::required(Some(experience), "experience", "an experience object")?.object()?;
    let context_id = Arg::required(Some(context_id), "contextId", "a string")?.string()?;

    let experience_id = required_field(&fields, "id", Arg::id)?;
    let variation_master_id = match fields.read("variationMasterId", Arg::id)? {
        Some(variation) => variation,
        None => required_field(&fields, "variation", Arg::id)?,
    };
    let callback_url = required_field(&fields, "callbackUrl", Arg::string)?;

    Ok(Exposure {
        experience_id,
        variation_master_id,
        callback_url,
        context_id,
    })
}

/// Reads the optional timeout of `flush` and `close`.
fn read_wait(timeout_ms: Option<Unknown>) -> Checked<Duration> {
    Ok(Arg::given(timeout_ms, "timeoutMs")
        .map(|arg| arg.millis())
        .transpose()?
        .unwrap_or(DEFAULT_WAIT))
}

/// A promise whose pool work panics (`on_pool`), or whose settlement on
/// the JavaScript thread panics (see `__panicForTests`).
pub fn run_for_tests(env: &Env, on_pool: bool) -> Result<RawJs> {
    run(
        env,
        move || -> std::result::Result<(), CoreError> {
            match on_pool {
                true => panic!("deliberate panic on a pool thread"),
                false => Ok(()),
            }
        },
        |_, ()| panic!("deliberate panic while settling"),
    )
}
