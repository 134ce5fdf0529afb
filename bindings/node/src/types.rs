//! The shapes of the objects the API takes and gives, for `index.d.ts`.
//!
//! These structs are never built: the binding reads and writes the objects
//! by hand (see `arguments.rs` and `objects.rs`) to keep integers exact and
//! to throw `TypeError`s. They exist so that the TypeScript declarations,
//! and their JSDoc, are generated from Rust like everything else. A test
//! checks that each option declared here is one the binding reads.

use napi_derive::napi;

/// Settings of a `Client`. Every one is optional and has a production
/// default.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ClientOptions {
    /// The service's base URL (default `https://sse.qubit.com`); a path
    /// prefix is kept.
    pub base_url: Option<String>,
    /// Deadline of a whole fetch or awaited callback, retries included
    /// (default 1000).
    pub timeout_ms: Option<f64>,
    /// Deadline of opening one connection (default 500).
    pub connect_timeout_ms: Option<f64>,
    /// Retries after a connection error, 5xx or 429 (default 2).
    pub retries: Option<u32>,
    /// The first and the largest backoff step between retries (default 25
    /// and 250 ms); each retry doubles the step, with jitter.
    #[napi(ts_type = "{ firstMs: number; maxMs: number }")]
    pub backoff: Option<String>,
    /// The largest answer body read, in bytes (default 4 MiB).
    pub max_response_bytes: Option<f64>,
    /// Turns the answer cache on (off by default); `{}` takes every default.
    pub cache: Option<CacheSettings>,
    /// Hosts callbacks may go to besides the API's own (https only); at
    /// most 100,000.
    pub allowed_callback_hosts: Option<Vec<String>>,
    /// Deadline of one queued callback, retries included (default 5000).
    pub callback_timeout_ms: Option<f64>,
    /// How many callbacks may wait in the background queue (default 10000).
    pub queue_capacity: Option<f64>,
    /// How many threads send queued callbacks (default 2).
    pub callback_workers: Option<f64>,
    /// Sends one callback per (context id, experience, variation) within
    /// this window (off by default).
    pub dedupe_window_ms: Option<f64>,
    /// How many exposures de-duplication remembers (default 100000).
    pub dedupe_max_entries: Option<f64>,
    /// Sends every request through this proxy (`http://`, `https://`,
    /// `socks5://`); otherwise `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
    /// `NO_PROXY` are read from the environment.
    pub proxy: Option<String>,
    /// A PEM file of extra trusted certificates.
    pub extra_ca_file: Option<String>,
    /// Idle connections kept open for reuse (default 64).
    pub max_idle_connections: Option<f64>,
}

/// The answer cache's settings.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct CacheSettings {
    /// How long an answer is served from the cache (default 300000).
    pub ttl_ms: Option<f64>,
    /// The most answers kept; the least recently used goes first (default
    /// 10000).
    pub max_entries: Option<f64>,
    /// How long past its TTL an answer may still be served when the service
    /// fails (default: never).
    pub serve_stale_for_ms: Option<f64>,
}

/// What to fetch for one visitor. Every field is optional.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ExperienceQuery {
    /// The visitor's context id, usually the `_qubitTracker` cookie;
    /// `undefined` or `null` asks the service to generate one.
    pub context_id: Option<String>,
    /// Restrict the answer to these experiences (at most 100,000 ids).
    #[napi(ts_type = "Array<number | bigint>")]
    pub experience_ids: Option<Vec<String>>,
    /// Serve each experience's latest unpublished iteration.
    pub preview: Option<bool>,
    /// Force the variation with this master id.
    #[napi(ts_type = "number | bigint")]
    pub variation: Option<String>,
    /// Serve experiences whatever their segment targeting says.
    pub ignore_segments: Option<bool>,
    /// Send `experienceIds` to the service, so that an unknown or archived
    /// id fails the call with `NOT_FOUND`. By default (`false`) the ids are
    /// filtered locally and the ones not served are listed in
    /// `missingExperienceIds`.
    pub strict: Option<bool>,
    /// This call's deadline instead of the client's `timeoutMs`, e.g. what
    /// is left of the request's own budget.
    pub timeout_ms: Option<f64>,
}

/// One experience the visitor is bucketed into.
#[napi(
    object,
    js_name = "Experience",
    object_from_js = false,
    object_to_js = false
)]
pub struct ExperienceObject {
    /// The experience id. A number; a `BigInt` only if it is beyond 2^53.
    #[napi(ts_type = "number | bigint")]
    pub id: i64,
    /// The master id of the variation the visitor was bucketed into (the
    /// service's `variation` field).
    #[napi(ts_type = "number | bigint")]
    pub variation: i64,
    /// The same master id, under the name the other languages use.
    #[napi(ts_type = "number | bigint")]
    pub variation_master_id: i64,
    /// Whether that variation is the control.
    pub is_control: bool,
    /// The exposure callback URL. Opaque: pass the whole experience to
    /// `shown` or `shownLater` rather than calling it yourself.
    pub callback_url: String,
    /// The payload, parsed: what `JSON.parse(payloadJson)` gives, except
    /// that integers outside `Number.MIN_SAFE_INTEGER..MAX_SAFE_INTEGER`
    /// are `BigInt`s holding the exact digits sent.
    #[napi(ts_type = "Record<string, unknown>")]
    pub payload: String,
    /// The payload's JSON text exactly as the service sent it.
    pub payload_json: String,
}

/// The experiences for one visitor, and what to do with its cookie.
#[napi(
    object,
    js_name = "Answer",
    object_from_js = false,
    object_to_js = false
)]
pub struct AnswerObject {
    /// The experiences, in the service's order.
    #[napi(ts_type = "Array<Experience>")]
    pub experiences: Vec<String>,
    /// The visitor's context id: the one asked for, or the one generated.
    pub context_id: String,
    /// Whether the context id was generated for this answer: the response
    /// must then set the `_qubitTracker` cookie (see `setCookieHeader`).
    pub context_id_generated: bool,
    /// The property's cookie domains, for `cookieDomainForHost`.
    pub cookie_domains: Vec<String>,
    /// With tolerant filtering (the default), the requested experience ids
    /// the visitor was not served, in the order they were asked for.
    #[napi(ts_type = "Array<number | bigint>")]
    pub missing_experience_ids: Vec<String>,
    /// Where the answer came from.
    #[napi(ts_type = "'service' | 'cache' | 'stale_cache' | 'fallback'")]
    pub source: String,
    /// For a fail-open answer (and a stale cached one), the error it stands
    /// in for; otherwise `null`.
    #[napi(ts_type = "QubitError | null")]
    pub error: String,
}

/// A snapshot of a client's counters (totals since it was built).
#[napi(
    object,
    js_name = "Stats",
    object_from_js = false,
    object_to_js = false
)]
pub struct StatsObject {
    /// Calls to fetch experiences, cached ones included.
    pub fetches: f64,
    /// HTTP requests made for fetches, retries included.
    pub requests: f64,
    /// Retries of fetch requests.
    pub retries: f64,
    /// Failed fetches by error code (only codes seen).
    #[napi(ts_type = "Partial<Record<ErrorCode, number>>")]
    pub errors: String,
    /// Fetches answered from the cache.
    pub cache_hits: f64,
    /// Cacheable fetches that went to the service.
    pub cache_misses: f64,
    /// Entries evicted to keep the cache within its bound.
    pub cache_evictions: f64,
    /// Stale answers served because the service failed.
    pub cache_stale_served: f64,
    /// Callbacks accepted by the background queue.
    pub callbacks_queued: f64,
    /// Callbacks delivered (awaited and queued).
    pub callbacks_sent: f64,
    /// Callbacks that failed for good.
    pub callbacks_failed: f64,
    /// Retries of callback requests.
    pub callbacks_retried: f64,
    /// Callbacks dropped because the queue was full or closed.
    pub callbacks_dropped: f64,
    /// Callbacks skipped as duplicates within the de-duplication window.
    pub callbacks_deduplicated: f64,
    /// Median latency of recent fetches that reached the service, in µs.
    pub latency_p50_us: f64,
    /// 90th percentile of the same, in µs.
    pub latency_p90_us: f64,
    /// 99th percentile of the same, in µs.
    pub latency_p99_us: f64,
}

/// Options of `setCookieHeader`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct SetCookieOptions {
    /// The cookie's `Domain`, usually from `cookieDomainForHost`;
    /// `null` or absent sets a host-only cookie. A value that is not a plain
    /// host name is left out rather than trusted.
    pub domain: Option<String>,
    /// Adds `Secure` (default `false`).
    pub secure: Option<bool>,
}
