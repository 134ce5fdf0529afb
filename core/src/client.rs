//! The client: fetch a visitor's experiences, report exposures.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::cache::{Cache, CacheOptions};
use crate::callback_policy::{BaseUrl, CallbackPolicy};
use crate::deliveries::{Deduplicator, Deliveries, Delivery};
use crate::process_local::ProcessLocal;
use crate::retry::{self, RetryPolicy};
use crate::stats::{Counters, Stats, bump};
use crate::transport::{Transport, TransportConfig};
use crate::{Answer, Error, Experience, ExperienceFilter, Query, answer};

/// The hosted service.
pub const DEFAULT_BASE_URL: &str = "https://sse.qubit.com";

/// How many exposures de-duplication remembers unless told otherwise.
pub const DEFAULT_DEDUP_MAX_ENTRIES: usize = 100_000;

/// The SDK's version, as sent in the User-Agent.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Builds a [`Client`]; every setting has a production default.
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    tracking_id: String,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retries: u32,
    backoff_base: Duration,
    backoff_max: Duration,
    max_response_bytes: u64,
    cache: Option<CacheOptions>,
    callback_hosts: Vec<String>,
    callback_timeout: Duration,
    queue_capacity: usize,
    callback_workers: usize,
    dedup_window: Option<Duration>,
    dedup_max_entries: usize,
    binding: Option<String>,
    proxy: Option<String>,
    extra_ca_file: Option<PathBuf>,
    max_idle_connections: usize,
}

impl ClientBuilder {
    /// Sets the service's base URL (default [`DEFAULT_BASE_URL`]); a path
    /// prefix is kept.
    pub fn base_url(mut self, url: impl Into<String>) -> ClientBuilder {
        self.base_url = url.into();
        self
    }

    /// The deadline of a whole fetch or blocking callback, retries and a
    /// slow body included (default 1 s).
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout = timeout;
        self
    }

    /// The deadline of opening one connection, within the call's deadline
    /// (default 500 ms).
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// Retries after a connection error, 5xx or 429 (default 2).
    pub fn retries(mut self, retries: u32) -> ClientBuilder {
        self.retries = retries;
        self
    }

    /// The first and the largest backoff step between retries (default 25 ms
    /// and 250 ms); each retry doubles the step, with jitter.
    pub fn backoff(mut self, first: Duration, max: Duration) -> ClientBuilder {
        self.backoff_base = first;
        self.backoff_max = max;
        self
    }

    /// The largest answer body read (default 4 MiB); a larger one fails with
    /// [`Error::ResponseTooLarge`] without being buffered.
    pub fn max_response_bytes(mut self, bytes: u64) -> ClientBuilder {
        self.max_response_bytes = bytes;
        self
    }

    /// Turns on the answer cache (off by default).
    pub fn cache(mut self, options: CacheOptions) -> ClientBuilder {
        self.cache = Some(options);
        self
    }

    /// Allows callbacks to this host as well as the API's own (https only).
    pub fn allow_callback_host(mut self, host: impl Into<String>) -> ClientBuilder {
        self.callback_hosts.push(host.into());
        self
    }

    /// The deadline of one queued callback, retries included (default 5 s).
    pub fn callback_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.callback_timeout = timeout;
        self
    }

    /// How many callbacks may wait in the background queue (default 10,000).
    pub fn queue_capacity(mut self, capacity: usize) -> ClientBuilder {
        self.queue_capacity = capacity;
        self
    }

    /// How many threads send queued callbacks (default 2).
    pub fn callback_workers(mut self, workers: usize) -> ClientBuilder {
        self.callback_workers = workers;
        self
    }

    /// Sends one callback per (context id, experience, variation) within
    /// `window`, remembering at most `max_entries` exposures (off by default).
    pub fn deduplicate_callbacks(mut self, window: Duration, max_entries: usize) -> ClientBuilder {
        self.dedup_window = Some(window);
        self.dedup_max_entries = max_entries;
        self
    }

    /// Names the language binding and its runtime in the User-Agent, e.g.
    /// `"python/3.12.1"`. For bindings; applications need not call it.
    pub fn binding(mut self, binding: impl Into<String>) -> ClientBuilder {
        self.binding = Some(binding.into());
        self
    }

    /// Sends every request through this proxy (`http://`, `https://`,
    /// `socks5://`). Without it, `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`
    /// and `NO_PROXY` are read from the environment.
    pub fn proxy(mut self, url: impl Into<String>) -> ClientBuilder {
        self.proxy = Some(url.into());
        self
    }

    /// Also trusts the certificates of this PEM file, besides the system's
    /// store and the bundled Mozilla roots.
    pub fn extra_ca_file(mut self, path: impl Into<PathBuf>) -> ClientBuilder {
        self.extra_ca_file = Some(path.into());
        self
    }

    /// Idle connections kept open for reuse (default 64).
    pub fn max_idle_connections(mut self, connections: usize) -> ClientBuilder {
        self.max_idle_connections = connections;
        self
    }

    /// Checks every setting and builds the client. No network; reads the
    /// system's certificate store once per process.
    ///
    /// Fails with [`Error::InvalidArgument`] for an unusable tracking id,
    /// base URL, proxy, CA file or zero timeout.
    pub fn build(self) -> Result<Client, Error> {
        check_tracking_id(&self.tracking_id)?;
        let base = BaseUrl::parse(&self.base_url)?;
        self.check_settings()?;
        let policy = CallbackPolicy::new(&base, &self.callback_hosts)?;

        let shared = Arc::new(Shared {
            experiences_url: format!("{}/v1/{}/experiences", base.text, self.tracking_id),
            policy,
            transport: ProcessLocal::new(),
            retry_policy: RetryPolicy {
                retries: self.retries,
                base_delay: self.backoff_base,
                max_delay: self.backoff_max,
            },
            counters: Counters::default(),
            settings: self,
        });
        // Settings a connection pool cannot use (a proxy URL, a CA file)
        // fail here rather than on the first call.
        shared.transport()?;

        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                process: ProcessLocal::new(),
                closed: AtomicBool::new(false),
            }),
        })
    }

    /// Rejects settings no client can work with: zero durations, sizes of
    /// zero or beyond what fits in memory, and text that cannot go into an
    /// HTTP header.
    fn check_settings(&self) -> Result<(), Error> {
        let invalid = |why: String| Err(Error::InvalidArgument(why));

        for (name, value) in [
            ("timeout", self.timeout),
            ("connect timeout", self.connect_timeout),
            ("callback timeout", self.callback_timeout),
        ] {
            if value.is_zero() {
                return invalid(format!("{name} must be above zero"));
            }
        }
        if self.backoff_base > self.backoff_max {
            return invalid("the first backoff step must not exceed the largest".into());
        }
        if self.max_response_bytes == 0 {
            return invalid("max_response_bytes must be above zero".into());
        }
        check_count("queue capacity", self.queue_capacity, MAX_QUEUE_CAPACITY)?;
        check_count(
            "callback workers",
            self.callback_workers,
            MAX_CALLBACK_WORKERS,
        )?;
        if let Some(cache) = &self.cache {
            if cache.ttl.is_zero() {
                return invalid("the cache's ttl must be above zero".into());
            }
            check_count("cache max_entries", cache.max_entries, MAX_CACHE_ENTRIES)?;
        }
        if self.dedup_window.is_some_and(|window| window.is_zero()) {
            return invalid("the de-duplication window must be above zero".into());
        }
        check_count(
            "de-duplication max entries",
            self.dedup_max_entries,
            MAX_DEDUP_ENTRIES,
        )?;
        if let Some(binding) = &self.binding {
            check_binding(binding)?;
        }
        Ok(())
    }
}

/// Most callbacks the queue may hold: its slots are allocated up front.
pub const MAX_QUEUE_CAPACITY: usize = 1_000_000;

/// Most threads that may send queued callbacks.
pub const MAX_CALLBACK_WORKERS: usize = 64;

/// Most answers the cache may hold: its table is allocated up front.
pub const MAX_CACHE_ENTRIES: usize = 1_000_000;

/// Most exposures de-duplication may remember.
pub const MAX_DEDUP_ENTRIES: usize = 10_000_000;

/// Rejects a count of zero or above `max`.
fn check_count(name: &str, value: usize, max: usize) -> Result<(), Error> {
    match value {
        0 => Err(Error::InvalidArgument(format!("{name} must be at least 1"))),
        value if value > max => Err(Error::InvalidArgument(format!(
            "{name} must be at most {max}, not {value}"
        ))),
        _ => Ok(()),
    }
}

/// The binding's name goes into the User-Agent header: visible ASCII and
/// spaces only, and not too long.
fn check_binding(binding: &str) -> Result<(), Error> {
    let printable = binding.bytes().all(|b| (b' '..=b'~').contains(&b));
    if binding.is_empty() || binding.len() > 100 || !printable {
        return Err(Error::InvalidArgument(format!(
            "binding {binding:?} must be 1 to 100 visible ASCII characters or spaces"
        )));
    }
    Ok(())
}

/// A blocking client of the Server Experiences API.
///
/// `Send + Sync` and cheap to clone: clones share one connection pool, one
/// cache, one callback queue and one set of counters. Build one per process
/// (per tracking id) and share it.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    process: ProcessLocal<PerProcess>,
    closed: AtomicBool,
}

/// What each process keeps to itself: a forked child starts with an empty
/// cache and de-duplication memory and its own callback workers (see
/// [`ProcessLocal`]).
struct PerProcess {
    cache: Option<Cache>,
    dedup: Option<Deduplicator>,
    deliveries: Deliveries,
}

impl PerProcess {
    fn new(shared: &Arc<Shared>) -> PerProcess {
        let settings = &shared.settings;
        let sender = Arc::clone(shared);

        PerProcess {
            cache: settings.cache.map(Cache::new),
            dedup: settings
                .dedup_window
                .map(|window| Deduplicator::new(window, settings.dedup_max_entries)),
            deliveries: Deliveries::new(
                settings.queue_capacity,
                settings.callback_workers,
                Arc::new(move |delivery: &Delivery| sender.deliver_queued(delivery)),
            ),
        }
    }
}

/// What the callback workers share with the client, without keeping the
/// client alive.
struct Shared {
    experiences_url: String,
    policy: CallbackPolicy,
    /// The connection pool of this process: a forked child must not use its
    /// parent's sockets.
    transport: ProcessLocal<Transport>,
    retry_policy: RetryPolicy,
    counters: Counters,
    settings: ClientBuilder,
}

impl Client {
    /// Starts building a client for the property with this tracking id.
    pub fn builder(tracking_id: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            tracking_id: tracking_id.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_millis(500),
            retries: 2,
            backoff_base: Duration::from_millis(25),
            backoff_max: Duration::from_millis(250),
            max_response_bytes: 4 * 1024 * 1024,
            cache: None,
            callback_hosts: Vec::new(),
            callback_timeout: Duration::from_secs(5),
            queue_capacity: 10_000,
            callback_workers: 2,
            dedup_window: None,
            dedup_max_entries: DEFAULT_DEDUP_MAX_ENTRIES,
            binding: None,
            proxy: None,
            extra_ca_file: None,
            max_idle_connections: 64,
        }
    }

    /// A client of the hosted service with every default.
    pub fn new(tracking_id: impl Into<String>) -> Result<Client, Error> {
        Client::builder(tracking_id).build()
    }

    /// Fetches the experiences for one visitor. Blocking: at most one
    /// network round trip per attempt, never past the client's timeout.
    ///
    /// Fails with [`Error::InvalidArgument`] (bad query, nothing sent),
    /// [`Error::NotFound`], [`Error::HttpStatus`], [`Error::Timeout`],
    /// [`Error::Connection`], [`Error::Decode`],
    /// [`Error::ResponseTooLarge`] or [`Error::Closed`].
    pub fn get_experiences(&self, query: &Query) -> Result<Answer, Error> {
        let shared = &self.inner.shared;
        bump(&shared.counters.fetches);

        let result = self.fetch(query);
        if let Err(err) = &result {
            shared.counters.record_error(err.code());
        }
        result
    }

    /// Fetches like [`Client::get_experiences`] but never fails: on any
    /// error it answers no experiences, with [`Answer::error`] set and, when
    /// the query had no context id, one generated locally, so the page still
    /// renders its default content and the visitor still gets a cookie.
    pub fn get_experiences_fail_open(&self, query: &Query) -> Answer {
        match self.get_experiences(query) {
            Ok(answer) => answer,
            Err(error) => {
                log::warn!("serving default content: {error}");
                Answer::fallback_for(query, error)
            }
        }
    }

    /// Reports that `experience` was shown to the visitor: POSTs
    /// `{"id":"<context_id>"}` to its callback URL and waits for the answer,
    /// retrying like a fetch, within the client's timeout. Blocking.
    ///
    /// Fails with [`Error::CallbackRefused`] (nothing sent) when the URL
    /// breaks the callback host policy, [`Error::Closed`], or a transport
    /// error.
    pub fn shown(&self, experience: &Experience, context_id: &str) -> Result<(), Error> {
        self.send_callback(&experience.callback_url, context_id)
    }

    /// Sends the exposure callback of a callback URL kept from an earlier
    /// answer, as [`Client::shown`] does. Blocking.
    pub fn send_callback(&self, callback_url: &str, context_id: &str) -> Result<(), Error> {
        self.send_callback_within(callback_url, context_id, self.inner.shared.settings.timeout)
    }

    /// Sends an exposure callback like [`Client::send_callback`], within
    /// this call's own deadline instead of the client's timeout: for
    /// callers that carry their own (a Go `context.Context`). Blocking.
    pub fn send_callback_within(
        &self,
        callback_url: &str,
        context_id: &str,
        timeout: Duration,
    ) -> Result<(), Error> {
        let delivery = self.delivery(callback_url, context_id)?;
        if timeout.is_zero() {
            return Err(Error::InvalidArgument("timeout must be above zero".into()));
        }

        self.inner.shared.deliver(&delivery, timeout)
    }

    /// Queues the exposure callback for background delivery and returns at
    /// once. Never blocks on the network.
    ///
    /// Returns `Ok(false)` when de-duplication skipped it as already sent
    /// within the window. Fails with [`Error::CallbackRefused`],
    /// [`Error::QueueFull`] (dropped, and counted) or [`Error::Closed`].
    pub fn shown_later(&self, experience: &Experience, context_id: &str) -> Result<bool, Error> {
        self.send_callback_later(
            &experience.callback_url,
            context_id,
            experience.id,
            experience.variation_master_id,
        )
    }

    /// Queues the exposure callback of a callback URL kept from an earlier
    /// answer, as [`Client::shown_later`] does; the experience and variation
    /// ids key de-duplication. Never blocks on the network.
    pub fn send_callback_later(
        &self,
        callback_url: &str,
        context_id: &str,
        experience_id: u64,
        variation_master_id: u64,
    ) -> Result<bool, Error> {
        let delivery = self.delivery(callback_url, context_id)?;

        let process = self.inner.process();
        let first_time = process
            .dedup
            .as_ref()
            .is_none_or(|dedup| dedup.first_time(context_id, experience_id, variation_master_id));
        if !first_time {
            bump(&self.inner.shared.counters.callbacks_deduplicated);
            return Ok(false);
        }

        process
            .deliveries
            .push(delivery, &self.inner.shared.counters)
            .map(|()| true)
    }

    /// Waits until every callback queued so far is delivered or has failed
    /// for good. Fails with [`Error::Timeout`] if that takes over `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<(), Error> {
        self.inner.process().deliveries.flush(timeout)
    }

    /// Closes the client for every clone: new calls fail with
    /// [`Error::Closed`], queued callbacks are delivered and the workers
    /// joined, waiting at most `timeout` ([`Error::Timeout`] past it, the
    /// workers finishing on their own). Calling it again is harmless.
    pub fn close(&self, timeout: Duration) -> Result<(), Error> {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.process().deliveries.close(timeout)
    }

    /// Whether [`Client::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    /// A snapshot of the counters. No network.
    pub fn stats(&self) -> Stats {
        self.inner.shared.counters.snapshot()
    }

    /// The tracking id the client was built for.
    pub fn tracking_id(&self) -> &str {
        &self.inner.shared.settings.tracking_id
    }

    fn ensure_open(&self) -> Result<(), Error> {
        match self.is_closed() {
            true => Err(Error::Closed),
            false => Ok(()),
        }
    }

    fn fetch(&self, query: &Query) -> Result<Answer, Error> {
        self.ensure_open()?;
        query.validate()?;

        let shared = &self.inner.shared;
        let timeout = query.timeout.unwrap_or(shared.settings.timeout);
        let deadline = retry::deadline_after(timeout);
        let url = match query.to_query_string() {
            params if params.is_empty() => shared.experiences_url.clone(),
            params => format!("{}?{params}", shared.experiences_url),
        };
        let fetch_from_service = || shared.fetch_from_service(&url, query, deadline, timeout);

        let mut answer = match (&self.inner.process().cache, query.is_cacheable()) {
            (Some(cache), true) => cache.get_or_fetch(
                &url,
                deadline,
                timeout,
                &shared.counters,
                fetch_from_service,
            )?,
            _ => fetch_from_service()?,
        };

        if query.filter == ExperienceFilter::Tolerant && !query.experience_ids.is_empty() {
            answer.retain_experiences(&query.experience_ids);
        }
        Ok(answer)
    }

    /// Checks a callback and prepares its body.
    fn delivery(&self, callback_url: &str, context_id: &str) -> Result<Delivery, Error> {
        self.ensure_open()?;
        if context_id.is_empty() {
            return Err(Error::InvalidArgument("context id is empty".into()));
        }
        self.inner.shared.policy.check(callback_url)?;

        Ok(Delivery {
            url: callback_url.to_owned(),
            body: serde_json::json!({ "id": context_id }).to_string(),
        })
    }
}

impl Inner {
    /// This process's cache, de-duplication memory and callback queue.
    fn process(&self) -> &PerProcess {
        let built = self
            .process
            .get_or_try_init(|| Ok::<_, std::convert::Infallible>(PerProcess::new(&self.shared)));
        match built {
            Ok(process) => process,
            Err(never) => match never {},
        }
    }
}

impl Shared {
    /// This process's connection pool, opened on first use in a process.
    fn transport(&self) -> Result<&Transport, Error> {
        self.transport.get_or_try_init(|| {
            let settings = &self.settings;
            let user_agent = match &settings.binding {
                Some(binding) => format!("qubit-experiences/{VERSION} ({binding})"),
                None => format!("qubit-experiences/{VERSION} (rust)"),
            };
            Transport::new(&TransportConfig {
                connect_timeout: settings.connect_timeout,
                max_response_bytes: settings.max_response_bytes,
                user_agent,
                proxy: settings.proxy.as_deref(),
                extra_ca_file: settings.extra_ca_file.as_deref(),
                max_idle_connections: settings.max_idle_connections,
            })
        })
    }

    fn fetch_from_service(
        &self,
        url: &str,
        query: &Query,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<Answer, Error> {
        let transport = self.transport()?;
        let started = Instant::now();

        let body = retry::run(
            self.retry_policy,
            deadline,
            timeout,
            || bump(&self.counters.retries),
            |budget| {
                bump(&self.counters.requests);
                transport.get(url, budget)
            },
        );

        self.counters.record_latency(started.elapsed());
        answer::decode(&body?, query.context_id.as_deref())
    }

    /// Sends one queued callback on a worker thread. A panic (a bug, here or
    /// in a dependency) is counted as a failure rather than killing the
    /// worker.
    fn deliver_queued(&self, delivery: &Delivery) -> Result<(), Error> {
        let timeout = self.settings.callback_timeout;
        let sent = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.deliver(delivery, timeout)
        }));

        sent.unwrap_or_else(|_| {
            bump(&self.counters.callbacks_failed);
            Err(Error::Internal("sending a callback panicked".into()))
        })
    }

    /// Sends one callback with retries within `timeout`, counting the
    /// outcome.
    fn deliver(&self, delivery: &Delivery, timeout: Duration) -> Result<(), Error> {
        let transport = self.transport()?;

        let result = retry::run(
            self.retry_policy,
            retry::deadline_after(timeout),
            timeout,
            || bump(&self.counters.callbacks_retried),
            |budget| transport.post_json(&delivery.url, &delivery.body, budget),
        );

        match &result {
            Ok(()) => bump(&self.counters.callbacks_sent),
            Err(_) => bump(&self.counters.callbacks_failed),
        }
        result
    }
}

/// Rejects a tracking id that is empty or could step out of its URL path
/// segment: only unreserved URL characters are allowed, and not `.` or `..`
/// alone.
fn check_tracking_id(tracking_id: &str) -> Result<(), Error> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');

    if tracking_id.is_empty() {
        return Err(Error::InvalidArgument("tracking id is empty".into()));
    }
    if !tracking_id.bytes().all(allowed) || tracking_id == "." || tracking_id == ".." {
        return Err(Error::InvalidArgument(format!(
            "tracking id {tracking_id:?} may only hold letters, digits, `-`, `.`, `_` and `~`"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn client_is_send_sync_and_clone() {
        fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
        assert_shareable::<Client>();
    }

    #[test]
    fn tracking_ids_that_could_escape_the_path_are_rejected() {
        for bad in [
            "", ".", "..", "a/b", "a?b", "a#b", "a b", "a%2F", "ü", "a\\b",
        ] {
            let err = Client::new(bad).err().unwrap();
            assert_eq!(err.code(), ErrorCode::InvalidArgument, "{bad:?}");
        }
        assert!(Client::new("retail_shop-2.uk~x").is_ok());
    }

    #[test]
    fn zero_timeouts_are_rejected() {
        let err = Client::builder("shop")
            .timeout(Duration::ZERO)
            .build()
            .err()
            .unwrap();

        assert_eq!(
            err.to_string(),
            "invalid argument: timeout must be above zero"
        );
    }

    #[test]
    fn settings_no_client_can_work_with_are_rejected() {
        let cache = |ttl: u64, max_entries: usize| CacheOptions {
            ttl: Duration::from_secs(ttl),
            max_entries,
            serve_stale_for: None,
        };
        let shop = || Client::builder("shop");

        for (builder, message) in [
            (
                shop().queue_capacity(0),
                "queue capacity must be at least 1",
            ),
            (
                shop().queue_capacity(1 << 32),
                "queue capacity must be at most 1000000, not 4294967296",
            ),
            (
                shop().callback_workers(65),
                "callback workers must be at most 64, not 65",
            ),
            (
                shop().cache(cache(0, 10)),
                "the cache's ttl must be above zero",
            ),
            (
                shop().cache(cache(300, usize::MAX)),
                "cache max_entries must be at most 1000000, not 18446744073709551615",
            ),
            (
                shop().deduplicate_callbacks(Duration::ZERO, 10),
                "the de-duplication window must be above zero",
            ),
            (
                shop().backoff(Duration::from_secs(2), Duration::from_secs(1)),
                "the first backoff step must not exceed the largest",
            ),
            (
                shop().max_response_bytes(0),
                "max_response_bytes must be above zero",
            ),
            (
                shop().binding("c\r\nX: 1"),
                "binding \"c\\r\\nX: 1\" must be 1 to 100 visible ASCII characters or spaces",
            ),
            (
                shop().allow_callback_host("http://cb.example.com/"),
                "allowed callback host \"http://cb.example.com/\" must be a host name or `host:port`",
            ),
        ] {
            let err = builder.build().err().unwrap();
            assert_eq!(err.to_string(), format!("invalid argument: {message}"));
        }
    }

    #[test]
    fn closed_client_refuses_work() {
        let client = Client::new("shop").unwrap();

        client.close(Duration::from_secs(1)).unwrap();
        client.close(Duration::from_secs(1)).unwrap();

        assert!(client.is_closed());
        assert_eq!(
            client.get_experiences(&Query::new()).unwrap_err(),
            Error::Closed
        );
    }

    #[test]
    fn fail_open_answers_empty_with_a_local_id() {
        let client = Client::new("shop").unwrap();
        client.close(Duration::from_secs(1)).unwrap();

        let answer = client.get_experiences_fail_open(&Query::new());

        assert!(answer.is_empty());
        assert!(answer.context_id_generated());
        assert!(crate::context_id::is_generated_format(answer.context_id()));
        assert_eq!(answer.error(), Some(&Error::Closed));
        assert_eq!(answer.source(), crate::AnswerSource::Fallback);

        let known = client.get_experiences_fail_open(&Query::new().context_id("v"));
        assert_eq!(
            (known.context_id(), known.context_id_generated()),
            ("v", false)
        );
    }
}
